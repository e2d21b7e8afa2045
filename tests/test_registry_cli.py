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
    (lambda t: t.replace("model_kinds: [classifier]", "model_kinds: [clasifier]"), "model_kinds.0", 7, "did you mean 'classifier'"),
    (lambda t: t.replace("use_cases: [creditworthiness]", "use_cases: [credit_scoring]"), "use_cases.0", 6, "did you mean"),
    (lambda t: t.replace("jurisdictions: [EU]", "jurisdictions: [UK]"), "jurisdictions.0", 4, "did you mean 'GB'"),
    (lambda t: t.replace("profiling: true", "profiling: true\nsector: fintech"), "sector", 9, "unknown sector"),
    (lambda t: t.replace("persons: 120000", "persons: lots"), "data.0.persons", 10, "valid integer"),
    (lambda t: t.replace("profiling: true", "profiling: true\ncolour: blue"), "colour", 9, "unknown field"),
    (lambda t: t.replace("roles: {EU: [provider]}", "roles: {EU: [provider], CN: [provider]}"), None, 1, "not among jurisdictions"),
    (lambda t: t.replace("country: DE", "country: Germany"), "organisation.country", 3, "did you mean 'DE'"),
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


def test_interactive_questionnaire_asks_only_what_the_jurisdictions_need(db_opt):
    # identity, EU only, role; then the EU pack's questions: answer a few, leave the rest unknown
    answers = ["q-eu", "Q system", "Acme", "DE", "EU", "provider"] + ["?"] * 60
    res = runner.invoke(app, [*db_opt, "register", "--interactive", "--json"], input="\n".join(answers) + "\n")
    assert res.exit_code == 0, res.output
    assert "Is the system intended to interact directly" in res.output  # EU Art. 50 question
    assert "public-opinion" not in res.output.lower()  # China-only question is not asked
    shown = json.loads(runner.invoke(app, [*db_opt, "systems", "show", "q-eu", "--json"]).stdout)
    assert shown["jurisdictions"] == ["EU"] and shown["roles"] == {"EU": ["provider"]}
    cls = json.loads(runner.invoke(app, [*db_opt, "classify", "q-eu", "--json"]).stdout)
    (eu,) = cls["results"]
    assert eu["tier"] == "undetermined" and eu["questions"]


def test_interactive_questionnaire_in_chinese_with_answers(db_opt):
    answers = ["q-cn", "问答系统", "某公司", "CN", "CN", "service_provider", "否"] + ["?"] * 80
    res = runner.invoke(app, [*db_opt, "--lang", "zh", "register", "--interactive"], input="\n".join(answers) + "\n")
    assert res.exit_code == 0, res.output
    assert "系统编号" in res.output and "已登记 q-cn" in res.output
    shown = json.loads(runner.invoke(app, [*db_opt, "systems", "show", "q-cn", "--json"]).stdout)
    assert shown["organisation"] == {"name": "某公司", "country": "CN", "ciio": False}


def test_obligations_json_of_a_registered_system(tmp_path, db_opt):
    f = tmp_path / "s.yaml"
    f.write_text(GOOD, encoding="utf-8")
    assert runner.invoke(app, [*db_opt, "register", str(f)]).exit_code == 0
    res = runner.invoke(app, [*db_opt, "obligations", "demo-credit", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    eu = next(r for r in out["obligations"] if r["jurisdiction"] == "EU")
    assert eu["tier"] == "high_risk"
    ids = {o["id"] for o in eu["applies"] + eu["upcoming"]}
    assert "eu-ob-ai-literacy" in ids
    assert all(o["cites"] and o["roles"] for o in eu["applies"] + eu["upcoming"])
