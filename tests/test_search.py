"""Archive search on SQLite (FTS5) and PostgreSQL (tsvector): inflections, scripts, phrases, hostile queries."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest

from monitor.archive.store import Archive
from monitor.process import FetchedPage, classify_article, extract_page
from monitor.search import Filters, QueryError, parse_query, search, snippet

DOCS = {
    "https://a.kz/1": (
        "Забастовка на руднике Казахмыса",
        "Горняки рудника корпорации «Казахмыса» в Сатпаеве объявили "
        "забастовку и требуют повышения зарплаты. Акимат ведёт переговоры с рабочими.",
    ),
    "https://b.kz/2": (
        "Қазақмыстың кеншілері ереуілге шықты",
        "Жезқазғандағы Қазақмыстың кеншілері жалақыны көтеруді "
        "талап етіп ереуілге шықты. Әкімдік жұмысшылармен кездесті, ереуіл жалғасуда.",
    ),
    "https://c.kz/3": (
        "Слухи о комендантском часе в Жезказгане",
        "Жители Жезказгана обсуждают слухи о введении "
        "комендантского часа. Рабочие Kazakhmys готовятся к митингу, акимат слухи опровергает.",
    ),
    "https://d.kz/4": (
        "Курс тенге укрепился",
        "Национальный банк сообщил, что курс тенге укрепился на бирже, "
        "аналитики ждут стабильности до конца месяца, инфляция замедлилась.",
    ),
}


FILLER = "Редакция продолжит следить за развитием событий и сообщит подробности, когда они появятся."


@pytest.fixture
def filled(any_archive: Archive) -> Archive:
    items = []
    for url, (title, body) in DOCS.items():
        html = (
            f"<html><head><title>{title}</title><meta property='article:published_time' "
            f"content='2026-07-01T10:00:00+05:00'></head><body><h1>{title}</h1><p>{body}</p><p>{FILLER}</p></body></html>"
        )
        page = FetchedPage(source="t", url=url, body=html.encode(), fetched_at=datetime(2026, 7, 2, tzinfo=UTC))
        items.append(classify_article(extract_page(page)))
    any_archive.store_batch(items)
    return any_archive


def urls(archive: Archive, query: str, **kw: object) -> set[str]:
    with archive.engine.connect() as conn:
        hits, total = search(conn, query, Filters(relevant_only=False, **kw))  # type: ignore[arg-type]
    assert total == len(hits)
    return {h.url for h in hits}


@pytest.mark.parametrize("query", ["Казахмыс", "Қазақмыс", "Kazakhmys", "казахмыса"])
def test_one_name_in_every_form_and_script(filled: Archive, query: str) -> None:
    assert urls(filled, query) == {"https://a.kz/1", "https://b.kz/2", "https://c.kz/3"}


def test_kazakh_suffixes_and_phrases(filled: Archive) -> None:
    assert urls(filled, "Жезқазғанда") == {"https://b.kz/2", "https://c.kz/3"}
    assert urls(filled, '"комендантский час"') == {"https://c.kz/3"}
    assert urls(filled, "забастовка -Сатпаев") == set()
    assert urls(filled, "ереуіл") == {"https://b.kz/2"}


def test_filters(filled: Archive) -> None:
    assert urls(filled, "Казахмыс", language="kk") == {"https://b.kz/2"}
    assert urls(filled, "Казахмыс", since=datetime(2026, 7, 3, tzinfo=UTC)) == set()
    with filled.engine.connect() as conn:
        relevant, _ = search(conn, "курс", Filters())
    assert relevant == []  # the currency story is in the archive but not relevant


@pytest.mark.parametrize("query", ['"unbalanced', "AND OR NOT (", "'; DROP TABLE articles;--", "NEAR(x y)", "a*b*c*"])
def test_hostile_queries_never_raise_sql_errors(filled: Archive, query: str) -> None:
    with contextlib.suppress(QueryError):
        urls(filled, query)
    assert urls(filled, "Казахмыс")  # the archive is intact


def test_empty_query_is_a_clear_error() -> None:
    with pytest.raises(QueryError, match="no words"):
        parse_query('  "" !!! ')


def test_snippet_highlights_the_original_spelling() -> None:
    text = "Вчера рабочие Қазақмыстың зауытында жиналды."
    assert "[Қазақмыстың]" in snippet(text, parse_query("Казахмыс").highlight)
