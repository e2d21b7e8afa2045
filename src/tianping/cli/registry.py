"""`tianping register | classify | obligations | systems`: the registry and classification."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..errors import TianpingError
from .common import STATE, console, emit_json, guarded, split_csv, tr, txt

JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")


def _registry():
    from ..registry.service import RegistryService

    return RegistryService(STATE.db())


def _as_of(value: Optional[str]) -> Optional[dt.date]:
    if value is None:
        return None
    if value.lower() == "today":
        return dt.datetime.now(dt.timezone.utc).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise TianpingError(f"--as-of '{value}' is not a date (use YYYY-MM-DD or 'today')", title="bad option") from None



@guarded
def register(
    file: Optional[Path] = typer.Argument(None, help="Profile file (YAML or JSON)."),
    interactive: bool = typer.Option(False, "--interactive", help="Answer a guided questionnaire instead of giving a file."),
    as_json: bool = JSON_OPT,
) -> None:
    """Validate a system profile and store it (insert, or a new version if it changed)."""
    from ..registry.service import load_profile_file

    if interactive:
        from .questionnaire import run_questionnaire

        system = run_questionnaire(STATE.lang)
    elif file is None:
        raise TianpingError("give a profile FILE or --interactive", title="bad usage")
    else:
        system = load_profile_file(file)  # validation happens before anything is stored
    result = _registry().register(system)
    if as_json:
        emit_json(result)
    else:
        key = "registered" if result.get("created") else ("unchanged" if result.get("unchanged") else "updated")
        console.print(tr(key, id=result["id"], v=result["version"]), highlight=False)


@guarded
def classify(
    system: str = typer.Argument(..., help="Profile file, or the id of a registered system."),
    jurisdiction: Optional[str] = typer.Option(None, "--jurisdiction", help="Comma-separated: EU,CN,ASEAN,US (default: every pack)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Classify as the law stands on this date (YYYY-MM-DD or today). Default: every provision treated as applicable."),
    explain: bool = typer.Option(False, "--explain", help="Show every rule evaluated, the fields it read and what it cites."),
    as_json: bool = JSON_OPT,
) -> None:
    """Risk tier per jurisdiction, with the reasons, citations and open questions."""
    from ..rules.engine import classify as run

    prof = _registry().resolve(system)
    results = run(prof, jurisdictions=split_csv(jurisdiction), as_of=_as_of(as_of))
    if as_json:
        emit_json({"system": prof.id, "as_of": as_of, "results": [r.as_dict() for r in results if r.applies != "no"]})
        return
    table = Table(title=tr("classification_title", id=prof.id))
    for col in ("jurisdiction", "tier", "why", "cites"):
        table.add_column(tr(col), overflow="fold")
    for r in results:
        if r.applies == "no":
            continue
        why = "; ".join(txt(x["because"]) for x in r.reasons) or ("—" if r.tier != "undetermined" else tr("needs_answers"))
        cites = ", ".join(sorted({c for x in r.reasons for c in x["cites"]}))
        tier = txt(r.tier_title) + (f" ({tr('voluntary')})" if r.voluntary else "")
        table.add_row(r.jurisdiction, tier, why, cites)
    console.print(table)
    for r in results:
        if r.questions:
            console.print(f"[bold]{tr('questions_for', j=r.jurisdiction)}[/]")
            for q in r.questions:
                console.print(f"  • {txt(q.text)}  [dim]({q.field})[/]", highlight=False)
    if explain:
        for r in results:
            if r.applies == "no":
                continue
            t = Table(title=tr("trace_title", j=r.jurisdiction))
            for col in ("rule", "outcome", "reads", "cites"):
                t.add_column(tr(col), overflow="fold")
            for e in r.trace:
                t.add_row(e.rule, e.outcome, ", ".join(e.reads) + (f"  [yellow]?{', '.join(e.unknown)}[/]" if e.unknown else ""), ", ".join(e.cites))
            console.print(t)


@guarded
def obligations(
    system: str = typer.Argument(..., help="Profile file, or the id of a registered system."),
    jurisdiction: Optional[str] = typer.Option(None, "--jurisdiction", help="Comma-separated jurisdictions."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="As the law stands on this date (YYYY-MM-DD)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Obligations per jurisdiction and role, with the article, the date they apply from and deadlines."""
    from dataclasses import asdict

    from ..rules.engine import classify as run

    prof = _registry().resolve(system)
    results = [r for r in run(prof, jurisdictions=split_csv(jurisdiction), as_of=_as_of(as_of)) if r.applies != "no"]
    if as_json:
        emit_json({"system": prof.id, "as_of": as_of, "obligations": [
            {"jurisdiction": r.jurisdiction, "tier": r.tier, "voluntary": r.voluntary,
             "applies": [asdict(o) for o in r.obligations], "possible": [asdict(o) for o in r.possible_obligations],
             "upcoming": [asdict(o) for o in r.upcoming]} for r in results]})
        return
    table = Table(title=tr("obligations_title", id=prof.id))
    for col in ("jurisdiction", "obligation", "roles", "applies_from", "status", "cites"):
        table.add_column(tr(col), overflow="fold")
    for r in results:
        for o in r.obligations + r.possible_obligations + r.upcoming:
            status = tr("status_" + o.status) + (f" — {o.deadline}" if o.deadline else "")
            table.add_row(r.jurisdiction, txt(o.title), ", ".join(o.roles), o.applies_from or "", status, ", ".join(o.cites))
    console.print(table)


systems_app = typer.Typer(help="Registered AI systems.", no_args_is_help=True)


@systems_app.command("list")
@guarded
def systems_list(as_json: bool = JSON_OPT) -> None:
    """List registered systems."""
    rows = _registry().list()
    if as_json:
        emit_json(rows)
        return
    table = Table()
    for col in ("id", "title", "organisation", "version"):
        table.add_column(tr(col))
    for r in rows:
        table.add_row(r["id"], r["name"], r["organisation"], str(r["version"]))
    console.print(table)


@systems_app.command("show")
@guarded
def systems_show(system_id: str, as_json: bool = JSON_OPT) -> None:
    """Show one registered profile (JSON)."""
    prof = _registry().get(system_id)
    emit_json(prof.model_dump(mode="json", exclude_none=True))


def _register_export() -> None:
    from .exports import export

    systems_app.command("export")(export)


_register_export()
