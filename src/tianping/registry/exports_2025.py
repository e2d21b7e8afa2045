"""Filing exports for the regimes of 2025-2026, next to the CN, EU, NL, UK ATRS and CycloneDX exports of
``registry/exports.py`` and with the same contract (``{"format", "document", "missing",
"not_applicable", "cites", "notes", ...}``; a target field the profile cannot fill is ``None`` and listed in
``missing`` with a bilingual reason - never a placeholder or a guess). Registered in ``EXPORTERS`` there.

Sources and what is (not) verified
----------------------------------
* ``vn-ai-notification`` — Viet Nam, Law on AI No. 134/2025/QH15, Art. 10: providers of medium- and
  high-risk systems notify the Ministry of Science and Technology through the national one-stop AI
  portal before deployment, on the basis of their self-classification and classification file. The risk
  level is taken from the ``vn-ai-law`` rule pack. The draft implementing decree put to consultation by
  the Ministry on 9 Feb 2026 (as reported by Digital Policy Alert) has a declaration on the portal
  (system details and risk classification; the portal issues a unique system identifier) and a
  classification dossier: for high risk, system identification, overview description, data information,
  risk management, test results and guiding documents; for medium risk, identification, intended use,
  data information, risk management methods and supporting documents. UNVERIFIED: the final decree and
  the portal form were not read; the field names are ours.
* ``us-co-impact-assessment`` — Colorado SB24-205, C.R.S. 6-1-1703(3)(b): the seven contents of a
  deployer's impact assessment - (I) purpose, intended use cases, deployment context and benefits;
  (II) known or reasonably foreseeable risks of algorithmic discrimination and the steps taken to
  mitigate them; (III) the categories of data processed as inputs and the outputs; (IV) the data used to
  customise the system, if any; (V) the metrics used to evaluate performance and known limitations;
  (VI) transparency measures, including what consumers are told; (VII) post-deployment monitoring and
  user safeguards - and (3)(c) the statement after an intentional and substantial modification. Checked
  against the statute as published (text of 6-1-1703). NOTE: SB 26-189 (May 2026) repealed and
  re-enacted the Act from 1 Jan 2027 without an impact-assessment duty (Colorado Attorney General);
  the export documents the SB24-205 assessment, still useful as the record a risk programme keeps.
* ``nyc-bias-audit-summary`` — New York City Local Law 144, Admin. Code 20-871(a) and DCWP rules
  6 RCNY 5-301 to 5-303: the public summary of the latest bias audit - date of the audit, source and
  explanation of the data (historical or test data), number of individuals assessed and of those in an
  unknown category, the selection rate (binary outputs) or scoring rate (scores) and the impact ratio
  for every sex category, every race/ethnicity category and every intersection, and the tool's
  distribution date. The categories are the EEO-1 ones the rules refer to. The rates and ratios come
  from an independent auditor's run of the tabular fairness test (metrics ``selection_rate`` and
  ``disparate_impact_ratio``: a group's selection rate over that of the most-selected group); a profile
  holds none of them, so they are listed as missing with that instruction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .exports import AUTONOMY_TEXT, _Builder, _data_categories, _r, _roles, _use_case_label
from .profile import AISystem

# ---------------------------------------------------------------------------------------------
# vn-ai-notification (Law on AI 134/2025/QH15, Art. 10)

VN_RISK_LEVEL = {"high_risk": "cao (high)", "medium_risk": "trung bình (medium)", "low_risk": "thấp (low)"}
VN_RECIPIENT = (
    "Bộ Khoa học và Công nghệ - Cổng thông tin một cửa quốc gia về trí tuệ nhân tạo (Ministry of Science and Technology, "
    "national one-stop AI portal)"
)


def _classification(system: AISystem, pack_id: str):
    from ..rules.engine import classify

    return next((r for r in classify(system, full_trace=False) if r.pack == pack_id), None)


def export_vn_ai_notification(system: AISystem) -> dict[str, Any]:
    b = _Builder("vn-ai-notification")
    org = system.organisation
    r = _classification(system, "vn-ai-law")
    b.set("recipient", VN_RECIPIENT, None)  # named by Art. 10 itself
    # -- the declaration made on the portal (draft decree Art. 13): who, which system, which risk level
    b.set("declaration.provider.name", org.name, "organisation.name")
    b.set("declaration.provider.country", org.country, "organisation.country")
    if not set(_roles(system, "VN")) & {"provider", "developer"}:
        b.notes.append(_r("export.vn.no_provider_role"))
    for f in ("enterprise_code", "address", "contact_person", "contact_email"):
        b.miss(f"declaration.provider.{f}", None)
    b.set("declaration.system.name", system.name, "name")
    b.set("declaration.system.version", system.version, "version")
    b.set("declaration.system.sector", system.sector, "sector")
    b.set("declaration.system.model_kinds", [str(k) for k in system.model_kinds or []], "model_kinds")
    tier = r.tier if r is not None and r.applies != "no" else None
    if r is None or r.applies == "no":
        why = _r("export.vn.not_applicable")
        b.na("declaration.risk_level", "jurisdictions", why)
        b.na("declaration.classification_basis", "jurisdictions", why)
    elif tier in VN_RISK_LEVEL:
        b.set("declaration.risk_level", VN_RISK_LEVEL[tier], "use_cases")
        basis = [{"rule": x["rule"], "cites": list(x["cites"])} for x in r.reasons]
        if basis:
            b.set("declaration.classification_basis", basis, "use_cases")
        else:
            b.na("declaration.classification_basis", "use_cases", _r("export.vn.low_risk_default"))
        if tier == "low_risk":
            b.notes.append(_r("export.vn.low_risk_not_notified"))
    else:  # undetermined (or prohibited)
        asked = ", ".join(q.field for q in r.questions) or "-"
        reason = _r("export.vn.risk_undetermined", asked=asked) if tier == "undetermined" else _r("export.vn.prohibited")
        b.miss("declaration.risk_level", "use_cases", reason)
        b.miss("declaration.classification_basis", "use_cases", reason)
    b.miss("declaration.planned_release_date", None)
    b.miss("portal_confirmation.system_identifier", None, _r("export.vn.system_identifier"))
    # -- the classification dossier (draft decree Art. 12): contents for high and for medium risk
    b.set("dossier.system_identification", f"{system.name} ({system.id})", "name")
    b.set("dossier.description", system.intended_purpose, "intended_purpose")
    b.set("dossier.intended_use_cases", [_use_case_label(c, "en") for c in system.use_cases or []], "use_cases")
    b.set("dossier.data_information", _data_categories(system), "data")
    b.miss("dossier.risk_management", None, _r("export.vn.risk_measures"))
    if tier == "high_risk":
        b.miss("dossier.test_results", None, _r("export.vn.test_results"))
        b.miss("dossier.guiding_documents", None, _r("export.vn.instructions"))
        b.set("dossier.human_oversight", AUTONOMY_TEXT.get(system.autonomy) if system.autonomy else None, "autonomy")
    else:
        why = _r("export.vn.high_risk_only")
        for f in ("test_results", "guiding_documents", "human_oversight"):
            b.na(f"dossier.{f}", None, why)
    b.miss("dossier.supporting_documents", None)
    return b.result(
        cites=["vn-ai-law:art-10", "vn-ai-law:art-9"],
        verified=False,
        source="Law on AI No. 134/2025/QH15 Art. 10; draft implementing decree (MOST consultation of 9 Feb 2026) Arts. 12-13 as "
        "reported by Digital Policy Alert - the final decree and the portal form were not read",
    )


# ---------------------------------------------------------------------------------------------
# us-co-impact-assessment (C.R.S. 6-1-1703(3)(b)-(c))

FAIRNESS_HINT = _r("export.co.run_fairness_test")


def export_us_co_impact_assessment(system: AISystem) -> dict[str, Any]:
    b = _Builder("us-co-impact-assessment")
    org = system.organisation
    if "deployer" in _roles(system, "US-CO") or "deployer" in _roles(system, "US"):
        b.set("deployer", org.name, "organisation.name")
    else:
        b.miss("deployer", "roles", _r("export.co.not_deployer"))
    b.set("system.name", system.name, "name")
    b.set("system.version", system.version, "version")
    b.miss("assessment_date", None)
    b.miss("reason", None, _r("export.co.assessment_kind"))
    # (I)
    b.set("i_purpose.purpose", system.intended_purpose, "intended_purpose")
    b.set("i_purpose.intended_use_cases", [_use_case_label(c, "en") for c in system.use_cases or []], "use_cases")
    b.set("i_purpose.deployment_context", system.sector, "sector")
    b.miss("i_purpose.benefits", None)
    # (II)
    b.miss("ii_algorithmic_discrimination.known_or_foreseeable_risks", None, FAIRNESS_HINT)
    b.miss("ii_algorithmic_discrimination.mitigation_steps", None, FAIRNESS_HINT)
    # (III)
    b.set("iii_data.input_categories", _data_categories(system), "data")
    b.set("iii_data.outputs", [str(k) for k in system.model_kinds or []], "model_kinds")
    # (IV)
    own = system.deployer_trains_with_own_data
    if own is False:
        b.na("iv_customisation_data", "deployer_trains_with_own_data", _r("export.co.no_customisation"))
    else:
        b.miss("iv_customisation_data", "deployer_trains_with_own_data", _r("export.co.customisation_data") if own else None)
    # (V)
    b.miss("v_metrics.performance_metrics", None, _r("export.co.metrics"))
    b.miss("v_metrics.known_limitations", None)
    # (VI)
    if system.interacts_with_people:
        b.set(
            "vi_transparency.ai_interaction_disclosure",
            "Consumers interacting with the system are told it is an AI system (C.R.S. 6-1-1704).",
            "interacts_with_people",
        )
    elif system.interacts_with_people is False:
        b.na("vi_transparency.ai_interaction_disclosure", "interacts_with_people", _r("export.co.no_consumers"))
    else:
        b.miss("vi_transparency.ai_interaction_disclosure", "interacts_with_people")
    b.miss("vi_transparency.consumer_notice", None, _r("export.co.notice"))
    # (VII)
    b.miss("vii_monitoring.post_deployment_monitoring", None)
    b.set("vii_monitoring.user_safeguards", AUTONOMY_TEXT.get(system.autonomy) if system.autonomy else None, "autonomy")
    # (3)(c)
    b.na("modification_statement", None, _r("export.co.intended_use_match"))
    b.notes.append(_r("export.co.repealed_note"))
    if "US-CO" not in system.jurisdictions:
        b.notes.append(_r("export.co.not_in_jurisdictions"))
    return b.result(cites=["us-co-sb24-205:s-6-1-1703-3"], source="C.R.S. 6-1-1703(3)(b)-(c) (SB24-205)")


# ---------------------------------------------------------------------------------------------
# nyc-bias-audit-summary (Local Law 144; 6 RCNY 5-301 to 5-303)

NYC_SEX = ("male", "female")
NYC_RACE = (
    "hispanic_or_latino",
    "white",
    "black_or_african_american",
    "native_hawaiian_or_pacific_islander",
    "asian",
    "native_american_or_alaska_native",
    "two_or_more_races",
)
# selection rate for tools that select or classify; scoring rate for tools that score (5-301(b)/(c))
NYC_RATE_BY_MODEL_KIND = {"classifier": "selection_rate", "ranking_selection": "scoring_rate", "regressor": "scoring_rate"}
AUDIT_HINT = _r("export.nyc.bias_audit_source")


def export_nyc_bias_audit_summary(system: AISystem) -> dict[str, Any]:
    b = _Builder("nyc-bias-audit-summary")
    org = system.organisation
    if "deployer" in _roles(system, "US-NY"):
        b.set("employer", org.name, "organisation.name")
    else:
        b.miss("employer", "roles", _r("export.nyc.not_employer"))
    b.set("tool.name", system.name, "name")
    b.set("tool.version", system.version, "version")
    b.miss("tool.distribution_date", None)
    kinds = [str(k) for k in system.model_kinds or []]
    rate = next((NYC_RATE_BY_MODEL_KIND[k] for k in kinds if k in NYC_RATE_BY_MODEL_KIND), None)
    b.set("audit.rate_reported", rate, "model_kinds", _r("export.nyc.rate_kind"))
    for f in ("date", "independent_auditor", "data_source", "data_explanation", "individuals_assessed", "unknown_category_count"):
        b.miss(f"audit.{f}", None, AUDIT_HINT if f in ("individuals_assessed", "unknown_category_count") else None)
    for group, cats in (("sex", NYC_SEX), ("race_ethnicity", NYC_RACE)):
        for c in cats:
            for m in ("count", "rate", "impact_ratio"):
                b.miss(f"results.{group}.{c}.{m}", None, AUDIT_HINT)
    for s in NYC_SEX:
        for c in NYC_RACE:
            for m in ("count", "rate", "impact_ratio"):
                b.miss(f"results.intersectional.{s}__{c}.{m}", None, AUDIT_HINT)
    if "US-NY" not in system.jurisdictions:
        b.notes.append(_r("export.nyc.not_in_jurisdictions"))
    return b.result(
        cites=["us-nyc-ll144:ac-20-871-a", "us-nyc-ll144:rcny-5-301", "us-nyc-ll144:rcny-5-302"],
        source="NYC Admin. Code 20-871(a); 6 RCNY 5-301 to 5-303",
        metric="disparate_impact_ratio",
    )


EXPORTERS_2025: dict[str, Callable[[AISystem], dict[str, Any]]] = {
    "vn-ai-notification": export_vn_ai_notification,
    "us-co-impact-assessment": export_us_co_impact_assessment,
    "nyc-bias-audit-summary": export_nyc_bias_audit_summary,
}
