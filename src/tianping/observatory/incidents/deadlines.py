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
        return [{**out, "status": "unknown", "reason": {"en": "no EU AI Act facts recorded (eu_ai_act)", "zh": "未记录欧盟《人工智能法》相关事实（eu_ai_act）"}}]
    serious = eu.death or eu.serious_health_harm or eu.critical_infrastructure_disruption or eu.fundamental_rights_infringement \
        or eu.property_or_environment_harm
    if not serious and not eu.widespread_infringement:
        return [{**out, "status": "not_applicable", "reason": {"en": "not a serious incident under Art. 3(49)", "zh": "不属于第3条第(49)项所称严重事件"}}]
    if eu.high_risk is False:
        return [{**out, "status": "not_applicable", "reason": {"en": "Art. 73 binds providers of high-risk AI systems only", "zh": "第73条仅约束高风险人工智能系统提供者"}}]
    if eu.widespread_infringement or eu.critical_infrastructure_disruption:
        days, para = 2, "73(3)"
    elif eu.death:
        days, para = 10, "73(4)"
    else:
        days, para = 15, "73(2)"
    res = {**out, "status": "applies" if eu.high_risk else "possibly", "days": days, "paragraph": para,
           "report_by": (eu.aware_date + dt.timedelta(days=days)).isoformat() if eu.aware_date else None,
           "reason": {"en": f"Art. {para}: report immediately, at the latest {days} days after becoming aware",
                      "zh": f"第{para[:2]}条第{para[3:-1]}款：应立即报告，最迟不超过知悉后{days}日"}}
    if eu.high_risk is None:
        res["question"] = {"en": "Is the system a high-risk AI system placed on the Union market?", "zh": "该系统是否为投放欧盟市场的高风险人工智能系统？"}
    if eu.aware_date is None:
        res["question_date"] = {"en": "When did the provider or deployer become aware of the incident?", "zh": "提供者或部署者何时知悉该事件？"}
    start = _applies_from()
    if start and eu.aware_date and eu.aware_date < start:
        res["note"] = {"en": f"awareness precedes {start.isoformat()}, when Art. 73 starts to apply to high-risk systems",
                       "zh": f"知悉日期早于第73条对高风险系统开始适用的日期（{start.isoformat()}）"}
    return [res]
