"""ASEAN-language packs of the generated-content and should-not-refuse banks (issue 18, item 3).

Each pack (`banks/asean/<bank>.<lang>.yaml`) is checked for coverage of its declared risks, the
record of every item (provenance, author, date, review), unique ids, validation errors located by
file/line/field, the suites picking its items for `--lang`, and a loopback run in one language.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest
from typer.testing import CliRunner

from tianping.errors import TianpingError
from tianping.evaluation.genai.bank import (
    BANK_DIR,
    BANK_FILES,
    PROVENANCE,
    SourcedItem,
    bundled_banks,
    language_packs,
    load_bank_file,
    tc260_risks,
)
from tianping.evaluation.genai.bankgen import expand
from tianping.evaluation.genai.registry import suites as SUITES
from tianping.evaluation.genai.suites import SuiteOptions

ASEAN = ("ms", "id", "th", "vi", "fil")
PACK_BANKS = ("generated_content", "should_not_refuse")
MIN_ITEMS = 40  # per language and bank


def _base():
    return {name: load_bank_file(BANK_DIR / fname) for name, fname in BANK_FILES.items()}


@pytest.fixture(scope="module")
def packs():
    return language_packs(_base())


def test_every_language_has_both_banks_with_enough_items(packs):
    count: Counter = Counter()
    for _path, pack in packs:
        for item in pack.items:
            for lang in item.text:
                count[(pack.bank, lang)] += 1
    for lang in ASEAN:
        for bank in PACK_BANKS:
            assert count[(bank, lang)] >= MIN_ITEMS, (bank, lang, count[(bank, lang)])


def test_every_language_has_items_for_each_declared_risk(packs):
    all_risks = set(tc260_risks())
    topics = {i.topic for i in _base()["should_not_refuse"].items}
    for path, pack in packs:
        for lang in pack.languages:
            for rid in pack.risks:
                assert any(i.risk == rid and (i.text.get(lang) or "").strip() for i in pack.items), (path.name, lang, rid)
        if pack.bank == "generated_content":  # the region's content banks cover all 31 Appendix A risks
            assert set(pack.risks) == all_risks, path.name
        else:  # and the should-not-refuse banks all 13 topics of TC260-003 8.3
            assert {i.topic for i in pack.items} == topics, path.name
    covered = defaultdict(set)
    for _path, pack in packs:
        for lang in pack.languages:
            covered[pack.bank].add(lang)
    assert all(covered[b] >= set(ASEAN) for b in PACK_BANKS)


def test_provenance_author_and_date_on_every_item():
    banks = bundled_banks()
    base_ids = {name: {i.id for i in b.items} for name, b in _base().items()}
    n = 0
    for name, bank in banks.items():
        for item in bank.items:
            if item.id in base_ids[name]:
                continue
            n += 1
            assert isinstance(item, SourcedItem), item.id
            assert re.match(PROVENANCE, item.provenance), item.id
            assert item.author and item.date and item.reviewed is not None and item.pack, item.id
            src = item.provenance.removeprefix("adapted from ")
            if src != item.provenance:
                assert src in base_ids[name], item.id
            if item.provenance == "translated and reviewed":
                assert item.reviewed, item.id
    assert n >= len(ASEAN) * len(PACK_BANKS) * MIN_ITEMS


def test_no_duplicate_ids_anywhere():
    ids = [i.id for b in bundled_banks().values() for i in b.items]
    dup = [k for k, v in Counter(ids).items() if v > 1]
    assert not dup


def test_accuracy_items_carry_references_in_their_language(packs):
    for _path, pack in packs:
        for item in pack.items:
            if item.risk.startswith("A.5."):
                assert all(item.reference and item.reference.get(lg) for lg in pack.languages), item.id


@pytest.mark.parametrize("lang", ASEAN)
def test_suites_pick_the_pack_items(lang):
    content = SUITES.get("tc260-content")(SuiteOptions(langs=[lang]))
    assert content and {s.lang for s in content} == {lang}
    assert {s.risk for s in content} == set(tc260_risks())
    assert all(s.meta.get("provenance") and s.meta.get("pack") for s in content)  # every content sample here is a pack item
    assert all(s.seed_item.startswith(f"gc-{lang}-") for s in content)
    seeds = SUITES.get("tc260-seeds")(SuiteOptions(langs=[lang]))
    banks = bundled_banks()
    want = sum(1 for b in banks.values() for i in b.items if lang in i.text)
    assert len(seeds) == len({s.id for s in seeds}) == want
    by_bank = Counter(s.bank for s in seeds if s.meta.get("pack"))
    assert by_bank["generated_content"] >= MIN_ITEMS and by_bank["should_not_refuse"] >= MIN_ITEMS
    assert all(lang in s.meta["pack"] for s in seeds if s.meta.get("pack"))


@pytest.mark.parametrize("lang", ASEAN)
def test_single_language_content_run_meets_the_per_risk_minimums(lang):
    from tianping.evaluation.genai.bankgen import standard_sizes

    sizes = standard_sizes()["generated_content"]
    per_risk = Counter(s.risk for s in SUITES.get("tc260-content")(SuiteOptions(langs=[lang])))
    assert set(per_risk) == set(tc260_risks())
    need = {r: sizes["min_a12"] if r.startswith(("A.1.", "A.2.")) else sizes["min_other"] for r in per_risk}
    short = {r: n for r, n in per_risk.items() if n < need[r]}
    assert not short, short


def test_zh_en_samples_are_unchanged_by_the_packs():
    base, merged = _base(), bundled_banks()
    for name in PACK_BANKS:
        a = [(s.id, s.prompt) for s in expand(base[name], ["zh", "en"], seed=3)]
        b = [(s.id, s.prompt) for s in expand(merged[name], ["zh", "en"], seed=3)]
        assert a == b and a


BAD_PACK = """bank: generated_content
version: "1"
title: {en: x}
languages: [ms]
author: someone
date: 2026-12-05
risks: [A.1.a, A.5.b, A.2.b]
items:
  - {id: gc-a1a-1, risk: A.1.a, provenance: hand-written, text: {ms: satu}}
  - {id: t-2, risk: A.1.b, provenance: adapted from gc-nope-9, text: {ms: dua, id: dua}}
  - {id: t-3, risk: A.5.b, provenance: translated and reviewed, text: {ms: tiga}}
  - {id: t-4, risk: A.1.a, provenance: copied, text: {ms: empat}}
"""


def test_bad_pack_problems_are_located(tmp_path):
    d = tmp_path / "region"
    d.mkdir()
    p = d / "generated_content.ms.yaml"
    p.write_text(BAD_PACK, encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        language_packs(_base(), tmp_path)
    fields = {pr.field for pr in ei.value.problems}
    assert all(pr.file == str(p) and pr.line for pr in ei.value.problems)
    assert any(f and f.startswith("items.3.provenance") for f in fields)  # 'copied' is no provenance (schema)
    p.write_text(BAD_PACK.replace("provenance: copied", "provenance: hand-written"), encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        language_packs(_base(), tmp_path)
    got = {(pr.field, pr.line) for pr in ei.value.problems}
    msgs = " | ".join(pr.message for pr in ei.value.problems)
    assert ("items.0.id", 9) in got and "already used by the bundled bank" in msgs
    assert ("items.1.risk", 10) in got and "not in the pack's declared risks" in msgs
    assert ("items.1.text.id", 10) in got and ("items.1.provenance", 10) in got
    assert ("items.2.provenance", 11) in got and "not marked reviewed" in msgs
    assert ("items.2.reference", 11) in got and "accuracy item" in msgs
    assert ("risks.2", 7) in got and "declared risk 'A.2.b' has no item" in msgs
    p.write_text(BAD_PACK.replace("bank: generated_content", "bank: nope"), encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        language_packs(_base(), tmp_path)
    assert ei.value.problems[0].line == 1 and "unknown bank 'nope'" in ei.value.problems[0].message


def test_bad_snr_topic_and_duplicate_across_packs(tmp_path):
    from tianping.evaluation.genai.bank import merge_packs

    d = tmp_path / "region"
    d.mkdir()
    snr = ("bank: should_not_refuse\nversion: '1'\ntitle: {en: x}\nlanguages: [th]\nauthor: a\ndate: 2026-12-05\nrisks: [A.1.a]\n"
           "items:\n  - {id: x-1, risk: A.1.a, topic: %s, provenance: hand-written, text: {th: สวัสดี}}\n")
    (d / "a.yaml").write_text(snr % "monarchy", encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        language_packs(_base(), tmp_path)
    pr = ei.value.problems[0]
    assert pr.field == "items.0.topic" and pr.line == 9 and "not a topic of the bundled bank" in pr.message
    (d / "a.yaml").write_text(snr % "system", encoding="utf-8")
    (d / "b.yaml").write_text(snr % "history", encoding="utf-8")
    base = _base()
    with pytest.raises(TianpingError) as ei:
        merge_packs(base, language_packs(base, tmp_path))
    assert ei.value.problems[0].file.endswith("b.yaml") and "also used by" in ei.value.problems[0].message


def test_loopback_run_in_thai_gives_per_language_rows(stub, tmp_path):
    from tianping.cli.main import app

    out = tmp_path / "th.jsonl"
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "th.db"), "eval", "run", "--target", "openai:refuser",
                                 "--suite", "tc260-seeds", "--lang", "th", "--out", str(out), "--json", "--fail-on", "never"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    banks = res["metrics"]["banks"]
    assert set(banks) == {"generated_content", "should_refuse", "should_not_refuse"}
    assert all(set(b["by_lang"]) == {"th"} for b in banks.values())
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    th_items = {i.id for name in PACK_BANKS for i in bundled_banks()[name].items if "th" in i.text and isinstance(i, SourcedItem)}
    assert {row["lang"] for row in rows} == {"th"}
    seen = {row["sample_id"].split(":")[1] for row in rows}
    assert th_items <= seen
    pack_rows = [row for row in rows if row["meta"].get("pack")]
    assert pack_rows and all(row["meta"]["provenance"] and row["meta"]["reviewed"] is False for row in pack_rows)
    # the refuser refuses everything: over-refusal shows on the Thai should-not-refuse rows
    snr = banks["should_not_refuse"]["by_lang"]["th"]["pass_rate"]
    assert snr["n"] == sum(1 for row in rows if row["bank"] == "should_not_refuse") and snr["k"] == 0
