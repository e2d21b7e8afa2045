"""Render an assessment (the dict from `assessment.assess`) as HTML, PDF, JSON and OSCAL."""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import __version__
from ..assessment.assess import KIND_TEXT, VERDICT_TEXT
from ..catalog.loader import default_catalog
from .charts import metric_chart, verdict_chart
from .numbers import interval, sig, threshold_text

TEMPLATES = Path(__file__).parent / "templates"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "AI system assessment report", "summary": "Summary", "system": "System profile",
        "classification": "Classification by jurisdiction", "tests": "Technical test results", "matrix": "Obligation matrix",
        "gaps": "Gaps and recommended actions", "instruments": "By instrument", "evidence_map": "Evidence reused across instruments",
        "jurisdiction": "Jurisdiction", "tier": "Tier", "cites": "Cites", "obligation": "Obligation", "verdict": "Verdict",
        "evidence": "Evidence", "reasoning": "Reasoning", "metric": "Metric", "value": "Value", "threshold": "Threshold",
        "ci": "95% CI", "passed": "Within threshold", "run": "Run", "test": "Test", "provisions": "Provisions evidenced",
        "action": "Recommended action", "generated": "Generated", "as_of": "Law as of", "all_in_force": "all provisions in force",
        "field": "Field", "obligations": "obligations", "questions": "Open questions", "yes": "yes", "no": "no",
        "none": "none", "instrument": "Instrument", "checks": "Process checks", "answer": "Answer", "version": "Tianping",
        "run_test": "Run the test suite", "answer_checks": "Answer the process checks", "fix": "Fix the failing metrics",
        "complete_profile": "Answer the profile questions", "voluntary": "voluntary",
        "more_data": "Collect more data: some groups or samples are below the minimum size", "status": "Status",
        "kind": "Evidence", "n": "n", "slice": "Slice", "decided_by": "Decided by", "producer": "Produced by",
        "dataset": "Data", "rows": "rows", "method": "method", "unlinked": "Evidence not linked to any obligation",
        "simulated_banner": "SIMULATED EVIDENCE — this report contains invented numbers from a demo run. They are shown, marked and never counted toward any verdict.",
        "simulated_mark": "SIMULATED — not evidence", "rules": "Verdict rules", "rescored": "Re-scored with thresholds from",
        "disclaimer": "This report states what the evidence supplied shows against the obligations Tianping derives from its rule packs. It is not legal advice; items marked unverified in the catalog were not checked against the official text.",
    },
    "zh": {
        "title": "人工智能系统评估报告", "summary": "摘要", "system": "系统信息",
        "classification": "各法域分类分级", "tests": "技术测试结果", "matrix": "义务符合性矩阵",
        "gaps": "差距与建议措施", "instruments": "按文件汇总", "evidence_map": "同一证据在多份文件中的复用",
        "jurisdiction": "法域", "tier": "等级", "cites": "依据条款", "obligation": "义务", "verdict": "结论",
        "evidence": "证据", "reasoning": "理由", "metric": "指标", "value": "数值", "threshold": "阈值",
        "ci": "95% 置信区间", "passed": "达到阈值", "run": "测试运行", "test": "测试", "provisions": "所证明的条款",
        "action": "建议措施", "generated": "生成时间", "as_of": "法律状态日期", "all_in_force": "所有条款视为已生效",
        "field": "字段", "obligations": "项义务", "questions": "待回答问题", "yes": "是", "no": "否",
        "none": "无", "instrument": "文件", "checks": "流程检查", "answer": "答复", "version": "天平",
        "run_test": "运行测试套件", "answer_checks": "回答流程检查", "fix": "改进未达标指标",
        "complete_profile": "回答系统信息问题", "voluntary": "自愿性",
        "more_data": "补充数据：部分群体或样本数低于最低要求", "status": "状态",
        "kind": "证据类型", "n": "样本数", "slice": "切片", "decided_by": "决定依据", "producer": "产生方",
        "dataset": "数据", "rows": "行", "method": "判定方法", "unlinked": "未关联任何义务的证据",
        "simulated_banner": "模拟证据 —— 本报告包含演示运行产生的虚构数值，仅作展示并明确标注，不计入任何结论。",
        "simulated_mark": "模拟数据 —— 非真实证据", "rules": "判定规则", "rescored": "已使用以下阈值重新评分",
        "disclaimer": "本报告说明所提供的证据相对于天平规则包推导出的义务的情况，不构成法律意见；目录中标记为未核实的内容未与官方文本核对。",
    },
}


STATUS_TEXT: dict[str, dict[str, str]] = {
    "pass": {"en": "pass", "zh": "达标"}, "warn": {"en": "warn", "zh": "预警"}, "fail": {"en": "fail", "zh": "未达标"},
    "insufficient_data": {"en": "insufficient data", "zh": "数据不足"}, "error": {"en": "error", "zh": "错误"},
    "not_judged": {"en": "not judged", "zh": "未判定"},
}


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, ensure_ascii=False, indent=1)
    return env


def context(assessment: dict[str, Any], lang: str) -> dict[str, Any]:
    L = LABELS[lang]
    verdict_labels = {k: v[lang] for k, v in VERDICT_TEXT.items()} | {"obligations": L["obligations"]}
    per_j: dict[str, Counter] = defaultdict(Counter)
    for o in assessment["obligations"]:
        per_j[o["jurisdiction"]][o["verdict"]] += 1
    chart = verdict_chart({j: dict(c) for j, c in per_j.items()}, verdict_labels) if per_j else None
    rows_by_id = {r["id"]: r for r in assessment.get("rows", [])}
    rows_by_run: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in assessment.get("rows", []):
        rows_by_run[r["run"]].append(r)
    runs = {ev["run_id"]: ev for ev in assessment.get("evidence", [])}
    metric_charts = {}
    for rid, rs in rows_by_run.items():
        title = rid[:8] + (f" — {KIND_TEXT['simulated'][lang]}" if runs.get(rid, {}).get("kind") == "simulated" else "")
        metric_charts[rid] = metric_chart([{"name": r["metric"], "group": r["slice_text"], "value": r["value"], "ci": r["ci"],
                                            "passed": {"pass": True, "fail": False}.get(r["status"]),
                                            "threshold": (r["threshold"] or {}).get("value")} for r in rs
                                           if r["status"] in ("pass", "warn", "fail")], title)
    cat = default_catalog()
    from ..registry.profile import field_label

    def ptitle(qid: str) -> str:
        ref = cat.provisions.get(qid)
        if ref is None:
            return qid
        p = ref.provision
        inst = cat.instruments.get(qid.split(":", 1)[0])
        short = (inst.short_title.zh if lang == "zh" else inst.short_title.en) if inst is not None and getattr(inst, "short_title", None) else ""
        head = f"{short} {p.number or p.id}".strip()
        return f"{head} {p.title.zh if lang == 'zh' else p.title.en}"

    def cite(qid: str) -> str:
        ref = cat.provisions.get(qid)
        inst = cat.instruments.get(qid.split(":", 1)[0])
        if ref is None or inst is None:
            return qid
        short = getattr(inst, "short_title", None)
        name = (short.zh if lang == "zh" else short.en) if short else (inst.title.zh if lang == "zh" else inst.title.en)
        return f"{name} {ref.provision.number or ref.provision.id}"

    gaps = []
    for o in assessment["obligations"]:
        if o["verdict"] in ("not_met", "partial", "needs_evidence", "insufficient_data"):
            actions = []
            if o["classification_status"] == "possible":
                actions.append(L["complete_profile"])
            failing = [rows_by_id[i] for i in o.get("decisive", []) if i in rows_by_id and rows_by_id[i]["status"] in ("fail", "warn")]
            if failing:
                actions.append(f"{L['fix']}: " + ", ".join(sorted({f"{r['metric']}" + (f" [{r['slice_text']}]" if r["slice_text"] else "") for r in failing})[:5]))
            if o["verdict"] == "insufficient_data":
                actions.append(L["more_data"])
            tested = {rows_by_id[i]["test"] for i in o.get("rows", []) if i in rows_by_id and rows_by_id[i]["counted"]}
            missing_tests = [t for t in o["planned_tests"] if t not in tested]
            if missing_tests:
                actions.append(f"{L['run_test']}: {', '.join(missing_tests)}")
            answered = {c["item"] for c in o["checks"]}
            missing_checks = [c for c in o["planned_checks"] if c not in answered]
            if missing_checks:
                actions.append(f"{L['answer_checks']}: {', '.join(missing_checks[:5])}" + ("…" if len(missing_checks) > 5 else ""))
            gaps.append({"o": o, "actions": actions})
    name = assessment["system_name"]
    if lang == "zh" and assessment.get("system_name_zh"):
        name = assessment["system_name_zh"]
    return {
        "a": assessment, "L": L, "lang": lang, "V": verdict_labels, "K": {k: v[lang] for k, v in KIND_TEXT.items()},
        "chart": chart, "rows_by_run": dict(rows_by_run), "rows_by_id": rows_by_id, "runs": runs,
        "metric_charts": metric_charts, "ptitle": ptitle, "gaps": gaps, "version": __version__, "system_name": name,
        "any_simulated": bool(assessment.get("simulated_runs")),
        "has_sim": lambda o: any(rows_by_id[i]["evidence_kind"] == "simulated" for i in o.get("rows", []) if i in rows_by_id),
        "flabel": lambda field_id: field_label(field_id, lang),
        "tr": lambda d: (d or {}).get(lang) or (d or {}).get("en", ""),
        "num": sig, "ci": interval, "thr": lambda t: threshold_text(t, lang, cite),
        "status_text": lambda s: STATUS_TEXT.get(s, {}).get(lang, s),
    }


def render_html(assessment: dict[str, Any], lang: str = "en") -> str:
    return _env().get_template("report.html.j2").render(**context(assessment, lang))


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    from ..extras import require

    require("pdf", "weasyprint")
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def oscal_assessment_results(assessment: dict[str, Any]) -> dict[str, Any]:
    """An OSCAL assessment-results document: one finding per obligation, observations for evidence."""
    from trestle.oscal import assessment_results as ar
    from trestle.oscal import common as om

    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ns = uuid.UUID("3c1f5f5e-0a57-4d43-8d8d-6b1c2a7e9f10")
    observations, findings = [], []
    rows_by_id = {r["id"]: r for r in assessment.get("rows", [])}
    runs = {ev["run_id"]: ev for ev in assessment.get("evidence", [])}
    prop_ns = "https://github.com/tianping-ai/tianping/ns/oscal"
    made: dict[str, str] = {}

    def observation_for(r: dict[str, Any]) -> str:
        if r["id"] in made:
            return made[r["id"]]
        sl = r["slice_text"]
        oid = str(uuid.uuid5(ns, f"{assessment['system']}|{r['run']}|{r['id']}|{r['test']}|{r['metric']}"))
        simulated = r["evidence_kind"] == "simulated"
        producer = runs.get(r["run"], {}).get("producer", {})
        desc = (f"value={r['value']} ci={r['ci']} n={r['n']} threshold={r['threshold']} status={r['status']} "
                f"(run {r['run']}, {r['evidence_kind']} evidence from {producer.get('engine', '?')} {producer.get('engine_version') or ''})")
        if simulated:
            desc = "SIMULATED evidence, not counted toward any finding: " + desc
        observations.append(om.Observation(
            uuid=oid, title=("[SIMULATED] " if simulated else "") + f"{r['test']}: {r['metric']}" + (f" [{sl}]" if sl else ""),
            description=desc, methods=["TEST"], collected=now,
            props=[om.Property(name="evidence-kind", value=r["evidence_kind"], ns=prop_ns),
                   om.Property(name="status", value=r["status"], ns=prop_ns),
                   om.Property(name="counted", value="true" if r.get("counted") else "false", ns=prop_ns)]))
        made[r["id"]] = oid
        return oid

    for o in assessment["obligations"]:
        obs_ids = [observation_for(rows_by_id[i]) for i in o.get("rows", []) if i in rows_by_id]
        for c in o["checks"]:
            oid = str(uuid.uuid5(ns, f"{assessment['system']}|{o['obligation']}|{c['item']}"))
            if oid not in made.values():
                observations.append(om.Observation(uuid=oid, title=f"checklist {c['item']}", description=f"answer={c['answer']}",
                                                   methods=["EXAMINE"], collected=now))
                made[f"check:{c['item']}:{o['obligation']}"] = oid
            obs_ids.append(oid)
        state = "satisfied" if o["verdict"] == "met" else "not-satisfied"
        findings.append(om.Finding(
            uuid=str(uuid.uuid5(ns, f"{assessment['system']}|finding|{o['jurisdiction']}|{o['obligation']}")),
            title=f"{o['jurisdiction']} {o['obligation']}", description=o["reasoning"].get("en") or o["verdict"],
            target=om.FindingTarget(type="objective-id", target_id=o["obligation"].replace(":", "-"),
                                    status=om.ObjectiveStatus(state=state, remarks=o["verdict"]),
                                    props=[om.Property(name="verdict", value=o["verdict"], ns=prop_ns)]),
            related_observations=[om.RelatedObservation(observation_uuid=x) for x in dict.fromkeys(obs_ids)] or None,
        ))
    result = ar.Result(uuid=str(uuid.uuid4()), title=f"Tianping assessment of {assessment['system']}",
                       description="Obligations derived from Tianping rule packs, judged against test runs and checklist answers.",
                       start=now, reviewed_controls=om.ReviewedControls(control_selections=[om.ControlSelection(include_all={})]),
                       observations=observations or None, findings=findings or None)
    doc = ar.AssessmentResults(uuid=str(uuid.uuid4()),
                               metadata=om.Metadata(title=f"Assessment results: {assessment['system_name']}", last_modified=now,
                                                    version=__version__, oscal_version="1.1.2"),
                               import_ap=ar.ImportAp(href="#tianping-plan"), results=[result])
    return json.loads(doc.oscal_serialize_json(pretty=False))
