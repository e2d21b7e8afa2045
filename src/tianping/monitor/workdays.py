"""Working days per jurisdiction, for filing and reporting deadlines.

A deadline in working days (工作日, "working days") skips the jurisdiction's weekly rest days and,
where the project records them, its public holidays. Every jurisdiction Tianping has a rule pack
for (CN, EU, the ASEAN members, US) rests on Saturday and Sunday. Public holidays and China's
adjusted weekend working days (调休) are NOT modelled yet: a computed working-day deadline can fall
a few days early around a holiday, never late, which is the safe side for a filer. Add dates to
`HOLIDAYS` (ISO 3166-1 code or EU -> set of dates) to refine it.

The arithmetic is the same as the server's filing deadlines (`tianping.server.workdays`: Monday
to Friday), so both give the same date for the same start; this module is the domain-level home
that adds the jurisdiction.
"""

from __future__ import annotations

import datetime as dt

WEEKEND: dict[str, frozenset[int]] = {}  # jurisdiction -> weekday numbers at rest; default below
DEFAULT_WEEKEND = frozenset({5, 6})  # Saturday, Sunday
HOLIDAYS: dict[str, frozenset[dt.date]] = {}
# what a reader is told about this (message `mon_workdays_note` of the catalogs): monitor.service.workdays_note()


def _key(jurisdiction: str | None) -> str:
    return (jurisdiction or "").strip().upper().split("-", 1)[0]


def is_working_day(day: dt.date, jurisdiction: str | None = None) -> bool:
    k = _key(jurisdiction)
    if day.weekday() in WEEKEND.get(k, DEFAULT_WEEKEND):
        return False
    return day not in HOLIDAYS.get(k, frozenset())


def add_working_days(start: dt.date, days: int, jurisdiction: str | None = None) -> dt.date:
    """The date `days` working days after `start` (the start day itself is not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    d, left = start, days
    while left > 0:
        d += dt.timedelta(days=1)
        if is_working_day(d, jurisdiction):
            left -= 1
    return d


def working_days_between(start: dt.date, end: dt.date, jurisdiction: str | None = None) -> int:
    """Working days after `start` up to and including `end` (negative when end is earlier)."""
    if end < start:
        return -working_days_between(end, start, jurisdiction)
    n, d = 0, start
    while d < end:
        d += dt.timedelta(days=1)
        if is_working_day(d, jurisdiction):
            n += 1
    return n
