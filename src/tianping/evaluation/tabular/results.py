"""The results document of a tabular test run (schema version 1).

Why pydantic: the same models validate what the engines produce, serialise it for the CLI, the
`runs` table and reports, and export the JSON Schema documented in docs/tabular-tests.md
(`python -m tianping.evaluation.tabular.results` prints it). Each metric carries its own
citations and thresholds so that a reader of one number can always ask "why?".
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .spec import Spec, Thresholds

SCHEMA_VERSION = "1"
Status = Literal["pass", "warn", "fail", "not_judged"]
MetricValue = float | int | list[list[int]] | None


class Metric(BaseModel):
    """One number (or confusion matrix) with where it applies, how it is judged and what it evidences."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="snake_case metric name, declared in metrics.yaml")
    test: str = Field(description="fairness | robustness | explain | performance | quality")
    value: MetricValue = Field(description="null when undefined (e.g. a rate over an empty denominator)")
    group: str | None = Field(None, description="group the value is for, e.g. 'sex=Female' or 'sex=Female&race=Black'")
    sensitive_feature: str | None = Field(None, description="sensitive feature(s) the grouping uses, '&'-joined for intersections")
    feature: str | None = Field(None, description="input column the value is about (importance, missingness, drift)")
    label: str | None = Field(None, description="class label the value is about (one-vs-rest), when relevant")
    ci: list[float] | None = Field(None, description="bootstrap confidence interval [low, high]")
    n: int | None = Field(None, description="rows the value was computed on")
    thresholds: Thresholds | None = None
    status: Status = "not_judged"
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
    not_judged: int = 0
    verdict: Literal["pass", "warn", "fail", "not_judged"] = "not_judged"
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


class MetricSink:
    """Collects metrics for one test, filling citations and thresholds from the spec."""

    def __init__(self, spec: Spec, test: str):
        self.spec = spec
        self.test = test
        self.metrics: list[Metric] = []

    def add(self, name: str, value: Any, *, judge: bool = True, ci: tuple[float, float] | None = None, **where: Any) -> Metric:
        ms = self.spec.get(name)
        v = _clean(value)
        thr = ms.thresholds if judge else None
        status = thr.judge(v) if (thr is not None and isinstance(v, (int, float))) else "not_judged"
        ci_clean = None
        if ci is not None and all(c is not None and math.isfinite(float(c)) for c in ci):
            ci_clean = [float(ci[0]), float(ci[1])]
        m = Metric(name=name, test=self.test, value=v, ci=ci_clean, thresholds=thr, status=status,
                   principles=list(ms.principles), citations=list(ms.citations),
                   **{k: w for k, w in where.items() if w is not None})
        self.metrics.append(m)
        return m


def summarise(metrics: list[Metric]) -> Summary:
    s = Summary()
    for m in metrics:
        bucket = s.by_test.setdefault(m.test, {"pass": 0, "warn": 0, "fail": 0, "not_judged": 0})
        bucket[m.status] += 1
        if m.status == "pass":
            s.passed += 1
        elif m.status == "warn":
            s.warned += 1
        elif m.status == "fail":
            s.failed += 1
        else:
            s.not_judged += 1
    s.verdict = "fail" if s.failed else ("warn" if s.warned else ("pass" if s.passed else "not_judged"))
    return s


if __name__ == "__main__":  # pragma: no cover - documentation helper
    import json

    print(json.dumps(TabularResult.model_json_schema(), indent=2))
