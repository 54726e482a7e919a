"""Shared fixtures: the farm on a free port, temporary archives, and the services (PostgreSQL, Redis, Chromium).

A test that needs a service skips with a reason when it is absent, unless MONITOR_REQUIRE_SERVICES=1 (set by
.ci/run), where the absence is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.archive.store import Archive
from monitor.farm import FarmServer

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REQUIRE_SERVICES = os.environ.get("MONITOR_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get("MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("MONITOR_TEST_REDIS", "redis://127.0.0.1:6379/15")


def service_missing(reason: str) -> None:
    """Skip — or fail under MONITOR_REQUIRE_SERVICES=1 — because a service is missing."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing (MONITOR_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def farm() -> Iterator[FarmServer]:
    server = FarmServer(0).start()
    yield server
    server.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'monitor.db'}"


@pytest.fixture
def archive(sqlite_url: str) -> Iterator[Archive]:
    a = Archive.open(sqlite_url)
    yield a
    a.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session (dropped at the end)."""
    if not _port_open("127.0.0.1", 5432):
        service_missing("PostgreSQL is not listening on 127.0.0.1:5432")
    from sqlalchemy import create_engine, text

    name = f"monitor_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to get a database means the service is missing
        admin.dispose()
        service_missing(f"cannot create a PostgreSQL test database: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    """The same archive tests against SQLite and the local PostgreSQL."""
    if request.param == "sqlite":
        a = Archive.open(f"sqlite:///{tmp_path / 'a.db'}")
    else:
        url = request.getfixturevalue("pg_url")
        a = Archive.open(url)
        _truncate(a)
    yield a
    a.close()


def _truncate(a: Archive) -> None:
    from sqlalchemy import text

    from monitor.archive.models import Base

    with a.engine.begin() as conn:
        conn.execute(text("DELETE FROM search_docs"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def run_monitor(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the ``monitor`` CLI in a fresh process (Scrapy's reactor runs once per process)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
