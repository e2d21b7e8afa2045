"""Counterfactual test: does the decision change when only the sensitive attribute changes?

For each sensitive feature that is a model input, every sampled row is re-scored once for each
other value of that feature observed in the data, everything else held fixed; the flip rate is the
share of these counterfactual decisions that differ from the original one. A model that reads the
attribute directly shows it here even when group rates look balanced; a model that only uses
proxies does not (that is what the group fairness metrics are for). One model call per feature
(all rows x values stacked), so it costs rows x (values - 1) predictions.

The interval is a percentile bootstrap over rows (each row's counterfactuals stay together),
widened to contain the estimate if it does not.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .labels import label_key
from .querier import Querier
from .results import MetricSink, interval_with_estimate

MAX_VALUES = 50


def _observed_values(values: pd.Series, max_values: int) -> tuple[list[Any], int]:
    """Distinct non-missing values, most frequent first (at most `max_values`), and how many were left out."""
    vc = values.dropna().value_counts(sort=True)
    keep = list(vc.index[:max_values])
    return keep, max(0, len(vc) - max_values)


def run_counterfactual(
    sink: MetricSink,
    q: Querier,
    sensitive: dict[str, pd.Series],
    *,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
    max_values: int = MAX_VALUES,
) -> dict[str, Any]:
    """`sensitive` maps each sensitive feature that is a model input to its values over the whole data."""
    rng = np.random.default_rng(seed)
    frame = q.frame
    regression = q.enc.task == "regression"
    base, base_score = q.predict_both(frame)
    out: dict[str, Any] = {}
    for col, all_values in sensitive.items():
        values, dropped = _observed_values(all_values, max_values)
        orig_keys = frame[col].map(lambda v: None if pd.isna(v) else label_key(v))
        present = orig_keys.notna().to_numpy()
        rows_idx = np.flatnonzero(present)
        if len(values) < 2 or len(rows_idx) == 0:
            continue
        parts, row_of, target_of = [], [], []
        for v in values:
            k = label_key(v)
            take = rows_idx[(orig_keys.to_numpy()[rows_idx] != k)]
            if len(take) == 0:
                continue
            f = frame.iloc[take].copy()
            f[col] = v
            parts.append(f)
            row_of.append(take)
            target_of.append(np.full(len(take), k, dtype=object))
        if not parts:
            continue
        big = pd.concat(parts, ignore_index=True)
        rows = np.concatenate(row_of)
        targets = np.concatenate(target_of)
        cf, cf_score = q.predict_both(big)
        if regression:
            changed = np.abs(cf - base[rows]) > 1e-9 * (1 + np.abs(base[rows]))
        else:
            changed = cf != base[rows]
        # per original row: counterfactuals made and how many changed the decision
        n_rows = len(frame)
        made = np.bincount(rows, minlength=n_rows).astype(np.float64)
        flips = np.bincount(rows, weights=changed.astype(np.float64), minlength=n_rows)
        used = made > 0
        rate = float(flips.sum() / made.sum())
        any_rate = float(np.mean(flips[used] > 0))
        ci = any_ci = None
        det: dict[str, Any] = {
            "counterfactuals": int(made.sum()),
            "values": [label_key(v) for v in values],
            "rows_missing_attribute": int((~present).sum()),
        }
        if dropped:
            det["values_left_out"] = dropped
        if n_boot > 0 and used.sum() > 1:
            m_u, f_u = made[used], flips[used]
            w = rng.multinomial(len(m_u), np.full(len(m_u), 1 / len(m_u)), size=n_boot).astype(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                b_rate = (w @ f_u) / (w @ m_u)
                b_any = (w @ (f_u > 0).astype(np.float64)) / w.sum(axis=1)
            alpha = (1 - level) / 2 * 100
            lo, hi = np.nanpercentile(b_rate, [alpha, 100 - alpha])
            lo, hi, widened = interval_with_estimate(rate, float(lo), float(hi))
            ci = (lo, hi)
            if widened:
                det["ci_widened_to_estimate"] = True
            alo, ahi = np.nanpercentile(b_any, [alpha, 100 - alpha])
            alo, ahi, _ = interval_with_estimate(any_rate, float(alo), float(ahi))
            any_ci = (alo, ahi)
        by_change: dict[str, float] = {}
        src_keys = orig_keys.to_numpy()[rows]
        pairs = pd.DataFrame({"from": src_keys, "to": targets, "changed": changed})
        for (a, b), grp in list(pairs.groupby(["from", "to"], sort=True))[:100]:
            by_change[f"{a}->{b}"] = float(grp["changed"].mean())
        det["flip_rate_by_change"] = by_change
        n_used = int(used.sum())
        if regression:
            det["changed_means"] = "prediction changed by more than 1e-9 relative; not judged (see counterfactual_mean_change)"
        # regression has no decision to flip: any change counts, so the rate is reported but not judged
        sink.add("counterfactual_flip_rate", rate, judge=not regression, sensitive_feature=col, n=n_used, ci=ci, details=det)
        sink.add("counterfactual_any_flip_rate", any_rate, sensitive_feature=col, n=n_used, ci=any_ci)
        if base_score is not None and cf_score is not None:
            b0 = base_score[rows]
            if b0.ndim == 2:  # multiclass: the probability of the originally predicted class
                b0 = b0[np.arange(len(rows)), base[rows]]
                c1 = cf_score[np.arange(len(rows)), base[rows]]
            else:
                c1 = cf_score
            sink.add(
                "counterfactual_mean_change",
                float(np.mean(np.abs(c1 - b0))),
                sensitive_feature=col,
                n=n_used,
                details={"score": "value" if regression else ("P(positive)" if q.enc.task == "binary" else "P(original class)")},
            )
        out[col] = {"flip_rate": rate, "any_flip_rate": any_rate, "by_change": by_change}
    return out
