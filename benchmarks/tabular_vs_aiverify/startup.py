"""Start-up: whole-process times of what a user waits for (issue 19 item 4), side by side with AI Verify.

    .venv/bin/python benchmarks/tabular_vs_aiverify/startup.py --repeat 7
    git archive <commit> src | tar -x -C /tmp/before && \
        .venv/bin/python benchmarks/tabular_vs_aiverify/startup.py --repeat 7 --before /tmp/before/src

Every step is a fresh process timed by /usr/bin/time (wall, user + system CPU, peak RSS); best and
median of --repeat runs. The fairness pair is the one in run_benchmark.py (100k Adult rows, same GBT:
pickle for AI Verify, ONNX for us; 200-resample bootstrap CIs on our side). CPU time is reported beside
wall time because a loaded machine stretches wall time but hardly CPU time. Needs make_data.py and both
train_model.py runs first (see docs/benchmarks.md); without AI Verify's venv only our side runs.
--before DIR also times our commands with DIR (the `src` folder of an older tree) first on PYTHONPATH,
each "before" run right after the matching "after" run, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import run_benchmark as rb  # noqa: E402  (AIV, WORK, FEATURES, OURS_CLI)

PROFILE = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"


def timed(cmd: list, cwd: Path, env: dict) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", tf.name, *map(str, cmd)], cwd=cwd, env=env,
                              capture_output=True, text=True)
        wall, user, sys_, rss = tf.read().split()[-4:]
    return {"wall_s": float(wall), "cpu_s": round(float(user) + float(sys_), 2), "peak_rss_mb": round(int(rss) / 1024, 1),
            "rc": proc.returncode, "err": proc.stderr[-400:] if proc.returncode else ""}


def summary(runs: list[dict]) -> dict:
    bad = [r for r in runs if r["rc"] != 0]
    walls = [r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] for r in runs]
    return {"best_wall_s": min(walls), "median_wall_s": statistics.median(walls), "best_cpu_s": min(cpus),
            "median_cpu_s": statistics.median(cpus), "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "walls": walls, "errors": [r["err"] for r in bad]}


def series(n: int, cmd: list, cwd: Path, env: dict) -> dict:
    return summary([timed(cmd, cwd, env) for _ in range(n)])


def paired(n: int, cmd: list, cwd: Path, env: dict, before_env: dict) -> tuple[dict, dict]:
    """The same command from this tree and from the --before tree, alternating run by run."""
    after, before = [], []
    for _ in range(n):
        after.append(timed(cmd, cwd, env))
        before.append(timed(cmd, cwd, before_env))
    return summary(after), summary(before)


def import_top(cmd_args: list, env: dict, cwd: Path, top: int = 12) -> list[tuple[str, float]]:
    """Top-level modules by cumulative import time (python -X importtime) for one of our commands, run through the
    console script as a user runs it (so the search path, and the start-up records keyed by it, are the same)."""
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-X", "importtime", str(rb.OURS_CLI), *cmd_args], cwd=cwd,
                          env=env, capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( ?)(\S+)$", line)
        if m and m.group(2) == "":
            rows.append((m.group(3), int(m.group(1)) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--size", default="100k")
    ap.add_argument("--out", type=Path, default=rb.WORK / "startup.json")
    ap.add_argument("--before", type=Path, help="src folder of an older tree to time alongside (PYTHONPATH)")
    args = ap.parse_args()
    cwd = Path(tempfile.mkdtemp(prefix="startup-"))
    env = {**os.environ, "TIANPING_HOME": str(cwd / "home")}
    env.pop("TIANPING_DB_URL", None)
    data = rb.WORK / f"adult_{args.size}.csv"
    res: dict = {"load_avg_start": os.getloadavg(), "cpus": os.cpu_count(), "repeat": args.repeat}
    ours = [rb.OURS_CLI, "test", "tabular", "--data", data, "--model", rb.WORK / "gbt.onnx", "--target", "income",
            "--features", rb.FEATURES, "--tests", "fairness", "--sensitive", "sex_code", "--json"]
    before_env = None
    if args.before:
        before_env = {**env, "PYTHONPATH": str(args.before.resolve()), "TIANPING_HOME": str(cwd / "home-before")}

    def ours_series(name: str, cmd: list) -> None:
        if before_env is None:
            res[name] = series(args.repeat, cmd, cwd, env)
        else:
            subprocess.run([*map(str, cmd)], cwd=cwd, env=before_env, capture_output=True)  # warm-up of the older tree
            res[name], res[f"{name}_before"] = paired(args.repeat, cmd, cwd, env, before_env)

    subprocess.run([*map(str, ours)], cwd=cwd, env=env, capture_output=True)  # warm the page cache and .pyc files
    ours_series(f"ours_fairness_{args.size}", ours)
    if rb.AIV.exists():
        aiv = [rb.AIV, "-m", "aiverify_fairness_metrics_toolbox_for_classification", "--data_path", data, "--model_path",
               rb.WORK / "gbt.pkl", "--ground_truth_path", data, "--ground_truth", "income", "--model_type", "CLASSIFICATION",
               "--sensitive_features_list", "sex_code"]  # as run_benchmark.py
        subprocess.run([*map(str, aiv)], cwd=cwd, env=env, capture_output=True)
        res[f"aiverify_fairness_{args.size}"] = series(args.repeat, aiv, cwd, env)
    for name, cmd in (("classify", ["classify", PROFILE]), ("classify_json", ["classify", PROFILE, "--json"]),
                      ("catalog_list", ["catalog", "list"]), ("version", ["--version"])):
        subprocess.run([str(rb.OURS_CLI), *map(str, cmd)], cwd=cwd, env=env, capture_output=True)  # first run syncs the catalog
        ours_series(f"ours_{name}", [rb.OURS_CLI, *cmd])
    res["imports_fairness"] = import_top([str(x) for x in ours[1:]], env, cwd)
    res["imports_classify"] = import_top(["classify", str(PROFILE)], env, cwd)
    res["load_avg_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2), encoding="utf-8")

    print(f"load average {res['load_avg_start'][0]:.2f} -> {res['load_avg_end'][0]:.2f} on {res['cpus']} CPUs, "
          f"{args.repeat} runs each\n")
    print("| step | best wall s | median wall s | best CPU s | peak RSS MB |")
    print("|---|---|---|---|---|")
    for k, v in res.items():
        if isinstance(v, dict):
            print(f"| {k} | {v['best_wall_s']:.2f} | {v['median_wall_s']:.2f} | {v['best_cpu_s']:.2f} | {v['peak_rss_mb']} |")
    a, o = res.get(f"aiverify_fairness_{args.size}"), res[f"ours_fairness_{args.size}"]
    if a:
        print(f"\nfairness {args.size}, whole process: AI Verify {a['best_wall_s']:.2f} s / ours {o['best_wall_s']:.2f} s = "
              f"{a['best_wall_s'] / o['best_wall_s']:.1f}x wall (best), {a['median_wall_s'] / o['median_wall_s']:.1f}x (median), "
              f"{a['best_cpu_s'] / o['best_cpu_s']:.1f}x CPU")
    for k, v in res.items():
        if k.endswith("_before"):
            now = res[k.removesuffix("_before")]
            print(f"{k.removesuffix('_before')}: before {v['best_wall_s']:.2f} s wall / {v['best_cpu_s']:.2f} s CPU (best), "
                  f"after {now['best_wall_s']:.2f} s / {now['best_cpu_s']:.2f} s")
    for key in ("imports_fairness", "imports_classify"):
        print(f"\n{key} (cumulative s, under -X importtime):", ", ".join(f"{m} {s:.3f}" for m, s in res[key]))


if __name__ == "__main__":
    main()
