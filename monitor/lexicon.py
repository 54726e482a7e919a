"""Lexicons as data: loading, schema checks and the compiled matcher.

Editors change ``monitor/lexicons/*.yaml``; nothing here needs to change with them. A term is one or more words;
a word ending in ``*`` matches any ending (Russian cases, Kazakh suffixes), any other word matches exactly. Terms
and texts are folded the same way (:mod:`monitor.text`), so one entry covers Cyrillic Russian, Cyrillic Kazakh
and Latin spellings.

Matching walks the folded word tokens once and looks each up in a dictionary keyed by its first three letters, so
the cost grows with the text, not with the number of terms.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.text import CharMap, Folded, fold

LEXICON_DIR = Path(__file__).with_name("lexicons")
_TERM_WORD = re.compile(r"^[\w.'«»\-]+\*?$")
_TOKEN = re.compile(r"\w+(?:[-.'’]\w+)*")
_KEY_LEN = 3
MIN_STEM = 3
_TERMS_OF_MAX = 200_000  # remembered first tokens; bounded so hostile input cannot grow it without end


class LexiconError(ValueError):
    """A lexicon file is malformed; the message names the file and the entry."""


class Reassign(BaseModel):
    """Some of an entry's terms count for another entry of its category next to certain context words: «уволен»
    is a layoff, but «уволен председатель профкома» is pressure on a union."""

    model_config = ConfigDict(extra="forbid")

    to: str  # an entry of the same category
    terms: list[str]  # the entry's own terms, exactly as written there
    near: list[str]  # context entries, one of which must stand ...
    within: int = 120  # ... within this many characters of the match, in the same field


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    terms: dict[Literal["ru", "kk", "latn", "en"], list[str]]
    watch: bool = False
    region: bool = False
    country: Literal["kz", "foreign"] | None = None
    labour: bool = False
    requires: list[str] = []  # context (or topic) entries: the match counts only when one of them is found too
    near: int = 0  # with `requires`: the context word must stand within this many characters of each match
    suppresses: list[str] = []  # exclusions: entries whose matches are dropped from the whole article
    reassign: Reassign | None = None
    # context: a watched company named as the subject of news of this kind (output, prices, grants, festivities)
    # with no labour topic is company news, not the desk's
    company_news: bool = False
    standalone: bool = False  # an alarm that makes a region or KazakhMys article relevant on its own (troops, curfew)
    # places: the entry lumps many places under one id (other Kazakh cities, abroad), so story anchors tell its
    # matches apart by their words; or it is the whole country, which places no event anywhere in particular
    several: bool = False
    whole_country: bool = False
    # with `several`: groups of the entry's terms that name one place under different names (a city's Russian and
    # Kazakh names, a region and its capital); story anchors key each group by its first term
    same_place: list[list[str]] = []
    search: list[str] = []  # queries sent to site-search pages (sources with a `search:` entry point)

    @field_validator("requires", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_same_place(self) -> Entry:
        if self.same_place and not self.several:
            raise ValueError("same_place is for entries with several: true")
        terms = {term for listed in self.terms.values() for term in listed}
        for group in self.same_place:
            if unknown := [term for term in group if term not in terms]:
                raise ValueError(f"same_place names {unknown!r}, not among the entry's terms")
        return self

    @field_validator("terms")
    @classmethod
    def _check_terms(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang, terms in value.items():
            for term in terms:
                words = term.split()
                if not words:
                    raise ValueError(f"empty term in {lang}")
                for i, word in enumerate(words):
                    if not _TERM_WORD.match(word):
                        raise ValueError(f"term {term!r}: {word!r} is not a word (letters, then an optional *)")
                    # the first word is the lookup key: a very short stem would match half the language
                    if i == 0 and word.endswith("*") and len(fold(word[:-1]).text) < MIN_STEM:
                        raise ValueError(f"term {term!r}: stem {word!r} is shorter than {MIN_STEM} letters")
        return value


class LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Literal[
        "organization", "place", "person", "topic", "alarm", "exclusion", "event_kind", "context", "concept"
    ]
    min_hits: int = 1
    entries: list[Entry]


@dataclass(frozen=True, slots=True)
class Term:
    """One compiled term: folded words, each exact or a prefix."""

    text: str  # as written by the editor
    category: str
    entry: str  # entry id
    words: tuple[tuple[str, bool], ...]  # (folded word, is_prefix)


@dataclass(frozen=True, slots=True)
class Hit:
    """A term found in a text: offsets are into the original (unfolded) string."""

    term: Term
    start: int
    end: int
    matched: str


# Matching folds one letter further than :func:`fold`: ы → и. Latin Kazakh writes ы, і and и with ı, i and y in
# every combination («narazılıq», «jınaldy», «qyzmet»), so only a common letter lets one term match them all.
# (Kept out of ``fold`` itself, whose output is hashed into the archive.)
_MATCH_FOLD = CharMap({"ы": "и"})


def _compile_word(word: str) -> tuple[str, bool]:
    prefix = word.endswith("*")
    core = word[:-1] if prefix else word
    folded = _MATCH_FOLD(fold(core).text).strip(".«»")
    return folded, prefix


def _term_tokens(folded_term: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Split words that tokenise into several tokens (``им.`` stays one; ``ул. сатпаева``)."""
    out: list[tuple[str, bool]] = []
    for word, prefix in folded_term:
        parts = _TOKEN.findall(word) or [word]
        for i, part in enumerate(parts):
            out.append((part, prefix and i == len(parts) - 1))
    return out


class Matcher:
    """All terms of a set of lexicon files, compiled once.

    A single regular expression — a trie of every term's first word, anchored at word starts — finds candidate
    positions in C; only those are looked up in the term dictionaries. Cost grows with the text and the number
    of candidates, not with the number of terms.
    """

    def __init__(self, terms: Iterable[Term]) -> None:
        self._exact: dict[str, list[Term]] = {}
        self._prefix: dict[str, list[Term]] = {}
        firsts: set[str] = set()
        for term in terms:
            first, is_prefix = term.words[0]
            # «с требованием», «в забое», «ул. Сатпаева»: a short first word alone would make every «с» a candidate
            firsts.add(first if len(first) >= _KEY_LEN or len(term.words) == 1 else f"{first} {term.words[1][0]}")
            if is_prefix:
                self._prefix.setdefault(first[:_KEY_LEN], []).append(term)
            else:
                self._exact.setdefault(first, []).append(term)
        self._terms_of: dict[str, _Starting] = {}
        self._candidates = re.compile(r"(?<![\w\-.'’])(?:" + _trie_pattern(firsts) + ")") if firsts else None

    def _terms_for(self, tok: str) -> _Starting:
        """Terms whose first word is ``tok`` (exactly, or as a prefix), remembered: news repeats its words."""
        terms = tuple(self._exact.get(tok, ())) + tuple(
            t for t in self._prefix.get(tok[:_KEY_LEN], ()) if tok.startswith(t.words[0][0])
        )
        seconds = [t.words[1] for t in terms if len(t.words) > 1]
        starting = _Starting(
            terms,
            bool(seconds),
            frozenset(word for word, is_prefix in seconds if not is_prefix),
            tuple(word for word, is_prefix in seconds if is_prefix),
        )
        if len(self._terms_of) < _TERMS_OF_MAX:
            self._terms_of[tok] = starting
        return starting

    def find(self, text: str) -> list[Hit]:
        """Every term occurrence in ``text``, overlaps kept; offsets are into ``text``."""
        return self.find_folded(text, fold(text)) if text else []

    def find_folded(self, text: str, folded: Folded) -> list[Hit]:
        """As :meth:`find`, for a text already folded (classification folds each field once)."""
        if self._candidates is None:
            return []
        ftext = _MATCH_FOLD(folded.text)
        hits: list[Hit] = []
        for cand in self._candidates.finditer(ftext):
            m = _TOKEN.match(ftext, cand.start())
            if m is None:
                continue
            tok = m.group()
            starting = self._terms_of.get(tok) or self._terms_for(tok)
            goes_on = False  # whether the next word is the second of any of the multi-word terms starting here
            if starting.multi and (second := _NEXT_TOKEN.match(ftext, m.end())):
                word = second.group(1)
                goes_on = word in starting.seconds or word.startswith(starting.second_prefixes)
            for term in starting.terms:
                if len(term.words) == 1:
                    end = m.end()
                elif not goes_on or (end := _tail_end(term, ftext, m.end())) < 0:
                    continue
                start, stop = folded.orig(m.start()), folded.orig(end - 1) + 1
                hits.append(Hit(term, start, stop, text[start:stop]))
        return hits


@dataclass(frozen=True, slots=True)
class _Starting:
    """The terms whose first word a token is, in lexicon order, and the second words of those with more: most
    candidate positions are the first word of a phrase that does not go on, and are dismissed in one lookup."""

    terms: tuple[Term, ...]
    multi: bool  # some have more than one word
    seconds: frozenset[str]  # their exact second words
    second_prefixes: tuple[str, ...]  # and the prefixes


_NEXT_TOKEN = re.compile(r"[^\w]*?(\w+(?:[-.'’]\w+)*)")


def _tail_end(term: Term, ftext: str, pos: int) -> int:
    """End offset of a multi-word term whose first word ends at ``pos``, or -1 when the next words differ."""
    for word, is_prefix in term.words[1:]:
        m = _NEXT_TOKEN.match(ftext, pos)
        if m is None:
            return -1
        tok = m.group(1)
        if not (tok.startswith(word) if is_prefix else tok == word):
            return -1
        pos = m.end()
    return pos


def _trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words`` as a prefix, factorised into a trie (fast alternation)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        if "" in node:
            return ""  # a shorter word ends here: matching it is enough for a candidate
        # the second word of a key («на с» for «на смену») is looked ahead at, not consumed: it may start a term
        branches = [
            rf"(?=[^\w]+{render(child)})" if ch == " " else re.escape(ch) + render(child)
            for ch, child in sorted(node.items())
        ]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return render(trie)


@dataclass(frozen=True)
class Lexicons:
    """The loaded lexicon files: entries by category, one matcher over all of them but the concepts, and one over
    all of them (story grouping reads the concepts, what an event is about in both languages; classification does
    not)."""

    files: dict[str, LexiconFile]
    matcher: Matcher
    version: str  # hash of the files that classify: a classification remembers which lexicons made it
    story: Matcher  # every term, the concepts' too: story anchors read both in one pass over a text

    def entries(self, category: str) -> Iterator[tuple[str, Entry]]:
        for lf in self.files.values():
            if lf.category == category:
                for entry in lf.entries:
                    yield entry.id, entry

    def entry(self, category: str, entry_id: str) -> Entry:
        try:
            return self._by_id[(category, entry_id)]
        except KeyError:
            raise KeyError(f"{category}/{entry_id}") from None

    def having(self, category: str, attribute: str, value: object = None) -> frozenset[str]:
        """Ids of the category's entries whose ``attribute`` is set (or equals ``value``), computed once."""
        key = (category, attribute, value)
        found = self._having.get(key)
        if found is None:
            found = frozenset(
                eid
                for eid, e in self.entries(category)
                if (getattr(e, attribute) == value if value is not None else getattr(e, attribute))
            )
            self._having[key] = found
        return found

    # classification asks these for every article: worked out once per set of lexicons (the instance is frozen,
    # cached_property writes past it into __dict__)
    @cached_property
    def _by_id(self) -> dict[tuple[str, str], Entry]:
        return {(lf.category, e.id): e for lf in self.files.values() for e in lf.entries}

    @cached_property
    def _having(self) -> dict[tuple[str, str, object], frozenset[str]]:
        return {}

    @cached_property
    def same_place(self) -> dict[tuple[str, str], str]:
        """(place entry, term as written) → the term that keys its group (see ``Entry.same_place``)."""
        return {(eid, term): group[0] for eid, e in self.entries("place") for group in e.same_place for term in group}

    @cached_property
    def topics_by_requirement(self) -> tuple[str, ...]:
        """Topics with ``requires``, those that need only context words first: a topic that stands on another is
        checked after it, so it never stands on one that is dropped afterwards."""
        topics = {eid for eid, _ in self.entries("topic")}
        needy = self.having("topic", "requires")
        return tuple(sorted(needy, key=lambda t: (not topics.isdisjoint(self.entry("topic", t).requires), t)))

    def search_terms(self) -> list[str]:
        """Every watchlist query for site search, in file order, without repeats."""
        out: list[str] = []
        for lf in self.files.values():
            for entry in lf.entries:
                out.extend(q for q in entry.search if q not in out)
        return out

    def min_hits(self, category: str) -> int:
        return max((lf.min_hits for lf in self.files.values() if lf.category == category), default=1)


# libyaml's safe loader where PyYAML was built with it: the lexicons (the concept glossary above all) are read by
# every command that classifies or groups, and the pure-Python parser takes 0.65 s of that, libyaml 0.1 s
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> LexiconFile:
    try:
        raw: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return LexiconFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            where = ""
            if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
                entries = raw.get("entries") if isinstance(raw, dict) else None
                ident = (
                    entries[loc[1]].get("id", "?")
                    if isinstance(entries, list) and isinstance(entries[loc[1]], dict)
                    else "?"
                )
                where = f"entry {loc[1]} ({ident}) "
                loc = loc[2:]
            problems.append(f"{where}{'.'.join(map(str, loc))}: {err['msg']}")
        raise LexiconError(f"{path}: " + "; ".join(problems)) from exc


def load_lexicons(directory: Path | None = None) -> Lexicons:
    """Load and check every ``*.yaml`` in ``directory``; raise :class:`LexiconError` naming file and entry."""
    directory = directory or LEXICON_DIR
    files: dict[str, LexiconFile] = {}
    digest = hashlib.sha256()
    seen: dict[tuple[str, str], Path] = {}
    terms: list[Term] = []
    concepts: list[Term] = []
    for path in sorted(directory.glob("*.yaml")):
        lf = _read(path)
        files[path.name] = lf
        if lf.category != "concept":
            digest.update(path.read_bytes())
        for entry in lf.entries:
            key = (lf.category, entry.id)
            if key in seen:
                raise LexiconError(f"{path}: entry {entry.id}: duplicate id (also in {seen[key].name})")
            seen[key] = path
            compiled: set[tuple[tuple[str, bool], ...]] = set()
            for variants in entry.terms.values():
                for text in variants:
                    words = tuple(_term_tokens([_compile_word(w) for w in text.split()]))
                    if words not in compiled:  # «Жезказган*» and «Жезқазған*» fold alike: match once
                        compiled.add(words)
                        into = concepts if lf.category == "concept" else terms
                        into.append(Term(text, lf.category, entry.id, words))
    if not files:
        raise LexiconError(f"{directory}: no lexicon files (*.yaml)")
    for name, lf in files.items():
        for entry in lf.entries:
            unknown = [c for c in entry.requires if ("context", c) not in seen and ("topic", c) not in seen]
            if unknown:
                raise LexiconError(f"{directory / name}: entry {entry.id}: requires unknown context {unknown}")
            if (r := entry.reassign) is not None:
                own = {t for variants in entry.terms.values() for t in variants}
                problems = [f"unknown context {c!r}" for c in r.near if ("context", c) not in seen]
                problems += [f"term {t!r} is not one of its terms" for t in r.terms if t not in own]
                if (lf.category, r.to) not in seen:
                    problems.append(f"unknown {lf.category} entry {r.to!r}")
                if problems:
                    raise LexiconError(f"{directory / name}: entry {entry.id}: reassign: {'; '.join(problems)}")
    return Lexicons(files, Matcher(terms), digest.hexdigest()[:12], Matcher(terms + concepts))


@lru_cache(maxsize=4)
def default_lexicons(directory: str | None = None) -> Lexicons:
    """The lexicons, loaded once per process (per directory)."""
    return load_lexicons(Path(directory) if directory else None)
