"""Performance metrics agree with scikit-learn; data quality finds missing values, duplicates,
leakage, drift and under-representation; chunked CSV/Parquet/Arrow reading gives identical results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from tianping.evaluation.tabular import TabularConfig, run_tabular
from tianping.evaluation.tabular.performance import average_precision, reliability, roc_auc


def test_auc_and_average_precision_match_sklearn_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 5000)
    s = np.round(rng.random(5000) * 0.6 + y * 0.3, 2)  # many ties
    assert roc_auc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)


def test_ece_of_a_calibrated_model_is_small():
    rng = np.random.default_rng(1)
    p = rng.random(200_000)
    y = rng.random(200_000) < p
    rel = reliability(p, y)
    assert rel["ece"] < 0.01 and sum(rel["count"]) == 200_000
    assert reliability(np.full(1000, 0.9), np.zeros(1000, bool))["ece"] == pytest.approx(0.9)


def test_classification_performance_matches_sklearn(adult, adult_files, adult_features):
    r = run_tabular(TabularConfig(data=str(adult_files["parquet"]), target="income", model=str(adult_files["onnx"]),
                                  features=adult_features, tests=["performance"]))
    x = adult[adult_features].to_numpy(np.float32)
    proba = adult_files["sk_model"].predict_proba(x)[:, 1]
    pred = (proba > 0.5).astype(int)
    y = adult["income"].to_numpy()
    v = {m.name: m.value for m in r.metrics}
    assert v["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-3)
    assert v["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba), abs=1e-4)
    assert v["log_loss"] == pytest.approx(skm.log_loss(y, proba), abs=1e-4)
    assert v["f1"] == pytest.approx(skm.f1_score(y, pred), abs=2e-3)
    assert np.array(v["confusion_matrix"]).sum() == len(y)


def test_regression_performance(tmp_path):
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"y": rng.normal(size=1000)})
    df["p"] = df["y"] + rng.normal(scale=0.3, size=1000)
    df.to_csv(tmp_path / "r.csv", index=False)
    r = run_tabular(TabularConfig(data=str(tmp_path / "r.csv"), target="y", predictions="p", tests=["performance"]))
    v = {m.name: m.value for m in r.metrics}
    assert v["mean_absolute_error"] == pytest.approx(skm.mean_absolute_error(df["y"], df["p"]))
    assert v["root_mean_squared_error"] == pytest.approx(np.sqrt(skm.mean_squared_error(df["y"], df["p"])))
    assert v["r2"] == pytest.approx(skm.r2_score(df["y"], df["p"]))


def test_quality_findings(tmp_path):
    rng = np.random.default_rng(3)
    n = 4000
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "g": rng.choice(["x", "y"], n, p=[0.9, 0.1])})
    df["t"] = (df["a"] + rng.normal(size=n) > 0).astype(int)
    df["leak"] = df["t"] * 2.0 + rng.normal(scale=0.01, size=n)
    df.loc[:199, "b"] = np.nan
    df = pd.concat([df, df.iloc[:100]], ignore_index=True)  # 100 duplicate rows
    df.to_parquet(tmp_path / "cur.parquet")
    ref = df.copy()
    ref["a"] = ref["a"] + 1.0  # shifted distribution
    ref.iloc[:2000].to_parquet(tmp_path / "ref.parquet")
    (tmp_path / "pop.yaml").write_text("g: {x: 0.5, y: 0.5}\n", encoding="utf-8")
    r = run_tabular(TabularConfig(data=str(tmp_path / "cur.parquet"), target="t", predictions="t", sensitive=["g"],
                                  features=["a", "b", "g", "leak"], tests=["quality"], reference=str(tmp_path / "ref.parquet"),
                                  reference_distribution=str(tmp_path / "pop.yaml")))
    m = {(x.name, x.feature or x.group or x.label): x for x in r.metrics}
    assert m[("missing_rate", "b")].value == pytest.approx(300 / 4100)  # the 100 duplicated rows are among them and m[("missing_rate", "b")].status == "warn"
    assert m[("duplicate_rate", None)].value == pytest.approx(100 / 4100)
    assert m[("leakage_score", "leak")].status == "fail" and m[("leakage_score", "b")].status == "pass"
    assert m[("population_stability_index", "a")].status == "fail" and m[("ks_statistic", "a")].value > 0.3
    assert m[("population_stability_index", "b")].status == "pass"
    assert m[("representation_ratio", "g=y")].status == "fail"
    assert m[("representation_ratio", "g=y")].details["reference_share"] == 0.5
    assert next(x for x in r.metrics if x.name == "representation_distance").value == pytest.approx(0.4, abs=0.02)
    assert m[("class_balance_ratio", None)].value > 0.5
    assert m[("train_test_overlap_rate", None)].value == pytest.approx(0.0, abs=0.05)


def test_chunked_reading_of_every_format_gives_the_same_result(adult_files, adult_features):
    results = []
    for key in ("csv", "parquet", "feather"):
        r = run_tabular(TabularConfig(data=str(adult_files[key]), target="income", model=str(adult_files["onnx"]),
                                      features=adult_features, sensitive=["sex"], tests=["fairness", "performance", "quality"],
                                      chunk_rows=1000, bootstrap=0))
        results.append({(m.name, m.group, m.feature, m.sensitive_feature): m.value for m in r.metrics})
        assert r.n_rows == 6000
    assert results[0] == results[1] == results[2]


def test_integer_label_lookup_matches_the_general_path():
    from tianping.errors import TianpingError
    from tianping.evaluation.tabular.labels import _codes

    rng = np.random.default_rng(0)
    classes = [3, 7, 10]
    keys = ["3", "7", "10"]
    values = rng.choice(classes, size=1000)
    fast = _codes(values.astype(np.int64), classes, keys, "t", "y")
    slow = _codes(values.astype(np.float64), classes, keys, "t", "y")  # float data takes the search path
    assert (fast == slow).all() and (np.asarray(classes)[fast] == values).all()
    for bad in (np.array([3, 8]), np.array([3, -1]), np.array([3, 11])):  # inside and outside the class range
        with pytest.raises(TianpingError, match="not among the classes"):
            _codes(bad, classes, keys, "target column 'y'", "y")
