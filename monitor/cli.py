"""``monitor``: the command line. Every command has ``--help`` with an example.

Exit status: 0 ok; 1 a partial failure or bad input lines (the rest still done); 2 a configuration or usage error
(bad ``--db``, unwritable ``--out``, malformed sources or lexicons), always with a one-line message.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from datetime import UTC, date, datetime
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
) -> None:
    """Serve the offline farm on 127.0.0.1.

    Example: monitor farm serve --port 8700 --today 2026-07-02
    """
    from monitor.farm import DEFAULT_TODAY, FarmServer

    day = _parse_day(today) if today else DEFAULT_TODAY
    try:
        server = FarmServer(port, day, scale).start()
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
    result = run_crawl(url, sources=sources, farm_proxy=farm_proxy, only=only, overrides=overrides)
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
    the_day = _parse_day(day) if day else datetime.now(ALMATY).date()
    if out_path is not None:
        _writable_dir(out_path.resolve().parent)
    archive = _open_archive(db)
    text = render(build_digest(archive, the_day, days=days, lang=lang), fmt)
    if out_path is None:
        sys.stdout.write(text)
    else:
        _atomic_write(out_path, text)
        err.print(f"digest written to {out_path}")


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
    from monitor.dates import parse_iso

    stream = sys.stdin if file == "-" else open(file, encoding="utf-8", errors="replace")  # noqa: SIM115
    bad = 0
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
                title, text = obj.get("title", ""), obj.get("text", "")
                if not isinstance(title, str) or not isinstance(text, str):
                    raise ValueError("title and text must be strings")
                published = parse_iso(obj["published_at"]) if obj.get("published_at") else None
                result = {"id": ident, **do_classify(title, text, published or datetime.now(UTC)).to_json()}
            except (ValueError, TypeError) as exc:
                bad += 1
                err.print(f"line {n}: {exc}", highlight=False)
                result = {"id": ident, "line": n, "error": str(exc)}
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    if bad:
        raise typer.Exit(1)


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
    try:
        app()
    except ArchiveError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
