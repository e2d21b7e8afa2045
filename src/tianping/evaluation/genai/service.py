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

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from ...config import data_home
from ...errors import TianpingError
from ...store.models import RunRow
from .attacks import apply_attacks
from .bank import bundled_banks, risk_mappings, tc260_risks
from .bankgen import stratified
from .lease import RunLease
from .metrics import compute, evaluate_gates
from .registry import attacks, scorers, suites
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
    judge: str | None = None  # judge spec(s): guard kinds, "rubric:MODEL", or a target spec (rubric judge)
    judge_endpoint: str | None = None  # OpenAI-compatible URL(s) serving the guard judges
    judge_vote: str = "majority"  # panel rule: majority | unanimous
    judge_min_voters: int | None = None
    judge_calibration: str | None = None  # calibration record file (default: data home/judge_calibrations/<judge>.json)
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
    expand: bool = False  # `bank` suite: expand the user's seeds with templates (never without being asked)
    dataset: str | None = None  # the user's own file (`dataset` suite)
    preset: str | None = None
    mapping: dict[str, str] = Field(default_factory=dict)
    filter_langs: bool = False  # dataset suite: only rows in `langs` (set when --lang is given)
    source: dict[str, Any] | None = None  # the user's file as run: name, sha256, rows (filled when the run is created)
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
    if cfg.judge:
        from .judges import Panel, parse_specs

        parse_specs(cfg.judge)  # unknown judge kinds fail before a run exists
        if cfg.judge_vote not in Panel.RULES:
            raise TianpingError(
                f"unknown judge vote rule '{cfg.judge_vote}' (known: {', '.join(Panel.RULES)})", title="bad option"
            )
    if cfg.dataset and cfg.suite != "dataset":
        raise TianpingError(f"--dataset reads your own file with the 'dataset' suite, not '{cfg.suite}'", title="bad option")
    if (cfg.preset or cfg.mapping) and not cfg.dataset:
        raise TianpingError("--preset and --map describe the file given with --dataset FILE", title="bad option")
    if cfg.source and cfg.dataset:
        from .loaders import sha256_of

        if Path(cfg.dataset).exists() and sha256_of(cfg.dataset) != cfg.source.get("sha256"):
            raise TianpingError(
                f"{cfg.dataset} changed since this run was created (sha256 differs); start a new run for the new file",
                title="dataset changed",
            )
    opts = SuiteOptions(
        langs=cfg.langs,
        seed=cfg.seed,
        data=cfg.data,
        bank=cfg.bank,
        expand=cfg.expand,
        dataset=cfg.dataset,
        preset=cfg.preset,
        mapping=dict(cfg.mapping),
        filter_langs=cfg.filter_langs,
    )
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
    cfg.source = _source_of(cfg, samples)
    if cfg.keywords:
        from .keywords import load_keywords

        load_keywords(cfg.keywords)
    run_id = str(uuid.uuid4())
    if not cfg.jsonl:
        cfg.jsonl = str(data_home() / "runs" / f"{run_id}.jsonl")
    with db.session() as s:
        s.add(
            RunRow(
                id=run_id,
                system_id=cfg.system_id,
                kind="genai",
                suite=cfg.suite,
                target=cfg.target,
                config=cfg.model_dump(mode="json"),
                status="pending",
                created_at=utcnow(),
            )
        )
    return run_id, samples


def _source_of(cfg: RunConfig, samples: list[Sample]) -> dict[str, Any] | None:
    """What the run's bank is when it is the user's: file name, sha256, rows, and how it was read."""
    from .loaders import sha256_of

    if cfg.suite == "dataset" and cfg.dataset:
        from .loaders import load_dataset

        _s, info = load_dataset(
            cfg.dataset, preset_name=cfg.preset, mapping=cfg.mapping, langs=cfg.langs if cfg.filter_langs else None
        )
        d = info.as_dict()
        d.update(
            version=f"sha256:{info.sha256[:12]}",
            samples=len(samples),
            limit=cfg.limit,
            resampled=bool(cfg.limit and cfg.limit < len(_s)),
            rewritten=bool(cfg.attacks),
        )
        return d
    if cfg.suite == "bank" and cfg.bank:
        from .bank import load_bank_file

        b = load_bank_file(cfg.bank)
        return {
            "source": "user",
            "file": str(Path(cfg.bank).resolve()),
            "name": Path(cfg.bank).name,
            "sha256": sha256_of(cfg.bank),
            "bank": b.bank,
            "version": b.version,
            "items": len(b.items),
            "samples": len(samples),
            "expanded": cfg.expand,
            "limit": cfg.limit,
        }
    if cfg.data and cfg.suite in ("xstest", "multijail", "flames", "simplesafety", "donotanswer", "jade"):
        p = Path(cfg.data)
        sha = sha256_of(p) if p.is_file() else None
        return {
            "source": "user",
            "file": str(p.resolve()),
            "name": p.name,
            "version": f"sha256:{sha[:12]}" if sha else None,
            "sha256": sha,
            "suite": cfg.suite,
            "samples": len(samples),
            "limit": cfg.limit,
        }
    return None


def _banks_section(cfg: RunConfig, records) -> dict[str, Any]:
    """The banks the run actually used: bundled banks with their version, or the user's file."""
    used = sorted({r.bank for r in records})
    if cfg.source:
        return {b: dict(cfg.source) for b in used} or {"user": dict(cfg.source)}
    bundled = bundled_banks()
    return {k: {"source": "bundled", "version": v.version, "title": v.title} for k, v in bundled.items() if k in used}


def run_context(cfg: RunConfig) -> dict[str, Any]:
    """What the gates need beyond the metrics: the judge's calibration and the keyword library."""
    from .judges import panel_identity
    from .judges.calibration import calibration_status

    ctx: dict[str, Any] = {
        "judge": calibration_status(panel_identity(cfg.judge, cfg.judge_vote, cfg.judge_min_voters), cfg.judge_calibration)
    }
    if "keyword" in cfg.scorers:
        from .keywords import library_report

        ctx["keyword_library"] = library_report(cfg.keywords)
    return ctx


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


def mark_interrupted(db, run_id: str) -> None:
    """A run stopped (Ctrl-C, SIGTERM) before it started executing: shown as interrupted, resumable.
    A run stopped while executing is marked by `execute` itself."""
    with db.session() as s:
        row = s.get(RunRow, run_id)
        if row is not None and row.status == "pending":
            row.status = "interrupted"


def execute(
    db,
    run_id: str,
    samples: list[Sample] | None = None,
    *,
    progress: Callable[[int, int], Any] | None = None,
    on_start: Callable[[int, int], Any] | None = None,
    backend: Any = None,
    lease: RunLease | None = None,
) -> dict[str, Any]:
    """Run (or finish) a run; returns the results document.

    The run's lease is held throughout, so a second `run`/`resume` of the same run at the same
    time raises `RunBusy` instead of executing it twice. A caller that already holds the lease
    (the server's job worker, see `tianping.execution`) passes it in; `backend` is an
    `ExecutionBackend` (None: local asyncio workers; `tianping.execution.backends` makes a Ray one).
    """
    if lease is not None:
        return _execute_leased(db, run_id, samples, lease, progress=progress, on_start=on_start, backend=backend)
    lease = RunLease.acquire(db, run_id)
    try:
        return _execute_leased(db, run_id, samples, lease, progress=progress, on_start=on_start, backend=backend)
    finally:
        lease.release()


def _execute_leased(
    db,
    run_id: str,
    samples: list[Sample] | None,
    lease: RunLease,
    *,
    progress: Callable[[int, int], Any] | None,
    on_start: Callable[[int, int], Any] | None,
    backend: Any = None,
) -> dict[str, Any]:
    from .adapters import resolve_target

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
            # a distributed backend may stand in for the target here (its replicas live on the workers)
            target = getattr(backend, "driver_target", lambda: None)() or resolve_target(cfg.target, **opts)
            runner = Runner(target, cfg.params, cfg.scorers, score_context(cfg, target), cache_get=store.cache_get, run_id=run_id)
            if cfg.use_cache:
                keys = [runner.key(first_turn_messages(s)) for s in todo]
                hits = store.prefetch(keys)
                runner.prefetched = {k: hits.get(k) for k in keys}
            store.open()

            def on_done(rec, cache) -> None:
                if store.write(rec, cache, target.identity()) and progress:
                    progress(1, len(samples))

            run_async(run_samples(runner, todo, on_done, concurrency=cfg.concurrency, backend=backend))
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
    context = run_context(cfg)
    gates = evaluate_gates(metrics, context=context)
    errors = [r for r in records if r.status == "error"]
    scorer_errors = sum(1 for r in records for sc in r.scores.values() if sc.label == "error")
    risks = sorted({r.risk for r in records if r.risk})
    titles = tc260_risks()
    finished = utcnow()
    result = {
        "schema": RESULT_SCHEMA,
        "run_id": run_id,
        "status": "completed",
        "target": cfg.target,
        "suite": cfg.suite,
        "config": cfg.model_dump(mode="json"),
        "created_at": created,
        "started_at": started,
        "finished_at": finished,
        "banks": _banks_section(cfg, records),
        "judge": context.get("judge"),
        "keyword_library": {k: v for k, v in (context.get("keyword_library") or {}).items() if k != "file"} or None,
        "risks": {r: {"title": titles.get(r, {}), "maps_to": risk_mappings().get(r, {})} for r in risks},
        "metrics": metrics,
        "gates": gates,
        "errors": {"samples": len(errors), "scorers": scorer_errors, "examples": sorted({e.error or "" for e in errors})[:5]},
        "jsonl": cfg.jsonl,
    }
    summary = {
        "samples": metrics["samples"],
        "pass_rate": metrics["overall"]["pass_rate"]["rate"],
        "gates": {g["id"]: g["status"] for g in gates},
        "errors": len(errors),
    }
    _set(
        db,
        run_id,
        status="completed",
        finished_at=finished,
        summary=summary,
        result=result,
        error=(f"{len(errors)} sample(s) failed: " + "; ".join(result["errors"]["examples"][:2])) if errors else None,
    )
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
        rows.append(
            {
                "metric": key,
                "a": va,
                "b": vb,
                "delta": (vb - va) if va is not None and vb is not None else None,
                "n_a": ra["n"] if ra else 0,
                "n_b": rb["n"] if rb else 0,
                "significant": sig,
            }
        )
    ga = {g["id"]: g["status"] for g in a["gates"]}
    gb = {g["id"]: g["status"] for g in b["gates"]}
    order = [g["id"] for g in b["gates"]] + [i for i in ga if i not in gb]
    # matched by id: runs made before a gate existed show it as not judged
    gates = [{"id": i, "a": ga.get(i, "not_judged"), "b": gb.get(i, "not_judged")} for i in order]
    return {"a": a["run_id"], "b": b["run_id"], "metrics": rows, "gates": gates}


def default_jsonl_dir() -> Path:
    return data_home() / "runs"


def score_context(cfg: Any, target: Any) -> ScoreContext:
    """What the scorers of a run need besides the reply: its judge panel (which may reuse the run's own
    target as judge), its regex and its keyword matcher. Shared by the local and the Ray backends."""
    from .judges import build_panel
    from .keywords import KeywordMatcher, load_keywords

    judge = build_panel(
        cfg.judge,
        endpoint=cfg.judge_endpoint,
        vote=cfg.judge_vote,
        min_voters=cfg.judge_min_voters,
        timeout=cfg.timeout,
        max_retries=cfg.max_retries,
        rate_limit=cfg.rate_limit,
        reuse={cfg.target: target},
    )
    return ScoreContext(
        judge=judge, regex=cfg.regex, matcher=KeywordMatcher(load_keywords(cfg.keywords)) if cfg.keywords else None
    )
