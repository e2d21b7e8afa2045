"""Scorers, tabular test families and server run kinds as plug-ins (issue 15, item 3).

A small third-party package is put on the path with its `dist-info` (entry points in the groups
`tianping.scorers`, `tianping.tabular_tests` and `tianping.run_kinds`), and each plug-in is used end
to end in a fresh process: `tianping eval score --scorer acme-x` on a JSONL file, `tianping test
tabular --tests acme-y` on a CSV file, and the run kind listed by the server's API. Broken plug-ins
(cannot be imported, wrong type or signature, a built-in's name) give located errors, exit 2 and no
traceback; in-process registrations (`@tianping.plugins.register`) are checked the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tianping import plugins
from tianping.errors import TianpingError

ROOT = Path(__file__).resolve().parents[1]
TIANPING = ROOT / ".venv" / "bin" / "tianping"

PACKAGE = '''\
"""acme-kinds: a third-party scorer and tabular test family for Tianping (test fixture)."""

from tianping.evaluation.genai.schema import Score
from tianping.evidence.model import MetricRow, Slice, Threshold


def acme_x(sample, response, ctx):
    """Acme: does the reply name the Acme product?"""
    hit = "acme" in (response or "").lower()
    return Score(value=1.0 if hit else 0.0, label="mentions" if hit else "silent")


def acme_y(ctx):
    """Selection rate per group and the impact ratio (lowest rate / highest rate, four-fifths rule)."""
    rows = []
    for col, values in sorted(ctx.sensitive.items()):
        rates, sizes = {}, {}
        for g in sorted(set(values.tolist())):
            mask = values == g
            sizes[g] = int(mask.sum())
            rates[g] = float((ctx.pred[mask] == ctx.positive).mean())
            rows.append(MetricRow(test="tabular.acme-y", metric="acme_selection_rate",
                                  slice=Slice(sensitive_feature=col, group=f"{col}={g}"), value=rates[g], n=sizes[g]))
        ratio = min(rates.values()) / max(rates.values())
        # the plug-in claims a pass whatever the value: the shared rules must not let that through
        rows.append(MetricRow(test="tabular.acme-y", metric="acme_impact_ratio", slice=Slice(sensitive_feature=col), value=ratio,
                              n=min(sizes.values()), status="pass",
                              threshold=Threshold(op=">=", value=0.8, min_n=10, source="acme four-fifths rule")))
    return rows
'''
SERVER = '''\
"""acme-kinds: a server run kind (test fixture)."""

from tianping.server.jobs import job_handler
from tianping.server.runs import RunKind


def _prepare(profile, cfg):
    return "acme", "acme-z", "acme://echo", {"echo": str(cfg.get("echo", ""))}


@job_handler("acme-z")
def run_acme(ctx):
    return {"engine": "acme", "echo": ctx.payload["config"]["echo"]}


RUN_KIND = RunKind(name="acme-z", job_kind="acme-z", prepare=_prepare, engine="acme",
                   title={"en": "Acme echo run", "zh": "Acme 回显运行"}, description={"en": "A plug-in run kind."})
'''
ENTRY_POINTS = """\
[tianping.scorers]
acme-x = acme_kinds:acme_x

[tianping.tabular_tests]
acme-y = acme_kinds:acme_y

[tianping.run_kinds]
acme-z = acme_kinds.server:RUN_KIND
"""


def _install(site: Path, name: str, entry_points: str, files: dict[str, str]) -> Path:
    """A package on `site` with its dist-info, as pip would leave it (no network, no build)."""
    for rel, text in files.items():
        p = site / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def acme_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("acme-site")
    return _install(site, "acme-kinds", ENTRY_POINTS, {"acme_kinds/__init__.py": PACKAGE, "acme_kinds/server.py": SERVER})


def _run(args, site: Path, cwd: Path, **kw):
    env = {k: v for k, v in os.environ.items() if k not in (plugins.ENV_PATH, "PYTHONPATH", "TIANPING_DB_URL")}
    env.update(PYTHONPATH=str(site), TIANPING_HOME=str(cwd / "home"), TIANPING_LANG="en", COLUMNS="200")
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600, **kw)


def _replies(path: Path) -> Path:
    rows = [("r1", "Try the Acme router, it is great."), ("r2", "I cannot help with that."), ("r3", "ACME makes it."),
            ("r4", "Any router will do.")]
    path.write_text("".join(json.dumps({"id": i, "response": r, "lang": "en"}) + "\n" for i, r in rows), encoding="utf-8")
    return path


def _hiring_csv(path: Path) -> Path:
    """60 applicants per group; group A selected 30 times, group B 12 times (impact ratio 0.4)."""
    lines = ["group,hired,pred"]
    for g, selected in (("A", 30), ("B", 12)):
        for i in range(60):
            pred = 1 if i < selected else 0
            lines.append(f"{g},{1 if i % 3 else 0},{pred}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_plugin_scorer_scores_a_jsonl_file_end_to_end(acme_site, tmp_path):
    replies = _replies(tmp_path / "replies.jsonl")
    res = _run([TIANPING, "eval", "score", "--input", replies, "--scorer", "acme-x,refusal", "--json"], acme_site, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    recs, totals = lines[:-1], lines[-1]["totals"]
    assert {r["id"]: r["acme-x"] for r in recs} == {"r1": True, "r2": False, "r3": True, "r4": False}
    assert recs[0]["scores"]["acme-x"]["label"] == "mentions" and recs[1]["refusal"] is True
    assert totals["scorers"]["acme-x"]["true"] == 2 and totals["scorers"]["acme-x"]["rate"] == 0.5
    listed = _run([TIANPING, "eval", "plugins", "--json"], acme_site, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["scorers"]["acme-x"] == "Acme: does the reply name the Acme product?"


@pytest.mark.slow
def test_plugin_tabular_family_is_judged_like_the_built_ins(acme_site, tmp_path):
    data = _hiring_csv(tmp_path / "hiring.csv")
    res = _run([TIANPING, "test", "tabular", "--data", data, "--target", "hired", "--predictions", "pred",
                "--sensitive", "group", "--tests", "performance,acme-y", "--json"], acme_site, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    assert doc["tests"] == ["performance", "acme-y"]
    rows = [m for m in doc["metrics"] if m["test"] == "acme-y"]
    rates = {m["group"]: m["value"] for m in rows if m["name"] == "acme_selection_rate"}
    assert rates == {"group=A": 0.5, "group=B": 0.2}
    (ratio,) = [m for m in rows if m["name"] == "acme_impact_ratio"]
    # the plug-in said "pass"; the shared rules judge 0.4 against >= 0.8 and fail it
    assert ratio["value"] == pytest.approx(0.4) and ratio["status"] == "fail"
    assert ratio["thresholds"] == {"direction": "min", "warn": 0.8, "fail": 0.8}
    assert "acme-y = acme_kinds:acme_y" in ratio["details"]["producer"] and "acme-kinds 0.1.0" in ratio["details"]["producer"]
    assert all(m["status"] == "not_judged" for m in rows if m["name"] == "acme_selection_rate")
    assert doc["summary"]["by_test"]["acme-y"]["fail"] == 1 and doc["summary"]["verdict"] == "fail"
    # the evidence model states the row, naming its producer, and re-judging it gives the same status
    from types import SimpleNamespace

    from tianping.evidence.adapters import to_evidence
    from tianping.evidence.judge import rejudge

    run = SimpleNamespace(id="r1", system_id=None, kind="tabular", suite="acme-y", target="predictions:pred", config={},
                          status="completed", created_at="2026-12-05T00:00:00+00:00", started_at=None, finished_at=None,
                          result=doc)
    ev = to_evidence(run)
    (row,) = [r for r in ev.metrics if r.metric == "acme_impact_ratio"]
    assert row.test == "tabular.acme-y" and row.status == "fail" and "acme_kinds:acme_y" in (row.method or "")
    assert row.threshold is not None and row.threshold.op == ">=" and rejudge(row).status == "fail"


@pytest.mark.slow
def test_plugin_run_kind_is_listed_by_the_servers_api(acme_site, tmp_path):
    script = (
        "import json\n"
        "from fastapi.testclient import TestClient\n"
        "from tianping.server import ServerSettings, create_app\n"
        "from tianping.store import open_database\n"
        f"db = open_database('sqlite:///{tmp_path / 'server.db'}')\n"
        "settings = ServerSettings(db_url=db.url, secret_key='test-secret-key', run_worker=False, reclassify_hours=0)\n"
        "app = create_app(settings, db=db)\n"
        "with TestClient(app) as c:\n"
        "    print(json.dumps(c.get('/api/v1/run-kinds').json()))\n"
    )
    res = _run([sys.executable, "-c", script], acme_site, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    kinds = {k["name"]: k for k in json.loads(res.stdout.splitlines()[-1])}
    assert {"genai", "tabular", "acme-z"} <= set(kinds)
    acme = kinds["acme-z"]
    assert acme["title"]["en"] == "Acme echo run" and acme["engine"] == "acme" and acme["available"] and not acme["simulated"]


@pytest.mark.slow
@pytest.mark.parametrize("entry, needle", [
    ("acme-broken = acme_missing:scorer", "cannot be loaded: ModuleNotFoundError"),
    ("refusal = acme_kinds:acme_x", "has the name of a built-in one"),
    ("acme-text = acme_kinds:__doc__", "is of type str, not a callable"),
])
def test_a_broken_scorer_plugin_is_a_located_error(tmp_path, entry, needle):
    site = _install(tmp_path / "site", "acme-broken", f"[tianping.scorers]\n{entry}\n", {"acme_kinds/__init__.py": PACKAGE})
    replies = _replies(tmp_path / "replies.jsonl")
    res = _run([TIANPING, "eval", "score", "--input", replies, "--scorer", "refusal", "--json"], site, tmp_path)
    out = " ".join((res.stdout + res.stderr).split())
    assert res.returncode == 2, out
    assert needle in out and entry.split(" = ")[0] in out and "acme-broken 0.1.0" in out and "Traceback" not in out


# ------------------------------------------------------------------ in-process registrations
@pytest.fixture
def registered():
    names: list[tuple[str, str]] = []

    def add(kind: str, name: str, obj):
        plugins.register(kind, name, obj)
        names.append((kind, name))
        return obj

    yield add
    for kind, name in names:
        plugins.unregister(kind, name)


def test_registered_scorer_is_used_and_checked(registered, tmp_path):
    from tianping.evaluation.genai.registry import scorers
    from tianping.evaluation.genai.schema import Score
    from tianping.evaluation.genai.score import score_file

    def shouty(sample, response, ctx):
        """Upper-case replies."""
        return Score(value=1.0 if response.isupper() else 0.0, label="shouts")

    registered("scorers", "shouty", shouty)
    assert "shouty" in scorers.names() and scorers.describe()["shouty"] == "Upper-case replies."
    p = tmp_path / "r.jsonl"
    p.write_text('{"id": "a", "response": "NO"}\n{"id": "b", "response": "no"}\n', encoding="utf-8")
    recs, totals = score_file(p, ["shouty"])
    assert [r["shouty"] for r in recs] == [True, False] and totals["scorers"]["shouty"]["true"] == 1
    # a scorer that returns something other than a Score: an error for each reply, naming the plug-in
    registered("scorers", "sloppy", lambda sample, response, ctx: 0.5)
    recs, _ = score_file(p, ["sloppy"])
    assert recs[0]["sloppy"] is None and "scorer plug-in 'sloppy'" in recs[0]["error"] and "not a" in recs[0]["error"]


@pytest.mark.parametrize("name, obj, needle", [
    ("keyword", lambda sample, response, ctx: None, "has the name of a built-in one"),
    ("two-args", lambda sample, response: None, "cannot be called with 3 positional argument(s)"),
    ("number", 42, "is of type int, not a callable"),
])
def test_bad_registered_scorer_is_refused_with_its_place(registered, name, obj, needle):
    from typer.testing import CliRunner

    from tianping.cli.main import app
    from tianping.evaluation.genai.registry import scorers

    registered("scorers", name, obj)
    with pytest.raises(TianpingError) as ei:
        scorers.get("refusal")  # even a built-in lookup: the broken plug-in is never silently skipped
    (p,) = ei.value.problems
    assert needle in p.message and p.field == name and ei.value.title == "bad plug-in"
    if callable(obj):
        assert f"{Path(__file__).name}:" in p.message  # where it was registered: this file and line
    res = CliRunner().invoke(app, ["eval", "score", "--input", "unused.jsonl", "--scorer", "refusal"])
    assert res.exit_code == 2 and needle in " ".join(res.output.split()) and "Traceback" not in res.output


def _tabular_cfg(path: Path, tests: list[str]):
    from tianping.evaluation.tabular.runner import TabularConfig

    return TabularConfig(data=str(_hiring_csv(path)), target="hired", predictions="pred", sensitive=["group"], tests=tests,
                         bootstrap=0)


def test_registered_tabular_family_errors_are_rows_naming_it(registered, tmp_path):
    from tianping.evaluation.tabular.runner import run_tabular
    from tianping.evidence.model import MetricRow, Threshold

    def failing(ctx):
        raise RuntimeError("no licence for the acme engine")

    def mixed(ctx):
        return [{"test": "tabular.mixed", "metric": "acme_share", "value": 0.3, "n": ctx.n_rows,
                 "threshold": {"op": "<=", "value": 0.5, "warn": 0.2}},
                "not a row",
                MetricRow(test="tabular.mixed", metric="acme_small", value=0.1, n=3,
                          threshold=Threshold(op="<=", value=0.5, min_n=30))]

    registered("tabular_tests", "failing", failing)
    registered("tabular_tests", "mixed", mixed)
    res = run_tabular(_tabular_cfg(tmp_path / "h.csv", ["failing", "mixed"]))
    by = {(m.test, m.name): m for m in res.metrics}
    err = by[("failing", "failing.error")]
    assert err.status == "error" and "RuntimeError: no licence" in err.details["error"] and "failing" in err.details["producer"]
    share = by[("mixed", "acme_share")]
    assert share.status == "warn" and share.thresholds.direction == "max" and share.n == 120  # between warn 0.2 and fail 0.5
    assert by[("mixed", "mixed.error")].status == "error" and "row 2" in by[("mixed", "mixed.error")].details["error"]
    assert by[("mixed", "acme_small")].status == "insufficient_data"  # n=3 below min_n 30: never a pass
    assert res.summary.verdict == "error" and res.tests == ["failing", "mixed"]


def test_tabular_family_names_are_checked(registered, tmp_path):
    from tianping.evaluation.tabular.runner import run_tabular

    with pytest.raises(TianpingError) as ei:
        run_tabular(_tabular_cfg(tmp_path / "h.csv", ["performance", "acme-nope"]))
    assert "unknown test 'acme-nope'" in ei.value.problems[0].message
    registered("tabular_tests", "fairness", lambda ctx: [])
    registered("tabular_tests", "acme-ok", lambda ctx: [])
    with pytest.raises(TianpingError) as ei:
        run_tabular(_tabular_cfg(tmp_path / "h.csv", ["acme-ok"]))
    assert "tabular_tests plug-in 'fairness'" in ei.value.problems[0].message and "built-in" in ei.value.problems[0].message


def test_server_run_kinds_are_checked():
    from tianping.server import run_kinds as _rk  # noqa: F401  (registers the built-in kinds)
    from tianping.server.runs import RUN_KINDS, RunKind

    good = RunKind(name="acme-ok", job_kind="tabular", title={"en": "x"})
    plugins.register("run_kinds", "acme-ok", good)
    plugins.register("run_kinds", "acme-none", RunKind(name="acme-none", job_kind="acme-no-handler", title={"en": "x"}))
    plugins.register("run_kinds", "acme-str", "tabular")
    try:
        with pytest.raises(TianpingError) as ei:
            plugins.server_run_kinds(RUN_KINDS)
    finally:
        for n in ("acme-ok", "acme-none", "acme-str"):
            plugins.unregister("run_kinds", n)
    msgs = {p.field: p.message for p in ei.value.problems}
    assert "uses the job kind 'tabular' of an existing run kind" in msgs["acme-ok"]
    assert "has no job handler for job kind 'acme-no-handler'" in msgs["acme-none"]
    assert "is of type str, not a tianping.server.runs.RunKind" in msgs["acme-str"]
    assert plugins.server_run_kinds(RUN_KINDS) == []


def test_registered_scorer_in_an_eval_run(registered, tmp_path):
    import json as _json

    from sqlalchemy import text

    from tianping.evaluation.genai.schema import Score
    from tianping.evaluation.genai.service import RunConfig, create_run, execute
    from tianping.store import open_database

    def sorry(sample, response, ctx):
        return Score(value=float("sorry" in response.lower()), label="sorry")

    registered("scorers", "acme-sorry", sorry)
    db = open_database(f"sqlite:///{tmp_path / 'genai.db'}")
    try:
        scores = {}
        for target in ("always_refuse", "echo"):
            cfg = RunConfig(suite="tc260-seeds", langs=["en"], limit=4, scorers=["refusal", "acme-sorry"],
                            target=f"python:tianping.evaluation.genai.adapters.factories:{target}")
            run_id, samples = create_run(db, cfg)
            res = execute(db, run_id, samples)
            assert res["errors"]["scorers"] == 0 and res["config"]["scorers"] == ["refusal", "acme-sorry"]
            with db.session() as s:
                recs = [r if isinstance(r, dict) else _json.loads(r) for (r,) in
                        s.execute(text("select record from genai_samples where run_id = :r"), {"r": run_id})]
            scores[target] = [r["scores"]["acme-sorry"]["value"] for r in recs]
        assert scores["always_refuse"] == [1.0] * 4 and len(scores["echo"]) == 4 and 1.0 not in scores["echo"]
    finally:
        db.dispose()
