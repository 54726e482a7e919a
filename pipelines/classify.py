"""Classification: the same function as `monitor classify` and `monitor reprocess`."""

from __future__ import annotations

from monitor.process import ProcessedArticle, Takedown, classify_article


class ClassifyPipeline:
    def process_item(self, item: ProcessedArticle | Takedown) -> ProcessedArticle | Takedown:
        return item if isinstance(item, Takedown) else classify_article(item)
