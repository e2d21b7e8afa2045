"""Tianping vs AI Verify's tabular toolboxes, side by side in one run, same data and model.

    bash benchmarks/tabular_vs_aiverify/setup_aiverify.sh          # AI Verify in its own venv
    .venv/bin/python benchmarks/tabular_vs_aiverify/make_data.py
    .venv-aiverify/bin/python benchmarks/tabular_vs_aiverify/train_model.py pickle   (AI Verify needs a pickle)
    .venv/bin/python benchmarks/tabular_vs_aiverify/train_model.py onnx              (ONNX + skops for us)
    .venv/bin/python benchmarks/tabular_vs_aiverify/run_benchmark.py [--skip-aiverify]

Every step runs in its own process under /usr/bin/time (wall seconds, peak RSS). For AI Verify the
time its own `run()` reports is recorded too; for us, the engine time from the results JSON.
Results go to $TABULAR_BENCH_WORK/results.json and a Markdown table on stdout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = Path(os.environ.get("TABULAR_BENCH_WORK", "/tmp/tianping-tabular-bench"))
AIV = HERE / ".venv-aiverify" / "bin" / "python"
OURS_PY = ROOT / ".venv" / "bin" / "python"
OURS_CLI = ROOT / ".venv" / "bin" / "tianping"
FEATURES = "age,education-num,capital-gain,capital-loss,hours-per-week,workclass_code,marital-status_code,occupation_code,relationship_code,race_code,sex_code"


def timed(cmd: list[str], cwd: Path) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf.name, *map(str, cmd)], cwd=cwd,
                              capture_output=True, text=True)
        wall, rss = tf.read().split()[-2:]
    out = {"wall_s": float(wall), "peak_rss_mb": round(int(rss) / 1024, 1), "rc": proc.returncode}
    m = re.search(r"Function \(run\) took ([\d.]+) seconds", proc.stdout)
    if m:
        out["engine_s"] = float(m.group(1))
    if proc.returncode != 0 or "Exception caught" in proc.stdout:
        out["error"] = (proc.stdout[-800:] + proc.stderr[-800:]).strip()
    out["stdout"] = proc.stdout
    return out


def aiverify(module: str, data: Path, extra: list[str], cwd: Path) -> dict:
    cmd = [AIV, "-m", module, "--data_path", data, "--model_path", WORK / "gbt.pkl", "--ground_truth_path", data,
           "--ground_truth", "income", "--model_type", "CLASSIFICATION", *extra]
    r = timed(cmd, cwd)
    res = cwd / "output" / "results.json"
    r["result"] = json.loads(res.read_text()) if res.is_file() else None
    r.pop("stdout")
    return r


def ours_cli(data: Path, tests: str, extra: list[str], cwd: Path) -> dict:
    r = timed([OURS_CLI, "test", "tabular", "--data", data, "--model", WORK / "gbt.onnx", "--target", "income",
               "--features", FEATURES, "--tests", tests, *extra, "--json"], cwd)
    doc = json.loads(r.pop("stdout")) if r["rc"] == 0 else None
    if doc:
        r["engine_s"] = doc["timings"]["total"]
        r["timings"] = doc["timings"]
        r["metrics"] = [m for m in doc["metrics"] if m["group"] is None or m["name"] == "true_positive_rate"]
    return r


def ours_step(step: str, model: str, data: Path, n: int, cwd: Path) -> dict:
    r = timed([OURS_PY, HERE / "bench_ours.py", step, WORK / model, data, n], cwd)
    out = r.pop("stdout").strip().splitlines()
    if r["rc"] == 0:
        info = json.loads(out[-1])
        r.update(info)
        r["engine_s"] = info["total_s"]
    return r


def main() -> None:
    skip_aiv = "--skip-aiverify" in sys.argv or not AIV.exists()
    results: dict = {"load_avg_start": os.getloadavg()}
    cwd = Path(tempfile.mkdtemp(prefix="tabbench-"))
    for size in ("10k", "100k"):
        csv = WORK / f"adult_{size}.csv"
        if not skip_aiv:
            results[f"aiverify_fairness_{size}"] = aiverify("aiverify_fairness_metrics_toolbox_for_classification", csv,
                                                            ["--sensitive_features_list", "sex_code"], cwd)
        results[f"ours_fairness_{size}"] = ours_cli(csv, "fairness", ["--sensitive", "sex_code"], cwd)
        results[f"ours_fairness_{size}_parquet"] = ours_cli(WORK / f"adult_{size}.parquet", "fairness", ["--sensitive", "sex_code"], cwd)
    for n in (25, 100):
        if not skip_aiv:
            results[f"aiverify_shap_{n}"] = aiverify("aiverify_shap_toolbox", WORK / "adult_10k.csv",
                                                     ["--background_path", WORK / "adult_10k.csv", "--explain_type", "global",
                                                      "--background_samples", str(n), "--data_samples", str(n)], cwd)
        results[f"ours_shap_{n}_tree"] = ours_step("shap", "gbt.skops", WORK / "adult_10k.parquet", n, cwd)
        results[f"ours_shap_{n}_kernel"] = ours_step("shap", "gbt.onnx", WORK / "adult_10k.parquet", n, cwd)
    for n, data in ((1000, WORK / "adult_10k_first1k.csv"), (10000, WORK / "adult_10k.csv")):
        if not skip_aiv:
            results[f"aiverify_robustness_{n}"] = aiverify("aiverify_robustness_toolbox", data, [], cwd)
        results[f"ours_robustness_{n}"] = ours_step("robustness", "gbt.onnx", WORK / "adult_10k.parquet", n, cwd)
    results["ours_fairness_performance_1m"] = ours_cli(WORK / "adult_1m.parquet", "fairness,performance",
                                                       ["--sensitive", "sex_code"], cwd)
    results["load_avg_end"] = os.getloadavg()
    (WORK / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print("| step | wall s | engine s | peak RSS MB | note |\n|---|---|---|---|---|")
    for k, v in results.items():
        if isinstance(v, dict):
            note = v.get("error", "")[:80].replace("\n", " ") if v.get("error") else ""
            if "adversarial_accuracy" in v:
                note = f"adv. acc {v['adversarial_accuracy']:.3f} @eps {v['epsilon']}, median min. pert. {v['median_minimal_perturbation']:.3f}"
            if "explainer" in v:
                note = f"{v['explainer']} explainer, {v['explained_rows']} rows / {v['background_rows']} background"
            print(f"| {k} | {v['wall_s']} | {v.get('engine_s', '')} | {v['peak_rss_mb']} | {note} |")
    print("load average start/end:", results["load_avg_start"], results["load_avg_end"])


if __name__ == "__main__":
    main()
