"""A durable job queue in the database and the worker thread that drains it.

Why in the database: the server already depends on it, a queued job survives a restart without
another service (Redis, a broker), and the job's state is visible to every server process.

A worker claims a job by a conditional UPDATE (queued, or running with an expired lease) so two
workers never run the same job; while a handler runs, a heartbeat extends the lease. A worker
that dies (crash, kill -9, power loss) stops renewing; once the lease ends another worker — or
the same server after a restart — claims the job again and the handler resumes from the last
checkpoint it saved. A clean shutdown puts the running job straight back in the queue.

Handlers are plain functions registered by kind (`@job_handler("stub")`), so evaluation
engines add theirs without touching this module.

One lease per run: for a job that belongs to a run, the worker also takes the run's lease
(`evaluation.genai.lease.RunLease`, the same lease `tianping eval run/resume` takes) when it
claims the job, renews it with the job's heartbeat and hands it to the handler, which passes it to
the engine (or to the Ray driver it runs). So a CLI process and a server worker never execute the
same run at once, and a run whose executor died is taken over by whichever comes next — the
server's worker or `tianping eval resume`. A job whose run is leased elsewhere waits in the queue.
A cancelled job (status `cancelled`) is never claimed again; a running handler notices at its next
progress report (JobInterrupted) and stops.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Result, or_, select, update

from ..audit import append_event
from ..errors import TianpingError
from ..store import Database
from ..store.models import RunRow
from .models import JobRow
from .security import now_iso

log = logging.getLogger("tianping.server.jobs")


def _rowcount(result: Result[Any]) -> int:
    # Session.execute is typed to return Result, but for an UPDATE it returns a CursorResult, which has rowcount
    return cast("CursorResult[Any]", result).rowcount


class JobInterrupted(Exception):
    """Raised inside a handler when the worker is stopping or lost its lease; the job is requeued."""


@dataclass
class JobContext:
    """What a handler gets: its payload, the checkpoint it saved last time, and progress reporting."""

    db: Database
    job_id: str
    run_id: str | None
    payload: dict[str, Any]
    checkpoint: dict[str, Any] | None
    attempt: int
    _worker: Worker
    lease: Any = None  # the run's RunLease, held by this worker while the handler runs

    @property
    def run(self) -> str:
        """The id of the run this job executes (run-kind jobs are always enqueued with one)."""
        if self.run_id is None:
            raise RuntimeError(f"job {self.job_id} executes no run")
        return self.run_id

    @property
    def settings(self) -> Any:
        """The server's settings (backend, credentials key, uploads) or None outside a server."""
        return self._worker.settings

    def heartbeat(self) -> None:
        """Check the job is still ours (not cancelled, not taken over, worker not stopping)."""
        with self.db.session() as s:
            n = _rowcount(
                s.execute(
                    update(JobRow)
                    .where(JobRow.id == self.job_id, JobRow.worker == self._worker.name, JobRow.status == "running")
                    .values(lease_until=time.time() + self._worker.lease, updated_at=now_iso())
                )
            )
        if n != 1:
            raise JobInterrupted("the job was cancelled or taken over")
        if self._worker.stopping.is_set():
            raise JobInterrupted("worker stopping")
        if self.lease is not None and self.lease.lost:
            raise JobInterrupted("lost the run's lease")

    def progress(self, fraction: float, message: str | None = None, checkpoint: dict[str, Any] | None = None) -> None:
        """Record progress (0..1) and optionally a checkpoint to resume from; raises JobInterrupted
        when the worker is stopping or another worker took the job over."""
        with self.db.session() as s:
            values: dict[str, Any] = {
                "progress": max(0.0, min(1.0, float(fraction))),
                "updated_at": now_iso(),
                "lease_until": time.time() + self._worker.lease,
            }
            if message is not None:
                values["message"] = message[:500]
            if checkpoint is not None:
                values["checkpoint"] = checkpoint
            n = _rowcount(
                s.execute(
                    update(JobRow)
                    .where(JobRow.id == self.job_id, JobRow.worker == self._worker.name, JobRow.status == "running")
                    .values(**values)
                )
            )
        if n != 1:
            raise JobInterrupted("lost the job's lease")
        if self._worker.stopping.is_set():
            raise JobInterrupted("worker stopping")

    def sleep(self, seconds: float) -> None:
        if self._worker.stopping.wait(seconds):
            raise JobInterrupted("worker stopping")


# the result document of the run, or None when the handler stored it itself
Handler = Callable[[JobContext], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of `kind`. It returns the result document of the run."""

    def deco(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return deco


def enqueue(s, kind: str, payload: dict[str, Any], *, run_id: str | None = None, max_attempts: int = 3) -> JobRow:
    """Add a job inside the caller's transaction (so a run and its job exist together or not at all)."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for job kind '{kind}'")
    # microseconds: jobs are served in creation order, and several are often queued within a second
    created = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    job = JobRow(
        id=str(uuid.uuid4()),
        kind=kind,
        run_id=run_id,
        payload=payload,
        status="queued",
        attempts=0,
        max_attempts=max_attempts,
        progress=0.0,
        created_at=created,
        updated_at=created,
    )
    s.add(job)
    return job


@dataclass
class Worker:
    db: Database
    poll: float = 0.5
    lease: float = 30.0
    name: str = field(default_factory=lambda: f"w-{uuid.uuid4().hex[:12]}")
    stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    wake: threading.Event = field(default_factory=threading.Event)
    settings: Any = None
    _leases: dict[str, Any] = field(default_factory=dict)

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"tianping-worker-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                ran = self.run_once()
            except Exception:  # a database hiccup must not kill the worker thread
                log.exception("worker loop error")
                ran = False
            if not ran:
                self.wake.wait(self.poll)
                self.wake.clear()

    # -- one job ---------------------------------------------------------------
    def claim(self) -> JobRow | None:
        now = time.time()
        claimable = or_(JobRow.status == "queued", (JobRow.status == "running") & (JobRow.lease_until < now))
        with self.db.session() as s:
            ids = s.scalars(select(JobRow.id).where(claimable).order_by(JobRow.created_at, JobRow.id).limit(5)).all()
            for jid in ids:
                n = _rowcount(
                    s.execute(
                        update(JobRow)
                        .where(JobRow.id == jid, claimable)
                        .values(
                            status="running",
                            worker=self.name,
                            lease_until=now + self.lease,
                            attempts=JobRow.attempts + 1,
                            updated_at=now_iso(),
                        )
                    )
                )
                if n == 1:
                    job = s.get(JobRow, jid)
                    assert job is not None  # this transaction has just updated the row
                    s.refresh(job)
                    if job.attempts > job.max_attempts:
                        self._finish(s, job, "failed", error=f"gave up after {job.max_attempts} attempts (worker lost each time)")
                        return None
                    if job.run_id:
                        run = s.get(RunRow, job.run_id)
                        if run is not None:
                            if job.attempts > 1:
                                append_event(
                                    s, "run.resumed", "run", run.id, {"attempt": job.attempts, "job": job.id}, actor="worker"
                                )
                            run.status = "running"
                            run.started_at = run.started_at or now_iso()
                    return job
        return None

    def _take_run_lease(self, job: JobRow, run_id: str) -> bool:
        """Take the lease of the job's run `run_id`; if another process executes the run, put the job back."""
        from ..evaluation.genai.lease import RunBusy, RunLease

        try:
            self._leases[job.id] = RunLease.acquire(self.db, run_id, ttl=self.lease, heartbeat=False)
            return True
        except RunBusy:
            with self.db.session() as s:  # waiting for another executor is not a failed attempt
                s.execute(
                    update(JobRow)
                    .where(JobRow.id == job.id, JobRow.worker == self.name, JobRow.status == "running")
                    .values(status="queued", worker=None, lease_until=None, attempts=JobRow.attempts - 1)
                )
            return False

    def run_once(self) -> bool:
        job = self.claim()
        if job is None:
            return False
        if job.run_id and not self._take_run_lease(job, job.run_id):
            return False
        try:
            return self._run(job)
        finally:
            lease = self._leases.pop(job.id, None)
            if lease is not None:
                try:
                    lease.release()
                except Exception:  # noqa: BLE001 - it expires by itself
                    log.warning("could not release the lease of run %s", job.run_id)

    def _run(self, job: JobRow) -> bool:
        ctx = JobContext(
            self.db, job.id, job.run_id, job.payload, job.checkpoint, job.attempts, self, lease=self._leases.get(job.id)
        )
        beat = threading.Event()
        hb = threading.Thread(target=self._heartbeat, args=(job.id, beat), daemon=True)
        hb.start()
        try:
            handler = HANDLERS.get(job.kind)
            if handler is None:
                raise RuntimeError(f"no handler for job kind '{job.kind}' in this server")
            result = handler(ctx)
        except JobInterrupted:
            beat.set()
            self._requeue(job.id)
            return True
        except Exception as exc:  # the handler's failure is the run's failure, not the worker's
            beat.set()
            log.warning("job %s failed: %s", job.id, exc)
            with self.db.session() as s:
                row = s.get(JobRow, job.id)
                if row is not None and row.worker == self.name:
                    reason = exc.render() if isinstance(exc, TianpingError) else f"{type(exc).__name__}: {exc}"
                    self._finish(
                        s, row, "failed", error=reason[:4000], detail="".join(traceback.format_exception_only(type(exc), exc))
                    )
            return True
        beat.set()
        with self.db.session() as s:
            row = s.get(JobRow, job.id)
            if row is not None and row.worker == self.name and row.status == "running":
                self._finish(s, row, "done", result=result)
        return True

    def _heartbeat(self, job_id: str, done: threading.Event) -> None:
        while not done.wait(self.lease / 3):
            try:
                with self.db.session() as s:
                    s.execute(
                        update(JobRow)
                        .where(JobRow.id == job_id, JobRow.worker == self.name, JobRow.status == "running")
                        .values(lease_until=time.time() + self.lease)
                    )
                lease = self._leases.get(job_id)
                if lease is not None:
                    lease.renew()  # one heartbeat for the job and its run's lease
            except Exception:
                log.exception("heartbeat failed")

    def _requeue(self, job_id: str) -> None:
        with self.db.session() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.worker == self.name, JobRow.status == "running")
                .values(status="queued", worker=None, lease_until=None, updated_at=now_iso())
            )
            job = s.get(JobRow, job_id)
            if job is not None and job.run_id and job.status == "queued":
                run = s.get(RunRow, job.run_id)
                if run is not None:
                    run.status = "pending"

    def _finish(
        self,
        s,
        job: JobRow,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        detail: str | None = None,
    ) -> None:
        job.status = status
        job.lease_until = None
        job.updated_at = now_iso()
        job.error = error
        if status == "done":
            job.progress = 1.0
        run = s.get(RunRow, job.run_id) if job.run_id else None
        if run is not None:
            run.finished_at = now_iso()
            if status == "done":
                run.status = "completed"
                if result is not None:  # None: the engine's service stored the result itself
                    run.result = result
                    run.summary = result.get("summary", run.summary)
                append_event(
                    s,
                    "run.completed",
                    "run",
                    run.id,
                    {"system": run.system_id, "summary": run.summary, "attempts": job.attempts},
                    actor="worker",
                )
            else:
                run.status = "failed"
                run.error = error
                append_event(s, "run.failed", "run", run.id, {"system": run.system_id, "error": error}, actor="worker")
