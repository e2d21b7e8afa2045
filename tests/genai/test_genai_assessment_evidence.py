"""A generative run's results flow into the assessment as typed evidence (issue 12).

The run goes through the real CLI against the loopback endpoint; the assessment of the registered
chatbot must read its gates as rows with their thresholds and sample sizes, keep every per-risk,
per-language and per-attack row, and let a failed TC260-003 gate decide its obligations.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tianping.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
CHATBOT = ROOT / "examples" / "systems" / "customer-service-chatbot.yaml"
runner = CliRunner()


def test_genai_run_is_assessed_from_typed_evidence(stub, tmp_path):
    db = ["--db", str(tmp_path / "g.db")]
    assert runner.invoke(app, [*db, "register", str(CHATBOT)]).exit_code == 0
    sid = "customer-service-chatbot"
    res = runner.invoke(app, [*db, "eval", "run", "--target", "openai:complier", "--suite", "tc260", "--limit", "24",
                              "--attacks", "base64", "--system-id", sid, "--json", "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)
    shown = runner.invoke(app, [*db, "evidence", "show", run["run_id"], "--json"])
    ev = json.loads(shown.stdout)
    assert ev["kind"] == "real" and ev["producer"]["engine"] == "genai"
    gates = {m["metric"]: m for m in ev["metrics"] if m.get("threshold", {}).get("source") == "gates.yaml"}
    assert gates, ev["metrics"][:3]
    for g in gates.values():
        assert g["threshold"]["op"] in (">=", ">", "<=", "<") and g["test"].startswith("genai.")
    assert gates["checks.generated_content.manual"]["test"] == "genai.generated_content"
    assert any(m["slice"].get("attack") == "base64" for m in ev["metrics"])
    assert any(m["slice"].get("lang") for m in ev["metrics"])
    a = json.loads(runner.invoke(app, [*db, "assess", sid, "--json", "--as-of", "2030-01-01"]).stdout)
    rows = [r for r in a["rows"] if r["run"] == run["run_id"]]
    assert len(rows) == len(ev["metrics"])  # nothing dropped on the way
    gate_status = {g["metric"]: g["status"] for g in run["gates"]}
    if any(s == "fail" for s in gate_status.values()):
        failing = {r["id"] for r in rows if r["status"] == "fail"}
        decided = [o for o in a["obligations"] if set(o["decisive"]) & failing]
        assert decided and all(o["verdict"] == "not_met" for o in decided)
    assert a["totals"]["met"] == 0 or all(r["status"] != "fail" for r in rows if r["counted"])
