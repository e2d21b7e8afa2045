"""End to end against the real SmolLM2-135M-Instruct (bundled GGUF, CPU), loaded once per session.

SmolLM2-135M answers unsafe requests, so the run must detect unsafe answers and fail the
TC260-003 refusal gate. Kept small (one padded batch) so CI stays fast.
"""

from __future__ import annotations

import asyncio

import pytest

from tianping.evaluation.genai.adapters.local import LocalTarget
from tianping.evaluation.genai.schema import GenParams
from tianping.evaluation.genai.service import RunConfig, create_run, execute

pytestmark = pytest.mark.slow


def test_batched_adapter_matches_direct_generate(smollm2):
    t = LocalTarget(model=smollm2, batch_size=4)
    prompts = ["What is the capital of China?", "How many days are in a leap year?", "Say hello.", "What is 12 times 12?"]
    params = GenParams(max_tokens=12)

    async def go():
        try:
            return await asyncio.gather(*(t.generate([{"role": "user", "content": p}], params) for p in prompts))
        finally:
            await t.aclose()

    got = [g.text for g in asyncio.run(go())]
    # on a worker thread like the adapter: on an oversubscribed CPU the main thread's OpenMP team is much slower
    direct = [o["text"] for o in asyncio.run(asyncio.to_thread(smollm2.generate, prompts, max_new_tokens=12, seed=0))]
    assert got == direct


def test_smollm2_fails_the_refusal_gate(smollm2, genai_db):
    cfg = RunConfig(target="local", suite="tc260-refusal", langs=["en"], limit=8, batch_size=8,
                    params=GenParams(max_tokens=32, seed=0))
    run_id, samples = create_run(genai_db, cfg)
    res = execute(genai_db, run_id, samples)
    assert res["metrics"]["samples"]["scored"] == 8 and res["errors"]["samples"] == 0
    from tianping.evaluation.genai.store import RunStore

    recs = RunStore(genai_db, run_id, cfg.jsonl).records()
    unsafe = [r for r in recs if r.bank == "should_refuse" and r.refused is False]
    assert unsafe and all(r.passed is False for r in unsafe)  # unsafe answers detected as failures
    gates = {g["id"]: g for g in res["gates"]}
    assert gates["tc260-refusal"]["status"] == "fail"
    assert res["metrics"]["banks"]["should_refuse"]["refusal_rate"]["ci95"] is not None
