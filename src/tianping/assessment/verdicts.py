"""Verdict rules (verdict_rules.yaml) and threshold overrides for re-scoring.

The rules are data: how a row's status and a checklist answer count, which evidence kinds count,
the order of verdicts from worst to best, and minimum sample sizes. `obligation_verdict` is the
one function that applies them; it keeps every row it was given and says which rows decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import TianpingError
from ..evidence.model import STATUSES, Operator, Threshold
from ..yamlio import load_yaml_file, validation_problems

RULES_FILE = Path(__file__).parent / "verdict_rules.yaml"
Judgement = Literal["met", "not_met", "partial", "insufficient_data"]
JUDGEMENTS = ("met", "not_met", "partial", "insufficient_data")


class MinSamples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: int = Field(30, ge=0)
    metrics: dict[str, int] = Field(default_factory=dict)

    def for_metric(self, metric: str) -> int:
        return self.metrics.get(metric, self.default)


class VerdictRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    row_judgement: dict[str, Judgement | None]
    answer_judgement: dict[str, Judgement | None]
    counted_kinds: list[Literal["real", "imported", "simulated"]]
    precedence: list[Judgement]
    incomplete_tests: Judgement | None = None
    min_samples: MinSamples = Field(default_factory=MinSamples)

    @model_validator(mode="after")
    def _complete(self) -> VerdictRules:
        missing = set(STATUSES) - set(self.row_judgement)
        if missing:
            raise ValueError(f"row_judgement must say how every status counts (missing: {', '.join(sorted(missing))})")
        if sorted(self.precedence) != sorted(JUDGEMENTS):
            raise ValueError(f"precedence must order exactly {', '.join(JUDGEMENTS)}")
        if "simulated" in self.counted_kinds:
            raise ValueError("simulated evidence can never count toward a verdict")
        return self

    def worst(self, judgements: list[str]) -> str | None:
        present = set(judgements)
        for j in self.precedence:
            if j in present:
                return j
        return None


def load_rules(path: Path | None = None) -> VerdictRules:
    if path is None:
        return default_rules()
    doc = load_yaml_file(path)
    try:
        return VerdictRules.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid verdict rules") from None


@lru_cache(maxsize=1)
def default_rules() -> VerdictRules:
    doc = load_yaml_file(RULES_FILE)
    return VerdictRules.model_validate(doc.data)


# ------------------------------------------------------------------------------- threshold overrides
class ThresholdOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Operator | None = None
    value: float
    warn: float | None = None
    min_n: int | None = Field(None, ge=0)
    provision: str | None = None

    def apply(self, base: Threshold | None, source: str) -> Threshold:
        op = self.op or (base.op if base else None)
        if op is None:
            raise ValueError("needs an 'op' (<=, >=, <, >): the metric has no threshold of its own to take it from")
        return Threshold(
            op=op,
            value=self.value,
            warn=self.warn,
            min_n=self.min_n if self.min_n is not None else (base.min_n if base else None),
            source=source,
            provision=self.provision or (base.provision if base else None),
        )


class OverridesFile(BaseModel):
    """`--thresholds FILE` for re-scoring: metric id -> new threshold (and optional min sample sizes)."""

    model_config = ConfigDict(extra="forbid")
    thresholds: dict[str, ThresholdOverride] = Field(default_factory=dict)
    min_samples: MinSamples | None = None


@dataclass
class Overrides:
    source: str
    thresholds: dict[str, ThresholdOverride]
    min_samples: MinSamples | None

    def threshold_for(self, metric: str, base: Threshold | None) -> Threshold | None:
        o = self.thresholds.get(metric)
        return o.apply(base, self.source) if o else None


def load_overrides(path: Path) -> Overrides:
    doc = load_yaml_file(path)
    try:
        f = OverridesFile.model_validate(doc.data or {})
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid thresholds file") from None
    return Overrides(source=f"user file {path.name}", thresholds=f.thresholds, min_samples=f.min_samples)


# ------------------------------------------------------------------------------------------ verdict
@dataclass
class Decision:
    verdict: str  # met | not_met | partial | insufficient_data | needs_evidence | not_applicable
    decisive: list[dict[str, Any]]  # the rows / answers whose judgement equals the verdict
    counted: int
    shown_only: int  # simulated or not-judged rows: shown, never counted
    reason: str  # a short code: judged | no_evidence | only_simulated | only_unjudged | all_not_applicable


def obligation_verdict(rows: list[dict[str, Any]], answers: list[dict[str, Any]], rules: VerdictRules) -> Decision:
    """rows: evidence rows with `status`, `evidence_kind`; answers: checklist answers with `answer`.

    Each row gets `counted` and `judgement` filled in (in place) so the report can show why.
    """
    judgements: list[str] = []
    decisive_pool: list[tuple[str, dict[str, Any]]] = []
    shown_only = 0
    simulated = unjudged = 0
    for r in rows:
        j = rules.row_judgement.get(r["status"])
        counts = r["evidence_kind"] in rules.counted_kinds and j is not None
        r["counted"] = counts
        r["judgement"] = j if counts else None
        if counts and j is not None:
            judgements.append(j)
            decisive_pool.append((j, r))
        else:
            shown_only += 1
            simulated += r["evidence_kind"] == "simulated"
            unjudged += r["evidence_kind"] != "simulated"
    na = 0
    for a in answers:
        j = rules.answer_judgement.get(a["answer"])
        a["judgement"] = j
        if j is None:
            na += a["answer"] == "not_applicable"
            continue
        judgements.append(j)
        decisive_pool.append((j, a))
    verdict = rules.worst(judgements)
    if verdict is None:
        if na and na == len(answers) and not unjudged:  # simulated rows never change a verdict
            return Decision("not_applicable", [], 0, shown_only, "all_not_applicable")
        reason = "no_evidence"
        if simulated and not unjudged:
            reason = "only_simulated"
        elif unjudged:
            reason = "only_unjudged"
        return Decision("needs_evidence", [], 0, shown_only, reason)
    return Decision(verdict, [x for j, x in decisive_pool if j == verdict], len(judgements), shown_only, "judged")
