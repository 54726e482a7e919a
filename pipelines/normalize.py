"""Extraction: a fetched page becomes an article, or is dropped (and counted) as not one."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.process import FetchedPage, NotAnArticle, ProcessedArticle, Takedown, extract_page, is_challenge


class NormalizePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    def process_item(self, item: FetchedPage) -> ProcessedArticle | Takedown:
        stats = self.crawler.stats
        assert stats is not None
        if item.revisit and item.status in (404, 410):
            stats.inc_value(f"monitor/{item.source}/takedowns")
            return Takedown(item.source, item.requested_url or item.url, item.status)
        stats.inc_value(f"monitor/{item.source}/pages")
        try:
            processed = extract_page(item)
        except NotAnArticle as exc:
            stats.inc_value(f"monitor/{item.source}/not_articles")
            if item.status == 200 and is_challenge(item.body):
                stats.inc_value(f"monitor/{item.source}/status/challenge")
            raise DropItem(f"{item.url}: {exc}") from exc
        if processed.article.published_at is not None:
            stats.inc_value(f"monitor/{item.source}/with_date")
        return processed
