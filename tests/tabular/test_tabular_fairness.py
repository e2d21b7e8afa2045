"""Fairness numbers agree with fairlearn (to 1e-9) on the same inputs, for single sensitive
features and their intersection; bootstrap intervals, the guided metric choice and bad groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm

from tianping.errors import TianpingError
from tianping.evaluation.tabular import TabularConfig, run_tabular
from tianping.evaluation.tabular.groups import build_groupings


TOL = 1e-9
RATES = {
    "selection_rate": flm.selection_rate,
    "true_positive_rate": flm.true_positive_rate,
    "false_positive_rate": flm.false_positive_rate,
    "false_negative_rate": flm.false_negative_rate,
    "true_negative_rate": flm.true_negative_rate,
}


def _precision(y, p):
    sel = p == 1
    return float(np.mean(y[sel])) if sel.any() else float("nan")


@pytest.fixture(scope="module")
def adult_result(adult_files, adult_features):
    cfg = TabularConfig(data=str(adult_files["parquet"]), target="income", model=str(adult_files["onnx"]),
                        sensitive=["sex", "race"], features=adult_features, tests=["fairness", "performance"], bootstrap=100)
    return run_tabular(cfg)


@pytest.fixture(scope="module")
def adult_pred(adult, adult_files, adult_features):
    return adult_files["sk_model"].predict(adult[adult_features].to_numpy(np.float32))


def _by(result, name, feature):
    return {m.group: m.value for m in result.metrics if m.name == name and m.sensitive_feature == feature and m.group}


def _agg(result, name, feature):
    (m,) = [m for m in result.metrics if m.name == name and m.sensitive_feature == feature and m.group is None]
    return m


@pytest.mark.parametrize("features", [["sex"], ["race"], ["sex", "race"]])
def test_group_rates_match_metricframe(adult, adult_pred, adult_result, features):
    sf = adult[features] if len(features) > 1 else adult[features[0]]
    mf = flm.MetricFrame(metrics={**RATES, "precision": _precision},
                         y_true=adult["income"].to_numpy(), y_pred=adult_pred, sensitive_features=sf)
    key = "&".join(features)
    for name, col in [*((n, n) for n in RATES), ("positive_predictive_value", "precision")]:
        ours = _by(adult_result, name, key)
        for idx, expected in mf.by_group[col].items():
            idx = idx if isinstance(idx, tuple) else (idx,)
            group = "&".join(f"{f}={v}" for f, v in zip(features, idx))
            expected = 0.0 if np.isnan(expected) else expected  # empty denominator: 0, as fairlearn's own rates
            assert ours[group] == pytest.approx(float(expected), abs=TOL), (name, group)


@pytest.mark.parametrize("features", [["sex"], ["race"], ["sex", "race"]])
def test_between_group_metrics_match_fairlearn(adult, adult_pred, adult_result, features):
    sf = adult[features] if len(features) > 1 else adult[features[0]]
    y = adult["income"].to_numpy()
    key = "&".join(features)
    expected = {
        "demographic_parity_difference": flm.demographic_parity_difference(y, adult_pred, sensitive_features=sf),
        "demographic_parity_ratio": flm.demographic_parity_ratio(y, adult_pred, sensitive_features=sf),
        "equalized_odds_difference": flm.equalized_odds_difference(y, adult_pred, sensitive_features=sf),
        "equalized_odds_ratio": flm.equalized_odds_ratio(y, adult_pred, sensitive_features=sf),
        "true_positive_rate_difference": flm.MetricFrame(metrics=flm.true_positive_rate, y_true=y, y_pred=adult_pred,
                                                         sensitive_features=sf).difference(),
        "false_positive_rate_difference": flm.MetricFrame(metrics=flm.false_positive_rate, y_true=y, y_pred=adult_pred,
                                                          sensitive_features=sf).difference(),
    }
    for name, value in expected.items():
        assert _agg(adult_result, name, key).value == pytest.approx(float(value), abs=TOL), name


def test_every_metric_is_cited_and_bootstrap_brackets_the_estimate(adult_result):
    dpd = _agg(adult_result, "demographic_parity_difference", "sex")
    assert dpd.ci is not None and dpd.ci[0] <= dpd.value <= dpd.ci[1]
    assert "eu-ai-act:art-10" in dpd.citations and "nist-ai-rmf:MEASURE-2.11" in dpd.citations
    assert dpd.thresholds is not None and dpd.status in ("pass", "warn", "fail")
    for m in adult_result.metrics:
        assert m.citations and m.principles, m.name
        assert m.name == m.name.lower() and " " not in m.name


def test_disparate_impact_is_four_fifths_of_the_most_selected_group(adult_result):
    sel = _by(adult_result, "selection_rate", "sex")
    di = _by(adult_result, "disparate_impact_ratio", "sex")
    top = max(sel.values())
    for g in sel:
        assert di[g] == pytest.approx(sel[g] / top, abs=TOL)
    low = min(di, key=di.get)
    m = next(m for m in adult_result.metrics if m.name == "disparate_impact_ratio" and m.group == low)
    assert (m.status == "fail") == (di[low] < 0.8)


def test_calibration_by_group_is_reported(adult_result):
    ece = _by(adult_result, "group_calibration_error", "sex")
    assert set(ece) == {"sex=Female", "sex=Male"} and all(0 <= v <= 1 for v in ece.values())


def test_regression_fairness_matches_metricframe(tmp_path):
    from sklearn.metrics import mean_absolute_error

    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n), "h": rng.choice(["x", "y"], n), "y": rng.normal(size=n)})
    df["pred"] = df["y"] + rng.normal(scale=np.where(df["g"] == "a", 0.5, 0.1))
    df.to_parquet(tmp_path / "reg.parquet")
    r = run_tabular(TabularConfig(data=str(tmp_path / "reg.parquet"), target="y", predictions="pred", sensitive=["g", "h"],
                                  tests=["fairness", "performance"], task="regression", bootstrap=50))
    assert r.task == "regression"
    mf = flm.MetricFrame(metrics={"mae": mean_absolute_error, "mean": lambda y, p: float(np.mean(p))},
                         y_true=df["y"], y_pred=df["pred"], sensitive_features=df[["g", "h"]])
    ours = _by(r, "group_mean_absolute_error", "g&h")
    for (g, h), v in mf.by_group["mae"].items():
        assert ours[f"g={g}&h={h}"] == pytest.approx(v, abs=TOL)
    assert _agg(r, "mean_absolute_error_difference", "g&h").value == pytest.approx(mf.difference()["mae"], abs=TOL)
    assert r.recommendation["metric"] == "mean_absolute_error_difference"


def test_multiclass_is_one_vs_rest_per_label(tmp_path):
    rng = np.random.default_rng(1)
    n = 2000
    df = pd.DataFrame({"s": rng.choice(["p", "q"], n), "y": rng.integers(0, 3, n)})
    df["pred"] = np.where(rng.random(n) < 0.7, df["y"], rng.integers(0, 3, n))
    df.to_csv(tmp_path / "mc.csv", index=False)
    r = run_tabular(TabularConfig(data=str(tmp_path / "mc.csv"), target="y", predictions="pred", sensitive=["s"],
                                  tests=["fairness"], bootstrap=0))
    assert r.task == "multiclass"
    for label in ("0", "1", "2"):
        yl, pl = (df["y"] == int(label)).astype(int), (df["pred"] == int(label)).astype(int)
        expected = flm.demographic_parity_difference(yl, pl, sensitive_features=df["s"])
        (m,) = [m for m in r.metrics if m.name == "demographic_parity_difference" and m.label == label]
        assert m.value == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("context,metric", [("punitive", "false_positive_rate_difference"),
                                            ("assistive", "true_positive_rate_difference"),
                                            ("representation", "demographic_parity_difference")])
def test_guided_metric_choice(adult_files, context, metric):
    r = run_tabular(TabularConfig(data=str(adult_files["parquet"]), target="income", predictions="income", sensitive=["sex"],
                                  tests=["fairness"], context=context, bootstrap=0))
    rec = r.recommendation
    assert rec["metric"] == metric and rec["given"] and rec["reason"]["en"] and rec["reason"]["zh"]
    assert rec["worst"]["value"] is not None


def test_bad_groups_are_named():
    with pytest.raises(TianpingError) as e:
        build_groupings(pd.DataFrame({"sex": [None, None, None], "race": ["a", "b", "a"]}))
    assert "sex" in str(e.value) and "no values" in str(e.value)
    with pytest.raises(TianpingError) as e:
        build_groupings(pd.DataFrame({"sex": ["f", "f", "f"]}))
    assert "only one group" in str(e.value)
