"""scrapy-redis, bridged to the Scrapy this project pins (2.19).

scrapy-redis 0.9.1 predates Scrapy 2.13's ``async def start()`` and still fingerprints requests its own way.
Only its scheduler and duplicate filter are used (not its spider mixin, whose ``start_requests`` Scrapy 2.16
removed — scrapy-redis issues 305 and 317, PR 316): every process runs the ordinary :class:`NewsSpider`, whose
start requests pass through the shared queue and the shared duplicate filter like any other request.

Bridged here, each checked by tests/test_scale_out.py against a real Redis:

* fingerprints come from the crawler's own request fingerprinter, so Redis and Scrapy agree on what "seen" means;
* the seen-set gets a time to live, refreshed on every write, so it does not grow forever across nightly runs;
* the scheduler is built through ``from_crawler`` and keeps the crawler for the dupefilter.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler


class ExpiringDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """The shared seen-set, with Scrapy's fingerprints and a time to live."""

    crawler: Crawler | None = None
    ttl: int = 20 * 3600

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExpiringDupeFilter:
        df: ExpiringDupeFilter = super().from_crawler(crawler)
        df.crawler = crawler
        df.ttl = crawler.settings.getint("MONITOR_DUPEFILTER_TTL", cls.ttl)
        return df

    @classmethod
    def from_spider(cls, spider: Any) -> ExpiringDupeFilter:
        df: ExpiringDupeFilter = super().from_spider(spider)
        df.crawler = spider.crawler
        df.ttl = spider.crawler.settings.getint("MONITOR_DUPEFILTER_TTL", cls.ttl)
        return df

    def request_fingerprint(self, request: Request) -> str:
        if self.crawler is not None and getattr(self.crawler, "request_fingerprinter", None) is not None:
            return str(self.crawler.request_fingerprinter.fingerprint(request).hex())
        return str(super().request_fingerprint(request))

    def request_seen(self, request: Request) -> bool:
        seen = bool(super().request_seen(request))
        if not seen:
            self.server.expire(self.key, self.ttl)
        return seen

    def log(self, request: Request, spider: Any = None) -> None:
        super().log(request, spider)


class SharedScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler; ``open`` tolerates being called without a spider (Scrapy ≥ 2.13)."""

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        sched: SharedScheduler = super().from_crawler(crawler)
        sched.crawler = crawler
        return sched

    def open(self, spider: Any = None) -> Any:
        spider = spider or (self.crawler.spider if self.crawler is not None else None)
        return super().open(spider)
