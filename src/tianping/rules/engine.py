"""Classify an AI-system profile under every applicable rule pack, with a full trace.

For each pack: does it apply (deployment), which tiers are designated (most severe first),
which obligations follow for the system's roles there, as of a date — and, for anything that
depends on an unanswered field, `undetermined` plus the questions that would decide it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from ..registry.profile import AISystem
from .expr import UNKNOWN
from .pack import CompiledRule, LoadedPack, default_packs

GENERATIVE = {"generative_text", "generative_image", "generative_audio", "generative_video", "deep_synthesis"}


@dataclass(slots=True)
class RuleTrace:
    rule: str
    kind: str
    outcome: str  # fired | not_fired | undetermined | excepted | not_yet_applicable
    reads: list[str]
    unknown: list[str]
    cites: list[str]


@dataclass(slots=True)
class ObligationResult:
    id: str
    title: dict[str, str]
    roles: list[str]
    cites: list[str]
    applies_from: str | None
    status: str  # applies | possible | upcoming
    deadline: str | None = None
    verified: bool = True


@dataclass
class QuestionOut:
    field: str
    text: dict[str, str]
    choices: list[str] | None = None


@dataclass
class JurisdictionResult:
    jurisdiction: str
    pack: str
    pack_version: str
    voluntary: bool
    applies: str  # yes | no | undetermined
    tier: str | None  # a tier id, "undetermined", or None when the pack does not apply
    tier_title: dict[str, str] | None
    designations: list[str]
    possible_tiers: list[str]
    obligations: list[ObligationResult] = field(default_factory=list)
    possible_obligations: list[ObligationResult] = field(default_factory=list)
    upcoming: list[ObligationResult] = field(default_factory=list)
    questions: list[QuestionOut] = field(default_factory=list)
    trace: list[RuleTrace] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def derived_facts(env: dict[str, Any]) -> dict[str, Any]:
    """Facts computed from the profile so rules stay short; absent when their inputs are unknown."""
    d: dict[str, Any] = {}
    kinds = env.get("model_kinds")
    if kinds is not None:
        d["generative"] = bool(GENERATIVE & set(kinds))
    data = env.get("data")
    if data is not None:
        cats = {h["category"] for h in data}
        d["data_categories"] = sorted(cats)
        persons: dict[str, Any] = {}
        for h in data:
            if h.get("persons") is not None:
                persons[h["category"]] = max(persons.get(h["category"], 0), h["persons"])
        d["persons"] = persons
    transfers = env.get("cross_border_transfers")
    if transfers is not None:
        out_of_cn = [t for t in transfers if t.get("origin", "CN") == "CN"]
        d["exports_from_cn"] = bool(out_of_cn)
        d["exports_important_data"] = any("important_data" in t["categories"] for t in out_of_cn)
        if all(t.get("persons") is not None for t in out_of_cn):
            d["export_persons"] = sum(t["persons"] for t in out_of_cn)
        if all(t.get("sensitive_persons") is not None or "sensitive_personal" not in t["categories"] and "biometric" not in t["categories"] for t in out_of_cn):
            d["export_sensitive_persons"] = sum(t.get("sensitive_persons") or 0 for t in out_of_cn)
    return d


def _eval(rule: CompiledRule, env: dict[str, Any]) -> tuple[Any, set[str]]:
    v, unknown = rule.when.evaluate(env)
    if rule.unless is not None and v is not False:
        u, unk2 = rule.unless.evaluate(env)
        if u is True:
            return "excepted", set()
        if u is UNKNOWN:
            unknown |= unk2
            v = UNKNOWN
    return v, unknown


def classify_one(system_env: dict[str, Any], lp: LoadedPack, as_of: dt.date | None, derived: dict[str, Any]) -> JurisdictionResult:
    pack = lp.pack
    roles_by_j = system_env.get("roles", {})
    roles = sorted({r for code in pack.covers for r in roles_by_j.get(code, [])} | set(roles_by_j.get(pack.jurisdiction, [])))
    env: dict[str, Any] = {"system": system_env, "derived": derived, "roles": roles, "jurisdiction": pack.jurisdiction, "tiers": []}
    res = JurisdictionResult(pack.jurisdiction, pack.id, pack.version, pack.voluntary, "no", None, None, [], [])
    applies, unk = lp.applies_if.evaluate(env)
    if applies is False:
        return res
    questions: set[str] = set(unk)
    res.applies = "yes" if applies is True else "undetermined"

    fired: list[str] = []
    maybe: list[str] = []
    for rule in lp.designations:
        spec = rule.spec
        if as_of and spec.applies_from and spec.applies_from > as_of:
            res.trace.append(RuleTrace(spec.id, "designation", "not_yet_applicable", rule.reads, [], spec.cites))
            continue
        v, unknown = _eval(rule, env)
        outcome = "excepted" if v == "excepted" else "fired" if v is True else "undetermined" if v is UNKNOWN else "not_fired"
        res.trace.append(RuleTrace(spec.id, "designation", outcome, rule.reads, sorted(unknown) if unknown else [], spec.cites))
        if outcome == "fired":
            if spec.tier not in fired:
                fired.append(spec.tier)
            res.reasons.append({"tier": spec.tier, "rule": spec.id, "because": rule.because, "cites": spec.cites})
        elif outcome == "undetermined":
            if spec.tier not in maybe:
                maybe.append(spec.tier)
            questions |= unknown

    order = lp.tier_order
    fired.sort(key=order.__getitem__)
    excl = [t for t in fired if t in lp.exclusive]
    if excl:
        fired = [excl[0]]
    primary = fired[0] if fired else None
    # an unanswered question matters only if it could lead to a more severe tier than the one found
    worse_possible = [t for t in maybe if t not in fired and (primary is None or order[t] < order[primary])]
    res.designations = fired
    res.possible_tiers = sorted(set(maybe) - set(fired), key=order.__getitem__)
    if worse_possible or res.applies == "undetermined":
        res.tier = "undetermined"
    else:
        res.tier = primary or lp.default_tier
        if not fired:
            res.designations = [lp.default_tier]
    res.tier_title = lp.tier_titles.get(res.tier) or {"en": "Undetermined", "zh": "待定"}
    if not worse_possible:
        questions = {q for q in questions if res.applies == "undetermined" and q in unk}

    env["tiers"] = res.designations
    for rule in lp.obligations:
        spec = rule.spec
        if excl and not spec.also_when_exclusive:
            continue  # an exclusive tier (e.g. prohibited) replaces every other duty
        v, unknown = _eval(rule, env)
        if v is False or v == "excepted":
            res.trace.append(RuleTrace(spec.id, "obligation", "excepted" if v == "excepted" else "not_fired", rule.reads, [], spec.cites))
            continue
        status = "applies" if v is True else "possible"
        if as_of and spec.applies_from and spec.applies_from > as_of:
            status = "upcoming" if v is True else status
        ob = ObligationResult(spec.id, rule.title, spec.roles, spec.cites, rule.applies_from_iso, status, spec.deadline, spec.verified)
        res.trace.append(RuleTrace(spec.id, "obligation", "fired" if v is True else "undetermined", rule.reads, sorted(unknown) if unknown else [], spec.cites))
        if status == "applies":
            res.obligations.append(ob)
        elif status == "upcoming":
            res.upcoming.append(ob)
        else:
            if as_of and spec.applies_from and spec.applies_from > as_of:
                continue
            res.possible_obligations.append(ob)
            questions |= unknown
    for q in sorted(questions):
        spec_q = pack.questions.get(q)
        text = spec_q.text.model_dump(exclude_none=True) if spec_q else {"en": f"Please answer: {q}", "zh": f"请补充：{q}"}
        res.questions.append(QuestionOut(q, text, spec_q.choices if spec_q else None))
    return res


def classify(system: AISystem | dict[str, Any], *, jurisdictions: Iterable[str] | None = None, as_of: dt.date | None = None,
             packs: Iterable[LoadedPack] | None = None) -> list[JurisdictionResult]:
    env = system.rule_env() if isinstance(system, AISystem) else system
    derived = derived_facts(env)
    wanted = {j.upper() for j in jurisdictions} if jurisdictions else None
    out = []
    for lp in packs if packs is not None else default_packs():
        if wanted and lp.pack.jurisdiction not in wanted:
            continue
        out.append(classify_one(env, lp, as_of, derived))
    return out
