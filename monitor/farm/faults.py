"""The fault farm: extra mock sites that misbehave at the HTTP and socket level (``FarmServer(faults=True)``).

Each fault site is a host of its own (``http://f-reset.farm.test/f-reset/…``, sources in
``monitor/sources/faults.yaml``) and shows one failure a crawl of the real web meets:

==============  =========================================================================================
``f-reset``     every page: the connection is reset (RST) before any byte of a response
``f-drip``      the feed: headers at once, then the body one byte every ``drip_interval`` seconds
``f-500``       every page: 500 Internal Server Error
``f-retry``     the feed answers 429, then 503 (both with ``Retry-After``), then 200; two of its three
                articles answer one 503 or 429 first: a few throttling answers, then everything arrives
``f-bomb``      articles: ``Content-Encoding: gzip``, ~60 KB that inflate to 64 MiB (> DOWNLOAD_MAXSIZE)
``f-huge``      articles: 50 MB of HTML, once with ``Content-Length`` and once chunked (no length), streamed
``f-badfeed``   an RSS feed with an undefined entity, a stray ``&`` and a cut-off tail; its valid items work
``f-badmap``    a sitemap with a stray ``&``, an unclosed element, garbage and a cut-off tail
``f-charset``   articles whose charset lies: header utf-8 over windows-1251 bytes; meta koi8-r over utf-8;
                header windows-1251 over koi8-r bytes
``f-redirect``  articles that redirect in a two-page loop, down an endless chain of new URLs, off-site to
                ``f-elsewhere.farm.test`` (in no sources file, serving a valid-looking page), and one ordinary
                moved article: an old URL that answers 301 to the article's new URL on the same site
``f-pager``     a listing whose every page links a next page and ten new article links that 404
``f-calendar``  a calendar: every day links every day of its month and the next day, forever; its articles 404
``f-challenge`` the feed works, every article answers 200 with a "Checking your browser… captcha" page
==============  =========================================================================================

The sites' good articles (``f-retry``, ``f-badfeed``, ``f-badmap``, ``f-charset``, the moved ``f-redirect`` one)
are generated here as data: small Russian news items of 150+ words, dated on the farm clock. Plain Python: the
socket-level behaviour is written straight to the request handler of :mod:`monitor.farm.server`.
"""

from __future__ import annotations

import html
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from monitor.dates import ALMATY

FARM_DOMAIN = "farm.test"
FAULT_SITES = (
    "f-reset",
    "f-drip",
    "f-500",
    "f-retry",
    "f-bomb",
    "f-huge",
    "f-badfeed",
    "f-badmap",
    "f-charset",
    "f-redirect",
    "f-pager",
    "f-calendar",
    "f-challenge",
)
OFFSITE = "f-elsewhere"  # the target of off-site redirects: a host in no sources file
HOSTS = (*FAULT_SITES, OFFSITE)
BOMB_SIZE = 64 * 1024 * 1024  # inflated size of the gzip bomb (DOWNLOAD_MAXSIZE is 20 MB)
HUGE_SIZE = 50 * 1000 * 1000  # the huge page, streamed in chunks: never held in memory
PAGER_LINKS = 10  # fake article links per infinite-pagination page
CALENDAR_START = date(2026, 7, 1)
RETRY_AFTER = "1"
MOVED_FROM = "/f-redirect/news/3303-staryi-adres.html"  # 301 to the f-redirect article's own URL

_POOL = (
    "По словам представителей местного акимата, работы планируется завершить в установленные сроки, а ход "
    "выполнения будет проверять специальная комиссия. В её состав вошли депутаты городского маслихата, "
    "общественники и специалисты профильных управлений. Жители могут направлять свои вопросы и предложения через "
    "единый контакт-центр или на официальную страницу акимата в социальных сетях.",
    "Местные жители встретили новость по-разному. Одни считают, что перемены давно назрели и должны были "
    "начаться несколько лет назад, другие опасаются, что обещания снова останутся на бумаге. Пенсионерка Галина "
    "Петровна рассказала корреспонденту, что уже не раз слышала подобные заявления, но всё же надеется увидеть "
    "результат своими глазами.",
    "Эксперты отмечают, что подобные проекты в регионе нередко сталкиваются с нехваткой подрядчиков и ростом цен "
    "на материалы. Тем не менее в этом году бюджет области предусматривает дополнительное финансирование, и "
    "чиновники уверяют, что денег хватит на все запланированные мероприятия. Отчёт о расходах обещают "
    "опубликовать до конца года.",
    "Редакция продолжит следить за развитием событий и расскажет читателям о том, как будут выполнены обещания. "
    "Если у вас есть информация по этой теме, фотографии или видео, присылайте их в наш бот в мессенджере или на "
    "электронную почту редакции. Анонимность источников гарантируется.",
)

# (site, slug, title, first paragraph): the good articles of the fault sites.
_ARTICLES = (
    ("f-retry", "shkoly-remont", "В Караганде отремонтируют двенадцать школ к новому учебному году",
     "Двенадцать школ Караганды получат капитальный ремонт до первого сентября. В списке здания, построенные в "
     "шестидесятые годы: в них заменят кровлю, окна и систему отопления, а в трёх школах отремонтируют "
     "спортивные залы. Городской отдел образования обещает, что занятия начнутся вовремя и ни одну школу не "
     "придётся переводить на обучение в две смены."),
    ("f-retry", "avtobus-temirtau", "Автобусный маршрут до Темиртау продлят до нового микрорайона",
     "Пригородный автобус, который связывает Караганду и Темиртау, с августа будет заходить в новый микрорайон "
     "на восточной окраине города. Об этом сообщили в управлении пассажирского транспорта области. Жители "
     "микрорайона полтора года добирались до остановки пешком по обочине трассы и несколько раз писали "
     "коллективные обращения в акимат и депутатам."),
    ("f-retry", "balhash-foto", "В Балхаше открылась выставка старых фотографий медеплавильного завода",
     "В городском музее Балхаша открылась выставка фотографий, посвящённая истории медеплавильного завода. "
     "Большую часть снимков принесли сами горожане: на них первые цеха, строительство жилых кварталов, "
     "демонстрации и праздники заводчан. Сотрудники музея говорят, что собирали экспозицию почти год и "
     "продолжают принимать фотографии от ветеранов и их семей."),
    ("f-badfeed", "satpaev-voda", "Жители Сатпаева пожаловались на перебои с горячей водой",
     "Жители нескольких домов в центре Сатпаева третью неделю живут без стабильной горячей воды. Напор то "
     "появляется, то пропадает, а в выходные воду отключали полностью. В коммунальном предприятии объясняют "
     "перебои ремонтом магистральной трубы и обещают закончить работы к концу месяца, но жильцы говорят, что "
     "слышат это обещание уже не первый раз."),
    ("f-badfeed", "shahmaty-turnir", "В Жезказгане прошёл городской турнир по шахматам среди школьников",
     "В Жезказгане завершился городской шахматный турнир среди школьников, в котором участвовали больше "
     "восьмидесяти детей из пятнадцати школ. Победителем в старшей группе стал девятиклассник из гимназии номер "
     "два, в младшей группе первое место заняла ученица четвёртого класса. Лучшие игроки поедут на областные "
     "соревнования в Караганду в начале осени."),
    ("f-badfeed", "biblioteka-dar", "Областная библиотека получила в дар собрание книг местного краеведа",
     "Областная библиотека получила в дар личное собрание книг известного краеведа, который полвека изучал "
     "историю степных посёлков и рудников. В собрании больше двух тысяч томов, редкие издания двадцатых годов, "
     "рукописные дневники экспедиций и карты. Сотрудники библиотеки планируют оцифровать самые ценные материалы "
     "и открыть к ним доступ для исследователей."),
    ("f-badmap", "most-remont", "На трассе Караганда — Балхаш начался ремонт моста через реку",
     "На трассе Караганда — Балхаш начался ремонт моста через реку Токырау. Движение по мосту перевели в "
     "реверсивный режим, на подъездах установили временные светофоры. Дорожники предупреждают, что в часы пик "
     "возможны заторы длиной до километра, и советуют водителям грузовиков заранее планировать время в пути. "
     "Ремонт должны закончить до конца октября."),
    ("f-badmap", "sazhentsy-temirtau", "В Темиртау высадили пятьсот саженцев вдоль набережной",
     "Волонтёры и работники городских служб высадили вдоль набережной Темиртау пятьсот саженцев карагача, "
     "берёзы и сосны. Акция прошла в выходные, в ней участвовали студенты колледжей, сотрудники предприятий и "
     "семьи с детьми. Организаторы обещают, что за деревьями будут ухаживать до конца лета, а осенью проверят, "
     "сколько саженцев прижилось."),
    ("f-charset", "veterany-shahtinsk", "Горняки Шахтинска отметили день ветеранов угольной отрасли",
     "В Шахтинске прошла встреча ветеранов угольной отрасли, приуроченная к профессиональному празднику. "
     "Бывшие горняки вспоминали работу на шахтах, аварии и спасательные операции, рассказывали молодым "
     "шахтёрам о том, как менялись условия труда. Участникам вручили памятные подарки, а школьники подготовили "
     "для них концерт в городском доме культуры."),
    ("f-charset", "sportzal-priozersk", "В Приозёрске открыли новый спортивный зал для подростков",
     "В Приозёрске открылся бесплатный спортивный зал для подростков. В нём есть тренажёры, ринг для занятий "
     "боксом и площадка для настольного тенниса. Зал работает ежедневно до девяти вечера, с детьми занимаются "
     "три тренера. Инициатором открытия стал местный совет молодёжи, который два года собирал подписи и искал "
     "помещение для занятий."),
    ("f-charset", "senokos-ulytau", "Фермеры Улытауской области начали сенокос раньше обычного",
     "Фермеры Улытауской области начали заготовку сена на две недели раньше обычного. Из-за жаркой весны трава "
     "созрела быстрее, и хозяйства торопятся убрать её до того, как она выгорит. По данным областного "
     "управления сельского хозяйства, в этом году планируют заготовить больше ста тысяч тонн сена, чтобы "
     "обеспечить кормами скот на всю зиму."),
    ("f-redirect", "novyi-adres", "Городской парк Жезказгана закроют на реконструкцию до осени",
     "Центральный парк Жезказгана закроют на реконструкцию с понедельника. Подрядчик заменит освещение, уложит "
     "новые дорожки, отремонтирует фонтан и установит детские площадки. На время работ вход в парк будет "
     "закрыт, а летние мероприятия перенесут на площадь перед дворцом культуры. В акимате обещают открыть "
     "обновлённый парк к первому сентября, ко Дню знаний."),
    (OFFSITE, "avto-obyavleniya", "Продажа подержанных автомобилей с пробегом недорого",
     "На нашем сайте тысячи объявлений о продаже подержанных автомобилей по всему Казахстану. Выбирайте машину "
     "по марке, году выпуска и цене, сравнивайте предложения продавцов и договаривайтесь о просмотре напрямую. "
     "Размещение объявлений для частных лиц бесплатное, а проверка истории автомобиля по номеру кузова стоит "
     "меньше тысячи тенге."),
)  # fmt: skip

# Charset lies of the f-charset articles, in order: (Content-Type header, meta charset or "", body encoding).
CHARSET_LIES = (
    ("text/html; charset=utf-8", "", "windows-1251"),
    ("text/html", "koi8-r", "utf-8"),
    ("text/html; charset=windows-1251", "", "koi8-r"),
)
CHALLENGE_HTML = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    "<h1>Checking your browser before accessing the site…</h1><p>Please complete the captcha to continue.</p>"
    "<div id='cf-challenge'></div></body></html>"
).encode()


@dataclass(frozen=True)
class FaultArticle:
    site: str
    number: int
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    published_local: datetime

    @property
    def path(self) -> str:
        return f"/{self.site}/news/{self.number}-{self.slug}.html"

    @property
    def url(self) -> str:
        return site_url(self.site) + self.path

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class Reply:
    """What a fault page does: an ordinary answer, or ``mode`` ``reset``, ``drip`` or ``stream``."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    mode: str = "normal"
    size: int = 0  # stream: bytes to send
    chunked: bool = False  # stream: Transfer-Encoding chunked instead of a Content-Length


def site_url(site: str) -> str:
    return f"http://{site}.{FARM_DOMAIN}"


def fault_site(raw_path: str, host: str = "") -> str:
    """The fault site a request is for (by host, or by ``/<site>/`` path prefix on the bare port), or ``""``."""
    parts = urlsplit(raw_path)
    name = (parts.hostname or host.split(":")[0]).lower()
    if name.endswith("." + FARM_DOMAIN):
        name = name[: -len(FARM_DOMAIN) - 1]
        return name if name in HOSTS else ""
    first = parts.path.strip("/").split("/", 1)[0]
    return first if first in HOSTS else ""


def _page(title: str, body: str, *, meta_charset: str = "utf-8", head: str = "") -> str:
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    return (
        f'<!DOCTYPE html>\n<html lang="ru">\n<head>\n{meta}\n<title>{html.escape(title)}</title>\n{head}</head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    )


class FaultSites:
    """Routes and serves the fault sites; per-URL counters make the throttling answers run out."""

    def __init__(self, today: date, drip_interval: float = 0.5, drip_limit: float = 60.0) -> None:
        self.today = today
        self.drip_interval = drip_interval
        self.drip_limit = drip_limit  # a drip never lasts longer than this, even if the client waits
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self.requests = 0

    # ------------------------------------------------------------------ data
    @cached_property
    def articles(self) -> list[FaultArticle]:
        out = []
        for i, (site, slug, title, first) in enumerate(_ARTICLES):
            rest = tuple(p for j, p in enumerate(_POOL) if j != i % len(_POOL))
            when = datetime.combine(self.today, datetime.min.time(), tzinfo=ALMATY) - timedelta(
                days=i % 3, hours=-8, minutes=-7 * i
            )
            out.append(FaultArticle(site, 3000 + i, slug, title, (first, *rest), when))
        return out

    def by_site(self, site: str) -> list[FaultArticle]:
        return [a for a in self.articles if a.site == site]

    @cached_property
    def _by_path(self) -> dict[str, FaultArticle]:
        return {a.path: a for a in self.articles}

    @cached_property
    def _bomb(self) -> bytes:
        """~60 KB of gzip that inflate to BOMB_SIZE bytes (compressed piece by piece: never held inflated)."""
        z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # wbits 16+: a gzip header and trailer
        out = [z.compress(b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>bomb</title></head><body><p>")]
        chunk = b" " * (1024 * 1024)
        out += [z.compress(chunk) for _ in range(BOMB_SIZE // len(chunk))]
        out.append(z.flush())
        return b"".join(out)

    # ------------------------------------------------------------------ pages
    def article_html(self, art: FaultArticle, meta_charset: str = "utf-8") -> str:
        iso = art.published_local.isoformat()
        head = (
            '<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{html.escape(art.title)}">\n'
            f'<meta property="article:published_time" content="{iso}">\n'
            f'<link rel="canonical" href="{art.url}">\n'
        )
        paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in art.paragraphs)
        body = (
            f'<header><a href="{site_url(art.site)}/{art.site}/">Новости региона</a></header>\n<main><article>\n'
            f'<h1>{html.escape(art.title)}</h1>\n<time datetime="{iso}">{art.published_local:%d.%m.%Y %H:%M}</time>\n'
            f"{paras}\n</article></main>\n<footer>© 2026 Новости региона</footer>"
        )
        return _page(art.title, body, meta_charset=meta_charset, head=head)

    def rss(self, site: str, items: list[str], raw_tail: str = "") -> bytes:
        head = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n'
            f"<title>{site}</title>\n<link>{site_url(site)}/{site}/</link>\n<description>Новости</description>\n"
        )
        return (head + "".join(items) + (raw_tail or "</channel>\n</rss>\n")).encode()

    def _item(self, url: str, title: str, when: datetime | None = None) -> str:
        pub = format_datetime(when or self._noon())
        return f"<item>\n<title>{title}</title>\n<link>{url}</link>\n<pubDate>{pub}</pubDate>\n</item>\n"

    def _noon(self) -> datetime:
        return datetime.combine(self.today, datetime.min.time(), tzinfo=ALMATY) + timedelta(hours=9)

    def _feed_of(self, site: str, paths: list[tuple[str, str]]) -> Reply:
        items = [self._item(site_url(site) + p, html.escape(t)) for p, t in paths]
        return Reply(200, self.rss(site, items), "application/rss+xml; charset=utf-8")

    def _hit(self, key: str) -> int:
        """How many times this URL was asked for, this one included."""
        with self._lock:
            self._hits[key] = self._hits.get(key, 0) + 1
            return self._hits[key]

    # ------------------------------------------------------------------ routing
    def route(self, raw_path: str, host: str = "") -> Reply:
        site = fault_site(raw_path, host)
        path = urlsplit(raw_path).path
        if path == "/robots.txt":
            return Reply(200, b"User-agent: *\nDisallow: /private/\n", "text/plain; charset=utf-8")
        if not path.startswith(f"/{site}/"):
            return Reply(404, b"<html><body>Not found</body></html>")
        rest = path[len(site) + 2 :]
        handler = getattr(self, "_" + site.replace("-", "_"))
        reply: Reply | None = handler(path, rest)
        return reply or Reply(404, b"<html><body>Not found</body></html>")

    def _f_reset(self, path: str, rest: str) -> Reply:
        return Reply(mode="reset")

    def _f_drip(self, path: str, rest: str) -> Reply | None:
        if rest != "rss.xml":
            return None
        items = [self._item(f"{site_url('f-drip')}/f-drip/news/{3900 + i}-drip.html", "Новость") for i in range(3)]
        return Reply(200, self.rss("f-drip", items), "application/rss+xml; charset=utf-8", mode="drip")

    def _f_500(self, path: str, rest: str) -> Reply:
        return Reply(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>")

    def _f_retry(self, path: str, rest: str) -> Reply | None:
        arts = self.by_site("f-retry")
        if rest == "rss.xml":
            n = self._hit(path)
            if n == 1:
                return Reply(429, b"Too Many Requests", "text/plain", (("Retry-After", RETRY_AFTER),))
            if n == 2:
                return Reply(503, b"Service Unavailable", "text/plain", (("Retry-After", RETRY_AFTER),))
            return self._feed_of("f-retry", [(a.path, a.title) for a in arts])
        art = self._by_path.get(path)
        if art is None:
            return None
        first = {arts[0].path: 503, arts[1].path: 429}.get(path)
        if first and self._hit(path) == 1:
            return Reply(first, b"Slow down", "text/plain", (("Retry-After", RETRY_AFTER),))
        return Reply(200, self.article_html(art).encode())

    def _f_bomb(self, path: str, rest: str) -> Reply | None:
        if rest == "rss.xml":
            return self._feed_of("f-bomb", [(f"/f-bomb/news/{3100 + i}-bomba.html", "Бомба") for i in range(2)])
        if rest.startswith("news/"):
            return Reply(200, self._bomb, headers=(("Content-Encoding", "gzip"),))
        return None

    def _f_huge(self, path: str, rest: str) -> Reply | None:
        if rest == "rss.xml":
            return self._feed_of(
                "f-huge", [("/f-huge/news/3200-ogromnaya.html", "Огромная"), ("/f-huge/news/3201-potok.html", "Поток")]
            )
        if rest == "news/3200-ogromnaya.html":
            return Reply(mode="stream", size=HUGE_SIZE)
        if rest == "news/3201-potok.html":
            return Reply(mode="stream", size=HUGE_SIZE, chunked=True)
        return None

    def _f_badfeed(self, path: str, rest: str) -> Reply | None:
        arts = self.by_site("f-badfeed")
        if rest == "rss.xml":
            good = [self._item(a.url, html.escape(a.title)) for a in arts[:2]]
            # an undefined HTML entity and a stray ampersand in an otherwise valid item
            odd = self._item(arts[2].url, "Библиотека&nbsp;получила книги & карты &laquo;краеведа&raquo;")
            # the feed ends here, in the middle of a link: no closing tags
            cut = "<item>\n<title>Обрыв ленты</title>\n<link>http://f-badfeed.farm.test/f-badfeed/news/3099-obr"
            return Reply(200, self.rss("f-badfeed", [*good, odd], raw_tail=cut), "application/rss+xml; charset=utf-8")
        return self._article_page(path)

    def _f_badmap(self, path: str, rest: str) -> Reply | None:
        arts = self.by_site("f-badmap")
        if rest == "sitemap.xml":
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"<url><loc>{arts[0].url}</loc><lastmod>{arts[0].published_local.isoformat()}</lastmod></url>\n"
                f"<url><loc>{arts[1].url}</loc><lastmod>Tom & Jerry &bogus; 2026</lastmod>\n"  # unclosed <url>
                "<<garbage>> </junk>\n"
                "<url><loc>http://f-badmap.farm.test/f-badmap/news/3098-obr"  # cut off
            )
            return Reply(200, body.encode(), "application/xml")
        return self._article_page(path)

    def _f_charset(self, path: str, rest: str) -> Reply | None:
        arts = self.by_site("f-charset")
        if rest == "rss.xml":
            return self._feed_of("f-charset", [(a.path, a.title) for a in arts])
        for art, (ctype, meta, enc) in zip(arts, CHARSET_LIES, strict=True):
            if art.path == path:
                return Reply(200, self.article_html(art, meta).encode(enc, errors="xmlcharrefreplace"), ctype)
        return None

    def _f_redirect(self, path: str, rest: str) -> Reply | None:
        base = f"{site_url('f-redirect')}/f-redirect/news/"
        offsite = self.by_site(OFFSITE)[0]
        if rest == "rss.xml":
            return self._feed_of(
                "f-redirect",
                [
                    ("/f-redirect/news/3300-petlya-a.html", "Петля"),
                    ("/f-redirect/news/3301-tsep-1.html", "Цепочка"),
                    ("/f-redirect/news/3302-pereezd.html", "Переезд"),
                    (MOVED_FROM, "Старый адрес"),
                ],
            )
        if rest == "news/3300-petlya-a.html":
            return _redirect(302, base + "3300-petlya-b.html")
        if rest == "news/3300-petlya-b.html":
            return _redirect(302, base + "3300-petlya-a.html")
        if rest.startswith("news/3301-tsep-"):
            n = _int(rest.removeprefix("news/3301-tsep-").removesuffix(".html"))
            return _redirect(302, f"{base}3301-tsep-{n + 1}.html")
        if rest == "news/3302-pereezd.html":
            return _redirect(301, offsite.url)
        if path == MOVED_FROM:
            return _redirect(301, self.by_site("f-redirect")[0].url)
        return self._article_page(path)

    def _f_elsewhere(self, path: str, rest: str) -> Reply | None:
        return self._article_page(path)

    def _f_pager(self, path: str, rest: str) -> Reply | None:
        if rest == "news/":
            n = 1
        elif rest.startswith("news/page/"):
            n = _int(rest.removeprefix("news/page/").strip("/"))
        else:
            return None  # every article link 404s
        base = f"{site_url('f-pager')}/f-pager/news/"
        links = "\n".join(
            f'<li><a href="{base}{n * 100 + i}-zapis-{n}-{i}.html">Запись {n}.{i}</a></li>' for i in range(PAGER_LINKS)
        )
        body = f'<ul class="news">{links}</ul>\n<a class="next" href="{base}page/{n + 1}/">Следующая страница</a>'
        return Reply(200, _page(f"Новости, страница {n}", body).encode())

    def _f_calendar(self, path: str, rest: str) -> Reply | None:
        if not rest.startswith("calendar/"):
            return None  # every article link 404s
        try:
            day = date(*(int(x) for x in rest.removeprefix("calendar/").strip("/").split("/")))
        except (TypeError, ValueError):
            return None
        base = f"{site_url('f-calendar')}/f-calendar/"
        first = day.replace(day=1)
        days = [first + timedelta(days=i) for i in range(31) if (first + timedelta(days=i)).month == first.month]
        cal = " ".join(f'<a href="{base}calendar/{d:%Y/%m/%d}/">{d.day}</a>' for d in days)
        prev, nxt = day - timedelta(days=1), day + timedelta(days=1)
        arts = "\n".join(
            f'<li><a href="{base}{day:%Y/%m/%d}/sobytie-{i}.html">Событие дня {day:%d.%m.%Y} №{i}</a></li>'
            for i in range(3)
        )
        body = (
            f'<nav class="calendar">{cal}</nav>\n<ul class="news">{arts}</ul>\n'
            f'<a class="prev" href="{base}calendar/{prev:%Y/%m/%d}/">Предыдущий день</a>\n'
            f'<a class="next" href="{base}calendar/{nxt:%Y/%m/%d}/">Следующий день</a>'
        )
        return Reply(200, _page(f"Архив за {day:%d.%m.%Y}", body).encode())

    def _f_challenge(self, path: str, rest: str) -> Reply | None:
        if rest == "rss.xml":
            return self._feed_of(
                "f-challenge", [(f"/f-challenge/news/{3400 + i}-novost.html", f"Новость {i}") for i in range(4)]
            )
        if rest.startswith("news/"):
            return Reply(200, CHALLENGE_HTML)
        return None

    def _article_page(self, path: str) -> Reply | None:
        art = self._by_path.get(path)
        return Reply(200, self.article_html(art).encode()) if art else None

    # ------------------------------------------------------------------ the socket
    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request on ``handler``'s connection, misbehaving as the route says."""
        with self._lock:
            self.requests += 1
        reply = self.route(handler.path, handler.headers.get("Host", ""))
        try:
            if reply.mode == "reset":
                _reset(handler)
            elif reply.mode == "drip":
                self._drip(handler, reply)
            elif reply.mode == "stream":
                _stream(handler, reply)
            else:
                _headers(handler, reply, len(reply.body))
                handler.wfile.write(reply.body)
        except OSError:  # the client gave up (timeout, size limit): what these pages are for
            handler.close_connection = True

    def _drip(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        _headers(handler, reply, len(reply.body))
        handler.wfile.flush()
        deadline = time.monotonic() + self.drip_limit
        for i in range(len(reply.body)):
            if time.monotonic() > deadline:
                break
            handler.wfile.write(reply.body[i : i + 1])
            handler.wfile.flush()
            time.sleep(self.drip_interval)
        handler.close_connection = True


def _headers(handler: BaseHTTPRequestHandler, reply: Reply, length: int | None) -> None:
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.content_type)
    if length is not None:
        handler.send_header("Content-Length", str(length))
    for name, value in reply.headers:
        handler.send_header(name, value)
    handler.end_headers()


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection with a TCP RST before any byte of a response (SO_LINGER 0)."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.connection.close()


_HUGE_HEAD = b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Huge</title></head><body>\n"


def _filler(size: int) -> Iterator[bytes]:
    """The huge page: a head, then ``size`` bytes of paragraphs in 64 KB pieces."""
    line = ("<p>" + "Очень длинная страница без конца и края. " * 20 + "</p>\n").encode()
    chunk = line * max(1, 65536 // len(line))
    yield _HUGE_HEAD
    sent = 0
    while sent < size:
        piece = chunk[: size - sent]
        sent += len(piece)
        yield piece


def _stream(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """Send ``reply.size`` bytes of HTML in 64 KB pieces, never holding the page in memory."""
    _headers(
        handler,
        Reply(reply.status, content_type=reply.content_type, headers=(("Transfer-Encoding", "chunked"),))
        if reply.chunked
        else reply,
        None if reply.chunked else reply.size + len(_HUGE_HEAD),
    )
    for piece in _filler(reply.size):
        if reply.chunked:
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        else:
            handler.wfile.write(piece)
    if reply.chunked:
        handler.wfile.write(b"0\r\n\r\n")
    handler.close_connection = True


def _redirect(status: int, location: str) -> Reply:
    return Reply(status, b"", headers=(("Location", location),))


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 1
