"""Deduplication: one row per URL; exact copies of stored text are counted (and linked after storing)."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.dedupe import ExactIndex
from monitor.process import ProcessedArticle, Takedown
from pipelines._shared import crawl_archive


class DedupePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.index = ExactIndex()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.index.load(crawl_archive(self.crawler))

    def process_item(self, item: ProcessedArticle | Takedown) -> ProcessedArticle | Takedown:
        if isinstance(item, Takedown) or item.revisit:
            return item  # a stored article fetched again on purpose
        stats = self.crawler.stats
        assert stats is not None
        verdict = self.index.check(item)
        if verdict == "seen":
            stats.inc_value(f"monitor/{item.source}/duplicate_url")
            raise DropItem(f"{item.url}: URL stored already")
        if verdict == "copy":
            stats.inc_value(f"monitor/{item.source}/exact_copies")  # stored, and linked to its original later
        return item
