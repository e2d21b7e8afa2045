"""Crosswalk coverage, completeness checks of `catalog validate`, and the explained crosswalk query (issue 15)."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
from typer.testing import CliRunner

from tianping.catalog.coverage import TARGET, coverage, coverage_report, is_requirement, sssom_pairs
from tianping.catalog.loader import DATA_DIR, default_catalog, load_catalog
from tianping.catalog.sssom import to_sssom_tsv
from tianping.catalog.validate import completeness_problems, validate_catalog
from tianping.cli.main import app
from tianping.errors import TianpingError

runner = CliRunner()


@pytest.fixture(scope="module")
def cat():
    return default_catalog()


@pytest.fixture(scope="module")
def sssom(cat):
    return sssom_pairs(to_sssom_tsv(cat, include_principles=True))


# -- what counts as a requirement provision -------------------------------------------------

def test_requirement_provisions_exclude_structure_vocabulary_and_references(cat):
    eu = {p.id: p for p in cat.instruments["eu-ai-act"].provisions}
    assert not is_requirement(eu["chapter-iii"])  # container
    assert not is_requirement(eu["art-3-1"])  # definition
    assert not is_requirement(eu["art-2-1-a"])  # scope
    assert not is_requirement(eu["art-43-5"])  # power to adopt delegated acts
    assert not is_requirement(eu["annex-i-a-11"])  # a cited Union act (Annex I list)
    for pid in ("art-9", "art-26", "art-50-2", "annex-iii-5-b", "annex-iv-2-g", "art-5-1-c"):
        assert is_requirement(eu[pid]), pid


# -- the acceptance criterion: SSSOM export shows >= 60 % coverage ----------------------------

@pytest.mark.parametrize("iid", ["eu-ai-act", "cn-tc260-003"])
def test_sssom_export_covers_sixty_percent(cat, sssom, iid):
    c = coverage(cat, iid, pairs=sssom)
    assert c.total > 40  # a real instrument, not a handful of provisions
    assert c.ratio >= TARGET, (iid, f"{c.mapped}/{c.total}", c.unmapped[:20])


def test_sssom_and_catalog_agree(cat, sssom):
    for iid in ("eu-ai-act", "cn-tc260-003", "vn-ai-law"):
        assert coverage(cat, iid, pairs=sssom).mapped == coverage(cat, iid).mapped


NEW_BINDING = ["vn-ai-law", "kr-ai-basic-act", "us-co-sb24-205", "us-ca-sb53", "us-tx-traiga", "us-nyc-ll144",
               "jp-ai-promotion-act", "coe-ai-convention", "it-law-132-2025", "cn-csl-2025-amendment"]


@pytest.mark.parametrize("iid", NEW_BINDING)
def test_new_laws_are_crosswalked(cat, iid):
    assert cat.instruments[iid].kind.value == "binding_law"
    assert coverage(cat, iid).ratio >= TARGET


def test_new_laws_reach_the_reference_frameworks(cat):
    """The new laws map to the EU AI Act and, between them, to NIST AI RMF and ISO/IEC 42001."""
    reached: dict[str, set[str]] = {i: set() for i in NEW_BINDING}
    for m in cat.provision_mappings():
        a, b = m.subject.split(":", 1)[0], m.object.split(":", 1)[0]
        if a in reached:
            reached[a].add(b)
        if b in reached:
            reached[b].add(a)
    for iid in NEW_BINDING:
        if iid != "cn-csl-2025-amendment":  # a single state-support article: mapped to Chinese instruments
            assert "eu-ai-act" in reached[iid], iid
    assert {"nist-ai-rmf", "iso-iec-42001"} <= set().union(*reached.values())


def test_binding_instruments_below_target_are_known(cat):
    """Every binding instrument meets the target except those explained in docs/catalog-authoring.md."""
    low = {c.instrument_id for c in coverage_report(cat) if c.ratio < TARGET}
    assert low <= {"cn-cross-border-data", "cn-ethics-review"}, low


def test_every_crosswalk_row_is_justified_and_graded(cat):
    for m, mset in zip(cat.mappings, cat.mapping_sets):
        if mset in ("crosswalk-laws-2025-2026", "crosswalk-density"):
            assert len(m.comment) >= 40 and 0.2 <= m.confidence <= 0.95, (m.subject, m.object)
            assert m.subject.split(":", 1)[0] != m.object.split(":", 1)[0]
    confidences = {m.confidence for m, s in zip(cat.mappings, cat.mapping_sets) if s == "crosswalk-density"}
    assert len(confidences) >= 5  # graded, not one constant


# -- validate: completeness -------------------------------------------------------------------

def test_bundled_catalog_is_complete(cat):
    assert not completeness_problems(cat).problems


def _copy_catalog(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(DATA_DIR, d)
    return d


ORPHAN = textwrap.dedent(
    """\
    id: orphan-law
    title: {en: Orphan law, zh: 孤立的法律}
    issuer: {en: Nobody, zh: 无}
    jurisdiction: US-CO
    kind: binding_law
    source_url: https://example.org/orphan
    languages: [en]
    summary: {en: A law nobody mapped., zh: 无人映射的法律。}
    provisions:
      - id: s-1
        kind: article
        title: {en: Duty, zh: 义务}
        summary: {en: States a duty., zh: 规定一项义务。}
        principles: [safety]
        verified: false
    """
)


def test_validate_flags_unmapped_instrument_and_missing_note(tmp_path):
    d = _copy_catalog(tmp_path)
    (d / "instruments" / "orphan-law.yaml").write_text(ORPHAN, encoding="utf-8")
    cat = load_catalog(d)  # loads: schema and references are fine
    messages = [p.message for p in completeness_problems(cat).problems]
    assert any("'orphan-law' is not in the crosswalk" in m for m in messages)
    assert any("'orphan-law:s-1' is verified: false without a verification_note" in m for m in messages)
    with pytest.raises(TianpingError):
        validate_catalog(d)
    res = runner.invoke(app, ["--db", str(tmp_path / "v.db"), "catalog", "validate", str(d)])
    assert res.exit_code == 2 and "orphan-law" in res.output


def test_validate_rejects_mapping_to_missing_provision(tmp_path):
    d = _copy_catalog(tmp_path)
    (d / "mappings" / "zz-bad.yaml").write_text(textwrap.dedent(
        """\
        mapping_set_id: zz-bad
        mappings:
          - subject: vn-ai-law:art-99
            predicate: related
            object: eu-ai-act:art-5
            comment: Article 99 does not exist in this law.
        """), encoding="utf-8")
    with pytest.raises(TianpingError) as exc:
        validate_catalog(d)
    assert "vn-ai-law:art-99" in exc.value.render()


def test_validate_cli_reports_coverage(tmp_path):
    res = runner.invoke(app, ["--db", str(tmp_path / "v.db"), "catalog", "validate", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    cov = {c["instrument"]: c for c in out["coverage"]}
    assert cov["eu-ai-act"]["coverage"] >= TARGET and out["coverage_target"] == TARGET


# -- new instruments: codes, languages, honesty ----------------------------------------------

@pytest.mark.parametrize("iid, code", [
    ("vn-ai-law", "VN"), ("kr-ai-basic-act", "KR"), ("us-co-sb24-205", "US-CO"), ("us-ca-sb53", "US-CA"),
    ("us-tx-traiga", "US-TX"), ("us-nyc-ll144", "US-NY"), ("jp-ai-promotion-act", "JP"), ("coe-ai-convention", "COE"),
    ("it-law-132-2025", "IT"), ("cn-csl-2025-amendment", "CN"), ("cn-ai-governance-action-plan", "CN"),
    ("asean-genai-guide", "ASEAN"), ("my-aige", "MY"), ("th-draft-ai-law", "TH"),
])
def test_new_instrument_jurisdictions(cat, iid, code):
    assert cat.instruments[iid].jurisdiction == code


def test_titles_in_the_official_language(cat):
    assert cat.instruments["vn-ai-law"].title.vi.startswith("Luật Trí tuệ nhân tạo")
    assert cat.instruments["kr-ai-basic-act"].title.ko
    assert cat.instruments["jp-ai-promotion-act"].title.ja == "人工知能関連技術の研究開発及び活用の推進に関する法律"
    assert cat.instruments["it-law-132-2025"].title.it.startswith("Legge 23 settembre 2025, n. 132")


def test_key_dates_and_facts(cat):
    import datetime as dt

    d = dt.date
    assert cat.instruments["vn-ai-law"].dates.entry_into_force == d(2026, 3, 1)
    assert cat.instruments["kr-ai-basic-act"].dates.entry_into_force == d(2026, 1, 22)
    assert cat.instruments["us-co-sb24-205"].dates.applies_from == d(2026, 6, 30)
    assert cat.instruments["us-ca-sb53"].dates.entry_into_force == d(2026, 1, 1)
    assert cat.instruments["us-tx-traiga"].dates.entry_into_force == d(2026, 1, 1)
    assert cat.instruments["us-nyc-ll144"].dates.applies_from == d(2023, 7, 5)
    assert cat.instruments["it-law-132-2025"].dates.entry_into_force == d(2025, 10, 10)
    assert cat.instruments["cn-csl-2025-amendment"].dates.entry_into_force == d(2026, 1, 1)
    assert cat.provision("us-ca-sb53:bpc-22757-13-c").provision.facts == {"report_days": 15, "imminent_risk_hours": 24}
    assert cat.provision("us-nyc-ll144:rcny-5-301").provision.facts["metric"] == "impact_ratio"
    assert cat.instruments["th-draft-ai-law"].status.value == "proposed"


def test_proposed_instruments_never_count_as_in_force(cat):
    from tianping.catalog.coverage import below_target

    assert "th-draft-ai-law" not in {c.instrument_id for c in below_target(cat, target=1.01)}


# -- the crosswalk query ----------------------------------------------------------------------

def test_crosswalk_cli_floor_ranking_and_hops(tmp_path):
    db = ["--db", str(tmp_path / "x.db")]
    res = runner.invoke(app, [*db, "catalog", "crosswalk", "cn-tc260-003:A.2.e", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["min_confidence"] == 0.6
    hits = out["mappings"]
    assert hits and len(hits) < 15  # the review counted 38 noisy hits for one risk with the old default
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert [h["confidence"] for h in hits] == sorted((h["confidence"] for h in hits), reverse=True)
    for h in hits:
        assert h["confidence"] >= 0.6 and h["instrument_id"] != "cn-tc260-003"
        for step in h["path"]:
            assert step["comment"] and 0 < step["confidence"] <= 1
    looser = json.loads(runner.invoke(app, [*db, "catalog", "crosswalk", "cn-tc260-003:A.2.e", "--min-confidence", "0.3",
                                            "--json"]).stdout)
    assert len(looser["mappings"]) > len(hits)
    text = runner.invoke(app, [*db, "catalog", "crosswalk", "us-co-sb24-205:s-6-1-1704"])
    assert text.exit_code == 0 and "eu-ai-act:art-50-1" in text.output and "→" in text.output
    # --via-principles keeps working: its 0.5 hits pass because the default floor drops to 0.5
    via = json.loads(runner.invoke(app, [*db, "catalog", "crosswalk", "my-aige:p1", "--via-principles", "--json"]).stdout)
    assert any(h["via_principle"] for h in via["mappings"])


def test_coverage_command(tmp_path):
    res = runner.invoke(app, ["--db", str(tmp_path / "c.db"), "catalog", "coverage", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["instrument"]: r for r in json.loads(res.stdout)["instruments"]}
    assert rows["eu-ai-act"]["coverage"] >= TARGET and "nist-ai-rmf" not in rows  # binding only by default


def test_new_instrument_dates_carry_their_source(cat):
    for iid in NEW_BINDING + ["cn-ai-governance-action-plan", "asean-genai-guide", "my-aige", "th-draft-ai-law"]:
        d = cat.instruments[iid].dates
        set_dates = {k for k in ("adopted", "published", "entry_into_force", "applies_from", "revised") if getattr(d, k)}
        assert set_dates and set_dates == set(d.sources), (iid, set_dates, set(d.sources))


def test_date_sources_must_name_set_dates():
    from pydantic import ValidationError

    from tianping.catalog.schema import Dates

    Dates(adopted="2025-01-01", sources={"adopted": "official journal"})
    with pytest.raises(ValidationError):
        Dates(adopted="2025-01-01", sources={"entry_into_force": "somewhere"})
    with pytest.raises(ValidationError):
        Dates(sources={"signed": "somewhere"})
