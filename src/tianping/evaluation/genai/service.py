"""Run lifecycle: create → execute → (resume) → results document; show and compare.

Everything needed to rebuild a run's samples is in its stored config (suite, languages,
attacks, seed, limit, paths), so `resume` re-derives the same list, skips what the database
already holds (after recovering samples that reached only the JSONL before a crash) and runs the
rest. `execute` holds the run's lease (`lease.py`) throughout, so two processes never execute the
same run at once. Bad input (unknown suite/attack/scorer, a malformed bank or
data file) is rejected before the run is created; failures of the target or the judge are
recorded per sample and the run still completes.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, Field
from sqlalchemy import select

from ...config import data_home
from ...errors import TianpingError
from ...store.models import RunRow
from .attacks import apply_attacks
from .bank import bundled_banks, risk_mappings, tc260_risks
from .bankgen import stratified
from .metrics import compute, evaluate_gates
from .registry import attacks, scorers, suites
from .lease import RunLease
from .runner import Runner, first_turn_messages, run_async, run_samples, utcnow
from .schema import GenParams, Sample
from .scorers import ScoreContext
from .scorers.base import DEFAULT_SCORERS
from .store import RunStore
from .suites import SuiteOptions

RESULT_SCHEMA = "tianping.genai.run/1"


class RunConfig(BaseModel):
    """Everything that defines a run; stored in `runs.config` and enough to rebuild its samples."""

    target: str
    suite: str = "tc260"
    langs: list[str] = Field(default_factory=lambda: ["zh", "en"])
    attacks: list[str] = Field(default_factory=list)
    scorers: list[str] = Field(default_factory=lambda: list(DEFAULT_SCORERS))
    judge: str | None = None
    seed: int = 0
    limit: int | None = None
    params: GenParams = Field(default_factory=GenParams)
    concurrency: int = 8
    batch_size: int = 8
    timeout: float = 60.0
    max_retries: int = 3
    rate_limit: float | None = None
    data: str | None = None
    bank: str | None = None
    keywords: str | None = None
    regex: list[str] = Field(default_factory=list)
    use_cache: bool = True
    jsonl: str | None = None
    system_id: str | None = None


def build_samples(cfg: RunConfig) -> list[Sample]:
    """The run's samples: suite → stratified limit → attacks. Deterministic in the config."""
    for a in cfg.attacks:
        attacks.get(a)
    for s in cfg.scorers:
        scorers.get(s)
    opts = SuiteOptions(langs=cfg.langs, seed=cfg.seed, data=cfg.data, bank=cfg.bank)
    base = suites.get(cfg.suite)(opts)
    if not base:
        raise TianpingError(f"suite '{cfg.suite}' has no samples for languages {','.join(cfg.langs)}", title="empty suite")
    if cfg.limit:
        base = stratified(base, cfg.limit, seed=cfg.seed)
    samples = apply_attacks(base, cfg.attacks, seed=cfg.seed)
    ids = [s.id for s in samples]
    if len(ids) != len(set(ids)):  # pragma: no cover - a suite bug, not user input
        raise TianpingError(f"suite '{cfg.suite}' produced duplicate sample ids", title="invalid suite")
    return samples


def create_run(db, cfg: RunConfig) -> tuple[str, list[Sample]]:
    if cfg.judge and "judge" not in cfg.scorers:
        cfg.scorers.append("judge")
    samples = build_samples(cfg)  # validates everything before a row exists
    if cfg.keywords:
        from .keywords import load_keywords

        load_keywords(cfg.keywords)
    run_id = str(uuid.uuid4())
    if not cfg.jsonl:
        cfg.jsonl = str(data_home() / "runs" / f"{run_id}.jsonl")
    with db.session() as s:
        s.add(RunRow(id=run_id, system_id=cfg.system_id, kind="genai", suite=cfg.suite, target=cfg.target,
                     config=cfg.model_dump(mode="json"), status="pending", created_at=utcnow()))
    return run_id, samples


def resolve_run_id(db, ref: str) -> str:
    """A full run id or a unique prefix of one."""
    with db.session() as s:
        ids = list(s.scalars(select(RunRow.id).where(RunRow.kind == "genai", RunRow.id.like(f"{ref}%")).limit(3)))
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise TianpingError(f"no generative-AI run '{ref}'", title="not found")
    raise TianpingError(f"run id prefix '{ref}' is ambiguous", title="ambiguous run id")


def _set(db, run_id: str, **fields: Any) -> None:
    with db.session() as s:
        row = s.get(RunRow, run_id)
        for k, v in fields.items():
            setattr(row, k, v)


def execute(db, run_id: str, samples: list[Sample] | None = None, *, progress: Callable[[int, int], Any] | None = None,
            on_start: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    """Run (or finish) a run; returns the results document.

    The run's lease is held throughout, so a second `run`/`resume` of the same run at the same
    time raises `RunBusy` instead of executing it twice.
    """
    lease = RunLease.acquire(db, run_id)
    try:
        return _execute_leased(db, run_id, samples, lease, progress=progress, on_start=on_start)
    finally:
        lease.release()


def _execute_leased(db, run_id: str, samples: list[Sample] | None, lease: RunLease, *,
                    progress: Callable[[int, int], Any] | None, on_start: Callable[[int, int], Any] | None) -> dict[str, Any]:
    from .adapters import resolve_target
    from .keywords import KeywordMatcher, load_keywords

    with db.session() as s:
        row = s.get(RunRow, run_id)
        cfg = RunConfig.model_validate(row.config)
        started = row.started_at
    samples = samples if samples is not None else build_samples(cfg)
    store = RunStore(db, run_id, cfg.jsonl or data_home() / "runs" / f"{run_id}.jsonl", use_cache=cfg.use_cache)
    store.lease = lease
    store.recover_from_jsonl()  # finished samples that reached only the JSONL before a crash
    done = store.done_ids()
    todo = [s for s in samples if s.id not in done]
    if on_start:
        on_start(len(samples) - len(todo), len(samples))
    _set(db, run_id, status="running", started_at=started or utcnow(), error=None)
    opts = dict(timeout=cfg.timeout, max_retries=cfg.max_retries, rate_limit=cfg.rate_limit, batch_size=cfg.batch_size)
    try:
        if todo:
            target = resolve_target(cfg.target, **opts)
            judge = None
            if cfg.judge:
                judge = target if cfg.judge == cfg.target else resolve_target(cfg.judge, **opts)
            ctx = ScoreContext(judge=judge, regex=cfg.regex,
                               matcher=KeywordMatcher(load_keywords(cfg.keywords)) if cfg.keywords else None)
            runner = Runner(target, cfg.params, cfg.scorers, ctx, cache_get=store.cache_get, run_id=run_id)
            if cfg.use_cache:
                keys = [runner.key(first_turn_messages(s)) for s in todo]
                hits = store.prefetch(keys)
                runner.prefetched = {k: hits.get(k) for k in keys}
            store.open()

            def on_done(rec, cache) -> None:
                if store.write(rec, cache, target.identity()) and progress:
                    progress(1, len(samples))

            run_async(run_samples(runner, todo, on_done, concurrency=cfg.concurrency))
        else:
            store.reconcile_jsonl()
    except KeyboardInterrupt:
        store.close()
        _set(db, run_id, status="interrupted")
        raise
    except TianpingError as exc:  # e.g. no endpoint configured: the run is marked, resumable once fixed
        store.close()
        if not lease.lost:
            _set(db, run_id, status="failed", error=exc.render())
        raise
    finally:
        store.close()
    return finalize(db, run_id)


def finalize(db, run_id: str) -> dict[str, Any]:
    with db.session() as s:
        row = s.get(RunRow, run_id)
        cfg = RunConfig.model_validate(row.config)
        created, started = row.created_at, row.started_at
    store = RunStore(db, run_id, cfg.jsonl or "")
    records = store.records()
    metrics = compute(records)
    gates = evaluate_gates(metrics)
    errors = [r for r in records if r.status == "error"]
    scorer_errors = sum(1 for r in records for sc in r.scores.values() if sc.label == "error")
    risks = sorted({r.risk for r in records if r.risk})
    titles = tc260_risks()
    banks = bundled_banks()
    finished = utcnow()
    result = {
        "schema": RESULT_SCHEMA, "run_id": run_id, "status": "completed", "target": cfg.target, "suite": cfg.suite,
        "config": cfg.model_dump(mode="json"), "created_at": created, "started_at": started, "finished_at": finished,
        "banks": {k: {"version": v.version, "title": v.title} for k, v in banks.items()},
        "risks": {r: {"title": titles.get(r, {}), "maps_to": risk_mappings().get(r, {})} for r in risks},
        "metrics": metrics, "gates": gates,
        "errors": {"samples": len(errors), "scorers": scorer_errors,
                   "examples": sorted({e.error or "" for e in errors})[:5]},
        "jsonl": cfg.jsonl,
    }
    summary = {"samples": metrics["samples"], "pass_rate": metrics["overall"]["pass_rate"]["rate"],
               "gates": {g["id"]: g["status"] for g in gates}, "errors": len(errors)}
    _set(db, run_id, status="completed", finished_at=finished, summary=summary, result=result,
         error=(f"{len(errors)} sample(s) failed: " + "; ".join(result["errors"]["examples"][:2])) if errors else None)
    return result


def load_result(db, run_id: str) -> tuple[RunRow, dict[str, Any] | None]:
    with db.session() as s:
        row = s.get(RunRow, run_id)
        if row is None or row.kind != "genai":
            raise TianpingError(f"no generative-AI run '{run_id}'", title="not found")
        s.expunge(row)
        return row, row.result


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Rate differences between two results documents, flagged when the 95 % intervals do not overlap."""
    def flat(res: dict[str, Any]) -> dict[str, dict]:
        m = res["metrics"]
        out = {"overall.pass_rate": m["overall"]["pass_rate"]}
        for bank, bm in m["banks"].items():
            out[f"{bank}.pass_rate"] = bm["pass_rate"]
            out[f"{bank}.refusal_rate"] = bm["refusal_rate"]
            for risk, rm in bm["by_risk"].items():
                out[f"{bank}.{risk}.pass_rate"] = rm["pass_rate"]
        for att, am in m["attacks"].items():
            out[f"attack.{att}.success_rate"] = am["attack_success_rate"]
        return out

    fa, fb = flat(a), flat(b)
    rows = []
    for key in sorted(set(fa) | set(fb)):
        ra, rb = fa.get(key), fb.get(key)
        va = ra["rate"] if ra else None
        vb = rb["rate"] if rb else None
        sig = bool(ra and rb and ra["ci95"] and rb["ci95"] and (ra["ci95"][1] < rb["ci95"][0] or rb["ci95"][1] < ra["ci95"][0]))
        rows.append({"metric": key, "a": va, "b": vb, "delta": (vb - va) if va is not None and vb is not None else None,
                     "n_a": ra["n"] if ra else 0, "n_b": rb["n"] if rb else 0, "significant": sig})
    gates = [{"id": ga["id"], "a": ga["status"], "b": gb["status"]} for ga, gb in zip(a["gates"], b["gates"])]
    return {"a": a["run_id"], "b": b["run_id"], "metrics": rows, "gates": gates}


def default_jsonl_dir() -> Path:
    return data_home() / "runs"
