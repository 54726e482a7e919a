"""The real-outlet sources file (monitor/sources/kz.yaml): loads, is complete, and its article patterns fit the
URL shapes recorded in /work/shared/sites.md (article URLs match, listing/sitemap/pagination URLs do not)."""

from __future__ import annotations

import re

import pytest

from monitor.sources import load_sources

SOURCES = {s.key: s for s in load_sources("kz")}

# (source key, article URL of the shape sites.md states, non-article URL of the same site)
CASES = [
    (
        "tengrinews-ru",
        "https://tengrinews.kz/kazakhstan_news/knb-nachal-proverku-po-nurlanu-saburovu-592758/",
        "https://tengrinews.kz/news/page/2/",
    ),
    (
        "tengrinews-kk",
        "https://kaz.tengrinews.kz/kazakhstan_news/aral-tenznde-su-kolem-ulgaydyi-364674/",
        "https://kaz.tengrinews.kz/news/",
    ),
    (
        "zakon-ru",
        "https://www.zakon.kz/6456789-slug.html",
        "https://www.zakon.kz/news/?handler=LoadMoreNews&p=2&type=list",
    ),
    ("zakon-kk", "https://kaz.zakon.kz/6456789-slug.html", "https://kaz.zakon.kz/news/"),
    ("nur-ru", "https://www.nur.kz/politics/kazakhstan/2145678-some-slug/", "https://www.nur.kz/politics/kazakhstan/"),
    (
        "nur-kk",
        "https://kaz.nur.kz/politics/kazakhstan/2145678-some-slug/",
        "https://kaz.nur.kz/article-index-sitemap.xml",
    ),
    ("inform-ru", "https://www.inform.kz/ru/some-slug-1241ee", "https://www.inform.kz/lenta/"),
    ("inform-ru", "https://www.inform.kz/ru/some-old-slug_a3456789", "https://www.inform.kz/ru/"),
    (
        "inform-qz",
        "https://qz.inform.kz/news/prezidenttn-ulttik-kuriltaydin-besnsh-otirisinda-soylegen-soz-1241ee/",
        "https://qz.inform.kz/lenta/",
    ),
    ("azattyq-ru", "https://rus.azattyq.org/a/some-slug/32912345.html", "https://rus.azattyq.org/s?k=test"),
    ("azattyq-kk", "https://www.azattyq.org/a/33012345.html", "https://www.azattyq.org/api/"),
    ("kursiv", "https://kz.kursiv.media/2024-04-18/some-slug/", "https://kz.kursiv.media/page/2/"),
    ("kursiv", "https://kz.kursiv.media/kk/2024-04-18/some-slug/", "https://kz.kursiv.media/en/2024-04-18/some-slug/"),
    ("vlast", "https://vlast.kz/novosti/61234-slug.html", "https://vlast.kz/novosti/2/?archive=1"),
    ("vlast", "https://vlast.kz/kz/vlast-qazaqsha/61234-slug.html", "https://vlast.kz/vlast-qazaqsha/?archive=1"),
    ("ulysmedia", "https://ulysmedia.kz/news/12345-slug/", "https://ulysmedia.kz/news/"),
    ("orda-ru", "https://orda.kz/some-slug-412345", "https://orda.kz/sitemap/sitemap_news1.xml"),
    ("orda-ru", "https://orda.kz/some-slug-412345/", "https://orda.kz/some-slug__trashed-412345/"),
    ("orda-kk", "https://kaz.orda.kz/some-slug-412345", "https://kaz.orda.kz/"),
    ("informburo", "https://informburo.kz/novosti/some-slug", "https://informburo.kz/novosti"),
    ("egemen-kk", "https://egemen.kz/article/365432-slug", "https://egemen.kz/search?month=2&year=2025&page=2"),
    ("egemen-lat", "https://lat.egemen.kz/article/365432-slug", "https://lat.egemen.kz/sitemap.xml"),
    ("kazpravda", "https://kazpravda.kz/n/some-slug/", "https://kazpravda.kz/archive/?date=2025-01-01"),
    ("khabar", "https://khabar.kz/ru/news/obshchestvo/123456-slug", "https://khabar.kz/ru/news?start=20"),
    ("khabar", "https://khabar.kz/kk/news/qogam/123456-slug", "https://khabar.kz/kk/xml-karta"),
    ("sputnik-ru", "https://ru.sputnik.kz/20250115/slug-12345678.html", "https://ru.sputnik.kz/sitemap_archive.xml"),
    ("sputnik-kk", "https://sputnik.kz/20250115/slug-12345678.html", "https://sputnik.kz/"),
    ("adyrna", "https://www.adyrna.kz/lt/post/123456", "https://www.adyrna.kz/lt"),
    ("abai", "https://abai.kz/index.php/tt/post/12345", "https://abai.kz/"),
    ("qamshy", "https://qamshy.kz/latyn/article/12345-slug", "https://qamshy.kz/"),
    ("caravan", "https://caravan.kz/news/some-slug-123456/", "https://caravan.kz/news/"),
    ("smi24", "https://smi24.kz/ru/politics/kz/some-slug-12345/amp", "https://smi24.kz/ru/"),
    ("globalnews", "https://globalnews.kz/some-slug/amp", "https://globalnews.kz/"),
    ("kt", "https://kt.kz/eng/society/some_slug_1153712345.html", "https://www.kt.kz/"),
    ("inkaraganda", "https://inkaraganda.kz/main_news/some-slug/", "https://inkaraganda.kz/main_news/page/2/"),
    ("saryarqa", "https://saryarqa.info/news/sajasat/12345-slug", "https://saryarqa.info/news/sajasat?page=2"),
    ("baribar", "https://baribar.kz/123456/some-slug/", "https://baribar.kz/tag/zhezqazghan"),
]


def _accepts(key: str, url: str) -> bool:
    src = SOURCES[key]
    if not re.search(src.article_pattern, url):
        return False
    return not (src.exclude_pattern and re.search(src.exclude_pattern, url))


def test_loads_enough_unique_sources() -> None:
    sources = load_sources("kz")
    assert len(sources) >= 25
    keys = [s.key for s in sources]
    assert len(keys) == len(set(keys))
    assert all(s.enabled for s in sources)


def test_every_source_has_a_discovery_method() -> None:
    for src in SOURCES.values():
        assert src.methods(), src.key


def test_dead_feeds_not_configured() -> None:
    dead = {"https://tengrinews.kz/rss/", "https://www.zakon.kz/rss", "https://vlast.kz/rss", "https://forbes.kz/rss"}
    feeds = {f.rstrip("/") for s in SOURCES.values() for f in s.feeds}
    assert not feeds & {d.rstrip("/") for d in dead}


def test_templates_have_placeholders() -> None:
    for src in SOURCES.values():
        for listing in src.listings:
            if listing.pagination:
                assert "{n}" in listing.pagination, src.key
        if src.search:
            assert "{q}" in src.search.url, src.key


@pytest.mark.parametrize(("key", "article", "other"), CASES)
def test_article_pattern(key: str, article: str, other: str) -> None:
    assert _accepts(key, article), f"{key} should accept {article}"
    assert not _accepts(key, other), f"{key} should reject {other}"


@pytest.mark.parametrize(("key", "article", "other"), CASES)
def test_article_belongs_to_one_source(key: str, article: str, other: str) -> None:
    owners = {k for k in SOURCES if _accepts(k, article)}
    assert owners == {key}


def test_listing_urls_are_not_articles() -> None:
    for src in SOURCES.values():
        for listing in src.listings:
            urls = [listing.url]
            if listing.pagination:
                urls.append(listing.pagination.replace("{n}", "2"))
            for url in urls:
                assert not _accepts(src.key, url), f"{src.key}: listing {url} looks like an article"
