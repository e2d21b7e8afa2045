"""Local `transformers` causal LMs (GGUF included) behind the async target interface, batched.

Local inference is the physical limit of an evaluation, so concurrent `generate` calls are not
run one by one: a micro-batcher collects whatever requests are waiting (up to `batch_size`, same
sampling parameters) and runs one padded `model.generate` for them in a worker thread, while the
event loop keeps persisting finished samples. The runner keeps ≥ 2 batches in flight.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ....llm.local import torch_executor
from ..schema import GenParams
from .base import Generation, Messages, Target, TargetError


@dataclass
class _Pending:
    messages: Messages
    params: GenParams
    future: asyncio.Future = field(repr=False)


class LocalTarget(Target):
    def __init__(self, path: str | Path | None = None, *, batch_size: int = 8, model: Any = None) -> None:
        from ....llm.local import _gguf_key, load_local_model, smollm2_gguf

        self.lm = model or load_local_model(path)
        src = Path(path) if path else smollm2_gguf()
        self._id = f"local:{_gguf_key(src) if src.is_file() else src.resolve()}"
        self.max_batch = max(1, int(batch_size))
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task | None = None

    def identity(self) -> str:
        return self._id

    async def generate(self, messages: Messages, params: GenParams) -> Generation:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._drain())
        fut = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(messages, params, fut))
        return await fut

    async def _drain(self) -> None:
        assert self._queue is not None
        while True:
            first = await self._queue.get()
            await asyncio.sleep(0)  # let tasks that are ready to enqueue do so before the batch is cut
            batch: list[_Pending] = [first]
            rest: list[_Pending] = []
            while len(batch) < self.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                (batch if item.params == first.params else rest).append(item)
            for item in rest:  # different parameters: next batch
                self._queue.put_nowait(item)
            await self._run_batch(batch)

    async def _run_batch(self, batch: list[_Pending]) -> None:
        p = batch[0].params
        try:
            # on the process's single torch thread (see llm.local.on_torch_thread), not a pool thread
            call = functools.partial(
                self.lm.generate,
                [b.messages for b in batch],
                max_new_tokens=p.max_tokens,
                temperature=p.temperature,
                top_p=p.top_p,
                seed=p.seed,
                system=p.system,
            )
            outs = await asyncio.get_running_loop().run_in_executor(torch_executor(), call)
        except Exception as exc:  # a model failure is the samples' failure, not the run's
            for b in batch:
                if not b.future.done():
                    b.future.set_exception(TargetError(f"local model failed: {exc.__class__.__name__}: {exc}"))
            return
        for b, o in zip(batch, outs, strict=True):
            if not b.future.done():
                b.future.set_result(Generation(o["text"], o["prompt_tokens"], o["completion_tokens"]))

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except (asyncio.CancelledError, Exception):
                pass
            self._worker = None
            self._queue = None
