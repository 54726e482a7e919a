"""Deduplication: one article per URL (or canonical URL); copies of stored text are recognised by hash.

The pipeline drops URLs it has seen; linking copies to their original and grouping stories happens after storing
(:meth:`monitor.archive.store.Archive.group_stories`), when every article of the crawl is in the archive, so an
original that arrives after its reprint still becomes the story's first publisher.
"""

from __future__ import annotations

from monitor.archive.store import Archive
from monitor.process import ProcessedArticle


class ExactIndex:
    """URLs, canonical URLs and content hashes seen so far (archive + this run)."""

    def __init__(self) -> None:
        self.urls: set[str] = set()
        self.hashes: dict[str, str] = {}  # content hash → URL of the original

    def load(self, archive: Archive) -> None:
        self.urls |= archive.known_urls()
        for h, (_id, url) in archive.hashes().items():
            self.hashes.setdefault(h, url)

    def check(self, item: ProcessedArticle) -> str:
        """``"seen"`` when the URL is known (drop it), ``"copy"`` for the text of a known article, else ``"new"``."""
        if item.url in self.urls or item.canonical_url in self.urls:
            return "seen"
        self.urls.add(item.url)
        self.urls.add(item.canonical_url)
        if item.content_hash in self.hashes:
            return "copy"
        self.hashes[item.content_hash] = item.url
        return "new"
