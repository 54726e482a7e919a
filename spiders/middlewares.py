"""Downloader middlewares: per-source counts for source health, and the route to the offline farm."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
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
