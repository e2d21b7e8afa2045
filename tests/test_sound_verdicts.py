"""Issue 12: a signed report never turns failing, missing or simulated evidence into "met".

The fairness cases run the real tabular engine on synthetic data built so that the failure
exists only in one slice (an intersection, one label of a multiclass model); the assessment must
find that row among all the others and name it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tianping.assessment.assess import assess
from tianping.assessment.verdicts import Overrides, ThresholdOverride, default_rules, obligation_verdict
from tianping.evidence.judge import judge, rejudge
from tianping.evidence.model import EvidenceRun, MetricRow, Producer, Slice, Threshold
from tianping.registry.service import load_profile_file
from tianping.store.models import RunRow

ROOT = Path(__file__).resolve().parents[1]
CREDIT = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"
FAIRNESS_OBLIGATIONS = ("eu-ob-hr-data-governance",)


@pytest.fixture(scope="module")
def credit():
    return load_profile_file(CREDIT)


def _tabular_run(df: pd.DataFrame, tmp: Path, **cfg) -> RunRow:
    from tianping.evaluation.tabular.runner import TabularConfig, run_tabular

    path = tmp / "data.csv"
    df.to_csv(path, index=False)
    res = run_tabular(TabularConfig(data=str(path), target="y", predictions="pred", tests=["fairness"], bootstrap=50, **cfg))
    doc = res.model_dump(mode="json")
    return RunRow(id=res.run_id, system_id="eu-credit-scoring", kind="tabular", suite="fairness", target="predictions:pred",
                  config=doc["config"], status="completed", created_at=doc["created_at"], started_at=None,
                  finished_at=doc["created_at"], result=doc)


def _xor_data(n_per_cell: int = 400, seed: int = 0) -> pd.DataFrame:
    """Selection rate 0.8 for (A,F) and (B,M), 0.2 for (A,M) and (B,F): every marginal group is
    selected at 0.5, so race and sex alone show no gap, while race&sex shows a 0.6 gap."""
    rng = np.random.default_rng(seed)
    parts = []
    for race, sex, p in (("A", "F", 0.8), ("A", "M", 0.2), ("B", "F", 0.2), ("B", "M", 0.8)):
        k = int(round(n_per_cell * p))
        pred = np.array([1] * k + [0] * (n_per_cell - k))
        rng.shuffle(pred)
        parts.append(pd.DataFrame({"race": race, "sex": sex, "pred": pred, "y": rng.integers(0, 2, n_per_cell)}))
    return pd.concat(parts, ignore_index=True)


def _rows_of(a: dict, oid: str) -> tuple[dict, list[dict]]:
    o = next(o for o in a["obligations"] if o["obligation"] == oid)
    by_id = {r["id"]: r for r in a["rows"]}
    return o, [by_id[i] for i in o["decisive"] if i in by_id]


def test_intersection_failure_makes_fairness_obligation_not_met(credit, tmp_path):
    run = _tabular_run(_xor_data(), tmp_path, sensitive=["race", "sex"])
    a = assess(credit, runs=[run], as_of=dt.date(2030, 1, 1))
    dpd = [r for r in a["rows"] if r["metric"] == "demographic_parity_difference"]
    marg = {r["slice"].get("sensitive_feature"): r["status"] for r in dpd}
    assert marg.get("race") == "pass" and marg.get("sex") == "pass", marg  # the marginals pass…
    inter = [r for r in dpd if "&" in r["slice"].get("sensitive_feature", "")]
    assert inter and inter[0]["status"] == "fail"  # …the intersection fails, and the row is kept
    for oid in FAIRNESS_OBLIGATIONS:
        o, decisive = _rows_of(a, oid)
        assert o["verdict"] == "not_met"
        assert any(r["metric"] == "demographic_parity_difference" and "&" in r["slice"]["sensitive_feature"] for r in decisive)
        assert "demographic_parity_difference" in o["reasoning"]["en"] and "&" in o["reasoning"]["en"]
    # every (metric, slice) row of the run survives into the assessment
    assert len(a["rows"]) == len(run.result["metrics"])


def test_multiclass_single_label_failure_is_not_met(credit, tmp_path):
    """Four classes; label 'c' goes to 40 % of group 'one' and 4 % of group 'zero' (gap 0.36, fail);
    the other labels shrink alike (gap 0.12, warn zone), so only one label's row fails."""
    rng = np.random.default_rng(1)
    n = 2400
    g = rng.integers(0, 2, n)
    p_c = np.where(g == 1, 0.40, 0.04)
    u = rng.random(n)
    rest = (1 - p_c) / 3
    pred = np.where(u < p_c, "c", np.where(u < p_c + rest, "a", np.where(u < p_c + 2 * rest, "b", "d")))
    df = pd.DataFrame({"g": np.where(g == 1, "one", "zero"), "pred": pred, "y": rng.choice(["a", "b", "c", "d"], n)})
    run = _tabular_run(df, tmp_path, sensitive=["g"])
    a = assess(credit, runs=[run], as_of=dt.date(2030, 1, 1))
    per_label = [r for r in a["rows"] if r["metric"] == "demographic_parity_difference" and r["slice"].get("label")]
    assert {r["slice"]["label"] for r in per_label} >= {"a", "b", "c", "d"}  # one row per label, none merged
    failing = [r for r in per_label if r["status"] == "fail"]
    assert [r["slice"]["label"] for r in failing] == ["c"]
    o, decisive = _rows_of(a, "eu-ob-hr-data-governance")
    assert o["verdict"] == "not_met" and any(r["slice"].get("label") == "c" for r in decisive)


def _ev(rows: list[MetricRow], kind: str = "real", rid: str = "run-0000-a") -> EvidenceRun:
    return EvidenceRun(run_id=rid, kind=kind, producer=Producer(engine="tabular"), metrics=rows)


def _row(metric="demographic_parity_difference", value=0.05, n=500, status="pass", test="tabular.fairness", **sl) -> MetricRow:
    return MetricRow(test=test, metric=metric, slice=Slice(**sl), value=value, n=n, status=status,
                     threshold=Threshold(op="<=", value=0.2, warn=0.1, source="metrics.yaml"))


def test_simulated_evidence_never_counts(credit):
    good = _ev([_row(sensitive_feature="sex"), _row("accuracy", 0.9, test="tabular.performance")], kind="simulated")
    a = assess(credit, runs=[good], as_of=dt.date(2030, 1, 1))
    assert a["totals"]["met"] == 0
    for o in a["obligations"]:
        if o["rows"]:
            assert o["verdict"] == "needs_evidence" and o["reason"] == "only_simulated"
    assert all(r["evidence_kind"] == "simulated" and not r["counted"] for r in a["rows"])


def test_small_groups_never_pass_or_fail(credit):
    rows = [_row(value=0.5, n=6, sensitive_feature="sex"), _row(value=0.01, n=6, sensitive_feature="race")]
    a = assess(credit, runs=[_ev(rows)], as_of=dt.date(2030, 1, 1))
    assert {r["status"] for r in a["rows"]} == {"insufficient_data"}
    o, _ = _rows_of(a, "eu-ob-hr-data-governance")
    assert o["verdict"] == "insufficient_data"


def test_small_sample_with_a_clearly_failing_interval_still_fails():
    thr = Threshold(op=">=", value=0.95, min_n=300)
    assert judge(0.5, thr, n=200, ci=(0.43, 0.57))[0] == "fail"
    assert judge(0.97, thr, n=200, ci=(0.94, 0.99))[0] == "insufficient_data"
    assert judge(0.5, thr, n=200)[0] == "insufficient_data"


def test_rescore_changes_verdicts_without_rerunning(credit):
    ev = _ev([_row(value=0.15, sensitive_feature="sex")])
    base = assess(credit, runs=[ev], as_of=dt.date(2030, 1, 1))
    assert _rows_of(base, "eu-ob-hr-data-governance")[0]["verdict"] == "partial"  # 0.15 is in the warn zone
    strict = Overrides("user file t.yaml", {"demographic_parity_difference": ThresholdOverride(value=0.1)}, None)
    loose = Overrides("user file t.yaml", {"demographic_parity_difference": ThresholdOverride(value=0.3, warn=0.2)}, None)
    assert _rows_of(assess(credit, runs=[ev], as_of=dt.date(2030, 1, 1), overrides=strict), "eu-ob-hr-data-governance")[0]["verdict"] == "not_met"
    r = assess(credit, runs=[ev], as_of=dt.date(2030, 1, 1), overrides=loose)
    o = _rows_of(r, "eu-ob-hr-data-governance")[0]
    # every row passes, but the data-quality test it plans was never run: at most partial, and it says so
    assert o["verdict"] == "partial" and o["reason"] == "incomplete_tests" and "tabular.data_quality" in o["untested"]
    assert "tabular.data_quality" in o["reasoning"]["en"]
    complete = _ev([_row(value=0.15, sensitive_feature="sex"),
                    _row("missing_rate", 0.01, test="tabular.data_quality", feature="age")])
    r = assess(credit, runs=[complete], as_of=dt.date(2030, 1, 1), overrides=loose)
    assert _rows_of(r, "eu-ob-hr-data-governance")[0]["verdict"] == "met"
    assert r["rescored"]["metrics"] == ["demographic_parity_difference"] and r["rows"][0]["threshold"]["source"] == "user file t.yaml"


def test_point_estimate_outside_its_interval_is_rejected():
    with pytest.raises(ValueError, match="outside its own interval"):
        MetricRow(test="t", metric="m", value=0.9, ci=(0.1, 0.2))
    MetricRow(test="t", metric="m", value=0.2, ci=(0.1, 0.2))  # the edge is inside


def test_unknown_results_document_is_an_error_row_not_a_silent_drop(credit):
    run = RunRow(id="r-unknown", system_id="eu-credit-scoring", kind="tabular", suite="x", target="t", config={}, status="completed",
                 created_at="2026-12-01", started_at=None, finished_at=None, result={"weird": 1})
    a = assess(credit, runs=[run], as_of=dt.date(2030, 1, 1))
    assert a["rows"] and a["rows"][0]["status"] == "error"


# ------------------------------------------------------------------ properties of the verdict rules
STATUS = st.sampled_from(["pass", "warn", "fail", "insufficient_data", "error", "not_judged"])
KIND = st.sampled_from(["real", "simulated", "imported"])
ORDER = {"not_met": 0, "partial": 1, "insufficient_data": 2, "needs_evidence": 3, "met": 4, "not_applicable": 5}


def _rows(statuses, kinds):
    return [{"id": f"r{i}", "status": s, "evidence_kind": k} for i, (s, k) in enumerate(zip(statuses, kinds))]


@settings(max_examples=300)
@given(st.lists(st.tuples(STATUS, KIND), max_size=12),
       st.lists(st.sampled_from(["yes", "no", "partial", "not_applicable"]), max_size=4), KIND)
def test_adding_a_failing_row_never_improves_a_verdict(rows, answers, kind):
    rules = default_rules()
    base = _rows([s for s, _ in rows], [k for _, k in rows])
    ans = [{"answer": a} for a in answers]
    before = obligation_verdict([dict(r) for r in base], [dict(a) for a in ans], rules)
    after = obligation_verdict([dict(r) for r in base] + [{"id": "new", "status": "fail", "evidence_kind": kind}],
                               [dict(a) for a in ans], rules)
    if kind == "simulated":
        assert after.verdict == before.verdict or (before.verdict == "needs_evidence" and after.verdict == "needs_evidence")
    else:
        assert after.verdict == "not_met" and "new" in [d.get("id") for d in after.decisive]
    assert ORDER[after.verdict] <= ORDER[before.verdict] or before.verdict == "not_applicable"


@settings(max_examples=300)
@given(st.lists(st.tuples(STATUS, KIND), min_size=1, max_size=12))
def test_simulated_rows_never_change_a_verdict(rows):
    rules = default_rules()
    real = [r for r in _rows([s for s, _ in rows], [k for _, k in rows]) if r["evidence_kind"] != "simulated"]
    everything = _rows([s for s, _ in rows], [k for _, k in rows])
    a = obligation_verdict([dict(r) for r in real], [], rules).verdict
    b = obligation_verdict([dict(r) for r in everything], [], rules).verdict
    assert a == b


@settings(max_examples=300)
@given(st.floats(-10, 10), st.floats(-10, 10), st.one_of(st.none(), st.floats(-10, 10)), st.sampled_from(["<=", ">=", "<", ">"]),
       st.integers(0, 2000), st.integers(0, 500))
def test_judge_never_passes_below_minimum_or_outside_threshold(value, bound, warn, op, n, min_n):
    thr = Threshold(op=op, value=bound, warn=warn, min_n=min_n)
    status, _ = judge(value, thr, n=n)
    if status == "pass":
        assert n >= min_n and thr.satisfied(value)
    if not thr.satisfied(value):
        assert status in ("fail", "insufficient_data")


@settings(max_examples=200)
@given(st.floats(0, 1), st.sampled_from(["pass", "warn", "fail", "not_judged"]))
def test_rejudge_without_new_threshold_is_never_laxer_than_the_producer(value, producer_status):
    row = MetricRow(test="t", metric="m", value=value, n=1000, status=producer_status,
                    threshold=Threshold(op="<=", value=0.5, warn=0.3))
    sev = {"not_judged": 0, "pass": 1, "warn": 2, "insufficient_data": 3, "error": 4, "fail": 5}
    assert sev[rejudge(row).status] >= sev[producer_status]


def test_evidence_schema_doc_is_current_and_show_cli(tmp_path):
    import json

    from typer.testing import CliRunner

    from tianping.cli.main import app
    from tianping.evidence.model import json_schema
    from tianping.store import open_database

    assert json.loads((ROOT / "docs" / "evidence.schema.json").read_text(encoding="utf-8")) == json_schema()
    db_url = f"sqlite:///{tmp_path / 'e.db'}"
    db = open_database(db_url)
    with db.session() as s:  # a run stored the way every engine stores one: the typed evidence is written with it
        s.add(RunRow(id="11111111-aaaa", system_id=None, kind="tabular", suite="s", target="t", config={}, status="completed",
                     created_at="2026-12-05", result={"metrics": [{"name": "accuracy", "value": 0.5, "threshold": {"min": 0.8},
                                                                   "passed": False}]}))
    with db.session() as s:
        stored = s.get(RunRow, "11111111-aaaa").evidence
    db.dispose()
    assert stored and stored["metrics"][0]["status"] == "fail" and stored["kind"] == "real"
    runner = CliRunner()
    res = runner.invoke(app, ["--db", str(tmp_path / "e.db"), "evidence", "show", "11111111", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["metrics"][0]["status"] == "fail"
    missing = runner.invoke(app, ["--db", str(tmp_path / "e.db"), "evidence", "show", "nope"])
    assert missing.exit_code == 2


def test_small_groups_cannot_rescue_a_gap_that_large_groups_already_fail():
    thr = Threshold(op="<=", value=0.2, warn=0.1, min_n=30)
    assert judge(0.5, thr, n=6, value_large_groups=0.3)[0] == "fail"
    assert judge(0.5, thr, n=6, value_large_groups=0.15)[0] == "warn"
    assert judge(0.5, thr, n=6, value_large_groups=0.05)[0] == "insufficient_data"
    row = MetricRow(test="tabular.fairness", metric="demographic_parity_difference", value=0.5, n=6, value_large_groups=0.3,
                    threshold=thr, status="fail")
    # re-scored with a stricter threshold the row stays failing (a stricter rule never improves a verdict)
    assert rejudge(row, threshold=Threshold(op="<=", value=0.1, min_n=30)).status == "fail"


def test_upcoming_obligations_show_readiness_and_their_date(credit):
    """As of 2026-12-05 the credit scorer's high-risk duties apply only from 2027-12-02 (Digital
    Omnibus): not applicable yet, but the evidence is judged as readiness, and the report says when."""
    from tianping.reporting.render import render_html

    ev = _ev([_row(value=0.3, sensitive_feature="sex")])
    a = assess(credit, runs=[ev], as_of=dt.date(2026, 12, 5))
    o = next(o for o in a["obligations"] if o["obligation"] == "eu-ob-hr-data-governance")
    assert o["verdict"] == "not_applicable" and o["readiness"] == "not_met" and o["applies_from"] == "2027-12-02"
    assert o["decisive"] and "2027-12-02" in o["reasoning"]["en"] and "2027-12-02" in o["reasoning"]["zh"]
    html = render_html(a, "en")
    assert "2027-12-02" in html and "readiness on current evidence" in html
    # --fail-on gate does not block a release on duties that do not apply yet
    from tianping.assessment.exit_policy import assessment_exit_code

    assert assessment_exit_code(a, "gate") == 0
    later = assess(credit, runs=[ev], as_of=dt.date(2028, 1, 1))
    assert next(o for o in later["obligations"] if o["obligation"] == "eu-ob-hr-data-governance")["verdict"] == "not_met"
    assert assessment_exit_code(later, "gate") == 1
