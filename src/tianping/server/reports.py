"""Assessments and signed report bundles for the server.

The verdicts come from `assessment.assess`, the files from `reporting.build.report_files` and
the signature from `reporting.bundle.write_bundle` — nothing is re-implemented here. What the
server adds: the bundle is zipped and kept in the `reports` table (every server process can
serve it; a database backup keeps it), and the report row and its audit events are written in
one transaction. Verification unpacks the zip and runs the offline `verify_bundle`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ..assessment.assess import assess, runs_for_system
from ..assessment.checklists import stored_answers
from ..audit import append_event
from ..crypto import KeyPair, load_or_init_keys
from ..reporting.bundle import MANIFEST, BundleCheck, verify_bundle, write_bundle
from ..store import Database
from .errors import forbidden, invalid, not_found
from .filings import FilingService
from .models import ReportRow
from .principal import Principal
from .security import now_iso

MAX_UPLOAD = 50 * 1024 * 1024


def _as_of(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(f"'{value}' is not a date (YYYY-MM-DD)", field="as_of") from None


class ReportService:
    def __init__(self, db: Database, *, pdf: bool = False, keys_dir: Path | None = None):
        self.db = db
        self.pdf = pdf
        self.keys_dir = keys_dir
        self.filings = FilingService(db)
        self._key: KeyPair | None = None

    def key(self) -> KeyPair:
        if self._key is None:
            self._key = load_or_init_keys(self.keys_dir)
        return self._key

    def assessment(self, p: Principal, system_id: str, as_of: str | None = None, *, overrides: Any = None) -> dict[str, Any]:
        profile = self.filings.profile(p, system_id)
        try:
            return assess(
                profile,
                runs=runs_for_system(self.db, system_id),
                answers=stored_answers(self.db, system_id),
                as_of=_as_of(as_of),
                overrides=overrides,
            )
        except ValueError as exc:  # a threshold override without an operator for a metric that has none
            raise invalid(str(exc), field="thresholds") from None

    def create(self, p: Principal, system_id: str, as_of: str | None = None) -> dict[str, Any]:
        if p.role not in ("provider", "admin", "reviewer"):
            raise forbidden("auditors read and verify reports; they do not create them")
        from ..reporting.build import report_files  # matplotlib and WeasyPrint load only when a report is made

        result = self.assessment(p, system_id, as_of)
        files = report_files(result, pdf=self.pdf)
        key = self.key()
        meta = {"system": system_id, "runs": [r["id"] for r in result["runs"]], "totals": result["totals"]}
        with tempfile.TemporaryDirectory(prefix="tianping-report-") as tmp:
            bundle = write_bundle(Path(tmp) / "bundle", files, key, meta)
            manifest_sha = hashlib.sha256((bundle / MANIFEST).read_bytes()).hexdigest()
            archive = _zip_dir(bundle)
        rid = str(uuid.uuid4())
        with self.db.session() as s:
            row = ReportRow(
                id=rid,
                system_id=system_id,
                created_at=now_iso(),
                created_by=p.username,
                signer=key.fingerprint,
                manifest_sha256=manifest_sha,
                totals=result["totals"],
                runs=meta["runs"],
                size=len(archive),
                archive=archive,
            )
            s.add(row)
            append_event(
                s, "assessment.created", "system", system_id, {"totals": result["totals"], "runs": meta["runs"]}, actor=p.actor
            )
            append_event(
                s,
                "report.exported",
                "system",
                system_id,
                {"report": rid, "files": sorted(files), "signer": key.fingerprint, "manifest_sha256": manifest_sha},
                actor=p.actor,
            )
            s.flush()
            return report_view(row)

    def list(self, p: Principal, system_id: str, *, limit: int = 20, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        self.filings.profile(p, system_id)
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(ReportRow).where(ReportRow.system_id == system_id)) or 0
            rows = s.execute(
                select(
                    ReportRow.id,
                    ReportRow.system_id,
                    ReportRow.created_at,
                    ReportRow.created_by,
                    ReportRow.signer,
                    ReportRow.manifest_sha256,
                    ReportRow.totals,
                    ReportRow.runs,
                    ReportRow.size,
                )
                .where(ReportRow.system_id == system_id)
                .order_by(ReportRow.created_at.desc(), ReportRow.id)
                .limit(limit)
                .offset(offset)
            ).all()
            return [report_view(r) for r in rows], total

    def _row(self, p: Principal, report_id: str) -> ReportRow:
        with self.db.session() as s:
            row = s.get(ReportRow, report_id)
            if row is None:
                raise not_found(f"report '{report_id}'")
            try:
                self.filings.profile(p, row.system_id)
            except Exception:
                raise not_found(f"report '{report_id}'") from None
            return row

    def get(self, p: Principal, report_id: str) -> dict[str, Any]:
        return report_view(self._row(p, report_id))

    def download(self, p: Principal, report_id: str) -> tuple[str, bytes]:
        row = self._row(p, report_id)
        return f"tianping-report-{row.system_id}-{row.created_at[:10]}-{row.id[:8]}.zip", row.archive

    def verify_stored(self, p: Principal, report_id: str) -> dict[str, Any]:
        row = self._row(p, report_id)
        res = verify_archive(row.archive)
        out = res.as_dict()
        out["matches_record"] = res.ok and res.fingerprint == row.signer
        return out


def _zip_dir(directory: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(directory.iterdir()):
            zf.write(f, f.name)
    return buf.getvalue()


def verify_archive(data: bytes, expected_fingerprint: str | None = None) -> BundleCheck:
    """Unpack a bundle zip (flat, bounded in size) into a temporary directory and verify it offline."""
    if len(data) > MAX_UPLOAD:
        raise invalid("the archive is larger than 50 MB", field="file")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise invalid("not a zip archive of a report bundle", field="file") from None
    if sum(i.file_size for i in infos) > 4 * MAX_UPLOAD or len(infos) > 1000:
        raise invalid("the archive unpacks to too much data", field="file")
    with tempfile.TemporaryDirectory(prefix="tianping-verify-") as tmp:
        root = Path(tmp) / "bundle"
        root.mkdir()
        for info in infos:
            name = info.filename
            if info.is_dir() or "/" in name or "\\" in name or name in ("", ".", "..") or name.startswith("."):
                raise invalid(f"unexpected entry '{name[:80]}' in the archive (a bundle is a flat set of files)", field="file")
            try:
                (root / name).write_bytes(zf.read(info))
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
                raise invalid(f"cannot read '{name[:80]}' from the archive", field="file") from None
        return verify_bundle(root, expected_fingerprint=expected_fingerprint)


def report_view(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "system_id": r.system_id,
        "created_at": r.created_at,
        "created_by": r.created_by,
        "signer": r.signer,
        "manifest_sha256": r.manifest_sha256,
        "totals": r.totals,
        "runs": r.runs,
        "size": r.size,
    }
