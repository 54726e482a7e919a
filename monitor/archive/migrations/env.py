"""Alembic environment: run by :func:`monitor.archive.db.upgrade` with a live connection."""

from __future__ import annotations

from alembic import context

from monitor.archive.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the project always passes a connection
    raise RuntimeError("run migrations through `monitor db upgrade`")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
