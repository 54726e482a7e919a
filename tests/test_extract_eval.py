"""The extraction benchmark's metric (bench/extract_eval.py) on the README's worked example and edge cases.

The last test runs the whole evaluation on the first five shared pages; it skips when ../shared/data/aeb-dev is
absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "aeb-dev"


def _load() -> ModuleType:
    # bench/ is not a package: load the script by path (registered first, as dataclasses look their module up)
    name = "bench_extract_eval"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "extract_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ee = _load()


def test_tokens_are_word_runs_without_folding() -> None:
    assert ee.tokens("The cat, the_cat! 42 — Қазақ") == ["The", "cat", "the_cat", "42", "Қазақ"]
    assert ee.tokens("") == []
    assert ee.tokens(None) == []
    assert ee.tokens(" ... — !") == []


def test_readme_worked_example() -> None:
    ref = ee.shingles(ee.tokens("The cat sat on the mat."))
    assert sum(ref.values()) == 3
    assert set(ref) == {("The", "cat", "sat", "on"), ("cat", "sat", "on", "the"), ("sat", "on", "the", "mat")}
    pred = ee.shingles(ee.tokens("The cat sat on the mat. Share this"))
    assert sum(pred.values()) == 5

    s = ee.doc_scores("The cat sat on the mat.", "The cat sat on the mat. Share this")
    assert (s.tp, s.fp, s.fn) == (3, 2, 0)
    assert s.precision == pytest.approx(0.6)
    assert s.recall == pytest.approx(1.0)
    assert not s.exact


def test_shingles_are_a_multiset() -> None:
    sh = ee.shingles(ee.tokens("a b c d a b c d"))
    assert sh[("a", "b", "c", "d")] == 2
    assert sum(sh.values()) == 5
    s = ee.doc_scores("a b c d", "a b c d a b c d")  # the repeat counts as a false positive
    assert (s.tp, s.fp, s.fn) == (1, 4, 0)


@pytest.mark.parametrize("text", ["one", "one two", "one two three"])
def test_short_texts_make_one_shingle(text: str) -> None:
    toks = ee.tokens(text)
    assert ee.shingles(toks) == {tuple(toks): 1}
    s = ee.doc_scores(text, text)
    assert (s.tp, s.fp, s.fn) == (1, 0, 0)
    assert s.precision == 1.0 and s.recall == 1.0 and s.exact


def test_short_prediction_against_long_reference() -> None:
    s = ee.doc_scores("The cat sat on the mat.", "The cat sat")
    assert (s.tp, s.fp, s.fn) == (0, 1, 3)
    assert s.precision == 0.0 and s.recall == 0.0


@pytest.mark.parametrize("prediction", [None, "", "  — … !"])
def test_empty_prediction_costs_recall_only(prediction: str | None) -> None:
    empty = ee.doc_scores("The cat sat on the mat.", prediction)
    assert empty.precision is None
    assert empty.recall == 0.0
    assert (empty.tp, empty.fp, empty.fn) == (0, 0, 3)

    half = ee.doc_scores("The cat sat on the mat.", "The cat sat on")  # precision 1.0, recall 1/3
    agg = ee.aggregate([half, empty])
    assert agg.precision == pytest.approx(1.0)  # the empty page is left out of the precision mean
    assert agg.recall == pytest.approx((1 / 3 + 0.0) / 2)  # but counts, as 0, in the recall mean
    assert agg.f1 == pytest.approx(2 * agg.precision * agg.recall / (agg.precision + agg.recall))
    assert agg.accuracy == 0.0


def test_aggregate_is_harmonic_mean_of_averages_not_mean_of_f1() -> None:
    a = ee.doc_scores("The cat sat on the mat.", "The cat sat on the mat. Share this")  # P 0.6, R 1
    b = ee.doc_scores("The cat sat on the mat.", "The cat sat on the mat.")  # exact
    agg = ee.aggregate([a, b])
    assert agg.precision == pytest.approx(0.8)
    assert agg.recall == pytest.approx(1.0)
    assert agg.f1 == pytest.approx(2 * 0.8 / 1.8)
    assert agg.accuracy == pytest.approx(0.5)


def test_bootstrap_is_seeded() -> None:
    scores = [ee.doc_scores("a b c d e f", p) for p in ("a b c d e f", "a b c d x y", "", "a b c d e f g h")]
    sd = ee.bootstrap_sd(scores, resamples=200, seed=7)
    assert sd == ee.bootstrap_sd(scores, resamples=200, seed=7)
    assert all(x > 0 for x in sd)
    assert ee.bootstrap_sd([scores[0]] * 5, resamples=50) == (0.0, 0.0, 0.0)


def test_main_skips_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ee.main(["--data", str(tmp_path / "missing")]) == 0
    assert capsys.readouterr().out.startswith("skipped:")


def test_first_five_shared_pages() -> None:
    if not (DATA / "ground-truth.json").is_file():
        pytest.skip(f"benchmark data not found at {DATA} (../shared/data/aeb-dev next to the repo)")
    results = ee.evaluate(DATA, limit=5)
    assert set(results) == {"monitor", "trafilatura"}
    for name, r in results.items():
        assert len(r.scores) == 5
        assert r.summary.f1 > 0.7, (name, r.summary)
