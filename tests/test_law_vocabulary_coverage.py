"""Strict vocabulary, jurisdiction codes, explicit coverage answers, the field reference, and the
checks on pack windows and amending acts."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping.catalog.loader import DATA_DIR, default_catalog, load_catalog
from tianping.cli.main import app
from tianping.errors import TianpingError
from tianping.registry.profile import AISystem
from tianping.rules.engine import classify, coverage
from tianping.rules.jurisdictions import normalise
from tianping.rules.pack import PACK_DIR, load_pack

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

PROFILE = textwrap.dedent(
    """\
    id: law-credit
    name: Credit scorer
    organisation: {name: Bank, country: de}
    jurisdictions: [eu, gb, kr, br, us-co]
    roles: {eu: [provider, deployer], us-co: [deployer]}
    use_cases: [creditworthiness]
    model_kinds: [classifier]
    profiling: true
    narrow_procedural_task: false
    interacts_with_people: false
    annex_i_safety_component: false
    """
)


@pytest.fixture
def db_opt(tmp_path):
    return ["--db", str(tmp_path / "law.db")]


@pytest.fixture
def profile(tmp_path):
    f = tmp_path / "credit.yaml"
    f.write_text(PROFILE, encoding="utf-8")
    return f


def run(db_opt, *args):
    return runner.invoke(app, [*db_opt, *args])


# ------------------------------------------------------------------ codes
def test_lowercase_codes_are_read_as_iso_and_groups():
    s = AISystem.model_validate({"id": "sys-1", "name": "S", "organisation": {"name": "O", "country": "cn"},
                                 "jurisdictions": ["eu", "us-co", "asean"], "roles": {"eu": ["provider"]}})
    assert s.jurisdictions == ["EU", "US-CO", "ASEAN"] and list(s.roles) == ["EU"] and s.organisation.country == "CN"
    # US-CO brings Colorado's own pack and, as a subdivision, the federal US pack; the ASEAN GenAI guide
    # may apply (whether the system is generative is not answered)
    assert [r.pack for r in classify(s) if r.applies != "no"] == ["asean-genai-guide", "asean-sg", "eu-ai-act", "us-co-sb24-205", "us-nist"]


@pytest.mark.parametrize("raw, hint", [("UK", "GB"), ("Germany", "DE"), ("US-XX", "US-"), ("EL", "GR")])
def test_unknown_jurisdiction_codes_are_refused_with_a_suggestion(raw, hint):
    with pytest.raises(ValueError) as ei:
        normalise(raw)
    assert "did you mean" in str(ei.value) and hint in str(ei.value)


def test_unknown_codes_exit_2_with_suggestion_and_line(tmp_path, db_opt):
    f = tmp_path / "bad.yaml"
    f.write_text(PROFILE.replace("use_cases: [creditworthiness]", "use_cases: [credit_scoring]"), encoding="utf-8")
    res = run(db_opt, "classify", str(f))
    assert res.exit_code == 2
    assert "bad.yaml:6" in res.output and "field 'use_cases.0'" in res.output and "creditworthiness" in res.output
    assert "Traceback" not in res.output
    res = run(db_opt, "classify", str(f), "--json")
    assert res.exit_code == 2 and json.loads(res.stdout)["error"]["problems"][0]["field"] == "use_cases.0"
    f.write_text(PROFILE.replace("cross_border", "x") + "cross_border_transfers:\n  - {destination: US, categories: [personal], purpose: hr}\n", encoding="utf-8")
    res = run(db_opt, "register", str(f))
    assert res.exit_code == 2 and "hr_management" in res.output and "cross_border_transfers.0.purpose" in res.output


def test_unknown_jurisdiction_option_exits_2(profile, db_opt):
    res = run(db_opt, "classify", str(profile), "--jurisdiction", "eu,UK")
    assert res.exit_code == 2 and "'GB'" in res.output and "--jurisdiction" in res.output
    ok = run(db_opt, "classify", str(profile), "--jurisdiction", "eu", "--json")
    assert ok.exit_code == 0, ok.output
    assert [r["jurisdiction"] for r in json.loads(ok.stdout)["results"]] == ["EU"]


# ------------------------------------------------------------------ coverage
@pytest.mark.parametrize("code", ["GB", "BR"])
def test_jurisdictions_without_a_pack_get_an_explicit_answer(code):
    (c,) = coverage(jurisdictions=[code.lower()])
    assert c["status"] == "not_covered" and c["packs"] == []
    assert "not covered by any rule pack" in c["message"]["en"] and "不在任何规则包" in c["message"]["zh"]
    assert c["nearest_voluntary_frameworks"], code  # never an empty answer
    ids = [v["id"] for v in c["nearest_voluntary_frameworks"]]
    assert "oecd-ai-principles" in ids and "bletchley-declaration" in ids
    # the law itself is named: as a catalog instrument when the catalog holds it, else as known but not encoded
    assert c["known_laws_not_encoded"] or c["catalog_instruments"]
    listed = {i["id"] for i in c["catalog_instruments"]}
    assert not any(k.get("instrument") in listed for k in c["known_laws_not_encoded"])


def test_colorado_has_its_own_pack_and_says_what_it_does_not_encode():
    (c,) = coverage(jurisdictions=["US-CO"])
    # SB24-205 and its repeal and re-enactment by SB 26-189 (in force 2027-01-01) are both encoded in the pack
    assert c["status"] == "covered" and c["packs"] == ["us-co-sb24-205", "us-nist"] and not c["out_of_scope"]
    assert [i["rule_pack"] for i in c["catalog_instruments"] if i["id"] == "us-co-sb24-205"] == ["us-co-sb24-205"]
    assert "nist-ai-rmf" in [v["id"] for v in c["nearest_voluntary_frameworks"]]
    # a state without a pack of its own is still only partly covered
    (fl,) = coverage(jurisdictions=["US-FL"])
    assert fl["status"] == "partly_covered" and fl["packs"] == ["us-nist"]


def test_classify_json_and_text_answer_every_jurisdiction(profile, db_opt):
    res = run(db_opt, "classify", str(profile), "--as-of", "2026-12-05", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    cov = {c["jurisdiction"]: c for c in doc["coverage"]}
    assert {cov[j]["status"] for j in ("GB", "BR")} == {"not_covered"}
    assert {cov[j]["status"] for j in ("KR", "EU")} == {"covered"} and cov["US-CO"]["status"] == "covered"
    eu = next(r for r in doc["results"] if r["jurisdiction"] == "EU")
    assert eu["tier"] == "minimal"
    assert [(u["tier"], u["applies_from"]) for u in eu["upcoming_tiers"]] == [("high_risk", "2027-12-02")]
    assert eu["law_version"]["amended_by"] == ["eu-digital-omnibus-ai"]
    co = next(r for r in doc["results"] if r["jurisdiction"] == "US-CO")
    assert co["tier"] == "high_risk" and "co-ob-dep-impact-assessment" in [o["id"] for o in co["obligations"] + co["upcoming"]]
    text = run(db_opt, "classify", str(profile), "--as-of", "2026-12-05")
    assert text.exit_code == 0, text.output
    flat = " ".join(text.output.split())
    assert "2027-12-02" in flat  # (the table wraps "from" and the date onto separate lines with more packs)
    assert "not covered by any rule pack" in flat and "GB" in flat and "BR" in flat
    assert "US-CO" in flat and "High-risk AI" in flat  # Colorado's own pack


def test_only_uncovered_jurisdictions_still_give_an_answer(tmp_path, db_opt):
    f = tmp_path / "gb.yaml"
    f.write_text(PROFILE.replace("jurisdictions: [eu, gb, kr, br, us-co]", "jurisdictions: [gb]")
                 .replace("roles: {eu: [provider, deployer], us-co: [deployer]}", "roles: {gb: [provider]}"), encoding="utf-8")
    res = run(db_opt, "classify", str(f))
    assert res.exit_code == 0, res.output
    assert "not covered by any rule pack" in " ".join(res.output.split())
    doc = json.loads(run(db_opt, "obligations", str(f), "--json").stdout)
    assert doc["obligations"] == [] and doc["coverage"][0]["status"] == "not_covered"


def test_obligations_upcoming_with_dates(profile, db_opt):
    res = run(db_opt, "obligations", str(profile), "--jurisdiction", "EU", "--as-of", "2025-10-01", "--json")
    assert res.exit_code == 0, res.output
    (eu,) = json.loads(res.stdout)["obligations"]
    assert {o["applies_from"] for o in eu["upcoming"]} == {"2026-08-02"}
    assert eu["upcoming_tiers"][0]["tier"] == "high_risk"
    text = run(db_opt, "--lang", "zh", "obligations", str(profile), "--jurisdiction", "EU", "--as-of", "2026-12-05")
    assert text.exit_code == 0, text.output
    assert "自 2027-12-02 起" in text.output


# ------------------------------------------------------------------ field reference
def test_register_schema_lists_every_field_with_codes_and_readers(db_opt):
    res = run(db_opt, "register", "--schema", "--json")
    assert res.exit_code == 0, res.output
    ref = {e["field"]: e for e in json.loads(res.stdout)}
    assert set(AISystem.model_fields) <= set(ref)
    assert "cross_border_transfers[].purpose" in ref and "organisation.country" in ref
    assert {c["code"] for c in ref["rbi_objective"]["codes"]} == {"victim_search", "threat_prevention", "suspect_localisation", "none"}
    assert all(c["zh"] and c["en"] for c in ref["use_cases"]["codes"])
    assert "eu-ai-act:eu-prohibited-5-1-h" in ref["rbi_objective"]["read_by"]
    assert any("cn-xborder-hr-exemption" in r for r in ref["cross_border_transfers[].purpose"]["read_by"])
    text = run(db_opt, "register", "--schema")
    assert text.exit_code == 0 and "## `emotion_recognition_reason`" in text.output


def test_docs_profile_fields_is_current():
    from tianping.registry.fieldref import render_markdown

    assert (ROOT / "docs" / "profile-fields.md").read_text(encoding="utf-8") == render_markdown(), \
        "regenerate: python -m tianping.registry.fieldref > docs/profile-fields.md"


# ------------------------------------------------------------------ data checks
def _pack_with(tmp_path, old, new):
    text = (PACK_DIR / "eu-ai-act.yaml").read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "eu.yaml"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


@pytest.mark.parametrize("old, new, field, needle", [
    ("    window: chapters_i_ii\n", "    window: chapter_i_ii\n", "designations.0.window", "unknown window"),
    ("    window: chapters_i_ii\n", "    window: chapters_i_ii\n    applies_from: 2025-02-02\n", "designations.0.applies_from", "not both"),
    ("  - id: eu-digital-omnibus-ai\n    version:", "  - id: eu-digital-omnibus\n    version:", "amendments.0.id", "not an amending act"),
    ("    introduced_by: eu-digital-omnibus-ai\n", "    introduced_by: omnibus\n", "windows.7.introduced_by", "not one of the pack's amendments"),
    ("        rules: [eu-ob-50-2-marking]\n", "        rules: [eu-ob-50-1-ai-interaction-x]\n", "amendments.0.changes.4.rules.0", "is not in window"),
])
def test_bad_windows_and_amendments_are_located(tmp_path, old, new, field, needle):
    cat = default_catalog()
    with pytest.raises(TianpingError) as ei:
        load_pack(_pack_with(tmp_path, old, new), set(cat.provisions), cat.instruments)
    probs = {p.field: p for p in ei.value.problems}
    assert field in probs, [p.render() for p in ei.value.problems]
    assert needle in probs[field].message and probs[field].line


def test_amending_act_must_amend_a_catalog_instrument(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    f = data / "instruments" / "eu-digital-omnibus-ai.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("  amends: [eu-ai-act]", "  amends: [eu-ai-acts]"), encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        load_catalog(data)
    (p,) = [p for p in ei.value.problems if p.field == "amendment.amends.0"]
    assert "eu-ai-acts" in p.message and p.line and p.file.endswith("eu-digital-omnibus-ai.yaml")


def test_amendment_status_and_versions_come_from_the_catalog():
    import datetime as dt

    cat = default_catalog()
    act = cat.instruments["eu-digital-omnibus-ai"].amendment
    assert act.status_on(dt.date(2025, 10, 1)) is None
    assert act.status_on(dt.date(2025, 12, 1)).value == "proposed"
    assert act.status_on(dt.date(2026, 7, 1)).value == "adopted"
    assert act.status_on(dt.date(2026, 7, 25)).value == "published"
    assert act.status_on(dt.date(2026, 12, 5)).value == "in_force"
    # the reference marks every date unverified; the proposal (EUR-Lex) and the Council's adoption (its press
    # release) were since checked, the Official Journal dates were not
    assert {m.event for m in act.milestones if m.verified} == {"proposed", "council_adoption"}
    versions = cat.versions_of("eu-ai-act")
    assert [v["amended_by"] for v in versions] == [[], ["eu-digital-omnibus-ai"]]
    assert versions[1]["valid_from"] == "2026-07-27" and versions[1]["verified"] is False
