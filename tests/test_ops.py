"""Operations: source health rules, the nightly run (lock, exit status, summary), e-mail delivery, migrations."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from monitor.archive import db as dbmod
from monitor.archive.models import CrawlSourceStats
from monitor.archive.store import Archive
from monitor.deliver import DeliveryError, SmtpConfig, send_digest
from monitor.farm import FarmServer
from monitor.health import assess_row
from tests.conftest import ROOT

NOW = datetime(2026, 7, 2, 12, tzinfo=UTC)


def row(**kw: Any) -> CrawlSourceStats:
    base: dict[str, Any] = {
        "source_key": "s",
        "requests": 20,
        "statuses": {"200": 20},
        "pages": 15,
        "articles_new": 5,
        "not_articles": 1,
        "errors": 0,
        "with_date": 14,
    }
    base.update(kw)
    return CrawlSourceStats(**base)


GOOD_HISTORY = [row() for _ in range(5)]


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (row(), "OK"),
        (row(articles_new=0), "EMPTY"),
        (row(statuses={"403": 18, "200": 2}, pages=1, articles_new=0), "BLOCKED"),
        (row(statuses={"200": 10, "challenge": 10}, articles_new=0), "BLOCKED"),
        (row(statuses={"200": 5, "challenge": 4}, pages=4, not_articles=4, articles_new=0), "BLOCKED"),
        (row(statuses={"200": 3}, pages=0, errors=4, articles_new=0), "BROKEN"),
        (row(statuses={}, pages=0, errors=20, articles_new=0), "DOWN"),
        (row(statuses={"503": 20}, pages=0, errors=20, articles_new=0), "DOWN"),
        (row(pages=15, not_articles=13, articles_new=2, with_date=2), "BROKEN"),
        (row(pages=15, not_articles=1, with_date=2), "BROKEN"),
    ],
)
def test_health_rules(current: CrawlSourceStats, expected: str) -> None:
    status, detail = assess_row(current, GOOD_HISTORY, NOW - timedelta(hours=3), timedelta(hours=2), NOW)
    assert status == expected, detail


def test_stale_source() -> None:
    status, _ = assess_row(row(articles_new=0), GOOD_HISTORY, NOW - timedelta(days=9), timedelta(hours=6), NOW)
    assert status == "STALE"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def test_digest_mail_is_multipart_utf8(unused_port: int) -> None:
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=unused_port)
    ctl.start()
    try:
        cfg = SmtpConfig(
            host="127.0.0.1",
            port=unused_port,
            sender="monitor@example.kz",
            recipients=["desk@example.org"],
            security="none",
        )
        assert send_digest(cfg, "Дайджест: Жезқазған", "текст Қазақмыс", "<p>Қазақмыс</p>") == 1
    finally:
        ctl.stop()
    msg = message_from_bytes(inbox.messages[0])
    assert str(make_header(decode_header(msg["Subject"]))) == "Дайджест: Жезқазған"
    assert msg.get_content_type() == "multipart/alternative"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode(p.get_content_charset())
        for p in msg.walk()
        if not p.is_multipart()
    }
    assert parts["text/plain"].strip() == "текст Қазақмыс" and "<p>Қазақмыс</p>" in parts["text/html"]


def test_failed_send_is_retried_then_reported(unused_port: int) -> None:
    cfg = SmtpConfig(host="127.0.0.1", port=unused_port, recipients=["x@example.org"], security="none", timeout=2)
    with pytest.raises(DeliveryError, match="after 2 attempts"):
        send_digest(cfg, "s", "t", "<p>h</p>", attempts=2, backoff=0.01)


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _daily(tmp: Path, farm: FarmServer, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONITOR_FARM_PROXY": farm.proxy, "MONITOR_AUTOTHROTTLE": "0"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "daily",
            "--sources",
            "farm",
            "--db",
            f"sqlite:///{tmp / 'm.db'}",
            "--out",
            str(tmp / "digests"),
            "--log-dir",
            str(tmp / "logs"),
            "--lock",
            str(tmp / "monitor.lock"),
            "--date",
            "2026-07-02",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_daily_run_writes_digest_log_and_one_line(tmp_path: Path, farm: FarmServer) -> None:
    result = _daily(tmp_path, farm)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("daily 2026-07-02: ") and "new articles" in lines[0]
    html = (tmp_path / "digests" / "digest-2026-07-02.html").read_text("utf-8")
    assert 'id="alarms"' in html and 'id="health"' in html
    assert len(list((tmp_path / "logs").glob("daily-*.log"))) == 1


def test_second_firing_does_nothing_while_locked(tmp_path: Path, farm: FarmServer) -> None:
    with open(tmp_path / "monitor.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = _daily(tmp_path, farm)
    assert result.returncode == 0 and "nothing to do" in result.stdout
    assert not (tmp_path / "digests" / "digest-2026-07-02.html").exists()


def test_daily_configuration_error_is_exit_2(tmp_path: Path, farm: FarmServer) -> None:
    result = _daily(tmp_path, farm, "--send")  # no MONITOR_SMTP_HOST
    assert result.returncode == 2 and "MONITOR_SMTP_HOST" in result.stderr


def test_upgrade_from_the_first_schema_keeps_the_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = dbmod.make_engine(url)
    dbmod.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sources (key, name, base_url, languages) VALUES ('s', 'S', 'https://s.kz', 'ru')")
        )
        conn.execute(
            text(
                "INSERT INTO articles (source_id, url, canonical_url, title, lead, text, author, raw_html, encoding, "
                "date_source, fetched_at, language, content_hash, discovered_by, status) VALUES (1, 'https://s.kz/1', "
                "'https://s.kz/1', 'Забастовка на Казахмысе', '', 'Рабочие Казахмыса бастуют', '', x'00', '', '', "
                "'2026-07-01 00:00:00', 'ru', 'h', 'feed', 'ok')"
            )
        )
    engine.dispose()
    archive = Archive.open(url)  # upgrades to head
    assert dbmod.current_revision(archive.engine) == dbmod.head_revision()
    with archive.engine.connect() as conn:
        assert conn.execute(text("SELECT title, story_locked FROM articles")).one() == ("Забастовка на Казахмысе", 0)
        from monitor.search import Filters, search

        hits, _ = search(conn, "Қазақмыс", Filters(relevant_only=False))
        assert [h.title for h in hits] == ["Забастовка на Казахмысе"]  # the new search index covers old rows
    archive.close()
    assert create_engine(url).connect().execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_digest_send_cli_delivers_and_keeps_the_file(tmp_path: Path, unused_port: int) -> None:
    from aiosmtpd.controller import Controller

    from tests.conftest import run_monitor

    inbox = _Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=unused_port)
    ctl.start()
    env = {
        "MONITOR_SMTP_HOST": "127.0.0.1",
        "MONITOR_SMTP_PORT": str(unused_port),
        "MONITOR_SMTP_TO": "desk@x.org",
        "MONITOR_SMTP_SECURITY": "none",
    }
    try:
        out = tmp_path / "d.html"
        result = run_monitor(
            "digest",
            "--db",
            f"sqlite:///{tmp_path / 'm.db'}",
            "--date",
            "2026-07-02",
            "--out",
            str(out),
            "--send",
            env=env,
        )
    finally:
        ctl.stop()
    assert result.returncode == 0, result.stderr
    assert out.exists() and len(inbox.messages) == 1
    result = run_monitor(
        "digest",
        "--db",
        f"sqlite:///{tmp_path / 'm.db'}",
        "--date",
        "2026-07-02",
        "--out",
        str(out),
        "--send",
        env={**env, "MONITOR_SMTP_PORT": str(unused_port)},
    )
    assert result.returncode == 1 and "failed after 3 attempts" in result.stderr and out.exists()
