"""Saved pages of real Kazakh news sites (tests/fixtures/sites/), City Bureau style: one test per site and field.

Each page is extracted as a crawl would: with the source's ``selectors`` from monitor/sources/kz.yaml, as raw bytes
(no HTTP charset: the page's own meta charset must do), against a frozen clock. ``expected.yaml`` holds what a
correct extraction gives. A case the extractor gets wrong is marked ``xfail(strict=True)`` with the reason, so a
fix turns it into a failure that asks for the mark to be removed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.extract import ExtractedArticle, extract
from monitor.sources import SourceConfig, load_sources

FIXTURES = Path(__file__).parent / "fixtures" / "sites"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))
NOW = datetime(2026, 2, 11, 12, 0, tzinfo=UTC)  # 17:00 in Almaty, Wednesday 11 February 2026
FIELDS = ("title", "author", "published_at", "language", "text_start", "text_contains", "text_excludes", "is_article")

# (file, field) -> what the extractor does wrong. Do not weaken expected.yaml instead.
# Extractor defects still open, as (file, field) → what goes wrong. Each is an xfail(strict=True): fixing the
# extractor turns it into a failure until the entry is removed here. (Empty: the five found so far are fixed.)
XFAIL: dict[tuple[str, str], str] = {}


@cache
def kz_sources() -> dict[str, SourceConfig]:
    return {s.key: s for s in load_sources("kz")}


@cache
def extracted(name: str) -> ExtractedArticle:
    src = kz_sources()[Path(name).stem]
    raw = (FIXTURES / name).read_bytes()
    return extract(raw, EXPECTED[name]["url"], selectors=dict(src.selectors), now=NOW)


def flat(text: str) -> str:
    """Runs of whitespace, paragraph breaks included, as one space."""
    return " ".join(text.split())


def check(field: str, art: ExtractedArticle, want: Any) -> None:
    if field == "title":
        assert art.title == want
    elif field == "author":
        assert (art.author or None) == want
    elif field == "published_at":
        assert art.published_at is not None, "no publication date found"
        expected = datetime.fromisoformat(want.replace("Z", "+00:00"))
        got = art.published_at.astimezone(UTC).replace(second=0, microsecond=0)
        assert got == expected, f"got {got.isoformat()} ({art.date_source}), want {expected.isoformat()}"
    elif field == "language":
        assert art.language == want
    elif field == "text_start":
        assert flat(art.text).startswith(want), f"text starts {flat(art.text)[:120]!r}"
    elif field == "text_contains":
        assert want in flat(art.text), f"text: {flat(art.text)[:300]!r}…"
    elif field == "text_excludes":
        assert want not in flat(art.text), f"boilerplate in text: …{flat(art.text)[-300:]!r}"
    elif field == "is_article":
        assert art.is_article is True
    else:  # pragma: no cover - FIELDS and this function go together
        raise AssertionError(f"unknown field {field}")


def cases() -> list[Any]:
    out = []
    for name in EXPECTED:
        for field in FIELDS:
            reason = XFAIL.get((name, field))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(name, field, id=f"{Path(name).stem}-{field}", marks=marks))
    return out


def test_fixture_inventory() -> None:
    """Every saved page has expectations and a kz.yaml source whose article_pattern accepts its URL."""
    pages = sorted(p.name for p in FIXTURES.glob("*.html"))
    assert pages == sorted(EXPECTED)
    for name, exp in EXPECTED.items():
        src = kz_sources().get(Path(name).stem)
        assert src is not None, f"{name}: no source {Path(name).stem!r} in kz.yaml"
        assert re.search(src.article_pattern, exp["url"]), f"{name}: {exp['url']} not matched by article_pattern"
        assert set(FIELDS) - {"is_article"} <= set(exp), f"{name}: missing fields"


@pytest.mark.parametrize(("name", "field"), cases())
def test_site_fixture(name: str, field: str) -> None:
    want = True if field == "is_article" else EXPECTED[name][field]
    check(field, extracted(name), want)
