"""The one typed evidence model every engine, run kind and importer produces.

An `EvidenceRun` says what produced it (engine or imported tool and version, judge, method),
what it was run on (target, dataset identity and hash, configuration), whether it is *real*,
*simulated* or *imported*, and its metric rows. A `MetricRow` is keyed by test, metric and a
`Slice` (sensitive feature and group, label, attack, language, risk, feature…), so rows that
differ only in their slice are different evidence and are never merged. Each row carries its
value, interval, sample size, the threshold it is judged against (operator, value, the file
and provision it comes from) and its status.

Modelled on Inspect's `EvalLog` (a typed, re-readable, re-scorable record of one run); where it
differs and why is in docs/architecture.md. `python -m tianping.evidence.model` prints the JSON
Schema (also shipped as docs/evidence.schema.json).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = "1"

EvidenceKind = Literal["real", "simulated", "imported"]
MetricStatus = Literal["pass", "warn", "fail", "insufficient_data", "error", "not_judged"]
RunStatus = Literal["pending", "running", "completed", "failed", "interrupted"]
Operator = Literal["<=", ">=", "<", ">"]

STATUSES: tuple[str, ...] = ("pass", "warn", "fail", "insufficient_data", "error", "not_judged")
SLICE_FIELDS: tuple[str, ...] = ("sensitive_feature", "group", "label", "attack", "lang", "risk", "feature", "bank")

# relative + absolute slack when checking a point estimate against its own interval: intervals are
# stored rounded by some engines (e.g. 6 decimals), so an exact comparison would flag rounding noise
_CI_SLACK = 1e-9


class Producer(BaseModel):
    """What produced the evidence: Tianping's own engine, or an outside tool whose results were imported."""

    model_config = ConfigDict(extra="forbid")
    engine: str = Field(description="tabular | genai | stub | an importer name (inspect, lm-eval, garak…)")
    engine_version: str | None = Field(None, description="version of the engine or tool")
    tool: str | None = Field(None, description="for imported evidence: the outside tool that ran the test")
    judge: str | None = Field(None, description="judge or scorer behind the rates (rules, refusal proxy, judge model…)")
    method: str | None = Field(None, description="how the run was produced, in a few words")


class DatasetRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    path: str | None = None
    sha256: str | None = None
    version: str | None = None
    rows: int | None = None


class Slice(BaseModel):
    """Where a value applies. Every field is part of the row's identity."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sensitive_feature: str | None = Field(None, description="'&'-joined for intersections, e.g. 'race&sex'")
    group: str | None = Field(None, description="e.g. 'sex=Female' or 'race=Black&sex=Female'")
    label: str | None = Field(None, description="class label (one-vs-rest rows of a multiclass model)")
    attack: str | None = None
    lang: str | None = None
    risk: str | None = None
    feature: str | None = Field(None, description="input column the value is about")
    bank: str | None = Field(None, description="test bank the value comes from")

    def key(self) -> tuple[str | None, ...]:
        return tuple(getattr(self, f) for f in SLICE_FIELDS)

    def text(self) -> str:
        """Short human form: 'race&sex · race=A&sex=F · label=yes'."""
        parts = []
        if self.group:
            parts.append(self.group)
        elif self.sensitive_feature:
            parts.append(self.sensitive_feature)
        for f in ("label", "attack", "lang", "risk", "feature", "bank"):
            v = getattr(self, f)
            if v:
                parts.append(f"{f}={v}")
        return " · ".join(parts)


class Threshold(BaseModel):
    """A pass/fail boundary with where it comes from.

    `op` and `value` give the failing boundary (the value must satisfy `value <op> threshold`);
    `warn`, when set, is a stricter boundary whose crossing makes the row `warn`. `min_n` is the
    fewest observations the row needs before it can pass.
    """

    model_config = ConfigDict(extra="forbid")
    op: Operator
    value: float
    warn: float | None = None
    min_n: int | None = Field(None, ge=0)
    source: str | None = Field(None, description="file or party that set it: metrics.yaml, gates.yaml, user file…")
    provision: str | None = Field(None, description="catalog provision id the number comes from")

    @field_validator("value", "warn")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("thresholds must be finite numbers")
        return v

    def satisfied(self, value: float, bound: float | None = None) -> bool:
        b = self.value if bound is None else bound
        return {"<=": value <= b, ">=": value >= b, "<": value < b, ">": value > b}[self.op]


class MetricRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    test: str = Field(description="evidence-map test id, e.g. tabular.fairness, genai.should_refuse")
    metric: str = Field(description="metric id, e.g. demographic_parity_difference, should_refuse.refusal_rate")
    slice: Slice = Field(default_factory=Slice)
    value: float | None = None
    ci: tuple[float, float] | None = Field(None, description="confidence interval [low, high] (95 % unless the method says)")
    n: int | None = Field(None, ge=0, description="observations the value rests on (smallest group for between-group rows)")
    value_large_groups: float | None = Field(
        None,
        description="between-group rows: the value over only the groups that reach the minimum size; when it "
        "already fails, small groups cannot rescue the row",
    )
    threshold: Threshold | None = None
    status: MetricStatus = "not_judged"
    citations: list[str] = Field(default_factory=list, description="catalog provisions the row evidences")
    method: str | None = Field(None, description="how the value was judged: rules, refusal proxy, judge X, human review of n…")
    note: str | None = None

    @field_validator("value", "value_large_groups")
    @classmethod
    def _finite_value(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            return None  # NaN/inf are "no value", never a number that could pass
        return v

    @model_validator(mode="after")
    def _consistent(self) -> MetricRow:
        if self.ci is not None:
            lo, hi = self.ci
            if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
                raise ValueError(f"interval {list(self.ci)} is not an interval")
            if self.value is not None:
                slack = _CI_SLACK + 1e-6 * max(abs(lo), abs(hi), abs(self.value))
                if not lo - slack <= self.value <= hi + slack:
                    raise ValueError(f"point estimate {self.value} lies outside its own interval {list(self.ci)}")
        return self

    def key(self) -> tuple[Any, ...]:
        return (self.test, self.metric, *self.slice.key())


class SampleRecord(BaseModel):
    """One item of a run where the engine keeps them (prompt/response pairs, per-row outcomes)."""

    model_config = ConfigDict(extra="allow")
    id: str
    status: Literal["ok", "error"] = "ok"
    slice: Slice = Field(default_factory=Slice)
    scores: dict[str, Any] = Field(default_factory=dict)


class EvidenceRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: str = SCHEMA_VERSION
    run_id: str
    system_id: str | None = None
    kind: EvidenceKind = Field(
        description="real: a Tianping engine ran the system; simulated: invented numbers "
        "(demo/stub), never counted; imported: another tool's results"
    )
    producer: Producer
    target: str | None = None
    suite: str | None = None
    dataset: DatasetRef | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    status: RunStatus = "completed"
    metrics: list[MetricRow] = Field(default_factory=list)
    samples: list[SampleRecord] | None = Field(None, description="inline per-sample records (small runs)")
    samples_ref: str | None = Field(None, description="where per-sample records live when not inline (table, JSONL file)")
    samples_count: int | None = None
    notes: list[str] = Field(default_factory=list)

    @property
    def simulated(self) -> bool:
        return self.kind == "simulated"


def json_schema() -> dict[str, Any]:
    return EvidenceRun.model_json_schema()


if __name__ == "__main__":  # pragma: no cover - documentation helper
    import json

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
