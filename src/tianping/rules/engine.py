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
from .pack import LoadedPack, default_packs
from .trace import RuleTrace

GENERATIVE = {"generative_text", "generative_image", "generative_audio", "generative_video", "deep_synthesis"}


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
        d = asdict(self)
        d["trace"] = [t._asdict() for t in self.trace]
        return d


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


def classify_one(system_env: dict[str, Any], lp: LoadedPack, as_of: dt.date | None, derived: dict[str, Any],
                 *, full_trace: bool = True) -> JurisdictionResult:
    """Classify under one pack. `full_trace=False` keeps only decisive trace entries (fired,
    undetermined, excepted, not yet applicable) and drops rules that simply did not fire."""
    pack = lp.pack
    roles_by_j = system_env.get("roles", {})
    covered = lp.covers
    roles = sorted({r for code, rs in roles_by_j.items() if code in covered for r in rs})
    env: dict[str, Any] = {"system": system_env, "derived": derived, "roles": roles, "jurisdiction": pack.jurisdiction, "tiers": []}
    res = JurisdictionResult(pack.jurisdiction, pack.id, pack.version, pack.voluntary, "no", None, None, [], [])
    unk: set[str] = set()
    applies = lp.applies_if.fn(env, unk)
    if applies is False:
        return res
    questions: set[str] = set(unk)
    res.applies = "yes" if applies is True else "undetermined"
    trace = res.trace.append
    fired: list[str] = []
    maybe: list[str] = []
    for rule in lp.designations:
        if as_of and rule.applies_from and rule.applies_from > as_of:
            trace(rule.traces["not_yet_applicable"])
            continue
        unknown: set[str] = set()
        v = rule.when_fn(env, unknown)
        if v is False:
            if full_trace:
                trace(rule.traces["not_fired"])
            continue
        if rule.unless_fn is not None:
            unk2: set[str] = set()
            u = rule.unless_fn(env, unk2)
            if u is True:
                trace(rule.traces["excepted"])
                continue
            if u is UNKNOWN:
                unknown |= unk2
                v = UNKNOWN
        if v is True:
            trace(rule.traces["fired"])
            if rule.tier not in fired:
                fired.append(rule.tier)
            res.reasons.append({"tier": rule.tier, "rule": rule.id, "because": rule.because, "cites": rule.cites})
        elif v is UNKNOWN:
            trace(RuleTrace(rule.id, "designation", "undetermined", rule.reads, tuple(sorted(unknown)), rule.cites))
            if rule.tier not in maybe:
                maybe.append(rule.tier)
            questions |= unknown
        elif full_trace:  # a non-boolean value counts as not fired
            trace(rule.traces["not_fired"])

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
        unknown = set()
        v = rule.when_fn(env, unknown)
        if v is not True and v is not UNKNOWN:
            if full_trace:
                trace(rule.traces["not_fired"])
            continue
        later = bool(as_of and rule.applies_from and rule.applies_from > as_of)
        if v is True:
            status = "upcoming" if later else "applies"
        elif later:
            continue  # possible, but not yet applicable anyway
        else:
            status = "possible"
        ob = ObligationResult(rule.id, rule.title, spec.roles, rule.cites, rule.applies_from_iso, status, spec.deadline, spec.verified)
        trace(rule.traces["fired"] if v is True else RuleTrace(rule.id, "obligation", "undetermined", rule.reads, tuple(sorted(unknown)), rule.cites))
        if status == "applies":
            res.obligations.append(ob)
        elif status == "upcoming":
            res.upcoming.append(ob)
        else:
            res.possible_obligations.append(ob)
            questions |= unknown
    texts = lp.question_texts
    for q in sorted(questions):
        text, choices = texts.get(q) or ({"en": f"Please answer: {q}", "zh": f"请补充：{q}"}, None)
        res.questions.append(QuestionOut(q, text, choices))
    return res


def classify(system: AISystem | dict[str, Any], *, jurisdictions: Iterable[str] | None = None, as_of: dt.date | None = None,
             packs: Iterable[LoadedPack] | None = None, full_trace: bool = True) -> list[JurisdictionResult]:
    env = system.rule_env() if isinstance(system, AISystem) else system
    derived = derived_facts(env)
    wanted = {j.upper() for j in jurisdictions} if jurisdictions else None
    out = []
    for lp in packs if packs is not None else default_packs():
        if wanted and not (wanted & lp.covers):  # "SG" selects the ASEAN/Singapore pack, "DE" the EU one
            continue
        out.append(classify_one(env, lp, as_of, derived, full_trace=full_trace))
    return out
