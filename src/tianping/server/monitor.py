"""The monitor stage on the server: what changes and when for the systems a user may see
(API, calendar, page), and the scheduled re-classification that records every changed
classification in the audit trail when the catalog or a rule pack changes.

The logic is `tianping.monitor` (the same service as `tianping monitor`); this module only applies
the server's visibility rule and schedules `reclassify_all`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from ..monitor import service as monitor
from ..store import Database
from ..store.models import SystemRow
from .deps import current_user, services
from .filings import visible
from .models import FilingRow
from .principal import Principal
from .services import Services

log = logging.getLogger("tianping.server.monitor")
MAX_SYSTEMS = 500  # a page of the monitor covers at most this many systems (newest filings first)
DATE = r"^\d{4}-\d{2}-\d{2}$"


def visible_system_ids(db: Database, p: Principal, system_id: str | None = None) -> list[str]:
    q = select(SystemRow.id).outerjoin(FilingRow, FilingRow.system_id == SystemRow.id)
    q = visible(q, p)
    if system_id:
        q = q.where(SystemRow.id == system_id)
    with db.session() as s:
        return list(s.scalars(q.order_by(SystemRow.id).limit(MAX_SYSTEMS)))


def _report(svc: Services, p: Principal, as_of: dt.date | str | None, horizon: int, system: str | None) -> dict[str, Any]:
    ids = visible_system_ids(svc.db, p, system)
    if system and not ids:
        from .errors import not_found

        raise not_found(f"system '{system}'")
    if not ids:
        day = monitor.parse_date(as_of) or monitor.today()
        return {
            "as_of": day.isoformat(),
            "until": monitor.add_days(day, horizon).isoformat(),
            "horizon_days": horizon,
            "systems": [],
            "workdays_note": monitor.WORKDAYS_NOTE,
        }
    return monitor.monitor_report(svc.db, ids, as_of, horizon)


api = APIRouter(prefix="/api/v1", tags=["monitor"])


@api.get("/monitor", summary="What changes and when for the systems you may see (obligations, amendments, deadlines)")
def monitor_api(
    as_of: dt.date | None = Query(None, description="the day to look from (default today)"),
    horizon: int = Query(monitor.DEFAULT_HORIZON, ge=1, le=3650),
    system: str | None = Query(None, min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$"),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    return _report(svc, p, as_of, horizon, system)


@api.get(
    "/monitor.ics",
    summary="The same dates as an iCalendar file",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def monitor_ics(
    as_of: dt.date | None = Query(None, description="the day to look from (default today)"),
    horizon: int = Query(monitor.DEFAULT_HORIZON, ge=1, le=3650),
    system: str | None = Query(None, min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$"),
    lang: str = Query("en", pattern=r"^[a-zA-Z-]{2,10}$"),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> Response:
    from ..monitor.ical import report_to_ical

    body = report_to_ical(_report(svc, p, as_of, horizon, system), lang=lang)
    return Response(
        body, media_type="text/calendar", headers={"Content-Disposition": 'attachment; filename="tianping-monitor.ics"'}
    )


web = APIRouter(include_in_schema=False)


@web.get("/monitor", response_class=HTMLResponse)
def monitor_page(request: Request, svc: Services = Depends(services)):
    from .web import need_user, render

    p = need_user(request)
    as_of = request.query_params.get("as_of") or None
    report = _report(svc, p, as_of, monitor.DEFAULT_HORIZON, None)
    return render(request, "monitor.html", report=report)


class ReclassifyScheduler:
    """Re-classifies every registered system at start-up and then every `interval` seconds.

    `reclassify_all` stores a snapshot and audits a `system.reclassified` event only when a
    classification changed (a new catalog or pack version, an amendment's date arriving, an edited
    profile), so running it often costs a classification per system and writes nothing otherwise.
    """

    def __init__(self, db: Database, interval: float) -> None:
        self.db = db
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: list[dict[str, Any]] | None = None

    def run_once(self) -> list[dict[str, Any]]:
        self.last = monitor.reclassify_all(self.db, actor="system:monitor")
        changed = [x for x in self.last if x.get("changed")]
        if changed:
            log.info("re-classification: %d of %d systems changed", len(changed), len(self.last))
        return self.last

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a failed round is logged and retried at the next interval, never kills the server
                log.exception("scheduled re-classification failed")
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tianping-reclassify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
