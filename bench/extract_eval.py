"""Article-body extraction quality: ``monitor.extract`` against plain trafilatura, on the shared AEB pages.

The data is the dev half of Scrapinghub's Article Extraction Benchmark (102 gzipped HTML pages with a
hand-made reference body each), in ``../shared/data/aeb-dev`` next to the repo; its README defines the metric,
implemented here as small pure functions:

* tokens are ``re.findall(r"\\w+", text)``; shingles are the multiset of 4-token runs (a 1–3-token text is one
  shingle, an empty one has none);
* per page, TP/FP/FN are multiset overlaps of reference and predicted shingles; precision is defined only when the
  prediction has a shingle, recall when the reference has one (so an empty prediction costs recall only);
* P and R are plain means over the pages where they are defined, F1 = 2PR/(P+R) (not a mean of per-page F1);
* accuracy is the share of pages whose predicted token sequence equals the reference's;
* "±" is the standard deviation of P, R and F1 over 1,000 seeded bootstrap resamples of the pages.

Two extractors are scored on every page: ``monitor.extract.extract(html_bytes, url).text`` (the project's
pipeline: decoding, selectors, trafilatura on a parsed tree, headline stripping; its time also covers the title,
date, author and language work it does) and plain ``trafilatura.extract(html_str, url=url,
include_comments=False)``. Only the extraction call is timed, after one untimed warm-up call each. Prints
one line per extractor and a last line of JSON: {"pages", "monitor_f1", "trafilatura_f1", "monitor_ms",
"trafilatura_ms"}. Exits 0 with "skipped: ..." when the data folder is absent.

    python bench/extract_eval.py [--data ../shared/data/aeb-dev] [--limit N] [--seed 0]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from monitor.extract import ExtractionError, extract

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "aeb-dev"
SHINGLE_SIZE = 4
BOOTSTRAP_RESAMPLES = 1000

_TOKEN = re.compile(r"\w+")

Shingle = tuple[str, ...]
Extractor = Callable[[bytes, str], str]


# --- metric -------------------------------------------------------------------------------------------------------


def tokens(text: str | None) -> list[str]:
    """Maximal runs of word characters, left to right; a missing text has none."""
    return _TOKEN.findall(text) if text else []


def shingles(toks: Sequence[str], n: int = SHINGLE_SIZE) -> Counter[Shingle]:
    """The multiset of ``n``-token runs; 1 to n-1 tokens make a single shingle, no tokens make none."""
    if not toks:
        return Counter()
    if len(toks) < n:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


@dataclass(frozen=True, slots=True)
class DocScore:
    """One page: shingle counts, precision (None when the prediction has no shingle), recall, exact match."""

    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    exact: bool


def doc_scores(reference: str | None, prediction: str | None) -> DocScore:
    """Compare one predicted body with its reference, as the benchmark does."""
    ref_tokens, pred_tokens = tokens(reference), tokens(prediction)
    ref, pred = shingles(ref_tokens), shingles(pred_tokens)
    tp = fp = fn = 0
    for key in ref.keys() | pred.keys():
        c_t, c_p = ref[key], pred[key]
        tp += min(c_t, c_p)
        fp += max(0, c_p - c_t)
        fn += max(0, c_t - c_p)
    precision = tp / (tp + fp) if tp + fp > 0 else None
    recall = tp / (tp + fn) if tp + fn > 0 else None
    return DocScore(tp, fp, fn, precision, recall, ref_tokens == pred_tokens)


@dataclass(frozen=True, slots=True)
class Aggregate:
    precision: float
    recall: float
    f1: float
    accuracy: float


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def aggregate(scores: Sequence[DocScore]) -> Aggregate:
    """P and R averaged over the pages where each is defined; F1 is their harmonic mean; accuracy = exact share."""
    p = _mean([s.precision for s in scores if s.precision is not None])
    r = _mean([s.recall for s in scores if s.recall is not None])
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    acc = sum(s.exact for s in scores) / len(scores) if scores else 0.0
    return Aggregate(p, r, f1, acc)


def bootstrap_sd(
    scores: Sequence[DocScore], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> tuple[float, float, float]:
    """Standard deviation of (P, R, F1) over seeded resamples of the pages, with replacement, of the set's size."""
    if len(scores) < 2 or resamples < 2:
        return 0.0, 0.0, 0.0
    rng = random.Random(seed)
    ps: list[float] = []
    rs: list[float] = []
    fs: list[float] = []
    for _ in range(resamples):
        agg = aggregate(rng.choices(scores, k=len(scores)))
        ps.append(agg.precision)
        rs.append(agg.recall)
        fs.append(agg.f1)
    return statistics.stdev(ps), statistics.stdev(rs), statistics.stdev(fs)


# --- data and extractors ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    url: str
    reference: str
    html: bytes


def load_pages(data: Path, limit: int | None = None) -> list[Page]:
    """The pages of ``ground-truth.json`` in key order (the first ``limit`` of them), with their raw HTML."""
    truth: dict[str, dict[str, str]] = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit] if limit is not None else sorted(truth)
    return [
        Page(
            i,
            truth[i].get("url", ""),
            truth[i].get("articleBody", ""),
            gzip.decompress((data / "html" / f"{i}.html.gz").read_bytes()),
        )
        for i in ids
    ]


def monitor_extractor(html: bytes, url: str) -> str:
    """The project's pipeline on the raw bytes; a page it cannot read as HTML is an empty prediction."""
    try:
        return extract(html, url).text
    except ExtractionError:
        return ""


def trafilatura_extractor(html: bytes, url: str) -> str:
    """Plain trafilatura on the UTF-8 text, as in the README's baseline; ``None`` is an empty prediction."""
    text: str | None = trafilatura.extract(html.decode("utf-8", errors="replace"), url=url, include_comments=False)
    return text or ""


EXTRACTORS: dict[str, Extractor] = {"monitor": monitor_extractor, "trafilatura": trafilatura_extractor}


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    scores: list[DocScore]
    predictions: list[str]
    seconds: list[float]
    summary: Aggregate
    sd: tuple[float, float, float]

    @property
    def ms_per_page(self) -> float:
        return 1000 * _mean(self.seconds)


def run_extractor(name: str, extractor: Extractor, pages: Sequence[Page], seed: int = 0) -> Result:
    """Run one extractor over the pages, timing only its call, and score it.

    One untimed call on the first page comes first, so that one-off start-up costs (language profiles, lazy
    imports) do not land on whichever page happens to be first.
    """
    scores: list[DocScore] = []
    predictions: list[str] = []
    seconds: list[float] = []
    if pages:
        extractor(pages[0].html, pages[0].url)
    for page in pages:
        t = time.perf_counter()
        text = extractor(page.html, page.url)
        seconds.append(time.perf_counter() - t)
        predictions.append(text)
        scores.append(doc_scores(page.reference, text))
    return Result(name, scores, predictions, seconds, aggregate(scores), bootstrap_sd(scores, seed=seed))


def evaluate(data: Path, limit: int | None = None, seed: int = 0) -> dict[str, Result]:
    """Score every extractor of :data:`EXTRACTORS` on the pages of ``data``."""
    pages = load_pages(data, limit)
    return {name: run_extractor(name, fn, pages, seed) for name, fn in EXTRACTORS.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"benchmark folder (default {DEFAULT_DATA})")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    args = parser.parse_args(argv)
    data: Path = args.data
    if not (data / "ground-truth.json").is_file():
        print(f"skipped: benchmark data {data} not found (expected ground-truth.json and html/ there)")
        return 0
    results = evaluate(data, args.limit, args.seed)
    pages = len(next(iter(results.values())).scores)
    print(f"{pages} pages from {data}")
    for r in results.values():
        s, (sd_p, sd_r, sd_f) = r.summary, r.sd
        empty = sum(1 for x in r.scores if x.precision is None)
        print(
            f"{r.name:<12} precision={s.precision:.3f} ± {sd_p:.3f}  recall={s.recall:.3f} ± {sd_r:.3f}  "
            f"F1={s.f1:.3f} ± {sd_f:.3f}  accuracy={s.accuracy:.3f}  {r.ms_per_page:7.1f} ms/page  "
            f"empty={empty}"
        )
    print(
        json.dumps(
            {
                "pages": pages,
                "monitor_f1": round(results["monitor"].summary.f1, 4),
                "trafilatura_f1": round(results["trafilatura"].summary.f1, 4),
                "monitor_ms": round(results["monitor"].ms_per_page, 1),
                "trafilatura_ms": round(results["trafilatura"].ms_per_page, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
