"""The README's main job: the whole pipeline on the bundled defaults, with the real local model."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tianping.cli.main import app

runner = CliRunner()


def test_quick_main_job(tmp_path):
    res = runner.invoke(app, ["--db", str(tmp_path / "q.db"), "demo", "--quick", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out["classifications"]) >= 12 and out["pipeline"] is None


@pytest.mark.slow
def test_full_pipeline_writes_verifiable_signed_reports(tmp_path):
    from tianping.audit import AuditLog
    from tianping.pipeline import run_main_job
    from tianping.reporting.bundle import verify_bundle
    from tianping.store import open_database
    from pathlib import Path

    db = open_database(f"sqlite:///{tmp_path / 'main.db'}")
    job = run_main_job(db, genai_limit=4, max_tokens=24)
    assert set(job.bundles) == {"eu-credit-scoring", "customer-service-chatbot"}
    for system, path in job.bundles.items():
        check = verify_bundle(Path(path))
        assert check.ok, (system, check)
        a = json.loads((Path(path) / "assessment.json").read_text(encoding="utf-8"))
        assert a["runs"] and a["runs"][0]["id"] == job.runs[system]
        assert any(o["rows"] for o in a["obligations"]), system  # the run's metric rows are used as evidence
        assert all(r["evidence_kind"] == "real" for r in a["rows"])
    actions = [e["action"] for e in AuditLog(db).events()]
    assert actions.count("report.exported") == 2 and AuditLog(db).verify().ok
