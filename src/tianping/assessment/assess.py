"""Join obligations with evidence: each obligation gets a verdict, the rows that decided it and why.

Verdicts: met · not_met · partial · insufficient_data · needs_evidence · not_applicable.

Evidence is read in one shape, the typed evidence model (`tianping.evidence`), whatever engine,
run kind or importer produced it. Every row is judged again by the shared rules
(`evidence.judge`) — against the producer's threshold, or a re-scoring file's — and the verdict
rules (`verdict_rules.yaml`) turn the rows an obligation's planned tests reach into its verdict:
every (run, test, metric, slice) row is kept; any failing row makes the obligation not met and is
named; simulated evidence is shown and never counted.

"Test once, comply with many": a row counts for every obligation whose provisions its test
evidences through the crosswalk, and the report shows the run under every instrument it reaches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from ..catalog.loader import default_catalog
from ..errors import Problem, ProblemList, TianpingError
from ..evidence import EvidenceRun, load_evidence
from ..evidence.judge import rejudged
from ..evidence.model import SLICE_FIELDS
from ..i18n import LangMap, available_languages, t, texts
from ..registry.profile import AISystem
from ..rules.engine import JurisdictionResult, classify
from ..store import Database
from ..store.models import RunRow
from .checklists import AnswersFile
from .plan import ObligationPlan, engines_for, evidence_map, expand, plan_for
from .verdicts import Overrides, VerdictRules, default_rules, obligation_verdict

# verdict and evidence-kind words: {lang: text} views of the gettext catalogs (tianping/locale)
VERDICT_TEXT = {
    k: LangMap(f"assess.verdict.{k}")
    for k in ("met", "not_met", "partial", "insufficient_data", "needs_evidence", "not_applicable")
}
KIND_TEXT = {k: LangMap(f"assess.kind.{k}") for k in ("real", "simulated", "imported")}


@dataclass
class ObligationAssessment:
    jurisdiction: str
    obligation: str
    title: dict[str, str]
    cites: list[str]
    classification_status: str
    verdict: str
    reasoning: dict[str, str]
    reason: str = "judged"
    rows: list[str] = field(default_factory=list)  # ids of every evidence row that applies
    decisive: list[str] = field(default_factory=list)  # ids of the rows whose judgement is the verdict
    counted: int = 0
    shown_only: int = 0
    checks: list[dict[str, Any]] = field(default_factory=list)
    planned_tests: list[str] = field(default_factory=list)
    planned_checks: list[str] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)  # planned technical tests with no counted evidence
    applies_from: str | None = None
    amended_by: str | None = None  # the amending act that set the date, when one did
    date_verified: bool = True
    readiness: str | None = None  # upcoming obligations: the verdict the current evidence would get once it applies


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


def runs_for_system(db: Database, system_id: str) -> list[RunRow]:
    with db.session() as s:
        return list(
            s.scalars(
                select(RunRow).where(RunRow.system_id == system_id, RunRow.status == "completed").order_by(RunRow.created_at)
            )
        )


def evidence_rows(evidence: list[EvidenceRun], rules: VerdictRules, overrides: Overrides | None = None) -> list[dict[str, Any]]:
    """Every metric row of every run, judged by the shared rules, flattened for the report (nothing dropped)."""
    mins = (overrides.min_samples if overrides and overrides.min_samples else None) or rules.min_samples
    out: list[dict[str, Any]] = []
    for ev in evidence:
        prefix = ev.run_id[:8]
        for i, row in enumerate(ev.metrics):
            new_thr = overrides.threshold_for(row.metric, row.threshold) if overrides else None
            thr, status, note = rejudged(row, threshold=new_thr, min_n=mins.for_metric(row.metric) if row.n is not None else None)
            sl = row.slice
            out.append(
                {
                    "id": f"{prefix}:{i}",
                    "run": ev.run_id,
                    "evidence_kind": ev.kind,
                    "engine": ev.producer.engine,
                    "test": row.test,
                    "metric": row.metric,
                    "slice": {f: v for f in SLICE_FIELDS if (v := getattr(sl, f)) is not None},
                    "slice_text": sl.text(),
                    "value": row.value,
                    "ci": list(row.ci) if row.ci else None,
                    "n": row.n,
                    "threshold": thr.model_dump(exclude_none=True) if thr else None,
                    "status": status,
                    "producer_status": row.status,
                    "method": row.method,
                    "note": note,
                    "citations": row.citations,
                    "rescored": new_thr is not None,
                }
            )
    return out


def assess(
    system: AISystem,
    *,
    runs: Iterable[RunRow | EvidenceRun] = (),
    answers: AnswersFile | None = None,
    as_of: dt.date | None = None,
    results: list[JurisdictionResult] | None = None,
    overrides: Overrides | None = None,
    rules: VerdictRules | None = None,
) -> dict[str, Any]:
    if answers is not None and answers.system != system.id:
        raise TianpingError(
            Problem(f"the answers file is for system '{answers.system}', not '{system.id}'", field="system"),
            title="invalid answers",
        )
    rules = rules or default_rules()
    results = results if results is not None else classify(system, as_of=as_of)
    plans = plan_for(results, model_kinds=system.model_kinds)
    engines = engines_for(system.model_kinds)
    evidence = [r if isinstance(r, EvidenceRun) else load_evidence(r) for r in runs]
    rows = evidence_rows(evidence, rules, overrides)
    by_test: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_test.setdefault(r["test"], []).append(r)
    obligation_verdict(rows, [], rules)  # marks every row counted / shown-only, also rows no obligation reaches
    answer_map = answers.answers if answers else {}
    assessments = [_assess_obligation(p, by_test, answer_map, rules) for p in plans]
    planned = {pt.test for p in plans for pt in p.tests}
    cat = default_catalog()
    per_instrument: dict[str, dict[str, int]] = {}
    for a in assessments:
        for iid in sorted({c.split(":", 1)[0] for c in a.cites}):
            per_instrument.setdefault(iid, {k: 0 for k in VERDICT_TEXT})[a.verdict] += 1
    kinds = {ev.run_id: ev.kind for ev in evidence}
    evidence_by_instrument: dict[str, list[dict[str, Any]]] = {}
    emap = evidence_map()
    for tid, trows in sorted(by_test.items()):
        test_reach = set(expand(emap[tid]["evidences"])) if tid in emap else set()
        cited: dict[str, set[str]] = {}
        for r in trows:
            cited.setdefault(r["run"], set()).update(r["citations"])
        for rid in sorted(cited):
            # the test's provisions through the crosswalk, plus what the rows cite themselves
            # (an imported probe names its own NIST AI 600-1 risk, for instance)
            reached = test_reach | cited[rid]
            for iid in sorted({q.split(":", 1)[0] for q in reached}):
                provs = sorted(q for q in reached if q.startswith(iid + ":"))
                evidence_by_instrument.setdefault(iid, []).append(
                    {"run": rid, "test": tid, "provisions": provs, "evidence_kind": kinds[rid]}
                )
    return {
        "schema": "tianping.assessment/2",
        "system": system.id,
        "system_name": system.name,
        "system_name_zh": getattr(system, "name_zh", None),
        "as_of": as_of.isoformat() if as_of else None,
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "engines": sorted(engines),
        "verdict_rules": {
            "version": rules.version,
            "counted_kinds": rules.counted_kinds,
            "precedence": rules.precedence,
            "min_samples_default": rules.min_samples.default,
        },
        "rescored": {"source": overrides.source, "metrics": sorted(overrides.thresholds)} if overrides else None,
        "profile": system.model_dump(mode="json", exclude_none=True),
        "classification": [r.as_dict() for r in results if r.applies != "no"],
        "obligations": [asdict(a) for a in assessments],
        "per_instrument": {
            iid: {"title": cat.instruments[iid].title.model_dump(exclude_none=True), "counts": c}
            for iid, c in sorted(per_instrument.items())
            if iid in cat.instruments
        },
        "evidence_by_instrument": evidence_by_instrument,
        "evidence": [_run_view(ev) for ev in evidence],
        "rows": rows,
        "unlinked_rows": [r["id"] for r in rows if r["test"] not in planned],
        "simulated_runs": [ev.run_id for ev in evidence if ev.kind == "simulated"],
        "runs": [
            {
                "id": ev.run_id,
                "kind": ev.producer.engine,
                "evidence_kind": ev.kind,
                "suite": ev.suite,
                "target": ev.target,
                "finished_at": ev.finished_at,
            }
            for ev in evidence
        ],
        "checklist_answers": {k: v.model_dump() for k, v in answer_map.items()},
        "totals": {k: sum(1 for a in assessments if a.verdict == k) for k in VERDICT_TEXT},
    }


def _run_view(ev: EvidenceRun) -> dict[str, Any]:
    return {
        "run_id": ev.run_id,
        "kind": ev.kind,
        "producer": ev.producer.model_dump(exclude_none=True),
        "target": ev.target,
        "suite": ev.suite,
        "dataset": ev.dataset.model_dump(exclude_none=True) if ev.dataset else None,
        "started_at": ev.started_at,
        "finished_at": ev.finished_at,
        "status": ev.status,
        "rows": len(ev.metrics),
        "samples_ref": ev.samples_ref,
        "samples_count": ev.samples_count,
        "notes": ev.notes,
    }


def _describe(r: dict[str, Any]) -> str:
    where = f" [{r['slice_text']}]" if r["slice_text"] else ""
    v = r["value"]
    val = f"{v:.3g}" if isinstance(v, float) else ("—" if v is None else str(v))
    return f"{r['metric']}{where}={val} ({r['status']}, run {r['run'][:8]})"


def _assess_obligation(
    p: ObligationPlan, by_test: dict[str, list[dict[str, Any]]], answers: dict, rules: VerdictRules
) -> ObligationAssessment:
    a = ObligationAssessment(
        p.jurisdiction,
        p.obligation,
        p.title,
        p.cites,
        p.status,
        "needs_evidence",
        {},
        planned_tests=[pt.test for pt in p.tests],
        planned_checks=[c.item for c in p.checks],
        applies_from=p.applies_from,
        amended_by=p.amended_by,
        date_verified=p.date_verified,
    )
    if p.status == "upcoming":
        # not applicable yet; the evidence is still judged, as readiness for the date it applies
        ready = _assess_obligation(dataclasses.replace(p, status="applies"), by_test, answers, rules)
        a.rows, a.decisive, a.counted, a.shown_only, a.checks, a.untested = (
            ready.rows,
            ready.decisive,
            ready.counted,
            ready.shown_only,
            ready.checks,
            ready.untested,
        )
        a.verdict, a.reason, a.readiness = "not_applicable", "upcoming", ready.verdict
        a.reasoning = {
            lang: t("assess.reason.upcoming_on", lang, date=p.applies_from or "?")
            + (t("assess.reason.date_set_by", lang, act=p.amended_by) if p.amended_by else "")
            + (t("assess.reason.date_unverified", lang) if not p.date_verified else "")
            + t("assess.reason.readiness", lang, verdict=VERDICT_TEXT[ready.verdict][lang], detail=ready.reasoning.get(lang, ""))
            for lang in available_languages()
        }
        return a
    if p.status == "possible":
        a.reason = "possible"
        a.reasoning = texts("assess.reason.possible")
        return a
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for pt in p.tests:  # a row reached through two tests of one obligation is one row
        for r in by_test.get(pt.test, ()):
            if r["id"] not in seen:
                seen.add(r["id"])
                rows.append(r)
    checks = []
    for c in p.checks:
        ans = answers.get(c.item)
        if ans is not None:
            checks.append({"item": c.item, "answer": ans.answer, "evidence": ans.evidence, "comment": ans.comment})
    d = obligation_verdict(rows, checks, rules)  # fills each row's counted/judgement (the same for every obligation)
    counted_rows = [r for r in rows if r["counted"]]
    a.verdict, a.reason, a.counted, a.shown_only = d.verdict, d.reason, d.counted, d.shown_only
    tested = {r["test"] for r in counted_rows}
    a.untested = [pt.test for pt in p.tests if pt.test not in tested]
    if (
        a.verdict == "met"
        and a.untested
        and rules.incomplete_tests
        and rules.precedence.index(rules.incomplete_tests) < rules.precedence.index("met")
    ):
        a.verdict, a.reason = rules.incomplete_tests, "incomplete_tests"
    a.rows = [r["id"] for r in rows]
    a.decisive = [x["id"] for x in d.decisive if "id" in x]
    a.checks = checks
    a.reasoning = _reasoning(a, rows, counted_rows, checks, d.decisive, len(p.tests), len(p.checks))
    return a


def _reasoning(a: ObligationAssessment, rows, counted_rows, checks, decisive, n_tests: int, n_checks: int) -> dict[str, str]:
    by = {s: sum(1 for r in counted_rows if r["status"] == s) for s in ("pass", "warn", "fail", "insufficient_data", "error")}
    simulated = sum(1 for r in rows if r["evidence_kind"] == "simulated")
    sim = texts("assess.reason.simulated_shown", n=simulated) if simulated else {}

    def say(key: str, **kw: Any) -> dict[str, str]:  # the reasoning in every language, for the JSON document
        return {lang: t(key, lang, **kw) + sim.get(lang, "") for lang in available_languages()}

    if a.verdict == "not_applicable":
        return texts("assess.reason.all_na")
    if a.verdict == "needs_evidence":
        if a.reason == "only_simulated":
            return say("assess.reason.only_simulated")
        if a.reason == "only_unjudged":
            return say("assess.reason.only_unjudged", rows=len(rows))
        return texts("assess.reason.no_evidence", tests=n_tests, checks=n_checks)
    named = "; ".join(_describe(x) if "metric" in x else f"{x['item']}={x['answer']}" for x in decisive[:3])
    more = f" (+{len(decisive) - 3})" if len(decisive) > 3 else ""
    n_yes = sum(1 for c in checks if c["answer"] == "yes")
    n_no = sum(1 for c in checks if c["answer"] == "no")
    n_part = sum(1 for c in checks if c["answer"] == "partial")
    if a.reason == "incomplete_tests":
        return {
            lang: t(
                "assess.reason.incomplete_tests",
                lang,
                passed=by["pass"],
                missing=", ".join(a.untested),
                verdict=VERDICT_TEXT[a.verdict][lang],
                named=named + more,
            )
            + sim.get(lang, "")
            for lang in available_languages()
        }
    return {
        lang: t(
            "assess.reason.summary",
            lang,
            passed=by["pass"],
            warn=by["warn"],
            fail=by["fail"],
            insufficient=by["insufficient_data"] + by["error"],
            yes=n_yes,
            partial=n_part,
            no=n_no,
            verdict=VERDICT_TEXT[a.verdict][lang],
            named=named + more,
        )
        + sim.get(lang, "")
        for lang in available_languages()
    }
