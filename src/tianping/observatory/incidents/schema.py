"""The incident schema.

Field names follow the AIID where it has them (incident_id, date, title, description, the three
"Alleged …" entity lists, reports with report_number/url/source_domain, classifications as
namespace + attributes, as in AIID's CSETv1, MIT and GMF taxonomies), so an AIID snapshot
imports without loss of what we keep. OECD AIM harm fields sit in `harm`; EU AI Act reporting
facts in `eu_ai_act`. The canonical JSON of this model is what gets hashed and signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["low", "moderate", "high", "critical"]
OECDType = Literal["incident", "serious_incident", "hazard", "serious_hazard"]
HARM_TYPES = (
    "physical",
    "psychological",
    "economic_property",
    "reputational",
    "human_rights",
    "public_interest",
    "environmental",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Report(_Strict):
    report_number: int | None = None
    url: str | None = None
    title: str | None = None
    date_published: dt.date | None = None
    language: str | None = None
    source_domain: str | None = None
    authors: list[str] = Field(default_factory=list)
    description: str | None = None


class Classification(_Strict):
    namespace: str = Field(min_length=1, description="e.g. CSETv1, MIT, GMF, OECD")
    attributes: dict[str, Any] = Field(default_factory=dict)


class Harm(_Strict):
    """OECD AI Incidents Monitor style harm description."""

    oecd_type: OECDType | None = None
    harm_types: list[
        Literal[
            "physical", "psychological", "economic_property", "reputational", "human_rights", "public_interest", "environmental"
        ]
    ] = Field(default_factory=list)
    affected_stakeholders: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-3")
    sectors: list[str] = Field(default_factory=list)
    ai_principles: list[str] = Field(default_factory=list)
    deaths: int | None = Field(default=None, ge=0)
    injuries: int | None = Field(default=None, ge=0)


class EUAIAct(_Strict):
    """Facts that decide whether and by when Art. 73 requires a report."""

    high_risk: bool | None = Field(default=None, description="Is the system a high-risk AI system placed on the Union market?")
    aware_date: dt.date | None = Field(default=None, description="When the provider (or deployer) became aware of the incident.")
    death: bool = False  # Art. 3(49)(a), first part; Art. 73(4)
    serious_health_harm: bool = False  # Art. 3(49)(a)
    critical_infrastructure_disruption: bool = False  # Art. 3(49)(b); Art. 73(3)
    fundamental_rights_infringement: bool = False  # Art. 3(49)(c)
    property_or_environment_harm: bool = False  # Art. 3(49)(d)
    widespread_infringement: bool = False  # Art. 3(61); Art. 73(3)


class Incident(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
    aiid_incident_id: int | None = None
    title: str = Field(min_length=1)
    description: str | None = None
    date: dt.date | None = None
    deployers: list[str] = Field(default_factory=list, description="AIID: Alleged deployer of AI system")
    developers: list[str] = Field(default_factory=list, description="AIID: Alleged developer of AI system")
    harmed_parties: list[str] = Field(default_factory=list, description="AIID: Alleged harmed or nearly harmed parties")
    reports: list[Report] = Field(default_factory=list)
    classifications: list[Classification] = Field(default_factory=list)
    harm: Harm | None = None
    severity: Severity | None = None
    systems: list[str] = Field(default_factory=list, description="Ids of registered AI systems involved.")
    eu_ai_act: EUAIAct | None = None

    def canonical(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def canonical_bytes(data: Any) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 (the bytes that are hashed and signed)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def content_hash(incident: Incident | dict[str, Any]) -> str:
    doc = incident.canonical() if isinstance(incident, Incident) else incident
    return "sha256:" + hashlib.sha256(canonical_bytes(doc)).hexdigest()


def suggested_severity(inc: Incident) -> Severity | None:
    """A default when none is given: deaths or critical-infrastructure disruption are critical,
    injuries or a serious OECD type are high, any recorded harm is moderate."""
    h, eu = inc.harm, inc.eu_ai_act
    if (h and (h.deaths or 0) > 0) or (eu and (eu.death or eu.critical_infrastructure_disruption)):
        return "critical"
    if (h and ((h.injuries or 0) > 0 or h.oecd_type == "serious_incident")) or (
        eu and (eu.serious_health_harm or eu.widespread_infringement)
    ):
        return "high"
    if h and (h.harm_types or h.oecd_type == "incident"):
        return "moderate"
    if h and h.oecd_type in ("hazard", "serious_hazard"):
        return "low"
    return None
