"""Source health: does each source still work, so a blocked site is never mistaken for a quiet news day.

Per source, from its latest crawl-run row and its own history:

* **DOWN** — requests went out, nothing came back (DNS, refused connections, timeouts, 5xx only);
* **BLOCKED** — mostly 403/429 answers, or challenge pages that answer 200 (captcha, "checking your browser");
* **BROKEN** — pages arrive but yield far fewer articles with a date than this source's own history: a layout change;
* **STALE** — nothing new for much longer than the source's usual cadence;
* **EMPTY** — everything answered, nothing new this run;
* **OK** — otherwise.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from monitor.archive.models import Article, CrawlRun, CrawlSourceStats, Source
from monitor.archive.store import Archive

STATUSES = ("OK", "EMPTY", "STALE", "BROKEN", "BLOCKED", "DOWN")
HISTORY_RUNS = 10
BROKEN_FRACTION = 0.5  # yield below half the source's usual yield
MIN_STALE = timedelta(days=2)


@dataclass
class SourceHealth:
    source: str
    status: str
    detail: str
    requests: int
    statuses: dict[str, int]
    pages: int
    articles_new: int
    yield_ratio: float | None
    date_coverage: float | None
    newest_published_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["newest_published_at"] = self.newest_published_at.isoformat() if self.newest_published_at else None
        return d


def _yield(row: CrawlSourceStats) -> float | None:
    return (row.pages - row.not_articles) / row.pages if row.pages else None


def assess_row(
    row: CrawlSourceStats,
    history: list[CrawlSourceStats],
    newest: datetime | None,
    cadence: timedelta | None,
    now: datetime,
) -> tuple[str, str]:
    """The status of one source for one run, and a one-line reason."""
    statuses = {str(k): int(v) for k, v in (row.statuses or {}).items()}
    answered = sum(v for k, v in statuses.items() if k.isdigit())
    challenges = statuses.get("challenge", 0)  # counted among the 200s too: a challenge page answers 200
    ok_answers = sum(v for k, v in statuses.items() if k.isdigit() and int(k) < 400) - challenges
    blocked = statuses.get("403", 0) + statuses.get("429", 0) + challenges
    if (
        row.requests
        and ok_answers == 0
        and (
            row.errors
            or not answered
            or answered == sum(v for k, v in statuses.items() if k.isdigit() and int(k) >= 500)
        )
    ):
        return "DOWN", f"{row.requests} requests, {row.errors} failed, no page answered"
    if blocked and blocked >= max(1, ok_answers):
        return "BLOCKED", f"{blocked} of {answered} answers were 403/429 or challenge pages"
    current = _yield(row)
    past = [y for y in (_yield(h) for h in history) if y is not None]
    if current is not None and row.pages >= 3 and len(past) >= 3:
        usual = statistics.median(past)
        if current < BROKEN_FRACTION * usual:
            return "BROKEN", f"extraction yield {current:.0%} against its usual {usual:.0%}: layout change?"
    extracted = row.pages - row.not_articles
    if extracted >= 3 and row.with_date / extracted < 0.5 and len(past) >= 3:
        return "BROKEN", f"only {row.with_date} of {extracted} articles had a publication date"
    if newest is not None:
        allowed = max(MIN_STALE, 4 * cadence) if cadence else MIN_STALE * 3
        if now - newest > allowed:
            return "STALE", f"newest article {(now - newest).days} days old (usual gap {cadence or 'unknown'})"
    if row.errors >= max(2, row.pages) and row.articles_new == 0:
        return "BROKEN", f"{row.errors} downloads failed (too large, cut off, refused) and nothing was stored"
    if row.articles_new == 0:
        return "EMPTY", "answered normally, nothing new"
    return "OK", f"{row.articles_new} new articles"


def assess(archive: Archive, now: datetime | None = None) -> list[SourceHealth]:
    """Health of every source seen in the latest finished crawl run."""
    now = now or datetime.now(UTC)
    with archive.session() as s:
        run = s.scalars(select(CrawlRun).where(CrawlRun.finished_at.is_not(None)).order_by(CrawlRun.id.desc())).first()
        if run is None:
            return []
        rows = list(
            s.scalars(
                select(CrawlSourceStats).where(CrawlSourceStats.run_id == run.id).order_by(CrawlSourceStats.source_key)
            )
        )
        out = []
        for row in rows:
            history = list(
                s.scalars(
                    select(CrawlSourceStats)
                    .where(CrawlSourceStats.source_key == row.source_key, CrawlSourceStats.run_id < run.id)
                    .order_by(CrawlSourceStats.run_id.desc())
                    .limit(HISTORY_RUNS)
                )
            )
            times = list(
                s.scalars(
                    select(Article.published_at)
                    .join(Source)
                    .where(Source.key == row.source_key, Article.published_at.is_not(None))
                    .order_by(Article.published_at.desc())
                    .limit(30)
                )
            )
            stamps = [t for t in times if t is not None]
            newest = stamps[0] if stamps else None
            gaps = sorted(a - b for a, b in itertools.pairwise(stamps))
            cadence = gaps[len(gaps) // 2] if gaps else None  # the median gap between articles
            status, detail = assess_row(row, history, newest, cadence, now)
            extracted = row.pages - row.not_articles
            out.append(
                SourceHealth(
                    source=row.source_key,
                    status=status,
                    detail=detail,
                    requests=row.requests,
                    statuses={str(k): int(v) for k, v in (row.statuses or {}).items()},
                    pages=row.pages,
                    articles_new=row.articles_new,
                    yield_ratio=_yield(row),
                    date_coverage=(row.with_date / extracted) if extracted else None,
                    newest_published_at=newest,
                )
            )
        return out
