"""Older and variant shapes of the formats: what the importers accept beyond the fixtures."""

from __future__ import annotations

import json
import shutil

import pytest

from imp_helpers import FIX, GARAK_REPORT, LM_RESULTS
from tianping.importers.service import read_file


def test_lm_eval_before_0_4_keys_without_filter(tmp_path):
    f = tmp_path / "results.json"
    f.write_text(json.dumps({"results": {"truthfulqa_mc": {"mc1": 0.3, "mc1_stderr": 0.02, "alias": "x"}},
                             "versions": {"truthfulqa_mc": 1}, "config": {"model": "hf-causal", "model_args": "pretrained=gpt2,api_key=sk-x"}}))
    parsed, _ = read_file(f)
    assert parsed.model == "gpt2" and [(m.metric, m.value, m.stderr) for m in parsed.metrics] == [("mc1", 0.3, 0.02)]
    assert "sk-x" not in json.dumps(parsed.config)  # secrets in model_args are not kept


def test_lm_eval_samples_embedded_in_the_results_document(tmp_path):
    doc = json.loads(LM_RESULTS.read_text(encoding="utf-8"))
    doc["samples"] = {t: [json.loads(x) for x in next((FIX / "lm_eval").glob(f"samples_{t}_*.jsonl")).read_text().splitlines()]
                      for t in ("xstest", "strongreject")}
    f = tmp_path / "results.json"
    f.write_text(json.dumps(doc))
    parsed, _ = read_file(f)
    assert parsed.samples.count == 20 and not parsed.companions


def test_garak_older_module_prefixes(tmp_path):
    rows = [json.loads(x) for x in GARAK_REPORT.read_text(encoding="utf-8").splitlines()]
    for r in rows:
        if r["entry_type"] == "eval":
            r["probe"] = "probes." + r["probe"]
            r["detector"] = "detector." + r["detector"]
            r["total"] = r.pop("total_evaluated")
            r.pop("fails")
    f = tmp_path / "old.report.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    parsed, _ = read_file(f)
    dan = next(m for m in parsed.metrics if m.key == "dan.Dan_11_0")
    assert dan.value == pytest.approx(0.5) and dan.slice["feature"] == "dan.DAN"


def test_inspect_grouped_metric_and_error_status(tmp_path):
    doc = json.loads((FIX / "inspect" / "strong_reject.json").read_text(encoding="utf-8"))
    doc["results"]["scores"][0]["metrics"]["by_category"] = {"name": "by_category", "value": {"violence": 0.5, "cyber": 0.0}}
    doc["status"] = "error"
    doc["error"] = {"message": "rate limited", "traceback": "", "traceback_ansi": ""}
    f = tmp_path / "log.json"
    f.write_text(json.dumps(doc))
    parsed, _ = read_file(f)
    groups = {m.slice.get("group"): m.value for m in parsed.metrics if m.metric.endswith("by_category")}
    assert groups == {"violence": 0.5, "cyber": 0.0}
    assert parsed.config["status"] == "error" and any("partial results" in n for n in parsed.notes)


def test_error_status_log_is_stored_as_failed(db_path, tmp_path):
    from imp_helpers import SYSTEM, cli

    doc = json.loads((FIX / "inspect" / "strong_reject.json").read_text(encoding="utf-8"))
    doc["status"] = "cancelled"
    f = tmp_path / "log.json"
    f.write_text(json.dumps(doc))
    r = cli(db_path, "evidence", "import", str(f), "--system", SYSTEM, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["status"] == "failed"  # kept, shown, never counted (not completed)


def test_promptfoo_without_failure_reason(tmp_path):
    doc = json.loads((FIX / "promptfoo" / "redteam_results.json").read_text(encoding="utf-8"))
    for r in doc["results"]["results"]:
        r.pop("failureReason", None)
    f = tmp_path / "old.json"
    f.write_text(json.dumps(doc))
    parsed, _ = read_file(f)
    assert sum(m.n for m in parsed.metrics) == 8


def test_lm_eval_directory_with_several_results_is_refused(tmp_path):
    from tianping.errors import TianpingError

    for i in range(2):
        shutil.copy(LM_RESULTS, tmp_path / f"results_2026-01-0{i + 1}T00-00-00.json")
    with pytest.raises(TianpingError, match="exactly one"):
        read_file(tmp_path)


def test_detection_with_a_first_line_or_results_block_longer_than_the_head(tmp_path):
    rows = [json.loads(x) for x in GARAK_REPORT.read_text(encoding="utf-8").splitlines()]
    rows[0]["padding"] = "x" * 100_000  # garak's setup line can be long
    f = tmp_path / "long.report.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert read_file(f)[0].format == "garak"
    doc = json.loads(LM_RESULTS.read_text(encoding="utf-8"))
    big = {f"task_{i:04d}": {"alias": f"task {i}", "acc,none": 0.5, "acc_stderr,none": 0.01} for i in range(2000)}
    lm = {"results": {**big, **doc["results"]}, **{k: v for k, v in doc.items() if k != "results"}}
    g = tmp_path / "results_big.json"
    g.write_text(json.dumps(lm))
    parsed = read_file(g)[0]
    assert parsed.format == "lm-eval" and len(parsed.metrics) == 2002


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(obj=st.dictionaries(st.text(max_size=10), _json, max_size=6), indent=st.sampled_from([None, 1, 2]), as_array=st.booleans())
def test_top_level_key_scanner_matches_json(obj, indent, as_array):
    """The detector's key scanner reads exactly the top-level keys (or the first element's), escapes and nesting included."""
    from tianping.importers.base import top_level_keys

    text = json.dumps([obj, {"zz": 1}] if as_array else obj, indent=indent, ensure_ascii=bool(indent))
    keys, is_array = top_level_keys(text)
    assert is_array == as_array and keys == list(obj)
