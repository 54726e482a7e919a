"""The labelled story groups (tests/data/stories) and the story-grouping benchmark (bench/cluster_eval.py).

The groups must load, keep the test split apart (no shared id or text), and the grouping must stay above floors on
the farm and both splits, so a change to anchors or weights that merges unrelated events, or stops joining
translations, is caught here. The floors sit under the figures in the README, not at them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "stories"


def _eval() -> ModuleType:
    name = "bench_cluster_eval"  # bench/ is not a package: load the script by path
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "cluster_eval.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_splits_load_and_stay_apart() -> None:
    ev = _eval()
    (dev, dev_labels), (test, test_labels) = (ev.labelled_set(DATA / f"{s}.jsonl") for s in ("dev", "test"))
    assert len(dev) >= 100 and len(test) >= 100
    assert not {d.id for d in dev} & {d.id for d in test}
    assert not {d.text for d in dev if d.text} & {d.text for d in test}  # headline-only items have no text
    for docs, labels in ((dev, dev_labels), (test, test_labels)):
        assert all(d.language in ("ru", "kk") and d.published_at is not None for d in docs)
        sizes = [list(labels.values()).count(g) for g in set(labels.values())]
        assert max(sizes) >= 4 and sum(1 for s in sizes if s > 1) >= 20  # groups, not singletons


@pytest.mark.parametrize(
    ("name", "precision", "recall"),
    [("farm", 0.93, 0.93), ("dev", 0.95, 0.77), ("test", 0.85, 0.72)],
)
def test_grouping_stays_above_its_floor(name: str, precision: float, recall: float) -> None:
    ev = _eval()
    docs, labels = ev.farm_set() if name == "farm" else ev.labelled_set(DATA / f"{name}.jsonl")
    got = {r.id: r for r in ev.cluster(docs)}
    tp, fp, fn = ev.pairwise(labels, got)
    assert tp / max(1, tp + fp) >= precision and tp / max(1, tp + fn) >= recall, (tp, fp, fn)
