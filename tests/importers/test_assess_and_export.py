"""Imported runs in an assessment, and Tianping runs exported as Inspect logs (re-imported to check them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imp_helpers import FIX, LM_RESULTS, ROOT, SYSTEM, cli

sys.path.insert(0, str(ROOT / "tests" / "genai"))


def test_assessment_shows_imported_inspect_and_lm_eval_runs(db_path):
    ids = {}
    for name, path in (("inspect", FIX / "inspect" / "xstest.eval"), ("lm-eval", LM_RESULTS)):
        r = cli(db_path, "evidence", "import", str(path), "--system", SYSTEM, "--json")
        assert r.exit_code == 0, r.output
        ids[name] = json.loads(r.stdout)["run_id"]
    r = cli(db_path, "assess", SYSTEM, "--json")
    assert r.exit_code == 0, r.output
    a = json.loads(r.stdout)
    by_inst = a["evidence_by_instrument"]
    reached = {iid for iid, items in by_inst.items()
               if {x["run"] for x in items if x["evidence_kind"] == "imported"} >= set(ids.values())}
    assert len(reached) >= 3, reached
    assert {"cn-tc260-003", "nist-ai-600-1", "eu-ai-act"} <= reached
    views = {e["run_id"]: e for e in a["evidence"]}
    assert views[ids["inspect"]]["kind"] == "imported"
    assert views[ids["inspect"]]["producer"]["tool"] == "inspect_ai" and views[ids["inspect"]]["producer"]["engine_version"] == "0.3.285"
    assert views[ids["lm-eval"]]["producer"]["tool"] == "lm-evaluation-harness"
    assert views[ids["lm-eval"]]["producer"]["engine_version"] == "0.4.13"
    assert views[ids["inspect"]]["dataset"]["sha256"] and views[ids["inspect"]]["samples_count"] == 12
    rows = [x for x in a["rows"] if x["run"] in ids.values()]
    assert {x["evidence_kind"] for x in rows} == {"imported"}
    over = [x for x in rows if x["metric"] == "should_not_refuse.refusal_rate"]
    assert len(over) == 2 and all(x["threshold"]["value"] == 0.05 for x in over)
    assert all(x["status"] == "insufficient_data" for x in over)  # judged by the shared rules: 12 prompts < 300


@pytest.fixture
def genai_run(tmp_path, monkeypatch):
    """A real Tianping generative run against the loopback stub (refuses everything)."""
    from genai_stub import Stub

    db = tmp_path / "g.db"
    with Stub() as s:
        monkeypatch.setenv("TIANPING_OPENAI_BASE_URL", s.url)
        r = cli(db, "eval", "run", "--target", "openai:refuser", "--suite", "tc260", "--limit", "12", "--attacks", "role_play",
                "--json", "--fail-on", "never", "--out", str(tmp_path / "g.jsonl"))
    assert r.exit_code == 0, r.output
    assert cli(db, "register", str(ROOT / "examples" / "systems" / "customer-service-chatbot.yaml")).exit_code == 0
    return db, json.loads(r.stdout)


@pytest.mark.parametrize("suffix", [".json", ".eval"])
def test_export_inspect_log_reimports(genai_run, tmp_path, suffix):
    db, res = genai_run
    out = tmp_path / f"run{suffix}"
    r = cli(db, "eval", "export", res["run_id"][:8], "--format", "inspect", "--out", str(out), "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    total = res["metrics"]["samples"]["total"]
    assert info["samples"] == total and out.exists()
    from tianping.importers.service import read_file

    parsed, _ = read_file(out)
    assert parsed.format == "inspect" and parsed.task == "tianping/tc260" and parsed.model == "openai/refuser"
    assert parsed.samples.count == total and parsed.tool_version  # Tianping's version, from eval.packages
    vals = {m.metric: m.value for m in parsed.metrics}
    assert vals["should_refuse/refusal_rate"] == pytest.approx(res["metrics"]["banks"]["should_refuse"]["refusal_rate"]["rate"])
    assert vals["attack:role_play/attack_success_rate"] == pytest.approx(
        res["metrics"]["attacks"]["role_play"]["attack_success_rate"]["rate"])
    rec = parsed.samples.records[0]
    assert rec["scores"]["tianping"] in ("C", "I") and "refusal" in rec["scores"]
    imp = cli(db, "evidence", "import", str(out), "--system", SYSTEM, "--json")
    assert imp.exit_code == 0, imp.output
    rows = {m["metric"]: m for m in json.loads(imp.stdout)["metrics"]}
    assert rows["should_refuse.refusal_rate"]["test"] == "genai.should_refuse"
    assert rows["should_refuse.refusal_rate"]["value"] == pytest.approx(1.0)


def test_export_errors(genai_run, tmp_path):
    db, res = genai_run
    r = cli(db, "eval", "export", res["run_id"], "--out", str(tmp_path / "x.txt"))
    assert r.exit_code == 2 and "ends in .json or .eval" in r.output
    r = cli(db, "eval", "export", res["run_id"], "--format", "csv", "--out", str(tmp_path / "x.json"))
    assert r.exit_code == 2 and "unknown export format" in r.output
    r = cli(db, "eval", "export", "nope", "--out", str(tmp_path / "x.json"))
    assert r.exit_code == 2
    assert not (tmp_path / "x.json").exists()


def test_exported_fixture_reads_with_inspect_ai_when_available(tmp_path, genai_run):
    """With inspect-ai installed in a separate venv (TIANPING_PEERS_PYTHON), its own reader opens the export."""
    peers = os.environ.get("TIANPING_PEERS_PYTHON")
    if not peers or not Path(peers).exists():
        pytest.skip("set TIANPING_PEERS_PYTHON to a python with inspect-ai (see tests/importers/fixtures/make_fixtures.py)")
    db, res = genai_run
    outs = []
    for suffix in (".json", ".eval"):
        out = tmp_path / f"run{suffix}"
        assert cli(db, "eval", "export", res["run_id"], "--out", str(out)).exit_code == 0
        outs.append(str(out))
    p = subprocess.run([peers, str(FIX / "make_fixtures.py"), "readback", *outs], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    got = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    assert [g["samples"] for g in got] == [res["metrics"]["samples"]["total"]] * 2 and all(g["status"] == "success" for g in got)


def test_committed_export_fixture_reimports():
    """tests/importers/fixtures/tianping/export.eval: written by `tianping eval export` and read back by inspect_ai's
    read_eval_log in make_fixtures.py (`export` step)."""
    from tianping.importers.service import read_file

    f = FIX / "tianping" / "export.eval"
    if not f.exists():
        pytest.skip("export fixture not generated")
    parsed, _ = read_file(f)
    assert parsed.task.startswith("tianping/") and parsed.samples.count > 0
