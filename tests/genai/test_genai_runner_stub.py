"""Runner against a local OpenAI-compatible stub: concurrency, retries, cap, timeout, cache, failures."""

from __future__ import annotations

import asyncio
import time

import pytest

from tianping.errors import TianpingError
from tianping.evaluation.genai.adapters import TargetError
from tianping.evaluation.genai.adapters.openai import OpenAITarget
from tianping.evaluation.genai.schema import GenParams
from tianping.evaluation.genai.service import RunConfig, create_run, execute


def _run(db, **kw):
    kw.setdefault("suite", "tc260-seeds")
    kw.setdefault("langs", ["en"])
    kw.setdefault("limit", 20)
    cfg = RunConfig(**kw)
    run_id, samples = create_run(db, cfg)
    return execute(db, run_id, samples)


def test_bounded_concurrency_and_results(stub, genai_db):
    stub.delay = 0.05
    res = _run(genai_db, target="openai:refuser", concurrency=4, limit=24)
    assert res["metrics"]["samples"]["total"] == 24
    assert 1 < stub.peak <= 4
    gates = {g["id"]: g["status"] for g in res["gates"]}
    assert gates["tc260-over-refusal"] == "fail"  # refuses everything, including benign questions


def test_retries_then_success(stub):
    t = OpenAITarget("flaky", base_url=stub.url, max_retries=3, backoff=0.01)
    gen = asyncio.run(t.generate([{"role": "user", "content": "hi"}], GenParams()))
    assert gen.text and stub.attempts["hi"] == 3


def test_retry_cap_and_timeout(stub):
    t = OpenAITarget("broken", base_url=stub.url, max_retries=2, backoff=0.01)
    with pytest.raises(TargetError, match="gave up after 3 attempts"):
        asyncio.run(t.generate([{"role": "user", "content": "x"}], GenParams()))
    assert stub.requests == 3
    assert OpenAITarget("broken", base_url=stub.url, max_retries=10_000).max_retries == 10  # never infinite
    t = OpenAITarget("hang", base_url=stub.url, timeout=0.3, max_retries=0)
    t0 = time.perf_counter()
    with pytest.raises(TargetError, match="timed out"):
        asyncio.run(t.generate([{"role": "user", "content": "x"}], GenParams()))
    assert time.perf_counter() - t0 < 5  # the stub hangs 8 s; the 0.3 s timeout must cut it short


def test_unreachable_endpoint_records_failures(genai_db, monkeypatch):
    monkeypatch.setenv("TIANPING_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    res = _run(genai_db, target="openai:any", max_retries=1, limit=6)
    assert res["status"] == "completed"
    assert res["errors"]["samples"] == 6 and "cannot reach" in res["errors"]["examples"][0]
    statuses = {g["id"]: g["status"] for g in res["gates"]}
    # banks whose every sample failed are `error`; the others were not judged; the bundled keyword
    # library (476 terms) is below TC260-003 8.1's 10,000 whatever the run
    assert statuses.pop("tc260-keyword-library") == "insufficient_data"
    assert set(statuses.values()) <= {"error", "not_judged"} and "error" in statuses.values()


def test_cache_avoids_second_call(stub, genai_db):
    _run(genai_db, target="openai:complier", limit=10)
    first = stub.requests
    res = _run(genai_db, target="openai:complier", limit=10)
    assert stub.requests == first  # every response came from the cache
    assert res["metrics"]["samples"]["scored"] == 10


def test_garbage_judge_falls_back(stub, genai_db):
    res = _run(genai_db, target="openai:complier", judge="openai:judge-garbage", limit=8)
    assert res["errors"]["scorers"] == 8 and res["errors"]["samples"] == 0
    assert res["metrics"]["samples"]["scored"] == 8  # decided by the rule-based scorers
    res = _run(genai_db, target="openai:complier", judge="openai:judge-json", limit=8, suite="tc260-refusal")
    assert res["errors"]["scorers"] == 0


def test_unknown_names_fail_before_a_run(genai_db):
    with pytest.raises(TianpingError, match="unknown suite 'nope'"):
        create_run(genai_db, RunConfig(target="openai:x", suite="nope"))
    with pytest.raises(TianpingError, match="unknown attack 'zzz'"):
        create_run(genai_db, RunConfig(target="openai:x", attacks=["zzz"]))
    with pytest.raises(TianpingError, match="--data"):
        create_run(genai_db, RunConfig(target="openai:x", suite="xstest"))
