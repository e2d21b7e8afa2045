"""Schema and loading of rule packs (`rules/packs/<id>.yaml`): one per jurisdiction.

A pack names its tiers (most severe first), the rules that designate them, the obligations
that follow, and the question that decides each profile field a rule reads. Every rule cites
catalog provisions; loading checks that they exist and compiles every expression once.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..catalog.schema import Text
from ..errors import Problem, ProblemList, TianpingError
from ..yamlio import load_yaml_file, validation_problems
from .expr import Compiled, ExprError, compile_expr
from .trace import RuleTrace

PACK_DIR = Path(__file__).parent / "packs"
ENV_NAMES = {"system", "derived", "roles", "tiers", "jurisdiction"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Tier(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    exclusive: bool = Field(default=False, description="When designated, no other tier and only obligations naming it apply.")
    default: bool = Field(default=False, description="The tier when no other is designated and nothing is undetermined.")


class Designation(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-.]*$")
    tier: str
    when: str
    unless: str | None = Field(default=None, description="Exceptions: the designation does not apply when this holds.")
    cites: list[str] = Field(min_length=1)
    because: Text
    applies_from: dt.date | None = None
    verified: bool = True


class Obligation(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-.]*$")
    title: Text
    when: str
    roles: list[str] = Field(default_factory=list, description="Roles the duty falls on (informative; `when` decides).")
    cites: list[str] = Field(min_length=1)
    applies_from: dt.date | None = None
    deadline: str | None = Field(default=None, description="A deadline in words, e.g. 'within 10 working days of launch'.")
    also_when_exclusive: bool = Field(default=False, description="Still applies when an exclusive tier (e.g. prohibited) is designated.")
    verified: bool = True


class Question(Strict):
    text: Text
    choices: list[str] | None = None


class RulePack(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-.]*$")
    jurisdiction: str = Field(pattern=r"^([A-Z]{2}|EU|ASEAN)$")
    covers: list[str] = Field(min_length=1, description="Deployment codes that bring a system under this pack.")
    title: Text
    version: str
    effective_from: dt.date
    instruments: list[str] = Field(min_length=1)
    applies_if: str
    voluntary: bool = False
    tiers: list[Tier] = Field(min_length=1)
    designations: list[Designation] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list)
    questions: dict[str, Question] = Field(default_factory=dict, description="Field path -> the question that decides it.")
    notes: str | None = None


class CompiledRule:
    """A rule with its expressions compiled and everything the engine emits precomputed once."""

    __slots__ = ("spec", "when", "unless", "kind", "reads", "title", "because", "applies_from_iso",
                 "id", "cites", "tier", "applies_from", "when_fn", "unless_fn", "traces")

    def __init__(self, spec, when: Compiled, unless: Compiled | None, kind: str):
        self.spec = spec
        self.when = when
        self.unless = unless
        self.kind = kind
        self.id = spec.id
        self.cites = spec.cites
        self.tier = getattr(spec, "tier", None)
        self.applies_from = spec.applies_from
        self.when_fn = when.fn
        self.unless_fn = unless.fn if unless else None
        self.reads = tuple(sorted(when.reads | (unless.reads if unless else set())))
        cites = tuple(spec.cites)
        self.traces = {o: RuleTrace(spec.id, kind, o, self.reads, (), cites)
                       for o in ("fired", "not_fired", "excepted", "not_yet_applicable")}
        title = getattr(spec, "title", None)
        because = getattr(spec, "because", None)
        self.title = title.model_dump(exclude_none=True) if title else None
        self.because = because.model_dump(exclude_none=True) if because else None
        self.applies_from_iso = spec.applies_from.isoformat() if spec.applies_from else None


class LoadedPack:
    def __init__(self, pack: RulePack, applies_if: Compiled, designations: list[CompiledRule], obligations: list[CompiledRule]):
        self.pack = pack
        self.applies_if = applies_if
        self.designations = designations
        self.obligations = obligations
        self.tier_order = {t.id: i for i, t in enumerate(pack.tiers)}
        self.exclusive = {t.id for t in pack.tiers if t.exclusive}
        self.default_tier = next((t.id for t in pack.tiers if t.default), pack.tiers[-1].id)
        self.tier_titles = {t.id: t.title.model_dump(exclude_none=True) for t in pack.tiers}
        self.covers = frozenset(pack.covers) | {pack.jurisdiction}
        self.question_texts = {k: (q.text.model_dump(exclude_none=True), q.choices) for k, q in pack.questions.items()}

    @property
    def reads(self) -> set[str]:
        out = set(self.applies_if.reads)
        for r in self.designations + self.obligations:
            out |= r.when.reads
            if r.unless:
                out |= r.unless.reads
        return out


def load_pack(path: Path, catalog_qids: set[str] | None = None) -> LoadedPack:
    doc = load_yaml_file(path)
    if not isinstance(doc.data, dict):
        raise TianpingError(Problem("expected a mapping at the top of the file", file=str(path)), title="invalid rule pack")
    try:
        pack = RulePack.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid rule pack") from None
    problems = ProblemList()
    tiers = {t.id for t in pack.tiers}

    def comp(src: str, loc: tuple) -> Compiled | None:
        try:
            return compile_expr(src, ENV_NAMES)
        except ExprError as exc:
            problems.add(exc.problems[0].message, file=str(path), line=doc.line_of(loc), field=".".join(map(str, loc)))
            return None

    applies = comp(pack.applies_if, ("applies_if",))
    des, obl = [], []
    seen: set[str] = set()
    for section, items, out in (("designations", pack.designations, des), ("obligations", pack.obligations, obl)):
        for i, r in enumerate(items):
            if r.id in seen:
                problems.add(f"duplicate rule id '{r.id}'", file=str(path), line=doc.line_of((section, i, "id")), field=f"{section}.{i}.id")
            seen.add(r.id)
            if section == "designations" and r.tier not in tiers:
                problems.add(f"unknown tier '{r.tier}' (pack tiers: {', '.join(tiers)})", file=str(path), line=doc.line_of((section, i, "tier")), field=f"{section}.{i}.tier")
            for j, c in enumerate(r.cites):
                if catalog_qids is not None and c not in catalog_qids:
                    problems.add(f"cites '{c}', which is not in the catalog", file=str(path), line=doc.line_of((section, i, "cites", j)), field=f"{section}.{i}.cites.{j}")
            w = comp(r.when, (section, i, "when"))
            u = comp(r.unless, (section, i, "unless")) if getattr(r, "unless", None) else None
            if w is not None:
                out.append(CompiledRule(r, w, u, section[:-1]))
    problems.raise_if_any("invalid rule pack")
    assert applies is not None
    return LoadedPack(pack, applies, des, obl)


@lru_cache(maxsize=4)
def default_packs() -> tuple[LoadedPack, ...]:
    from ..catalog.loader import default_catalog

    qids = set(default_catalog().provisions)
    return tuple(load_pack(p, qids) for p in sorted(PACK_DIR.glob("*.yaml")))
