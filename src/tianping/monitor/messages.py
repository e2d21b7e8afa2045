"""zh/en texts of the monitor (registered with tianping.i18n on import)."""

from __future__ import annotations

from ..i18n import MESSAGES, register_messages

MONITOR_MESSAGES: dict[str, dict[str, str]] = {
    "mon_title": {"en": "What changes for {id}, {start} to {end}", "zh": "{id} 在 {start} 至 {end} 期间的变化"},
    "mon_date": {"en": "Date", "zh": "日期"},
    "mon_what": {"en": "What", "zh": "事项"},
    "mon_kind": {"en": "Kind", "zh": "类别"},
    "mon_source": {"en": "Source", "zh": "依据"},
    "mon_nothing": {"en": "Nothing changes for {id} in this period.", "zh": "{id} 在此期间没有变化。"},
    "mon_no_systems": {"en": "No registered systems. Register one with `tianping register FILE`.", "zh": "尚无已登记系统。请先用 `tianping register 文件` 登记。"},
    "mon_unverified": {"en": "unverified date", "zh": "日期未核实"},
    "mon_rules_title": {"en": "Deadline rules for {id}", "zh": "{id} 的期限规则"},
    "mon_diff_title": {"en": "Re-classification of {id} since {ts}", "zh": "{id} 自 {ts} 以来的重新分类结果"},
    "mon_no_snapshot": {"en": "No stored classification of {id} yet; `tianping monitor --record` stores one.", "zh": "{id} 尚无已存储的分类结果；`tianping monitor --record` 可存储。"},
    "mon_unchanged": {"en": "Classification of {id} unchanged since {ts}.", "zh": "{id} 的分类结果自 {ts} 以来没有变化。"},
    "mon_recorded": {"en": "Recorded the classification of {n} systems ({c} changed).", "zh": "已记录 {n} 个系统的分类结果（{c} 个有变化）。"},
    "mon_ics": {"en": "Wrote {n} calendar events to {path}", "zh": "已将 {n} 个日程事件写入 {path}"},
    "mon_changes_title": {"en": "Catalog and rule-pack changes since {since}", "zh": "自 {since} 以来目录和规则包的变化"},
    "mon_no_changes": {"en": "No dated changes since {since}.", "zh": "自 {since} 以来没有带日期的变化。"},
    "mon_workdays_note": {"en": "Working days are Monday to Friday; public holidays are not counted yet (a deadline may be early, never late).",
                          "zh": "工作日按周一至周五计算，暂未计入节假日（期限可能提前，不会推迟）。"},
    # kinds of events
    "mon_k_tier": {"en": "tier", "zh": "风险等级"},
    "mon_k_obligation": {"en": "obligation", "zh": "义务"},
    "mon_k_amendment": {"en": "amendment", "zh": "修订"},
    "mon_k_deadline": {"en": "deadline", "zh": "期限"},
    "mon_k_incident": {"en": "incident report", "zh": "事件报告"},
    "mon_k_milestone": {"en": "procedure", "zh": "立法程序"},
    "mon_k_instrument": {"en": "instrument", "zh": "文件"},
    "mon_k_version": {"en": "version", "zh": "版本"},
    "mon_k_reclassified": {"en": "re-classified", "zh": "重新分类"},
    "mon_k_pack": {"en": "rule pack", "zh": "规则包"},
}

register_messages(MONITOR_MESSAGES)
assert all(k in MESSAGES for k in MONITOR_MESSAGES)
