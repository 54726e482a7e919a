"""The hand-labelled classification set (tests/data/classify) and its benchmark (bench/classify_eval.py).

The set must load (every field, known topics), keep its held-out test split at a third of the items, share no
item between the splits, and label severity exactly for relevant items. The dev split, the one rules are tuned
on, must stay above a floor so a lexicon edit that breaks matching is caught here, not in the morning digest.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "classify"


def _eval() -> ModuleType:
    name = "bench_classify_eval"  # bench/ is not a package: load the script by path
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "classify_eval.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_splits_load_apart_and_consistent() -> None:
    ev = _eval()
    dev, test = ev.load(DATA, "dev"), ev.load(DATA, "test")
    assert len(dev) + len(test) >= 300
    assert len(test) >= (len(dev) + len(test)) / 3 - 1  # a third held out
    assert len({i.id for i in dev + test}) == len(dev) + len(test)
    # a generic headline («Жезқазғанда жаңа саябақ ашылды») may recur; the same item may not
    assert not {(i.title, i.text) for i in dev} & {(i.title, i.text) for i in test}
    assert not {i.text for i in dev if i.text} & {i.text for i in test if i.text}
    for item in dev + test:
        assert (item.severity is None) == (not item.relevant), item.id
        assert item.language in ("ru", "kk", "en"), item.id
        assert item.register in ("wire", "headline_only", "repost", "press_release", "court", "latin_kk",
                                 "feature", "analysis"), item.id  # fmt: skip
        assert item.register != "headline_only" or not item.text, item.id


def test_dev_split_stays_above_its_floor() -> None:
    ev = _eval()
    items = ev.load(DATA, "dev")
    summary = ev.summary(ev.score(items, [ev.predict(i) for i in items]), "dev")
    assert summary["relevance_precision"] >= 0.95 and summary["relevance_recall"] >= 0.95
    assert summary["topic_micro_f1"] >= 0.8 and summary["language_accuracy"] >= 0.98
