"""One object holding the services the API and the web pages call, built once per app."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..catalog.service import CatalogService
from ..registry.profile import AISystem
from ..rules.engine import JurisdictionResult, classify
from ..store import Database
from . import stub  # noqa: F401  (registers the built-in "stub" run kind)
from .fastread import Reads
from .feedback import FeedbackService
from .filings import FilingService
from .observatory import ObservatoryViews
from .reports import ReportService
from .runs import RunService
from .security import LoginLimiter, SessionSigner
from .settings import ServerSettings

if TYPE_CHECKING:  # started by the app's lifespan; imported there
    from .jobs import Worker
    from .monitor import ReclassifyScheduler
    from .uploads import UploadJanitor


@dataclass
class Services:
    db: Database
    settings: ServerSettings
    catalog: CatalogService = field(init=False)
    filings: FilingService = field(init=False)
    runs: RunService = field(init=False)
    reports: ReportService = field(init=False)
    feedback: FeedbackService = field(init=False)
    limiter: LoginLimiter = field(init=False)
    signer: SessionSigner = field(init=False)
    reads: Reads = field(init=False)
    observatory: ObservatoryViews = field(init=False)
    # background threads the app's lifespan starts when it runs the worker (kept here for inspection)
    worker: Worker | None = field(init=False, default=None)
    reclassifier: ReclassifyScheduler | None = field(init=False, default=None)
    upload_janitor: UploadJanitor | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        st = self.settings
        self.catalog = CatalogService(self.db)
        self.filings = FilingService(self.db)
        self.runs = RunService(self.db)
        self.reports = ReportService(self.db, pdf=st.report_pdf, keys_dir=st.keys_dir)
        self.feedback = FeedbackService(self.db, per_hour=st.feedback_per_hour, salt=st.secret_key[:16])
        self.limiter = LoginLimiter(
            st.login_window_seconds,
            free_pair=st.login_free_pair,
            free_ip=st.login_free_ip,
            free_user=st.login_free_user,
            base=st.login_backoff_base_seconds,
            cap=st.login_backoff_cap_seconds,
            cap_user=st.login_backoff_cap_user_seconds,
        )
        self.signer = SessionSigner(st.secret_key, st.session_max_age)
        self.reads = Reads(self.db, self.filings, self.signer)  # the hot reads, on the event loop
        self.observatory = ObservatoryViews(self.db)
        self._cache: OrderedDict[tuple, list[JurisdictionResult]] = OrderedDict()
        self._lock = threading.Lock()

    def classify(self, profile: AISystem, as_of: dt.date | None = None) -> list[JurisdictionResult]:
        """Classification of a profile, memoised by its content (dashboards classify many systems)."""
        key = (profile.model_dump_json(exclude_none=True), as_of)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        res = classify(profile, as_of=as_of)
        with self._lock:
            self._cache[key] = res
            while len(self._cache) > 512:
                self._cache.popitem(last=False)
        return res

    def crosswalk_matrix(self, instruments: list[str] | None = None) -> dict[str, Any]:
        """How many direct provision↔provision mappings link each pair of instruments."""
        insts = [i["id"] for i in self.catalog.list_instruments()]
        chosen = [i for i in insts if not instruments or i in instruments]
        graph = self.catalog.graph()
        counts: dict[str, dict[str, int]] = {a: {b: 0 for b in chosen} for a in chosen}
        for src, edges in graph.edges.items():
            a = src.split(":", 1)[0]
            if a not in counts:
                continue
            for e in edges:
                b = e.target.split(":", 1)[0]
                if b in counts[a] and b != a:
                    counts[a][b] += 1
        return {"instruments": chosen, "counts": counts}


def recent_events(db: Database, limit: int, offset: int = 0, subject_id: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """A page of the audit trail, newest first (AuditLog.events reads the whole chain)."""
    from sqlalchemy import func, select

    from ..audit.log import _row_dict
    from ..store.models import AuditEventRow

    q = select(AuditEventRow)
    if subject_id:
        q = q.where(AuditEventRow.subject_id == subject_id)
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = s.scalars(q.order_by(AuditEventRow.seq.desc()).limit(limit).offset(offset)).all()
        return [_row_dict(r) for r in rows], total
