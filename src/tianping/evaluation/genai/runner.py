"""Run samples against a target: bounded async concurrency, per-sample persistence, cache.

The execution backend is an interface (`ExecutionBackend.map`); `LocalAsyncBackend` runs a fixed
pool of asyncio workers in this process, so memory stays bounded however large the bank, and a
distributed backend only has to implement `map`. Each finished sample is handed to the sink at
once (JSONL line now, DB row in the next short batch, see `store.py`), which is what makes runs
resumable after `kill -9`.
Responses are cached by SHA-256 of (target identity, messages, parameters), so re-running or
resuming never pays twice for the same call; the first-turn keys of a run are looked up in bulk
before it starts (`prefetched`), so a cold cache costs no query per sample. The event loop is
uvloop's when installed (`run_async`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict

from .adapters.base import Generation, Target, TargetError
from .schema import GenParams, Sample, SampleRecord
from .scorers import ScoreContext, decide, run_scorers


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def cache_key(identity: str, messages: list[dict[str, str]], params: GenParams | dict) -> str:
    p = params if isinstance(params, dict) else params.model_dump()
    blob = json.dumps([identity, messages, p], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def first_turn_messages(sample: Sample) -> list[dict[str, str]]:
    """The messages of a sample's first call (what `Runner.process` sends first)."""
    return [{"role": "user", "content": (sample.turns or [sample.prompt])[0]}]


def run_async(coro):
    """Run a coroutine to completion on a new event loop (uvloop's when available)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


class ExecutionBackend(ABC):
    """Maps an async function over items and reports each result as soon as it is ready."""

    @abstractmethod
    async def map(self, items: Iterable[Any], fn: Callable[[Any], Awaitable[Any]], on_result: Callable[[Any], None]) -> None: ...


class LocalAsyncBackend(ExecutionBackend):
    """`concurrency` asyncio workers pulling from one iterator (no task per item up front)."""

    def __init__(self, concurrency: int = 8) -> None:
        self.concurrency = max(1, int(concurrency))

    async def map(self, items, fn, on_result) -> None:
        it = iter(items)

        async def worker() -> None:
            for item in it:  # the shared iterator hands each item to exactly one worker
                on_result(await fn(item))

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))


class _RecordHead(TypedDict):
    """The SampleRecord fields known before the target answers (shared by the error and the ok record)."""

    run_id: str
    sample_id: str
    seq: int
    bank: str
    risk: str | None
    lang: str
    attack: str
    expect: str
    prompt: str
    turns: list[str] | None
    meta: dict[str, Any]


@dataclass
class Runner:
    target: Target
    params: GenParams
    scorers: list[str]
    ctx: ScoreContext = field(default_factory=ScoreContext)
    cache_get: Callable[[str], dict | None] | None = None
    run_id: str = ""
    # cache entries looked up in bulk before the run: keys present map to a response, keys
    # looked up and absent map to None (no query needed); other keys go to `cache_get`
    prefetched: dict[str, dict | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._identity = self.target.identity()
        self._params = self.params.model_dump()

    def key(self, messages: list[dict[str, str]]) -> str:
        return cache_key(self._identity, messages, self._params)

    async def _call(self, messages: list[dict[str, str]], new_cache: dict[str, dict]) -> tuple[Generation, bool]:
        key = self.key(messages)
        if key in new_cache:
            return Generation(**new_cache[key]), True
        if key in self.prefetched:
            hit = self.prefetched.pop(key)
            if hit is not None:
                return Generation(**hit), True
        elif self.cache_get is not None:
            hit = self.cache_get(key)
            if hit is not None:
                return Generation(**hit), True
        gen = await self.target.generate(messages, self.params)
        new_cache[key] = {"text": gen.text, "prompt_tokens": gen.prompt_tokens, "completion_tokens": gen.completion_tokens}
        return gen, False

    async def process(self, sample: Sample) -> tuple[SampleRecord, dict[str, dict]]:
        """Query the target (all turns), score, decide; never raises for a failing target or scorer."""
        t0 = time.perf_counter()
        new_cache: dict[str, dict] = {}
        base = _RecordHead(
            run_id=self.run_id,
            sample_id=sample.id,
            seq=0,
            bank=sample.bank,
            risk=sample.risk,
            lang=sample.lang,
            attack=sample.attack,
            expect=sample.expect,
            prompt=sample.prompt,
            turns=sample.turns,
            meta={k: v for k, v in sample.meta.items() if k != "translations"},
        )
        transcript: list[dict[str, str]] = []
        cached = True
        ptok = ctok = 0
        try:
            for turn in sample.turns or [sample.prompt]:
                transcript.append({"role": "user", "content": turn})
                gen, hit = await self._call(list(transcript), new_cache)
                cached = cached and hit
                transcript.append({"role": "assistant", "content": gen.text})
                ptok += gen.prompt_tokens or 0
                ctok += gen.completion_tokens or 0
        except TargetError as exc:
            return SampleRecord(
                **base,
                status="error",
                error=str(exc),
                transcript=transcript or None,
                latency_ms=round((time.perf_counter() - t0) * 1000, 2),
                finished_at=utcnow(),
            ), new_cache
        response = transcript[-1]["content"]
        scores = await run_scorers(self.scorers, sample, response, self.ctx)
        refused, passed = decide(sample, scores)
        rec = SampleRecord(
            **base,
            response=response,
            transcript=transcript if sample.turns else None,
            status="ok",
            scores=scores,
            refused=refused,
            passed=passed,
            cached=cached,
            latency_ms=round((time.perf_counter() - t0) * 1000, 2),
            prompt_tokens=ptok or None,
            completion_tokens=ctok or None,
            finished_at=utcnow(),
        )
        return rec, new_cache


async def run_samples(
    runner: Runner,
    samples: list[Sample],
    on_done: Callable[[SampleRecord, dict], None],
    *,
    concurrency: int = 8,
    backend: ExecutionBackend | None = None,
) -> None:
    """Run `samples`; `on_done(record, new_cache_entries)` is called in the event loop as each finishes."""
    if runner.target.max_batch > 1:
        # keep two batches in flight, and send similar lengths together to reduce padding
        concurrency = max(concurrency, 2 * runner.target.max_batch)
        samples = sorted(samples, key=lambda s: len(s.prompt))
    backend = backend or LocalAsyncBackend(concurrency)
    try:
        await backend.map(samples, runner.process, lambda res: on_done(*res))
    finally:
        await runner.target.aclose()
        judge = runner.ctx.judge
        if judge is not None and judge is not runner.target:
            from .judges import Panel

            if isinstance(judge, Panel):
                await judge.aclose(keep=runner.target)  # the model under test may also be a judge
            else:
                await judge.aclose()
