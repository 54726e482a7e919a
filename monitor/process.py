"""One code path from a fetched page to an archive-ready article.

The crawl's pipelines, ``monitor reprocess`` and ``monitor classify`` all call these functions; the Scrapy
pipelines are thin adapters over them.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from monitor.classify import Classification, classify
from monitor.extract import ExtractedArticle, ExtractionError, extract
from monitor.text import fold_text
from monitor.urls import canonical_url


@dataclass(slots=True)
class FetchedPage:
    """A page as the crawler got it: what the spider hands to the pipelines."""

    source: str
    url: str  # final URL after redirects
    body: bytes = field(repr=False)
    status: int = 200
    declared_encoding: str | None = None
    discovered_by: str = ""
    requested_url: str = ""
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    selectors: dict[str, str] = field(default_factory=dict)
    revisit: bool = False  # a stored article fetched again to catch edits and takedowns


@dataclass(slots=True)
class Takedown:
    """A stored article that now answers 404/410: it is marked removed, its last copy kept."""

    source: str
    url: str
    status: int


@dataclass(slots=True)
class ProcessedArticle:
    """An extracted, classified article ready to store."""

    source: str
    url: str
    canonical_url: str
    article: ExtractedArticle = field(repr=False)
    content_hash: str
    raw_html: bytes = field(repr=False)  # zlib-compressed
    fetched_at: datetime
    discovered_by: str = ""
    redirected_from: str = ""
    reprint_of: str = ""  # canonical URL on another site that this page declares as its original
    classification: Classification | None = None
    revisit: bool = False


class NotAnArticle(ValueError):
    """The page is not an article (listing, empty, broken); the message says why."""


_HASH_WORDS = re.compile(r"\w+")
_CHALLENGE = re.compile(
    r"captcha|cf-challenge|cf_chl_|checking your browser|just a moment\.\.\.|ddos-guard|проверка браузера|"
    r"подтвердите, что вы не робот"
)


def is_challenge(body: bytes) -> bool:
    """A bot-challenge page answering 200 (captcha, "checking your browser"): the source is blocking us."""
    return len(body) < 200_000 and bool(_CHALLENGE.search(body[:50_000].decode("utf-8", "ignore").lower()))


def content_hash(title: str, text: str) -> str:
    """Hash of the normalised body (folded words), so the same text with other markup or spacing matches.

    The title is used only when there is no body: reprints often retitle the same text.
    """
    words = _HASH_WORDS.findall(fold_text(text or title))
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


def extract_page(page: FetchedPage, now: datetime | None = None) -> ProcessedArticle:
    """Extract a fetched page; raise :class:`NotAnArticle` for pages that must not be stored."""
    if page.status >= 400:
        raise NotAnArticle(f"HTTP {page.status}")
    if not page.body.strip():
        raise NotAnArticle("empty body")
    try:
        art = extract(
            page.body,
            page.url,
            selectors=page.selectors,
            declared_encoding=page.declared_encoding,
            now=now or page.fetched_at,
        )
    except ExtractionError as exc:
        raise NotAnArticle(str(exc)) from exc
    if not art.is_article:
        raise NotAnArticle("not an article (listing, index or too little text)")
    own = canonical_url(page.url)
    declared = canonical_url(art.canonical_url, base=page.url) if art.canonical_url else own
    # A canonical link to another site marks a reprint, not this page's identity: aggregators point at the
    # original, and the desk wants to see that the aggregator carried the story too.
    cross_site = urlsplit(declared).netloc != urlsplit(own).netloc
    return ProcessedArticle(
        source=page.source,
        url=page.url,
        canonical_url=own if cross_site else declared,
        article=art,
        content_hash=content_hash(art.title, art.text),
        raw_html=zlib.compress(page.body, 6),
        fetched_at=page.fetched_at,
        discovered_by=page.discovered_by,
        redirected_from=page.requested_url if page.requested_url and page.requested_url != page.url else "",
        reprint_of=declared if cross_site else "",
        revisit=page.revisit,
    )


def classify_article(item: ProcessedArticle) -> ProcessedArticle:
    """Attach the classification (same function as ``monitor classify`` and ``monitor reprocess``)."""
    art = item.article
    item.classification = classify(art.title, art.text, art.published_at or item.fetched_at)
    return item
