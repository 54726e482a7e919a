"""Fit the weights of :func:`monitor.stories.same_event`, and choose the thresholds, on the farm and the dev split.

Each fitting set (the farm's story labels; ``tests/data/stories/dev.jsonl``) is streamed through a
:class:`~monitor.stories.StoryIndex` in publication order, exactly as the crawl places documents; every candidate
the index offers (:meth:`StoryIndex.candidates`) is one training pair, positive when both carry the same story.
The candidates' features do not depend on the weights, so one pass suffices. An L2-regularised logistic regression
(numpy gradient descent; every feature lies in [0, 1], so none is rescaled), each set weighing as much as the
other, gives the weights and bias, printed ready to paste into ``monitor/stories.py``. Then, with those weights,
story-level pairwise precision and recall on each set for a grid of ``join_min`` / ``bridge_min``.

The two sets pull apart: the farm is one dense scenario (distinct stories sharing places, dates and people), the
dev groups are independent events whose write-ups share few facts. ``tests/data/stories/test.jsonl`` is never
read here: ``bench/cluster_eval.py --set test`` is the held-out figure.

    python bench/cluster_fit.py [--sets farm,dev] [--l2 0.001]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from cluster_eval import DATA, farm_set, labelled_set, pairwise

from monitor import stories
from monitor.lexicon import default_lexicons
from monitor.stories import SAME_EVENT_WEIGHTS, Doc, StoryIndex, cluster, featurize


def load(name: str, data: Path) -> tuple[list[Doc], dict[str, str]]:
    return farm_set() if name == "farm" else labelled_set(data / f"{name}.jsonl")


def pairs(docs: list[Doc], labels: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    docs = sorted(docs, key=lambda d: (d.published_at is None, d.published_at or 0))
    index = StoryIndex(lexicons=default_lexicons())
    names = sorted(SAME_EVENT_WEIGHTS)
    rows: list[list[float]] = []
    same: list[float] = []
    for doc in docs:
        features = featurize(doc, index.lexicons)
        for c in index.candidates(features):
            rows.append([c.features[k] for k in names])
            same.append(float(labels[c.id] == labels[doc.id]))
        index.place(features)
    return np.array(rows), np.array(same)


def fit(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float, steps: int = 20_000, rate: float = 2.0
) -> np.ndarray:
    """Logistic regression by gradient descent; ``weight`` per pair (each set counts as much as the others)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    weight = weight / weight.sum()
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-xb @ w))
        w -= rate * (xb.T @ ((p - y) * weight) + l2 * np.r_[w[:-1], 0.0])
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="farm,dev", help="comma-separated: farm, dev (never test)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--l2", type=float, default=1e-4)
    args = parser.parse_args()
    names = sorted(SAME_EVENT_WEIGHTS)
    sets = {name: load(name, args.data) for name in args.sets.split(",")}
    if "test" in sets:
        parser.error("the test split is held out: fit on farm and dev only")
    xs, ys = zip(*(pairs(docs, labels) for docs, labels in sets.values()), strict=True)
    x, y = np.vstack(xs), np.concatenate(ys)
    w = fit(x, y, np.concatenate([np.full(len(v), 1.0 / len(v)) for v in ys]), args.l2)
    predicted = (np.hstack([x, np.ones((len(x), 1))]) @ w) >= 0
    tp = int(np.sum(predicted & (y == 1)))
    precision, recall = tp / max(1, int(predicted.sum())), tp / max(1, int(y.sum()))
    print(f"{len(y)} candidate pairs, {int(y.sum())} of one event")
    print(f"pairs at p >= 0.5: precision {precision:.3f}, recall {recall:.3f}")
    print("SAME_EVENT_WEIGHTS = {" + ", ".join(f'"{k}": {v:.2f}' for k, v in zip(names, w[:-1], strict=True)) + "}")
    print(f"SAME_EVENT_BIAS = {w[-1]:.2f}")
    # the thresholds: story-level precision and recall on each fitting set with these weights
    stories.SAME_EVENT_WEIGHTS.update(zip(names, np.round(w[:-1], 2).tolist(), strict=True))
    stories.SAME_EVENT_BIAS = round(float(w[-1]), 2)
    print("join_min bridge_min  story-level P / R: " + ", ".join(sets))
    grid = []
    for join in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        for bridge in (0.8, 0.9, 0.95):
            if bridge < join:
                continue
            row: list[float] = [join, bridge]
            for docs, labels in sets.values():
                tp, fp, fn = pairwise(labels, {r.id: r for r in cluster(docs, join_min=join, bridge_min=bridge)})
                row += [round(tp / max(1, tp + fp), 3), round(tp / max(1, tp + fn), 3)]
            grid.append(row)
            print(
                f"  {join:.2f} {bridge:.2f}   "
                + "   ".join(f"{p:.3f} / {r:.3f}" for p, r in zip(row[2::2], row[3::2], strict=True))
            )
    summary = {"pairs": len(y), "precision": round(precision, 3), "recall": round(recall, 3)}
    print(json.dumps(summary | {"grid": grid}))


if __name__ == "__main__":
    main()
