"""Benchmark: `catalog search` latency on the bundled catalog (SQLite FTS5 and, if given, PostgreSQL).

Run:  .venv/bin/python benchmarks/catalog_search.py [--pg postgresql://...]
Prints per-query median and p95 latency of CatalogService.search (the work behind
`tianping catalog search`), measured after the catalog is loaded, over repeated runs.
The issue's target is under 50 ms per search at this catalog's size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tianping.catalog.service import CatalogService
from tianping.store import open_database

QUERIES = ["鲁棒性", "robustness", "透明度", "human oversight", "个人信息", "bias", "风险评估", "incident reporting", "深度合成", "watermark"]


def bench(url: str, repeats: int = 50) -> None:
    db = open_database(url)
    svc = CatalogService(db)
    n_prov = sum(i["provision_count"] for i in svc.list_instruments())
    print(f"{db.dialect}: {n_prov} provisions")
    print(f"{'query':<22}{'hits':>6}{'median ms':>12}{'p95 ms':>10}")
    worst = 0.0
    for q in QUERIES:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            hits = svc.search(q, limit=20)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        worst = max(worst, p95)
        print(f"{q:<22}{len(hits):>6}{statistics.median(times):>12.2f}{p95:>10.2f}")
    print(f"worst p95: {worst:.2f} ms (target < 50 ms)")
    db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="PostgreSQL URL to benchmark as well")
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        bench(f"sqlite:///{Path(d) / 'bench.db'}", args.repeats)
    if args.pg:
        bench(args.pg, args.repeats)


if __name__ == "__main__":
    main()
