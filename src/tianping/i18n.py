"""Everything a person reads, in English and Chinese.

The language comes from `--lang`, else `TIANPING_LANG`, else the locale (`LANG` starting with
`zh` gives Chinese), else English.
"""

from __future__ import annotations

import os

MESSAGES: dict[str, dict[str, str]] = {
    "error": {"en": "Error", "zh": "错误"},
    "id": {"en": "ID", "zh": "编号"},
    "title": {"en": "Title", "zh": "标题"},
    "kind": {"en": "Kind", "zh": "类型"},
    "jurisdiction": {"en": "Jurisdiction", "zh": "法域"},
    "provisions": {"en": "Provisions", "zh": "条款数"},
    "instrument": {"en": "Instrument", "zh": "文件"},
    "predicate": {"en": "Predicate", "zh": "关系"},
    "confidence": {"en": "Confidence", "zh": "置信度"},
    "hops": {"en": "Hops", "zh": "跳数"},
    "why": {"en": "Justification", "zh": "依据"},
    "number": {"en": "No.", "zh": "序号"},
    "verified": {"en": "Verified", "zh": "已核实"},
    "score": {"en": "Score", "zh": "相关度"},
    "catalog_title": {"en": "Governance catalog", "zh": "治理文件目录"},
    "search_title": {"en": "Search results for “{q}”", "zh": "“{q}”的检索结果"},
    "no_results": {"en": "No results.", "zh": "没有结果。"},
    "crosswalk_title": {"en": "Crosswalk from {qid}", "zh": "{qid} 的对应关系"},
    "reaches": {"en": "{n} provisions in {m} other instruments", "zh": "共 {n} 条对应条款，涉及其他 {m} 份文件"},
    "valid_catalog": {"en": "Catalog is valid: {i} instruments, {p} provisions, {pr} principles, {m} mappings.",
                      "zh": "目录校验通过：{i} 份文件，{p} 条条款，{pr} 项原则，{m} 条映射。"},
    "wrote": {"en": "Wrote {path}", "zh": "已写入 {path}"},
    "via": {"en": "via principle {p}", "zh": "经由原则 {p}"},
    "loading_catalog": {"en": "Loading the governance catalog into {db}", "zh": "正在将治理目录载入 {db}"},
    "db_ready": {"en": "Database ready at {url} (schema revision {rev}).", "zh": "数据库已就绪：{url}（结构版本 {rev}）。"},
    "demo_intro": {"en": "Tianping main job: catalog → crosswalk → register → classify, on the bundled defaults.",
                   "zh": "天平主流程：在内置默认数据上依次完成目录加载、对应关系、系统登记与分类分级。"},
    "demo_systems": {"en": "Example systems ({n}): tier per jurisdiction (number of obligations)",
                     "zh": "示例系统（{n} 个）：各法域风险等级（义务数量）"},
    "demo_report": {"en": "Signed report for {id} (run {run}; {totals}): {path}", "zh": "{id} 的已签名报告（测试运行 {run}；{totals}）：{path}"},
    "demo_next": {"en": "Next: `tianping classify ID --explain` shows the rules behind a tier; `tianping verify BUNDLE` checks a report offline.",
                  "zh": "下一步：`tianping classify 编号 --explain` 查看等级背后的规则；`tianping verify 报告包` 可离线校验报告。"},
    "principle": {"en": "Principle", "zh": "原则"},
    "registered": {"en": "Registered {id} (version {v}).", "zh": "已登记 {id}（版本 {v}）。"},
    "updated": {"en": "Updated {id} (now version {v}).", "zh": "已更新 {id}（当前版本 {v}）。"},
    "unchanged": {"en": "{id} is unchanged (version {v}).", "zh": "{id} 无变化（版本 {v}）。"},
    "classification_title": {"en": "Classification of {id}", "zh": "{id} 的分类分级结果"},
    "tier": {"en": "Tier", "zh": "风险等级"},
    "cites": {"en": "Cites", "zh": "依据条款"},
    "needs_answers": {"en": "needs answers (see questions)", "zh": "需补充信息（见下列问题）"},
    "voluntary": {"en": "voluntary", "zh": "自愿性"},
    "questions_for": {"en": "Questions that would decide {j}:", "zh": "决定 {j} 结果所需回答的问题："},
    "trace_title": {"en": "Rules evaluated for {j}", "zh": "{j} 规则评估轨迹"},
    "rule": {"en": "Rule", "zh": "规则"},
    "outcome": {"en": "Outcome", "zh": "结果"},
    "reads": {"en": "Fields read", "zh": "读取字段"},
    "obligations_title": {"en": "Obligations of {id}", "zh": "{id} 的合规义务"},
    "obligation": {"en": "Obligation", "zh": "义务"},
    "roles": {"en": "Roles", "zh": "角色"},
    "applies_from": {"en": "Applies from", "zh": "适用日期"},
    "status": {"en": "Status", "zh": "状态"},
    "status_applies": {"en": "applies", "zh": "适用"},
    "status_possible": {"en": "possible (needs answers)", "zh": "可能适用（需补充信息）"},
    "status_upcoming": {"en": "upcoming", "zh": "尚未生效"},
    "organisation": {"en": "Organisation", "zh": "组织"},
    "version": {"en": "Version", "zh": "版本"},
    "key_created": {"en": "Created a signing key ({path}). Fingerprint: {fp}", "zh": "已创建签名密钥（{path}）。指纹：{fp}"},
    "key_fingerprint": {"en": "Signing key fingerprint: {fp}", "zh": "签名密钥指纹：{fp}"},
    "imported": {"en": "Imported {n} mappings into {path}", "zh": "已导入 {n} 条映射至 {path}"},
    "export_title": {"en": "Export of {id} as {fmt}", "zh": "{id} 导出为 {fmt}"},
    "export_missing": {"en": "{n} fields could not be filled from the profile (null in the document, to be completed):",
                       "zh": "{n} 个字段无法从系统档案填写（文档中为空值，需补充）："},
    "export_complete": {"en": "Every field was filled from the profile.", "zh": "所有字段均已根据系统档案填写。"},
    "export_not_applicable": {"en": "{n} fields do not apply to this system:", "zh": "{n} 个字段不适用于本系统："},
    "export_from": {"en": "profile field", "zh": "档案字段"},
}


def register_messages(messages: dict[str, dict[str, str]]) -> None:
    """Let a feature module add its own zh/en messages (keys must be new)."""
    clash = set(messages) & set(MESSAGES)
    if clash:
        raise ValueError(f"message keys defined twice: {sorted(clash)}")
    for key, texts in messages.items():
        if not texts.get("en") or not texts.get("zh"):
            raise ValueError(f"message '{key}' needs both en and zh")
    MESSAGES.update(messages)


def current_lang(explicit: str | None = None) -> str:
    lang = explicit or os.environ.get("TIANPING_LANG") or ""
    if not lang:
        lang = "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"
    return "zh" if lang.lower().startswith("zh") else "en"


def t(key: str, lang: str = "en", **kwargs: object) -> str:
    entry = MESSAGES[key]
    return entry.get(lang, entry["en"]).format(**kwargs)
