"""Turn an obligation's deadline, stated in words by the rule pack, into periods and dates.

Rule packs state deadlines in words ("within 10 working days of starting to provide the service",
"at the latest 15 days after becoming aware; 10 days in the event of a death"). This module reads
the numeric periods out of them: each is a number of working days or calendar days counted from
an event. When the event is one the profile dates (the launch: `placed_on_market`), the date is
computed; otherwise the period is reported as a rule to apply when the event happens.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .workdays import add_working_days

# "within 10 working days of X", "60 working days before X", "15 days after X", "within 24 hours"
_PERIOD = re.compile(
    r"(?P<n>\d+)\s+(?P<unit>working days?|business days?|calendar days?|days?|hours?|months?|years?)"
    r"(?:\s+(?P<rel>of|after|before|from)\s+(?P<anchor>[^;,.]+))?",
    re.I,
)
# events a profile dates: the launch
_LAUNCH = re.compile(
    r"start(ing)? to provide|placing on the market|placed on the market|launch|goes live|putting into service", re.I
)


@dataclass(frozen=True)
class Period:
    n: int
    unit: str  # working_days | days | hours | months | years
    relation: str | None  # of | after | before | from
    anchor: str | None  # the event in words, as the pack states it
    text: str  # the phrase it was read from

    @property
    def anchor_is_launch(self) -> bool:
        return bool(self.anchor and _LAUNCH.search(self.anchor))

    def due(self, start: dt.date, jurisdiction: str | None = None) -> dt.date | None:
        """The due date counted from `start` (None for hours, months and years, which need the time of day or a calendar rule)."""
        if self.unit == "working_days":
            return add_working_days(start, self.n, jurisdiction) if self.relation != "before" else None
        if self.unit == "days":
            return start + dt.timedelta(days=self.n) if self.relation != "before" else start - dt.timedelta(days=self.n)
        return None

    def as_dict(self) -> dict:
        return {"n": self.n, "unit": self.unit, "relation": self.relation, "anchor": self.anchor, "text": self.text}


def _unit(u: str) -> str:
    u = u.lower()
    if u.startswith(("working", "business")):
        return "working_days"
    if u.startswith(("day", "calendar")):
        return "days"
    if u.startswith("hour"):
        return "hours"
    if u.startswith("month"):
        return "months"
    return "years"


def periods(deadline: str | None) -> list[Period]:
    """Every numeric period in a deadline text; a period without its own event inherits the
    previous one's ("15 days after becoming aware; 10 days in the event of a death")."""
    if not deadline:
        return []
    out: list[Period] = []
    for m in _PERIOD.finditer(deadline):
        rel, anchor = m.group("rel"), m.group("anchor")
        if anchor is None and out:
            rel, anchor = out[-1].relation, out[-1].anchor
        out.append(
            Period(int(m.group("n")), _unit(m.group("unit")), rel and rel.lower(), anchor and anchor.strip(), m.group(0).strip())
        )
    return out
