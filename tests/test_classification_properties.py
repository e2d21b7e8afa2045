"""Property tests over random profiles and all bundled rule packs."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings, strategies as st

from tianping.catalog.loader import default_catalog
from tianping.registry.profile import AISystem, Autonomy, DataCategory, Level, ModelKind, Role
from tianping.rules.engine import classify
from tianping.rules.pack import default_packs

import yaml
from tianping.rules.pack import PACK_DIR

USE_CASES = sorted(yaml.safe_load((PACK_DIR.parent / "vocabulary.yaml").read_text(encoding="utf-8"))["use_cases"])
JURIS = ["EU", "DE", "FR", "CN", "SG", "ID", "MY", "TH", "VN", "PH", "US", "GB", "BR"]


def maybe(strategy):
    return st.none() | strategy


@st.composite
def profiles(draw):
    jur = draw(st.lists(st.sampled_from(JURIS), min_size=1, max_size=4, unique=True))
    roles = {j: draw(st.lists(st.sampled_from([r.value for r in Role]), min_size=1, max_size=3, unique=True))
             for j in jur if draw(st.booleans())}
    transfers = draw(maybe(st.lists(st.fixed_dictionaries({
        "destination": st.sampled_from(["US", "SG", "DE"]),
        "categories": st.lists(st.sampled_from([c.value for c in DataCategory]), min_size=1, max_size=3, unique=True),
        "persons": maybe(st.integers(0, 5_000_000)),
    }), max_size=2)))
    d = {
        "id": "sys-" + draw(st.text("abcdef0123456789", min_size=3, max_size=8)),
        "name": "Random system",
        "organisation": {"name": "Org", "country": draw(maybe(st.sampled_from(["CN", "DE", "US", "SG"]))),
                         "public_authority": draw(maybe(st.booleans())), "ciio": draw(maybe(st.booleans())),
                         "sme": draw(maybe(st.booleans()))},
        "jurisdictions": jur,
        "roles": roles,
        "use_cases": draw(maybe(st.lists(st.sampled_from(USE_CASES), max_size=4, unique=True))),
        "model_kinds": draw(maybe(st.lists(st.sampled_from([k.value for k in ModelKind]), max_size=3, unique=True))),
        "training_compute_flops": draw(maybe(st.sampled_from([1e20, 1e24, 1e25, 5e25]))),
        "open_source": draw(maybe(st.booleans())),
        "public_facing": draw(maybe(st.booleans())),
        "interacts_with_people": draw(maybe(st.booleans())),
        "public_opinion_attributes": draw(maybe(st.booleans())),
        "minors_users": draw(maybe(st.booleans())),
        "profiling": draw(maybe(st.booleans())),
        "narrow_procedural_task": draw(maybe(st.booleans())),
        "annex_i_safety_component": draw(maybe(st.booleans())),
        "annex_i_third_party_assessment": draw(maybe(st.booleans())),
        "autonomy": draw(maybe(st.sampled_from([a.value for a in Autonomy]))),
        "harm_probability": draw(maybe(st.sampled_from([x.value for x in Level]))),
        "harm_severity": draw(maybe(st.sampled_from([x.value for x in Level]))),
        "data": draw(maybe(st.lists(st.fixed_dictionaries({"category": st.sampled_from([c.value for c in DataCategory]),
                                                             "persons": maybe(st.integers(0, 10_000_000))}), max_size=3))),
        "cross_border_transfers": transfers,
        "research_only": draw(maybe(st.booleans())),
        "military_only": draw(maybe(st.booleans())),
    }
    if d["cross_border_transfers"] is not None:
        for t in d["cross_border_transfers"]:
            if t["persons"] is None:
                del t["persons"]
    d["organisation"] = {k: v for k, v in d["organisation"].items() if v is not None}
    return AISystem.model_validate({k: v for k, v in d.items() if v is not None})


QIDS = set(default_catalog().provisions)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(profiles(), st.sampled_from([None, dt.date(2024, 9, 1), dt.date(2025, 3, 1), dt.date(2026, 9, 1), dt.date(2028, 1, 1)]))
def test_engine_never_crashes_and_cites_existing_provisions(system, as_of):
    for r in classify(system, as_of=as_of):
        assert r.applies in ("yes", "no", "undetermined")
        for ob in r.obligations + r.possible_obligations + r.upcoming:
            assert ob.cites and all(c in QIDS for c in ob.cites), ob.id
        for reason in r.reasons:
            assert all(c in QIDS for c in reason["cites"])
        if r.tier == "undetermined":
            assert r.questions, (r.jurisdiction, [t for t in r.trace if t.outcome == "undetermined"])


@SETTINGS
@given(profiles())
def test_prohibited_eu_system_gets_no_other_eu_tier(system):
    for r in classify(system, jurisdictions=["EU"]):
        if r.tier == "prohibited":
            assert r.designations == ["prohibited"]
            assert all(o.id for o in r.obligations)  # only the duties that survive a ban


@SETTINGS
@given(profiles(), st.dates(dt.date(2023, 1, 1), dt.date(2029, 1, 1)))
def test_as_of_drops_obligations_not_yet_applicable(system, as_of):
    for r in classify(system, as_of=as_of):
        for ob in r.obligations + r.possible_obligations:
            assert ob.applies_from is None or dt.date.fromisoformat(ob.applies_from) <= as_of
        for ob in r.upcoming:
            assert dt.date.fromisoformat(ob.applies_from) > as_of


def test_every_field_read_by_a_pack_has_a_question():
    for lp in default_packs():
        missing = sorted(f for f in lp.reads if f.startswith(("system.", "derived.")) and f not in lp.pack.questions)
        assert not missing, (lp.pack.id, missing)
        for q in lp.pack.questions.values():
            assert q.text.en and q.text.zh


@SETTINGS
@given(profiles(), st.dates(dt.date(2024, 8, 1), dt.date(2030, 1, 1)))
def test_upcoming_is_dated_after_the_day_asked_and_never_for_a_banned_system(system, as_of):
    for r in classify(system, as_of=as_of):
        for u in r.upcoming_tiers:
            assert u["applies_from"] > as_of.isoformat(), (r.pack, u)
        for ob in r.upcoming:
            if ob.tier_from:  # a duty brought by a later tier bites no earlier than that tier
                first = min(u["applies_from"] for u in r.upcoming_tiers if u["tier"] in ob.tier_from)
                assert ob.applies_from >= first, ob.id
        if r.tier == "prohibited":
            assert r.upcoming_tiers == []
        for a in r.pending_amendments:  # named as pending only while it does not apply
            assert a["id"] not in (r.law_version or {}).get("amended_by", [])
