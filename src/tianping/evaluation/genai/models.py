"""ORM models of the per-sample log and the response cache (migration 0005).

`genai_samples` holds one row per completed sample with a unique (run_id, sample_id): a resumed
run skips what is there, and a second write of the same sample is rejected by the database, so a
run killed at any instant has no lost and no duplicated samples. The full `SampleRecord` is kept
as JSON beside a few indexed columns used for filtering.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ...store.models import Base


class GenaiSampleRow(Base):
    __tablename__ = "genai_samples"
    __table_args__ = (UniqueConstraint("run_id", "sample_id", name="uq_genai_samples_run_sample"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[str] = mapped_column(String(512))
    seq: Mapped[int] = mapped_column(Integer)
    bank: Mapped[str] = mapped_column(String(32))
    risk: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lang: Mapped[str] = mapped_column(String(8))
    attack: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8))
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    refused: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    finished_at: Mapped[str] = mapped_column(String(32))


class GenaiCacheRow(Base):
    """A target's response to exact messages and parameters (key = SHA-256 of all three)."""

    __tablename__ = "genai_cache"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(Text)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(32))


class GenaiRunLeaseRow(Base):
    """Who is executing a run right now (migration 0009): at most one process per run.

    `owner` names host, process id, process start time and a random token; `expires_at` (Unix
    seconds) is pushed forward by the owner's heartbeat. Another process may take the lease over
    once it has expired, or at once when the owner is a process on the same host that no longer
    exists (a `kill -9`). Changes are compare-and-set updates, so two takers cannot both win.
    """

    __tablename__ = "genai_run_leases"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[float] = mapped_column(Float)


class GenaiReviewRow(Base):
    """One sampled answer in a run's human review queue (migration 0014, evaluation/genai/review.py)."""

    __tablename__ = "genai_reviews"
    __table_args__ = (UniqueConstraint("run_id", "sample_id", name="uq_genai_reviews_run_sample"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[str] = mapped_column(String(512))
    stratum: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    labelled_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))
