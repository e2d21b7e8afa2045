"""`tianping systems export`: one profile to an external registration format (missing fields listed, never invented)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from ..registry.exports import FORMATS, check_format, export_profile
from .common import STATE, console, emit_json, err_console, guarded, tr


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same folder and an atomic rename."""
    from ..outputs import write_text

    write_text(path, text, "--out")


def _label(field: str, labels: dict[str, str]) -> str:
    """`field` plus, in English, the English labels of Chinese keys (cn-algorithm-filing)."""
    if STATE.lang == "zh" or not labels:
        return field
    parts = [labels[p] for p in field.split(".") if p in labels and not p.isascii()]
    return f"{field} ({' / '.join(parts)})" if parts else field


def _summary(result: dict[str, Any], system_id: str, out: Console) -> None:
    out.print(f"[bold]{tr('export_title', id=system_id, fmt=result['format'])}[/]", highlight=False)
    labels = result.get("labels") or {}
    missing = result["missing"]
    if not missing:
        out.print(tr("export_complete"), highlight=False)
    else:
        out.print(tr("export_missing", n=len(missing)), highlight=False)
        for m in missing:
            src = f"  [dim]({tr('export_from')}: {m['from']})[/]" if m.get("from") else ""
            reason = m["reason"].get(STATE.lang) or m["reason"]["en"]
            out.print(f"  • {_label(m['field'], labels)} — {reason}{src}", highlight=False)
    na = result.get("not_applicable") or []
    if na:
        out.print(tr("export_not_applicable", n=len(na)), highlight=False)
        for m in na:
            reason = m["reason"].get(STATE.lang) or m["reason"]["en"]
            out.print(f"  • {_label(m['field'], labels)} — {reason}", highlight=False)
    for note in result.get("notes") or []:
        out.print(f"[dim]{note.get(STATE.lang) or note['en']}[/]", highlight=False)


@guarded
def export(
    system: str = typer.Argument(..., help="Profile file, or the id of a registered system."),
    fmt: str = typer.Option(..., "--format", "-f", help="One of: " + ", ".join(FORMATS) + "."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write the document to this file (atomically) instead of printing it."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON only: the document plus the missing fields."),
) -> None:
    """Export one profile to a registration format; fields the profile cannot fill are left null and listed."""
    from ..registry.service import RegistryService

    check_format(fmt)  # before touching the profile, so a bad format is reported first
    if out is not None:
        from ..outputs import check_file

        check_file(out, "--out")
    prof = RegistryService(STATE.db()).resolve(system)
    result = export_profile(prof, fmt)
    text = json.dumps(result["document"], ensure_ascii=False, indent=2) + "\n"
    if out is not None:
        write_atomic(out, text)
    if as_json:
        emit_json({"system": prof.id, **result, **({"out": str(out)} if out is not None else {})})
        return
    if out is None:
        sys.stdout.write(text)
        _summary(result, prof.id, err_console)  # stdout carries the document only
    else:
        console.print(tr("wrote", path=str(out)), highlight=False)
        _summary(result, prof.id, console)
