"""Deduplication and stories: exact copies, near copies (reprints, truncations) and other write-ups of one event.

Three layers, cheapest first, all incremental (one document at a time, against a sliding window):

1. **exact**: the same normalised text (hash of folded words);
2. **near**: MinHash (datasketch) over word 3-shingles with LSH banding (:class:`_Bands`), verified by estimated
   Jaccard, or by containment for truncated and extended reprints (a lead-only copy is contained in its original).
   Paragraphs seen in several earlier documents (site boilerplate: footers, "read also") are left out;
3. **story**: shingles never join independent reports or a ru↔kk translation, so documents also carry *anchors*,
   all language-independent: lexicon entities (people, places — a city within a lumped entry by its own name —,
   organisations, alarms, topics), names no lexicon lists (capitalised words inside sentences), numbers («1 200» =
   «1,2 тыс.»), months and dates, and *concepts* from the glossary (``lexicons/concepts.yaml``: «ураган» and
   «дауыл» are one ``c:storm``). The anchors of the title and first paragraph are kept apart too: a report leads
   with its event. Documents within ``story_days`` that share a rare anchor (a number, a date, a person, a name), or
   in the same language two distinctive stems few documents have, are candidates; :func:`same_event` weighs how much
   their anchors, leads, concepts and (same language) tf-idf stem vectors overlap, and whether they lead with places
   or alarms the other never names, into a probability, a logistic regression fitted by ``bench/cluster_fit.py``.
   The best candidate over ``join_min`` gives the story: a ``translation`` when the languages differ, ``related``
   otherwise. A document that matches a second story over ``bridge_min`` merges the two; the story whose first
   document came first leads.

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
import os
import re
import zlib
from array import array
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import compress, islice, repeat
from multiprocessing.pool import AsyncResult

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
TOP_STEMS = 30  # a document's most distinctive stems, listed for later documents to find it by
STEM_DF_MAX = 50  # a stem in more documents than this finds no candidates: «жұмысшы», «заявил», «компания»
COSINE_STEMS = 60  # a document's heaviest stems, kept for the cosine of later documents with it
STEM_MATCHES = 2  # distinctive stems a document must share to be a candidate by its vocabulary alone
MAX_POSTINGS = 300  # candidates come only from anchors rarer than this
MAX_CANDIDATES = 20  # story candidates scored per document (published near enough), those sharing most first (by idf)
_WORD = re.compile(r"\w+")
# numbers as written in news, folded: «1200», «1 200», «12,5», «1,2 тыс.», «4 мың», «2,5 млн»; one value each
# (the look-behind comes after the first digit: a pattern that starts with a digit is scanned for in C, 5× faster)
_NUMBER = re.compile(
    r"(\d(?<![\d.,]\d)(?:\d{0,2}(?:[ \u00a0]\d{3})+|\d*(?:[.,]\d+)?))(?![\d])"
    r"(?:[ \u00a0]?(тыс|мын|млн|миллион|млрд|миллиард|thousand|million|billion)\w*)?"
)
_SCALE = {"тыс": 10**3, "мын": 10**3, "thousand": 10**3, "млн": 10**6, "миллион": 10**6, "million": 10**6}
_SCALE |= {"млрд": 10**9, "миллиард": 10**9, "billion": 10**9}
# a month named without a day («с сентября», «қыркүйектен бастап»): when a plan takes effect. Kazakh «қазан» and
# «наурыз» are also a city/cauldron and a holiday, so they count only with «ай» (month) after them.
_MONTH = re.compile(
    r"\b(?<!\d )(?:(январ[ьяюе]|феврал[ьяюе]|март[ае]?|апрел[ьяюе]|ма[йяюе]|июн[ьяюе]|июл[ьяюе]|"
    r"август[ае]?|сентябр[ьяюе]|октябр[ьяюе]|ноябр[ьяюе]|декабр[ьяюе])\b|"
    r"(кантар|акпан|сауир|сауыр|мамыр|маусым|шилде|тамыз|кыркуйек|кыркуыек|кыркуиек|караша|"
    r"желтоксан|(?:казан|наурыз)(?= ай))\w{0,8})"
)
# Site chrome that survives extraction (folded spelling): never evidence that two articles are copies.
_CHROME = re.compile(
    r"подписывайтесь|подпишитесь|все права защищены|перепечатка|читайте также|при цитировании|"
    r"телеграм|ухацапп|барлык кукыктар|жазылыныз|силтеме миндетти"
)
# (not the "context" entries: «workers», «workplace», «wages» help classify but say nothing of which event)
_ANCHOR_CATEGORIES = ("organization", "place", "person", "alarm", "topic", "event_kind")
_RARE = ("n:", "person:", "d:", "e:")  # anchors specific to one event: a number, a person, a date, a name
# A capitalised word inside a sentence (or inside quotes anywhere) is a name: a person, a firm, a mine, a village
# that no lexicon lists. Its first five folded letters survive Russian cases and Kazakh suffixes alike
# («Ахметов», «Ахметова», «Ахметовтың»), and folding makes the Russian and Kazakh spellings meet.
# (the capital comes first and the look-behind after it: a pattern that starts with a character class is scanned
# for in C, 3× faster)
_NAME = re.compile(r"([A-ZА-ЯЁӘҒҚҢӨҰҮҺІ](?<=(?<![\w'-])[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ])[\w'-]{3,})")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;—–\n]\s*|[.!?…]\s*[»\")]\s*)$")
NAME_KEY = 5
_ACRONYM = re.compile(r"[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]+(?:$|['’-])")  # with a Kazakh ending after a hyphen: «ЖШС-ның»
_NAMED = ("e:", "person:")
_CONCEPT = "c:"  # what the event is about, from the concept glossary: «ураган» and «дауыл» are one anchor
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
    serial: int  # the order it was added in: postings name documents by it
    language: str
    slot: int  # row of its MinHash signature in the band index, -1 for a text too short for shingles
    size: int
    stems: np.ndarray  # every stem as a row of the stem table, uint32: taken back from the frequencies
    top: list[int]  # its TOP_STEMS most distinctive stems, listed in the stem postings


# Bits of an anchor as two documents are compared: in the new document, in its lead, in the other's lead, and
# the anchor's kind. The columns of _SUMS are the anchor weights :meth:`StoryIndex.candidates` adds up per pair:
# all the other's, the common ones, the other's lead, both leads, the new lead's named by the other, the other's
# lead named by the new one, the rare common ones, the common names that either document leads with; then the
# places the other leads with, those of them the new one names, and the new lead's places that the other names;
# the other's concepts and the common ones (concepts count in no other column); last the alarms the other leads
# with that the new one does not name, and the new lead's alarms that the other names.
_OURS, _OUR_LEAD, _THEIR_LEAD, _RARE_BIT, _NAMED_BIT, _PLACE_BIT, _CONCEPT_BIT, _ALARM_BIT = 1, 2, 4, 8, 16, 32, 64, 128
_FLAG_BITS, _FLAG_MASK = 8, 255


def _sums_row(c: int) -> list[bool]:
    ours, our_lead, their_lead = bool(c & _OURS), bool(c & _OUR_LEAD), bool(c & _THEIR_LEAD)
    if c & _CONCEPT_BIT:
        return [False] * 11 + [True, ours, False, False]
    place, rare, named, alarm = bool(c & _PLACE_BIT), bool(c & _RARE_BIT), bool(c & _NAMED_BIT), bool(c & _ALARM_BIT)
    return [
        True, ours, their_lead, our_lead and their_lead, our_lead, ours and their_lead, ours and rare,
        ours and named and (our_lead or their_lead), place and their_lead, place and their_lead and ours,
        place and our_lead, False, False, alarm and their_lead and not ours, alarm and our_lead,
    ]  # fmt: skip


_SUMS = np.array([_sums_row(c) for c in range(1 << _FLAG_BITS)], np.float64)


class _Anchors:
    """The index's anchors as small integers, with what scoring needs in flat arrays: each anchor's document
    frequency, log(df + 0.5) in fixed point (so an anchor's idf weight is log(n + 1) minus it, and the weight of
    any set of anchors is an exact integer sum), its kind (rare, named, place, concept, alarm) and its postings.

    Postings list the serials of the documents naming the anchor in the order they were added, as int32 arrays
    that numpy reads without copying; evicted documents are skipped, and dropped from a list once they are half
    of it. An anchor no live document names
    gives its id back."""

    def __init__(self, countrywide: frozenset[str] = frozenset()) -> None:
        self.countrywide = countrywide  # place anchors that place nothing: «Kazakhstan»
        self.id_of: dict[str, int] = {}
        self.names: list[str] = []
        self.postings: list[array[int]] = []
        self.df = np.zeros(1024, np.int64)
        self.log_df = np.full(1024, _fixed_log(0.5), np.int64)
        self.kind = np.zeros(1024, np.uint8)
        self._free: list[int] = []
        self._log_table = np.array([_fixed_log(k + 0.5) for k in range(1024)], np.int64)

    def add(self, anchors: Iterable[str], serial: int) -> np.ndarray:
        """Count a new document's anchors (each once); returns their ids in the given order."""
        ids = np.fromiter(map(self._id, anchors), np.int32)
        self.df[ids] += 1
        self._refresh(ids)
        for i in ids.tolist():
            self.postings[i].append(serial)
        return ids

    def remove(self, ids: np.ndarray, alive: np.ndarray) -> None:
        """Uncount an evicted document's anchors (``alive``, by serial, no longer holds it): those no live
        document names any more are freed, and a list that is half evicted documents drops them."""
        self.df[ids] -= 1
        self._refresh(ids)
        for i in ids.tolist():
            if not self.df[i]:
                del self.id_of[self.names[i]]
                self.names[i], self.postings[i], self.kind[i] = "", array("i"), 0
                self._free.append(i)
            elif len(self.postings[i]) > 2 * self.df[i]:
                self.postings[i] = _alive_only(self.postings[i], alive)

    def serials(self, anchor_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The serials in the postings of all the given anchors, one per naming, evicted documents included, and
        the length of each anchor's postings."""
        out = array("i")
        for i in anchor_ids:
            out.extend(self.postings[i])
        lengths = np.fromiter((len(self.postings[i]) for i in anchor_ids), np.int64, len(anchor_ids))
        return np.frombuffer(out, np.int32), lengths

    def _id(self, anchor: str) -> int:
        i = self.id_of.get(anchor)
        if i is not None:
            return i
        if self._free:
            i = self._free.pop()
            self.names[i], self.postings[i] = anchor, array("i")
        else:
            i = len(self.names)
            self.names.append(anchor)
            self.postings.append(array("i"))
            if i == len(self.df):
                grow = len(self.df)
                self.df = np.concatenate([self.df, np.zeros(grow, np.int64)])
                self.log_df = np.concatenate([self.log_df, np.full(grow, _fixed_log(0.5), np.int64)])
                self.kind = np.concatenate([self.kind, np.zeros(grow, np.uint8)])
        self.id_of[anchor] = i
        self.kind[i] = (
            (_RARE_BIT if anchor.startswith(_RARE) else 0)
            | (_NAMED_BIT if anchor.startswith(_NAMED) else 0)
            | (_PLACE_BIT if self.is_place(anchor) else 0)
            | (_CONCEPT_BIT if anchor.startswith(_CONCEPT) else 0)
            | (_ALARM_BIT if anchor.startswith("alarm:") else 0)
        )
        return i

    def is_place(self, anchor: str) -> bool:
        return anchor.startswith("place:") and anchor not in self.countrywide

    def _refresh(self, ids: np.ndarray) -> None:
        df = self.df[ids]
        top = int(df.max(initial=0))
        if top >= len(self._log_table):  # the table of log(k + 0.5) grows with the largest frequency seen
            more = range(len(self._log_table), 2 * top + 1)
            self._log_table = np.concatenate([self._log_table, np.array([_fixed_log(k + 0.5) for k in more])])
        self.log_df[ids] = self._log_table[df]


def _alive_only(postings: array[int], alive: np.ndarray) -> array[int]:
    """A postings list without the serials of evicted documents."""
    serials = np.frombuffer(postings, np.int32)
    return array("i", serials[alive[serials]].tobytes())


class _Runs:
    """A run of int64 values per serial, all in one flat array: the runs of many serials are gathered in one step
    (not one array each), and the array is rewritten without evicted serials once they are half of it."""

    def __init__(self) -> None:
        self.data = np.zeros(1 << 16, np.int64)
        self.end = 0
        self.offset = np.zeros(1024, np.int64)  # by serial
        self.count = np.zeros(1024, np.int64)  # by serial

    def put(self, serial: int, values: np.ndarray) -> None:
        if serial >= len(self.offset):
            self.offset = np.concatenate([self.offset, np.zeros(serial + 1, np.int64)])
            self.count = np.concatenate([self.count, np.zeros(serial + 1, np.int64)])
        if self.end + len(values) > len(self.data):
            self.data = np.concatenate([self.data, np.zeros(len(self.data) + len(values), np.int64)])
        self.data[self.end : self.end + len(values)] = values
        self.offset[serial], self.count[serial] = self.end, len(values)
        self.end += len(values)

    def get(self, serial: int) -> np.ndarray:
        start = int(self.offset[serial])
        return self.data[start : start + int(self.count[serial])]

    def gather(self, serials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The runs of ``serials`` concatenated, and how long each is."""
        counts = self.count[serials]
        return self.data[_runs(self.offset[serials], counts)], counts

    def compact(self, live: np.ndarray) -> None:
        """Keep only the runs of the ``live`` serials, once the others hold half the array."""
        counts = self.count[live]
        total = int(counts.sum())
        if 2 * total > self.end:
            return
        data = np.zeros(max(2 * total, 1 << 16), np.int64)
        data[:total] = self.data[_runs(self.offset[live], counts)]
        self.offset[live] = np.cumsum(counts) - counts
        self.data, self.end = data, total


class _StemPostings:
    """The documents whose distinctive stems (:meth:`StoryIndex._terms`) include each stem row: candidates for a
    same-language follow-up that shares no number, name or date with the first report, only its vocabulary
    («ураган», «флотатор»). Lists are kept per row as :class:`_Anchors` keeps them, pruned of evicted documents once
    those are half of a list."""

    def __init__(self) -> None:
        self.postings: dict[int, array[int]] = {}
        self.live: dict[int, int] = {}

    def add(self, rows: list[int], serial: int) -> None:
        for row in rows:
            if row in self.postings:
                self.postings[row].append(serial)
                self.live[row] += 1
            else:
                self.postings[row], self.live[row] = array("i", (serial,)), 1

    def remove(self, rows: list[int], alive: np.ndarray) -> None:
        for row in rows:
            live = self.live[row] - 1
            if not live:
                del self.postings[row], self.live[row]
                continue
            self.live[row] = live
            if len(self.postings[row]) > 2 * live:
                self.postings[row] = _alive_only(self.postings[row], alive)

    def serials(self, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The serials listed under the given rows, and how many under each (none for a row more than
        ``MAX_POSTINGS`` live documents share)."""
        out = array("i")
        lengths = np.zeros(len(rows), np.int64)
        for k, row in enumerate(rows):
            if self.live.get(row, MAX_POSTINGS + 1) <= MAX_POSTINGS:
                out.extend(self.postings[row])
                lengths[k] = len(self.postings[row])
        return np.frombuffer(out, np.int32), lengths


class _Bands:
    """MinHash LSH over flat numpy arrays: the signatures, and every band key sorted with the row it came from.

    datasketch's ``MinHashLSH`` keeps each band key in a dict of Python sets, about 300 bytes per band per
    document (0.9 GB for 100k documents at 28 bands); here a band costs 12 bytes. The newest insertions sit in a
    dict of band key → row (ints only: nothing for the garbage collector to trace, and filled by one C-level
    ``update``), with the rare key two recent documents share kept in a second dict, and are merged into the
    sorted arrays every ``MERGE_EVERY`` documents. Rows of evicted documents
    are marked dead and compacted away once they are half the index.
    """

    MERGE_EVERY = 8192  # a merge rewrites the sorted arrays (~100 ms at 100k documents), so not often

    def __init__(self) -> None:
        rng = np.random.default_rng(20260701)
        self._mult = rng.integers(1, 2**63, size=(BANDS, ROWS), dtype=np.uint64) | np.uint64(1)
        self._salt = rng.integers(0, 2**63, size=BANDS, dtype=np.uint64)
        self._keys = np.empty(0, np.uint64)
        self._rows = np.empty(0, np.uint32)
        self._recent: dict[int, int] = {}  # band key → the latest row with it
        self._clashes: dict[int, list[int]] = {}  # band key → the earlier recent rows with it
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
        keys_of_row, recent = keys.tolist(), self._recent
        for key in recent.keys() & keys_of_row:  # a near copy of a recent document
            self._clashes.setdefault(key, []).append(recent[key])
        recent.update(zip(keys_of_row, repeat(row)))
        self._recent_rows += 1
        if self._recent_rows >= self.MERGE_EVERY:
            self._merge()
        return row

    def query(self, keys: np.ndarray) -> np.ndarray:
        """Live rows sharing at least one band key."""
        keys = np.sort(keys)  # sorted needles: each search starts where the last one ended (fewer cache misses)
        lo = np.searchsorted(self._keys, keys, "left")
        found = self._keys[np.minimum(lo, len(self._keys) - 1)] == keys if len(self._keys) else np.zeros(0, bool)
        parts = []
        if found.any():  # most band keys of a new text are new: the end of a range is looked up for hits only
            lo = lo[found]
            hi = np.searchsorted(self._keys, keys[found], "right")
            parts = [self._rows[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
        hits = self._recent.keys() & keys.tolist()
        recent = [self._recent[key] for key in hits]
        if hits and self._clashes:
            recent += [r for key in hits for r in self._clashes.get(key, ())]
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
        recent, clashes = self._recent, self._clashes
        keys = np.fromiter(recent.keys(), np.uint64, len(recent))
        rows = np.fromiter(recent.values(), np.uint32, len(recent))
        if clashes:
            keys = np.concatenate([keys, np.array([k for k, v in clashes.items() for _ in v], np.uint64)])
            rows = np.concatenate([rows, np.array([r for v in clashes.values() for r in v], np.uint32)])
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        at = np.searchsorted(self._keys, keys, "right")
        self._keys, self._rows = np.insert(self._keys, at, keys), np.insert(self._rows, at, rows)
        recent.clear()
        clashes.clear()
        self._recent_rows = 0


@dataclass(frozen=True, slots=True)
class Paragraphs:
    """A document's paragraphs, each hashed on its own so the index can leave site chrome out afterwards: one row
    a paragraph, in arrays (a handful of objects to send between processes, not one per paragraph)."""

    keys: np.ndarray  # uint64: stable hash of the folded paragraph (boilerplate counting)
    chrome: np.ndarray  # bool: site chrome by its wording («подписывайтесь», «читайте также» …)
    words: np.ndarray  # int32
    shingles: np.ndarray  # int32: distinct word 3-shingles; 0 under three words (its signature row is unused)
    signatures: np.ndarray  # uint32 (paragraphs × NUM_PERM): MinHash of its shingles


@dataclass(frozen=True, slots=True)
class Features:
    """Everything :meth:`StoryIndex.place` needs of a document, computed without the index (in any process)."""

    id: str
    language: str
    published_at: datetime | None
    content_hash: str  # of the folded words: equal for exact copies
    paragraphs: Paragraphs
    anchors: frozenset[str]
    lead: frozenset[str]  # anchors of the title and the first paragraph (a subset of ``anchors``)
    stems: np.ndarray  # int64: row of each distinct stem in the index's stem table (:func:`stem_rows`)
    stem_counts: np.ndarray  # float64: how often each occurs

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickled as a few strings and byte strings (features cross from worker processes by the thousand):
        half the bytes and half the time of pickling the sets, the dict and five numpy arrays as they are."""
        p, anchors = self.paragraphs, sorted(self.anchors)
        return _unpickle_features, (
            self.id, self.language, self.published_at, self.content_hash,
            b"".join(a.tobytes() for a in (p.keys, p.signatures, p.words, p.shingles, p.chrome)),
            "\0".join(anchors), bytes(map(self.lead.__contains__, anchors)),
            self.stems.astype(np.uint32).tobytes(), self.stem_counts.astype(np.uint16).tobytes(),
        )  # fmt: skip


def _unpickle_features(
    doc_id: str, language: str, published_at: datetime | None, content_hash: str, blob: bytes,
    anchors: str, in_lead: bytes, stems: bytes, counts: bytes,
) -> Features:  # fmt: skip
    n = len(blob) // (8 + 4 * NUM_PERM + 4 + 4 + 1)
    at = [0, 8 * n, (8 + 4 * NUM_PERM) * n, (12 + 4 * NUM_PERM) * n, (16 + 4 * NUM_PERM) * n]  # where each array starts
    paragraphs = Paragraphs(
        np.frombuffer(blob, np.uint64, n, at[0]),
        np.frombuffer(blob, bool, n, at[4]),
        np.frombuffer(blob, np.int32, n, at[2]),
        np.frombuffer(blob, np.int32, n, at[3]),
        np.frombuffer(blob, np.uint32, n * NUM_PERM, at[1]).reshape(n, NUM_PERM),
    )
    names = anchors.split("\0") if anchors else []
    lead = frozenset(compress(names, in_lead))
    stem_rows = np.frombuffer(stems, np.uint32).astype(np.int64)
    stem_counts = np.frombuffer(counts, np.uint16).astype(np.float64)
    return Features(doc_id, language, published_at, content_hash, paragraphs, frozenset(names), lead, stem_rows,
                    stem_counts)  # fmt: skip


def featurize(doc: Doc, lexicons: Lexicons) -> Features:
    """The index-free half of :meth:`StoryIndex.add`: fold, hash, shingle, and find the document's anchors."""
    text = (doc.text or "")[:200_000]
    ftext = fold(text)
    ftitle = fold(doc.title or "")
    paragraphs, words_all = _paragraphs(ftext.text)
    words_all = words_all or _WORD.findall(ftitle.text)
    content_hash = hashlib.sha1(" ".join(words_all).encode()).hexdigest() if words_all else ""
    # the lead is the first paragraph; anchors are read in the first 20,000 characters (a 1 MB page is no article)
    sample, fsample = (text, ftext) if len(text) <= 20_000 else (text[:20_000], fold(text[:20_000]))
    start = len(sample) - len(sample.lstrip())
    lead_end = sample.find("\n", start)
    title_anchors, _ = _anchors(lexicons, doc.title or "", ftitle, doc.published_at, len(doc.title or ""))
    lead, rest = _anchors(lexicons, sample, fsample, doc.published_at, lead_end if lead_end >= 0 else len(sample))
    lead_anchors = frozenset(title_anchors | lead)
    anchors = lead_anchors | rest
    stems = Counter(w[:6] for w in words_all if len(w) >= 4 and w not in _STOP and not w.isdigit())
    counts = np.fromiter(stems.values(), np.float64, len(stems)).clip(max=65535)
    return Features(doc.id, doc.language, doc.published_at, content_hash, paragraphs, anchors, lead_anchors,
                    stem_rows(stems), counts)  # fmt: skip


STEM_TABLE_BITS = 23  # stems counted in 8M buckets (32 MB): ~6 % of 500,000 distinct stems share one


def stem_rows(stems: Iterable[str]) -> np.ndarray:
    """Each stem's row in the index's table of stem frequencies: its crc32, cut to ``STEM_TABLE_BITS``.

    A hash, not an id the index hands out, so worker processes compute it and the index process never hashes or
    looks up a string; the table has a fixed size however many stems a long stream brings. Two stems sharing a
    row share a document frequency (an idf a little low for the rarer one), and count as one term in the cosine
    of two documents that each have one of them among their top stems."""
    crc = np.fromiter(map(zlib.crc32, map(_UTF8, stems)), np.int64)
    out: np.ndarray = crc & ((1 << STEM_TABLE_BITS) - 1)
    return out


# A shingle's hash combines its three words' crc32 (C, and stable across processes): every word is hashed once, not
# three times as part of three shingle strings. datasketch's MinHash gives the permutations; its "affine32" scheme,
# premix the hash with the MurmurHash3 finalizer, then a·h + b in uint32, is applied to every shingle of a document
# at once rather than one datasketch call per paragraph (the same values: tests/test_stories.py).
_PERM_A, _PERM_B = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32).permutations
_SHINGLE_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], np.uint64)
_UTF8 = operator.methodcaller("encode", "utf-8", "surrogatepass")  # lone surrogates (broken UTF-16) must hash


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    out: np.ndarray = h ^ (h >> np.uint32(16))
    return out


def shingle_hashes(words: np.ndarray) -> np.ndarray:
    """The hash of every word 3-shingle from the words' crc32 (uint32): the high half of a multiply-add in
    uint64 (a multiply-shift hash of the three)."""
    w = words.astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = w[:-2] * _SHINGLE_MULT[0] + w[1:-1] * _SHINGLE_MULT[1] + w[2:] * _SHINGLE_MULT[2]  # wraps mod 2**64
    out: np.ndarray = (mixed >> np.uint64(32)).astype(np.uint32)
    return out


_WORD_HASH: dict[str, int] = {}
_WORD_HASH_MAX = 300_000  # words remembered per process (about 30 MB); then it starts over


def _word_hashes(words: list[str]) -> list[int]:
    """The crc32 of each word's UTF-8, remembered: most words of a news stream were seen before, and a dict
    lookup costs a third of encoding and hashing."""
    known = _WORD_HASH
    try:
        return list(map(known.__getitem__, words))
    except KeyError:
        if len(known) > _WORD_HASH_MAX:
            known.clear()
        for word in words:
            if word not in known:
                known[word] = zlib.crc32(_UTF8(word))
        return list(map(known.__getitem__, words))


def _paragraphs(folded: str) -> tuple[Paragraphs, list[str]]:
    """The paragraphs of a folded text, hashed and MinHashed, and all of its words."""
    keys, chrome, words_in = [], [], []
    words_all: list[str] = []
    for para in folded.split("\n"):
        if not para.strip():
            continue
        keys.append(int.from_bytes(hashlib.blake2b(_UTF8(para), digest_size=8).digest(), "big"))
        chrome.append(bool(_CHROME.search(para)))
        words = _WORD.findall(para)
        words_all += words
        words_in.append(len(words))
    n = len(keys)
    counts = np.array(words_in, np.int64)
    shingles_in = np.zeros(n, np.int32)
    signatures = np.full((n, NUM_PERM), np.iinfo(np.uint32).max, np.uint32)
    if len(words_all) >= 3:
        ends = np.cumsum(counts)
        owner = np.repeat(np.arange(n), counts)[:-2]  # the paragraph of each shingle's first word
        # shingle k starts at word k: one of its paragraph's when the paragraph holds word k + 2 as well
        own = np.arange(2, len(words_all)) < ends[owner]
        hashes = shingle_hashes(np.fromiter(_word_hashes(words_all), np.uint32, len(words_all)))
        hashes, owner = hashes[own], owner[own]
        distinct = np.unique(owner.astype(np.uint64) << np.uint64(32) | hashes)
        shingles_in[:] = np.bincount((distinct >> np.uint64(32)).astype(np.intp), minlength=n)
        if len(hashes):
            with np.errstate(over="ignore"):
                permuted = _fmix32(hashes)[:, None] * _PERM_A + _PERM_B  # wraps mod 2**32
            rows = np.flatnonzero(shingles_in)
            signatures[rows] = np.minimum.reduceat(permuted, np.searchsorted(owner, rows), axis=0)
    paragraphs = Paragraphs(np.array(keys, np.uint64), np.array(chrome, bool), counts.astype(np.int32), shingles_in,
                            signatures)  # fmt: skip
    return paragraphs, words_all


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
    several, same_place = lexicons.having("place", "several"), lexicons.same_place
    for h in lexicons.story.find_folded(text, ftext):
        if h.term.category == "concept":
            (lead if h.start < lead_end else rest).add(_CONCEPT + h.term.entry)
            continue
        known.append((h.start, h.end))
        if h.term.category in _ANCHOR_CATEGORIES:
            if h.term.category == "place" and h.term.entry in several:  # «other Kazakh cities»: which one
                # by its words, or by the first of the names it goes by («Өскемен» is «Усть-Каменогорск»)
                name = same_place.get((h.term.entry, h.term.text))
                anchor = "place:" + fold(name.rstrip("*") if name else h.matched).text[:NAME_KEY]
            else:
                anchor = f"{h.term.category}:{h.term.entry}"
            (lead if h.start < lead_end else rest).add(anchor)
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
    ends = [end for _, end in known]
    for m in _NAME.finditer(text):
        begin = m.start()
        at = bisect_right(starts, m.end())  # hits starting before the name ends; the last few may overlap it
        if (at and max(ends[max(0, at - 4) : at]) > begin) or _ACRONYM.match(m.group(1)):
            continue  # a lexicon entity already, or an acronym (ТОО, МВД, LLP, ЖШС-да): a kind of body, not this one
        quoted = text[max(0, begin - 3) : begin].endswith(("«", '"', "“", "„"))
        if quoted or not _SENTENCE_START.search(text[max(0, begin - 6) : begin]):
            # Cyrillic-only text folds letter for letter: the folded name is at the same offsets
            key = ftext.text[begin : begin + NAME_KEY] if not ftext.breaks else fold(m.group(1)).text
            (lead if begin < lead_end else rest).add("e:" + key[:NAME_KEY])
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


@dataclass(frozen=True, slots=True)
class _Terms:
    """A document's vocabulary as :meth:`StoryIndex._terms` weighs it against the index."""

    stems: np.ndarray  # every stem row, sorted, uint32
    weights: np.ndarray  # their tf-idf weights, L2-normalised, float32
    heavy: np.ndarray  # positions of the COSINE_STEMS heaviest, heaviest first
    top: list[int]  # the TOP_STEMS heaviest rows
    shared: list[int]  # rows at most STEM_DF_MAX earlier documents have: where to look for candidates


_WORKER_LEXICONS: Lexicons | None = None
_CHUNK = 256  # documents a worker featurizes per task
_AHEAD = 4  # tasks queued per worker ahead of the index: workers never wait for the next, memory stays bounded


def _init_worker(lexicons: Lexicons) -> None:
    global _WORKER_LEXICONS
    _WORKER_LEXICONS = lexicons
    # the index process places documents one by one and is the pipeline's bottleneck: on a machine with no more
    # cores than workers, the workers yield to it and featurize with what it leaves
    os.nice(5)


def _featurize_in_worker(docs: list[Doc]) -> list[Features]:
    assert _WORKER_LEXICONS is not None
    return [featurize(doc, _WORKER_LEXICONS) for doc in docs]


@dataclass
class StoryIndex:
    """An incremental index of documents within a sliding window (default 30 days)."""

    window_days: int = 30
    story_days: int = 6
    join_min: float = 0.65  # a write-up joins the story of its best candidate with this probability
    bridge_min: float = 0.95  # a write-up matching a second story with this probability merges the two
    lexicons: Lexicons = field(default_factory=default_lexicons)

    def __post_init__(self) -> None:
        self._bands = _Bands()
        self._entries: dict[str, _Entry] = {}
        self._by_serial: dict[int, _Entry] = {}
        self._alive = np.zeros(1024, bool)  # by serial
        self._published = np.zeros(1024, np.int64)  # by serial: microseconds since the epoch, _UNDATED for none
        # every document's anchors, coded (anchor id << _FLAG_BITS | _THEIR_LEAD and the kind bits), and its
        # stems with their weights (row << 32 | the float32's bits), one run per document
        self._coded = _Runs()
        self._vocab = _Runs()
        self._language = np.zeros(1024, np.int32)  # by serial, see _language_code
        self._languages: dict[str, int] = {}
        self._hashes: dict[str, str] = {}  # content hash → first document id
        self._paragraphs: Counter[int] = Counter()
        self._anchors = _Anchors(frozenset(f"place:{e}" for e in self.lexicons.having("place", "whole_country")))
        self._stem_postings = _StemPostings()
        self._mark = np.zeros(1024, np.uint8)  # scratch, per anchor id: bit 1 the document's, bit 2 its lead's
        self._stem_df = np.zeros(1 << STEM_TABLE_BITS, np.int32)  # documents naming each stem (by stem_rows)
        self._story_of: dict[str, str] = {}  # document → the story it joined (follow _merged_into for its root)
        self._merged_into: dict[str, str] = {}  # story → the older story it was merged into
        self._rank: dict[str, int] = {}  # story → when its first document was added (the older story leads)
        self._added = 0
        self._days = self.story_days * 86_400_000_000  # in microseconds

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
            # a queue of tasks, refilled as each is placed: the workers featurize while this process places
            pending: deque[AsyncResult[list[Features]]] = deque()

            def submit() -> None:
                if chunk := list(islice(stream, _CHUNK)):
                    pending.append(pool.apply_async(_featurize_in_worker, (chunk,)))

            for _ in range(_AHEAD * workers):
                submit()
            while pending:
                batch = pending.popleft().get()
                submit()
                yield from map(self.place, batch)

    def place(self, f: Features) -> Assignment:
        """Place a featurized document (see :func:`featurize`) against the index."""
        self._added += 1
        if f.published_at is not None and self._added % 1000 == 0:
            self.evict_before(f.published_at - timedelta(days=self.window_days))
        content_hash = f.content_hash
        match: tuple[str, str] | None = None
        if content_hash and content_hash in self._hashes:
            match = (self._hashes[content_hash], "exact")

        signature, size = self._signature(f.paragraphs)
        keys = self._bands.band_keys(signature) if signature is not None else None
        if match is None and signature is not None and keys is not None:
            match = self._near(signature, keys, size)
        terms = self._terms(f)
        bridged: list[str] = []
        if match is None:
            related = self._related(f, terms)
            if related:
                match = (related[0][1], "related")
                bridged = [other for score, other in related[1:] if score >= self.bridge_min]

        self._paragraphs.update(f.paragraphs.keys.tolist())
        if content_hash and content_hash not in self._hashes:
            self._hashes[content_hash] = f.id
        story = self.story_of(match[0]) if match else f.id
        self._rank.setdefault(story, self._added)
        if f.id in self._entries:
            self._forget(f.id)  # the same id again: its newer text replaces the old
        slot = self._bands.insert(f.id, signature, keys) if signature is not None and keys is not None else -1
        anchors = sorted(f.anchors)
        ids = self._anchors.add(anchors, self._added)
        in_lead = np.fromiter(map(f.lead.__contains__, anchors), np.int64, len(anchors))
        coded = ids.astype(np.int64) << _FLAG_BITS | in_lead * _THEIR_LEAD | self._anchors.kind[ids]
        entry = _Entry(f.id, self._added, f.language, slot, size, terms.stems, terms.top)
        self._entries[f.id] = self._by_serial[self._added] = entry
        if self._added >= len(self._alive):
            self._alive = np.concatenate([self._alive, np.zeros_like(self._alive)])
            self._published = np.concatenate([self._published, np.zeros_like(self._published)])
            self._language = np.concatenate([self._language, np.zeros_like(self._language)])
        self._coded.put(self._added, coded)
        heavy = terms.heavy
        self._vocab.put(self._added, terms.stems[heavy].astype(np.int64) << 32 | terms.weights[heavy].view(np.uint32))
        self._alive[self._added] = True
        self._published[self._added] = _UNDATED if f.published_at is None else _micros(f.published_at)
        self._language[self._added] = self._language_code(f.language)
        self._stem_postings.add(entry.top, self._added)
        self._story_of[f.id] = story
        self._stem_df[f.stems] += 1
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
        n = self._added + 1
        published = self._published[:n]
        old_serials = np.flatnonzero(self._alive[:n] & (published != _UNDATED) & (published < _micros(when)))
        old = [self._by_serial[s].id for s in old_serials.tolist()]
        for doc_id in old:
            self._forget(doc_id)
        if old:
            # paragraphs seen once are no evidence of boilerplate; forgetting the old ones bounds the counter
            for para in [k for k, n in self._paragraphs.items() if n == 1]:
                del self._paragraphs[para]
        live = np.flatnonzero(self._alive[: self._added + 1])
        self._coded.compact(live)
        self._vocab.compact(live)
        moved = self._bands.compact()
        if moved:
            for entry in self._entries.values():
                if entry.slot >= 0:
                    entry.slot = moved[entry.slot]
        return len(old)

    def _forget(self, doc_id: str) -> None:
        entry = self._entries.pop(doc_id)
        del self._by_serial[entry.serial]
        self._alive[entry.serial] = False
        if entry.slot >= 0:
            self._bands.remove(entry.slot)
        self._stem_df[entry.stems] -= 1  # once per distinct row, as place() added it
        self._stem_postings.remove(entry.top, self._alive)
        self._anchors.remove(self._coded.get(entry.serial) >> _FLAG_BITS, self._alive)

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
    def _signature(self, paragraphs: Paragraphs) -> tuple[np.ndarray | None, int]:
        """The MinHash of the document's own paragraphs: site chrome and paragraphs already seen in
        ``BOILERPLATE_DOCS`` documents are left out. A union of sets has the elementwise minimum of their MinHash
        signatures, so paragraphs are hashed once, in :func:`featurize`, and combined here."""
        seen, chrome = self._paragraphs, paragraphs.chrome.tolist()
        own = [i for i, key in enumerate(paragraphs.keys.tolist()) if not chrome[i] and seen[key] < BOILERPLATE_DOCS]
        shingles = paragraphs.shingles
        kept = [i for i in own or range(len(chrome)) if shingles[i]]
        if int(paragraphs.words[kept].sum()) < 8:
            return None, 0  # a headline or a stub: too little text for shingles
        return paragraphs.signatures[kept].min(axis=0), int(shingles[kept].sum())

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

    def _language_code(self, language: str) -> int:
        return self._languages.setdefault(language, len(self._languages))

    def _terms(self, doc: Features) -> _Terms:
        """The document's stems with their tf-idf weights (idf over the window as it is now), and its most
        distinctive ones."""
        order = np.argsort(doc.stems, kind="stable")
        rows = doc.stems[order]
        df = self._stem_df[rows]
        weights = doc.stem_counts[order] * (math.log(len(self._entries) + 2) - np.log(df + 1.0))
        norm = float(np.sqrt(np.dot(weights, weights))) or 1.0
        heaviest = np.argsort(-weights, kind="stable")
        few = (df > 0) & (df <= STEM_DF_MAX)  # stems few earlier documents have: the rarest of them
        shared = rows[heaviest[few[heaviest]][:TOP_STEMS]]
        return _Terms(rows.astype(np.uint32), (weights / norm).astype(np.float32), heaviest[:COSINE_STEMS],
                      rows[heaviest[:TOP_STEMS]].tolist(), shared.tolist())  # fmt: skip

    def candidates(self, doc: Features, terms: _Terms | None = None, min_probability: float = 0.0) -> list[Candidate]:
        """The indexed documents that may report the same event as ``doc``, each with the features
        :func:`same_event` weighs and its probability; ``terms`` as :meth:`place` computes them (default: now).

        Only documents published within ``story_days`` that share a rare anchor (a number, a person, a date: not
        "Zhezkazgan" alone) or, in the same language, ``STEM_MATCHES`` distinctive stems can match, so they are the
        only candidates; a rare anchor in more than ``MAX_POSTINGS`` documents finds none. At most
        ``MAX_CANDIDATES``, those sharing most first, each shared anchor or stem weighing its idf. The features of
        all candidates are computed at once (anchor figures as weighted counts over their anchor ids, cosines over
        their stem runs); those under ``min_probability`` are left out.
        """
        if terms is None:
            terms = self._terms(doc)
        table = self._anchors
        n = len(self._entries) + 1
        log_n1, log_n = _fixed_log(n + 1), math.log(n + 2)
        rare = [i for i in map(table.id_of.get, [a for a in doc.anchors if a.startswith(_RARE)]) if i is not None]
        rare = sorted(i for i in rare if table.df[i] <= MAX_POSTINGS)
        shared, lengths = table.serials(rare)
        # each naming weighs its anchor's idf: sharing «Жезказганцветмет» says more than sharing «120»
        weight = np.repeat(log_n1 - table.log_df[rare], lengths) / _FIXED
        language = self._language_code(doc.language)
        if terms.shared:  # documents in the same language listing two stems few documents have as distinctive
            by_stem, lengths = self._stem_postings.serials(terms.shared)
            same = self._language[by_stem] == language
            stem_weight = np.repeat(log_n - np.log(self._stem_df[terms.shared] + 1.0), lengths)[same]
            _, inverse, counts = np.unique(by_stem[same], return_inverse=True, return_counts=True)
            twice = counts[inverse] >= STEM_MATCHES
            shared = np.concatenate([shared, by_stem[same][twice]])
            weight = np.concatenate([weight, stem_weight[twice]])
        alive = self._alive[shared]
        shared, weight = shared[alive], weight[alive]
        if not len(shared):
            return []
        # the documents sharing the most (by idf) rare anchors and stems, the latest first among equals, and
        # published near enough
        serials, inverse = np.unique(shared, return_inverse=True)
        evidence = np.bincount(inverse, weight, len(serials))
        if doc.published_at is not None:
            published = self._published[serials]
            near = (published == _UNDATED) | (np.abs(published - _micros(doc.published_at)) <= self._days)
            serials, evidence = serials[near], evidence[near]
        best = serials[np.lexsort((-serials, -evidence))[:MAX_CANDIDATES]]
        if not len(best):
            return []
        entities = [a for a in doc.anchors if not a.startswith(_CONCEPT)]
        concepts = [a for a in doc.anchors if a.startswith(_CONCEPT)]
        lead = [a for a in doc.lead if not a.startswith(_CONCEPT)]
        own = [table.id_of[a] for a in entities if a in table.id_of]  # the others name no anchor unseen so far
        own_concepts = [table.id_of[a] for a in concepts if a in table.id_of]
        own_lead = [table.id_of[a] for a in lead if a in table.id_of]

        def total(anchors: Collection[str], known: list[int]) -> float:
            """Σ idf = Σ (log(n + 1) − log(df + 0.5)) in fixed point; an anchor no document names has df 0."""
            unseen = (len(anchors) - len(known)) * _fixed_log(0.5)
            return (len(anchors) * log_n1 - int(table.log_df[known].sum()) - unseen) / _FIXED

        w_self, w_lead, w_concepts = total(entities, own), total(lead, own_lead), total(concepts, own_concepts)
        our_alarms = [a for a in lead if a.startswith("alarm:")]
        w_alarms = total(our_alarms, [table.id_of[a] for a in our_alarms if a in table.id_of])
        # containments are shrunk towards 0 by a prior of PRIOR_ANCHORS of the rarest anchors: a document naming
        # only «27» and «Shymkent» is not "contained" in every report that mentions 27 of something
        prior = PRIOR_ANCHORS * log_n

        if len(self._mark) < len(table.df):
            self._mark = np.zeros(len(table.df), np.uint8)
        mark = self._mark
        mark[own] = _OURS
        mark[own_concepts] = _OURS
        mark[own_lead] |= _OUR_LEAD
        coded, counts = self._coded.gather(best)
        ids = coded >> _FLAG_BITS
        codes = mark[ids] | (coded & _FLAG_MASK)
        mark[own] = 0
        mark[own_concepts] = 0
        weight = (log_n1 - table.log_df[ids]).astype(np.float64)  # integers far below 2**53: sums are exact
        # per candidate, the weight of its anchors by code, then the sums each code adds to
        candidate = np.repeat(np.arange(len(best)), counts)
        by_code = np.bincount(candidate * len(_SUMS) + codes, weight, len(_SUMS) * len(best)).reshape(len(best), -1)
        sums = by_code @ _SUMS / _FIXED
        w_other, w_common, w_other_lead, w_leads, lead_named, other_lead_named, rare, names = sums.T[:8]
        their_places, their_places_named, our_places_named, their_concepts, common_concepts = sums.T[8:13]
        their_alarms_unnamed, our_alarms_named = sums.T[13:]
        # both lead with a place, and neither names the other's anywhere: Balkhash is not Zhezkazgan
        our_places = any(map(table.is_place, lead))
        elsewhere = our_places & (their_places > 0) & (their_places_named == 0) & (our_places_named == 0)
        lead_in_other = lead_named / (w_lead + prior)
        other_lead_in = other_lead_named / (w_other_lead + prior)
        union = w_self + w_other - w_common
        same_language = self._language[best] == language
        features = {
            # how many rare anchors both name, each weighted by rarity relative to the rarest possible
            "rare": np.minimum(1.0, rare / log_n / 3),
            # a named workplace, firm or person that either report leads with: one dispute followed for days
            "names": np.minimum(1.0, names / log_n / 2),
            "jaccard": np.divide(w_common, union, out=np.zeros(len(best)), where=union > 0),
            "containment": w_common / (np.minimum(w_self, w_other) + prior),
            "same_language": same_language.astype(np.float64),
            "cosine": np.zeros(len(best)),
            "lead_min": np.minimum(lead_in_other, other_lead_in),
            "lead_max": np.maximum(lead_in_other, other_lead_in),
            "leads": w_leads / (w_lead + w_other_lead - w_leads + prior),
            "elsewhere": elsewhere.astype(np.float64),
            # one leads with troops, a curfew or arrests that the other never mentions: another event
            "other_alarm": ((their_alarms_unnamed > 0) | (our_alarms_named < w_alarms - 1e-9)).astype(np.float64),
            "concepts": common_concepts / (w_concepts + their_concepts - common_concepts + prior),
        }
        features["cosine"][same_language] = self._cosines(terms, best[same_language])
        probability = same_event(features)
        keep = np.flatnonzero(probability >= min_probability)
        rows = {k: v[keep].tolist() for k, v in features.items()}
        return [
            Candidate(self._by_serial[serial].id, {k: v[j] for k, v in rows.items()}, p)
            for j, (serial, p) in enumerate(zip(best[keep].tolist(), probability[keep].tolist(), strict=True))
        ]

    def _cosines(self, terms: _Terms, serials: np.ndarray) -> np.ndarray:
        """The cosine of the document's tf-idf stem vector with each of these indexed documents' (same language)."""
        if not len(terms.stems) or not len(serials):
            return np.zeros(len(serials))
        packed, counts = self._vocab.gather(serials)
        rows = (packed >> 32).astype(np.uint32)
        at = np.searchsorted(terms.stems, rows)
        at[at == len(terms.stems)] = 0
        common = terms.stems[at] == rows
        theirs = (packed[common] & 0xFFFFFFFF).astype(np.uint32).view(np.float32)
        owner = np.repeat(np.arange(len(counts)), counts)[common]
        out: np.ndarray = np.bincount(owner, terms.weights[at[common]] * theirs.astype(np.float64), len(counts))
        return out

    def _related(self, doc: Features, terms: _Terms) -> list[tuple[float, str]]:
        """(probability, best-matching document) for every story a candidate from :meth:`candidates` reports the
        same event as ``doc`` in, best first."""
        scored: dict[str, tuple[float, str]] = {}  # story → its best-matching document
        for c in self.candidates(doc, terms, self.join_min):
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
# and the dev split of the labelled story groups in ``tests/data/stories`` (batches c to h); the test split was not
# used. Refits with batches i and j, with and without new figures, scored no better on farm and dev story by story.
SAME_EVENT_WEIGHTS = {
    "concepts": 4.66,
    "containment": 2.17,
    "cosine": 7.21,
    "elsewhere": -1.61,
    "jaccard": 1.56,
    "lead_max": 0.07,
    "lead_min": 3.01,
    "leads": 13.18,
    "names": 3.9,
    "other_alarm": -2.46,
    "rare": -2.06,
    "same_language": -1.43,
}
SAME_EVENT_BIAS = -4.62


def same_event(features: dict[str, np.ndarray]) -> np.ndarray:
    """The probability that two documents report the same event, per candidate, from these figures in [0, 1]:

    * ``jaccard`` and ``containment``: of all anchors but concepts, weighted by rarity (a follow-up or an op-ed
      adds anchors of its own, so the smaller side's containment matters as well as the Jaccard);
    * ``lead_min``/``lead_max``: how much of each lead's anchors (title and first paragraph) the other document
      names — a write-up of the same event leads with the same facts; ``leads``: the Jaccard of the two leads;
    * ``rare`` and ``names``: the rare anchors both name, and the names either leads with;
    * ``concepts``: the Jaccard of what the two are about (the concept glossary), in any languages;
    * ``cosine``: of the tf-idf stem vectors, same language only; ``same_language``: 1 when it could be computed;
    * ``elsewhere``: 1 when both lead with places and neither names the other's; ``other_alarm``: 1 when one leads
      with an alarm (troops, a curfew, arrests) the other never names.
    """
    z = np.full(len(features["cosine"]), SAME_EVENT_BIAS)
    for k, weight in SAME_EVENT_WEIGHTS.items():
        z += weight * features[k]
    out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return out


_STOP = frozenset(
    """что это как так при для его она они был была были будет также который которые которая после более
    около этом году года время может можно между только через если даже однако және бұл осы мен үшін деп
    деді болды болып бойынша туралы кезінде арқылы жылы екен емес тағы олар біз қазір""".split()
)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNDATED = np.iinfo(np.int64).min  # the published time of a document without one, in arrays of times


def _runs(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indices of consecutive runs ``starts[i] .. starts[i] + counts[i]``, concatenated."""
    ends = np.cumsum(counts)
    return np.repeat(starts - (ends - counts), counts) + np.arange(int(ends[-1]) if len(ends) else 0)


def _micros(when: datetime) -> int:
    """A time as whole microseconds since the epoch (naive times taken as UTC): exact, and cheap to compare."""
    return ((when if when.tzinfo else when.replace(tzinfo=UTC)) - _EPOCH) // timedelta(microseconds=1)


def cluster(docs: list[Doc], workers: int = 1, **options: object) -> list[Assignment]:
    """Cluster documents in publication order; assignments come back in input order."""
    index = StoryIndex(**options)  # type: ignore[arg-type]
    order = sorted(range(len(docs)), key=lambda i: (docs[i].published_at is None, docs[i].published_at or 0, i))
    placed = list(index.add_all((docs[i] for i in order), workers=workers))
    out = dict(zip(order, placed, strict=True))
    return [dataclasses.replace(out[i], story=index.story_of(out[i].id)) for i in range(len(docs))]
