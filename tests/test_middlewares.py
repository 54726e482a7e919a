"""Retry-After parsing and the per-site politeness slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from monitor.sources import politeness_slots
from spiders.middlewares import _retry_after


def test_retry_after_seconds_and_date() -> None:
    assert _retry_after(b"120") == 120.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True).encode()
    wait = _retry_after(later)
    assert wait is not None and 50 <= wait <= 61
    assert _retry_after(b"soon") is None and _retry_after(None) is None


def test_politeness_overrides_become_download_slots() -> None:
    slots = politeness_slots()
    assert slots["inkaraganda.kz"] == {"delay": 1.0, "concurrency": 1}
