"""Scrapy item pipelines: thin adapters over ``monitor/``, one small file each, in numbered order.

normalize (100)  FetchedPage → ProcessedArticle: extraction, canonical URL, content hash (monitor.process)
dedupe    (200)  drop a URL stored already; link an exact copy of stored text to its original
classify  (300)  relevance, topics, severity, entities, event dates (monitor.classify)
store     (900)  batched idempotent writes, stories, per-source crawl counts (monitor.archive)

Every drop is counted in the crawl stats under ``monitor/<source>/...`` and feeds source health.
"""
