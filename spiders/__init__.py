"""Scrapy spiders: discovery and fetching only; extraction and everything after live in ``monitor/``."""
