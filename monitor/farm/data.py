"""The farm's content: article files with front matter, the sites, and the farm clock."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from monitor.dates import ALMATY

FARM_DIR = Path(__file__).parent
ARTICLES_DIR = FARM_DIR / "articles"
DEFAULT_TODAY = date(2026, 7, 2)
_FRONT = re.compile(r"^---\n(.*?)\n---\n?(.*)$", re.S)


class FarmDataError(ValueError):
    """An article file is malformed; the message names the file."""


@dataclass(frozen=True)
class Site:
    key: str
    name: str
    language: str
    encoding: str = "utf-8"
    per_page: int = 10


SITES: dict[str, Site] = {
    s.key: s
    for s in (
        Site("kazlenta", "KazLenta", "ru"),
        Site("vestnik", "Сарыарка Вестник", "ru", encoding="windows-1251"),
        Site("ulytau", "Ұлытау жаңалықтары", "kk"),
        Site("dalavlast", "Dala Vlast", "ru,kk"),
        Site("qtag", "QazTAG", "ru"),
        Site("agg", "СМИ-Агрегатор", "ru,kk"),
    )
}


@dataclass(frozen=True)
class FarmArticle:
    """One article of the farm, with its place on the farm clock."""

    site: str
    id: str
    lang: str
    title: str
    paragraphs: tuple[str, ...]
    published_local: datetime  # aware, Asia/Almaty
    number: int  # numeric id in URLs, stable per article
    lead: str = ""
    author: str = ""
    section: str = ""
    story: str | None = None
    labels: dict[str, Any] = field(default_factory=dict)
    reprint_of: str | None = None
    reprint: str | None = None
    canonical: bool = False

    @property
    def key(self) -> str:
        return f"{self.site}/{self.id}"

    @property
    def path(self) -> str:
        """Path of the article page on the farm (without host)."""
        n, i = self.number, self.id
        if self.site == "kazlenta":
            return f"/kazlenta/news/{n}-{i}/"
        if self.site == "vestnik":
            return f"/vestnik/main_news/{i}/"
        if self.site == "ulytau":
            return f"/ulytau/article/{n}-{i}"
        if self.site == "dalavlast":
            section = "ru/novosti" if self.lang == "ru" else "kz/zhanalyqtar"
            return f"/dalavlast/{section}/{n}-{i}.html"
        if self.site == "qtag":
            return f"/qtag/wire/{n}-{i}.html"
        return f"/agg/{'ru' if self.lang == 'ru' else 'kz'}/news/{i}-{n}/"

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _number(key: str) -> int:
    return 100000 + zlib.crc32(key.encode()) % 900000


def _parse(path: Path, site: str, today: date) -> FarmArticle:
    raw = path.read_text(encoding="utf-8")
    m = _FRONT.match(raw)
    if not m:
        raise FarmDataError(f"{path}: no front matter (--- … ---)")
    try:
        fm = yaml.safe_load(m.group(1)) or {}
        hh, mm = (int(x) for x in str(fm["time"]).split(":"))
        day = today - timedelta(days=int(fm["days_ago"]))
        paragraphs = tuple(p.strip() for p in re.split(r"\n\s*\n", m.group(2).strip()) if p.strip())
        return FarmArticle(
            site=site,
            id=str(fm["id"]),
            lang=str(fm["lang"]),
            title=str(fm["title"]),
            paragraphs=paragraphs,
            published_local=datetime.combine(day, time(hh, mm), tzinfo=ALMATY),
            number=_number(f"{site}/{fm['id']}"),
            lead=str(fm.get("lead") or ""),
            author=str(fm.get("author") or ""),
            section=str(fm.get("section") or ""),
            story=fm.get("story"),
            labels=dict(fm.get("labels") or {}),
            reprint_of=fm.get("reprint_of"),
            reprint=fm.get("reprint"),
            canonical=bool(fm.get("canonical", False)),
        )
    except (KeyError, ValueError, TypeError, yaml.YAMLError) as exc:
        raise FarmDataError(f"{path}: {exc!r}") from exc


@dataclass
class Farm:
    """All farm articles on a given farm day, optionally multiplied for benchmarks."""

    today: date = DEFAULT_TODAY
    scale: int = 1
    articles_dir: Path = ARTICLES_DIR

    @cached_property
    def articles(self) -> list[FarmArticle]:
        base: list[FarmArticle] = []
        for site in SITES:
            for path in sorted((self.articles_dir / site).glob("*.md")):
                base.append(_parse(path, site, self.today))
        by_key = {a.key: a for a in base}
        resolved = [self._resolve_reprint(a, by_key) for a in base]
        out = list(resolved)
        for copy in range(1, self.scale):
            for a in resolved:
                cid = f"{a.id}-c{copy}"
                out.append(
                    replace(
                        a,
                        id=cid,
                        number=_number(f"{a.site}/{cid}"),
                        published_local=a.published_local - timedelta(minutes=7 * copy),
                    )
                )
        out.sort(key=lambda a: a.published_local, reverse=True)
        return out

    @staticmethod
    def _resolve_reprint(a: FarmArticle, by_key: dict[str, FarmArticle]) -> FarmArticle:
        if not a.reprint_of:
            return a
        orig = by_key.get(a.reprint_of)
        if orig is None:
            raise FarmDataError(f"{a.site}/{a.id}: reprint_of {a.reprint_of} does not exist")
        if a.reprint == "verbatim":
            return replace(a, title=a.title or orig.title, paragraphs=orig.paragraphs, lead=a.lead or orig.lead)
        if a.reprint == "truncated":
            keep = max(1, min(2, len(orig.paragraphs) - 1))
            return replace(a, title=a.title or orig.title, paragraphs=orig.paragraphs[:keep], lead=a.lead or orig.lead)
        return a

    @cached_property
    def by_path(self) -> dict[str, FarmArticle]:
        return {a.path: a for a in self.articles}

    def by_site(self, site: str) -> list[FarmArticle]:
        return [a for a in self.articles if a.site == site]

    def get(self, key: str) -> FarmArticle | None:
        site, _, ident = key.partition("/")
        return next((a for a in self.by_site(site) if a.id == ident), None)
