"""`tianping eval run | resume | show | compare | list | plugins`: generative-AI tests (thin layer)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from .common import (
    STATE,
    console,
    emit_json,
    err_console,
    guarded,
    interrupt_exit_code,
    interruptible,
    on_interrupt,
    real_console,
    split_csv,
    tr,
    tr_default,
    txt,
)

app = typer.Typer(help="Generative-AI tests: TC260-003 banks, refusal and over-refusal, jailbreak attacks.", no_args_is_help=True)
from .review import app as _review_app  # noqa: E402  (human review queue: `eval review …`)

app.add_typer(_review_app, name="review")
JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")


def _fmt(rate: dict | None) -> tuple[str, str, str]:
    if not rate or rate.get("rate") is None:
        return "-", "-", "0"
    lo, hi = rate["ci95"]
    return f"{rate['rate'] * 100:.1f}%", f"{lo * 100:.1f}–{hi * 100:.1f}%", str(rate["n"])


def _bank(name: str) -> str:
    key = f"genai_bank_{name}"
    try:
        return tr(key)
    except KeyError:
        return name


def _print_result(res: dict[str, Any]) -> None:
    m = res["metrics"]
    t = Table(title=tr("genai_result_title", id=res["run_id"][:8], target=res["target"], suite=res["suite"]))
    for col in (tr("genai_metric"), tr("genai_rate"), tr("genai_ci"), tr("genai_n")):
        t.add_column(col)
    t.add_row(tr("genai_bank_overall"), *_fmt(m["overall"]["pass_rate"]))
    for bank, bm in m["banks"].items():
        t.add_row(tr("genai_pass_rate", bank=_bank(bank)), *_fmt(bm["pass_rate"]))
        t.add_row(tr("genai_refusal_rate", bank=_bank(bank)), *_fmt(bm["refusal_rate"]))
    console.print(t)
    if m["attacks"]:
        ta = Table(title=tr("genai_attacks_title"))
        for col in ("attack", tr("genai_asr"), tr("genai_ci"), tr("genai_n"), tr("genai_baseline")):
            ta.add_column(col)
        for name, am in m["attacks"].items():
            r, ci, n = _fmt(am["attack_success_rate"])
            ta.add_row(name, r, ci, n, _fmt(am["baseline_failure_rate"])[0])
        console.print(ta)
    tg = Table(title=tr("genai_gates_title"))
    for col in (
        tr("genai_gate"),
        tr("genai_threshold"),
        tr("genai_value"),
        tr("genai_n"),
        tr("status"),
        tr("genai_gate_method"),
        tr("cites"),
    ):
        tg.add_column(col)
    for g in res["gates"]:
        pct = g["threshold"] <= 1
        value = "-" if g["value"] is None else (f"{g['value'] * 100:.1f}%" if pct else str(g["value"]))
        status = tr(f"genai_status_{g['status']}")
        style = {"pass": "green", "fail": "bold red"}.get(g["status"], "yellow")
        thr = f"{g['op']} {g['threshold'] * 100:.0f}%" if pct else f"{g['op']} {g['threshold']}"
        tg.add_row(txt(g["title"]), thr, value, str(g["n"]), f"[{style}]{status}[/]", g.get("method") or "", g["cites"] or "")
    console.print(tg)
    for g in res["gates"]:
        if g.get("reason") and g["status"] not in ("pass", "fail"):
            console.print(tr("genai_gate_reason", id=g["id"], reason=g["reason"]), highlight=False, markup=False)
    if res["errors"]["samples"]:
        err_console.print(
            tr(
                "genai_errors",
                n=res["errors"]["samples"],
                total=m["samples"]["total"],
                first=(res["errors"]["examples"] or ["?"])[0],
            ),
            highlight=False,
            markup=False,
        )
    if res.get("jsonl"):
        console.print(tr("genai_jsonl", path=res["jsonl"]), highlight=False)


BACKEND_OPT = typer.Option(
    None,
    "--backend",
    help="Execution backend: local (default, this process) or ray (samples sharded "
    "across Ray actors; default from TIANPING_BACKEND).",
)
RAY_ADDRESS_OPT = typer.Option(
    None,
    "--ray-address",
    help="Ray cluster to join (default TIANPING_RAY_ADDRESS; none: a private "
    "127.0.0.1 Ray with dashboard and usage reporting off).",
)
RAY_ACTORS_OPT = typer.Option(None, "--ray-actors", help="Ray backend: actors (target replicas) for the run (default 2).")


def _backend(db, run_id: str, backend: str | None, ray_address: str | None, ray_actors: int | None):
    from ..execution.backends import BackendChoice

    choice = BackendChoice.from_options(backend, ray_address, ray_actors)
    if choice.name == "local":
        return None
    from ..evaluation.genai.service import RunConfig, load_result

    row, _ = load_result(db, run_id)
    return choice.make(RunConfig.model_validate(row.config), run_id)


def _execute(db, run_id: str, samples, as_json: bool, backend=None) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from ..errors import TianpingError
    from ..evaluation.genai.lease import DEFAULT_TTL_S, RunBusy
    from ..evaluation.genai.service import execute, load_result

    row, _ = load_result(db, run_id)
    prog = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=real_console(err_console),
        disable=as_json,
        transient=False,
    )
    task: dict[str, Any] = {}

    def on_start(done: int, total: int) -> None:
        if not as_json:
            err_console.print(
                tr("genai_run_started", id=run_id, n=total, done=done, target=row.target, suite=row.suite), highlight=False
            )
        task["id"] = prog.add_task(tr("genai_progress"), total=total, completed=done)

    try:
        with interruptible(), prog:  # SIGTERM as Ctrl-C: the run is marked interrupted, resumable
            return execute(
                db, run_id, samples, on_start=on_start, progress=lambda k, _t: prog.advance(task["id"], k), backend=backend
            )
    except RunBusy as exc:
        raise TianpingError(
            tr("genai_run_busy", id=run_id, pid=exc.pid, host=exc.host, ttl=DEFAULT_TTL_S), title=tr("genai_run_busy_title")
        ) from None
    except KeyboardInterrupt:
        from ..evaluation.genai.service import mark_interrupted

        mark_interrupted(db, run_id)
        err_console.print(tr("genai_interrupted", id=run_id), highlight=False, soft_wrap=True)  # one line: copy-paste
        raise typer.Exit(code=interrupt_exit_code()) from None


def _interrupted_early(kw: dict[str, Any]) -> str:
    if kw.get("run_id"):  # `eval resume` stopped before its samples ran: the run is as it was
        return tr("genai_interrupted", id=kw["run_id"])
    return tr_default("genai_interrupted_early", "Interrupted before the run started; nothing to resume. Run the command again.")


@app.command("run")
@guarded
@on_interrupt(_interrupted_early)  # before the run exists; once it does, _execute says how to resume it
def run(
    target: str = typer.Option(
        ..., "--target", help="openai:MODEL (endpoint from TIANPING_OPENAI_BASE_URL), local[:PATH] or python:module:function."
    ),
    suite: str = typer.Option(
        "tc260",
        "--suite",
        help=(
            "tc260, tc260-refusal, tc260-content, tc260-seeds, bank, xstest, multijail, flames, simplesafety, donotanswer, jade."
        ),
    ),
    lang: str | None = typer.Option(
        None,
        "--lang",
        help=(
            "Comma-separated languages: zh,en,ms,id,th,vi,fil (default zh,en; a --dataset is run in all its languages "
            "unless given)."
        ),
    ),
    attacks: str | None = typer.Option(None, "--attacks", help="Comma-separated attacks (see `tianping eval plugins`)."),
    judge: str | None = typer.Option(
        None,
        "--judge",
        help=(
            "Harm judge(s), comma-separated: llama-guard-3, llama-guard-4, qwen3guard, shieldgemma, wildguard, "
            "granite-guardian, rubric (optionally KIND:MODEL), or a target spec for the rubric judge."
        ),
    ),
    judge_endpoint: str | None = typer.Option(
        None,
        "--judge-endpoint",
        help="OpenAI-compatible URL serving the judge(s) (one, or one per judge; default TIANPING_OPENAI_BASE_URL).",
    ),
    judge_vote: str = typer.Option(
        "majority", "--judge-vote", help="Several judges: majority or unanimous; disagreement abstains (rules decide)."
    ),
    judge_min_voters: int | None = typer.Option(
        None, "--judge-min-voters", help="Several judges: valid votes needed (default: a majority of the judges)."
    ),
    judge_calibration: str | None = typer.Option(
        None, "--judge-calibration", help="The judge's calibration record (default: the one `eval judge-calibrate` wrote)."
    ),
    dataset: str | None = typer.Option(
        None, "--dataset", help="Your own prompts (CSV, JSONL, JSON or Parquet), run as given (suite 'dataset')."
    ),
    preset: str | None = typer.Option(
        None,
        "--preset",
        help=(
            "Column layout of a known set: harmbench, advbench, strongreject, sorry-bench, xstest, donotanswer, multijail, "
            "jade, ailuminate."
        ),
    ),
    mapping: list[str] | None = typer.Option(
        None,
        "--map",
        help=(
            "FIELD=COLUMN[,…] for --dataset: id, prompt, context, category, risk, lang, expect, bank, turns, reference "
            "(lang/expect/bank may be constants)."
        ),
    ),
    expand: bool = typer.Option(
        False, "--expand", help="Suite 'bank': expand your seeds with templates to the standard's sizes (recorded in the run)."
    ),
    scorers: str | None = typer.Option(None, "--scorers", help="Comma-separated scorers (default: refusal,keyword,reference)."),
    limit: int | None = typer.Option(None, "--limit", help="Run a stratified subset of N samples (before attacks)."),
    seed: int = typer.Option(0, "--seed", help="Seed for bank expansion, attacks and sampling."),
    concurrency: int = typer.Option(8, "--concurrency", help="Requests in flight."),
    batch_size: int = typer.Option(8, "--batch-size", help="Local models: prompts per padded batch."),
    max_tokens: int = typer.Option(128, "--max-tokens"),
    temperature: float = typer.Option(0.0, "--temperature"),
    system: str | None = typer.Option(None, "--system", help="System prompt."),
    timeout: float = typer.Option(60.0, "--timeout", help="HTTP timeout per request (s)."),
    max_retries: int = typer.Option(3, "--max-retries", help="Retries per request (capped at 10)."),
    rate_limit: float | None = typer.Option(None, "--rate-limit", help="Max requests per second."),
    data: str | None = typer.Option(None, "--data", help="Public data set file or directory (public suites)."),
    bank: str | None = typer.Option(None, "--bank", help="Your own seed file (suite 'bank')."),
    keywords: str | None = typer.Option(None, "--keywords", help="Keyword library file (YAML or TSV)."),
    regex: list[str] | None = typer.Option(None, "--regex", help="Regex for the regex scorer (repeatable)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the response cache."),
    out: str | None = typer.Option(None, "--out", help="Per-sample JSONL path (default: data dir/runs/RUN.jsonl)."),
    system_id: str | None = typer.Option(None, "--system-id", help="Registered AI system this run tests."),
    fail_on: str = typer.Option(
        "gate",
        "--fail-on",
        help="Exit 1 when: 'gate' (default) = a TC260-003 gate failed or every "
        "sample errored; 'fail' = also warn/insufficient-data gates or any errored sample; 'never'.",
    ),
    as_json: bool = JSON_OPT,
    backend: str | None = BACKEND_OPT,
    ray_address: str | None = RAY_ADDRESS_OPT,
    ray_actors: int | None = RAY_ACTORS_OPT,
) -> None:
    """Run a suite against a target; every sample is stored as it completes."""
    from ..assessment.exit_policy import exit_policy

    policy = exit_policy(fail_on)
    if out:
        from ..outputs import check_file

        check_file(out, "--out")  # before building the run: the JSONL is appended to as samples complete
    from ..evaluation.genai.schema import GenParams
    from ..extras import require

    require("genai", "orjson", "pyarrow", "httpx", "torch", "transformers")
    from ..evaluation.genai.service import RunConfig, create_run

    sc = split_csv(scorers)
    from ..evaluation.genai.loaders import parse_mapping as _parse_map

    if dataset and suite == "tc260":
        suite = "dataset"
    cfg = RunConfig(
        target=target,
        suite=suite,
        langs=split_csv(lang) or ["zh", "en"],
        attacks=split_csv(attacks) or [],
        judge=judge,
        judge_endpoint=judge_endpoint,
        judge_vote=judge_vote,
        judge_min_voters=judge_min_voters,
        judge_calibration=judge_calibration,
        dataset=dataset,
        preset=preset,
        mapping=_parse_map(mapping),
        expand=expand,
        filter_langs=bool(lang),
        seed=seed,
        limit=limit,
        concurrency=concurrency,
        batch_size=batch_size,
        timeout=timeout,
        max_retries=max_retries,
        rate_limit=rate_limit,
        data=data,
        bank=bank,
        keywords=keywords,
        regex=regex or [],
        use_cache=not no_cache,
        jsonl=out,
        system_id=system_id,
        params=GenParams(temperature=temperature, max_tokens=max_tokens, seed=seed, system=system),
    )
    if sc:  # otherwise RunConfig's default scorers
        cfg.scorers = sc
    db = STATE.db()
    run_id, samples = create_run(db, cfg)
    res = _execute(db, run_id, samples, as_json, _backend(db, run_id, backend, ray_address, ray_actors))
    emit_json(res) if as_json else _print_result(res)
    _exit_for(res, policy, as_json)


def _exit_for(res: dict[str, Any], policy: str, as_json: bool) -> None:
    from ..assessment.exit_policy import eval_exit_code

    code = eval_exit_code(res, policy)
    if code:
        if not as_json:
            err_console.print(tr("eval_fail_on", policy=policy), highlight=False)
        raise typer.Exit(code)


@app.command("resume")
@guarded
@on_interrupt(_interrupted_early)
def resume(
    run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
    fail_on: str = typer.Option("gate", "--fail-on", help="As for `eval run`."),
    as_json: bool = JSON_OPT,
    backend: str | None = BACKEND_OPT,
    ray_address: str | None = RAY_ADDRESS_OPT,
    ray_actors: int | None = RAY_ACTORS_OPT,
) -> None:
    """Finish an interrupted run: only the samples not yet stored are run."""
    from ..assessment.exit_policy import exit_policy
    from ..extras import require

    require("genai", "orjson", "pyarrow", "httpx", "torch", "transformers")
    from ..evaluation.genai.service import resolve_run_id

    policy = exit_policy(fail_on)
    db = STATE.db()
    rid = resolve_run_id(db, run_id)
    res = _execute(db, rid, None, as_json, _backend(db, rid, backend, ray_address, ray_actors))
    emit_json(res) if as_json else _print_result(res)
    _exit_for(res, policy, as_json)


@app.command("show")
@guarded
def show(run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."), as_json: bool = JSON_OPT) -> None:
    """Metrics, attack success and the TC260-003 gates of a run."""
    from ..errors import TianpingError
    from ..evaluation.genai.service import load_result, resolve_run_id

    db = STATE.db()
    rid = resolve_run_id(db, run_id)
    row, res = load_result(db, rid)
    if res is None:
        raise TianpingError(tr("genai_not_finished", id=rid, status=row.status), title="run not finished")
    emit_json(res) if as_json else _print_result(res)


@app.command("compare")
@guarded
def compare(run_a: str = typer.Argument(...), run_b: str = typer.Argument(...), as_json: bool = JSON_OPT) -> None:
    """Differences between two runs' rates, flagged where the 95% intervals do not overlap."""
    from ..errors import TianpingError
    from ..evaluation.genai.service import compare as cmp
    from ..evaluation.genai.service import load_result, resolve_run_id

    db = STATE.db()
    results = []
    for ref in (run_a, run_b):
        rid = resolve_run_id(db, ref)
        row, res = load_result(db, rid)
        if res is None:
            raise TianpingError(tr("genai_not_finished", id=rid, status=row.status), title="run not finished")
        results.append(res)
    diff = cmp(*results)
    if as_json:
        emit_json(diff)
        return
    t = Table(title=tr("genai_compare_title", a=diff["a"][:8], b=diff["b"][:8]))
    for col in (tr("genai_metric"), "A", "B", tr("genai_delta"), tr("genai_sig")):
        t.add_column(col)
    pct = lambda v: "-" if v is None else f"{v * 100:.1f}%"  # noqa: E731
    for r in diff["metrics"]:
        if "." in r["metric"] and r["metric"].count(".") > 2 and not r["significant"]:
            continue  # per-risk rows only when they differ clearly
        delta = "-" if r["delta"] is None else f"{r['delta'] * 100:+.1f}"
        t.add_row(r["metric"], pct(r["a"]), pct(r["b"]), delta, "✓" if r["significant"] else "")
    console.print(t)
    for g in diff["gates"]:
        console.print(f"{g['id']}: {tr('genai_status_' + g['a'])} → {tr('genai_status_' + g['b'])}", highlight=False)


@app.command("judge-calibrate")
@guarded
def judge_calibrate(
    judge: str = typer.Option(
        ..., "--judge", help="Judge spec(s) as for `eval run --judge`, or 'rules' (the rule-based decision)."
    ),
    labelled: str = typer.Option(
        ...,
        "--labelled",
        help="Labelled replies: CSV/JSONL/Parquet with prompt, response, label (safe/unsafe), or JailbreakBench artifacts.",
    ),
    judge_endpoint: str | None = typer.Option(None, "--judge-endpoint", help="OpenAI-compatible URL serving the judge(s)."),
    judge_vote: str = typer.Option("majority", "--judge-vote"),
    judge_min_voters: int | None = typer.Option(None, "--judge-min-voters"),
    mapping: list[str] | None = typer.Option(None, "--map", help="FIELD=COLUMN for prompt, response, label, lang."),
    limit: int | None = typer.Option(None, "--limit", help="Use N rows, alternating the two labels (recorded)."),
    concurrency: int = typer.Option(8, "--concurrency"),
    timeout: float = typer.Option(60.0, "--timeout"),
    out: str | None = typer.Option(
        None, "--out", help="Calibration record path (default: data dir/judge_calibrations/<judge>.json)."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Measure a judge against labelled replies (Cohen's kappa, confusion matrix) and record it."""
    from ..errors import TianpingError
    from ..evaluation.genai.judges import RulesJudge, build_panel, panel_identity
    from ..extras import require

    require("genai", "orjson", "pyarrow", "sklearn")
    from ..evaluation.genai.judges.calibration import calibrate, write_record
    from ..evaluation.genai.loaders import LABELLED_FIELDS, load_labelled, parse_mapping

    if out:
        from ..outputs import check_file

        check_file(out, "--out")  # before calibrating
    m = parse_mapping(mapping, LABELLED_FIELDS)
    rows, desc = load_labelled(labelled, m, limit=limit)
    desc["limit"] = limit
    if judge.strip() == "rules":
        rj = RulesJudge()
        rec = calibrate(rj.verdict, rj.identity(), rows, source=desc)
    else:
        panel = build_panel(judge, endpoint=judge_endpoint, vote=judge_vote, min_voters=judge_min_voters, timeout=timeout)
        identity = panel_identity(judge, judge_vote, judge_min_voters)
        if panel is None or identity is None:  # an empty spec (or only commas) names no judge
            raise TianpingError("--judge names no judge (give judge spec(s), or 'rules')", title="bad option")
        rec = calibrate(
            panel,
            identity,
            rows,
            source=desc,
            concurrency=concurrency,
            close=panel.aclose,
        )
    path = write_record(rec, out)
    rec["path"] = str(path)
    if as_json:
        emit_json(rec)
        return
    cm = rec["confusion"]
    t = Table(title=f"{rec['judge']} — {desc['name']} ({rec['scored']}/{rec['rows']} rows read)")
    for col in ("", "judged safe", "judged unsafe"):
        t.add_column(col)
    t.add_row("labelled safe", str(cm[0][0]), str(cm[0][1]))
    t.add_row("labelled unsafe", str(cm[1][0]), str(cm[1][1]))
    console.print(t)
    console.print(
        f"kappa {rec['kappa']}  accuracy {rec['accuracy']}  balanced accuracy {rec['balanced_accuracy']}  errors {rec['errors']}",
        highlight=False,
    )
    key = "genai_calibrated" if rec["passed"] else "genai_not_calibrated"
    from ..evaluation.genai.judges.calibration import passes

    console.print(
        tr(key, judge=rec["judge"], kappa=rec["kappa"], reason=passes(rec)[1], path=path), highlight=False, markup=False
    )


@app.command("export")
@guarded
def export(
    run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
    fmt: str = typer.Option("inspect", "--format", help="inspect: an Inspect AI eval log that `inspect view` opens."),
    out: str = typer.Option(..., "--out", help="Output file: .json (one document) or .eval (Inspect's zip archive)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Write a generative run in another tool's format (Inspect eval log), samples and scores included."""
    from ..importers.inspect_export import export_run

    info = export_run(STATE.db(), run_id, out, fmt=fmt)
    if as_json:
        emit_json(info)
        return
    console.print(
        f"Run {info['run_id']} → {info['out']} ({info['format']}: task {info['task']}, model {info['model']}, "
        f"{info['samples']} samples, scores {', '.join(info['scores'])})",
        highlight=False,
        markup=False,
    )


@app.command("list")
@guarded
def list_runs(as_json: bool = JSON_OPT) -> None:
    """Generative-AI runs, newest first."""
    from sqlalchemy import select

    from ..store.models import RunRow

    with STATE.db().session() as s:
        rows = list(
            s.execute(
                select(RunRow.id, RunRow.target, RunRow.suite, RunRow.status, RunRow.created_at, RunRow.summary)
                .where(RunRow.kind == "genai")
                .order_by(RunRow.created_at.desc())
            )
        )
    data = [
        {"id": r.id, "target": r.target, "suite": r.suite, "status": r.status, "created_at": r.created_at, "summary": r.summary}
        for r in rows
    ]
    if as_json:
        emit_json(data)
        return
    t = Table(title=tr("genai_runs_title"))
    for col in (tr("id"), "target", "suite", tr("status"), "created"):
        t.add_column(col)
    for d in data:
        t.add_row(d["id"], d["target"], d["suite"], d["status"], d["created_at"])
    console.print(t)


@app.command("plugins")
@guarded
def plugins(as_json: bool = JSON_OPT) -> None:
    """Registered suites, attacks, scorers and target kinds."""
    from ..evaluation.genai import registry as reg
    from ..evaluation.genai.judges import judges as _judges

    data = {
        k: r.describe()
        for k, r in (
            ("suites", reg.suites),
            ("attacks", reg.attacks),
            ("scorers", reg.scorers),
            ("targets", reg.targets),
            ("judges", _judges),
        )
    }
    if as_json:
        emit_json(data)
        return
    for kind, items in data.items():
        t = Table(title=tr("genai_plugins_title", kind=kind))
        t.add_column(tr("id"))
        t.add_column("")
        for name, doc in items.items():
            t.add_row(name, doc)
        console.print(t)


@app.command("score")
@guarded
def score(
    input_path: str = typer.Option(
        ..., "--input", help="Replies to score: JSONL, CSV/TSV or Parquet with id, response (and prompt, lang)."
    ),
    scorer_names: str = typer.Option(
        "refusal", "--scorer", help="Comma-separated scorers (see `tianping eval plugins`): refusal, refusal_stat, keyword, …"
    ),
    mapping: list[str] | None = typer.Option(
        None, "--map", help="Column mapping FIELD=COLUMN[,…] for id, prompt, response, lang (repeatable)."
    ),
    preset: str | None = typer.Option(None, "--preset", help="Columns of a labelled-replies set (xstest_completions)."),
    fmt: str | None = typer.Option(None, "--format", help="jsonl, csv, tsv or parquet (default: from the file name)."),
    out: str | None = typer.Option(None, "--out", help="Write one JSON record per row to this file (atomically)."),
    judge: str | None = typer.Option(None, "--judge", help="Judge for the `judge` scorer (as in `eval run --judge`)."),
    judge_endpoint: str | None = typer.Option(None, "--judge-endpoint", help="OpenAI-compatible URL(s) serving guard judges."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON record per row, then a totals line (JSON Lines)."),
) -> None:
    """Score replies you already have (production logs, another tool's outputs): one record per row plus totals."""
    import json as _json
    import sys as _sys

    from ..extras import require

    require("genai", "orjson", "pyarrow")
    from ..evaluation.genai.score import parse_mapping, score_file

    names = split_csv(scorer_names) or ["refusal"]
    ctx = None
    if judge:
        from ..evaluation.genai.judges import build_panel
        from ..evaluation.genai.scorers.base import ScoreContext

        ctx = ScoreContext(judge=build_panel(judge, endpoint=judge_endpoint))
        names = names if "judge" in names else names + ["judge"]
    cols = parse_mapping(mapping)
    if preset:
        from ..evaluation.genai.loaders import score_mapping

        cols = {**score_mapping(preset), **cols}
    records, totals = score_file(input_path, names, mapping=cols, fmt=fmt, out=out, ctx=ctx)
    if as_json:
        w = _sys.stdout.write
        for rec in records or []:
            w(_json.dumps(rec, ensure_ascii=False) + "\n")
        w(_json.dumps({"totals": totals}, ensure_ascii=False) + "\n")
        return
    t = Table(title=tr("genai_score_title", n=totals["rows"], input=input_path))
    for col in ("scorer", "lang", tr("genai_n"), "true", tr("genai_rate")):
        t.add_column(col)
    for name, c in totals["scorers"].items():
        t.add_row(
            name,
            "all",
            str(c["true"] + c["false"] + c["null"] + c["error"]),
            str(c["true"]),
            "-" if c["rate"] is None else f"{c['rate'] * 100:.1f}%",
        )
        for lang, lc in c["by_lang"].items():
            if len(c["by_lang"]) > 1:
                t.add_row("", lang, str(lc["n"]), str(lc["true"]), "-" if lc["rate"] is None else f"{lc['rate'] * 100:.1f}%")
    console.print(t)
    if out:
        console.print(tr("genai_score_out", path=out), highlight=False)
