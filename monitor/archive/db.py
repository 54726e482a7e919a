"""Engines and migrations: SQLite (WAL, foreign keys) by default, any SQLAlchemy URL by ``--db`` / ``MONITOR_DB``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_DB = "sqlite:///monitor.db"


class ArchiveError(RuntimeError):
    """The archive cannot be opened or written; the message is meant for the user, one line."""


def db_url(value: str | None = None) -> str:
    """The archive URL: the argument, else ``MONITOR_DB``, else ``sqlite:///monitor.db``. A bare path means SQLite."""
    url = value or os.environ.get("MONITOR_DB") or DEFAULT_DB
    if "://" not in url:
        url = f"sqlite:///{url}"
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")  # wait for a concurrent writer instead of failing with "locked"
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``, with a clear :class:`ArchiveError` for a malformed URL or an unwritable SQLite path."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ArchiveError(f"bad database URL {url!r}: {exc}") from exc
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):  # file: URIs (mode=ro …) are SQLite's own
            parent = Path(db).expanduser().resolve().parent
            if not parent.is_dir():
                raise ArchiveError(f"cannot create database {db}: folder {parent} does not exist")
            if not os.access(parent, os.W_OK):
                raise ArchiveError(f"cannot write database {db}: folder {parent} is not writable")
        kwargs["poolclass"] = NullPool
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise ArchiveError(f"cannot use database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise ArchiveError(
            f"cannot open the archive at {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from exc
