"""`tianping evidence …`: the typed evidence of stored runs, its JSON Schema, and imports from other tools."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from .common import STATE, console, emit_json, guarded, tr

app = typer.Typer(
    help="The typed evidence model: show a run's evidence rows, print the JSON Schema, import other tools' results.",
    no_args_is_help=True,
)


@app.command("schema")
@guarded
def schema() -> None:
    """Print the JSON Schema of an evidence run (docs/evidence.schema.json)."""
    from ..evidence.model import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@app.command("show")
@guarded
def show(
    run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
    status: str | None = typer.Option(None, "--status", help="Only rows with this status (e.g. fail)."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON only."),
) -> None:
    """Every metric row of a stored run in the evidence model, judged as the assessment judges it."""
    from sqlalchemy import select

    from ..errors import Problem, TianpingError
    from ..evidence import load_evidence
    from ..store.models import RunRow

    db = STATE.db()
    with db.session() as s:
        rows = s.scalars(select(RunRow).where(RunRow.id.startswith(run_id)).limit(2)).all()
    if len(rows) != 1:
        raise TianpingError(
            Problem(tr("evidence_missing", id=run_id) if not rows else f"'{run_id}' matches several runs", field="RUN_ID"),
            title="unknown run",
        )
    ev = load_evidence(rows[0])
    metrics = [m for m in ev.metrics if status is None or m.status == status]
    if as_json:
        emit_json(
            {
                **ev.model_dump(mode="json", exclude_none=True, exclude={"metrics"}),
                "metrics": [m.model_dump(mode="json", exclude_none=True) for m in metrics],
            }
        )
        return
    table = Table(title=tr("evidence_title", id=ev.run_id, kind=ev.kind, engine=ev.producer.engine))
    for col in ("test", "metric", "slice", "value", "n", "status"):
        table.add_column(col, overflow="fold")
    from ..reporting.numbers import sig

    for m in metrics:
        table.add_row(m.test, m.metric, m.slice.text(), sig(m.value, 4), "" if m.n is None else str(m.n), m.status)
    console.print(table)


@app.command("import")
@guarded
def import_(
    path: str = typer.Argument(..., help="Result file of another tool (or an lm-eval output directory)."),
    system: str = typer.Option(..., "--system", help="Registered AI system the results are evidence for."),
    fmt: str = typer.Option(
        "auto", "--format", help="auto (from the content), inspect, lm-eval, garak, promptfoo, pyrit or aiverify."
    ),
    map_file: str | None = typer.Option(
        None,
        "--map",
        help="Your own import map (YAML, same shape as the shipped map.yaml): "
        "links your tasks to tests and provisions; tried first.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON only."),
) -> None:
    """Import Inspect, lm-eval, garak, promptfoo, PyRIT or AI Verify results as evidence (kind 'imported')."""
    from ..importers.service import import_file

    res = import_file(STATE.db(), path, system_id=system, fmt=fmt, map_file=map_file)
    if as_json:
        emit_json(res)
        return
    console.print(
        tr(
            "import_done",
            id=res["run_id"],
            tool=res["tool"],
            version=res["tool_version"] or "?",
            format=res["format"],
            task=res["task"],
            model=res["model"] or "?",
            samples=res["samples"],
            n=len(res["metrics"]),
        ),
        highlight=False,
        markup=False,
    )
    from ..reporting.numbers import sig

    table = Table(title=tr("import_title"))
    for col in ("test", "metric", "slice", "value", "n", "status", "provisions"):
        table.add_column(col, overflow="fold")
    for m in res["metrics"]:
        table.add_row(
            m["test"],
            m["metric"],
            m["slice"],
            sig(m["value"], 4),
            "" if m["n"] is None else str(m["n"]),
            m["status"],
            ", ".join(m["citations"][:4]) + (" …" if len(m["citations"]) > 4 else ""),
        )
    console.print(table)
    if res["unmapped"]:
        console.print(tr("import_unmapped", n=len(res["unmapped"])), highlight=False, markup=False)
    for note in res["notes"]:
        console.print(f"· {note}", highlight=False, markup=False)
