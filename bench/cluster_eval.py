"""Story-grouping quality on the farm: pairwise precision and recall against the farm's own story labels.

Ground truth: two farm articles belong together when they carry the same ``story`` key in their front matter, or
when one reprints the other (``reprint_of``, verbatim / truncated / edited / translated). Same-topic stories of
one scenario (the troops camp, the curfew rumours, the 6 July rally …) must stay apart, as must the hard
negatives. Prints pairwise P/R/F1, exact-copy recall and per-relation counts; the last line is JSON.

    python bench/cluster_eval.py
"""

from __future__ import annotations

import itertools
import json
from collections import Counter

from monitor.farm import Farm, FarmArticle
from monitor.stories import Doc, cluster


def truth(farm: Farm, a: FarmArticle) -> str:
    if a.story:
        return a.story
    if a.reprint_of:
        original = farm.get(a.reprint_of)
        if original is not None:
            return original.story or original.key
    return a.key


def main() -> None:
    farm = Farm()
    arts = farm.articles
    docs = [Doc(a.key, a.title, a.text, a.lang.split("-")[0], a.published_local) for a in arts]
    got = {r.id: r for r in cluster(docs)}
    labels = {a.key: truth(farm, a) for a in arts}
    tp = fp = fn = 0
    for x, y in itertools.combinations(labels, 2):
        same_truth, same_pred = labels[x] == labels[y], got[x].story == got[y].story
        tp += same_truth and same_pred
        fp += same_pred and not same_truth
        fn += same_truth and not same_pred
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    exact = [a for a in arts if a.reprint == "verbatim"]
    exact_ok = sum(1 for a in exact if a.reprint_of and got[a.key].story == got[a.reprint_of].story)
    relations = Counter(r.relation for r in got.values() if r.relation)
    print(
        f"{len(arts)} farm articles, {len(set(labels.values()))} true groups, "
        f"{len({r.story for r in got.values()})} predicted stories"
    )
    print(f"pairwise precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}   (TP {tp}, FP {fp}, FN {fn})")
    print(f"verbatim reprints grouped with their original: {exact_ok}/{len(exact)}")
    print("relations:", dict(relations))
    print(
        json.dumps(
            {
                "pairwise_precision": round(precision, 3),
                "pairwise_recall": round(recall, 3),
                "exact_recall": round(exact_ok / max(1, len(exact)), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
