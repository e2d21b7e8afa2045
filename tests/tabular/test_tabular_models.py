"""Model formats: ONNX, skops (trusted types), XGBoost/LightGBM native, HTTP, callable,
precomputed predictions; pickle refused without --trust-pickle (a malicious pickle never runs)."""

from __future__ import annotations

import json
import pickle
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pandas as pd
import pytest

from tianping.errors import TianpingError
from tianping.evaluation.tabular import CallableModel, TabularConfig, load_model, run_tabular
from tianping.evaluation.tabular import models as models_mod


class _Evil:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned.txt"
    for name in ("model.pkl", "model.onnx.bin"):  # by suffix, and by content sniffing
        evil = tmp_path / name
        evil.write_bytes(pickle.dumps(_Evil(str(marker)), protocol=4))
        with pytest.raises(TianpingError) as e:
            load_model(str(evil))
        msg = str(e.value)
        assert "refusing to load a pickle" in msg and "runs code" in msg and "--trust-pickle" in msg
        assert not marker.exists()


def test_trusted_pickle_loads_when_the_user_says_so(tmp_path, adult, adult_features):
    from sklearn.tree import DecisionTreeClassifier

    est = DecisionTreeClassifier(max_depth=3).fit(adult[adult_features].iloc[:500], adult["income"].iloc[:500])
    path = tmp_path / "lr.pkl"
    path.write_bytes(pickle.dumps(est))
    m = load_model(str(path), trust_pickle=True)
    assert m.kind == "pickle" and m.predict(adult[adult_features].iloc[:10]).labels.shape == (10,)


def test_onnx_model_predicts_like_sklearn(adult, adult_files, adult_features):
    m = load_model(str(adult_files["onnx"]))
    assert m.kind == "ONNX" and m.task == "classification" and m.classes == [0, 1]
    x = adult[adult_features].iloc[:500]
    p = m.predict(x)
    sk = adult_files["sk_model"].predict_proba(x.to_numpy(np.float32))
    assert np.allclose(p.proba, sk, atol=1e-5)
    assert (p.labels == adult_files["sk_model"].predict(x.to_numpy(np.float32))).mean() > 0.99


def test_onnx_rejects_text_columns_naming_them(adult, adult_files):
    m = load_model(str(adult_files["onnx"]))
    x = adult[["age", "education-num", "capital-gain", "capital-loss", "hours-per-week", "workclass",
               "marital-status", "occupation", "relationship", "race", "sex"]]
    with pytest.raises(TianpingError) as e:
        m.predict(x.iloc[:10])
    assert "column 'workclass' is not numeric" in str(e.value)


def test_skops_pipeline_with_text_columns(german):
    m = load_model(str(german["skops"]))
    assert m.kind == "skops" and m.feature_names == german["features"]
    p = m.predict(german["frame"][german["features"]])
    assert np.array_equal(p.labels, german["model"].predict(german["frame"][german["features"]]))


def test_skops_untrusted_types_are_refused_until_trusted(tmp_path, adult, adult_features, monkeypatch):
    import skops.io as sio
    from sklearn.ensemble import RandomForestClassifier

    rf = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(adult[adult_features].iloc[:300], adult["income"].iloc[:300])
    path = tmp_path / "rf.skops"
    sio.dump(rf, path)
    monkeypatch.setattr(models_mod, "DEFAULT_SKOPS_TRUSTED", ())
    with pytest.raises(TianpingError) as e:
        load_model(str(path))
    assert "sklearn.tree._tree.Tree" in str(e.value) and "--trust-type" in str(e.value)
    m = load_model(str(path), trusted_types=["sklearn.tree._tree.Tree"])
    assert m.tree is rf.__class__ or m.tree is not None


def test_xgboost_and_lightgbm_native_files(tmp_path, adult, adult_features):
    import lightgbm as lgb
    import xgboost as xgb

    x, y = adult[adult_features].to_numpy(), adult["income"].to_numpy()
    xm = xgb.XGBClassifier(n_estimators=20, max_depth=3).fit(x, y)
    xm.save_model(tmp_path / "m.json")
    lm = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(x, y)
    lm.booster_.save_model(str(tmp_path / "m.txt"))
    for path, ref in ((tmp_path / "m.json", xm), (tmp_path / "m.txt", lm)):
        m = load_model(str(path))
        assert m.task == "classification" and m.tree is not None
        p = m.predict(adult[adult_features].iloc[:200])
        assert np.allclose(p.proba[:, 1], ref.predict_proba(x[:200])[:, 1], atol=1e-5)


class _Handler(BaseHTTPRequestHandler):
    calls: list[int] = []

    def do_POST(self):  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        rows = body["instances"]
        type(self).calls.append(len(rows))
        preds = [int(r["age"] > 40) for r in rows]
        out = json.dumps({"predictions": preds, "probabilities": [[1 - p, p] for p in preds], "classes": [0, 1]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def test_http_endpoint_is_batched(adult_files):
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/predict"
        _Handler.calls.clear()
        r = run_tabular(TabularConfig(data=str(adult_files["parquet"]), target="income", model=url, features=["age", "sex"],
                                      sensitive=["sex"], tests=["performance", "fairness"], http_batch=1000, bootstrap=0))
        assert r.n_rows == 6000 and max(_Handler.calls) <= 1000 and sum(_Handler.calls) == 6000
        df = pd.read_parquet(adult_files["parquet"])
        acc = next(m.value for m in r.metrics if m.name == "accuracy")
        assert acc == pytest.approx(float(((df["age"] > 40).astype(int) == df["income"]).mean()))
    finally:
        server.shutdown()


def test_http_endpoint_errors_are_user_errors():
    m = load_model("http://127.0.0.1:9/predict")
    with pytest.raises(TianpingError) as e:
        m.predict(pd.DataFrame({"a": [1.0]}))
    assert "unreachable" in str(e.value)


def test_callable_and_precomputed_predictions_agree(adult_files):
    df = pd.read_parquet(adult_files["parquet"])
    df["rule"] = (df["education-num"] >= 13).astype(int)
    path = adult_files["dir"] / "with_pred.parquet"
    df.to_parquet(path)
    a = run_tabular(TabularConfig(data=str(path), target="income", predictions="rule", sensitive=["sex"], bootstrap=0))
    fn = CallableModel(lambda f: (f["education-num"] >= 13).astype(int).to_numpy())
    b = run_tabular(TabularConfig(data=str(path), target="income", features=["education-num"], sensitive=["sex"],
                                  tests=["fairness", "performance"], bootstrap=0), model=fn)
    va = {(m.name, m.group, m.sensitive_feature): m.value for m in a.metrics if m.test in ("fairness", "performance")}
    vb = {(m.name, m.group, m.sensitive_feature): m.value for m in b.metrics}
    assert va == vb
    assert "robustness skipped: no model to query (precomputed predictions)" in a.notes
