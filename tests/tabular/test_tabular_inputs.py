"""Issue 12, tabular inputs: --scores (one P(positive) column, or CLASS=COLUMN in any order), NaN/inf
predictions and scores as located errors, blank CSV text cells as missing values, joblib models
under --trust-pickle, plot file names that are safe on every OS."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from tianping.cli.main import app
from tianping.errors import TianpingError
from tianping.evaluation.tabular import CallableModel, TabularConfig, load_model, run_tabular
from tianping.evaluation.tabular.plots import safe_name

runner = CliRunner()


def _cli(*args: str):
    res = runner.invoke(app, ["test", "tabular", *args])
    assert "Traceback" not in res.output, res.output
    return res


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 3000
    y = rng.integers(0, 2, n)
    p1 = np.clip(0.5 + (y - 0.5) * 0.3 + rng.normal(scale=0.3, size=n), 0, 1)
    df = pd.DataFrame({"y": np.where(y == 1, "yes", "no"), "p_yes": p1, "p_no": 1 - p1, "s": rng.choice(["a", "b"], n)})
    df["pred"] = np.where(p1 >= 0.5, "yes", "no")
    d = tmp_path_factory.mktemp("scored")
    df.to_csv(d / "s.csv", index=False)
    return {"frame": df, "csv": d / "s.csv", "dir": d, "auc": roc_auc_score(y, p1)}


def _auc(res) -> float:
    assert res.exit_code == 0, res.output
    return next(m["value"] for m in json.loads(res.stdout)["metrics"] if m["name"] == "roc_auc")


def test_scores_one_column_and_named_columns_in_any_order_match_sklearn(scored):
    base = ["--data", str(scored["csv"]), "--target", "y", "--predictions", "pred", "--tests", "performance", "--json"]
    one = _auc(_cli(*base, "--scores", "p_yes", "--positive-label", "yes"))
    named = _auc(_cli(*base, "--scores", "yes=p_yes,no=p_no"))
    reverse = _auc(_cli(*base, "--scores", "no=p_no,yes=p_yes"))
    single_named = _auc(_cli(*base, "--scores", "yes=p_yes"))
    assert one == pytest.approx(scored["auc"], abs=1e-12)
    assert named == reverse == single_named == pytest.approx(scored["auc"], abs=1e-12)
    # with 0/1 classes too (the default positive class is the last one, 1)
    df = scored["frame"].assign(y01=(scored["frame"]["y"] == "yes").astype(int), pred01=(scored["frame"]["pred"] == "yes").astype(int))
    df.to_parquet(scored["dir"] / "s01.parquet")
    base01 = ["--data", str(scored["dir"] / "s01.parquet"), "--target", "y01", "--predictions", "pred01", "--tests", "performance", "--json"]
    assert _auc(_cli(*base01, "--scores", "p_yes")) == pytest.approx(scored["auc"], abs=1e-12)
    assert _auc(_cli(*base01, "--scores", "0=p_no,1=p_yes")) == _auc(_cli(*base01, "--scores", "1=p_yes,0=p_no"))


def test_multiclass_named_scores_in_reverse_order(tmp_path):
    rng = np.random.default_rng(1)
    n = 2000
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + np.eye(3)[y] * 1.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    names = np.array(["cat", "dog", "eel"])
    df = pd.DataFrame({"y": names[y], "pred": names[proba.argmax(axis=1)], "pc": proba[:, 0], "pd": proba[:, 1], "pe": proba[:, 2]})
    df.to_csv(tmp_path / "mc.csv", index=False)
    expected = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    base = ["--data", str(tmp_path / "mc.csv"), "--target", "y", "--predictions", "pred", "--tests", "performance", "--json"]
    assert _auc(_cli(*base, "--scores", "eel=pe,dog=pd,cat=pc")) == pytest.approx(expected, abs=1e-12)
    res = _cli(*base, "--scores", "pc,pd,pe")
    assert res.exit_code == 2 and "need class names" in res.output
    res = _cli(*base, "--scores", "pc")
    assert res.exit_code == 2 and "3 classes" in res.output
    res = _cli(*base, "--scores", "cat=pc,dog=pd")
    assert res.exit_code == 2 and "no --scores column for class(es) ['eel']" in res.output
    res = _cli(*base, "--scores", "cat=pc,dog=pd,emu=pe")
    assert res.exit_code == 2 and "emu" in res.output


def test_nan_and_inf_scores_and_predictions_are_located_errors(scored, tmp_path):
    df = scored["frame"].copy()
    df.loc[41, "p_yes"] = np.nan
    df.to_csv(tmp_path / "nan.csv", index=False)
    res = _cli("--data", str(tmp_path / "nan.csv"), "--target", "y", "--predictions", "pred", "--scores", "p_yes", "--json")
    assert res.exit_code == 2
    (p,) = json.loads(res.stdout)["error"]["problems"]
    assert p["file"] == str(tmp_path / "nan.csv") and p["field"] == "p_yes" and "data row 42" in p["message"]
    df = scored["frame"].copy()
    df.loc[7, "p_no"] = np.inf
    df.to_parquet(tmp_path / "inf.parquet")
    res = _cli("--data", str(tmp_path / "inf.parquet"), "--target", "y", "--predictions", "pred", "--scores", "yes=p_yes,no=p_no")
    assert res.exit_code == 2 and "p_no" in res.output and "data row 8" in res.output
    df = scored["frame"].copy()
    df.loc[3, "p_yes"] = 1.7
    df.to_parquet(tmp_path / "range.parquet")
    res = _cli("--data", str(tmp_path / "range.parquet"), "--target", "y", "--predictions", "pred", "--scores", "p_yes")
    assert res.exit_code == 2 and "[0, 1]" in res.output
    # a blank prediction in a separate predictions file
    preds = scored["frame"][["pred"]].copy()
    preds.loc[99, "pred"] = None
    preds.to_csv(tmp_path / "preds.csv", index=False)
    res = _cli("--data", str(scored["csv"]), "--target", "y", "--predictions", "pred", "--predictions-file", str(tmp_path / "preds.csv"))
    assert res.exit_code == 2 and "preds.csv" in res.output and "data row 100" in res.output
    # a model that returns NaN probabilities
    fn = CallableModel(lambda f: None, proba=lambda f: np.where(np.arange(len(f))[:, None] == 5, np.nan, 0.5) * np.ones((len(f), 2)),
                       classes=["no", "yes"])
    with pytest.raises(TianpingError, match="non-finite probability for data row 6"):
        run_tabular(TabularConfig(data=str(scored["csv"]), target="y", features=["p_yes"], tests=["performance"]), model=fn)


def test_blank_csv_cells_in_a_text_column_are_missing_values(tmp_path):
    rng = np.random.default_rng(2)
    n = 400
    race = rng.choice(["A", "B"], n).astype(object)
    race[:40] = None
    df = pd.DataFrame({"race": race, "y": rng.integers(0, 2, n)})
    df["pred"] = df["y"]
    df.to_csv(tmp_path / "blank.csv", index=False)  # None is written as an empty cell
    assert ",," in (tmp_path / "blank.csv").read_text() or "\n," in (tmp_path / "blank.csv").read_text()
    df.to_parquet(tmp_path / "blank.parquet")
    groups = []
    for name in ("blank.csv", "blank.parquet"):
        r = run_tabular(TabularConfig(data=str(tmp_path / name), target="y", predictions="pred", sensitive=["race"],
                                      tests=["fairness", "quality"], bootstrap=0))
        groups.append({m.group: m.value for m in r.metrics if m.name == "group_count"})
        assert "race=" not in {m.group for m in r.metrics}
        assert next(m.value for m in r.metrics if m.name == "missing_rate" and m.feature == "race") == pytest.approx(0.1)
    assert groups[0] == groups[1] and groups[0]["race=(missing)"] == 40


def test_joblib_models_need_trust_pickle(tmp_path):
    import joblib
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    x = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = (x["a"] > 0).astype(int)
    est = LogisticRegression().fit(x, y)
    for name, kw in (("m.joblib", {}), ("m.joblib.gz", {"compress": 3}), ("m.pkl", {})):
        path = tmp_path / name
        joblib.dump(est, path, **kw)
        with pytest.raises(TianpingError, match="refusing to load a pickle"):
            load_model(str(path))
        m = load_model(str(path), trust_pickle=True)
        assert np.array_equal(m.predict(x).labels, est.predict(x)), name
    (tmp_path / "broken.joblib").write_bytes(b"\x80\x04not really")
    with pytest.raises(TianpingError, match="cannot load the trusted pickle/joblib model"):
        load_model(str(tmp_path / "broken.joblib"), trust_pickle=True)
    x.assign(y=y).to_csv(tmp_path / "d.csv", index=False)
    res = _cli("--data", str(tmp_path / "d.csv"), "--target", "y", "--model", str(tmp_path / "m.joblib"), "--tests", "performance")
    assert res.exit_code == 2 and "--trust-pickle" in res.output
    res = _cli("--data", str(tmp_path / "d.csv"), "--target", "y", "--model", str(tmp_path / "m.joblib"), "--tests", "performance",
               "--trust-pickle", "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["config"]["model_kind"] == "joblib"


SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


def test_plot_names_are_safe_on_every_os(tmp_path):
    for raw in ("fairness_race=A/B_>50K", 'a\\b:c*d?e"f<g>h|i&j=k', "CON", "fairness_race&sex_1", "..", "性别", "x" * 300):
        name = safe_name(raw)
        assert SAFE.match(name) and len(name) <= 100 and name.lower() != "con" and not name.startswith("."), (raw, name)
    assert safe_name("race=A/B") != safe_name("race=A_B")
    assert safe_name("reliability_diagram") == "reliability_diagram"
    rng = np.random.default_rng(4)
    n = 600
    df = pd.DataFrame({"race/eth": rng.choice(["A/B", "C:D"], n), "y": rng.choice(["<=50K", ">50K"], n)})
    df["pred"] = df["y"]
    df.to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "out"
    res = _cli("--data", str(tmp_path / "d.csv"), "--target", "y", "--predictions", "pred", "--sensitive", "race/eth",
               "--tests", "fairness", "--bootstrap", "0", "--out", str(out), "--plots", "png", "--json")
    assert res.exit_code == 0, res.output
    plots = json.loads(res.stdout)["plots"]
    assert plots
    for p in plots:
        path = out / "plots" / (p["name"] + ".png")
        assert path.is_file() and SAFE.match(p["name"]), p
    assert {f.name for f in (out / "plots").iterdir()} == {p["name"] + ".png" for p in plots}
