"""zh/en texts of the observatory's CLI (registered with tianping.i18n on import)."""

from __future__ import annotations

from ..i18n import MESSAGES, register_messages

OBS_MESSAGES: dict[str, dict[str, str]] = {
    "obs_imported": {"en": "Imported {n} values of {ind} from {file} ({missing} empty cells, {agg} aggregates or unknown codes skipped).",
                     "zh": "已从 {file} 导入 {ind} 的 {n} 个数值（跳过空值 {missing} 个、汇总区域或未知代码 {agg} 个）。"},
    "obs_indicators_title": {"en": "Stored indicators", "zh": "已存储的指标"},
    "obs_values": {"en": "Values", "zh": "数值数"},
    "obs_countries": {"en": "Countries", "zh": "国家数"},
    "obs_years": {"en": "Years", "zh": "年份"},
    "obs_source": {"en": "Source / licence", "zh": "来源 / 许可"},
    "obs_country": {"en": "Country", "zh": "国家"},
    "obs_rank": {"en": "Rank", "zh": "排名"},
    "obs_index": {"en": "Index", "zh": "指数"},
    "obs_coverage": {"en": "Coverage", "zh": "数据覆盖"},
    "obs_rank_range": {"en": "Rank 5–95%", "zh": "排名5%–95%"},
    "obs_missing": {"en": "Not measured", "zh": "缺失维度"},
    "obs_ranking_title": {"en": "{m} — {y} ({n} ranked)", "zh": "{m} — {y}年（{n} 个国家排名）"},
    "obs_unranked": {"en": "{n} countries lack enough data to be ranked (shown with --json, or --all): {codes}",
                     "zh": "{n} 个国家数据不足，未参与排名（--json 或 --all 可查看）：{codes}"},
    "obs_sensitivity": {"en": "Rank stability: {d} weight draws (±{s:.0%}, seed {seed}); mean absolute rank shift {shift}.",
                        "zh": "排名稳定性：{d} 次权重扰动（±{s:.0%}，种子 {seed}）；平均排名绝对变化 {shift}。"},
    "obs_dimension": {"en": "Dimension", "zh": "维度"},
    "obs_indicator": {"en": "Indicator", "zh": "指标"},
    "obs_value": {"en": "Value (year)", "zh": "数值（年份）"},
    "obs_status": {"en": "Status", "zh": "状态"},
    "obs_gap": {"en": "Gap to leader", "zh": "与领先者差距"},
    "obs_leader": {"en": "Leader per dimension: {items}", "zh": "各维度领先者：{items}"},
    "obs_member_since": {"en": "Member since", "zh": "加入日期"},
    "obs_capacity_title": {"en": "Capacity building for {c} (index {i})", "zh": "{c} 的能力建设重点（指数 {i}）"},
    "obs_addressed_by": {"en": "Addressed by", "zh": "对应行动"},
    "obs_not_measured": {"en": "Not measured (no data): {dims}", "zh": "未能测量（无数据）：{dims}"},
    "obs_chart": {"en": "Chart written to {path}", "zh": "图表已写入 {path}"},
    "obs_valid_methodology": {"en": "Methodology {id} {v} is valid: {p} pillars, {d} dimensions, {i} indicators.",
                              "zh": "方法 {id} {v} 校验通过：{p} 个支柱、{d} 个维度、{i} 个指标。"},
    "obs_policy_title": {"en": "AI policies of {c}", "zh": "{c} 的人工智能政策"},
    "obs_date": {"en": "Date", "zh": "日期"},
    "obs_not_reviewed": {"en": "The tracker has not reviewed {c}: absent entries mean unknown, not none.",
                         "zh": "政策追踪尚未系统核查 {c}：未列出不代表没有。"},
    "obs_group": {"en": "Group", "zh": "组织"},
    "obs_inc_saved": {"en": "{imported} new, {updated} updated, {dup} duplicates skipped, {conf} conflicts kept unchanged.",
                      "zh": "新增 {imported} 条，更新 {updated} 条，跳过重复 {dup} 条，冲突未改动 {conf} 条。"},
    "obs_inc_title": {"en": "Incidents", "zh": "事件"},
    "obs_severity": {"en": "Severity", "zh": "严重程度"},
    "obs_reports": {"en": "Reports", "zh": "报道数"},
    "obs_systems": {"en": "Systems", "zh": "关联系统"},
    "obs_deadline": {"en": "{regime}: {status}{by} — {reason}", "zh": "{regime}：{status}{by} — {reason}"},
    "obs_report_by": {"en": ", report by {d}", "zh": "，报告截止 {d}"},
    "obs_exported": {"en": "Exported {n} incidents to {path} (bundle {id}, signed by {fp}).",
                     "zh": "已导出 {n} 条事件至 {path}（包 {id}，签名者 {fp}）。"},
    "obs_verified": {"en": "Bundle {id} verified: {n} incidents, signed by {fp}.", "zh": "事件包 {id} 校验通过：{n} 条事件，签名者 {fp}。"},
    "obs_linked": {"en": "Linked {id} to {systems}.", "zh": "已将 {id} 关联到 {systems}。"},
}

if not set(OBS_MESSAGES) <= set(MESSAGES):
    register_messages({k: v for k, v in OBS_MESSAGES.items() if k not in MESSAGES})
