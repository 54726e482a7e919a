"""A read-only web view of the archive: the daily digest, search, articles, stories and source health.

:func:`create_app` returns a Starlette application; ``monitor serve`` runs it with uvicorn. Every page is rendered
on the server (Jinja2, autoescaped), answers GET (and HEAD) only, needs no JavaScript and is sent under a strict
Content-Security-Policy. Source titles and texts are shown as they are; only http(s) links are ever made clickable.
Unknown ids and paths get an HTML 404 page; an unexpected error gets a plain 500 page without details.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.archive.models import (
    Article,
    Classification,
    CrawlRun,
    CrawlSourceStats,
    Source,
    Story,
    publication_order,
)
from monitor.archive.store import Archive
from monitor.dates import ALMATY
from monitor.digest import build_digest
from monitor.digest.i18n import STRINGS, event_kind_label, topic_label
from monitor.search import Filters, QueryError, parse_query, search, snippet
from monitor.urls import is_http_url

__all__ = ["SECURITY_HEADERS", "create_app"]

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
PAGE_SIZE = 20
MAX_PAGE = 10_000  # deeper than 200,000 hits nobody reads; keeps OFFSET a small integer
MAX_QUERY_CHARS = 500
MAX_ID = 2**63 - 1  # larger ids cannot be in the archive (and would overflow the database driver)
LANGUAGES = ("ru", "kk", "en", "other")
STRINGS_EN = STRINGS["en"]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NAV = {"digest.html": "digest", "search.html": "search", "health.html": "health"}
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

ERROR_500 = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Server error</title></head>"
    "<body style='font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;'>"
    "<h1>Server error</h1><p>Something went wrong while building this page. It has been logged.</p>"
    "<p><a href='/'>Back to the digest</a></p></body></html>"
)


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BadInput(ValueError):
    """A query parameter that cannot be used; the message is shown to the reader."""


# ------------------------------------------------------------------------------------------------ helpers
def local_time(dt: datetime | None) -> str:
    """A UTC time as Asia/Almaty wall-clock time, ``YYYY-MM-DD HH:MM``."""
    return dt.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M") if dt else ""


def safe_url(url: str | None) -> str | None:
    """The URL when it may be a link (http or https), else None (shown as text, never as a link)."""
    return url if url and is_http_url(url) else None


def parse_day(value: str, name: str = "date") -> date:
    value = value.strip()
    try:
        if not _DAY.match(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"“{name}” must be a date like 2026-07-02.") from None
    if not 1970 <= day.year <= 2100:
        raise BadInput(f"“{name}” must be between 1970 and 2100.")
    return day


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite aggregates may come back as text
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def newest_day(s: Session) -> date | None:
    """The newest local day with a relevant article, else with any article, else None (an empty archive)."""
    when = func.coalesce(Article.published_at, Article.fetched_at)
    newest = _as_datetime(
        s.scalar(select(func.max(when)).join(Classification).where(Classification.relevant.is_(True)))
    ) or _as_datetime(s.scalar(select(func.max(when))))
    return newest.astimezone(ALMATY).date() if newest else None


def marked_snippet(text: str, stems: list[str], whole: bool = False) -> list[tuple[str, bool]]:
    """A search snippet (or the ``whole`` text) as (text, is_match) pieces: the template escapes each piece and
    wraps the matches in <mark>.
    """
    clean = text.replace(_MARK_OPEN, " ").replace(_MARK_CLOSE, " ")
    width = 3 * len(clean) + 3 if whole else 220
    cut = snippet(clean, stems, width=width, mark=(_MARK_OPEN, _MARK_CLOSE))
    pieces: list[tuple[str, bool]] = []
    for i, part in enumerate(re.split(f"[{_MARK_OPEN}{_MARK_CLOSE}]", cut)):
        if part:
            pieces.append((part, i % 2 == 1))
    return pieces


def _status_counts(statuses: dict[str, Any] | None) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for code, count in (statuses or {}).items():
        try:
            out.append((int(code), int(count)))
        except (TypeError, ValueError):
            continue
    return sorted(out)


def _row_state(st: CrawlSourceStats, statuses: list[tuple[int, int]]) -> str:
    """The same judgement as the digest's source health: BLOCKED, DOWN, ERRORS or OK."""
    blocked = sum(n for code, n in statuses if code in (403, 429))
    if st.requests and st.pages == 0 and blocked:
        return "BLOCKED"
    if st.requests and st.errors and st.pages == 0:
        return "DOWN"
    if st.errors or blocked:
        return "ERRORS"
    return "OK"


def relation_label(relation: str) -> str:
    return STRINGS_EN.get(relation, relation)


@dataclass
class PageLink:
    label: str
    href: str | None  # None: the current page or a gap


def pagination(page: int, pages: int, href: Any) -> list[PageLink]:
    """First, previous, a window around ``page``, next, last; gaps as "…"."""
    if pages <= 1:
        return []
    links: list[PageLink] = []
    if page > 1:
        links.append(PageLink("‹ Previous", href(page - 1)))
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    last = 0
    for n in shown:
        if n - last > 1:
            links.append(PageLink("…", None))
        links.append(PageLink(str(n), None if n == page else href(n)))
        last = n
    if page < pages:
        links.append(PageLink("Next ›", href(page + 1)))
    return links


# ------------------------------------------------------------------------------------------------ the app
def _templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = local_time
    env.filters["topic"] = topic_label
    env.filters["kind"] = event_kind_label
    env.filters["relation"] = relation_label
    env.filters["safe_url"] = safe_url
    env.globals["t"] = STRINGS_EN
    return Jinja2Templates(env=env)


def create_app(db_url: str | None = None) -> Starlette:
    """The web view over the archive at ``db_url`` (SQLAlchemy URL or SQLite path; default ``$MONITOR_DB``).

    Raises :class:`monitor.archive.db.ArchiveError` when the archive cannot be opened.
    """
    archive = Archive.open(db_url)
    templates = _templates()
    topics: list[str] = []

    def topic_choices() -> list[str]:
        if not topics:
            from monitor.lexicon import default_lexicons

            topics.extend(eid for eid, _ in default_lexicons().entries("topic"))
        return topics

    def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        context.setdefault("nav", NAV.get(name))
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    # ------------------------------------------------------------------ /
    def digest_page(request: Request) -> Response:
        raw = request.query_params.get("date", "").strip()
        with archive.session() as s:
            newest = newest_day(s)
        try:
            day = parse_day(raw) if raw else (newest or datetime.now(ALMATY).date())
        except BadInput as exc:
            raise HTTPException(400, str(exc)) from None
        d = build_digest(archive, day)
        return page(
            request,
            "digest.html",
            {
                "d": d,
                "prev_day": day - timedelta(days=1),
                "next_day": day + timedelta(days=1),
                "newest": newest,
                "is_newest": newest is not None and day == newest,
            },
        )

    # ------------------------------------------------------------------ /search
    def search_page(request: Request) -> Response:
        params = request.query_params
        q = params.get("q", "").strip()
        form = {
            "q": q,
            "since": params.get("since", "").strip(),
            "until": params.get("until", "").strip(),
            "lang": params.get("lang", "").strip(),
            "topic": params.get("topic", "").strip(),
            "source": params.get("source", "").strip(),
            "all": "1" if params.get("all") == "1" else "",
        }
        try:
            page_no = min(max(int(params.get("page", "1")), 1), MAX_PAGE)
        except ValueError:
            page_no = 1
        with archive.session() as s:
            sources = [(k, n) for k, n in s.execute(select(Source.key, Source.name).order_by(Source.name)).all()]
        ctx: dict[str, Any] = {
            "form": form,
            "sources": sources,
            "languages": LANGUAGES,
            "topics": topic_choices(),
            "hits": [],
            "total": 0,
            "page": page_no,
            "pages": 0,
            "links": [],
            "error": None,
            "searched": False,
        }
        if not q:
            return page(request, "search.html", ctx)
        try:
            if len(q) > MAX_QUERY_CHARS:
                raise BadInput(f"The query is too long (at most {MAX_QUERY_CHARS} characters).")
            since = parse_day(form["since"], "from") if form["since"] else None
            until = parse_day(form["until"], "to") if form["until"] else None
            filters = Filters(
                since=datetime.combine(since, time(0), tzinfo=ALMATY) if since else None,
                until=datetime.combine(until + timedelta(days=1), time(0), tzinfo=ALMATY) if until else None,
                language=form["lang"] or None,
                topic=form["topic"] or None,
                source=form["source"] or None,
                relevant_only=not form["all"],
                limit=PAGE_SIZE,
                offset=(page_no - 1) * PAGE_SIZE,
            )
            stems = parse_query(q).highlight
            with archive.engine.connect() as conn:
                hits, total = search(conn, q, filters)
                ids = [h.article_id for h in hits]
                texts = dict(conn.execute(select(Article.id, Article.text).where(Article.id.in_(ids))).all())
        except (QueryError, BadInput) as exc:
            ctx["error"] = str(exc)
            return page(request, "search.html", ctx)
        pages = math.ceil(total / PAGE_SIZE)
        kept = [(k, v) for k, v in form.items() if v]

        def href(n: int) -> str:
            return "/search?" + urlencode([*kept, ("page", str(n))])

        ctx.update(
            searched=True,
            total=total,
            pages=pages,
            links=pagination(page_no, pages, href),
            last_href=href(pages) if pages else None,
            hits=[
                {
                    "hit": h,
                    "url": safe_url(h.url),
                    "title": marked_snippet(h.title, stems, whole=True),
                    "snippet": marked_snippet(texts.get(h.article_id) or h.title, stems),
                }
                for h in hits
            ],
        )
        return page(request, "search.html", ctx)

    # ------------------------------------------------------------------ /article/<id>
    def article_page(request: Request) -> Response:
        article_id: int = request.path_params["article_id"]
        if article_id > MAX_ID:
            raise HTTPException(404, f"No article with id {article_id}.")
        with archive.session() as s:
            art = s.get(
                Article,
                article_id,
                options=[
                    selectinload(Article.source),
                    selectinload(Article.classification),
                    selectinload(Article.matches),
                    selectinload(Article.event_dates),
                ],
            )
            if art is None:
                raise HTTPException(404, f"No article with id {article_id}.")
            story = s.get(Story, art.story_id) if art.story_id is not None else None
            story_size = (
                int(s.scalar(select(func.count(Article.id)).where(Article.story_id == art.story_id)) or 0)
                if story
                else 0
            )
            return page(
                request,
                "article.html",
                {
                    "a": art,
                    "c": art.classification,
                    "url": safe_url(art.url),
                    "canonical": art.canonical_url if art.canonical_url != art.url else None,
                    "canonical_url": safe_url(art.canonical_url),
                    "story": story,
                    "story_size": story_size,
                    "html_lang": art.language if art.language in ("ru", "kk", "en") else None,
                },
            )

    # ------------------------------------------------------------------ /story/<id>
    def story_page(request: Request) -> Response:
        story_id: int = request.path_params["story_id"]
        if story_id > MAX_ID:
            raise HTTPException(404, f"No story with id {story_id}.")
        with archive.session() as s:
            story = s.get(Story, story_id)
            if story is None:
                raise HTTPException(404, f"No story with id {story_id}.")
            arts = list(
                s.scalars(
                    select(Article)
                    .where(Article.story_id == story_id)
                    .options(selectinload(Article.source), selectinload(Article.classification))
                )
            )
            arts.sort(key=publication_order)
            first = next((a for a in arts if a.id == story.first_article_id), arts[0] if arts else None)
            rows = [
                {
                    "a": a,
                    "url": safe_url(a.url),
                    "relation": "original" if first is not None and a.id == first.id else (a.relation or "related"),
                    "when": local_time(a.published_at or a.fetched_at),
                }
                for a in arts
            ]
            return page(request, "story.html", {"story": story, "first": first, "rows": rows})

    # ------------------------------------------------------------------ /health
    def health_page(request: Request) -> Response:
        with archive.session() as s:
            run = s.scalars(
                select(CrawlRun).where(CrawlRun.finished_at.is_not(None)).order_by(CrawlRun.id.desc())
            ).first()
            running = s.scalars(
                select(CrawlRun).where(CrawlRun.finished_at.is_(None)).order_by(CrawlRun.id.desc())
            ).first()
            if running is not None and run is not None and running.id < run.id:
                running = None
            names = dict(s.execute(select(Source.key, Source.name)).all())
            rows = []
            if run is not None:
                for st in s.scalars(
                    select(CrawlSourceStats)
                    .where(CrawlSourceStats.run_id == run.id)
                    .order_by(CrawlSourceStats.source_key)
                ):
                    statuses = _status_counts(st.statuses)
                    rows.append(
                        {
                            "st": st,
                            "name": names.get(st.source_key, ""),
                            "statuses": statuses,
                            "state": _row_state(st, statuses),
                        }
                    )
            return page(request, "health.html", {"run": run, "running": running, "rows": rows})

    # ------------------------------------------------------------------ errors
    titles = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}

    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status = exc.status_code
        detail = exc.detail if status in (400, 404) and exc.detail not in ("Not Found", "Bad Request") else None
        response = page(
            request,
            "error.html",
            {"status": status, "title": titles.get(status, "Error"), "detail": detail},
            status_code=status,
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    def server_error(request: Request, exc: Exception) -> Response:
        log.error("web: %s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        return HTMLResponse(ERROR_500, status_code=500, headers=SECURITY_HEADERS)

    app = Starlette(
        routes=[
            Route("/", digest_page, methods=["GET"]),
            Route("/search", search_page, methods=["GET"]),
            Route("/article/{article_id:int}", article_page, methods=["GET"]),
            Route("/story/{story_id:int}", story_page, methods=["GET"]),
            Route("/health", health_page, methods=["GET"]),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.archive = archive
    return app
