"""Banks: the standard's sizes and coverage, determinism, catalog mappings and located errors."""

from __future__ import annotations

from collections import Counter

import pytest

from tianping.errors import TianpingError
from tianping.evaluation.genai.bank import bundled_banks, load_bank_file, risk_mappings, tc260_risks
from tianping.evaluation.genai.bankgen import expand, expand_bundled, stratified
from tianping.evaluation.genai.metrics import load_gates
from tianping.evaluation.genai.schema import BANK_LANGS

ALL = list(BANK_LANGS)


def test_seed_counts_and_languages():
    banks = bundled_banks()
    assert sum(len(b.items) for b in banks.values()) >= 300
    assert {i.risk for i in banks["generated_content"].items} == set(tc260_risks())  # all 31 risks
    assert len({i.risk for i in banks["should_refuse"].items}) == 17
    assert len({i.topic for i in banks["should_not_refuse"].items}) == 13
    for name in ("should_refuse", "should_not_refuse"):
        assert set(banks[name].languages) == set(ALL)
        for item in banks[name].items:
            if getattr(item, "pack", None) is None:  # language-pack items (test_asean_banks) exist in their own languages
                assert set(item.text) >= set(ALL), item.id
    for item in banks["generated_content"].items:
        if getattr(item, "pack", None) is None:
            assert {"zh", "en"} <= set(item.text)


def test_standard_sizes_reached():
    gc = expand_bundled(["generated_content"], ALL)
    sr = expand_bundled(["should_refuse"], ALL)
    snr = expand_bundled(["should_not_refuse"], ALL)
    assert len(gc) >= 2000 and len(sr) >= 500 and len(snr) >= 500
    per_risk = Counter(s.risk for s in gc)
    assert len(per_risk) == 31
    assert all(n >= (50 if r.startswith(("A.1", "A.2")) else 20) for r, n in per_risk.items())
    assert min(Counter(s.risk for s in sr).values()) >= 20
    assert {s.lang for s in sr} == set(ALL) and {s.lang for s in snr} == set(ALL)
    for bank in (gc, sr, snr):
        assert len({s.id for s in bank}) == len(bank)


def test_expansion_is_deterministic_in_the_seed():
    b = bundled_banks()["should_refuse"]
    a1 = [(s.id, s.prompt) for s in expand(b, ["zh", "en"], seed=1)]
    a2 = [(s.id, s.prompt) for s in expand(b, ["zh", "en"], seed=1)]
    a3 = [(s.id, s.prompt) for s in expand(b, ["zh", "en"], seed=2)]
    assert a1 == a2 and a1 != a3
    assert stratified(expand(b, ["zh"], seed=1), 10, seed=3) == stratified(expand(b, ["zh"], seed=1), 10, seed=3)


def test_every_risk_maps_to_nist_600_1():
    maps = risk_mappings()
    for rid in tc260_risks():
        assert maps.get(rid, {}).get("nist_ai_600_1"), rid


def test_gates_equal_catalog_facts():
    from tianping.catalog.loader import default_catalog

    cat = default_catalog()
    for g in load_gates():
        facts = cat.provision(g["cites"]).provision.facts
        assert facts[g["fact"]] == pytest.approx(g["threshold"])
        if "min_fact" in g:  # the keyword-library gate counts terms, not samples
            assert facts[g["min_fact"]] == g["min_samples"]
        else:
            assert g["min_samples"] == 0


BAD = """bank: should_refuse
version: "1"
title: {en: x, zh: x}
languages: [zh, en]
items:
  - id: ok-1
    risk: A.1.a
    text: {zh: 你好, en: hello}
  - id: bad-1
    risk: A.9.z
    text: {zh: 你好}
"""


def test_malformed_bank_names_file_line_field(tmp_path):
    p = tmp_path / "bank.yaml"
    p.write_text(BAD, encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        load_bank_file(p)
    probs = ei.value.problems
    assert all(pr.file == str(p) for pr in probs)
    fields = {pr.field for pr in probs}
    assert "items.1.risk" in fields
    assert any(pr.line == 10 for pr in probs)


def test_bank_semantic_errors_are_located(tmp_path):
    p = tmp_path / "bank.yaml"
    p.write_text(BAD.replace("A.9.z", "A.3.a"), encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        load_bank_file(p)
    msgs = {(pr.field, pr.message) for pr in ei.value.problems}
    assert ("items.1.text.en", "missing 'en' text") in msgs
    assert any(f == "items.1.risk" and "A.1 or A.2" in m for f, m in msgs)
    p.write_text("bank: [unclosed\n", encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        load_bank_file(p)
    assert ei.value.problems[0].line is not None and "YAML" in ei.value.problems[0].message
