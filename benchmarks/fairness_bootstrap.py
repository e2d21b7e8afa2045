"""CPU of the fairness bootstrap on UCI Adult (issue 16/19): `classification_fairness` over sex, race and
sex x race with 200 resamples vs none, best of 5, in process.

    .venv/bin/python benchmarks/fairness_bootstrap.py [--data ../shared/data/fairness/adult.csv]

Predictions are the label with 20 % flipped (seed 0): the bootstrap's cost depends on the count tables'
shape, not on the model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tianping.evaluation.tabular.fairness import classification_fairness
from tianping.evaluation.tabular.groups import build_groupings
from tianping.evaluation.tabular.labels import Encoded
from tianping.evaluation.tabular.results import MetricSink
from tianping.evaluation.tabular.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def best_cpu(enc: Encoded, groupings, n_boot: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        sink = MetricSink(load_spec(None), "fairness")
        start = time.process_time()
        classification_fairness(sink, enc, groupings, n_boot=n_boot, seed=0)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "fairness" / "adult.csv")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    df = pd.read_csv(args.data, skipinitialspace=True)
    y = df["income-per-year"].astype(str).str.contains(">50").astype(int).to_numpy()
    pred = np.where(np.random.default_rng(0).random(len(y)) < 0.8, y, 1 - y)
    enc = Encoded("binary", y, pred, None, [0, 1], 1)
    groupings = build_groupings(df[["sex", "race"]].astype(str), intersections=True)
    with_boot = best_cpu(enc, groupings, 200, args.repeats)
    without = best_cpu(enc, groupings, 0, args.repeats)
    print(
        f"{len(y):,} rows, {len(groupings)} groupings: 200 resamples {with_boot * 1000:.1f} ms CPU, none {without * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
