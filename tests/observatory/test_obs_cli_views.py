"""`tianping divide …`: every command with --json, charts, errors with exit code 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tianping.cli.main import app

from obs_paths import WDI_FILES  # noqa: E402  (tests/observatory is on sys.path via rootdir conftest)


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    if not all(p.exists() for p in WDI_FILES[:3]):
        pytest.skip("shared WDI data not available")
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    r = CliRunner().invoke(app, ["--db", url, "divide", "import-wdi", *map(str, WDI_FILES[:3]), "--json"])
    assert r.exit_code == 0, r.output
    reports = json.loads(r.stdout)
    assert [x["indicators"] for x in reports] == [["IT.NET.USER.ZS"], ["IT.NET.BBND.P2"], ["SE.ADT.LITR.ZS"]]
    assert all(x["skipped_aggregates"] > 0 for x in reports)  # regions and income groups are counted, not hidden
    return url


def _json(url, *args, lang="en"):
    r = CliRunner().invoke(app, ["--lang", lang, "--db", url, "divide", *args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_indicators_countries_groups_policy(cli_db):
    inds = {i["id"]: i for i in _json(cli_db, "indicators")}
    assert inds["IT.NET.USER.ZS"]["licence"] == "CC-BY-4.0" and inds["IT.NET.USER.ZS"]["name"]["zh"]
    asean = _json(cli_db, "countries", "--group", "asean", "--as-of", "2025-10-26")
    assert len(asean["countries"]) == 11
    tls = next(c for c in asean["countries"] if c["iso3"] == "TLS")
    assert tls["since"] == "2025-10-26" and tls["verified"] is True
    assert {g["id"] for g in _json(cli_db, "groups")} >= {"asean", "g20", "brics", "au", "eu", "un", "un-south-eastern-asia", "wb-income-low"}
    pol = _json(cli_db, "policy", "CN")
    assert pol["covered"] and any(p.get("instrument") == "cn-genai-interim-measures" for p in pol["policies"])
    de = _json(cli_db, "policy", "DEU")
    assert any(p.get("instrument") == "eu-ai-act" for p in de["policies"])  # EU law listed for a member


def test_rank_profile_compare_trend_capacity(cli_db, tmp_path):
    rk = _json(cli_db, "rank", "--year", "2021", "--draws", "50", "--seed", "3", "--chart", str(tmp_path / "r.png"))
    assert rk["year"] == 2021 and rk["ranked"] and rk["unranked"] and rk["sensitivity"] == {"draws": 50, "spread": 0.25, "seed": 3}
    assert (tmp_path / "r.png").stat().st_size > 1000
    again = _json(cli_db, "rank", "--year", "2021", "--draws", "50", "--seed", "3")
    assert [e["sensitivity"] for e in again["ranked"]] == [e["sensitivity"] for e in rk["ranked"]]
    pr = _json(cli_db, "profile", "Viet Nam", "--year", "2021", "--chart", str(tmp_path / "p.svg"), lang="zh")
    assert pr["country"] == "VNM" and any(i["status"] == "missing" for i in pr["indicators"])
    assert (tmp_path / "p.svg").read_text(encoding="utf-8").startswith("<?xml")
    cmp_ = _json(cli_db, "compare", "--group", "asean", "--year", "2021", "--chart", str(tmp_path / "a.png"))
    assert len(cmp_["members"]) == 11 and all(m["coverage"] for m in cmp_["members"])
    tr = _json(cli_db, "trend", "SGP,KHM", "--chart", str(tmp_path / "t.png"))
    assert [c["country"] for c in tr["countries"]] == ["SGP", "KHM"]
    cap = _json(cli_db, "capacity", "KHM,LAO", "--year", "2021")
    assert all(c["furthest_behind"][0]["addressed_by"] for c in cap["countries"])
    gr = _json(cli_db, "rank", "-m", "government-readiness", "--draws", "0", "--group", "asean")
    assert gr["methodology"] == "government-readiness" and gr["sensitivity"] is None


def test_human_output_in_both_languages(cli_db):
    for lang, word in (("en", "Rank stability"), ("zh", "排名稳定性")):
        r = CliRunner().invoke(app, ["--lang", lang, "--db", cli_db, "divide", "rank", "--year", "2021", "--draws", "20"])
        assert r.exit_code == 0 and word in r.stdout
    r = CliRunner().invoke(app, ["--lang", "zh", "--db", cli_db, "divide", "capacity", "KHM", "--year", "2021"])
    assert r.exit_code == 0 and "对应行动" in r.stdout


def test_user_errors_exit_2(cli_db, tmp_path):
    for args in (["profile", "Atlantis"], ["rank", "--year", "1800"], ["compare", "--group", "nope"],
                 ["rank", "-m", "no-such-methodology"], ["rank", "--chart", str(tmp_path / "x.gif")],
                 ["import-wdi", str(tmp_path / "missing.csv")]):
        r = CliRunner().invoke(app, ["--db", cli_db, "divide", *args, "--json"])
        assert r.exit_code == 2, (args, r.output)
        assert "error" in json.loads(r.stdout)


def test_empty_database_says_what_to_do(sqlite_url):
    r = CliRunner().invoke(app, ["--db", sqlite_url, "divide", "rank", "--json"])
    assert r.exit_code == 2 and "import-wdi" in r.stdout


def test_generic_csv_import_long_and_wide(tmp_path, sqlite_url):
    long = tmp_path / "long.csv"
    long.write_text("country,year,indicator,value,source\nSG,2020,RQ.EST,2.1,WGI test\nViet Nam,2020,RQ.EST,-0.5,\nAtlantis,2020,RQ.EST,1,\n"
                    "KHM,2020,RQ.EST,NA,\n", encoding="utf-8")
    r = _json(sqlite_url, "import-csv", str(long), "--source", "test", "--licence", "CC-BY-4.0")
    assert r["values_stored"] == 2 and r["missing_values"] == 1 and r["skipped_unknown_countries"] == {"Atlantis": 1}
    wide = tmp_path / "wide.csv"
    wide.write_text("iso,yr,GE.EST,VA.EST\nSGP,2020,2.2,0.1\nTHA,2020,0.3,\n", encoding="utf-8")
    r = _json(sqlite_url, "import-csv", str(wide), "--source", "t", "--licence", "CC0-1.0", "--country-col", "iso", "--year-col", "yr",
              "--value-cols", "GE.EST,VA.EST")
    assert r["values_stored"] == 3 and r["indicators"] == ["GE.EST", "VA.EST"]
    inds = {i["id"]: i for i in _json(sqlite_url, "indicators")}
    assert inds["GE.EST"]["licence"] == "CC0-1.0"
