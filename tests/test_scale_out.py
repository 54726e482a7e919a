"""Scale-out for real: two crawler processes share one Redis queue (scrapy-redis) and one PostgreSQL archive."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from monitor.archive.models import Article
from monitor.archive.store import Archive
from monitor.farm import FarmServer
from tests.conftest import REDIS_URL, ROOT, service_missing
from tests.test_e2e import expected_urls

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_url() -> str:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:  # any failure to reach Redis means the service is missing
        service_missing(f"Redis is not reachable at {REDIS_URL}: {exc}")
    for key in client.scan_iter("monitor:*"):
        client.delete(key)
    return REDIS_URL


def test_two_crawlers_store_every_article_exactly_once(farm: FarmServer, pg_url: str, redis_url: str) -> None:
    archive = Archive.open(pg_url)  # creates the schema once, before the crawlers start
    from tests.conftest import _truncate

    _truncate(archive)
    env = {
        **os.environ,
        "MONITOR_REDIS_URL": redis_url,
        "MONITOR_FARM_PROXY": farm.proxy,
        "MONITOR_AUTOTHROTTLE": "0",
        "MONITOR_LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "monitor.cli", "crawl", "--sources", "farm", "--db", pg_url]
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode in (0, 1), err[-3000:]  # 1: the farm's broken pages count as source errors
    fetched = [int(out.split(" pages fetched")[0].split()[-1]) for out, _ in outputs]
    assert all(n > 0 for n in fetched), outputs  # both processes did work
    with archive.session() as s:
        urls = list(s.scalars(select(Article.url)))
        assert s.scalar(select(func.count(Article.id))) == len(set(urls))
    assert set(urls) == expected_urls(farm)
    import redis

    client = redis.Redis.from_url(redis_url)
    ttl = client.ttl("monitor:news:seen")
    assert 0 < ttl <= 20 * 3600  # the shared seen-set expires instead of growing forever
    archive.close()
