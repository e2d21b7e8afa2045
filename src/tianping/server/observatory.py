"""The observatory in the web UI: the AI-divide index table and the incident list (read-only).

Both read the observatory's own services (`observatory.service`, `observatory.views`,
`observatory.incidents.service`); nothing here computes an index. A methodology run with its
Monte Carlo weight draws takes a moment, so the view is cached per (methodology, year, group)
until the stored indicator data change (their row count and newest import time are the key).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import func, select

from ..store import Database

METHODOLOGIES = ("unesco-ram", "government-readiness")
SEVERITIES = ("low", "moderate", "high", "critical")


class ObservatoryViews:
    def __init__(self, db: Database, size: int = 16):
        self.db, self.size = db, size
        self._cache: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _data_key(self) -> tuple:
        from ..observatory.models import IndicatorValueRow

        with self.db.session() as s:
            return tuple(s.execute(select(func.count(), func.max(IndicatorValueRow.imported_at))).one())

    def rankings(self, methodology: str, year: int | None = None, group_id: str | None = None) -> dict[str, Any]:
        """The ranking view (as `tianping divide rank --json`), sensitivity computed for the shown year only."""
        from ..observatory import views
        from ..observatory.countries import group
        from ..observatory.service import Observatory

        if group_id:
            group(group_id)  # an unknown group is the user's error, before any work
        key = (methodology, year, group_id, self._data_key())
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        obs = Observatory(self.db)
        run = obs.run(methodology, draws=0)  # the first pass decides the default year
        y = year if year is not None else run.default_year()
        if y in {int(v) for v in run.result.years}:
            run = obs.run(methodology, sensitivity_years=[y])
        view = views.rankings(run, y, group_id)
        view["years"] = [int(v) for v in run.result.years]
        with self._lock:
            self._cache[key] = view
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return view

    def incidents(self, severity: str | None = None) -> list[dict[str, Any]]:
        from ..observatory.incidents.service import IncidentService

        return IncidentService(self.db).list(severity=severity if severity in SEVERITIES else None)


def group_ids() -> list[str]:
    from ..observatory.countries import default_groups

    return sorted(default_groups())
