"""The filing workflow of a registered system: states, transitions and deadlines, as domain rules.

The rules live here, not in a front end: which action moves a filing from which state to which,
who may take it, what it needs (a comment, a date), what it changes (deadline, review comment,
the published copy) and what the audit event records. The server's `FilingService` loads the rows,
checks access and the ETag, calls these functions and writes the audit event in the same
transaction; any other front end (a CLI command, a batch job) applies the same rules the same way.

Workflow (modelled on China's algorithm filing and the EU database for high-risk systems):

    draft ──submit──► submitted ──start_review──► under_review ──approve──► approved ──publish──► published
      ▲                                             │                                              │
      └────────── returned ◄──────return────────────┘                 edit ──► changed ──start_review──┘
                                                                  withdraw (published/changed) ──► withdrawn

Deadlines (cn-algorithm-recommendation:art-24): a filing within 10 working days of launch
(`placed_on_market`), a change within 10 working days of its effective date, deregistration
within 20 working days of the end of the service. Working days are Monday to Friday
(`monitor.workdays` without a jurisdiction's holidays), so a deadline may be a few days early
around public holidays, never late.

A filing is any object with the attributes of the server's `FilingRow` that these functions read
and set (`status`, `deadline`, `deadline_kind`, `effective_date`, `review_comment`,
`filing_number`, `published_*`); a broken rule raises `FilingRuleError` with its kind
(`invalid`, `forbidden`, `conflict`), the message and the field it is about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..monitor.workdays import add_working_days

STATES = ("draft", "submitted", "under_review", "approved", "returned", "published", "changed", "withdrawn")
PUBLIC_STATES = ("published", "changed")  # "changed": the last approved copy stays public while the change is reviewed
EDITABLE = ("draft", "returned", "published", "changed")
DEADLINE_CITE = "cn-algorithm-recommendation:art-24"
DEADLINE_DAYS = {"filing": 10, "change": 10, "deregistration": 20}


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    needs_comment: bool = False
    needs_date: bool = False


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(("draft", "returned"), "submitted", ("provider", "admin")),
    "start_review": Transition(("submitted", "changed"), "under_review", ("reviewer", "admin")),
    "approve": Transition(("under_review",), "approved", ("reviewer", "admin")),
    "return": Transition(("under_review",), "returned", ("reviewer", "admin"), needs_comment=True),
    "publish": Transition(("approved",), "published", ("reviewer", "admin")),
    "withdraw": Transition(("published", "changed"), "withdrawn", ("provider", "admin"), needs_date=True),
}


class FilingRuleError(Exception):
    def __init__(self, kind: Literal["invalid", "forbidden", "conflict"], message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.field = kind, message, field


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def parse_date(value: str | None, field: str) -> dt.date:
    """An ISO date, or today when none is given."""
    if not value:
        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilingRuleError("invalid", f"'{value}' is not a date (YYYY-MM-DD)", field) from None


def deadline(kind: str, start: dt.date) -> tuple[str, str]:
    """(date, kind) of the deadline of a filing, change or deregistration that starts on `start`."""
    return add_working_days(start, DEADLINE_DAYS[kind]).isoformat(), kind


def open_filing(filing: Any, placed_on_market: dt.date | None) -> None:
    """A new filing: a draft, due within 10 working days of launch when the launch date is known."""
    filing.status = "draft"
    if placed_on_market:
        filing.deadline, filing.deadline_kind = deadline("filing", placed_on_market)


def check_editable(filing: Any) -> None:
    if filing.status not in EDITABLE:
        raise FilingRuleError(
            "conflict", f"a filing that is {filing.status} cannot be edited (wait for the review, or ask for it to be returned)"
        )


def apply_edit(
    filing: Any, *, placed_on_market: dt.date | None, effective_date: str | None, version: int
) -> dict[str, Any] | None:
    """A changed profile: a published filing becomes `changed` (due within 10 working days of the
    change's effective date); a draft's filing deadline follows a new launch date. Returns the
    audit data of a `filing.changed` event, or None when nothing worth an event changed."""
    check_editable(filing)
    before = filing.status
    if filing.status in PUBLIC_STATES:
        eff = parse_date(effective_date, "effective_date")
        filing.status = "changed"
        filing.effective_date = eff.isoformat()
        filing.deadline, filing.deadline_kind = deadline("change", eff)
    elif placed_on_market and filing.status == "draft":
        filing.deadline, filing.deadline_kind = deadline("filing", placed_on_market)
    if before == filing.status and before != "changed":
        return None
    return {
        "from": before,
        "to": filing.status,
        "version": version,
        "effective_date": filing.effective_date,
        "deadline": filing.deadline,
        "cites": [DEADLINE_CITE],
    }


def check_transition(filing: Any, action: str, role: str, *, own_organisation: bool, is_provider: bool) -> Transition:
    """The transition `action`, if `role` may take it from the filing's state (FilingRuleError otherwise)."""
    tr = TRANSITIONS.get(action)
    if tr is None:
        raise FilingRuleError("invalid", f"unknown action '{action}' (one of {', '.join(TRANSITIONS)})", "action")
    if role not in tr.roles or (is_provider and not own_organisation):
        raise FilingRuleError("forbidden", f"a {role} cannot {action} a filing")
    return tr


def apply_transition(
    filing: Any,
    action: str,
    *,
    version: int,
    document: dict[str, Any],
    name: str,
    now: str,
    comment: str | None = None,
    effective_date: str | None = None,
    number: Callable[[], str] | None = None,
) -> dict[str, Any]:
    """Take `action` on the filing (its role was checked by `check_transition`); returns the audit
    data of the `filing.<action>` event. `number` gives a new public filing number on first publication."""
    tr = TRANSITIONS[action]
    if filing.status not in tr.sources:
        raise FilingRuleError(
            "conflict", f"cannot {action} a filing that is {filing.status} (allowed from: {', '.join(tr.sources)})"
        )
    comment = (comment or "").strip() or None
    if tr.needs_comment and not comment:
        raise FilingRuleError("invalid", "say why the filing is returned", "comment")
    data: dict[str, Any] = {"from": filing.status, "to": tr.target, "version": version}
    if comment:
        data["comment"] = comment
    if action == "withdraw":  # checked before anything changes
        eff = parse_date(effective_date, "effective_date")
    filing.status = tr.target
    if action == "submit":
        if filing.deadline_kind == "filing" and filing.deadline:
            data["late"] = today().isoformat() > filing.deadline
        filing.deadline = filing.deadline_kind = None
        filing.review_comment = None
    elif action == "return":
        filing.review_comment = comment
    elif action == "approve":
        filing.review_comment = comment
        if filing.deadline_kind == "change":
            data["late"] = today().isoformat() > (filing.deadline or "")
            filing.deadline = filing.deadline_kind = None
    elif action == "publish":
        if filing.filing_number is None:
            if number is None:
                raise ValueError("publishing needs a filing number source")
            filing.filing_number = number()
        filing.published_document = document
        filing.published_name = name
        filing.published_name_zh = document.get("name_zh")
        filing.published_jurisdictions = list(document.get("jurisdictions") or [])
        filing.published_version = version
        filing.published_at = now
        data["filing_number"] = filing.filing_number
    elif action == "withdraw":
        filing.effective_date = eff.isoformat()
        filing.deadline, filing.deadline_kind = deadline("deregistration", eff)
        data.update(effective_date=filing.effective_date, deadline=filing.deadline, cites=[DEADLINE_CITE])
    return data


def deadline_view(filing: Any) -> dict[str, Any] | None:
    """The filing's open deadline: date, kind, working days, citation and whether it has passed."""
    if not filing.deadline:
        return None
    return {
        "date": filing.deadline,
        "kind": filing.deadline_kind,
        "working_days": DEADLINE_DAYS.get(filing.deadline_kind or "", None),
        "cites": [DEADLINE_CITE],
        "overdue": today().isoformat() > filing.deadline,
    }


def actions(status: str) -> list[str]:
    """The actions that a filing in `status` allows (whoever may take them)."""
    return [a for a, t in TRANSITIONS.items() if status in t.sources]
