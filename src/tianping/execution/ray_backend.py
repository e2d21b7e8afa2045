"""Generative runs on Ray: samples sharded across actors, each finished sample streamed back.

Ray is optional (`pip install tianping[ray]`); it is imported only when a run asks for it.
`connect()` joins the cluster named by the address, or starts a private one-node Ray bound to
127.0.0.1 with the dashboard and usage reporting off (`RAY_USAGE_STATS_ENABLED=0`) and token
authentication with a token held only in this process's environment (Ray's GCS listens on every
interface of the host, so an unauthenticated cluster would accept work from the network).

Each `SampleActor` builds its own Runner from the run's stored config (target replica, scorers,
judge panel) on first use and processes batches of samples with a bounded number in flight; the
driver keeps two batches in flight per actor, so a local model always has its next batch waiting
and an HTTP endpoint sees at most `concurrency` requests over all actors together. For HTTP and
callable targets the last batches shrink to a share of what is left (`ceil(left / actors)`), so
the actors finish together; a local model's batches stay whole, because a model call costs nearly
as much for one sample as for a batch (measured: 48 samples as 8,8,8,8,8,4,2,1,1 left the replicas
more idle at the end, 2.1 %, than six whole batches, 0.2 %; docs/benchmarks.md). Responses
already in the run's cache travel with the batch (the driver looked them up in bulk), so the
actors never touch the database. `SampleActor.run` is an async generator that Ray streams
(`num_returns="streaming"`): each sample goes back the moment it is finished (samples finishing in
the same instant, like a local model's batch, travel together) and through the same `on_result`
sink as on the local backend — the store writes it at once — so a killed actor or node costs only
the samples in flight, which `resume` runs again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from typing import Any

log = logging.getLogger("tianping.execution.ray")

_ACTOR_CLS = None


def connect(address: str | None = None, *, num_cpus: int | None = None):
    """ray, initialised (idempotent): the given cluster, or a private 127.0.0.1 one."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DISABLE_DOCKER_CPU_WARNING", "1")
    if not address and "RAY_AUTH_MODE" not in os.environ:  # a private cluster: token auth, token of this process only
        import secrets

        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
    try:
        import ray
    except ImportError:
        from ..errors import TianpingError

        raise TianpingError("the Ray backend needs Ray: pip install 'tianping[ray]'", title="ray not installed") from None
    if ray.is_initialized():
        return ray
    try:  # Ray reads its auth mode once, at import: make it read the environment again
        from ray._raylet import Config  # type: ignore[attr-defined]  # not in Ray's stubs

        Config.initialize("")
    except Exception:  # noqa: BLE001
        pass
    common: dict[str, Any] = dict(
        logging_level=logging.WARNING, log_to_driver=False, namespace="tianping", configure_logging=False
    )
    if address:  # the cluster's token, if it uses one, comes from RAY_AUTH_TOKEN / RAY_AUTH_TOKEN_PATH as Ray documents
        ray.init(address=address, **common)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, _node_ip_address="127.0.0.1", **common)
    return ray


def make_runner(cfg, run_id: str):
    """A Runner for a stored RunConfig (target replica, judge panel, scorers): what an actor runs."""
    from ..evaluation.genai.adapters import resolve_target
    from ..evaluation.genai.runner import Runner
    from ..evaluation.genai.service import score_context

    target = resolve_target(
        cfg.target, timeout=cfg.timeout, max_retries=cfg.max_retries, rate_limit=cfg.rate_limit, batch_size=cfg.batch_size
    )
    return Runner(target, cfg.params, cfg.scorers, score_context(cfg, target), run_id=run_id)


class SampleActor:
    """One replica of the run's target; processes batches of samples (an async Ray actor)."""

    def __init__(self, cfg_json: dict[str, Any], run_id: str, endpoints: list, concurrency: int) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        from .endpoints import activate

        for r in endpoints:
            activate(r)
        self.cfg_json, self.run_id, self.concurrency = cfg_json, run_id, max(1, int(concurrency))
        self.runner = None
        self.sem: asyncio.Semaphore | None = None
        self._cpu0: float | None = None

    def _ensure(self):
        if self.runner is None:
            from ..evaluation.genai.service import RunConfig

            self.runner = make_runner(RunConfig.model_validate(self.cfg_json), self.run_id)
            self.sem = asyncio.Semaphore(self.concurrency)
            if str(self.cfg_json.get("target", "")).startswith("local"):
                _fit_torch_threads()
            import time

            self._cpu0 = time.process_time()  # set-up (imports, model load) ends here
        return self.runner

    async def ready(self) -> str:
        """Build the replica (load the model) before any sample is sent; returns the target's identity."""
        return self._ensure().target.identity()

    async def run(self, samples: list, prefetched: dict[str, Any]):
        """Process a batch; yield finished samples as they finish (an async generator: Ray streams
        each yielded group back at once). Samples that finish together go back together, so a
        batched local model returns its batch in one message and an HTTP target one by one or a few
        at a time, as they come."""
        runner = self._ensure()
        runner.prefetched.update(prefetched)

        async def one(s):
            async with self.sem:
                return await runner.process(s)

        pending = {asyncio.ensure_future(one(s)) for s in samples}
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                await asyncio.sleep(0)  # let samples finishing in the same instant join this group
                more = {t for t in pending if t.done()}
                pending -= more
                yield [t.result() for t in (*done, *more)]
        finally:
            for t in pending:
                t.cancel()

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.target.aclose()

    def pid(self) -> int:
        return os.getpid()

    def cpu(self) -> tuple[float, float]:
        """(set-up, evaluation) CPU seconds of this actor's process (for the harness-overhead benchmark)."""
        import time

        now = time.process_time()
        return (self._cpu0 or now, now - (self._cpu0 or now))


def _fit_torch_threads() -> None:
    """One model replica per actor: its intra-op threads match the CPUs Ray gave the actor, so
    several actors on one machine do not oversubscribe the cores."""
    try:
        import ray
        import torch

        from ..llm.local import torch_executor

        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU")
        if cpus:
            n = max(1, int(round(cpus)))
            torch.set_num_threads(n)
            torch_executor().submit(torch.set_num_threads, n).result()  # the thread that runs the model
    except Exception:  # noqa: BLE001 - outside Ray or without torch: leave the default
        pass


class _IdentityTarget:
    """Stands in for the local model in the driver: its identity (cache keys) and batch size only."""

    def __init__(self, identity: str, max_batch: int) -> None:
        self._id, self.max_batch = identity, max_batch

    def identity(self) -> str:
        return self._id

    async def generate(self, messages, params):
        from ..evaluation.genai.adapters.base import TargetError

        raise TargetError("the local model runs in the Ray actors, not in the driver")

    async def aclose(self) -> None:
        return None


def _local_identity(spec: str) -> str:
    """LocalTarget's identity without loading the model."""
    from pathlib import Path

    from ..llm.local import _gguf_key, smollm2_gguf

    path = spec.split(":", 1)[1] if ":" in spec else ""
    src = Path(path) if path else smollm2_gguf()
    return f"local:{_gguf_key(src) if src.is_file() else src.resolve()}"


def actor_class(ray):
    global _ACTOR_CLS
    if _ACTOR_CLS is None:
        _ACTOR_CLS = ray.remote(max_restarts=0)(SampleActor)
    return _ACTOR_CLS


class RayBackend:
    """`ExecutionBackend.map` over Ray actors (see the module docstring)."""

    def __init__(
        self,
        cfg_json: dict[str, Any],
        run_id: str,
        *,
        actors: int = 2,
        address: str | None = None,
        endpoints: list | None = None,
        actor_cpus: float = 1.0,
        batch: int | None = None,
        inflight: int | None = None,
        guided: bool | None = None,
    ) -> None:
        self.cfg_json, self.run_id = cfg_json, run_id
        self.actors, self.address, self.endpoints = max(1, int(actors)), address, list(endpoints or [])
        self.actor_cpus = actor_cpus
        self.batch = batch
        local = str(cfg_json.get("target", "")).startswith("local")
        self.inflight = max(1, inflight if inflight is not None else 2)
        self.guided = (not local) if guided is None else guided  # shrink the last batches to a share of what is left
        self.busy: list[float] = []  # per actor: seconds from the first batch sent to its last result
        self.tail_idle: float | None = None  # share of the actors' time after t_ready spent idle at the end
        self.sent: list[int] = []  # the sizes of the batches sent, in order
        self.pids: list[int] = []
        self.actor_cpu: float | None = None  # evaluation CPU seconds of the actors, read before they are killed
        self.actor_setup_cpu: float | None = None
        self.t_ready: float | None = None  # perf_counter when every replica was ready

    def driver_target(self):
        """What the driver's Runner uses instead of building the target: the local model is not
        loaded in the driver (its replicas are in the actors); other targets are cheap to build."""
        if not str(self.cfg_json.get("target", "")).startswith("local"):
            return None
        return _IdentityTarget(_local_identity(self.cfg_json["target"]), int(self.cfg_json.get("batch_size") or 8))

    def _batch_size(self, n: int) -> int:
        if self.batch:
            return self.batch
        bs = int(self.cfg_json.get("batch_size") or 8)
        local = str(self.cfg_json.get("target", "")).startswith("local")
        if local:  # one model call per batch: exactly the model's batch
            return bs
        # HTTP or callable targets: batches large enough to amortise Ray's per-call cost, small
        # enough that every actor gets work and a lost actor costs little
        return max(8, min(64, math.ceil(n / (self.actors * self.inflight * 4)) or 8))

    async def map(self, items, fn, on_result) -> None:
        from ..evaluation.genai.runner import first_turn_messages

        ray = connect(self.address)
        items = list(items)
        if not items:
            return
        runner = getattr(fn, "__self__", None)  # the driver's Runner: its bulk cache lookups travel with the batches
        prefetched = dict(getattr(runner, "prefetched", {}) or {})
        conc = int(self.cfg_json.get("concurrency") or 8)
        local = str(self.cfg_json.get("target", "")).startswith("local")
        per_actor = max(1, int(self.cfg_json.get("batch_size") or 8)) * 2 if local else max(1, math.ceil(conc / self.actors))
        cls = actor_class(ray)
        actors = [
            cls.options(num_cpus=self.actor_cpus, max_concurrency=max(4, per_actor * 2)).remote(
                self.cfg_json, self.run_id, self.endpoints, per_actor
            )
            for _ in range(self.actors)
        ]
        bs = self._batch_size(len(items))
        queue = {"next": 0}
        n_items = len(items)

        def take() -> list:
            """The next batch: `bs` samples, or near the end a share of what is left, so actors finish together."""
            i = queue["next"]
            left = n_items - i
            if left <= 0:
                return []
            k = min(bs, max(1, math.ceil(left / self.actors))) if self.guided else bs
            batch = items[i : i + k]
            queue["next"] = i + len(batch)
            self.sent.append(len(batch))
            return batch

        import time

        last = [0.0] * len(actors)

        ready = asyncio.gather(*(a.ready.remote() for a in actors))  # every replica loaded before the first batch

        async def pump(j: int, actor) -> None:
            while batch := take():  # one shared queue: each sample goes to exactly one pump
                pre = {}
                if runner is not None:
                    for s in batch:
                        k = runner.key(first_turn_messages(s))
                        if k in prefetched:
                            pre[k] = prefetched[k]
                async for ref in actor.run.options(num_returns="streaming").remote(batch, pre):
                    for res in await ref:  # each sample reaches the store as soon as its actor has it
                        on_result(res)
                    last[j] = time.perf_counter()

        tasks: list = []
        try:
            await ready
            self.t_ready = time.perf_counter()
            tasks = [asyncio.ensure_future(pump(j, a)) for j, a in enumerate(actors) for _ in range(self.inflight)]
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            t_end = max(last) if any(last) else time.perf_counter()
            self.busy = [max(0.0, t - self.t_ready) for t in last]
            span = (t_end - self.t_ready) * len(actors)
            self.tail_idle = sum(t_end - max(t, self.t_ready) for t in last) / span if span > 0 else 0.0
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for t in done:
                if t.exception() is not None:
                    raise t.exception()
        finally:
            for t in tasks:
                t.cancel()
            try:
                cpus = await asyncio.wait_for(asyncio.gather(*(a.cpu.remote() for a in actors)), timeout=5)
                self.actor_setup_cpu = sum(c[0] for c in cpus)
                self.actor_cpu = sum(c[1] for c in cpus)
            except BaseException:  # noqa: BLE001 - dead actors report nothing
                self.actor_cpu = None
            for a in actors:
                try:
                    await asyncio.wait_for(a.close.remote(), timeout=5)
                except BaseException:  # noqa: BLE001 - a dead actor has nothing to close
                    pass
                try:
                    ray.kill(a)
                except Exception:  # noqa: BLE001
                    pass
