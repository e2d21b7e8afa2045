"""Export ONE AISystem profile to an external registration format.

Every exporter returns::

    {"format": <name>, "document": {...},
     "missing": [{"field": <target field>, "from": <profile field or None>, "reason": {"en", "zh"}}],
     "not_applicable": [... same shape ...],   # target fields the law/standard says do not apply here
     "cites": [...], "notes": [{"en", "zh"}, ...], "labels": {...}}

Rule: a target field that the profile cannot fill is set to ``None`` in ``document`` and listed in
``missing`` — never a placeholder or a guess. ``field`` is the dotted path of the target field in
``document`` (e.g. ``provider.address``). The one exception is ``cyclonedx``: the CycloneDX JSON
schema forbids ``null``, so there a missing field is *left out* of the document (and listed in
``missing`` with its JSON path all the same).

Values that are *derived* rather than copied (an algorithm type from ``model_kinds``, a status from
``lifecycle``, a sector label) come from the fixed, documented tables below and nothing else.

Sources and what is (not) verified
----------------------------------
* ``cn-algorithm-filing`` — 互联网信息服务算法备案 (算法推荐管理规定 第二十四条, catalog
  ``cn-algorithm-recommendation:art-24``). Verified: the Art. 24 filing items (provider name, service
  form, application domain, algorithm type, self-assessment report, content to be made public) and
  the five algorithm types (Art. 2 / filing system). UNVERIFIED: the three-part layout of the online
  form (主体信息 / 算法信息 / 产品及功能信息) and the other field names in it (统一社会信用代码,
  法定代表人, 算法安全责任人, 产品访问地址 …) are recalled from filing guides, not checked against
  the live form at beian.cac.gov.cn; the Chinese labels for our sector codes are our translation, not
  the filing system's list of 应用领域 options.
* ``eu-annex-viii-a`` — Regulation (EU) 2024/1689, Art. 49(1) and Annex VIII Section A, checked
  against the Official Journal text: Section A has 13 points (point 13, a URL, is optional).
* ``nl-algorithm-register`` — keys checked against the Algoritmeregister publication standard
  1.0.0 as configured in the register's own backend (MinBZK/Algoritmeregister,
  ``backend/app/schemas/config/v1_0_0.json``). Concepts of the older 0.x standards that have no key
  of their own in 1.0.0 map as follows: impact → part of ``goal`` ("Doel en impact"), decision-making
  process → ``human_intervention``, risk management → ``risks``, IAMA/DPIA →
  ``impacttoetsen_grouping`` (+ ``impacttoetsen``), documentation / monitoring / competent authority →
  no 1.0.0 key (the organisation is ``organization``). UNVERIFIED: that the register's upload API
  accepts exactly this flat object (we follow the field config, not an API schema).
* ``uk-atrs`` — field keys checked against the machine-readable ATRS data standard (tier 1 + the
  tier 2 attributes 1.1–5.7) as republished in Algoritmeregister/standard
  (``_data/Algorithmic_transparency_data_standard.csv``), an early ATRS version. UNVERIFIED: the
  tier-2 section keys (``owner_and_responsibility``, ``description_and_rationale``,
  ``decision_making_process``, ``tool_specification``, ``data``,
  ``risks_mitigations_and_impact_assessments``) follow the headings of the later ATRS template and
  may not match the current (v3) template's machine-readable keys; attributes added in later ATRS
  versions are not included.
* ``cyclonedx`` — CycloneDX 1.6 JSON built with ``cyclonedx-python-lib``; the library has no model
  card object, so ``modelCard`` is added to the serialised JSON and the result is meant to pass the
  library's ``JsonStrictValidator`` for 1.6 (the tests check that).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..errors import TianpingError
from ..i18n import texts
from .profile import AISystem

Reason = dict[str, str]

# ---------------------------------------------------------------------------------------------
# shared helpers


def _r(key: str, **kwargs: Any) -> Reason:
    """A reason in every language: message `key` of the catalogs; an argument may be a language map."""
    return texts(key, **kwargs)


NO_FIELD = _r("export.no_field")


def _unanswered(field: str) -> Reason:
    return _r("export.unanswered", field=field)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict, tuple, set)) and len(value) == 0)


class _Builder:
    """Fills a nested document by dotted path and records every field it could not fill."""

    def __init__(self, fmt: str, *, omit_missing: bool = False):
        self.fmt = fmt
        self.document: dict[str, Any] = {}
        self.missing: list[dict[str, Any]] = []
        self.not_applicable: list[dict[str, Any]] = []
        self.notes: list[Reason] = []
        self.omit_missing = omit_missing

    def _put(self, path: str, value: Any) -> None:
        node = self.document
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value

    def set(self, path: str, value: Any, src: str | None, reason: Reason | None = None) -> None:
        """Fill `path` with `value` (copied or derived from profile field `src`), or record it missing."""
        if _empty(value):
            self.miss(path, src, reason)
        else:
            self._put(path, value)

    def miss(self, path: str, src: str | None, reason: Reason | None = None) -> None:
        if not self.omit_missing:
            self._put(path, None)
        if reason is None:
            reason = NO_FIELD if src is None else _unanswered(src)
        self.missing.append({"field": path, "from": src, "reason": reason})

    def na(self, path: str, src: str | None, reason: Reason) -> None:
        if not self.omit_missing:
            self._put(path, None)
        self.not_applicable.append({"field": path, "from": src, "reason": reason})

    def result(self, **extra: Any) -> dict[str, Any]:
        return {
            "format": self.fmt,
            "document": self.document,
            "missing": self.missing,
            "not_applicable": self.not_applicable,
            "notes": self.notes,
            **extra,
        }


def _roles(system: AISystem, jurisdiction: str) -> list[str]:
    return [str(r) for r in system.roles.get(jurisdiction, [])]


def _is_provider_anywhere(system: AISystem) -> bool:
    return any("provider" in (str(r) for r in roles) for roles in system.roles.values())


_NONE_RE = re.compile(r"^\s*(none|n/a|no)\b", re.IGNORECASE)


def _foundation_model(system: AISystem) -> str | None:
    """The foundation model named in the profile, or None when the profile says there is none."""
    fm = system.foundation_model
    if fm is None or _NONE_RE.match(fm):
        return None
    return fm


def _data_categories(system: AISystem) -> list[str]:
    return [str(d.category) for d in system.data or []]


# What each `autonomy` value means (the profile's own definitions, restated; nothing added).
AUTONOMY_TEXT: dict[str, str] = {
    "human_in_the_loop": "Human in the loop: a person reviews each output of the system before it takes effect.",
    "human_over_the_loop": "Human over the loop: people monitor the system and can intervene or stop it; "
    "outputs can take effect without a person reviewing each one.",
    "human_out_of_the_loop": "Human out of the loop: the system's outputs take effect without human review.",
}

EU_MEMBER_STATES = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, Any]:
    from pathlib import Path

    import yaml

    path = Path(__file__).resolve().parents[1] / "rules" / "vocabulary.yaml"  # as the questionnaire reads it
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def _use_case_label(code: str, lang: str) -> str:
    entry = (_vocabulary().get("use_cases") or {}).get(code)
    if not isinstance(entry, dict) or set(entry) - {"en", "zh", "refs"}:
        # unknown code, or a label that YAML split at its commas (unquoted flow mapping): keep the code
        return code
    return entry.get(lang, code)


# ---------------------------------------------------------------------------------------------
# cn-algorithm-filing

CN_ALGORITHM_TYPES = ("生成合成类", "个性化推送类", "排序精选类", "检索过滤类", "调度决策类")
CN_ALGORITHM_TYPE_EN = {
    "生成合成类": "generation/synthesis",
    "个性化推送类": "personalised push",
    "排序精选类": "ranking/selection",
    "检索过滤类": "search/filtering",
    "调度决策类": "dispatch/decision-making",
}
# Documented mapping to the five algorithm types (Art. 2; filing system). Kinds and use cases not
# listed here (classifier, regressor, biometric_*, emotion_recognition, general_purpose_model,
# creditworthiness …) map to no type on their own: several may apply, none is guessed.
CN_TYPE_BY_MODEL_KIND: dict[str, str] = {
    "generative_text": "生成合成类",
    "generative_image": "生成合成类",
    "generative_audio": "生成合成类",
    "generative_video": "生成合成类",
    "deep_synthesis": "生成合成类",
    "recommender": "个性化推送类",
    "ranking_selection": "排序精选类",
    "search_filtering": "检索过滤类",
    "dispatch_decision": "调度决策类",
}
CN_TYPE_BY_USE_CASE: dict[str, str] = {
    "content_recommendation": "个性化推送类",
    "face_swap": "生成合成类",
    "image_generation_public": "生成合成类",
    "text_generation_public": "生成合成类",
    "emergency_call_triage": "调度决策类",
}
# Our translation of Tianping's sector codes (not the filing system's own option list; see above).
CN_SECTOR_ZH: dict[str, str] = {
    "finance": "金融",
    "health": "医疗健康",
    "education": "教育",
    "employment": "就业与人力资源",
    "public_sector": "政务与公共服务",
    "law_enforcement": "公共安全与执法",
    "migration": "出入境管理",
    "justice": "司法",
    "transport": "交通出行",
    "energy": "能源",
    "retail": "零售与电子商务",
    "media": "新闻资讯与网络视听",
    "telecoms": "电信",
    "manufacturing": "制造业",
    "research": "科学研究",
    "consumer_apps": "消费类互联网应用",
}
CN_ROLE_ZH = {"service_provider": "服务提供者", "technical_supporter": "技术支持者"}

CN_LABELS: dict[str, str] = {
    "主体信息": "Entity information",
    "主体名称": "Entity name",
    "主体类型": "Entity type",
    "统一社会信用代码": "Unified social credit code",
    "所在国家或地区": "Country or region of seat",
    "住所": "Registered address",
    "法定代表人": "Legal representative",
    "算法安全责任人": "Person responsible for algorithm security",
    "联系方式": "Contact details",
    "备案主体角色": "Filing role (service provider / technical supporter)",
    "算法信息": "Algorithm information",
    "算法名称": "Algorithm name",
    "算法类型": "Algorithm type (one or more of the five types)",
    "应用领域": "Application domain",
    "使用场景": "Use scenarios",
    "算法基本原理": "Basic principles of the algorithm",
    "算法运行机制": "Main operating mechanism",
    "算法安全自评估报告": "Algorithm security self-assessment report",
    "拟公示内容": "Content to be made public",
    "具有舆论属性或社会动员能力": "Has public-opinion attributes or social-mobilisation capacity",
    "产品及功能信息": "Product and function information",
    "产品名称": "Product name",
    "产品版本": "Product version",
    "服务形式": "Service form (app, mini program, website, API …)",
    "产品访问地址": "Product access address (URL / app store link)",
    "产品功能描述": "Description of the product function",
    "服务对象": "Users served",
    "涉及未成年人用户": "Used by minors",
    "上线时间": "Date the service went online",
}


def cn_algorithm_types(system: AISystem) -> list[dict[str, str]]:
    """The algorithm types implied by the profile, each with the profile value it comes from."""
    basis: list[dict[str, str]] = []
    for k in system.model_kinds or []:
        if str(k) in CN_TYPE_BY_MODEL_KIND:
            basis.append({"type": CN_TYPE_BY_MODEL_KIND[str(k)], "from": f"model_kinds:{k}"})
    for u in system.use_cases or []:
        if u in CN_TYPE_BY_USE_CASE:
            basis.append({"type": CN_TYPE_BY_USE_CASE[u], "from": f"use_cases:{u}"})
    return basis


def export_cn_algorithm_filing(system: AISystem) -> dict[str, Any]:
    b = _Builder("cn-algorithm-filing")
    org = system.organisation
    e, a, p = "主体信息", "算法信息", "产品及功能信息"

    # 主体信息
    b.set(f"{e}.主体名称", org.name, "organisation.name")
    b.miss(f"{e}.主体类型", None, _r("export.cn.entity_type"))
    b.miss(f"{e}.统一社会信用代码", None)
    b.set(f"{e}.所在国家或地区", org.country, "organisation.country")
    b.miss(f"{e}.住所", None)
    b.miss(f"{e}.法定代表人", None)
    b.miss(f"{e}.算法安全责任人", None)
    b.miss(f"{e}.联系方式", None)
    cn_roles = _roles(system, "CN")
    filing_roles = [CN_ROLE_ZH[r] for r in cn_roles if r in CN_ROLE_ZH]
    if filing_roles:
        b.set(f"{e}.备案主体角色", filing_roles, "roles.CN")
    elif cn_roles:
        b.miss(f"{e}.备案主体角色", "roles.CN", _r("export.cn.role_not_filing", roles=cn_roles))
    else:
        b.miss(f"{e}.备案主体角色", "roles.CN", _r("export.cn.no_role"))

    # 算法信息
    if system.name_zh:
        b.set(f"{a}.算法名称", system.name_zh, "name_zh")
    else:
        b.set(f"{a}.算法名称", system.name, "name")
        b.notes.append(_r("export.cn.no_chinese_name"))
    basis = cn_algorithm_types(system)
    types = [t for t in CN_ALGORITHM_TYPES if any(x["type"] == t for x in basis)]
    if types:
        b.set(f"{a}.算法类型", types, "model_kinds")
    elif system.model_kinds is None and system.use_cases is None:
        b.miss(f"{a}.算法类型", "model_kinds", _r("export.cn.no_algorithm_type"))
    else:
        kinds = [str(k) for k in system.model_kinds or []]
        why = _r("export.cn.algorithm_type_unmapped", kinds=kinds, use_cases=system.use_cases or [])
        b.miss(f"{a}.算法类型", "model_kinds", why)
    if system.sector in CN_SECTOR_ZH:
        b.set(f"{a}.应用领域", CN_SECTOR_ZH[system.sector], "sector")
    elif system.sector:
        b.miss(f"{a}.应用领域", "sector", _r("export.cn.sector_unspecific", sector=system.sector))
    else:
        b.miss(f"{a}.应用领域", "sector")
    b.set(f"{a}.使用场景", [_use_case_label(u, "zh") for u in system.use_cases or []], "use_cases")
    b.miss(f"{a}.算法基本原理", None)
    b.miss(f"{a}.算法运行机制", None)
    b.miss(f"{a}.算法安全自评估报告", None, _r("export.cn.self_assessment"))
    b.miss(f"{a}.拟公示内容", None)
    b.set(f"{a}.具有舆论属性或社会动员能力", system.public_opinion_attributes, "public_opinion_attributes")

    # 产品及功能信息
    b.set(f"{p}.产品名称", system.name_zh or system.name, "name_zh" if system.name_zh else "name")
    b.set(f"{p}.产品版本", system.version, "version")
    b.miss(f"{p}.服务形式", None, _r("export.cn.channel"))
    b.miss(f"{p}.产品访问地址", None)
    b.set(f"{p}.产品功能描述", system.intended_purpose, "intended_purpose")
    if system.public_facing is None:
        b.miss(f"{p}.服务对象", "public_facing")
    else:
        b.set(f"{p}.服务对象", "面向公众" if system.public_facing else "不直接面向公众", "public_facing")
    b.set(f"{p}.涉及未成年人用户", system.minors_users, "minors_users")
    b.set(f"{p}.上线时间", system.placed_on_market.isoformat() if system.placed_on_market else None, "placed_on_market")

    if system.public_opinion_attributes is False:
        b.notes.append(_r("export.cn.not_public_opinion"))
    if "CN" not in system.jurisdictions:
        b.notes.append(_r("export.cn.not_in_jurisdictions"))
    labels = dict(CN_LABELS)
    labels.update({t: CN_ALGORITHM_TYPE_EN[t] for t in CN_ALGORITHM_TYPES})
    return b.result(
        cites=["cn-algorithm-recommendation:art-24", "cn-algorithm-recommendation:art-2"],
        labels=labels,
        algorithm_type_basis=basis,
    )


# ---------------------------------------------------------------------------------------------
# eu-annex-viii-a

# Top-level document keys → the Annex VIII Section A point they answer (13 points in the OJ text).
EU_ANNEX_VIII_A_POINTS: dict[str, str] = {
    "provider": "1. Name, address and contact details of the provider",
    "submitted_on_behalf_by": "2. Person submitting on behalf of the provider",
    "authorised_representative": "3. Authorised representative, where applicable",
    "trade_name": "4. AI system trade name",
    "reference": "4. Additional unambiguous reference (identification and traceability)",
    "intended_purpose": "5. Intended purpose",
    "components_and_functions": "5. Components and functions supported",
    "information_used": "6. Information used by the system (data, inputs)",
    "operating_logic": "6. Operating logic",
    "status": "7. Status (on the market / in service; no longer; recalled)",
    "certificate": "8. Notified-body certificate: type, number, expiry date, notified body",
    "certificate_scan": "9. Scanned copy of the certificate",
    "member_states": "10. Member States where placed on the market, put into service or made available",
    "eu_declaration_of_conformity": "11. Copy of the EU declaration of conformity (Art. 47)",
    "instructions_for_use": "12. Electronic instructions for use",
    "additional_information_url": "13. URL for additional information (optional)",
}
EU_STATUS_BY_LIFECYCLE = {"deployed": "on the market / in service", "retired": "no longer placed on the market / in service"}
# Annex III areas 1, 6 and 7 (biometrics, law enforcement, migration): point 12 is not provided.
_NO_IFU_USE_CASES = {
    "remote_biometric_identification",
    "biometric_categorisation",
    "emotion_recognition",
    "realtime_remote_biometric_identification_law_enforcement",
    "law_enforcement_victim_risk",
    "law_enforcement_polygraph",
    "law_enforcement_evidence_reliability",
    "law_enforcement_offending_risk",
    "law_enforcement_profiling",
    "migration_polygraph",
    "migration_risk_assessment",
    "migration_application_examination",
    "migration_identification",
}


def export_eu_annex_viii_a(system: AISystem) -> dict[str, Any]:
    b = _Builder("eu-annex-viii-a")
    org = system.organisation
    eu_roles = _roles(system, "EU")
    org_is_provider = "provider" in eu_roles

    # 1. provider
    if org_is_provider:
        b.set("provider.name", org.name, "organisation.name")
    elif eu_roles:
        b.miss("provider.name", "roles.EU", _r("export.eu.org_not_provider", roles=eu_roles))
    else:
        b.miss("provider.name", "roles.EU", _r("export.eu.no_role"))
    b.miss("provider.address", None)
    if org_is_provider:
        b.set("provider.country", org.country, "organisation.country")
    else:
        b.miss("provider.country", "roles.EU", _r("export.eu.provider_not_org"))
    b.miss("provider.contact_details", None)
    # 2. person submitting on the provider's behalf
    for f in ("name", "address", "contact_details"):
        b.miss(f"submitted_on_behalf_by.{f}", None, _r("export.eu.submitted_on_behalf"))
    # 3. authorised representative (Art. 22: providers established in third countries)
    if org_is_provider and org.country in EU_MEMBER_STATES:
        for f in ("name", "address", "contact_details"):
            b.na(
                f"authorised_representative.{f}",
                "organisation.country",
                _r("export.eu.representative_not_needed", country=org.country),
            )
    else:
        why = (
            _r("export.eu.representative_needed", country=org.country)
            if org_is_provider and org.country
            else _r("export.eu.representative_unknown")
        )
        for f in ("name", "address", "contact_details"):
            b.miss(f"authorised_representative.{f}", "organisation.country", why)
    # 4. trade name and unambiguous reference
    b.set("trade_name", system.name, "name")
    b.set("reference.id", system.id, "id")
    b.set("reference.version", system.version, "version")
    # 5. intended purpose, components and functions
    b.set("intended_purpose", system.intended_purpose, "intended_purpose")
    b.miss("components_and_functions", None, _r("export.eu.components"))
    # 6. information used and operating logic
    b.set("information_used.data_categories", _data_categories(system), "data")
    b.miss("information_used.description", None, _r("export.eu.data_description"))
    b.set("operating_logic.model_kinds", [str(k) for k in system.model_kinds or []], "model_kinds")
    b.miss("operating_logic.description", None, _r("export.eu.logic_description"))
    # 7. status
    lc = system.lifecycle
    if lc in EU_STATUS_BY_LIFECYCLE:
        b.set("status", EU_STATUS_BY_LIFECYCLE[lc], "lifecycle")
    elif lc is None:
        b.miss("status", "lifecycle")
    else:
        b.miss("status", "lifecycle", _r("export.eu.not_on_market", lifecycle=lc))
    # 8-9. notified-body certificate
    cert_reason = _r("export.eu.no_certificate")
    for f in ("type", "number", "expiry_date", "notified_body"):
        b.miss(f"certificate.{f}", None, cert_reason)
    b.miss("certificate_scan", None, cert_reason)
    # 10. Member States
    states = sorted(j for j in system.jurisdictions if j in EU_MEMBER_STATES)
    if states:
        b.set("member_states", states, "jurisdictions")
    elif "EU" in system.jurisdictions:
        b.miss("member_states", "jurisdictions", _r("export.eu.member_states_unnamed"))
    else:
        b.miss("member_states", "jurisdictions", _r("export.eu.not_on_eu_market"))
    # 11-13
    b.miss("eu_declaration_of_conformity", None)
    if set(system.use_cases or []) & _NO_IFU_USE_CASES:
        b.na("instructions_for_use", "use_cases", _r("export.eu.no_instructions"))
    else:
        b.miss("instructions_for_use", None)
    b.miss("additional_information_url", None, _r("export.eu.no_url"))

    b.notes.append(_r("export.eu.annex_viii_scope"))
    return b.result(
        cites=["eu-ai-act:art-16"],
        source="Regulation (EU) 2024/1689, Art. 49(1) and Annex VIII Section A",
        labels=EU_ANNEX_VIII_A_POINTS,
    )


# ---------------------------------------------------------------------------------------------
# nl-algorithm-register (publication standard 1.0.0)

NL_STATUS_BY_LIFECYCLE = {
    "design": "In ontwikkeling",
    "development": "In ontwikkeling",
    "testing": "In ontwikkeling",
    "deployed": "In gebruik",
    "retired": "Buiten gebruik",
}
# Tianping sector → the standard's `category` (Thema) permitted values; unlisted sectors map to none.
NL_CATEGORY_BY_SECTOR = {
    "health": "Zorg en gezondheid",
    "education": "Onderwijs en wetenschap",
    "research": "Onderwijs en wetenschap",
    "employment": "Werk",
    "law_enforcement": "Openbare orde en veiligheid",
    "migration": "Migratie en integratie",
    "justice": "Recht",
    "transport": "Verkeer",
}


def _user_org_or_missing(b: _Builder, path: str, system: AISystem, what: Reason) -> None:
    org = system.organisation
    if org.public_authority:
        b.set(path, org.name, "organisation.name")
    elif org.public_authority is False:
        b.miss(path, "organisation.public_authority", what)
    else:
        b.miss(path, "organisation.public_authority")


def export_nl_algorithm_register(system: AISystem) -> dict[str, Any]:
    b = _Builder("nl-algorithm-register")
    org = system.organisation
    b.set("name", system.name, "name")
    b.miss("description_short", "intended_purpose", _r("export.nl.short_description"))
    _user_org_or_missing(b, "organization", system, _r("export.nl.government_body"))
    if system.sector in NL_CATEGORY_BY_SECTOR:
        b.set("category", [NL_CATEGORY_BY_SECTOR[system.sector]], "sector")
    else:
        b.miss(
            "category",
            "sector",
            _r("export.nl.sector_no_theme", sector=system.sector) if system.sector else _unanswered("sector"),
        )
    lc = system.lifecycle
    b.set("status", NL_STATUS_BY_LIFECYCLE.get(lc) if lc else None, "lifecycle")
    b.set("begin_date", system.placed_on_market.strftime("%Y-%m") if system.placed_on_market else None, "placed_on_market")
    if lc == "retired":
        b.miss("end_date", None, _r("export.nl.no_end_date"))
    elif lc is None:
        b.miss("end_date", "lifecycle")
    else:
        b.na("end_date", "lifecycle", _r("export.nl.end_date_empty"))
    b.miss("contact_email", None)
    b.miss("website", None)
    b.miss("publication_category", None, _r("export.nl.publication_category"))
    b.miss("url", None)
    b.set("goal", system.intended_purpose, "intended_purpose")
    b.miss("proportionality", None)
    b.set("human_intervention", AUTONOMY_TEXT.get(system.autonomy) if system.autonomy else None, "autonomy")
    b.miss("risks", None, _r("export.nl.risks"))
    b.miss("lawful_basis", None)
    b.miss("lawful_basis_grouping", None)
    b.miss("process_index_url", None)
    b.miss("impacttoetsen", None)
    b.miss("impacttoetsen_grouping", None, _r("export.nl.no_impact_assessment"))
    cats = _data_categories(system)
    b.miss("source_data", "data", _r("export.nl.source_data", cats=", ".join(cats) or texts("export.none_given")))
    b.miss("source_data_grouping", None)
    kinds = [str(k) for k in system.model_kinds or []]
    b.miss("methods_and_models", "model_kinds", _r("export.nl.methods", kinds=", ".join(kinds) or texts("export.none_given")))
    if _is_provider_anywhere(system) and not org.public_authority:
        b.set("provider", org.name, "organisation.name")
    elif _is_provider_anywhere(system) and org.public_authority:
        b.set("provider", "Intern ontwikkeld", "roles")  # the standard's own wording for in-house development
    else:
        b.miss("provider", "roles", _r("export.supplier_unnamed"))
    b.miss("publiccode", "open_source", _r("export.nl.no_source_link"))
    b.miss("lang", None, _r("export.nl.dutch_only"))
    b.set("standard_version", "1.0.0", None)
    b.set("source_id", system.id, "id")
    b.miss("tags", None)
    if "NL" not in system.jurisdictions:
        b.notes.append(_r("export.nl.not_in_jurisdictions"))
    return b.result(cites=[], source="Algoritmeregister publicatiestandaard 1.0.0")


# ---------------------------------------------------------------------------------------------
# uk-atrs

UK_PHASE_BY_LIFECYCLE = {"design": "design", "development": "development", "deployed": "production", "retired": "retired"}


def export_uk_atrs(system: AISystem) -> dict[str, Any]:
    b = _Builder("uk-atrs")
    org = system.organisation
    t1, own, desc, dm, tool, data, risk = (
        "tier_1",
        "tier_2.owner_and_responsibility",
        "tier_2.description_and_rationale",
        "tier_2.decision_making_process",
        "tier_2.tool_specification",
        "tier_2.data",
        "tier_2.risks_mitigations_and_impact_assessments",
    )
    b.set(f"{t1}.name", system.name, "name")
    b.set(f"{t1}.description", system.intended_purpose, "intended_purpose")
    b.miss(f"{t1}.website", None)
    b.miss(f"{t1}.contact_email", None)

    _user_org_or_missing(b, f"{own}.organisation", system, _r("export.uk.public_body"))
    b.miss(f"{own}.team", None)
    b.miss(f"{own}.senior_responsible_owner", None)
    if _is_provider_anywhere(system) and not org.public_authority:
        b.set(f"{own}.external_supplier", org.name, "organisation.name")
        b.set(f"{own}.external_supplier_role", "provider (developer) of the algorithmic tool", "roles")
    elif _is_provider_anywhere(system):
        b.na(f"{own}.external_supplier", "roles", _r("export.uk.developed_in_house"))
        b.na(f"{own}.external_supplier_role", "roles", _r("export.uk.no_external_supplier"))
    else:
        for f in ("external_supplier", "external_supplier_role"):
            b.miss(f"{own}.{f}", "roles", _r("export.supplier_unnamed"))
    b.miss(f"{own}.external_supplier_identifier", None)
    b.miss(f"{own}.data_access_terms", None)

    b.miss(f"{desc}.scope", "intended_purpose", _r("export.uk.scope"))
    b.miss(f"{desc}.benefit", None)
    b.miss(f"{desc}.alternatives_considered", None)

    b.miss(f"{dm}.process_integration", None)
    b.miss(f"{dm}.provided_information", None)
    b.set(f"{dm}.human_decisions", AUTONOMY_TEXT.get(system.autonomy) if system.autonomy else None, "autonomy")
    b.miss(f"{dm}.required_training", None)
    b.miss(f"{dm}.appeals_and_review", None)

    b.set(f"{tool}.model_type", ", ".join(str(k) for k in system.model_kinds or []), "model_kinds")
    b.miss(f"{tool}.frequency_usage", None)
    lc = system.lifecycle
    if lc in UK_PHASE_BY_LIFECYCLE:
        b.set(f"{tool}.phase", UK_PHASE_BY_LIFECYCLE[lc], "lifecycle")
    elif lc is None:
        b.miss(f"{tool}.phase", "lifecycle")
    else:
        b.miss(f"{tool}.phase", "lifecycle", _r("export.uk.phase_unmapped", lifecycle=lc))
    b.miss(f"{tool}.maintenance", None)
    b.miss(f"{tool}.system_architecture", None)

    cats = _data_categories(system)
    b.miss(f"{data}.source_data_name", None)
    b.miss(
        f"{data}.source_data_description", "data", _r("export.uk.source_data", cats=", ".join(cats) or texts("export.none_given"))
    )
    for f in ("source_data_url", "data_collection", "data_sharing_agreements", "data_access_and_storage"):
        b.miss(f"{data}.{f}", None)

    for f in ("impact_assessment_name", "impact_assessment_description", "impact_assessment_date", "impact_assessment_link"):
        b.miss(f"{risk}.{f}", None, _r("export.uk.no_impact_assessment"))
    for f in ("risk_name", "risk_description", "risk_mitigation"):
        b.miss(f"{risk}.{f}", None, _r("export.uk.risks"))
    if "GB" not in system.jurisdictions:
        b.notes.append(_r("export.uk.not_in_jurisdictions"))
    return b.result(cites=[], source="UK Algorithmic Transparency Recording Standard (tiers 1 and 2)")


# ---------------------------------------------------------------------------------------------
# cyclonedx

CDX_TASK_BY_MODEL_KIND = {
    "classifier": "classification",
    "regressor": "regression",
    "recommender": "recommendation",
    "ranking_selection": "ranking",
    "search_filtering": "search and filtering",
    "dispatch_decision": "dispatch and scheduling decisions",
    "generative_text": "text generation",
    "generative_image": "image generation",
    "generative_audio": "audio generation",
    "generative_video": "video generation",
    "deep_synthesis": "deep synthesis (face/voice editing)",
    "biometric_identification": "biometric identification",
    "biometric_categorisation": "biometric categorisation",
    "emotion_recognition": "emotion recognition",
    "general_purpose_model": "general-purpose model",
}


def export_cyclonedx(system: AISystem) -> dict[str, Any]:
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.output.json import JsonV1Dot6

    from .. import __version__

    b = _Builder("cyclonedx", omit_missing=True)
    root = "metadata.component"
    props = [
        Property(name=f"tianping:{k}", value=v)
        for k, v in (
            ("id", system.id),
            ("jurisdictions", ",".join(system.jurisdictions)),
            ("lifecycle", system.lifecycle),
            ("autonomy", system.autonomy),
            ("sector", system.sector),
            ("use_cases", ",".join(system.use_cases) if system.use_cases else None),
            ("open_source", None if system.open_source is None else str(system.open_source).lower()),
            ("placed_on_market", system.placed_on_market.isoformat() if system.placed_on_market else None),
        )
        if v is not None
    ]
    comp = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=system.name,
        version=system.version,
        bom_ref=system.id,
        supplier=OrganizationalEntity(name=system.organisation.name),
        description=system.intended_purpose,
        properties=props,
    )
    if system.version is None:
        b.miss(f"{root}.version", "version")
    if system.intended_purpose is None:
        b.miss(f"{root}.description", "intended_purpose")
    b.miss(f"{root}.licenses", "open_source", _r("export.no_licence"))

    bom = Bom()
    bom.metadata.component = comp
    bom.metadata.tools.components.add(Component(type=ComponentType.APPLICATION, name="tianping", version=__version__))
    fm = _foundation_model(system)
    if fm is not None:
        fm_comp = Component(
            type=ComponentType.MACHINE_LEARNING_MODEL,
            name=fm,
            bom_ref=f"{system.id}-foundation-model",
            description="Foundation model named in the profile (field foundation_model).",
        )
        bom.components.add(fm_comp)
        bom.register_dependency(comp, [fm_comp])
        b.miss("components[0].version", "foundation_model", _r("export.foundation_model_unversioned"))
        b.miss("components[0].supplier", "foundation_model", _r("export.foundation_model_supplier"))
    elif system.foundation_model is None:
        b.miss("components", "foundation_model")
    else:
        b.na("components", "foundation_model", _r("export.no_separate_foundation_model", model=system.foundation_model))

    doc = json.loads(JsonV1Dot6(bom).output_as_string(indent=None))

    # model card (CycloneDX 1.5+ `modelCard`; added after serialisation, see module docstring)
    card: dict[str, Any] = {}
    mc = f"{root}.modelCard"
    kinds = [str(k) for k in system.model_kinds or []]
    if kinds:
        card.setdefault("modelParameters", {})["task"] = ", ".join(CDX_TASK_BY_MODEL_KIND.get(k, k) for k in kinds)
    else:
        b.miss(f"{mc}.modelParameters.task", "model_kinds")
    for f in ("approach", "architectureFamily", "modelArchitecture", "datasets", "inputs", "outputs"):
        b.miss(f"{mc}.modelParameters.{f}", None)
    b.miss(f"{mc}.quantitativeAnalysis", None, _r("export.no_metrics"))
    use_cases = ([system.intended_purpose] if system.intended_purpose else []) + [
        _use_case_label(u, "en") for u in system.use_cases or []
    ]
    if use_cases:
        card.setdefault("considerations", {})["useCases"] = use_cases
    else:
        b.miss(f"{mc}.considerations.useCases", "use_cases")
    users: list[str] = []
    if system.public_facing is not None or system.minors_users is not None:
        if system.public_facing is not None:
            users.append("the public (public-facing)" if system.public_facing else "not offered directly to the public")
        if system.minors_users:
            users.append("minors (persons under 18) are among the users")
    if users:
        card.setdefault("considerations", {})["users"] = users
    else:
        b.miss(f"{mc}.considerations.users", "public_facing")
    for f in ("technicalLimitations", "ethicalConsiderations", "fairnessAssessments"):
        b.miss(f"{mc}.considerations.{f}", None)
    if card:
        doc["metadata"]["component"]["modelCard"] = card
    b.document = doc
    return b.result(cites=[], spec_version="1.6")


# ---------------------------------------------------------------------------------------------
# dispatcher

EXPORTERS: dict[str, Callable[[AISystem], dict[str, Any]]] = {
    "cn-algorithm-filing": export_cn_algorithm_filing,
    "eu-annex-viii-a": export_eu_annex_viii_a,
    "nl-algorithm-register": export_nl_algorithm_register,
    "uk-atrs": export_uk_atrs,
    "cyclonedx": export_cyclonedx,
}
# filing exports for the regimes of 2025-2026 (Viet Nam, Colorado, New York City): registry/exports_2025.py
from .exports_2025 import EXPORTERS_2025  # noqa: E402  (it builds on the helpers above)

EXPORTERS.update(EXPORTERS_2025)


def _plugin_exporters() -> None:
    """Exporters of plug-ins (entry points `tianping.exporters`, `tianping.plugins.register("exporters", name)`)."""
    from ..plugins import registered

    for name, fn in registered("exporters").items():
        EXPORTERS.setdefault(name, fn)


_plugin_exporters()
FORMATS: tuple[str, ...] = tuple(EXPORTERS)


def check_format(fmt: str) -> str:
    if fmt not in EXPORTERS:
        _plugin_exporters()  # registered since import
    if fmt not in EXPORTERS:
        raise TianpingError(f"unknown export format '{fmt}'; choose one of: {', '.join(FORMATS)}", title="unknown export format")
    return fmt


def export_profile(system: AISystem, fmt: str) -> dict[str, Any]:
    """Export `system` to format `fmt` (one of FORMATS); TianpingError lists the formats otherwise."""
    return EXPORTERS[check_format(fmt)](system)
