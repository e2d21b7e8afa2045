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


# ----------------------------------------------------------------- TreeSHAP from the ONNX file
def _to_onnx(model, x, path):
    from skl2onnx import to_onnx

    onx = to_onnx(model, x[:1].astype(np.float32), options={id(model): {"zipmap": False}} if hasattr(model, "classes_") else None,
                  target_opset=17)
    path.write_bytes(onx.SerializeToString())
    return path


def _f32(x):
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def test_onnx_trees_give_the_same_shap_values_as_tree_explainer_on_sklearn(adult, adult_files, adult_features):
    """The trees read from the ONNX export, explained by shap's core, agree with shap.TreeExplainer on
    the scikit-learn model (raw margin = log-odds), and the values add up to the margin."""
    import shap

    from tianping.evaluation.tabular.onnxtrees import interventional_tree_shap, read_onnx_trees

    sk = adult_files["sk_model"]
    trees = read_onnx_trees(adult_files["onnx"])
    assert trees is not None and trees.kind == "classifier" and len(trees.trees) == sk.n_estimators_
    x = _f32(adult[adult_features].to_numpy())
    explain, bg = x[:60], x[1000:1080]
    assert np.allclose(trees.margin(x[:3000])[:, 1], sk.decision_function(x[:3000]), atol=1e-6)
    vals, base = interventional_tree_shap(trees, explain, bg)
    ref = shap.TreeExplainer(sk, data=bg, feature_perturbation="interventional", model_output="raw")
    expected = ref.shap_values(explain)
    assert vals.shape == (60, len(adult_features), 2)
    assert np.abs(vals[:, :, 1] - expected).max() < 1e-6
    assert base[1] == pytest.approx(float(np.ravel(ref.expected_value)[0]), abs=1e-6)
    # additivity: base value + sum of SHAP values = the model's margin for each explained row
    assert np.abs(vals[:, :, 1].sum(axis=1) + base[1] - sk.decision_function(explain)).max() < 1e-6
    # the margin of the first class is the negative one (P(first) = 1 - sigmoid(s))
    assert np.allclose(vals[:, :, 0], -vals[:, :, 1])


def test_onnx_tree_shap_without_shap_core_uses_the_public_explainer(adult, adult_files, adult_features, monkeypatch):
    from tianping.evaluation.tabular import onnxtrees

    trees = onnxtrees.read_onnx_trees(adult_files["onnx"])
    x = _f32(adult[adult_features].to_numpy())
    fast, base_fast = onnxtrees.interventional_tree_shap(trees, x[:20], x[500:530])
    monkeypatch.setattr(onnxtrees, "_shap_core", lambda: None)
    slow, base_slow = onnxtrees.interventional_tree_shap(trees, x[:20], x[500:530])
    assert np.abs(fast - slow).max() < 1e-9 and np.allclose(base_fast, base_slow)


def _brute_force_shapley(f, explain: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Interventional Shapley values by enumerating every coalition: (rows, features, outputs)."""
    from itertools import product
    from math import factorial

    d = explain.shape[1]
    masks = np.array(list(product([0, 1], repeat=d)), dtype=bool)  # (2^d, d)
    out = []
    for x in explain:
        hybrid = np.where(masks[:, None, :], x[None, None, :], bg[None, :, :])  # (2^d, n_bg, d)
        v = np.asarray(f(hybrid.reshape(-1, d))).reshape(len(masks), len(bg), -1).mean(axis=1)  # (2^d, k)
        index = {tuple(m): i for i, m in enumerate(masks)}
        phi = np.zeros((d, v.shape[1]))
        for i, m in enumerate(masks):
            s = int(m.sum())
            for j in np.flatnonzero(~m):
                with_j = m.copy()
                with_j[j] = True
                w = factorial(s) * factorial(d - s - 1) / factorial(d)
                phi[j] += w * (v[index[tuple(with_j)]] - v[i])
        out.append(phi)
    return np.array(out)


@pytest.mark.parametrize("kind", ["multiclass_gbt", "random_forest", "regressor"])
def test_onnx_tree_shap_other_ensembles(tmp_path, adult, adult_features, kind):
    import shap
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier

    from tianping.evaluation.tabular.onnxtrees import interventional_tree_shap, read_onnx_trees

    x = _f32(adult[adult_features].to_numpy()[:3000])
    if kind == "multiclass_gbt":
        y = adult["relationship_code"].to_numpy()[:3000] % 3
        feats = [i for i, f in enumerate(adult_features) if f != "relationship_code"]
        x = x[:, feats]
        sk = GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(x, y)
    elif kind == "random_forest":
        sk = RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0).fit(x, adult["income"].to_numpy()[:3000])
    else:
        sk = GradientBoostingRegressor(n_estimators=15, max_depth=3, random_state=0).fit(x, x[:, 0] + 0.5 * x[:, 4])
    trees = read_onnx_trees(_to_onnx(sk, x, tmp_path / f"{kind}.onnx"))
    assert trees is not None
    explain, bg = x[:40], x[2000:2050]
    if kind == "multiclass_gbt":  # shap.TreeExplainer refuses multiclass GBT: exact Shapley values by enumeration
        explain, bg = explain[:4], bg[:8]
    vals, base = interventional_tree_shap(trees, explain, bg)
    if kind == "multiclass_gbt":
        expected = _brute_force_shapley(sk.decision_function, explain, bg)
    else:
        ref = shap.TreeExplainer(sk, data=bg, feature_perturbation="interventional", model_output="raw")
        expected = np.asarray(ref.shap_values(explain))
    if expected.ndim == 2:
        expected = expected[..., None]
    if kind == "multiclass_gbt":
        assert vals.shape[-1] == 3
        margin = sk.decision_function(explain)
    elif kind == "random_forest":
        margin = sk.predict_proba(explain)
    else:
        margin = sk.predict(explain)[:, None]
    assert np.abs(vals - expected).max() < 1e-6
    # ONNX stores leaf weights as float32: additivity holds to float32 precision of the margin's size
    assert np.abs(vals.sum(axis=1) + base - margin).max() < 1e-6 * max(1.0, np.abs(margin).max())


def test_onnx_pipeline_with_a_scaler_is_not_read_as_bare_trees(tmp_path, adult, adult_features):
    """Trees behind a preprocessing step see transformed inputs: no tree path, the kernel explainer is used."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from tianping.evaluation.tabular.onnxtrees import read_onnx_trees

    x = adult[adult_features].to_numpy()[:2000]
    pipe = make_pipeline(StandardScaler(), GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0))
    pipe.fit(x, adult["income"].to_numpy()[:2000])
    from skl2onnx import to_onnx

    onx = to_onnx(pipe, x[:1].astype(np.float32), options={"zipmap": False}, target_opset=17)
    path = tmp_path / "pipe.onnx"
    path.write_bytes(onx.SerializeToString())
    assert read_onnx_trees(path) is None
    df = adult.iloc[:2000]
    data = tmp_path / "d.parquet"
    df.to_parquet(data)
    r = run_tabular(TabularConfig(data=str(data), target="income", model=str(path), features=adult_features, tests=["explain"],
                                  explain_rows=200, shap_samples=5, shap_background=5, shap_max_evals=64))
    assert {m.details["explainer"] for m in r.metrics if m.name == "mean_abs_shap"} == {"kernel"}


def test_onnx_class_labels_read_without_the_onnx_package(tmp_path, adult, adult_features):
    import onnx
    from sklearn.tree import DecisionTreeClassifier

    from tianping.evaluation.tabular.onnxtrees import class_labels, read_graph_nodes

    x = adult[adult_features].to_numpy()[:1000]
    y = np.where(adult["income"].to_numpy()[:1000] == 1, "high", "low")
    path = _to_onnx(DecisionTreeClassifier(max_depth=3, random_state=0).fit(x, y), x, tmp_path / "dt.onnx")
    nodes, inputs = read_graph_nodes(path)
    ref = onnx.load(str(path))
    assert inputs == [i.name for i in ref.graph.input]
    assert [n.op_type for n in nodes] == [n.op_type for n in ref.graph.node]
    assert class_labels(nodes) == ["high", "low"]


def test_run_explains_an_onnx_tree_model_with_tree_shap(adult_files, adult_features):
    r = run_tabular(TabularConfig(data=str(adult_files["parquet"]), target="income", model=str(adult_files["onnx"]),
                                  features=adult_features, tests=["explain"], explain_rows=400, shap_samples=25,
                                  shap_background=25))
    shap_metrics = [m for m in r.metrics if m.name == "mean_abs_shap"]
    assert len(shap_metrics) == len(adult_features)
    d = shap_metrics[0].details
    assert d["explainer"] == "tree" and d["feature_perturbation"] == "interventional" and d["output"] == "margin"
    assert d["explained_rows"] == 25 and d["background_rows"] == 25
    top = max(shap_metrics, key=lambda m: m.value).feature
    assert top in {"relationship_code", "marital-status_code", "capital-gain", "education-num", "age"}


@pytest.mark.parametrize("mode", ["BRANCH_LT", "BRANCH_GT", "BRANCH_GTE"])
def test_onnx_split_modes_are_read_as_onnxruntime_evaluates_them(tmp_path, mode):
    """Trees written with <, > or >= splits (other converters) give the same margins as onnxruntime."""
    import onnx
    import onnxruntime as ort
    from sklearn.tree import DecisionTreeRegressor

    from tianping.evaluation.tabular.onnxtrees import read_onnx_trees

    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, size=(2000, 3)).astype(np.float32)
    sk = DecisionTreeRegressor(max_depth=4, random_state=0).fit(x, x[:, 0] * 2 + x[:, 1])
    path = _to_onnx(sk, x, tmp_path / "dt.onnx")
    model = onnx.load(str(path))
    attrs = {a.name: a for a in model.graph.node[0].attribute}
    modes, values = list(attrs["nodes_modes"].strings), list(attrs["nodes_values"].floats)
    true_ids, false_ids = list(attrs["nodes_truenodeids"].ints), list(attrs["nodes_falsenodeids"].ints)
    for i, m in enumerate(modes):  # same tree, other comparison: integer data, thresholds k + 0.5
        if m == b"LEAF":
            continue
        if mode in ("BRANCH_LT", "BRANCH_GTE"):
            values[i] = float(np.floor(values[i]) + 1)  # x <= k + 0.5  <=>  x < k + 1
        if mode in ("BRANCH_GT", "BRANCH_GTE"):
            true_ids[i], false_ids[i] = false_ids[i], true_ids[i]
        modes[i] = mode.encode()
    for name, new in (("nodes_modes", modes), ("nodes_values", values), ("nodes_truenodeids", true_ids),
                      ("nodes_falsenodeids", false_ids)):
        field = {"nodes_modes": "strings", "nodes_values": "floats"}.get(name, "ints")
        del getattr(attrs[name], field)[:]
        getattr(attrs[name], field).extend(new)
    path.write_bytes(model.SerializeToString())
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = sess.run(None, {sess.get_inputs()[0].name: x})[0].ravel()
    trees = read_onnx_trees(path)
    assert np.abs(trees.margin(x.astype(np.float64))[:, 0] - expected).max() == 0.0
    assert np.abs(expected - sk.predict(x)).max() < 1e-5  # and the edit kept the model's meaning


@pytest.mark.parametrize("kind", ["gbt_binary", "gbt_multiclass", "gbt_regressor", "forest", "tree"])
def test_sklearn_trees_read_directly_agree_with_shap(adult, adult_features, kind):
    """scikit-learn tree models (e.g. from skops) are explained from their arrays like ONNX trees: same values
    as shap.TreeExplainer (or exact enumeration where shap has no reader), and additive to the raw margin."""
    import shap
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier
    from sklearn.tree import DecisionTreeRegressor

    from tianping.evaluation.tabular.onnxtrees import interventional_tree_shap, sklearn_trees

    x = _f32(adult[adult_features].to_numpy()[:2000])
    y = adult["income"].to_numpy()[:2000]
    if kind == "gbt_binary":
        sk = GradientBoostingClassifier(n_estimators=12, max_depth=3, random_state=0).fit(x, y)
        raw = sk.decision_function
    elif kind == "gbt_multiclass":
        x = x[:, :8]
        sk = GradientBoostingClassifier(n_estimators=6, max_depth=2, random_state=0).fit(x, adult["race_code"].to_numpy()[:2000] % 3)
        raw = sk.decision_function
    elif kind == "gbt_regressor":
        sk = GradientBoostingRegressor(n_estimators=12, max_depth=3, random_state=0).fit(x, x[:, 0] + x[:, 4])
        raw = sk.predict
    elif kind == "forest":
        sk = RandomForestClassifier(n_estimators=6, max_depth=4, random_state=0).fit(x, y)
        raw = sk.predict_proba
    else:
        sk = DecisionTreeRegressor(max_depth=5, random_state=0).fit(x, x[:, 0] * 2 - x[:, 1])
        raw = sk.predict
    trees = sklearn_trees(sk, x.shape[1])
    assert trees is not None
    explain, bg = (x[:4], x[1000:1008]) if kind == "gbt_multiclass" else (x[:40], x[1000:1050])
    vals, base = interventional_tree_shap(trees, explain, bg)
    margin = np.asarray(raw(explain), dtype=np.float64)
    margin = margin.reshape(len(explain), -1)
    if kind == "gbt_binary":
        vals, base = vals[:, :, 1:], base[1:]
    assert np.abs(vals.sum(axis=1) + base - margin).max() < 1e-6 * max(1.0, np.abs(margin).max())
    if kind == "gbt_multiclass":
        expected = _brute_force_shapley(sk.decision_function, explain, bg)
    else:
        expected = np.asarray(shap.TreeExplainer(sk, data=bg, feature_perturbation="interventional", model_output="raw")
                              .shap_values(explain))
        if expected.ndim == 2:
            expected = expected[..., None]
    assert np.abs(vals - expected).max() < 1e-6
