"""search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

from monitor.search import index_documents

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_docs USING fts5(body, tokenize='unicode61 remove_diacritics 0', "
            "prefix='3 4 5')"
        )
    else:
        op.create_table(
            "search_docs",
            sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
            sa.Column("tsv", TSVECTOR(), nullable=False),
        )
        op.create_index("ix_search_docs_tsv", "search_docs", ["tsv"], postgresql_using="gin")
    rows = [(r[0], r[1], r[2]) for r in bind.execute(sa.text("SELECT id, title, text FROM articles")).all()]
    for start in range(0, len(rows), 1000):
        index_documents(bind, rows[start : start + 1000])


def downgrade() -> None:
    op.drop_table("search_docs")
