"""Downloader middlewares: per-source counts for source health, Retry-After, and the route to the offline farm."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response


class SourceStatsMiddleware:
    """Downloader middleware: counts requests and response statuses per source."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceStatsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        source = request.meta.get("source")
        if source and self.stats is not None:
            self.stats.inc_value(f"monitor/{source}/requests")

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        source = request.meta.get("source")
        if source and self.stats is not None:
            self.stats.inc_value(f"monitor/{source}/status/{response.status}")
        return response


class FarmProxyMiddleware:
    """Sends requests for ``*.farm.test`` hosts through the offline farm (``MONITOR_FARM_PROXY``).

    The farm's sites have stable host names of their own; only the proxy's port changes between runs.
    """

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FarmProxyMiddleware:
        return cls(crawler.settings.get("MONITOR_FARM_PROXY", ""))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.proxy and (urlsplit(request.url).hostname or "").endswith(".farm.test"):
            request.meta["proxy"] = self.proxy


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, honouring ``Retry-After`` on 429 and 503: the site's download slot waits as long as the
    site asks (up to ``MONITOR_MAX_RETRY_AFTER`` seconds) before the retry goes out."""

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        if response.status in (429, 503) and not request.meta.get("dont_retry"):
            wait = _retry_after(response.headers.get(b"Retry-After"))
            if wait is not None and self.crawler.engine is not None:
                cap = self.crawler.settings.getfloat("MONITOR_MAX_RETRY_AFTER", 300)
                downloader = self.crawler.engine.downloader
                slot = downloader.slots.get(downloader.get_slot_key(request))
                if slot is not None:
                    slot.delay = max(slot.delay, min(wait, cap))
        return super().process_response(request, response)


def _retry_after(value: bytes | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
