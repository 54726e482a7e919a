"""Finding article links: RSS/Atom feeds, sitemaps (indexes and news sitemaps) and HTML pages.

Plain functions over bytes, so the spider stays a thin adapter and tests need no network. Malformed XML is read
with lxml's recovering parser: a feed with a stray ``&`` or a cut-off tail still yields the items before the damage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from monitor.dates import parse_iso
from monitor.urls import is_http_url

MAX_XML_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    published: datetime | None = None


def _xml_root(body: bytes) -> etree._Element | None:
    body = body[:MAX_XML_BYTES].lstrip()
    if not body:
        return None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _local(tag: object) -> str:
    return str(etree.QName(tag).localname).lower() if isinstance(tag, str) else ""


def _child_text(el: etree._Element, *names: str) -> str:
    for child in el:
        if _local(child.tag) in names and child.text:
            return str(child.text).strip()
    return ""


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)
        return parse_iso(dt.isoformat())
    except (TypeError, ValueError, IndexError):
        return parse_iso(value)


def parse_feed(body: bytes, base_url: str = "") -> list[Link]:
    """Article links of an RSS 2.0 / RSS 1.0 / Atom feed, newest first as listed. Never raises."""
    root = _xml_root(body)
    if root is None:
        return []
    links: list[Link] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "item":
            url = _child_text(el, "link") or _child_text(el, "guid")
            date = _parse_date(_child_text(el, "pubdate", "date", "published", "updated"))
        elif name == "entry":
            url = ""
            for child in el:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate" and child.get("href"):
                    url = child.get("href", "")
                    break
            date = _parse_date(_child_text(el, "published", "updated"))
        else:
            continue
        url = urljoin(base_url, url.strip()) if url else ""
        if url and is_http_url(url):
            links.append(Link(url, date))
    return links


def parse_sitemap(body: bytes, base_url: str = "") -> tuple[str, list[Link]]:
    """``("index", child sitemaps)`` or ``("urlset", page links)`` with ``lastmod`` (or news publication date)."""
    root = _xml_root(body)
    if root is None:
        return "urlset", []
    kind = "index" if _local(root.tag) == "sitemapindex" else "urlset"
    links: list[Link] = []
    for el in root:
        if _local(el.tag) not in ("sitemap", "url"):
            continue
        loc = _child_text(el, "loc")
        date = _parse_date(_child_text(el, "lastmod"))
        for sub in el.iter():
            if _local(sub.tag) == "publication_date" and sub.text:
                date = _parse_date(sub.text.strip()) or date
        url = urljoin(base_url, loc)
        if loc and is_http_url(url):
            links.append(Link(url, date))
    return kind, links


def html_links(body: bytes | str, base_url: str) -> list[str]:
    """Absolute http(s) links of an HTML page, in page order, without repeats or fragments."""
    try:
        tree = lxml.html.document_fromstring(body) if body else None
    except (etree.ParserError, ValueError):
        return []
    if tree is None:
        return []
    seen: set[str] = set()
    out: list[str] = []
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        url = urljoin(base_url, href).split("#", 1)[0]
        if is_http_url(url) and url not in seen:
            seen.add(url)
            out.append(url)
    return out


def select_link(body: bytes | str, base_url: str, selector: str) -> str | None:
    """The first link matching a CSS selector (a "next page" link), absolute, or None."""
    try:
        tree = lxml.html.document_fromstring(body)
        nodes = CSSSelector(selector)(tree)
    except Exception:  # malformed page or selector: no next page, never a crash
        return None
    for node in nodes:
        href = node.get("href")
        if href:
            url = urljoin(base_url, href.strip())
            return url if is_http_url(url) else None
    return None


def feed_links_in_html(body: bytes | str, base_url: str) -> list[str]:
    """Feeds announced with ``<link rel="alternate" type="application/rss+xml">`` (feed discovery)."""
    try:
        tree = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    out = []
    for link in tree.xpath('//link[@rel="alternate"][@href]'):
        if re.search(r"(rss|atom)\+xml", link.get("type", "")):
            out.append(urljoin(base_url, link.get("href")))
    return out
