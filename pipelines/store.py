"""Storage: batched idempotent writes, story assignment, and the crawl run's per-source counts."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from monitor.archive.db import ArchiveError
from monitor.process import ProcessedArticle, Takedown
from pipelines._shared import crawl_archive

logger = logging.getLogger(__name__)
_PER_SOURCE_FIELDS = ("requests", "pages", "not_articles", "errors", "with_date")


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch: list[ProcessedArticle] = []
        self.batch_size = crawler.settings.getint("MONITOR_STORE_BATCH", 50)
        self.run_id = 0
        self.newest: dict[str, Any] = {}
        self.new_ids: list[int] = []
        self.failed = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.run_id = crawl_archive(self.crawler).start_run()

    def process_item(self, item: ProcessedArticle | Takedown) -> ProcessedArticle | Takedown:
        if self.failed:
            raise DropItem("the archive cannot be written; the crawl is stopping")
        stats = self.crawler.stats
        assert stats is not None
        if isinstance(item, Takedown):
            if crawl_archive(self.crawler).mark_removed(item.url):
                stats.inc_value(f"monitor/{item.source}/removed")
            return item
        if item.revisit:
            if crawl_archive(self.crawler).record_revisit(item):
                stats.inc_value(f"monitor/{item.source}/edited")
            return item
        self.batch.append(item)
        published = item.article.published_at
        if published and (item.source not in self.newest or published > self.newest[item.source]):
            self.newest[item.source] = published
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.batch or self.failed:
            return
        archive = crawl_archive(self.crawler)
        try:
            inserted = archive.store_batch(self.batch)
        except ArchiveError as exc:
            # a read-only or full disk: stop cleanly (the batch's transaction rolled back, nothing half-written)
            self.failed = str(exc)
            stats = self.crawler.stats
            assert stats is not None
            stats.set_value("monitor/archive_error", self.failed)
            logger.error("archive write failed, stopping the crawl: %s", exc)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_error"))
            return
        self.new_ids.extend(inserted.values())
        stats = self.crawler.stats
        assert stats is not None
        for item in self.batch:
            if item.url in inserted:
                stats.inc_value(f"monitor/{item.source}/articles_new")
        self.batch.clear()

    def close_spider(self) -> None:
        self.flush()
        if self.failed:
            return
        # grouping runs once all new articles are stored, so an original fetched after its reprint still leads
        crawl_archive(self.crawler).group_stories(self.new_ids)
        stats = self.crawler.stats
        assert stats is not None
        all_stats = stats.get_stats()
        per_source: dict[str, dict[str, Any]] = {}
        for name, value in all_stats.items():
            if not name.startswith("monitor/") or name.count("/") < 2:
                continue
            _, key, rest = name.split("/", 2)
            entry = per_source.setdefault(key, {"statuses": {}})
            if rest.startswith("status/"):
                entry["statuses"][rest.split("/", 1)[1]] = value
            elif rest in _PER_SOURCE_FIELDS:
                entry[rest] = value
            elif rest == "articles_new":
                entry["articles_new"] = value
        for key, entry in per_source.items():
            entry["newest_published_at"] = self.newest.get(key)
        failed = sum(e.get("errors", 0) for e in per_source.values())
        status = "partial" if failed else "ok"
        summary = {
            k: v for k, v in all_stats.items() if isinstance(v, int | float | str) and not k.startswith("monitor/")
        }
        summary["articles_new"] = len(self.new_ids)
        crawl_archive(self.crawler).finish_run(self.run_id, status, summary, per_source)
