"""Aligning targets, predictions and probabilities on one list of classes.

Why: the target column, the model's labels and its probability columns come from different
places (a CSV may hold 0/1 as integers, a model may output int64 labels and a separate
probability tensor). Every metric works on small integer codes into one `classes` list; a
mismatch (text target, numeric model) is reported naming the target column, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ...errors import Problem, TianpingError


@dataclass
class Encoded:
    task: str  # binary | multiclass | regression
    y: np.ndarray  # int codes into classes (classification) or float (regression)
    pred: np.ndarray
    proba: np.ndarray | None  # (n, len(classes)), columns in `classes` order
    classes: list[Any]
    positive: int | None = None  # code of the positive class (binary)

    @property
    def class_names(self) -> list[str]:
        return [label_key(c) for c in self.classes]


def label_key(v: Any) -> str:
    """A stable text form: 1, 1.0 and np.int64(1) are all '1'."""
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _codes(values: np.ndarray, classes: list[Any], keys: list[str], what: str, column: str) -> np.ndarray:
    """Map values to codes; numeric fast path, text path otherwise."""
    cls_arr = np.asarray(classes)
    lut = _int_lookup(values, cls_arr)
    if lut is not None:  # integer labels in a small range: one table lookup per row, no float conversion or search
        table, low = lut
        pos = values.astype(np.int64, copy=False) - low
        inside = (pos >= 0) & (pos < len(table))
        codes = table[np.where(inside, pos, 0)]
        ok = inside & (codes >= 0)
    elif values.dtype.kind in "iufb" and cls_arr.dtype.kind in "iufb":
        order = np.argsort(cls_arr, kind="stable")
        sorted_cls = cls_arr[order].astype(np.float64)
        v = values.astype(np.float64)
        pos = np.clip(np.searchsorted(sorted_cls, v), 0, len(sorted_cls) - 1)
        ok = sorted_cls[pos] == v
        codes = order[pos]
    else:
        import pandas as pd

        cat = pd.Categorical(pd.Series(values).map(label_key), categories=keys)
        codes = np.asarray(cat.codes, dtype=np.int64)
        ok = codes >= 0
    if not ok.all():
        bad = sorted({label_key(x) for x in np.asarray(values)[~ok][:1000]})[:5]
        raise TianpingError(
            Problem(
                f"{what} has values that are not among the classes {keys[:10]}: {bad}. "
                "Encode the target with the model's labels (or give --positive-label)",
                field=column,
            ),
            title="label mismatch",
        )
    return codes.astype(np.int64)


def _int_lookup(values: np.ndarray, cls_arr: np.ndarray) -> tuple[np.ndarray, int] | None:
    """(table, low) with table[v - low] = code of class v (-1 if none), for integer data and classes."""
    if values.dtype.kind not in "iub" or cls_arr.dtype.kind not in "iub" or len(cls_arr) == 0:
        return None
    low, high = int(cls_arr.min()), int(cls_arr.max())
    if high - low > 1_000_000:
        return None
    table = np.full(high - low + 1, -1, dtype=np.int64)
    table[cls_arr.astype(np.int64) - low] = np.arange(len(cls_arr))
    return table, low


def encode(
    y_raw: np.ndarray,
    pred_raw: np.ndarray,
    proba: np.ndarray | None,
    *,
    model_classes: Sequence[Any] | None,
    task_hint: str | None,
    target: str,
    positive_label: str | None = None,
) -> Encoded:
    """Decide the task and turn labels into codes; validate lengths and probability shape."""
    if len(y_raw) != len(pred_raw):
        raise TianpingError(
            Problem(f"{len(pred_raw)} predictions for {len(y_raw)} rows of target '{target}'", field=target),
            title="length mismatch",
        )
    if len(y_raw) == 0:
        raise TianpingError(Problem("the data has no rows", field=target), title="empty data")
    missing = _missing(y_raw)
    if missing.any():
        n = int(missing.sum())
        first = int(np.flatnonzero(missing)[0]) + 1
        raise TianpingError(
            Problem(
                f"target column '{target}' has {n} missing values (the first at data row {first}); drop or fill them first",
                field=target,
            ),
            title="missing target",
        )
    regression = task_hint == "regression"
    if task_hint is None:
        regression = (y_raw.dtype.kind == "f" and not np.all(np.mod(y_raw, 1) == 0)) or (
            pred_raw.dtype.kind == "f" and proba is None and model_classes is None and np.unique(y_raw).size > 20
        )
    if regression:
        if y_raw.dtype.kind not in "iuf":
            raise TianpingError(
                Problem(f"regression needs a numeric target, but '{target}' holds text", field=target), title="bad target"
            )
        return Encoded("regression", y_raw.astype(np.float64), np.asarray(pred_raw, dtype=np.float64), None, [])
    if model_classes is not None:
        classes = list(model_classes)
    else:
        import pandas as pd

        uniq = pd.unique(np.concatenate([np.asarray(y_raw, dtype=object), np.asarray(pred_raw, dtype=object)]))
        try:
            classes = sorted(uniq)
        except TypeError:
            classes = sorted(uniq, key=label_key)
    keys = [label_key(c) for c in classes]
    if proba is not None and proba.shape[1] != len(classes):
        raise TianpingError(
            f"the model gives {proba.shape[1]} probability columns for {len(classes)} classes", title="bad model output"
        )
    y = _codes(np.asarray(y_raw), classes, keys, f"target column '{target}'", target)
    pred = _codes(np.asarray(pred_raw), classes, keys, "the predictions", target)
    task = "binary" if len(classes) <= 2 else "multiclass"
    positive = None
    if task == "binary":
        if positive_label is not None:
            if positive_label not in keys:
                raise TianpingError(
                    Problem(f"--positive-label '{positive_label}' is not a class; classes are {keys}", field="--positive-label"),
                    title="bad option",
                )
            positive = keys.index(positive_label)
        else:
            positive = len(classes) - 1
    return Encoded(task, y, pred, proba, classes, positive)


def _missing(values: np.ndarray) -> np.ndarray:
    """Missing values as pandas sees them (NaN, None, NaT), without importing pandas for plain numbers."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return np.zeros(len(arr), dtype=bool)
    if arr.dtype.kind in "fc":
        return np.isnan(arr)
    import pandas as pd

    return np.asarray(pd.Series(values).isna().to_numpy(), dtype=bool)


# ------------------------------------------------------------------------------- score columns
ScoreSpec = list[tuple[str | None, str]]  # (class name or None, column)


def parse_scores(items: Sequence[str] | dict[str, str] | None, columns: Sequence[str]) -> ScoreSpec:
    """`--scores`: one column (P(positive) of a binary target) or CLASS=COLUMN items, one per class.

    An item that is itself a column name is a column; otherwise `CLASS=COLUMN` splits at the first
    '='. Several columns without class names are refused: their order says nothing about which
    class each one is for.
    """
    if not items:
        return []
    if isinstance(items, dict):
        spec: ScoreSpec = [(str(k), str(v)) for k, v in items.items()]
    else:
        spec = []
        for item in items:
            if item in columns or "=" not in item:
                spec.append((None, item))
            else:
                cls, _, col = item.partition("=")
                if not cls or not col:
                    raise TianpingError(Problem(f"'{item}' is not CLASS=COLUMN", field="--scores"), title="bad option")
                spec.append((cls, col))
    unnamed = [c for k, c in spec if k is None]
    if len(spec) > 1 and unnamed:
        raise TianpingError(
            Problem(
                f"several --scores columns ({', '.join(c for _, c in spec)}) need class names, because their order says nothing "
                "about which class each is for: give CLASS=COLUMN for each, e.g. --scores yes=p_yes,no=p_no "
                "(or one column holding P(positive) of a binary target)",
                field="--scores",
            ),
            title="ambiguous scores",
        )
    classes = [k for k, _ in spec if k is not None]
    dup = sorted({k for k in classes if classes.count(k) > 1})
    if dup:
        raise TianpingError(Problem(f"class(es) {dup} given more than one --scores column", field="--scores"), title="bad option")
    return spec


def arrange_scores(raw: np.ndarray, spec: ScoreSpec, enc: Encoded) -> np.ndarray:
    """Probability matrix with columns in `enc.classes` order, from the score columns named by `spec`."""
    keys = enc.class_names
    k = len(keys)
    n = raw.shape[0]
    if enc.task == "regression":
        raise TianpingError(
            Problem("--scores are class probabilities; the task is regression", field="--scores"), title="bad option"
        )
    if len(spec) == 1:
        cls, col = spec[0]
        if k != 2:
            raise TianpingError(
                Problem(
                    f"one --scores column ('{col}') is read as P(positive) of a binary target, but there are {k} classes "
                    f"({', '.join(keys[:10])}): give one column per class as CLASS=COLUMN",
                    field="--scores",
                ),
                title="bad option",
            )
        if cls is None:
            idx = enc.positive if enc.positive is not None else k - 1
        elif cls in keys:
            idx = keys.index(cls)
        else:
            raise TianpingError(
                Problem(
                    f"--scores class '{cls}' is not a class of the target or predictions; classes are {keys}", field="--scores"
                ),
                title="bad option",
            )
        out = np.empty((n, 2))
        out[:, idx] = raw[:, 0]
        out[:, 1 - idx] = 1.0 - raw[:, 0]
        return out
    unknown = [c for c, _ in spec if c not in keys]
    if unknown:
        raise TianpingError(
            Problem(
                f"--scores class(es) {unknown} are not classes of the target or predictions; classes are {keys}", field="--scores"
            ),
            title="bad option",
        )
    missing = [c for c in keys if c not in {c2 for c2, _ in spec}]
    if missing:
        raise TianpingError(
            Problem(f"no --scores column for class(es) {missing}: give CLASS=COLUMN for every class ({keys})", field="--scores"),
            title="bad option",
        )
    out = np.empty((n, k))
    for j, (cls, _) in enumerate(spec):
        out[:, keys.index(cast(str, cls))] = raw[:, j]  # every class was checked to be named above
    return out


def first_bad(values: np.ndarray) -> tuple[int, int]:
    """(index of the first missing or non-finite value, how many there are); (-1, 0) when all are fine."""
    arr = np.asarray(values)
    if arr.dtype.kind in "fc":
        bad = ~np.isfinite(arr)
    elif arr.dtype.kind == "O":
        import pandas as pd

        bad = pd.isna(arr) | np.array([isinstance(v, float) and not np.isfinite(v) for v in arr.ravel()]).reshape(arr.shape)
    else:
        return -1, 0
    if bad.ndim > 1:
        bad = bad.any(axis=tuple(range(1, bad.ndim)))
    idx = np.flatnonzero(bad)
    return (int(idx[0]), len(idx)) if len(idx) else (-1, 0)
