"""The CLI: --json output is JSON only; bad input exits 2 with a message, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db_opt(tmp_path_factory) -> list[str]:
    return ["--db", str(tmp_path_factory.mktemp("cli") / "cli.db")]


def run_json(db_opt, *args: str):
    res = runner.invoke(app, [*db_opt, *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_list_json(db_opt):
    rows = run_json(db_opt, "catalog", "list")
    ids = {r["id"] for r in rows}
    assert {"eu-ai-act", "nist-ai-rmf", "iso-iec-42001", "cn-tc260-003", "aiverify"} <= ids
    for r in rows:
        assert r["provision_count"] > 0
        assert r["title"]["en"] and r["title"]["zh"]
        assert r["kind"] in {"binding_law", "standard", "soft_law", "declaration", "taxonomy"}


def test_show_with_kind_filter(db_opt):
    inst = run_json(db_opt, "catalog", "show", "nist-ai-rmf", "--kind", "subcategory")
    assert len(inst["provisions"]) == 72
    assert all(p["kind"] == "subcategory" for p in inst["provisions"])


def test_search_both_languages(db_opt):
    zh = run_json(db_opt, "catalog", "search", "鲁棒性", "--limit", "200")
    en = run_json(db_opt, "catalog", "search", "robustness", "--limit", "200")
    assert len({h["instrument_id"] for h in zh}) >= 3
    assert len({h["instrument_id"] for h in en}) >= 3
    only_zh = run_json(db_opt, "catalog", "search", "鲁棒性", "--lang", "zh", "--limit", "200")
    assert only_zh and all("鲁棒性" in (h["title_zh"] + (h["summary_zh"] or "")) for h in only_zh)


def test_crosswalk_json(db_opt):
    out = run_json(db_opt, "catalog", "crosswalk", "eu-ai-act:art-15")
    assert out["provision"]["qid"] == "eu-ai-act:art-15"
    others = {m["instrument_id"] for m in out["mappings"]} - {"eu-ai-act"}
    assert len(others) >= 4
    for m in out["mappings"]:
        assert m["predicate"] in {"exact", "close", "broad", "narrow", "related"}
        assert m["path"] and m["path"][-1]["comment"]
    limited = run_json(db_opt, "catalog", "crosswalk", "eu-ai-act:art-15", "--to", "nist-ai-rmf")
    assert limited["mappings"] and {m["instrument_id"] for m in limited["mappings"]} == {"nist-ai-rmf"}


@pytest.mark.parametrize("args, needle", [
    (["catalog", "show", "no-such-law"], "unknown instrument id 'no-such-law'"),
    (["catalog", "crosswalk", "eu-ai-act:art-999"], "unknown provision id"),
    (["catalog", "crosswalk", "eu-ai-act:art-15", "--to", "nope"], "unknown instrument id 'nope'"),
    (["catalog", "show", "eu-ai-act", "--kind", "bogus"], "unknown provision kind 'bogus'"),
    (["catalog", "search", "x", "--lang", "fr"], "unknown language 'fr'"),
])
def test_bad_input_exits_2(db_opt, args, needle):
    res = runner.invoke(app, [*db_opt, *args])
    assert res.exit_code == 2
    assert needle in res.output
    assert "Traceback" not in res.output
    res_json = runner.invoke(app, [*db_opt, *args, "--json"])
    assert res_json.exit_code == 2
    assert needle in json.loads(res_json.stdout)["error"]["problems"][0]["message"]


def test_validate_bad_directory_names_the_file(tmp_path, db_opt):
    from tianping.catalog.loader import DATA_DIR

    d = tmp_path / "data"
    (d / "instruments").mkdir(parents=True)
    (d / "mappings").mkdir()
    (d / "principles.yaml").write_text((DATA_DIR / "principles.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (d / "instruments" / "bad.yaml").write_text("id: bad\ntitle: {en: x, zh: y\n", encoding="utf-8")
    res = runner.invoke(app, [*db_opt, "catalog", "validate", str(d)])
    assert res.exit_code == 2
    assert "bad.yaml:" in res.output and "syntax" in res.output.lower()


def test_chinese_interface(db_opt):
    res = runner.invoke(app, [*db_opt, "--lang", "zh", "catalog", "list"])
    assert res.exit_code == 0
    assert "治理文件目录" in res.output and "人工智能" in res.output


def test_console_script_has_no_traceback(tmp_path):
    exe = Path(sys.executable).parent / "tianping"
    env = {**os.environ, "TIANPING_HOME": str(tmp_path)}
    proc = subprocess.run([str(exe), "catalog", "show", "nope"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "unknown instrument id" in proc.stderr
