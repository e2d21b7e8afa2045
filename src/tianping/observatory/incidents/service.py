"""Store, query and link incidents; import AIID CSV snapshots.

Each incident row keeps the canonical document and its content hash. Reports, classifications
and system links are also written to their own tables for queries, but reads rebuild the
incident from the document, so what comes out is exactly what went in.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select

from ...errors import Problem, TianpingError
from ...store import Database
from ...yamlio import load_yaml_file, validation_problems
from ..models import IncidentClassificationRow, IncidentReportRow, IncidentRow, IncidentSystemRow
from .schema import Classification, Incident, Report, content_hash, suggested_severity


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class ImportResult:
    imported: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # same content hash already stored
    conflicts: list[str] = field(default_factory=list)  # same id, different content, not replaced

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": len(self.imported),
            "updated": len(self.updated),
            "duplicates": len(self.duplicates),
            "conflicts": self.conflicts,
        }


def load_incident_file(path: str | Path) -> Incident:
    doc = load_yaml_file(path)
    if not isinstance(doc.data, dict):
        raise TianpingError(
            Problem("expected a mapping at the top of the incident", file=str(path), line=1), title="invalid incident"
        )
    data = dict(doc.data)
    data.setdefault("id", str(uuid.uuid4()))
    try:
        return Incident.model_validate(data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid incident") from None


class IncidentService:
    def __init__(self, db: Database):
        self.db = db

    # ---------------------------------------------------------------- write
    def _write(self, s, inc: Incident, origin: str, row: IncidentRow | None = None) -> None:
        doc = inc.canonical()
        h = content_hash(doc)
        if row is None:
            row = IncidentRow(id=inc.id, created_at=_now())
            s.add(row)
        else:
            for t in (IncidentReportRow, IncidentClassificationRow, IncidentSystemRow):
                s.execute(delete(t).where(t.incident_id == inc.id))
        row.aiid_incident_id, row.title = inc.aiid_incident_id, inc.title
        row.date = inc.date.isoformat() if inc.date else None
        row.severity, row.content_hash, row.document, row.origin = inc.severity, h, doc, origin
        s.flush()
        for r in inc.reports:
            s.add(
                IncidentReportRow(
                    incident_id=inc.id,
                    report_number=r.report_number,
                    url=r.url,
                    title=r.title,
                    date_published=r.date_published.isoformat() if r.date_published else None,
                    language=r.language,
                    source_domain=r.source_domain,
                )
            )
        for c in inc.classifications:
            s.add(IncidentClassificationRow(incident_id=inc.id, namespace=c.namespace, attributes=c.attributes))
        for sid in dict.fromkeys(inc.systems):
            s.add(IncidentSystemRow(incident_id=inc.id, system_id=sid))

    def save(self, incidents: list[Incident], *, origin: str = "local", replace: bool = True) -> ImportResult:
        """Insert new incidents, skip exact duplicates (by content hash), update or refuse changed ones."""
        res = ImportResult()
        with self.db.session() as s:
            for inc in incidents:
                if inc.severity is None and (sev := suggested_severity(inc)):
                    inc = inc.model_copy(update={"severity": sev})
                h = content_hash(inc)
                if s.scalar(select(IncidentRow.id).where(IncidentRow.content_hash == h)):
                    res.duplicates.append(inc.id)
                    continue
                row = s.get(IncidentRow, inc.id)
                if row is not None and not replace:
                    res.conflicts.append(inc.id)
                    continue
                self._write(s, inc, origin, row)
                (res.updated if row is not None else res.imported).append(inc.id)
        return res

    def link(self, incident_id: str, system_ids: list[str], *, require_registered: bool = True) -> Incident:
        """Link registered systems (the link becomes part of the shared content)."""
        from ...store.models import SystemRow

        with self.db.session() as s:
            row = self._row(s, incident_id)
            if require_registered:
                missing = [sid for sid in system_ids if s.get(SystemRow, sid) is None]
                if missing:
                    raise TianpingError(
                        Problem(f"no registered system with id {', '.join(missing)}", field="system"), title="not found"
                    )
            inc = Incident.model_validate(row.document)
            inc = inc.model_copy(update={"systems": list(dict.fromkeys(inc.systems + system_ids))})
            self._write(s, inc, row.origin, row)
            return inc

    # ---------------------------------------------------------------- read
    def _row(self, s, incident_id: str) -> IncidentRow:
        row = s.get(IncidentRow, incident_id)
        if row is None and incident_id.isdigit():
            row = s.scalar(select(IncidentRow).where(IncidentRow.aiid_incident_id == int(incident_id)))
        if row is None:
            raise TianpingError(Problem(f"no incident with id '{incident_id}'", field="id"), title="not found")
        return row

    def get(self, incident_id: str) -> tuple[Incident, dict[str, Any]]:
        with self.db.session() as s:
            row = self._row(s, incident_id)
            return Incident.model_validate(row.document), {
                "content_hash": row.content_hash,
                "origin": row.origin,
                "created_at": row.created_at,
            }

    def all(self) -> list[Incident]:
        with self.db.session() as s:
            return [Incident.model_validate(r.document) for r in s.scalars(select(IncidentRow).order_by(IncidentRow.id))]

    def list(
        self, *, system: str | None = None, severity: str | None = None, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        with self.db.session() as s:
            q = select(IncidentRow)
            if system:
                q = q.where(
                    IncidentRow.id.in_(select(IncidentSystemRow.incident_id).where(IncidentSystemRow.system_id == system))
                )
            if severity:
                q = q.where(IncidentRow.severity == severity)
            if namespace:
                q = q.where(
                    IncidentRow.id.in_(
                        select(IncidentClassificationRow.incident_id).where(IncidentClassificationRow.namespace == namespace)
                    )
                )
            return [
                {
                    "id": r.id,
                    "aiid_incident_id": r.aiid_incident_id,
                    "title": r.title,
                    "date": r.date,
                    "severity": r.severity,
                    "systems": r.document.get("systems", []),
                    "reports": len(r.document.get("reports", [])),
                    "classifications": [c["namespace"] for c in r.document.get("classifications", [])],
                    "content_hash": r.content_hash,
                    "origin": r.origin,
                }
                for r in s.scalars(q.order_by(IncidentRow.date.desc(), IncidentRow.id))
            ]


# -------------------------------------------------------------------- AIID CSV snapshot
def _list(text: str | None) -> list[Any]:
    """AIID list cells are JSON arrays (["a","b"]), sometimes Python literals or ;-separated."""
    if text is None or not text.strip():
        return []
    t = text.strip()
    if t.startswith("["):
        for parse in (json.loads, ast.literal_eval):
            try:
                v = parse(t)
                return list(v) if isinstance(v, (list, tuple)) else [v]
            except (ValueError, SyntaxError):
                continue
    return [p.strip() for p in re.split(r"[;,]", t) if p.strip()]


def _date(text: str | None) -> dt.date | None:
    if not text or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _int(text: Any) -> int | None:
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return None


def _rows(path: str | Path) -> list[dict[str, str]]:
    p = Path(path)
    if not p.exists():
        raise TianpingError(Problem("file not found", file=str(p)), title="file not found")
    csv.field_size_limit(sys.maxsize)
    with open(p, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


_BOOKKEEPING = {"_id", "Incident ID", "incident_id", "Namespace", "namespace", "Published"}


def read_aiid(
    incidents_csv: str | Path, reports_csv: str | Path | None = None, classification_csvs: list[str | Path] | None = None
) -> list[Incident]:
    """Incidents from an AIID snapshot's CSV files (incidents.csv, reports.csv, classifications_*.csv)."""
    reports: dict[int, Report] = {}
    if reports_csv:
        for r in _rows(reports_csv):
            n = _int(r.get("report_number"))
            if n is None:
                continue
            reports[n] = Report(
                report_number=n,
                url=r.get("url") or None,
                title=r.get("title") or None,
                date_published=_date(r.get("date_published")),
                language=r.get("language") or None,
                source_domain=r.get("source_domain") or None,
                authors=[str(a) for a in _list(r.get("authors"))],
                description=r.get("description") or None,
            )
    classes: dict[int, list[Classification]] = {}
    for path in classification_csvs or []:
        m = re.match(r"classifications_(.+)\.csv$", Path(path).name)
        for r in _rows(path):
            iid = _int(r.get("Incident ID") or r.get("incident_id"))
            if iid is None:
                continue
            ns = r.get("Namespace") or r.get("namespace") or (m.group(1) if m else Path(path).stem)
            attrs = {k: v for k, v in r.items() if k and k not in _BOOKKEEPING and v not in (None, "")}
            if ns == "MIT" and (sub := re.match(r"^\s*(\d+\.\d+)", attrs.get("Risk Subdomain", ""))):
                attrs["tianping_provision"] = f"mit-ai-risk-domains:{sub.group(1)}"  # link to the catalog's MIT taxonomy
            classes.setdefault(iid, []).append(Classification(namespace=ns, attributes=attrs))
    out = []
    for lineno, r in enumerate(_rows(incidents_csv), start=2):
        iid = _int(r.get("incident_id"))
        if iid is None:
            raise TianpingError(
                Problem("missing or non-numeric incident_id", file=str(incidents_csv), line=lineno, field="incident_id"),
                title="invalid AIID file",
            )
        nums = [_int(x) for x in _list(r.get("reports"))]
        try:
            out.append(
                Incident(
                    id=f"aiid-{iid}",
                    aiid_incident_id=iid,
                    title=(r.get("title") or f"AIID incident {iid}").strip(),
                    description=r.get("description") or None,
                    date=_date(r.get("date")),
                    deployers=[str(x) for x in _list(r.get("Alleged deployer of AI system"))],
                    developers=[str(x) for x in _list(r.get("Alleged developer of AI system"))],
                    harmed_parties=[str(x) for x in _list(r.get("Alleged harmed or nearly harmed parties"))],
                    reports=[reports.get(n) or Report(report_number=n) for n in nums if n is not None],
                    classifications=classes.get(iid, []),
                )
            )
        except ValidationError as exc:
            raise TianpingError(
                [
                    Problem(e["msg"], file=str(incidents_csv), line=lineno, field=".".join(map(str, e["loc"])))
                    for e in exc.errors()
                ],
                title="invalid AIID file",
            ) from None
    return out
