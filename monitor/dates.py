"""Dates in Russian and Kazakh news: publication times and planned-event dates.

A plain pattern layer over *folded* text (see :mod:`monitor.text`) reads month-name dates in Russian (genitive and
Kazinform's nominative), Cyrillic Kazakh with any suffix («6 шілдеге», «21 шілдеден») and Latin Kazakh, because
dateparser misses the Kazakh suffixed forms and reads «на 30%» as a date (../shared/FINDINGS.md). dateparser,
restricted to ``ru`` and ``kk``, handles the relative phrases («вчера в 10:15», «2 сағат бұрын», «в следующий
понедельник»). Local times are Asia/Almaty (UTC+5 since 2024-03-01, UTC+6 before) and stored in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser

from monitor.text import Folded, fold

ALMATY = ZoneInfo("Asia/Almaty")

# Folded month stems (Kazakh letters already mapped to Russian neighbours, Latin transliterated).
_MONTHS: dict[str, int] = {}
for _num, _forms in enumerate(
    [
        ("январ", "кантар"),
        ("феврал", "акпан"),
        ("март", "наурыз"),
        ("апрел", "сауир", "сауыр"),
        ("ма", "мамыр"),
        ("июн", "маусым"),
        ("июл", "шилде"),
        ("август", "тамыз"),
        ("сентябр", "кыркуйек", "кыркуыек", "кыркуиек"),
        ("октябр", "казан"),
        ("ноябр", "караша"),
        ("декабр", "желтоксан"),
    ],
    start=1,
):
    for _f in _forms:
        _MONTHS[_f] = _num

_MONTH_RE = (
    r"(январ[ьяюе]|феврал[ьяюе]|март[ае]?|апрел[ьяюе]|ма[йяюе]|июн[ьяюе]|июл[ьяюе]|август[ае]?|"
    r"сентябр[ьяюе]|октябр[ьяюе]|ноябр[ьяюе]|декабр[ьяюе]|"
    r"кантар|акпан|наурыз|сауир|сауыр|мамыр|маусым|шилде|тамыз|кыркуйек|кыркуыек|кыркуиек|казан|караша|желтоксан)\w*"
)
_TIME = r"(\d{1,2})[:.](\d{2})"
# «12 марта 2024, 14:05» · «6 шілде 2024 ж.» · «21 Ақпан, 2025» · «03 Декабрь 2025» · «6 июля» · «21 шілдеден»
# (not after a digit or a dot, tested after the first digit: a pattern that starts with a digit is scanned in C)
_DAY_MONTH = re.compile(
    rf"(\d(?<![\d.]\d)\d?)\s*(?:-?\s*(?:го|е|ші|шы|inshi))?\s+{_MONTH_RE}"
    rf"(?:[\s,]+(\d{{4}})(?:\s*(?:ж\b\.?|жыл\w*|г\b\.?|год\w*))?)?"
    rf"(?:(?:\s*,\s*|\s+в\s+|\s+|\s*сагат\s+){_TIME}(?!\d))?",
)
# «2026 жылғы 24 қараша»
_YEAR_FIRST = re.compile(rf"(?<!\d)(\d{{4}})\s+жыл\w*\s+(\d{{1,2}})\s+{_MONTH_RE}")
# «14:51, 03 Декабрь 2025» — the time written before the date
_TIME_FIRST = re.compile(rf"(?<!\d){_TIME}\s*,?\s*(\d{{1,2}})\s+{_MONTH_RE}(?:[\s,]+(\d{{4}}))?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")
_NUMERIC = re.compile(rf"(?<!\d)(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}})(?:[\s,]+{_TIME})?")
_RELATIVE = re.compile(
    r"(сегодня|вчера|позавчера|бугин|кеше|\d+\s+(?:минут\w*|час\w*|мин\w*|сагат|минут)\s+(?:назад|бурын))"
    rf"(?:\s*,?\s*(?:в\s+)?{_TIME})?",
)


def month_number(word: str) -> int | None:
    """Month number of a folded month word with any ending («шилдеден» → 7, «июля» → 7)."""
    for stem in sorted(_MONTHS, key=len, reverse=True):
        if word.startswith(stem) and (stem != "ма" or word[:3] in ("май", "мая", "маю", "мае")):
            return _MONTHS[stem]
    return None


def to_utc(local: datetime) -> datetime:
    """A naive local time in Kazakhstan → aware UTC (Asia/Almaty, with its 2024 offset change)."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=ALMATY)
    return local.astimezone(UTC)


def parse_iso(value: str) -> datetime | None:
    """ISO 8601 as found in meta tags and JSON-LD; naive values are taken as Almaty time. Result in UTC."""
    value = value.strip()
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        m = _ISO.search(value)
        if not m:
            return None
        y, mo, d, hh, mm, ss = (int(p) if p else 0 for p in m.groups())
        try:
            dt = datetime(y, mo, d, hh, mm, ss)
        except ValueError:
            return None
    return to_utc(dt)


def _safe_datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:
        return None


def parse_visible_date(text: str, now: datetime | None = None) -> datetime | None:
    """A publication time written for people («12 марта 2024, 14:05», «6 шілде 2024 ж.», «вчера в 10:15»,
    «2 сағат бұрын», «03 Декабрь 2025 | GMT +5»), as aware UTC, or None.

    ``now`` (aware) anchors relative phrases and years left out; it defaults to the current time.
    """
    if not text or not text.strip():
        return None
    now = now or datetime.now(UTC)
    local_now = now.astimezone(ALMATY)
    folded = fold(text[:300]).text
    m = _ISO.search(folded)
    if m and m.group(4):
        return parse_iso(m.group(0))
    for pattern, order in ((_YEAR_FIRST, "ydm"), (_TIME_FIRST, "tdm"), (_DAY_MONTH, "dmy")):
        m = pattern.search(folded)
        if not m:
            continue
        g = m.groups()
        if order == "ydm":
            year, day, month_word, hour, minute = int(g[0]), int(g[1]), g[2], 0, 0
        elif order == "tdm":
            hour, minute, day, month_word = int(g[0]), int(g[1]), int(g[2]), g[3]
            year = int(g[4]) if g[4] else local_now.year
        else:
            day, month_word = int(g[0]), g[1]
            year = int(g[2]) if g[2] else local_now.year
            hour, minute = (int(g[3]), int(g[4])) if g[3] else (0, 0)
        month = month_number(month_word)
        if month is None:
            continue
        local = _safe_datetime(year, month, day, hour, minute)
        if local is not None:
            return to_utc(local)
    m = _NUMERIC.search(folded)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        local = _safe_datetime(y, mo, d, int(m.group(4) or 0), int(m.group(5) or 0))
        if local is not None:
            return to_utc(local)
    m = _RELATIVE.search(folded)
    if m:
        return _parse_relative(text, local_now)
    return None


def _parse_relative(text: str, local_now: datetime) -> datetime | None:
    settings = {
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "TIMEZONE": "Asia/Almaty",
        "TO_TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    cleaned = re.sub(r"\|.*$", "", text).strip()
    parsed: datetime | None = dateparser.parse(cleaned, languages=["ru", "kk"], settings=settings)
    if parsed is None:
        return None
    return parsed.astimezone(UTC)


# ---------------------------------------------------------------------------------------------- planned events

_WEEKDAYS = {
    "понедельник": 0, "вторник": 1, "среду": 2, "среда": 2, "четверг": 3, "пятницу": 4, "пятница": 4,
    "субботу": 5, "суббота": 5, "воскресенье": 6,
    "дуйсенби": 0, "сейсенби": 1, "сарсенби": 2, "бейсенби": 3, "жума": 4, "сенби": 5, "жексенби": 6,
}  # fmt: skip
_REL_DAY = re.compile(  # the look-ahead on their first letters spares most positions the alternation (1.3× faster)
    r"(?=[пзебвсчдж])\b(?:(послезавтра|завтра|ертен\w*|бурсигуни)\b|(понедельник|вторник|среду|четверг|пятницу|субботу"
    r"|воскресенье|дуйсенби|сейсенби|сарсенби|бейсенби|жума|сенби|жексенби)\w*)"
)
# words that may stand before a weekday and belong to the phrase: «в (следующий) понедельник», «келесі дүйсенбі»
_REL_PREFIX = re.compile(r"(?:\b(?:в|во)\s+)?(?:\b(?:следующ\w+|ближайш\w+|келеси)\s+)?$")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date found in text: where, what it resolves to, and the sentence around it."""

    text: str
    date: date
    start: int
    end: int
    sentence: str
    sentence_start: int
    sentence_end: int


def _resolve_year(day: int, month: int, year: int | None, ref: date) -> date | None:
    if year is not None:
        try:
            return date(year, month, day)
        except ValueError:
            return None
    for y in (ref.year, ref.year + 1):
        try:
            cand = date(y, month, day)
        except ValueError:
            continue
        # A date more than two months behind the article is next year's («15 января» written in December).
        if cand >= ref - timedelta(days=60):
            return cand
    return None


def find_dates(text: str, reference: datetime | date, folded: Folded | None = None) -> list[DateMention]:
    """Every calendar date mentioned in ``text``, resolved against ``reference`` (the publication time).

    Month-name dates need a day number next to a month name, so «на 30%» is not a date. Relative phrases
    («завтра», «в следующий понедельник», «ертең») count forward from the reference.
    """
    if not text:
        return []
    ref = reference.astimezone(ALMATY).date() if isinstance(reference, datetime) else reference
    folded = folded or fold(text)
    ftext = folded.text
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for m in _DAY_MONTH.finditer(ftext):
        month = month_number(m.group(2))
        if month is None:
            continue
        d = _resolve_year(int(m.group(1)), month, int(m.group(3)) if m.group(3) else None, ref)
        if d is not None:
            taken.append((m.start(), m.end()))
            found.append(_mention(text, folded.orig(m.start()), folded.orig(m.end() - 1) + 1, d))
    for m in _REL_DAY.finditer(ftext):
        if any(s <= m.start() < e for s, e in taken):
            continue
        d = _relative_day(m, ref)
        if d is not None:
            window = ftext[max(0, m.start() - 30) : m.start()]
            start = m.start() - len(_REL_PREFIX.search(window).group())  # type: ignore[union-attr]
            found.append(_mention(text, folded.orig(start), folded.orig(m.end() - 1) + 1, d))
    found.sort(key=lambda x: x.start)
    return found


def _relative_day(m: re.Match[str], ref: date) -> date | None:
    if m.group(1):
        word = m.group(1)
        return ref + timedelta(days=2 if word in ("послезавтра", "бурсигуни") else 1)
    target = _WEEKDAYS.get(m.group(2))
    if target is None:
        return None
    # «в понедельник» and «в следующий понедельник» both mean the coming one, as news copy uses them
    return ref + timedelta(days=(target - ref.weekday()) % 7 or 7)


def _mention(text: str, start: int, end: int, d: date) -> DateMention:
    s_start = (
        max(text.rfind(".", 0, start), text.rfind("!", 0, start), text.rfind("?", 0, start), text.rfind("\n", 0, start))
        + 1
    )
    ends = [i for i in (text.find(".", end), text.find("!", end), text.find("?", end), text.find("\n", end)) if i != -1]
    s_end = min(ends) + 1 if ends else len(text)
    sentence = text[s_start:s_end].strip()
    return DateMention(text[start:end].strip(), d, start, end, sentence, s_start, s_end)
