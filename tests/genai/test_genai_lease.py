"""One executing process per run: the lease, its take-over rules, and two real processes at once."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import select, update

from tianping.evaluation.genai.lease import RunBusy, RunLease, make_owner, owner_is_dead
from tianping.evaluation.genai.models import GenaiRunLeaseRow, GenaiSampleRow
from tianping.evaluation.genai.service import RunConfig, create_run, execute

from genai_procs import TIANPING, base_env, start_slow_run, wait_for_samples
from genai_procs import count_samples as _count


def _run_id(db) -> str:
    run_id, _ = create_run(db, RunConfig(target="openai:refuser", suite="tc260-seeds", langs=["en"], limit=4))
    return run_id


def _exited_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_second_taker_is_refused_until_release(genai_db):
    rid = _run_id(genai_db)
    first = RunLease.acquire(genai_db, rid, heartbeat=False)
    with pytest.raises(RunBusy) as exc:
        RunLease.acquire(genai_db, rid, heartbeat=False)
    assert exc.value.pid == str(os.getpid()) and exc.value.host == socket.gethostname()
    first.release()
    RunLease.acquire(genai_db, rid, heartbeat=False).release()


def test_dead_owner_on_this_host_is_taken_over_at_once(genai_db):
    rid = _run_id(genai_db)
    lease = RunLease.acquire(genai_db, rid, heartbeat=False)
    dead = f"{socket.gethostname()}|{_exited_pid()}|1|dead"
    assert owner_is_dead(dead) and not owner_is_dead(make_owner())
    with genai_db.session() as s:  # the owner was killed: its lease has not expired yet
        s.execute(update(GenaiRunLeaseRow).where(GenaiRunLeaseRow.run_id == rid)
                  .values(owner=dead, expires_at=time.time() + 3600))
    taker = RunLease.acquire(genai_db, rid, heartbeat=False)
    assert not lease.renew() and lease.lost  # the old holder finds out
    assert taker.renew()
    taker.release()


def test_recycled_pid_counts_as_dead(genai_db):
    me = make_owner().split("|")
    assert owner_is_dead("|".join([me[0], me[1], "1", "x"])) == bool(me[2])  # same pid, other start time


def test_other_host_waits_for_expiry(genai_db):
    rid = _run_id(genai_db)
    with genai_db.session() as s:
        s.add(GenaiRunLeaseRow(run_id=rid, owner="elsewhere|123|456|abcd", acquired_at="x", expires_at=time.time() + 60))
    with pytest.raises(RunBusy, match="pid 123 on elsewhere"):
        RunLease.acquire(genai_db, rid, heartbeat=False)
    with genai_db.session() as s:
        s.execute(update(GenaiRunLeaseRow).where(GenaiRunLeaseRow.run_id == rid).values(expires_at=time.time() - 1))
    lease = RunLease.acquire(genai_db, rid, heartbeat=False)
    with genai_db.session() as s:
        assert s.scalar(select(GenaiRunLeaseRow.owner).where(GenaiRunLeaseRow.run_id == rid)) == lease.owner
    lease.release()


def test_heartbeat_extends_the_lease(genai_db):
    rid = _run_id(genai_db)
    lease = RunLease.acquire(genai_db, rid, ttl=0.3)
    time.sleep(0.6)  # twice the ttl: only the heartbeat keeps it alive
    with pytest.raises(RunBusy):
        RunLease.acquire(genai_db, rid, heartbeat=False)
    lease.release()
    with genai_db.session() as s:
        assert s.scalar(select(GenaiRunLeaseRow.owner).where(GenaiRunLeaseRow.run_id == rid)) is None


def test_execute_refuses_a_held_run_and_releases_after(stub, genai_db):
    rid = _run_id(genai_db)
    with genai_db.session() as s:
        s.add(GenaiRunLeaseRow(run_id=rid, owner="elsewhere|1|2|x", acquired_at="x", expires_at=time.time() + 60))
    with pytest.raises(RunBusy):
        execute(genai_db, rid)
    assert stub.requests == 0
    with genai_db.session() as s:
        s.execute(update(GenaiRunLeaseRow).values(expires_at=time.time() - 1))
    res = execute(genai_db, rid)
    assert res["metrics"]["samples"]["total"] == 4
    with genai_db.session() as s:  # released at the end
        assert s.scalar(select(GenaiRunLeaseRow.owner)) is None


@pytest.mark.slow
def test_concurrent_resume_is_refused_in_both_languages_then_takes_over_after_kill(stub, tmp_path):
    db = tmp_path / "lease.db"
    out = tmp_path / "run.jsonl"
    env = base_env(stub.url, tmp_path / "home")
    env.pop("TIANPING_LANG", None)
    proc = start_slow_run(db, out, env, concurrency=2)
    try:
        wait_for_samples(proc, db, 20)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        with sqlite3.connect(db) as c:
            run_id = c.execute("select id from runs").fetchone()[0]
        requests_before = stub.requests
        second = subprocess.run(TIANPING + ["--db", str(db), "eval", "resume", run_id[:8]], env={**env, "TIANPING_LANG": "en"},
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stderr
        assert "already being executed by another process" in second.stderr and f"pid {proc.pid}" in second.stderr
        third = subprocess.run(TIANPING + ["--db", str(db), "eval", "resume", run_id[:8], "--json"],
                               env={**env, "TIANPING_LANG": "zh"}, capture_output=True, text=True, timeout=120)
        assert third.returncode == 2
        assert "正由另一个进程执行" in third.stdout + third.stderr
        assert proc.poll() is None  # the first process was not disturbed
        assert stub.requests > requests_before  # and kept working
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    # the owner is gone (kill -9): its lease is taken over at once and the run finishes exactly once
    res = subprocess.run(TIANPING + ["--db", str(db), "eval", "resume", run_id[:8], "--json", "--fail-on", "never"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    total = (155 + 85 + 65) * 2
    assert json.loads(res.stdout)["metrics"]["samples"]["total"] == total
    with sqlite3.connect(db) as c:
        ids = [r[0] for r in c.execute("select sample_id from genai_samples")]
        assert c.execute("select count(*) from genai_run_leases").fetchone()[0] == 0
    assert len(ids) == len(set(ids)) == total


def test_lease_batches_and_cache_on_postgresql(pg_url, stub, tmp_path):
    """The same guarantees on PostgreSQL: compare-and-set lease, batched inserts, insert-or-ignore cache."""
    from tianping.store import open_database

    db = open_database(pg_url)
    try:
        cfg = RunConfig(target="openai:refuser", suite="tc260-seeds", langs=["en"], limit=30, jsonl=str(tmp_path / "pg.jsonl"))
        rid, samples = create_run(db, cfg)
        held = RunLease.acquire(db, rid, heartbeat=False)
        with pytest.raises(RunBusy):
            execute(db, rid, samples)
        held.release()
        res = execute(db, rid, samples)
        assert res["metrics"]["samples"]["total"] == 30
        first = stub.requests
        rid2, samples2 = create_run(db, cfg.model_copy(update={"jsonl": str(tmp_path / "pg2.jsonl")}))
        res2 = execute(db, rid2, samples2)  # every response from the cache, read in bulk
        assert stub.requests == first and res2["metrics"]["samples"]["scored"] == 30
        with db.session() as s:
            seqs = list(s.scalars(select(GenaiSampleRow.seq).where(GenaiSampleRow.run_id == rid2).order_by(GenaiSampleRow.seq)))
        assert seqs == list(range(1, 31))
    finally:
        db.dispose()



def test_lease_table_matches_its_migration_and_downgrades(tmp_path):
    """Autogenerate finds nothing to change for the genai tables; 0009 goes down and up again."""
    import re

    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    import tianping.evaluation.genai.models  # noqa: F401  (registers the tables)
    from tianping.store import open_database
    from tianping.store.db import alembic_config, upgrade
    from tianping.store.models import Base

    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if re.search(r"\bgenai_", repr(d))] == []
    cfg = alembic_config(db.engine)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    assert "genai_run_leases" not in inspect(db.engine).get_table_names()
    upgrade(db.engine)
    assert "genai_run_leases" in inspect(db.engine).get_table_names()
    db.dispose()
