"""Relevance, topics, severity, entities and planned-event dates for one article, every decision explained.

The rules, in the order an editor would apply them:

1. Find every lexicon term in the title and text; drop matches that overlap an exclusion phrase (Kanysh Satpayev
   the scientist, streets named after him, «протестант», FC Ulytau …); some exclusions (a Victory Day rally)
   drop a whole entry's matches from the article (``suppresses``).
2. A **topic** counts when one of its terms matches; some need a context word or another topic too (``requires``
   in the lexicon): `safety` a workplace (a road crash is not a labour story), `repression` activists, unions, a
   protest or a strike (a fraud arrest is not repression). Some terms count for another topic next to given
   context words (``reassign``): a union leader's dismissal is repression, not a layoff; workers' letter to the
   president is an appeal (protest), not politics.
3. The article is **relevant** when any of these holds:
   a. a watched organisation (KazakhMys …) with any topic or alarm, or as the subject (in the title, or named
      twice) of anything but a production, earnings or price report — a passing mention in a copper-price story
      is not enough;
   b. a watched person (Berik Zhagiparov …);
   c. the watched region (Zhezkazgan, Satpaev, Ulytau, Balkhash) with a labour topic or a standalone alarm
      (troops, curfew, shooting …; a detention counts only next to a labour topic);
   d. labour evidence — a labour topic with employees named, or labour terms (topics, wage arrears, unions, the
      labour inspectorate) reaching ``min_hits`` (title matches count double) — anchored in Kazakhstan (a Kazakh
      place, any organisation or person, «ТОО» or тенге, or Kazakh-language text naming nothing abroad) and not
      mainly about a place abroad.
4. **Severity**: ``alarm`` when a relevant article matches an alarm term (troops, curfew, detentions, shooting,
   internet shutdown, state of emergency, police deployment), which also makes it a `repression` story (and,
   troops, police, a curfew or a shutdown without a strike, a `protest` one: they answer a gathering); ``high``
   for strikes, protests, closures and deaths at work (an injury alone is ``normal``); ``normal`` otherwise.
5. **Score** in [0, 1]: evidence weights squashed, ≥ 0.5 exactly when relevant, so rankings agree with the decision.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from monitor.dates import DateMention, find_dates
from monitor.language import detect_language
from monitor.lexicon import Hit, Lexicons, default_lexicons
from monitor.text import Folded, fold

MAX_TEXT = 200_000  # characters classified per field; longer texts are cut (a 1 MB page is never an article)
LANGUAGE_SAMPLE = 2_000  # characters of text read for the language (plus the title): enough, and 3× faster
_HIGH_TOPICS = {"strike", "protest", "layoffs_closure", "safety"}
_WEIGHTS = {"organization": 0.9, "person": 1.0, "place": 0.3, "topic": 0.35, "alarm": 0.6}
_EVENT_WINDOW = 80  # characters between a date and the event word that names its kind
# «Читайте также: <another story's headline>» — site chrome linking other stories, often labour ones: never
# evidence about this article. A marker alone on its line takes the next line (the linked headline) with it, and
# a bulleted or numbered list of headlines after it (led by any symbol but an opening quote or bracket: «— …»,
# «▪ …», «1. …») line by line, and so are the short lines right under it, up to a blank line. List titles that
# could open a sentence («Популярное», "Related") count only alone on their line (taking the next) or before a
# colon (taking the rest of the line: «Самое читаемое: … · … · …»). Emoji or bullets may lead the marker («📌 Оқи»).
_READ_ALSO = re.compile(
    r"(?im)^[ \t]*(?:[^\w\s][ \t]*){0,3}(?:"
    r"(?:читайте также|читайте по теме|читайте еще|читайте ещё|еще по теме|ещё по теме|см\. также|смотрите также|"
    r"сондай-ақ оқыңыз|сонымен қатар оқыңыз|тағы да оқыңыз|оқи отырыңыз|тағы оқыңыз|оқыңыз|тақырыпқа орай|"
    r"еще на сайте|ещё на сайте|также на сайте|материалы по теме|еще новости|ещё новости|бұл да қызықты|"
    r"sonda[ıi]'?-aq oqy[ńn]'?yz|oq[ıi] otyry[ńn]'?yz|"
    r"read also|read more|see also)\b[ \t:.—–-]*(?:$\n?)?[^\n]*"
    r"|(?:related|related news|popular|most read|самое читаемое|популярное|похожие новости|другие новости|"
    r"новости по теме|көп оқылғандар|көп оқылған|ұқсас жаңалықтар|соңғы жаңалықтар)"
    r"(?:[ \t]*:[^\n]*|[ \t.—–-]*$\n?[^\n]*)"
    r")(?:\n\s*(?:[^\w\s«\"„“(\[]|\d{1,2}[.)] )[^\n]*|\n[ \t]*(?=\S)[^\n]{1,160}$)*"
)
# Readers' comments under the article («Комментарии (4)», «Пікірлер (6)» alone on a line): everything after is what
# readers said, often about strikes and KazakhMys, never what the article reports.
_COMMENTS = re.compile(r"(?im)^[ \t]*(?:комментарии|пікірлер|pikirler|comments)[ \t]*(?:\(\d+\)|:)?[ \t]*$[\s\S]*")


@dataclass(frozen=True, slots=True)
class Match:
    term: str
    category: str
    entry: str
    field: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class EventDate:
    text: str
    date: str  # ISO date
    kind: str | None
    cancelled: bool
    sentence: str


@dataclass(slots=True)
class Classification:
    language: str
    language_shares: dict[str, float]
    relevant: bool
    score: float
    severity: str | None
    topics: list[str]
    alarms: list[str]
    entities: dict[str, list[str]]
    matches: list[Match]
    dates_mentioned: list[EventDate]
    reasons: list[str] = field(default_factory=list)
    lexicon_version: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``monitor classify`` (without the id)."""
        return {
            "language": self.language,
            "relevant": self.relevant,
            "score": self.score,
            "severity": self.severity,
            "topics": self.topics,
            "entities": self.entities,
            "matches": [
                {"term": m.term, "category": m.category, "field": m.field, "start": m.start, "end": m.end}
                for m in self.matches
            ],
            "dates_mentioned": [
                {"text": d.text, "date": d.date, "kind": d.kind, "cancelled": d.cancelled} for d in self.dates_mentioned
            ],
        }


def _hits(lex: Lexicons, text: str, folded: Folded, fname: str) -> tuple[list[Match], list[Hit]]:
    """Matches that count (exclusions and what they cover taken out), and the exclusion hits themselves."""
    raw = lex.matcher.find_folded(text, folded) if text else []
    exclusions = [h for h in raw if h.term.category == "exclusion"]
    excl = [(h.start, h.end) for h in exclusions]
    out: list[Match] = []
    for h in _longest(raw):
        if h.term.category == "exclusion":
            continue
        if any(s < h.end and h.start < e for s, e in excl):
            continue
        out.append(Match(h.term.text, h.term.category, h.term.entry, fname, h.start, h.end, h.matched))
    return out, exclusions


def _near_context(lex: Lexicons, matches: list[Match]) -> list[Match]:
    """Drop topic and context matches whose entry wants another context word close by (``near``) when none is."""
    rules = {
        (cat, eid): (lex.entry(cat, eid).requires, lex.entry(cat, eid).near)
        for cat in ("topic", "context")
        for eid in lex.having(cat, "near") & lex.having(cat, "requires")
    }
    if not rules:
        return matches
    context = [m for m in matches if m.category == "context"]
    return [m for m in matches if (rule := rules.get((m.category, m.entry))) is None or _close(m, context, *rule)]


def _close(m: Match, context: list[Match], entries: Collection[str], within: int) -> bool:
    """Whether a context match of one of ``entries`` starts within ``within`` characters of ``m``, in its field."""
    return any(c.entry in entries and c.field == m.field and abs(c.start - m.start) <= within for c in context)


def _reassign(lex: Lexicons, matches: list[Match]) -> list[Match]:
    """Count matches for another entry where their entry says so (``reassign``): once one of the listed terms
    stands close to one of the listed context words (in the same field), every match of those terms in the
    article counts for the other entry — an article on a union leader's dismissal says «увольнение» again in
    paragraphs that do not name him."""
    rules = {
        (cat, eid): rule
        for cat in ("topic", "context")
        for eid in lex.having(cat, "reassign")
        if (rule := lex.entry(cat, eid).reassign) is not None
    }
    if not rules:
        return matches
    context = [m for m in matches if m.category == "context"]
    fired = {
        key
        for m in matches
        if (rule := rules.get(key := (m.category, m.entry))) is not None
        and m.term in rule.terms
        and _close(m, context, rule.near, rule.within)
    }
    return [
        replace(m, entry=rules[key].to) if key in fired and m.term in rules[key].terms else m
        for m in matches
        for key in [(m.category, m.entry)]
    ]


def _longest(hits: list[Hit]) -> list[Hit]:
    """Within one category and entry keep only the longest of overlapping hits (one explanation per span)."""
    hits = sorted(hits, key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    last_end: dict[tuple[str, str], int] = {}
    for h in hits:
        key = (h.term.category, h.term.entry)
        if last_end.get(key, -1) > h.start:
            continue
        kept.append(h)
        last_end[key] = h.end
    return kept


def _mask_chrome(text: str) -> str:
    """Blank «read also» lines and readers' comments out, keeping every other character where it was (match
    offsets stay true)."""
    return _COMMENTS.sub(_blank, _READ_ALSO.sub(_blank, text))


def _blank(m: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", m.group())


def classify(
    title: str,
    text: str,
    published_at: datetime | None = None,
    *,
    lexicons: Lexicons | None = None,
) -> Classification:
    """Classify one article. Never raises on odd input: empty, huge or binary-looking text yields a result."""
    lex = lexicons or default_lexicons()
    title = (title or "")[:2000]
    text = _mask_chrome((text or "")[:MAX_TEXT])
    lang = detect_language(text[:LANGUAGE_SAMPLE], title)
    ftitle, ftext = fold(title), fold(text)
    title_matches, title_excl = _hits(lex, title, ftitle, "title")
    text_matches, text_excl = _hits(lex, text, ftext, "text")
    matches = title_matches + text_matches
    suppressed = {e for h in title_excl + text_excl for e in lex.entry("exclusion", h.term.entry).suppresses}
    if suppressed:
        matches = [m for m in matches if m.entry not in suppressed]
    matches = _near_context(lex, _reassign(lex, matches))  # a reassigned match meets its new entry's rules

    by_cat: dict[str, dict[str, int]] = {}
    for m in matches:
        weight = 2 if m.field == "title" else 1
        by_cat.setdefault(m.category, {})
        by_cat[m.category][m.entry] = by_cat[m.category].get(m.entry, 0) + weight

    orgs = by_cat.get("organization", {})
    places = by_cat.get("place", {})
    people = by_cat.get("person", {})
    alarms_found = by_cat.get("alarm", {})
    context = by_cat.get("context", {})
    topics_found = dict(by_cat.get("topic", {}))
    watched_orgs = set(orgs) & lex.having("organization", "watch")
    watched_people = set(people) & lex.having("person", "watch")
    # a requirement is a context word or another topic found («задержаны» counts after a rally); a watched person
    # is a labour activist, so «Жагипарова вызвали в полицию» is pressure on activism
    present = context.keys() | topics_found.keys() | ({"activism"} if watched_people else set())
    for tid in lex.topics_by_requirement:
        if tid in topics_found and present.isdisjoint(lex.entry("topic", tid).requires):
            del topics_found[tid]
    region = set(places) & lex.having("place", "region")
    kz_places = lex.having("place", "country", "kz")
    foreign_places = lex.having("place", "country", "foreign")
    labour = lex.having("topic", "labour")
    labour_context, labour_bodies = lex.having("context", "labour"), lex.having("organization", "labour")
    # labour evidence: labour topics, plus labour context (wage arrears) and labour bodies (unions, inspectorate)
    labour_topic_hits = sum(n for t, n in topics_found.items() if t in labour)
    labour_hits = (
        labour_topic_hits
        + sum(n for e, n in context.items() if e in labour_context)
        + sum(n for o, n in orgs.items() if o in labour_bodies)
    )
    # detentions and the like count only next to a labour topic; troops, curfews and shootings count alone
    standalone = lex.having("alarm", "standalone")
    if not labour_hits:
        alarms_found = {a: n for a, n in alarms_found.items() if a in standalone}
    kz_context = lex.having("context", "country", "kz")
    foreign_weight = sum(n for p, n in places.items() if p in foreign_places)
    # Kazakh places, any organisation or person, «ТОО» or тенге; and Kazakh-language news is written about
    # Kazakhstan unless it names a place abroad
    kz_weight = (
        sum(n for p, n in places.items() if p in kz_places)
        + sum(orgs.values())
        + sum(people.values())
        + sum(n for c, n in context.items() if c in kz_context)
        + (lang.language == "kk" and not foreign_weight)
    )
    # abroad: places abroad outweigh Kazakh ones, or the title places the story abroad and names nothing Kazakh
    # (a report on a strike in Kyrgyzstan recalls Zhanaozen in its background paragraph)
    in_title = {(m.category, m.entry) for m in matches if m.field == "title"}
    title_foreign = any(c == "place" and e in foreign_places for c, e in in_title)
    title_kz = any((c == "place" and e in kz_places) or c in ("organization", "person") for c, e in in_title)
    abroad = foreign_weight > 0 and (foreign_weight >= kz_weight or (title_foreign and not title_kz))

    reasons: list[str] = []
    # politics alone (a minister, a government plan) is a modifier, not a story about the company's workers
    if watched_orgs and (set(topics_found) - {"politics"} or alarms_found or labour_hits) and not abroad:
        reasons.append(f"watched organisation {', '.join(sorted(watched_orgs))} with a topic")
    elif (
        watched_orgs
        and max(orgs[o] for o in watched_orgs) >= 2
        and context.keys().isdisjoint(lex.having("context", "company_news"))
        and not abroad
    ):
        reasons.append(f"watched organisation {', '.join(sorted(watched_orgs))} is the subject (title or repeated)")
    if watched_people:
        reasons.append(f"watched person {', '.join(sorted(watched_people))}")
    if region and (labour_hits or alarms_found) and not abroad:
        reasons.append(f"watched region {', '.join(sorted(region))} with a labour topic or alarm")
    min_hits = lex.min_hits("topic")
    # one strike, protest or layoff of employees is evidence enough; a union, the inspectorate, wage talk or a
    # company's «еңбек қауіпсіздігі» named once is not
    enough = (labour_topic_hits and "workers" in context) or labour_hits + sum(alarms_found.values()) >= min_hits
    if enough and labour_hits and kz_weight and not abroad:
        reasons.append(f"labour topic in Kazakhstan ({labour_hits} matches)")
    relevant = bool(reasons)

    evidence = (
        _WEIGHTS["organization"] * len(watched_orgs)
        + _WEIGHTS["person"] * len(watched_people)
        + _WEIGHTS["place"] * min(len(region), 3)
        + _WEIGHTS["topic"] * min(labour_hits, 8)
        + _WEIGHTS["alarm"] * min(sum(alarms_found.values()), 4)
    )
    squashed = 1 - math.exp(-evidence / 2)
    score = round(0.5 + squashed / 2 if relevant else squashed / 2 * 0.98, 3)

    # an alarm in a relevant article is repression by another name: troops, curfews, detentions, shutdowns; and
    # troops, police, a curfew or a shutdown (not a detention) answer workers gathering, unless they are on strike
    if relevant and alarms_found:
        topics_found.setdefault("repression", 0)
        if "strike" not in topics_found and not set(alarms_found).isdisjoint(standalone):
            topics_found.setdefault("protest", 0)
    topics = sorted(topics_found)
    alarm_labels = sorted(lex.entry("alarm", a).label for a in alarms_found)
    severity: str | None = None
    if relevant:
        high = _HIGH_TOPICS & set(topics) - {"safety"} or ("safety" in topics and "fatality" in context)
        severity = "alarm" if alarms_found else ("high" if high else "normal")

    entities = {
        "organizations": sorted(lex.entry("organization", o).label for o in orgs),
        "places": sorted(lex.entry("place", p).label for p in places),
        "people": sorted(lex.entry("person", p).label for p in people),
    }
    pub = published_at or datetime.now(UTC)
    dates = _event_dates(
        [(d, "title") for d in find_dates(title, pub, ftitle)] + [(d, "text") for d in find_dates(text, pub, ftext)],
        [m for m in matches if m.category == "event_kind"],
    )
    shown = [m for m in matches if m.category not in ("context", "event_kind")]
    return Classification(
        language=lang.language,
        language_shares=lang.shares,
        relevant=relevant,
        score=score,
        severity=severity,
        topics=topics,
        alarms=alarm_labels,
        entities=entities,
        matches=shown,
        dates_mentioned=dates,
        reasons=reasons,
        lexicon_version=lex.version,
    )


def _event_dates(mentions: list[tuple[DateMention, str]], kinds: list[Match]) -> list[EventDate]:
    """Attach to each date the nearest kind of event in its sentence and whether it was cancelled."""
    out: list[EventDate] = []
    seen: set[tuple[str, date]] = set()
    for mention, fname in mentions:
        span = range(mention.sentence_start, mention.sentence_end)
        in_sentence = [k for k in kinds if k.field == fname and k.start in span]
        cancelled = any(k.entry == "cancelled" for k in in_sentence)
        near = [
            k
            for k in in_sentence
            if k.entry != "cancelled" and min(abs(k.start - mention.start), abs(k.end - mention.end)) <= _EVENT_WINDOW
        ]
        kind = min(near, key=lambda k: abs(k.start - mention.start)).entry if near else None
        key = (mention.text, mention.date)
        if key in seen:
            continue
        seen.add(key)
        out.append(EventDate(mention.text, mention.date.isoformat(), kind, cancelled, mention.sentence))
    return out
