"""Rule packs for the laws of 2025-2026: for every new pack a system in scope at its highest tier, one
exempt (or out of scope) and one undetermined with the questions that decide it, and the dates each law
applies from (as of a day before and after)."""

from __future__ import annotations

import datetime as dt

from pack_helpers import ids, system, under

from tianping.catalog.loader import default_catalog
from tianping.rules.engine import classify, coverage
from tianping.rules.pack import default_packs

D = dt.date
NEW_PACKS = ["vn-ai-law", "kr-ai-basic-act", "us-co-sb24-205", "us-ca-sb53", "us-tx-traiga", "us-ny-nyc-ll144",
             "jp-ai-promotion-act", "coe-ai-convention", "it-law-132-2025", "asean-genai-guide", "my-aige", "th-draft-ai-law"]


def asked(r):
    return {q.field for q in r.questions}


# ------------------------------------------------------------------ the packs as data
def test_every_new_pack_loads_cites_the_catalog_and_asks_every_field_it_reads():
    packs = {lp.pack.id: lp for lp in default_packs()}
    cat = default_catalog()
    for pid in NEW_PACKS:
        lp = packs[pid]
        assert set(lp.pack.instruments) <= set(cat.instruments), pid
        missing = sorted(f for f in lp.reads if f.startswith(("system.", "derived.")) and f not in lp.pack.questions)
        assert not missing, (pid, missing)
        for t in lp.pack.tiers:
            assert t.title.en and t.title.zh
        for r in lp.designations + lp.obligations:
            assert r.spec.window or r.spec.applies_from or pid == "coe-ai-convention", (pid, r.id)
    # titles in the country's language where the law's language is not en/zh
    assert packs["vn-ai-law"].pack.title.vi and packs["kr-ai-basic-act"].pack.title.ko
    assert packs["jp-ai-promotion-act"].pack.title.ja and packs["it-law-132-2025"].pack.title.it
    # unverified facts are marked as such
    assert packs["us-co-sb24-205"].windows["operative"].verified is False
    assert all(not r.spec.verified for r in packs["coe-ai-convention"].designations + packs["coe-ai-convention"].obligations)
    assert packs["th-draft-ai-law"].pack.proposed and packs["th-draft-ai-law"].pack.voluntary


def test_us_pack_no_longer_says_the_states_are_out_of_scope():
    us = next(lp for lp in default_packs() if lp.pack.id == "us-nist")
    assert us.pack.out_of_scope == []
    (co,) = coverage(jurisdictions=["US-CO"])  # SB24-205 and its 2026 repeal and re-enactment (SB 26-189) both encoded
    assert co["status"] == "covered" and "us-co-sb24-205" in co["packs"] and not co["out_of_scope"]
    for code, pack in [("US-CA", "us-ca-sb53"), ("US-TX", "us-tx-traiga")]:
        (c,) = coverage(jurisdictions=[code])
        assert c["status"] == "covered" and pack in c["packs"] and "us-nist" in c["packs"], c
    (ny,) = coverage(jurisdictions=["US-NY"])  # a city law under its state's code: the state's own law is not encoded
    assert ny["status"] == "partly_covered" and "us-ny-nyc-ll144" in ny["packs"]
    for code, pack in [("VN", "vn-ai-law"), ("KR", "kr-ai-basic-act"), ("JP", "jp-ai-promotion-act"), ("IT", "it-law-132-2025"),
                       ("COE", "coe-ai-convention"), ("TH", "th-draft-ai-law"), ("MY", "my-aige")]:
        (c,) = coverage(jurisdictions=[code])
        assert pack in c["packs"], (code, c["packs"])


# ------------------------------------------------------------------ Viet Nam
VN_CREDIT = dict(use_cases=["creditworthiness"], model_kinds=["classifier"], interacts_with_people=False)


def test_vietnamese_credit_scorer_is_high_risk_with_the_notification_duty():
    r = under("vn-ai-law", system(["VN"], {"VN": ["provider"]}, **VN_CREDIT))
    assert r.tier == "high_risk"
    got = ids(r.obligations)
    assert {"vn-ob-self-classify", "vn-ob-classification-file", "vn-ob-notify-portal", "vn-ob-hr-suitability-assessment",
            "vn-ob-hr-documentation-logs", "vn-ob-hr-human-intervention"} <= set(got)
    notify = next(o for o in r.obligations if o.id == "vn-ob-notify-portal")
    assert notify.applies_from == "2026-03-01" and "vn-ai-law:art-10" in notify.cites and "before deployment" in notify.deadline
    # a public body using it must also publish an impact assessment report (Art. 27)
    pub = under("vn-ai-law", system(["VN"], {"VN": ["deployer"]}, organisation={"name": "Ministry", "public_authority": True}, **VN_CREDIT))
    assert "vn-ob-public-sector-impact-report" in ids(pub.obligations)


def test_vn_dates_prohibitions_medium_and_exemptions():
    before = under("vn-ai-law", system(["VN"], {"VN": ["provider"]}, **VN_CREDIT), as_of=D(2026, 2, 1))
    assert before.tier == "low_risk" and [(u["tier"], u["applies_from"]) for u in before.upcoming_tiers] == [("high_risk", "2026-03-01")]
    assert under("vn-ai-law", system(["VN"], {"VN": ["provider"]}, **VN_CREDIT), as_of=D(2026, 3, 1)).tier == "high_risk"
    ban = under("vn-ai-law", system(["VN"], {"VN": ["provider"]}, use_cases=["exploit_vulnerabilities"]))
    assert ban.tier == "prohibited" and ids(ban.obligations) == ["vn-ob-cease-prohibited"]
    chat = under("vn-ai-law", system(["VN"], {"VN": ["provider"]}, use_cases=["customer_service_chatbot"], model_kinds=["generative_text"],
                                     interacts_with_people=True, harm_severity="low"))
    assert chat.tier == "medium_risk" and {"vn-ob-notify-portal", "vn-ob-labelling"} <= set(ids(chat.obligations))
    # exempt: defence/security only
    assert under("vn-ai-law", system(["VN"], military_only=True, **VN_CREDIT)).applies == "no"
    low = under("vn-ai-law", system(["VN"], {"VN": ["provider"]}, use_cases=["fraud_detection"], model_kinds=["classifier"],
                                    interacts_with_people=False, harm_severity="low"))
    assert low.tier == "low_risk" and "vn-ob-notify-portal" not in ids(low.obligations)
    und = under("vn-ai-law", system(["VN"], {"VN": ["provider"]}))
    assert und.tier == "undetermined" and {"system.use_cases", "system.harm_severity"} <= asked(und)


# ------------------------------------------------------------------ Korea
def test_korean_hiring_system_is_high_impact():
    r = under("kr-ai-basic-act", system(["KR"], {"KR": ["deployer"]}, organisation={"name": "Co", "country": "KR"},
                                        use_cases=["recruitment"], model_kinds=["classifier"]))
    assert r.tier == "high_impact"
    assert {"kr-ob-hi-risk-management", "kr-ob-hi-explanation", "kr-ob-hi-user-protection-oversight", "kr-ob-hi-documentation",
            "kr-ob-advance-notice", "kr-ob-high-impact-check"} <= set(ids(r.obligations))
    assert all(o.applies_from == "2026-01-22" for o in r.obligations)
    early = under("kr-ai-basic-act", system(["KR"], {"KR": ["deployer"]}, use_cases=["recruitment"], model_kinds=["classifier"]), as_of=D(2025, 12, 1))
    assert early.tier == "general" and ("high_impact", "2026-01-22") in [(u["tier"], u["applies_from"]) for u in early.upcoming_tiers]


def test_kr_generative_compute_representative_and_exempt():
    gen = under("kr-ai-basic-act", system(["KR"], {"KR": ["provider"]}, organisation={"name": "Co", "country": "US"},
                                          use_cases=["text_generation_public"], model_kinds=["generative_text", "general_purpose_model"],
                                          training_compute_flops=2e26, representative_threshold_met=True))
    assert gen.designations == ["compute_threshold", "generative"]
    assert {"kr-ob-generative-labelling", "kr-ob-compute-safety", "kr-ob-domestic-representative"} <= set(ids(gen.obligations))
    assert under("kr-ai-basic-act", system(["KR"], military_only=True)).applies == "no"
    plain = under("kr-ai-basic-act", system(["KR"], {"KR": ["deployer"]}, organisation={"name": "Co", "country": "KR", "public_authority": False},
                                            use_cases=["fraud_detection"], model_kinds=["classifier"], training_compute_flops=1e20))
    assert plain.tier == "general" and ids(plain.obligations) == ["kr-ob-high-impact-check"]
    und = under("kr-ai-basic-act", system(["KR"], {"KR": ["deployer"]}))
    assert und.tier == "undetermined" and "system.use_cases" in asked(und)


# ------------------------------------------------------------------ Colorado
CO_DAY = D(2026, 12, 5)  # SB24-205 operative (from 2026-06-30), SB 26-189 adopted, in force from 2027-01-01


def test_colorado_lender_is_high_risk_with_the_deployers_impact_assessment():
    # SB24-205 as in force on 2026-12-05 (SB 26-189 repeals it from 2027-01-01: tests/test_law_data_2026.py)
    r = under("us-co-sb24-205", system(["US-CO"], {"US-CO": ["deployer"]}, use_cases=["creditworthiness"], model_kinds=["classifier"]), as_of=CO_DAY)
    assert r.tier == "high_risk"
    assert [p["id"] for p in r.pending_amendments] == ["us-co-sb26-189"]  # the result says the Act is repealed and re-enacted
    ia = next(o for o in r.obligations if o.id == "co-ob-dep-impact-assessment")
    assert ia.cites == ["us-co-sb24-205:s-6-1-1703-3"] and "90 days" in ia.deadline and ia.applies_from == "2026-06-30"
    assert {"co-ob-dep-risk-management", "co-ob-dep-consumer-notice", "co-ob-dep-adverse-decision"} <= set(ids(r.obligations))
    assert not any(o.id.startswith("co-ob-dev-") for o in r.obligations)  # a deployer only
    dev = under("us-co-sb24-205", system(["US-CO"], {"US-CO": ["developer"]}, use_cases=["creditworthiness"]), as_of=CO_DAY)
    assert {"co-ob-dev-documentation", "co-ob-dev-ag-disclosure"} <= set(ids(dev.obligations))
    # roles given for the country count in the state
    us_roles = under("us-co-sb24-205", system(["US", "US-CO"], {"US": ["deployer"]}, use_cases=["housing_decisions"]), as_of=CO_DAY)
    assert us_roles.tier == "high_risk" and "co-ob-dep-impact-assessment" in ids(us_roles.obligations)


def test_co_dates_small_deployer_and_exclusions():
    before = under("us-co-sb24-205", system(["US-CO"], {"US-CO": ["deployer"]}, use_cases=["creditworthiness"]), as_of=D(2026, 2, 1))
    assert before.tier == "not_high_risk"
    assert [(u["tier"], u["applies_from"]) for u in before.upcoming_tiers if u["certain"]] == [("high_risk", "2026-06-30")]
    small = under("us-co-sb24-205", system(["US-CO"], {"US-CO": ["deployer"]}, use_cases=["creditworthiness"], employees_fte=20,
                                           deployer_trains_with_own_data=False), as_of=CO_DAY)
    assert small.tier == "high_risk" and "co-ob-dep-impact-assessment" not in ids(small.obligations)
    assert "co-ob-dep-consumer-notice" in ids(small.obligations)
    narrow = under("us-co-sb24-205", system(["US-CO"], {"US-CO": ["deployer"]}, use_cases=["creditworthiness"], narrow_procedural_task=True,
                                            interacts_with_people=False), as_of=CO_DAY)
    assert narrow.tier == "not_high_risk" and narrow.obligations == []
    fraud = under("us-co-sb24-205", system(["US-CO"], {"US-CO": ["deployer"]}, use_cases=["fraud_detection"], interacts_with_people=False), as_of=CO_DAY)
    assert fraud.tier == "not_high_risk"
    chat = under("us-co-sb24-205", system(["US-CO"], {"US-CO": ["deployer"]}, use_cases=["customer_service_chatbot"], interacts_with_people=True), as_of=CO_DAY)
    assert chat.tier == "consumer_interaction" and ids(chat.obligations) == ["co-ob-ai-interaction-disclosure"]
    und = under("us-co-sb24-205", system(["US-CO"], {"US-CO": ["deployer"]}), as_of=CO_DAY)
    assert und.tier == "undetermined" and "system.use_cases" in asked(und)


# ------------------------------------------------------------------ California SB 53
GPAI = dict(model_kinds=["general_purpose_model", "generative_text"])


def test_ca_frontier_developers():
    big = under("us-ca-sb53", system(["US-CA"], {"US-CA": ["developer"]}, training_compute_flops=3e26, annual_revenue_usd=2e9, **GPAI))
    assert big.tier == "large_frontier_developer"
    assert {"ca-ob-frontier-framework", "ca-ob-transparency-report", "ca-ob-incident-reporting"} <= set(ids(big.obligations))
    inc = next(o for o in big.obligations if o.id == "ca-ob-incident-reporting")
    assert "15 days" in inc.deadline and inc.applies_from == "2026-01-01"
    small = under("us-ca-sb53", system(["US-CA"], {"US-CA": ["developer"]}, training_compute_flops=3e26, annual_revenue_usd=1e8, **GPAI))
    assert small.tier == "frontier_developer" and "ca-ob-frontier-framework" not in ids(small.obligations)
    exempt = under("us-ca-sb53", system(["US-CA"], {"US-CA": ["developer"]}, training_compute_flops=1e25, **GPAI))
    assert exempt.tier == "not_frontier" and exempt.obligations == []
    assert under("us-ca-sb53", system(["US-CA"], {"US-CA": ["deployer"]}, training_compute_flops=3e26, **GPAI)).tier == "not_frontier"
    und = under("us-ca-sb53", system(["US-CA"], {"US-CA": ["developer"]}, **GPAI))
    assert und.tier == "undetermined" and "system.training_compute_flops" in asked(und)
    unk_rev = under("us-ca-sb53", system(["US-CA"], {"US-CA": ["developer"]}, training_compute_flops=3e26, **GPAI))
    assert unk_rev.tier == "undetermined" and "system.annual_revenue_usd" in asked(unk_rev)
    before = under("us-ca-sb53", system(["US-CA"], {"US-CA": ["developer"]}, training_compute_flops=3e26, annual_revenue_usd=1e8, **GPAI), as_of=D(2025, 12, 1))
    assert ("frontier_developer", "2026-01-01") in [(u["tier"], u["applies_from"]) for u in before.upcoming_tiers]


# ------------------------------------------------------------------ Texas TRAIGA
def test_tx_prohibitions_government_and_private():
    ban = under("us-tx-traiga", system(["US-TX"], {"US-TX": ["deployer"]}, organisation={"name": "County", "public_authority": True},
                                       use_cases=["social_scoring"]))
    assert ban.tier == "prohibited" and ids(ban.obligations) == ["tx-ob-cease-prohibited"]
    gov = under("us-tx-traiga", system(["US-TX"], {"US-TX": ["deployer"]}, organisation={"name": "Agency", "public_authority": True},
                                       use_cases=["customer_service_chatbot"], interacts_with_people=True, sector="public_sector"))
    assert gov.tier == "government_entity" and "tx-ob-government-disclosure" in ids(gov.obligations)
    private = under("us-tx-traiga", system(["US-TX"], {"US-TX": ["deployer"]}, organisation={"name": "Shop", "public_authority": False},
                                           use_cases=["content_recommendation"], sector="retail", interacts_with_people=False))
    assert private.tier == "general" and ids(private.obligations) == ["tx-ob-no-discriminatory-intent"]
    assert private.obligations[0].applies_from == "2026-01-01"
    und = under("us-tx-traiga", system(["US-TX"], {"US-TX": ["deployer"]}, use_cases=["social_scoring"]))
    assert und.tier == "undetermined" and "system.organisation.public_authority" in asked(und)
    before = under("us-tx-traiga", system(["US-TX"], {"US-TX": ["deployer"]}, use_cases=["incite_harm_or_crime"]), as_of=D(2025, 12, 31))
    assert ("prohibited", "2026-01-01") in [(u["tier"], u["applies_from"]) for u in before.upcoming_tiers]


# ------------------------------------------------------------------ NYC Local Law 144
def test_nyc_hiring_tool_needs_a_bias_audit_with_impact_ratios():
    r = under("us-ny-nyc-ll144", system(["US-NY"], {"US-NY": ["deployer"]}, use_cases=["recruitment"]))
    assert r.tier == "aedt"
    audit = next(o for o in r.obligations if o.id == "nyc-ob-bias-audit")
    assert "us-nyc-ll144:rcny-5-301" in audit.cites and "one year" in audit.deadline and audit.applies_from == "2023-07-05"
    notice = next(o for o in r.obligations if o.id == "nyc-ob-candidate-notice")
    assert "ten business days" in notice.deadline
    # the audit is evidenced by the tabular fairness test's impact ratio
    from pathlib import Path

    import yaml

    import tianping.assessment as assessment

    emap = yaml.safe_load((Path(assessment.__file__).parent / "evidence_map.yaml").read_text(encoding="utf-8"))["tests"]
    fair = emap["tabular.fairness"]
    assert "us-nyc-ll144:rcny-5-301" in fair["evidences"] and any("disparate_impact_ratio".startswith(m) for m in fair["metrics"])
    import tianping.evaluation.tabular as tab

    metrics = yaml.safe_load((Path(tab.__file__).parent / "metrics.yaml").read_text(encoding="utf-8"))
    flat = str(metrics)
    assert "disparate_impact_ratio" in flat and "most-selected group" in flat


def test_nyc_exempt_and_undetermined():
    assert under("us-ny-nyc-ll144", system(["US-NY"], {"US-NY": ["deployer"]}, use_cases=["recruitment"], used_in_new_york_city=False)).applies == "no"
    aid = under("us-ny-nyc-ll144", system(["US-NY"], {"US-NY": ["deployer"]}, use_cases=["recruitment"], decision_substantial_factor=False))
    assert aid.tier == "not_aedt" and aid.obligations == []
    und = under("us-ny-nyc-ll144", system(["US-NY"], {"US-NY": ["deployer"]}))
    assert und.tier == "undetermined" and "system.use_cases" in asked(und)
    before = under("us-ny-nyc-ll144", system(["US-NY"], {"US-NY": ["deployer"]}, use_cases=["recruitment"]), as_of=D(2023, 1, 1))
    assert ("aedt", "2023-07-05") in [(u["tier"], u["applies_from"]) for u in before.upcoming_tiers]


# ------------------------------------------------------------------ Japan
def test_jp_business_duties_of_effort():
    r = under("jp-ai-promotion-act", system(["JP"], {"JP": ["deployer"]}))
    assert r.tier == "ai_business"
    assert {o.id: o.applies_from for o in r.obligations} == {"jp-ob-cooperate": "2025-06-04", "jp-ob-follow-guidelines": "2025-06-04",
                                                             "jp-ob-respond-to-guidance": "2025-06-04", "jp-ob-ai-basic-plan": "2025-09-01"}
    personal = under("jp-ai-promotion-act", system(["JP"], personal_non_professional=True))
    assert personal.tier == "not_business" and personal.obligations == []
    und = under("jp-ai-promotion-act", system(["JP"]))
    assert und.tier == "undetermined" and asked(und) == {"system.personal_non_professional"}
    mid = under("jp-ai-promotion-act", system(["JP"], {"JP": ["deployer"]}), as_of=D(2025, 7, 1))
    assert ids(mid.upcoming) == ["jp-ob-ai-basic-plan"] and mid.upcoming[0].applies_from == "2025-09-01"


# ------------------------------------------------------------------ Council of Europe
def test_coe_treaty_duties_of_parties_with_deployer_evidence():
    pub = under("coe-ai-convention", system(["COE"], {"COE": ["deployer"]}, organisation={"name": "City", "public_authority": True}))
    assert pub.tier == "public_authority"
    assert "coe-ob-risk-impact-management" in ids(pub.obligations)
    assert all("Party" in o.title["en"] and "evidence" in o.title["en"] and not o.verified for o in pub.obligations)
    priv = under("coe-ai-convention", system(["COE"], {"COE": ["deployer"]}, organisation={"name": "Co", "public_authority": False}))
    assert priv.tier == "private_actor"
    assert under("coe-ai-convention", system(["COE"], military_only=True)).applies == "no"
    assert under("coe-ai-convention", system(["COE"], research_only=True)).applies == "no"
    und = under("coe-ai-convention", system(["COE"], {"COE": ["deployer"]}))
    assert und.tier == "undetermined" and asked(und) == {"system.organisation.public_authority"}
    # the treaty carries no date (its entry into force is not verified): its duties apply on any date asked
    assert under("coe-ai-convention", system(["COE"], {"COE": ["deployer"]}, organisation={"name": "City", "public_authority": True}),
                 as_of=D(2025, 1, 1)).tier == "public_authority"
    # a member state alone does not bring in the treaty (which states are Parties is not known)
    assert [r for r in classify(system(["GB"])) if r.pack == "coe-ai-convention" and r.applies != "no"] == []


# ------------------------------------------------------------------ Italy
def test_it_sector_rules_on_top_of_the_eu_pack():
    s = system(["IT"], {"IT": ["deployer"]}, sector="health", use_cases=["medical_diagnosis"], model_kinds=["classifier"])
    packs = [r.pack for r in classify(s, jurisdictions=["IT"]) if r.applies != "no"]
    assert packs == ["eu-ai-act", "it-law-132-2025"]
    r = under("it-law-132-2025", s)
    assert r.tier == "health" and ids(r.obligations) == ["it-ob-health-patient-information"]
    assert r.obligations[0].applies_from == "2025-10-10"
    hr = under("it-law-132-2025", system(["IT"], {"IT": ["deployer"]}, sector="employment", use_cases=["recruitment"], model_kinds=["classifier"]))
    assert hr.tier == "employment" and "it-ob-worker-information" in ids(hr.obligations)
    plain = under("it-law-132-2025", system(["IT"], {"IT": ["deployer"]}, sector="retail", use_cases=["content_recommendation"], model_kinds=["recommender"]))
    assert plain.tier == "general" and plain.obligations == []
    assert under("it-law-132-2025", system(["IT"], military_only=True)).applies == "no"
    und = under("it-law-132-2025", system(["IT"], {"IT": ["deployer"]}))
    assert und.tier == "undetermined" and {"system.sector", "system.use_cases"} <= asked(und)


# ------------------------------------------------------------------ voluntary and proposed
def test_asean_genai_guide_malaysia_and_thai_draft():
    gen = under("asean-genai-guide", system(["SG"], {"SG": ["provider"]}, model_kinds=["generative_text"]))
    assert gen.voluntary and gen.tier == "generative" and "asean-genai-content-provenance" in ids(gen.obligations)
    assert under("asean-genai-guide", system(["SG"], model_kinds=["classifier"], use_cases=["fraud_detection"])).applies == "no"
    assert under("asean-genai-guide", system(["SG"])).applies == "undetermined"
    my = under("my-aige", system(["MY"], {"MY": ["developer"]}))
    assert my.voluntary and my.tier == "developer_guidance" and len(my.obligations) == 7
    assert under("my-aige", system(["MY"], {"MY": ["deployer"]})).tier == "user_guidance"
    th = under("th-draft-ai-law", system(["TH"], {"TH": ["provider"]}, organisation={"name": "Co", "country": "SG"}, use_cases=["creditworthiness"]))
    assert th.proposed and th.voluntary and th.tier == "likely_high_risk"
    assert {"th-ob-high-risk-provider", "th-ob-local-representative"} <= set(ids(th.obligations))
    assert under("th-draft-ai-law", system(["TH"], {"TH": ["deployer"]}, use_cases=["fraud_detection"], harm_severity="low")).tier == "general"
    und = under("th-draft-ai-law", system(["TH"], {"TH": ["deployer"]}))
    assert und.tier == "undetermined" and "system.use_cases" in asked(und)
    # dates: the guide from its adoption (January 2025), the AIGE from its launch, the draft from its publication
    assert {o.applies_from for o in gen.obligations} == {"2025-01-17"}
    early = under("asean-genai-guide", system(["SG"], {"SG": ["provider"]}, model_kinds=["generative_text"]), as_of=D(2024, 12, 1))
    assert early.obligations == [] and {o.applies_from for o in early.upcoming} == {"2025-01-17"}
    assert {o.applies_from for o in my.obligations} == {"2024-09-20"}
    th_early = under("th-draft-ai-law", system(["TH"], {"TH": ["provider"]}, use_cases=["creditworthiness"]), as_of=D(2025, 4, 1))
    assert ("likely_high_risk", "2025-05-02") in [(u["tier"], u["applies_from"]) for u in th_early.upcoming_tiers]
    # a draft never makes a jurisdiction bindingly covered
    (c,) = coverage(jurisdictions=["TH"])
    assert "th-draft-ai-law" in c["packs"] and c["binding_pack"] is False


def test_cn_amended_cybersecurity_law_from_2026():
    s = system(["CN"], {"CN": ["service_provider"]}, use_cases=["content_recommendation"], model_kinds=["recommender"], public_facing=True)
    r = under("cn", s)
    ob = next(o for o in r.obligations + r.upcoming + r.possible_obligations if o.id == "cn-ob-csl-ai-safety-governance")
    assert ob.applies_from == "2026-01-01" and ob.cites == ["cn-csl-2025-amendment:art-20"]
    early = under("cn", s, as_of=D(2025, 12, 1))
    assert "cn-ob-csl-ai-safety-governance" in ids(early.upcoming)


def test_jurisdiction_gate_never_changes_an_answer(tmp_path):
    """Skipping a pack for systems outside its codes gives the same answer as evaluating it; a pack whose
    applies_if names a code it does not cover gets no gate."""
    import random

    from tianping.rules.engine import classify_one, derived_facts
    from tianping.rules.pack import PACK_DIR, load_pack

    rng = random.Random(3)
    codes = ["VN", "KR", "US", "US-CO", "US-NY", "IT", "DE", "COE", "EU", "SG", "TH", "JP", "CN", "GB", "BR", "MY"]
    for lp in default_packs():
        assert lp.gate is not None, lp.pack.id
        for _ in range(60):
            env = {"jurisdictions": rng.sample(codes, rng.randint(1, 3)), "roles": {}}
            gated = classify_one(env, lp, None, derived_facts(env))
            lp_gate, lp.gate = lp.gate, None
            try:
                full = classify_one(env, lp, None, derived_facts(env))
            finally:
                lp.gate = lp_gate
            assert gated.applies == full.applies and gated.tier == full.tier, (lp.pack.id, env)
    text = (PACK_DIR / "us-ca-sb53.yaml").read_text(encoding="utf-8").replace(
        """applies_if: "'US-CA' in system.jurisdictions\"""", """applies_if: "exists_in(system.jurisdictions, ['US-CA', 'US-NY'])\"""")
    f = tmp_path / "us-ca-sb53.yaml"
    f.write_text(text, encoding="utf-8")
    assert load_pack(f).gate is None
