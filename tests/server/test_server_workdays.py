"""Working-day deadlines (cn-algorithm-recommendation:art-24): weekends are skipped."""

import datetime as dt

from tianping.server.workdays import add_working_days, working_days_between


def test_add_working_days_skips_weekends():
    fri = dt.date(2026, 1, 2)
    assert add_working_days(fri, 1) == dt.date(2026, 1, 5)
    assert add_working_days(fri, 10) == dt.date(2026, 1, 16)
    assert add_working_days(dt.date(2026, 3, 2), 20) == dt.date(2026, 3, 30)
    assert working_days_between(fri, dt.date(2026, 1, 16)) == 10
    assert working_days_between(dt.date(2026, 1, 16), fri) == -10
