"""Benchmark inputs from UCI Adult (../shared/data/fairness/adult.csv): numeric features, 0/1 target.

Rows are drawn with replacement to 10k, 100k and 1M. Categorical columns are integer-coded because
AI Verify's toolboxes pass every data column except the target straight to the model. Written as
CSV (what AI Verify reads) and Parquet. Run with the project venv:
    .venv/bin/python benchmarks/tabular_vs_aiverify/make_data.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("TABULAR_BENCH_WORK", "/tmp/tianping-tabular-bench"))  # generated data: never in the repo
ADULT = HERE.parents[2] / "shared" / "data" / "fairness" / "adult.csv"
NUM = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
CAT = ["workclass", "marital-status", "occupation", "relationship", "race", "sex"]
FEATURES = NUM + [c + "_code" for c in CAT]
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def base() -> pd.DataFrame:
    df = pd.read_csv(ADULT)
    out = df[NUM].astype(float)
    for c in CAT:
        out[c + "_code"] = pd.factorize(df[c], sort=True)[0].astype(float)
    out["income"] = (df["income-per-year"] == ">50K").astype(int)
    return out


def main() -> None:
    WORK.mkdir(exist_ok=True)
    df = base()
    df.to_csv(WORK / "train.csv", index=False)
    rng = np.random.default_rng(42)
    for name, n in SIZES.items():
        part = df.iloc[rng.integers(0, len(df), n)].reset_index(drop=True)
        part.to_parquet(WORK / f"adult_{name}.parquet")
        if n <= 100_000 or "--csv-1m" in sys.argv:
            part.to_csv(WORK / f"adult_{name}.csv", index=False)
        part.iloc[:1000].to_csv(WORK / f"adult_{name}_first1k.csv", index=False) if name == "10k" else None
    print("wrote", sorted(p.name for p in WORK.iterdir()))


if __name__ == "__main__":
    main()
