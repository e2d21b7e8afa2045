"""The metric specification: every citation exists in the catalog; thresholds judge and can be overridden."""

from __future__ import annotations

import pytest

from tianping.catalog.loader import default_catalog
from tianping.errors import TianpingError
from tianping.evaluation.tabular.guide import load_guide
from tianping.evaluation.tabular.spec import TESTS, Thresholds, load_spec


def test_every_citation_exists_in_the_catalog():
    cat = default_catalog()
    spec = load_spec()
    principles = set(cat.principles if isinstance(cat.principles, dict) else [p.id for p in cat.principles])
    assert len(spec.metrics) > 50
    for m in spec.metrics.values():
        assert m.citations, m.name
        for qid in m.citations:
            assert cat.exists(qid), f"{m.name}: unknown provision {qid}"
        for p in m.principles:
            assert p in principles, f"{m.name}: unknown principle {p}"
        assert m.test in TESTS and m.title["en"] and m.title["zh"]
        assert m.name == m.name.lower() and " " not in m.name
    for qid in load_guide().citations:
        assert cat.exists(qid)


def test_guide_metrics_are_declared():
    spec = load_spec()
    for ctx in load_guide().contexts.values():
        assert ctx.metric in spec.metrics and all(a in spec.metrics for a in ctx.also)


def test_thresholds_judge_both_directions():
    t = Thresholds(direction="max", warn=0.1, fail=0.2)
    assert [t.judge(v) for v in (0.05, 0.15, 0.3, None)] == ["pass", "warn", "fail", "not_judged"]
    t = Thresholds(direction="min", warn=0.9, fail=0.8)
    assert [t.judge(v) for v in (0.95, 0.85, 0.5)] == ["pass", "warn", "fail"]
    with pytest.raises(ValueError):
        Thresholds(direction="max", warn=0.3, fail=0.2)


def test_override_file(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("metrics:\n  demographic_parity_difference:\n    thresholds: {direction: max, warn: 0.01, fail: 0.02}\n"
                 "  accuracy:\n    thresholds: null\n", encoding="utf-8")
    spec = load_spec(f)
    assert spec.metrics["demographic_parity_difference"].thresholds.warn == 0.01
    assert spec.metrics["accuracy"].thresholds is None
    assert load_spec().metrics["demographic_parity_difference"].thresholds.warn == 0.1  # default untouched
    f.write_text("metrics:\n  accuracy:\n    thresholds: null\n  demographic_parity_diff:\n    thresholds: null\n", encoding="utf-8")
    with pytest.raises(TianpingError) as e:
        load_spec(f)
    p = e.value.problems[0]
    assert "unknown metric 'demographic_parity_diff'" in p.message and p.line == 4 and p.file == str(f)
    f.write_text("metrics:\n  accuracy:\n    thresholds: {direction: up, warn: 1, fail: 2}\n", encoding="utf-8")
    with pytest.raises(TianpingError) as e:
        load_spec(f)
    assert e.value.problems[0].line == 3
