"""The offline farm: enough articles, every site family, the broken cases, its own clock."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter
from datetime import date

import pytest

from monitor.farm import SITES, Farm, FarmServer


def fetch(server: FarmServer, url: str) -> tuple[int, bytes, str]:
    """GET a farm URL through the farm, as the crawler does (it is the proxy for *.farm.test)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": server.proxy}))
    try:
        with opener.open(url, timeout=10) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


def test_farm_has_enough_articles_in_both_languages() -> None:
    farm = Farm()
    assert len(farm.articles) >= 150
    langs = Counter(a.lang for a in farm.articles)
    assert langs["ru"] >= 60 and langs["kk"] >= 30 and langs["kk-latn"] >= 3
    assert set(Counter(a.site for a in farm.articles)) == set(SITES)
    reprints = Counter(a.reprint for a in farm.articles if a.reprint)
    assert set(reprints) == {"verbatim", "truncated", "edited", "translated"}


def test_scenario_dates_lie_ahead_of_the_farm_clock() -> None:
    farm = Farm()
    assert farm.today == date(2026, 7, 2)
    assert all(a.published_local.date() <= farm.today for a in farm.articles)
    moved = Farm(today=date(2026, 8, 1))
    assert moved.articles[0].published_local.date() > farm.articles[0].published_local.date()


def test_scale_multiplies_articles() -> None:
    assert len(Farm(scale=3).articles) == 3 * len(Farm().articles)


def test_each_discovery_method_is_served(farm: FarmServer) -> None:
    u = farm.urls
    status, body, ctype = fetch(farm, f"{u['kazlenta']}/kazlenta/rss/all.xml")
    assert status == 200 and b"<rss" in body and "rss+xml" in ctype
    status, body, _ = fetch(farm, f"{u['ulytau']}/ulytau/sitemap.xml")
    assert status == 200 and b"sitemapindex" in body
    status, body, _ = fetch(farm, f"{u['dalavlast']}/dalavlast/feed/atom.xml")
    assert b"<feed" in body
    status, body, ctype = fetch(farm, f"{u['vestnik']}/vestnik/news/page/2/")
    assert status == 200 and "windows-1251" in ctype and "Новости".encode("cp1251") in body
    status, body, _ = fetch(farm, f"{u['qtag']}/qtag/search?q=%D0%9A%D0%B0%D0%B7%D0%B0%D1%85%D0%BC%D1%8B%D1%81")
    assert status == 200 and body.count(b"/qtag/wire/") >= 3
    status, body, _ = fetch(farm, f"{u['qtag']}/qtag/")
    assert b"/qtag/wire/" not in body  # search is the only way in


@pytest.mark.parametrize(
    ("site", "path", "status"),
    [
        ("kazlenta", "/kazlenta/news/100001-deleted-story/", 404),
        ("vestnik", "/vestnik/main_news/server-error/", 500),
        ("ulytau", "/ulytau/article/100003-zhabyq-material", 403),
        ("dalavlast", "/dalavlast/ru/novosti/100004-empty-page.html", 200),
    ],
)
def test_broken_cases(farm: FarmServer, site: str, path: str, status: int) -> None:
    assert fetch(farm, farm.urls[site] + path)[0] == status


def test_redirect_and_charset_lie(farm: FarmServer) -> None:
    art = farm.farm.by_site("kazlenta")[-1]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": farm.proxy}))
    with opener.open(f"{farm.urls['kazlenta']}/kazlenta/old/{art.id}", timeout=10) as r:
        assert r.geturl() == farm.url_of(art)
    _status, body, ctype = fetch(farm, farm.app.url(farm.app.wrong_charset_path))
    assert "utf-8" in ctype and "charset=windows-1251" in body.decode("cp1251")


def test_browser_can_open_a_site_by_path(farm: FarmServer) -> None:
    with urllib.request.urlopen(f"{farm.proxy}/kazlenta/", timeout=10) as r:
        assert r.status == 200 and b"KazLenta" in r.read()
