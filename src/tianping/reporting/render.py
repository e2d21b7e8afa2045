"""Render an assessment (the dict from `assessment.assess`) as HTML, PDF, JSON and OSCAL."""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import __version__
from ..assessment.assess import VERDICT_TEXT
from ..catalog.loader import default_catalog
from .charts import metric_chart, verdict_chart

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
        "disclaimer": "本报告说明所提供的证据相对于天平规则包推导出的义务的情况，不构成法律意见；目录中标记为未核实的内容未与官方文本核对。",
    },
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
    metrics_by_run: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen = set()
    for o in assessment["obligations"]:
        for m in o["metrics"]:
            key = (m["run"], m["test"], m["name"], m["group"])
            if key not in seen:
                seen.add(key)
                metrics_by_run[m["run"]].append(m)
    metric_charts = {rid: metric_chart(ms, rid[:8]) for rid, ms in metrics_by_run.items()}
    cat = default_catalog()
    from ..registry.profile import field_label

    def ptitle(qid: str) -> str:
        ref = cat.provisions.get(qid)
        if ref is None:
            return qid
        p = ref.provision
        return f"{p.number or p.id} {p.title.zh if lang == 'zh' else p.title.en}"

    gaps = []
    for o in assessment["obligations"]:
        if o["verdict"] in ("not_met", "partial", "needs_evidence"):
            actions = []
            if o["classification_status"] == "possible":
                actions.append(L["complete_profile"])
            if any(m["passed"] is False for m in o["metrics"]):
                actions.append(L["fix"])
            missing_tests = [t for t in o["planned_tests"] if not any(m["test"] == t for m in o["metrics"])]
            if missing_tests:
                actions.append(f"{L['run_test']}: {', '.join(missing_tests)}")
            answered = {c["item"] for c in o["checks"]}
            missing_checks = [c for c in o["planned_checks"] if c not in answered]
            if missing_checks:
                actions.append(f"{L['answer_checks']}: {', '.join(missing_checks[:5])}" + ("…" if len(missing_checks) > 5 else ""))
            gaps.append({"o": o, "actions": actions})
    return {
        "a": assessment, "L": L, "lang": lang, "V": verdict_labels, "chart": chart, "metrics_by_run": dict(metrics_by_run),
        "metric_charts": metric_charts, "ptitle": ptitle, "gaps": gaps, "version": __version__,
        "flabel": lambda field_id: field_label(field_id, lang),
        "tr": lambda d: (d or {}).get(lang) or (d or {}).get("en", ""),
    }


def render_html(assessment: dict[str, Any], lang: str = "en") -> str:
    return _env().get_template("report.html.j2").render(**context(assessment, lang))


def render_pdf(html: str, base_url: str | None = None) -> bytes:
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
    for o in assessment["obligations"]:
        obs_ids = []
        for m in o["metrics"]:
            oid = str(uuid.uuid5(ns, f"{assessment['system']}|{o['obligation']}|{m['run']}|{m['name']}|{m['group']}"))
            if oid in {x.uuid for x in observations}:
                obs_ids.append(oid)
                continue
            observations.append(om.Observation(
                uuid=oid, title=f"{m['test']}: {m['name']}" + (f" [{m['group']}]" if m["group"] else ""),
                description=f"value={m['value']} threshold={m['threshold']} passed={m['passed']} (run {m['run']})",
                methods=["TEST"], collected=now))
            obs_ids.append(oid)
        for c in o["checks"]:
            oid = str(uuid.uuid5(ns, f"{assessment['system']}|{o['obligation']}|{c['item']}"))
            if oid not in {x.uuid for x in observations}:
                observations.append(om.Observation(uuid=oid, title=f"checklist {c['item']}", description=f"answer={c['answer']}",
                                                   methods=["EXAMINE"], collected=now))
            obs_ids.append(oid)
        state = "satisfied" if o["verdict"] == "met" else "not-satisfied"
        findings.append(om.Finding(
            uuid=str(uuid.uuid5(ns, f"{assessment['system']}|finding|{o['jurisdiction']}|{o['obligation']}")),
            title=f"{o['jurisdiction']} {o['obligation']}", description=o["reasoning"].get("en") or o["verdict"],
            target=om.FindingTarget(type="objective-id", target_id=o["obligation"].replace(":", "-"),
                                    status=om.ObjectiveStatus(state=state, remarks=o["verdict"]),
                                    props=[om.Property(name="verdict", value=o["verdict"], ns="https://github.com/tianping-ai/tianping/ns/oscal")]),
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
