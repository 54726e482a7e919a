"""Deduplication and stories: exact copies, near copies (reprints, truncations) and other write-ups of one event.

Three layers, cheapest first, all incremental (one document at a time, against a sliding window):

1. **exact**: the same normalised text (hash of folded words);
2. **near**: MinHash (datasketch) over word 3-shingles with LSH banding (:class:`_Bands`), verified by estimated
   Jaccard, or by containment for truncated and extended reprints (a lead-only copy is contained in its original).
   Paragraphs seen in several earlier documents (site boilerplate: footers, "read also") are left out;
3. **story**: shingles never join independent reports or a ru↔kk translation, so documents also carry *anchors*,
   all language-independent: lexicon entities (people, places, organisations, alarms, topics, workplaces), names
   no lexicon lists (capitalised words inside sentences), numbers («1 200» = «1,2 тыс.»), months and dates. The
   anchors of the title and first paragraph are kept apart too: a report leads with its event. Documents within
   ``story_days`` that share a rare anchor (a number, a date, a person, a name) are candidates;
   :func:`same_event` weighs how much their anchors, leads and (same language) vocabulary overlap into a
   probability, a logistic regression fitted by ``bench/cluster_fit.py``. The best candidate over ``join_min``
   gives the story: a ``translation`` when the languages differ, ``related`` otherwise. A document that matches a
   second story over ``bridge_min`` merges the two; the story whose first document came first leads.

Placing a document has two halves: :func:`featurize` needs no index (so it can run in worker processes) and
:meth:`StoryIndex.place` does the rest. Nothing here knows about Scrapy or the database: the crawl,
``monitor cluster`` and the benchmarks share it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import multiprocessing
import operator
import re
import sys
import zlib
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice, repeat

import numpy as np
from datasketch import MinHash

from monitor.dates import find_dates, month_number
from monitor.lexicon import Lexicons, default_lexicons
from monitor.text import Folded, fold

NUM_PERM = 64  # FINDINGS: 64 permutations recall ~0.95 of near copies; 256 bytes a document
BANDS, ROWS = 28, 2  # LSH banding for a Jaccard threshold of ~0.2 (datasketch's optimum for 64 permutations)
JACCARD_MIN = 0.3
CONTAINMENT_MIN = 0.7
BOILERPLATE_DOCS = 3  # a paragraph seen in this many earlier documents is site chrome
TOP_STEMS = 30  # distinctive stems kept per document
MAX_POSTINGS = 300  # candidates come only from anchors rarer than this
MAX_CANDIDATES = 60  # story candidates scored per document, those sharing most rare anchors first
_WORD = re.compile(r"\w+")
# numbers as written in news, folded: «1200», «1 200», «12,5», «1,2 тыс.», «4 мың», «2,5 млн»; one value each
_NUMBER = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[ \u00a0]\d{3})+|\d+(?:[.,]\d+)?)(?![\d])"
    r"(?:[ \u00a0]?(тыс|мын|млн|миллион|млрд|миллиард|thousand|million|billion)\w*)?"
)
_SCALE = {"тыс": 10**3, "мын": 10**3, "thousand": 10**3, "млн": 10**6, "миллион": 10**6, "million": 10**6}
_SCALE |= {"млрд": 10**9, "миллиард": 10**9, "billion": 10**9}
# a month named without a day («с сентября», «қыркүйектен бастап»): when a plan takes effect. Kazakh «қазан» and
# «наурыз» are also a city/cauldron and a holiday, so they count only with «ай» (month) after them.
_MONTH = re.compile(
    r"(?<![\d\w])(?<!\d )(январ[ьяюе]|феврал[ьяюе]|март[ае]?|апрел[ьяюе]|ма[йяюе]|июн[ьяюе]|июл[ьяюе]|"
    r"август[ае]?|сентябр[ьяюе]|октябр[ьяюе]|ноябр[ьяюе]|декабр[ьяюе])\b|"
    r"(?<![\d\w])(?<!\d )(кантар|акпан|сауир|сауыр|мамыр|маусым|шилде|тамыз|кыркуйек|кыркуыек|кыркуиек|караша|"
    r"желтоксан|(?:казан|наурыз)(?= ай))\w{0,8}"
)
# Site chrome that survives extraction (folded spelling): never evidence that two articles are copies.
_CHROME = re.compile(
    r"подписывайтесь|подпишитесь|все права защищены|перепечатка|читайте также|при цитировании|"
    r"телеграм|ухацапп|барлык кукыктар|жазылыныз|силтеме миндетти"
)
_ANCHOR_CATEGORIES = ("organization", "place", "person", "alarm", "topic", "context", "event_kind")
_RARE = ("n:", "person:", "d:", "e:")  # anchors specific to one event: a number, a person, a date, a name
# A capitalised word inside a sentence (or inside quotes anywhere) is a name: a person, a firm, a mine, a village
# that no lexicon lists. Its first five folded letters survive Russian cases and Kazakh suffixes alike
# («Ахметов», «Ахметова», «Ахметовтың»), and folding makes the Russian and Kazakh spellings meet.
_NAME = re.compile(r"(?<![\w'-])([A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][\w'-]{3,})")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;—–\n]\s*|[.!?…]\s*[»\")]\s*)$")
NAME_KEY = 5
_NAMED = ("e:", "person:")
PRIOR_ANCHORS = 1.5  # how many (rarest) anchors' worth a containment's denominator starts with


@dataclass
class Doc:
    """One document to cluster."""

    id: str
    title: str
    text: str
    language: str = ""
    published_at: datetime | None = None
    url: str = ""


@dataclass(frozen=True)
class Assignment:
    id: str
    story: str  # id of the story's first document
    duplicate_of: str | None
    relation: str | None  # exact | near | translation | related | None


@dataclass(slots=True)
class _Entry:
    id: str
    language: str
    published_at: datetime | None
    slot: int  # row of its MinHash signature in the band index, -1 for a text too short for shingles
    size: int
    anchors: frozenset[str]
    lead: tuple[str, ...]  # the anchors of the title and first paragraph (a tuple: a tenth of a set's memory)
    terms: dict[str, float]  # top stems with tf-idf weights, L2-normalised (same-language rewrites)


class _Bands:
    """MinHash LSH over flat numpy arrays: the signatures, and every band key sorted with the row it came from.

    datasketch's ``MinHashLSH`` keeps each band key in a dict of Python sets, about 300 bytes per band per
    document (0.9 GB for 100k documents at 28 bands); here a band costs 12 bytes. The newest insertions sit in a
    small dict and are merged into the sorted arrays every ``MERGE_EVERY`` documents. Rows of evicted documents
    are marked dead and compacted away once they are half the index.
    """

    MERGE_EVERY = 2048

    def __init__(self) -> None:
        rng = np.random.default_rng(20260701)
        self._mult = rng.integers(1, 2**63, size=(BANDS, ROWS), dtype=np.uint64) | np.uint64(1)
        self._salt = rng.integers(0, 2**63, size=BANDS, dtype=np.uint64)
        self._keys = np.empty(0, np.uint64)
        self._rows = np.empty(0, np.uint32)
        self._recent: dict[int, list[int]] = {}
        self._recent_rows = 0
        self.signatures = np.empty((1024, NUM_PERM), np.uint32)
        self.alive = np.zeros(1024, bool)
        self.ids: list[str] = []
        self._dead = 0

    def band_keys(self, signature: np.ndarray) -> np.ndarray:
        bands = signature[: BANDS * ROWS].astype(np.uint64).reshape(BANDS, ROWS)
        with np.errstate(over="ignore"):
            keys: np.ndarray = (bands * self._mult).sum(axis=1, dtype=np.uint64) ^ self._salt  # wraps mod 2**64
        return keys

    def insert(self, doc_id: str, signature: np.ndarray, keys: np.ndarray) -> int:
        row = len(self.ids)
        if row == len(self.signatures):
            self.signatures = np.concatenate([self.signatures, np.empty_like(self.signatures)])
            self.alive = np.concatenate([self.alive, np.zeros_like(self.alive)])
        self.signatures[row], self.alive[row] = signature, True
        self.ids.append(doc_id)
        for key in keys.tolist():
            self._recent.setdefault(key, []).append(row)
        self._recent_rows += 1
        if self._recent_rows >= self.MERGE_EVERY:
            self._merge()
        return row

    def query(self, keys: np.ndarray) -> np.ndarray:
        """Live rows sharing at least one band key."""
        lo = np.searchsorted(self._keys, keys, "left")
        hi = np.searchsorted(self._keys, keys, "right")
        parts = [self._rows[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True) if b > a]
        recent = [r for key in keys.tolist() for r in self._recent.get(key, ())]
        if recent:
            parts.append(np.array(recent, np.uint32))
        if not parts:
            return np.empty(0, np.uint32)
        rows = np.unique(np.concatenate(parts))
        return rows[self.alive[rows]]

    def remove(self, row: int) -> None:
        self.alive[row] = False
        self._dead += 1

    def compact(self) -> dict[int, int] | None:
        """Drop dead rows once they are half the index; returns the old → new row map when rows moved."""
        if self._dead * 2 < len(self.ids) or not self.ids:
            return None
        self._merge()
        live = self.alive[: len(self.ids)]
        new_of = np.cumsum(live, dtype=np.int64) - 1
        keep = live[self._rows]
        self._keys, self._rows = self._keys[keep], new_of[self._rows[keep]].astype(np.uint32)
        n = int(live.sum())
        self.signatures = np.concatenate(
            [self.signatures[: len(self.ids)][live], np.empty((max(n, 1024), NUM_PERM), np.uint32)]
        )
        self.alive = np.zeros(len(self.signatures), bool)
        self.alive[:n] = True
        moved = {old: int(new_of[old]) for old in np.flatnonzero(live).tolist()}
        self.ids = [self.ids[old] for old in moved]
        self._dead = 0
        return moved

    def _merge(self) -> None:
        if not self._recent:
            return
        keys = np.fromiter((k for k, rows in self._recent.items() for _ in rows), np.uint64)
        rows = np.fromiter((r for v in self._recent.values() for r in v), np.uint32)
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        at = np.searchsorted(self._keys, keys, "right")
        self._keys, self._rows = np.insert(self._keys, at, keys), np.insert(self._rows, at, rows)
        self._recent.clear()
        self._recent_rows = 0


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of a document, hashed on its own so the index can leave site chrome out afterwards."""

    key: int  # stable hash of the folded paragraph (boilerplate counting)
    chrome: bool  # site chrome by its wording («подписывайтесь», «читайте также» …)
    words: int
    shingles: int
    signature: np.ndarray | None  # MinHash of its word 3-shingles; None under three words


@dataclass(frozen=True, slots=True)
class Features:
    """Everything :meth:`StoryIndex.place` needs of a document, computed without the index (in any process)."""

    id: str
    language: str
    published_at: datetime | None
    content_hash: str  # of the folded words: equal for exact copies
    paragraphs: list[Paragraph]
    anchors: frozenset[str]
    lead: frozenset[str]  # anchors of the title and the first paragraph (a subset of ``anchors``)
    stems: dict[str, int]  # stem → count


def featurize(doc: Doc, lexicons: Lexicons) -> Features:
    """The index-free half of :meth:`StoryIndex.add`: fold, hash, shingle, and find the document's anchors."""
    text = (doc.text or "")[:200_000]
    ftext = fold(text)
    ftitle = fold(doc.title or "")
    words_all = _WORD.findall(ftext.text) or _WORD.findall(ftitle.text)
    content_hash = hashlib.sha1(" ".join(words_all).encode()).hexdigest() if words_all else ""
    paragraphs = [_paragraph(p) for p in ftext.text.split("\n") if p.strip()]
    # the lead is the first paragraph; anchors are read in the first 20,000 characters (a 1 MB page is no article)
    sample, fsample = (text, ftext) if len(text) <= 20_000 else (text[:20_000], fold(text[:20_000]))
    start = len(sample) - len(sample.lstrip())
    lead_end = sample.find("\n", start)
    title_anchors, _ = _anchors(lexicons, doc.title or "", ftitle, doc.published_at, len(doc.title or ""))
    lead, rest = _anchors(lexicons, sample, fsample, doc.published_at, lead_end if lead_end >= 0 else len(sample))
    lead_anchors = frozenset(title_anchors | lead)
    anchors = lead_anchors | rest
    stems = dict(Counter(w[:6] for w in words_all if len(w) >= 4 and w not in _STOP and not w.isdigit()))
    return Features(doc.id, doc.language, doc.published_at, content_hash, paragraphs, anchors, lead_anchors, stems)


_MINHASH = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32)  # crc32: C and stable across processes


def _paragraph(folded: str) -> Paragraph:
    # lone surrogates (broken UTF-16 in scraped text) must hash, not raise
    key = int.from_bytes(hashlib.blake2b(folded.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")
    words = _WORD.findall(folded)
    if len(words) < 3:
        return Paragraph(key, bool(_CHROME.search(folded)), len(words), 0, None)
    shingles = {" ".join(words[i : i + 3]).encode("utf-8", "surrogatepass") for i in range(len(words) - 2)}
    _MINHASH.clear()
    _MINHASH.update_batch(list(shingles))
    return Paragraph(key, bool(_CHROME.search(folded)), len(words), len(shingles), _MINHASH.hashvalues.copy())


def _anchors(
    lexicons: Lexicons, text: str, ftext: Folded, published: datetime | None, lead_end: int
) -> tuple[set[str], set[str]]:
    """Language-independent marks of the event: lexicon entities, names, numbers (not years), months and resolved
    dates; those found before ``lead_end`` (the lead) apart from the rest."""
    lead: set[str] = set()
    rest: set[str] = set()
    if not text.strip():
        return lead, rest
    known: list[tuple[int, int]] = []  # spans the lexicons name: not names again
    for h in lexicons.matcher.find_folded(text, ftext):
        known.append((h.start, h.end))
        if h.term.category in _ANCHOR_CATEGORIES:
            (lead if h.start < lead_end else rest).add(f"{h.term.category}:{h.term.entry}")
    for m in _NUMBER.finditer(ftext.text):
        value = _number(m.group(1), m.group(2) or "")
        if value is not None:
            (lead if ftext.orig(m.start()) < lead_end else rest).add(f"n:{value}")
    for m in _MONTH.finditer(ftext.text):
        month = month_number(m.group(1) or m.group(2))
        if month is not None:
            (lead if ftext.orig(m.start()) < lead_end else rest).add(f"m:{month}")
    if published is not None:
        # «today» and «yesterday» resolve to the same dates in every report of the day: only other dates count
        day = published.date()
        for d in find_dates(text, published, ftext):
            if not timedelta(0) <= day - d.date <= timedelta(days=1):
                (lead if d.start < lead_end else rest).add(f"d:{d.date.isoformat()}")
    known.sort()
    starts = [start for start, _ in known]
    for m in _NAME.finditer(text):
        at = bisect_right(starts, m.end())  # hits starting before the name ends; the last few may overlap it
        if any(end > m.start() for _, end in known[max(0, at - 4) : at]) or m.group(1).isupper():
            continue  # a lexicon entity already, or an acronym (ТОО, МВД, LLP): a kind of body, not this one
        quoted = text[max(0, m.start() - 3) : m.start()].endswith(("«", '"', "“", "„"))
        if quoted or not _SENTENCE_START.search(text[max(0, m.start() - 6) : m.start()]):
            # Cyrillic-only text folds letter for letter: the folded name is at the same offsets
            key = ftext.text[m.start() : m.start() + NAME_KEY] if not ftext.breaks else fold(m.group(1)).text
            (lead if m.start() < lead_end else rest).add("e:" + key[:NAME_KEY])
    return lead, rest


def _number(digits: str, scale: str) -> str | None:
    """A number's value as an anchor, or None for what says little about an event: one digit, a year."""
    grouped = digits.replace(" ", "").replace("\u00a0", "")
    if scale:
        value = float(grouped.replace(",", ".")) * _SCALE[scale]
        return str(round(value))
    if "," in grouped or "." in grouped:
        return grouped.replace(",", ".")
    if len(grouped) < 2 or 1900 <= int(grouped) <= 2100:
        return None
    return str(int(grouped))


_WORKER_LEXICONS: Lexicons | None = None
_BATCH = 2048  # documents a worker pool featurizes ahead of the index


def _init_worker(lexicons: Lexicons) -> None:
    global _WORKER_LEXICONS
    _WORKER_LEXICONS = lexicons


def _featurize_in_worker(doc: Doc) -> Features:
    assert _WORKER_LEXICONS is not None
    return featurize(doc, _WORKER_LEXICONS)


@dataclass
class StoryIndex:
    """An incremental index of documents within a sliding window (default 30 days)."""

    window_days: int = 30
    story_days: int = 6
    join_min: float = 0.6  # a write-up joins the story of its best candidate with this probability
    bridge_min: float = 0.95  # a write-up matching a second story with this probability merges the two
    lexicons: Lexicons = field(default_factory=default_lexicons)

    def __post_init__(self) -> None:
        self._bands = _Bands()
        self._entries: dict[str, _Entry] = {}
        self._hashes: dict[str, str] = {}  # content hash → first document id
        self._paragraphs: Counter[int] = Counter()
        self._anchor_df: Counter[str] = Counter()
        # log(df + 0.5) of each anchor in fixed point, kept up to date with _anchor_df: an anchor's idf weight is
        # log(n + 1) minus this, so the weight of a set of anchors is one C-level sum
        self._log_df: dict[str, int] = {}
        # anchor → documents in the order they were added (a dict, not a set: ties break the same way every run)
        self._by_anchor: dict[str, dict[str, None]] = {}
        self._stem_df: Counter[str] = Counter()
        self._story_of: dict[str, str] = {}  # document → the story it joined (follow _merged_into for its root)
        self._merged_into: dict[str, str] = {}  # story → the older story it was merged into
        self._rank: dict[str, int] = {}  # story → when its first document was added (the older story leads)
        self._added = 0

    # ------------------------------------------------------------------ public
    def add(self, doc: Doc) -> Assignment:
        """Place ``doc``: the copy it is, or the story it joins, or a new story. Never raises on odd input.

        Documents older than ``window_days`` before this one are dropped from the index every 1,000 additions
        (documents arrive in publication order), so memory stays bounded however long the stream.
        """
        return self.place(featurize(doc, self.lexicons))

    def add_all(self, docs: Iterable[Doc], workers: int = 1) -> Iterator[Assignment]:
        """:meth:`add` every document in order. With ``workers`` > 1 the per-document work that needs no index
        (folding, entities, dates, shingles) runs in that many processes while this one places the results."""
        if workers <= 1:
            yield from map(self.add, docs)
            return
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        stream = iter(docs)
        with ctx.Pool(workers, initializer=_init_worker, initargs=(self.lexicons,)) as pool:
            # one batch is featurized while the previous one is placed; memory holds two batches, not the stream
            pending = pool.map_async(_featurize_in_worker, list(islice(stream, _BATCH)), chunksize=64)
            while batch := pending.get():
                pending = pool.map_async(_featurize_in_worker, list(islice(stream, _BATCH)), chunksize=64)
                yield from map(self.place, batch)

    def place(self, f: Features) -> Assignment:
        """Place a featurized document (see :func:`featurize`) against the index."""
        self._added += 1
        if f.published_at is not None and self._added % 1000 == 0:
            self.evict_before(f.published_at - timedelta(days=self.window_days))
        # interned: the index holds each anchor and stem string once, not once per document (~2.5 KB a document)
        content_hash, anchors = f.content_hash, frozenset(map(sys.intern, f.anchors))
        match: tuple[str, str] | None = None
        if content_hash and content_hash in self._hashes:
            match = (self._hashes[content_hash], "exact")

        signature, size = self._signature(f.paragraphs)
        keys = self._bands.band_keys(signature) if signature is not None else None
        if match is None and signature is not None and keys is not None:
            match = self._near(signature, keys, size)
        terms = self._terms(f.stems)
        bridged: list[str] = []
        if match is None:
            related = self._related(f, terms)
            if related:
                match = (related[0][1], "related")
                bridged = [other for score, other in related[1:] if score >= self.bridge_min]

        self._paragraphs.update(p.key for p in f.paragraphs)
        if content_hash and content_hash not in self._hashes:
            self._hashes[content_hash] = f.id
        story = self.story_of(match[0]) if match else f.id
        self._rank.setdefault(story, self._added)
        old = self._entries.get(f.id)
        if old is not None and old.slot >= 0:
            self._bands.remove(old.slot)  # the same id again: its newer text replaces the old
        slot = self._bands.insert(f.id, signature, keys) if signature is not None and keys is not None else -1
        lead = tuple(sorted(map(sys.intern, f.lead)))
        self._entries[f.id] = _Entry(f.id, f.language, f.published_at, slot, size, anchors, lead, terms)
        self._story_of[f.id] = story
        self._anchor_df.update(anchors)
        for a in anchors:
            self._log_df[a] = _fixed_log(self._anchor_df[a] + 0.5)
        for a in anchors:
            self._by_anchor.setdefault(a, {})[f.id] = None
        self._stem_df.update(f.stems.keys())
        for other in bridged:  # this write-up ties two stories together: one event reported twice over
            story = self.join(f.id, other)
        if match is None:
            return Assignment(f.id, story, None, None)
        other, relation = match
        if relation == "related" and f.language and self._entries[other].language not in ("", f.language):
            relation = "translation"
        return Assignment(f.id, story, other, relation)

    def evict_before(self, when: datetime) -> int:
        """Drop documents published before ``when`` (the sliding window); returns how many were dropped."""
        old = [e.id for e in self._entries.values() if e.published_at is not None and e.published_at < when]
        for doc_id in old:
            entry = self._entries.pop(doc_id)
            if entry.slot >= 0:
                self._bands.remove(entry.slot)
            for a in entry.anchors:
                self._anchor_df[a] -= 1
                self._log_df[a] = _fixed_log(self._anchor_df[a] + 0.5)
                self._by_anchor.get(a, {}).pop(doc_id, None)
        if old:
            for key in [k for k, n in self._anchor_df.items() if n <= 0]:
                del self._anchor_df[key], self._by_anchor[key], self._log_df[key]
            # paragraphs seen once are no evidence of boilerplate; forgetting the old ones bounds the counter
            for para in [k for k, n in self._paragraphs.items() if n == 1]:
                del self._paragraphs[para]
        moved = self._bands.compact()
        if moved:
            for entry in self._entries.values():
                if entry.slot >= 0:
                    entry.slot = moved[entry.slot]
        return len(old)

    def story_of(self, doc_id: str) -> str:
        """The story (id of its first document) an indexed document belongs to now: stories merge when a later
        write-up matches both, so an :class:`Assignment`'s ``story`` is final only once the stream has ended."""
        story = self._story_of.get(doc_id, doc_id)
        while story in self._merged_into:
            story = self._merged_into[story]
        return story

    def join(self, doc_id: str, other_id: str) -> str:
        """Merge the stories of two indexed documents; the story whose first document came first leads."""
        a, b = self.story_of(doc_id), self.story_of(other_id)
        if a == b:
            return a
        keep, gone = sorted((a, b), key=lambda st: self._rank.get(st, 0))
        self._merged_into[gone] = keep
        return keep

    def __len__(self) -> int:
        return len(self._entries)

    # ------------------------------------------------------------------ layers
    def _signature(self, paragraphs: list[Paragraph]) -> tuple[np.ndarray | None, int]:
        """The MinHash of the document's own paragraphs: site chrome and paragraphs already seen in
        ``BOILERPLATE_DOCS`` documents are left out. A union of sets has the elementwise minimum of their MinHash
        signatures, so paragraphs are hashed once, in :func:`featurize`, and combined here."""
        kept = [p for p in paragraphs if not p.chrome and self._paragraphs.get(p.key, 0) < BOILERPLATE_DOCS]
        kept = [p for p in kept or paragraphs if p.signature is not None]
        if sum(p.words for p in kept) < 8:
            return None, 0  # a headline or a stub: too little text for shingles
        signature = np.minimum.reduce([p.signature for p in kept if p.signature is not None])
        return signature, sum(p.shingles for p in kept)

    def _near(self, signature: np.ndarray, keys: np.ndarray, size: int) -> tuple[str, str] | None:
        rows = self._bands.query(keys)
        if not len(rows):
            return None
        jaccard = np.count_nonzero(self._bands.signatures[rows] == signature, axis=1) / NUM_PERM
        best: tuple[float, str] | None = None
        for row, j in zip(rows.tolist(), jaccard.tolist(), strict=True):
            other = self._entries.get(self._bands.ids[row])
            if other is None:
                continue
            inter = j * (size + other.size) / (1 + j)
            containment = inter / max(1, min(size, other.size))
            if j >= JACCARD_MIN or containment >= CONTAINMENT_MIN:
                score = max(j, containment)
                if best is None or score > best[0]:
                    best = (score, other.id)
        return (best[1], "near") if best else None

    def _terms(self, counts: dict[str, int]) -> dict[str, float]:
        """The document's most distinctive stems (TOP_STEMS), tf-idf weighted and normalised."""
        if not counts:
            return {}
        keys = list(counts)
        tf = np.fromiter(counts.values(), np.float64, len(keys))
        df = np.fromiter(map(self._stem_df.get, keys, repeat(0)), np.float64, len(keys))
        weights = tf * (math.log(len(self._entries) + 2) - np.log(df + 1))
        top = np.argsort(-weights, kind="stable")[:TOP_STEMS]
        top = top[weights[top] > 0]
        norm = float(np.sqrt(np.sum(weights[top] ** 2))) or 1.0
        return {sys.intern(keys[i]): float(weights[i]) / norm for i in top.tolist()}

    def candidates(self, doc: Features, terms: dict[str, float] | None = None) -> list[Candidate]:
        """The indexed documents that may report the same event as ``doc``, each with the features
        :func:`same_event` weighs and its probability; ``terms`` as :meth:`place` computes them (default: now).

        Only documents sharing a rare anchor (a number, a person, a date: not "Zhezkazgan" alone) and published
        within ``story_days`` can match, so they are the only candidates; a rare anchor in more than
        ``MAX_POSTINGS`` documents finds none. At most ``MAX_CANDIDATES``, those sharing most rare anchors first.
        """
        if terms is None:
            terms = self._terms(doc.stems)
        anchors, lead = doc.anchors, doc.lead
        counts: Counter[str] = Counter()
        for a in sorted(anchors):
            if a.startswith(_RARE):
                postings = self._by_anchor.get(a, {})
                if len(postings) <= MAX_POSTINGS:
                    counts.update(postings.keys())
        n = len(self._entries) + 1
        log_n1, log_df, unseen = _fixed_log(n + 1), self._log_df.get, repeat(_fixed_log(0.5))

        def total(items: Collection[str]) -> float:
            """Σ idf = Σ (log(n + 1) − log(df + 0.5)), summed in fixed point: exact in any order."""
            return (len(items) * log_n1 - sum(map(log_df, items, unseen))) / _FIXED

        w_self, w_lead, log_n = total(anchors), total(lead), math.log(n + 2)
        # containments are shrunk towards 0 by a prior of PRIOR_ANCHORS of the rarest anchors: a document naming
        # only «27» and «Shymkent» is not "contained" in every report that mentions 27 of something
        prior = PRIOR_ANCHORS * log_n
        term_keys, term_weights, zeros = list(terms), list(terms.values()), repeat(0.0)
        out: list[Candidate] = []
        for other_id, _ in counts.most_common(MAX_CANDIDATES):
            other = self._entries[other_id]
            if not _close_in_time(doc.published_at, other.published_at, self.story_days):
                continue
            common = anchors & other.anchors
            w_common, w_other, w_other_lead = total(common), total(other.anchors), total(other.lead)
            w_leads = total(lead.intersection(other.lead))
            lead_in_other = total(lead & other.anchors) / (w_lead + prior)
            other_lead_in = total(anchors.intersection(other.lead)) / (w_other_lead + prior)
            cosine = 0.0
            if doc.language == other.language:  # summed in the document's own term order: the same every run
                cosine = sum(map(operator.mul, term_weights, map(other.terms.get, term_keys, zeros)))
            features = {
                # how many rare anchors both name, each weighted by rarity relative to the rarest possible
                "rare": min(1.0, total([a for a in common if a.startswith(_RARE)]) / log_n / 3),
                # a named workplace, firm or person that either report leads with: one dispute followed for days
                "names": min(
                    1.0,
                    total([a for a in common if a.startswith(_NAMED) and (a in lead or a in other.lead)]) / log_n / 2,
                ),
                "jaccard": w_common / (w_self + w_other - w_common) if w_self + w_other > w_common else 0.0,
                "containment": w_common / (min(w_self, w_other) + prior),
                "cosine": cosine,
                "lead_min": min(lead_in_other, other_lead_in),
                "lead_max": max(lead_in_other, other_lead_in),
                "leads": w_leads / (w_lead + w_other_lead - w_leads + prior),
            }
            out.append(Candidate(other_id, features, same_event(features)))
        return out

    def _related(self, doc: Features, terms: dict[str, float]) -> list[tuple[float, str]]:
        """(probability, best-matching document) for every story a candidate from :meth:`candidates` reports the
        same event as ``doc`` in, best first."""
        scored: dict[str, tuple[float, str]] = {}  # story → its best-matching document
        for c in self.candidates(doc, terms):
            story = self.story_of(c.id)
            if c.probability >= self.join_min and c.probability > scored.get(story, (0.0, ""))[0]:
                scored[story] = (c.probability, c.id)
        return sorted(scored.values(), reverse=True)


_FIXED = 1 << 24  # anchor weights in fixed point: integer sums are exact, whatever the order of set iteration


def _fixed_log(x: float) -> int:
    return round(math.log(x) * _FIXED)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An indexed document that may report the same event as the one being placed (see
    :meth:`StoryIndex.candidates`)."""

    id: str
    features: dict[str, float]
    probability: float


# Weights of :func:`same_event`, fitted by logistic regression (``bench/cluster_fit.py``) on the farm's story labels
# and the dev split of the labelled story groups in ``tests/data/stories``; the test split was not used.
SAME_EVENT_WEIGHTS = {
    "containment": 2.59,
    "cosine": 1.77,
    "jaccard": 2.1,
    "lead_max": 1.35,
    "lead_min": 3.79,
    "leads": 5.86,
    "names": 2.49,
    "rare": -0.12,
}
SAME_EVENT_BIAS = -4.75


def same_event(features: dict[str, float]) -> float:
    """The probability that two documents report the same event, from anchor and vocabulary overlap in [0, 1]:

    * ``jaccard`` and ``containment``: of all anchors, weighted by rarity (a follow-up or an op-ed adds anchors of
      its own, so the smaller side's containment matters as well as the Jaccard);
    * ``lead_min``/``lead_max``: how much of each lead's anchors (title and first paragraph) the other document
      names — a write-up of the same event leads with the same facts;
    * ``leads``: the Jaccard of the two leads' anchors;
    * ``cosine``: of the distinctive stems, same language only (0 across languages).
    """
    z = SAME_EVENT_BIAS + sum([weight * features[k] for k, weight in SAME_EVENT_WEIGHTS.items()])
    return 1.0 / (1.0 + math.exp(-z))


_STOP = frozenset(
    """что это как так при для его она они был была были будет также который которые которая после более
    около этом году года время может можно между только через если даже однако және бұл осы мен үшін деп
    деді болды болып бойынша туралы кезінде арқылы жылы екен емес тағы олар біз қазір""".split()
)


def _close_in_time(a: datetime | None, b: datetime | None, days: int) -> bool:
    if a is None or b is None:
        return True
    return abs(a - b) <= timedelta(days=days)


def cluster(docs: list[Doc], workers: int = 1, **options: object) -> list[Assignment]:
    """Cluster documents in publication order; assignments come back in input order."""
    index = StoryIndex(**options)  # type: ignore[arg-type]
    order = sorted(range(len(docs)), key=lambda i: (docs[i].published_at is None, docs[i].published_at or 0, i))
    placed = list(index.add_all((docs[i] for i in order), workers=workers))
    out = dict(zip(order, placed, strict=True))
    return [dataclasses.replace(out[i], story=index.story_of(out[i].id)) for i in range(len(docs))]
