"""`eval judge-calibrate --judge ""` (or only commas) names no judge: a clear "bad option" error.

It used to reach `calibrate(None, …)` and fail with a TypeError traceback, since `build_panel`
returns None for a spec that names no judge."""

from __future__ import annotations

import csv

import pytest


@pytest.mark.parametrize("spec", ["", " ", " , "])
def test_judge_calibrate_without_a_judge_is_a_bad_option(spec, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from tianping.cli.main import app

    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    lab = tmp_path / "labelled.csv"
    with lab.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["prompt", "response", "label"])
        for i in range(4):
            w.writerow(["q", "r", "unsafe" if i % 2 else "safe"])
    r = CliRunner().invoke(app, ["eval", "judge-calibrate", "--judge", spec, "--labelled", str(lab)])
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "--judge" in r.output
