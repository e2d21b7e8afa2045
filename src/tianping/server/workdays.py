"""Working-day arithmetic for filing deadlines.

China's algorithm filing counts working days (工作日): changes are filed within 10 and a
discontinued service is deregistered within 20 (cn-algorithm-recommendation:art-24). We count
Monday to Friday; public holidays and the adjusted weekend working days of the State Council's
holiday calendar are not modelled, so a deadline may be a few days early around holidays
(never late).
"""

from __future__ import annotations

import datetime as dt


def add_working_days(start: dt.date, days: int) -> dt.date:
    d = start
    left = days
    while left > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            left -= 1
    return d


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative when end is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    n, d = 0, start
    while d < end:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n += 1
    return n
