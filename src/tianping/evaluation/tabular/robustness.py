"""Robustness: perturbation curves and a black-box boundary attack.

Perturbations are applied to a whole sample at once per severity (one model call each):
Gaussian noise on numeric features (scaled by each feature's standard deviation), category flips
(a value replaced by another drawn from the column's own distribution), missing values, and
out-of-range values. A model that raises or returns non-finite output on missing or out-of-range
input is recorded (`invalid_input_failure`), not allowed to crash the run.

What moves: noise, out-of-range values and the boundary attack move only the numeric columns in
`q.numeric` (the runner leaves out `--categorical` and text columns, and sensitive columns unless
`--perturb-sensitive`); category flips move only the categorical columns given here, and missing
values are injected everywhere except the `protected` (sensitive) columns.

The boundary attack is computed over row partitions (`partitions.map_parts`): on the local backend
one part, on the Ray backend chunks of at least `ATTACK_MIN_ROWS` rows as Ray tasks. Each row's
random numbers are keyed by (seed, row), so the merged parts equal one attack of all rows. The
perturbation curves are one model call per severity over the whole sample and stay in one piece.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...errors import TianpingError
from .attack import AttackResult, hop_skip_jump
from .labels import Encoded
from .partitions import map_parts
from .querier import Querier
from .results import MetricSink

ATTACK_MIN_ROWS = 250  # ~0.3 ms a row on Adult: fewer rows per part cost more in task overhead than they save

SEVERITIES = {
    "gaussian_noise": [0.05, 0.1, 0.2, 0.5, 1.0],
    "category_flip": [0.05, 0.1, 0.2, 0.5],
    "missing_values": [0.05, 0.1, 0.2],
    "out_of_range": [0.05, 0.1, 0.2],
}
REFERENCE_SEVERITY = 0.1


def _perturb(
    frame: pd.DataFrame,
    kind: str,
    sev: float,
    numeric: list[str],
    categorical: list[str],
    rng: np.random.Generator,
    stats: dict[str, Any],
    protected: tuple[str, ...] = (),
) -> pd.DataFrame:
    f = frame.copy()
    n = len(f)
    if kind == "gaussian_noise":
        x = f[numeric].to_numpy(dtype=np.float64)
        f[numeric] = x + rng.standard_normal(x.shape) * stats["std"] * sev
    elif kind == "category_flip":
        for col in categorical:
            mask = rng.random(n) < sev
            values = stats["cat_values"][col]
            f.loc[mask, col] = rng.choice(values, size=int(mask.sum()))
    elif kind == "missing_values":
        for col in [c for c in f.columns if c not in protected]:
            mask = rng.random(n) < sev
            if col in numeric:
                f[col] = f[col].astype(np.float64).mask(mask)
            else:
                f[col] = f[col].astype(object).mask(mask)
    elif kind == "out_of_range":
        x = f[numeric].to_numpy(dtype=np.float64)
        mask = rng.random(x.shape) < sev
        side = rng.random(x.shape) < 0.5
        far = np.where(side, stats["max"] + 3 * stats["std"], stats["min"] - 3 * stats["std"])
        f[numeric] = np.where(mask, far, x)
    return f


def run_robustness(
    sink: MetricSink,
    q: Querier,
    *,
    categorical: list[str],
    attack: bool = True,
    epsilon: float = 0.5,
    iterations: int = 8,
    seed: int = 0,
    protected: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """Perturbation curves, then (classification) the boundary attack on the sample.

    `q.numeric` are the columns noise and the attack may move; `categorical` the columns category
    flips may change; `protected` columns (sensitive attributes) are never changed."""
    categorical = [c for c in categorical if c not in protected]
    protected = tuple(protected)
    rng = np.random.default_rng(seed)
    frame, numeric = q.frame, q.numeric
    regression = q.enc.task == "regression"
    xnum = frame[numeric].to_numpy(dtype=np.float64) if numeric else np.empty((len(frame), 0))
    std = np.nanstd(xnum, axis=0) if numeric else np.empty(0)
    std = np.where(std > 0, std, 1.0)
    stats = {
        "std": std,
        "min": np.nanmin(xnum, axis=0) if numeric else std,
        "max": np.nanmax(xnum, axis=0) if numeric else std,
        "cat_values": {c: frame[c].dropna().to_numpy() for c in categorical},
    }
    base = q.predict_frame(frame)
    base_score = q.score(base)
    score_name = "perturbed_mean_absolute_error" if regression else "perturbed_accuracy"
    curves: dict[str, Any] = {}
    for kind, sevs in SEVERITIES.items():
        if kind in ("gaussian_noise", "out_of_range") and not numeric:
            continue
        if kind == "category_flip" and not categorical:
            continue
        curve = {"severity": [0.0], "score": [base_score]}
        failed = None
        for sev in sevs:
            pert = _perturb(frame, kind, sev, numeric, categorical, rng, stats, protected)
            try:
                out = q.predict_frame(pert)
                if regression and not np.all(np.isfinite(out)):
                    raise ValueError("non-finite predictions")
            except TianpingError:
                raise
            except Exception as exc:  # the model itself refused the input: that is the finding
                failed = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
                break
            s = q.score(out)
            curve["severity"].append(sev)
            curve["score"].append(s)
            details = {"perturbation": kind, "severity": sev}
            sink.add(score_name, s, n=len(frame), details=details)
            flip = np.mean(np.abs(out - base) > 1e-9 * (1 + np.abs(base))) if regression else np.mean(out != base)
            sink.add("prediction_flip_rate", flip, n=len(frame), details=details)
        if kind in ("missing_values", "out_of_range"):
            sink.add(
                "invalid_input_failure",
                1 if failed else 0,
                n=len(frame),
                details={"perturbation": kind, **({"error": failed} if failed else {})},
            )
        if failed:
            continue
        ref = (
            curve["score"][curve["severity"].index(REFERENCE_SEVERITY)]
            if REFERENCE_SEVERITY in curve["severity"]
            else curve["score"][-1]
        )
        drop = (ref - base_score) / base_score if regression and base_score > 0 else (base_score - ref)
        sink.add(
            "accuracy_drop",
            drop,
            n=len(frame),
            details={"perturbation": kind, "severity": REFERENCE_SEVERITY, "relative": bool(regression)},
        )
        curves[kind] = curve
    result: dict[str, Any] = {"curves": curves, "baseline": base_score, "metric": "mae" if regression else "accuracy"}
    if attack and not regression and not numeric:
        result["attack_skipped"] = (
            "no numeric column the attack may move (categorical, text and sensitive columns are held fixed)"
        )
    if attack and not regression and numeric:
        result["attack"] = run_attack(sink, q, std, epsilon=epsilon, iterations=iterations, seed=seed, base=base)
    return result


def run_attack(
    sink: MetricSink, q: Querier, std: np.ndarray, *, epsilon: float, iterations: int, seed: int, base: np.ndarray | None = None
) -> dict[str, Any]:
    frame, numeric = q.frame, q.numeric
    x = frame[numeric].to_numpy(dtype=np.float64)
    pred0 = base if base is not None else q.predict_frame(frame)
    skip = None
    if np.isnan(x).any():  # rows with missing numeric values cannot be moved along a line: fill with medians
        med = np.nanmedian(x, axis=0)
        med = np.where(np.isnan(med), 0.0, med)
        filled = np.where(np.isnan(x), med, x)
        holes = np.isnan(x).any(axis=1)
        # a row whose prediction the filling itself changes is not attacked (it would count as a free success)
        skip = holes & (q.predict_numeric(filled, np.arange(len(x))) != pred0)
        x = filled
    mu = x.mean(axis=0)
    z = (x - mu) / std
    job = AttackInput(frame, q.enc, list(numeric), z, pred0, skip, std, mu, iterations, seed)
    res = AttackResult.merge(map_parts(attack_part, q.model, job, np.arange(len(z)), min_items=ATTACK_MIN_ROWS), len(z))
    attacked = int(res.correct.sum())
    finite = res.distance[res.correct & np.isfinite(res.distance)]
    details = {
        "epsilon": epsilon,
        "norm": "L2 over standardised numeric features",
        "iterations": iterations,
        "attacked_rows": attacked,
        "moved_columns": list(numeric),
        "model_queries": res.queries,
        "start_not_found": res.no_start,
        "unverified_discarded": res.unverified,
        "verified": "every counted point was checked with the model and changes its prediction",
    }
    sink.add("adversarial_accuracy", res.adversarial_accuracy(epsilon), n=len(frame), details=details)
    sink.add(
        "attack_success_rate",
        res.success_rate(),
        n=attacked,
        details={"successes": int(len(finite)), "start_not_found": res.no_start, "unverified_discarded": res.unverified},
    )
    sink.add("attack_start_not_found", res.no_start, n=attacked)
    sink.add("median_minimal_perturbation", float(np.median(finite)) if len(finite) else None, n=len(finite))
    sink.add("mean_minimal_perturbation", float(np.mean(finite)) if len(finite) else None, n=len(finite))
    eps_grid = [0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0]
    return {
        "epsilon": eps_grid,
        "adversarial_accuracy": [res.adversarial_accuracy(e) for e in eps_grid],
        "queries": res.queries,
        "successes": int(len(finite)),
        "start_not_found": res.no_start,
    }


@dataclass
class AttackInput:
    """What one part of the attack needs besides the model (it travels to a Ray task as it is)."""

    frame: pd.DataFrame
    enc: Encoded
    numeric: list[str]
    z: np.ndarray  # all rows, standardised (the candidate pool is drawn from all of them)
    pred0: np.ndarray
    skip: np.ndarray | None
    std: np.ndarray
    mu: np.ndarray
    iterations: int
    seed: int


def attack_part(model: Any, job: AttackInput, rows: np.ndarray) -> AttackResult:
    """The boundary attack on `rows` of the sample (a `partitions.map_parts` function)."""
    q = Querier(model, job.frame, job.enc, job.numeric)

    def predict(zz: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return q.predict_numeric(zz * job.std + job.mu, idx)

    return hop_skip_jump(predict, job.z, job.enc.y, job.pred0, iterations=job.iterations, seed=job.seed, skip=job.skip, part=rows)
