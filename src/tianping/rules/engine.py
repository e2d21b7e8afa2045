"""Classify an AI-system profile under every applicable rule pack, with a full trace.

For each pack: does it apply (deployment), which tiers are designated (most severe first),
which obligations follow for the system's roles there, as of a date — and, for anything that
depends on an unanswered field, `undetermined` plus the questions that would decide it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import i18n
from ..registry.profile import AISystem
from .expr import UNKNOWN
from .pack import LoadedPack, default_packs
from .trace import RuleTrace
from .vocabulary import exempt_purposes

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
    window: str | None = None  # the pack's applicability window that dates it
    amended_by: str | None = None  # the amending act that set this date, if any
    date_verified: bool = True  # false when the date comes from an unverified source
    tier_from: list[str] | None = None  # for upcoming duties brought by a tier designated later: those tiers


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
    # tiers that will be designated later (as of a date): {tier, title, applies_from, certain, rules, cites, because, ...}
    upcoming_tiers: list[dict[str, Any]] = field(default_factory=list)
    as_of: str | None = None
    # the law applied: {pack, pack_version, instrument, version, amended_by: [...], verified}
    law_version: dict[str, Any] | None = None
    # amending acts known on that date but not applicable yet (proposed, adopted, published), with what they change
    pending_amendments: list[dict[str, Any]] = field(default_factory=list)
    # sub-jurisdictions of the system that the pack does not cover (e.g. US-CO under the US pack)
    out_of_scope: list[dict[str, Any]] = field(default_factory=list)
    # the pack encodes a draft law (shown for information, never binding)
    proposed: bool = False

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["trace"] = [t._asdict() for t in self.trace]
        return d

    @property
    def upcoming_summary(self) -> list[dict[str, str]]:
        """One line per upcoming tier: 'High-risk … from 2027-12-02', in every language."""
        key = {True: "rules.upcoming_certain", False: "rules.upcoming_possible"}
        return [i18n.texts(key[bool(u["certain"])], title=u["title"], date=u["applies_from"]) for u in self.upcoming_tiers]


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
        # a transfer whose purpose the vocabulary marks exempt (China's 2024 Provisions, Art. 5(1)(1)-(3))
        # does not count towards the thresholds; an unanswered purpose is not exempt
        exempt = exempt_purposes()
        counted = [t for t in out_of_cn if t.get("purpose") not in exempt]
        d["export_exempt_purposes"] = sorted({t["purpose"] for t in out_of_cn if t.get("purpose") in exempt})
        d["export_exempt_persons"] = sum(t.get("persons") or 0 for t in out_of_cn if t.get("purpose") in exempt)
        if all(t.get("persons") is not None for t in counted):
            d["export_persons"] = sum(t["persons"] for t in counted)
        if all(
            t.get("sensitive_persons") is not None
            or "sensitive_personal" not in t["categories"]
            and "biometric" not in t["categories"]
            for t in counted
        ):
            d["export_sensitive_persons"] = sum(t.get("sensitive_persons") or 0 for t in counted)
    return d


_MIN_DATE = dt.date.min


def _rule_start(rd, env: dict[str, Any]):
    """(start date, amended_by, date verified) of a rule for this system: a conditional change
    (e.g. a grace period for systems placed on the market before a date) applies when its condition
    holds; an unknown condition keeps the window's general date."""
    start, by, ver = rd.start, rd.amended_by, rd.verified
    for fn, day, aid, v in rd.overrides:
        if fn(env, set()) is True:
            start, by, ver = day, aid, v
    return start, by, ver


def _resolve(fired: list[str], lp: LoadedPack) -> list[str]:
    order = lp.tier_order
    out = sorted(set(fired), key=order.__getitem__)
    excl = [t for t in out if t in lp.exclusive]
    if excl:
        return [excl[0]]
    return out or [lp.default_tier]


def classify_one(
    system_env: dict[str, Any], lp: LoadedPack, as_of: dt.date | None, derived: dict[str, Any], *, full_trace: bool = True
) -> JurisdictionResult:
    """Classify under one pack as the law stands on `as_of` (None: every adopted provision applies).

    `full_trace=False` keeps only decisive trace entries (fired, undetermined, excepted, not yet
    applicable) and drops rules that simply did not fire."""
    pack = lp.pack
    gate = lp.gate
    if gate is not None and gate.isdisjoint(system_env.get("jurisdictions") or ()):
        # applies_if is false for every system outside these codes (shown when the pack was loaded)
        st = lp.state(as_of)
        res = JurisdictionResult(pack.jurisdiction, pack.id, pack.version, pack.voluntary, "no", None, None, [], [])
        res.as_of = st.as_of_iso
        res.proposed = pack.proposed
        res.law_version = st.law_version
        res.pending_amendments = st.pending
        return res
    st = lp.state(as_of)
    roles_by_j = system_env.get("roles", {})
    covered = lp.role_codes
    roles = sorted(
        {
            r
            for code, rs in roles_by_j.items()
            if (code in covered or "-" in code and code.split("-", 1)[0] in covered)
            for r in rs
        }
    )
    env: dict[str, Any] = {
        "system": system_env,
        "derived": derived,
        "roles": roles,
        "jurisdiction": pack.jurisdiction,
        "tiers": [],
    }
    res = JurisdictionResult(pack.jurisdiction, pack.id, pack.version, pack.voluntary, "no", None, None, [], [])
    res.as_of = st.as_of_iso
    res.proposed = pack.proposed
    res.law_version = st.law_version
    res.pending_amendments = st.pending
    unk: set[str] = set()
    applies = lp.applies_if.fn(env, unk)
    if applies is False:
        return res
    if lp.out_of_scope:
        res.out_of_scope = [lp.out_of_scope[c] for c in system_env.get("jurisdictions") or () if c in lp.out_of_scope]
    questions: set[str] = set(unk)
    res.applies = "yes" if applies is True else "undetermined"
    trace = res.trace.append
    if full_trace and st.absent_traces:
        res.trace.extend(st.absent_traces)
    fired: list[str] = []
    fired_date: dict[str, dt.date] = {}
    fired_meta: dict[str, Any] = {}  # tier -> RuleDate of the designation that dates it
    maybe: list[str] = []
    later: list[tuple] = []  # (rule, start, RuleDate, certain, unknown fields)
    reasons = res.reasons.append
    for rule, when_fn, unless_fn, not_fired, rd in st.des_plan:
        unknown: set[str] = set()
        v = when_fn(env, unknown)
        if v is False:
            if full_trace:
                trace(not_fired)
            continue
        start = rd.start
        iso = rd.iso
        is_later = rd.later
        if rd.overrides:
            start = _rule_start(rd, env)[0]
            iso = start.isoformat() if start else None
            is_later = as_of is not None and start is not None and start > as_of
        if unless_fn is not None:
            unk2: set[str] = set()
            u = unless_fn(env, unk2)
            if u is True:
                trace(rule.traces["excepted"])
                continue
            if u is UNKNOWN:
                unknown |= unk2
                v = UNKNOWN
        if is_later:
            trace(rule.traces["not_yet_applicable"])
            if v is True or v is UNKNOWN:
                later.append((rule, start, rd, v is True, unknown))
            continue
        if v is True:
            trace(rule.traces["fired"])
            tier = rule.tier
            if tier not in fired:
                fired.append(tier)
            d = start or _MIN_DATE
            if tier not in fired_date or d < fired_date[tier]:
                fired_date[tier] = d
                fired_meta[tier] = rd
            reasons({"tier": tier, "rule": rule.id, "because": rule.because, "cites": rule.cites, "applies_from": iso})
        elif v is UNKNOWN:
            trace(RuleTrace(rule.id, "designation", "undetermined", rule.reads, tuple(sorted(unknown)), rule.cites))
            if rule.tier not in maybe:
                maybe.append(rule.tier)
            questions |= unknown
        elif full_trace:  # a non-boolean value counts as not fired
            trace(not_fired)

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
    res.tier_title = lp.tier_titles.get(res.tier) or i18n.texts("rules.tier_undetermined")
    if not worse_possible:
        questions = {q for q in questions if res.applies == "undetermined" and q in unk}

    env["tiers"] = res.designations
    dated = len(fired_date) > 0
    for rule, when_fn, also_excl, not_fired, rd in st.obl_plan:
        if excl and not also_excl:
            continue  # an exclusive tier (e.g. prohibited) replaces every other duty
        unknown = set()
        v = when_fn(env, unknown)
        if v is not True and v is not UNKNOWN:
            if full_trace:
                trace(not_fired)
            continue
        spec = rule.spec
        start = rd.start
        iso = rd.iso
        is_later = rd.later
        by = rd.amended_by
        dver = rd.verified
        if rd.overrides:
            start, by, dver = _rule_start(rd, env)
            iso = start.isoformat() if start else None
            is_later = as_of is not None and start is not None and start > as_of
        if dated and rule.tier_refs:
            # a duty that follows from a tier bites no earlier than that tier (e.g. Annex I high-risk)
            earliest: tuple[dt.date, str] | None = None  # (date, tier) of the earliest dated tier it follows from
            for t in rule.tier_refs:
                d = fired_date.get(t)
                if d is not None and (earliest is None or d < earliest[0]):
                    earliest = (d, t)
            if earliest is not None and earliest[0] is not _MIN_DATE and (start is None or earliest[0] > start):
                dep, dep_t = earliest
                start = dep
                iso = dep.isoformat()
                is_later = as_of is not None and start > as_of
                meta = fired_meta[dep_t]  # the date is the tier's: so are its source and verification
                by, dver = meta.amended_by, meta.verified
        if v is True:
            status = "upcoming" if is_later else "applies"
        elif is_later:
            continue  # possible, but not yet applicable anyway
        else:
            status = "possible"
        ob = ObligationResult(
            rule.id, rule.title, spec.roles, rule.cites, iso, status, spec.deadline, spec.verified, rule.window, by, dver
        )
        trace(
            rule.traces["fired"]
            if v is True
            else RuleTrace(rule.id, "obligation", "undetermined", rule.reads, tuple(sorted(unknown)), rule.cites)
        )
        if status == "applies":
            res.obligations.append(ob)
        elif status == "upcoming":
            res.upcoming.append(ob)
        else:
            res.possible_obligations.append(ob)
            questions |= unknown

    if later and not excl:
        emitted = {o.id for o in res.obligations} | {o.id for o in res.upcoming} | {o.id for o in res.possible_obligations}
        _upcoming(res, lp, st, env, later, fired, primary, emitted, questions, full_trace)

    texts = lp.question_texts
    for q in sorted(questions):
        text, choices = texts.get(q) or (i18n.texts("rules.please_answer", field=q), None)
        res.questions.append(QuestionOut(q, text, choices))
    return res


def _upcoming(
    res: JurisdictionResult,
    lp: LoadedPack,
    st,
    env: dict[str, Any],
    later: list[tuple],
    fired: list[str],
    primary: str | None,
    emitted: set[str],
    questions: set[str],
    full_trace: bool,
) -> None:
    """Tiers designated by rules that bite after the date asked, and the duties they bring, dated."""
    order = lp.tier_order
    by_tier: dict[str, dict[str, Any]] = {}
    for rule, start, rd, certain, unknown in sorted(later, key=lambda x: (x[1], order[x[0].tier])):
        if rule.tier in fired:
            continue  # already designated today by another rule
        u = by_tier.get(rule.tier)
        if u is None or (certain and not u["certain"]):
            u = by_tier[rule.tier] = {
                "tier": rule.tier,
                "title": lp.tier_titles[rule.tier],
                "applies_from": start.isoformat(),
                "certain": certain,
                "rules": [],
                "cites": [],
                "because": [],
                "unknown": [],
                "window": rd.window,
                "amended_by": rd.amended_by,
                "verified": rd.verified,
            }
        if certain != u["certain"]:
            continue
        u["rules"].append(rule.id)
        u["cites"].extend(c for c in rule.cites if c not in u["cites"])
        u["because"].append(rule.because)
        if not certain:
            u["unknown"] = sorted(set(u["unknown"]) | unknown)
            if primary is None or order[rule.tier] < order[primary]:
                questions |= unknown
    ups = sorted(by_tier.values(), key=lambda u: (u["applies_from"], order[u["tier"]]))
    # once an exclusive tier (a ban) bites, nothing else designated from then on can apply
    ban = next((u["applies_from"] for u in ups if u["certain"] and u["tier"] in lp.exclusive), None)
    if ban is not None:
        ups = [u for u in ups if u["tier"] in lp.exclusive or u["applies_from"] < ban]
        keep = {o.id for o in lp.obligations if o.spec.also_when_exclusive}
        res.upcoming = [o for o in res.upcoming if o.id in keep or (o.applies_from or "") < ban]
    res.upcoming_tiers = ups
    # the tier set changes on each date a certain designation starts; duties that fire only then are upcoming
    steps = sorted({u["applies_from"] for u in res.upcoming_tiers if u["certain"]})
    current = list(fired)
    prev = list(res.designations)
    for day_iso in steps:
        added_u = [u for u in res.upcoming_tiers if u["certain"] and u["applies_from"] == day_iso]
        added = [u["tier"] for u in added_u]
        current.extend(added)
        tiers_t = _resolve(current, lp)
        if tiers_t == prev:
            continue
        prev = tiers_t
        excl_t = tiers_t[0] in lp.exclusive
        env["tiers"] = tiers_t
        day = dt.date.fromisoformat(day_iso)
        for rule, _w, _a, _n, rd in st.obl_plan:
            if rule.id in emitted:
                continue
            spec = rule.spec
            if excl_t and not spec.also_when_exclusive:
                continue
            if rule.when_fn(env, set()) is not True:
                continue
            start, by, dver = _rule_start(rd, env) if rd.overrides else (rd.start, rd.amended_by, rd.verified)
            if start is None or start < day:
                start, by, dver = day, added_u[0]["amended_by"], added_u[0]["verified"]
            emitted.add(rule.id)
            res.upcoming.append(
                ObligationResult(
                    rule.id,
                    rule.title,
                    spec.roles,
                    rule.cites,
                    start.isoformat(),
                    "upcoming",
                    spec.deadline,
                    spec.verified,
                    rule.window,
                    by,
                    dver,
                    added,
                )
            )
            res.trace.append(rule.traces["not_yet_applicable"])
    env["tiers"] = res.designations


def classify(
    system: AISystem | dict[str, Any],
    *,
    jurisdictions: Iterable[str] | None = None,
    as_of: dt.date | None = None,
    packs: Iterable[LoadedPack] | None = None,
    full_trace: bool = True,
) -> list[JurisdictionResult]:
    """Classify under every pack that covers one of `jurisdictions` (default: every pack).

    Jurisdiction codes are case-insensitive; an ISO 3166-2 code (US-CO) selects its country's pack.
    Jurisdictions no pack covers are answered by `coverage()`."""
    env = system.rule_env() if isinstance(system, AISystem) else system
    js = env.get("jurisdictions") or ()
    if any("-" in j for j in js):  # a subdivision (US-CO) is also in its country (US)
        env = {**env, "jurisdictions": list(js) + sorted({j.split("-", 1)[0] for j in js if "-" in j} - set(js))}
    derived = derived_facts(env)
    wanted = None
    if jurisdictions:
        wanted = set()
        for j in jurisdictions:
            j = j.strip().upper()
            wanted.add(j)
            if "-" in j:
                wanted.add(j.split("-", 1)[0])
    out = []
    for lp in packs if packs is not None else default_packs():
        if wanted and not (wanted & lp.covers):  # "SG" selects the ASEAN/Singapore pack, "DE" the EU one
            continue
        out.append(classify_one(env, lp, as_of, derived, full_trace=full_trace))
    return out


# -- coverage: which jurisdictions have a rule pack -----------------------------------------------
_SCOPE_RANK = {"national": 0, "regional": 1, "plurilateral": 2, "global": 3}


def _instrument_reach(inst) -> tuple[str, set[str] | None]:
    """(scope kind, ISO country codes reached; None = every country) of a catalog instrument."""
    from .jurisdictions import data, members

    jd = data()
    if inst.id in jd.instrument_reach:
        out: set[str] = set()
        for g in jd.instrument_reach[inst.id]:
            out |= members(g)
        return "plurilateral", out
    code = inst.jurisdiction
    if code in jd.global_scopes:
        return "global", None
    if code in jd.groups:
        return ("regional" if jd.groups[code].deployment else "plurilateral"), members(code)
    return "national", {code}


def coverage(
    system: AISystem | dict[str, Any] | None = None,
    *,
    jurisdictions: Iterable[str] | None = None,
    packs: Iterable[LoadedPack] | None = None,
) -> list[dict[str, Any]]:
    """For each jurisdiction asked (default: the system's), whether a rule pack covers it, and when
    none does, an explicit answer: the catalog instruments that exist for it, laws known but not
    encoded, and the nearest voluntary frameworks. Never an empty answer."""
    from ..catalog.loader import default_catalog
    from .jurisdictions import data, kind, name, normalise

    env = system.rule_env() if isinstance(system, AISystem) else (system or {})
    codes = [normalise(j) for j in (jurisdictions or env.get("jurisdictions") or [])]
    packs = list(packs if packs is not None else default_packs())
    cat = default_catalog()
    jd = data()
    encoded = {iid: lp.pack.id for lp in packs for iid in lp.pack.instruments}
    out: list[dict[str, Any]] = []
    for code in dict.fromkeys(codes):
        country = code.split("-", 1)[0] if kind(code) == "subdivision" else code
        covering = [lp for lp in packs if code in lp.covers or country in lp.covers]
        notes = [o.model_dump(exclude_none=True) for lp in covering for o in lp.pack.out_of_scope if o.code == code]
        binding = any(not lp.pack.voluntary for lp in covering)
        own = [lp for lp in covering if code in lp.pack.covers]  # packs of the subdivision itself (US-CO)
        if own and kind(code) == "subdivision":  # they replace the country pack's note; their own notes stay
            notes = [o.model_dump(exclude_none=True) for lp in own for o in lp.pack.out_of_scope if o.code == code]
        if covering and not notes and (kind(code) != "subdivision" or own):
            status = "covered"
        elif covering:
            status = "partly_covered"
        else:
            status = "not_covered"
        reach_codes = {country} if kind(code) != "group" else members_of(code)
        instruments: list[dict[str, Any]] = []
        voluntary: list[dict[str, Any]] = []
        for inst in cat.instruments.values():
            scope, reached = _instrument_reach(inst)
            if kind(code) == "group":  # a group as a whole: its own instruments and global ones
                hits = reached is None or inst.jurisdiction == code
            else:
                hits = reached is None or bool(reach_codes & reached) or inst.jurisdiction == code
            if not hits:
                continue
            entry = {
                "id": inst.id,
                "title": inst.title.model_dump(exclude_none=True),
                "kind": inst.kind.value,
                "jurisdiction": inst.jurisdiction,
                "scope": scope,
                "rule_pack": encoded.get(inst.id),
            }
            if inst.kind.value == "binding_law":
                if scope in ("national", "regional"):
                    instruments.append(entry)
            elif inst.kind.value in ("soft_law", "standard", "declaration"):
                voluntary.append(entry)
        voluntary.sort(key=lambda e: (_SCOPE_RANK[e["scope"]], e["rule_pack"] is None, e["id"]))
        listed = {i["id"] for i in instruments}
        known = [
            k.model_dump(mode="json", exclude_none=True)
            for k in jd.known_laws.get(code, [])
            if not (
                k.instrument
                and (
                    k.instrument in listed
                    or k.instrument in cat.instruments
                    and cat.instruments[k.instrument].jurisdiction == code
                )
            )
        ]
        label = f"{code} ({name(code)})"
        packs_txt = ", ".join(lp.pack.id for lp in covering)
        if status == "not_covered":
            msg = i18n.texts("rules.coverage_none", label=label)
        elif status == "partly_covered":
            msg = i18n.texts("rules.coverage_partial", label=label, packs=packs_txt, code=code)
        else:
            msg = i18n.texts(
                "rules.coverage_covered" if binding else "rules.coverage_covered_voluntary", label=label, packs=packs_txt
            )
        out.append(
            {
                "jurisdiction": code,
                "name": name(code),
                "kind": kind(code),
                "status": status,
                "message": msg,
                "packs": [lp.pack.id for lp in covering],
                "binding_pack": binding,
                "out_of_scope": notes,
                "catalog_instruments": instruments,
                "known_laws_not_encoded": known,
                "nearest_voluntary_frameworks": voluntary[:6],
            }
        )
    return out


def members_of(code: str) -> set[str]:
    from .jurisdictions import members

    return members(code)
