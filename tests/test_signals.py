"""SIGTERM and Ctrl-C in long commands: the run is marked interrupted and resumable, the command says
how to resume, exits 143 (SIGTERM) or 130 (SIGINT) — the shell's 128 + signal number — and leaves
nothing half-written.

`eval run` runs against the loopback stub's slow model (tests/genai/genai_stub.py) in a real
subprocess; `test tabular` against a generated CSV large enough to still be running when signalled.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "genai"))

from genai_procs import TIANPING, base_env, count_samples, start_slow_run, wait_for_samples  # noqa: E402
from genai_stub import Stub  # noqa: E402

TOTAL = 155 * 2 + 85 * 2 + 65 * 2  # tc260-seeds in zh and en (as in test_genai_kill_resume)


@pytest.fixture
def stub():
    with Stub() as s:
        yield s


def _run_row(db: Path) -> tuple[str, str]:
    with sqlite3.connect(db) as c:
        return c.execute("select id, status from runs").fetchone()


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_eval_run_signal_marks_interrupted_then_resume_completes(stub, tmp_path, sig, code):
    db = tmp_path / "sig.db"
    out = tmp_path / "run.jsonl"
    env = base_env(stub.url, tmp_path / "home")
    proc = start_slow_run(db, out, env, concurrency=4)
    wait_for_samples(proc, db, 30)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    t0 = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    stopped_in = time.monotonic() - t0
    err_text = err.decode()
    assert proc.returncode == code, err_text[-2000:]
    assert stopped_in < 20, stopped_in
    run_id, status = _run_row(db)
    assert status == "interrupted"
    assert f"tianping eval resume {run_id}" in err_text
    assert "Traceback" not in err_text
    done = count_samples(db)
    assert 0 < done < TOTAL
    res = subprocess.run(TIANPING + ["--db", str(db), "eval", "resume", run_id[:8], "--json", "--fail-on", "never"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout)["metrics"]["samples"]["total"] == TOTAL
    with sqlite3.connect(db) as c:
        ids = [r[0] for r in c.execute("select sample_id from genai_samples where run_id = ?", (run_id,))]
        seqs = [r[0] for r in c.execute("select seq from genai_samples where run_id = ? order by seq", (run_id,))]
    assert _run_row(db)[1] == "completed"
    assert len(ids) == TOTAL == len(set(ids))  # none lost, none duplicated
    assert seqs == list(range(1, TOTAL + 1))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == TOTAL and len({x["sample_id"] for x in lines}) == TOTAL


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    np = pytest.importorskip("numpy")
    path = tmp_path_factory.mktemp("sig") / "big.csv"
    n = 1_500_000
    rng = np.random.default_rng(0)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("x,sex,race,y,p\n")
        x = rng.normal(size=n).round(4)
        sex = rng.choice(np.array(["f", "m"]), n)
        race = rng.choice(np.array(["a", "b", "c"]), n)
        y = rng.integers(0, 2, n)
        p = rng.integers(0, 2, n)
        fh.writelines(f"{a},{b},{c},{d},{e}\n" for a, b, c, d, e in zip(x, sex, race, y, p, strict=True))
    return path


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_tabular_signal_says_so_and_writes_nothing(big_csv, tmp_path, sig, code):
    out = tmp_path / "out"
    db = tmp_path / "tab.db"
    env = {**os.environ, "TIANPING_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(TIANPING + ["--db", str(db), "test", "tabular", "--data", str(big_csv), "--target", "y",
                                        "--predictions", "p", "--sensitive", "sex,race", "--tests", "fairness",
                                        "--bootstrap", "3000", "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.2)  # start-up done, reading or testing
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err[-2000:]
    assert "Interrupted" in err and "results.json" in err and "not stored" in err
    assert "Traceback" not in err
    if (out / "results.json").exists():  # the signal came after the atomic write: the file is whole
        json.loads((out / "results.json").read_text(encoding="utf-8"))
    leftovers = [p.name for p in out.rglob("*") if ".tmp" in p.name] if out.exists() else []
    assert leftovers == []
    if db.exists():
        with sqlite3.connect(db) as c:
            tables = {r[0] for r in c.execute("select name from sqlite_master where type='table'")}
            if "runs" in tables:
                assert c.execute("select count(*) from runs").fetchone()[0] == 0


def test_demo_ctrl_c_says_so(tmp_path):
    env = {**os.environ, "TIANPING_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(TIANPING + ["--db", str(tmp_path / "demo.db"), "demo", "--samples", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)  # registering, classifying or testing
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "Interrupted" in err and "tianping demo" in err
    assert "Traceback" not in err
