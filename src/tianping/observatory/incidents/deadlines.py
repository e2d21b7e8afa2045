"""Reporting deadlines that apply to an incident.

EU AI Act Art. 73 (Regulation (EU) 2024/1689): providers of high-risk AI systems report a
serious incident (Art. 3(49)) immediately once a causal link is established or likely, and at
the latest 15 days after becoming aware (73(2)); 2 days for a widespread infringement or a
serious and irreversible disruption of critical infrastructure (73(3)); 10 days after a death
(73(4)). Checked against the Official Journal text (OJ L, 12.7.2024) in ../shared/reference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ...i18n import texts
from .schema import Incident

ART73 = "eu-ai-act:art-73"
ART3_49 = "eu-ai-act:art-3"


def _applies_from() -> dt.date | None:
    from ...catalog.loader import default_catalog

    inst = default_catalog().instruments.get("eu-ai-act")
    return inst.dates.applies_from if inst else None


def deadlines(inc: Incident) -> list[dict[str, Any]]:
    """Every regime we know of, with status applies / possibly / not_applicable and the reason."""
    eu = inc.eu_ai_act
    out: dict[str, Any] = {"regime": "eu-ai-act-art-73", "cites": [ART73]}
    if eu is None:
        return [{**out, "status": "unknown", "reason": texts("incident.eu73.no_facts")}]
    serious = (
        eu.death
        or eu.serious_health_harm
        or eu.critical_infrastructure_disruption
        or eu.fundamental_rights_infringement
        or eu.property_or_environment_harm
    )
    if not serious and not eu.widespread_infringement:
        return [{**out, "status": "not_applicable", "reason": texts("incident.eu73.not_serious")}]
    if eu.high_risk is False:
        return [{**out, "status": "not_applicable", "reason": texts("incident.eu73.high_risk_only")}]
    if eu.widespread_infringement or eu.critical_infrastructure_disruption:
        days, para = 2, "73(3)"
    elif eu.death:
        days, para = 10, "73(4)"
    else:
        days, para = 15, "73(2)"
    res = {
        **out,
        "status": "applies" if eu.high_risk else "possibly",
        "days": days,
        "paragraph": para,
        "report_by": (eu.aware_date + dt.timedelta(days=days)).isoformat() if eu.aware_date else None,
        "reason": texts("incident.eu73.report_by", art=para[:2], par=para[3:-1], days=days),
    }
    if eu.high_risk is None:
        res["question"] = texts("incident.eu73.ask_high_risk")
    if eu.aware_date is None:
        res["question_date"] = texts("incident.eu73.ask_aware_date")
    start = _applies_from()
    if start and eu.aware_date and eu.aware_date < start:
        res["note"] = texts("incident.eu73.before_application", date=start.isoformat())
    return [res]
