from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from monitor.dates import find_dates, parse_iso, parse_visible_date

NOW = datetime(2026, 7, 2, 8, 0, tzinfo=UTC)  # 13:00 in Almaty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 марта 2024, 14:05", datetime(2024, 3, 12, 9, 5, tzinfo=UTC)),
        ("12 марта 2023, 14:05", datetime(2023, 3, 12, 8, 5, tzinfo=UTC)),  # UTC+6 before 1 March 2024
        ("6 шілде 2024 ж.", datetime(2024, 7, 5, 19, 0, tzinfo=UTC)),
        ("6 шілде 2026 ж., 14:05", datetime(2026, 7, 6, 9, 5, tzinfo=UTC)),
        ("21 Ақпан, 2025", datetime(2025, 2, 20, 19, 0, tzinfo=UTC)),
        ("12 Qyrkúıek, 2025", datetime(2025, 9, 11, 19, 0, tzinfo=UTC)),
        ("14:51, 03 Декабрь 2025 | GMT +5", datetime(2025, 12, 3, 9, 51, tzinfo=UTC)),
        ("2026 жылғы 24 қараша", datetime(2026, 11, 23, 19, 0, tzinfo=UTC)),
        ("вчера в 10:15", datetime(2026, 7, 1, 5, 15, tzinfo=UTC)),
        ("Сегодня, 16:15", datetime(2026, 7, 2, 11, 15, tzinfo=UTC)),
        ("кеше, 18:30", datetime(2026, 7, 1, 13, 30, tzinfo=UTC)),
        ("2 сағат бұрын", datetime(2026, 7, 2, 6, 0, tzinfo=UTC)),
        ("2 часа назад", datetime(2026, 7, 2, 6, 0, tzinfo=UTC)),
        ("15.08.2025 13:51", datetime(2025, 8, 15, 8, 51, tzinfo=UTC)),
    ],
)
def test_visible_dates(text: str, expected: datetime) -> None:
    assert parse_visible_date(text, NOW) == expected


@pytest.mark.parametrize("junk", ["", "   ", "на 30% больше", "Погода: +31", "\x00\xff"])
def test_no_date_is_none(junk: str) -> None:
    assert parse_visible_date(junk, NOW) is None


def test_iso_keeps_offset_and_reads_naive_as_almaty() -> None:
    assert parse_iso("2024-04-18T10:35:00+05:00") == datetime(2024, 4, 18, 5, 35, tzinfo=UTC)
    assert parse_iso("2026-07-02T10:00:00") == datetime(2026, 7, 2, 5, 0, tzinfo=UTC)
    assert parse_iso("not a date") is None


def test_planned_event_dates() -> None:
    text = (
        "Митинг назначен на 6 июля. Забастовка начнётся с 21 июля. Жұмысшылар 6 шілдеге шеру жоспарлады. "
        "Зарплаты выросли на 30%. Встреча с акимом в следующий понедельник. 21 шілдеден бастап ереуіл. С 15 января."
    )
    found = {(m.text, m.date) for m in find_dates(text, date(2026, 7, 2))}
    assert ("6 июля", date(2026, 7, 6)) in found
    assert ("21 июля", date(2026, 7, 21)) in found
    assert ("6 шілдеге", date(2026, 7, 6)) in found
    assert ("21 шілдеден", date(2026, 7, 21)) in found
    assert ("в следующий понедельник", date(2026, 7, 6)) in found
    assert ("15 января", date(2027, 1, 15)) in found  # rolls over into next year
    assert not any("30" in m.text for m in find_dates(text, date(2026, 7, 2)))
