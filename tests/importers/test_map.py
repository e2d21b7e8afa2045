"""The import map as data: every test id, provision and threshold it names exists; a user map extends and overrides it."""

from __future__ import annotations

import json

import pytest
import yaml

from imp_helpers import FIX, GARAK_REPORT, SYSTEM, cli, run_count
from tianping.catalog.loader import default_catalog
from tianping.errors import TianpingError
from tianping.importers.mapping import MAP_FILE, _gates, _tabular, evidence_tests, load_map, shipped_entries


def test_every_provision_test_and_threshold_in_the_shipped_map_exists():
    cat = default_catalog()
    entries = shipped_entries(check_provisions=True)  # raises on any unknown provision
    assert len(entries) >= 40
    tests = set(evidence_tests())
    for e in entries:
        assert e.test in tests, e.id
        assert e.citations, e.id
        for c in e.citations:
            assert c in cat.provisions, (e.id, c)
        if e.threshold:
            assert e.metric_id, f"{e.id}: a threshold only for the same quantity as Tianping's own (metric_id)"
            assert e.threshold.provision is None or e.threshold.provision in cat.provisions


def test_thresholds_are_read_from_the_engines_files():
    g = _gates()
    by_id = {e.id: e for e in shipped_entries()}
    over = by_id["inspect-xstest-safe"].threshold
    assert (over.op, over.value, over.min_n) == (g["tc260-over-refusal"]["op"], g["tc260-over-refusal"]["threshold"],
                                                  g["tc260-over-refusal"]["min_samples"])
    refuse = by_id["lm-eval-xstest"].threshold
    assert refuse.value == g["tc260-over-refusal"]["threshold"]
    t = _tabular()["metrics"]["true_positive_rate_difference"]["thresholds"]
    tpr = by_id["aiverify-tpr-gap"].threshold
    assert (tpr.op, tpr.value, tpr.warn) == ("<=", t["fail"], t["warn"])


def test_well_known_sources_are_linked():
    m = load_map()
    assert m.lookup("inspect", "inspect_evals/xstest", "refusal_scorer/refusal_rate", {"subset": "safe"}).test == "genai.should_not_refuse"
    assert m.lookup("inspect", "inspect_evals/xstest", "refusal_scorer/refusal_rate", {"subset": "unsafe"}).test == "genai.should_refuse"
    assert m.lookup("inspect", "inspect_evals/strong_reject", "strong_reject_scorer/mean", {}).threshold is None
    assert m.lookup("lm-eval", "harmbench_direct", "score", {}).test == "genai.should_refuse"
    assert m.lookup("garak", "promptinject.HijackHateHumans", "attack_success_rate", {}).test == "genai.jailbreak"
    assert "nist-ai-600-1:cbrn" in m.lookup("promptfoo", "harmful:chemical-biological-weapons", "attack_success_rate", {}).citations
    assert m.lookup("promptfoo", "harmful:hate", "attack_success_rate", {}).risk == "A.1.e"
    assert m.lookup("aiverify", "aiverify.stock.robustness_toolbox:robustness_toolbox", "perturbed_accuracy", {}).metric_id == "adversarial_accuracy"
    assert m.lookup("garak", "xyz.Custom", "attack_success_rate", {}) is None


def test_user_map_extends_and_overrides(db_path, tmp_path):
    user = tmp_path / "my-map.yaml"
    user.write_text(yaml.safe_dump({"version": 1, "entries": [
        {"id": "garak-custom", "format": "garak", "task": "xyz.*", "test": "genai.jailbreak", "citations": ["eu-ai-act:art-15"]},
        {"id": "garak-jailbreak", "format": "garak", "task": "dan.*", "test": "genai.should_refuse", "citations": ["cn-tc260-003:9.4"]},
    ]}), encoding="utf-8")
    r = cli(db_path, "evidence", "import", str(GARAK_REPORT), "--system", SYSTEM, "--map", str(user), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    rows = {m["slice"].split(" · ")[0]: m for m in out["metrics"]}
    assert rows["attack=xyz.Custom"]["test"] == "genai.jailbreak" and rows["attack=xyz.Custom"]["citations"] == ["eu-ai-act:art-15"]
    assert rows["attack=dan.Dan_11_0"]["test"] == "genai.should_refuse"  # same id: the user's entry replaces the shipped one
    assert rows["attack=encoding.InjectBase64"]["test"] == "genai.jailbreak"  # shipped entries still apply
    assert not out["unmapped"]


@pytest.mark.parametrize("entry,needle,field", [
    ({"id": "x", "task": "t", "test": "genai.nope"}, "unknown test", "entries[0].test"),
    ({"id": "x", "task": "t", "test": "genai.jailbreak", "citations": ["eu-ai-act:art-999"]}, "unknown catalog provision", "entries[0].citations"),
    ({"id": "x", "task": "t", "test": "genai.jailbreak", "threshold": "gates:nope"}, "no gate", "entries[0].threshold"),
    ({"id": "x", "task": "t", "test": "genai.jailbreak", "threshold": "tabular:perturbed_accuracy"}, "no thresholds", "entries[0].threshold"),
    ({"id": "x", "task": "t", "test": "genai.jailbreak", "format": "nessus"}, "unknown format", "entries[0].format"),
    ({"id": "x", "task": "t", "test": "genai.jailbreak", "scale": -1}, "positive number", "entries[0].scale"),
    ({"id": "x", "task": "t", "test": "genai.jailbreak", "colour": "red"}, "unknown key", "entries[0].colour"),
    ({"task": "t", "test": "genai.jailbreak"}, "needs an id", "entries[0].id"),
])
def test_bad_user_map_is_a_located_error(db_path, tmp_path, entry, needle, field):
    user = tmp_path / "bad-map.yaml"
    user.write_text(yaml.safe_dump({"version": 1, "entries": [entry]}, sort_keys=False), encoding="utf-8")
    r = cli(db_path, "evidence", "import", str(GARAK_REPORT), "--system", SYSTEM, "--map", str(user), "--json")
    assert r.exit_code == 2
    p = json.loads(r.stdout)["error"]["problems"][0]
    assert needle in p["message"] and p["file"] == str(user) and p["field"].startswith(field)
    if entry.get("id"):
        assert p["line"] == 3  # the entry's `id:` line
    assert run_count(db_path) == 0


def test_map_yaml_syntax_error_names_the_line(tmp_path):
    user = tmp_path / "broken.yaml"
    user.write_text("version: 1\nentries:\n  - id: a\n    task: [unclosed\n", encoding="utf-8")
    with pytest.raises(TianpingError) as e:
        load_map(user)
    assert e.value.problems[0].file == str(user) and e.value.problems[0].line


def test_shipped_map_parses_as_plain_yaml():
    doc = yaml.safe_load(MAP_FILE.read_text(encoding="utf-8"))
    ids = [e["id"] for e in doc["entries"]]
    assert len(ids) == len(set(ids))
    assert (FIX / "inspect" / "xstest.eval").exists()
