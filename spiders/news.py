"""The one generic spider: discovers articles of every configured source and hands their HTML to the pipelines.

Each source (``monitor/sources/*.yaml``) lists its discovery entry points. They are tried in order — feed, sitemap,
listing pages, site search — and the next method is started when the current one found nothing, or when every
link it found was new (the feed may not reach back far enough), or when the previous crawl was interrupted. Known
URLs are skipped before fetching; feeds and sitemaps are fetched conditionally (ETag / Last-Modified).
Parsing lives in :mod:`monitor.discovery`; this module only schedules requests.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from monitor.archive.store import Archive
from monitor.discovery import html_links, parse_feed, parse_sitemap, select_link
from monitor.lexicon import default_lexicons
from monitor.process import FetchedPage
from monitor.sources import SourceConfig, load_sources
from monitor.urls import canonical_url

# Error answers an article callback sees (to count them and to notice takedowns); redirects are still followed.
ARTICLE_STATUSES = [400, 401, 403, 404, 410, 429, 451, 500, 502, 503, 504]


@dataclass
class _MethodState:
    pending: int = 0
    found: int = 0
    new: int = 0
    done: bool = False


@dataclass
class _SourceState:
    config: SourceConfig
    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None
    methods: list[str]
    current: int = 0
    states: dict[str, _MethodState] = field(default_factory=dict)


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, sources: str = "kz", only: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sources_arg = sources
        self.only = {k.strip() for k in only.split(",") if k.strip()}
        self.known: set[str] = set()
        self.scheduled: set[str] = set()
        self.per_source: dict[str, int] = {}
        self.validators: dict[str, tuple[str | None, str | None]] = {}
        self.exhaustive = False  # after an interrupted run: every discovery method of every source
        self.new_validators: dict[str, tuple[str | None, str | None]] = {}
        self.state: dict[str, _SourceState] = {}

    def configs(self) -> list[SourceConfig]:
        configs = load_sources(self.sources_arg)
        return [c for c in configs if c.enabled and (not self.only or c.key in self.only)]

    async def start(self) -> AsyncIterator[Request]:
        archive = Archive.open(self.settings.get("MONITOR_DB"))
        configs = self.configs()
        try:
            self.known = archive.known_urls()
            self.validators = archive.validators()
            self.exhaustive = archive.previous_run_interrupted()
            due = archive.due_revisits(datetime.now(UTC)) if self.settings.getbool("MONITOR_REVISIT", True) else []
        finally:
            archive.close()
        keys = {c.key for c in configs}
        for url, source in due:
            if source in keys:
                self.crawler.stats.inc_value(f"monitor/{source}/revisits")
                yield Request(
                    url,
                    self.parse_article,
                    errback=self.on_error,
                    dont_filter=True,
                    meta={"source": source, "revisit": True, "handle_httpstatus_list": ARTICLE_STATUSES},
                )
        for cfg in configs:
            st = _SourceState(
                cfg,
                re.compile(cfg.article_pattern),
                re.compile(cfg.exclude_pattern) if cfg.exclude_pattern else None,
                cfg.methods(),
            )
            self.state[cfg.key] = st
            for req in self._start_method(st):
                yield req

    # ------------------------------------------------------------------ method bookkeeping
    def _start_method(self, st: _SourceState) -> Iterator[Request]:
        while st.current < len(st.methods):
            method = st.methods[st.current]
            reqs = list(self._entry_requests(st.config, method))
            st.states[method] = _MethodState(pending=len(reqs))
            if reqs:
                self.crawler.stats.inc_value(f"monitor/{st.config.key}/method/{method}")
                yield from reqs
                return
            st.current += 1

    def _entry_requests(self, cfg: SourceConfig, method: str) -> Iterator[Request]:
        meta = {"source": cfg.key, "method": method, "handle_httpstatus_list": [304]}
        if method == "feed":
            for url in cfg.feeds:
                yield Request(
                    url,
                    self.parse_feed,
                    errback=self.on_error,
                    meta=meta,
                    dont_filter=True,
                    headers=self._conditional(url),
                )
        elif method == "sitemap":
            for url in cfg.sitemaps:
                yield Request(
                    url,
                    self.parse_sitemap,
                    errback=self.on_error,
                    meta=meta,
                    dont_filter=True,
                    headers=self._conditional(url),
                )
        elif method == "listing":
            for listing in cfg.listings:
                yield Request(
                    listing.url,
                    self.parse_listing,
                    errback=self.on_error,
                    dont_filter=True,
                    meta={**meta, "page": 1, "listing": listing.model_dump()},
                )
        elif method == "search" and cfg.search is not None:
            for term in default_lexicons().search_terms():
                url = cfg.search.url.replace("{q}", quote(term))
                yield Request(url, self.parse_search, errback=self.on_error, meta={**meta, "page": 1})

    def _since(self) -> datetime | None:
        value = self.settings.get("MONITOR_SINCE", "")
        return datetime.fromisoformat(value) if value else None

    def _conditional(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a feed or sitemap fetched before: 304 means nothing new."""
        etag, modified = self.validators.get(url, (None, None))
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        return headers

    def _unchanged(self, response: Response) -> bool:
        """Remember the response's validators; True when it is a 304 (the feed has not changed)."""
        if response.status == 304:
            self.crawler.stats.inc_value(f"monitor/{response.meta['source']}/not_modified")
            st = self.state.get(response.meta["source"])
            if st is not None:  # nothing new, and known to be so: not a reason to try the next method
                ms = st.states.setdefault(response.meta["method"], _MethodState())
                ms.found += 1
            return True
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        if etag or modified:
            self.new_validators[response.url] = (
                etag.decode("latin-1") if etag else None,
                modified.decode("latin-1") if modified else None,
            )
        return False

    def closed(self, reason: str) -> None:
        archive = Archive.open(self.settings.get("MONITOR_DB"), migrate=False)
        try:
            archive.save_validators(self.new_validators)
        finally:
            archive.close()

    def _method_done(self, source: str, method: str) -> Iterator[Request]:
        """Called once per finished entry request; moves to the next method when this one is exhausted."""
        st = self.state.get(source)
        if st is None:
            return
        ms = st.states.get(method)
        if ms is None:
            return
        ms.pending -= 1
        if ms.pending > 0 or ms.done:
            return
        ms.done = True
        self.logger.info("source %s: %s found %d links (%d new)", source, method, ms.found, ms.new)
        if ms.found == 0 or ms.new == ms.found or self.exhaustive:
            st.current = st.methods.index(method) + 1
            yield from self._start_method(st)

    def _more(self, response: Response, n: int = 1) -> None:
        """A callback scheduled ``n`` more requests that belong to the same method."""
        st = self.state.get(response.meta["source"])
        if st is not None:
            # with a shared queue (scrapy-redis) this process may be handling another process's request
            st.states.setdefault(response.meta["method"], _MethodState()).pending += n

    # ------------------------------------------------------------------ article links
    def _article_requests(
        self, response: Response, urls: list[str], dates: dict[str, datetime | None] | None = None
    ) -> Iterator[Request]:
        source = response.meta["source"]
        st = self.state[source]
        ms = st.states.setdefault(response.meta["method"], _MethodState())
        since = self._since()
        for url in urls:
            if not st.pattern.search(url) or (st.exclude and st.exclude.search(url)):
                continue
            published = (dates or {}).get(url)
            if since is not None and published is not None and published < since:
                self.crawler.stats.inc_value(f"monitor/{source}/older_than_since")
                continue  # the feed or sitemap dates it before the window (--since / --backfill)
            ms.found += 1
            canon = canonical_url(url)
            if url in self.known or canon in self.known:
                self.crawler.stats.inc_value(f"monitor/{source}/skipped_known")
                continue
            ms.new += 1
            if canon in self.scheduled:
                continue
            limit = self.settings.getint("MONITOR_MAX_PER_SOURCE", 0)
            if limit and self.per_source.get(source, 0) >= limit:
                self.crawler.stats.inc_value(f"monitor/{source}/over_limit")
                continue
            self.per_source[source] = self.per_source.get(source, 0) + 1
            self.scheduled.add(canon)
            yield Request(
                url,
                self.parse_article,
                errback=self.on_error,
                meta={
                    "source": source,
                    "discovered_by": response.meta["method"],
                    "handle_httpstatus_list": ARTICLE_STATUSES,
                },
            )

    # ------------------------------------------------------------------ callbacks
    def parse_feed(self, response: Response) -> Iterator[Request]:
        if self._unchanged(response):
            yield from self._method_done(response.meta["source"], "feed")
            return
        links = parse_feed(response.body, response.url)
        if not links:
            self.crawler.stats.inc_value(f"monitor/{response.meta['source']}/empty_feed")
        yield from self._article_requests(response, [link.url for link in links], {x.url: x.published for x in links})
        yield from self._method_done(response.meta["source"], "feed")

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if self._unchanged(response):
            yield from self._method_done(response.meta["source"], "sitemap")
            return
        kind, links = parse_sitemap(response.body, response.url)
        if kind == "index":
            children = [link for link in links if "news" in link.url] or links
            self._more(response, len(children))
            for link in children:
                yield Request(link.url, self.parse_sitemap, errback=self.on_error, meta=response.meta, dont_filter=True)
        else:
            dates = {x.url: x.published for x in links}
            yield from self._article_requests(response, [link.url for link in links], dates)
        yield from self._method_done(response.meta["source"], "sitemap")

    def parse_listing(self, response: Response) -> Iterator[Request]:
        page = response.meta["page"]
        listing = response.meta["listing"]
        links = html_links(response.body, response.url)
        reqs = list(self._article_requests(response, links))
        yield from reqs
        if reqs and page < listing["max_pages"]:
            nxt = None
            if listing.get("pagination"):
                nxt = listing["pagination"].replace("{n}", str(page + 1))
            elif listing.get("next_selector"):
                nxt = select_link(response.body, response.url, listing["next_selector"])
            if nxt:
                self._more(response)
                yield response.follow(
                    nxt, self.parse_listing, errback=self.on_error, meta={**response.meta, "page": page + 1}
                )
        yield from self._method_done(response.meta["source"], "listing")

    def parse_search(self, response: Response) -> Iterator[Request]:
        page = response.meta["page"]
        cfg = self.state[response.meta["source"]].config
        reqs = list(self._article_requests(response, html_links(response.body, response.url)))
        yield from reqs
        if cfg.search and cfg.search.next_selector and page < cfg.search.max_pages:
            nxt = select_link(response.body, response.url, cfg.search.next_selector)
            if nxt:
                self._more(response)
                yield response.follow(
                    nxt, self.parse_search, errback=self.on_error, meta={**response.meta, "page": page + 1}
                )
        yield from self._method_done(response.meta["source"], "search")

    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        redirects = response.meta.get("redirect_urls") or []
        st = self.state.get(response.meta["source"])
        if redirects and st is not None and not st.pattern.search(response.url):
            # redirected off the site, or to a page that is not an article: not this source's article
            self.crawler.stats.inc_value(f"monitor/{response.meta['source']}/redirected_away")
            return
        yield FetchedPage(
            source=response.meta["source"],
            url=response.url,
            body=response.body,
            status=response.status,
            declared_encoding=_header_charset(response),
            discovered_by=response.meta.get("discovered_by", ""),
            requested_url=redirects[0] if redirects else response.url,
            selectors={str(k): v for k, v in self.state[response.meta["source"]].config.selectors.items()},
            revisit=bool(response.meta.get("revisit")),
        )

    def on_error(self, failure: Failure) -> Iterator[Request]:
        request = failure.request  # type: ignore[attr-defined]
        source = request.meta.get("source", "?")
        self.crawler.stats.inc_value(f"monitor/{source}/errors")
        self.crawler.stats.inc_value(f"monitor/{source}/error/{getattr(failure.type, '__name__', 'Error')}")
        self.logger.warning("source %s: %s failed: %s", source, request.url, failure.getErrorMessage())
        method = request.meta.get("method")
        if method and request.callback != self.parse_article:
            yield from self._method_done(source, method)


def _header_charset(response: Response) -> str | None:
    ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    m = re.search(r"charset=([\w-]+)", ctype, re.I)
    return m.group(1) if m else None
