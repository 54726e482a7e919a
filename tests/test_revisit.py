"""Revisits: relevant articles are fetched again 1 and 7 days after publication; an edit is kept as a version,
a takedown (404/410) marks the article removed and keeps its last copy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from monitor.archive.models import Article, ArticleVersion, Classification
from monitor.archive.store import Archive
from monitor.farm import FarmServer
from monitor.farm.server import Page
from tests.conftest import run_monitor

pytestmark = pytest.mark.slow


@pytest.fixture
def own_farm() -> Iterator[FarmServer]:
    server = FarmServer(0).start()  # this test edits pages: a farm of its own
    yield server
    server.stop()


def test_edit_and_takedown(tmp_path: Path, own_farm: FarmServer) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    env = {"MONITOR_FARM_PROXY": own_farm.proxy, "MONITOR_AUTOTHROTTLE": "0"}
    assert run_monitor("crawl", "--sources", "farm", "--db", db, env=env).returncode in (0, 1)
    edited = own_farm.farm.get("kazlenta/troops-camp-zhezkazgan")
    gone = own_farm.farm.get("vestnik/curfew-rumours-zhezkazgan")
    assert edited is not None and gone is not None
    edited_url, gone_url = own_farm.url_of(edited), own_farm.url_of(gone)

    archive = Archive.open(db)
    yesterday = datetime.now(UTC) - timedelta(days=1, hours=2)
    with archive.session() as s, s.begin():
        s.execute(update(Article).where(Article.url.in_([edited_url, gone_url])).values(published_at=yesterday))
        old_text = s.scalars(select(Article.text).where(Article.url == edited_url)).one()
    assert {u for u, _ in archive.due_revisits(datetime.now(UTC))} == {edited_url, gone_url}

    body = own_farm.app.handle(edited.path).body.replace(
        edited.paragraphs[0][:40].encode(),
        "ОБНОВЛЕНО: колонна покинула лагерь. ".encode() + edited.paragraphs[0][:40].encode(),
    )
    own_farm.app._cache[edited.path] = Page(200, body)
    own_farm.app._cache[gone.path] = Page(410, b"<html><body>Gone</body></html>")

    result = run_monitor("crawl", "--sources", "farm", "--db", db, env=env)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    with archive.session() as s:
        art = s.scalars(select(Article).where(Article.url == edited_url)).one()
        assert "ОБНОВЛЕНО" in art.text and art.revisited_at is not None
        versions = s.scalars(select(ArticleVersion).where(ArticleVersion.article_id == art.id)).all()
        assert [v.text for v in versions] == [old_text]
        assert s.get(Classification, art.id) is not None
        removed = s.scalars(select(Article).where(Article.url == gone_url)).one()
        assert removed.status == "removed" and removed.removed_at is not None and removed.text  # last copy kept
    assert archive.due_revisits(datetime.now(UTC)) == []  # done until the 7-day mark
    archive.close()
