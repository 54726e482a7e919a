"""Probe each configured entry point of the sources (``monitor sources check --probe``), for users online."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from monitor.discovery import html_links, parse_feed, parse_sitemap
from monitor.sources import SourceConfig

USER_AGENT = "kz-labour-monitor/0.1 (source probe)"


@dataclass(frozen=True)
class ProbeResult:
    source: str
    method: str
    url: str
    ok: bool
    result: str


def _fetch(url: str, timeout: float) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(5_000_000)
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def probe_sources(configs: list[SourceConfig], timeout: float = 15.0) -> Iterator[ProbeResult]:
    """One result per entry point: HTTP status and how many article links it yields."""
    for cfg in configs:
        import re

        pattern = re.compile(cfg.article_pattern)
        points = [("feed", u) for u in cfg.feeds] + [("sitemap", u) for u in cfg.sitemaps]
        points += [("listing", listing.url) for listing in cfg.listings]
        if cfg.search:
            points.append(("search", cfg.search.url.replace("{q}", "Kazakhmys")))
        for method, url in points:
            try:
                status, body = _fetch(url, timeout)
            except (OSError, ValueError) as exc:
                yield ProbeResult(cfg.key, method, url, False, f"DOWN ({exc})")
                continue
            if status >= 400:
                yield ProbeResult(cfg.key, method, url, False, f"HTTP {status}")
                continue
            if method == "feed":
                links = [link.url for link in parse_feed(body, url)]
            elif method == "sitemap":
                links = [link.url for link in parse_sitemap(body, url)[1]]
            else:
                links = html_links(body, url)
            articles = [u for u in links if pattern.search(u)]
            ok = bool(articles) or (method == "sitemap" and bool(links))
            yield ProbeResult(cfg.key, method, url, ok, f"HTTP {status}, {len(links)} links, {len(articles)} articles")
