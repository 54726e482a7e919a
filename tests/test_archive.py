"""The archive, against SQLite and the local PostgreSQL: idempotent writes, clear errors, migrations."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.archive.db import ArchiveError, current_revision, head_revision
from monitor.archive.models import Article, Classification, MatchRow
from monitor.archive.store import Archive
from monitor.process import FetchedPage, classify_article, extract_page

HTML = (
    "<html><head><title>Забастовка на Казахмысе</title>"
    "<meta property='article:published_time' content='2026-07-01T09:40:00+05:00'></head><body><article>"
    "<h1>Рабочие Казахмыса объявили забастовку</h1><p>Горняки рудника в Сатпаеве прекратили работу и требуют "
    "повысить зарплату. Забастовка продлится до ответа руководства корпорации «Казахмыс».</p><p>Акимат призвал "
    "стороны к переговорам, встреча назначена на 6 июля. Профсоюз заявил о давлении на активистов. "
    "Руководство корпорации от комментариев отказалось.</p>"
    "</article></body></html>"
)


def processed(url: str, html: str = HTML) -> object:
    page = FetchedPage(source="test", url=url, body=html.encode(), fetched_at=datetime(2026, 7, 2, tzinfo=UTC))
    return classify_article(extract_page(page))


def test_store_is_idempotent(any_archive: Archive) -> None:
    items = [processed("https://x.kz/1"), processed("https://x.kz/2")]
    first = any_archive.store_batch(items)  # type: ignore[arg-type]
    again = any_archive.store_batch(items)  # type: ignore[arg-type]
    assert len(first) == 2 and again == {}
    with any_archive.session() as s:
        assert s.scalar(select(func.count(Article.id))) == 2
        assert s.scalar(select(func.count()).select_from(Classification)) == 2
        art = s.scalars(select(Article).where(Article.url == "https://x.kz/1")).one()
        assert art.published_at == datetime(2026, 7, 1, 4, 40, tzinfo=UTC)
        assert zlib.decompress(art.raw_html).decode() == HTML
        assert s.scalar(select(func.count()).select_from(MatchRow).where(MatchRow.article_id == art.id)) > 3


def test_copies_are_linked_and_grouped_in_any_order(any_archive: Archive) -> None:
    copy = processed("https://agg.kz/copy")
    copy.fetched_at = datetime(2026, 7, 2, 9, tzinfo=UTC)  # type: ignore[attr-defined]
    copy.article.published_at = datetime(2026, 7, 1, 9, tzinfo=UTC)  # type: ignore[attr-defined]
    ids = any_archive.store_batch([copy])  # type: ignore[list-item]
    any_archive.group_stories(list(ids.values()))
    original = processed("https://x.kz/1")  # stored later, published earlier
    ids = any_archive.store_batch([original])  # type: ignore[list-item]
    any_archive.group_stories(list(ids.values()))
    any_archive.group_stories(list(ids.values()))  # idempotent
    with any_archive.session() as s:
        rows = {r.url: r for r in s.scalars(select(Article))}
        assert rows["https://agg.kz/copy"].duplicate_of_id == rows["https://x.kz/1"].id
        assert rows["https://agg.kz/copy"].relation == "exact" and rows["https://x.kz/1"].duplicate_of_id is None
        assert rows["https://agg.kz/copy"].story_id == rows["https://x.kz/1"].story_id is not None


def test_schema_is_at_head(any_archive: Archive) -> None:
    assert current_revision(any_archive.engine) == head_revision()


@pytest.mark.parametrize(
    "url", ["nosuchdriver://x", "postgresql+psycopg://127.0.0.1:1/none", "sqlite:////no/such/folder/x.db"]
)
def test_bad_database_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(ArchiveError):
        Archive.open(url)


def test_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ArchiveError, match="does not exist"):
        Archive.open(f"sqlite:///{tmp_path / 'file' / 'x.db'}")
