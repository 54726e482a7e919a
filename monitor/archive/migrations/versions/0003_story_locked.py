"""editor decisions: articles.story_locked

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_locked", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("story_locked")
