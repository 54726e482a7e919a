"""Digest rendering: sections in order, hostile input escaped, only http(s) links, an empty day said plainly."""

from __future__ import annotations

from datetime import UTC, date, datetime

from monitor.archive.store import Archive
from monitor.digest import build_digest, render
from monitor.process import FetchedPage, classify_article, extract_page

DAY = date(2026, 7, 2)


def _page(url: str, title: str, body: str, when: str = "2026-07-02T09:00:00+05:00") -> FetchedPage:
    html = (
        f"<html><head><title>{title}</title><meta property='article:published_time' content='{when}'></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )
    return FetchedPage(source="test", url=url, body=html.encode(), fetched_at=datetime(2026, 7, 2, 6, tzinfo=UTC))


ALARM_BODY = (
    "<p>Колонна Национальной гвардии разбила палаточный лагерь у въезда в Жезказган накануне митинга горняков "
    "корпорации Казахмыс. Митинг назначен на 6 июля у Дворца металлургов.</p><p>На дороге в Сатпаев выставлены "
    "блокпосты полиции. Жители опасаются введения комендантского часа.</p>"
)


def _store(archive: Archive, *pages: FetchedPage) -> None:
    items = [classify_article(extract_page(p)) for p in pages]
    ids = archive.store_batch(items)
    archive.group_stories(list(ids.values()))


def test_sections_in_order_with_alarm_first(archive: Archive) -> None:
    _store(archive, _page("https://x.kz/troops", "Войска у Жезказгана", ALARM_BODY))
    d = build_digest(archive, DAY)
    assert [s.title for s in d.alarms] == ["Войска у Жезказгана"]
    assert d.upcoming and d.upcoming[0].date == "2026-07-06" and d.upcoming[0].days_left == 4
    html = render(d, "html")
    order = [html.index(f'id="{sec}"') for sec in ("alarms", "upcoming", "health", "footer")]
    assert order == sorted(order)
    assert "https://x.kz/troops" in html
    for fmt, alarms, upcoming in (("md", "## Alarms", "## Upcoming"), ("txt", "== ALARMS", "== UPCOMING")):
        text = render(d, fmt)
        assert "Войска у Жезказгана" in text and text.index(alarms) < text.index(upcoming)


def test_hostile_title_is_escaped_everywhere(archive: Archive) -> None:
    hostile = "<script>alert(1)</script> Забастовка"
    _store(archive, _page("https://x.kz/evil", hostile.replace("<", "&lt;").replace(">", "&gt;"), ALARM_BODY))
    d = build_digest(archive, DAY)
    assert d.alarms[0].title == hostile
    html = render(d, "html")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = render(d, "md")
    assert "<script>" not in md


def test_non_http_links_are_not_rendered(archive: Archive) -> None:
    _store(archive, _page("javascript:alert(document.cookie)", "Войска у Жезказгана", ALARM_BODY))
    d = build_digest(archive, DAY)
    assert d.alarms[0].url is None and d.alarms[0].sources[0].url is None
    for fmt in ("html", "md", "txt"):
        out = render(d, fmt)
        assert "javascript:" not in out and "None" not in out


def test_empty_day_says_so(archive: Archive) -> None:
    d = build_digest(archive, DAY)
    assert d.empty
    assert "Nothing relevant was published in this window." in render(d, "html")
    assert "ничего по теме не опубликовано" in render(build_digest(archive, DAY, lang="ru"), "txt")


def test_russian_option_keeps_source_titles(archive: Archive) -> None:
    _store(archive, _page("https://x.kz/troops", "Войска у Жезказгана", ALARM_BODY))
    html = render(build_digest(archive, DAY, lang="ru"), "html")
    assert "Тревога" in html and "Войска у Жезказгана" in html and "Alarms" not in html
