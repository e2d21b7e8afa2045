"""Public feedback on published systems (social supervision), moderated before anyone sees it.

Anyone may write about a published system; the message waits as `pending` until a reviewer
approves or rejects it. Approved feedback is shown to the owning provider and to reviewers; it
is not republished to the public (moderation protects against defamation and personal data).
Senders are rate limited by a hash of their address; the address itself is not stored.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

from sqlalchemy import func, select

from ..audit import append_event
from ..store import Database
from .errors import ServiceError, forbidden, invalid, not_found
from .filings import PUBLIC_STATES, FilingService
from .models import FeedbackRow, FilingRow
from .principal import Principal
from .security import now_iso

STATUSES = ("pending", "approved", "rejected")


class FeedbackService:
    def __init__(self, db: Database, *, per_hour: int = 10, salt: str = ""):
        self.db = db
        self.per_hour = per_hour
        self.salt = salt
        self.filings = FilingService(db)

    def submit(self, system_id: str, message: str, contact: str | None, lang: str, client: str) -> dict[str, Any]:
        message = (message or "").strip()
        if not 5 <= len(message) <= 4000:
            raise invalid("write between 5 and 4,000 characters", field="message")
        contact = (contact or "").strip()[:200] or None
        client_hash = hashlib.sha256((self.salt + client).encode()).hexdigest()
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 3600))
        with self.db.session() as s:
            f = s.get(FilingRow, system_id)
            if f is None or f.status not in PUBLIC_STATES:
                raise not_found(f"published system '{system_id}'")
            recent = (
                s.scalar(
                    select(func.count())
                    .select_from(FeedbackRow)
                    .where(FeedbackRow.client == client_hash, FeedbackRow.created_at > since)
                )
                or 0
            )
            if recent >= self.per_hour:
                err = ServiceError(
                    429, "too much feedback from your address in the last hour; try later", title="too many requests"
                )
                err.retry_after = 3600
                raise err
            row = FeedbackRow(
                id=str(uuid.uuid4()),
                system_id=system_id,
                message=message,
                contact=contact,
                lang="zh" if lang == "zh" else "en",
                status="pending",
                client=client_hash,
                created_at=now_iso(),
            )
            s.add(row)
            append_event(s, "feedback.received", "system", system_id, {"feedback": row.id}, actor="public")
            return {"id": row.id, "status": "pending"}

    def for_system(self, p: Principal, system_id: str) -> list[dict[str, Any]]:
        self.filings.profile(p, system_id)  # 404 if not visible
        q = select(FeedbackRow).where(FeedbackRow.system_id == system_id)
        if not (p.can_review or p.reads_all):
            q = q.where(FeedbackRow.status == "approved")
        with self.db.session() as s:
            return [feedback_view(r, with_contact=p.can_review) for r in s.scalars(q.order_by(FeedbackRow.created_at.desc()))]

    def queue(
        self, p: Principal, *, status: str = "pending", limit: int = 20, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        if not p.can_review:
            raise forbidden("only reviewers moderate feedback")
        if status not in STATUSES:
            raise invalid(f"unknown status '{status}'", field="status")
        with self.db.session() as s:
            base = select(FeedbackRow).where(FeedbackRow.status == status)
            total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
            rows = s.scalars(base.order_by(FeedbackRow.created_at, FeedbackRow.id).limit(limit).offset(offset)).all()
            return [feedback_view(r, with_contact=True) for r in rows], total

    def moderate(self, p: Principal, feedback_id: str, decision: str) -> dict[str, Any]:
        if not p.can_review:
            raise forbidden("only reviewers moderate feedback")
        if decision not in ("approved", "rejected"):
            raise invalid("decision is 'approved' or 'rejected'", field="decision")
        with self.db.session() as s:
            row = s.get(FeedbackRow, feedback_id)
            if row is None:
                raise not_found(f"feedback '{feedback_id}'")
            before = row.status
            row.status, row.moderated_by, row.moderated_at = decision, p.username, now_iso()
            append_event(
                s,
                "feedback.moderated",
                "system",
                row.system_id,
                {"feedback": row.id, "from": before, "to": decision},
                actor=p.actor,
            )
            return feedback_view(row, with_contact=True)


def feedback_view(r: FeedbackRow, *, with_contact: bool) -> dict[str, Any]:
    out = {
        "id": r.id,
        "system_id": r.system_id,
        "message": r.message,
        "lang": r.lang,
        "status": r.status,
        "created_at": r.created_at,
        "moderated_by": r.moderated_by,
        "moderated_at": r.moderated_at,
    }
    if with_contact:
        out["contact"] = r.contact
    return out
