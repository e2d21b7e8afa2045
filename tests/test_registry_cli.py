"""Registering profiles: valid ones are stored and versioned; bad ones fail with field, line, exit 2, nothing stored."""

from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from tianping.cli.main import app

runner = CliRunner()

GOOD = textwrap.dedent(
    """\
    id: demo-credit
    name: Demo credit scorer
    organisation: {name: Demo Bank, country: DE, sme: false}
    jurisdictions: [EU]
    roles: {EU: [provider]}
    use_cases: [creditworthiness]
    model_kinds: [classifier]
    profiling: true
    data:
      - {category: personal, persons: 120000}
    """
)


@pytest.fixture
def db_opt(tmp_path):
    return ["--db", str(tmp_path / "reg.db")]


def listed(db_opt):
    res = runner.invoke(app, [*db_opt, "systems", "list", "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_register_then_update(tmp_path, db_opt):
    f = tmp_path / "s.yaml"
    f.write_text(GOOD, encoding="utf-8")
    r1 = runner.invoke(app, [*db_opt, "register", str(f), "--json"])
    assert r1.exit_code == 0, r1.output
    assert json.loads(r1.stdout) == {"id": "demo-credit", "version": 1, "created": True}
    again = json.loads(runner.invoke(app, [*db_opt, "register", str(f), "--json"]).stdout)
    assert again["unchanged"] is True and again["version"] == 1
    f.write_text(GOOD.replace("persons: 120000", "persons: 130000"), encoding="utf-8")
    r3 = json.loads(runner.invoke(app, [*db_opt, "register", str(f), "--json"]).stdout)
    assert r3["version"] == 2
    shown = json.loads(runner.invoke(app, [*db_opt, "systems", "show", "demo-credit", "--json"]).stdout)
    assert shown["data"][0]["persons"] == 130000


def test_json_profiles_are_accepted(tmp_path, db_opt):
    import yaml

    f = tmp_path / "s.json"
    f.write_text(json.dumps(yaml.safe_load(GOOD), indent=2), encoding="utf-8")
    assert runner.invoke(app, [*db_opt, "register", str(f)]).exit_code == 0


@pytest.mark.parametrize("mutate, field, line, needle", [
    (lambda t: t.replace("use_cases: [creditworthiness]", "use_cases: [creditworthiness"), None, 7, "syntax"),
    (lambda t: t.replace("model_kinds: [classifier]", "model_kinds: [clasifier]"), "model_kinds.0", 7, "Input should be"),
    (lambda t: t.replace("persons: 120000", "persons: lots"), "data.0.persons", 10, "valid integer"),
    (lambda t: t.replace("profiling: true", "profiling: true\ncolour: blue"), "colour", 9, "unknown field"),
    (lambda t: t.replace("roles: {EU: [provider]}", "roles: {EU: [provider], CN: [provider]}"), None, 1, "not among jurisdictions"),
    (lambda t: t.replace("country: DE", "country: Germany"), "organisation.country", 3, "pattern"),
])
def test_bad_profiles_fail_cleanly(tmp_path, db_opt, mutate, field, line, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(mutate(GOOD), encoding="utf-8")
    res = runner.invoke(app, [*db_opt, "register", str(f)])
    assert res.exit_code == 2, res.output
    assert needle.lower() in res.output.lower()
    assert f"bad.yaml:{line}" in res.output
    if field:
        assert f"field '{field}'" in res.output
    assert "Traceback" not in res.output
    assert listed(db_opt) == []  # nothing stored


def test_missing_file_and_unknown_id(tmp_path, db_opt):
    res = runner.invoke(app, [*db_opt, "register", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "file not found" in res.output
    res = runner.invoke(app, [*db_opt, "classify", "no-such-system"])
    assert res.exit_code == 2 and "no registered system" in res.output
    res = runner.invoke(app, [*db_opt, "classify", "no-such-system", "--as-of", "yesterday"])
    assert res.exit_code == 2
