"""Clustering at scale: 100,000 generated news documents with 10 % planted reprints, one process.

Documents are built from the farm's own sentences (Russian, Kazakh, Latin Kazakh), 6–14 sentences each, with
their own numbers and dates over 30 days; 10 % are reprints of an earlier document: verbatim, cut to the lead, or
with a paragraph added. Prints docs/s, peak RSS and precision/recall on the planted pairs (a reprint must land in
its source's story; any other pair put together counts as a false merge). Baseline in the same run: generating the
stream and hashing every text (the cheapest possible exact-duplicate pass). Last line JSON.

    python bench/cluster_bench.py [--docs 100000] [--workers N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from datetime import datetime, timedelta

from monitor.farm import Farm
from monitor.stories import Doc, StoryIndex


def _vocabulary(rng: random.Random, size: int = 60_000) -> list[str]:
    syllables = ["ка", "за", "ма", "ны", "ле", "ро", "ти", "су", "ба", "ры", "қа", "ғы", "ол", "ен", "ст", "пр", "ов"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(size)]


def generate(n: int, planted: dict[str, str], seed: int = 7) -> Iterator[Doc]:
    """Documents with realistic overlap: farm sentences with half their words swapped for words from a large
    vocabulary, and every number and name, so two unrelated documents share topic words and places (from the
    lexicons) but not whole passages nor the facts (numbers, dates, names) that make one event.

    Streamed, as the archive streams them: only the last 2,000 (the reprint sources) are held. Each planted
    reprint's id is recorded in ``planted`` with its source's."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    pool = [s.strip() for a in Farm().articles for s in re.split(r"(?<=[.!?])\s+", a.text) if len(s) > 40]

    def word(w: str) -> str:
        if any(c.isdigit() for c in w):
            return str(rng.randint(10, 9999))  # every document its own numbers and dates ...
        if w[:1].isupper():
            return rng.choice(vocab).capitalize()  # ... and its own names: unrelated events share no facts
        return w if rng.random() < 0.5 else rng.choice(vocab)

    def sentence() -> str:
        return " ".join(map(word, rng.choice(pool).split()))

    sentences = pool  # reprints extend a document with one of these
    start = datetime(2026, 6, 1, 8, 0).astimezone()
    docs: deque[Doc] = deque(maxlen=2000)
    for i in range(n):
        when = start + timedelta(minutes=i * 30 * 24 * 60 // n)
        if docs and rng.random() < 0.10:
            src = docs[rng.randrange(len(docs))]
            kind = rng.choice(["verbatim", "lead", "extended"])
            paras = src.text.split("\n")
            text = (
                src.text
                if kind == "verbatim"
                else (
                    "\n".join(paras[: max(1, len(paras) // 2)])
                    if kind == "lead"
                    else src.text + "\n" + rng.choice(sentences)
                )
            )
            doc = Doc(f"d{i}", src.title, text, "ru", when)
            planted[doc.id] = src.id
        else:
            body = [sentence() for _ in range(rng.randint(6, 14))]
            body.insert(
                rng.randrange(len(body)),
                f"Сумма составила {rng.randint(100, 99999)} тенге, участвовали {rng.randint(10, 5000)} человек.",
            )
            paras = [" ".join(body[k : k + 3]) for k in range(0, len(body), 3)]
            doc = Doc(f"d{i}", body[0][:90], "\n".join(paras), "ru", when)
        docs.append(doc)
        yield doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="featurizing processes")
    args = parser.parse_args()
    # pass 1, the baseline: generate the stream and hash every text (the cheapest exact-duplicate pass)
    planted: dict[str, str] = {}
    t = time.perf_counter()
    for d in generate(args.docs, planted):
        hashlib.sha1(d.text.encode()).hexdigest()
    generation = time.perf_counter() - t

    # pass 2: the same stream into the story index; its time is pass 2 less the generation time of pass 1
    index = StoryIndex()
    story: dict[str, str] = {}
    t = time.perf_counter()
    for got in index.add_all(generate(args.docs, planted), workers=args.workers):
        story[got.id] = got.story
    elapsed = time.perf_counter() - t - generation
    story = {doc_id: index.story_of(doc_id) for doc_id in story}  # stories merged later on are final now
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    found = sum(1 for copy, src in planted.items() if story[copy] == story[src])
    members: dict[str, list[str]] = defaultdict(list)
    for doc_id, s in story.items():
        members[s].append(doc_id)
    true_groups = {doc_id: planted.get(doc_id, doc_id) for doc_id in story}
    for doc_id in story:  # a reprint of a reprint belongs to the first source's group
        while true_groups[doc_id] in planted:
            true_groups[doc_id] = planted[true_groups[doc_id]]
    predicted_pairs = sum(len(m) * (len(m) - 1) // 2 for m in members.values())
    correct_pairs = 0
    for m in members.values():
        by_truth: dict[str, int] = defaultdict(int)
        for doc_id in m:
            by_truth[true_groups[doc_id]] += 1
        correct_pairs += sum(c * (c - 1) // 2 for c in by_truth.values())
    precision = correct_pairs / max(1, predicted_pairs)
    recall = found / max(1, len(planted))
    rate = len(story) / elapsed
    print(f"{len(story)} documents ({len(planted)} planted reprints) clustered in {elapsed:.1f} s = {rate:.0f} docs/s")
    print(f"baseline: generating and hashing the stream {generation:.1f} s")
    print(f"peak RSS {rss:.0f} MB (index process), {worker_rss:.0f} MB (largest of {args.workers} featurizing workers)")
    print(f"planted reprints found {found}/{len(planted)} (recall {recall:.3f}); pairwise precision {precision:.3f}")
    print(
        json.dumps(
            {
                "docs": len(story),
                "seconds": round(elapsed, 1),
                "docs_per_s": round(rate),
                "peak_rss_mb": round(rss),
                "worker_peak_rss_mb": round(worker_rss),
                "workers": args.workers,
                "recall": round(recall, 3),
                "precision": round(precision, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
