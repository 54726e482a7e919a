"""Canonical URLs: one article per canonical URL whatever tracking, AMP, mobile or print variant linked to it."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id", "fbclid", "gclid", "yclid",
    "_openstat", "from", "ref", "ref_src", "share", "amp", "print", "output", "mc_cid", "mc_eid",
)  # fmt: skip
_AMP_PATH = re.compile(r"(^/amp(?=/)|/amp/?$|\.amp(?=\.html?$))")


def canonical_url(url: str, base: str | None = None) -> str:
    """A stable identity for ``url``: https, lower-case host without ``www.``/``m.``/``amp.``, no fragment,
    no tracking or print parameters, no AMP path marker, sorted query, no trailing slash.
    """
    if base:
        url = urljoin(base, url.strip())
    url = url_query_cleaner(url, TRACKING_PARAMS, remove=True)
    url = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(url)
    host = parts.hostname or ""
    for prefix in ("www.", "m.", "amp.", "mobile."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    netloc = host + (f":{parts.port}" if parts.port and parts.port not in (80, 443) else "")
    path = _AMP_PATH.sub("", parts.path) or "/"
    if path != "/" and path.endswith("/"):
        path = path.rstrip("/")
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def is_http_url(url: str) -> bool:
    """Only http(s) links are followed, stored or shown (never ``javascript:``, ``data:`` or ``mailto:``)."""
    return urlsplit(url.strip()).scheme.lower() in ("http", "https")
