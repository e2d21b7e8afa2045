"""Benchmark: assessing a system with 10 runs and 10,000 metric rows (issue 12 target: < 1 s).

Run:  .venv/bin/python benchmarks/assess_evidence.py [--runs 10] [--rows 10000] [--repeats 5]

The runs are stored rows (`runs.evidence` holds the typed evidence document, as the store writes
it), so the time includes validating every row, judging it again by the shared rules, and the
verdict rules for every obligation of the EU credit-scoring example (EU, plus any pack that
applies), as of a date on which its high-risk duties apply.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

from tianping.assessment.assess import assess
from tianping.evidence.model import EvidenceRun, MetricRow, Producer, Slice, Threshold
from tianping.registry.service import load_profile_file
from tianping.store.models import RunRow

ROOT = Path(__file__).resolve().parents[1]
TESTS = [("tabular.fairness", "demographic_parity_difference", "<=", 0.2), ("tabular.performance", "accuracy", ">=", 0.7),
         ("tabular.robustness", "adversarial_accuracy", ">=", 0.6), ("tabular.data_quality", "missing_rate", "<=", 0.05),
         ("tabular.explainability", "permutation_importance", None, None)]


def make_run(i: int, rows: int) -> RunRow:
    metrics = []
    for j in range(rows):
        test, metric, op, bound = TESTS[j % len(TESTS)]
        value = (j % 97) / 100
        metrics.append(MetricRow(
            test=test, metric=metric, value=value, ci=(max(0.0, value - 0.02), value + 0.02), n=50 + j % 400,
            slice=Slice(sensitive_feature="race&sex", group=f"race={j % 7}&sex={j % 2}", label=str(j % 3)),
            threshold=Threshold(op=op, value=bound, warn=bound, source="metrics.yaml") if op else None,
            status="not_judged"))
    ev = EvidenceRun(run_id=f"bench-run-{i:04d}-0000", system_id="eu-credit-scoring", kind="real",
                     producer=Producer(engine="tabular"), metrics=metrics)
    return RunRow(id=ev.run_id, system_id="eu-credit-scoring", kind="tabular", suite="bench", target="model", config={},
                  status="completed", created_at="2026-12-05T00:00:00+00:00", started_at=None, finished_at=None,
                  result={}, evidence=ev.model_dump(mode="json", exclude_none=True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rows", type=int, default=10_000, help="metric rows in total")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    system = load_profile_file(ROOT / "examples" / "systems" / "eu-credit-scoring.yaml")
    runs = [make_run(i, args.rows // args.runs) for i in range(args.runs)]
    assess(system, runs=runs[:1], as_of=dt.date(2028, 1, 1))  # warm caches (catalog, packs) once, as a server would
    times, cpu = [], []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        a = assess(system, runs=runs, as_of=dt.date(2028, 1, 1))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"runs: {len(runs)}, metric rows: {len(a['rows'])}, obligations: {len(a['obligations'])}, "
          f"verdicts: {a['totals']}")
    print(f"assess: median {statistics.median(times):.3f} s wall ({statistics.median(cpu):.3f} s CPU), "
          f"min {min(times):.3f} s over {args.repeats} repeats  [target < 1 s]")


if __name__ == "__main__":
    main()
