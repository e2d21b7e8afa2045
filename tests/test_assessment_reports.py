"""Plan → assess → signed report bundle → offline verification (with a stored run standing in for a test run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping.cli.main import app
from tianping.store import open_database
from tianping.store.models import RunRow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"
runner = CliRunner()

METRICS = [
    {"name": "demographic_parity_difference", "value": 0.12, "threshold": {"max": 0.1}, "passed": False},
    {"name": "selection_rate", "value": 0.41, "group": "female", "passed": None},
    {"name": "accuracy", "value": 0.86, "threshold": {"min": 0.8}, "passed": True, "ci": [0.84, 0.88]},
    {"name": "adversarial_accuracy", "value": 0.71, "threshold": {"min": 0.6}, "passed": True},
]


def add_run(db_url: str, system_id: str, metrics=METRICS, kind="tabular") -> str:
    db = open_database(db_url)
    rid = str(uuid.uuid4())
    with db.session() as s:
        s.add(RunRow(id=rid, system_id=system_id, kind=kind, suite="fairness", target="model.onnx", config={},
                     status="completed", created_at="2026-11-22T00:00:00+00:00", result={"metrics": metrics}))
    db.dispose()
    return rid


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("assess")
    opt = ["--db", str(d / "a.db")]
    assert runner.invoke(app, [*opt, "register", str(EXAMPLE)]).exit_code == 0
    rid = add_run(f"sqlite:///{d / 'a.db'}", "eu-credit-scoring")
    evidence = d / "evidence"
    evidence.mkdir()
    (evidence / "data-sheet.pdf").write_bytes(b"%PDF-1.4 evidence")
    answers = d / "answers.yaml"
    answers.write_text(
        "system: eu-credit-scoring\nanswers:\n"
        "  iso-iec-42001:A.7.4: {answer: yes, evidence: [data-sheet.pdf]}\n"
        "  nist-ai-rmf:MEASURE-2.11: {answer: partial, comment: bias review yearly}\n", encoding="utf-8")
    return {"dir": d, "opt": opt, "run": rid, "answers": answers, "evidence": evidence}


def test_plan_lists_tests_and_checks(env):
    res = runner.invoke(app, [*env["opt"], "plan", "eu-credit-scoring", "--json"])
    assert res.exit_code == 0, res.output
    p = json.loads(res.stdout)
    assert {"tabular.fairness", "tabular.robustness"} <= set(p["tests"])
    assert not any(t.startswith("genai.") for t in p["tests"])  # a classifier gets tabular tests only
    assert any(c.startswith("iso-iec-42001:") for c in p["checks"])


def test_assess_bundle_verify_and_tamper(env):
    out = env["dir"] / "bundle"
    res = runner.invoke(app, [*env["opt"], "assess", "eu-credit-scoring", "--runs", env["run"], "--answers", str(env["answers"]),
                              "--evidence", str(env["evidence"]), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    a = json.loads(res.stdout)
    verdicts = {o["obligation"]: o["verdict"] for o in a["obligations"]}
    assert verdicts["eu-ob-hr-data-governance"] in ("partial", "not_met")  # a fairness metric is outside its threshold
    assert verdicts["eu-ob-hr-accuracy-robustness"] == "met"
    # test once, comply with many: the same run is shown under at least three instruments
    instruments = {iid for iid, rows in a["evidence_by_instrument"].items() if any(r["run"] == env["run"] for r in rows)}
    assert len(instruments) >= 3 and {"eu-ai-act", "nist-ai-rmf", "iso-iec-42001"} <= instruments
    names = sorted(p.name for p in out.iterdir())
    assert names == ["assessment.json", "manifest.json", "manifest.sig", "oscal-assessment-results.json",
                     "report.en.html", "report.en.pdf", "report.zh.html", "report.zh.pdf"]
    zh = (out / "report.zh.html").read_text(encoding="utf-8")
    assert "人工智能系统评估报告" in zh and "义务符合性矩阵" in zh
    # the PDF renders: page 1 as PNG is not blank
    png = env["dir"] / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(out / "report.zh.pdf"), str(png)], check=True)
    from PIL import Image

    img = Image.open(next(env["dir"].glob("page*.png"))).convert("L")
    assert img.getextrema()[0] < 100  # there is dark ink on the page
    ok = runner.invoke(app, [*env["opt"], "verify", str(out)])
    assert ok.exit_code == 0 and "intact" in ok.output
    # any one byte of any file changed → verification fails and names that file
    for name in names:
        copy = env["dir"] / f"copy-{name}"
        shutil.copytree(out, copy)
        data = bytearray((copy / name).read_bytes())
        data[len(data) // 2] ^= 0x01
        (copy / name).write_bytes(bytes(data))
        bad = runner.invoke(app, [*env["opt"], "verify", str(copy), "--json"])
        assert bad.exit_code == 2, name
        assert json.loads(bad.stdout)["first_bad_file"] == name
    # audit: the assessment and the export were recorded, and the chain holds
    events = [e["action"] for e in json.loads(runner.invoke(app, [*env["opt"], "audit", "log", "--json"]).stdout)]
    assert "assessment.created" in events and "report.exported" in events
    assert runner.invoke(app, [*env["opt"], "audit", "verify"]).exit_code == 0


def test_forged_signature_is_rejected(env, tmp_path):
    from tianping.crypto import KeyPair
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tianping.crypto import b64
    from tianping.reporting.bundle import write_bundle

    b = write_bundle(tmp_path / "b", {"report.json": b"{}"}, KeyPair(Ed25519PrivateKey.generate()))
    other = KeyPair(Ed25519PrivateKey.generate())
    (b / "manifest.sig").write_text(b64(other.sign((b / "manifest.json").read_bytes())), encoding="ascii")
    res = runner.invoke(app, [*env["opt"], "verify", str(b)])
    assert res.exit_code == 2 and "signature" in res.output
    # a pinned fingerprint that does not match is also refused
    write_bundle(tmp_path / "c", {"report.json": b"{}"}, other)
    res = runner.invoke(app, [*env["opt"], "verify", str(tmp_path / "c"), "--fingerprint", "00" * 32])
    assert res.exit_code == 2


@pytest.mark.parametrize("content, needle", [
    ("system: eu-credit-scoring\nanswers:\n  aiverify:99.9.9: {answer: yes}\n", "unknown checklist item 'aiverify:99.9.9'"),
    ("system: eu-credit-scoring\nanswers:\n  iso-iec-42001:A.7.4: {answer: yes, evidence: [nope.pdf]}\n", "evidence file 'nope.pdf' not found"),
    ("system: eu-credit-scoring\nanswers:\n  iso-iec-42001:A.7.4: {answer: maybe}\n", "Input should be"),
])
def test_bad_answers_exit_2_and_write_nothing(env, content, needle):
    f = env["dir"] / "bad-answers.yaml"
    f.write_text(content, encoding="utf-8")
    out = env["dir"] / f"never-{abs(hash(content))}"
    res = runner.invoke(app, [*env["opt"], "assess", "eu-credit-scoring", "--answers", str(f), "--evidence", str(env["evidence"]),
                              "--out", str(out)])
    assert res.exit_code == 2 and needle in res.output and "bad-answers.yaml:3" in res.output
    assert not out.exists()


def test_run_for_another_system_is_refused(env):
    other = add_run(f"sqlite:///{env['dir'] / 'a.db'}", "some-other-system")
    out = env["dir"] / "never-other"
    res = runner.invoke(app, [*env["opt"], "assess", "eu-credit-scoring", "--runs", other, "--out", str(out)])
    assert res.exit_code == 2 and "belongs to system 'some-other-system'" in res.output
    assert not out.exists()


def test_checklist_template_import_export(env):
    tmpl = runner.invoke(app, [*env["opt"], "checklist", "template", "aiverify", "--system", "eu-credit-scoring"])
    assert tmpl.exit_code == 0 and tmpl.output.count("aiverify:") >= 90
    # the template loads as written (nothing answered yet) and each line works once uncommented
    from tianping.assessment.checklists import load_answers

    f = env["dir"] / "template-answers.yaml"
    f.write_text(tmpl.stdout, encoding="utf-8")
    assert load_answers(f).answers == {}
    f.write_text(tmpl.stdout.replace('  # "aiverify:1.1.1":', '  "aiverify:1.1.1":', 1), encoding="utf-8")
    assert list(load_answers(f).answers) == ["aiverify:1.1.1"]
    res = runner.invoke(app, [*env["opt"], "checklist", "import", str(env["answers"]), "--evidence", str(env["evidence"])])
    assert res.exit_code == 0, res.output
    exported = runner.invoke(app, [*env["opt"], "checklist", "export", "eu-credit-scoring"]).output
    assert "iso-iec-42001:A.7.4" in exported and "partial" in exported


def test_oscal_assessment_results_parse_back(env):
    from trestle.oscal.assessment_results import AssessmentResults

    doc = json.loads((env["dir"] / "bundle" / "oscal-assessment-results.json").read_text(encoding="utf-8"))
    parsed = AssessmentResults.model_validate(doc["assessment-results"])
    assert parsed.results[0].findings


def test_assess_fail_on_and_rescore(env, tmp_path):
    base = [*env["opt"], "assess", "eu-credit-scoring", "--runs", env["run"], "--json"]
    gate = runner.invoke(app, [*base, "--fail-on", "gate"])
    assert gate.exit_code == 1 and json.loads(gate.stdout)["exit_code"] == 1  # a fairness metric fails its threshold
    assert runner.invoke(app, base).exit_code == 0  # default: today's behaviour
    bad = runner.invoke(app, [*base, "--fail-on", "gates"])
    assert bad.exit_code == 2 and "did you mean 'gate'" in bad.output
    # re-score the stored run with a looser threshold: no test is run again
    thr = tmp_path / "thr.yaml"
    thr.write_text("thresholds:\n  demographic_parity_difference: {value: 0.15}\n", encoding="utf-8")
    res = runner.invoke(app, [*base, "--rescore", str(thr), "--fail-on", "gate"])
    a = json.loads(res.stdout)
    row = next(r for r in a["rows"] if r["metric"] == "demographic_parity_difference")
    assert row["status"] == "pass" and row["threshold"]["source"] == "user file thr.yaml" and a["rescored"]
    thr.write_text("thresholds:\n  demographic_parity_difference: {value: high}\n", encoding="utf-8")
    res = runner.invoke(app, [*base, "--rescore", str(thr)])
    assert res.exit_code == 2 and "thr.yaml" in res.output
    # an output path that cannot be used is refused before any work, naming it
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    res = runner.invoke(app, [*env["opt"], "assess", "eu-credit-scoring", "--out", str(blocker)])
    assert res.exit_code == 2 and "a-file" in res.output


def test_report_reads_in_its_language_and_rounds_numbers():
    import datetime as dt

    from tianping.assessment.assess import assess
    from tianping.evidence.model import EvidenceRun, MetricRow, Producer, Slice, Threshold
    from tianping.registry.service import load_profile_file
    from tianping.reporting.render import render_html

    system = load_profile_file(EXAMPLE)
    ev = EvidenceRun(run_id="abcdef12-run", kind="real", producer=Producer(engine="tabular"), metrics=[
        MetricRow(test="tabular.fairness", metric="demographic_parity_difference", slice=Slice(sensitive_feature="sex"),
                  value=0.123456789012345, ci=(0.0987654321, 0.15555555555), n=400,
                  threshold=Threshold(op="<=", value=0.2, warn=0.1, source="metrics.yaml", provision="eu-ai-act:art-10"))])
    a = assess(system, runs=[ev], as_of=dt.date(2030, 1, 1))
    zh, en = render_html(a, "zh"), render_html(a, "en")
    assert f"<title>人工智能系统评估报告 — {system.name_zh}</title>" in zh and system.name_zh not in en.split("<main>")[0]
    assert "0.1235" in en and "[0.0988, 0.156]" in en and "0.123456789" not in en  # significant digits, not 17
    assert "≤ 0.200, warn above 0.100 (" in en and "via metrics.yaml" in en and "Art" in en  # threshold with its source
    assert "break-inside: avoid" in en  # no table row split across PDF pages
