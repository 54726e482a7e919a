"""Scrapy settings for the monitor crawl. Every deviation from Scrapy's default is annotated.

Deployment values come from environment variables (MONITOR_*), so cron, CI and a scale-out box share this file.
"""

from __future__ import annotations

import os

from monitor.sources import politeness_slots

BOT_NAME = "kz-labour-monitor"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# An honest User-Agent with a contact URL (default: Scrapy/VERSION).
MONITOR_CONTACT = os.environ.get("MONITOR_CONTACT", "https://github.com/kz-labour-monitor/monitor")
USER_AGENT = f"kz-labour-monitor/0.1 (+{MONITOR_CONTACT})"

ROBOTSTXT_OBEY = True  # default False in Scrapy's template-less settings
CONCURRENT_REQUESTS = int(os.environ.get("MONITOR_CONCURRENT_REQUESTS", "32"))  # default 16
CONCURRENT_REQUESTS_PER_DOMAIN = int(os.environ.get("MONITOR_PER_DOMAIN", "8"))  # default 8
# default 180: a news page that takes 30 s is down for our purposes (the fault-farm test sets a few seconds)
DOWNLOAD_TIMEOUT = int(os.environ.get("MONITOR_DOWNLOAD_TIMEOUT", "30"))
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # default 1 GiB: no article is 20 MB
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024  # default 32 MiB
REDIRECT_MAX_TIMES = 5  # default 20: redirect loops end fast
RETRY_TIMES = 2  # default 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]  # default, listed for the record
COOKIES_ENABLED = False  # default True: news pages need no session
TELNETCONSOLE_ENABLED = False  # default True
LOG_LEVEL = os.environ.get("MONITOR_LOG_LEVEL", "INFO")  # default DEBUG
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# Politeness on the real web: AutoThrottle adapts the delay to each site's latency. The offline farm and
# benchmarks turn it off (MONITOR_AUTOTHROTTLE=0).
AUTOTHROTTLE_ENABLED = os.environ.get("MONITOR_AUTOTHROTTLE", "1") == "1"  # default False
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.RetryAfterMiddleware": 550,  # Scrapy's retries + Retry-After on 429/503
    "spiders.middlewares.FarmProxyMiddleware": 740,  # before HttpProxyMiddleware (750)
    "spiders.middlewares.SourceStatsMiddleware": 950,  # after redirects/retries: counts what each source answered
}

# Per-site politeness from the sources files (politeness: download_delay / concurrency), keyed by host.
DOWNLOAD_SLOTS = politeness_slots()

# Pipelines, in bands: normalize (100) → dedupe (200) → classify (300) → store (900). Each is a thin adapter over
# monitor/ (see pipelines/__init__.py).
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.dedupe.DedupePipeline": 200,
    "pipelines.classify.ClassifyPipeline": 300,
    "pipelines.store.StorePipeline": 900,
}

# The archive (any SQLAlchemy URL); the farm URL when crawling the offline farm.
MONITOR_DB = os.environ.get("MONITOR_DB", "sqlite:///monitor.db")
# The offline farm as the proxy for *.farm.test hosts ("http://127.0.0.1:PORT", printed by `monitor farm serve`).
MONITOR_FARM_PROXY = os.environ.get("MONITOR_FARM_PROXY", "")
MONITOR_STORE_BATCH = int(os.environ.get("MONITOR_STORE_BATCH", "50"))  # articles per archive transaction
# Revisit relevant articles 1 and 7 days after publication, to catch edits (kept as versions) and takedowns.
MONITOR_REVISIT = os.environ.get("MONITOR_REVISIT", "1") == "1"
MONITOR_SINCE = os.environ.get("MONITOR_SINCE", "")  # ISO time: skip feed/sitemap items dated before it
MONITOR_MAX_PER_SOURCE = int(os.environ.get("MONITOR_MAX_PER_SOURCE", "0"))  # article fetches per source (0: no limit)

# Scale-out (README "Scaling out"): with MONITOR_REDIS_URL set, every crawler process shares one request queue and
# one duplicate filter in Redis (scrapy-redis), so N processes on one or many machines split the work. The archive
# is then PostgreSQL (MONITOR_DB), where each URL is stored once whichever process fetched it.
MONITOR_REDIS_URL = os.environ.get("MONITOR_REDIS_URL", "")
if MONITOR_REDIS_URL:
    SCHEDULER = "spiders.redis_adapter.SharedScheduler"  # default: Scrapy's in-memory scheduler
    DUPEFILTER_CLASS = "spiders.redis_adapter.ExpiringDupeFilter"  # default: in-memory RFPDupeFilter
    REDIS_URL = MONITOR_REDIS_URL
    SCHEDULER_PERSIST = True  # the first process to finish must not wipe the queue the others still use
    SCHEDULER_QUEUE_KEY = "monitor:%(spider)s:requests"
    SCHEDULER_DUPEFILTER_KEY = "monitor:%(spider)s:seen"
    MONITOR_DUPEFILTER_TTL = int(os.environ.get("MONITOR_DUPEFILTER_TTL", str(20 * 3600)))  # seen-set expires
