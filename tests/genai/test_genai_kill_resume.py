"""`kill -9` in the middle of a run, then `tianping eval resume`: no lost, no duplicated samples."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess

import pytest

from genai_procs import TIANPING, base_env, start_slow_run, wait_for_samples
from genai_procs import count_samples as _count


@pytest.mark.slow
def test_sigkill_then_resume(stub, tmp_path):
    db = tmp_path / "kill.db"
    out = tmp_path / "run.jsonl"
    env = base_env(stub.url, tmp_path / "home")
    proc = start_slow_run(db, out, env, concurrency=4)
    wait_for_samples(proc, db, 60)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_at_kill = _count(db)
    with sqlite3.connect(db) as c:
        run_id, status = c.execute("select id, status from runs").fetchone()
        total_expected = 155 * 2 + 85 * 2 + 65 * 2
    assert status == "running" and 0 < done_at_kill < total_expected
    res = subprocess.run(TIANPING + ["--db", str(db), "eval", "resume", run_id[:8], "--json", "--fail-on", "never"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    doc = json.loads(res.stdout)
    assert doc["metrics"]["samples"]["total"] == total_expected
    with sqlite3.connect(db) as c:
        ids = [r[0] for r in c.execute("select sample_id from genai_samples where run_id = ?", (run_id,))]
        seqs = [r[0] for r in c.execute("select seq from genai_samples where run_id = ? order by seq", (run_id,))]
        assert c.execute("select status from runs").fetchone()[0] == "completed"
    assert len(ids) == total_expected == len(set(ids))
    assert seqs == list(range(1, total_expected + 1))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == total_expected and len({x["sample_id"] for x in lines}) == total_expected
