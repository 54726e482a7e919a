"""``monitor``: the command line. Every command has ``--help`` with an example.

Exit status: 0 ok; 1 a partial failure or bad input lines (the rest still done); 2 a configuration or usage error
(bad ``--db``, unwritable ``--out``, malformed sources or lexicons), always with a one-line message.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from monitor.archive.db import ArchiveError

app = typer.Typer(
    help="News monitoring for a labour-rights desk (KazakhMys, Zhezkazgan, Satpaev).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
farm_app = typer.Typer(help="The offline news farm (mock sites on 127.0.0.1).", no_args_is_help=True)
db_app = typer.Typer(help="The archive database.", no_args_is_help=True)
app.add_typer(farm_app, name="farm")
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Archive URL (SQLAlchemy) or SQLite path; default $MONITOR_DB or sqlite:///monitor.db"),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _open_archive(db: str | None) -> Any:
    from monitor.archive.store import Archive

    try:
        return Archive.open(db)
    except ArchiveError as exc:
        raise fail(str(exc)) from None


def _writable_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise fail(f"cannot write to {path}: {exc.strerror or exc}") from None
    return path


# --------------------------------------------------------------------------------------------------- farm
@farm_app.command("serve")
def farm_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port)")] = 8700,
    today: Annotated[str | None, typer.Option(help="The farm's day, YYYY-MM-DD (default 2026-07-02)")] = None,
    scale: Annotated[int, typer.Option(help="Multiply every article (benchmarks)")] = 1,
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: until Ctrl-C)")] = 0,
    faults: Annotated[bool, typer.Option(help="Also serve the fault farm's misbehaving sites (f-*.farm.test)")] = False,
) -> None:
    """Serve the offline farm on 127.0.0.1.

    Example: monitor farm serve --port 8700 --today 2026-07-02
    """
    from monitor.farm import DEFAULT_TODAY, FarmServer

    day = _parse_day(today) if today else DEFAULT_TODAY
    try:
        server = FarmServer(port, day, scale, faults=faults).start()
    except OSError as exc:
        raise fail(f"cannot bind the farm to 127.0.0.1:{port}: {exc.strerror}") from None
    out.print(f"farm day {day.isoformat()}, {len(server.farm.articles)} articles")
    for site, url in server.urls.items():
        out.print(f"  {site:10} {url}/{site}/   (in a browser: {server.proxy}/{site}/)", highlight=False)
    out.print(f"crawl it with: MONITOR_FARM_PROXY={server.proxy} monitor crawl --sources farm", highlight=False)
    try:
        deadline = time.monotonic() + seconds if seconds else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"not a date (YYYY-MM-DD): {value!r}") from None


# --------------------------------------------------------------------------------------------------- crawl
@app.command()
def crawl(
    db: DbOption = None,
    sources: Annotated[str, typer.Option(help="Sources file: kz (real sites), farm, all, or a path")] = "kz",
    only: Annotated[str, typer.Option(help="Comma-separated source keys to crawl")] = "",
    farm_proxy: Annotated[
        str,
        typer.Option(envvar="MONITOR_FARM_PROXY", help="The running farm, for --sources farm (farm serve prints it)"),
    ] = "",
    log_file: Annotated[Path | None, typer.Option(help="Write Scrapy's log here instead of stderr")] = None,
    since: Annotated[str | None, typer.Option(help="Skip feed and sitemap items dated before YYYY-MM-DD")] = None,
    backfill: Annotated[int | None, typer.Option(help="Skip items older than this many days")] = None,
) -> None:
    """Crawl the configured sources into the archive.

    Example: monitor crawl --sources kz --db sqlite:///monitor.db
    """
    from monitor.crawl import run_crawl

    archive = _open_archive(db)
    _register_sources(archive, sources)
    url = str(archive.engine.url.render_as_string(hide_password=False))
    archive.close()
    overrides: dict[str, Any] = {"LOG_FILE": str(log_file)} if log_file else {}
    from monitor.dates import ALMATY

    if since:
        overrides["MONITOR_SINCE"] = datetime.combine(_parse_day(since), datetime.min.time(), ALMATY).isoformat()
    elif backfill is not None:
        overrides["MONITOR_SINCE"] = (datetime.now(UTC) - timedelta(days=backfill)).isoformat()
    result = run_crawl(url, sources=sources, farm_proxy=farm_proxy, only=only, overrides=overrides)
    if result.finish_reason == "archive_error":
        raise fail(f"crawl stopped: {result.stats.get('monitor/archive_error', 'the archive cannot be written')}")
    out.print(
        f"{result.pages} pages fetched, {result.articles_new} new articles, {result.errors} errors "
        f"({result.finish_reason})"
    )
    if result.errors:
        raise typer.Exit(1)


def _register_sources(archive: Any, which: str) -> list[Any]:
    from monitor.sources import SourceConfigError, load_sources

    try:
        configs = load_sources(which)
    except SourceConfigError as exc:
        raise fail(str(exc)) from None
    archive.ensure_sources((c.key, c.name, c.base_url, ",".join(c.languages)) for c in configs)
    return configs


# --------------------------------------------------------------------------------------------------- digest
@app.command()
def digest(
    db: DbOption = None,
    day: Annotated[str | None, typer.Option("--date", help="Digest day YYYY-MM-DD (default: today in Almaty)")] = None,
    days: Annotated[int, typer.Option(help="Days before --date to include")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="html, md or txt")] = "html",
    lang: Annotated[str, typer.Option(help="Language of the digest's own words: en or ru")] = "en",
    out_path: Annotated[Path | None, typer.Option("--out", help="Write here instead of standard output")] = None,
    send: Annotated[bool, typer.Option(help="Also e-mail it (text + HTML) with the MONITOR_SMTP_* settings")] = False,
) -> None:
    """Write the daily digest: alarms, upcoming dates, stories, other items, source health.

    Example: monitor digest --date 2026-07-02 --format html --out digest.html
    """
    from monitor.dates import ALMATY
    from monitor.digest import build_digest, render

    if fmt not in ("html", "md", "txt"):
        raise fail(f"unknown format {fmt!r}: use html, md or txt")
    if lang not in ("en", "ru"):
        raise fail(f"unknown language {lang!r}: use en or ru")
    from monitor.deliver import DeliveryError, SmtpConfig, send_digest

    the_day = _parse_day(day) if day else datetime.now(ALMATY).date()
    smtp = SmtpConfig.from_env() if send else None
    if send and smtp is None:
        raise fail("--send needs MONITOR_SMTP_HOST (and MONITOR_SMTP_TO)")
    if out_path is not None:
        _writable_dir(out_path.resolve().parent)
    archive = _open_archive(db)
    data = build_digest(archive, the_day, days=days, lang=lang)
    text = render(data, fmt)
    if out_path is None:
        sys.stdout.write(text)
    else:
        _atomic_write(out_path, text)  # written before sending: a failed send loses nothing
        err.print(f"digest written to {out_path}")
    if smtp is not None:
        subject = f"Labour monitor digest {the_day.isoformat()}: {data.counts['alarms']} alarms"
        try:
            attempt = send_digest(smtp, subject, render(data, "txt"), render(data, "html"))
        except DeliveryError as exc:
            raise fail(str(exc), 1) from None
        err.print(f"sent to {', '.join(smtp.recipients)} (attempt {attempt})")


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a failure never leaves half a digest."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None


# --------------------------------------------------------------------------------------------------- demo
@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder")] = Path("demo-output"),
    today: Annotated[str | None, typer.Option(help="The farm's day (default 2026-07-02)")] = None,
) -> None:
    """Offline demonstration: serve the farm, crawl it, write the digest, stop.

    Example: monitor demo --out demo-output
    """
    from monitor.archive.models import Article, Classification
    from monitor.crawl import run_crawl
    from monitor.digest import build_digest, render
    from monitor.farm import DEFAULT_TODAY, FarmServer

    day = _parse_day(today) if today else DEFAULT_TODAY
    out_dir = _writable_dir(out_dir)
    db = f"sqlite:///{(out_dir / 'monitor.db').resolve()}"
    archive = _open_archive(db)
    before = archive.count_articles()
    server = FarmServer(0, day).start()
    started = time.monotonic()
    try:
        configs = _register_sources(archive, "farm")
        out.print(f"Farm: {len(configs)} mock sites on 127.0.0.1, farm day {day.isoformat()}")
        result = run_crawl(
            db,
            sources="farm",
            farm_proxy=server.proxy,
            overrides={
                "LOG_FILE": str(out_dir / "crawl.log"),
                "MONITOR_AUTOTHROTTLE": False,
                "AUTOTHROTTLE_ENABLED": False,
            },
        )
    finally:
        server.stop()
    from sqlalchemy import func, select

    with archive.session() as s:
        total = s.scalar(select(func.count(Article.id))) or 0
        relevant = s.scalar(select(func.count()).where(Classification.relevant.is_(True))) or 0
        alarms = s.scalar(select(func.count()).where(Classification.severity == "alarm")) or 0
    d = build_digest(archive, day)
    paths = []
    for fmt in ("html", "md"):
        path = out_dir / f"digest-{day.isoformat()}.{fmt}"
        _atomic_write(path, render(d, fmt))
        paths.append(path)
    added = total - before
    table = Table(title="monitor demo", show_header=False)
    table.add_row("sources", str(len(configs)))
    table.add_row("pages fetched", str(result.pages))
    table.add_row("articles stored", f"{total} ({added} new this run)")
    table.add_row("relevant", str(relevant))
    table.add_row("alarms", str(alarms))
    table.add_row(
        "digest", f"{paths[0]} (+ .md): {d.counts['alarms']} alarm stories, {d.counts['upcoming']} upcoming dates"
    )
    table.add_row("time", f"{time.monotonic() - started:.1f} s")
    out.print(table)
    if added == 0:
        out.print("Second run: 0 new articles (everything was already in the archive).")


# --------------------------------------------------------------------------------------------------- search
@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", -excluded, prefix*')],
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="Published before YYYY-MM-DD")] = None,
    lang: Annotated[str | None, typer.Option(help="ru, kk, en")] = None,
    topic: Annotated[str | None, typer.Option(help="strike, protest, repression, layoffs_closure, safety, …")] = None,
    source: Annotated[str | None, typer.Option(help="Source key")] = None,
    story: Annotated[int | None, typer.Option(help="Story id")] = None,
    all_items: Annotated[bool, typer.Option("--all", help="Search every article, not only relevant ones")] = False,
    limit: Annotated[int, typer.Option(help="Results per page")] = 20,
    page: Annotated[int, typer.Option(help="Page of results")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """Search the archive (Russian and Kazakh, any script; inflections match).

    Example: monitor search 'Казахмыс "комендантский час"' --since 2026-06-01 --format json
    """
    import csv

    from monitor.dates import ALMATY
    from monitor.search import Filters, QueryError
    from monitor.search import search as do_search

    if fmt not in ("table", "json", "csv"):
        raise fail(f"unknown format {fmt!r}: use table, json or csv")

    def day(value: str | None) -> datetime | None:
        return datetime.combine(_parse_day(value), datetime.min.time(), tzinfo=ALMATY) if value else None

    filters = Filters(
        since=day(since),
        until=day(until),
        language=lang,
        topic=topic,
        source=source,
        story=story,
        relevant_only=not all_items,
        limit=limit,
        offset=(max(page, 1) - 1) * limit,
    )
    archive = _open_archive(db)
    try:
        with archive.engine.connect() as conn:
            hits, total = do_search(conn, query, filters)
    except QueryError as exc:
        raise fail(f"bad query: {exc}", 1) from None
    if fmt == "json":
        for h in hits:
            sys.stdout.write(json.dumps(h.to_json(), ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["id", "published_at", "source", "language", "severity", "title", "url", "snippet"])
        for h in hits:
            row = h.to_json()
            writer.writerow(
                [row["id"], row["published_at"], h.source, h.language, h.severity, h.title, h.url, h.snippet]
            )
        return
    from monitor.search import CANDIDATES

    shown = f"{total}+" if total >= CANDIDATES and archive.dialect == "sqlite" else str(total)
    table = Table(title=f"{shown} matches for {query!r}" + (f" (page {page})" if total > limit else ""))
    for col in ("id", "published", "source", "lang", "title / snippet"):
        table.add_column(col, overflow="fold")
    for h in hits:
        when = h.published.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M") if h.published else ""
        table.add_row(str(h.article_id), when, h.source, h.language, f"[bold]{_esc(h.title)}[/]\n{_esc(h.snippet)}")
    out.print(table)


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@app.command()
def show(
    article_id: Annotated[int, typer.Argument(help="Article id (from search)")],
    db: DbOption = None,
) -> None:
    """Show one article: its text, classification, matches, dates and story.

    Example: monitor show 42
    """
    from sqlalchemy import select

    from monitor.archive.models import Article

    archive = _open_archive(db)
    with archive.session() as s:
        art = s.get(Article, article_id)
        if art is None:
            raise fail(f"no article with id {article_id}", 1)
        c = art.classification
        out.print(f"[bold]{_esc(art.title)}[/]", highlight=False)
        out.print(
            f"{art.source.name} · {art.published_at or art.fetched_at} · {art.language} · {art.url}", highlight=False
        )
        if c:
            out.print(
                f"relevant: {c.relevant} (score {c.score}) · severity: {c.severity} · topics: "
                f"{', '.join(c.topics) or '—'} · alarms: {', '.join(c.alarms) or '—'}"
            )
            out.print(f"why: {'; '.join(c.reasons) or '—'}")
            out.print(
                "matches: "
                + ", ".join(f"{m.matched} [{m.category}/{m.entry}, {m.field} {m.start}-{m.end}]" for m in art.matches),
                highlight=False,
            )
        for ev in art.event_dates:
            out.print(f"date: {ev.date} {ev.kind or ''} {'(cancelled)' if ev.cancelled else ''} «{_esc(ev.sentence)}»")
        if art.story_id:
            siblings = s.scalars(select(Article).where(Article.story_id == art.story_id, Article.id != art.id)).all()
            out.print(f"story {art.story_id}: {len(siblings) + 1} articles")
            for sib in siblings:
                out.print(
                    f"  {sib.id} {sib.source.name} [{sib.language}, {sib.relation or 'related'}] {_esc(sib.title)}",
                    highlight=False,
                )
        out.print()
        out.print(_esc(art.text), highlight=False)


@app.command()
def stories(
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Stories with an article since YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option(help="How many")] = 30,
) -> None:
    """List stories: first publisher, number of sources, languages.

    Example: monitor stories --since 2026-06-25
    """
    from sqlalchemy import func, select

    from monitor.archive.models import Article, Classification, Story
    from monitor.dates import ALMATY

    archive = _open_archive(db)
    with archive.session() as s:
        q = (
            select(
                Story.id,
                Story.title,
                Story.first_published_at,
                func.count(Article.id),
                func.max(Classification.relevant),
            )
            .join(Article, Article.story_id == Story.id)
            .join(Classification, Classification.article_id == Article.id, isouter=True)
            .group_by(Story.id)
            .order_by(Story.first_published_at.desc())
            .limit(limit)
        )
        if since:
            start = datetime.combine(_parse_day(since), datetime.min.time(), tzinfo=ALMATY)
            q = q.having(func.max(Article.published_at) >= start)
        rows = s.execute(q).all()
    table = Table(title=f"{len(rows)} stories")
    for col in ("id", "first published", "articles", "relevant", "title"):
        table.add_column(col, overflow="fold")
    for sid, title, first, n, rel in rows:
        table.add_row(
            str(sid),
            first.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M") if first else "",
            str(n),
            "yes" if rel else "",
            _esc(title),
        )
    out.print(table)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[
        str, typer.Option(help="Interface to listen on (keep 127.0.0.1 unless behind a proxy)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8080,
) -> None:
    """Serve the read-only web view: digests, search, stories, articles, source health.

    Example: monitor serve --port 8080, then open http://127.0.0.1:8080/
    """
    import uvicorn

    from monitor.web import create_app

    try:
        application = create_app(db)
    except ArchiveError as exc:
        raise fail(str(exc)) from None
    out.print(f"serving http://{host}:{port}/ (read-only; Ctrl-C to stop)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def health(
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 if any source has one of these statuses, e.g. broken,blocked")
    ] = "",
    at: Annotated[str | None, typer.Option(help="Judge staleness as of this day, YYYY-MM-DD (default: now)")] = None,
) -> None:
    """Health of each source after the latest crawl: OK, EMPTY, STALE, BROKEN, BLOCKED, DOWN.

    Example: monitor health --fail-on broken,blocked,down
    """
    from monitor.health import STATUSES, assess

    wanted = {x.strip().upper() for x in fail_on.split(",") if x.strip()}
    if wanted - set(STATUSES):
        raise fail(f"unknown status in --fail-on: {', '.join(sorted(wanted - set(STATUSES)))}")
    from monitor.dates import ALMATY

    when = datetime.combine(_parse_day(at), datetime.min.time(), tzinfo=ALMATY) + timedelta(days=1) if at else None
    rows = assess(_open_archive(db), now=when)
    if fmt == "json":
        for h in rows:
            sys.stdout.write(json.dumps(h.to_json(), ensure_ascii=False) + "\n")
    else:
        table = Table(title="source health (latest crawl)")
        for col in ("source", "status", "requests", "pages", "new", "yield", "dated", "detail"):
            table.add_column(col, overflow="fold")
        colours = {"OK": "green", "EMPTY": "cyan", "STALE": "yellow", "BROKEN": "red", "BLOCKED": "red", "DOWN": "red"}
        for h in rows:
            table.add_row(
                h.source,
                f"[{colours[h.status]}]{h.status}[/]",
                str(h.requests),
                str(h.pages),
                str(h.articles_new),
                f"{h.yield_ratio:.0%}" if h.yield_ratio is not None else "—",
                f"{h.date_coverage:.0%}" if h.date_coverage is not None else "—",
                _esc(h.detail),
            )
        out.print(table)
    if any(h.status in wanted for h in rows):
        raise typer.Exit(1)


@app.command()
def daily(
    db: DbOption = None,
    sources: Annotated[str, typer.Option(help="Sources file: kz, farm, all, or a path")] = "kz",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the digests")] = Path("digests"),
    log_dir: Annotated[Path, typer.Option(help="Folder for one log file per run")] = Path("logs"),
    lock: Annotated[Path, typer.Option(help="Lock file: a second run while one is going does nothing")] = Path(
        "monitor.lock"
    ),
    time_budget: Annotated[int, typer.Option(help="Stop crawling after this many seconds")] = 3 * 3600,
    max_per_source: Annotated[int, typer.Option(help="At most this many article pages per source (0: no limit)")] = 500,
    send: Annotated[bool, typer.Option(help="E-mail the digest (MONITOR_SMTP_* settings)")] = False,
    lang: Annotated[str, typer.Option(help="Language of the digest's own words: en or ru")] = "en",
    day: Annotated[str | None, typer.Option("--date", help="Digest day (default: today in Almaty)")] = None,
) -> None:
    """The nightly run for cron: crawl → classify and group → digest → deliver, under a lock.

    Exit 0 all well; 1 partial failure (some source down, blocked or broken; or the e-mail failed) with the
    digest still written; 2 configuration error. Quiet: one summary line.

    Example: monitor daily --sources kz --db postgresql+psycopg://localhost/monitor --send
    """
    import fcntl
    import logging

    from monitor.archive.models import Digest as DigestRow
    from monitor.crawl import run_crawl
    from monitor.dates import ALMATY
    from monitor.deliver import DeliveryError, SmtpConfig, send_digest
    from monitor.digest import build_digest, render
    from monitor.health import assess

    the_day = _parse_day(day) if day else datetime.now(ALMATY).date()
    smtp = SmtpConfig.from_env() if send else None
    if send and smtp is None:
        raise fail("--send needs MONITOR_SMTP_HOST (and MONITOR_SMTP_TO)")
    _writable_dir(out_dir)
    _writable_dir(log_dir)
    try:
        lock_file = open(lock, "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise fail(f"cannot open lock file {lock}: {exc.strerror}") from None
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_file.seek(0)
        out.print(f"daily: another run holds {lock} ({lock_file.read().strip() or 'pid unknown'}); nothing to do")
        return
    # the kernel drops the lock when the process dies: a crashed run never leaves a stale lock behind
    lock_file.seek(0)
    lock_file.truncate()
    lock_file.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}\n")
    lock_file.flush()

    log_path = log_dir / f"daily-{datetime.now(UTC):%Y%m%d-%H%M%S}.log"
    archive = _open_archive(db)
    configs = _register_sources(archive, sources)
    before = archive.count_articles()
    url = archive.engine.url.render_as_string(hide_password=False)
    result = run_crawl(
        url,
        sources=sources,
        progress=False,
        farm_proxy=os.environ.get("MONITOR_FARM_PROXY", ""),
        overrides={
            "LOG_FILE": str(log_path),
            "CLOSESPIDER_TIMEOUT": time_budget,
            "MONITOR_MAX_PER_SOURCE": max_per_source,
        },
    )
    logging.getLogger("monitor").info("crawl finished: %s", result.finish_reason)
    if result.finish_reason == "archive_error":
        raise fail(f"crawl stopped: {result.stats.get('monitor/archive_error', 'the archive cannot be written')}")
    added = archive.count_articles() - before

    from sqlalchemy import select

    with archive.session() as s:
        last = s.scalars(select(DigestRow).order_by(DigestRow.window_end.desc())).first()
    since = last.window_end if last is not None and last.day < the_day.isoformat() else None
    digest_data = build_digest(archive, the_day, since=since, lang=lang)
    paths = {}
    for fmt in ("html", "md", "txt"):
        path = out_dir / f"digest-{the_day.isoformat()}.{fmt}"
        _atomic_write(path, render(digest_data, fmt))
        paths[fmt] = path
    with archive.session() as s, s.begin():
        s.add(
            DigestRow(
                day=the_day.isoformat(),
                window_start=digest_data.window_start,
                window_end=digest_data.window_end,
                path=str(paths["html"]),
                items=digest_data.counts["stories"],
            )
        )
    problems = [h for h in assess(archive, now=digest_data.window_end) if h.status in ("DOWN", "BLOCKED", "BROKEN")]
    delivered = ""
    if smtp is not None:
        subject = f"Labour monitor digest {the_day.isoformat()}: {digest_data.counts['alarms']} alarms"
        try:
            send_digest(smtp, subject, (paths["txt"]).read_text("utf-8"), paths["html"].read_text("utf-8"))
            delivered = f", sent to {len(smtp.recipients)}"
        except DeliveryError as exc:
            problems.append(None)  # type: ignore[arg-type]
            delivered = f", NOT SENT ({exc})"
    bad = ", ".join(f"{h.source} {h.status}" for h in problems if h is not None)
    out.print(
        f"daily {the_day.isoformat()}: {added} new articles from {len(configs)} sources, "
        f"{digest_data.counts['alarms']} alarms, {digest_data.counts['stories']} stories; "
        f"{('problems: ' + bad) if bad else 'all sources answered'}; digest {paths['html']}{delivered}; log {log_path}",
        highlight=False,
        soft_wrap=True,
    )
    if problems:
        raise typer.Exit(1)


# --------------------------------------------------------------------------------------------------- extract
@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help=".html or .html.gz files")],
    url: Annotated[str, typer.Option(help="URL the page was fetched from")] = "",
) -> None:
    """Extract articles from saved pages; one JSON line per file.

    Example: monitor extract page.html --url https://www.nur.kz/…
    """
    from monitor.extract import ExtractionError
    from monitor.extract import extract as do_extract

    failed = 0
    for path in paths:
        try:
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            art = do_extract(raw, url)
        except (OSError, EOFError, ExtractionError, gzip.BadGzipFile) as exc:
            err.print(f"{path}: {exc}", highlight=False)
            failed += 1
            continue
        d = art.to_json()
        row = {
            "path": str(path),
            **{
                k: d[k]
                for k in (
                    "url",
                    "title",
                    "text",
                    "author",
                    "published_at",
                    "updated_at",
                    "language",
                    "canonical_url",
                    "is_article",
                )
            },
        }
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    if failed:
        raise typer.Exit(1)


# --------------------------------------------------------------------------------------------------- classify
@app.command()
def classify(
    file: Annotated[str, typer.Argument(help="JSON lines file, or - for standard input")] = "-",
) -> None:
    """Classify texts: input JSON lines {"id","title","text","url"?,"published_at"?}, output one line each.

    Example: echo '{"id":1,"title":"Забастовка на Казахмысе","text":"..."}' | monitor classify
    """
    from monitor.classify import classify as do_classify

    bad = 0
    for rec in _text_records(file):
        if isinstance(rec, dict):
            bad += 1
            row = rec
        else:
            row = {"id": rec.ident, **do_classify(rec.title, rec.text, rec.published or datetime.now(UTC)).to_json()}
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    if bad:
        raise typer.Exit(1)


@dataclass
class _Record:
    line: int
    ident: Any
    title: str
    text: str
    published: datetime | None
    obj: dict[str, Any]


def _text_records(file: str) -> Iterator[_Record | dict[str, Any]]:
    """The JSON-lines input of ``classify`` and ``cluster``: a record per good line; for a bad one, the error row
    ``{"id", "line", "error"}`` that takes its place in the output (and a message on stderr)."""
    from monitor.dates import parse_iso

    stream = sys.stdin if file == "-" else open(file, encoding="utf-8", errors="replace")  # noqa: SIM115
    with stream:
        for n, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            ident: Any = None
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("a line must be a JSON object")
                ident = obj.get("id")
                if isinstance(ident, dict | list):
                    raise ValueError("the id must be a string or a number")
                title, text = obj.get("title") or "", obj.get("text") or ""
                if not isinstance(title, str) or not isinstance(text, str):
                    raise ValueError("title and text must be strings")
                published = parse_iso(str(obj["published_at"])) if obj.get("published_at") else None
                yield _Record(n, ident, title, text, published, obj)
            except (ValueError, TypeError) as exc:
                err.print(f"line {n}: {exc}", highlight=False)
                yield {"id": ident, "line": n, "error": str(exc)}


@app.command()
def reprocess(
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Only articles published since YYYY-MM-DD")] = None,
    batch: Annotated[int, typer.Option(help="Articles per transaction")] = 500,
) -> None:
    """Re-classify the archive with the current lexicons and report what changed.

    Example: monitor reprocess --since 2026-06-01
    """
    from rich.progress import Progress

    from monitor.dates import ALMATY
    from monitor.reprocess import reprocess as do_reprocess

    start = datetime.combine(_parse_day(since), datetime.min.time(), tzinfo=ALMATY) if since else None
    archive = _open_archive(db)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("reclassifying", total=None)
        report = do_reprocess(
            archive,
            since=start,
            batch=batch,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    out.print(
        f"{report.total} articles reclassified, {report.changed} changed ({report.severity_changed} changed severity)"
    )
    for title, rows in (("newly relevant", report.newly_relevant), ("no longer relevant", report.no_longer_relevant)):
        if rows:
            table = Table(title=f"{title} ({len(rows)})", show_header=False)
            for art_id, art_title in rows[:50]:
                table.add_row(str(art_id), art_title)
            out.print(table)


# --------------------------------------------------------------------------------------------------- sources
sources_app = typer.Typer(help="The sources registry (monitor/sources/*.yaml).", invoke_without_command=True)
app.add_typer(sources_app, name="sources")


@sources_app.callback()
def sources_list(
    ctx: typer.Context,
    which: Annotated[str, typer.Option("--file", help="kz, farm, all, or a path")] = "all",
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List the configured sources.

    Example: monitor sources --file kz --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor.sources import SourceConfigError, load_sources

    try:
        configs = load_sources(which)
    except SourceConfigError as exc:
        raise fail(str(exc)) from None
    if fmt == "json":
        for c in configs:
            sys.stdout.write(json.dumps(c.model_dump(mode="json"), ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{len(configs)} sources")
    for col in ("key", "languages", "methods", "enabled", "name"):
        table.add_column(col)
    for c in configs:
        table.add_row(c.key, ",".join(c.languages), " → ".join(c.methods()), "yes" if c.enabled else "no", c.name)
    out.print(table)


@sources_app.command("check")
def sources_check(
    which: Annotated[str, typer.Option("--file", help="kz, farm, all, or a path")] = "all",
    probe: Annotated[bool, typer.Option(help="Also fetch every entry point (needs the internet)")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds per request with --probe")] = 15.0,
) -> None:
    """Validate the sources files; with --probe, fetch each entry point and report what answers.

    Example: monitor sources check --probe --file kz
    """
    from monitor.sources import SourceConfigError, load_sources

    try:
        configs = load_sources(which)
    except SourceConfigError as exc:
        raise fail(str(exc)) from None
    out.print(f"{len(configs)} sources: OK")
    if not probe:
        return
    from monitor.probe import probe_sources

    table = Table(title="entry points")
    for col in ("source", "method", "url", "result"):
        table.add_column(col)
    failures = 0
    for row in probe_sources(configs, timeout=timeout):
        failures += not row.ok
        table.add_row(row.source, row.method, row.url, ("[green]" if row.ok else "[red]") + row.result)
    out.print(table)
    if failures:
        raise typer.Exit(1)


@app.command()
def cluster(
    file: Annotated[str, typer.Argument(help="JSON lines file, or - for standard input")] = "-",
    workers: Annotated[int, typer.Option(min=1, help="processes featurizing texts (large files)")] = 1,
) -> None:
    """Group texts into stories: input {"id","title","text","url"?,"language"?,"published_at"?} per line;
    output {"id","story","duplicate_of","relation"} per line, in order.

    Example: monitor cluster articles.jsonl > stories.jsonl
    """
    from monitor.language import detect_language
    from monitor.stories import Doc
    from monitor.stories import cluster as do_cluster

    docs: list[Doc] = []
    results: list[dict[str, Any] | None] = []
    original_ids: dict[str, Any] = {}
    for rec in _text_records(file):
        if not isinstance(rec, dict):
            problem = "missing id" if rec.ident is None else ""
            if not problem and str(rec.ident) in original_ids:
                problem = f"duplicate id {rec.ident!r}"
            if problem:
                err.print(f"line {rec.line}: {problem}", highlight=False)
                rec = {"id": rec.ident, "line": rec.line, "error": problem}
        if isinstance(rec, dict):
            results.append(rec)
            continue
        lang = rec.obj.get("language") or detect_language(rec.text[:2000], rec.title).language
        docs.append(Doc(str(rec.ident), rec.title, rec.text, str(lang), rec.published, str(rec.obj.get("url") or "")))
        original_ids[str(rec.ident)] = rec.ident
        results.append(None)
    assigned = iter(do_cluster(docs, workers=workers))
    for row in results:
        if row is None:
            a = next(assigned)
            dup = original_ids[a.duplicate_of] if a.duplicate_of else None
            row = {
                "id": original_ids[a.id],
                "story": original_ids[a.story],
                "duplicate_of": dup,
                "relation": a.relation,
            }
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    if any(r is not None for r in results):
        raise typer.Exit(1)


story_app = typer.Typer(
    help="Editor decisions on stories (kept when the archive is re-clustered).", no_args_is_help=True
)
app.add_typer(story_app, name="story")


@story_app.command("merge")
def story_merge(
    into: Annotated[int, typer.Argument(help="Story to keep")],
    other: Annotated[int, typer.Argument(help="Story whose articles move into the first")],
    db: DbOption = None,
) -> None:
    """Merge story OTHER into story INTO.

    Example: monitor story merge 12 40
    """
    archive = _open_archive(db)
    try:
        moved = archive.merge_stories(into, other)
    except KeyError as exc:
        raise fail(str(exc.args[0]), 1) from None
    out.print(f"story {other} merged into {into}: {moved} articles moved")


@story_app.command("split")
def story_split(
    story: Annotated[int, typer.Argument(help="Story the article is in")],
    article: Annotated[int, typer.Argument(help="Article to take out into a story of its own")],
    db: DbOption = None,
) -> None:
    """Take an article out of a story into a new story of its own.

    Example: monitor story split 12 345
    """
    archive = _open_archive(db)
    try:
        new_id = archive.split_story(story, article)
    except KeyError as exc:
        raise fail(str(exc.args[0]), 1) from None
    out.print(f"article {article} moved from story {story} to new story {new_id}")


# --------------------------------------------------------------------------------------------------- db
@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the archive or bring its schema up to date (Alembic).

    Example: monitor db upgrade --db postgresql+psycopg://localhost/monitor
    """
    from monitor.archive import db as dbmod

    archive = _open_archive(db)
    out.print(f"schema at revision {dbmod.current_revision(archive.engine)}")


def main() -> None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        app()
    except ArchiveError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except SQLAlchemyError as exc:  # never a traceback or raw SQL in front of a user
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        err.print(
            f"[bold red]error:[/] database error: {detail} (run `monitor db upgrade`?)", highlight=False, soft_wrap=True
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
