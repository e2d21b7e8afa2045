"""Law over time: classification as of a date uses the law in force that day (amendments, windows),
evaluates later rules as upcoming, and reads the facts that decide exceptions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tianping.catalog.loader import default_catalog
from tianping.registry.profile import AISystem, ModelKind
from tianping.rules.engine import classify
from tianping.rules.pack import default_packs

D = dt.date


def system(**kw):
    base = dict(id="sys-1", name="S", organisation={"name": "Org", "country": "DE"}, jurisdictions=["EU"],
                roles={"EU": ["provider", "deployer"]}, model_kinds=["classifier"], interacts_with_people=False,
                annex_i_safety_component=False, annex_i_third_party_assessment=False)
    base.update(kw)
    return AISystem.model_validate(base)


def eu(s, as_of=None):
    (r,) = classify(s, jurisdictions=["EU"], as_of=as_of)
    return r


def upcoming(r):
    return [(u["tier"], u["applies_from"]) for u in r.upcoming_tiers if u["certain"]]


CREDIT = dict(use_cases=["creditworthiness"], profiling=True, narrow_procedural_task=False)
OMNIBUS = "eu-digital-omnibus-ai"


def omnibus_in_force() -> dt.date:
    act = default_catalog().instruments[OMNIBUS].amendment
    return next(m.date for m in act.milestones if m.status and m.status.value == "in_force")


# ------------------------------------------------------------------ acceptance
def test_credit_scoring_before_the_amendment_is_upcoming_high_risk_from_the_original_date():
    r = eu(system(**CREDIT), D(2025, 10, 1))
    assert r.tier == "minimal"
    assert upcoming(r) == [("high_risk", "2026-08-02")]
    assert r.law_version["amended_by"] == [] and "original" in r.law_version["version"]
    assert r.pending_amendments == []  # not even proposed on that day
    hr = [o for o in r.upcoming if o.id == "eu-ob-hr-risk-management"]
    assert hr and hr[0].applies_from == "2026-08-02" and hr[0].tier_from == ["high_risk"]
    assert [o.id for o in r.obligations] == ["eu-ob-ai-literacy"]


def test_credit_scoring_after_the_amendment_is_upcoming_from_the_amended_date():
    r = eu(system(**CREDIT), D(2026, 12, 5))
    assert r.tier == "minimal"
    assert upcoming(r) == [("high_risk", "2027-12-02")]
    assert r.law_version["amended_by"] == [OMNIBUS]
    assert "Omnibus" in r.law_version["version"]
    u = r.upcoming_tiers[0]
    assert u["amended_by"] == OMNIBUS and u["verified"] is False  # the reference marks the dates unverified
    for o in r.upcoming:
        assert o.applies_from >= "2027-12-02", o.id
    fria = next(o for o in r.upcoming if o.id == "eu-ob-hr-fria")
    assert fria.amended_by == OMNIBUS and fria.date_verified is False


def test_adopted_but_not_yet_applicable_amendment_is_named():
    r = eu(system(**CREDIT), D(2026, 7, 1))
    assert upcoming(r) == [("high_risk", "2026-08-02")]  # the law in force that day
    (p,) = r.pending_amendments
    assert p["id"] == OMNIBUS and p["status"] == "adopted"
    moved = {c["window"]: (c["from"], c["to"]) for c in p["changes"]}
    assert moved["annex_iii"] == ("2026-08-02", "2027-12-02")
    assert moved["annex_i"] == ("2027-08-02", "2028-08-02")
    assert moved["national_sandboxes"] == ("2026-08-02", "2027-08-02")
    assert moved["art5_new_bans"][1] == "2026-12-02"


def test_gpai_above_threshold_before_chapter_v_applies_is_upcoming():
    r = eu(system(model_kinds=["general_purpose_model", "generative_text"], training_compute_flops=3e25), D(2025, 7, 1))
    assert ("gpai_systemic_risk", "2025-08-02") in upcoming(r)
    ups = {o.id: o.applies_from for o in r.upcoming}
    assert ups["eu-ob-gpai-sr-evaluation"] == "2025-08-02"
    assert r.tier not in ("gpai", "gpai_systemic_risk")


MEDICAL = dict(use_cases=["medical_diagnosis"], annex_i_safety_component=True, annex_i_third_party_assessment=True)


@pytest.mark.parametrize("as_of", [None, D(2029, 1, 1)])
def test_annex_i_provider_duties_carry_the_annex_i_date(as_of):
    r = eu(system(**MEDICAL), as_of)
    assert r.tier == "high_risk"
    hr = [o for o in r.obligations if o.id.startswith("eu-ob-hr-")]
    assert hr
    assert all(o.applies_from == "2028-08-02" for o in hr), [(o.id, o.applies_from) for o in hr]


def test_annex_i_component_after_the_amendment_is_upcoming_from_2028():
    r = eu(system(**MEDICAL), D(2026, 12, 5))
    assert upcoming(r) == [("high_risk", "2028-08-02")]
    assert {o.applies_from for o in r.upcoming} == {"2028-08-02"}
    before = eu(system(**MEDICAL), D(2025, 10, 1))
    assert upcoming(before) == [("high_risk", "2027-08-02")]


def test_new_bans_exist_only_once_the_amendment_applies():
    s = system(use_cases=["intimate_imagery_without_consent"], model_kinds=["generative_image"])
    early = eu(s, D(2026, 7, 1))
    assert early.tier != "prohibited" and ("prohibited", "2026-12-02") not in upcoming(early)
    assert any(t.rule == "eu-prohibited-ncii-csam" and t.outcome == "not_in_force" for t in early.trace)
    mid = eu(s, D(2026, 9, 1))
    assert upcoming(mid) == [("prohibited", "2026-12-02")]
    assert [o.id for o in mid.upcoming if o.tier_from] == ["eu-ob-cease-prohibited"]
    late = eu(s, D(2026, 12, 5))
    assert late.tier == "prohibited"
    assert {o.id for o in late.obligations} <= {"eu-ob-cease-prohibited", "eu-ob-rbi-safeguards"}


def test_generator_without_safeguards_is_banned_and_with_them_has_the_safeguard_duty():
    gen = dict(model_kinds=["generative_image"], use_cases=["image_generation_public"])
    assert eu(system(**gen, intimate_content_safeguards=False), D(2027, 1, 1)).tier == "prohibited"
    ok = eu(system(**gen, intimate_content_safeguards=True), D(2027, 1, 1))
    assert ok.tier == "transparency"
    assert "eu-ob-ncii-csam-safeguards" in {o.id for o in ok.obligations}


def test_art_50_2_grace_period_for_systems_already_on_the_market():
    gen = dict(model_kinds=["generative_text"], use_cases=["text_generation_public"])
    old = eu(system(**gen, placed_on_market="2025-05-01"), D(2026, 9, 1))
    mark = next(o for o in old.upcoming if o.id == "eu-ob-50-2-marking")
    assert mark.applies_from == "2026-12-02" and mark.amended_by == OMNIBUS
    assert "eu-ob-50-1-ai-interaction" not in {o.id for o in old.upcoming}  # other Art. 50 duties keep 2026-08-02
    new = eu(system(**gen, placed_on_market="2026-09-01"), D(2026, 9, 1))
    assert "eu-ob-50-2-marking" in {o.id for o in new.obligations}
    unknown = eu(system(**gen), D(2026, 9, 1))  # unanswered: the general date
    assert "eu-ob-50-2-marking" in {o.id for o in unknown.obligations}


def test_prohibited_system_never_lists_duties_that_cannot_apply():
    s = system(use_cases=["social_scoring", "creditworthiness"], interacts_with_people=True, model_kinds=["generative_text"])
    for as_of in (None, D(2025, 3, 1), D(2026, 12, 5), D(2030, 1, 1)):
        r = eu(s, as_of)
        assert r.tier == "prohibited"
        assert r.upcoming_tiers == []
        allowed = {lp_o.id for lp in default_packs() if lp.pack.id == "eu-ai-act" for lp_o in lp.obligations if lp_o.spec.also_when_exclusive}
        assert {o.id for o in r.obligations + r.upcoming + r.possible_obligations} <= allowed


def test_system_that_will_be_banned_gets_no_later_duties():
    s = system(use_cases=["intimate_imagery_without_consent", "creditworthiness"], profiling=True, narrow_procedural_task=False,
               model_kinds=["generative_image"])
    r = eu(s, D(2026, 9, 1))
    assert upcoming(r) == [("prohibited", "2026-12-02")]  # high-risk from 2027-12-02 can never apply
    assert all(o.applies_from < "2026-12-02" or o.id == "eu-ob-cease-prohibited" for o in r.upcoming)


# ------------------------------------------------------------------ exceptions decided by stated facts
RBI = dict(use_cases=["realtime_remote_biometric_identification_law_enforcement"], roles={"EU": ["deployer"]},
           organisation={"name": "Police", "country": "DE", "public_authority": True}, model_kinds=["biometric_identification"],
           narrow_procedural_task=False)
LAWFUL_RBI = dict(rbi_objective="victim_search", rbi_authorisation="prior", rbi_national_law_basis=True)


def test_art_5_1_h_is_banned_without_the_lawful_conditions():
    r = eu(system(**RBI), D(2027, 1, 1))
    assert r.tier == "prohibited"
    assert "eu-ob-rbi-safeguards" in {o.id for o in r.obligations}


@pytest.mark.parametrize("objective", ["victim_search", "threat_prevention", "suspect_localisation"])
@pytest.mark.parametrize("authorisation", ["prior", "urgency_requested_24h"])
def test_art_5_1_h_lawful_use_is_high_risk_with_the_safeguards(objective, authorisation):
    s = system(**RBI, rbi_objective=objective, rbi_authorisation=authorisation, rbi_national_law_basis=True)
    r = eu(s, D(2028, 1, 1))
    assert r.tier == "high_risk"
    assert any(t.rule == "eu-prohibited-5-1-h" and t.outcome == "excepted" for t in r.trace)
    ids = {o.id for o in r.obligations}
    assert {"eu-ob-rbi-safeguards", "eu-ob-hr-deployer", "eu-ob-hr-fria"} <= ids
    # before Annex III applies, the safeguards bind and high-risk is upcoming
    early = eu(s, D(2026, 12, 5))
    assert early.tier != "prohibited" and ("high_risk", "2027-12-02") in upcoming(early)
    assert "eu-ob-rbi-safeguards" in {o.id for o in early.obligations}


@pytest.mark.parametrize("facts", [
    dict(rbi_objective="none", rbi_authorisation="prior", rbi_national_law_basis=True),
    dict(rbi_objective="victim_search", rbi_authorisation="none", rbi_national_law_basis=True),
    dict(rbi_objective="victim_search", rbi_authorisation="prior", rbi_national_law_basis=False),
    dict(rbi_objective="victim_search", rbi_authorisation="prior"),
])
def test_art_5_1_h_partial_facts_keep_the_ban(facts):
    assert eu(system(**RBI, **facts), D(2027, 1, 1)).tier == "prohibited"


WORK_EMOTION = dict(use_cases=["emotion_recognition_workplace_education"], model_kinds=["emotion_recognition"], sector="employment")


def test_art_5_1_f_banned_without_a_medical_or_safety_reason():
    assert eu(system(**WORK_EMOTION), D(2027, 1, 1)).tier == "prohibited"
    assert eu(system(**WORK_EMOTION, emotion_recognition_reason="other"), D(2027, 1, 1)).tier == "prohibited"


@pytest.mark.parametrize("reason", ["medical", "safety"])
def test_art_5_1_f_medical_or_safety_reason_lifts_the_ban_to_high_risk(reason):
    s = system(**WORK_EMOTION, emotion_recognition_reason=reason, profiling=True, narrow_procedural_task=False)
    r = eu(s, D(2028, 1, 1))
    assert r.tier == "high_risk"
    assert any(t.rule == "eu-prohibited-5-1-f" and t.outcome == "excepted" for t in r.trace)
    assert "eu-ob-hr-risk-management" in {o.id for o in r.obligations}


# ------------------------------------------------------------------ China: the transfer's own purpose
def cn(**kw):
    base = dict(id="sys-cn", name="HR", organisation={"name": "Org", "country": "DE", "ciio": False}, jurisdictions=["CN"],
                roles={"CN": ["deployer"]}, use_cases=["hr_management"], model_kinds=["regressor"], public_facing=False)
    base.update(kw)
    (r,) = [r for r in classify(AISystem.model_validate(base), jurisdictions=["CN"]) if r.pack == "cn"]
    return {o.id for o in r.obligations + r.possible_obligations}


def transfer(purpose=None, persons=200_000, cats=("personal",)):
    t = {"destination": "DE", "categories": list(cats), "persons": persons, "sensitive_persons": 0}
    if purpose:
        t["purpose"] = purpose
    return t


def test_hr_exemption_reads_the_transfers_purpose_not_the_use_case():
    exempt = cn(cross_border_transfers=[transfer("hr_management")])
    assert "cn-xborder-hr-exemption" in exempt and "cn-xborder-standard-contract" not in exempt
    # same system (use case hr_management) exporting for another purpose: not exempt
    other = cn(cross_border_transfers=[transfer("analytics")])
    assert "cn-xborder-standard-contract" in other and "cn-xborder-hr-exemption" not in other
    # purpose unanswered: not exempt
    assert "cn-xborder-standard-contract" in cn(cross_border_transfers=[transfer()])
    # an HR transfer exempts even when the system's use case is something else
    assert "cn-xborder-hr-exemption" in cn(use_cases=["recruitment"], cross_border_transfers=[transfer("hr_management")])


def test_only_non_exempt_transfers_count_towards_thresholds():
    mixed = cn(cross_border_transfers=[transfer("hr_management", 900_000), transfer("service_delivery", 50_000)])
    assert "cn-xborder-security-assessment" not in mixed and "cn-xborder-standard-contract" not in mixed
    big = cn(cross_border_transfers=[transfer("hr_management", 900_000), transfer("service_delivery", 150_000)])
    assert "cn-xborder-standard-contract" in big
    assert "cn-xborder-contract-exemption" in cn(cross_border_transfers=[transfer("contract_performance")])
    assert "cn-xborder-emergency-exemption" in cn(cross_border_transfers=[transfer("emergency_protection")])


def test_important_data_is_never_exempt():
    ids = cn(cross_border_transfers=[transfer("hr_management", cats=("personal", "important_data"))])
    assert "cn-xborder-security-assessment" in ids


# ------------------------------------------------------------------ properties
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EU_USE_CASES = ["creditworthiness", "recruitment", "education_admission", "emotion_recognition", "remote_biometric_identification",
                "law_enforcement_profiling", "justice_assistance", "medical_diagnosis", "customer_service_chatbot"]


@st.composite
def eu_profiles(draw):
    return system(
        use_cases=draw(st.lists(st.sampled_from(EU_USE_CASES), min_size=1, max_size=3, unique=True)),
        model_kinds=draw(st.lists(st.sampled_from([k.value for k in ModelKind]), min_size=1, max_size=3, unique=True)),
        profiling=draw(st.booleans()), narrow_procedural_task=draw(st.booleans()),
        annex_i_safety_component=draw(st.booleans()), annex_i_third_party_assessment=draw(st.booleans()),
        interacts_with_people=draw(st.booleans()), training_compute_flops=draw(st.sampled_from([1e20, 2e25])),
        intimate_content_safeguards=True,
    )


@SETTINGS
@given(eu_profiles(), st.dates(D(2026, 7, 27), D(2030, 12, 31)))
def test_after_the_amendment_no_pre_amendment_date_is_returned(s, as_of):
    if as_of < omnibus_in_force():
        return
    r = eu(s, as_of)
    assert r.law_version["amended_by"] == [OMNIBUS]
    dates = [u["applies_from"] for u in r.upcoming_tiers] + [o.applies_from for o in r.obligations + r.upcoming + r.possible_obligations]
    dates += [x.get("applies_from") for x in r.reasons]
    # the two dates the amendment replaced never come back once it applies
    assert "2027-08-02" not in dates
    for o in r.obligations + r.upcoming:
        if o.window == "annex_iii":
            assert o.applies_from >= "2027-12-02", o.id


@SETTINGS
@given(eu_profiles(), st.dates(D(2024, 8, 1), D(2026, 7, 26)))
def test_before_the_amendment_the_original_dates_hold(s, as_of):
    r = eu(s, as_of)
    assert r.law_version["amended_by"] == []
    for u in r.upcoming_tiers:
        assert u["applies_from"] in ("2025-02-02", "2025-08-02", "2026-08-02", "2027-08-02")
        assert u["applies_from"] > as_of.isoformat()


RBI_FACTS = st.fixed_dictionaries({}, optional={
    "rbi_objective": st.sampled_from(["victim_search", "threat_prevention", "suspect_localisation", "none"]),
    "rbi_authorisation": st.sampled_from(["prior", "urgency_requested_24h", "none"]),
    "rbi_national_law_basis": st.booleans(),
})


@SETTINGS
@given(RBI_FACTS, st.sampled_from([None, D(2025, 6, 1), D(2027, 1, 1), D(2029, 1, 1)]))
def test_exception_facts_never_lower_the_ban_without_every_lawful_condition(facts, as_of):
    r = eu(system(**RBI, **facts), as_of)
    lawful = (facts.get("rbi_objective") in ("victim_search", "threat_prevention", "suspect_localisation")
              and facts.get("rbi_authorisation") in ("prior", "urgency_requested_24h")
              and facts.get("rbi_national_law_basis") is True)
    assert (r.tier == "prohibited") is (not lawful)


@SETTINGS
@given(st.sampled_from(["medical", "safety", "other", None]), st.booleans(), st.booleans())
def test_emotion_reason_lifts_the_ban_only_for_medical_or_safety(reason, profiling, narrow):
    kw = dict(WORK_EMOTION, profiling=profiling, narrow_procedural_task=narrow)
    if reason:
        kw["emotion_recognition_reason"] = reason
    r = eu(system(**kw), D(2028, 1, 1))
    assert (r.tier == "prohibited") is (reason not in ("medical", "safety"))
