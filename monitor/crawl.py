"""The crawl runner: the one module of ``monitor/`` that starts Scrapy.

It runs the project's spider (``spiders/``) with the project's settings (``settings.py``) from the repository
root, whatever the current directory, and reports progress and counts. Scrapy's reactor runs once per process:
call :func:`run_crawl` once per process (the CLI does).
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class CrawlSetupError(RuntimeError):
    """The Scrapy project cannot be loaded (a same-named module shadows it, or settings are broken)."""


def use_project() -> None:
    """Put the repository root first on ``sys.path`` and point Scrapy at its ``settings.py``.

    Guards against a ``settings``, ``spiders`` or ``pipelines`` package from site-packages shadowing ours.
    """
    root = str(ROOT)
    if sys.path[0] != root:
        sys.path.insert(0, root)
    os.environ["SCRAPY_SETTINGS_MODULE"] = "settings"
    for name in ("settings", "spiders", "pipelines"):
        module = sys.modules.get(name) or importlib.import_module(name)
        origin = Path(getattr(module, "__file__", "") or "").resolve()
        if ROOT not in origin.parents:
            raise CrawlSetupError(f"module {name!r} comes from {origin}, not from this project ({ROOT})")


@dataclass
class CrawlResult:
    pages: int
    articles_new: int
    errors: int
    finish_reason: str
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


def run_crawl(
    db: str,
    *,
    sources: str = "kz",
    farm_proxy: str = "",
    only: str = "",
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
) -> CrawlResult:
    """Crawl ``sources`` into the archive at ``db``; returns the counts once the crawl has finished."""
    use_project()
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("MONITOR_DB", db, priority="cmdline")
    if farm_proxy:
        settings.set("MONITOR_FARM_PROXY", farm_proxy, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")

    process = CrawlerProcess(settings)
    crawler = process.create_crawler("news")
    counters = {"pages": 0, "items": 0}
    bar = _Progress() if progress else None

    def on_response(**_: Any) -> None:
        counters["pages"] += 1
        if bar:
            bar.update(counters)

    def on_item(**_: Any) -> None:
        counters["items"] += 1
        if bar:
            bar.update(counters)

    crawler.signals.connect(on_response, signal=signals.response_received)
    crawler.signals.connect(on_item, signal=signals.item_scraped)
    if bar:
        bar.start()
    try:
        process.crawl(crawler, sources=sources, only=only)
        process.start()
    finally:
        if bar:
            bar.stop()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    per_source: dict[str, dict[str, int]] = {}
    for name, value in stats.items():
        if name.startswith("monitor/") and name.count("/") == 2 and isinstance(value, int):
            _, key, metric = name.split("/")
            per_source.setdefault(key, {})[metric] = value
    return CrawlResult(
        pages=int(stats.get("response_received_count", 0)),
        articles_new=sum(v.get("articles_new", 0) for v in per_source.values()),
        errors=sum(v.get("errors", 0) for v in per_source.values()),
        finish_reason=str(stats.get("finish_reason", "")),
        per_source=per_source,
        stats=stats,
    )


class _Progress:
    """A one-line live counter on stderr (quiet when stderr is not a terminal)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("crawling", total=None)

    def start(self) -> None:
        self.progress.start()

    def update(self, counters: dict[str, int]) -> None:
        self.progress.update(
            self.task, description=f"crawling: {counters['pages']} pages, {counters['items']} articles extracted"
        )

    def stop(self) -> None:
        self.progress.stop()
