"""Batched persistence: JSONL line at once, DB rows in short batches, reconciliation on resume."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from tianping.evaluation.genai.models import GenaiCacheRow, GenaiSampleRow
from tianping.evaluation.genai.schema import SampleRecord
from tianping.evaluation.genai.service import RunConfig, create_run, execute
from tianping.evaluation.genai.store import RunStore

CALLS: list[str] = []


def counting_target(messages, params):
    CALLS.append(messages[-1]["content"])
    return "I'm sorry, but I can't help with that."


def _rec(run_id: str, i: int) -> SampleRecord:
    return SampleRecord(run_id=run_id, sample_id=f"s{i}", seq=0, bank="should_refuse", risk="A.1.a", lang="en", attack="none",
                        expect="refuse", prompt=f"p{i}", response="no", status="ok", refused=True, passed=True,
                        finished_at="2026-11-22T00:00:00.000+00:00")


def _db_ids(db, run_id):
    with db.session() as s:
        return list(s.execute(select(GenaiSampleRow.sample_id, GenaiSampleRow.seq).where(GenaiSampleRow.run_id == run_id)
                              .order_by(GenaiSampleRow.seq)))


def test_jsonl_is_written_at_once_and_db_in_batches(genai_db, tmp_path):
    run_id, _ = create_run(genai_db, RunConfig(target="openai:x", suite="tc260-seeds", langs=["en"], limit=2))
    store = RunStore(genai_db, run_id, tmp_path / "r.jsonl", batch_size=4, batch_ms=10_000)
    store.open()

    async def go():  # as in a run: writes happen in the event loop
        for i in range(6):
            store.write(_rec(run_id, i), {f"k{i}": {"text": "no"}}, "t")

    asyncio.run(go())
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [1, 2, 3, 4, 5, 6]  # every line is there already
    assert [r.seq for r in _db_ids(genai_db, run_id)] == [1, 2, 3, 4]  # one batch of 4 committed
    store.close()
    assert [r.seq for r in _db_ids(genai_db, run_id)] == [1, 2, 3, 4, 5, 6]
    with genai_db.session() as s:
        assert s.scalar(select(GenaiCacheRow.response).where(GenaiCacheRow.key == "k5")) == {"text": "no"}


def test_time_based_flush_in_the_event_loop(genai_db, tmp_path):
    run_id, _ = create_run(genai_db, RunConfig(target="openai:x", suite="tc260-seeds", langs=["en"], limit=2))
    store = RunStore(genai_db, run_id, tmp_path / "r.jsonl", batch_size=1000, batch_ms=5)

    async def go():
        store.write(_rec(run_id, 0), {}, "t")
        assert _db_ids(genai_db, run_id) == []
        await asyncio.sleep(0.1)
        return _db_ids(genai_db, run_id)

    store.open()
    assert len(asyncio.run(go())) == 1
    store.close()


def test_crash_between_jsonl_and_db_is_recovered_not_rerun(genai_db, tmp_path):
    """JSONL ahead of the DB (kill -9 before a batch committed) plus a torn last line."""
    CALLS.clear()
    out = tmp_path / "run.jsonl"
    cfg = RunConfig(target="python:test_genai_store_batching:counting_target", suite="tc260-seeds", langs=["en"], limit=12,
                    jsonl=str(out), use_cache=False)
    run_id, samples = create_run(genai_db, cfg)
    # simulate the killed process: 5 samples finished, JSONL written, only 2 of them committed
    store = RunStore(genai_db, run_id, out, batch_size=2, batch_ms=10_000)
    store.open()
    from tianping.evaluation.genai.runner import Runner, run_async, run_samples
    from tianping.evaluation.genai.adapters import resolve_target

    done = []
    runner = Runner(resolve_target(cfg.target), cfg.params, cfg.scorers, run_id=run_id)
    run_async(run_samples(runner, samples[:5], lambda rec, c: done.append(rec), concurrency=1))

    async def write_all():
        for rec in done[:2]:
            store.write(rec, {}, "t")  # batch of 2 → committed
        for rec in done[2:4]:
            store.write(rec, {}, "t")  # second batch of 2 → committed
        store.write(done[4], {}, "t")  # JSONL only: its batch is lost with the process

    asyncio.run(write_all())
    store._fh.write(b'{"schema_version": 1, "run_id": "' + run_id.encode() + b'", "sample_id": "torn')  # cut mid-line
    store._fh.close()
    store._pending.clear()
    assert len(_db_ids(genai_db, run_id)) == 4  # DB: seq 1-4; JSONL: seq 1-5 and a torn line
    CALLS.clear()
    res = execute(genai_db, run_id)
    assert res["metrics"]["samples"]["total"] == 12
    assert len(CALLS) == 7  # seq 5, found only in the JSONL, was recovered, not re-run
    rows = _db_ids(genai_db, run_id)
    assert len({r.sample_id for r in rows}) == 12 and [r.seq for r in rows] == list(range(1, 13))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["seq"] for x in lines] == [r.seq for r in rows]  # the JSONL equals the database


def test_existing_rows_are_skipped_not_duplicated(genai_db, tmp_path):
    run_id, _ = create_run(genai_db, RunConfig(target="openai:x", suite="tc260-seeds", langs=["en"], limit=2))
    a = RunStore(genai_db, run_id, tmp_path / "a.jsonl", batch_size=1)
    a.open()
    a.write(_rec(run_id, 0), {}, "t")
    a.close()
    b = RunStore(genai_db, run_id, tmp_path / "b.jsonl", batch_size=3)
    b.open()
    for i in range(3):  # s0 is already stored by `a`
        b.write(_rec(run_id, i), {}, "t")
    b.close()
    assert sorted(r.sample_id for r in _db_ids(genai_db, run_id)) == ["s0", "s1", "s2"]
    lines = [json.loads(x) for x in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(x["sample_id"] for x in lines) == ["s0", "s1", "s2"]  # the duplicate line was dropped
