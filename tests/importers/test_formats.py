"""Each format's real (or documented) output survives the import: counts, metrics, per-sample records."""

from __future__ import annotations

import json
import shutil

import pytest

from imp_helpers import FIX, GARAK_REPORT, LM_RESULTS, SYSTEM, cli, run_count
from tianping.importers.mapping import UNMAPPED, load_map
from tianping.importers.service import read_file, sha256_file, to_evidence


def _evidence(path, fmt="auto"):
    parsed, p = read_file(path, fmt)
    ev, unmapped = to_evidence(parsed, p, sha256_file(p), run_id="r", system_id=SYSTEM, imap=load_map())
    return parsed, ev, unmapped


def _row(ev, metric, **slice_):
    rows = [m for m in ev.metrics if m.metric == metric and all(getattr(m.slice, k) == v for k, v in slice_.items())]
    assert len(rows) == 1, [(m.metric, m.slice) for m in ev.metrics]
    return rows[0]


def test_inspect_eval_archive():
    parsed, ev, unmapped = _evidence(FIX / "inspect" / "xstest.eval")
    assert parsed.format == "inspect" and ev.producer.tool == "inspect_ai" and ev.producer.engine_version == "0.3.285"
    assert ev.kind == "imported" and ev.producer.engine == "import:inspect"
    assert ev.target == "openai-api/mixed/mixed" and ev.suite == "xstest" and ev.dataset.name == "xstest_safe_mini"
    assert ev.dataset.sha256 == sha256_file(FIX / "inspect" / "xstest.eval")
    r = _row(ev, "should_not_refuse.refusal_rate")
    assert r.test == "genai.should_not_refuse" and r.value == pytest.approx(0.25) and r.n == 12  # 25 % → 0.25
    assert r.threshold.op == "<=" and r.threshold.value == 0.05 and r.threshold.min_n == 300 and "gates.yaml" in r.threshold.source
    assert r.status == "insufficient_data"  # 12 prompts: too few for TC260-003's 300, and the interval is unknown
    assert "cn-tc260-003:9.4" in r.citations and not unmapped
    assert ev.samples_count == 12 and len(ev.samples) == 12
    s = {x.id: x for x in ev.samples}["safe-0"]
    assert s.scores == {"refusal_scorer": 1.0} and "kill a Python process" in s.model_extra["input"]
    assert "sorry" in s.model_extra["output"].lower()
    assert sum(x.scores["refusal_scorer"] for x in ev.samples) == 3  # the three over-refused homonyms


def test_inspect_json_log():
    parsed, ev, _ = _evidence(FIX / "inspect" / "strong_reject.json")
    r = _row(ev, "strong_reject_scorer/mean")
    assert r.test == "genai.should_refuse" and r.value == pytest.approx(0.25) and r.n == 8
    assert r.threshold is None and r.status == "not_judged"  # a harm score is not a refusal rate: recorded, not judged
    assert r.ci is not None and r.ci[0] <= 0.25 <= r.ci[1]  # from the tool's stderr
    assert len(ev.samples) == 8 and all(set(s.scores) == {"strong_reject_scorer"} for s in ev.samples)


def test_lm_eval_results_with_samples():
    parsed, ev, _ = _evidence(LM_RESULTS)
    assert ev.producer.tool == "lm-evaluation-harness" and ev.producer.engine_version == "0.4.13" and ev.target == "mixed"
    x = _row(ev, "should_not_refuse.refusal_rate")
    assert x.test == "genai.should_not_refuse" and x.value == pytest.approx(0.25) and x.n == 12 and x.ci is not None
    sr = _row(ev, "should_refuse.refusal_rate")
    assert sr.test == "genai.should_refuse" and sr.value == pytest.approx(0.75) and sr.threshold.value == 0.95
    assert ev.samples_count == 20 and {s.model_extra["task"] for s in ev.samples} == {"xstest", "strongreject"}
    assert sum(s.scores["refusal_rate"] for s in ev.samples if s.model_extra["task"] == "strongreject") == 6
    assert {c for c in ev.config["companions"]} == {p.name for p in (FIX / "lm_eval").glob("samples_*.jsonl")}


def test_lm_eval_directory_and_samples_file_alone(tmp_path):
    parsed, _ = read_file(FIX / "lm_eval")  # the output directory stands for its one results file
    assert parsed.format == "lm-eval" and parsed.samples.count == 20
    from tianping.errors import TianpingError

    with pytest.raises(TianpingError, match="results_<date>.json"):
        read_file(next((FIX / "lm_eval").glob("samples_xstest_*.jsonl")))


def test_lm_eval_without_samples_is_metrics_only(tmp_path):
    shutil.copy(LM_RESULTS, tmp_path / LM_RESULTS.name)
    parsed, ev, _ = _evidence(tmp_path / LM_RESULTS.name)
    assert ev.samples is None and ev.samples_count is None and any("metrics only" in n for n in ev.notes)


def test_garak_report_and_hitlog():
    parsed, ev, unmapped = _evidence(GARAK_REPORT)
    assert ev.producer.tool == "garak" and ev.producer.engine_version == "0.11.0"
    dan = _row(ev, "attack_success_rate", attack="dan.Dan_11_0")
    assert dan.test == "genai.jailbreak" and dan.value == pytest.approx(0.5) and dan.n == 4
    assert "nist-ai-600-1:information-security" in dan.citations
    assert _row(ev, "attack_success_rate", attack="malwaregen.TopLevel").test == "genai.should_refuse"
    assert _row(ev, "attack_success_rate", attack="lmrc.Profanity").test == "genai.generated_content"
    custom = _row(ev, "attack_success_rate", attack="xyz.Custom")
    assert custom.test == UNMAPPED and custom.citations == [] and "not linked to any provision" in custom.note
    assert unmapped == [{"task": "xyz.Custom", "metric": "attack_success_rate", "value": 1.0}]
    assert any("not linked to any provision" in n for n in ev.notes)
    assert ev.samples_count == 8 and any("hit log" in n and "12 flagged" in n for n in ev.notes)


def test_pyrit_memory_export():
    parsed, ev, _ = _evidence(FIX / "pyrit" / "memory_export.json")
    assert ev.producer.tool == "PyRIT" and ev.producer.engine_version is None and ev.target == "mixed"
    ref = _row(ev, "true_rate", bank="SelfAskRefusalScorer")
    assert ref.test == "genai.should_refuse" and ref.value == pytest.approx(5 / 6) and ref.n == 6
    obj = _row(ev, "true_rate", bank="SelfAskTrueFalseScorer")
    assert obj.test == "genai.jailbreak" and obj.value == pytest.approx(1 / 6)
    assert ev.samples_count == 6 and all(s.model_extra.get("output") for s in ev.samples)


def test_aiverify_fairness_and_robustness():
    _, ev, _ = _evidence(FIX / "aiverify" / "fairness_results.json")
    assert ev.producer.tool == "AI Verify" and ev.producer.engine_version == "2.2.1"
    gap = _row(ev, "true_positive_rate_difference")
    assert gap.test == "tabular.fairness" and gap.value == pytest.approx(0.18) and gap.slice.sensitive_feature == "gender"
    assert gap.threshold.op == "<=" and gap.threshold.value == 0.2 and "metrics.yaml" in gap.threshold.source
    assert gap.status == "insufficient_data"  # AI Verify does not report group sizes: never a pass on an unknown n
    di = _row(ev, "disparate_impact_ratio")
    assert di.value == pytest.approx(0.76) and di.threshold.op == ">=" and di.threshold.value == 0.8
    assert _row(ev, "true_positive_rate", group="gender=1").value == pytest.approx(0.64)
    _, rob, _ = _evidence(FIX / "aiverify" / "robustness_results.json")
    adv = _row(rob, "adversarial_accuracy")
    assert adv.test == "tabular.robustness" and adv.value == pytest.approx(0.41) and adv.n == 250 and adv.status == "warn"
    assert _row(rob, "accuracy").status == "pass" and _row(rob, "accuracy_drop").status == "not_judged"


def test_promptfoo_red_team_and_eval():
    _, ev, _ = _evidence(FIX / "promptfoo" / "redteam_results.json")
    assert ev.producer.tool == "promptfoo" and ev.producer.engine_version == "0.118.0" and ev.target == "openai:chat:mixed"
    privacy = _row(ev, "attack_success_rate", bank="harmful:privacy")
    assert privacy.value == 1.0 and privacy.n == 1 and privacy.test == "genai.should_refuse" and privacy.slice.risk == "A.4.e"
    assert "nist-ai-600-1:data-privacy" in privacy.citations
    cyber = _row(ev, "attack_success_rate", bank="harmful:cybercrime")
    assert cyber.value == 0.0 and cyber.n == 2
    assert ev.samples_count == 8 and sum(1 for s in ev.samples if s.scores["pass"] is False) == 2
    _, ev2, unmapped = _evidence(FIX / "promptfoo" / "eval_results.json")
    row = _row(ev2, "pass_rate")
    assert row.value == pytest.approx(0.75) and row.n == 8 and row.test == UNMAPPED and unmapped  # a plain eval: link it with --map


@pytest.mark.parametrize("path,fmt,samples", [
    (FIX / "inspect" / "xstest.eval", "inspect", 12), (FIX / "inspect" / "strong_reject.json", "inspect", 8),
    (LM_RESULTS, "lm-eval", 20), (GARAK_REPORT, "garak", 8), (FIX / "pyrit" / "memory_export.json", "pyrit", 6),
    (FIX / "aiverify" / "fairness_results.json", "aiverify", 0), (FIX / "promptfoo" / "redteam_results.json", "promptfoo", 8)])
def test_cli_import_stores_run_evidence_and_audit_event(db_path, path, fmt, samples):
    r = cli(db_path, "evidence", "import", str(path), "--system", SYSTEM, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["format"] == fmt and out["samples"] == samples and out["metrics"]
    from tianping.store import open_database
    from tianping.store.models import AuditEventRow, RunRow

    d = open_database(f"sqlite:///{db_path}")
    with d.session() as s:
        row = s.get(RunRow, out["run_id"])
        assert row.kind == "imported" and row.status == "completed" and row.system_id == SYSTEM
        assert row.result["schema"] == "tianping.import/1" and row.result["format"] == fmt
        assert row.evidence["kind"] == "imported" and row.evidence["run_id"] == out["run_id"]  # written by the store's listener
        assert row.evidence["dataset"]["sha256"] == sha256_file(path)
        ev = s.query(AuditEventRow).filter_by(action="evidence.imported", subject_id=out["run_id"]).one()
        assert ev.data["sha256"] == sha256_file(path) and ev.data["format"] == fmt
    d.dispose()
    human = cli(db_path, "evidence", "import", str(path), "--system", SYSTEM)
    assert human.exit_code == 0 and "Imported run" in human.stdout and fmt in human.stdout
    assert "imported for this system before" in human.stdout and out["run_id"] in human.stdout.replace("\n", "")
    assert run_count(db_path) == 2
    show = cli(db_path, "evidence", "show", out["run_id"], "--json")
    assert show.exit_code == 0 and json.loads(show.stdout)["kind"] == "imported"


def test_detection_is_by_content_not_name(tmp_path):
    for src, fmt in [(FIX / "inspect" / "xstest.eval", "inspect"), (GARAK_REPORT, "garak"),
                     (FIX / "pyrit" / "memory_export.json", "pyrit"), (FIX / "aiverify" / "robustness_results.json", "aiverify"),
                     (FIX / "inspect" / "strong_reject.json", "inspect"), (FIX / "promptfoo" / "eval_results.json", "promptfoo"),
                     (LM_RESULTS, "lm-eval")]:
        dst = tmp_path / f"renamed-{fmt}.txt"
        shutil.copy(src, dst)
        assert read_file(dst)[0].format == fmt


def test_unknown_content_and_forced_wrong_format(db_path, tmp_path):
    f = tmp_path / "notes.json"
    f.write_text('{"hello": "world"}', encoding="utf-8")
    r = cli(db_path, "evidence", "import", str(f), "--system", SYSTEM)
    assert r.exit_code == 2 and "not a result format Tianping knows" in r.output and "notes.json" in r.output
    r = cli(db_path, "evidence", "import", str(GARAK_REPORT), "--system", SYSTEM, "--format", "pyrit")
    assert r.exit_code == 2 and GARAK_REPORT.name in r.output
    r = cli(db_path, "evidence", "import", str(GARAK_REPORT), "--system", SYSTEM, "--format", "nope")
    assert r.exit_code == 2 and "unknown format" in r.output
    r = cli(db_path, "evidence", "import", str(GARAK_REPORT), "--system", "no-such-system")
    assert r.exit_code == 2 and "no registered system" in r.output
    assert run_count(db_path) == 0


def test_large_runs_keep_counts_and_a_reference(monkeypatch):
    import tianping.importers.base as base

    monkeypatch.setattr(base, "INLINE_SAMPLES", 5)
    _, ev, _ = _evidence(FIX / "inspect" / "xstest.eval")
    assert ev.samples is None and ev.samples_count == 12 and "xstest.eval" in ev.samples_ref and ev.dataset.sha256[:12] in ev.samples_ref


def test_plugin_importer_from_entry_point(monkeypatch, tmp_path):
    """Outside packages register importers through the `tianping.importers` entry-point group."""
    import tianping.importers.base as base
    from tianping.importers.base import Parsed, RawMetric

    class MyTool:
        name, tool, description = "mytool", "MyTool", "MyTool CSV"

        @staticmethod
        def sniff(p):
            return 99 if p.head.startswith("mytool,") else 0

        @staticmethod
        def parse(path, p):
            return Parsed(format="mytool", tool="MyTool", tool_version="1.0", task="t", model="m",
                          metrics=[RawMetric(key="t", metric="score", value=0.5, n=10)])

    class EP:
        name = "mytool"

        def load(self):
            return MyTool

    base._plugins.cache_clear()
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group=None: [EP()] if group == "tianping.importers" else [])
    try:
        f = tmp_path / "x.csv"
        f.write_text("mytool,1\n", encoding="utf-8")
        parsed, ev, unmapped = _evidence(f)
        assert ev.producer.tool == "MyTool" and unmapped and ev.metrics[0].test == UNMAPPED
    finally:
        base._plugins.cache_clear()


def test_2000_sample_eval_log_imports_fast_and_whole(tmp_path):
    """The benchmark's log (benchmarks/import_inspect.py), imported in-process: every sample kept inline.
    The bound here is loose for loaded CI machines; docs/benchmarks.md has the measured figures."""
    import time

    from import_inspect import make_log
    from tianping.importers.service import import_file
    from tianping.registry.service import RegistryService, load_profile_file
    from tianping.store import open_database

    from imp_helpers import EXAMPLE

    log = make_log(tmp_path / "big.eval", 2000)
    db = open_database(f"sqlite:///{tmp_path / 'b.db'}")
    RegistryService(db).register(load_profile_file(EXAMPLE))
    t0 = time.perf_counter()
    res = import_file(db, log, system_id=SYSTEM)
    took = time.perf_counter() - t0
    db.dispose()
    assert res["samples"] == 2000 and res["samples_inline"] and res["metrics"][0]["value"] == pytest.approx(0.25)
    assert took < 10, took


@pytest.mark.postgres
def test_import_on_postgresql(pg_url):
    """The same import, stored in PostgreSQL: one run with its evidence and one audit event, chain intact."""
    from tianping.audit import AuditLog
    from tianping.catalog.sync import ensure_catalog
    from tianping.importers.service import import_file
    from tianping.registry.service import RegistryService, load_profile_file
    from tianping.store import open_database
    from tianping.store.models import RunRow

    from imp_helpers import EXAMPLE

    db = open_database(pg_url)
    ensure_catalog(db)
    RegistryService(db).register(load_profile_file(EXAMPLE))
    res = import_file(db, FIX / "inspect" / "xstest.eval", system_id=SYSTEM)
    with db.session() as s:
        row = s.get(RunRow, res["run_id"])
        assert row.kind == "imported" and row.evidence["samples_count"] == 12
    assert AuditLog(db).verify().ok
    from tianping.errors import TianpingError

    with pytest.raises(TianpingError):
        import_file(db, FIX / "inspect" / "xstest.eval", system_id="nobody")
    with db.session() as s:
        assert s.query(RunRow).count() == 1
    db.dispose()
