"""Issue 16: a tabular run on the Ray backend is split into Ray tasks per test family, which two
worker nodes run side by side, and gives the same metric rows (and typed evidence rows) as the
local backend — on the real UCI Adult data (`../shared/data/fairness/adult.csv`)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from ray_cluster import Cluster

pytestmark = pytest.mark.slow
pytest.importorskip("ray")

ADULT = Path(__file__).resolve().parents[3] / "shared" / "data" / "fairness" / "adult.csv"
CATS = ["workclass", "marital-status", "occupation", "relationship", "race", "sex"]
NUMS = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]


@pytest.fixture(scope="module")
def cluster():
    """A head (no CPUs) and two worker nodes of one CPU each."""
    import ray

    c = Cluster().start(worker_cpus=(1, 1))
    try:
        ray.init(address=c.address, logging_level="WARNING", log_to_driver=False, namespace="tianping")
        for attempt in range(3):  # on a busy machine a node's raylet sometimes fails to start: start another one
            try:
                c.wait_cpus(2, timeout=45)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                c.add_worker(cpus=1)
        yield c
    finally:
        ray.shutdown()
        c.stop()


@pytest.fixture(scope="module")
def adult(tmp_path_factory):
    """UCI Adult (every row) with numeric codes for the categorical columns, and a gradient-boosting model as ONNX."""
    if not ADULT.is_file():
        pytest.skip(f"{ADULT} not found")
    import numpy as np
    import pandas as pd
    from skl2onnx import to_onnx
    from sklearn.ensemble import GradientBoostingClassifier

    d = tmp_path_factory.mktemp("adult")
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
    return {"dir": d, "csv": d / "adult.csv", "onnx": d / "gbt.onnx", "features": feats, "rows": len(df)}


def _evidence(result) -> list[dict]:
    from tianping.evidence.adapters import to_evidence

    doc = result.model_dump(mode="json")
    run = SimpleNamespace(id="r", system_id=None, kind="tabular", suite="all", target="m", config=doc["config"],
                          status="completed", created_at=doc["created_at"], started_at=None, finished_at=None, result=doc)
    return [r.model_dump(mode="json") for r in to_evidence(run).metrics]


def test_split_on_two_nodes_gives_the_local_rows(cluster, adult, tmp_path):
    from tianping.evaluation.tabular.runner import TabularConfig, run_tabular
    from tianping.execution.backends import BackendChoice
    from tianping.execution.tabular import run_split

    base = dict(data=str(adult["csv"]), target="income", model=str(adult["onnx"]), sensitive=["sex", "race"],
                features=adult["features"], bootstrap=40, sample_rows=1500, robustness_rows=300, counterfactual_rows=300,
                explain_rows=100, shap_background=20, shap_samples=30, attack_iterations=4, seed=7)
    local = run_tabular(TabularConfig(**base, out_dir=str(tmp_path / "local")))
    trace: list = []
    seen: list[str] = []
    ray_res = run_split(TabularConfig(**base, out_dir=str(tmp_path / "ray")), BackendChoice(name="ray", address=cluster.address),
                        progress=lambda _f, fam: seen.append(fam), trace=trace)

    assert local.n_rows == ray_res.n_rows == adult["rows"] > 30000
    assert ray_res.tests == local.tests and set(local.tests) == {"fairness", "counterfactual", "robustness", "explain",
                                                                  "performance", "quality"}
    # every metric row, in the same order, with the same value, interval, n, threshold and status
    assert [m.model_dump(mode="json") for m in ray_res.metrics] == [m.model_dump(mode="json") for m in local.metrics]
    assert len(local.metrics) > 100
    assert _evidence(ray_res) == _evidence(local)
    assert ray_res.summary == local.summary and ray_res.recommendation == local.recommendation
    assert ray_res.notes == local.notes and ray_res.task == local.task and ray_res.labels == local.labels
    def same(c: dict) -> dict:
        return {k: v for k, v in c.items() if k != "out_dir"}

    assert same(ray_res.config) == same(local.config)
    # the same plots, in one plots folder, and the results file of the merged run
    assert [p.name for p in ray_res.plots] == [p.name for p in local.plots] and ray_res.plots
    assert all(Path(p.path).is_file() and Path(p.path).parent == tmp_path / "ray" / "plots" for p in ray_res.plots)
    assert sorted(x.name for x in (tmp_path / "ray").iterdir()) == ["plots", "results.json"]
    written = json.loads((tmp_path / "ray" / "results.json").read_text())
    assert written["metrics"] == json.loads(ray_res.model_dump_json())["metrics"]

    # split into tasks that ran on both worker nodes, two of them at the same time
    assert sorted(tuple(t["families"]) for t in trace) == sorted(
        [("explain",), ("robustness",), ("fairness",), ("counterfactual",), ("performance", "quality")])
    assert len({t["node"] for t in trace}) >= 2
    spans = sorted((t["start"], t["end"]) for t in trace)
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False)), spans
    assert seen[0] == "" and sorted(seen[1:]) == sorted("+".join(t["families"]) for t in trace)


def test_cli_tabular_on_ray_matches_local_on_adult(cluster, adult, tmp_path):
    """`tianping test tabular --backend ray` (the CLI path) on Adult: the same metric rows as `--backend local`."""
    import os
    import subprocess
    import sys

    tp = Path(sys.executable).parent / "tianping"
    env = dict(os.environ, TIANPING_HOME=str(tmp_path / "home"))
    outs = {}
    for backend in ("local", "ray"):
        out = subprocess.run([str(tp), "test", "tabular", "--data", str(adult["csv"]), "--target", "income", "--model",
                              str(adult["onnx"]), "--sensitive", "sex,race", "--features", ",".join(adult["features"]),
                              "--tests", "performance,fairness,quality", "--bootstrap", "30", "--json", "--backend", backend,
                              "--ray-address", cluster.address], env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        outs[backend] = json.loads(out.stdout)["metrics"]
    assert outs["local"] == outs["ray"] and {m["test"] for m in outs["ray"]} == {"performance", "fairness", "quality"}
