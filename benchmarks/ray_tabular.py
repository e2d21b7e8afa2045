"""Tabular robustness + SHAP on UCI Adult: the local backend vs the Ray backend with 1 and 2 CPUs.

The data is every row of `../shared/data/fairness/adult.csv` (numeric codes for the categorical
columns) and a gradient-boosting model (20 trees, depth 3) as ONNX, built the way
tests/execution/test_ray_tabular.py builds them. Each backend runs `--tests robustness,explain`
with the engine's defaults (1,000 robustness rows with the boundary attack, 100 SHAP rows against
50 background rows) unless told otherwise. The Ray runs use a private one-node Ray on 127.0.0.1
with 1 or 2 CPUs, started before the clock starts (its start-up is printed apart); they split the
boundary attack and the SHAP rows into partitions (issue 16) and must give the local metric rows
exactly, which the script checks. The machine is shared: the 1-minute load average is printed
with every figure.

    .venv/bin/python benchmarks/ray_tabular.py [--repeats 3] [--robustness-rows 1000] [--sample-rows 5000]
        [--shap-samples 100] [--shap-explainer auto|kernel] [--tests robustness,explain] [--local-only]

`--attack-vs REV` instead times the boundary attack alone, in process, against the version of
`evaluation/tabular/attack.py` at git revision REV (e.g. cf32e45, before the per-row keyed random
numbers): CPU seconds of `hop_skip_jump` on `--robustness-rows` Adult rows, alternating old and new.

Each line gives every repeat's wall time and their median; the Ray lines also give the row
partitions the first warm run split off (function: rows per part).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
ADULT = ROOT.parent / "shared" / "data" / "fairness" / "adult.csv"
CATS = ["workclass", "marital-status", "occupation", "relationship", "race", "sex"]
NUMS = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]


def make_adult(d: Path) -> dict:
    import numpy as np
    import pandas as pd
    from skl2onnx import to_onnx
    from sklearn.ensemble import GradientBoostingClassifier

    df = pd.read_csv(ADULT)
    df["income"] = (df["income-per-year"].astype(str).str.strip().str.rstrip(".") == ">50K").astype(int)
    for c in CATS:
        df[c + "_code"] = pd.factorize(df[c], sort=True)[0].astype(float)
    for c in NUMS:
        df[c] = df[c].astype(float)
    feats = NUMS + [c + "_code" for c in CATS]
    df[[*feats, "income", "sex", "race"]].to_csv(d / "adult.csv", index=False)
    x = df[feats].to_numpy(np.float32)
    m = GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(x, df["income"])
    (d / "gbt.onnx").write_bytes(to_onnx(m, x[:1], options={id(m): {"zipmap": False}}, target_opset=17).SerializeToString())
    return {"csv": d / "adult.csv", "onnx": d / "gbt.onnx", "features": feats, "rows": len(df)}


def config(adult: dict, args):
    from tianping.evaluation.tabular.runner import TabularConfig

    return TabularConfig(
        data=str(adult["csv"]),
        target="income",
        model=str(adult["onnx"]),
        sensitive=["sex", "race"],
        features=adult["features"],
        tests=args.tests.split(","),
        robustness_rows=args.robustness_rows,
        sample_rows=max(args.sample_rows, args.robustness_rows),
        explain_rows=max(1000, args.shap_samples),
        shap_samples=args.shap_samples,
        shap_explainer=args.shap_explainer,
        seed=0,
    )


def rows(result) -> list:
    return [m.model_dump(mode="json") for m in result.metrics]


def timed(fn):
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, load


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--robustness-rows", type=int, default=1000)
    ap.add_argument("--sample-rows", type=int, default=5000)
    ap.add_argument("--shap-samples", type=int, default=100)
    ap.add_argument("--tests", default="robustness,explain")
    ap.add_argument("--shap-explainer", choices=["auto", "kernel"], default="auto")
    ap.add_argument("--local-only", action="store_true")
    ap.add_argument("--attack-vs", metavar="REV")
    args = ap.parse_args()
    if args.attack_vs:
        return attack_vs(args.attack_vs, args.robustness_rows, args.repeats)
    from tianping.evaluation.tabular.runner import run_tabular

    with tempfile.TemporaryDirectory() as tmp:
        adult = make_adult(Path(tmp))
        cfg = config(adult, args)
        print(
            f"UCI Adult: {adult['rows']} rows; tests={args.tests} robustness_rows={cfg.robustness_rows} "
            f"shap_samples={cfg.shap_samples} "
            f"shap_explainer={cfg.shap_explainer}; "
            f"cpus={os.cpu_count()}"
        )
        reference = None
        walls, loads, parts = [], [], []
        for _ in range(args.repeats):
            res, wall, load = timed(lambda: run_tabular(cfg))
            reference = reference or rows(res)
            walls.append(wall)
            loads.append(load)
            parts.append(", ".join(f"{t} {res.timings[t]:.2f} s" for t in cfg.tests or []))
        report("local", walls, loads, "; ".join(parts))
        if args.local_only:
            return
        import ray

        from tianping.execution.backends import BackendChoice
        from tianping.execution.ray_backend import connect
        from tianping.execution.tabular import run_split

        for cpus in (1, 2):
            t0 = time.perf_counter()
            connect(None, num_cpus=cpus)
            print(f"ray start ({cpus} CPU): {time.perf_counter() - t0:.2f} s")
            try:
                # the first run also starts the worker processes: printed apart
                _, wall, load = timed(lambda: run_split(cfg, BackendChoice(name="ray")))
                print(f"ray {cpus} CPU cold run: {wall:.2f} s (load {load:.2f})")
                walls, loads = [], []
                trace: list = []
                for i in range(args.repeats):
                    seen = trace if i == 0 else None
                    res, wall, load = timed(lambda seen=seen: run_split(cfg, BackendChoice(name="ray"), trace=seen))
                    if rows(res) != reference:
                        raise SystemExit("the Ray run differs from the local run")
                    walls.append(wall)
                    loads.append(load)
                split = ", ".join(f"{p['fn']}: {p['sizes']}" for t in trace for p in t["partitions"]) or "none"
                report(f"ray {cpus} CPU", walls, loads, f"same rows as local; partitions {split}")
            finally:
                ray.shutdown()


def attack_vs(rev: str, n: int, repeats: int) -> None:
    import importlib.util
    import subprocess

    import numpy as np
    import pandas as pd

    from tianping.evaluation.tabular import attack as new
    from tianping.evaluation.tabular.models import load_model

    with tempfile.TemporaryDirectory() as tmp:
        old_src = Path(tmp) / "attack_old.py"
        old_src.write_text(
            subprocess.run(
                ["git", "show", f"{rev}:src/tianping/evaluation/tabular/attack.py"],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        spec = importlib.util.spec_from_file_location("attack_old", old_src)
        assert spec is not None and spec.loader is not None
        old = importlib.util.module_from_spec(spec)
        sys.modules["attack_old"] = old
        spec.loader.exec_module(old)
        adult = make_adult(Path(tmp))
        df = pd.read_csv(adult["csv"]).sample(n, random_state=0)
        model = load_model(str(adult["onnx"]))
        x = df[adult["features"]].to_numpy(np.float64)
        mu, sd = x.mean(axis=0), x.std(axis=0)
        sd[sd == 0] = 1.0
        z = (x - mu) / sd

        def predict(zz: np.ndarray, _idx: object) -> np.ndarray:
            return np.asarray(model.predict_array(zz * sd + mu).labels).astype(int)

        y, pred0 = df["income"].to_numpy(), predict(z, None)
        for _ in range(repeats):
            for label, mod in ((rev, old), ("working tree", new)):
                load = os.getloadavg()[0]
                c0 = time.process_time()
                res = mod.hop_skip_jump(predict, z, y, pred0, seed=0)
                cpu = time.process_time() - c0
                found = res.distance[res.correct & np.isfinite(res.distance)]
                print(
                    f"attack {label:12s} cpu {cpu:.3f} s  {n} rows  success {res.success_rate():.3f}  "
                    f"median perturbation {np.median(found):.4f}  queries {res.queries}  load {load:.2f}"
                )


def report(label: str, walls: list[float], loads: list[float], extra: str) -> None:
    runs = " ".join(f"{w:.2f}" for w in walls)
    print(f"{label:10s} median {statistics.median(walls):6.2f} s  (runs {runs}; load {min(loads):.2f}-{max(loads):.2f})  {extra}")


if __name__ == "__main__":
    main()
