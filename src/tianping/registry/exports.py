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
from functools import lru_cache
from typing import Any, Callable

from ..errors import TianpingError
from .profile import AISystem

Reason = dict[str, str]

# ---------------------------------------------------------------------------------------------
# shared helpers


def _r(en: str, zh: str) -> Reason:
    return {"en": en, "zh": zh}


NO_FIELD = _r("The profile has no field for this.", "系统档案中没有对应字段。")


def _unanswered(field: str) -> Reason:
    return _r(f"The profile does not answer '{field}'.", f"系统档案未填写“{field}”。")


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
        return {"format": self.fmt, "document": self.document, "missing": self.missing,
                "not_applicable": self.not_applicable, "notes": self.notes, **extra}


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

EU_MEMBER_STATES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)


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
    "finance": "金融", "health": "医疗健康", "education": "教育", "employment": "就业与人力资源",
    "public_sector": "政务与公共服务", "law_enforcement": "公共安全与执法", "migration": "出入境管理",
    "justice": "司法", "transport": "交通出行", "energy": "能源", "retail": "零售与电子商务",
    "media": "新闻资讯与网络视听", "telecoms": "电信", "manufacturing": "制造业", "research": "科学研究",
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
    b.miss(f"{e}.主体类型", None, _r("The profile does not say whether the entity is a company, public institution or other body.",
                                    "系统档案未说明主体为企业、事业单位或其他组织。"))
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
        b.miss(f"{e}.备案主体角色", "roles.CN", _r(
            f"roles.CN is {cn_roles}: neither service_provider (服务提供者) nor technical_supporter (技术支持者), the roles that file.",
            f"roles.CN 为 {cn_roles}，既非服务提供者也非技术支持者（负有备案义务的角色）。"))
    else:
        b.miss(f"{e}.备案主体角色", "roles.CN", _r("The profile gives no role in CN.", "系统档案未给出在中国（CN）的角色。"))

    # 算法信息
    if system.name_zh:
        b.set(f"{a}.算法名称", system.name_zh, "name_zh")
    else:
        b.set(f"{a}.算法名称", system.name, "name")
        b.notes.append(_r("The profile has no Chinese name (name_zh); the English name was used for 算法名称 and 产品名称.",
                          "系统档案无中文名称（name_zh），算法名称与产品名称暂用英文名称。"))
    basis = cn_algorithm_types(system)
    types = [t for t in CN_ALGORITHM_TYPES if any(x["type"] == t for x in basis)]
    if types:
        b.set(f"{a}.算法类型", types, "model_kinds")
    elif system.model_kinds is None and system.use_cases is None:
        b.miss(f"{a}.算法类型", "model_kinds", _r("Neither model_kinds nor use_cases is answered, so no algorithm type can be derived.",
                                                  "model_kinds 与 use_cases 均未填写，无法确定算法类型。"))
    else:
        b.miss(f"{a}.算法类型", "model_kinds", _r(
            f"None of model_kinds {[str(k) for k in system.model_kinds or []]} or use_cases {system.use_cases or []} maps to one of the five algorithm types.",
            f"model_kinds {[str(k) for k in system.model_kinds or []]} 与 use_cases {system.use_cases or []} 均不对应五类算法类型中的任何一类。"))
    if system.sector in CN_SECTOR_ZH:
        b.set(f"{a}.应用领域", CN_SECTOR_ZH[system.sector], "sector")
    elif system.sector:
        b.miss(f"{a}.应用领域", "sector", _r(f"sector '{system.sector}' names no specific domain.", f"sector“{system.sector}”未指明具体领域。"))
    else:
        b.miss(f"{a}.应用领域", "sector")
    b.set(f"{a}.使用场景", [_use_case_label(u, "zh") for u in system.use_cases or []], "use_cases")
    b.miss(f"{a}.算法基本原理", None)
    b.miss(f"{a}.算法运行机制", None)
    b.miss(f"{a}.算法安全自评估报告", None, _r("A separate report the provider must write (Art. 24); the profile does not hold it.",
                                              "须由服务提供者另行编写的报告（第二十四条），系统档案不包含。"))
    b.miss(f"{a}.拟公示内容", None)
    b.set(f"{a}.具有舆论属性或社会动员能力", system.public_opinion_attributes, "public_opinion_attributes")

    # 产品及功能信息
    b.set(f"{p}.产品名称", system.name_zh or system.name, "name_zh" if system.name_zh else "name")
    b.set(f"{p}.产品版本", system.version, "version")
    b.miss(f"{p}.服务形式", None, _r("The profile has no structured channel field (app, mini program, website, API).",
                                     "系统档案没有结构化的服务形式字段（APP、小程序、网站、API 等）。"))
    b.miss(f"{p}.产品访问地址", None)
    b.set(f"{p}.产品功能描述", system.intended_purpose, "intended_purpose")
    if system.public_facing is None:
        b.miss(f"{p}.服务对象", "public_facing")
    else:
        b.set(f"{p}.服务对象", "面向公众" if system.public_facing else "不直接面向公众", "public_facing")
    b.set(f"{p}.涉及未成年人用户", system.minors_users, "minors_users")
    b.set(f"{p}.上线时间", system.placed_on_market.isoformat() if system.placed_on_market else None, "placed_on_market")

    if system.public_opinion_attributes is False:
        b.notes.append(_r("public_opinion_attributes is false: Art. 24 filing is required only for services with public-opinion attributes or social-mobilisation capacity.",
                          "public_opinion_attributes 为否：第二十四条仅要求具有舆论属性或社会动员能力的服务提供者备案。"))
    if "CN" not in system.jurisdictions:
        b.notes.append(_r("CN is not among the profile's jurisdictions.", "系统档案的法域不包括中国（CN）。"))
    labels = dict(CN_LABELS)
    labels.update({t: CN_ALGORITHM_TYPE_EN[t] for t in CN_ALGORITHM_TYPES})
    return b.result(cites=["cn-algorithm-recommendation:art-24", "cn-algorithm-recommendation:art-2"],
                    labels=labels, algorithm_type_basis=basis)


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
    "remote_biometric_identification", "biometric_categorisation", "emotion_recognition",
    "realtime_remote_biometric_identification_law_enforcement",
    "law_enforcement_victim_risk", "law_enforcement_polygraph", "law_enforcement_evidence_reliability",
    "law_enforcement_offending_risk", "law_enforcement_profiling",
    "migration_polygraph", "migration_risk_assessment", "migration_application_examination", "migration_identification",
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
        b.miss("provider.name", "roles.EU", _r(f"The organisation's EU roles are {eu_roles}, not provider; the provider is not named in the profile.",
                                              f"该组织在欧盟的角色为 {eu_roles}，并非提供者；系统档案未写明提供者。"))
    else:
        b.miss("provider.name", "roles.EU", _r("The profile gives no EU role, so it does not say who the provider is.",
                                              "系统档案未给出欧盟角色，无法确定提供者。"))
    b.miss("provider.address", None)
    if org_is_provider:
        b.set("provider.country", org.country, "organisation.country")
    else:
        b.miss("provider.country", "roles.EU", _r("The provider is not the profile's organisation.", "提供者并非系统档案中的组织。"))
    b.miss("provider.contact_details", None)
    # 2. person submitting on the provider's behalf
    for f in ("name", "address", "contact_details"):
        b.miss(f"submitted_on_behalf_by.{f}", None, _r("Only where another person submits for the provider; the profile does not say who submits.",
                                                        "仅在他人代提供者提交时填写；系统档案未说明由谁提交。"))
    # 3. authorised representative (Art. 22: providers established in third countries)
    if org_is_provider and org.country in EU_MEMBER_STATES:
        for f in ("name", "address", "contact_details"):
            b.na(f"authorised_representative.{f}", "organisation.country", _r(
                f"The provider is established in an EU Member State ({org.country}); an authorised representative is needed only for providers established outside the Union.",
                f"提供者设立于欧盟成员国（{org.country}）；仅设立于欧盟境外的提供者需要授权代表。"))
    else:
        why = (_r(f"The provider is established outside the Union ({org.country}): an authorised representative is required, but the profile does not name one.",
                  f"提供者设立于欧盟境外（{org.country}），须指定授权代表，但系统档案未写明。")
               if org_is_provider and org.country else
               _r("Whether an authorised representative is needed depends on where the provider is established, which the profile does not settle.",
                  "是否需要授权代表取决于提供者的设立地，系统档案无法确定。"))
        for f in ("name", "address", "contact_details"):
            b.miss(f"authorised_representative.{f}", "organisation.country", why)
    # 4. trade name and unambiguous reference
    b.set("trade_name", system.name, "name")
    b.set("reference.id", system.id, "id")
    b.set("reference.version", system.version, "version")
    # 5. intended purpose, components and functions
    b.set("intended_purpose", system.intended_purpose, "intended_purpose")
    b.miss("components_and_functions", None, _r("The profile does not list the system's components and the functions they support.",
                                                  "系统档案未列出系统的组成部分及其支持的功能。"))
    # 6. information used and operating logic
    b.set("information_used.data_categories", _data_categories(system), "data")
    b.miss("information_used.description", None, _r("Annex VIII asks for a concise description of the data and inputs; the profile holds only data categories.",
                                                    "附件八要求简要说明所用数据与输入；系统档案仅有数据类别。"))
    b.set("operating_logic.model_kinds", [str(k) for k in system.model_kinds or []], "model_kinds")
    b.miss("operating_logic.description", None, _r("Annex VIII asks for a concise description of the operating logic; the profile holds only model kinds.",
                                                   "附件八要求简要说明运行逻辑；系统档案仅有模型类型。"))
    # 7. status
    lc = system.lifecycle
    if lc in EU_STATUS_BY_LIFECYCLE:
        b.set("status", EU_STATUS_BY_LIFECYCLE[lc], "lifecycle")
    elif lc is None:
        b.miss("status", "lifecycle")
    else:
        b.miss("status", "lifecycle", _r(f"lifecycle is '{lc}': the system is not (yet) on the market or in service, and 'recalled' cannot be told from the profile.",
                                         f"lifecycle 为“{lc}”：系统尚未投放市场或投入使用，且无法从档案判断是否已召回。"))
    # 8-9. notified-body certificate
    cert_reason = _r("The profile holds no notified-body certificate (needed where a notified body issued one).",
                     "系统档案中没有公告机构证书信息（由公告机构发证时需要）。")
    for f in ("type", "number", "expiry_date", "notified_body"):
        b.miss(f"certificate.{f}", None, cert_reason)
    b.miss("certificate_scan", None, cert_reason)
    # 10. Member States
    states = sorted(j for j in system.jurisdictions if j in EU_MEMBER_STATES)
    if states:
        b.set("member_states", states, "jurisdictions")
    elif "EU" in system.jurisdictions:
        b.miss("member_states", "jurisdictions", _r("jurisdictions says EU without naming the Member States.",
                                                    "jurisdictions 仅写明欧盟（EU），未列出具体成员国。"))
    else:
        b.miss("member_states", "jurisdictions", _r("The system is not placed on the EU market according to the profile.",
                                                    "根据系统档案，该系统未投放欧盟市场。"))
    # 11-13
    b.miss("eu_declaration_of_conformity", None)
    if set(system.use_cases or []) & _NO_IFU_USE_CASES:
        b.na("instructions_for_use", "use_cases", _r("Annex III points 1, 6 or 7 (biometrics, law enforcement, migration): instructions for use are not provided to the database.",
                                                     "附件三第1、6或7点（生物识别、执法、移民）领域：不提交使用说明。"))
    else:
        b.miss("instructions_for_use", None)
    b.miss("additional_information_url", None, _r("Optional (point 13); the profile has no URL.", "可选项（第13点）；系统档案没有网址。"))

    b.notes.append(_r("Annex VIII Section A applies to high-risk AI systems registered under Art. 49(1); run `tianping classify` to see whether this system is high-risk.",
                      "附件八A节适用于依第49条第1款登记的高风险人工智能系统；可运行 `tianping classify` 判断本系统是否属于高风险。"))
    return b.result(cites=["eu-ai-act:art-16"], source="Regulation (EU) 2024/1689, Art. 49(1) and Annex VIII Section A",
                    labels=EU_ANNEX_VIII_A_POINTS)


# ---------------------------------------------------------------------------------------------
# nl-algorithm-register (publication standard 1.0.0)

NL_STATUS_BY_LIFECYCLE = {"design": "In ontwikkeling", "development": "In ontwikkeling", "testing": "In ontwikkeling",
                          "deployed": "In gebruik", "retired": "Buiten gebruik"}
# Tianping sector → the standard's `category` (Thema) permitted values; unlisted sectors map to none.
NL_CATEGORY_BY_SECTOR = {
    "health": "Zorg en gezondheid", "education": "Onderwijs en wetenschap", "research": "Onderwijs en wetenschap",
    "employment": "Werk", "law_enforcement": "Openbare orde en veiligheid", "migration": "Migratie en integratie",
    "justice": "Recht", "transport": "Verkeer",
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
    b.miss("description_short", "intended_purpose", _r("A plain-language (B1 Dutch) summary of at most 350 characters; write it from intended_purpose.",
                                                       "不超过350字符的通俗荷兰语（B1）摘要，需根据 intended_purpose 另行撰写。"))
    _user_org_or_missing(b, "organization", system, _r(
        "The register names the government body that uses the algorithm; the profile's organisation is not a public authority (it may be the supplier).",
        "登记册填写使用该算法的政府机构；系统档案中的组织不是公共机构（可能是供应商）。"))
    if system.sector in NL_CATEGORY_BY_SECTOR:
        b.set("category", [NL_CATEGORY_BY_SECTOR[system.sector]], "sector")
    else:
        b.miss("category", "sector", _r(f"sector '{system.sector}' has no counterpart among the standard's themes." if system.sector else "The profile does not answer 'sector'.",
                                        f"sector“{system.sector}”在该标准的主题中没有对应项。" if system.sector else "系统档案未填写“sector”。"))
    lc = system.lifecycle
    b.set("status", NL_STATUS_BY_LIFECYCLE.get(lc) if lc else None, "lifecycle")
    b.set("begin_date", system.placed_on_market.strftime("%Y-%m") if system.placed_on_market else None, "placed_on_market")
    if lc == "retired":
        b.miss("end_date", None, _r("The system is retired but the profile has no retirement date.", "系统已停用，但系统档案没有停用日期。"))
    elif lc is None:
        b.miss("end_date", "lifecycle")
    else:
        b.na("end_date", "lifecycle", _r("The algorithm is not out of use; the standard says to leave the end date empty.",
                                         "该算法未停止使用；标准要求此时结束日期留空。"))
    b.miss("contact_email", None)
    b.miss("website", None)
    b.miss("publication_category", None, _r("Depends on the classification under the AI Act and the Dutch guidance (high-risk / impactful / other); the profile does not record it.",
                                            "取决于依《人工智能法》及荷兰指南的分类（高风险/有影响/其他），系统档案未记录。"))
    b.miss("url", None)
    b.set("goal", system.intended_purpose, "intended_purpose")
    b.miss("proportionality", None)
    b.set("human_intervention", AUTONOMY_TEXT.get(system.autonomy) if system.autonomy else None, "autonomy")
    b.miss("risks", None, _r("The profile rates harm probability/severity but does not describe how risks are managed.",
                             "系统档案对损害可能性/严重性进行了评级，但未描述风险管理措施。"))
    b.miss("lawful_basis", None)
    b.miss("lawful_basis_grouping", None)
    b.miss("process_index_url", None)
    b.miss("impacttoetsen", None)
    b.miss("impacttoetsen_grouping", None, _r("The profile records no IAMA, DPIA or other impact assessment.", "系统档案未记录 IAMA、DPIA 或其他影响评估。"))
    cats = _data_categories(system)
    b.miss("source_data", "data", _r(
        f"The profile has only data categories ({', '.join(cats) or 'none given'}); the standard asks for the concrete data used and their sources.",
        f"系统档案仅有数据类别（{', '.join(cats) or '未填写'}）；该标准要求说明具体数据及其来源。"))
    b.miss("source_data_grouping", None)
    kinds = [str(k) for k in system.model_kinds or []]
    b.miss("methods_and_models", "model_kinds", _r(
        f"The standard asks how the algorithm works (input, operation, output, self-learning or not); the profile gives only model kinds ({', '.join(kinds) or 'none given'}).",
        f"该标准要求说明算法如何运作（输入、运行、输出、是否自学习）；系统档案仅给出模型类型（{', '.join(kinds) or '未填写'}）。"))
    if _is_provider_anywhere(system) and not org.public_authority:
        b.set("provider", org.name, "organisation.name")
    elif _is_provider_anywhere(system) and org.public_authority:
        b.set("provider", "Intern ontwikkeld", "roles")  # the standard's own wording for in-house development
    else:
        b.miss("provider", "roles", _r("The organisation is not the provider, and the profile does not name the supplier.",
                                      "该组织不是提供者，系统档案也未写明供应商。"))
    b.miss("publiccode", "open_source", _r("The profile has no link to source code.", "系统档案没有源代码链接。"))
    b.miss("lang", None, _r("The register accepts Dutch ('nld') only; the texts copied from the profile are not in Dutch and need translating.",
                            "该登记册仅接受荷兰语（nld）；从系统档案复制的文本不是荷兰语，需要翻译。"))
    b.set("standard_version", "1.0.0", None)
    b.set("source_id", system.id, "id")
    b.miss("tags", None)
    if "NL" not in system.jurisdictions:
        b.notes.append(_r("NL is not among the profile's jurisdictions.", "系统档案的法域不包括荷兰（NL）。"))
    return b.result(cites=[], source="Algoritmeregister publicatiestandaard 1.0.0")


# ---------------------------------------------------------------------------------------------
# uk-atrs

UK_PHASE_BY_LIFECYCLE = {"design": "design", "development": "development", "deployed": "production", "retired": "retired"}


def export_uk_atrs(system: AISystem) -> dict[str, Any]:
    b = _Builder("uk-atrs")
    org = system.organisation
    t1, own, desc, dm, tool, data, risk = ("tier_1", "tier_2.owner_and_responsibility", "tier_2.description_and_rationale",
                                           "tier_2.decision_making_process", "tier_2.tool_specification", "tier_2.data",
                                           "tier_2.risks_mitigations_and_impact_assessments")
    b.set(f"{t1}.name", system.name, "name")
    b.set(f"{t1}.description", system.intended_purpose, "intended_purpose")
    b.miss(f"{t1}.website", None)
    b.miss(f"{t1}.contact_email", None)

    _user_org_or_missing(b, f"{own}.organisation", system, _r(
        "The ATRS names the public-sector body responsible for using the tool; the profile's organisation is not a public authority (it may be the supplier).",
        "ATRS 填写负责使用该工具的公共部门机构；系统档案中的组织不是公共机构（可能是供应商）。"))
    b.miss(f"{own}.team", None)
    b.miss(f"{own}.senior_responsible_owner", None)
    if _is_provider_anywhere(system) and not org.public_authority:
        b.set(f"{own}.external_supplier", org.name, "organisation.name")
        b.set(f"{own}.external_supplier_role", "provider (developer) of the algorithmic tool", "roles")
    elif _is_provider_anywhere(system):
        b.na(f"{own}.external_supplier", "roles", _r("Developed by the organisation itself (it is the provider).", "由该组织自行开发（其为提供者）。"))
        b.na(f"{own}.external_supplier_role", "roles", _r("No external supplier.", "无外部供应商。"))
    else:
        for f in ("external_supplier", "external_supplier_role"):
            b.miss(f"{own}.{f}", "roles", _r("The organisation is not the provider, and the profile does not name the supplier.",
                                            "该组织不是提供者，系统档案也未写明供应商。"))
    b.miss(f"{own}.external_supplier_identifier", None)
    b.miss(f"{own}.data_access_terms", None)

    b.miss(f"{desc}.scope", "intended_purpose", _r("The ATRS asks what the tool is and is not designed for; the profile states only the intended purpose.",
                                                  "ATRS 要求说明工具的设计用途与非设计用途；系统档案仅说明了预期用途。"))
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
        b.miss(f"{tool}.phase", "lifecycle", _r(f"lifecycle '{lc}' has no counterpart among the ATRS phases (idea, design, development, production, retired).",
                                               f"lifecycle“{lc}”在 ATRS 阶段（构想、设计、开发、生产、停用）中没有对应项。"))
    b.miss(f"{tool}.maintenance", None)
    b.miss(f"{tool}.system_architecture", None)

    cats = _data_categories(system)
    b.miss(f"{data}.source_data_name", None)
    b.miss(f"{data}.source_data_description", "data", _r(
        f"The profile has only data categories ({', '.join(cats) or 'none given'}); the ATRS asks which data are used for training, testing and operation.",
        f"系统档案仅有数据类别（{', '.join(cats) or '未填写'}）；ATRS 要求说明训练、测试和运行所用的数据。"))
    for f in ("source_data_url", "data_collection", "data_sharing_agreements", "data_access_and_storage"):
        b.miss(f"{data}.{f}", None)

    for f in ("impact_assessment_name", "impact_assessment_description", "impact_assessment_date", "impact_assessment_link"):
        b.miss(f"{risk}.{f}", None, _r("The profile records no impact assessment.", "系统档案未记录影响评估。"))
    for f in ("risk_name", "risk_description", "risk_mitigation"):
        b.miss(f"{risk}.{f}", None, _r("The profile rates harm probability/severity but names no risks or mitigations.",
                                      "系统档案对损害可能性/严重性进行了评级，但未列出具体风险及缓解措施。"))
    if "GB" not in system.jurisdictions:
        b.notes.append(_r("GB is not among the profile's jurisdictions; the ATRS is for UK public-sector bodies.",
                          "系统档案的法域不包括英国（GB）；ATRS 适用于英国公共部门机构。"))
    return b.result(cites=[], source="UK Algorithmic Transparency Recording Standard (tiers 1 and 2)")


# ---------------------------------------------------------------------------------------------
# cyclonedx

CDX_TASK_BY_MODEL_KIND = {
    "classifier": "classification", "regressor": "regression", "recommender": "recommendation",
    "ranking_selection": "ranking", "search_filtering": "search and filtering", "dispatch_decision": "dispatch and scheduling decisions",
    "generative_text": "text generation", "generative_image": "image generation", "generative_audio": "audio generation",
    "generative_video": "video generation", "deep_synthesis": "deep synthesis (face/voice editing)",
    "biometric_identification": "biometric identification", "biometric_categorisation": "biometric categorisation",
    "emotion_recognition": "emotion recognition", "general_purpose_model": "general-purpose model",
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
    props = [Property(name=f"tianping:{k}", value=v) for k, v in (
        ("id", system.id),
        ("jurisdictions", ",".join(system.jurisdictions)),
        ("lifecycle", system.lifecycle),
        ("autonomy", system.autonomy),
        ("sector", system.sector),
        ("use_cases", ",".join(system.use_cases) if system.use_cases else None),
        ("open_source", None if system.open_source is None else str(system.open_source).lower()),
        ("placed_on_market", system.placed_on_market.isoformat() if system.placed_on_market else None),
    ) if v is not None]
    comp = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL, name=system.name, version=system.version, bom_ref=system.id,
        supplier=OrganizationalEntity(name=system.organisation.name), description=system.intended_purpose,
        properties=props,
    )
    if system.version is None:
        b.miss(f"{root}.version", "version")
    if system.intended_purpose is None:
        b.miss(f"{root}.description", "intended_purpose")
    b.miss(f"{root}.licenses", "open_source", _r("The profile names no licence.", "系统档案未写明许可证。"))

    bom = Bom()
    bom.metadata.component = comp
    bom.metadata.tools.components.add(Component(type=ComponentType.APPLICATION, name="tianping", version=__version__))
    fm = _foundation_model(system)
    if fm is not None:
        fm_comp = Component(type=ComponentType.MACHINE_LEARNING_MODEL, name=fm, bom_ref=f"{system.id}-foundation-model",
                            description="Foundation model named in the profile (field foundation_model).")
        bom.components.add(fm_comp)
        bom.register_dependency(comp, [fm_comp])
        b.miss("components[0].version", "foundation_model", _r("The profile names the foundation model in free text only, without a version.",
                                                               "系统档案仅以文字描述基础模型，没有版本号。"))
        b.miss("components[0].supplier", "foundation_model", _r("The profile does not name the foundation model's supplier.",
                                                                "系统档案未写明基础模型的供应方。"))
    elif system.foundation_model is None:
        b.miss("components", "foundation_model")
    else:
        b.na("components", "foundation_model", _r(f"The profile says there is no separate foundation model: '{system.foundation_model}'.",
                                                 f"系统档案说明没有单独的基础模型：“{system.foundation_model}”。"))

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
    b.miss(f"{mc}.quantitativeAnalysis", None, _r("The profile holds no performance metrics.", "系统档案不含性能指标。"))
    use_cases = ([system.intended_purpose] if system.intended_purpose else []) + [_use_case_label(u, "en") for u in system.use_cases or []]
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
