"""Classifier quality: ``monitor.classify.classify`` against the hand-labelled news set in ``tests/data/classify``.

The set is two JSON-lines files of invented but realistic news items (Russian, Kazakh in Cyrillic and in the
2018 Latin alphabet, a little English; wires, press releases, court reports, reposts with site chrome,
headline-only items, features), labelled by the rules of ``tests/data/classify/LABELLING.md``: ``dev.jsonl``
for looking at errors, ``test.jsonl`` (a third of the items: other events, places, people and phrasings) held
out. Its items were written without sight of the lexicons, and the later batches were split between the files at
random before anyone read them; ``--data DIR`` measures such a split batch at first sight, before it is appended.
One object a line: id, title, text, language (ru | kk | en), relevant, severity (alarm | high | normal | null),
topics (strike, protest, repression, layoffs_closure, safety, ownership, politics), register.

``classify(title, text)`` runs once per item. Measured:

* **relevance** precision, recall and F1, the positive class being ``relevant``;
* **topics**, over the items labelled relevant only: per topic, TP/FP/FN between the predicted topic set
  (``Classification.topics``, whatever the relevance decision) and the labelled one, F1 per topic, and the
  micro-F1 over all topics pooled; a topic with no labelled and no predicted instance has no F1 (null);
* **language** accuracy over all items (Latin-script Kazakh is labelled ``kk``);
* **severity** accuracy over the items labelled relevant (a missed item predicts ``None``, so it counts as an
  error), and, for reference, over the items both labelled and predicted relevant;
* relevance F1 per register, to show where the misses sit (headline-only, Latin script, reposts …).

With ``--errors`` every disagreement is listed (id, what, expected vs got, title). The last line of output is a
JSON object with the figures.

    python bench/classify_eval.py [--split dev|test|all] [--data tests/data/classify] [--errors]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.classify import classify

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "tests" / "data" / "classify"
SPLITS = ("dev", "test")
TOPICS = ("strike", "protest", "repression", "layoffs_closure", "safety", "ownership", "politics")
FIELDS = ("id", "title", "text", "language", "relevant", "severity", "topics", "register")


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    title: str
    text: str
    language: str
    relevant: bool
    severity: str | None
    topics: frozenset[str]
    register: str


@dataclass(frozen=True, slots=True)
class Prediction:
    relevant: bool
    severity: str | None
    topics: frozenset[str]
    language: str


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: bool, pred: bool) -> None:
        if gold and pred:
            self.tp += 1
        elif pred:
            self.fp += 1
        elif gold:
            self.fn += 1

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        if not self.tp + self.fp + self.fn:
            return None
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


@dataclass(slots=True)
class Report:
    items: int = 0
    relevance: Counts = field(default_factory=Counts)
    topics: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in TOPICS})
    language_ok: int = 0
    severity_ok: int = 0
    severity_n: int = 0
    severity_both_ok: int = 0
    severity_both_n: int = 0
    by_register: dict[str, Counts] = field(default_factory=dict)
    errors: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    @property
    def topic_micro(self) -> Counts:
        pooled = Counts()
        for c in self.topics.values():
            pooled.tp += c.tp
            pooled.fp += c.fp
            pooled.fn += c.fn
        return pooled


# --- data ---------------------------------------------------------------------------------------------------------


def load_split(data: Path, split: str) -> list[Item]:
    """Read ``<data>/<split>.jsonl``; raise ValueError naming the line on a malformed or incomplete object."""
    path = data / f"{split}.jsonl"
    items: list[Item] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not JSON ({exc})") from exc
            missing = [f for f in FIELDS if f not in row]
            if missing:
                raise ValueError(f"{path}:{lineno}: missing {', '.join(missing)}")
            unknown = set(row["topics"]) - set(TOPICS)
            if unknown:
                raise ValueError(f"{path}:{lineno}: unknown topics {sorted(unknown)}")
            items.append(
                Item(
                    id=str(row["id"]),
                    title=str(row["title"]),
                    text=str(row["text"]),
                    language=str(row["language"]),
                    relevant=bool(row["relevant"]),
                    severity=row["severity"],
                    topics=frozenset(row["topics"]),
                    register=str(row["register"]),
                )
            )
    return items


def load(data: Path, split: str) -> list[Item]:
    return [item for s in (SPLITS if split == "all" else (split,)) for item in load_split(data, s)]


# --- scoring ------------------------------------------------------------------------------------------------------


def predict(item: Item) -> Prediction:
    result = classify(item.title, item.text)
    return Prediction(
        relevant=bool(result.relevant),
        severity=result.severity,
        topics=frozenset(result.topics),
        language=result.language,
    )


def _fmt_set(values: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(values)) + "]"


def score(items: Sequence[Item], predictions: Sequence[Prediction]) -> Report:
    """Compare labels and predictions item by item (pure: no classifier call here)."""
    rep = Report(items=len(items))
    for item, pred in zip(items, predictions, strict=True):
        rep.relevance.add(item.relevant, pred.relevant)
        rep.by_register.setdefault(item.register, Counts()).add(item.relevant, pred.relevant)
        if item.relevant != pred.relevant:
            kind = "relevance FN" if item.relevant else "relevance FP"
            rep.errors.append((item.id, kind, str(item.relevant), str(pred.relevant), item.title))

        if pred.language == item.language:
            rep.language_ok += 1
        else:
            rep.errors.append((item.id, "language", item.language, pred.language, item.title))

        if not item.relevant:
            continue
        for topic in TOPICS:
            rep.topics[topic].add(topic in item.topics, topic in pred.topics)
        if item.topics != pred.topics:
            rep.errors.append((item.id, "topics", _fmt_set(item.topics), _fmt_set(pred.topics), item.title))

        rep.severity_n += 1
        if pred.severity == item.severity:
            rep.severity_ok += 1
        elif pred.relevant:
            rep.errors.append((item.id, "severity", str(item.severity), str(pred.severity), item.title))
        if pred.relevant:
            rep.severity_both_n += 1
            rep.severity_both_ok += int(pred.severity == item.severity)
    return rep


# --- output -------------------------------------------------------------------------------------------------------


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _s(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def _ratio(ok: int, n: int) -> float | None:
    return ok / n if n else None


def summary(rep: Report, split: str) -> dict[str, Any]:
    micro = rep.topic_micro
    return {
        "split": split,
        "items": rep.items,
        "relevant_labelled": rep.relevance.tp + rep.relevance.fn,
        "relevance_precision": _r(rep.relevance.precision),
        "relevance_recall": _r(rep.relevance.recall),
        "relevance_f1": _r(rep.relevance.f1),
        "topic_micro_f1": _r(micro.f1),
        "topic_f1": {t: _r(c.f1) for t, c in rep.topics.items()},
        "language_accuracy": _r(_ratio(rep.language_ok, rep.items)),
        "severity_accuracy": _r(_ratio(rep.severity_ok, rep.severity_n)),
        "severity_accuracy_when_found": _r(_ratio(rep.severity_both_ok, rep.severity_both_n)),
        "relevance_f1_by_register": {k: _r(c.f1) for k, c in sorted(rep.by_register.items())},
    }


def print_report(rep: Report, split: str, *, errors: bool) -> dict[str, Any]:
    figures = summary(rep, split)
    rel = rep.relevance
    print(f"split {split}: {rep.items} items, {figures['relevant_labelled']} labelled relevant")
    print(
        f"relevance   P {_s(rel.precision)}  R {_s(rel.recall)}  F1 {_s(rel.f1)}"
        f"   (TP {rel.tp}, FP {rel.fp}, FN {rel.fn})"
    )
    print("topics (over items labelled relevant)")
    for topic, c in rep.topics.items():
        counts = f"(TP {c.tp}, FP {c.fp}, FN {c.fn})"
        print(f"  {topic:<16} F1 {_s(c.f1)}   P {_s(c.precision)}  R {_s(c.recall)}   {counts}")
    micro = rep.topic_micro
    print(f"  {'micro':<16} F1 {_s(micro.f1)}   P {_s(micro.precision)}  R {_s(micro.recall)}")
    print(f"language    accuracy {_s(_ratio(rep.language_ok, rep.items))}   ({rep.language_ok}/{rep.items})")
    print(
        f"severity    accuracy {_s(_ratio(rep.severity_ok, rep.severity_n))} on labelled relevant "
        f"({rep.severity_ok}/{rep.severity_n}); {_s(_ratio(rep.severity_both_ok, rep.severity_both_n))} "
        f"where also predicted relevant ({rep.severity_both_ok}/{rep.severity_both_n})"
    )
    print("relevance F1 by register")
    for register, c in sorted(rep.by_register.items()):
        print(f"  {register:<14} F1 {_s(c.f1)}   (TP {c.tp}, FP {c.fp}, FN {c.fn})")
    if errors:
        print(f"errors ({len(rep.errors)})")
        for item_id, kind, expected, got, title in sorted(rep.errors):
            print(f"  {item_id}  {kind}: expected {expected}, got {got}  | {title}")
    print(json.dumps(figures, ensure_ascii=False))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="test", help="which file(s) to score")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with dev.jsonl and test.jsonl")
    parser.add_argument("--errors", action="store_true", help="list every disagreement")
    args = parser.parse_args(argv)
    try:
        items = load(args.data, args.split)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = score(items, [predict(item) for item in items])
    try:
        print_report(report, args.split, errors=args.errors)
    except BrokenPipeError:  # piped into head: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush from failing again
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
