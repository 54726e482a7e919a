"""Crawl throughput: the full pipeline against bare Scrapy, on the same scaled farm, in the same run.

1. Serve the farm in its own process, every article multiplied (``--scale``, default 50: ≥ 5,000 pages).
2. Bare run: the project's spider with no item pipelines — discovery and fetching only, the page is thrown away.
3. Full run: the same spider with extraction, dedupe, classification and storage into a fresh SQLite archive.

Each run is a separate process (Scrapy's reactor runs once per process). Prints pages/s for both, peak RSS of
the full run, and a last line of JSON: {"pages", "bare_pages_per_s", "pipeline_pages_per_s", "ratio", ...}.

    python bench/crawl.py [--scale 50]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import json, resource, sys, time
from monitor.crawl import run_crawl
overrides = json.loads(sys.argv[3])
t = time.perf_counter()
r = run_crawl(sys.argv[1], sources="farm", farm_proxy=sys.argv[2], overrides=overrides, progress=False)
elapsed = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"pages": r.pages, "articles": r.articles_new, "seconds": elapsed, "rss_mb": rss}))
"""


def _run(db: str, proxy: str, overrides: dict[str, object]) -> dict[str, float]:
    env = {**os.environ, "MONITOR_LOG_LEVEL": "WARNING"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, db, proxy, json.dumps(overrides)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=50, help="copies of every farm article (default 50)")
    args = parser.parse_args()

    farm = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "farm",
            "serve",
            "--port",
            "0",
            "--scale",
            str(args.scale),
            "--seconds",
            "3600",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        proxy = ""
        assert farm.stdout is not None
        for line in farm.stdout:
            m = re.search(r"MONITOR_FARM_PROXY=(\S+)", line)
            if m:
                proxy = m.group(1)
                break
        if not proxy:
            raise SystemExit("the farm did not start")
        common = {"AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": True}
        with tempfile.TemporaryDirectory() as tmp:
            bare = _run(f"sqlite:///{tmp}/bare.db", proxy, {**common, "ITEM_PIPELINES": {}})
            time.sleep(1)
            full = _run(f"sqlite:///{tmp}/full.db", proxy, common)
    finally:
        farm.terminate()
        farm.wait(timeout=10)

    bare_rate = bare["pages"] / bare["seconds"]
    full_rate = full["pages"] / full["seconds"]
    print(f"bare Scrapy : {bare['pages']:6.0f} pages in {bare['seconds']:6.1f} s = {bare_rate:6.1f} pages/s")
    print(
        f"full pipeline: {full['pages']:6.0f} pages in {full['seconds']:6.1f} s = {full_rate:6.1f} pages/s, "
        f"{full['articles']:.0f} articles stored, peak RSS {full['rss_mb']:.0f} MB"
    )
    print(
        json.dumps(
            {
                "pages": int(full["pages"]),
                "bare_pages_per_s": round(bare_rate, 1),
                "pipeline_pages_per_s": round(full_rate, 1),
                "ratio": round(full_rate / bare_rate, 3),
                "pipeline_peak_rss_mb": int(full["rss_mb"]),
            }
        )
    )


if __name__ == "__main__":
    main()
