"""One executing process per run: a lease row with an owner and a heartbeat-extended expiry.

`tianping eval run` and `tianping eval resume` take the lease of their run before running any
sample and give it back at the end. A second process asking for a lease that is alive gets
`RunBusy` (the CLI shows it in the user's language) and runs nothing. A lease can be taken over
when it has expired (its owner stopped sending heartbeats, e.g. the machine died), or at once when
its owner is a process on this host that no longer exists (`kill -9`), which is checked through
the process id and its start time, so a recycled pid is not mistaken for the owner.

Every change is a single compare-and-set statement (INSERT of a new row; UPDATE … WHERE owner =
the owner that was read), so of two processes racing for a stale lease exactly one wins, on
SQLite and PostgreSQL alike. The heartbeat runs on a daemon thread with its own connections; if
it finds the lease taken by someone else (this process stalled past the expiry), `lost` is set
and the runner stops.

This is the one lease of a run, whoever executes it: the server's job worker takes it when it
claims a run's job (`server/jobs.py`, renewed by the job's heartbeat, `heartbeat=False` here) and
hands it to the engine; on the Ray backend the driver that holds it receives every finished sample
from the actors and stores it, so the lease — not the actors — decides who may write the run.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ...errors import TianpingError
from ...store.db import Database
from .models import GenaiRunLeaseRow

DEFAULT_TTL_S = 30.0


def _start_time(pid: int) -> str:
    """The process start time in clock ticks since boot (Linux), '' where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        return stat[stat.rindex(b")") + 2 :].split()[19].decode()
    except (OSError, ValueError, IndexError):
        return ""


def make_owner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}|{pid}|{_start_time(pid)}|{secrets.token_hex(4)}"


def owner_is_dead(owner: str) -> bool:
    """True only when `owner` is certainly gone: a process of this host that no longer runs."""
    try:
        host, pid_s, start, _ = owner.split("|")
        pid = int(pid_s)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by another user
        return False
    return bool(start) and _start_time(pid) not in ("", start)  # the pid was recycled


class RunBusy(TianpingError):
    """Another live process holds the run's lease."""

    def __init__(self, run_id: str, owner: str, expires_at: float) -> None:
        self.run_id, self.owner, self.expires_at = run_id, owner, expires_at
        host, pid = (owner.split("|") + ["?", "?"])[:2]
        self.host, self.pid = host, pid
        super().__init__(
            f"run {run_id} is being executed by another process (pid {pid} on {host}); "
            f"its lease expires in {max(0.0, expires_at - time.time()):.0f} s unless renewed",
            title="run busy",
        )


def _rowcount(result: Result[Any]) -> int:
    # Session.execute is typed to return Result, but for an UPDATE it returns a CursorResult, which has rowcount
    return cast("CursorResult[Any]", result).rowcount


@dataclass
class RunLease:
    db: Database
    run_id: str
    owner: str
    ttl: float = DEFAULT_TTL_S
    lost: bool = False

    @classmethod
    def acquire(cls, db: Database, run_id: str, *, ttl: float = DEFAULT_TTL_S, heartbeat: bool = True) -> RunLease:
        """Take the run's lease or raise RunBusy."""
        from .runner import utcnow

        owner = make_owner()
        now = time.time()
        try:
            with db.session() as s:
                s.execute(insert(GenaiRunLeaseRow).values(run_id=run_id, owner=owner, acquired_at=utcnow(), expires_at=now + ttl))
        except IntegrityError:
            with db.session() as s:
                row = s.execute(
                    select(GenaiRunLeaseRow.owner, GenaiRunLeaseRow.expires_at).where(GenaiRunLeaseRow.run_id == run_id)
                ).first()
            if row is None:  # released in between: try once more from the start
                return cls.acquire(db, run_id, ttl=ttl, heartbeat=heartbeat)
            old_owner, expires = row
            if expires > now and not owner_is_dead(old_owner):
                raise RunBusy(run_id, old_owner, expires) from None
            with db.session() as s:  # compare-and-set on the owner that was read
                taken = _rowcount(
                    s.execute(
                        update(GenaiRunLeaseRow)
                        .where(GenaiRunLeaseRow.run_id == run_id, GenaiRunLeaseRow.owner == old_owner)
                        .values(owner=owner, acquired_at=utcnow(), expires_at=time.time() + ttl)
                    )
                )
            if taken != 1:
                with db.session() as s:
                    row = s.execute(
                        select(GenaiRunLeaseRow.owner, GenaiRunLeaseRow.expires_at).where(GenaiRunLeaseRow.run_id == run_id)
                    ).first()
                raise RunBusy(run_id, *(row or (old_owner, expires))) from None
        lease = cls(db, run_id, owner, ttl)
        if heartbeat:
            lease._start_heartbeat()
        return lease

    def renew(self) -> bool:
        """Push the expiry forward; False (and `lost`) if another process has taken the lease."""
        with self.db.session() as s:
            n = _rowcount(
                s.execute(
                    update(GenaiRunLeaseRow)
                    .where(GenaiRunLeaseRow.run_id == self.run_id, GenaiRunLeaseRow.owner == self.owner)
                    .values(expires_at=time.time() + self.ttl)
                )
            )
        if n != 1:
            self.lost = True
        return not self.lost

    def _start_heartbeat(self) -> None:
        self._stop = threading.Event()

        def beat() -> None:
            while not self._stop.wait(self.ttl / 3):
                try:
                    if not self.renew():
                        return
                except Exception:  # a transient DB error: try again at the next beat
                    continue

        self._thread = threading.Thread(target=beat, name=f"lease-{self.run_id[:8]}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()
            self._thread.join(timeout=5)
        with self.db.session() as s:
            s.execute(
                delete(GenaiRunLeaseRow).where(GenaiRunLeaseRow.run_id == self.run_id, GenaiRunLeaseRow.owner == self.owner)
            )

    def __enter__(self) -> RunLease:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
