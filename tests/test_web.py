"""The read-only web view: every page, hostile titles and links escaped, security headers, 404/405/500 pages,
search errors and pagination, and a real headless Chromium rendering the digest and a search page.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from monitor.archive.store import Archive
from monitor.process import FetchedPage, classify_article, extract_page
from monitor.web import PAGE_SIZE, SECURITY_HEADERS, create_app
from tests.conftest import service_missing

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
BULK = 45  # articles matching «Казахмыс» outside the digest's day: three pages of results

ALARM_BODY = (
    "<p>Колонна Национальной гвардии разбила палаточный лагерь у въезда в Жезказган накануне митинга горняков "
    "корпорации Казахмыс. Митинг назначен на 6 июля у Дворца металлургов.</p><p>На дороге в Сатпаев выставлены "
    "блокпосты полиции. Жители опасаются введения комендантского часа.</p>"
)
EVIL_BODY = (
    "<p>Рабочие медеплавильного завода корпорации Казахмыс в Балхаше объявили забастовку. Полиция задержала трёх "
    "активистов у проходной завода, сообщают очевидцы.</p><p>Акимат города заявил, что ведёт переговоры с "
    "профсоюзом, а работники требуют освободить задержанных товарищей и повысить зарплату.</p>"
)
JS_BODY = (
    "<p>Шахтёры Жезказгана из компании Казахмыс пожаловались на задержку зарплаты за три месяца. Они направили "
    "открытое письмо акиму области и грозят акцией протеста.</p><p>В компании обещают погасить долги до конца "
    "месяца, но профсоюз не верит обещаниям руководства.</p>"
)
STRIKE_BODY = (
    "<p>Горняки рудника корпорации Казахмыс в Сатпаеве объявили забастовку и требуют повышения зарплаты. "
    "Акимат ведёт переговоры с рабочими, забастовка продолжается {n}-й день.</p>"
    "<p>Редакция продолжит следить за развитием событий и сообщит подробности, когда они появятся.</p>"
)


def _page(source: str, url: str, title: str, body: str, when: str = "2026-07-02T09:00:00+05:00") -> FetchedPage:
    title_html = title.replace("<", "&lt;").replace(">", "&gt;")
    html = (
        f"<html><head><title>{title_html}</title><meta property='article:published_time' content='{when}'></head>"
        f"<body><article><h1>{title_html}</h1>{body}</article></body></html>"
    )
    return FetchedPage(source=source, url=url, body=html.encode(), fetched_at=datetime(2026, 7, 2, 10, tzinfo=UTC))


@dataclass
class Site:
    app: Starlette
    client: TestClient
    ids: dict[str, int]
    story_of: dict[str, int]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """An archive filled through the real code path (extract → classify → store → group), and the app on it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'monitor.db'}"
    archive = Archive.open(url)
    archive.ensure_sources(
        [("kazlenta", "KazLenta", "https://x.kz/", "ru"), ("agg", "Agg <b>News</b>", "https://y.kz/", "ru")]
    )
    pages = {
        "troops": _page("kazlenta", "https://x.kz/troops", "Войска у Жезказгана", ALARM_BODY),
        "copy": _page(
            "agg", "https://y.kz/troops-copy", "Войска у Жезказгана (перепечатка)", ALARM_BODY, "2026-07-02T13:00+05:00"
        ),
        "evil": _page(
            "kazlenta",
            "https://x.kz/evil",
            f"{HOSTILE} Забастовка",
            EVIL_BODY,
            "2026-07-02T11:00+05:00",
        ),
        "js": _page(
            "agg", "javascript:alert(1)", "Рабочие Казахмыса требуют зарплату", JS_BODY, "2026-07-02T12:00+05:00"
        ),
    }
    for i in range(1, BULK + 1):
        pages[f"bulk{i}"] = _page(
            "kazlenta",
            f"https://x.kz/strike/{i}",
            f"Забастовка на руднике Казахмыса, день {i}",
            STRIKE_BODY.format(n=i),
            f"2026-06-{i % 20 + 1:02d}T10:00:00+05:00",
        )
    items = [classify_article(extract_page(p)) for p in pages.values()]
    stored = archive.store_batch(items)
    archive.group_stories(list(stored.values()))
    ids = {name: stored[p.url] for name, p in pages.items()}
    run = archive.start_run()
    archive.finish_run(
        run,
        "partial",
        {},
        {
            "kazlenta": {"requests": 52, "statuses": {"200": 50, "403": 2}, "pages": 50, "articles_new": 47},
            "<img src=x onerror=alert(1)>": {"requests": 3, "statuses": {"500": 3}, "pages": 0, "errors": 3},
        },
    )
    from sqlalchemy import select

    from monitor.archive.models import Article

    with archive.session() as s:
        story_of = {name: s.scalar(select(Article.story_id).where(Article.id == i)) or 0 for name, i in ids.items()}
    archive.close()
    app = create_app(url)
    with TestClient(app) as client:
        yield Site(app, client, ids, story_of)


def pages_to_check(site: Site) -> list[str]:
    return [
        "/",
        "/?date=2026-07-01",
        "/search?q=Забастовка",
        "/search?q=Казахмыс&all=1",
        f"/article/{site.ids['evil']}",
        f"/article/{site.ids['js']}",
        f"/story/{site.story_of['evil']}",
        f"/story/{site.story_of['js']}",
        "/health",
    ]


# ------------------------------------------------------------------------------------------- headers, errors
def test_security_headers_on_every_response(site: Site) -> None:
    c = site.client
    responses = [c.get(p) for p in [*pages_to_check(site), "/nope", "/article/999999", "/?date=tomorrow"]]
    responses.append(c.post("/"))
    for r in responses:
        csp = r.headers["content-security-policy"]
        for directive in ("default-src 'none'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"):
            assert directive in csp, (r.url, csp)
        assert "script-src" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path", ["/nope", "/article/999999", "/story/999999", "/article/abc", "/article/99999999999999999999999", "/x/../y"]
)
def test_unknown_ids_and_paths_are_html_404(site: Site, path: str) -> None:
    r = site.client.get(path)
    assert r.status_code == 404
    assert "<h1" in r.text and "Not found" in r.text and "Traceback" not in r.text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/", "/search", "/article/1", "/story/1", "/health"])
def test_other_methods_are_405(site: Site, method: str, path: str) -> None:
    r = site.client.request(method, path)
    assert r.status_code == 405
    assert "GET" in r.headers["allow"] and "Method not allowed" in r.text


def test_bad_date_is_a_friendly_400(site: Site) -> None:
    for value in ("tomorrow", "2026-13-01", "0001-01-01", "2026-07-02%3Cscript%3E"):
        r = site.client.get(f"/?date={value}")
        assert r.status_code == 400, value
        assert "must be" in r.text and "<script>" not in r.text and "Traceback" not in r.text


def test_unexpected_error_is_a_plain_500(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail /etc/passwd")

    monkeypatch.setattr("monitor.web.build_digest", boom)
    with TestClient(site.app, raise_server_exceptions=False) as c:
        r = c.get("/")
    assert r.status_code == 500
    assert "Server error" in r.text
    assert "secret" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
    assert r.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]


# ------------------------------------------------------------------------------------------- escaping
def test_hostile_title_and_names_are_escaped_everywhere(site: Site) -> None:
    for path in pages_to_check(site):
        r = site.client.get(path)
        assert r.status_code == 200, path
        assert "<script" not in r.text.lower(), path  # no script element anywhere, hostile or ours
        assert "<img" not in r.text and "<b>News" not in r.text, path
    for path in ("/", "/search?q=Забастовка", f"/article/{site.ids['evil']}", f"/story/{site.story_of['evil']}"):
        assert HOSTILE_ESCAPED in site.client.get(path).text, path
    assert "&lt;img src=x onerror=alert(1)&gt;" in site.client.get("/health").text
    assert "Agg &lt;b&gt;News&lt;/b&gt;" in site.client.get(f"/story/{site.story_of['troops']}").text


def test_javascript_url_is_text_never_a_link(site: Site) -> None:
    for path in pages_to_check(site):
        html = site.client.get(path).text
        assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I), path
    html = site.client.get(f"/article/{site.ids['js']}").text
    assert "javascript:alert(1)" in html and "not a web link" in html and 'id="original"' not in html


# ------------------------------------------------------------------------------------------- pages
def test_digest_defaults_to_the_newest_day(site: Site) -> None:
    html = site.client.get("/").text
    assert "<strong>2026-07-02</strong>" in html
    assert 'href="/?date=2026-07-01"' in html and 'href="/?date=2026-07-03"' in html
    assert html.index('id="alarms"') < html.index('id="upcoming"') < html.index('id="health"')
    assert "Войска у Жезказгана" in html and "2026-07-06" in html
    assert f'href="/story/{site.story_of["troops"]}"' in html
    assert f'href="/article/{site.ids["copy"]}"' in html
    assert 'href="https://x.kz/troops"' in html


def test_digest_for_another_day(site: Site) -> None:
    html = site.client.get("/?date=2026-05-01").text
    assert "<strong>2026-05-01</strong>" in html and 'id="empty"' in html
    assert "Nothing relevant was published in this window." in html
    assert 'href="/">Newest day (2026-07-02)' in html


def test_article_page(site: Site) -> None:
    html = site.client.get(f"/article/{site.ids['troops']}").text
    assert '<h1 id="title" lang="ru">Войска у Жезказгана</h1>' in html
    assert "KazLenta" in html and "2026-07-02 09:00" in html
    assert '<a id="original" href="https://x.kz/troops"' in html
    assert "Relevant</dt><dd>yes" in html and 'badge alarm">alarm' in html
    assert 'id="matches"' in html and "Жезказган" in html
    assert "<strong>2026-07-06</strong>" in html and "demonstration / rally" in html
    assert f'href="/story/{site.story_of["troops"]}"' in html and "(2 articles" in html
    assert "блокпосты полиции" in html


def test_story_page_lists_every_article(site: Site) -> None:
    html = site.client.get(f"/story/{site.story_of['troops']}").text
    assert "Войска у Жезказгана" in html and "2 articles" in html
    assert "First published by <strong>KazLenta</strong>" in html
    assert f'href="/article/{site.ids["troops"]}"' in html and f'href="/article/{site.ids["copy"]}"' in html
    assert html.index("original") < html.index("copy")
    assert 'href="https://y.kz/troops-copy"' in html


def test_health_page_shows_the_latest_run(site: Site) -> None:
    html = site.client.get("/health").text
    assert "partial" in html and "kazlenta" in html
    assert "403 × 2" in html and "200 × 50" in html and "500 × 3" in html
    assert 'badge ERRORS">ERRORS' in html and 'badge DOWN">DOWN' in html


# ------------------------------------------------------------------------------------------- search
@pytest.mark.parametrize(
    "query",
    ['"unbalanced', 'Казахмыс "комендантский', "AND OR NOT (", "NEAR(x y)", "a*b*c*", '"" !!!', "*", "^", "-Казахмыс",
     "'; DROP TABLE articles;--", HOSTILE, "x" * 600],
)  # fmt: skip
def test_hostile_queries_give_a_message_never_a_traceback(site: Site, query: str) -> None:
    r = site.client.get("/search", params={"q": query})
    assert r.status_code == 200
    assert 'id="search-message"' in r.text
    assert "Traceback" not in r.text and "OperationalError" not in r.text
    assert "<script>" not in r.text
    assert site.client.get("/search", params={"q": "Казахмыс"}).status_code == 200  # the archive is intact


def test_query_without_words_says_why(site: Site) -> None:
    html = site.client.get("/search", params={"q": '"" !!!'}).text
    assert "Cannot search for that: the query has no words to search for" in html


def test_search_finds_and_highlights(site: Site) -> None:
    html = site.client.get("/search", params={"q": "Войска", "lang": "ru"}).text
    assert "2 matches for «Войска»" in html
    assert "<mark>" in html
    assert f'href="/article/{site.ids["troops"]}"' in html
    html = site.client.get("/search", params={"q": "Войска", "source": "agg"}).text
    assert "1 match for «Войска»" in html


def test_search_filters_and_bad_dates(site: Site) -> None:
    html = site.client.get("/search", params={"q": "Казахмыс", "since": "2026-07-02", "until": "2026-07-02"}).text
    assert "4 matches" in html
    html = site.client.get("/search", params={"q": "Казахмыс", "since": "yesterday"}).text
    assert "“from” must be a date like 2026-07-02" in html


def test_search_pagination(site: Site) -> None:
    c = site.client
    first = c.get("/search", params={"q": "Казахмыс", "lang": "ru"}).text
    total = int(re.search(r"(\d+) matches for «Казахмыс»", first).group(1))  # type: ignore[union-attr]
    pages = -(-total // PAGE_SIZE)
    assert total >= BULK and pages >= 3
    assert first.count('class="hit"') == PAGE_SIZE and f"page 1 of {pages}" in first
    assert "/search?q=%D0%9A%D0%B0%D0%B7%D0%B0%D1%85%D0%BC%D1%8B%D1%81&amp;lang=ru&amp;page=2" in first
    seen: set[str] = set()
    for n in range(1, pages + 1):
        html = c.get("/search", params={"q": "Казахмыс", "lang": "ru", "page": n}).text
        found = re.findall(r'<div class="title" lang="\w+"><a href="/article/(\d+)">', html)
        assert len(found) == (PAGE_SIZE if n < pages else total - PAGE_SIZE * (pages - 1))
        seen.update(found)
        assert f'aria-current="page">{n}</span>' in html
    assert len(seen) == total  # every hit once, none repeated across pages
    past = c.get("/search", params={"q": "Казахмыс", "page": 999999999}).text
    assert "past the last one" in past and 'class="hit"' not in past
    assert 'class="hit"' in c.get("/search", params={"q": "Казахмыс", "page": "abc"}).text


# ------------------------------------------------------------------------------------------- a real browser
def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    service_missing("Chromium is not installed (apt-get install chromium)")
    raise AssertionError("unreachable")


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """uvicorn on 127.0.0.1, a free port, in a background thread; stopped on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


def _run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.services
def test_chromium_renders_digest_and_search(site: Site, tmp_path: Path) -> None:
    binary = _chromium()
    with serving(site.app) as base:
        shots = {"digest": f"{base}/", "search": f"{base}/search?q=%D0%9A%D0%B0%D0%B7%D0%B0%D1%85%D0%BC%D1%8B%D1%81"}
        for name, url in shots.items():
            png = tmp_path / f"{name}.png"
            run = _run_chromium(
                binary, tmp_path / f"profile-{name}", f"--screenshot={png}", "--window-size=1200,2000", url
            )
            assert png.exists(), f"no screenshot of {url}: {run.stderr[-2000:]}"
            assert png.stat().st_size > 10_000, f"{name}.png is only {png.stat().st_size} bytes"
        dom = _run_chromium(binary, tmp_path / "profile-dom", "--dump-dom", f"{base}/").stdout
        search_dom = _run_chromium(binary, tmp_path / "profile-dom2", "--dump-dom", shots["search"]).stdout
    assert 'id="alarms"' in dom and "Alarms (" in dom
    assert f"{HOSTILE_ESCAPED} Забастовка" in dom  # the hostile title is text in the rendered DOM
    assert "<script" not in dom.lower()  # and never became an element
    assert "Войска у Жезказгана" in dom
    assert "matches for «Казахмыс»" in search_dom and "<mark>" in search_dom
