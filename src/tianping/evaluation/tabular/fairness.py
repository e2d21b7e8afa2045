"""Group fairness, disaggregated in the spirit of fairlearn's MetricFrame.

Definitions are the standard per-group ones (they agree with fairlearn to 1e-9, see
tests/tabular/test_tabular_fairness.py): a group's true positive rate is TP / (TP + FN) *within
that group*. AI Verify's fairness toolbox divides a group's TP by the class total over all groups
(aiverify issue #272), so its per-group "rates" shrink with group size; see docs/tabular-tests.md.

Everything is computed from per-group confusion counts, which also makes the bootstrap cheap:
resampling n rows with replacement is exactly a multinomial draw over the count cells, so each
replicate costs O(cells), not O(rows).

Bootstrap resample r of a table is drawn from the generator keyed by (seed, table, block of r)
(`keyed_random.block_resamples`), so the resamples can be drawn in parts — one part locally,
Ray tasks of at least `BOOT_MIN_RESAMPLES` on the Ray backend (`partitions.map_parts`) — and the
merged draws, hence the intervals, are exactly those of one whole draw.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from .groups import Grouping
from .keyed_random import block_resamples, resample_generator, row_order
from .labels import Encoded
from .partitions import map_parts
from .results import MetricSink, interval_with_estimate

PER_GROUP = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "positive_predictive_value",
)
N_BINS = 10
# resamples per part below which a Ray task costs more than it saves (a count-table resample takes ~20 us)
BOOT_MIN_RESAMPLES = 1000


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def confusion_by_group(y: np.ndarray, pred: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts of shape (G, 2, 2), indexed [group, y, pred], for 0/1 arrays y and pred."""
    cell = codes * 4 + y.astype(np.int64) * 2 + pred.astype(np.int64)
    return np.bincount(cell, minlength=n_groups * 4).reshape(n_groups, 2, 2)


def _div0(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, and 0 where b is 0 (scikit-learn's and fairlearn's zero_division=0 convention)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


def denominators(c: np.ndarray) -> dict[str, np.ndarray]:
    tn, fp, fn, tp = c[..., 0, 0], c[..., 0, 1], c[..., 1, 0], c[..., 1, 1]
    return {
        "selection_rate": tn + fp + fn + tp,
        "true_positive_rate": tp + fn,
        "false_positive_rate": fp + tn,
        "false_negative_rate": tp + fn,
        "true_negative_rate": tn + fp,
        "positive_predictive_value": tp + fp,
    }


def rates(c: np.ndarray) -> dict[str, np.ndarray]:
    """Per-group rates from counts of shape (..., G, 2, 2).

    A rate whose denominator is 0 (e.g. the TPR of a group with no positives) is 0, as in
    fairlearn and scikit-learn (zero_division=0), so between-group differences agree with
    fairlearn; such values are flagged `undefined_denominator` in the metric details.
    """
    tn, fp, fn, tp = (
        c[..., 0, 0].astype(np.float64),
        c[..., 0, 1].astype(np.float64),
        c[..., 1, 0].astype(np.float64),
        c[..., 1, 1].astype(np.float64),
    )
    n = tn + fp + fn + tp
    return {
        "group_count": n,
        "selection_rate": _div0(tp + fp, n),
        "true_positive_rate": _div0(tp, tp + fn),
        "false_positive_rate": _div0(fp, fp + tn),
        "false_negative_rate": _div0(fn, fn + tp),
        "true_negative_rate": _div0(tn, tn + fp),
        "positive_predictive_value": _div0(tp, tp + fp),
    }


def _spread(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(max - min, min / max) over the last axis, ignoring NaN groups."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            hi, lo = np.nanmax(x, axis=-1), np.nanmin(x, axis=-1)
        return hi - lo, _div(lo, hi)


def between_groups(r: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """fairlearn's `between_groups` differences and ratios, and equalized odds (worst case)."""
    dpd, dpr = _spread(r["selection_rate"])
    tprd, tprr = _spread(r["true_positive_rate"])
    fprd, fprr = _spread(r["false_positive_rate"])
    fnrd, _ = _spread(r["false_negative_rate"])
    ppvd, _ = _spread(r["positive_predictive_value"])
    return {
        "demographic_parity_difference": dpd,
        "demographic_parity_ratio": dpr,
        "equalized_odds_difference": np.fmax(tprd, fprd),
        "equalized_odds_ratio": np.fmin(tprr, fprr),
        "true_positive_rate_difference": tprd,
        "false_positive_rate_difference": fprd,
        "false_negative_rate_difference": fnrd,
        "positive_predictive_value_difference": ppvd,
    }


def _ci(samples: np.ndarray, level: float) -> np.ndarray:
    """Percentile interval over axis 0, NaN-aware; shape (2, ...)."""
    import warnings

    alpha = (1 - level) / 2 * 100
    if not np.isnan(samples).any():  # the same numbers, without nanpercentile's Python loop over every column
        return np.percentile(samples, [alpha, 100 - alpha], axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanpercentile(samples, [alpha, 100 - alpha], axis=0)


def _bootstrap_counts(counts: np.ndarray, n_boot: int, seed: int, table: str) -> np.ndarray:
    """Resampled count tables (B, *counts.shape): a multinomial draw over the cells per resample."""
    parts = map_parts(bootstrap_counts_part, None, (counts, seed, table), np.arange(n_boot), min_items=BOOT_MIN_RESAMPLES)
    return _by_resample(parts, n_boot, counts.shape, np.int64)


def _by_resample(parts: list[tuple[np.ndarray, np.ndarray]], n_boot: int, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """The parts' resamples put back in resample order, whatever resamples each part drew."""
    out = np.empty((n_boot, *shape), dtype=dtype)
    for resamples, piece in parts:
        out[resamples] = piece
    return out


def bootstrap_counts_part(_model: Any, job: tuple[np.ndarray, int, str], resamples: np.ndarray) -> np.ndarray:
    """Resamples `resamples` of a count table (a `partitions.map_parts` function)."""
    counts, seed, table = job
    flat = counts.reshape(-1).astype(np.float64)
    n = int(flat.sum())
    p = flat / n if n else flat
    out = block_resamples(seed, table, resamples, lambda gen, k: gen.multinomial(n, p, size=k).astype(np.int64))
    return out.reshape((len(resamples), *counts.shape))


def _pair(ci: np.ndarray | None, *idx: int) -> tuple[float, float] | None:
    if ci is None:
        return None
    return float(ci[(0, *idx)]), float(ci[(1, *idx)])


def _ci_for(value, ci: np.ndarray | None, details: dict | None, *idx: int) -> tuple[tuple[float, float] | None, dict | None]:
    """The percentile interval at `idx`, widened to contain `value` (flagged in the details when it was)."""
    pair = _pair(ci, *idx)
    if pair is None:
        return None, details
    lo, hi, widened = interval_with_estimate(value, *pair)
    if widened:
        details = {**(details or {}), "ci_widened_to_estimate": True}
    return (lo, hi), details


# Which per-group count a between-group metric's value rests on (its rates' denominators).
def _support_counts(c: np.ndarray) -> dict[str, np.ndarray]:
    tn, fp, fn, tp = c[..., 0, 0], c[..., 0, 1], c[..., 1, 0], c[..., 1, 1]
    n, pos, neg, ppos = tn + fp + fn + tp, tp + fn, tn + fp, tp + fp
    both = np.minimum(pos, neg)
    return {
        "demographic_parity_difference": n,
        "demographic_parity_ratio": n,
        "equalized_odds_difference": both,
        "equalized_odds_ratio": both,
        "true_positive_rate_difference": pos,
        "false_positive_rate_difference": neg,
        "false_negative_rate_difference": pos,
        "positive_predictive_value_difference": ppos,
    }


def _eligible(support: np.ndarray, min_n: int) -> np.ndarray:
    return support >= min_n


def _spread_value(x: np.ndarray, keep: np.ndarray, ratio: bool = False) -> float | None:
    """max - min (or min / max) over the groups in `keep`; None with fewer than two."""
    if keep.sum() < 2:
        return None
    d, r = _spread(x[keep])
    v = float(r if ratio else d)
    return v if np.isfinite(v) else None


def classification_fairness(
    sink: MetricSink, enc: Encoded, groupings: list[Grouping], *, n_boot: int = 200, level: float = 0.95, seed: int = 0
) -> list[dict[str, Any]]:
    """Emit per-group and between-group metrics for every grouping; return tables for plots."""
    if enc.task == "binary":
        labels = [cast(int, enc.positive)]  # set for every binary task
    else:
        labels = list(range(len(enc.classes)))
    names = enc.class_names
    tables = []
    for gi, g in enumerate(groupings):
        G = g.n_groups
        for lab in labels:
            yl, pl = enc.y == lab, enc.pred == lab
            counts = confusion_by_group(yl, pl, g.codes, G)
            r = rates(counts)
            b = between_groups(r)
            boot_r = boot_b = None
            if n_boot > 0:
                bc = _bootstrap_counts(counts, n_boot, seed, f"fairness/{gi}/label/{lab}")
                br = rates(bc)
                boot_r = {k: _ci(v, level) for k, v in br.items()}
                boot_b = {k: _ci(v, level) for k, v in between_groups(br).items()}
            label = names[lab]
            den = denominators(counts)
            for i, gname in enumerate(g.names):
                n_i = int(r["group_count"][i])
                for name in PER_GROUP:
                    ci, det = _ci_for(
                        r[name][i],
                        boot_r[name] if boot_r else None,
                        {"undefined_denominator": True} if den[name][i] == 0 else None,
                        i,
                    )
                    sink.add(
                        name,
                        r[name][i],
                        group=gname,
                        sensitive_feature=g.feature,
                        label=label,
                        n=n_i,
                        ci=ci,
                        support=int(den[name][i]),
                        details=det,
                    )
            sel = r["selection_rate"]
            gcount = r["group_count"]
            top = np.nanmax(sel) if np.isfinite(sel).any() else np.nan
            di_min = sink.spec.get("disparate_impact_ratio").min_n
            big = gcount >= di_min
            top_big = np.nanmax(sel[big]) if big.any() else np.nan
            ref = int(np.nanargmax(sel)) if np.isfinite(sel).any() else None
            for i, gname in enumerate(g.names):
                di = sel[i] / top if top and np.isfinite(top) and top > 0 else np.nan
                # judged on the most-selected group with enough rows: a tiny top group never drives a fail
                di_big = sel[i] / top_big if big[i] and np.isfinite(top_big) and top_big > 0 else None
                sink.add(
                    "disparate_impact_ratio",
                    di,
                    group=gname,
                    sensitive_feature=g.feature,
                    label=label,
                    n=int(gcount[i]),
                    support=int(min(gcount[i], gcount[ref])) if ref is not None else int(gcount[i]),
                    eligible_value=di_big,
                    details={"reference_group": g.names[ref]} if ref is not None else None,
                )
            support = _support_counts(counts)
            for name, val in b.items():
                sup = support[name]
                keep = _eligible(sup, sink.spec.get(name).min_n)
                ev: float | None = None
                if not keep.all() and keep.sum() >= 2:
                    raw = between_groups(rates(counts[keep]))[name]
                    ev = float(raw) if np.isfinite(raw) else None
                ci, det = _ci_for(val, boot_b[name] if boot_b else None, None)
                sink.add(
                    name,
                    val,
                    sensitive_feature=g.feature,
                    label=label,
                    n=len(enc.y),
                    ci=ci,
                    support=int(sup.min()),
                    eligible_value=ev,
                    details={**(det or {}), "smallest_group": g.names[int(np.argmin(sup))]},
                )
            tables.append(
                {
                    "feature": g.feature,
                    "label": label,
                    "groups": g.names,
                    **{k: r[k].tolist() for k in ("group_count", "selection_rate", "true_positive_rate", "false_positive_rate")},
                }
            )
        # accuracy by group (all labels at once)
        correct = np.bincount(g.codes * 2 + (enc.y == enc.pred), minlength=G * 2).reshape(G, 2)
        acc = _div(correct[:, 1].astype(float), correct.sum(axis=1).astype(float))
        acc_ci = None
        acc_d_ci = None
        if n_boot > 0:
            bc = _bootstrap_counts(correct, n_boot, seed, f"fairness/{gi}/accuracy").astype(float)
            bacc = _div(bc[..., 1], bc.sum(axis=-1))
            acc_ci = _ci(bacc, level)
            acc_d_ci = _ci(_spread(bacc)[0], level)
        gn = correct.sum(axis=1)
        for i, gname in enumerate(g.names):
            ci, det = _ci_for(acc[i], acc_ci, None, i)
            sink.add("group_count", int(gn[i]), group=gname, sensitive_feature=g.feature, n=int(gn[i]))
            sink.add("group_accuracy", acc[i], group=gname, sensitive_feature=g.feature, n=int(gn[i]), ci=ci, details=det)
        acc_d = _spread(acc)[0]
        ci, det = _ci_for(acc_d, acc_d_ci, None)
        keep = _eligible(gn, sink.spec.get("accuracy_difference").min_n)
        sink.add(
            "accuracy_difference",
            acc_d,
            sensitive_feature=g.feature,
            n=len(enc.y),
            ci=ci,
            support=int(gn.min()),
            eligible_value=_spread_value(acc, keep) if not keep.all() else None,
            details={**(det or {}), "smallest_group": g.names[int(np.argmin(gn))]},
        )
        if enc.proba is not None:
            _calibration_by_group(sink, enc, g)
    return tables


def _calibration_by_group(sink: MetricSink, enc: Encoded, g: Grouping) -> None:
    """Binary: calibration of P(positive). Multiclass: of the top-label confidence."""
    proba = enc.proba
    assert proba is not None
    if enc.task == "binary":
        p = proba[:, enc.positive]
        hit = (enc.y == enc.positive).astype(np.float64)
        label = enc.class_names[cast(int, enc.positive)]
    else:
        p = proba.max(axis=1)
        hit = (enc.y == enc.pred).astype(np.float64)
        label = None
    bins = np.minimum((p * N_BINS).astype(np.int64), N_BINS - 1)
    cell = g.codes * N_BINS + bins
    size = g.n_groups * N_BINS
    cnt = np.bincount(cell, minlength=size).reshape(g.n_groups, N_BINS)
    sp = np.bincount(cell, weights=p, minlength=size).reshape(g.n_groups, N_BINS)
    sy = np.bincount(cell, weights=hit, minlength=size).reshape(g.n_groups, N_BINS)
    n_g = cnt.sum(axis=1).astype(np.float64)
    ece = _div(np.abs(sp - sy).sum(axis=1), n_g)
    for i, gname in enumerate(g.names):
        sink.add(
            "group_mean_score", _div(sp[i].sum(), n_g[i]), group=gname, sensitive_feature=g.feature, label=label, n=int(n_g[i])
        )
        sink.add(
            "group_base_rate", _div(sy[i].sum(), n_g[i]), group=gname, sensitive_feature=g.feature, label=label, n=int(n_g[i])
        )
        sink.add("group_calibration_error", ece[i], group=gname, sensitive_feature=g.feature, label=label, n=int(n_g[i]))
    keep = _eligible(n_g, sink.spec.get("calibration_difference").min_n)
    sink.add(
        "calibration_difference",
        _spread(ece)[0],
        sensitive_feature=g.feature,
        label=label,
        n=len(p),
        support=int(n_g.min()),
        eligible_value=_spread_value(ece, keep) if not keep.all() else None,
        details={"smallest_group": g.names[int(np.argmin(n_g))]},
    )


def regression_fairness(
    sink: MetricSink,
    enc: Encoded,
    groupings: list[Grouping],
    *,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
    max_boot_rows: int = 50_000,
) -> list[dict[str, Any]]:
    """Error and mean prediction by group; Poisson-bootstrap CIs on at most `max_boot_rows` rows."""
    err = np.abs(enc.y - enc.pred)
    tables = []
    for gi, g in enumerate(groupings):
        G = g.n_groups
        cnt = np.bincount(g.codes, minlength=G).astype(np.float64)
        mae = _div(np.bincount(g.codes, weights=err, minlength=G), cnt)
        mean_pred = _div(np.bincount(g.codes, weights=enc.pred, minlength=G), cnt)
        ci_mae = ci_mp = ci_d = None
        if n_boot > 0:
            idx = row_order(seed, f"fairness/{gi}/rows", len(err), min(len(err), max_boot_rows))
            job = (g.codes[idx], G, err[idx], np.asarray(enc.pred, dtype=np.float64)[idx], seed, f"fairness/{gi}/weights")
            parts = map_parts(poisson_sums_part, None, job, np.arange(n_boot), min_items=BOOT_MIN_RESAMPLES)
            sums = _by_resample(parts, n_boot, (3, G), np.float64)  # (B, 3, G): weight, error and prediction sums
            bc = sums[:, 0]
            bmae = _div(sums[:, 1], bc)
            bmp = _div(sums[:, 2], bc)
            ci_mae, ci_mp = _ci(bmae, level), _ci(bmp, level)
            ci_d = {
                "mean_absolute_error_difference": _ci(_spread(bmae)[0], level),
                "mean_prediction_difference": _ci(_spread(bmp)[0], level),
                "mean_prediction_ratio": _ci(_spread(bmp)[1], level),
            }
        for i, gname in enumerate(g.names):
            sink.add("group_count", int(cnt[i]), group=gname, sensitive_feature=g.feature, n=int(cnt[i]))
            ci, det = _ci_for(mae[i], ci_mae, None, i)
            sink.add(
                "group_mean_absolute_error", mae[i], group=gname, sensitive_feature=g.feature, n=int(cnt[i]), ci=ci, details=det
            )
            ci, det = _ci_for(mean_pred[i], ci_mp, None, i)
            sink.add(
                "group_mean_prediction", mean_pred[i], group=gname, sensitive_feature=g.feature, n=int(cnt[i]), ci=ci, details=det
            )
        d_mae, _ = _spread(mae)
        d_mp, r_mp = _spread(mean_pred)
        for name, val, src, ratio in (
            ("mean_absolute_error_difference", d_mae, mae, False),
            ("mean_prediction_difference", d_mp, mean_pred, False),
            ("mean_prediction_ratio", r_mp, mean_pred, True),
        ):
            ci, det = _ci_for(val, ci_d[name] if ci_d else None, None)
            keep = _eligible(cnt, sink.spec.get(name).min_n)
            sink.add(
                name,
                val,
                sensitive_feature=g.feature,
                n=len(err),
                ci=ci,
                support=int(cnt.min()),
                eligible_value=_spread_value(src, keep, ratio) if not keep.all() else None,
                details={**(det or {}), "smallest_group": g.names[int(np.argmin(cnt))]},
            )
        tables.append(
            {
                "feature": g.feature,
                "groups": g.names,
                "group_count": cnt.tolist(),
                "mean_absolute_error": mae.tolist(),
                "mean_prediction": mean_pred.tolist(),
            }
        )
    return tables


def poisson_sums_part(
    _model: Any, job: tuple[np.ndarray, int, np.ndarray, np.ndarray, int, str], resamples: np.ndarray
) -> np.ndarray:
    """Per resample, per group: the sums of Poisson(1) weights, weighted errors and weighted predictions
    (B, 3, G), each resample from its own keyed generator (a `partitions.map_parts` function)."""
    codes, groups, err, pred, seed, stream = job
    out = np.empty((len(resamples), 3, groups))
    for i, r in enumerate(resamples):
        w = resample_generator(seed, stream, int(r)).poisson(1.0, size=len(codes)).astype(np.float64)
        out[i, 0] = np.bincount(codes, weights=w, minlength=groups)
        out[i, 1] = np.bincount(codes, weights=w * err, minlength=groups)
        out[i, 2] = np.bincount(codes, weights=w * pred, minlength=groups)
    return out
