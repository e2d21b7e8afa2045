"""Register, read and classify AI systems. Used by the CLI (and later the API)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..audit import append_event, canonical_json
from ..errors import TianpingError
from ..store import Database
from ..store.models import SystemRow
from .profile import AISystem, load_profile_file  # noqa: F401  (reading a file needs no database: it lives with the model)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class RegistryService:
    def __init__(self, db: Database):
        self.db = db

    def register(self, system: AISystem, *, replace: bool = True, actor: str | None = None) -> dict[str, Any]:
        """Insert or update in one transaction; returns {'id', 'version', 'created'}."""
        with self.db.session() as s:
            return register_in(s, system, replace=replace, actor=actor)

    def get(self, system_id: str) -> AISystem:
        with self.db.session() as s:
            row = s.get(SystemRow, system_id)
            if row is None:
                raise TianpingError(f"no registered system with id '{system_id}' (and no such file)", title="not found")
            return AISystem.model_validate(row.document)

    def list(self) -> list[dict[str, Any]]:
        from sqlalchemy import select

        with self.db.session() as s:
            return [
                {"id": r.id, "name": r.name, "organisation": r.organisation, "version": r.version, "updated_at": r.updated_at}
                for r in s.scalars(select(SystemRow).order_by(SystemRow.id))
            ]

    def resolve(self, file_or_id: str) -> AISystem:
        p = Path(file_or_id)
        if p.suffix.lower() in (".yaml", ".yml", ".json") or p.exists():
            return load_profile_file(p)
        return self.get(file_or_id)


def register_in(s: Session, system: AISystem, *, replace: bool = True, actor: str | None = None) -> dict[str, Any]:
    """The body of `RegistryService.register` inside a caller's session, so a server can store
    its own rows (filing, ownership) and the audit event in the same transaction."""
    doc = system.model_dump(mode="json", exclude_none=True)
    digest = hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()
    row = s.get(SystemRow, system.id)
    if row is None:
        s.add(
            SystemRow(
                id=system.id,
                name=system.name,
                organisation=system.organisation.name,
                version=1,
                document=doc,
                created_at=_now(),
                updated_at=_now(),
            )
        )
        append_event(s, "system.registered", "system", system.id, {"version": 1, "document_sha256": digest}, actor=actor)
        return {"id": system.id, "version": 1, "created": True}
    if not replace:
        raise TianpingError(f"a system with id '{system.id}' is already registered", title="conflict")
    if row.document == doc:
        return {"id": system.id, "version": row.version, "created": False, "unchanged": True}
    row.name = system.name
    row.organisation = system.organisation.name
    changed = sorted(k for k in set(doc) | set(row.document) if doc.get(k) != row.document.get(k))
    row.document = doc
    row.version += 1
    row.updated_at = _now()
    append_event(
        s,
        "system.updated",
        "system",
        system.id,
        {"version": row.version, "document_sha256": digest, "changed_fields": changed},
        actor=actor,
    )
    return {"id": system.id, "version": row.version, "created": False}
