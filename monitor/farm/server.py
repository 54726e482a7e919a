"""The farm's HTTP server: six mock news sites behind one loopback port.

Each site has a host name of its own under the reserved ``.test`` domain (``http://kazlenta.farm.test/…``) and the
server answers as an HTTP proxy for them: the crawler sends farm requests to ``127.0.0.1:PORT`` as its proxy
(:class:`spiders.middlewares.FarmProxyMiddleware`). So article URLs do not depend on the port — a second run finds
the same URLs — and each site is its own host for canonical links, robots.txt and per-domain politeness. A browser
can also open ``http://127.0.0.1:PORT/<site>/`` directly.

Pages are rendered from the article files through each site's own templates and cached, so the server keeps up
with a crawler on the same machine. It also serves the broken cases a real crawl meets: 404, 500, 403, a redirect
from an old URL, truncated HTML, an empty body, a listing page linked like an article, and an article whose HTTP
header declares the wrong charset.
"""

from __future__ import annotations

import hashlib
import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from monitor.dates import ALMATY
from monitor.farm.data import DEFAULT_TODAY, SITES, Farm, FarmArticle
from monitor.farm.faults import FaultSites, fault_site
from monitor.text import fold_text

TEMPLATES = Path(__file__).with_name("templates")
FARM_DOMAIN = "farm.test"  # reserved top-level domain (RFC 2606): never resolves, never leaves the machine
KK_MONTHS = ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан",
             "қараша", "желтоқсан"]  # fmt: skip
RU_MONTHS_GEN = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
                 "ноября", "декабря"]  # fmt: skip

# Broken cases: synthetic pages, linked from feeds and listings like articles.
BROKEN = {
    "/kazlenta/news/100001-deleted-story/": (404, b"<html><body><h1>404</h1></body></html>"),
    "/vestnik/main_news/server-error/": (500, b"Internal Server Error"),
    "/ulytau/article/100003-zhabyq-material": (403, b"<html><body>Forbidden</body></html>"),
    "/dalavlast/ru/novosti/100004-empty-page.html": (200, b""),
    "/agg/ru/news/cut-off-page-100005/": (
        200,
        "<html><head><meta charset='utf-8'><title>Обрыв".encode(),
    ),
}
OLD_URL_PREFIX = "/kazlenta/old/"  # /kazlenta/old/<id> → 301 to the article
TAG_PAGE = "/kazlenta/tag/zhezkazgan/"  # a listing page linked like an article
WRONG_CHARSET_SITE = "vestnik"  # its 3rd-newest article is sent with "charset=utf-8" over cp1251 bytes


@dataclass
class Page:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


def kk_date(dt: datetime) -> str:
    return f"{dt.day} {KK_MONTHS[dt.month - 1]} {dt.year} ж., {dt:%H:%M}"


def ru_date(dt: datetime) -> str:
    return f"{dt.day} {RU_MONTHS_GEN[dt.month - 1]} {dt.year}, {dt:%H:%M}"


class FarmApp:
    """Routes requests to pages; every page is rendered once and cached."""

    def __init__(self, farm: Farm, faults: FaultSites | None = None) -> None:
        self.farm = farm
        self.faults = faults  # the fault farm's misbehaving sites (monitor/farm/faults.py), when switched on
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["kk_date"] = kk_date
        self.env.filters["ru_date"] = ru_date
        self.env.filters["rfc822"] = format_datetime
        self.env.filters["iso"] = lambda dt: dt.isoformat()
        self._cache: dict[str, Page] = {}
        self._lock = threading.Lock()
        self.base_urls = {site: f"http://{site}.{FARM_DOMAIN}" for site in SITES}
        self.requests = 0
        vestnik = farm.by_site(WRONG_CHARSET_SITE)
        self.wrong_charset_path = vestnik[2].path if len(vestnik) > 2 else ""
        self._search_index = {a.path: fold_text(a.title + "\n" + a.text) for a in farm.by_site("qtag")}

    # ------------------------------------------------------------------ routing
    def url(self, path: str) -> str:
        """Absolute URL of a farm path, on the port of the site the path belongs to."""
        site = path.strip("/").split("/", 1)[0]
        return self.base_urls.get(site, "") + path

    def handle(self, raw_path: str, host: str = "", if_none_match: str = "") -> Page:
        """The page for a request; feeds and sitemaps carry an ETag and answer 304 when it still matches."""
        page = self._handle(raw_path, host)
        if page.status == 200 and "xml" in page.content_type:
            etag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
            if if_none_match and etag in (t.strip() for t in if_none_match.split(",")):
                return Page(304, b"", page.content_type, (("ETag", etag),))
            return Page(page.status, page.body, page.content_type, (*page.headers, ("ETag", etag)))
        return page

    def _handle(self, raw_path: str, host: str = "") -> Page:
        self.requests += 1
        parts = urlsplit(raw_path)
        path = parts.path
        host = (parts.hostname or host.split(":")[0]).lower()
        site = host[: -len(FARM_DOMAIN) - 1] if host.endswith("." + FARM_DOMAIN) else ""
        if path == "/robots.txt":
            return Page(200, self._robots(site).encode(), "text/plain; charset=utf-8")
        if parts.query:
            return self._dynamic(path, parse_qs(parts.query))
        with self._lock:
            page = self._cache.get(path)
        if page is None:
            page = self._route(path)
            with self._lock:
                self._cache[path] = page
        return page

    def _render(self, template: str, site: str, **ctx: Any) -> bytes:
        s = SITES[site]
        text = self.env.get_template(f"{site}/{template}").render(
            site=s, base=self.base_urls.get(site, ""), today=self.farm.today, **ctx
        )
        return text.encode(s.encoding, errors="xmlcharrefreplace")

    def _html(self, site: str, body: bytes) -> Page:
        return Page(200, body, f"text/html; charset={SITES[site].encoding}")

    def _route(self, path: str) -> Page:
        if path in BROKEN:
            status, body = BROKEN[path]
            return Page(status, body)
        if path.startswith(OLD_URL_PREFIX):
            art = self.farm.get("kazlenta/" + path[len(OLD_URL_PREFIX) :].strip("/"))
            if art:
                return Page(301, b"", headers=(("Location", self.url(art.path)),))
        art = self.farm.by_path.get(path)
        if art is not None:
            return self._article(art)
        site, _, rest = path.strip("/").partition("/")
        if site not in SITES:
            return Page(404, b"<html><body>Not found</body></html>")
        handler = getattr(self, f"_site_{site}", None)
        page = handler(rest) if handler else None
        return page or Page(404, b"<html><body>Not found</body></html>")

    def _dynamic(self, path: str, query: dict[str, list[str]]) -> Page:
        page_no = _int(query.get("page", ["1"])[0], 1)
        if path == "/qtag/search":
            q = query.get("q", [""])[0]
            needle = fold_text(q).strip()
            hits = [self.farm.by_path[p] for p, txt in self._search_index.items() if needle and needle in txt]
            hits.sort(key=lambda a: a.published_local, reverse=True)
            return self._html(
                "qtag", self._render("search.html", "qtag", query=q, **self._paginate(hits, page_no, per_page=10))
            )
        if path == "/agg/lenta/":
            return self._listing("agg", page_no)
        return self.handle(path)

    # ------------------------------------------------------------------ pages
    def _article(self, art: FarmArticle) -> Page:
        ctx: dict[str, Any] = {"a": art, "url": self.url(art.path), "canonical_url": None}
        if art.reprint_of and art.canonical:
            orig = self.farm.get(art.reprint_of)
            ctx["canonical_url"] = self.url(orig.path) if orig else None
        body = self._render("article.html", art.site, **ctx)
        if art.path == self.wrong_charset_path:
            return Page(200, body, "text/html; charset=utf-8")  # the lie: the bytes are windows-1251
        return self._html(art.site, body)

    def _paginate(self, items: list[FarmArticle], page_no: int, per_page: int) -> dict[str, Any]:
        pages = max(1, (len(items) + per_page - 1) // per_page)
        chunk = items[(page_no - 1) * per_page : page_no * per_page]
        return {"items": chunk, "page": page_no, "pages": pages, "has_next": page_no < pages}

    def _listing(self, site: str, page_no: int) -> Page:
        items = self.farm.by_site(site)
        if page_no < 1 or (page_no - 1) * SITES[site].per_page >= max(len(items), 1):
            return Page(404, b"<html><body>No such page</body></html>")
        ctx = self._paginate(items, page_no, SITES[site].per_page)
        extra = []
        if site == "vestnik" and page_no == 1:
            extra = ["/vestnik/main_news/server-error/"]
        if site == "agg" and page_no == 1:
            extra = ["/agg/ru/news/cut-off-page-100005/"]
        return self._html(site, self._render("listing.html", site, extra_links=extra, **ctx))

    def _feed_items(self, site: str, limit: int = 60) -> list[FarmArticle]:
        return self.farm.by_site(site)[:limit]

    def _site_kazlenta(self, rest: str) -> Page | None:
        if rest == "":
            return self._html("kazlenta", self._render("home.html", "kazlenta", items=self._feed_items("kazlenta", 20)))
        if rest == "rss/all.xml":
            items = self._feed_items("kazlenta", 10_000)
            body = self._render(
                "rss.xml",
                "kazlenta",
                items=items,
                extra_links=[
                    "/kazlenta/news/100001-deleted-story/",
                    TAG_PAGE,
                    OLD_URL_PREFIX + (items[-1].id if items else ""),
                ],
            )
            return Page(200, body, "application/rss+xml; charset=utf-8")
        if rest == "tag/zhezkazgan":
            items = [a for a in self.farm.by_site("kazlenta") if "Жезказган" in a.text][:20]
            return self._html("kazlenta", self._render("home.html", "kazlenta", items=items))
        return None

    def _site_vestnik(self, rest: str) -> Page | None:
        if rest in ("", "news"):
            return self._listing("vestnik", 1)
        if rest.startswith("news/page/"):
            return self._listing("vestnik", _int(rest.split("/")[2], 0))
        return None

    def _site_ulytau(self, rest: str) -> Page | None:
        if rest == "":
            return self._html("ulytau", self._render("home.html", "ulytau", items=self._feed_items("ulytau", 5)))
        if rest == "sitemap.xml":
            return Page(200, self._render("sitemap-index.xml", "ulytau"), "application/xml")
        if rest == "sitemap-news.xml":
            items = [a for a in self.farm.by_site("ulytau")]
            return Page(
                200,
                self._render(
                    "sitemap-news.xml", "ulytau", items=items, extra_links=["/ulytau/article/100003-zhabyq-material"]
                ),
                "application/xml",
            )
        if rest == "sitemap-pages.xml":
            return Page(200, self._render("sitemap-pages.xml", "ulytau"), "application/xml")
        if rest in ("about", "contacts"):
            return self._html("ulytau", self._render("home.html", "ulytau", items=[]))
        return None

    def _site_dalavlast(self, rest: str) -> Page | None:
        if rest in ("", "ru", "kz"):
            return self._html(
                "dalavlast", self._render("home.html", "dalavlast", items=self._feed_items("dalavlast", 10))
            )
        if rest == "feed/atom.xml":
            items = self._feed_items("dalavlast", 10_000)
            body = self._render(
                "atom.xml", "dalavlast", items=items, extra_links=["/dalavlast/ru/novosti/100004-empty-page.html"]
            )
            return Page(200, body, "application/atom+xml; charset=utf-8")
        return None

    def _site_qtag(self, rest: str) -> Page | None:
        if rest == "":
            return self._html("qtag", self._render("home.html", "qtag"))
        return None

    def _site_agg(self, rest: str) -> Page | None:
        if rest == "":
            return self._listing("agg", 1)
        if rest == "rss.xml":
            return Page(
                200,
                self._render("rss.xml", "agg", items=self._feed_items("agg", 15), extra_links=[]),
                "application/rss+xml; charset=utf-8",
            )
        return None

    def _robots(self, site: str) -> str:
        lines = ["User-agent: *", f"Disallow: /{site or 'any'}/private/", "Disallow: /kazlenta/search"]
        if site == "ulytau":
            lines.append(f"Sitemap: {self.base_urls[site]}/ulytau/sitemap.xml")
        return "\n".join(lines) + "\n"


def _int(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    app: FarmApp

    def do_GET(self) -> None:
        faults = self.app.faults
        if faults is not None and fault_site(self.path, self.headers.get("Host", "")):
            faults.serve(self)  # writes (or withholds) the response itself: resets, drips, streams
            return
        try:
            page = self.app.handle(self.path, self.headers.get("Host", ""), self.headers.get("If-None-Match", ""))
        except Exception as exc:  # a farm bug must show as a 500, like a real site, not kill the thread
            page = Page(500, html.escape(repr(exc)).encode())
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        for name, value in page.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(page.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a crawl makes thousands of requests."""


class FarmServer:
    """The farm on 127.0.0.1 (``port=0``: a free port), served from a background thread.

    ``proxy`` is what the crawler uses as its HTTP proxy for ``*.farm.test`` URLs. ``faults=True`` adds the fault
    farm's misbehaving sites (``f-*.farm.test``, :mod:`monitor.farm.faults`) next to the six news sites.
    """

    def __init__(self, port: int = 0, today: date = DEFAULT_TODAY, scale: int = 1, faults: bool = False) -> None:
        self.app = FarmApp(Farm(today=today, scale=scale), FaultSites(today) if faults else None)
        handler = type("FarmHandler", (_Handler,), {"app": self.app})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.proxy = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    @property
    def farm(self) -> Farm:
        return self.app.farm

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of each site."""
        return dict(self.app.base_urls)

    def start(self) -> FarmServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="farm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def url_of(self, article: FarmArticle) -> str:
        return self.app.url(article.path)

    def expected_urls(self) -> set[str]:
        """URLs of every farm article a complete crawl must store."""
        return {self.url_of(a) for a in self.farm.articles}


@contextmanager
def running_farm(port: int = 0, today: date = DEFAULT_TODAY, scale: int = 1) -> Iterator[FarmServer]:
    server = FarmServer(port, today, scale).start()
    try:
        yield server
    finally:
        server.stop()


def local_now(today: date) -> datetime:
    """The farm's 'now': noon of its day in Almaty (articles are dated up to the morning)."""
    return datetime.combine(today, datetime.min.time(), tzinfo=ALMATY) + timedelta(hours=12)
