"""Train the benchmark model: scikit-learn GradientBoostingClassifier(50 trees, depth 3, seed 0)
on the 32,561 Adult rows. Deterministic, so the same script gives the same trees in both venvs.

- in AI Verify's venv:  python train_model.py pickle   -> work/gbt.pkl (AI Verify needs a pickle)
- in the project venv:  python train_model.py onnx     -> work/gbt.onnx and work/gbt.skops
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("TABULAR_BENCH_WORK", "/tmp/tianping-tabular-bench"))  # generated data: never in the repo
FEATURES = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week", "workclass_code",
            "marital-status_code", "occupation_code", "relationship_code", "race_code", "sex_code"]


def train() -> GradientBoostingClassifier:
    df = pd.read_csv(WORK / "train.csv")
    return GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=0).fit(df[FEATURES], df["income"])


def main(kind: str) -> None:
    model = train()
    if kind == "pickle":
        import pickle

        (WORK / "gbt.pkl").write_bytes(pickle.dumps(model))
    else:
        import skops.io as sio
        from skl2onnx import to_onnx

        x = pd.read_csv(WORK / "train.csv")[FEATURES].to_numpy(np.float32)
        onx = to_onnx(model, x[:1], options={id(model): {"zipmap": False}}, target_opset=17)
        (WORK / "gbt.onnx").write_bytes(onx.SerializeToString())
        sio.dump(model, WORK / "gbt.skops")
    print("trained", kind)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "onnx")
