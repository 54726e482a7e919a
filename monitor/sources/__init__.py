"""The sources registry: one entry per site, as data (``monitor/sources/*.yaml``), schema-checked.

``farm.yaml`` holds the offline farm's sites (hosts under ``farm.test``, reached through the farm as a proxy);
``kz.yaml`` holds the real Russian- and Kazakh-language outlets. Adding a site is an edit to a YAML file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SOURCES_DIR = Path(__file__).parent
DISCOVERY_ORDER = ("feed", "sitemap", "listing", "search")


class SourceConfigError(ValueError):
    """A sources file is malformed; the message names the file and the entry."""


class Listing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    pagination: str | None = None  # URL template with {n} for page n (n ≥ 2)
    next_selector: str | None = None  # or a CSS selector for the "next page" link
    max_pages: int = Field(default=10, ge=1, le=500)


class Search(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str  # template with {q}
    max_pages: int = Field(default=3, ge=1, le=50)
    next_selector: str | None = None


class Politeness(BaseModel):
    model_config = ConfigDict(extra="forbid")

    download_delay: float | None = Field(default=None, ge=0)
    concurrency: int | None = Field(default=None, ge=1, le=32)


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str
    base_url: str
    languages: list[Literal["ru", "kk", "en"]]
    enabled: bool = True
    feeds: list[str] = []
    sitemaps: list[str] = []
    listings: list[Listing] = []
    search: Search | None = None
    article_pattern: str  # regex a URL must match (re.search) to be fetched as an article
    exclude_pattern: str | None = None
    selectors: dict[Literal["title", "body", "date", "author"], str] = {}
    politeness: Politeness = Politeness()
    notes: str = ""

    @field_validator("article_pattern", "exclude_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("must start with http:// or https://")
        return value

    def methods(self) -> list[str]:
        """Discovery methods this source offers, in the order they are tried."""
        have = {
            "feed": bool(self.feeds),
            "sitemap": bool(self.sitemaps),
            "listing": bool(self.listings),
            "search": self.search is not None,
        }
        return [m for m in DISCOVERY_ORDER if have[m]]


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig]


def _read(path: Path) -> list[SourceConfig]:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourceConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        return SourcesFile.model_validate(raw).sources
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            where = ""
            if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
                entries = raw.get("sources") if isinstance(raw, dict) else None
                item = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
                where = f"entry {loc[1]} ({item.get('key', '?') if isinstance(item, dict) else '?'}) "
                loc = loc[2:]
            problems.append(f"{where}{'.'.join(map(str, loc))}: {err['msg']}")
        raise SourceConfigError(f"{path}: " + "; ".join(problems)) from exc


TEST_ONLY = ("faults.yaml",)  # the fault farm's misbehaving sites: crawled by name (--sources faults) only


def source_files(which: str = "all") -> list[Path]:
    """``farm``, ``kz``, ``faults``, ``all`` (every file here but the fault farm's) or a path to a YAML file."""
    if which == "all":
        return sorted(p for p in SOURCES_DIR.glob("*.yaml") if p.name not in TEST_ONLY)
    candidate = SOURCES_DIR / f"{which}.yaml"
    if candidate.exists():
        return [candidate]
    path = Path(which)
    if path.exists():
        return [path]
    raise SourceConfigError(f"no sources file {which!r} (known: {', '.join(p.stem for p in source_files())})")


def load_sources(which: str = "all") -> list[SourceConfig]:
    """Load and check sources; keys must be unique across files."""
    out: list[SourceConfig] = []
    seen: dict[str, Path] = {}
    for path in source_files(which):
        for src in _read(path):
            if src.key in seen:
                raise SourceConfigError(f"{path}: entry {src.key}: duplicate key (also in {seen[src.key].name})")
            seen[src.key] = path
            out.append(src)
    return out


def politeness_slots() -> dict[str, dict[str, float | int]]:
    """Scrapy DOWNLOAD_SLOTS from every source's ``politeness`` (host → delay / concurrency)."""
    from urllib.parse import urlsplit

    slots: dict[str, dict[str, float | int]] = {}
    try:
        configs = load_sources("all")
    except SourceConfigError:
        return slots  # a broken file is reported by the crawl and by `monitor sources check`, not here
    for cfg in configs:
        host = urlsplit(cfg.base_url).hostname or ""
        slot: dict[str, float | int] = {}
        if cfg.politeness.download_delay is not None:
            slot["delay"] = cfg.politeness.download_delay
        if cfg.politeness.concurrency is not None:
            slot["concurrency"] = cfg.politeness.concurrency
        if host and slot:
            slots[host] = slot
    return slots
