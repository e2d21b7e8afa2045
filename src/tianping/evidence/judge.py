"""Judge one metric row against its threshold — the single place where a number becomes a status.

Every engine's own status is recomputed here from (value, interval, n, threshold), so a tabular
fairness gap, a TC260-003 gate and an imported Inspect score follow the same rules, and an
assessment can be re-scored with other thresholds without re-running tests.

Small samples: a row with fewer observations than its minimum never passes. It still fails when
its whole confidence interval lies on the failing side (the evidence is then clear despite the
small n, e.g. a refusal rate of 0.5 on 200 prompts against a 0.95 gate); otherwise it is
`insufficient_data`.
"""

from __future__ import annotations

import math

from .model import MetricRow, Threshold


def judge(
    value: float | None,
    threshold: Threshold | None,
    *,
    n: int | None = None,
    ci: tuple[float, float] | None = None,
    min_n: int | None = None,
    value_large_groups: float | None = None,
) -> tuple[str, str | None]:
    """(status, reason) for one value. `min_n` is the larger of the threshold's and the rules' minimum.

    `value_large_groups` (between-group rows) is the same quantity over only the groups that reach
    the minimum: a gap among large groups can only widen when small groups are added, so when it
    already fails or warns, that status stands despite the small groups.
    """
    if threshold is None:
        return "not_judged", None
    if value is None or not math.isfinite(value):
        return "insufficient_data", "no value (empty denominator or undefined)"
    need = max(threshold.min_n or 0, min_n or 0)
    small = need > 0 and (n is None or n < need)
    failing = not threshold.satisfied(value)
    if small:
        if failing and ci is not None and not threshold.satisfied(ci[0]) and not threshold.satisfied(ci[1]):
            return "fail", f"n={n} below the minimum {need}, but the whole interval fails"
        if value_large_groups is not None and math.isfinite(value_large_groups):
            if not threshold.satisfied(value_large_groups):
                return "fail", f"smallest group n={n} below {need}, but the groups that reach it already fail"
            if threshold.warn is not None and not threshold.satisfied(value_large_groups, threshold.warn):
                return "warn", f"smallest group n={n} below {need}, but the groups that reach it already warn"
        return "insufficient_data", f"n={'unknown' if n is None else n} below the minimum {need}"
    if failing:
        return "fail", None
    if threshold.warn is not None and not threshold.satisfied(value, threshold.warn):
        return "warn", None
    return "pass", None


# how bad a status is, for "the worse of two opinions"
SEVERITY = {"not_judged": 0, "pass": 1, "warn": 2, "insufficient_data": 3, "error": 4, "fail": 5}
# statuses a producer gives for reasons other than the threshold (an uncalibrated judge, errored
# samples, too small a group): no threshold change can lift them
STICKY = ("insufficient_data", "error")


def rejudge(row: MetricRow, *, threshold: Threshold | None = None, min_n: int | None = None) -> MetricRow:
    """A copy of the row judged by the shared rules (see `rejudged`)."""
    thr, status, note = rejudged(row, threshold=threshold, min_n=min_n)
    return row.model_copy(update={"threshold": thr, "status": status, "note": note})


def rejudged(
    row: MetricRow, *, threshold: Threshold | None = None, min_n: int | None = None
) -> tuple[Threshold | None, str, str | None]:
    """(threshold, status, note) of the row judged by the shared rules.

    Without a new threshold the result is the worse of the producer's status and the rules'
    (a disagreement can only make the row stricter). With a new threshold (re-scoring) the
    rules decide alone, except for the producer's sticky statuses. Rows without any threshold
    keep the producer's status only when it cannot make anything look better than it is:
    fail, warn, error and insufficient_data stay; a bare `pass` becomes `not_judged`.
    """
    thr = threshold if threshold is not None else row.threshold
    status: str
    if thr is None:
        status = row.status if row.status in ("fail", "warn", "error", "insufficient_data") else "not_judged"
        return None, status, row.note
    reason: str | None
    status, reason = judge(row.value, thr, n=row.n, ci=row.ci, min_n=min_n, value_large_groups=row.value_large_groups)
    if row.status in STICKY:
        status, reason = row.status, None
    elif threshold is None and SEVERITY.get(row.status, 0) > SEVERITY[status]:
        status, reason = row.status, "the producer judged it stricter than the shared rules"
    note = row.note
    if reason:
        note = reason if not note or reason in note else f"{note}; {reason}"
    return thr, status, note
