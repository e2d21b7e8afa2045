"""Overall performance: classification scores, calibration (ECE + reliability data), regression errors.

Everything is NumPy: accuracy, the confusion matrix and the ECE are single `bincount`s over
integer codes, and ROC-AUC / average precision sort the scores once (same definitions as
scikit-learn's `roc_auc_score` and `average_precision_score`, checked in the tests). Not importing
scikit-learn here saves most of a second per run and keeps a million rows well under a second.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from .labels import Encoded
from .results import MetricSink

N_BINS = 10


def reliability(conf: np.ndarray, hit: np.ndarray, n_bins: int = N_BINS) -> dict[str, Any]:
    """Equal-width bins of confidence: count, mean confidence, observed frequency, and the ECE."""
    bins = np.minimum((conf * n_bins).astype(np.int64), n_bins - 1)
    cnt = np.bincount(bins, minlength=n_bins).astype(np.float64)
    sc = np.bincount(bins, weights=conf, minlength=n_bins)
    sh = np.bincount(bins, weights=hit.astype(np.float64), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.where(cnt > 0, sc / np.maximum(cnt, 1), np.nan)
        freq = np.where(cnt > 0, sh / np.maximum(cnt, 1), np.nan)
    ece = float(np.abs(sc - sh).sum() / max(cnt.sum(), 1))
    return {
        "bins": n_bins,
        "count": cnt.astype(int).tolist(),
        "mean_confidence": mean_conf.tolist(),
        "observed_frequency": freq.tolist(),
        "ece": ece,
    }


def _curve(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative true and false positives at each distinct threshold, highest score first."""
    order = np.argsort(-score, kind="mergesort")
    s, yy = score[order], y[order].astype(np.float64)
    distinct = np.flatnonzero(np.diff(s)) if len(s) > 1 else np.empty(0, dtype=np.int64)
    ends = np.concatenate([distinct, [len(s) - 1]])
    tps = np.cumsum(yy)[ends]
    fps = (ends + 1) - tps
    return tps, fps, s[ends]


def roc_auc(y: np.ndarray, score: np.ndarray, curve: tuple | None = None) -> float:
    """Area under the ROC curve (trapezoids over distinct thresholds, ties handled as in scikit-learn)."""
    tps, fps, _ = curve if curve is not None else _curve(y, score)
    if tps[-1] == 0 or fps[-1] == 0:
        return float("nan")
    tpr = np.concatenate([[0.0], tps / tps[-1]])
    fpr = np.concatenate([[0.0], fps / fps[-1]])
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def average_precision(y: np.ndarray, score: np.ndarray, curve: tuple | None = None) -> float:
    """Average precision: sum over thresholds of (recall step) x precision, as scikit-learn."""
    tps, fps, _ = curve if curve is not None else _curve(y, score)
    if tps[-1] == 0:
        return float("nan")
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))


def classification_performance(sink: MetricSink, enc: Encoded) -> dict[str, Any]:
    y, pred, k = enc.y, enc.pred, len(enc.classes)
    n = len(y)
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    sink.add("accuracy", float(np.trace(cm)) / n, n=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall_c = np.diag(cm) / cm.sum(axis=1)
        prec_c = np.diag(cm) / cm.sum(axis=0)
    sink.add("balanced_accuracy", float(np.nanmean(recall_c)), n=n)
    if enc.task == "binary":
        p = cast(int, enc.positive)  # set for every binary task
        label = enc.class_names[p]
        prec, rec = prec_c[p], recall_c[p]
        sink.add("precision", prec, n=n, label=label)
        sink.add("recall", rec, n=n, label=label)
        sink.add("f1", 2 * prec * rec / (prec + rec) if (prec + rec) > 0 else 0.0, n=n, label=label)
    else:
        prec_c0, rec_c0 = np.nan_to_num(prec_c), np.nan_to_num(recall_c)
        with np.errstate(invalid="ignore", divide="ignore"):
            f1_c = np.where(prec_c0 + rec_c0 > 0, 2 * prec_c0 * rec_c0 / (prec_c0 + rec_c0), 0.0)
        sink.add("precision", float(prec_c0.mean()), n=n, details={"average": "macro"})
        sink.add("recall", float(rec_c0.mean()), n=n, details={"average": "macro"})
        sink.add("f1", float(f1_c.mean()), n=n, details={"average": "macro"})
    sink.add("confusion_matrix", cm.tolist(), n=n, details={"labels": enc.class_names})
    out: dict[str, Any] = {"confusion_matrix": cm.tolist(), "labels": enc.class_names}
    if enc.proba is None:
        return out
    proba = np.clip(enc.proba, 0.0, 1.0)
    present = np.unique(y)
    curve = None
    if enc.task == "binary":
        score = proba[:, enc.positive]
        yb = (y == enc.positive).astype(np.int64)
        curve = _curve(yb, score) if len(present) == 2 else None  # one sort serves ROC, PR and the plot
        if curve is not None:
            sink.add("roc_auc", roc_auc(yb, score, curve), n=n, label=label)
            sink.add("pr_auc", average_precision(yb, score, curve), n=n, label=label)
        sink.add("brier_score", float(np.mean((score - yb) ** 2)), n=n, label=label)
        rel = reliability(score, yb)
    else:
        if len(present) == k:
            aucs = [roc_auc((y == c).astype(np.int64), proba[:, c]) for c in range(k)]
            aps = [average_precision((y == c).astype(np.int64), proba[:, c]) for c in range(k)]
            sink.add("roc_auc", float(np.mean(aucs)), n=n, details={"average": "macro one-vs-rest"})
            sink.add("pr_auc", float(np.mean(aps)), n=n, details={"average": "macro"})
        conf = proba.max(axis=1)
        rel = reliability(conf, pred == y)
    eps = 1e-15
    p_true = np.clip(proba[np.arange(n), y], eps, 1.0)
    sink.add("log_loss", float(-np.mean(np.log(p_true))), n=n)
    sink.add("expected_calibration_error", rel["ece"], n=n, details={k2: v for k2, v in rel.items() if k2 != "ece"})
    out["reliability"] = rel
    if enc.task == "binary" and curve is not None:
        tps, fps, _ = curve
        step = max(1, len(tps) // 500)
        out["roc"] = {"fpr": (fps / fps[-1])[::step].tolist(), "tpr": (tps / tps[-1])[::step].tolist()}
    return out


def regression_performance(sink: MetricSink, enc: Encoded) -> dict[str, Any]:
    err = enc.pred - enc.y
    n = len(err)
    sink.add("mean_absolute_error", float(np.mean(np.abs(err))), n=n)
    sink.add("root_mean_squared_error", float(np.sqrt(np.mean(err**2))), n=n)
    ss_tot = float(np.sum((enc.y - enc.y.mean()) ** 2))
    sink.add("r2", 1 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else np.nan, n=n)
    return {}
