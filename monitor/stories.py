"""Deduplication and stories: exact copies, near copies (reprints, truncations) and other write-ups of one event.

Three layers, cheapest first, all incremental (one document at a time, against a sliding window):

1. **exact**: the same normalised text (hash of folded words);
2. **near**: MinHash LSH (datasketch) over word 3-shingles, verified by estimated Jaccard, or by containment for
   truncated and extended reprints (a lead-only copy is contained in its original). Paragraphs seen in several
   earlier documents (site boilerplate: footers, "read also") are left out of the shingles;
3. **story**: shingles never join independent reports or a ru↔kk translation, so documents also carry *anchors* —
   the lexicon entities (people, places, organisations), numbers and dates they mention, all language-independent.
   Two documents within ``story_days`` of each other whose rare anchors overlap enough are one story: a
   ``translation`` when the languages differ, ``related`` otherwise.

Nothing here knows about Scrapy or the database: the crawl, ``monitor cluster`` and the benchmarks share it.
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from datasketch import MinHash, MinHashLSH

from monitor.dates import find_dates
from monitor.lexicon import Lexicons, default_lexicons
from monitor.text import Folded, fold, fold_text

NUM_PERM = 64  # FINDINGS: 64 permutations hold 100k documents in ~0.7 GB with recall ~0.95
LSH_THRESHOLD = 0.2  # low, to catch truncated reprints; every candidate is verified
JACCARD_MIN = 0.3
CONTAINMENT_MIN = 0.7
BOILERPLATE_DOCS = 3  # a paragraph seen in this many earlier documents is site chrome
TOP_STEMS = 30  # distinctive stems kept per document
MAX_POSTINGS = 300  # candidates come only from anchors and stems rarer than this
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"(?<![\d.,])\d{2,}(?:[ \u00a0]\d{3})*(?![\d])")
# Site chrome that survives extraction (folded spelling): never evidence that two articles are copies.
_CHROME = re.compile(
    r"подписывайтесь|подпишитесь|все права защищены|перепечатка|читайте также|при цитировании|"
    r"телеграм|ухацапп|барлык кукыктар|жазылыныз|силтеме миндетти"
)
_ANCHOR_CATEGORIES = ("organization", "place", "person", "alarm")


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


@dataclass
class _Entry:
    id: str
    story: str
    language: str
    published_at: datetime | None
    signature: np.ndarray | None  # the MinHash values only (uint32, 256 bytes), not the MinHash object
    size: int
    anchors: frozenset[str]
    terms: dict[str, float]  # top stems with tf-idf weights, L2-normalised (same-language rewrites)


@dataclass
class StoryIndex:
    """An incremental index of documents within a sliding window (default 30 days)."""

    window_days: int = 30
    story_days: int = 4
    anchor_min_score: float = 0.5  # weighted Jaccard of anchors (rarer anchors weigh more)
    text_min_cosine: float = 0.25  # tf-idf cosine of stems, same language, with at least one rare shared anchor
    anchor_min_shared: int = 3
    lexicons: Lexicons = field(default_factory=default_lexicons)

    def __post_init__(self) -> None:
        self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self._entries: dict[str, _Entry] = {}
        self._hashes: dict[str, str] = {}  # content hash → first document id
        self._paragraphs: Counter[int] = Counter()
        self._anchor_df: Counter[str] = Counter()
        self._by_anchor: dict[str, set[str]] = {}
        self._stem_df: Counter[str] = Counter()
        self._by_stem: dict[str, set[str]] = {}
        self._story_of: dict[str, str] = {}
        self._added = 0
        template = MinHash(num_perm=NUM_PERM)
        self._perm, self._scheme = template.permutations, template.scheme

    # ------------------------------------------------------------------ public
    def add(self, doc: Doc) -> Assignment:
        """Place ``doc``: the copy it is, or the story it joins, or a new story. Never raises on odd input.

        Documents older than ``window_days`` before this one are dropped from the index every 1,000 additions
        (documents arrive in publication order), so memory stays bounded however long the stream.
        """
        self._added += 1
        if doc.published_at is not None and self._added % 1000 == 0:
            self.evict_before(doc.published_at - timedelta(days=self.window_days))
        text = (doc.text or "")[:200_000]
        ftext = fold(text)
        folded_paras = [p for p in ftext.text.split("\n") if p.strip()]
        words_all = _WORD.findall(ftext.text) or _WORD.findall(fold_text(doc.title or ""))
        content_hash = hashlib.sha1(" ".join(words_all).encode()).hexdigest() if words_all else ""
        anchors = self._anchors(doc.title or "", text, ftext, doc.published_at)

        match: tuple[str, str] | None = None
        if content_hash and content_hash in self._hashes:
            match = (self._hashes[content_hash], "exact")

        minhash, size = self._minhash(folded_paras)
        if match is None and minhash is not None:
            match = self._near(minhash, size)
        stems = _stems(words_all)
        terms = self._terms(stems)
        if match is None:
            match = self._related(doc, anchors, terms)

        for para in folded_paras:
            self._paragraphs[hash(para)] += 1
        if content_hash and content_hash not in self._hashes:
            self._hashes[content_hash] = doc.id
        story = self._story_of[match[0]] if match else doc.id
        signature = minhash.hashvalues.copy() if minhash is not None else None
        entry = _Entry(doc.id, story, doc.language, doc.published_at, signature, size, anchors, terms)
        self._entries[doc.id] = entry
        self._story_of[doc.id] = story
        if minhash is not None and doc.id not in self._lsh:
            self._lsh.insert(doc.id, minhash)
        for a in anchors:
            self._anchor_df[a] += 1
            self._by_anchor.setdefault(a, set()).add(doc.id)
        for st in set(stems):
            self._stem_df[st] += 1
        for st in terms:
            self._by_stem.setdefault(st, set()).add(doc.id)
        if match is None:
            return Assignment(doc.id, story, None, None)
        other, relation = match
        if relation == "related" and doc.language and self._entries[other].language not in ("", doc.language):
            relation = "translation"
        return Assignment(doc.id, story, other, relation)

    def evict_before(self, when: datetime) -> int:
        """Drop documents published before ``when`` (the sliding window); returns how many were dropped."""
        old = [e.id for e in self._entries.values() if e.published_at is not None and e.published_at < when]
        for doc_id in old:
            entry = self._entries.pop(doc_id)
            if doc_id in self._lsh:
                self._lsh.remove(doc_id)
            for a in entry.anchors:
                self._anchor_df[a] -= 1
                self._by_anchor.get(a, set()).discard(doc_id)
            for st in entry.terms:
                self._by_stem.get(st, set()).discard(doc_id)
        return len(old)

    def story_of(self, doc_id: str) -> str:
        """The story (id of its first document) an indexed document belongs to."""
        return self._story_of.get(doc_id, doc_id)

    def __len__(self) -> int:
        return len(self._entries)

    # ------------------------------------------------------------------ layers
    def _minhash(self, folded_paras: list[str]) -> tuple[MinHash | None, int]:
        paras = [
            p for p in folded_paras if self._paragraphs[hash(p)] < BOILERPLATE_DOCS and not _CHROME.search(p)
        ] or folded_paras
        words = _WORD.findall(" ".join(paras))
        if len(words) < 8:
            return None, 0  # a headline or a stub: too little text for shingles
        shingles = {" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)}
        # crc32 (C, stable across processes) instead of the default per-shingle SHA-1; shared permutations
        m = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32, permutations=self._perm, scheme=self._scheme)
        m.update_batch(list(shingles))
        return m, len(shingles)

    def _near(self, minhash: MinHash, size: int) -> tuple[str, str] | None:
        best: tuple[float, str] | None = None
        for cand in self._lsh.query(minhash):
            other = self._entries.get(cand)
            if other is None or other.signature is None:
                continue
            j = float(np.count_nonzero(minhash.hashvalues == other.signature)) / NUM_PERM
            inter = j * (size + other.size) / (1 + j)
            containment = inter / max(1, min(size, other.size))
            if j >= JACCARD_MIN or containment >= CONTAINMENT_MIN:
                score = max(j, containment)
                if best is None or score > best[0]:
                    best = (score, cand)
        return (best[1], "near") if best else None

    def _anchors(self, title: str, text: str, ftext: Folded, published: datetime | None) -> frozenset[str]:
        sample = text[:20_000]
        out: set[str] = set()
        hits = self.lexicons.matcher.find_folded(text, ftext) if text else []
        if title:
            hits += self.lexicons.matcher.find_folded(title, fold(title))
        for h in hits:
            if h.term.category in _ANCHOR_CATEGORIES:
                out.add(f"{h.term.category}:{h.term.entry}")
        for m in _NUMBER.finditer(title + "\n" + sample):
            value = int(re.sub(r"\D", "", m.group()))
            if not 1900 <= value <= 2100:  # years say little about the event
                out.add(f"n:{value}")
        if published is not None:
            for d in find_dates(title + "\n" + sample[:5000], published):
                out.add(f"d:{d.date.isoformat()}")
        return frozenset(out)

    def _weight(self, anchor: str) -> float:
        n = max(1, len(self._entries))
        return math.log((n + 1) / (self._anchor_df[anchor] + 0.5))

    def _terms(self, stems: list[str]) -> dict[str, float]:
        """The document's most distinctive stems (TOP_STEMS), tf-idf weighted and normalised."""
        if not stems:
            return {}
        n = len(self._entries) + 1
        tf = Counter(stems)
        weights = {st: c * math.log((n + 1) / (self._stem_df[st] + 1)) for st, c in tf.items()}
        top = sorted(weights.items(), key=lambda kv: -kv[1])[:TOP_STEMS]
        norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
        return {st: w / norm for st, w in top if w > 0}

    def _related(self, doc: Doc, anchors: frozenset[str], terms: dict[str, float]) -> tuple[str, str] | None:
        """Another write-up of the same event: rare anchors in common (any language), or the same distinctive
        vocabulary (same language) backed by at least one shared rare anchor."""
        counts: Counter[str] = Counter()
        for postings in [self._by_anchor.get(a, ()) for a in anchors] + [self._by_stem.get(st, ()) for st in terms]:
            if len(postings) <= MAX_POSTINGS:  # a word or place in thousands of documents finds no story
                counts.update(postings)
        best: tuple[float, str] | None = None
        for other_id, _ in counts.most_common(60):
            other = self._entries[other_id]
            if not _close_in_time(doc.published_at, other.published_at, self.story_days):
                continue
            common = anchors & other.anchors
            # rare anchors must carry the match: a shared number, person or date, not "Zhezkazgan" alone
            if not any(a.startswith(("n:", "person:", "d:")) for a in common):
                continue
            w_common = sum(self._weight(a) for a in common)
            w_union = sum(self._weight(a) for a in anchors | other.anchors)
            score = w_common / w_union if w_union and len(common) >= self.anchor_min_shared else 0.0
            if score < self.anchor_min_score and doc.language == other.language:
                cosine = sum(w * other.terms.get(st, 0.0) for st, w in terms.items())
                score = cosine if cosine >= self.text_min_cosine else 0.0
            elif score < self.anchor_min_score:
                score = 0.0
            if score and (best is None or score > best[0]):
                best = (score, other_id)
        return (best[1], "related") if best else None


_STOP = frozenset(
    """что это как так при для его она они был была были будет также который которые которая после более
    около этом году года время может можно между только через если даже однако және бұл осы мен үшін деп
    деді болды болып бойынша туралы кезінде арқылы жылы екен емес тағы олар біз қазір""".split()
)


def _stems(words: list[str]) -> list[str]:
    """Crude language-neutral stems: the first six letters of words of four letters or more."""
    return [w[:6] for w in words if len(w) >= 4 and w not in _STOP and not w.isdigit()]


def _close_in_time(a: datetime | None, b: datetime | None, days: int) -> bool:
    if a is None or b is None:
        return True
    return abs(a - b) <= timedelta(days=days)


def cluster(docs: list[Doc], **options: object) -> list[Assignment]:
    """Cluster documents in publication order; assignments come back in input order."""
    index = StoryIndex(**options)  # type: ignore[arg-type]
    order = sorted(range(len(docs)), key=lambda i: (docs[i].published_at is None, docs[i].published_at or 0, i))
    out: dict[int, Assignment] = {}
    for i in order:
        out[i] = index.add(docs[i])
    return [out[i] for i in range(len(docs))]
