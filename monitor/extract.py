"""Article extraction from HTML: no Scrapy here, so crawls, re-extraction of the archive and the CLI share it.

Order of trust for each field: per-site selectors from the sources config, then structured data (JSON-LD,
``og:`` and ``article:`` meta tags, ``<time datetime>``), then visible text (Russian and Kazakh dates), then
trafilatura for the body and htmldate for a date of last resort (marked low confidence).
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from lxml.cssselect import CSSSelector

from monitor.dates import parse_iso, parse_visible_date
from monitor.language import detect_language
from monitor.text import normalize_space

MAX_HTML_BYTES = 10 * 1024 * 1024  # larger pages are not articles; they are cut before parsing
MIN_ARTICLE_CHARS = 200  # shorter pages are teasers or stubs; agency wires run longer
_CHARSET_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
_ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle"}
_DATE_CLASSES = CSSSelector("[class*=date], [class*=time], [class*=Date], [class*=meta], [itemprop=datePublished]")
# comments dropped at parse time: React-style <!-- --> markers inside paragraphs otherwise cut the text short
# the parser trafilatura itself uses, so the tree can be handed to it without a second parse
_PARSER = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True)


def _text(node: Any) -> str:
    return "".join(node.itertext())


_BYLINE_LABEL = re.compile(r"^(Автор[ыі]?|Авторлар[ы]?|Avtor(lar[y]?)?|Authors?|By)\s*:?\s+", re.I)
_TITLE_SUFFIX = re.compile(r"\s+[|—–:-]{1,2}\s+[^|—–:]{2,40}$")


class ExtractionError(ValueError):
    """The input cannot be read as HTML at all."""


@dataclass(slots=True)
class ExtractedArticle:
    """What one page yields. ``is_article`` is False for listings, tag pages, empty and broken pages."""

    url: str
    title: str
    text: str
    lead: str
    author: str
    published_at: datetime | None
    updated_at: datetime | None
    language: str
    canonical_url: str | None
    is_article: bool
    date_source: str = ""  # jsonld | meta | time | selector | visible | htmldate | ""
    encoding: str = ""

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("published_at", "updated_at"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


def _lower_share(text: str) -> float:
    cyr = [c for c in text if "\u0400" <= c <= "\u04ff"]
    if not cyr:
        return 1.0
    return sum(1 for c in cyr if c.islower()) / len(cyr)


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode page bytes, surviving BOMs and charsets declared wrongly in the header or the meta tag.

    Valid UTF-8 wins (legacy Cyrillic bytes almost never validate as UTF-8); otherwise the declared and meta
    charsets and windows-1251 / KOI8-R are tried and the one that reads as normal Cyrillic (mostly lower-case;
    a KOI8/1251 mix-up swaps the case) is kept.
    """
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, errors="replace"), enc
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    m = _CHARSET_META.search(body[:4096])
    for name in (declared, m.group(1).decode("ascii", "ignore") if m else None, "windows-1251", "koi8-r"):
        if not name:
            continue
        try:
            norm = codecs.lookup(name).name
        except LookupError:
            continue
        if norm not in candidates and norm not in ("utf-8",):
            candidates.append(norm)
    best: tuple[float, str, str] | None = None
    for enc in candidates:
        try:
            text = body.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _lower_share(text[:20000])
        if best is None or score > best[0] + 0.05:
            best = (score, text, enc)
    if best is None:
        return body.decode("utf-8", errors="replace"), "utf-8"
    return best[1], best[2]


def _jsonld(tree: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(_text(node) or "")
        except (json.JSONDecodeError, ValueError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                out.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return out


def _meta(tree: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    for node in tree.xpath("//meta[@content]"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
        if key and key not in meta:
            meta[key] = node.get("content", "").strip()
    return meta


def _select(tree: Any, selector: str | None) -> list[Any]:
    if not selector:
        return []
    try:
        return list(CSSSelector(selector)(tree))
    except Exception:  # a bad selector in config must not stop the crawl; the generic path still runs
        return []


def _select_text(tree: Any, selector: str | None) -> str:
    parts = [normalize_space(_text(n)) for n in _select(tree, selector)]
    return "\n".join(p for p in parts if p)


def _select_body(tree: Any, selector: str | None, url: str) -> str:
    """The site's body container, cleaned by trafilatura: the selector says where the article is, trafilatura
    drops the share buttons, tags and promos nested inside it and keeps the paragraphs apart."""
    nodes = _select(tree, selector)
    if not nodes:
        return ""
    fragment = (
        "<html><body><article>"
        + "".join(etree.tostring(n, encoding="unicode", with_tail=False) for n in nodes)
        + "</article></body></html>"
    )
    text = trafilatura.extract(fragment, url=url or None, include_comments=False, fast=True) or ""
    if text:
        return text
    for n in nodes:  # trafilatura found nothing it trusts: fall back to the container's paragraphs
        for block in n.iter("p", "div", "br", "li", "h2", "h3"):
            block.tail = "\n" + (block.tail or "")
    return "\n".join(p for p in (normalize_space(_text(n)) for n in nodes) if p)


def _date_candidates(tree: Any, headline: Any) -> list[Any]:
    """Date-like elements, those after the headline first: a header's "today" must not beat the byline."""
    nodes: list[Any] = list(_DATE_CLASSES(tree))
    if headline is None or not nodes:
        return nodes[:10]
    order = {el: i for i, el in enumerate(tree.iter())}
    h = order.get(headline, 0)
    after = [n for n in nodes if order.get(n, 0) > h]
    before = [n for n in nodes if order.get(n, 0) <= h]
    return (after + before[::-1])[:10]


def _jsonld_types(item: dict[str, Any]) -> set[str]:
    t = item.get("@type")
    types = t if isinstance(t, list) else [t]
    return {str(x).lower() for x in types if x}


def _author(ld: list[dict[str, Any]], meta: dict[str, str], tree: Any) -> str:
    for item in ld:
        a = item.get("author")
        if isinstance(a, list) and a:
            a = a[0]
        if isinstance(a, dict) and a.get("name"):
            return str(a["name"]).strip()
        if isinstance(a, str) and a.strip():
            return a.strip()
    if meta.get("author"):
        return meta["author"]
    for node in tree.xpath('//*[contains(@class,"author")]'):
        txt = normalize_space(_text(node))
        if 2 < len(txt) < 80:
            return _BYLINE_LABEL.sub("", txt)
    return ""


def _headline_link_chars(tree: Any) -> int:
    """Characters of headline-like link text (≥ 25 chars) when a page has at least five such links, else 0.

    A page whose extracted text is mostly such links is a listing, tag or index page, not an article.
    """
    body = tree.find("body")
    if body is None:
        return 0
    long_links = [n for n in (len(" ".join(_text(a).split())) for a in body.iter("a")) if n >= 25]
    return sum(long_links) if len(long_links) >= 5 else 0


def extract(
    html: str | bytes,
    url: str = "",
    *,
    selectors: dict[str, str] | None = None,
    declared_encoding: str | None = None,
    now: datetime | None = None,
) -> ExtractedArticle:
    """Extract one article. Raises :class:`ExtractionError` only when the input is not HTML at all."""
    selectors = selectors or {}
    encoding = ""
    if isinstance(html, bytes):
        html, encoding = decode_html(html[:MAX_HTML_BYTES], declared_encoding)
    html = html[:MAX_HTML_BYTES].replace("\x00", "")
    if not html.strip():
        return ExtractedArticle(url, "", "", "", "", None, None, "unknown", None, False, encoding=encoding)
    try:
        tree = lxml.html.fromstring(html, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ExtractionError(f"not HTML: {exc}") from exc
    if tree is None:
        return ExtractedArticle(url, "", "", "", "", None, None, "unknown", None, False, encoding=encoding)

    ld = _jsonld(tree)
    meta = _meta(tree)
    ld_article = next((x for x in ld if _jsonld_types(x) & _ARTICLE_TYPES), {})

    canonical = None
    for node in tree.xpath('//link[@rel="canonical"][@href]'):
        canonical = node.get("href").strip() or None
        break
    canonical = canonical or meta.get("og:url") or None

    h1 = tree.xpath("//h1")
    title = (
        _select_text(tree, selectors.get("title"))
        or str(ld_article.get("headline") or "").strip()
        or meta.get("og:title", "")
        or (normalize_space(_text(h1[0])) if h1 else "")
    )
    if not title:
        t = tree.find(".//title")
        title = _TITLE_SUFFIX.sub("", normalize_space(_text(t))) if t is not None and t.text else ""
    title = normalize_space(title)[:500]

    published, source = None, ""
    if selectors.get("date"):
        published = parse_visible_date(_select_text(tree, selectors["date"]), now)
        source = "selector" if published else ""
    if published is None and ld_article.get("datePublished"):
        published, source = parse_iso(str(ld_article["datePublished"])), "jsonld"
    if published is None:
        for key in ("article:published_time", "og:article:published_time", "datepublished", "pubdate"):
            if meta.get(key):
                published, source = parse_iso(meta[key]), "meta"
                if published:
                    break
    if published is None:
        for node in tree.xpath("//time[@datetime]"):
            published, source = parse_iso(node.get("datetime", "")), "time"
            if published:
                break
    if published is None:
        for node in _date_candidates(tree, h1[0] if h1 else None):
            published = parse_visible_date(normalize_space(_text(node))[:120], now)
            if published:
                source = "visible"
                break
    updated = None
    if ld_article.get("dateModified"):
        updated = parse_iso(str(ld_article["dateModified"]))
    elif meta.get("article:modified_time"):
        updated = parse_iso(meta["article:modified_time"])

    author = _author(ld, meta, tree)
    og_type = meta.get("og:type", "").lower()
    lead = meta.get("description", "") or meta.get("og:description", "")

    if published is None:
        # markup-only search: scanning free text costs ~9 ms a page and guesses from bare years (FINDINGS.md);
        # Russian and Kazakh visible dates were already read above. On the intact tree, before trafilatura.
        found = find_date(
            tree, url=url or None, original_date=True, extensive_search=False, outputformat="%Y-%m-%dT%H:%M:%S%z"
        )
        if found:
            published, source = parse_iso(found), "htmldate"
    link_chars = _headline_link_chars(tree)
    text = _select_body(tree, selectors.get("body"), url)
    if not text:
        # trafilatura cleans the tree in place: it runs last, on the tree we are done with
        text = trafilatura.extract(tree, url=url or None, include_comments=False, fast=True) or ""
    text = normalize_space(text)
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:
        text = rest  # the headline repeated at the top of the body
    if not lead:
        lead = text.split("\n", 1)[0][:400] if text else ""

    lang = detect_language(text[:2000], title).language
    declared_article = og_type == "article" or bool(ld_article)
    is_article = bool(title) and len(text) >= MIN_ARTICLE_CHARS and link_chars <= 0.5 * len(text)
    if declared_article and title and len(text) >= MIN_ARTICLE_CHARS // 2:
        is_article = True
    return ExtractedArticle(
        url=url,
        title=title,
        text=text,
        lead=normalize_space(lead),
        author=author,
        published_at=published,
        updated_at=updated,
        language=lang,
        canonical_url=canonical,
        is_article=is_article,
        date_source=source,
        encoding=encoding,
    )
