"""Schema and loading of rule packs (`rules/packs/<id>.yaml`): one per jurisdiction.

A pack names its tiers (most severe first), the rules that designate them, the obligations
that follow, and the question that decides each profile field a rule reads. Every rule cites
catalog provisions; loading checks that they exist and compiles every expression once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..catalog.schema import Text
from ..errors import Problem, ProblemList, TianpingError
from ..yamlio import (
    LocatedDoc,
    RecordedDocs,
    load_yaml_file,
    read_files,
    read_record,
    record_key,
    validation_problems,
    write_record,
)
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


class Window(Strict):
    """A named applicability window: the date from which the rules that name it bite. Amendments
    move windows (data, not code), so one change of date reaches every rule in the window."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    applies_from: dt.date
    cites: list[str] = Field(default_factory=list, description="The provisions that set the date (e.g. Art. 113).")
    introduced_by: str | None = Field(
        default=None, description="An amendment id: the window (and every rule in it) exists only once that amendment applies."
    )
    repealed_by: str | None = Field(
        default=None,
        description="An amendment id: the window (and every rule in it) stops being law once that amendment applies (a repeal).",
    )
    verified: bool = True
    note: str | None = None


class WindowChange(Strict):
    """What an amendment does to one window: a new date, for every rule in it or only where `when` holds."""

    window: str
    applies_from: dt.date
    when: str | None = Field(
        default=None,
        description=(
            "Only for systems where this holds (e.g. placed on the market before a date); elsewhere the window keeps its "
            "date. Unknown counts as not holding."
        ),
    )
    rules: list[str] | None = Field(default=None, description="Only these rules of the window (default: all).")
    cites: list[str] = Field(default_factory=list)
    summary: Text
    verified: bool = True
    note: str | None = None


class PackAmendment(Strict):
    """An amending act (a catalog instrument with milestones) and the windows it moves or opens."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-.]*$", description="The catalog id of the amending act.")
    version: str = Field(description="The law's version label once the amendment applies.")
    changes: list[WindowChange] = Field(min_length=1)


class LawVersion(Strict):
    instrument: str
    version: str = Field(
        description="Label of the text the pack encodes before any amendment, e.g. 'Regulation (EU) 2024/1689, OJ L 12.7.2024'."
    )
    in_force: dt.date


class OutOfScope(Strict):
    """A jurisdiction code (e.g. a state, ISO 3166-2) that the pack's country code might suggest it covers, but does not."""

    code: str
    note: Text
    instruments: list[str] = Field(default_factory=list, description="Names of the laws there that the pack does not encode.")


class Designation(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-.]*$")
    tier: str
    when: str
    unless: str | None = Field(default=None, description="Exceptions: the designation does not apply when this holds.")
    cites: list[str] = Field(min_length=1)
    because: Text
    applies_from: dt.date | None = None
    window: str | None = Field(default=None, description="Named applicability window (instead of applies_from).")
    verified: bool = True


class Obligation(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-.]*$")
    title: Text
    when: str
    roles: list[str] = Field(default_factory=list, description="Roles the duty falls on (informative; `when` decides).")
    cites: list[str] = Field(min_length=1)
    applies_from: dt.date | None = None
    window: str | None = Field(default=None, description="Named applicability window (instead of applies_from).")
    deadline: str | None = Field(default=None, description="A deadline in words, e.g. 'within 10 working days of launch'.")
    also_when_exclusive: bool = Field(
        default=False, description="Still applies when an exclusive tier (e.g. prohibited) is designated."
    )
    verified: bool = True


class Question(Strict):
    text: Text
    choices: list[str] | None = None


class RulePack(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-.]*$")
    jurisdiction: str = Field(
        pattern=r"^([A-Z]{2}(-[A-Z0-9]{1,3})?|EU|ASEAN|COE)$",
        description="ISO 3166-1 (VN), ISO 3166-2 (US-CO) or a group (EU, ASEAN, COE).",
    )
    covers: list[str] = Field(min_length=1, description="Deployment codes that bring a system under this pack.")
    title: Text
    version: str
    effective_from: dt.date
    instruments: list[str] = Field(min_length=1)
    applies_if: str
    voluntary: bool = False
    proposed: bool = Field(
        default=False,
        description=(
            "A draft law (e.g. a bill under consultation): shown for information, never binding. Requires voluntary: true."
        ),
    )
    extends: str | None = Field(
        default=None,
        description=(
            "The pack this one adds to for the same territory (e.g. Italy's national AI law on top of the EU AI Act, a "
            "companion pack for newer instruments): both apply; golden sets and summaries name the base pack first."
        ),
    )
    tiers: list[Tier] = Field(min_length=1)
    designations: list[Designation] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list)
    questions: dict[str, Question] = Field(default_factory=dict, description="Field path -> the question that decides it.")
    law: LawVersion | None = Field(default=None, description="The text the pack encodes before amendments.")
    windows: list[Window] = Field(default_factory=list)
    amendments: list[PackAmendment] = Field(default_factory=list)
    out_of_scope: list[OutOfScope] = Field(
        default_factory=list, description="Sub-jurisdictions whose own laws the pack does not encode (shown in coverage answers)."
    )
    notes: str | None = None


class CompiledRule:
    """A rule with its expressions compiled and everything the engine emits precomputed once.

    A rule of a pack whose record says it was checked before (see `default_packs`) is compiled when
    first used: most packs never apply to a given system, so most of their rules are never evaluated."""

    __slots__ = (
        "spec",
        "when",
        "unless",
        "kind",
        "reads",
        "title",
        "because",
        "applies_from_iso",
        "id",
        "cites",
        "tier",
        "applies_from",
        "when_fn",
        "unless_fn",
        "traces",
        "window",
        "tier_refs",
        "_tier_ids",
    )

    def __init__(self, spec, when: Compiled | None, unless: Compiled | None, kind: str, tier_ids: frozenset[str] = frozenset()):
        """`when` None: compile `spec`'s expressions on first use (they are known to compile)."""
        self.spec = spec
        self.kind = kind
        self.id = spec.id
        self.cites = spec.cites
        self.tier = getattr(spec, "tier", None)
        self.applies_from = spec.applies_from
        self.window = spec.window
        self._tier_ids: frozenset[str] | None = tier_ids
        if when is not None:
            self._finish(when, unless)

    def _finish(self, when: Compiled, unless: Compiled | None) -> None:
        spec, kind = self.spec, self.kind
        self.when = when
        self.unless = unless
        self.when_fn = when.fn
        self.unless_fn = unless.fn if unless else None
        self.reads = tuple(sorted(when.reads | (unless.reads if unless else set())))
        cites = tuple(spec.cites)
        self.traces = {
            o: RuleTrace(spec.id, kind, o, self.reads, (), cites)
            for o in ("fired", "not_fired", "excepted", "not_yet_applicable", "not_in_force")
        }
        title = getattr(spec, "title", None)
        because = getattr(spec, "because", None)
        self.title = title.model_dump(exclude_none=True) if title else None
        self.because = because.model_dump(exclude_none=True) if because else None
        self.applies_from_iso = spec.applies_from.isoformat() if spec.applies_from else None
        # the tiers an obligation's condition names (quoted tier ids): the obligation bites once one of
        # them is designated, so its date is at least that tier's
        tier_ids = self._tier_ids or frozenset()
        self.tier_refs = tuple(t for t in sorted(tier_ids) if f"'{t}'" in when.source) if kind == "obligation" else ()
        self._tier_ids = None

    def __getattr__(self, name: str) -> Any:
        # reached only for a slot not set yet: the compiled parts of a rule whose compilation was deferred
        if name in _COMPILED_PARTS and self._tier_ids is not None:
            spec = self.spec
            unless = compile_expr(spec.unless, ENV_NAMES) if self.kind == "designation" and spec.unless else None
            self._finish(compile_expr(spec.when, ENV_NAMES), unless)
            return getattr(self, name)
        raise AttributeError(name)


_COMPILED_PARTS = frozenset(
    {"when", "unless", "when_fn", "unless_fn", "reads", "traces", "title", "because", "applies_from_iso", "tier_refs"}
)


ABSENT = object()  # a rule whose window an amendment not (yet) applicable introduces: not law on that date


class RuleDate:
    """When one rule bites under one state of the law, and why."""

    __slots__ = ("start", "iso", "window", "amended_by", "verified", "overrides", "later")

    def __init__(self, start, window, amended_by, verified, overrides=()):
        self.start = start
        self.later = False  # set per date by LawState: the rule bites only after the date asked
        self.iso = start.isoformat() if start else None
        self.window = window
        self.amended_by = amended_by
        self.verified = verified
        self.overrides = overrides  # ((when_fn, date, amendment id, verified), ...) for conditional changes


class LawState:
    """The law a pack encodes as of one date: the amendments applied, those pending, and every rule's date."""

    __slots__ = (
        "as_of",
        "as_of_iso",
        "applied",
        "pending",
        "law_version",
        "des",
        "obl",
        "des_plan",
        "obl_plan",
        "absent_traces",
        "_rules",
    )

    def __init__(self, as_of, applied, pending, law_version, des, obl, designations=(), obligations=()):
        self.as_of = as_of
        self.as_of_iso = as_of.isoformat() if as_of else None
        self.applied = applied
        self.pending = pending
        self.law_version = law_version
        self.des = des  # parallel to LoadedPack.designations: RuleDate or ABSENT
        self.obl = obl

        self._rules = (designations, obligations)  # planned when the engine first asks (see __getattr__)

    def _plan(self) -> None:
        # what the engine loops over, precomputed once per date, for every rule in force:
        # (rule, when_fn, unless_fn or also_when_exclusive, not-fired trace, RuleDate)
        as_of = self.as_of
        designations, obligations = self._rules

        def plan(rules, dates):
            out = []
            for rule, rd in zip(rules, dates, strict=True):
                if rd is ABSENT:
                    continue
                rd.later = as_of is not None and rd.start is not None and rd.start > as_of
                third = rule.unless_fn if rule.kind == "designation" else bool(getattr(rule.spec, "also_when_exclusive", False))
                out.append((rule, rule.when_fn, third, rule.traces["not_fired"], rd))
            return out

        self.des_plan = plan(designations, self.des)
        self.obl_plan = plan(obligations, self.obl)
        self.absent_traces = [r.traces["not_in_force"] for r, rd in zip(designations, self.des, strict=True) if rd is ABSENT]

    def __getattr__(self, name: str) -> Any:
        # reached only for a plan not made yet: a pack the engine skips (its gate) never compiles its rules
        if name in ("des_plan", "obl_plan", "absent_traces"):
            self._plan()
            return getattr(self, name)
        raise AttributeError(name)


class LoadedAmendment:
    def __init__(self, spec: PackAmendment, act, changes: list[tuple[WindowChange, Compiled | None]]):
        self.spec = spec
        self.act = act  # catalog Instrument (with `amendment`), or None when loaded without a catalog
        self.changes = changes

    def status_on(self, day: dt.date | None):
        if self.act is None or self.act.amendment is None:
            return None
        return self.act.amendment.status_on(day)

    def applies_on(self, day: dt.date | None) -> bool:
        st = self.status_on(day)
        if st is None:
            return False
        return st.value == "in_force" if day is not None else st.value in ("adopted", "published", "in_force")


_COMPUTE: Any = object()  # LoadedPack's gate: work it out


class LoadedPack:
    applies_if: Compiled

    def __init__(
        self,
        pack: RulePack,
        applies_if: Compiled | None,
        designations: list[CompiledRule],
        obligations: list[CompiledRule],
        amendments: list[LoadedAmendment] | None = None,
        gate: frozenset[str] | None = _COMPUTE,
    ):
        """`applies_if` None: compiled on first use; `gate` as recorded when the pack was checked before."""
        self.pack = pack
        if applies_if is not None:
            self.applies_if = applies_if
        self.designations = designations
        self.obligations = obligations
        self.amendments = amendments or []
        self.windows = {w.id: w for w in pack.windows}
        self.tier_order = {t.id: i for i, t in enumerate(pack.tiers)}
        self.exclusive = {t.id for t in pack.tiers if t.exclusive}
        self.default_tier = next((t.id for t in pack.tiers if t.default), pack.tiers[-1].id)
        self.tier_titles = {t.id: t.title.model_dump(exclude_none=True) for t in pack.tiers}
        self.covers = frozenset(pack.covers) | {pack.jurisdiction}
        self.question_texts = {k: (q.text.model_dump(exclude_none=True), q.choices) for k, q in pack.questions.items()}
        self.out_of_scope = {o.code: o.model_dump(exclude_none=True) for o in pack.out_of_scope}
        # roles count in this pack when given for a code it covers, or for the country of a subdivision it covers
        self.role_codes = self.covers | {c.split("-", 1)[0] for c in self.covers if "-" in c}
        self.gate = self._jurisdiction_gate() if gate is _COMPUTE else gate
        self._states: dict = {}

    def __getattr__(self, name: str) -> Any:
        # reached only while `applies_if` is not compiled yet (a pack loaded from its record)
        if name == "applies_if":
            self.applies_if = compile_expr(self.pack.applies_if, ENV_NAMES)
            return self.applies_if
        raise AttributeError(name)

    def _jurisdiction_gate(self) -> frozenset[str] | None:
        """The codes of which a system must list one for `applies_if` to be anything but false, when that
        can be shown from the expression itself: false with no jurisdiction, with every code outside the
        gate at once, and with each country or group outside it alone (everything else unanswered). The
        engine then skips the pack for other systems without evaluating it (a speed-up only: the answer
        is the same). None when it cannot be shown."""
        from .jurisdictions import data, iso

        gate = frozenset(self.covers) | {self.pack.jurisdiction}
        fn = self.applies_if.fn

        def false_for(js) -> bool:
            env = {
                "system": {"jurisdictions": list(js)},
                "derived": {},
                "roles": [],
                "jurisdiction": self.pack.jurisdiction,
                "tiers": [],
            }
            try:
                return fn(env, set()) is False
            except Exception:
                return False

        singles = [c for c in list(iso()["countries"]) + list(data().groups) if c not in gate]
        everything = singles + [c for c in iso()["subdivisions"] if c not in gate]
        if not false_for(()) or not false_for(everything):
            return None
        if not all(false_for((c,)) for c in singles):
            return None
        return gate

    @property
    def reads(self) -> set[str]:
        out = set(self.applies_if.reads)
        for r in self.designations + self.obligations:
            out |= r.when.reads
            if r.unless:
                out |= r.unless.reads
        for a in self.amendments:
            for _, c in a.changes:
                if c is not None:
                    out |= c.reads
        return out

    def state(self, as_of: dt.date | None) -> LawState:
        """The law as of `as_of` (None: every adopted amendment applied), computed once per date."""
        st = self._states.get(as_of)
        if st is None:
            if len(self._states) > 256:
                self._states.clear()
            st = self._states[as_of] = self._compute_state(as_of)
        return st

    def _compute_state(self, as_of: dt.date | None) -> LawState:
        applied = [a for a in self.amendments if a.applies_on(as_of)]
        applied_ids = {a.spec.id for a in applied}
        # window id -> (date, amended_by, verified); conditional changes per window
        wdates: dict[str, tuple[dt.date, str | None, bool]] = {
            w.id: (w.applies_from, None, w.verified) for w in self.windows.values()
        }
        conditional: dict[str, list] = {}
        for a in applied:
            for ch, comp in a.changes:
                if ch.when is None and ch.rules is None:
                    wdates[ch.window] = (ch.applies_from, a.spec.id, ch.verified)
                else:
                    conditional.setdefault(ch.window, []).append((ch, comp, a.spec.id))

        def rule_date(rule: CompiledRule):
            if rule.window is None:
                return RuleDate(rule.applies_from, None, None, True)
            w = self.windows[rule.window]
            if w.introduced_by and w.introduced_by not in applied_ids:
                return ABSENT
            if w.repealed_by and w.repealed_by in applied_ids:
                return ABSENT
            start, by, verified = wdates[rule.window]
            over = []
            for ch, comp, aid in conditional.get(rule.window, ()):
                if ch.rules is not None and rule.id not in ch.rules:
                    continue
                if comp is None:  # unconditional but limited to some rules
                    start, by, verified = ch.applies_from, aid, ch.verified
                else:
                    over.append((comp.fn, ch.applies_from, aid, ch.verified))
            return RuleDate(start, rule.window, by, verified, tuple(over))

        pending = []
        for a in self.amendments:
            if a.spec.id in applied_ids:
                continue
            status = a.status_on(as_of)
            if status is None:
                continue
            act = a.act
            eif = act.amendment.date_of(type(status)("in_force")) if act is not None else None
            pending.append(
                {
                    "id": a.spec.id,
                    "title": act.short_title.model_dump(exclude_none=True) if act is not None and act.short_title else None,
                    "status": status.value,
                    "version": a.spec.version,
                    "in_force_from": eif.date.isoformat() if eif and eif.date else None,
                    "verified": bool(act is not None and act.verified),
                    "changes": [
                        {
                            "window": ch.window,
                            "title": self.windows[ch.window].title.model_dump(exclude_none=True),
                            "from": self.windows[ch.window].applies_from.isoformat(),
                            "to": ch.applies_from.isoformat(),
                            "new": self.windows[ch.window].introduced_by == a.spec.id,
                            "summary": ch.summary.model_dump(exclude_none=True),
                            "only_if": ch.when,
                            "verified": ch.verified,
                        }
                        for ch, _ in a.changes
                    ],
                    "repeals": [
                        {"window": w.id, "title": w.title.model_dump(exclude_none=True)}
                        for w in self.windows.values()
                        if w.repealed_by == a.spec.id
                    ],
                }
            )
        law = self.pack.law
        law_version = {
            "pack": self.pack.id,
            "pack_version": self.pack.version,
            "instrument": law.instrument if law else (self.pack.instruments[0] if self.pack.instruments else None),
            "version": applied[-1].spec.version if applied else (law.version if law else self.pack.version),
            "amended_by": [a.spec.id for a in applied],
            "verified": all(a.act is None or a.act.verified for a in applied),
        }
        return LawState(
            as_of,
            [a.spec.id for a in applied],
            pending,
            law_version,
            [rule_date(r) for r in self.designations],
            [rule_date(r) for r in self.obligations],
            self.designations,
            self.obligations,
        )


def load_pack(
    path: Path,
    catalog_qids: set[str] | None = None,
    instruments: dict | None = None,
    *,
    doc: LocatedDoc | None = None,
    gate: frozenset[str] | None = _COMPUTE,
) -> LoadedPack:
    """Load and check a pack. With `catalog_qids`, every citation must exist; with `instruments`
    (catalog id -> Instrument), every amendment must be an amending act of the catalog. `doc`: the
    file, already read. A `gate` (from the record of this exact pack checked before, see
    `default_packs`) is taken as the pack's, and its rules are compiled when first used."""
    deferred = gate is not _COMPUTE
    if doc is None:
        doc = load_yaml_file(path)
    if not isinstance(doc.data, dict):
        raise TianpingError(Problem("expected a mapping at the top of the file", file=str(path)), title="invalid rule pack")
    try:
        pack = RulePack.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid rule pack") from None
    problems = ProblemList()
    if pack.proposed and not pack.voluntary:
        problems.add(
            "a proposed (draft) law is never binding: set voluntary: true",
            file=str(path),
            line=doc.line_of(("proposed",)),
            field="proposed",
        )
    tiers = {t.id for t in pack.tiers}
    tier_ids = frozenset(tiers)
    windows = {w.id for w in pack.windows}
    amendment_ids = {a.id for a in pack.amendments}

    def comp(src: str, loc: tuple) -> Compiled | None:
        try:
            return compile_expr(src, ENV_NAMES)
        except ExprError as exc:
            problems.add(exc.problems[0].message, file=str(path), line=doc.line_of(loc), field=".".join(map(str, loc)))
            return None

    def check_cites(cites: list[str], loc: tuple) -> None:
        for j, c in enumerate(cites):
            if catalog_qids is not None and c not in catalog_qids:
                problems.add(
                    f"cites '{c}', which is not in the catalog",
                    file=str(path),
                    line=doc.line_of(loc + (j,)),
                    field=".".join(map(str, loc + (j,))),
                )

    seen_w: set[str] = set()
    for i, w in enumerate(pack.windows):
        if w.id in seen_w:
            problems.add(
                f"duplicate window id '{w.id}'", file=str(path), line=doc.line_of(("windows", i, "id")), field=f"windows.{i}.id"
            )
        seen_w.add(w.id)
        check_cites(w.cites, ("windows", i, "cites"))
        for attr in ("introduced_by", "repealed_by"):
            aid = getattr(w, attr)
            if aid and aid not in amendment_ids:
                problems.add(
                    f"{attr} '{aid}' is not one of the pack's amendments ({', '.join(sorted(amendment_ids)) or 'none'})",
                    file=str(path),
                    line=doc.line_of(("windows", i, attr)),
                    field=f"windows.{i}.{attr}",
                )

    applies = None if deferred else comp(pack.applies_if, ("applies_if",))
    des: list[CompiledRule] = []
    obl: list[CompiledRule] = []
    seen: set[str] = set()
    rules_in_window: dict[str, set[str]] = {}
    sections: tuple[tuple[str, Sequence[Designation | Obligation], list[CompiledRule]], ...] = (
        ("designations", pack.designations, des),
        ("obligations", pack.obligations, obl),
    )
    for section, items, out in sections:
        for i, r in enumerate(items):
            if r.id in seen:
                problems.add(
                    f"duplicate rule id '{r.id}'", file=str(path), line=doc.line_of((section, i, "id")), field=f"{section}.{i}.id"
                )
            seen.add(r.id)
            if isinstance(r, Designation) and r.tier not in tiers:
                problems.add(
                    f"unknown tier '{r.tier}' (pack tiers: {', '.join(tiers)})",
                    file=str(path),
                    line=doc.line_of((section, i, "tier")),
                    field=f"{section}.{i}.tier",
                )
            if r.window is not None:
                if r.window not in windows:
                    problems.add(
                        f"unknown window '{r.window}' (pack windows: {', '.join(sorted(windows)) or 'none'})",
                        file=str(path),
                        line=doc.line_of((section, i, "window")),
                        field=f"{section}.{i}.window",
                    )
                if r.applies_from is not None:
                    problems.add(
                        "give either window or applies_from, not both (dates belong to windows so amendments can move them)",
                        file=str(path),
                        line=doc.line_of((section, i, "applies_from")),
                        field=f"{section}.{i}.applies_from",
                    )
                rules_in_window.setdefault(r.window, set()).add(r.id)
            check_cites(r.cites, (section, i, "cites"))
            if deferred:
                out.append(CompiledRule(r, None, None, section[:-1], tier_ids))
                continue
            when = comp(r.when, (section, i, "when"))
            unless = comp(r.unless, (section, i, "unless")) if isinstance(r, Designation) and r.unless else None
            if when is not None:
                out.append(CompiledRule(r, when, unless, section[:-1], tier_ids))

    loaded_amendments = []
    for i, a in enumerate(pack.amendments):
        act = None
        if instruments is not None:
            act = instruments.get(a.id)
            if act is None or act.amendment is None:
                problems.add(
                    f"amendment '{a.id}' is not an amending act in the catalog (an instrument with an `amendment:` block)",
                    file=str(path),
                    line=doc.line_of(("amendments", i, "id")),
                    field=f"amendments.{i}.id",
                )
                act = None
            elif not set(act.amendment.amends) & set(pack.instruments):
                problems.add(
                    f"'{a.id}' does not amend any of the pack's instruments ({', '.join(pack.instruments)})",
                    file=str(path),
                    line=doc.line_of(("amendments", i, "id")),
                    field=f"amendments.{i}.id",
                )
        changes = []
        for j, ch in enumerate(a.changes):
            loc = ("amendments", i, "changes", j)
            if ch.window not in windows:
                problems.add(
                    f"unknown window '{ch.window}'",
                    file=str(path),
                    line=doc.line_of(loc + ("window",)),
                    field=".".join(map(str, loc + ("window",))),
                )
            for k, rid in enumerate(ch.rules or []):
                if rid not in rules_in_window.get(ch.window, set()):
                    problems.add(
                        f"rule '{rid}' is not in window '{ch.window}'",
                        file=str(path),
                        line=doc.line_of(loc + ("rules", k)),
                        field=".".join(map(str, loc + ("rules", k))),
                    )
            check_cites(ch.cites, loc + ("cites",))
            changes.append((ch, comp(ch.when, loc + ("when",)) if ch.when else None))
        loaded_amendments.append(LoadedAmendment(a, act, changes))
    problems.raise_if_any("invalid rule pack")
    assert applies is not None or deferred
    return LoadedPack(pack, applies, des, obl, loaded_amendments, gate)


@lru_cache(maxsize=1)
def pack_files() -> tuple[Path, ...]:
    """The bundled packs, then those of plug-ins (entry points `tianping.packs`, `tianping.data`) and of
    the `TIANPING_PATH` data directories (their `packs/` folders)."""
    from ..plugins import files

    return tuple(sorted(PACK_DIR.glob("*.yaml"))) + tuple(files("packs"))


# the modules whose code decides whether a pack is valid and what its gate is: part of its record's digest
_CHECKING_CODE = (
    "tianping.rules.pack",
    "tianping.rules.expr",
    "tianping.rules.jurisdictions",
    "tianping.catalog.schema",
    "tianping.yamlio",
)


@lru_cache(maxsize=4)
def default_packs() -> tuple[LoadedPack, ...]:
    """The bundled and plug-in packs, checked against the default catalog, loaded once per process.

    When the record of these exact packs (with this catalog, jurisdiction data and code) says they
    passed every check, the gates are taken from it and rules are compiled on first use; otherwise
    everything is checked and, when it passes, the record is written."""
    from ..catalog.loader import default_catalog
    from . import jurisdictions

    cat = default_catalog()
    qids = set(cat.provisions)
    files = list(pack_files())
    contents = read_files(files)
    inputs = read_files([jurisdictions.ISO_FILE, jurisdictions.JURISDICTIONS_FILE]) + contents
    digest = record_key("packs", inputs, _CHECKING_CODE, salt=cat.digest or "") if cat.digest else None
    record = read_record(digest)
    recorded = RecordedDocs(record)  # the bundled packs' data from the record when it holds them
    # the record: each file's gate (a list of codes, or None for no gate), in the order of `files`
    gates = record.get("gates") if isinstance(record, dict) else None
    if not isinstance(gates, list) or len(gates) != len(files):
        gates = None
    out: dict[str, LoadedPack] = {}
    where: dict[str, Path] = {}
    loaded: list[LoadedPack] = []
    for i, (p, raw) in enumerate(contents):
        gate = _COMPUTE if gates is None else frozenset(gates[i]) if isinstance(gates[i], list) else None
        lp = load_pack(p, qids, cat.instruments, doc=recorded.load(p, raw), gate=gate)
        loaded.append(lp)
        if lp.pack.id in out:
            raise TianpingError(
                Problem(f"duplicate rule pack id '{lp.pack.id}' (also in {where[lp.pack.id]})", file=str(p), field="id"),
                title="invalid rule pack",
            )
        out[lp.pack.id] = lp
        where[lp.pack.id] = p
    for pid, lp in out.items():
        if lp.pack.extends and lp.pack.extends not in out:
            raise TianpingError(
                Problem(f"extends '{lp.pack.extends}', which is not a loaded rule pack", file=str(where[pid]), field="extends"),
                title="invalid rule pack",
            )
    if gates is None:  # every pack passed every check: record it
        gates_found = [sorted(lp.gate) if lp.gate is not None else None for lp in loaded]
        write_record(digest, {"gates": gates_found, "data": recorded.kept})
    # ordered by id (a bundled pack's file is named after its id), plug-in packs among them
    return tuple(sorted(out.values(), key=lambda lp: lp.pack.id))
