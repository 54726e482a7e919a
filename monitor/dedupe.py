"""Deduplication against the archive and within a crawl: same URL (or canonical URL) and same text."""

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

    def check(self, item: ProcessedArticle) -> bool:
        """False when the URL is known (drop it); otherwise record it and link an exact copy to its original."""
        if item.url in self.urls or item.canonical_url in self.urls:
            return False
        self.urls.add(item.url)
        self.urls.add(item.canonical_url)
        original = self.hashes.get(item.content_hash)
        if original is not None and original != item.url:
            item.duplicate_of_url = original
            item.relation = "exact"
        else:
            self.hashes[item.content_hash] = item.url
            if item.reprint_of:
                item.duplicate_of_url = item.reprint_of
                item.relation = "near"  # declared a copy by its canonical link, text differs
        return True
