"""Split a blind batch of labelled story reports by group before anyone reads it (see
``tests/data/stories/LABELLING.md``): seeded with the batch name, 60 % of its groups to dev and 40 % to test.

    python bench/story_split.py BATCH.jsonl OUT_DIR    # writes OUT_DIR/dev.jsonl and OUT_DIR/test.jsonl

Measure each half at first sight with ``bench/cluster_eval.py --data OUT_DIR --set dev|test``, then append it.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

DEV_SHARE = 0.6


def split(items: list[dict[str, str]], seed: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(dev, test) items, whole groups on one side: the shuffled groups' first ``DEV_SHARE`` go to dev."""
    groups = sorted({item["group"] for item in items})
    random.Random(seed).shuffle(groups)
    dev = set(groups[: round(len(groups) * DEV_SHARE)])
    return [it for it in items if it["group"] in dev], [it for it in items if it["group"] not in dev]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("batch", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    lines = args.batch.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    for part, rows in zip(("dev", "test"), split(items, f"stories-{args.batch.stem}"), strict=True):
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (args.out / f"{part}.jsonl").write_text(text, encoding="utf-8")
        print(f"{part}: {len(rows)} items, {len({row['group'] for row in rows})} groups")


if __name__ == "__main__":
    main()
