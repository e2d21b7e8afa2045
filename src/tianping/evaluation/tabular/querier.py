"""Asking the model about modified rows, as label codes, in as few calls as possible.

The robustness and explanation tests re-query the model on many variants of a sample. Models that
take a numeric matrix get one `predict_array` call per batch; other models (pipelines with text
columns, endpoints) get a DataFrame built by replacing the numeric columns of the source rows.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from .labels import Encoded, _codes, label_key
from .models import ModelAdapter


class Querier:
    def __init__(self, model: ModelAdapter, frame: pd.DataFrame, enc: Encoded, numeric: list[str], batch: int = 100_000):
        self.model, self.frame, self.enc, self.numeric = model, frame.reset_index(drop=True), enc, numeric
        self.batch = batch
        self.fast = model.numeric_only and list(numeric) == list(frame.columns)
        self.keys = enc.class_names

    def _codes(self, labels: np.ndarray) -> np.ndarray:
        if self.enc.task == "regression":
            return np.asarray(labels, dtype=np.float64)
        return _codes(np.asarray(labels), self.enc.classes, self.keys, "the model's predictions", "prediction")

    def frame_with(self, x: np.ndarray, idx: np.ndarray) -> pd.DataFrame:
        """Source rows `idx` with their numeric columns replaced by `x`."""
        f = self.frame.iloc[idx].reset_index(drop=True)
        f[self.numeric] = x
        return f

    def predict_numeric(self, x: np.ndarray, idx: np.ndarray, proba: bool = False) -> np.ndarray:
        """Codes (or probabilities with `proba`) for numeric rows `x` built on source rows `idx`."""
        outs = []
        for s in range(0, len(x), self.batch):
            xs, ids = x[s : s + self.batch], idx[s : s + self.batch]
            p = self.model.predict_array(xs) if self.fast else self.model.predict(self.frame_with(xs, ids))
            outs.append(self._value(p, proba))
        return np.concatenate(outs) if outs else np.empty(0)

    def predict_frame(self, frame: pd.DataFrame, proba: bool = False) -> np.ndarray:
        outs = []
        for s in range(0, len(frame), self.batch):
            outs.append(self._value(self.model.predict(frame.iloc[s : s + self.batch]), proba))
        return np.concatenate(outs) if outs else np.empty(0)

    def predict_both(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Codes and scores (P(positive), class probabilities, or the regression value; None if unknown) in one call per batch."""
        codes: list[np.ndarray] = []
        scores: list[np.ndarray | None] = []
        for s in range(0, len(frame), self.batch):
            p = self.model.predict(frame.iloc[s : s + self.batch])
            codes.append(self._value(p, False))
            scores.append(None if (self.enc.task != "regression" and p.proba is None) else self._value(p, True))
        c = np.concatenate(codes) if codes else np.empty(0)
        sc = np.concatenate(cast(list[np.ndarray], scores)) if scores and all(x is not None for x in scores) else None
        return c, sc

    def _value(self, p, proba: bool) -> np.ndarray:
        if not proba:
            return self._codes(p.labels)
        if self.enc.task == "regression" or p.proba is None:
            return np.asarray(p.labels, dtype=np.float64)
        return p.proba[:, self.enc.positive] if self.enc.task == "binary" else p.proba

    def score(self, values: np.ndarray) -> float:
        """Accuracy of codes against the sample's truth (or MAE for regression)."""
        y = self.enc.y
        if self.enc.task == "regression":
            return float(np.mean(np.abs(values - y)))
        return float(np.mean(values == y))


__all__ = ["Querier", "label_key"]
