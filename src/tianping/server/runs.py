"""Evaluation runs started from the server: a `runs` row plus a queued job, created together.

Run kinds are pluggable: `register_run_kind(RunKind(...))` names a job handler and how to build
the run row from the request. The built-in `stub` kind is a deterministic fake evaluation (see
`stub.py`) so progress, results, assessments and reports work end to end before the real
engines (tabular, generative) register their own kinds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import func, select

from ..assessment.plan import engines_for
from ..audit import append_event
from ..registry.profile import AISystem
from ..store import Database
from ..store.models import RunRow
from .errors import forbidden, invalid, not_found
from .filings import FilingService
from .jobs import HANDLERS, enqueue
from .models import JobRow
from .principal import Principal
from .security import now_iso


@dataclass
class RunKind:
    name: str
    title: dict[str, str]
    job_kind: str
    # (profile, request config) -> (engine written to runs.kind, suite, target, validated config)
    prepare: Callable[[AISystem, dict[str, Any]], tuple[str, str, str, dict[str, Any]]]
    max_attempts: int = 3
    description: dict[str, str] = field(default_factory=dict)


RUN_KINDS: dict[str, RunKind] = {}


def register_run_kind(kind: RunKind) -> None:
    RUN_KINDS[kind.name] = kind


def run_kinds() -> list[dict[str, Any]]:
    return [{"name": k.name, "title": k.title, "description": k.description, "available": k.job_kind in HANDLERS}
            for k in RUN_KINDS.values()]


def default_engine(profile: AISystem) -> str:
    engines = engines_for(profile.model_kinds)
    return "genai" if engines == {"genai"} else "tabular"


class RunService:
    def __init__(self, db: Database):
        self.db = db
        self.filings = FilingService(db)

    def start(self, p: Principal, system_id: str, kind: str, config: dict[str, Any] | None) -> dict[str, Any]:
        profile = self.filings.profile(p, system_id)  # 404 when not visible
        if not (p.role == "admin" or p.is_provider):
            raise forbidden("only the owning provider (or an admin) starts runs")
        rk = RUN_KINDS.get(kind)
        if rk is None or rk.job_kind not in HANDLERS:
            raise invalid(f"unknown run kind '{kind}' (available: {', '.join(k['name'] for k in run_kinds() if k['available'])})",
                          field="kind")
        if config is not None and not isinstance(config, dict):
            raise invalid("config must be an object", field="config")
        engine, suite, target, cfg = rk.prepare(profile, dict(config or {}))
        with self.db.session() as s:
            run = RunRow(id=str(uuid.uuid4()), system_id=system_id, kind=engine, suite=suite, target=target,
                         config={"run_kind": kind, **cfg}, status="pending", created_at=now_iso())
            s.add(run)
            s.flush()
            job = enqueue(s, rk.job_kind, {"system_id": system_id, "config": cfg}, run_id=run.id, max_attempts=rk.max_attempts)
            append_event(s, "run.queued", "run", run.id, {"system": system_id, "kind": kind, "engine": engine, "job": job.id},
                         actor=p.actor)
            s.flush()
            return run_view(run, job)

    def get(self, p: Principal, run_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            run = s.get(RunRow, run_id)
            if run is None or run.system_id is None:
                raise not_found(f"run '{run_id}'")
            try:
                self.filings.profile(p, run.system_id)
            except Exception:
                raise not_found(f"run '{run_id}'") from None
            job = s.scalars(select(JobRow).where(JobRow.run_id == run_id).order_by(JobRow.created_at.desc())).first()
            return run_view(run, job, full=True)

    def for_system(self, p: Principal, system_id: str, *, limit: int = 20, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        self.filings.profile(p, system_id)
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(RunRow).where(RunRow.system_id == system_id)) or 0
            runs = s.scalars(select(RunRow).where(RunRow.system_id == system_id)
                             .order_by(RunRow.created_at.desc(), RunRow.id).limit(limit).offset(offset)).all()
            jobs = {j.run_id: j for j in s.scalars(select(JobRow).where(JobRow.run_id.in_([r.id for r in runs])))} if runs else {}
            return [run_view(r, jobs.get(r.id)) for r in runs], total


def run_view(run: RunRow, job: JobRow | None, *, full: bool = False) -> dict[str, Any]:
    out = {"id": run.id, "system_id": run.system_id, "run_kind": (run.config or {}).get("run_kind"), "engine": run.kind,
           "suite": run.suite, "target": run.target, "status": run.status, "created_at": run.created_at,
           "started_at": run.started_at, "finished_at": run.finished_at,
           "progress": 1.0 if run.status == "completed" else (job.progress if job else 0.0),
           "message": job.message if job else None, "attempts": job.attempts if job else 0, "error": run.error,
           "summary": run.summary}
    if full:
        out["config"] = run.config
        out["result"] = run.result
    return out
