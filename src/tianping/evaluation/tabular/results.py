"""The results document of a tabular test run (schema version 1).

Why pydantic: the same models validate what the engines produce, serialise it for the CLI, the
`runs` table and reports, and export the JSON Schema documented in docs/tabular-tests.md
(`python -m tianping.evaluation.tabular.results` prints it). Each metric carries its own
citations and thresholds so that a reader of one number can always ask "why?".
"""

from __future__ import annotations

import math
import os
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from .spec import Spec, Thresholds

SCHEMA_VERSION = "1"
Status = Literal["pass", "warn", "fail", "insufficient_data", "error", "not_judged"]
STATUSES: tuple[str, ...] = ("pass", "warn", "fail", "insufficient_data", "error", "not_judged")
MetricValue = float | int | list[list[int]] | None
CI_TOLERANCE = 1e-9


class MetricConsistencyError(AssertionError):
    """A metric row that contradicts itself (a value outside its own interval): a bug in an engine."""


def strict_checks() -> bool:
    """Raise on inconsistent metric rows (under pytest, or with TIANPING_STRICT=1); otherwise mark them `error`."""
    return bool(os.environ.get("TIANPING_STRICT") or os.environ.get("PYTEST_CURRENT_TEST"))


class Metric(BaseModel):
    """One number (or confusion matrix) with where it applies, how it is judged and what it evidences."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="snake_case metric name, declared in metrics.yaml")
    test: str = Field(description="fairness | counterfactual | robustness | explain | performance | quality")
    value: MetricValue = Field(description="null when undefined (e.g. a rate over an empty denominator)")
    group: str | None = Field(None, description="group the value is for, e.g. 'sex=Female' or 'sex=Female&race=Black'")
    sensitive_feature: str | None = Field(
        None, description="sensitive feature(s) the grouping uses, '&'-joined for intersections"
    )
    feature: str | None = Field(None, description="input column the value is about (importance, missingness, drift)")
    label: str | None = Field(None, description="class label the value is about (one-vs-rest), when relevant")
    ci: list[float] | None = Field(None, description="bootstrap confidence interval [low, high]")
    n: int | None = Field(None, description="rows the value was computed on (for a group row: the group's rows)")
    min_n: int | None = Field(None, description="minimum sample size (per group) a judged value needs, from metrics.yaml")
    min_group_n: int | None = Field(
        None,
        description="the sample size that decides sufficiency: for a between-group row the smallest group's count "
        "in the metric's denominator (e.g. positives for a TPR gap); for other rows n",
    )
    thresholds: Thresholds | None = None
    status: Status = Field("not_judged", description="pass | warn | fail | insufficient_data | error | not_judged")
    gate: bool = Field(False, description="the metric is a release gate (`--fail-on gate`), from metrics.yaml")
    principles: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list, description="catalog provision ids this metric evidences")
    details: dict[str, Any] | None = None


class Plot(BaseModel):
    name: str
    path: str
    format: Literal["png", "svg"]


class Summary(BaseModel):
    passed: int = 0
    warned: int = 0
    failed: int = 0
    insufficient_data: int = 0
    errors: int = 0
    not_judged: int = 0
    gate_failed: int = Field(0, description="rows with status fail or error on a gate metric")
    verdict: Literal["pass", "warn", "fail", "insufficient_data", "error", "not_judged"] = "not_judged"
    by_test: dict[str, dict[str, int]] = Field(default_factory=dict)


class TabularResult(BaseModel):
    """Everything one run produced; stored whole as `runs.result` when persisted."""

    model_config = ConfigDict(extra="forbid")
    schema_version: str = SCHEMA_VERSION
    run_id: str
    created_at: str
    config: dict[str, Any]
    task: Literal["binary", "multiclass", "regression"]
    n_rows: int
    labels: list[str] | None = None
    positive_label: str | None = None
    tests: list[str]
    metrics: list[Metric]
    summary: Summary
    recommendation: dict[str, Any] | None = None
    plots: list[Plot] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)


def _clean(value: Any) -> MetricValue:
    """Plain JSON numbers: numpy scalars become Python ones, NaN/inf become null."""
    if value is None or isinstance(value, list):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)) else None


class MetricSink:
    """Collects metrics for one test, filling citations, thresholds and minimum sizes from the spec.

    Judging (`status`):
    - no thresholds, or a value that is not a number: `not_judged`;
    - the sample behind the value is smaller than the metric's `min_n` (`support` below; for a
      between-group row, the smallest group's count): the value over the groups that do reach
      `min_n` (`eligible_value`) is judged instead. A between-group gap can only widen (and a
      ratio only shrink) when groups are added, so a `fail` or `warn` found on the large groups
      stands; a `pass` does not (the small groups could change it) and becomes
      `insufficient_data`, as does a row with no such value. Small groups never drive a `fail`;
    - otherwise the thresholds decide.
    Every row is checked: its interval must contain its value (else `MetricConsistencyError`
    under tests / TIANPING_STRICT=1, status `error` otherwise).
    """

    def __init__(self, spec: Spec, test: str, *, strict: bool | None = None):
        self.spec = spec
        self.test = test
        self.metrics: list[Metric] = []
        self.strict = strict_checks() if strict is None else strict

    def add(
        self,
        name: str,
        value: Any,
        *,
        judge: bool = True,
        ci: tuple[float, float] | None = None,
        support: int | None = None,
        eligible_value: Any = None,
        **where: Any,
    ) -> Metric:
        ms = self.spec.get(name)
        v = _clean(value)
        thr = ms.thresholds if judge else None
        n = where.get("n")
        support = int(support) if support is not None else (int(n) if n is not None else None)
        min_n = ms.min_n if (thr is not None and ms.min_n) else None
        details = dict(where.pop("details", None) or {})
        if thr is None or _number(v) is None:
            status = "not_judged"
        elif min_n is not None and support is not None and support < min_n:
            ev = _number(_clean(eligible_value))
            s = thr.judge(ev) if ev is not None else "not_judged"
            status = s if s in ("warn", "fail") else "insufficient_data"
            details["judged_on"] = "groups with at least min_n rows" if ev is not None else None
            if ev is not None:
                details["value_without_small_groups"] = ev
            if details["judged_on"] is None:
                del details["judged_on"]
        else:
            status = thr.judge(cast(float, v))  # a number here: _number(v) is not None
        ci_clean = None
        if ci is not None and v is not None and all(c is not None and math.isfinite(float(c)) for c in ci):
            ci_clean = [float(ci[0]), float(ci[1])]
        problem = self._inconsistency(name, v, ci_clean, n)
        if problem:
            if self.strict:
                raise MetricConsistencyError(problem)
            status = "error"
            details["error"] = problem
        m = Metric(
            name=name,
            test=self.test,
            value=v,
            ci=ci_clean,
            thresholds=thr,
            status=cast(Status, status),
            min_n=min_n,
            min_group_n=support if min_n is not None else None,
            gate=ms.gate,
            principles=list(ms.principles),
            citations=list(ms.citations),
            details=details or None,
            **{k: w for k, w in where.items() if w is not None},
        )
        self.metrics.append(m)
        return m

    @staticmethod
    def _inconsistency(name: str, v: MetricValue, ci: list[float] | None, n: Any) -> str | None:
        if n is None:
            return f"metric '{name}' has no sample size n"
        if ci is None:
            return None
        lo, hi = ci
        if lo > hi + CI_TOLERANCE:
            return f"metric '{name}' has an interval with low {lo!r} above high {hi!r}"
        x = _number(v)
        if x is not None and not (lo - CI_TOLERANCE * (1 + abs(lo)) <= x <= hi + CI_TOLERANCE * (1 + abs(hi))):
            return f"metric '{name}' value {x!r} lies outside its own interval [{lo!r}, {hi!r}]"
        return None


def interval_with_estimate(value: Any, lo: float, hi: float) -> tuple[float, float, bool]:
    """A percentile bootstrap interval made to contain its point estimate.

    For statistics such as a max - min gap over groups the bootstrap distribution is biased (a
    resampled gap is almost never smaller than the observed one when the true gap is near 0), so
    the percentile interval can miss the estimate. Reporting an interval that excludes its own
    value is self-contradictory; the interval is widened to the estimate and flagged instead.
    """
    x = _number(_clean(value))
    if x is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return lo, hi, False
    new_lo, new_hi = min(lo, x), max(hi, x)
    return new_lo, new_hi, (new_lo != lo or new_hi != hi)


def summarise(metrics: list[Metric]) -> Summary:
    s = Summary()
    for m in metrics:
        bucket = s.by_test.setdefault(m.test, {k: 0 for k in STATUSES})
        bucket[m.status] += 1
        if m.status == "pass":
            s.passed += 1
        elif m.status == "warn":
            s.warned += 1
        elif m.status == "fail":
            s.failed += 1
        elif m.status == "insufficient_data":
            s.insufficient_data += 1
        elif m.status == "error":
            s.errors += 1
        else:
            s.not_judged += 1
        if m.gate and m.status in ("fail", "error"):
            s.gate_failed += 1
    s.verdict = (
        "fail"
        if s.failed
        else "error"
        if s.errors
        else "warn"
        if s.warned
        else "insufficient_data"
        if s.insufficient_data
        else "pass"
        if s.passed
        else "not_judged"
    )
    return s


if __name__ == "__main__":  # pragma: no cover - documentation helper
    import json

    print(json.dumps(TabularResult.model_json_schema(), indent=2))
