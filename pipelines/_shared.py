"""What the pipelines share: one archive handle per crawl."""

from __future__ import annotations

from scrapy.crawler import Crawler

from monitor.archive.store import Archive


def crawl_archive(crawler: Crawler) -> Archive:
    """The crawl's archive (opened and migrated once, on first use)."""
    archive: Archive | None = getattr(crawler, "monitor_archive", None)
    if archive is None:
        archive = Archive.open(crawler.settings.get("MONITOR_DB"))
        crawler.monitor_archive = archive  # type: ignore[attr-defined]
    return archive
