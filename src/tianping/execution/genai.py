"""Generative-AI runs started from the server: validate the request, create, execute, resume.

The run is created and executed by the engine's own service (`evaluation.genai.service`:
`create_run`, `execute`, `finalize`), so a server run has the same results document, per-sample
store, resumability and typed evidence as `tianping eval run`. What a request may set is a
whitelist: the target is the bundled local model (`local`) or an endpoint registered for the
system (`endpoint:<id>`); suites, attacks, languages, scorers and judges are the registered ones;
nothing names a file or a Python callable on the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import Problem, TianpingError
from .backends import BackendChoice
from .endpoints import EndpointService, Resolved, activate


class GenaiRequest(BaseModel):
    """What a provider may choose for a server-side generative run."""

    model_config = ConfigDict(extra="forbid")
    target: str = Field("local", max_length=80, description="'local' (the bundled model) or 'endpoint:<id>'")
    suite: str = Field("tc260", max_length=40)
    langs: list[str] = Field(default_factory=lambda: ["zh", "en"], max_length=10)
    attacks: list[str] = Field(default_factory=list, max_length=20)
    scorers: list[str] | None = Field(None, max_length=20)
    judge: str | None = Field(None, max_length=200)
    judge_vote: str = "majority"
    seed: int = Field(0, ge=0, le=2**31)
    limit: int | None = Field(None, ge=1, le=100_000)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(256, ge=1, le=4096)
    concurrency: int = Field(8, ge=1, le=64)
    batch_size: int = Field(8, ge=1, le=64)
    timeout: float = Field(60.0, gt=0, le=600)
    max_retries: int = Field(2, ge=0, le=5)


def _problems(exc: ValidationError) -> list[Problem]:
    return [Problem(e["msg"], field="config." + ".".join(map(str, e["loc"]))) for e in exc.errors()]


def parse_request(raw: dict[str, Any]) -> GenaiRequest:
    try:
        return GenaiRequest.model_validate(raw)
    except ValidationError as exc:
        raise TianpingError(_problems(exc), title="invalid input") from None


def _check_judge(spec: str | None) -> None:
    """Judges name registered guard kinds or a rubric on a model; never a file or Python code."""
    if not spec:
        return
    for part in spec.split(","):
        p = part.strip()
        if p.startswith(("python:", "local:")) or "/" in p.split(":", 1)[0]:
            raise TianpingError(
                Problem(
                    "judges are registered judge kinds or rubric:MODEL; files and Python code are not accepted on the server",
                    field="config.judge",
                ),
                title="invalid input",
            )


def run_config(db, system_id: str, req: GenaiRequest, endpoints: EndpointService):
    """The engine's RunConfig for this request (raises 4xx-mapped errors for bad choices)."""
    from ..evaluation.genai.schema import GenParams
    from ..evaluation.genai.service import RunConfig

    if req.target == "local":
        target = "local"
    elif req.target.startswith("endpoint:"):
        endpoints.get(system_id, req.target.split(":", 1)[1])  # registered for this system, else 422
        target = req.target
    else:
        raise TianpingError(
            Problem(
                "'local' (the bundled model) or 'endpoint:<id>' of an endpoint registered for this system", field="config.target"
            ),
            title="invalid input",
        )
    _check_judge(req.judge)
    cfg = RunConfig(
        target=target,
        suite=req.suite,
        langs=req.langs,
        attacks=req.attacks,
        judge=req.judge,
        judge_vote=req.judge_vote,
        seed=req.seed,
        limit=req.limit,
        params=GenParams(temperature=req.temperature, max_tokens=req.max_tokens),
        concurrency=req.concurrency,
        batch_size=req.batch_size,
        timeout=req.timeout,
        max_retries=req.max_retries,
        system_id=system_id,
    )
    if req.scorers is not None:
        cfg.scorers = list(req.scorers)
    return cfg


def create(db, system_id: str, raw: dict[str, Any], endpoints: EndpointService) -> tuple[str, dict[str, Any]]:
    """Validate and create the run through the engine's service; returns (run id, what the job needs)."""
    from ..evaluation.genai.service import create_run

    req = parse_request(raw)
    cfg = run_config(db, system_id, req, endpoints)
    try:
        run_id, samples = create_run(db, cfg)
    except TianpingError as exc:  # unknown suite/attack/scorer, empty suite: the user's choice, a 422
        raise TianpingError(
            [Problem(p.message, field=p.field or "config") for p in exc.problems], title="invalid input"
        ) from None
    return run_id, {"samples": len(samples)}


def resolve_endpoint(db, run_cfg, endpoints: EndpointService | None) -> list[Resolved]:
    """Decrypt the run's endpoint (if any) into this process; the list travels to Ray actors."""
    if not str(run_cfg.target).startswith("endpoint:"):
        return []
    if endpoints is None:
        raise TianpingError("this run targets a registered endpoint, but no credential key is configured", title="no endpoint")
    r = endpoints.resolve(run_cfg.system_id or "", run_cfg.target.split(":", 1)[1])
    activate(r)
    return [r]


def preflight(run_cfg) -> None:
    """One short call before the run: an unreachable or refusing endpoint fails the run with the
    reason at once, instead of after retries for every sample."""
    from ..evaluation.genai.adapters import resolve_target
    from ..evaluation.genai.adapters.base import TargetError
    from ..evaluation.genai.runner import run_async
    from ..evaluation.genai.schema import GenParams

    if not str(run_cfg.target).startswith("endpoint:"):
        return
    t = resolve_target(run_cfg.target, timeout=min(10.0, run_cfg.timeout), max_retries=0)

    async def ping():
        try:
            await t.generate([{"role": "user", "content": "ping"}], GenParams(max_tokens=1))
        finally:
            await t.aclose()

    try:
        run_async(ping())
    except TargetError as exc:
        raise TianpingError(f"the endpoint did not answer a test request: {exc}", title="endpoint unreachable") from None


def execute(
    db,
    run_id: str,
    *,
    choice: BackendChoice | None = None,
    endpoints: EndpointService | None = None,
    lease=None,
    progress: Callable[[float, str], None] | None = None,
    min_interval: float = 0.5,
) -> dict[str, Any]:
    """Execute (or resume) a generative run on the chosen backend; progress(fraction, message)."""
    from ..evaluation.genai import service
    from ..store.models import RunRow

    with db.session() as s:
        row = s.get(RunRow, run_id)
        if row is None:
            raise TianpingError(f"run '{run_id}'", title="not found")
        cfg = service.RunConfig.model_validate(row.config)
    resolved = resolve_endpoint(db, cfg, endpoints)
    choice = choice or BackendChoice()
    state = {"done": 0, "total": 0, "last": 0.0}

    def on_start(done: int, total: int) -> None:
        state.update(done=done, total=total)
        if done < total:
            preflight(cfg)
        if progress:
            progress(done / total if total else 1.0, f"{done}/{total} samples")

    def on_progress(n: int, total: int) -> None:
        state["done"] += n
        now = time.monotonic()
        if progress and (now - state["last"] >= min_interval or state["done"] >= total):
            state["last"] = now
            progress(state["done"] / total if total else 1.0, f"{state['done']}/{total} samples")

    backend = choice.make(cfg, run_id, resolved)
    return service.execute(db, run_id, progress=on_progress, on_start=on_start, backend=backend, lease=lease)
