"""Which tabular test families exist: the built-in ones (`spec.TESTS`) and plug-in families.

A plug-in family comes from ``@tianping.plugins.register("tabular_tests", name)`` or the entry-point
group ``tianping.tabular_tests`` of an installed package. It is a callable taking one
`TabularTestContext` (the encoded labels, predictions and probabilities of every row, the sensitive
columns, the model when there is one) and returning rows of the one evidence model
(`tianping.evidence.model.MetricRow`, or dicts of its fields).

A plug-in family runs only when named in ``--tests`` (``TabularConfig.tests``). Its rows are judged
like every other row, by the shared rules of `tianping.evidence.judge` (a row's status is the worse
of the plug-in's own status and the rules' verdict on its value, interval, sample size and
threshold; a bare ``pass`` without a threshold becomes ``not_judged``), and each names its producer
(``details.producer``: the family and where the plug-in comes from). A plug-in that fails or
returns something that is not a row gives an ``error`` row naming it: the run shows it, and it can
never make anything look better than it is. A plug-in that cannot be imported, is not a one-argument
callable or takes a built-in family's name is a `TianpingError` naming it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .results import Metric
from .spec import TESTS, Thresholds


@dataclass
class TabularTestContext:
    """What a plug-in test family sees of a run (all rows; codes index `class_names`)."""

    task: str  # binary | multiclass | regression
    y: np.ndarray  # true labels: int codes into class_names (classification) or floats (regression)
    pred: np.ndarray  # predictions, coded like y
    proba: np.ndarray | None  # (rows, classes) probabilities in class_names order, when known
    class_names: list[str]
    positive: int | None  # code of the positive class (binary)
    sensitive: dict[str, np.ndarray]  # sensitive column -> its values, row-aligned with y
    features: list[str]
    target: str
    model: Any = None  # the loaded model adapter (None with precomputed predictions)
    n_rows: int = 0
    seed: int = 0
    config: dict[str, Any] = field(default_factory=dict)


def plugin_tests() -> dict[str, Any]:
    """The plug-in test families, checked: ``{name: callable}``."""
    from ... import plugins

    return plugins.checked("tabular_tests", TESTS, lambda _n, obj: plugins.takes_positional(obj, 1))


def known_tests() -> tuple[str, ...]:
    """Every test family `--tests` may name: the built-in ones, then the plug-ins (sorted)."""
    return (*TESTS, *sorted(plugin_tests()))


def run_plugin_tests(
    names: list[str],
    *,
    enc: Any,
    sensitive: Any,
    features: list[str],
    target: str,
    model: Any,
    n_rows: int,
    seed: int,
    config: dict[str, Any],
    timings: dict[str, float],
) -> list[Metric]:
    """Run the plug-in families among `names` (in order) and return their judged rows."""
    wanted = [n for n in names if n not in TESTS]
    if not wanted:
        return []
    found = plugin_tests()
    if isinstance(sensitive, dict):
        sens = {str(c): np.asarray(v) for c, v in sensitive.items()}
    else:  # a DataFrame
        sens = {str(c): sensitive[c].to_numpy() for c in getattr(sensitive, "columns", [])}
    ctx = TabularTestContext(
        task=enc.task,
        y=enc.y,
        pred=enc.pred,
        proba=enc.proba,
        class_names=list(enc.class_names),
        positive=enc.positive,
        sensitive=sens,
        features=list(features),
        target=target,
        model=model,
        n_rows=n_rows,
        seed=seed,
        config=dict(config),
    )
    out: list[Metric] = []
    for name in wanted:
        t0 = time.perf_counter()
        out += run_plugin_test(name, found[name], ctx)
        timings[name] = time.perf_counter() - t0
    return out


def run_plugin_test(name: str, fn: Any, ctx: TabularTestContext) -> list[Metric]:
    """One plug-in family's rows as judged tabular metric rows (see the module docstring)."""
    from pydantic import ValidationError

    from ... import plugins
    from ...evidence.model import MetricRow

    producer = f"tabular test plug-in '{name}' ({plugins.origin('tabular_tests', name)})"
    try:
        rows = list(fn(ctx) or [])
    except Exception as exc:  # noqa: BLE001 - a failing plug-in is an error row, never a traceback
        return [_error(name, producer, f"{type(exc).__name__}: {exc}", ctx.n_rows)]
    out: list[Metric] = []
    for i, row in enumerate(rows):
        try:
            r = row if isinstance(row, MetricRow) else MetricRow.model_validate(row)
        except ValidationError as exc:
            msg = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors()[:3])
            out.append(_error(name, producer, f"row {i + 1} is not an evidence metric row: {msg}", ctx.n_rows))
            continue
        try:
            out.append(_metric(name, producer, r))
        except ValueError as exc:  # e.g. a threshold whose warn boundary lies beyond its fail boundary
            out.append(_error(name, producer, f"row {i + 1} ({r.metric}): {exc}", ctx.n_rows))
    return out


def _error(name: str, producer: str, message: str, n: int) -> Metric:
    return Metric(
        name=f"{name}.error", test=name, value=None, n=n, status="error", details={"producer": producer, "error": message}
    )


def _metric(name: str, producer: str, row: Any) -> Metric:
    """A plug-in's evidence row judged by the shared rules and stated as a tabular metric row."""
    from ...evidence.judge import rejudge

    r = rejudge(row)
    thr = r.threshold
    thresholds = None
    details: dict[str, Any] = {"producer": producer}
    if thr is not None:
        thresholds = Thresholds(
            direction="max" if thr.op in ("<=", "<") else "min", warn=thr.value if thr.warn is None else thr.warn, fail=thr.value
        )
        if thr.op in ("<", ">"):
            details["threshold_op"] = thr.op
        if thr.source:
            details["threshold_source"] = thr.source
    if r.test != name and r.test != f"tabular.{name}":
        details["evidence_test"] = r.test
    if r.value_large_groups is not None:
        details["value_without_small_groups"] = r.value_large_groups
    for f in ("attack", "lang", "risk", "bank"):
        if getattr(r.slice, f):
            details[f] = getattr(r.slice, f)
    if r.method:
        details["method"] = r.method
    if r.note:
        details["note"] = r.note
    min_n = thr.min_n if thr is not None else None
    return Metric(
        name=r.metric,
        test=name,
        value=r.value,
        group=r.slice.group,
        sensitive_feature=r.slice.sensitive_feature,
        feature=r.slice.feature,
        label=r.slice.label,
        ci=list(r.ci) if r.ci is not None else None,
        n=r.n,
        min_n=min_n,
        min_group_n=r.n if min_n is not None else None,
        thresholds=thresholds,
        status=r.status,
        citations=list(r.citations),
        details=details,
    )
