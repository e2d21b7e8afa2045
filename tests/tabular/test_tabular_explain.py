"""Explanations: importance ranks the informative feature first; PDP and ALE recover a known slope;
SHAP by TreeExplainer for trees and by the model-agnostic explainer otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tianping.evaluation.tabular import CallableModel, TabularConfig, run_tabular


@pytest.fixture(scope="module")
def linear_data(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 1500
    df = pd.DataFrame({"x1": rng.uniform(-1, 1, n), "x2": rng.uniform(-1, 1, n), "noise": rng.normal(size=n)})
    df["y"] = 3 * df["x1"] + 0.5 * df["x2"] + 0.01 * rng.normal(size=n)
    path = tmp_path_factory.mktemp("lin") / "lin.parquet"
    df.to_parquet(path)
    return df, path


def _metric(r, name, feature):
    return next(m for m in r.metrics if m.name == name and m.feature == feature)


def test_pdp_ale_and_importance_recover_a_linear_model(linear_data):
    df, path = linear_data
    model = CallableModel(lambda f: (3 * f["x1"] + 0.5 * f["x2"]).to_numpy(dtype=float), task="regression")
    r = run_tabular(TabularConfig(data=str(path), target="y", features=["x1", "x2", "noise"], tests=["explain"],
                                  shap_samples=30, shap_background=20, explain_rows=600), model=model)
    pdp = _metric(r, "partial_dependence_range", "x1")
    grid = pdp.details["grid"]
    assert pdp.value == pytest.approx(3 * (grid[-1] - grid[0]), rel=1e-6)
    ale = _metric(r, "ale_range", "x1")
    edges = ale.details["edges"]
    assert ale.value == pytest.approx(3 * (edges[-1] - edges[0]), rel=1e-6)
    imp = {f: _metric(r, "permutation_importance", f).value for f in ("x1", "x2", "noise")}
    assert imp["x1"] > imp["x2"] > imp["noise"] == pytest.approx(0.0, abs=1e-12)
    shap_vals = {f: _metric(r, "mean_abs_shap", f) for f in ("x1", "x2", "noise")}
    assert shap_vals["x1"].details["explainer"] == "kernel"
    assert shap_vals["x1"].value > shap_vals["x2"].value > 0 and shap_vals["noise"].value == pytest.approx(0.0, abs=1e-9)
    # exact for a linear model: mean |3 (x1 - E[x1 | background])|
    assert shap_vals["x1"].value == pytest.approx(3 * 0.5, rel=0.25)


def test_tree_models_use_tree_explainer(tmp_path, adult, adult_features):
    import xgboost as xgb

    m = xgb.XGBClassifier(n_estimators=15, max_depth=3).fit(adult[adult_features].to_numpy(), adult["income"])
    m.save_model(tmp_path / "x.json")
    path = tmp_path / "a.parquet"
    adult.to_parquet(path)
    r = run_tabular(TabularConfig(data=str(path), target="income", model=str(tmp_path / "x.json"), features=adult_features,
                                  tests=["explain"], explain_rows=400, shap_samples=50))
    shap_metrics = [m for m in r.metrics if m.name == "mean_abs_shap"]
    assert len(shap_metrics) == len(adult_features) and shap_metrics[0].details["explainer"] == "tree"
    top = max(shap_metrics, key=lambda m: m.value).feature
    assert top in {"relationship_code", "marital-status_code", "capital-gain", "education-num", "age"}


def test_explain_skops_pipeline_with_text_columns(german):
    r = run_tabular(TabularConfig(data=str(german["csv"]), target="good", model=str(german["skops"]), tests=["explain"],
                                  explain_rows=300, shap_samples=10, shap_background=10, shap_max_evals=100))
    feats = {m.feature for m in r.metrics if m.name == "mean_abs_shap"}
    assert feats == set(german["features"])
    assert all(m.value >= 0 for m in r.metrics if m.name == "mean_abs_shap")
