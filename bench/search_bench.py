"""Archive search latency at scale: 100,000 articles in SQLite, 20 typical queries, p50 and p95.

Articles are generated from the farm's sentences (as in bench/cluster_bench.py) and stored through the archive's
own insert and search-index code; about 30 % are marked relevant. Each query runs the full ``monitor search``
path (stems, FTS5 MATCH, joins, filters, ranking, snippets); the baseline in the same run is the bare FTS5 MATCH
count for the same expression. Target: p95 < 50 ms. Last line JSON.

    python bench/search_bench.py [--docs 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_bench import generate

from monitor.archive.store import Archive
from monitor.search import (
    Filters,
    fts5_match,
    index_documents,
    parse_query,
    search,
)

QUERIES = [
    "Казахмыс", "Қазақмыс", "Kazakhmys", "Жезказган", "Жезқазғанда", "Сатпаев", "забастовка", "ереуіл",
    '"комендантский час"', "митинг", "Нацгвардия", "Жагипаров", "консервация завода", "зарплата -Франция",
    "рудник авария", "национализация", "Балхаш", "задержан активист", "6 июля", "профсоюз",
]  # fmt: skip


def fill(archive: Archive, n: int) -> None:
    docs, _ = generate(n)
    rng = random.Random(3)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    with archive.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sources (key, name, base_url, languages) VALUES ('b', 'Bench', 'https://b', 'ru')")
        )
        rows = [
            {"id": i + 1, "url": f"https://b/{i}", "title": d.title, "text": d.text,
             "published": start + timedelta(minutes=i * 3), "hash": f"h{i}"}
            for i, d in enumerate(docs)
        ]  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO articles (id, source_id, url, canonical_url, title, lead, text, author, raw_html, "
                "encoding, published_at, date_source, fetched_at, language, content_hash, discovered_by, status, "
                "story_locked) "
                "VALUES (:id, 1, :url, :url, :title, '', :text, '', x'', '', :published, '', :published, 'ru', :hash, "
                "'bench', 'ok', 0)"
            ),
            rows,
        )
        conn.execute(
            text(
                "INSERT INTO classifications (article_id, relevant, score, severity, topics, alarms, entities, "
                "reasons, language_shares, lexicon_version, classified_at) "
                "VALUES (:id, :rel, 0.7, NULL, '[]', '[]', '{}', '[]', '{}', 'bench', :published)"
            ),
            [{"id": r["id"], "rel": rng.random() < 0.3, "published": r["published"]} for r in rows],
        )
        for i in range(0, len(rows), 5000):
            index_documents(conn, [(r["id"], r["title"], r["text"]) for r in rows[i : i + 5000]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive.open(f"sqlite:///{tmp}/bench.db")
        t = time.perf_counter()
        fill(archive, args.docs)
        print(f"{args.docs} articles stored and indexed in {time.perf_counter() - t:.0f} s")
        ours: list[float] = []
        base: list[float] = []
        with archive.engine.connect() as conn:
            for _ in range(3):
                for q in QUERIES:
                    t = time.perf_counter()
                    search(conn, q, Filters(limit=20))
                    ours.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    conn.execute(
                        text("SELECT count(*) FROM search_docs WHERE search_docs MATCH :q"),
                        {"q": fts5_match(parse_query(q))},
                    ).scalar()
                    base.append((time.perf_counter() - t) * 1000)
        archive.close()

    def pct(xs: list[float], p: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]

    result = {
        "docs": args.docs, "queries": len(QUERIES),
        "p50_ms": round(statistics.median(ours), 1), "p95_ms": round(pct(ours, 0.95), 1),
        "baseline_p50_ms": round(statistics.median(base), 1), "baseline_p95_ms": round(pct(base, 0.95), 1),
    }  # fmt: skip
    result["ratio_p50"] = round(result["p50_ms"] / max(result["baseline_p50_ms"], 0.01), 2)
    print(
        f"monitor search: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms; bare FTS5 count: p50 "
        f"{result['baseline_p50_ms']} ms, p95 {result['baseline_p95_ms']} ms"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
