"""Human review (issue 13 item 4): sample, label, audit, agreement, and labels as gate evidence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tianping.cli.main import app
from tianping.evaluation.genai.review import allocate, required_sample_size

runner = CliRunner()


def _inv(db, *args):
    return runner.invoke(app, ["--db", str(db), *args])


@pytest.fixture
def finished_run(stub, tmp_path):
    db = tmp_path / "r.db"
    res = _inv(db, "eval", "run", "--target", "openai:complier", "--suite", "tc260", "--limit", "40", "--json", "--fail-on", "never")
    assert res.exit_code == 0, res.output
    return db, json.loads(res.stdout)["run_id"]


def test_review_queue_labels_audit_agreement_and_gates(finished_run, tmp_path):
    db, rid = finished_run
    plan = json.loads(_inv(db, "eval", "review", "sample", rid[:8], "--n", "6", "--by", "lang", "--json").stdout)
    assert plan["size"] == 6 and not plan["meets_standard"] and set(plan["strata"]) <= {"lang=zh", "lang=en"}
    assert sum(v["sampled"] for v in plan["strata"].values()) == 6
    again = _inv(db, "eval", "review", "sample", rid, "--n", "6")
    assert again.exit_code == 2 and "already has a review queue" in again.output  # labels are never discarded
    items = json.loads(_inv(db, "eval", "review", "next", rid, "--limit", "10", "--json").stdout)
    assert len(items) == 6 and all(i["response"] is not None for i in items)
    # one by the CLI, the rest from a filled-in CSV
    ok = _inv(db, "eval", "review", "label", rid, items[0]["sample_id"], "--label", "unsafe", "--reviewer", "li.wei")
    assert ok.exit_code == 0, ok.output
    csv_path = tmp_path / "queue.csv"
    assert _inv(db, "eval", "review", "export", rid, "--out", str(csv_path)).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("sample_id,label\n" + "\n".join(f"{i['sample_id']},maybe" for i in items[1:]) + "\n", encoding="utf-8")
    res = _inv(db, "eval", "review", "import", rid, str(bad), "--reviewer", "ana")
    assert res.exit_code == 2 and "bad.csv:2" in res.output  # located; nothing recorded
    good = tmp_path / "good.csv"
    good.write_text("sample_id,label,note\n" + "\n".join(f"{i['sample_id']},safe,ok" for i in items[1:]) + "\n", encoding="utf-8")
    assert _inv(db, "eval", "review", "import", rid, str(good), "--reviewer", "ana").exit_code == 0
    st_ = json.loads(_inv(db, "eval", "review", "status", rid, "--json").stdout)
    assert st_["labelled"] == 6 and st_["reviewers"] == ["ana", "li.wei"] and st_["labels"]["unsafe"] == 1
    rules = st_["agreement"]["rules"]
    assert rules["n"] == 6 and sum(map(sum, rules["confusion_matrix"]["counts"])) == 6
    # who labelled what is in the audit trail, and the chain still verifies
    audit = json.loads(_inv(db, "audit", "verify", "--json").stdout)
    assert audit["ok"] is True
    from tianping.audit import AuditLog
    from tianping.store import open_database

    d = open_database(f"sqlite:///{db}")
    events = [e for e in AuditLog(d).events() if e["action"] == "review.labelled"]
    assert {e["actor"] for e in events} == {"li.wei", "ana"}
    d.dispose()
    # the labels are evidence: the manual-sampling gate now counts 6 human-labelled answers
    shown = json.loads(_inv(db, "eval", "show", rid, "--json").stdout)
    manual = next(g for g in shown["gates"] if g["id"] == "tc260-generated-manual")
    assert manual["n"] == 6 and "human review" in (manual["method"] or "")
    assert manual["status"] in ("insufficient_data", "fail")  # 6 is far below the standard's 1,000: never pass
    ev = json.loads(_inv(db, "evidence", "show", rid, "--json").stdout)
    row = next(m for m in ev["metrics"] if m["metric"] == "checks.generated_content.manual")
    assert row["n"] == 6 and row["status"] != "pass"


def test_review_bad_input(finished_run, tmp_path):
    db, rid = finished_run
    assert _inv(db, "eval", "review", "status", rid).exit_code == 2  # no queue yet
    assert _inv(db, "eval", "review", "sample", rid, "--by", "colour").exit_code == 2
    assert _inv(db, "eval", "review", "sample", rid, "--margin", "3").exit_code == 2
    assert _inv(db, "eval", "review", "sample", "no-such-run").exit_code == 2
    _inv(db, "eval", "review", "sample", rid, "--n", "2")
    assert _inv(db, "eval", "review", "label", rid, "not-a-sample", "--label", "safe", "--reviewer", "x").exit_code == 2
    assert _inv(db, "eval", "review", "label", rid, "x", "--label", "meh", "--reviewer", "x").exit_code == 2


def test_sample_size_from_margin_and_standard():
    assert required_sample_size(100_000, margin=0.03) == 1056  # 1.96² · 0.25 / 0.03², finite-population corrected
    assert required_sample_size(500, standard_min=1000) == 500  # never more than there is
    assert required_sample_size(5000, standard_min=1000) == 1000
    assert required_sample_size(5000, margin=0.05, standard_min=1000) == 1000


@settings(max_examples=200)
@given(st.dictionaries(st.text(min_size=1, max_size=4), st.integers(0, 50), min_size=1, max_size=8), st.integers(0, 400))
def test_allocation_is_exact_and_bounded(sizes, n):
    out = allocate(sizes, n)
    assert sum(out.values()) == min(n, sum(sizes.values()))
    assert all(0 <= out[k] <= sizes[k] for k in sizes)
