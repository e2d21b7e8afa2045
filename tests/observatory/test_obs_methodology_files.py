"""Methodology files: bundled ones are valid; bad ones fail with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping.errors import TianpingError
from tianping.observatory.methodology import BUNDLED, bundled_methodologies, load_methodology

BASE = (BUNDLED / "unesco-ram.yaml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "m.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_bundled_methodologies_are_valid():
    assert bundled_methodologies() == ["government-readiness", "unesco-ram"]
    for name in bundled_methodologies():
        m = load_methodology(name)
        assert m.pillars and all(d.addressed_by for _, d in m.dimensions())


def test_unknown_indicator_is_located(tmp_path):
    text = BASE.replace("{id: IT.CEL.SETS.P2, weight: 0.2}", "{id: IT.CEL.SETZ.P2, weight: 0.2}")
    with pytest.raises(TianpingError) as ei:
        load_methodology(_write(tmp_path, text))
    p = ei.value.problems[0]
    assert "unknown indicator 'IT.CEL.SETZ.P2'" in p.message
    assert p.file.endswith("m.yaml") and p.line == _line_of(text, "IT.CEL.SETZ.P2")
    assert p.field == "pillars.4.dimensions.0.indicators.2.id"


def test_negative_weight_is_located(tmp_path):
    text = BASE.replace("{id: IT.NET.BBND.P2, weight: 0.3}", "{id: IT.NET.BBND.P2, weight: -0.3}")
    with pytest.raises(TianpingError) as ei:
        load_methodology(_write(tmp_path, text))
    p = ei.value.problems[0]
    assert "must not be negative" in p.message
    assert p.line == _line_of(text, "weight: -0.3") and p.field == "pillars.4.dimensions.0.indicators.1.weight"


def test_weights_not_summing_as_declared(tmp_path):
    text = BASE.replace("{id: IT.NET.USER.ZS, weight: 0.5}", "{id: IT.NET.USER.ZS, weight: 0.4}")
    with pytest.raises(TianpingError) as ei:
        load_methodology(_write(tmp_path, text))
    p = ei.value.problems[0]
    assert "sum to 0.9" in p.message and "weights_sum: 1" in p.message
    assert p.field == "pillars.4.dimensions.0.indicators" and p.line == _line_of(text, "IT.NET.USER.ZS") - 1
    text2 = BASE.replace("weights_sum: 1.0", "weights_sum: 100")
    with pytest.raises(TianpingError) as ei:
        load_methodology(_write(tmp_path, text2))
    assert any(q.field == "pillars" and "declares weights_sum: 100" in q.message for q in ei.value.problems)


def test_unknown_catalog_link_and_unknown_field(tmp_path):
    text = BASE.replace("cn-capacity-building-plan:action-9]", "cn-capacity-building-plan:action-99]")
    with pytest.raises(TianpingError) as ei:
        load_methodology(_write(tmp_path, text))
    assert "unknown catalog provision 'cn-capacity-building-plan:action-99'" in ei.value.problems[0].message
    with pytest.raises(TianpingError) as ei:
        load_methodology(_write(tmp_path, BASE.replace("min_coverage: 0.4", "min_coverage: 0.4\nmin_coverag: 1")))
    assert ei.value.problems[0].message == "unknown field"


def test_cli_validate_exits_2_with_location(tmp_path, sqlite_url):
    from tianping.cli.main import app

    bad = _write(tmp_path, BASE.replace("{id: RQ.EST, weight: 0.5}", "{id: RQ.EST, weight: -1}"))
    r = CliRunner().invoke(app, ["--db", sqlite_url, "divide", "methodology", "validate", str(bad), "--json"])
    assert r.exit_code == 2
    assert '"field": "pillars.0.dimensions.1.indicators.0.weight"' in r.stdout
    ok = CliRunner().invoke(app, ["--db", sqlite_url, "divide", "methodology", "validate", "government-readiness", "--json"])
    assert ok.exit_code == 0 and '"valid": true' in ok.stdout
