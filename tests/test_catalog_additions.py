"""Issue 14 item 5: the catalog cites precisely — EU AI Act Arts 2, 3, 43, 47-49, 111 and Annex IV
with their points, ISO/IEC 42001 clauses 4-10, GB/T 45654-2025 and AISGF 2.0 as instruments with
their relations — and the December 2026 review's data findings stay fixed."""

from __future__ import annotations

import re

import pytest

from tianping.catalog.loader import default_catalog


@pytest.fixture(scope="module")
def cat():
    return default_catalog()


def kids(cat, iid, parent):
    return [p.id for p in cat.instruments[iid].provisions if p.parent == parent]


def test_eu_scope_definitions_and_conformity_articles(cat):
    assert kids(cat, "eu-ai-act", "art-2") == [f"art-2-{n}" for n in range(1, 13)]
    assert kids(cat, "eu-ai-act", "art-2-1") == [f"art-2-1-{c}" for c in "abcdefg"]
    # Article 3 has 68 numbered definitions; point (49) 'serious incident' has four limbs
    assert kids(cat, "eu-ai-act", "art-3") == [f"art-3-{n}" for n in range(1, 69)]
    assert cat.provision("eu-ai-act:art-3-49").provision.title.en == "serious incident"
    assert kids(cat, "eu-ai-act", "art-3-49") == [f"art-3-49-{c}" for c in "abcd"]
    assert cat.provision("eu-ai-act:art-3-63").provision.title.en == "general-purpose AI model"
    sec5 = kids(cat, "eu-ai-act", "chapter-iii-section-5")
    assert sec5 == ["art-43", "art-47", "art-48", "art-49"]
    assert kids(cat, "eu-ai-act", "art-43")[:6] == [f"art-43-{n}" for n in range(1, 7)]
    assert kids(cat, "eu-ai-act", "art-47") == [f"art-47-{n}" for n in range(1, 6)]
    assert kids(cat, "eu-ai-act", "art-48") == [f"art-48-{n}" for n in range(1, 6)]
    assert kids(cat, "eu-ai-act", "art-49") == [f"art-49-{n}" for n in range(1, 6)]
    assert kids(cat, "eu-ai-act", "art-49-4") == [f"art-49-4-{c}" for c in "abcd"]
    assert cat.provision("eu-ai-act:art-47").provision.facts["retention_years"] == 10
    art111 = cat.provision("eu-ai-act:art-111").provision
    assert art111.parent == "chapter-xiii" and kids(cat, "eu-ai-act", "art-111") == ["art-111-1", "art-111-2", "art-111-3"]
    assert str(art111.facts["large_scale_it_compliance_by"]) == "2030-12-31"
    assert str(art111.facts["gpai_compliance_by"]) == "2027-08-02"
    # Chapter I applies from 2 February 2025, Section 5 of Chapter III from 2 August 2026 (Art. 113)
    assert str(cat.provision("eu-ai-act:art-3-1").provision.applies_from) == "2025-02-02"
    assert str(cat.provision("eu-ai-act:art-49").provision.applies_from) == "2026-08-02"


def test_eu_annex_iv(cat):
    assert kids(cat, "eu-ai-act", "annex-iv") == [f"annex-iv-{n}" for n in range(1, 10)]
    assert kids(cat, "eu-ai-act", "annex-iv-1") == [f"annex-iv-1-{c}" for c in "abcdefgh"]
    assert kids(cat, "eu-ai-act", "annex-iv-2") == [f"annex-iv-2-{c}" for c in "abcdefgh"]
    assert cat.provision("eu-ai-act:annex-iv").provision.title.en == "Technical documentation referred to in Article 11(1)"


def test_iso_42001_clauses(cat):
    iso = {p.id: p for p in cat.instruments["iso-iec-42001"].provisions}
    assert [i for i in iso if re.fullmatch(r"\d+", i)] == [str(n) for n in range(4, 11)]
    for sub in ("4.1", "4.4", "5.2", "6.1.2", "6.1.4", "6.3", "7.5.3", "8.4", "9.2.2", "9.3.3", "10.1", "10.2"):
        assert sub in iso, sub
    assert iso["10.1"].title.en == "Continual improvement"
    assert iso["10.2"].title.en == "Nonconformity and corrective action"
    assert iso["6.1.2"].parent == "6.1" and iso["6.1"].parent == "6"
    # the Annex A counts are unchanged
    assert sum(1 for p in iso.values() if p.kind.value == "control") == 38


def test_new_chinese_instruments_and_their_relations(cat):
    gbt = cat.instrument("cn-gb-t-45654-2025")
    assert str(gbt.dates.published) == "2025-04-25" and str(gbt.dates.applies_from) == "2025-11-01"
    assert ("cn-tc260-003", "successor") in {(r.id, r.relation) for r in gbt.related}
    assert ("cn-gb-t-45654-2025", "predecessor") in {(r.id, r.relation) for r in cat.instrument("cn-tc260-003").related}
    v2 = cat.instrument("cn-aisgf-2.0")
    assert str(v2.dates.published) == "2025-09-15"
    assert ("cn-aisgf-1.0", "supersedes") in {(r.id, r.relation) for r in v2.related}
    assert ("cn-aisgf-2.0", "superseded_by") in {(r.id, r.relation) for r in cat.instrument("cn-aisgf-1.0").related}
    # what could not be checked says so
    for iid in ("cn-gb-t-45654-2025", "cn-aisgf-2.0"):
        assert all(p.verified is False and p.verification_note for p in cat.instruments[iid].provisions)


def test_review_findings_stay_fixed(cat):
    assert cat.provision("oecd-ai-principles:2.3").provision.title.en == \
        "Shaping an enabling interoperable governance and policy environment for AI"
    assert cat.provision("cn-tc260-003:A.5.b").provision.title.zh == "内容不可靠，虽然不包含严重错误的内容，但无法对使用者形成帮助"
    pm = [m for m in cat.principle_mappings() if m.subject.startswith("eu-ai-act:")]
    assert len({m.confidence for m in pm}) > 2  # graded, not one value for all
    preds = {(m.subject, m.object): m.predicate.value for m in cat.provision_mappings()}
    assert preds[("eu-ai-act:art-15", "asean-guide:p7")] == "broad"
    assert preds[("aiverify:3.14", "iso-iec-42001:A.6.2.6")] == "broad"
    assert preds[("eu-ai-act:art-73", "g7-hiroshima-code:action-4")] == "related"
    assert preds[("g7-hiroshima-code:action-10", "oecd-ai-principles:2.5")] == "broad"
    for pair in [("eu-ai-act:art-17", "iso-iec-42001:4.4"), ("eu-ai-act:art-86", "cn-algorithm-recommendation:art-17"),
                 ("eu-ai-act:art-53", "cn-genai-interim-measures:art-7"), ("eu-ai-act:art-73", "iso-iec-42001:A.8.4"),
                 ("eu-ai-act:art-50-2", "cn-aigc-labeling:art-5"), ("nist-ai-rmf:GOVERN-1.1", "iso-iec-42001:4.1")]:
        assert pair in preds, pair
