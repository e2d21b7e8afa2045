"""Data quality in the spirit of ISO/IEC 5259: completeness, uniqueness, balance, representation,
leakage hints and drift against reference (training) data.

Exact counts (missing values, duplicates via 64-bit row hashes, class and group shares) are
accumulated chunk by chunk over the whole file; the statistics that need whole distributions
(leakage, PSI, KS) use the bounded row sample the runner keeps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...errors import Problem, TianpingError
from .groups import MISSING
from .labels import label_key
from .results import MetricSink


class QualityStats:
    """Streaming counters over every row of the data."""

    def __init__(self, columns: list[str], sensitive: list[str]):
        self.columns, self.sensitive = columns, sensitive
        self.n = 0
        self.missing = np.zeros(len(columns), dtype=np.int64)
        self.hashes: list[np.ndarray] = []
        self.group_counts: dict[str, pd.Series] = {}

    def add(self, chunk: pd.DataFrame) -> None:
        part = chunk[self.columns]
        self.n += len(part)
        self.missing += part.isna().sum().to_numpy()
        self.hashes.append(pd.util.hash_pandas_object(part, index=False).to_numpy())
        for col in self.sensitive:
            vc = chunk[col].value_counts(dropna=False)
            vc.index = [MISSING if pd.isna(k) else label_key(k) for k in vc.index]
            prev = self.group_counts.get(col)
            self.group_counts[col] = vc if prev is None else prev.add(vc, fill_value=0)

    def row_hashes(self) -> np.ndarray:
        return np.concatenate(self.hashes) if self.hashes else np.empty(0, dtype=np.uint64)


def load_reference_distribution(path: str) -> dict[str, dict[str, float]]:
    """A YAML/JSON mapping {sensitive feature: {group value: share}}; shares are normalised."""
    from pydantic import RootModel, ValidationError

    from ...yamlio import load_yaml_file, validation_problems

    class _Dist(RootModel[dict[str, dict[str, float]]]):
        pass

    doc = load_yaml_file(path)
    try:
        dist = _Dist.model_validate(doc.data).root
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid reference distribution") from None
    out = {}
    for col, shares in dist.items():
        total = sum(shares.values())
        if total <= 0 or any(v < 0 for v in shares.values()):
            raise TianpingError(
                Problem("shares must be non-negative and not all zero", file=path, line=doc.line_of((col,)), field=col),
                title="invalid reference distribution",
            )
        out[col] = {str(k): v / total for k, v in shares.items()}
    return out


def _single_feature_score(x: pd.Series, y: np.ndarray, task: str, positive: int | None) -> float | None:
    """How well one feature alone predicts the target: folded ROC-AUC, or |Spearman correlation|."""
    from .performance import roc_auc  # same definition as scikit-learn's, without importing it (seconds)

    if task == "multiclass":
        return None
    if pd.api.types.is_numeric_dtype(x):
        v = x.to_numpy(dtype=np.float64)
        v = np.where(np.isnan(v), np.nanmedian(v) if np.isfinite(v).any() else 0.0, v)
    else:  # target-mean encoding of the categories
        codes, _ = pd.factorize(x.astype(object), use_na_sentinel=False)
        target = (y == positive).astype(np.float64) if task == "binary" else y.astype(np.float64)
        means = np.bincount(codes, weights=target) / np.maximum(np.bincount(codes), 1)
        v = means[codes]
    if np.all(v == v[0]):
        return 0.5 if task == "binary" else 0.0
    if task == "binary":
        yb = (y == positive).astype(np.int64)
        if yb.min() == yb.max():
            return None
        auc = roc_auc(yb, v)
        return float(max(auc, 1 - auc))
    rx, ry = pd.Series(v).rank().to_numpy(), pd.Series(y).rank().to_numpy()
    c = np.corrcoef(rx, ry)[0, 1]
    return float(abs(c)) if np.isfinite(c) else None


def psi(ref: np.ndarray, cur: np.ndarray, bins: int = 10) -> float:
    """Population stability index over the reference's quantile bins (numeric) — 1e-4 floor per bin."""
    edges = np.unique(np.nanquantile(ref, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0
    inner = edges[1:-1]
    r = np.bincount(np.searchsorted(inner, ref[~np.isnan(ref)], side="right"), minlength=len(edges) - 1)
    c = np.bincount(np.searchsorted(inner, cur[~np.isnan(cur)], side="right"), minlength=len(edges) - 1)
    return _psi_counts(r, c)


def _psi_counts(r: np.ndarray, c: np.ndarray) -> float:
    p = np.maximum(r / max(r.sum(), 1), 1e-4)
    q = np.maximum(c / max(c.sum(), 1), 1e-4)
    return float(np.sum((q - p) * np.log(q / p)))


def run_quality(
    sink: MetricSink,
    stats: QualityStats,
    *,
    y: np.ndarray,
    class_names: list[str],
    task: str,
    positive: int | None,
    sample: pd.DataFrame,
    features: list[str],
    target: str,
    reference: pd.DataFrame | None = None,
    reference_distribution: dict[str, dict[str, float]] | None = None,
    ref_hashes: np.ndarray | None = None,
    drift_columns: list[str] | None = None,
    sample_y: np.ndarray | None = None,
) -> dict[str, Any]:
    n = stats.n
    out: dict[str, Any] = {}
    for col, miss in zip(stats.columns, stats.missing, strict=False):
        sink.add("missing_rate", miss / n if n else np.nan, feature=col, n=n)
    hashes = stats.row_hashes()
    dup = 1 - len(np.unique(hashes)) / n if n else np.nan
    sink.add("duplicate_rate", dup, n=n)
    if task != "regression":
        counts = np.bincount(y, minlength=len(class_names))
        for name, c in zip(class_names, counts, strict=False):
            sink.add("class_share", c / n, label=name, n=n)
        present = counts[counts > 0]
        sink.add(
            "class_balance_ratio",
            present.min() / present.max() if len(present) else np.nan,
            n=n,
            details={"counts": dict(zip(class_names, counts.tolist(), strict=False))},
        )
    for col, vc in stats.group_counts.items():
        shares = vc / vc.sum()
        for g, s in shares.sort_index().items():
            sink.add("group_share", float(s), group=f"{col}={g}", sensitive_feature=col, n=int(vc[g]))
        ref = None
        if reference_distribution and col in reference_distribution:
            ref = reference_distribution[col]
        elif reference is not None and col in reference.columns:
            rv = reference[col].value_counts(normalize=True, dropna=False)
            ref = {MISSING if pd.isna(k) else label_key(k): float(v) for k, v in rv.items()}
        if ref is not None:
            for g, rs in sorted(ref.items()):
                obs = float(shares.get(g, 0.0))
                # the share is measured over all n rows: a group with few (or no) rows is the finding, not too little data
                sink.add(
                    "representation_ratio",
                    obs / rs if rs > 0 else np.nan,
                    group=f"{col}={g}",
                    sensitive_feature=col,
                    n=int(vc.get(g, 0)),
                    support=n,
                    details={"observed_share": obs, "reference_share": rs},
                )
            keys = set(ref) | set(shares.index)
            tvd = 0.5 * sum(abs(float(shares.get(k, 0.0)) - ref.get(k, 0.0)) for k in keys)
            sink.add("representation_distance", tvd, sensitive_feature=col, n=n)
    yy = sample_y if sample_y is not None else None
    if yy is not None and len(sample):
        for col in features:
            s = _single_feature_score(sample[col], yy, task, positive)
            if s is not None:
                sink.add(
                    "leakage_score",
                    s,
                    feature=col,
                    n=len(sample),
                    details={"method": "single-feature ROC-AUC (folded)" if task == "binary" else "|Spearman correlation|"},
                )
    if ref_hashes is not None and n:
        overlap = float(np.isin(hashes, ref_hashes).mean())
        sink.add("train_test_overlap_rate", overlap, n=n)
    if reference is not None and len(sample):
        from scipy.stats import ks_2samp

        drift = {}
        for col in drift_columns or features:
            if col not in reference.columns:
                continue
            cur, ref_col = sample[col], reference[col]
            if pd.api.types.is_numeric_dtype(cur) and pd.api.types.is_numeric_dtype(ref_col):
                a, b = ref_col.to_numpy(dtype=np.float64), cur.to_numpy(dtype=np.float64)
                p = psi(a, b)
                a2, b2 = a[~np.isnan(a)], b[~np.isnan(b)]
                ks = ks_2samp(a2, b2) if len(a2) and len(b2) else None
                sink.add("population_stability_index", p, feature=col, n=len(b))
                if ks is not None:
                    sink.add("ks_statistic", float(ks.statistic), feature=col, n=len(b), details={"p_value": float(ks.pvalue)})
                drift[col] = {"psi": p, "ks": float(ks.statistic) if ks is not None else None}
            else:
                rc = ref_col.astype(object).fillna(MISSING).map(str).value_counts()
                cc = cur.astype(object).fillna(MISSING).map(str).value_counts()
                cats = sorted(set(rc.index) | set(cc.index))
                p = _psi_counts(rc.reindex(cats, fill_value=0).to_numpy(), cc.reindex(cats, fill_value=0).to_numpy())
                sink.add("population_stability_index", p, feature=col, n=len(cur), details={"categorical": True})
                drift[col] = {"psi": p}
        out["drift"] = drift
    return out
