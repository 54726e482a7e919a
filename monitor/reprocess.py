"""Re-classify the stored archive with the current lexicons — the crawl's own code path, batch by batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from monitor.archive.models import Article
from monitor.archive.store import Archive
from monitor.classify import classify


@dataclass
class ReprocessReport:
    total: int = 0
    changed: int = 0
    newly_relevant: list[tuple[int, str]] = field(default_factory=list)
    no_longer_relevant: list[tuple[int, str]] = field(default_factory=list)
    severity_changed: int = 0


def reprocess(
    archive: Archive,
    *,
    since: datetime | None = None,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> ReprocessReport:
    """Classify every stored article again (published or fetched since ``since``) and store the new decisions.

    ``progress(done, total)`` is called after each batch. Each batch is one transaction: an interrupted run leaves
    every article with either its old or its new classification, never none.
    """
    report = ReprocessReport()
    when = Article.published_at
    query = select(Article.id).order_by(Article.id)
    if since is not None:
        query = query.where((when >= since) | (when.is_(None) & (Article.fetched_at >= since)))
    with archive.session() as s:
        ids = list(s.scalars(query))
    report.total = len(ids)
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with archive.session() as s, s.begin():
            arts = s.scalars(
                select(Article).where(Article.id.in_(chunk)).options(selectinload(Article.classification))
            ).all()
            for art in arts:
                old = art.classification
                new = classify(art.title, art.text, art.published_at or art.fetched_at)
                was = bool(old and old.relevant)
                if was != new.relevant:
                    (report.newly_relevant if new.relevant else report.no_longer_relevant).append((art.id, art.title))
                if old is None or was != new.relevant or old.severity != new.severity or old.topics != new.topics:
                    report.changed += 1
                if old is not None and old.severity != new.severity:
                    report.severity_changed += 1
                art.language = new.language
                Archive.write_classification(s, art.id, new)
        if progress:
            progress(min(start + batch, len(ids)), len(ids))
    return report
