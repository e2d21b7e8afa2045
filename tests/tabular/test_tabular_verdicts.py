"""Issue 12, tabular engine: verified attack successes, the counterfactual test, minimum group sizes,
intervals that contain their estimate, intersections and labels on every row, --fail-on."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tianping.cli.main import app
from tianping.evaluation.tabular import TabularConfig, run_tabular
from tianping.evaluation.tabular.fairness import classification_fairness, regression_fairness
from tianping.evaluation.tabular.groups import build_groupings
from tianping.evaluation.tabular.labels import Encoded
from tianping.evaluation.tabular.results import MetricConsistencyError, MetricSink
from tianping.evaluation.tabular.spec import load_spec

runner = CliRunner()
ROW_FIELDS = {"test", "name", "value", "ci", "n", "group", "sensitive_feature", "label", "feature", "thresholds", "status",
              "citations", "min_n", "min_group_n", "gate"}


def _sex_only_data(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """The label depends only on sex (10 % noise); age and hours are irrelevant numbers."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    y = np.where(rng.random(n) < 0.9, (sex == "M").astype(int), (sex == "F").astype(int))
    return pd.DataFrame({"sex": sex, "age": rng.normal(40, 12, n).round(), "hours": rng.normal(40, 8, n).round(), "y": y})


@pytest.fixture(scope="module")
def sex_only_pipeline():
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier

    df = _sex_only_data()
    pipe = make_pipeline(make_column_transformer((OneHotEncoder(), ["sex"]), remainder="passthrough"),
                         DecisionTreeClassifier(max_depth=1, random_state=0)).fit(df[["sex", "age", "hours"]], df["y"])
    return df, pipe


def _by_name(result):
    out: dict[str, list] = {}
    for m in result.metrics:
        out.setdefault(m.name, []).append(m)
    return out


def test_sex_only_pipeline_attack_has_no_successes_and_counterfactual_flips_every_decision(sex_only_pipeline, tmp_path):
    df, pipe = sex_only_pipeline
    df.to_csv(tmp_path / "d.csv", index=False)
    r = run_tabular(TabularConfig(data=str(tmp_path / "d.csv"), target="y", features=["sex", "age", "hours"], sensitive=["sex"],
                                  tests=["robustness", "counterfactual"], robustness_rows=400, attack_iterations=3, bootstrap=50),
                    model=pipe)
    by = _by_name(r)
    (asr,) = by["attack_success_rate"]
    assert asr.value == 0.0 and asr.details["successes"] == 0
    (nostart,) = by["attack_start_not_found"]
    assert nostart.value == asr.n > 0  # every correct row: no verified start exists (only sex matters, and it is held fixed)
    (adv,) = by["adversarial_accuracy"]
    correct = next(m for m in by["perturbed_accuracy"] if m.details["severity"] == 0.05)
    assert adv.value == pytest.approx(asr.n / adv.n) and correct.value > 0.8
    assert not by.get("median_minimal_perturbation")[0].value
    # category flips and missing values never touch the sensitive column: the sex-only model never changes its decision
    flips = [m for m in by["prediction_flip_rate"] if m.details["perturbation"] in ("gaussian_noise", "out_of_range")]
    assert flips and all(m.value == 0 for m in flips)
    assert any("sensitive columns sex are held fixed" in n for n in r.notes)
    (cf,) = by["counterfactual_flip_rate"]
    assert cf.value == 1.0 and cf.sensitive_feature == "sex" and cf.status == "fail" and cf.gate
    assert cf.ci[0] <= cf.value <= cf.ci[1] and "eu-ai-act:art-10" in cf.citations
    assert cf.details["flip_rate_by_change"] == {"F->M": 1.0, "M->F": 1.0}
    assert by["counterfactual_any_flip_rate"][0].value == 1.0


def test_sex_only_onnx_model_and_perturb_sensitive(tmp_path):
    from skl2onnx import to_onnx
    from sklearn.tree import DecisionTreeClassifier

    df = _sex_only_data(seed=1)
    df["sex"] = (df["sex"] == "M").astype(float)
    feats = ["sex", "age", "hours"]
    x = df[feats].to_numpy(np.float32)
    tree = DecisionTreeClassifier(max_depth=1, random_state=0).fit(x, df["y"])
    (tmp_path / "m.onnx").write_bytes(to_onnx(tree, x[:1], options={id(tree): {"zipmap": False}}, target_opset=17).SerializeToString())
    df.to_parquet(tmp_path / "d.parquet")
    base = dict(data=str(tmp_path / "d.parquet"), target="y", model=str(tmp_path / "m.onnx"), features=feats, sensitive=["sex"],
                tests=["robustness", "counterfactual"], robustness_rows=300, attack_iterations=3, bootstrap=0)
    by = _by_name(run_tabular(TabularConfig(**base)))
    assert by["attack_success_rate"][0].value == 0.0 and by["attack_start_not_found"][0].value > 0
    assert by["counterfactual_flip_rate"][0].value == 1.0
    # asked explicitly, the attack may move the sex column, and every success it reports is a real flip
    by = _by_name(run_tabular(TabularConfig(**base, perturb_sensitive=True)))
    assert by["attack_success_rate"][0].value > 0.9 and by["attack_success_rate"][0].details["unverified_discarded"] == 0


def test_counterfactual_of_a_model_that_ignores_the_attribute(tmp_path):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    n = 1200
    df = pd.DataFrame({"race": rng.choice(["a", "b", "c"], n), "x": rng.normal(size=n)})
    df["y"] = (df["x"] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    df["race_code"] = df["race"].map({"a": 0, "b": 1, "c": 2}).astype(float)
    lr = LogisticRegression().fit(df[["x"]], df["y"])

    class OnlyX:
        classes_ = lr.classes_

        def predict_proba(self, f):
            return lr.predict_proba(f[["x"]])

        def predict(self, f):
            return lr.predict(f[["x"]])

    df.to_parquet(tmp_path / "d.parquet")
    r = run_tabular(TabularConfig(data=str(tmp_path / "d.parquet"), target="y", features=["x", "race_code"],
                                  sensitive=["race_code"], tests=["counterfactual"], counterfactual_rows=500, bootstrap=50), model=OnlyX())
    by = _by_name(r)
    (cf,) = by["counterfactual_flip_rate"]
    assert cf.value == 0.0 and cf.status == "pass" and cf.n == 500
    assert cf.details["counterfactuals"] == 1000  # each row, once for each of the two other observed values
    assert by["counterfactual_mean_change"][0].value == pytest.approx(0.0, abs=1e-12)


def _intersection_data(n_cell: int = 500, seed: int = 0) -> pd.DataFrame:
    """Selection rates A&F .7, A&M .3, B&F .3, B&M .7: every marginal is 0.5, the intersection is not."""
    rng = np.random.default_rng(seed)
    rows = []
    for race, sex, rate in (("A", "F", 0.7), ("A", "M", 0.3), ("B", "F", 0.3), ("B", "M", 0.7)):
        pred = np.zeros(n_cell, dtype=int)
        pred[: int(rate * n_cell)] = 1
        y = np.where(rng.random(n_cell) < 0.8, pred, 1 - pred)
        rows.append(pd.DataFrame({"race": race, "sex": sex, "pred": pred, "y": y}))
    return pd.concat(rows, ignore_index=True)


def test_intersection_fails_where_marginals_pass(tmp_path):
    _intersection_data().to_csv(tmp_path / "d.csv", index=False)
    r = run_tabular(TabularConfig(data=str(tmp_path / "d.csv"), target="y", predictions="pred", sensitive=["race", "sex"],
                                  tests=["fairness"], bootstrap=50))
    dpd = {m.sensitive_feature: m for m in r.metrics if m.name == "demographic_parity_difference"}
    assert set(dpd) == {"race", "sex", "race&sex"}
    assert dpd["race"].status == "pass" and dpd["sex"].status == "pass"
    assert dpd["race&sex"].status == "fail" and dpd["race&sex"].value == pytest.approx(0.4)
    assert dpd["race&sex"].label == "1" and dpd["race&sex"].group is None and dpd["race&sex"].gate
    groups = {m.group for m in r.metrics if m.name == "selection_rate" and m.sensitive_feature == "race&sex"}
    assert groups == {"race=A&sex=F", "race=A&sex=M", "race=B&sex=F", "race=B&sex=M"}
    assert r.summary.verdict == "fail" and r.summary.gate_failed >= 1


def test_multiclass_rows_carry_their_label_for_marginals_and_intersection(tmp_path):
    rng = np.random.default_rng(5)
    n = 3000
    df = pd.DataFrame({"race": rng.choice(["A", "B"], n), "sex": rng.choice(["F", "M"], n), "y": rng.integers(0, 3, n)})
    df["pred"] = np.where(rng.random(n) < 0.7, df["y"], rng.integers(0, 3, n))
    df.loc[(df["race"] == "B") & (df["sex"] == "F") & (rng.random(n) < 0.5), "pred"] = 2  # label 2 favoured for B&F
    df.to_parquet(tmp_path / "mc.parquet")
    r = run_tabular(TabularConfig(data=str(tmp_path / "mc.parquet"), target="y", predictions="pred", sensitive=["race", "sex"],
                                  tests=["fairness"], bootstrap=0))
    rows = [m for m in r.metrics if m.name == "demographic_parity_difference"]
    assert {(m.sensitive_feature, m.label) for m in rows} == {(f, lab) for f in ("race", "sex", "race&sex") for lab in ("0", "1", "2")}
    worst = max((m for m in rows if m.sensitive_feature == "race&sex"), key=lambda m: m.value)
    assert worst.label == "2" and worst.status == "fail"
    for m in r.metrics:
        if m.name in ("selection_rate", "true_positive_rate", "demographic_parity_difference", "equalized_odds_difference"):
            assert m.label in ("0", "1", "2"), m


def test_groups_of_six_never_drive_a_fail(tmp_path):
    rng = np.random.default_rng(7)
    big = pd.DataFrame({"g": "big", "pred": (rng.random(2000) < 0.3).astype(int)})
    small = pd.DataFrame({"g": "tiny", "pred": np.ones(6, dtype=int)})  # 6 people, all selected: a gap of 0.7
    df = pd.concat([big, small], ignore_index=True)
    df["y"] = df["pred"]
    df.to_parquet(tmp_path / "d.parquet")
    cfg = dict(data=str(tmp_path / "d.parquet"), target="y", predictions="pred", sensitive=["g"], tests=["fairness"], bootstrap=0)
    r = run_tabular(TabularConfig(**cfg))
    (dpd,) = [m for m in r.metrics if m.name == "demographic_parity_difference"]
    assert dpd.value == pytest.approx(0.7, abs=0.03)
    assert dpd.status == "insufficient_data" and dpd.min_n == 30 and dpd.min_group_n == 6
    assert dpd.details["smallest_group"] == "g=tiny"
    di = {m.group: m for m in r.metrics if m.name == "disparate_impact_ratio"}
    assert di["g=big"].status == "insufficient_data" and di["g=tiny"].status == "insufficient_data"
    assert r.summary.failed == 0 and r.summary.insufficient_data > 0 and r.summary.verdict == "insufficient_data"
    # a real gap between two large groups still fails, whatever the small group does
    other = pd.DataFrame({"g": "other", "pred": (rng.random(2000) < 0.7).astype(int)})
    df2 = pd.concat([df, other.assign(y=other["pred"])], ignore_index=True)
    df2.to_parquet(tmp_path / "d2.parquet")
    r2 = run_tabular(TabularConfig(**{**cfg, "data": str(tmp_path / "d2.parquet")}))
    (dpd2,) = [m for m in r2.metrics if m.name == "demographic_parity_difference"]
    assert dpd2.status == "fail" and dpd2.details["value_without_small_groups"] == pytest.approx(0.4, abs=0.05)
    # min_n is data: a thresholds file can change it
    (tmp_path / "t.yaml").write_text("metrics:\n  demographic_parity_difference:\n    min_n: 5\n", encoding="utf-8")
    r3 = run_tabular(TabularConfig(**cfg, thresholds=str(tmp_path / "t.yaml")))
    (dpd3,) = [m for m in r3.metrics if m.name == "demographic_parity_difference"]
    assert dpd3.status == "fail" and dpd3.min_n == 5 and dpd3.thresholds.fail == 0.2


def test_tpr_gap_counts_positives_not_rows(tmp_path):
    rng = np.random.default_rng(8)
    n = 1000
    df = pd.DataFrame({"g": np.repeat(["a", "b"], n)})
    df["y"] = np.where(df["g"] == "a", (rng.random(2 * n) < 0.5), (np.arange(2 * n) % 100 == 0)).astype(int)  # b: 10 positives
    df["pred"] = np.where(rng.random(2 * n) < 0.8, df["y"], 1 - df["y"])
    df.to_parquet(tmp_path / "d.parquet")
    r = run_tabular(TabularConfig(data=str(tmp_path / "d.parquet"), target="y", predictions="pred", sensitive=["g"],
                                  tests=["fairness"], bootstrap=0))
    m = {x.name: x for x in r.metrics if x.group is None and x.sensitive_feature == "g"}
    assert m["true_positive_rate_difference"].min_group_n == 10 and m["true_positive_rate_difference"].status in ("insufficient_data", "warn", "fail")
    assert m["true_positive_rate_difference"].status != "pass"
    assert m["demographic_parity_difference"].min_group_n == 1000


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(5, 400), groups=st.integers(2, 5), k=st.integers(2, 3), p=st.floats(0.0, 1.0), seed=st.integers(0, 10_000),
       with_proba=st.booleans())
def test_every_interval_contains_its_estimate(n, groups, k, p, seed, with_proba):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, groups, n)
    y = rng.integers(0, k, n)
    pred = np.where(rng.random(n) < p, y, rng.integers(0, k, n))
    proba = None
    if with_proba:
        proba = rng.dirichlet(np.ones(k), n)
    g = pd.DataFrame({"s": codes.astype(str), "t": rng.choice(["x", "y"], n)})
    try:
        groupings = build_groupings(g)
    except Exception:  # a single group drawn: nothing to compare
        return
    enc = Encoded("binary" if k == 2 else "multiclass", y, pred, proba, list(range(k)), 1 if k == 2 else None)
    sink = MetricSink(load_spec(), "fairness", strict=True)  # raises MetricConsistencyError on a value outside its interval
    classification_fairness(sink, enc, groupings, n_boot=30, seed=seed)
    yr = rng.normal(size=n)
    regression_fairness(sink, Encoded("regression", yr, yr + rng.normal(size=n), None, []), groupings, n_boot=30, seed=seed)
    for m in sink.metrics:
        if m.ci is not None and isinstance(m.value, float):
            assert m.ci[0] - 1e-9 <= m.value <= m.ci[1] + 1e-9, m
        assert m.n is not None


def test_sink_rejects_a_value_outside_its_interval():
    spec = load_spec()
    with pytest.raises(MetricConsistencyError, match="outside its own interval"):
        MetricSink(spec, "fairness", strict=True).add("demographic_parity_difference", 0.5, ci=(0.1, 0.2), n=100)
    m = MetricSink(spec, "fairness", strict=False).add("demographic_parity_difference", 0.5, ci=(0.1, 0.2), n=100)
    assert m.status == "error" and "outside" in m.details["error"]
    with pytest.raises(MetricConsistencyError, match="no sample size"):
        MetricSink(spec, "fairness", strict=True).add("accuracy", 0.5)


def _cli(*args: str):
    res = runner.invoke(app, ["test", "tabular", *args])
    assert "Traceback" not in res.output
    return res


def test_fail_on(tmp_path):
    rng = np.random.default_rng(11)
    n = 2000
    df = pd.DataFrame({"g": rng.choice(["a", "b"], n), "x": rng.normal(size=n)})
    df["y"] = (rng.random(n) < 0.5).astype(int)
    df["pred"] = df["y"]  # accurate and fair
    df.loc[:599, "x"] = np.nan  # missing_rate 30 %: a quality fail, not a gate
    df.to_parquet(tmp_path / "ok.parquet")
    args = ["--data", str(tmp_path / "ok.parquet"), "--target", "y", "--predictions", "pred", "--sensitive", "g",
            "--tests", "fairness,performance,quality", "--bootstrap", "0", "--json"]
    res = _cli(*args)
    assert res.exit_code == 0  # default: never
    doc = json.loads(res.stdout)
    assert any(m["name"] == "missing_rate" and m["status"] == "fail" for m in doc["metrics"])
    assert _cli(*args, "--fail-on", "gate").exit_code == 0
    res = _cli(*args, "--fail-on", "fail")
    assert res.exit_code == 1 and json.loads(res.stdout)["summary"]["failed"] >= 1
    df["pred"] = np.where(df["g"] == "a", 1, df["y"])  # selection gap: demographic parity (a gate) fails
    df.to_parquet(tmp_path / "bad.parquet")
    args[1] = str(tmp_path / "bad.parquet")
    assert _cli(*args, "--fail-on", "gate").exit_code == 1
    assert _cli(*args, "--fail-on", "never").exit_code == 0
    res = _cli(*args, "--fail-on", "sometimes")
    assert res.exit_code == 2 and "--fail-on" in res.output


def test_every_row_has_the_evidence_fields(tmp_path, sex_only_pipeline):
    df, pipe = sex_only_pipeline
    df["p"] = pipe.predict_proba(df[["sex", "age", "hours"]])[:, 1]
    df["pred"] = pipe.predict(df[["sex", "age", "hours"]])
    df.to_parquet(tmp_path / "d.parquet")
    res = _cli("--data", str(tmp_path / "d.parquet"), "--target", "y", "--predictions", "pred", "--scores", "p",
               "--sensitive", "sex", "--features", "age,hours,sex", "--bootstrap", "20", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["metrics"]
    for m in doc["metrics"]:
        assert ROW_FIELDS <= set(m), m["name"]
        assert m["n"] is not None and m["status"] in ("pass", "warn", "fail", "insufficient_data", "error", "not_judged")
        assert m["citations"]
        if m["group"] is not None:
            assert m["sensitive_feature"] is not None


def test_an_under_represented_tiny_group_still_fails_representation(tmp_path):
    rng = np.random.default_rng(12)
    df = pd.DataFrame({"g": ["x"] * 995 + ["y"] * 5, "y": rng.integers(0, 2, 1000)})
    df["pred"] = df["y"]
    df.to_parquet(tmp_path / "d.parquet")
    (tmp_path / "pop.yaml").write_text("g: {x: 0.5, y: 0.5}\n", encoding="utf-8")
    r = run_tabular(TabularConfig(data=str(tmp_path / "d.parquet"), target="y", predictions="pred", sensitive=["g"],
                                  tests=["quality"], reference_distribution=str(tmp_path / "pop.yaml")))
    rr = next(m for m in r.metrics if m.name == "representation_ratio" and m.group == "g=y")
    assert rr.n == 5 and rr.min_group_n == 1000 and rr.status == "fail"  # the share rests on all 1000 rows


def test_missing_target_names_the_first_row(tmp_path):
    from tianping.errors import TianpingError

    df = pd.DataFrame({"y": [1, 0, None, 1] * 10, "pred": [1, 0, 0, 1] * 10})
    df.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(TianpingError, match="first at data row 3"):
        run_tabular(TabularConfig(data=str(tmp_path / "d.csv"), target="y", predictions="pred", tests=["performance"]))


def test_counterfactual_for_regression_and_multiclass(tmp_path):
    rng = np.random.default_rng(13)
    n = 600
    df = pd.DataFrame({"sex": rng.choice([0, 1], n), "x": rng.normal(size=n)})
    df["y"] = df["x"] + 0.5 * df["sex"]
    from tianping.evaluation.tabular import CallableModel

    reg = CallableModel(lambda f: (f["x"] + 0.5 * f["sex"]).to_numpy(dtype=float), task="regression")
    df.to_parquet(tmp_path / "r.parquet")
    r = run_tabular(TabularConfig(data=str(tmp_path / "r.parquet"), target="y", features=["x", "sex"], sensitive=["sex"],
                                  tests=["counterfactual"], task="regression", bootstrap=20), model=reg)
    by = _by_name(r)
    assert by["counterfactual_flip_rate"][0].value == 1.0 and by["counterfactual_flip_rate"][0].status == "not_judged"
    assert by["counterfactual_mean_change"][0].value == pytest.approx(0.5)
    df["c"] = np.where(df["sex"] == 1, 2, (df["x"] > 0).astype(int))
    df.to_parquet(tmp_path / "m.parquet")
    mc = CallableModel(lambda f: np.where(f["sex"] == 1, 2, (f["x"] > 0).astype(int)), task="classification")
    r = run_tabular(TabularConfig(data=str(tmp_path / "m.parquet"), target="c", features=["x", "sex"], sensitive=["sex"],
                                  tests=["counterfactual"], bootstrap=20), model=mc)
    (cf,) = _by_name(r)["counterfactual_flip_rate"]
    assert r.task == "multiclass" and cf.value == 1.0 and cf.status == "fail"
