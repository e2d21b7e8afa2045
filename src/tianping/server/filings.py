"""Systems as a server sees them: owned by an organisation and moving through a filing workflow.

The profile itself is stored by the registry service (`registry.service.register_in`) and the
workflow's rules — states, transitions, who may take them, deadlines, what publishing copies —
are the domain's (`registry.filing`). This module adds what only a server has: ownership and
access, optimistic concurrency (ETag / If-Match), the rows, the public register's reads and the
audit events, all in the transaction of the change.
"""

from __future__ import annotations

import builtins  # FilingService has a method named `list`: annotations inside it name the type explicitly
import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit import append_event
from ..registry.filing import (  # noqa: F401  (re-exported: api, web and fastread read them from here)
    DEADLINE_CITE,
    DEADLINE_DAYS,
    EDITABLE,
    PUBLIC_STATES,
    STATES,
    TRANSITIONS,
    FilingRuleError,
    Transition,
    actions,
    apply_edit,
    apply_transition,
    check_editable,
    check_transition,
    deadline_view,
    open_filing,
)
from ..registry.profile import AISystem
from ..registry.service import register_in
from ..store import Database
from ..store.models import SystemRow
from .accounts import ensure_organisation
from .errors import ServiceError, conflict, forbidden, id_unavailable, invalid, not_found
from .models import REGISTER_WHERE, FilingRow, OrganisationRow
from .principal import Principal
from .security import now_iso


def rule_error(exc: FilingRuleError) -> ServiceError:
    """The HTTP problem for a broken workflow rule (422, 403 or 409)."""
    if exc.kind == "forbidden":
        return forbidden(exc.message)
    if exc.kind == "conflict":
        return conflict(exc.message, field=exc.field)
    return invalid(exc.message, field=exc.field)


def etag(filing: FilingRow) -> str:
    return f'"r{filing.revision}"'


def check_if_match(filing: FilingRow, if_match: str | None, *, required: bool = True) -> None:
    """Optimistic concurrency: the client must send the ETag it read; a stale one is refused."""
    if if_match is None:
        if required:
            raise ServiceError(
                428,
                "send If-Match with the ETag you read (or the 'revision' field), so no update is lost",
                title="precondition required",
            )
        return
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" not in tags and etag(filing) not in tags:
        raise ServiceError(
            412, f"the system changed since you read it (now {etag(filing)}); reload and try again", title="precondition failed"
        )


def can_see(p: Principal | None, filing: FilingRow | None) -> bool:
    if p is None:
        return False
    if p.reads_all:
        return True
    if filing is None:  # registered outside the server (CLI): no owner, so admin/auditor only
        return False
    if p.role == "reviewer":
        return filing.status != "draft"
    return p.is_provider and filing.organisation_id == p.organisation_id


def visible(q: Select, p: Principal) -> Select:
    """Restrict a query over SystemRow (outer-joined to FilingRow) to what `p` may see."""
    if p.reads_all:
        return q
    if p.role == "reviewer":
        return q.where(FilingRow.status != "draft")
    return q.where(FilingRow.organisation_id == p.organisation_id)


def parse_profile(data: Any) -> AISystem:
    if not isinstance(data, dict):
        raise invalid("expected a JSON object (an AI-system profile)")
    try:
        return AISystem.model_validate(data)
    except ValidationError as exc:
        from ..errors import Problem, TianpingError

        raise TianpingError(
            [Problem(e["msg"], field=".".join(map(str, e["loc"])) or None) for e in exc.errors()], title="invalid profile"
        ) from None


def _owner_org(s: Session, p: Principal, system: AISystem) -> OrganisationRow:
    if p.is_provider:
        if system.organisation.name != p.organisation_name:
            raise invalid(f"organisation.name must be your organisation, '{p.organisation_name}'", field="organisation.name")
        return s.get_one(OrganisationRow, p.organisation_id)
    if p.role == "admin":
        return ensure_organisation(s, system.organisation.name, actor=p.actor)
    raise forbidden("only providers and admins register systems")


class FilingService:
    """Registration, updates, reads and workflow transitions, with access checks."""

    def __init__(self, db: Database):
        self.db = db

    # -- reads ---------------------------------------------------------------
    def _load(self, s: Session, p: Principal | None, system_id: str, *, lock: bool = False) -> tuple[SystemRow, FilingRow | None]:
        row = s.get(SystemRow, system_id, with_for_update=lock) if lock else s.get(SystemRow, system_id)
        filing = s.get(FilingRow, system_id, with_for_update=lock) if row is not None else None
        if row is None or not can_see(p, filing):
            raise not_found(f"system '{system_id}'")
        return row, filing

    def get(self, p: Principal | None, system_id: str) -> dict[str, Any]:
        from sqlalchemy.orm import Session

        with read_connection(self.db) as conn, Session(bind=conn) as s:
            row, filing = self._load(s, p, system_id)
            return system_view(s, row, filing)

    def profile(self, p: Principal | None, system_id: str) -> AISystem:
        with self.db.session() as s:
            row, _ = self._load(s, p, system_id)
            return AISystem.model_validate(row.document)

    def list(
        self, p: Principal, *, status: str | None = None, q: str | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of the systems `p` may see, most recently changed filing first.

        Only the listed columns are read (loading every profile document would dominate the cost
        of a page), and a provider's count and page come from the filings table's
        (organisation_id, updated_at) index without touching the systems table.
        """
        conds = []
        if status:
            if status not in STATES:
                raise invalid(f"unknown status '{status}' (one of {', '.join(STATES)})", field="status")
            conds.append(FilingRow.status == status)
        if q:
            like = f"%{q.lower()}%"
            conds.append(or_(func.lower(SystemRow.name).like(like), SystemRow.id.like(like)))
        joined = (
            select(FilingRow.system_id).outerjoin(SystemRow, SystemRow.id == FilingRow.system_id)
            if q
            else select(FilingRow.system_id)
        )
        if p.reads_all:  # admins and auditors also see systems registered outside the server (no filing)
            ids_q = select(SystemRow.id).outerjoin(FilingRow, FilingRow.system_id == SystemRow.id).where(*conds)
            order: tuple[Any, ...] = (FilingRow.updated_at.desc().nulls_last(), SystemRow.id)
        else:
            ids_q = visible(joined, p).where(*conds)
            order = (FilingRow.updated_at.desc(), FilingRow.system_id.desc())  # the org index, read backwards
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(ids_q.subquery())) or 0
            ids = list(s.scalars(ids_q.order_by(*order).limit(limit).offset(offset)))
            if not ids:
                return [], total
            rows = s.execute(
                select(
                    SystemRow.id,
                    SystemRow.name,
                    SystemRow.organisation,
                    SystemRow.version,
                    SystemRow.updated_at,
                    FilingRow.status,
                    FilingRow.revision,
                )
                .outerjoin(FilingRow, FilingRow.system_id == SystemRow.id)
                .where(SystemRow.id.in_(ids))
            ).all()
            by_id = {r.id: r for r in rows}
            return [
                {
                    "id": r.id,
                    "name": r.name,
                    "organisation": r.organisation,
                    "version": r.version,
                    "updated_at": r.updated_at,
                    "status": r.status,
                    "revision": r.revision,
                }
                for r in (by_id[i] for i in ids)
            ], total

    # -- writes --------------------------------------------------------------
    def create(self, p: Principal, system: AISystem) -> dict[str, Any]:
        try:
            with self.db.session() as s:
                org = _owner_org(s, p, system)
                if s.get(SystemRow, system.id) is not None:
                    raise id_unavailable(system.id)
                register_in(s, system, replace=False, actor=p.actor)
                now = now_iso()
                filing = FilingRow(
                    system_id=system.id, organisation_id=org.id, status="draft", revision=1, created_at=now, updated_at=now
                )
                open_filing(filing, system.placed_on_market)
                s.add(filing)
                append_event(
                    s,
                    "filing.created",
                    "system",
                    system.id,
                    {"status": "draft", "organisation": org.name, "deadline": filing.deadline},
                    actor=p.actor,
                )
                s.flush()
                row = s.get_one(SystemRow, system.id)
                return system_view(s, row, filing)
        except IntegrityError:  # a concurrent registration of the same id won
            raise id_unavailable(system.id) from None

    def update(
        self, p: Principal, system_id: str, system: AISystem, if_match: str | None, effective_date: str | None = None
    ) -> dict[str, Any]:
        if system.id != system_id:
            raise invalid(f"the profile's id '{system.id}' differs from the URL's '{system_id}'", field="id")
        with self.db.session() as s:
            row, filing = self._load(s, p, system_id, lock=True)
            if filing is None or not (p.role == "admin" or (p.is_provider and filing.organisation_id == p.organisation_id)):
                raise forbidden("only the owning provider (or an admin) changes a system")
            check_if_match(filing, if_match)
            try:
                check_editable(filing)
            except FilingRuleError as exc:
                raise rule_error(exc) from None
            org = s.get_one(OrganisationRow, filing.organisation_id)
            if system.organisation.name != org.name:
                raise invalid(f"organisation.name must stay '{org.name}'", field="organisation.name")
            res = register_in(s, system, replace=True, actor=p.actor)
            if res.get("unchanged"):
                return system_view(s, row, filing)
            try:
                data = apply_edit(
                    filing, placed_on_market=system.placed_on_market, effective_date=effective_date, version=res["version"]
                )
            except FilingRuleError as exc:
                raise rule_error(exc) from None
            filing.revision += 1
            filing.updated_at = now_iso()
            if data is not None:
                append_event(s, "filing.changed", "system", system_id, data, actor=p.actor)
            return system_view(s, row, filing)

    def transition(
        self,
        p: Principal,
        system_id: str,
        action: str,
        if_match: str | None,
        *,
        comment: str | None = None,
        effective_date: str | None = None,
    ) -> dict[str, Any]:
        if action not in TRANSITIONS:
            raise invalid(f"unknown action '{action}' (one of {', '.join(TRANSITIONS)})", field="action")
        with self.db.session() as s:
            row, filing = self._load(s, p, system_id, lock=True)
            if filing is None:
                raise conflict("this system was registered outside the server and has no filing")
            try:
                check_transition(
                    filing,
                    action,
                    p.role,
                    own_organisation=filing.organisation_id == p.organisation_id,
                    is_provider=p.is_provider,
                )
                check_if_match(filing, if_match)
                now = now_iso()
                data = apply_transition(
                    filing,
                    action,
                    version=row.version,
                    document=row.document,
                    name=row.name,
                    now=now,
                    comment=comment,
                    effective_date=effective_date,
                    number=lambda: _filing_number(s, row),
                )
            except FilingRuleError as exc:
                raise rule_error(exc) from None
            filing.revision += 1
            filing.updated_at = now
            append_event(s, f"filing.{action}", "system", system_id, data, actor=p.actor)
            return system_view(s, row, filing)

    # -- public register -----------------------------------------------------
    def public_list(self, *, q: str | None = None, limit: int = 20, offset: int = 0) -> tuple[builtins.list[dict[str, Any]], int]:
        cols = (
            FilingRow.system_id,
            FilingRow.filing_number,
            FilingRow.published_name,
            FilingRow.status,
            FilingRow.published_at,
            FilingRow.published_version,
            FilingRow.organisation_id,
            FilingRow.published_name_zh.label("name_zh"),
            FilingRow.published_jurisdictions.label("jurisdictions"),
        )
        # the literal predicate of the partial index ix_filings_register (migration 0010), so the
        # page and the count come from that index alone
        conds: builtins.list[Any] = [text(f"filings.{REGISTER_WHERE}".replace(" AND ", " AND filings."))]
        if q:
            like = f"%{q.lower()}%"
            conds.append(
                or_(
                    func.lower(FilingRow.published_name).like(like),
                    FilingRow.system_id.like(like),
                    func.lower(FilingRow.filing_number).like(like),
                )
            )
        with self.db.session() as s:
            total = _count_cache.get(None) if not q else None
            if total is None:
                total = s.scalar(select(func.count()).select_from(FilingRow).where(*conds)) or 0
                if not q:
                    _count_cache.put(None, total)
            # ids first (index only), then the 20 rows: skipped rows never have their documents read
            ids = list(
                s.scalars(
                    select(FilingRow.system_id)
                    .where(*conds)
                    .order_by(FilingRow.published_at.desc(), FilingRow.system_id.desc())
                    .limit(limit)
                    .offset(offset)
                )
            )
            found = {r.system_id: r for r in s.execute(select(*cols).where(FilingRow.system_id.in_(ids)))} if ids else {}
            rows = [found[i] for i in ids]
            orgs = _org_names(s, {r.organisation_id for r in rows})
            return [
                {
                    "id": r.system_id,
                    "filing_number": r.filing_number,
                    "name": r.published_name,
                    "name_zh": r.name_zh,
                    "organisation": orgs.get(r.organisation_id),
                    "jurisdictions": r.jurisdictions or [],
                    "status": r.status,
                    "published_at": r.published_at,
                    "version": r.published_version,
                }
                for r in rows
            ], total

    def public_get(self, system_id: str) -> dict[str, Any]:
        # one query on an autocommit connection: the register's most frequent read, kept cheap
        q = (
            select(
                FilingRow.system_id,
                FilingRow.filing_number,
                FilingRow.status,
                FilingRow.published_at,
                FilingRow.published_version,
                FilingRow.published_document,
                OrganisationRow.name.label("org"),
            )
            .outerjoin(OrganisationRow, OrganisationRow.id == FilingRow.organisation_id)
            .where(FilingRow.system_id == system_id, FilingRow.status.in_(PUBLIC_STATES))
        )
        with read_connection(self.db) as conn:
            row = conn.execute(q).first()
        if row is None or row.published_document is None:
            raise not_found(f"published system '{system_id}'")
        return public_view(row, row.org, full=True)


def read_connection(db: Database):
    """A connection for a single read: autocommit, so no BEGIN/COMMIT round trips."""
    if db.dialect == "postgresql":
        return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    return db.engine.connect()


class _CountCache:
    """The public register's total, cached for a few seconds: counting 100,000 rows on every page
    view would cost more than the page itself (see docs/benchmarks.md)."""

    def __init__(self, ttl: float = 5.0):
        import threading
        import time

        self.ttl, self._time, self._lock = ttl, time.monotonic, threading.Lock()
        self._value: tuple[float, int] | None = None

    def get(self, _key: None) -> int | None:
        with self._lock:
            if self._value and self._time() - self._value[0] < self.ttl:
                return self._value[1]
        return None

    def put(self, _key: None, value: int) -> None:
        with self._lock:
            self._value = (self._time(), value)

    def clear(self) -> None:
        with self._lock:
            self._value = None


_count_cache = _CountCache()


def _filing_number(s: Session, row: SystemRow) -> str:
    """A stable public number like TP-2026-0000042 (year of first publication, running count)."""
    n = (s.scalar(select(func.count()).select_from(FilingRow).where(FilingRow.filing_number.is_not(None))) or 0) + 1
    year = dt.datetime.now(dt.UTC).year
    while s.scalar(select(FilingRow.system_id).where(FilingRow.filing_number == f"TP-{year}-{n:07d}")):
        n += 1
    _count_cache.clear()
    return f"TP-{year}-{n:07d}"


def _org_names(s: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(s.execute(select(OrganisationRow.id, OrganisationRow.name).where(OrganisationRow.id.in_(ids))).all())


def filing_view(f: FilingRow | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "status": f.status,
        "revision": f.revision,
        "etag": etag(f),
        "filing_number": f.filing_number,
        "deadline": deadline_view(f),
        "effective_date": f.effective_date,
        "review_comment": f.review_comment,
        "published_at": f.published_at,
        "published_version": f.published_version,
        "actions": actions(f.status),
        "updated_at": f.updated_at,
    }


def summary_view(s: Session, row: SystemRow, f: FilingRow | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "organisation": row.organisation,
        "version": row.version,
        "updated_at": row.updated_at,
        "status": f.status if f else None,
        "revision": f.revision if f else None,
    }


def system_view(s: Session, row: SystemRow, f: FilingRow | None) -> dict[str, Any]:
    return {**summary_view(s, row, f), "profile": row.document, "filing": filing_view(f)}


def public_view(f: Any, org_name: str | None, *, full: bool = False) -> dict[str, Any]:
    doc = f.published_document or {}
    out = {
        "id": f.system_id,
        "filing_number": f.filing_number,
        "name": doc.get("name"),
        "name_zh": doc.get("name_zh"),
        "organisation": org_name,
        "jurisdictions": doc.get("jurisdictions", []),
        "status": f.status,
        "published_at": f.published_at,
        "version": f.published_version,
    }
    if full:
        out["profile"] = {
            k: doc[k]
            for k in (
                "name",
                "name_zh",
                "intended_purpose",
                "sector",
                "use_cases",
                "model_kinds",
                "jurisdictions",
                "lifecycle",
                "placed_on_market",
                "autonomy",
            )
            if k in doc
        }
        out["profile"]["organisation"] = {"name": org_name}
    return out
