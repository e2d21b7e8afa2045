"""`tianping test tabular`: technical tests of a classic ML model on tabular data.

Thin: it turns options into a `TabularConfig`, shows a Rich progress bar on stderr (so `--json`
keeps stdout pure JSON), and prints or stores the result. The engine lives in
`tianping.evaluation.tabular`; heavy imports happen only when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, cast

import typer

from ..errors import Problem, TianpingError
from .common import (
    STATE,
    console,
    emit_json,
    err_console,
    guarded,
    might_be_terminal,
    on_interrupt,
    real_console,
    split_csv,
    tr,
    tr_default,
)

app = typer.Typer(help="Run tests of a model or system (technical evidence for assessments).", no_args_is_help=True)

TESTS_ALL = "fairness,counterfactual,robustness,explain,performance,quality"
FAIL_ON = ("gate", "fail", "never")


class _NoProgress:
    """Stands in for the bar when stderr is not a terminal (a pipe, a file, a test runner): a transient
    Rich bar shows nothing there, so importing Rich's progress module and running its refresh thread
    would cost start-up time for no output."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None) -> int:
        return 0

    def advance(self, task_id: int) -> None:
        return None

    def update(self, task_id: int, **fields: object) -> None:
        return None


def _progress_bar() -> Any:
    if not might_be_terminal(err_console):  # known without making the console (a JSON run never makes one)
        return _NoProgress()
    real = real_console(err_console)
    if not (real.is_terminal or real.is_jupyter):
        return _NoProgress()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=real, transient=True)


@app.callback()
def _group() -> None:
    """Run tests of a model or system."""


def _interrupted(_options: dict) -> str:
    # results.json and each plot are written atomically, the run stored only at the end: nothing half-written remains
    return tr_default(
        "tab_interrupted",
        "Interrupted: the test run was stopped and not stored; results.json and plots are "
        "written only when complete, so no file is half-written. Run the same command again to test.",
    )


@app.command("tabular")
@guarded
@on_interrupt(_interrupted)  # Ctrl-C or SIGTERM: a clear message, exit 130 / 143
def tabular(
    data: Path = typer.Option(..., "--data", help="Test data: CSV, Parquet or Arrow/Feather (read in chunks)."),
    target: str = typer.Option(..., "--target", help="Column with the true label or value."),
    model: str | None = typer.Option(
        None,
        "--model",
        help="Model: .onnx, .skops, XGBoost .json/.ubj, LightGBM .txt, http(s):// endpoint, or python:module:attr.",
    ),
    predictions: str | None = typer.Option(None, "--predictions", help="Column of precomputed predictions (no model needed)."),
    scores: str | None = typer.Option(
        None,
        "--scores",
        help=(
            "Probability column(s) with --predictions: one column = P(positive) of a binary target, or CLASS=COLUMN for "
            "every class (e.g. yes=p1,no=p0)."
        ),
    ),
    predictions_file: Path | None = typer.Option(
        None, "--predictions-file", help="Read --predictions/--scores from this row-aligned file instead."
    ),
    sensitive: str | None = typer.Option(None, "--sensitive", help="Comma-separated sensitive columns, e.g. sex,race."),
    tests: str | None = typer.Option(
        None, "--tests", help="Comma-separated subset of: " + TESTS_ALL + " (default: every test that applies)."
    ),
    features: str | None = typer.Option(
        None, "--features", help="Model input columns (default: the model's own list, else every other column)."
    ),
    categorical: str | None = typer.Option(
        None, "--categorical", help="Numeric-coded columns to treat as categories (not moved by noise or the attack)."
    ),
    perturb_sensitive: bool = typer.Option(
        False,
        "--perturb-sensitive",
        help="Let robustness perturbations and the attack change sensitive columns too (held fixed by default).",
    ),
    task: str = typer.Option("auto", "--task", help="auto, binary, multiclass or regression."),
    positive_label: str | None = typer.Option(
        None, "--positive-label", help="The favourable/positive class (binary; default: the last class in sorted order)."
    ),
    context: str | None = typer.Option(
        None,
        "--context",
        help=(
            "Use context for the guided fairness metric: assistive, punitive, both_errors, representation, "
            "regression_error, regression_allocation."
        ),
    ),
    thresholds: Path | None = typer.Option(
        None, "--thresholds", help="YAML file overriding metric thresholds (see docs/tabular-tests.md)."
    ),
    reference: Path | None = typer.Option(
        None, "--reference", help="Reference (training) data for drift, overlap and representation."
    ),
    reference_distribution: Path | None = typer.Option(
        None, "--reference-distribution", help="YAML/JSON {feature: {group: share}} of the population the data should represent."
    ),
    trust_pickle: bool = typer.Option(
        False, "--trust-pickle", help="Allow loading a pickle model. Unpickling runs code from the file: only for files you made."
    ),
    trust_type: list[str] | None = typer.Option(
        None, "--trust-type", help="A type a skops file may contain beyond the trusted defaults (repeatable)."
    ),
    no_intersections: bool = typer.Option(
        False, "--no-intersections", help="Do not evaluate intersections of sensitive features."
    ),
    bootstrap: int = typer.Option(200, "--bootstrap", help="Bootstrap resamples for confidence intervals (0 = none)."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the intervals."),
    robustness_rows: int = typer.Option(
        1000, "--robustness-rows", help="Rows (random sample) for perturbations and the boundary attack."
    ),
    counterfactual_rows: int = typer.Option(
        1000, "--counterfactual-rows", help="Rows (random sample) re-scored with the sensitive attribute changed."
    ),
    no_attack: bool = typer.Option(False, "--no-attack", help="Skip the boundary attack."),
    epsilon: float = typer.Option(
        0.5, "--epsilon", help="Perturbation budget for adversarial accuracy (L2, in standard deviations)."
    ),
    explain_rows: int = typer.Option(1000, "--explain-rows", help="Rows (random sample) for explanations."),
    shap_samples: int = typer.Option(100, "--shap-samples", help="Rows explained by SHAP."),
    shap_background: int = typer.Option(
        50, "--shap-background", help="Background rows for SHAP (KernelExplainer, and TreeSHAP of ONNX trees)."
    ),
    shap_explainer: str = typer.Option(
        "auto", "--shap-explainer", help="auto (TreeSHAP for tree models, else KernelExplainer), tree or kernel."
    ),
    chunk_rows: int = typer.Option(250_000, "--chunk-rows", help="Rows read per chunk."),
    seed: int = typer.Option(0, "--seed", help="Random seed (sampling, bootstrap, attack)."),
    out: Path | None = typer.Option(None, "--out", help="Directory for results.json and plots."),
    plots: str = typer.Option("png", "--plots", help="Plot formats with --out: png, svg or png,svg."),
    system: str | None = typer.Option(
        None, "--system", help="Registered system id to attach the run to (stores it in the database)."
    ),
    fail_on: str = typer.Option(
        "never",
        "--fail-on",
        help=(
            "Exit 1 when: gate = a gate metric (metrics.yaml `gate: true`) fails or errs; fail = any metric fails or errs; "
            "never (default) = only bad input exits non-zero."
        ),
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON only."),
    backend: str | None = typer.Option(
        None,
        "--backend",
        help="Execution backend: local (default) or ray (the run as a Ray task; default from TIANPING_BACKEND).",
    ),
    ray_address: str | None = typer.Option(None, "--ray-address", help="Ray cluster to join (default TIANPING_RAY_ADDRESS)."),
) -> None:
    """Fairness, robustness, explainability, performance and data-quality tests of a classic ML model."""
    from ..extras import require

    require("tabular", "pandas", "pyarrow", "sklearn", "onnxruntime")
    from ..evaluation.tabular.runner import TabularConfig

    if task not in ("auto", "binary", "multiclass", "regression"):
        raise TianpingError(
            Problem(f"--task '{task}' is not auto, binary, multiclass or regression", field="--task"), title="bad option"
        )
    if fail_on not in FAIL_ON:
        raise TianpingError(Problem(f"--fail-on '{fail_on}' is not gate, fail or never", field="--fail-on"), title="bad option")
    if shap_explainer not in ("auto", "tree", "kernel"):
        raise TianpingError(
            Problem(f"--shap-explainer '{shap_explainer}' is not auto, tree or kernel", field="--shap-explainer"),
            title="bad option",
        )
    if out is not None:
        from ..outputs import check_writable_dir

        check_writable_dir(out, "--out")  # before reading any data: a bad --out must not cost a whole run
    cfg = TabularConfig(
        data=str(data),
        target=target,
        model=model,
        predictions=predictions,
        scores=split_csv(scores),
        predictions_file=str(predictions_file) if predictions_file else None,
        sensitive=split_csv(sensitive) or [],
        tests=split_csv(tests),
        features=split_csv(features),
        categorical=split_csv(categorical),
        task=cast(Literal["auto", "binary", "multiclass", "regression"], task),  # checked above
        perturb_sensitive=perturb_sensitive,
        counterfactual_rows=counterfactual_rows,
        positive_label=positive_label,
        context=context,
        thresholds=str(thresholds) if thresholds else None,
        reference=str(reference) if reference else None,
        reference_distribution=str(reference_distribution) if reference_distribution else None,
        trust_pickle=trust_pickle,
        trusted_types=list(trust_type or []),
        intersections=not no_intersections,
        bootstrap=bootstrap,
        confidence=confidence,
        robustness_rows=robustness_rows,
        attack=not no_attack,
        epsilon=epsilon,
        explain_rows=explain_rows,
        shap_samples=shap_samples,
        shap_background=shap_background,
        shap_explainer=cast(Literal["auto", "tree", "kernel"], shap_explainer),  # checked above
        chunk_rows=chunk_rows,
        seed=seed,
        out_dir=str(out) if out else None,
        plot_formats=split_csv(plots) or ["png"],
        lang=STATE.lang,
    )
    store = STATE.db_url is not None or system is not None
    if store and system is not None:
        _check_system(system)
    with _progress_bar() as bar:
        stages = [
            "read",
            *[
                t
                for t in ("performance", "fairness", "quality", "counterfactual", "robustness", "explain")
                if t in (cfg.tests or TESTS_ALL.split(","))
            ],
        ]
        if out:
            stages.append("plots")
        task_id = bar.add_task(tr("tab_stage_read", rows=0), total=len(stages))
        seen: list[str] = []

        def progress(stage: str, rows: int) -> None:
            if stage not in seen:
                if seen:
                    bar.advance(task_id)
                seen.append(stage)
            key = f"tab_stage_{stage}"
            bar.update(task_id, description=tr(key, rows=rows) if stage == "read" else tr(key))

        from ..execution.backends import BackendChoice
        from ..execution.tabular import run_on_backend

        result = run_on_backend(cfg, BackendChoice.from_options(backend, ray_address), progress)
        bar.update(task_id, completed=len(stages))
    run_id = None
    if store:
        from ..evaluation.tabular.persist import save_run

        run_id = save_run(STATE.db(), result, system_id=system)
    blocking = failing_rows(result, fail_on)
    if as_json:
        emit_json(result.model_dump(mode="json") | ({"stored_run_id": run_id} if run_id else {}))
    else:
        _print_human(result, out, run_id)
    if blocking:
        err_console.print(tr("tab_fail_on", mode=fail_on, n=len(blocking), what=tr(f"tab_fail_on_{fail_on}")), highlight=False)
        raise typer.Exit(code=1)


def failing_rows(result, fail_on: str) -> list:
    """The metric rows that make `--fail-on MODE` exit 1 (empty: exit 0).

    gate: status fail or error on a metric marked `gate: true` in metrics.yaml (or a --thresholds file);
    fail: status fail or error on any metric; never: none. insufficient_data never blocks by itself.
    """
    if fail_on == "never":
        return []
    return [m for m in result.metrics if m.status in ("fail", "error") and (fail_on == "fail" or m.gate)]


def _check_system(system: str) -> None:
    from ..store.models import SystemRow

    with STATE.db().session() as s:
        if s.get(SystemRow, system) is None:
            raise TianpingError(
                Problem(f"no registered system '{system}' (see `tianping systems list`)", field="--system"),
                title="unknown system",
            )


def _print_human(result, out: Path | None, run_id: str | None) -> None:
    from rich.table import Table

    s = result.summary
    console.print(
        tr("tab_title", task=result.task, rows=result.n_rows, verdict=tr(f"tab_{s.verdict}")), style="bold", highlight=False
    )
    table = Table()
    table.add_column(tr("tab_test"))
    keys = ("pass", "warn", "fail", "insufficient_data", "error", "not_judged")
    for key in keys:
        table.add_column(tr(f"tab_{key}"), justify="right")
    for test, counts in s.by_test.items():
        table.add_row(test, *(str(counts.get(k, 0)) for k in keys))
    console.print(table)
    bad = [m for m in result.metrics if m.status in ("fail", "warn", "error")]
    bad.sort(key=lambda m: (m.status == "warn", m.status != "fail", m.test, m.name))
    if bad:
        t2 = Table(title=tr("tab_findings"))
        for col in ("tab_metric", "tab_where", "tab_value", "tab_threshold", "tab_cites"):
            t2.add_column(tr(col))
        for m in bad[:25]:
            where = m.group or m.sensitive_feature or m.feature or (m.details or {}).get("perturbation") or ""
            thr = f"{m.thresholds.warn:g} / {m.thresholds.fail:g}" if m.thresholds else ""
            value = f"{m.value:.4g}" if isinstance(m.value, (int, float)) else str(m.value)
            style = "yellow" if m.status == "warn" else "red"
            cites = m.citations[0] + (f" +{len(m.citations) - 1}" if len(m.citations) > 1 else "") if m.citations else ""
            t2.add_row(f"[{style}]{m.name}[/]", str(where), value, thr, cites)
        console.print(t2)
        if len(bad) > 25:
            console.print(tr("tab_more", n=len(bad) - 25))
    rec = result.recommendation
    if rec:
        worst = rec.get("worst") or {}
        value = f"{worst['value']:.4g} ({worst.get('sensitive_feature')})" if worst.get("value") is not None else "—"
        console.print(tr("tab_recommend", context=rec["context"], metric=rec["metric"], value=value), highlight=False)
        console.print("  " + rec["reason"].get(STATE.lang, rec["reason"]["en"]), highlight=False)
        if not rec.get("given"):
            console.print("  " + tr("tab_recommend_hint"), highlight=False)
    for note in result.notes:
        console.print(f"{tr('tab_note')}: {note}", highlight=False)
    if out:
        console.print(tr("tab_written", path=str(out / "results.json")), highlight=False)
    if run_id:
        console.print(tr("tab_stored", id=run_id), highlight=False)
