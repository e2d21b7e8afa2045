"""ORM models of the observatory (migration 0004).

Indicator values are stored long (indicator, country, year) because importers deliver them that
way and because every value must keep its own source and licence. Incidents keep their
validated document (the exact content that is hashed and shared) next to queryable columns, so
an import → export → import round trip can be lossless by construction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..store.models import Base


class IndicatorRow(Base):
    """One indicator's definition as imported (name, unit, where it came from)."""

    __tablename__ = "obs_indicators"
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    name_en: Mapped[str] = mapped_column(Text)
    name_zh: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str] = mapped_column(Text)
    licence: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[str] = mapped_column(String(32))


class IndicatorValueRow(Base):
    """One observation: country × year × indicator, with its own source and licence."""

    __tablename__ = "obs_values"
    indicator: Mapped[str] = mapped_column(String(96), primary_key=True)
    country: Mapped[str] = mapped_column(String(3), primary_key=True)  # ISO 3166-1 alpha-3
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    licence: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[str] = mapped_column(String(32))


Index("ix_obs_values_country", IndicatorValueRow.country)


class IncidentRow(Base):
    """An incident: queryable columns plus the canonical document that is hashed and shared."""

    __tablename__ = "obs_incidents"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    aiid_incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    title: Mapped[str] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(71), unique=True)  # "sha256:" + 64 hex
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(160))  # "local", "aiid:<file>" or "bundle:<fingerprint>"
    created_at: Mapped[str] = mapped_column(String(32))


class IncidentReportRow(Base):
    """A report (news article, paper, filing) about an incident, as in the AIID."""

    __tablename__ = "obs_incident_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("obs_incidents.id", ondelete="CASCADE"), index=True)
    report_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_published: Mapped[str | None] = mapped_column(String(10), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    source_domain: Mapped[str | None] = mapped_column(String(255), nullable=True)


class IncidentClassificationRow(Base):
    """One taxonomy's attributes for an incident (namespace CSETv1, MIT, GMF, OECD…)."""

    __tablename__ = "obs_incident_classifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("obs_incidents.id", ondelete="CASCADE"), index=True)
    namespace: Mapped[str] = mapped_column(String(32), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)


class IncidentSystemRow(Base):
    """Link from an incident to a registered AI system (the system may live elsewhere)."""

    __tablename__ = "obs_incident_systems"
    incident_id: Mapped[str] = mapped_column(ForeignKey("obs_incidents.id", ondelete="CASCADE"), primary_key=True)
    system_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
