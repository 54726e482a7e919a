from __future__ import annotations

from datetime import UTC, datetime

from monitor.discovery import feed_links_in_html, html_links, parse_feed, parse_sitemap, select_link

RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>
<item><title>A</title><link>https://x.kz/news/1</link><pubDate>Wed, 01 Jul 2026 09:40:00 +0500</pubDate></item>
<item><title>B & C</title><link>https://x.kz/news/2</link></item>
<item><title>bad</title><link>javascript:alert(1)</link></item>
<item><title>cut"""


def test_malformed_rss_still_yields_items_before_the_damage() -> None:
    links = parse_feed(RSS)
    assert [link.url for link in links] == ["https://x.kz/news/1", "https://x.kz/news/2"]
    assert links[0].published == datetime(2026, 7, 1, 4, 40, tzinfo=UTC)


def test_atom() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title>
    <link rel="alternate" href="/kz/1.html"/><published>2026-07-01T10:00:00+05:00</published></entry></feed>"""
    links = parse_feed(atom, "https://v.kz/feed/")
    assert [link.url for link in links] == ["https://v.kz/kz/1.html"]


def test_garbage_feed_is_empty_not_an_error() -> None:
    assert parse_feed(b"") == [] and parse_feed(b"<html><body>not a feed</body></html>") == []
    assert parse_feed(b"\x00\xff" * 50) == []


def test_sitemap_index_and_news_sitemap() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://x.kz/sitemap-news.xml</loc><lastmod>2026-07-02</lastmod></sitemap></sitemapindex>"""
    kind, links = parse_sitemap(index)
    assert kind == "index" and links[0].url == "https://x.kz/sitemap-news.xml"
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
    xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://x.kz/a/1</loc>
    <news:news><news:publication_date>2026-07-01T09:00:00+05:00</news:publication_date></news:news></url></urlset>"""
    kind, links = parse_sitemap(news)
    assert kind == "urlset" and links[0].published == datetime(2026, 7, 1, 4, 0, tzinfo=UTC)


def test_html_links_are_absolute_http_only() -> None:
    html = "<a href='/a'>a</a><a href='javascript:x()'>j</a><a href='data:text/html,x'>d</a><a href='#top'>t</a>"
    assert html_links(html, "https://x.kz/news/") == ["https://x.kz/a"]
    assert select_link("<a class='next' href='?page=2'>»</a>", "https://x.kz/lenta/", "a.next") == (
        "https://x.kz/lenta/?page=2"
    )
    assert select_link("<a class='next' href='javascript:x'>»</a>", "https://x.kz/", "a.next") is None


def test_feed_discovery_from_homepage() -> None:
    html = "<head><link rel='alternate' type='application/rss+xml' href='/feed/'></head>"
    assert feed_links_in_html(html, "https://vlast.kz/") == ["https://vlast.kz/feed/"]
