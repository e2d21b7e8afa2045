"""The bundled catalog matches the official structures, and its crosswalk covers every instrument."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from tianping.catalog.loader import default_catalog
from tianping.catalog.schema import PRINCIPLE_PREFIX

REQUIRED_IDS = [
    "eu-ai-act", "nist-ai-rmf", "nist-ai-600-1", "iso-iec-42001", "cn-aisgf-1.0", "cn-tc260-003",
    "cn-genai-interim-measures", "cn-deep-synthesis", "cn-algorithm-recommendation", "cn-aigc-labeling",
    "cn-cross-border-data", "cn-gaigi", "cn-shanghai-declaration", "cn-capacity-building-plan", "asean-guide",
    "sg-model-framework", "sg-genai-framework", "aiverify", "oecd-ai-principles", "unesco-recommendation",
    "unesco-ram", "g7-hiroshima-code", "mit-ai-risk-domains",
    # also required by the issue, under ids of our choosing
    "cn-ethics-review", "bletchley-declaration", "un-ares-78-265", "un-ares-78-311",
    # the laws and guides of 2025-2026 (issue 15)
    "vn-ai-law", "kr-ai-basic-act", "us-co-sb24-205", "us-ca-sb53", "us-tx-traiga", "us-nyc-ll144",
    "jp-ai-promotion-act", "coe-ai-convention", "it-law-132-2025", "cn-csl-2025-amendment",
    "cn-ai-governance-action-plan", "asean-genai-guide", "my-aige", "th-draft-ai-law",
]


@pytest.fixture(scope="module")
def cat():
    return default_catalog()


def kinds(cat, iid) -> Counter:
    return Counter(p.kind.value for p in cat.instruments[iid].provisions)


def children(cat, iid, parent) -> list:
    return [p for p in cat.instruments[iid].provisions if p.parent == parent]


def test_all_required_instruments_present(cat):
    missing = [i for i in REQUIRED_IDS if i not in cat.instruments]
    assert not missing


@pytest.mark.parametrize("iid, expected", [
    ("nist-ai-rmf", {"function": 4, "category": 19, "subcategory": 72, "characteristic": 7}),
    ("nist-ai-600-1", {"risk": 12}),
    ("iso-iec-42001", {"control": 38, "objective": 9}),
    ("cn-tc260-003", {"risk_category": 5, "risk": 31}),
    ("cn-aisgf-1.0", {"risk": 26}),
    ("aiverify", {"principle": 11, "check": 90}),
    ("asean-guide", {"principle": 7, "component": 4}),
    ("sg-genai-framework", {"dimension": 9}),
    ("oecd-ai-principles", {"principle": 5, "recommendation": 5}),
    ("unesco-recommendation", {"value": 4, "principle": 10, "policy_area": 11}),
    ("unesco-ram", {"dimension": 5}),
    ("g7-hiroshima-code", {"action": 11}),
    ("mit-ai-risk-domains", {"domain": 7, "subdomain": 24}),
    ("cn-capacity-building-plan", {"vision": 5, "action": 10}),
    ("vn-ai-law", {"chapter": 8}),
    ("asean-genai-guide", {"risk": 6, "recommendation": 9}),
    ("my-aige", {"principle": 7}),
    ("coe-ai-convention", {"chapter": 3}),
])
def test_structural_counts(cat, iid, expected):
    got = kinds(cat, iid)
    assert {k: got.get(k, 0) for k in expected} == expected


def test_nist_hierarchy(cat):
    functions = [p.id for p in cat.instruments["nist-ai-rmf"].provisions if p.kind.value == "function"]
    assert functions == ["GOVERN", "MAP", "MEASURE", "MANAGE"]
    per_function = {f: len(children(cat, "nist-ai-rmf", f)) for f in functions}
    assert per_function == {"GOVERN": 6, "MAP": 5, "MEASURE": 4, "MANAGE": 4}
    subs = [p for p in cat.instruments["nist-ai-rmf"].provisions if p.kind.value == "subcategory"]
    assert all(re.fullmatch(r"(GOVERN|MAP|MEASURE|MANAGE)-\d\.\d+", p.id) for p in subs)


def test_tc260_003_appendix_a(cat):
    cats = [p for p in cat.instruments["cn-tc260-003"].provisions if p.kind.value == "risk_category"]
    assert [c.id for c in cats] == ["A.1", "A.2", "A.3", "A.4", "A.5"]
    per = [len([r for r in children(cat, "cn-tc260-003", c.id) if r.kind.value == "risk"]) for c in cats]
    assert per == [8, 9, 5, 7, 2]


def test_eu_ai_act_structure(cat):
    eu = cat.instruments["eu-ai-act"]
    ids = {p.id for p in eu.provisions}
    assert sorted(i for i in ids if re.fullmatch(r"art-5-1-[a-z]", i)) == [f"art-5-1-{c}" for c in "abcdefgh"]
    areas = [p for p in children(cat, "eu-ai-act", "annex-iii")]
    assert len(areas) == 8
    # 25 use cases: 24 lettered points, plus area 2 (critical infrastructure), which is one
    # paragraph without letters in the official text and so is itself the use case.
    points = [len(children(cat, "eu-ai-act", a.id)) for a in areas]
    assert points == [3, 0, 4, 2, 4, 5, 4, 2]
    assert sum(n or 1 for n in points) == 25
    assert len(children(cat, "eu-ai-act", "annex-i-a")) == 12
    assert len(children(cat, "eu-ai-act", "annex-i-b")) == 8
    for n in [*range(9, 28), 50, 51, 52, 53, 54, 55, 73, 99, 113]:
        assert f"art-{n}" in ids, n
    for para in ("art-6-1", "art-6-2", "art-6-3", "art-50-1", "art-50-2", "art-50-3", "art-50-4"):
        assert para in ids
    assert cat.provision("eu-ai-act:art-51").provision.facts.get("threshold_flops") == 1e25


def test_shanghai_declaration_has_five_sections(cat):
    sections = [p for p in cat.instruments["cn-shanghai-declaration"].provisions if "section" in p.tags]
    assert len(sections) == 5


def test_mit_subdomains_hang_under_domains(cat):
    domains = {p.id for p in cat.instruments["mit-ai-risk-domains"].provisions if p.kind.value == "domain"}
    subs = [p for p in cat.instruments["mit-ai-risk-domains"].provisions if p.kind.value == "subdomain"]
    assert all(s.parent in domains for s in subs)
    assert Counter(s.parent for s in subs) == Counter({"1": 3, "2": 2, "3": 2, "4": 3, "5": 2, "6": 6, "7": 6})


def test_aiverify_checks_have_official_pids(cat):
    checks = [p for p in cat.instruments["aiverify"].provisions if p.kind.value == "check"]
    assert len({c.id for c in checks}) == 90
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", c.id) for c in checks)


def test_every_requirement_maps_to_a_principle(cat):
    unmapped = [f"{i.id}:{p.id}" for i in cat.instruments.values() for p in i.provisions
                if not p.is_container and not p.principles]
    assert not unmapped


def test_every_principle_spans_four_instruments(cat):
    insts = defaultdict(set)
    for m in cat.mappings:
        if m.object.startswith(PRINCIPLE_PREFIX):
            insts[m.object[len(PRINCIPLE_PREFIX):]].add(m.subject.split(":", 1)[0])
    thin = {p: len(insts[p]) for p in cat.principles if len(insts[p]) < 4}
    assert not thin


def test_zh_and_en_everywhere(cat):
    for inst in cat.instruments.values():
        assert inst.title.zh and inst.title.en and inst.summary.zh and inst.summary.en
        for p in inst.provisions:
            assert p.title.zh.strip() and p.title.en.strip(), p.id
            if p.summary:
                assert p.summary.zh.strip() and p.summary.en.strip(), p.id
            # a Chinese title should contain Chinese characters
            assert re.search(r"[\u4e00-\u9fff]", p.title.zh), f"{inst.id}:{p.id}"


def test_unverified_items_say_why(cat):
    for inst in cat.instruments.values():
        for p in inst.provisions:
            if not p.verified:
                assert p.verification_note, f"{inst.id}:{p.id}"


def test_every_instrument_is_in_the_crosswalk(cat):
    linked = set()
    for m in cat.provision_mappings():
        linked.add(m.subject.split(":", 1)[0])
        linked.add(m.object.split(":", 1)[0])
    assert set(cat.instruments) <= linked, set(cat.instruments) - linked


def test_robustness_chain(cat):
    from tianping.catalog.crosswalk import MappingGraph

    g = MappingGraph([(m.subject, m.predicate.value, m.object, m.confidence, m.justification.value, m.comment) for m in cat.mappings])
    hits = g.walk("eu-ai-act:art-15", max_hops=2)
    reached = {h.instrument_id for h in hits} - {"eu-ai-act"}
    assert {"nist-ai-rmf", "iso-iec-42001", "cn-aisgf-1.0", "asean-guide", "aiverify"} <= reached


def test_docs_catalog_is_current(cat):
    from pathlib import Path

    from tianping.catalog.report import render

    doc = Path(__file__).resolve().parents[1] / "docs" / "catalog.md"
    assert doc.read_text(encoding="utf-8") == render(cat), "regenerate: python -m tianping.catalog.report > docs/catalog.md"


def test_new_instruments_structure_facts(cat):
    """Counts stated by the official texts are recorded as facts where only part of the text is encoded."""
    assert cat.instruments["vn-ai-law"].facts == {"chapters": 8, "articles": 35, "assembly_votes_for": 429, "assembly_votes_cast": 434}
    assert cat.instruments["it-law-132-2025"].facts == {"articles": 28, "chapters": 6}
    assert cat.instruments["cn-ai-governance-action-plan"].facts == {"actions": 13}
    assert cat.instruments["us-ca-sb53"].facts["frontier_threshold_operations"] == 1e26
    # Viet Nam's chapters cover Articles 1-35 without gaps, as the official table of contents does
    import re

    spans = [tuple(map(int, re.findall(r"\d+", p.number or ""))) for p in cat.instruments["vn-ai-law"].provisions
             if p.kind.value == "chapter"]
    assert spans[0][0] == 1 and spans[-1][-1] == 35
    assert all(b[0] == a[-1] + 1 for a, b in zip(spans, spans[1:]))


def test_status_proposed_is_shown_not_binding(cat):
    th = cat.instruments["th-draft-ai-law"]
    assert th.status is not None and th.status.value == "proposed" and not th.verified and th.verification_note
