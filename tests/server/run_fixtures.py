"""Shared material for the real-run tests: a small dataset with an ONNX model, the loopback OpenAI stub."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-test-NEVER-SHOW-3f9c1a7e5b"  # the endpoint key the tests grep for everywhere


def genai_stub():
    """The loopback OpenAI-compatible stub of the genai tests (tests/genai/genai_stub.py)."""
    sys.path.insert(0, str(ROOT / "tests" / "genai"))
    try:
        from genai_stub import Stub
    finally:
        sys.path.pop(0)
    return Stub


def make_tabular_files(d: Path, n: int = 400) -> dict[str, Path]:
    """A CSV with three features, a sensitive column and a 0/1 label, and a logistic regression as ONNX."""
    import numpy as np
    import pandas as pd
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "x3": rng.normal(size=n)})
    df["sex"] = np.where(rng.random(n) < 0.5, "female", "male")
    df["label"] = ((df.x1 + 0.5 * df.x2 + rng.normal(scale=0.5, size=n)) > 0).astype(int)
    x = df[["x1", "x2", "x3"]].to_numpy(np.float32)
    model = LogisticRegression().fit(x, df.label)
    onx = to_onnx(model, x[:1], options={id(model): {"zipmap": False}}, target_opset=17)
    (d / "model.onnx").write_bytes(onx.SerializeToString())
    df.to_csv(d / "data.csv", index=False)
    df.to_parquet(d / "data.parquet")
    return {"csv": d / "data.csv", "parquet": d / "data.parquet", "onnx": d / "model.onnx"}
