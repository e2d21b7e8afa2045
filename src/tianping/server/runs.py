"""Evaluation runs started from the server: a `runs` row plus a queued job, created together.

Run kinds are pluggable: `register_run_kind(RunKind(...))` names a job handler and how to build
the run from the request. The real kinds (`run_kinds.py`) are `genai` — the generative-AI suites
against the bundled local model or an endpoint registered for the system — and `tabular` — an
uploaded dataset with an uploaded model or prediction columns; both create and execute their
runs through the engines' own services (`tianping.execution`). The `stub` kind ("demo
(simulated)", `stub.py`) invents its numbers and is offered only when the server setting
`demo_runs` (TIANPING_DEMO_RUNS=1) is on.

A run that fails validation is never created (the request gets a 422 naming the field); a run
that is created always has its job, or is removed again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update

from ..assessment.plan import engines_for
from ..audit import append_event
from ..registry.profile import AISystem
from ..store import Database
from ..store.models import RunRow
from .errors import conflict, forbidden, invalid, not_found
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
    # (profile, request config) -> (engine written to runs.kind, suite, target, validated config): the run row is made here
    prepare: Callable[[AISystem, dict[str, Any]], tuple[str, str, str, dict[str, Any]]] | None = None
    max_attempts: int = 3
    description: dict[str, str] = field(default_factory=dict)
    # (run service, system id, request config) -> (run id, job payload): the engine's service creates the run row itself
    create: Callable[[RunService, str, dict[str, Any]], tuple[str, dict[str, Any]]] | None = None
    # whether this server offers the kind (settings -> bool)
    enabled: Callable[[Any], bool] = lambda settings: True
    simulated: bool = False
    engine: str | None = None


RUN_KINDS: dict[str, RunKind] = {}


def register_run_kind(kind: RunKind) -> None:
    RUN_KINDS[kind.name] = kind


def _enabled(k: RunKind, settings: Any) -> bool:
    return k.job_kind in HANDLERS and (settings is None or bool(k.enabled(settings)))


def run_kinds(settings: Any = None) -> list[dict[str, Any]]:
    return [
        {
            "name": k.name,
            "title": k.title,
            "description": k.description,
            "available": _enabled(k, settings),
            "simulated": k.simulated,
            "engine": k.engine,
        }
        for k in RUN_KINDS.values()
        if settings is None or _enabled(k, settings)
    ]


def default_engine(profile: AISystem) -> str:
    engines = engines_for(profile.model_kinds)
    return "genai" if engines == {"genai"} else "tabular"


class RunService:
    def __init__(self, db: Database, settings: Any = None):
        self.db = db
        self.filings = FilingService(db)
        self.settings = settings
        self._endpoints = None
        self._uploads = None

    # -- what the real kinds need from the server's configuration ---------------------------------
    @property
    def endpoints(self):
        if self._endpoints is None:
            from ..execution.credentials import Vault
            from ..execution.endpoints import EndpointService

            st = self.settings
            self._endpoints = EndpointService(
                self.db, Vault.from_config(getattr(st, "credentials_key", None), getattr(st, "secret_key", None))
            )
        return self._endpoints

    @property
    def uploads(self):
        if self._uploads is None:
            from .uploads import UploadStore

            st = self.settings
            self._uploads = UploadStore(getattr(st, "uploads_dir", None), getattr(st, "max_upload_bytes", 200 * 1024 * 1024))
        return self._uploads

    def owned_profile(self, p: Principal, system_id: str) -> AISystem:
        profile = self.filings.profile(p, system_id)  # 404 when not visible
        if not (p.role == "admin" or p.is_provider):
            raise forbidden("only the owning provider (or an admin) starts runs and manages endpoints and uploads")
        return profile

    # -- runs ----------------------------------------------------------------------------------
    def start(self, p: Principal, system_id: str, kind: str, config: dict[str, Any] | None) -> dict[str, Any]:
        profile = self.owned_profile(p, system_id)
        rk = RUN_KINDS.get(kind)
        if rk is None or not _enabled(rk, self.settings):
            raise invalid(
                f"unknown run kind '{kind}' (available: {', '.join(k['name'] for k in run_kinds(self.settings))})", field="kind"
            )
        if config is not None and not isinstance(config, dict):
            raise invalid("config must be an object", field="config")
        if rk.create is not None:
            run_id, payload = rk.create(self, system_id, dict(config or {}))
            try:
                with self.db.session() as s:
                    run = s.get(RunRow, run_id)
                    assert run is not None  # rk.create has just stored it
                    run.config = {**(run.config or {}), "run_kind": kind}
                    job = enqueue(
                        s,
                        rk.job_kind,
                        {"system_id": system_id, "run_id": run_id, **payload},
                        run_id=run_id,
                        max_attempts=rk.max_attempts,
                    )
                    append_event(
                        s,
                        "run.queued",
                        "run",
                        run_id,
                        {"system": system_id, "kind": kind, "engine": run.kind, "job": job.id},
                        actor=p.actor,
                    )
                    s.flush()
                    return run_view(run, job)
            except Exception:
                with self.db.session() as s:  # never a run without its job
                    s.execute(delete(RunRow).where(RunRow.id == run_id))
                raise
        if rk.prepare is None:  # a kind gives create or prepare; a plug-in's kind is not checked for it
            raise RuntimeError(f"run kind '{kind}' has neither create nor prepare")
        engine, suite, target, cfg = rk.prepare(profile, dict(config or {}))
        with self.db.session() as s:
            run = RunRow(
                id=str(uuid.uuid4()),
                system_id=system_id,
                kind=engine,
                suite=suite,
                target=target,
                config={"run_kind": kind, **cfg},
                status="pending",
                created_at=now_iso(),
            )
            s.add(run)
            s.flush()
            job = enqueue(s, rk.job_kind, {"system_id": system_id, "config": cfg}, run_id=run.id, max_attempts=rk.max_attempts)
            append_event(
                s,
                "run.queued",
                "run",
                run.id,
                {"system": system_id, "kind": kind, "engine": engine, "job": job.id},
                actor=p.actor,
            )
            s.flush()
            return run_view(run, job)

    def _visible_run(self, p: Principal, s, run_id: str) -> RunRow:
        run = s.get(RunRow, run_id)
        if run is None or run.system_id is None:
            raise not_found(f"run '{run_id}'")
        try:
            self.filings.profile(p, run.system_id)
        except Exception:
            raise not_found(f"run '{run_id}'") from None
        return run

    def get(self, p: Principal, run_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            run = self._visible_run(p, s, run_id)
            job = s.scalars(select(JobRow).where(JobRow.run_id == run_id).order_by(JobRow.created_at.desc())).first()
            return run_view(run, job, full=True)

    def cancel(self, p: Principal, run_id: str) -> dict[str, Any]:
        """Stop a queued or running run: its job is withdrawn; a running handler stops at its next progress report."""
        with self.db.session() as s:
            run = self._visible_run(p, s, run_id)
            if not (p.role == "admin" or p.is_provider):
                raise forbidden("only the owning provider (or an admin) cancels runs")
            if run.status not in ("pending", "running", "interrupted"):
                raise conflict(f"the run is {run.status}; only a queued or running run can be cancelled", field="status")
            s.execute(
                update(JobRow)
                .where(JobRow.run_id == run_id, JobRow.status.in_(("queued", "running")))
                .values(
                    status="cancelled", worker=None, lease_until=None, updated_at=now_iso(), error=f"cancelled by {p.username}"
                )
            )
            run.status = "cancelled"
            run.finished_at = now_iso()
            run.error = f"cancelled by {p.username}"
            append_event(s, "run.cancelled", "run", run.id, {"system": run.system_id}, actor=p.actor)
            s.flush()
            job = s.scalars(select(JobRow).where(JobRow.run_id == run_id).order_by(JobRow.created_at.desc())).first()
            return run_view(run, job)

    def for_system(self, p: Principal, system_id: str, *, limit: int = 20, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        self.filings.profile(p, system_id)
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(RunRow).where(RunRow.system_id == system_id)) or 0
            runs = s.scalars(
                select(RunRow)
                .where(RunRow.system_id == system_id)
                .order_by(RunRow.created_at.desc(), RunRow.id)
                .limit(limit)
                .offset(offset)
            ).all()
            jobs = {j.run_id: j for j in s.scalars(select(JobRow).where(JobRow.run_id.in_([r.id for r in runs])))} if runs else {}
            return [run_view(r, jobs.get(r.id)) for r in runs], total

    # -- endpoints and uploads (the owning provider) ----------------------------------------------
    def register_endpoint(
        self, p: Principal, system_id: str, name: str, base_url: str, model: str, api_key: str | None
    ) -> dict[str, Any]:
        self.owned_profile(p, system_id)
        view = self.endpoints.register(system_id, name, base_url, model, api_key or None, actor=p.actor)
        with self.db.session() as s:  # the audit trail records that a key was set, never the key
            data = {"endpoint": view["id"], "name": view["name"], "base_url": view["base_url"], "has_key": view["has_key"]}
            append_event(s, "endpoint.registered", "system", system_id, data, actor=p.actor)
        return view

    def list_endpoints(self, p: Principal, system_id: str) -> list[dict[str, Any]]:
        self.filings.profile(p, system_id)
        return self.endpoints.list(system_id)

    def delete_endpoint(self, p: Principal, system_id: str, endpoint_id: str) -> None:
        self.owned_profile(p, system_id)
        self.endpoints.delete(system_id, endpoint_id)
        with self.db.session() as s:
            append_event(s, "endpoint.deleted", "system", system_id, {"endpoint": endpoint_id}, actor=p.actor)

    async def upload(self, p: Principal, system_id: str, name: str | None, chunks, declared: int | None = None) -> dict[str, Any]:
        self.owned_profile(p, system_id)
        return await self.uploads.save(system_id, name, chunks, actor=p.actor, declared=declared)


def run_view(run: RunRow, job: JobRow | None, *, full: bool = False) -> dict[str, Any]:
    cfg = run.config or {}
    out = {
        "id": run.id,
        "system_id": run.system_id,
        "run_kind": cfg.get("run_kind"),
        "engine": run.kind,
        "suite": run.suite,
        "target": run.target,
        "status": run.status,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "progress": 1.0 if run.status == "completed" else (job.progress if job else 0.0),
        "message": job.message if job else None,
        "attempts": job.attempts if job else 0,
        "error": run.error,
        "summary": run.summary,
        "simulated": cfg.get("run_kind") == "stub",
    }
    if full:
        out["config"] = {k: v for k, v in cfg.items() if not str(k).startswith("_")}
        out["result"] = run.result
        out["evidence"] = _evidence_rows(run)
    return out


def _evidence_rows(run: RunRow) -> list[dict[str, Any]]:
    """The run's typed evidence as flat rows for pages: test, metric, slice, value, threshold, status."""
    ev = getattr(run, "evidence", None) or {}
    rows = []
    for m in (ev.get("metrics") or [])[:500]:
        sl = m.get("slice") or {}
        thr = m.get("threshold") or {}
        rows.append(
            {
                "test": m.get("test"),
                "metric": m.get("metric"),
                "slice": ", ".join(f"{k}={v}" for k, v in sl.items() if v not in (None, "", [])),
                "value": m.get("value"),
                "n": m.get("n"),
                "threshold": f"{thr.get('op', '')} {thr.get('value')}" if thr.get("value") is not None else None,
                "status": m.get("status"),
            }
        )
    return rows
