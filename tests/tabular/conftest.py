"""Fixtures for the tabular tests: Adult and German credit samples, models trained here and saved
as ONNX (skl2onnx) and skops. Rows are sampled so the default run stays fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "fairness"
ADULT_NUM = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
ADULT_CAT = ["workclass", "marital-status", "occupation", "relationship", "race", "sex"]


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"shared test data missing: {path}")
    return path


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    """6,000 rows of UCI Adult with a 0/1 target and numeric codes for the categorical columns."""
    df = pd.read_csv(_need(SHARED / "adult.csv")).sample(6000, random_state=1).reset_index(drop=True)
    df["income"] = (df["income-per-year"] == ">50K").astype(int)
    for c in ADULT_CAT:
        df[c + "_code"] = pd.factorize(df[c], sort=True)[0].astype(float)
    for c in ADULT_NUM:
        df[c] = df[c].astype(float)
    return df.drop(columns=["income-per-year", "fnlwgt", "education", "native-country"])


ADULT_FEATURES = ADULT_NUM + [c + "_code" for c in ADULT_CAT]


@pytest.fixture(scope="session")
def adult_features() -> list[str]:
    return list(ADULT_FEATURES)


@pytest.fixture(scope="session")
def adult_files(adult, tmp_path_factory) -> dict[str, Path]:
    """The Adult sample as Parquet/CSV/Arrow, and a gradient-boosting model as ONNX."""
    from sklearn.ensemble import GradientBoostingClassifier
    from skl2onnx import to_onnx

    d = tmp_path_factory.mktemp("adult")
    adult.to_parquet(d / "adult.parquet")
    adult.to_csv(d / "adult.csv", index=False)
    adult.to_feather(d / "adult.feather")
    x = adult[ADULT_FEATURES].to_numpy(np.float32)
    model = GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0).fit(x, adult["income"])
    onx = to_onnx(model, x[:1], options={id(model): {"zipmap": False}}, target_opset=17)
    (d / "gbt.onnx").write_bytes(onx.SerializeToString())
    return {"dir": d, "parquet": d / "adult.parquet", "csv": d / "adult.csv", "feather": d / "adult.feather",
            "onnx": d / "gbt.onnx", "sk_model": model}


@pytest.fixture(scope="session")
def german(tmp_path_factory) -> dict:
    """German credit with a skops pipeline (one-hot text columns + logistic regression)."""
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df = pd.read_csv(_need(SHARED / "german_credit.csv"))
    df["good"] = (df["credit"] == 1).astype(int)
    df["age_group"] = np.where(df["age"] >= 25, "25+", "under25")
    df["sex"] = np.where(df["personal_status"].isin(["A92", "A95"]), "female", "male")
    df = df.drop(columns=["credit"])
    cats = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c]) and c not in ("age_group", "sex")]
    nums = [c for c in df.columns if c not in cats and c not in ("good", "age_group", "sex")]
    feats = cats + nums
    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), cats), (StandardScaler(), nums)),
        LogisticRegression(max_iter=500),
    ).fit(df[feats], df["good"])
    d = tmp_path_factory.mktemp("german")
    sio.dump(pipe, d / "german.skops")
    df.to_csv(d / "german.csv", index=False)
    return {"frame": df, "csv": d / "german.csv", "skops": d / "german.skops", "features": feats, "model": pipe,
            "categorical": cats, "numeric": nums}
