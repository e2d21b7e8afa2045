"""Explainability: permutation importance, SHAP, partial dependence and ALE.

SHAP comes from the `shap` library: `TreeExplainer` (exact, fast) when the model is a tree
ensemble we can hand to it (XGBoost/LightGBM boosters, scikit-learn tree estimators), otherwise
the model-agnostic `KernelExplainer` with an explicit budget (background rows, explained rows,
coalitions per row). Text features are mapped to integer codes for the masker and decoded
before each model call, so any model can be explained. All other quantities query the model in
one batch per feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...errors import Problem, TianpingError
from .keyed_random import row_bits
from .labels import Encoded
from .partitions import map_parts
from .querier import Querier
from .results import MetricSink


def _output(q: Querier, frame: pd.DataFrame, cls: int | None) -> np.ndarray:
    """The number to explain: P(positive), P(cls) for multiclass, or the regression value."""
    out = q.predict_frame(frame, proba=True)
    if out.ndim == 2:
        out = out[:, cls]
    return np.asarray(out, dtype=np.float64)


def _score(q: Querier, frame: pd.DataFrame, y: np.ndarray) -> float:
    pred = q.predict_frame(frame)
    if q.enc.task == "regression":
        return -float(np.mean(np.abs(pred - y)))
    return float(np.mean(pred == y))


def permutation_importance(sink: MetricSink, q: Querier, *, repeats: int = 3, seed: int = 0) -> dict[str, float]:
    """Score drop when one column is shuffled; all columns and repeats in one model call."""
    rng = np.random.default_rng(seed)
    frame, y = q.frame, q.enc.y
    n = len(frame)
    base = _score(q, frame, y)
    cols = list(frame.columns)
    copies = []
    for col in cols:
        for _ in range(repeats):
            f = frame.copy()
            f[col] = frame[col].to_numpy()[rng.permutation(n)]
            copies.append(f)
    big = pd.concat(copies, ignore_index=True)
    pred = q.predict_frame(big).reshape(len(cols), repeats, n)
    if q.enc.task == "regression":
        scores = -np.mean(np.abs(pred - y), axis=2)
    else:
        scores = np.mean(pred == y, axis=2)
    drops = base - scores
    out = {}
    for i, col in enumerate(cols):
        sink.add(
            "permutation_importance",
            float(drops[i].mean()),
            feature=col,
            n=n,
            details={
                "std": float(drops[i].std()),
                "repeats": repeats,
                "score": "mae" if q.enc.task == "regression" else "accuracy",
            },
        )
        out[col] = float(drops[i].mean())
    return out


def _encode_codes(frame: pd.DataFrame, numeric: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Numeric matrix for SHAP maskers: text columns become integer codes into their categories."""
    cats: dict[str, np.ndarray] = {}
    cols = []
    for col in frame.columns:
        if col in numeric:
            cols.append(frame[col].to_numpy(dtype=np.float64))
        else:
            codes, uniques = pd.factorize(frame[col].astype(object), use_na_sentinel=False)
            cats[col] = np.asarray(uniques, dtype=object)
            cols.append(codes.astype(np.float64))
    return np.column_stack(cols), cats


# explained rows per part below which a Ray task costs more than it saves: exact tree SHAP takes well under
# a millisecond a row, the kernel explainer tens of milliseconds to seconds (its coalitions x background rows)
SHAP_MIN_ROWS_TREE = 2000
SHAP_MIN_ROWS_KERNEL = 10


@dataclass
class ShapInput:
    """What one part of the SHAP computation needs besides the model (it travels to a Ray task as it is)."""

    frame: pd.DataFrame
    enc: Encoded
    numeric: list[str]
    exp_idx: np.ndarray  # the rows explained (a part explains some of them, by position)
    bg_idx: np.ndarray
    method: str  # "arrays" (the model's own trees, exact), "tree_path" (shap.TreeExplainer) or "kernel"
    source: str | None  # where "arrays" come from: "onnx" or "scikit-learn"
    cls: int | None
    evals: int
    seed: int


def shap_values(
    sink: MetricSink,
    q: Querier,
    *,
    background: int = 50,
    samples: int = 100,
    max_evals: int | None = None,
    seed: int = 0,
    cls: int | None = None,
    explainer: str = "auto",
) -> dict[str, Any]:
    """Mean |SHAP| per feature on `samples` rows, against `background` rows.

    `explainer`: "auto" (TreeSHAP when the model's trees can be read, else KernelExplainer), "tree" (fail if
    the trees cannot be read) or "kernel" (model-agnostic even for trees).

    The explained rows are independent given the background rows, so they are computed in parts
    (`partitions.map_parts`: one part locally, Ray tasks on the Ray backend); the kernel explainer's
    coalition sampling is seeded per row from (seed, row), so any partition gives the same values.
    """
    rng = np.random.default_rng(seed)
    frame = q.frame
    n = len(frame)
    exp_idx = np.sort(rng.choice(n, size=min(samples, n), replace=False))
    bg_idx = np.sort(rng.choice(n, size=min(background, n), replace=False))
    model = q.model
    cols = list(frame.columns)
    method, source = _shap_method(q, explainer, np.concatenate([exp_idx, bg_idx]))
    evals = max_evals or (2 * len(cols) + 2048)  # shap's own "auto" budget of coalitions per row
    job = ShapInput(frame, q.enc, list(q.numeric), exp_idx, bg_idx, method, source, cls, evals, seed)
    least = SHAP_MIN_ROWS_KERNEL if method == "kernel" else SHAP_MIN_ROWS_TREE
    parts = map_parts(shap_part, model, job, np.arange(len(exp_idx)), min_items=least)
    vals = np.empty((len(exp_idx), len(cols)))
    for pos, piece in parts:
        vals[pos] = piece
    if method == "arrays":
        budget: dict[str, Any] = {
            "explained_rows": len(exp_idx),
            "background_rows": len(bg_idx),
            "feature_perturbation": "interventional",
            "output": "margin",
            "trees_from": source,
        }
    elif method == "tree_path":
        budget = {
            "explained_rows": len(exp_idx),
            "background_rows": 0,
            "feature_perturbation": "tree_path_dependent",
            "output": "margin",
        }
    else:
        budget = {
            "explained_rows": len(exp_idx),
            "background_rows": len(bg_idx),
            "max_evals": evals,
            "output": "value" if q.enc.task == "regression" else "probability",
        }
    shown = "kernel" if method == "kernel" else "tree"
    mean_abs = np.abs(vals).mean(axis=0)
    for i, col in enumerate(cols):
        sink.add("mean_abs_shap", float(mean_abs[i]), feature=col, n=len(exp_idx), details={"explainer": shown, **budget})
    return {
        "explainer": shown,
        "features": cols,
        "mean_abs_shap": mean_abs.tolist(),
        "values": vals.tolist(),
        "data": frame.iloc[exp_idx][q.numeric].to_numpy(dtype=np.float64).tolist() if q.numeric else [],
        **budget,
    }


def _all_numeric(frame: pd.DataFrame) -> bool:
    # Trees split on numbers: columns declared categorical but coded as numbers are fine for TreeSHAP.
    return all(pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns)


def _shap_method(q: Querier, explainer: str, rows: np.ndarray) -> tuple[str, str | None]:
    """How SHAP is computed for this model (decided once for all explained rows) and where the trees come from."""
    model, frame = q.model, q.frame
    all_numeric = _all_numeric(frame)
    onnx_trees = getattr(model, "onnx_trees", None) if model.numeric_only and all_numeric and explainer != "kernel" else None
    tree_ok = model.tree is not None and all_numeric and explainer != "kernel"
    if explainer == "tree" and onnx_trees is None and not tree_ok:
        raise TianpingError(
            Problem(
                "the tree explainer needs a tree ensemble on numeric features (an ONNX TreeEnsemble reading the input matrix, "
                "an XGBoost/LightGBM booster or a scikit-learn tree model); this model is not one: "
                "use --shap-explainer auto or kernel",
                field="--shap-explainer",
            ),
            title="bad option",
        )
    if onnx_trees is not None:
        return "arrays", "onnx"
    if tree_ok and hasattr(model, "est"):
        from .onnxtrees import sklearn_trees

        # NaN routing is left to shap's own reader
        if (
            not np.isnan(frame.to_numpy(dtype=np.float64)[rows]).any()
            and sklearn_trees(model.tree, len(frame.columns)) is not None
        ):
            return "arrays", "scikit-learn"
    return ("tree_path", None) if tree_ok else ("kernel", None)


def _pick_class(vals: Any, rows: int, job: ShapInput) -> np.ndarray:
    """(rows, features) values of the explained class from shap's (rows, features[, classes]) answer."""
    arr = np.asarray(vals)
    if isinstance(vals, list) or arr.ndim == 3:
        if arr.shape[0] != rows:
            arr = np.moveaxis(arr, 0, -1)
        k = job.cls if job.cls is not None else (job.enc.positive if job.enc.positive is not None else arr.shape[-1] - 1)
        arr = arr[..., min(k, arr.shape[-1] - 1)]
    return arr


def shap_part(model: Any, job: ShapInput, positions: np.ndarray) -> np.ndarray:
    """SHAP values (len(positions), features) of the explained rows at `positions` (a `partitions.map_parts` function)."""
    frame, cols = job.frame, list(job.frame.columns)
    exp = job.exp_idx[positions]
    if job.method == "arrays":
        # The model's own trees, explained exactly against the background rows (interventional TreeSHAP,
        # shap's C core): the same quantity KernelExplainer estimates, at the same budget, without sampling.
        from .onnxtrees import interventional_tree_shap, sklearn_trees

        arrays = model.onnx_trees if job.source == "onnx" else sklearn_trees(model.tree, len(cols))
        assert arrays is not None  # _shap_method chose "arrays" because the trees could be read
        m = frame.to_numpy(dtype=np.float64)
        if getattr(model, "dtype", None) == np.float32 or arrays.float32_input:
            m = m.astype(np.float32).astype(np.float64)  # the precision the model compares thresholds in
        vals3, _ = interventional_tree_shap(arrays, m[exp], m[job.bg_idx])
        if job.enc.task == "regression":
            k = 0
        else:
            k = job.cls if job.cls is not None else (job.enc.positive if job.enc.positive is not None else vals3.shape[-1] - 1)
        return np.asarray(vals3[:, :, min(k, vals3.shape[-1] - 1)], dtype=np.float64)
    import shap

    if job.method == "tree_path":
        x_exp: Any = frame.iloc[exp]
        if hasattr(model, "booster"):
            x_exp = x_exp.to_numpy(dtype=np.float64)
        tree_explainer = shap.TreeExplainer(model.tree, feature_perturbation="tree_path_dependent")
        return _pick_class(tree_explainer.shap_values(x_exp), len(exp), job)
    q = Querier(model, frame, job.enc, job.numeric)
    enc_all, cats = _encode_codes(frame, job.numeric)

    def decode(mm: np.ndarray) -> pd.DataFrame:
        f = pd.DataFrame({c: mm[:, i] for i, c in enumerate(cols)})
        for c, uniq in cats.items():
            f[c] = uniq[mm[:, cols.index(c)].astype(np.int64)]
        return f

    def f(mm: np.ndarray) -> np.ndarray:
        if q.fast:
            out = q.model.predict_array(mm)
            val = q._value(out, proba=True)
        else:
            val = q._value(q.model.predict(decode(mm)), proba=True)
        return val[:, job.cls] if val.ndim == 2 else val

    # KernelExplainer, not the Permutation explainer: the latter JIT-compiles its maskers with numba on
    # first use (8-26 s per process here), which dwarfs the model calls at the budgets used in audits.
    kernel_explainer = shap.KernelExplainer(f, enc_all[job.bg_idx])
    # shap samples coalitions from numpy's global generator: seeded per row from (seed, row), so a row's values do
    # not depend on the rows explained before it; the caller's global state is put back afterwards
    row_seeds = row_bits(job.seed, "shap/kernel", exp, 1)[:, 0] >> np.uint64(32)
    saved = np.random.get_state()
    try:
        out = []
        for row, row_seed in zip(exp, row_seeds, strict=True):
            np.random.seed(int(row_seed))
            vals = kernel_explainer.shap_values(enc_all[[row]], nsamples=job.evals, silent=True)
            out.append(_pick_class(vals, 1, job))
    finally:
        np.random.set_state(saved)
    return np.concatenate(out).reshape(len(exp), len(cols))


def partial_dependence(
    sink: MetricSink, q: Querier, features: list[str], *, grid: int = 20, rows: int = 500, seed: int = 0, cls: int | None = None
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    frame = q.frame
    idx = np.sort(rng.choice(len(frame), size=min(rows, len(frame)), replace=False))
    base = frame.iloc[idx].reset_index(drop=True)
    out = {}
    for col in features:
        values = np.unique(np.nanquantile(frame[col].to_numpy(dtype=np.float64), np.linspace(0, 1, grid)))
        big = pd.concat([base] * len(values), ignore_index=True)
        big[col] = np.repeat(values, len(base))
        pd_curve = _output(q, big, cls).reshape(len(values), len(base)).mean(axis=1)
        sink.add(
            "partial_dependence_range",
            float(pd_curve.max() - pd_curve.min()),
            feature=col,
            n=len(base),
            details={"grid": values.tolist(), "average_prediction": pd_curve.tolist()},
        )
        out[col] = {"grid": values.tolist(), "pd": pd_curve.tolist()}
    return out


def accumulated_local_effects(
    sink: MetricSink, q: Querier, features: list[str], *, bins: int = 10, cls: int | None = None
) -> dict[str, Any]:
    """First-order ALE (Apley & Zhu): per quantile bin, the mean change between its edges."""
    frame = q.frame
    out = {}
    for col in features:
        x = frame[col].to_numpy(dtype=np.float64)
        ok = ~np.isnan(x)
        edges = np.unique(np.nanquantile(x, np.linspace(0, 1, bins + 1)))
        if len(edges) < 2:
            continue
        b = np.clip(np.searchsorted(edges, x[ok], side="left") - 1, 0, len(edges) - 2)
        rows = frame[ok].reset_index(drop=True)
        lo, hi = rows.copy(), rows.copy()
        lo[col] = edges[b]
        hi[col] = edges[b + 1]
        both = _output(q, pd.concat([lo, hi], ignore_index=True), cls)
        diff = both[len(rows) :] - both[: len(rows)]
        k = len(edges) - 1
        cnt = np.bincount(b, minlength=k).astype(np.float64)
        eff = np.bincount(b, weights=diff, minlength=k) / np.maximum(cnt, 1)
        ale = np.concatenate([[0.0], np.cumsum(eff)])
        centres = (ale[:-1] + ale[1:]) / 2
        ale = ale - np.sum(centres * cnt) / max(cnt.sum(), 1)
        sink.add(
            "ale_range",
            float(ale.max() - ale.min()),
            feature=col,
            n=int(ok.sum()),
            details={"edges": edges.tolist(), "ale": ale.tolist()},
        )
        out[col] = {"edges": edges.tolist(), "ale": ale.tolist()}
    return out


def run_explain(
    sink: MetricSink,
    q: Querier,
    *,
    shap_background: int = 50,
    shap_samples: int = 100,
    shap_max_evals: int | None = None,
    top_features: int = 6,
    seed: int = 0,
    shap_explainer: str = "auto",
) -> dict[str, Any]:
    cls = None
    if q.enc.task == "multiclass":
        cls = int(np.bincount(q.enc.y, minlength=len(q.enc.classes)).argmax())
    imp = permutation_importance(sink, q, seed=seed)
    sh = shap_values(
        sink,
        q,
        background=shap_background,
        samples=shap_samples,
        max_evals=shap_max_evals,
        seed=seed,
        cls=cls,
        explainer=shap_explainer,
    )
    ranked = [c for c in sorted(imp, key=lambda c: -abs(imp[c])) if c in q.numeric][:top_features]
    pdp = partial_dependence(sink, q, ranked, seed=seed, cls=cls)
    ale = accumulated_local_effects(sink, q, ranked, cls=cls)
    return {
        "importance": imp,
        "shap": sh,
        "pdp": pdp,
        "ale": ale,
        "explained_class": q.enc.class_names[cls] if cls is not None else None,
    }
