"""The metric specification: citations and thresholds, read from `metrics.yaml`.

Why a data file: which law a number evidences and what counts as "too unfair" are governance
decisions that change without the engine changing. The engines look a metric up here by name;
a metric that is not in the file cannot be reported (tests check every emitted name is known and
every cited provision exists in the catalog).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ...errors import Problem, TianpingError
from ...i18n import check_language_texts, model_texts
from ...yamlio import LocatedDoc, load_yaml_file, validation_problems

SPEC_FILE = Path(__file__).with_name("metrics.yaml")
TESTS = ("fairness", "counterfactual", "robustness", "explain", "performance", "quality")
TestName = Literal["fairness", "counterfactual", "robustness", "explain", "performance", "quality"]
DEFAULT_MIN_N = 30


class Thresholds(BaseModel):
    """`max`: lower is better (pass <= warn < warn-zone <= fail < fail); `min`: the mirror image."""

    model_config = ConfigDict(extra="forbid")
    direction: Literal["max", "min"]
    warn: float
    fail: float

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.direction == "max" and self.warn > self.fail:
            raise ValueError("for direction 'max', warn must be <= fail")
        if self.direction == "min" and self.warn < self.fail:
            raise ValueError("for direction 'min', warn must be >= fail")
        return self

    def judge(self, value: float | None) -> str:
        if value is None or value != value:  # None or NaN: nothing to judge
            return "not_judged"
        if self.direction == "max":
            return "pass" if value <= self.warn else ("warn" if value <= self.fail else "fail")
        return "pass" if value >= self.warn else ("warn" if value >= self.fail else "fail")


class CitationSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    principles: list[str]
    provisions: list[str]


class MetricEntry(BaseModel):
    """A metric's title in English and Chinese; any other language may be added under its code (`th: …`)."""

    model_config = ConfigDict(extra="allow")
    test: TestName
    cites: list[str]
    en: str
    zh: str
    thresholds: Thresholds | None = None
    min_n: int | None = Field(None, ge=0, description="minimum sample size per group (default: the file's default_min_n)")
    gate: bool = Field(False, description="a fail of this metric fails `--fail-on gate`")

    @model_validator(mode="after")
    def _other_languages(self) -> MetricEntry:
        check_language_texts(self.model_extra)
        return self


class SpecFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    default_min_n: int = Field(DEFAULT_MIN_N, ge=0)
    citation_sets: dict[str, CitationSet]
    metrics: dict[str, MetricEntry]


class MetricSpec(BaseModel):
    """One metric, resolved: its citations flattened, its thresholds (maybe user-overridden)."""

    name: str
    test: str
    title: dict[str, str]
    principles: list[str]
    citations: list[str]
    thresholds: Thresholds | None = None
    min_n: int = DEFAULT_MIN_N  # a judged value needs at least this many rows per group (0 = no minimum)
    gate: bool = False


class Spec(BaseModel):
    metrics: dict[str, MetricSpec] = Field(default_factory=dict)

    def get(self, name: str) -> MetricSpec:
        try:
            return self.metrics[name]
        except KeyError:  # a programming error, not user input: the engines only emit known names
            raise KeyError(f"metric '{name}' is not declared in {SPEC_FILE.name}") from None


def _parse(path: Path, model: type[BaseModel]) -> tuple[BaseModel, LocatedDoc]:
    doc = load_yaml_file(path)
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid metric specification") from None


@lru_cache(maxsize=1)
def _default_spec() -> Spec:
    parsed, _ = _parse(SPEC_FILE, SpecFile)
    assert isinstance(parsed, SpecFile)
    out: dict[str, MetricSpec] = {}
    for name, entry in parsed.metrics.items():
        principles: list[str] = []
        provisions: list[str] = []
        for cite in entry.cites:
            cs = parsed.citation_sets[cite]
            principles += [p for p in cs.principles if p not in principles]
            provisions += [p for p in cs.provisions if p not in provisions]
        out[name] = MetricSpec(
            name=name,
            test=entry.test,
            title=model_texts(entry),
            principles=principles,
            citations=provisions,
            thresholds=entry.thresholds,
            min_n=entry.min_n if entry.min_n is not None else parsed.default_min_n,
            gate=entry.gate,
        )
    return Spec(metrics=out)


class _OverrideEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    thresholds: Thresholds | None = None
    min_n: int | None = Field(None, ge=0)
    gate: bool | None = None


class _OverrideFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    metrics: dict[str, _OverrideEntry]


def load_spec(thresholds_file: str | Path | None = None) -> Spec:
    """The bundled spec, with thresholds (and `min_n`, `gate`) from `thresholds_file` replacing the defaults.

    `thresholds: null` in the override switches judging off for that metric; a key that is absent
    keeps the default.
    """
    spec = _default_spec().model_copy(deep=True)
    if thresholds_file is None:
        return spec
    path = Path(thresholds_file)
    if not path.is_file():
        raise TianpingError(Problem("thresholds file not found", file=str(path)), title="bad option")
    parsed, doc = _parse(path, _OverrideFile)
    assert isinstance(parsed, _OverrideFile)
    problems = []
    for name, entry in parsed.metrics.items():
        if name not in spec.metrics:
            line = doc.line_of(("metrics", name))
            problems.append(
                Problem(
                    f"unknown metric '{name}' (see docs/tabular-tests.md for the names)",
                    file=str(path),
                    line=line,
                    field=f"metrics.{name}",
                )
            )
            continue
        given = entry.model_fields_set
        if "thresholds" in given:
            spec.metrics[name].thresholds = entry.thresholds
        if "min_n" in given and entry.min_n is not None:
            spec.metrics[name].min_n = entry.min_n
        if "gate" in given and entry.gate is not None:
            spec.metrics[name].gate = entry.gate
    if problems:
        raise TianpingError(problems, title="invalid thresholds file")
    return spec
