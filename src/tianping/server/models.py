"""Tables the server adds to the shared schema (migrations 0008 and 0010).

Why separate from `store/models.py`: the CLI never needs users, filings or a job queue, and
keeping them here lets the server evolve without touching the single-user core. They share
`Base`, so one Alembic history covers both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..store.models import Base


class OrganisationRow(Base):
    """A provider organisation; providers only ever see their own organisation's systems."""

    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[str] = mapped_column(String(32))


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id
    role: Mapped[str] = mapped_column(String(16))  # provider | reviewer | auditor | admin
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), nullable=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # bumped on password change: every session cookie signed with an older epoch stops working
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[str] = mapped_column(String(32))


class ApiTokenRow(Base):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class LoginFailureRow(Base):
    """Failed logins, kept in the database so the rate limit holds across worker processes."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)  # "user:<name>" or "ip:<addr>"
    ts: Mapped[float] = mapped_column(Float, index=True)


class FilingRow(Base):
    """The filing (备案) of one registered system: owner, workflow state, deadlines, published copy.

    `revision` grows with every change to the system or the filing; it is the ETag, so an update
    sent with a stale If-Match is refused instead of silently overwriting someone else's work.
    """

    __tablename__ = "filings"
    system_id: Mapped[str] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    filing_number: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    deadline: Mapped[str | None] = mapped_column(String(10), nullable=True)  # ISO date
    deadline_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # filing | change | deregistration
    effective_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    review_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_name: Mapped[str | None] = mapped_column(Text, nullable=True)  # searchable without exposing unreviewed edits
    published_document: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    # what the register lists of the approved copy, so a page never parses documents (migration 0010)
    published_name_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_jurisdictions: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32), index=True)


Index("ix_filings_public_order", FilingRow.published_at, FilingRow.system_id)
# the public register (migration 0010): only published/changed rows, so pages and the count are index-only
REGISTER_WHERE = "status IN ('published', 'changed') AND published_at IS NOT NULL"
Index(
    "ix_filings_register",
    FilingRow.published_at,
    FilingRow.system_id,
    postgresql_where=text(REGISTER_WHERE),
    sqlite_where=text(REGISTER_WHERE),
)
Index("ix_filings_org_updated", FilingRow.organisation_id, FilingRow.updated_at, FilingRow.system_id)


class FeedbackRow(Base):
    """Public feedback on a published system; shown to the provider only after moderation."""

    __tablename__ = "feedback"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    system_id: Mapped[str] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lang: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | approved | rejected
    client: Mapped[str] = mapped_column(String(64))  # SHA-256 of the sender's address (rate limit only)
    created_at: Mapped[str] = mapped_column(String(32))
    moderated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    moderated_at: Mapped[str | None] = mapped_column(String(32), nullable=True)


class JobRow(Base):
    """A durable queue entry. A worker claims a job by setting a lease; a job whose lease ran out
    (its worker died) is claimed again, so a restart loses nothing."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), nullable=True, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)  # handler state to resume from
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))


Index("ix_jobs_status_created", JobRow.status, JobRow.created_at)


class ReportRow(Base):
    """A signed report bundle (zip of the bundle directory), stored in the database so every
    server process can serve it and a backup of the database keeps it."""

    __tablename__ = "reports"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    system_id: Mapped[str] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    signer: Mapped[str] = mapped_column(String(64))  # Ed25519 fingerprint
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    totals: Mapped[dict[str, Any]] = mapped_column()
    runs: Mapped[list[Any]] = mapped_column()
    size: Mapped[int] = mapped_column(Integer)
    archive: Mapped[bytes] = mapped_column(LargeBinary)
