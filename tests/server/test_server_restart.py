"""Durable jobs: killing the server (kill -9) or stopping it loses no queued or running job.

Three slow stub runs are queued through the API of a real `tianping serve` process on
PostgreSQL. The process is killed with SIGKILL while the first run is half done, a second
server is started and stopped cleanly (SIGTERM) while a run is in progress, and a third one
finishes the work. Every run completes exactly once; the interrupted ones resume from their
checkpoint instead of starting over.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server_helpers import PASSWORDS, free_port, new_pg_database, profile, seed_users

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
TIANPING = Path(sys.executable).parent / "tianping"


def _start(db_url: str, port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, TIANPING_JOB_LEASE="2", TIANPING_JOB_POLL="0.1", TIANPING_SECRET_KEY="restart-test",
               TIANPING_ACCESS_LOG="0", TIANPING_DEMO_RUNS="1")
    proc = subprocess.Popen([str(TIANPING), "serve", "--db", db_url, "--port", str(port), "--log-level", "warning"],
                            env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start: " + log.read_text())


def _jobs(db):
    from tianping.server.models import JobRow

    with db.session() as s:
        return {j.run_id: (j.status, j.attempts, (j.checkpoint or {}).get("step", 0)) for j in s.scalars(select(JobRow))}


def _wait(pred, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_no_job_is_lost_across_kill_and_restart(pg_server, tmp_path):
    from tianping.store import open_database

    url = new_pg_database(pg_server, "restart")
    db = open_database(url)
    seed_users(db)
    port = free_port()
    log = tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}/api/v1"

    a = _start(url, port, log)
    tok = httpx.post(f"{base}/auth/token", json={"username": "alice", "password": PASSWORDS["alice"]}).json()["token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert httpx.post(f"{base}/systems", json=profile(id="restart-system"), headers=h).status_code == 201
    runs = [httpx.post(f"{base}/systems/restart-system/runs", json={"kind": "stub", "config": {"steps": 40, "step_seconds": 0.25}},
                       headers=h).json()["id"] for _ in range(3)]
    # 1. kill -9 while the first run is partway
    _wait(lambda: _jobs(db)[runs[0]][2] >= 3, 30, "first run to reach step 3")
    a.send_signal(signal.SIGKILL)
    a.wait(10)
    before = _jobs(db)
    assert before[runs[0]][0] == "running" and before[runs[1]][0] == "queued" and before[runs[2]][0] == "queued"

    # 2. a new server takes over after the dead worker's lease expires; stop it cleanly mid-run
    b = _start(url, port, log)
    _wait(lambda: _jobs(db)[runs[0]][0] == "done", 30, "the interrupted run to finish")
    _wait(lambda: _jobs(db)[runs[1]][2] >= 2, 30, "second run to reach step 2")
    b.send_signal(signal.SIGTERM)
    assert b.wait(30) is not None
    after_stop = _jobs(db)
    # A clean stop either puts the running job back in the queue or (when uvicorn's graceful
    # shutdown waits for the worker) lets it finish first; it is never lost or left "running".
    assert after_stop[runs[1]][0] in ("queued", "done"), after_stop
    interrupted_on_stop = after_stop[runs[1]][0] == "queued"

    # 3. a third server finishes the rest
    c = _start(url, port, log)
    try:
        _wait(lambda: all(v[0] == "done" for v in _jobs(db).values()), 60, "all runs to finish")
        final = {r: httpx.get(f"{base}/runs/{r}", headers=h).json() for r in runs}
    finally:
        c.send_signal(signal.SIGTERM)
        c.wait(30)
    assert all(v["status"] == "completed" for v in final.values())
    assert final[runs[0]]["attempts"] == 2 and final[runs[0]]["summary"]["resumed_from"] >= 3
    # which queued run the second server picked, and whether the clean stop interrupted it, depends
    # on timing; what must hold: every run ran at most twice and completed exactly once
    for r in runs[1:]:
        assert final[r]["attempts"] in (1, 2)  # a run stopped before its first checkpoint resumes from 0
    assert interrupted_on_stop in (True, False)
    from tianping.audit import AuditLog

    events = AuditLog(db).events()
    assert sum(1 for e in events if e["action"] == "run.completed") == 3  # each run completed exactly once
    resumed = {e["subject_id"] for e in events if e["action"] == "run.resumed"}
    assert runs[0] in resumed and resumed == {r for r in runs if final[r]["attempts"] == 2}
    assert AuditLog(db).verify().ok
    db.dispose()
