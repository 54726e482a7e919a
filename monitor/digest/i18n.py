"""The digest's own words, in English (default) and Russian. Source titles and snippets are never translated."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Labour monitor — daily digest",
        "window": "Window",
        "alarms": "Alarms",
        "alarms_note": "Troops, curfews, arrests, shootings, internet shutdowns",
        "upcoming": "Upcoming dates",
        "stories": "Stories",
        "others": "Other relevant items",
        "health": "Source health",
        "empty": "Nothing relevant was published in this window.",
        "no_alarms": "No alarms.",
        "no_upcoming": "No planned events found.",
        "first": "First published by",
        "sources": "Sources",
        "why": "Why",
        "topics": "Topics",
        "terms": "Matched terms",
        "days_left": "days left",
        "today": "today",
        "cancelled": "cancelled or postponed",
        "footer": "articles in window, stories, alarms, upcoming dates, sources",
        "all_ok": "All sources answered normally.",
        "original": "original",
        "exact": "copy",
        "near": "reprint",
        "translation": "translation",
        "related": "related",
        "rewrite": "rewrite",
    },
    "ru": {
        "title": "Мониторинг трудовых конфликтов — ежедневная сводка",
        "window": "Период",
        "alarms": "Тревога",
        "alarms_note": "Войска, комендантский час, задержания, стрельба, отключение интернета",
        "upcoming": "Предстоящие даты",
        "stories": "Сюжеты",
        "others": "Другие материалы по теме",
        "health": "Состояние источников",
        "empty": "За этот период ничего по теме не опубликовано.",
        "no_alarms": "Тревожных сообщений нет.",
        "no_upcoming": "Запланированных событий не найдено.",
        "first": "Первым опубликовал",
        "sources": "Источники",
        "why": "Почему",
        "topics": "Темы",
        "terms": "Найденные термины",
        "days_left": "дн. осталось",
        "today": "сегодня",
        "cancelled": "отменено или перенесено",
        "footer": "материалов за период, сюжетов, тревог, предстоящих дат, источников",
        "all_ok": "Все источники ответили нормально.",
        "original": "оригинал",
        "exact": "копия",
        "near": "перепечатка",
        "translation": "перевод",
        "related": "по теме",
        "rewrite": "пересказ",
    },
}

_KINDS = {
    "en": {
        "demonstration": "demonstration / rally",
        "strike": "strike",
        "court": "court hearing",
        "meeting": "meeting",
    },
    "ru": {"demonstration": "митинг / акция", "strike": "забастовка", "court": "суд", "meeting": "встреча"},
}
_TOPICS_RU = {
    "strike": "забастовка", "protest": "протест", "repression": "репрессии", "layoffs_closure": "сокращения / закрытие",
    "safety": "безопасность", "ownership": "собственность", "politics": "политика",
}  # fmt: skip


def event_kind_label(kind: str, lang: str = "en") -> str:
    return _KINDS.get(lang, _KINDS["en"]).get(kind, kind)


def topic_label(topic: str, lang: str = "en") -> str:
    return _TOPICS_RU.get(topic, topic) if lang == "ru" else topic.replace("_", " / ")
