"""The numeric read path (plain number columns into a numeric-matrix model, fairness and performance only):
arrays straight from Arrow, no DataFrames and no pandas import. Its numbers must be the frame path's numbers
exactly, and fairlearn's on real data (UCI Adult) to 1e-9."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fairlearn import metrics as flm

from tianping.evaluation.tabular import TabularConfig, run_tabular
from tianping.evaluation.tabular import data as datamod

TOL = 1e-9
ROOT = Path(__file__).resolve().parents[2]
SENSITIVE = ["sex_code", "race_code"]


def _run(cfg: TabularConfig, monkeypatch, *, numeric: bool) -> tuple[dict, bool]:
    """Run with the numeric path allowed (numeric=True) or refused; return the result and whether it was taken."""
    taken = []
    real = datamod.iter_numeric_chunks

    def spy(*args, **kwargs):
        chunks = real(*args, **kwargs) if numeric else None
        taken.append(chunks is not None)
        return chunks

    monkeypatch.setattr(datamod, "iter_numeric_chunks", spy)
    result = run_tabular(cfg).model_dump(mode="json")
    return result, any(taken)


def _numbers(result: dict) -> list:
    return [(m["name"], m.get("group"), m.get("sensitive_feature"), m.get("label"), m["value"], m.get("ci"), m.get("n"),
             m.get("status")) for m in result["metrics"]]


@pytest.mark.parametrize("fmt,chunk_rows", [("csv", 250_000), ("csv", 1_000), ("parquet", 1_500)])
def test_numeric_path_gives_the_frame_paths_numbers(adult_files, adult_features, monkeypatch, fmt, chunk_rows):
    cfg = TabularConfig(data=str(adult_files[fmt]), target="income", model=str(adult_files["onnx"]), sensitive=SENSITIVE,
                        features=adult_features, tests=["fairness", "performance"], bootstrap=50, chunk_rows=chunk_rows)
    fast, taken = _run(cfg, monkeypatch, numeric=True)
    slow, not_taken = _run(cfg, monkeypatch, numeric=False)
    assert taken and not not_taken
    assert fast["n_rows"] == slow["n_rows"] == 6000
    assert _numbers(fast) == _numbers(slow)
    assert fast["summary"] == slow["summary"] and fast["labels"] == slow["labels"]


def test_numeric_path_matches_fairlearn_on_adult(adult, adult_files, adult_features, monkeypatch):
    cfg = TabularConfig(data=str(adult_files["csv"]), target="income", model=str(adult_files["onnx"]), sensitive=SENSITIVE,
                        features=adult_features, tests=["fairness"], bootstrap=20)
    result, taken = _run(cfg, monkeypatch, numeric=True)
    assert taken
    y = adult["income"].to_numpy()
    pred = adult_files["sk_model"].predict(adult[adult_features].to_numpy(np.float32))
    metrics = result["metrics"]
    for features in (["sex_code"], ["race_code"], SENSITIVE):
        key = "&".join(features)
        sf = adult[features] if len(features) > 1 else adult[features[0]]
        for name, fn in (("selection_rate", flm.selection_rate), ("true_positive_rate", flm.true_positive_rate),
                         ("false_positive_rate", flm.false_positive_rate)):
            mf = flm.MetricFrame(metrics=fn, y_true=y, y_pred=pred, sensitive_features=sf)
            ours = {m["group"]: m["value"] for m in metrics
                    if m["name"] == name and m["sensitive_feature"] == key and m.get("group") and m.get("label") in (None, "1")}
            assert len(ours) == len(mf.by_group) > 1, (name, key)
            for idx, expected in mf.by_group.items():
                idx = idx if isinstance(idx, tuple) else (idx,)
                group = "&".join(f"{f}={int(v)}" for f, v in zip(features, idx, strict=True))
                expected = 0.0 if np.isnan(expected) else float(expected)
                assert ours[group] == pytest.approx(expected, abs=TOL), (name, group)
        expected = {
            "demographic_parity_difference": flm.demographic_parity_difference(y, pred, sensitive_features=sf),
            "demographic_parity_ratio": flm.demographic_parity_ratio(y, pred, sensitive_features=sf),
            "equalized_odds_difference": flm.equalized_odds_difference(y, pred, sensitive_features=sf),
            "equalized_odds_ratio": flm.equalized_odds_ratio(y, pred, sensitive_features=sf),
        }
        for name, value in expected.items():
            (m,) = [m for m in metrics if m["name"] == name and m["sensitive_feature"] == key and m.get("group") is None]
            assert m["value"] == pytest.approx(float(value), abs=TOL), (name, key)


def test_missing_sensitive_values_and_text_columns(adult, adult_files, adult_features, tmp_path, monkeypatch):
    """A blank cell in an integer column makes it float with NaN (a "(missing)" group), as in the frame path;
    a text column anywhere in what is read sends the run through the frame path."""
    df = adult.copy()
    df["sex_code"] = df["sex_code"].astype(int)
    csv = tmp_path / "gaps.csv"
    df.to_csv(csv, index=False)
    lines = csv.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index("sex_code")
    for i in (3, 50, 4000):  # blank the sensitive value of a few data rows
        cells = lines[i].split(",")
        cells[col] = ""
        lines[i] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = TabularConfig(data=str(csv), target="income", model=str(adult_files["onnx"]), sensitive=["sex_code"],
                        features=adult_features, tests=["fairness"], bootstrap=20)
    fast, taken = _run(cfg, monkeypatch, numeric=True)
    slow, _ = _run(cfg, monkeypatch, numeric=False)
    assert taken and _numbers(fast) == _numbers(slow)
    assert any(m.get("group") == "sex_code=(missing)" for m in fast["metrics"])
    text = tmp_path / "text.csv"
    df.assign(sex=np.where(df["sex_code"] == 1, "m", "f")).to_csv(text, index=False)
    cfg = cfg.model_copy(update={"data": str(text), "sensitive": ["sex"]})
    _, taken = _run(cfg, monkeypatch, numeric=True)
    assert not taken


@pytest.mark.parametrize("arrow_type", [pa.int8(), pa.int32(), pa.int64(), pa.uint16(), pa.float32(), pa.float64()])
def test_arrow_arrays_convert_as_pandas_converts_them(arrow_type):
    rng = np.random.default_rng(3)
    for null_share in (0.0, 0.2):
        values = [None if rng.random() < null_share else int(rng.integers(0, 100)) for _ in range(500)]
        arr = pa.array(values, type=arrow_type)
        for piece in (arr, arr.slice(5, 300), arr.slice(9, 0)):
            expected = pa.table({"a": piece}).to_pandas(split_blocks=True)["a"].to_numpy()
            got = datamod._array_to_numpy(piece)
            assert got.dtype == expected.dtype and np.array_equal(got, expected, equal_nan=True), (arrow_type, null_share)


def test_fairness_run_from_the_cli_imports_no_pandas(adult_files, adult_features, tmp_path):
    probe = (
        "import json, sys\nfrom tianping.cli.main import app\nsys.argv = ['tianping', *ARGS]\n"
        "try:\n    app()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
        "mods = sorted(m for m in sys.modules if '.' not in m)\n"
        "sys.stderr.write('\\n' + json.dumps({'code': code, 'modules': mods}) + '\\n')\n"
    )
    args = ["test", "tabular", "--data", str(adult_files["csv"]), "--model", str(adult_files["onnx"]), "--target", "income",
            "--features", ",".join(adult_features), "--sensitive", "sex_code", "--tests", "fairness", "--json"]
    env = {**os.environ, "TIANPING_HOME": str(tmp_path / "home")}
    env.pop("TIANPING_DB_URL", None)
    res = subprocess.run([sys.executable, "-c", probe.replace("ARGS", repr(args))], env=env, capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    info = json.loads(res.stderr.strip().splitlines()[-1])
    assert info["code"] in (0, None), res.stdout[-2000:] + res.stderr[-2000:]
    assert json.loads(res.stdout)["n_rows"] == 6000
    heavy = {"pandas", "sklearn", "scipy"} & set(info["modules"])
    assert not heavy, sorted(heavy)
