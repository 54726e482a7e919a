"""The daily digest: what happened, grouped by story, alarms first, upcoming dates, links to every source.

:func:`build_digest` reads the archive into plain data; :func:`render` turns it into HTML (Jinja2, autoescaped,
inline CSS for mail clients), Markdown or plain text. The digest's own words are English by default and Russian
with ``lang="ru"``; titles and snippets stay in the language of the source.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from monitor.archive.models import Article, Classification, EventDateRow, Source, publication_order
from monitor.archive.store import Archive
from monitor.dates import ALMATY
from monitor.digest.i18n import STRINGS, event_kind_label, topic_label
from monitor.health import assess
from monitor.urls import is_http_url

TEMPLATES = Path(__file__).with_name("templates")
SEVERITY_RANK = {"alarm": 0, "high": 1, "normal": 2, None: 3}
UPCOMING_LOOKBACK_DAYS = 30  # planned events are taken from relevant articles of the last 30 days


@dataclass
class SourceLink:
    source: str
    language: str
    relation: str
    title: str
    url: str | None
    published: str
    article_id: int


@dataclass
class StoryItem:
    story_id: int
    title: str
    severity: str | None
    first_source: str
    first_published: str
    topics: list[str]
    alarms: list[str]
    terms: list[str]
    snippet: str
    url: str | None
    language: str
    sources: list[SourceLink] = field(default_factory=list)


@dataclass
class UpcomingItem:
    date: str
    days_left: int
    kind: str
    text: str
    sentence: str
    source: str
    title: str
    url: str | None
    cancelled: bool


@dataclass
class HealthItem:
    source: str
    status: str
    detail: str


@dataclass
class Digest:
    day: date
    window_start: datetime
    window_end: datetime
    lang: str
    alarms: list[StoryItem]
    upcoming: list[UpcomingItem]
    stories: list[StoryItem]
    others: list[StoryItem]
    health: list[HealthItem]
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not (self.alarms or self.stories or self.others)


def window_for(day: date, days: int = 1) -> tuple[datetime, datetime]:
    """Local-calendar window ending at the end of ``day`` and starting ``days`` days before it (Asia/Almaty)."""
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ALMATY)
    start = end - timedelta(days=days + 1)
    return start.astimezone(UTC), end.astimezone(UTC)


def _local(dt: datetime | None) -> str:
    return dt.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M") if dt else ""


def _snippet(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def _safe_url(url: str) -> str | None:
    return url if url and is_http_url(url) else None


def build_digest(
    archive: Archive, day: date, *, days: int = 1, since: datetime | None = None, lang: str = "en"
) -> Digest:
    """Collect the digest for ``day`` (window: ``since`` or ``days`` days back, to the end of ``day``)."""
    start, end = window_for(day, days)
    if since is not None:
        start = since
    when = Article.published_at
    with archive.session() as s:
        arts = list(
            s.scalars(
                select(Article)
                .join(Classification)
                .where(Classification.relevant.is_(True))
                .where(or_(when.between(start, end), (when.is_(None) & Article.fetched_at.between(start, end))))
                .options(
                    selectinload(Article.classification), selectinload(Article.matches), selectinload(Article.source)
                )
            )
        )
        story_ids = {a.story_id for a in arts if a.story_id is not None}
        # every source that carried a story in the window, even those published before it
        members = (
            list(
                s.scalars(
                    select(Article)
                    .where(Article.story_id.in_(story_ids))
                    .options(
                        selectinload(Article.source),
                        selectinload(Article.classification),
                        selectinload(Article.matches),
                    )
                )
            )
            if story_ids
            else []
        )
        upcoming = _upcoming(s, day)
        total_window = len(arts)

    health = [
        HealthItem(h.source, h.status, h.detail)
        for h in assess(archive, now=end)
        if h.status in ("DOWN", "BLOCKED", "BROKEN", "STALE")
    ]
    # every source that carried a story in the window, plus the window's articles that have no story yet
    groups: dict[int, list[Article]] = defaultdict(list)
    seen: set[int] = set()
    for a in [*members, *arts]:
        if a.id not in seen:
            seen.add(a.id)
            groups[a.story_id if a.story_id is not None else -a.id].append(a)

    items = [_story_item(key, group) for key, group in groups.items()]
    alarms = [i for i in items if i.severity == "alarm"]
    stories = [i for i in items if i.severity != "alarm" and len(i.sources) > 1]
    others = [i for i in items if i.severity != "alarm" and len(i.sources) == 1]
    for bucket in (alarms, stories, others):
        bucket.sort(key=lambda x: x.first_published, reverse=True)
    counts = {
        "articles": total_window,
        "stories": len(items),
        "alarms": len(alarms),
        "upcoming": len(upcoming),
        "sources": len({link.source for i in items for link in i.sources}),
    }
    return Digest(day, start, end, lang, alarms, upcoming, stories, others, health, counts)


def _story_item(key: int, group: list[Article]) -> StoryItem:
    group.sort(key=publication_order)
    first = group[0]
    severities = [a.classification.severity for a in group if a.classification and a.classification.relevant]
    severity = min(severities, key=lambda s: SEVERITY_RANK.get(s, 3)) if severities else None
    topics = sorted({t for a in group if a.classification for t in a.classification.topics})
    alarms = sorted({t for a in group if a.classification for t in a.classification.alarms})
    terms: list[str] = []
    for a in group:
        for m in a.matches:
            if m.category in ("alarm", "topic", "organization", "person", "place") and m.matched not in terms:
                terms.append(m.matched)
    sources = [
        SourceLink(
            source=a.source.name,
            language=a.language,
            relation=("original" if a is first else (a.relation or "related")),
            title=a.title,
            url=_safe_url(a.url),
            published=_local(a.published_at or a.fetched_at),
            article_id=a.id,
        )
        for a in group
    ]
    return StoryItem(
        story_id=key,
        title=first.title,
        severity=severity,
        first_source=first.source.name,
        first_published=_local(first.published_at or first.fetched_at),
        topics=topics,
        alarms=alarms,
        terms=terms[:12],
        snippet=_snippet(first.lead or first.text),
        url=_safe_url(first.url),
        language=first.language,
        sources=sources,
    )


def _upcoming(s: Any, day: date) -> list[UpcomingItem]:
    since = datetime.combine(day - timedelta(days=UPCOMING_LOOKBACK_DAYS), time(0), tzinfo=ALMATY).astimezone(UTC)
    rows = s.execute(
        select(EventDateRow, Article, Source.name)
        .join(Article, EventDateRow.article_id == Article.id)
        .join(Classification, Classification.article_id == Article.id)
        .join(Source, Source.id == Article.source_id)
        .where(Classification.relevant.is_(True))
        .where(EventDateRow.date >= day.isoformat())
        .where(EventDateRow.kind.is_not(None))
        .where(or_(Article.published_at >= since, Article.published_at.is_(None)))
        .order_by(EventDateRow.date)
    ).all()
    out: list[UpcomingItem] = []
    seen: set[tuple[str, str | None, int | None]] = set()
    for ev, art, source_name in rows:
        key = (ev.date, ev.kind, art.story_id)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            UpcomingItem(
                date=ev.date,
                days_left=(date.fromisoformat(ev.date) - day).days,
                kind=ev.kind or "",
                text=ev.text,
                sentence=_snippet(ev.sentence, 240),
                source=source_name,
                title=art.title,
                url=_safe_url(art.url),
                cancelled=ev.cancelled,
            )
        )
    return out


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["kind"] = event_kind_label
    env.filters["topic"] = topic_label
    env.filters["local"] = _local
    env.filters["md"] = md_escape
    return env


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|!])")


def md_escape(text: str) -> str:
    """Escape Markdown and inline-HTML syntax in source text (a hostile title stays text)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def render(digest: Digest, fmt: str = "html") -> str:
    """The digest as ``html``, ``md`` or ``txt``."""
    if fmt not in ("html", "md", "txt"):
        raise ValueError(f"unknown digest format {fmt!r} (html, md, txt)")
    t = STRINGS.get(digest.lang, STRINGS["en"])
    template = _env().get_template(f"digest.{fmt}.j2")
    return template.render(d=digest, t=t, lang=digest.lang)
