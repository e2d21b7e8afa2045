"""`tianping audit …`: read, export and verify the hash-chained audit trail."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..audit import AuditLog
from ..errors import TianpingError
from .common import STATE, console, emit_json, guarded, tr

app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


@app.command("log")
@guarded
def log(
    limit: int = typer.Option(50, "--limit", min=1),
    subject: str | None = typer.Option(None, "--subject"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show the most recent audit events."""
    events = AuditLog(STATE.db()).events(limit=limit, subject_id=subject)
    if as_json:
        emit_json(events)
        return
    table = Table(title=tr("audit_title"))
    for col in ("number", "time", "actor", "action", "subject"):
        table.add_column(tr(col), overflow="fold")
    for e in events:
        table.add_row(str(e["seq"]), e["ts"][:19], e["actor"], e["action"], f"{e['subject_type']}:{e['subject_id']}")
    console.print(table)


@app.command("export")
@guarded
def export(out: Path | None = typer.Option(None, "--out", help="JSONL file (default: standard output).")) -> None:
    """Export every event as JSON Lines (one canonical JSON object per line)."""
    from ..outputs import check_file, write_text

    if out is not None:
        check_file(out, "--out")
    lines = list(AuditLog(STATE.db()).iter_jsonl())
    if out is None:
        for ln in lines:
            typer.echo(ln)
        return
    write_text(out, "".join(ln + "\n" for ln in lines), "--out")
    console.print(tr("wrote", path=out), highlight=False)


@app.command("verify")
@guarded
def verify(as_json: bool = typer.Option(False, "--json")) -> None:
    """Check the chain; exit 2 and name the first bad entry if anything was edited, deleted, inserted or reordered."""
    res = AuditLog(STATE.db()).verify()
    if as_json:
        emit_json(res.as_dict())
    elif res.ok:
        console.print(tr("audit_ok", n=res.checked), highlight=False)
    if not res.ok:
        if as_json:
            raise typer.Exit(2)
        raise TianpingError(
            tr("audit_bad", seq=res.first_bad_seq, id=res.first_bad_id, problem=res.problem), title="audit trail broken"
        )
