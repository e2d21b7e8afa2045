"""Sensitive groups: one grouping per sensitive feature and one per intersection.

Why integer codes: every per-group quantity is then one `np.bincount` over `code * cells + cell`,
which is what makes disaggregation over a million rows take milliseconds (fairlearn's MetricFrame
loops over groups in Python; AI Verify loops over groups and classes with boolean masks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import Problem, TianpingError
from .labels import label_key

if TYPE_CHECKING:
    import pandas as pd

MISSING = "(missing)"


@dataclass
class Grouping:
    """Rows split by one sensitive feature or an intersection of several."""

    feature: str  # "sex" or "sex&race"
    codes: np.ndarray  # int64 per row, 0..len(names)-1
    names: list[str]  # "sex=Female" or "sex=Female&race=Black"

    @property
    def n_groups(self) -> int:
        return len(self.names)


def _is_numeric_array(values: Any) -> bool:
    return isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "iuf"


def _factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes in sorted value order; missing values form their own last group, "(missing)"."""
    if _is_numeric_array(values):  # numbers (the numeric read path): the same codes and names without pandas
        if values.dtype.kind == "f":
            missing = np.isnan(values)
            uniques, inverse = np.unique(values[~missing], return_inverse=True)
            codes = np.full(len(values), -1, dtype=np.int64)
            codes[~missing] = inverse
        else:
            uniques, codes = np.unique(values, return_inverse=True)
    else:
        import pandas as pd

        codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    names = [label_key(u) for u in uniques]
    codes = codes.astype(np.int64)
    if (codes < 0).any():
        codes[codes < 0] = len(names)
        names.append(MISSING)
    return codes, names


def build_groupings(sensitive: pd.DataFrame | Mapping[str, np.ndarray], *, intersections: bool = True) -> list[Grouping]:
    """Single features first, then pairwise intersections (3+ features) and the full intersection.

    `sensitive` is a DataFrame or, from the numeric read path, a mapping of column name to a 1-D array."""
    problems = []
    singles: list[tuple[str, np.ndarray, list[str]]] = []
    columns = list(sensitive.columns) if hasattr(sensitive, "columns") else list(sensitive)
    for col in columns:
        values: Any = sensitive[col]
        present = (
            int((~np.isnan(values)).sum())
            if _is_numeric_array(values) and values.dtype.kind == "f"
            else (len(values) if _is_numeric_array(values) else int(values.notna().sum()))
        )
        if present == 0:
            problems.append(Problem(f"sensitive feature '{col}' has no values (every row is empty)", field=col))
            continue
        codes, names = _factorize(values)
        if len(names) < 2:
            problems.append(
                Problem(
                    f"sensitive feature '{col}' has only one group ('{names[0]}'); fairness compares at least two groups",
                    field=col,
                )
            )
            continue
        singles.append((col, codes, names))
    if problems:
        raise TianpingError(problems, title="unusable sensitive feature")
    out = [Grouping(col, codes, [f"{col}={n}" for n in names]) for col, codes, names in singles]
    if intersections and len(singles) >= 2:
        sizes = [2] if len(singles) >= 3 else []
        sizes.append(len(singles))
        for k in sizes:
            for combo in combinations(singles, k):
                out.append(_intersect(combo))
    return out


def _intersect(parts: Sequence[tuple[str, np.ndarray, list[str]]]) -> Grouping:
    combined = np.zeros(len(parts[0][1]), dtype=np.int64)
    for _, codes, names in parts:
        combined = combined * len(names) + codes
    uniq, codes = np.unique(combined, return_inverse=True)  # only combinations that occur
    names = []
    for u in uniq:
        pieces = []
        for col, _, gnames in reversed(parts):
            u, r = divmod(int(u), len(gnames))
            pieces.append(f"{col}={gnames[r]}")
        names.append("&".join(reversed(pieces)))
    return Grouping("&".join(p[0] for p in parts), codes.astype(np.int64), names)
