"""`tianping monitor` and `tianping catalog changes` from the command line: output, JSON, the
calendar file, zh/en, and bad input (unknown system, bad date, bad horizon) exiting 2 with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping.cli.main import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "systems"


@pytest.fixture
def db_opt(tmp_path):
    opt = ["--db", str(tmp_path / "mon.db")]
    for name in ("eu-credit-scoring", "cn-short-video-recommender"):
        res = runner.invoke(app, [*opt, "register", str(EXAMPLES / f"{name}.yaml")])
        assert res.exit_code == 0, res.output
    return opt


def test_monitor_json_lists_dated_events(db_opt):
    res = runner.invoke(app, [*db_opt, "monitor", "--as-of", "2026-12-05", "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["as_of"] == "2026-12-05" and rep["horizon_days"] == 730
    by_id = {s["id"]: s for s in rep["systems"]}
    assert set(by_id) == {"eu-credit-scoring", "cn-short-video-recommender"}
    assert any(e["kind"] == "tier" and e["date"] == "2027-12-02" for e in by_id["eu-credit-scoring"]["events"])
    assert any(r["period"]["unit"] == "working_days" for r in by_id["cn-short-video-recommender"]["deadline_rules"])


def test_monitor_text_record_and_calendar(db_opt, tmp_path):
    from icalendar import Calendar

    ics = tmp_path / "monitor.ics"
    res = runner.invoke(app, [*db_opt, "monitor", "eu-credit-scoring", "--as-of", "2026-12-05", "--ics", str(ics), "--record"])
    assert res.exit_code == 0, res.output
    assert "2027-12-02" in res.output and "Recorded the classification of 1 systems" in res.output
    cal = Calendar.from_ical(ics.read_bytes())
    assert len(list(cal.walk("VEVENT"))) > 3
    res = runner.invoke(app, [*db_opt, "monitor", "eu-credit-scoring", "--as-of", "2026-12-05"])
    assert res.exit_code == 0 and "unchanged since" in res.output
    res = runner.invoke(app, [*db_opt, "--lang", "zh", "monitor", "cn-short-video-recommender", "--as-of", "2026-12-05"])
    assert res.exit_code == 0, res.output
    assert "期限规则" in res.output and "工作日" in res.output


@pytest.mark.parametrize("args, needle", [
    (["monitor", "eu-credit-scorin"], "did you mean 'eu-credit-scoring'"),
    (["monitor", "no-such-system", "--json"], "no registered system with id 'no-such-system'"),
    (["monitor", "--as-of", "2026-13-01"], "is not a date"),
    (["monitor", "--as-of", "soon"], "--as-of"),
    (["monitor", "--horizon", "-3"], "--horizon"),
    (["monitor", "--ics", "/no/such/dir/x.ics"], "does not exist"),
    (["catalog", "changes", "--since", "last-week"], "--since"),
    (["catalog", "changes", "--since", "2026-01-01", "--until", "2026-02-31"], "--until"),
])
def test_bad_input_exits_2_with_a_clear_message(db_opt, args, needle):
    res = runner.invoke(app, [*db_opt, *args])
    assert res.exit_code == 2, res.output
    assert needle in res.output
    assert "Traceback" not in res.output


def test_catalog_changes_cli(db_opt):
    res = runner.invoke(app, [*db_opt, "catalog", "changes", "--since", "2026-07-01", "--until", "2026-12-05", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["changes"] and all("2026-07-01" < c["date"] <= "2026-12-05" for c in data["changes"])
    res = runner.invoke(app, [*db_opt, "catalog", "changes", "--since", "2026-07-01", "--until", "2026-12-05"])
    assert res.exit_code == 0 and "2026-08-02" in res.output
    res = runner.invoke(app, [*db_opt, "catalog", "changes", "--since", "2030-01-01", "--until", "2030-01-02"])
    assert res.exit_code == 0 and "No dated changes" in res.output
