"""Crash safety: a crawl killed half-way and run again leaves no duplicates, no gaps and a sound database;
an archive that cannot be written stops the crawl with a clear error and a non-zero exit."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.archive.store import Archive
from monitor.farm import FarmServer
from tests.conftest import ROOT, run_monitor
from tests.test_e2e import expected_urls

pytestmark = pytest.mark.slow


@pytest.fixture
def slow_farm() -> Iterator[FarmServer]:
    """A farm of its own that answers every request after 0.2 s, so the crawl is still running when killed."""
    server = FarmServer(0)
    handle = server.app.handle

    def slow(*args: str) -> Any:
        time.sleep(0.2)
        return handle(*args)

    server.app.handle = slow  # type: ignore[method-assign]
    server.start()
    yield server
    server.stop()


def test_sigkill_mid_crawl_then_rerun(tmp_path: Path, slow_farm: FarmServer) -> None:
    farm = slow_farm
    path = tmp_path / "m.db"
    db = f"sqlite:///{path}"
    Archive.open(db).close()
    env = {**os.environ, "MONITOR_FARM_PROXY": farm.proxy, "MONITOR_AUTOTHROTTLE": "0", "MONITOR_STORE_BATCH": "5"}
    cmd = [sys.executable, "-m", "monitor.cli", "crawl", "--sources", "farm", "--db", db]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        with sqlite3.connect(path, timeout=5) as conn:
            stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        if stored >= 10:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the crawl finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(path) as conn:
        partial = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 0 < partial < len(expected_urls(farm))

    result = run_monitor("crawl", "--sources", "farm", "--db", db, env=env)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    with sqlite3.connect(path) as conn:
        urls = [r[0] for r in conn.execute("SELECT url FROM articles")]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = conn.execute(
            "SELECT count(*) FROM articles a LEFT JOIN classifications c ON c.article_id = a.id "
            "WHERE c.article_id IS NULL"
        ).fetchone()[0]
    assert len(urls) == len(set(urls))
    assert set(urls) == expected_urls(farm)
    assert orphans == 0  # every stored article has its classification: the two were written in one transaction


def test_unwritable_archive_stops_with_exit_2(tmp_path: Path, farm: FarmServer) -> None:
    path = tmp_path / "m.db"
    Archive.open(f"sqlite:///{path}").close()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    env = {"MONITOR_FARM_PROXY": farm.proxy, "MONITOR_AUTOTHROTTLE": "0"}
    result = run_monitor("crawl", "--sources", "farm", "--db", read_only, env=env)
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert "readonly" in result.stderr.replace("-", "").replace(" ", "").lower() or "read" in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
