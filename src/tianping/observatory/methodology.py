"""Methodology files: the whole index definition as data (pillars → dimensions → indicators).

Why a file and not code: an index is a set of contestable choices (which indicators, how much
each weighs, how gaps are filled). Putting every choice in one reviewed, versioned YAML file —
validated with file/line/field errors — lets a ministry or a researcher change a weight and see
the effect without touching the engine.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import Problem, ProblemList, TianpingError
from ..yamlio import LocatedDoc, load_yaml_file, validation_problems
from .countries import Title
from .indicators import builtin_indicators

BUNDLED = Path(__file__).parent / "methodologies"
SLUG = r"^[a-z0-9][a-z0-9_-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _weight(v: float) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        raise ValueError("weight must be a finite number")
    if v < 0:
        raise ValueError("weights must not be negative")
    return float(v)


class Winsorise(_Strict):
    lower: float = Field(0.0, ge=0, lt=0.5, description="Lower quantile to clip at (0 = no clipping).")
    upper: float = Field(1.0, gt=0.5, le=1, description="Upper quantile to clip at (1 = no clipping).")


class Normalisation(_Strict):
    method: Literal["minmax", "zscore", "rank"] = "minmax"
    reference: Literal["per_year", "pooled"] = Field(
        "per_year",
        description=(
            "per_year: compare countries within each year; pooled: one scale over all years (trends show absolute change)."
        ),
    )
    winsorise: Winsorise | None = None


class Imputation(_Strict):
    carry_forward_years: int = Field(0, ge=0, le=50, description="Use the last observation up to this many years old.")
    method: Literal["none", "mean", "median"] = Field(
        "none",
        description="Fill remaining gaps inside covered dimensions with the cross-country mean/median of the year (flagged).",
    )


class Sensitivity(_Strict):
    draws: int = Field(1000, ge=1, le=100_000)
    spread: float = Field(0.25, gt=0, lt=1, description="Each weight is multiplied by a uniform factor in [1-spread, 1+spread].")
    seed: int = 0


class IndicatorRef(_Strict):
    id: str = Field(min_length=1)
    weight: float
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    transform: Literal["none", "log"] = "none"

    _w = field_validator("weight", mode="before")(lambda cls, v: _weight(v))


class Dimension(_Strict):
    id: str = Field(pattern=SLUG)
    title: Title
    weight: float
    min_coverage: float = Field(0.5, ge=0, le=1)
    addressed_by: list[str] = Field(
        default_factory=list, description="Catalog provisions (e.g. capacity-building actions) that address a gap here."
    )
    indicators: list[IndicatorRef] = Field(min_length=1)

    _w = field_validator("weight", mode="before")(lambda cls, v: _weight(v))


class Pillar(_Strict):
    id: str = Field(pattern=SLUG)
    title: Title
    weight: float
    min_coverage: float = Field(0.5, ge=0, le=1)
    dimensions: list[Dimension] = Field(min_length=1)

    _w = field_validator("weight", mode="before")(lambda cls, v: _weight(v))


class Methodology(_Strict):
    id: str = Field(pattern=SLUG)
    version: str
    title: Title
    description: Title | None = None
    reference: str | None = None
    weights_sum: float = Field(1.0, gt=0, description="What sibling weights must add up to at every level.")
    min_coverage: float = Field(0.5, ge=0, le=1, description="Share of pillar weight that must have a score for an index value.")
    normalisation: Normalisation = Field(default_factory=Normalisation)
    imputation: Imputation = Field(default_factory=Imputation)
    sensitivity: Sensitivity = Field(default_factory=Sensitivity)
    pillars: list[Pillar] = Field(min_length=1)

    def dimensions(self) -> list[tuple[Pillar, Dimension]]:
        return [(p, d) for p in self.pillars for d in p.dimensions]

    def indicator_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for _, d in self.dimensions():
            for i in d.indicators:
                seen.setdefault(i.id, None)
        return list(seen)

    def dimension(self, dim_id: str) -> Dimension:
        for _, d in self.dimensions():
            if d.id == dim_id:
                return d
        raise KeyError(dim_id)


def _check_sum(weights: list[float], declared: float, what: str, where: dict, problems: ProblemList) -> None:
    total = sum(weights)
    if not math.isclose(total, declared, rel_tol=1e-6, abs_tol=1e-9):
        problems.add(f"the weights of {what} sum to {total:g}, but the methodology declares weights_sum: {declared:g}", **where)


def validate_methodology(m: Methodology, doc: LocatedDoc, extra_indicators: set[str] | frozenset[str] = frozenset()) -> None:
    """Cross-checks pydantic cannot do: known indicators, weight sums, unique ids, catalog links."""
    from ..catalog.loader import default_catalog

    known = set(builtin_indicators()) | set(extra_indicators)
    catalog = default_catalog()
    problems = ProblemList()
    f = doc.path

    def at(*loc: object) -> dict:
        return dict(file=f, line=doc.line_of(loc), field=".".join(str(x) for x in loc))

    _check_sum([p.weight for p in m.pillars], m.weights_sum, "the pillars", at("pillars"), problems)
    ids: set[str] = set()
    for pi, p in enumerate(m.pillars):
        if p.id in ids:
            problems.add(f"duplicate id '{p.id}'", **at("pillars", pi, "id"))
        ids.add(p.id)
        _check_sum(
            [d.weight for d in p.dimensions],
            m.weights_sum,
            f"the dimensions of pillar '{p.id}'",
            at("pillars", pi, "dimensions"),
            problems,
        )
        for di, d in enumerate(p.dimensions):
            if d.id in ids:
                problems.add(f"duplicate id '{d.id}'", **at("pillars", pi, "dimensions", di, "id"))
            ids.add(d.id)
            _check_sum(
                [i.weight for i in d.indicators],
                m.weights_sum,
                f"the indicators of dimension '{d.id}'",
                at("pillars", pi, "dimensions", di, "indicators"),
                problems,
            )
            seen: set[str] = set()
            for ii, ind in enumerate(d.indicators):
                if ind.id not in known:
                    problems.add(
                        f"unknown indicator '{ind.id}' (not defined in observatory/data/indicators.yaml and not imported)",
                        **at("pillars", pi, "dimensions", di, "indicators", ii, "id"),
                    )
                if ind.id in seen:
                    problems.add(
                        f"indicator '{ind.id}' is listed twice in dimension '{d.id}'",
                        **at("pillars", pi, "dimensions", di, "indicators", ii, "id"),
                    )
                seen.add(ind.id)
            for ai, qid in enumerate(d.addressed_by):
                if qid not in catalog.provisions:
                    problems.add(f"unknown catalog provision '{qid}'", **at("pillars", pi, "dimensions", di, "addressed_by", ai))
    problems.raise_if_any("invalid methodology")


def bundled_methodologies() -> list[str]:
    return sorted(p.stem for p in BUNDLED.glob("*.yaml"))


def methodology_path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        return p
    cand = BUNDLED / f"{name_or_path}.yaml"
    if not cand.exists():
        raise TianpingError(
            Problem(
                f"unknown methodology '{name_or_path}' (bundled: {', '.join(bundled_methodologies())}; or give a YAML file)",
                field="methodology",
            ),
            title="unknown methodology",
        )
    return cand


def load_methodology(name_or_path: str | Path, extra_indicators: set[str] | frozenset[str] = frozenset()) -> Methodology:
    """Parse and validate; every error names the file, line and field."""
    doc = load_yaml_file(methodology_path(name_or_path))
    if not isinstance(doc.data, dict):
        raise TianpingError(
            Problem("expected a mapping at the top of the methodology", file=doc.path, line=1), title="invalid methodology"
        )
    try:
        m = Methodology.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid methodology") from None
    validate_methodology(m, doc, extra_indicators)
    return m
