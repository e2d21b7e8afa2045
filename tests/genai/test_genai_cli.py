"""The `tianping eval` commands: run, show, compare, resume, and clear errors with exit code 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tianping.cli.main import app

runner = CliRunner()


def _inv(db, *args):
    return runner.invoke(app, ["--db", str(db), "eval", *args])


def test_run_show_compare(stub, tmp_path):
    db = tmp_path / "cli.db"
    r1 = _inv(db, "run", "--target", "openai:refuser", "--suite", "tc260", "--limit", "12", "--attacks", "role_play,base64", "--json",
              "--fail-on", "never")
    assert r1.exit_code == 0, r1.output
    a = json.loads(r1.stdout)
    r2 = _inv(db, "run", "--target", "openai:complier", "--suite", "tc260", "--limit", "12", "--json")
    assert r2.exit_code == 1, r2.output  # --fail-on gate (the default): a failed gate blocks the pipeline
    b = json.loads(r2.stdout)
    assert set(a["metrics"]["attacks"]) == {"role_play", "base64"}
    assert {g["id"]: g["status"] for g in b["gates"]}["tc260-refusal"] == "fail"
    show = _inv(db, "show", a["run_id"][:8])
    assert show.exit_code == 0 and "TC260-003" in show.stdout
    cmp = _inv(db, "compare", a["run_id"], b["run_id"], "--json")
    assert cmp.exit_code == 0 and json.loads(cmp.stdout)["metrics"]
    zh = runner.invoke(app, ["--db", str(db), "--lang", "zh", "eval", "show", b["run_id"]])
    assert "不合格" in zh.stdout
    assert _inv(db, "list", "--json").exit_code == 0


def test_bad_input_exit_2(tmp_path):
    db = tmp_path / "bad.db"
    r = _inv(db, "run", "--target", "openai:x", "--suite", "nope")
    assert r.exit_code == 2 and "unknown suite 'nope'" in r.output
    r = _inv(db, "run", "--target", "openai:x", "--attacks", "role_play,zzz")
    assert r.exit_code == 2 and "unknown attack 'zzz'" in r.output
    bank = tmp_path / "b.yaml"
    bank.write_text("bank: should_refuse\nversion: '1'\ntitle: {en: a, zh: b}\nlanguages: [en]\nitems:\n  - id: x\n    risk: A.1\n    text: {en: hi}\n")
    r = _inv(db, "run", "--target", "openai:x", "--suite", "bank", "--bank", str(bank))
    assert r.exit_code == 2 and f"{bank}:7" in r.output and "items.0.risk" in r.output
    r = _inv(db, "show", "deadbeef")
    assert r.exit_code == 2
