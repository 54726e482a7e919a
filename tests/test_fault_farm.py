"""The fault farm: a crawl of misbehaving sites completes, never crashes, stores no junk, and source health names
each failure (monitor/farm/faults.py, monitor/sources/faults.yaml)."""

from __future__ import annotations

import resource
import socket
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from subprocess import CompletedProcess
from typing import Any

import pytest
from sqlalchemy import select

from monitor.archive.models import Article, CrawlSourceStats, Source
from monitor.archive.store import Archive
from monitor.farm import DEFAULT_TODAY, FarmServer
from monitor.farm.faults import CHARSET_LIES, HUGE_SIZE, MOVED_FROM, OFFSITE, PAGER_LINKS, FaultSites, site_url
from monitor.farm.server import local_now
from monitor.health import SourceHealth, assess
from monitor.sources import load_sources
from tests.conftest import run_monitor

DOWNLOAD_TIMEOUT = 3  # seconds (MONITOR_DOWNLOAD_TIMEOUT): the drip sends one byte every 0.5 s, far too slow
CRAWL_BOUND = 120  # seconds the whole crawl may take
MAX_RSS = 1024 * 1024  # KiB: peak memory of the crawl process (it fetches a 64 MiB gzip bomb and 50 MB pages)
GOOD_SOURCES = ("fault-retry", "fault-badfeed", "fault-badmap", "fault-charset")
JUNK_SOURCES = ("fault-bomb", "fault-huge", "fault-redirect", "fault-pager", "fault-calendar", "fault-challenge")
SITE_OF = {f"fault-{s}": f"f-{s}" for s in ("retry", "badfeed", "badmap", "charset", "redirect")}


@pytest.fixture(scope="module")
def fault_farm() -> Iterator[FarmServer]:
    server = FarmServer(0, faults=True).start()
    yield server
    server.stop()


def _faults(farm: FarmServer) -> FaultSites:
    assert farm.app.faults is not None
    return farm.app.faults


def _opener(farm: FarmServer) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": farm.proxy}))


def _get(farm: FarmServer, url: str) -> tuple[int, bytes, Any]:
    try:
        with _opener(farm).open(url, timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def _raw(farm: FarmServer, url: str, timeout: float = 5) -> socket.socket:
    """A raw proxy request: the connection, to read (or not) what the fault site does with it."""
    sock = socket.create_connection(("127.0.0.1", farm.port), timeout=timeout)
    host = url.split("/")[2]
    sock.sendall(f"GET {url} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return sock


# ---------------------------------------------------------------------------------------------- the farm itself
def test_faults_are_off_unless_asked_for(farm: FarmServer, fault_farm: FarmServer) -> None:
    assert farm.app.faults is None
    assert _get(farm, f"{site_url('f-500')}/f-500/rss.xml")[0] == 404  # the normal farm knows no fault site
    status, body, _ = _get(fault_farm, f"{fault_farm.urls['kazlenta']}/kazlenta/rss/all.xml")
    assert status == 200 and b"<rss" in body  # the six news sites are unchanged with faults on
    assert {s.key for s in load_sources("faults")} == {
        "fault-reset", "fault-drip", "fault-500", "fault-retry", "fault-bomb", "fault-huge", "fault-badfeed",
        "fault-badmap", "fault-charset", "fault-redirect", "fault-pager", "fault-calendar", "fault-challenge",
    }  # fmt: skip


def test_fault_articles_are_russian_news_of_150_words(fault_farm: FarmServer) -> None:
    arts = _faults(fault_farm).articles
    assert len(arts) >= 10
    for a in arts:
        assert len(a.text.split()) >= 150, a.slug
        assert sum("\u0400" <= c <= "\u04ff" for c in a.title) > 0.7 * len(a.title.replace(" ", ""))


def test_reset_sends_no_response(fault_farm: FarmServer) -> None:
    with _raw(fault_farm, f"{site_url('f-reset')}/f-reset/rss.xml") as sock:
        try:
            data = sock.recv(1024)
        except ConnectionResetError:
            data = b""
    assert data == b""


def test_drip_does_not_hold_up_other_requests(fault_farm: FarmServer) -> None:
    with _raw(fault_farm, f"{site_url('f-drip')}/f-drip/rss.xml") as sock:
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")  # headers at once, then the body byte by byte
        start = time.monotonic()
        status, body, _ = _get(fault_farm, f"{site_url('f-charset')}/f-charset/rss.xml")
        assert status == 200 and body.count(b"<item>") == 3
        assert time.monotonic() - start < 1.0
        got = b""
        deadline = time.monotonic() + 1.6
        while time.monotonic() < deadline:
            got += sock.recv(16)
        assert 1 <= len(got) <= 6  # about two bytes a second


def test_bomb_is_small_and_inflates_past_the_size_limit(fault_farm: FarmServer) -> None:
    status, body, headers = _get(fault_farm, f"{site_url('f-bomb')}/f-bomb/news/3100-bomba.html")
    assert status == 200 and headers["Content-Encoding"] == "gzip" and len(body) < 200_000
    inflater, total = zlib.decompressobj(16 + zlib.MAX_WBITS), 0
    while body and total <= 20 * 1024 * 1024:  # inflate piece by piece, up to the crawl's DOWNLOAD_MAXSIZE
        total += len(inflater.decompress(body, 1024 * 1024))
        body = inflater.unconsumed_tail
    assert total > 20 * 1024 * 1024


def test_huge_page_announces_50_mb(fault_farm: FarmServer) -> None:
    with _raw(fault_farm, f"{site_url('f-huge')}/f-huge/news/3200-ogromnaya.html") as sock:
        head = sock.recv(4096).split(b"\r\n\r\n", 1)[0].decode()
    assert "200 OK" in head and int(head.split("Content-Length: ")[1].split()[0]) >= HUGE_SIZE


def test_throttling_answers_run_out() -> None:
    faults = FaultSites(DEFAULT_TODAY)
    url = f"{site_url('f-retry')}/f-retry/rss.xml"
    replies = [faults.route(url) for _ in range(3)]
    assert [r.status for r in replies] == [429, 503, 200]
    assert ("Retry-After", "1") in replies[0].headers and ("Retry-After", "1") in replies[1].headers


# ---------------------------------------------------------------------------------------------- the crawl
@dataclass
class Crawl:
    result: CompletedProcess[str]
    seconds: float
    archive: Archive
    health: dict[str, SourceHealth]
    stats: dict[str, CrawlSourceStats]
    stored: dict[str, tuple[str, str]]  # url -> (source key, title)


@pytest.fixture(scope="module")
def crawl(fault_farm: FarmServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    db = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'monitor.db'}"
    env = {
        "MONITOR_FARM_PROXY": fault_farm.proxy,
        "MONITOR_AUTOTHROTTLE": "0",
        "MONITOR_DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT),
    }
    start = time.monotonic()
    result = run_monitor("crawl", "--sources", "faults", "--db", db, env=env, timeout=CRAWL_BOUND + 30)
    seconds = time.monotonic() - start
    archive = Archive.open(db)
    with archive.session() as s:
        stats = {r.source_key: r for r in s.scalars(select(CrawlSourceStats))}
        s.expunge_all()
        stored = {
            url: (key, title)
            for key, url, title in s.execute(select(Source.key, Article.url, Article.title).join(Article))
        }
    health = {h.source: h for h in assess(archive, now=local_now(fault_farm.farm.today))}
    yield Crawl(result, seconds, archive, health, stats, stored)
    archive.close()


@pytest.mark.slow
def test_crawl_completes_without_a_traceback_in_bounded_time(crawl: Crawl) -> None:
    r = crawl.result
    assert r.returncode in (0, 1), r.stderr[-3000:]  # 1: some sources had errors, as they should
    assert "Traceback" not in r.stderr, r.stderr[r.stderr.find("Traceback") :][:3000]
    assert "(finished)" in r.stdout, r.stdout[-2000:]
    assert crawl.seconds < CRAWL_BOUND
    assert set(crawl.health) == {s.key for s in load_sources("faults")}  # every source got its row


@pytest.mark.slow
def test_crawl_memory_stays_bounded(crawl: Crawl) -> None:
    """Peak RSS of the largest finished child process (the crawl, or an earlier, smaller crawl): the bomb and the
    50 MB pages are cut at DOWNLOAD_MAXSIZE (20 MB), not held whole."""
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < MAX_RSS


@pytest.mark.slow
def test_no_junk_rows(crawl: Crawl, fault_farm: FarmServer) -> None:
    keys = {key for key, _ in crawl.stored.values()}
    assert not keys & (set(JUNK_SOURCES) - {"fault-redirect"})
    for url, (key, _) in crawl.stored.items():
        assert f"//{OFFSITE}." not in url, url  # the off-site redirect target is no source's article
        assert key in {*GOOD_SOURCES, "fault-redirect"}, url
        if key == "fault-redirect":  # only the ordinary moved article, under its new URL
            assert url == _faults(fault_farm).by_site("f-redirect")[0].url
    assert site_url("f-redirect") + MOVED_FROM not in crawl.stored  # a 301 page is never an article


@pytest.mark.slow
@pytest.mark.parametrize("source", GOOD_SOURCES)
def test_good_articles_stored_with_exact_cyrillic(crawl: Crawl, fault_farm: FarmServer, source: str) -> None:
    expected = {a.url: a for a in _faults(fault_farm).by_site(SITE_OF[source])}
    got = {url: title for url, (key, title) in crawl.stored.items() if key == source}
    assert got == {url: a.title for url, a in expected.items()}
    with crawl.archive.session() as s:
        for row in s.scalars(select(Article).where(Article.url.in_(list(expected)))):
            art = expected[row.url]
            assert art.paragraphs[0][:80] in row.text and art.paragraphs[1][:80] in row.text
            assert row.published_at is not None and row.language == "ru"


@pytest.mark.slow
def test_charset_lies_are_seen_through(crawl: Crawl, fault_farm: FarmServer) -> None:
    arts = _faults(fault_farm).by_site("f-charset")
    with crawl.archive.session() as s:
        enc = {
            row.url: row.encoding for row in s.scalars(select(Article).where(Article.url.in_([a.url for a in arts])))
        }
    assert [enc.get(a.url) for a in arts] == ["cp1251", "utf-8", "koi8-r"]
    assert [lie[2] for lie in CHARSET_LIES] == ["windows-1251", "utf-8", "koi8-r"]


@pytest.mark.slow
def test_moved_article_is_followed_to_its_new_url(crawl: Crawl, fault_farm: FarmServer) -> None:
    target = _faults(fault_farm).by_site("f-redirect")[0]
    assert crawl.stored.get(target.url) == ("fault-redirect", target.title)


@pytest.mark.slow
def test_redirect_loops_and_traps_are_bounded(crawl: Crawl) -> None:
    st = crawl.stats
    redirects = 5  # REDIRECT_MAX_TIMES
    assert st["fault-redirect"].requests <= 1 + 4 * (redirects + 1)
    assert st["fault-pager"].requests <= 5 * (1 + PAGER_LINKS)  # max_pages 5, ten dead links a page
    assert st["fault-calendar"].requests <= 5 * (1 + 3)  # max_pages 5, three dead links a day
    assert st["fault-pager"].statuses.get("404") and st["fault-calendar"].statuses.get("404")


@pytest.mark.slow
def test_failures_are_counted_as_errors(crawl: Crawl) -> None:
    st = crawl.stats
    assert st["fault-reset"].errors == 2 and st["fault-reset"].requests == 6  # feed and listing, 3 tries each
    assert st["fault-500"].errors == 2 and st["fault-500"].statuses == {"500": 6}
    assert st["fault-drip"].errors == 1 and st["fault-drip"].requests == 3  # 3 timeouts of DOWNLOAD_TIMEOUT
    assert st["fault-bomb"].errors == 2  # both bombs stopped at DOWNLOAD_MAXSIZE while inflating
    assert st["fault-huge"].errors == 2  # by Content-Length, and while streaming the chunked one
    assert st["fault-challenge"].statuses.get("challenge") == 4
    assert (
        st["fault-retry"].errors == 0
        and st["fault-retry"].statuses.get("429")
        and st["fault-retry"].statuses.get("503")
    )


HEALTH = {
    "fault-reset": "DOWN",
    "fault-drip": "DOWN",
    "fault-500": "DOWN",
    "fault-retry": "OK",
    "fault-badfeed": "OK",
    "fault-badmap": "OK",
    "fault-charset": "OK",
}


@pytest.mark.slow
@pytest.mark.parametrize(("source", "status"), HEALTH.items())
def test_health_names_the_failure(crawl: Crawl, source: str, status: str) -> None:
    h = crawl.health[source]
    assert h.status == status, h


@pytest.mark.slow
@pytest.mark.parametrize("source", ["fault-bomb", "fault-huge", "fault-pager", "fault-calendar"])
def test_sources_that_yield_nothing_never_look_ok(crawl: Crawl, source: str) -> None:
    assert crawl.health[source].status != "OK", crawl.health[source]


@pytest.mark.slow
def test_challenge_pages_mean_blocked(crawl: Crawl) -> None:
    assert crawl.health["fault-challenge"].status == "BLOCKED", crawl.health["fault-challenge"]
