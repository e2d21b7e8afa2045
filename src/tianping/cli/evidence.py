"""`tianping evidence …`: the typed evidence of stored runs, and its JSON Schema."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

from ..i18n import register_messages
from .common import STATE, console, emit_json, guarded, tr

app = typer.Typer(help="The typed evidence model: show a run's evidence rows, print the JSON Schema.", no_args_is_help=True)

register_messages({
    "evidence_title": {"en": "Evidence of run {id} ({kind}, {engine})", "zh": "运行 {id} 的证据（{kind}，{engine}）"},
    "evidence_missing": {"en": "run '{id}' not found", "zh": "未找到运行 '{id}'"},
})


@app.command("schema")
@guarded
def schema() -> None:
    """Print the JSON Schema of an evidence run (docs/evidence.schema.json)."""
    from ..evidence.model import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@app.command("show")
@guarded
def show(run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
         status: Optional[str] = typer.Option(None, "--status", help="Only rows with this status (e.g. fail)."),
         as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON only.")) -> None:
    """Every metric row of a stored run in the evidence model, judged as the assessment judges it."""
    from sqlalchemy import select

    from ..errors import Problem, TianpingError
    from ..evidence import load_evidence
    from ..store.models import RunRow

    db = STATE.db()
    with db.session() as s:
        rows = s.scalars(select(RunRow).where(RunRow.id.startswith(run_id)).limit(2)).all()
    if len(rows) != 1:
        raise TianpingError(Problem(tr("evidence_missing", id=run_id) if not rows else f"'{run_id}' matches several runs",
                                    field="RUN_ID"), title="unknown run")
    ev = load_evidence(rows[0])
    metrics = [m for m in ev.metrics if status is None or m.status == status]
    if as_json:
        emit_json({**ev.model_dump(mode="json", exclude_none=True, exclude={"metrics"}),
                   "metrics": [m.model_dump(mode="json", exclude_none=True) for m in metrics]})
        return
    table = Table(title=tr("evidence_title", id=ev.run_id, kind=ev.kind, engine=ev.producer.engine))
    for col in ("test", "metric", "slice", "value", "n", "status"):
        table.add_column(col, overflow="fold")
    from ..reporting.numbers import sig

    for m in metrics:
        table.add_row(m.test, m.metric, m.slice.text(), sig(m.value, 4), "" if m.n is None else str(m.n), m.status)
    console.print(table)
