"""Join obligations with evidence: each obligation gets a verdict, the evidence used and the reasoning.

Verdicts: met · not_met · partial · needs_evidence · not_applicable.
Evidence: metrics of technical runs (judged against their thresholds by the engine that ran
them) and answers to process checklists. "Test once, comply with many": one run's metrics count
for every obligation whose provisions the test evidences through the crosswalk, and the report
shows that run under every instrument it reaches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from ..catalog.loader import default_catalog
from ..errors import Problem, ProblemList, TianpingError
from ..registry.profile import AISystem
from ..rules.engine import JurisdictionResult, classify
from ..store import Database
from ..store.models import RunRow
from .checklists import AnswersFile
from .plan import ObligationPlan, engines_for, evidence_map, expand, plan_for

VERDICT_TEXT = {
    "met": {"en": "met", "zh": "已满足"},
    "not_met": {"en": "not met", "zh": "未满足"},
    "partial": {"en": "partially met", "zh": "部分满足"},
    "needs_evidence": {"en": "needs evidence", "zh": "需补充证据"},
    "not_applicable": {"en": "not applicable", "zh": "不适用"},
}


@dataclass
class MetricEvidence:
    run: str
    test: str
    name: str
    value: Any
    group: str | None
    threshold: Any
    passed: bool | None
    ci: Any = None


@dataclass
class CheckEvidence:
    item: str
    answer: str
    evidence: list[str]
    comment: str | None


@dataclass
class ObligationAssessment:
    jurisdiction: str
    obligation: str
    title: dict[str, str]
    cites: list[str]
    classification_status: str
    verdict: str
    reasoning: dict[str, str]
    metrics: list[MetricEvidence] = field(default_factory=list)
    checks: list[CheckEvidence] = field(default_factory=list)
    planned_tests: list[str] = field(default_factory=list)
    planned_checks: list[str] = field(default_factory=list)


_STATUS_PASSED = {"pass": True, "fail": False, "warn": "warn"}
# the tabular engine says which of its tests produced a metric; that names the evidence-map test
TABULAR_TESTS = {"fairness": "tabular.fairness", "robustness": "tabular.robustness", "explain": "tabular.explainability",
                 "performance": "tabular.performance", "quality": "tabular.data_quality"}


def run_metrics(run: RunRow) -> list[dict[str, Any]]:
    """The judged metrics of a run in one shape: name, value, group, threshold, passed, ci.

    `passed` is True / False, "warn" (a softer threshold crossed: counts as partial) or None (not
    judged, or too few samples to judge). Two documented result shapes are read:
    - tabular (`docs/tabular-tests.md`): `metrics` is a list of metric objects with `status`
      pass / warn / fail / not_judged and `thresholds`;
    - generative (`docs/genai-tests.md`): `gates` judge bank rates against the TC260-003
      thresholds (pass / fail / insufficient / not_evaluated), `metrics.attacks` give attack
      success rates (reported, not judged).
    """
    doc = run.result or {}
    out: list[dict[str, Any]] = []
    metrics = doc.get("metrics")
    if isinstance(metrics, list):
        for m in metrics:
            if not isinstance(m, dict) or "name" not in m:
                continue
            passed = m.get("passed")
            if passed is None and m.get("status") in _STATUS_PASSED:
                passed = _STATUS_PASSED[m["status"]]
            out.append({"name": m["name"], "value": m.get("value"), "group": m.get("group"),
                        "threshold": m.get("threshold", m.get("thresholds")), "passed": passed,
                        "ci": m.get("ci") or m.get("confidence_interval"), "test": TABULAR_TESTS.get(m.get("test"))})
    for g in doc.get("gates") or []:
        out.append({"name": g["metric"], "value": g.get("value"), "group": None,
                    "threshold": {"op": g.get("op"), "value": g.get("threshold"), "min_samples": g.get("min_samples")},
                    "passed": {"pass": True, "fail": False}.get(g.get("status")), "ci": g.get("ci95")})
    if isinstance(metrics, dict):
        for attack, vals in sorted((metrics.get("attacks") or {}).items()):
            asr = vals.get("attack_success_rate") or {}
            out.append({"name": "attack_success_rate", "value": asr.get("rate"), "group": attack, "threshold": None,
                        "passed": None, "ci": asr.get("ci95")})
    return out


def _test_for_metric(name: str, engine: str) -> list[str]:
    tests = []
    for tid, spec in evidence_map().items():
        if spec["engine"] != engine:
            continue
        if any(name.startswith(prefix) or prefix in name for prefix in spec["metrics"]):
            tests.append(tid)
    return tests


def load_runs(db: Database, run_ids: list[str], system_id: str) -> list[RunRow]:
    problems = ProblemList()
    runs = []
    with db.session() as s:
        for rid in run_ids:
            run = s.get(RunRow, rid)
            if run is None:
                problems.add(f"run '{rid}' not found", field="--runs")
            elif run.system_id != system_id:
                problems.add(f"run '{rid}' belongs to system '{run.system_id}', not '{system_id}'", field="--runs")
            elif run.status != "completed":
                problems.add(f"run '{rid}' is {run.status}, not completed", field="--runs")
            else:
                runs.append(run)
    problems.raise_if_any("bad runs")
    return runs


def _judge(judgements: list[str]) -> str:
    if not judgements:
        return "needs_evidence"
    if all(j == "met" for j in judgements):
        return "met"
    if all(j == "not_met" for j in judgements):
        return "not_met"
    return "partial"


def assess(system: AISystem, *, runs: list[RunRow] = (), answers: AnswersFile | None = None,
           as_of: dt.date | None = None, results: list[JurisdictionResult] | None = None) -> dict[str, Any]:
    if answers is not None and answers.system != system.id:
        raise TianpingError(Problem(f"the answers file is for system '{answers.system}', not '{system.id}'", field="system"),
                            title="invalid answers")
    results = results if results is not None else classify(system, as_of=as_of)
    plans = plan_for(results, model_kinds=system.model_kinds)
    engines = engines_for(system.model_kinds)
    # metrics by test
    by_test: dict[str, list[MetricEvidence]] = {}
    for run in runs:
        for m in run_metrics(run):
            for tid in ([m["test"]] if m.get("test") else _test_for_metric(m["name"], run.kind)):
                by_test.setdefault(tid, []).append(MetricEvidence(run.id, tid, m["name"], m["value"], m["group"], m["threshold"], m["passed"], m["ci"]))
    answer_map = answers.answers if answers else {}
    assessments = [_assess_obligation(p, by_test, answer_map) for p in plans]
    cat = default_catalog()
    # per-instrument summaries: an obligation counts for the instruments it cites
    per_instrument: dict[str, dict[str, int]] = {}
    for a in assessments:
        for iid in sorted({c.split(":", 1)[0] for c in a.cites}):
            per_instrument.setdefault(iid, {k: 0 for k in VERDICT_TEXT})[a.verdict] += 1
    # one run's evidence against every instrument it maps to
    evidence_by_instrument: dict[str, list[dict[str, Any]]] = {}
    for tid, metrics in by_test.items():
        reached = expand(evidence_map()[tid]["evidences"])
        for iid in sorted({q.split(":", 1)[0] for q in reached}):
            provs = sorted(q for q in reached if q.startswith(iid + ":"))
            for rid in sorted({m.run for m in metrics}):
                evidence_by_instrument.setdefault(iid, []).append({"run": rid, "test": tid, "provisions": provs})
    return {
        "system": system.id,
        "system_name": system.name,
        "as_of": as_of.isoformat() if as_of else None,
        "generated_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "engines": sorted(engines),
        "profile": system.model_dump(mode="json", exclude_none=True),
        "classification": [r.as_dict() for r in results if r.applies != "no"],
        "obligations": [asdict(a) for a in assessments],
        "per_instrument": {iid: {"title": {"en": cat.instruments[iid].title.en, "zh": cat.instruments[iid].title.zh}, "counts": c}
                           for iid, c in sorted(per_instrument.items()) if iid in cat.instruments},
        "evidence_by_instrument": evidence_by_instrument,
        "runs": [{"id": r.id, "kind": r.kind, "suite": r.suite, "target": r.target, "finished_at": r.finished_at,
                  "summary": r.summary} for r in runs],
        "checklist_answers": {k: v.model_dump() for k, v in answer_map.items()},
        "totals": {k: sum(1 for a in assessments if a.verdict == k) for k in VERDICT_TEXT},
    }


def _assess_obligation(p: ObligationPlan, by_test: dict[str, list[MetricEvidence]], answers: dict) -> ObligationAssessment:
    a = ObligationAssessment(p.jurisdiction, p.obligation, p.title, p.cites, p.status, "needs_evidence", {},
                             planned_tests=[t.test for t in p.tests], planned_checks=[c.item for c in p.checks])
    if p.status == "upcoming":
        a.verdict = "not_applicable"
        a.reasoning = {"en": "The obligation does not apply yet on the assessment date.", "zh": "在评估日期该义务尚未生效。"}
        return a
    if p.status == "possible":
        a.reasoning = {"en": "Whether this obligation applies depends on unanswered profile questions; answer them first.",
                       "zh": "该义务是否适用取决于尚未回答的系统信息问题，请先补充。"}
        return a
    judgements: list[str] = []
    seen: set[tuple] = set()
    for t in p.tests:
        for m in by_test.get(t.test, []):
            key = (m.run, m.name, m.group)
            if key in seen:  # a metric can serve two tests of one obligation; count it once
                continue
            seen.add(key)
            a.metrics.append(m)
            if m.passed is True:
                judgements.append("met")
            elif m.passed is False:
                judgements.append("not_met")
            elif m.passed == "warn":
                judgements.append("partial")
    na = 0
    for c in p.checks:
        ans = answers.get(c.item)
        if ans is None:
            continue
        a.checks.append(CheckEvidence(c.item, ans.answer, ans.evidence, ans.comment))
        if ans.answer == "not_applicable":
            na += 1
        else:
            judgements.append({"yes": "met", "no": "not_met", "partial": "partial"}[ans.answer])
    a.verdict = _judge(judgements)
    if a.verdict == "needs_evidence" and na and na == len(a.checks) and not a.metrics:
        a.verdict = "not_applicable"
    n_pass = sum(1 for m in a.metrics if m.passed is True)
    n_fail = sum(1 for m in a.metrics if m.passed is False)
    n_yes = sum(1 for c in a.checks if c.answer == "yes")
    n_no = sum(1 for c in a.checks if c.answer == "no")
    n_part = sum(1 for c in a.checks if c.answer == "partial")
    if a.verdict == "needs_evidence":
        a.reasoning = {
            "en": f"No judged evidence yet. Planned: {len(p.tests)} technical test(s), {len(p.checks)} process check(s).",
            "zh": f"尚无可判定的证据。计划：技术测试 {len(p.tests)} 项，流程检查 {len(p.checks)} 项。",
        }
    elif a.verdict == "not_applicable":
        a.reasoning = {"en": "Every related process check was answered 'not applicable'.", "zh": "相关流程检查均答复为“不适用”。"}
    else:
        a.reasoning = {
            "en": f"{n_pass} metric(s) within threshold, {n_fail} outside; checklist: {n_yes} yes, {n_part} partial, {n_no} no "
                  f"→ {VERDICT_TEXT[a.verdict]['en']}.",
            "zh": f"{n_pass} 项指标达到阈值，{n_fail} 项未达到；检查清单：是 {n_yes} 项、部分 {n_part} 项、否 {n_no} 项"
                  f" → {VERDICT_TEXT[a.verdict]['zh']}。",
        }
    return a


def runs_for_system(db: Database, system_id: str) -> list[RunRow]:
    with db.session() as s:
        return list(s.scalars(select(RunRow).where(RunRow.system_id == system_id, RunRow.status == "completed")
                              .order_by(RunRow.created_at)))
