"""Classification: the same function as `monitor classify` and `monitor reprocess`."""

from __future__ import annotations

from monitor.process import ProcessedArticle, classify_article


class ClassifyPipeline:
    def process_item(self, item: ProcessedArticle) -> ProcessedArticle:
        return classify_article(item)
