"""Profile exports: every format on every example; missing fields are listed and null, never invented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping.cli.main import app
from tianping.errors import TianpingError
from tianping.registry.exports import (
    CN_ALGORITHM_TYPES,
    EU_ANNEX_VIII_A_POINTS,
    FORMATS,
    export_profile,
)
from tianping.registry.profile import AISystem
from tianping.registry.service import load_profile_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "systems").glob("*.yaml"))
runner = CliRunner()

_MISSING = object()


def lookup(doc, path: str):
    """Value at a dotted path (`a.b`, `components[0].version`); _MISSING when a key is absent."""
    node = doc
    for part in path.split("."):
        m = re.fullmatch(r"(.+?)\[(\d+)\]", part)
        key, idx = (m.group(1), int(m.group(2))) if m else (part, None)
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
        if idx is not None:
            if not isinstance(node, list) or idx >= len(node):
                return _MISSING
            node = node[idx]
    return node


def null_leaves(doc, prefix=""):
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += null_leaves(v, f"{prefix}.{k}" if prefix else k)
    elif doc is None:
        out.append(prefix)
    return out


@pytest.fixture(scope="module")
def profiles() -> dict[str, AISystem]:
    return {p.stem: load_profile_file(p) for p in EXAMPLES}


def test_there_are_examples():
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_every_format_on_every_example(profiles, example, fmt):
    result = export_profile(profiles[example], fmt)
    assert result["format"] == fmt
    assert isinstance(result["document"], dict) and result["document"]
    json.dumps(result, ensure_ascii=False)  # serialisable as is
    assert result["missing"], "no real profile fills every registration field"
    fields = [m["field"] for m in result["missing"]] + [m["field"] for m in result["not_applicable"]]
    assert len(fields) == len(set(fields)), "a field is listed twice"
    for m in result["missing"] + result["not_applicable"]:
        assert set(m) == {"field", "from", "reason"}
        assert m["from"] is None or isinstance(m["from"], str)
        assert m["reason"]["en"].strip() and m["reason"]["zh"].strip()
        value = lookup(result["document"], m["field"])
        if fmt == "cyclonedx":  # the CycloneDX schema forbids null: missing fields are left out
            assert value is _MISSING or m["field"] == "components", m["field"]
        else:
            assert value is None, f"{m['field']} is listed as missing but has {value!r}"
    if fmt != "cyclonedx":
        # and the other way round: every null in the document is explained
        assert sorted(null_leaves(result["document"])) == sorted(fields)


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_no_invented_values(profiles, example):
    s = profiles[example]
    # nothing in the profile says anything about certificates, addresses or contacts
    eu = export_profile(s, "eu-annex-viii-a")
    doc, missing = eu["document"], {m["field"] for m in eu["missing"]}
    for f in ("certificate.number", "certificate.type", "certificate.expiry_date", "certificate.notified_body",
              "certificate_scan", "eu_declaration_of_conformity", "provider.address", "provider.contact_details"):
        assert f in missing and lookup(doc, f) is None
    assert set(doc) <= set(EU_ANNEX_VIII_A_POINTS)
    assert doc["trade_name"] == s.name
    if "provider" in s.roles.get("EU", []):
        assert doc["provider"]["name"] == s.organisation.name
    else:  # the organisation is not the provider: the provider is not guessed
        assert doc["provider"]["name"] is None and "provider.name" in missing
    cn = export_profile(s, "cn-algorithm-filing")
    assert cn["document"]["主体信息"]["统一社会信用代码"] is None
    assert cn["document"]["算法信息"]["算法安全自评估报告"] is None
    assert cn["document"]["主体信息"]["主体名称"] == s.organisation.name
    nl = export_profile(s, "nl-algorithm-register")["document"]
    assert nl["contact_email"] is None and nl["lawful_basis"] is None and nl["name"] == s.name
    uk = export_profile(s, "uk-atrs")["document"]
    assert uk["tier_1"]["contact_email"] is None and uk["tier_1"]["name"] == s.name
    if not s.organisation.public_authority:
        assert uk["tier_2"]["owner_and_responsibility"]["organisation"] is None
        assert nl["organization"] is None


def test_cn_algorithm_types(profiles):
    def types(name):
        return export_profile(profiles[name], "cn-algorithm-filing")["document"]["算法信息"]["算法类型"]

    assert "个性化推送类" in types("cn-short-video-recommender")
    assert "生成合成类" in types("cn-face-swap-app")
    assert types("cn-delivery-dispatch") == ["调度决策类"]
    assert types("customer-service-chatbot") == ["生成合成类"]
    for p in profiles.values():
        t = export_profile(p, "cn-algorithm-filing")["document"]["算法信息"]["算法类型"]
        assert t is None or (t and set(t) <= set(CN_ALGORITHM_TYPES))
    # no derivable type (classifier only; nothing answered): null and listed, not guessed
    for name in ("eu-credit-scoring", "retail-vision-undetermined"):
        r = export_profile(profiles[name], "cn-algorithm-filing")
        assert r["document"]["算法信息"]["算法类型"] is None
        assert "算法信息.算法类型" in {m["field"] for m in r["missing"]}


def test_cn_filing_cites_art_24_and_labels_every_key(profiles):
    r = export_profile(profiles["cn-short-video-recommender"], "cn-algorithm-filing")
    assert "cn-algorithm-recommendation:art-24" in r["cites"]
    keys = set(r["document"]) | {k for part in r["document"].values() for k in part}
    assert keys <= set(r["labels"])
    assert r["document"]["主体信息"]["备案主体角色"] == ["服务提供者"]
    # a deployer is not a filing role
    hr = export_profile(profiles["cn-hr-cross-border"], "cn-algorithm-filing")
    assert hr["document"]["主体信息"]["备案主体角色"] is None


def test_eu_specifics(profiles):
    med = export_profile(profiles["medical-imaging-triage"], "eu-annex-viii-a")
    assert med["document"]["status"] == "on the market / in service"
    assert med["document"]["member_states"] is None  # only "EU" given: no Member State is guessed
    assert {m["field"] for m in med["not_applicable"]} >= {"authorised_representative.name"}  # DE provider
    gpai = export_profile(profiles["frontier-gpai-model"], "eu-annex-viii-a")
    assert "authorised_representative.name" in {m["field"] for m in gpai["missing"]}  # US provider
    police = export_profile(profiles["police-realtime-face-recognition"], "eu-annex-viii-a")
    assert police["document"]["member_states"] == ["NL"]
    assert "instructions_for_use" in {m["field"] for m in police["not_applicable"]}  # Annex III point 1/6
    assert police["document"]["status"] is None  # lifecycle: testing
    design = export_profile(profiles["retail-vision-undetermined"], "eu-annex-viii-a")
    assert design["document"]["operating_logic"]["model_kinds"] is None


def test_cyclonedx_validates_and_has_model_component(profiles):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for name, p in profiles.items():
        doc = export_profile(p, "cyclonedx")["document"]
        assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.6"
        errors = validator.validate_str(json.dumps(doc))
        assert errors is None, f"{name}: {errors}"
        comp = doc["metadata"]["component"]
        assert comp["type"] == "machine-learning-model"
        assert comp["name"] == p.name and comp["supplier"]["name"] == p.organisation.name
        assert comp.get("version") == p.version
    # the validator is really strict (a control, so the loop above proves something)
    doc = export_profile(profiles["cv-screening"], "cyclonedx")["document"]
    doc["metadata"]["component"]["modelCard"]["bogus"] = 1
    assert validator.validate_str(json.dumps(doc)) is not None


def test_cyclonedx_foundation_model_and_model_card(profiles):
    doc = export_profile(profiles["cv-screening"], "cyclonedx")["document"]
    fm = doc["components"][0]
    assert fm["type"] == "machine-learning-model"
    assert fm["name"] == profiles["cv-screening"].foundation_model
    assert {"ref": "cv-screening", "dependsOn": [fm["bom-ref"]]} in doc["dependencies"]
    assert doc["metadata"]["component"]["modelCard"]["modelParameters"]["task"] == "ranking, classification"
    # "none (…)" means no foundation model: no component is made up for it
    credit = export_profile(profiles["eu-credit-scoring"], "cyclonedx")
    assert not credit["document"].get("components")
    assert "components" in {m["field"] for m in credit["not_applicable"]}
    # no model kinds answered: no task
    design = export_profile(profiles["retail-vision-undetermined"], "cyclonedx")
    assert "modelParameters" not in design["document"]["metadata"]["component"].get("modelCard", {})
    assert "metadata.component.modelCard.modelParameters.task" in {m["field"] for m in design["missing"]}


def test_unknown_format_lists_the_formats(profiles):
    with pytest.raises(TianpingError) as exc:
        export_profile(profiles["cv-screening"], "bogus")
    assert all(f in str(exc.value) for f in FORMATS)


# --- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def db_opt(tmp_path):
    return ["--db", str(tmp_path / "exp.db")]


def test_cli_bogus_format_exits_2_with_formats(db_opt):
    res = runner.invoke(app, [*db_opt, "systems", "export", str(EXAMPLES[0]), "--format", "bogus"])
    assert res.exit_code == 2
    for f in FORMATS:
        assert f in res.output
    res = runner.invoke(app, [*db_opt, "systems", "export", str(EXAMPLES[0]), "--format", "bogus", "--json"])
    assert res.exit_code == 2
    err = json.loads(res.stdout)["error"]
    assert all(f in json.dumps(err) for f in FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_json_output_parses(db_opt, fmt):
    path = ROOT / "examples" / "systems" / "cn-short-video-recommender.yaml"
    res = runner.invoke(app, [*db_opt, "systems", "export", str(path), "--format", fmt, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["format"] == fmt and data["system"] == "cn-short-video-recommender"
    assert data["missing"] and isinstance(data["document"], dict)


def test_cli_default_prints_document_and_summary(db_opt):
    path = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"
    res = runner.invoke(app, [*db_opt, "systems", "export", str(path), "--format", "eu-annex-viii-a"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)  # stdout is the document only; the summary goes to stderr
    assert doc["trade_name"] == "Consumer credit score (retail lending)"
    assert "certificate.number" in res.stderr and "could not be filled" in res.stderr
    zh = runner.invoke(app, [*db_opt, "--lang", "zh", "systems", "export", str(path), "--format", "eu-annex-viii-a"])
    assert zh.exit_code == 0 and "无法从系统档案填写" in zh.stderr


def test_cli_out_writes_atomically_and_by_id(tmp_path, db_opt):
    path = ROOT / "examples" / "systems" / "cn-face-swap-app.yaml"
    assert runner.invoke(app, [*db_opt, "register", str(path)]).exit_code == 0
    out = tmp_path / "filing.json"
    res = runner.invoke(app, [*db_opt, "systems", "export", "cn-face-swap-app", "--format", "cn-algorithm-filing", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert "生成合成类" in doc["算法信息"]["算法类型"]
    assert "统一社会信用代码" in res.stdout and "Unified social credit code" in res.stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no temp file left behind
    # --out with --json: the file holds the document, stdout the full result
    res = runner.invoke(app, [*db_opt, "systems", "export", "cn-face-swap-app", "--format", "cyclonedx", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["out"] == str(out)
    assert json.loads(out.read_text(encoding="utf-8"))["bomFormat"] == "CycloneDX"
    # a folder that does not exist: exit 2, nothing written
    res = runner.invoke(app, [*db_opt, "systems", "export", "cn-face-swap-app", "--format", "uk-atrs", "--out", str(tmp_path / "nope" / "x.json")])
    assert res.exit_code == 2


def test_every_profile_field_has_a_bilingual_label():
    from tianping.registry.profile import AISystem, field_label, field_labels

    labels = field_labels()
    assert set(AISystem.model_fields) == set(labels), set(AISystem.model_fields) ^ set(labels)
    for f, entry in labels.items():
        assert entry["en"].strip() and entry["zh"].strip(), f
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry["zh"]), f
    assert field_label("public_opinion_attributes", "zh") == "具有舆论属性或者社会动员能力"
    assert field_label("not_a_field", "zh") == "not_a_field"


# ------------------------------------------------------------------ filing exports for 2025-2026 regimes
def test_new_regime_formats_are_registered():
    assert {"vn-ai-notification", "us-co-impact-assessment", "nyc-bias-audit-summary"} <= set(FORMATS)


def test_vn_notification_dossier_takes_the_risk_level_from_the_pack(profiles):
    r = export_profile(profiles["vn-credit-scorer"], "vn-ai-notification")
    doc = r["document"]
    decl = doc["declaration"]
    assert decl["risk_level"].startswith("cao") and decl["provider"]["name"] == "TinDung Analytics JSC (fictional)"
    assert {b["rule"] for b in decl["classification_basis"]} >= {"vn-high-risk-named"}
    assert "Ministry of Science and Technology" in doc["recipient"] and "vn-ai-law:art-10" in r["cites"] and r["verified"] is False
    missing = {m["field"] for m in r["missing"]}
    # the high-risk dossier asks for test results and guiding documents; the portal issues the identifier
    assert {"declaration.provider.address", "portal_confirmation.system_identifier", "dossier.test_results",
            "dossier.guiding_documents", "dossier.risk_management"} <= missing
    # not deployed in Viet Nam: the risk level does not apply
    out = export_profile(profiles["customer-service-chatbot"], "vn-ai-notification")
    assert "declaration.risk_level" in {m["field"] for m in out["not_applicable"]}
    assert "dossier.test_results" in {m["field"] for m in out["not_applicable"]}


def test_colorado_impact_assessment_has_the_seven_statutory_contents(profiles):
    r = export_profile(profiles["co-consumer-lender"], "us-co-impact-assessment")
    doc = r["document"]
    assert [k for k in doc if k[:2] in ("i_", "ii", "iv", "v_", "vi")] == ["i_purpose", "ii_algorithmic_discrimination", "iii_data",
                                                                          "iv_customisation_data", "v_metrics", "vi_transparency", "vii_monitoring"]
    assert doc["deployer"] == "Peak Credit Union (fictional)" and doc["i_purpose"]["purpose"].startswith("Scores consumer-loan")
    reasons = {m["field"]: m["reason"]["en"] for m in r["missing"]}
    assert "disparate_impact_ratio" in reasons["ii_algorithmic_discrimination.known_or_foreseeable_risks"]
    assert "iv_customisation_data" in reasons  # it trains on its own data: describe it
    assert r["cites"] == ["us-co-sb24-205:s-6-1-1703-3"] and any("SB 26-189" in n["en"] for n in r["notes"])


def test_nyc_bias_audit_summary_lists_every_category_and_intersection(profiles):
    r = export_profile(profiles["nyc-resume-screener"], "nyc-bias-audit-summary")
    doc = r["document"]
    assert doc["employer"] == "Gotham Retail Inc. (fictional)" and doc["audit"]["rate_reported"] == "scoring_rate"
    res = doc["results"]
    assert len(res["sex"]) == 2 and len(res["race_ethnicity"]) == 7 and len(res["intersectional"]) == 14
    assert all(v == {"count": None, "rate": None, "impact_ratio": None} for g in res.values() for v in g.values())
    hints = {m["reason"]["en"] for m in r["missing"] if m["field"].startswith("results.")}
    assert len(hints) == 1 and "disparate_impact_ratio" in hints.pop()
    assert "us-nyc-ll144:rcny-5-301" in r["cites"] and r["metric"] == "disparate_impact_ratio"
