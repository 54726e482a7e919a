"""Story-grouping quality: pairwise precision and recall against labelled story groups.

Two kinds of ground truth:

* **the farm** (``--set farm``): two farm articles belong together when they carry the same ``story`` key in
  their front matter, or when one reprints the other (``reprint_of``, verbatim / truncated / edited / translated).
  Same-topic stories of one scenario (the troops camp, the curfew rumours, the 6 July rally …) must stay apart, as
  must the hard negatives;
* **labelled story groups** (``--set dev|test``, ``tests/data/stories/*.jsonl``): invented Russian and Kazakh
  reports of events across Kazakhstan, written without sight of the code, one object a line with ``id``,
  ``group``, ``title``, ``text``, ``language``, ``published_at``, ``outlet``. Rewrites, translations and follow-ups
  of one event share a group; decoy events of the same kind, place and company do not. ``bench/cluster_fit.py``
  fits :func:`monitor.stories.same_event` on ``dev`` only; ``test`` is held out.

Prints pairwise P/R/F1 per set (exact-copy recall and relation counts for the farm); the last line is JSON.

    python bench/cluster_eval.py [--set farm|dev|test|all] [--data tests/data/stories] [--errors]
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from monitor.farm import Farm, FarmArticle
from monitor.stories import Assignment, Doc, cluster

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "stories"


def truth(farm: Farm, a: FarmArticle) -> str:
    if a.story:
        return a.story
    if a.reprint_of:
        original = farm.get(a.reprint_of)
        if original is not None:
            return original.story or original.key
    return a.key


def farm_set() -> tuple[list[Doc], dict[str, str]]:
    farm = Farm()
    docs = [Doc(a.key, a.title, a.text, a.lang.split("-")[0], a.published_local) for a in farm.articles]
    return docs, {a.key: truth(farm, a) for a in farm.articles}


def labelled_set(path: Path) -> tuple[list[Doc], dict[str, str]]:
    """Documents and their group labels from one JSON-lines file of labelled story groups."""
    docs, labels = [], {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            published = datetime.fromisoformat(item["published_at"])
            docs.append(Doc(item["id"], item["title"], item["text"], item["language"], published))
            labels[item["id"]] = item["group"]
    return docs, labels


def pairwise(labels: dict[str, str], got: dict[str, Assignment]) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for x, y in itertools.combinations(labels, 2):
        same_truth, same_pred = labels[x] == labels[y], got[x].story == got[y].story
        tp += same_truth and same_pred
        fp += same_pred and not same_truth
        fn += same_truth and not same_pred
    return tp, fp, fn


def errors(docs: list[Doc], labels: dict[str, str], got: dict[str, Assignment]) -> None:
    """Every true group split over several stories, and every story mixing groups."""
    titles = {d.id: d.title for d in docs}
    for kind, key, other in (("split", labels, lambda i: got[i].story), ("merged", None, labels.get)):
        groups: defaultdict[str, list[str]] = defaultdict(list)
        for i in labels:
            groups[key[i] if key else got[i].story].append(i)
        for members in groups.values():
            parts = Counter(other(i) for i in members)
            if len(parts) > 1:
                print(f"  {kind}:")
                for i in sorted(members, key=lambda i: str(other(i))):
                    print(f"    {other(i)!s:>28.28}  {i:<34.34} {titles[i][:70]}")


def evaluate(name: str, docs: list[Doc], labels: dict[str, str], show_errors: bool) -> dict[str, float]:
    got = {r.id: r for r in cluster(docs)}
    tp, fp, fn = pairwise(labels, got)
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    print(
        f"{name}: {len(docs)} documents, {len(set(labels.values()))} true groups, "
        f"{len({r.story for r in got.values()})} predicted stories"
    )
    print(f"  pairwise precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}   (TP {tp}, FP {fp}, FN {fn})")
    print("  relations:", dict(Counter(r.relation for r in got.values() if r.relation)))
    out = {"pairwise_precision": round(precision, 3), "pairwise_recall": round(recall, 3)}
    if name == "farm":
        farm = Farm()
        exact = [a for a in farm.articles if a.reprint == "verbatim"]
        exact_ok = sum(1 for a in exact if a.reprint_of and got[a.key].story == got[a.reprint_of].story)
        print(f"  verbatim reprints grouped with their original: {exact_ok}/{len(exact)}")
        out["exact_recall"] = round(exact_ok / max(1, len(exact)), 3)
    if show_errors:
        errors(docs, labels, got)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=["farm", "dev", "test", "all"], default="all")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--errors", action="store_true", help="list split and merged groups")
    args = parser.parse_args()
    results = {}
    for name in ("farm", "dev", "test") if args.set == "all" else (args.set,):
        if name == "farm":
            docs, labels = farm_set()
        else:
            docs, labels = labelled_set(args.data / f"{name}.jsonl")
        results[name] = evaluate(name, docs, labels, args.errors)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
