"""Engine semantics on a small pack: tiers, exceptions, exclusivity, undetermined, as-of dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tianping.catalog.loader import default_catalog
from tianping.errors import TianpingError
from tianping.registry.profile import AISystem
from tianping.rules.engine import classify
from tianping.rules.pack import load_pack

TOY = Path(__file__).parent / "data" / "toy-pack.yaml"


@pytest.fixture(scope="module")
def pack():
    return load_pack(TOY, set(default_catalog().provisions))


def system(**kw):
    base = dict(id="sys-1", name="S", organisation={"name": "Org"}, jurisdictions=["EU"], roles={"EU": ["provider"]})
    base.update(kw)
    return AISystem.model_validate(base)


def run(pack, s, as_of=None):
    (r,) = classify(s, packs=[pack], as_of=as_of)
    return r


def test_high_risk_with_obligation_and_trace(pack):
    r = run(pack, system(use_cases=["creditworthiness"], narrow_procedural_task=False, interacts_with_people=False))
    assert r.tier == "high_risk" and r.designations == ["high_risk"]
    assert [o.id for o in r.obligations] == ["toy-risk-management"]
    fired = [t for t in r.trace if t.outcome == "fired"]
    assert fired[0].rule == "toy-credit" and "system.use_cases" in fired[0].reads
    assert r.reasons[0]["cites"] == ["eu-ai-act:annex-iii-5-b", "eu-ai-act:art-6-2"]
    assert r.questions == []


def test_exception_applies(pack):
    r = run(pack, system(use_cases=["creditworthiness"], narrow_procedural_task=True, profiling=False, interacts_with_people=False))
    assert r.tier == "minimal"
    assert any(t.outcome == "excepted" for t in r.trace)


def test_profiling_overrides_the_exception(pack):
    r = run(pack, system(use_cases=["creditworthiness"], narrow_procedural_task=True, profiling=True, interacts_with_people=False))
    assert r.tier == "high_risk"


def test_unknown_answer_is_undetermined_with_questions(pack):
    r = run(pack, system(use_cases=["creditworthiness"], interacts_with_people=False))
    assert r.tier == "undetermined"
    asked = {q.field for q in r.questions}
    assert asked == {"system.narrow_procedural_task", "system.profiling"}
    assert r.questions[0].text["zh"]


def test_prohibited_is_exclusive(pack):
    r = run(pack, system(use_cases=["social_scoring", "creditworthiness"], narrow_procedural_task=False, interacts_with_people=True))
    assert r.tier == "prohibited" and r.designations == ["prohibited"]
    assert [o.id for o in r.obligations] == ["toy-stop"]


def test_as_of_before_application_dates(pack):
    s = system(use_cases=["social_scoring"], interacts_with_people=True)
    early = run(pack, s, as_of=dt.date(2025, 1, 1))
    assert early.tier == "transparency"  # Art. 5 did not apply yet
    assert early.obligations == []
    # the ban is evaluated and reported as upcoming with its date, and so is the duty it brings
    assert [(u["tier"], u["applies_from"], u["certain"]) for u in early.upcoming_tiers] == [("prohibited", "2025-02-02", True)]
    stop = next(o for o in early.upcoming if o.id == "toy-stop")
    assert stop.applies_from == "2025-02-02" and stop.tier_from == ["prohibited"]
    # the disclosure duty (from 2026-08-02) can never apply: the system is banned from 2025-02-02
    assert [o.id for o in early.upcoming] == ["toy-stop"]
    late = run(pack, s, as_of=dt.date(2026, 9, 1))
    assert late.tier == "prohibited"


def test_pack_outside_jurisdiction(pack):
    r = run(pack, system(jurisdictions=["CN"], roles={}))
    assert r.applies == "no" and r.tier is None


def test_bad_pack_names_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = TOY.read_text(encoding="utf-8").replace("when: \"system.interacts_with_people\"", "when: \"system.interacts_with_people &&\"")
    text = text.replace("cites: [eu-ai-act:art-9]", "cites: [eu-ai-act:art-999]")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        load_pack(bad, set(default_catalog().provisions))
    probs = {p.field: p for p in ei.value.problems}
    assert "expected a value" in probs["designations.2.when"].message and probs["designations.2.when"].line == 29
    assert "eu-ai-act:art-999" in probs["obligations.0.cites.0"].message and probs["obligations.0.cites.0"].line == 37


def test_vocabulary_is_valid_and_cites_existing_provisions():
    from tianping.rules.vocabulary import vocabulary

    vocab = vocabulary()
    qids = set(default_catalog().provisions)
    assert len(vocab.use_cases) >= 40
    for code, uc in vocab.use_cases.items():
        assert all(r in qids for r in uc.refs), code
    assert "(ads, CV filtering, candidate evaluation)" in vocab.use_cases["recruitment"].en


def test_packs_only_use_known_use_case_codes():
    """A misspelt use-case code in a pack would silently never fire: every quoted word in a
    rule is a vocabulary code, a tier, or a value of one of the profile's enums."""
    import re

    from tianping.rules.pack import default_packs
    from tianping.rules.vocabulary import vocabulary

    known = set(vocabulary().use_cases) | set(vocabulary().sectors) | set(vocabulary().transfer_purposes) | ROLE_AND_KIND_WORDS
    for lp in default_packs():
        tiers = {t.id for t in lp.pack.tiers}
        for rule in lp.designations + lp.obligations:
            for src in (rule.when.source, rule.unless.source if rule.unless else ""):
                for word in re.findall(r"'([A-Za-z_]+)'", src):
                    assert word in known or word in tiers or word in lp.pack.covers, (lp.pack.id, rule.id, word)


def _enum_words() -> set[str]:
    from tianping.registry import profile as pr

    return {e.value for enum in (pr.Role, pr.ModelKind, pr.DataCategory, pr.Autonomy, pr.Level, pr.Lifecycle,
                                 pr.RbiObjective, pr.RbiAuthorisation, pr.EmotionRecognitionReason) for e in enum}


ROLE_AND_KIND_WORDS = _enum_words() | {"EU"}


def test_jurisdiction_filter_accepts_member_codes():
    from tianping.registry.service import load_profile_file
    from pathlib import Path

    chatbot = load_profile_file(Path(__file__).resolve().parents[1] / "examples" / "systems" / "customer-service-chatbot.yaml")
    # a member code selects its region's packs: the base pack and its companions (`extends`)
    assert [r.pack for r in classify(chatbot, jurisdictions=["SG"])] == ["asean-genai-guide", "asean-sg"]
    assert [r.pack for r in classify(chatbot, jurisdictions=["eu", "cn"])] == ["cn", "cn-ai-governance-action-plan", "eu-ai-act"]
