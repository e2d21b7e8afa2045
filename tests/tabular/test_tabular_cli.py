"""`tianping test tabular`: JSON output, plots, storing the run, and bad input -> exit 2 naming the column."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from tianping.cli.main import app

runner = CliRunner()


def _feat(adult_features):
    return ",".join(adult_features)


def test_cli_json_all_tests_with_plots(adult_files, adult_features, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["test", "tabular", "--data", str(adult_files["csv"]), "--model", str(adult_files["onnx"]),
                              "--target", "income", "--sensitive", "sex,race", "--features", _feat(adult_features),
                              "--categorical", "workclass_code,marital-status_code,occupation_code,relationship_code,race_code,sex_code",
                              "--reference", str(adult_files["parquet"]), "--robustness-rows", "300", "--explain-rows", "300",
                              "--shap-samples", "20", "--shap-background", "10", "--bootstrap", "50",
                              "--out", str(out), "--plots", "png,svg", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == "1" and doc["task"] == "binary" and doc["n_rows"] == 6000
    assert set(doc["tests"]) == {"fairness", "counterfactual", "robustness", "explain", "performance", "quality"}
    assert any("counterfactual: sex, race not a model input" in n for n in doc["notes"])
    names = {m["name"] for m in doc["metrics"]}
    assert {"demographic_parity_difference", "equalized_odds_difference", "adversarial_accuracy", "mean_abs_shap",
            "permutation_importance", "ale_range", "partial_dependence_range", "expected_calibration_error", "roc_auc",
            "population_stability_index", "ks_statistic", "duplicate_rate", "train_test_overlap_rate"} <= names
    for m in doc["metrics"]:
        assert {"name", "value", "thresholds", "citations", "status"} <= set(m)
    dpd = next(m for m in doc["metrics"] if m["name"] == "demographic_parity_difference")
    assert dpd["thresholds"]["direction"] == "max" and dpd["citations"]
    group_metric = next(m for m in doc["metrics"] if m["name"] == "selection_rate")
    assert group_metric["group"].startswith("sex=")
    overlap = next(m for m in doc["metrics"] if m["name"] == "train_test_overlap_rate")
    assert overlap["value"] == 1.0 and overlap["status"] == "fail"  # the reference is the test data itself
    assert (out / "results.json").is_file()
    files = {p.name for p in (out / "plots").iterdir()}
    assert {"reliability_diagram.png", "reliability_diagram.svg", "robustness_curves.png", "shap_importance.svg",
            "adversarial_accuracy.png", "pdp_ale.png"} <= files


def test_cli_human_output_in_chinese_and_stored_run(german, tmp_path):
    db = tmp_path / "t.db"
    res = runner.invoke(app, ["--db", str(db), "--lang", "zh", "test", "tabular", "--data", str(german["csv"]),
                              "--model", str(german["skops"]), "--target", "good", "--sensitive", "sex,age_group",
                              "--tests", "fairness,performance", "--context", "assistive", "--bootstrap", "20"])
    assert res.exit_code == 0, res.output
    assert "表格模型测试" in res.stdout and "首要公平性指标" in res.stdout and "已保存为运行记录" in res.stdout
    from tianping.store import open_database
    from tianping.store.models import RunRow

    dbo = open_database(f"sqlite:///{db}")
    with dbo.session() as s:
        (row,) = s.query(RunRow).all()
        assert row.kind == "tabular" and row.status == "completed" and row.suite == "fairness,performance"
        assert row.result["recommendation"]["metric"] == "true_positive_rate_difference"
        assert row.summary["verdict"] in ("pass", "warn", "fail")
    dbo.dispose()


def _bad(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["test", "tabular", *args])
    assert "Traceback" not in res.output
    return res.exit_code, res.output


def test_wrong_column_names_are_named_with_suggestions(adult_files):
    code, out = _bad("--data", str(adult_files["parquet"]), "--model", str(adult_files["onnx"]), "--target", "incme",
                     "--sensitive", "sex")
    assert code == 2 and "column 'incme'" in out and "income" in out
    code, out = _bad("--data", str(adult_files["parquet"]), "--predictions", "income", "--target", "income", "--sensitive", "gender")
    assert code == 2 and "column 'gender' (sensitive feature)" in out


def test_non_numeric_feature_for_onnx(adult_files):
    feats = "age,education-num,capital-gain,capital-loss,hours-per-week,workclass,marital-status_code,occupation_code,relationship_code,race_code,sex_code"
    code, out = _bad("--data", str(adult_files["parquet"]), "--model", str(adult_files["onnx"]), "--target", "income",
                     "--sensitive", "sex", "--features", feats, "--tests", "performance")
    assert code == 2 and "column 'workclass' is not numeric" in out


def test_empty_group_and_mismatched_lengths(adult_files, tmp_path):
    df = pd.read_parquet(adult_files["parquet"])
    df["empty"] = None
    df.to_parquet(tmp_path / "e.parquet")
    code, out = _bad("--data", str(tmp_path / "e.parquet"), "--predictions", "income", "--target", "income",
                     "--sensitive", "empty", "--tests", "fairness")
    assert code == 2 and "sensitive feature 'empty' has no values" in out
    pd.DataFrame({"p": df["income"].iloc[:-5]}).to_csv(tmp_path / "preds.csv", index=False)
    code, out = _bad("--data", str(adult_files["parquet"]), "--predictions", "p", "--predictions-file", str(tmp_path / "preds.csv"),
                     "--target", "income", "--sensitive", "sex")
    assert code == 2 and "5995 rows but the data has 6000" in out


def test_usage_errors_exit_2(adult_files, tmp_path):
    code, out = _bad("--data", str(adult_files["parquet"]), "--target", "income")
    assert code == 2 and "--model" in out
    code, out = _bad("--data", str(adult_files["parquet"]), "--predictions", "income", "--target", "income",
                     "--tests", "robustness")
    assert code == 2 and "queries a model" in out
    code, out = _bad("--data", str(tmp_path / "missing.csv"), "--predictions", "income", "--target", "income")
    assert code == 2 and "data file not found" in out
    res = runner.invoke(app, ["test", "tabular", "--data", str(adult_files["parquet"]), "--predictions", "income",
                              "--target", "income", "--sensitive", "sex", "--tests", "fairnes", "--json"])
    assert res.exit_code == 2 and json.loads(res.stdout)["error"]["problems"][0]["field"] == "--tests"


def test_shap_explainer_option(adult_files, adult_features, german):
    code, out = _bad("--data", str(adult_files["parquet"]), "--model", str(adult_files["onnx"]), "--target", "income",
                     "--features", _feat(adult_features), "--tests", "explain", "--shap-explainer", "exact")
    assert code == 2 and "--shap-explainer" in out
    # a logistic-regression pipeline has no trees: asking for the tree explainer fails, naming the option
    code, out = _bad("--data", str(german["csv"]), "--model", str(german["skops"]), "--target", "good", "--tests", "explain",
                     "--explain-rows", "100", "--shap-explainer", "tree")
    assert code == 2 and "--shap-explainer" in out and "tree" in out
    res = runner.invoke(app, ["test", "tabular", "--data", str(adult_files["parquet"]), "--model", str(adult_files["onnx"]),
                              "--target", "income", "--features", _feat(adult_features), "--tests", "explain",
                              "--explain-rows", "200", "--shap-samples", "5", "--shap-background", "5",
                              "--shap-explainer", "kernel", "--json"])
    assert res.exit_code == 0, res.output
    shap = [m for m in json.loads(res.stdout)["metrics"] if m["name"] == "mean_abs_shap"]
    assert {m["details"]["explainer"] for m in shap} == {"kernel"}


def test_a_fairness_run_imports_no_heavy_library(adult_files, adult_features):
    """Start-up time and memory: fairness, performance and data quality on an ONNX model need neither SHAP,
    plotting, scikit-learn nor the onnx package (the class labels are read from the protobuf directly)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tianping.evaluation.tabular import TabularConfig, run_tabular\n"
        f"r = run_tabular(TabularConfig(data={str(adult_files['csv'])!r}, model={str(adult_files['onnx'])!r}, target='income',"
        f" features={adult_features!r}, sensitive=['sex'], tests=['fairness', 'performance', 'quality']))\n"
        "heavy = ['shap', 'matplotlib', 'sklearn', 'scipy', 'skops', 'fairlearn', 'xgboost', 'lightgbm', 'onnx', 'numba', 'httpx']\n"
        "print(','.join(m for m in heavy if m in sys.modules) or 'none', r.labels)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "none", f"a fairness run imported {out[0]}"
    assert out[1] == "['0',"
