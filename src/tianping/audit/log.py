"""An append-only, hash-chained event log in the database.

Each event commits to the previous one: `hash = SHA-256(canonical JSON of the event including
prev_hash)`. Editing, deleting, inserting or reordering any row breaks the chain at that row,
and `verify()` names the first bad entry. Events are appended inside the caller's transaction,
so a change and its audit event are stored together or not at all.

Appends are serialised: on PostgreSQL with a transaction-scoped advisory lock, on SQLite by the
database's single-writer lock (the insert happens in the same write transaction).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..store.models import AuditEventRow

GENESIS = "0" * 64
_ADVISORY_KEY = 0x7A1A9  # any constant: identifies "the audit chain" lock in PostgreSQL


def canonical_json(obj: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces, UTF-8) — the bytes that are hashed."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _digest(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def _hashed_fields(row: AuditEventRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "id": row.id,
        "ts": row.ts,
        "actor": row.actor,
        "action": row.action,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "data": row.data,
        "prev_hash": row.prev_hash,
    }


def default_actor() -> str:
    try:
        return f"local:{getpass.getuser()}"
    except Exception:  # pragma: no cover - no user database entry
        return "local:unknown"


def append_event(
    session: Session,
    action: str,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> AuditEventRow:
    """Append one event in the session's transaction and return it (flushed, not committed)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
    last = session.execute(select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(1)).scalar_one_or_none()
    row = AuditEventRow(
        seq=(last.seq + 1) if last else 1,
        id=str(uuid.uuid4()),
        ts=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        actor=actor or default_actor(),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        data=json.loads(canonical_json(data or {})),
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    row.hash = _digest(_hashed_fields(row))
    session.add(row)
    session.flush()
    return row


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: str | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class AuditLog:
    def __init__(self, db):
        self.db = db

    def events(self, *, limit: int | None = None, subject_id: str | None = None) -> list[dict[str, Any]]:
        with self.db.session() as s:
            q = select(AuditEventRow).order_by(AuditEventRow.seq)
            if subject_id:
                q = q.where(AuditEventRow.subject_id == subject_id)
            rows = s.scalars(q).all()
        out = [_row_dict(r) for r in rows]
        return out[-limit:] if limit else out

    def iter_jsonl(self) -> Iterator[str]:
        for e in self.events():
            yield canonical_json(e)

    def verify(self) -> VerifyResult:
        """Walk the chain in order; the first row whose content, link or position is wrong is named."""
        with self.db.session() as s:
            rows = s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)).all()
        prev = GENESIS
        for i, row in enumerate(rows, start=1):
            if row.seq != i:
                kind = "deleted or reordered" if row.seq > i else "inserted"
                return VerifyResult(
                    False, i - 1, row.seq, row.id, f"sequence gap: expected #{i}, found #{row.seq} ({kind} entry)"
                )
            if row.prev_hash != prev:
                return VerifyResult(
                    False,
                    i - 1,
                    row.seq,
                    row.id,
                    "does not link to the previous entry (an entry was deleted, inserted or reordered)",
                )
            if _digest(_hashed_fields(row)) != row.hash:
                return VerifyResult(False, i - 1, row.seq, row.id, "content does not match its hash (the entry was edited)")
            prev = row.hash
        return VerifyResult(True, len(rows))


def _row_dict(r: AuditEventRow) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "id": r.id,
        "ts": r.ts,
        "actor": r.actor,
        "action": r.action,
        "subject_type": r.subject_type,
        "subject_id": r.subject_id,
        "data": r.data,
        "prev_hash": r.prev_hash,
        "hash": r.hash,
    }
