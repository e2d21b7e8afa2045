"""Benchmark: the full divide index over 200 countries x 30 years x 50 indicators with 1,000
Monte Carlo weight perturbations (issue 8 target: under 5 s).

Synthetic data (normal values, 20% missing at random) through a 5-pillar x 2-dimension x
5-indicator methodology with winsorising and 3-year carry-forward; the sensitivity covers all
30 years. Usage:

    .venv/bin/python benchmarks/divide_index.py [--repeats 3] [--draws 1000] [--method minmax]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from tianping.observatory.engine import Structure, compute
from tianping.observatory.methodology import Methodology


def methodology(method: str) -> Methodology:
    t = {"en": "b", "zh": "b"}
    pillars, k = [], 0
    for p in range(5):
        dims = []
        for d in range(2):
            dims.append({"id": f"d{p}{d}", "title": t, "weight": 0.5,
                         "indicators": [{"id": f"x{k + j}", "weight": 0.2} for j in range(5)]})
            k += 5
        pillars.append({"id": f"p{p}", "title": t, "weight": 0.2, "dimensions": dims})
    return Methodology.model_validate({"id": "bench", "version": "1", "title": t, "pillars": pillars,
                                       "normalisation": {"method": method, "winsorise": {"lower": 0.025, "upper": 0.975}},
                                       "imputation": {"carry_forward_years": 3}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--years", type=int, default=30)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--method", default="minmax", choices=["minmax", "zscore", "rank"])
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    cube = rng.normal(size=(a.countries, a.years, 50))
    cube[rng.random(cube.shape) < 0.2] = np.nan
    struct = Structure.from_methodology(methodology(a.method))
    names = [f"c{i}" for i in range(a.countries)]
    years = np.arange(2024 - a.years, 2024)
    nominal, full, cpu = [], [], []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        compute(struct, names, years, cube)
        t1, c1 = time.perf_counter(), time.process_time()
        r = compute(struct, names, years, cube, draws=a.draws, seed=1)
        t2, c2 = time.perf_counter(), time.process_time()
        nominal.append(t1 - t0)
        full.append(t2 - t1)
        cpu.append(c2 - c1)
    scored = int(np.sum(~np.isnan(r.index)))
    print(f"{a.countries} countries x {a.years} years x 50 indicators, {a.method}, {a.draws} draws over all years")
    print(f"index only:          median {statistics.median(nominal):.3f} s  (min {min(nominal):.3f})")
    print(f"index + sensitivity: median {statistics.median(full):.3f} s  (min {min(full):.3f}, max {max(full):.3f})")
    print(f"CPU time (all threads) of index + sensitivity: median {statistics.median(cpu):.3f} s")
    print(f"scored country-years: {scored} of {a.countries * a.years}; mean share of draws at the nominal rank "
          f"{np.nanmean(r.sensitivity.share_same_rank):.3f}")


if __name__ == "__main__":
    main()
