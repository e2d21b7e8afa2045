"""SQLAlchemy 2 ORM models.

The catalog tables are a materialised, searchable copy of the YAML data files (which stay the
source of truth); `catalog_meta.data_hash` tells whether the copy is current.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class MetaEntry(Base):
    __tablename__ = "catalog_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class InstrumentRow(Base):
    __tablename__ = "instruments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title_en: Mapped[str] = mapped_column(Text)
    title_zh: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    jurisdiction: Mapped[str] = mapped_column(String(16))
    provision_count: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the validated instrument without provisions


class ProvisionRow(Base):
    __tablename__ = "provisions"
    qid: Mapped[str] = mapped_column(String(160), primary_key=True)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"), index=True)
    local_id: Mapped[str] = mapped_column(String(96))
    parent_qid: Mapped[str | None] = mapped_column(String(160), nullable=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    number: Mapped[str | None] = mapped_column(Text, nullable=True)
    title_en: Mapped[str] = mapped_column(Text)
    title_zh: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    verified: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)
    # CJK bigrams + words, so one plain word index serves Chinese and English alike
    search_text: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class PrincipleRow(Base):
    __tablename__ = "principles"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title_en: Mapped[str] = mapped_column(Text)
    title_zh: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class MappingRow(Base):
    __tablename__ = "mappings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(160), index=True)
    predicate: Mapped[str] = mapped_column(String(16))
    object: Mapped[str] = mapped_column(String(160), index=True)
    justification: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text)
    comment_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    mapping_set: Mapped[str] = mapped_column(String(64))


Index("ix_mappings_pair", MappingRow.subject, MappingRow.object)


class SystemRow(Base):
    """A registered AI system: the validated profile document plus bookkeeping."""

    __tablename__ = "systems"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str] = mapped_column(Text, index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))


class RunRow(Base):
    """One evaluation run (tabular or generative): its configuration, status and summary.

    Per-sample records of generative runs live in their own table (issue 5); the full result
    document of a run is `result` (JSON, the documented results schema of its engine).
    """

    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID
    system_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # tabular | genai
    suite: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | running | completed | failed | interrupted
    created_at: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    finished_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the run in the one typed evidence model (tianping.evidence), derived from `result` on every
    # write by the listener in tianping.evidence.store; NULL for rows written before migration 0011
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class AuditEventRow(Base):
    """One hash-chained audit event (see tianping.audit.log)."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    ts: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(128), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ChecklistAnswerRow(Base):
    """A system's answer to one process-checklist item (AI Verify, ISO/IEC 42001, NIST AI RMF)."""

    __tablename__ = "checklist_answers"
    system_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item: Mapped[str] = mapped_column(String(96), primary_key=True)  # qualified provision id
    answer: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[list[Any]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[str] = mapped_column(String(32))


class ClassificationSnapshotRow(Base):
    """A system's classification as stored by the monitor (tianping.monitor): what each rule pack
    said on a date, under which catalog and pack versions, and how it differs from the previous one."""

    __tablename__ = "classification_snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system_id: Mapped[str] = mapped_column(String(64), index=True)
    system_version: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[str] = mapped_column(String(40), index=True)
    as_of: Mapped[str] = mapped_column(String(10))
    catalog_hash: Mapped[str] = mapped_column(String(64))
    packs: Mapped[dict[str, Any]] = mapped_column(JSON)  # pack id -> {version, hash}
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # jurisdiction -> tier, obligations, upcoming
    diff: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # against the previous snapshot


def _store_evidence(mapper: Any, connection: Any, run: RunRow) -> None:
    """Whenever a run's results document is written, write its typed evidence beside it.

    Every engine and run kind stores runs through this model, so none of them can store a result
    without its evidence. The conversion never blocks the write: a document no adapter can read
    is stored as evidence with one `error` row (see tianping.evidence.adapters).
    """
    from sqlalchemy import inspect as sa_inspect

    state = sa_inspect(run)
    if run.result is None or not (
        state.attrs.result.history.has_changes() or state.attrs.status.history.has_changes() or run.evidence is None
    ):
        return
    from ..evidence.adapters import to_evidence  # the domain conversion, imported only when a result is written

    run.evidence = to_evidence(run).model_dump(mode="json", exclude_none=True)


event.listen(RunRow, "before_insert", _store_evidence)
event.listen(RunRow, "before_update", _store_evidence)
