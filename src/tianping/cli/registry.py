"""`tianping register | classify | obligations | systems`: the registry and classification."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from ..errors import TianpingError
from .common import STATE, console, emit_json, guarded, new_table, split_csv, tr, txt

JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")


def _registry():
    from ..registry.service import RegistryService

    return RegistryService(STATE.db())


def _resolve(system: str):
    """As RegistryService.resolve, but a profile file is read without opening the database (or importing
    SQLAlchemy): classifying a file needs neither, and that is most of `classify`'s start-up."""
    p = Path(system)
    if p.suffix.lower() in (".yaml", ".yml", ".json") or p.exists():
        from ..registry.profile import load_profile_file

        return load_profile_file(p)
    return _registry().resolve(system)


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    if value.lower() == "today":
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise TianpingError(f"--as-of '{value}' is not a date (use YYYY-MM-DD or 'today')", title="bad option") from None


# person-facing words of these commands: message ids "registry.<key>" in the gettext catalogs (tianping/locale)
def _m(key: str, **kw: object) -> str:
    return tr(f"registry.{key}", **kw)


def _role(code: str) -> str:
    """A role code (provider, deployer, …) in the interface language (message `role.<code>`)."""
    from ..i18n import has_message

    return tr(f"role.{code}") if has_message(f"role.{code}", "en") else code


def _jurisdictions(value: str | None) -> list[str] | None:
    """The --jurisdiction codes, normalised (case-insensitive); an unknown code exits 2 with a suggestion."""
    from ..errors import Problem
    from ..rules.jurisdictions import normalise

    codes = split_csv(value)
    if not codes:
        return None
    out, problems = [], []
    for c in codes:
        try:
            out.append(normalise(c))
        except ValueError as exc:
            problems.append(Problem(str(exc), field="--jurisdiction"))
    if problems:
        raise TianpingError(problems, title="bad option")
    return out


@guarded
def register(
    file: Path | None = typer.Argument(None, help="Profile file (YAML or JSON)."),
    interactive: bool = typer.Option(False, "--interactive", help="Answer a guided questionnaire instead of giving a file."),
    schema: bool = typer.Option(
        False,
        "--schema",
        help="Print the profile field reference (every field, type, allowed codes, the rules that read it) and exit.",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Validate a system profile and store it (insert, or a new version if it changed)."""
    from ..registry.service import load_profile_file

    if schema:
        from ..registry.fieldref import field_reference, render_markdown

        if as_json:
            emit_json(field_reference())
        else:
            console.print(render_markdown(), markup=False, highlight=False, soft_wrap=True)
        return
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


def _coverage(prof, codes):
    from ..rules.engine import coverage

    return coverage(prof, jurisdictions=codes)


def _print_law(results) -> None:
    """The law version each result used, and amendments known but not applicable yet."""
    for r in results:
        if r.applies == "no" or not r.law_version:
            continue
        lv = r.law_version
        if lv.get("amended_by") or r.pending_amendments:
            console.print(
                _m("law", j=r.jurisdiction, v=lv["version"]) + ("" if lv.get("verified", True) else _m("unverified")),
                highlight=False,
            )
        for a in r.pending_amendments:
            when = _m("pending_when", d=a["in_force_from"]) if a.get("in_force_from") else ""
            console.print(
                _m(
                    "pending",
                    id=a["id"],
                    status=_m(f"status.{a['status']}")
                    if a["status"] in ("proposed", "adopted", "published", "in_force")
                    else a["status"],
                    when=when,
                ),
                highlight=False,
            )
            for ch in a["changes"]:
                console.print("  • " + txt(ch["summary"]) + ("" if ch.get("verified", True) else " *"), highlight=False)


def _print_coverage(cov) -> None:
    """Jurisdictions without (full) pack coverage, each with an explicit answer (never an empty table)."""
    gaps = [c for c in cov if c["status"] != "covered"]
    if not gaps:
        return
    cols = [_m(f"coverage_col.{i}") for i in range(5)]
    console.print(f"[bold]{_m('coverage_title')}[/]")
    for c in gaps:
        console.print(txt(c["message"]), highlight=False, soft_wrap=True)
        for o in c["out_of_scope"]:
            console.print("  " + txt(o["note"]), highlight=False, soft_wrap=True)
        known = "; ".join(txt(k["title"]) + ("" if k.get("verified", True) else " *") for k in c["known_laws_not_encoded"]) or "—"
        insts = ", ".join(i["id"] for i in c["catalog_instruments"]) or "—"
        vol = (
            ", ".join(i["id"] + (f" ({i['rule_pack']})" if i.get("rule_pack") else "") for i in c["nearest_voluntary_frameworks"])
            or "—"
        )
        for label, value in ((cols[2], known), (cols[3], insts), (cols[4], vol)):
            console.print(f"  {label}: {value}", highlight=False, soft_wrap=True)


@guarded
def classify(
    system: str = typer.Argument(..., help="Profile file, or the id of a registered system."),
    jurisdiction: str | None = typer.Option(
        None,
        "--jurisdiction",
        help="Comma-separated ISO 3166 codes or groups, case-insensitive: EU,CN,SG,US-CO,GB (default: every pack).",
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help=(
            "Classify as the law stands on this date (YYYY-MM-DD or today): amendments in force that day apply, later "
            "rules are listed as upcoming. Default: every adopted provision treated as applicable."
        ),
    ),
    explain: bool = typer.Option(False, "--explain", help="Show every rule evaluated, the fields it read and what it cites."),
    as_json: bool = JSON_OPT,
) -> None:
    """Risk tier per jurisdiction, with the reasons, citations, upcoming tiers and open questions."""
    from ..rules.engine import classify as run

    codes = _jurisdictions(jurisdiction)
    day = _as_of(as_of)
    prof = _resolve(system)
    results = run(prof, jurisdictions=codes, as_of=day)
    cov = _coverage(prof, codes)
    if as_json:
        emit_json(
            {
                "system": prof.id,
                "as_of": day.isoformat() if day else None,
                "results": [r.as_dict() for r in results if r.applies != "no"],
                "coverage": cov,
            }
        )
        return
    when = f" — {day.isoformat()}" if day else f" — {_m('all_in_force')}"
    table = new_table(title=tr("classification_title", id=prof.id) + when)
    for col in ("jurisdiction", "tier", "why", "cites"):
        table.add_column(tr(col), overflow="fold")
    table.add_column(_m("tier_col"), overflow="fold")
    for r in results:
        if r.applies == "no":
            continue
        why = "; ".join(txt(x["because"]) for x in r.reasons) or ("—" if r.tier != "undetermined" else tr("needs_answers"))
        cites = ", ".join(sorted({c for x in r.reasons for c in x["cites"]}))
        tier = txt(r.tier_title) + (f" ({tr('voluntary')})" if r.voluntary else "")
        upcoming = (
            "; ".join(
                txt(u["title"]) + " " + _m("from", d=u["applies_from"]) + ("" if u["certain"] else f" ({_m('possibly')})")
                for u in r.upcoming_tiers
            )
            or "—"
        )
        table.add_row(r.jurisdiction, tier, why, cites, upcoming)
    if any(r.applies != "no" for r in results):
        console.print(table)
    _print_law(results)
    _print_coverage(cov)
    for r in results:
        if r.applies == "no":
            continue
        if r.questions:
            console.print(f"[bold]{tr('questions_for', j=r.jurisdiction)}[/]")
            for q in r.questions:
                console.print(f"  • {txt(q.text)}  [dim]({q.field})[/]", highlight=False)
    if explain:
        for r in results:
            if r.applies == "no":
                continue
            t = new_table(title=tr("trace_title", j=r.jurisdiction))
            for col in ("rule", "outcome", "reads", "cites"):
                t.add_column(tr(col), overflow="fold")
            for e in r.trace:
                t.add_row(
                    e.rule,
                    e.outcome,
                    ", ".join(e.reads) + (f"  [yellow]?{', '.join(e.unknown)}[/]" if e.unknown else ""),
                    ", ".join(e.cites),
                )
            console.print(t)


@guarded
def obligations(
    system: str = typer.Argument(..., help="Profile file, or the id of a registered system."),
    jurisdiction: str | None = typer.Option(
        None, "--jurisdiction", help="Comma-separated jurisdictions (ISO 3166 codes or groups, case-insensitive)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="As the law stands on this date (YYYY-MM-DD); later duties are listed as upcoming with their date."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Obligations per jurisdiction and role, with the article, the date they apply from and deadlines."""
    from dataclasses import asdict

    from ..rules.engine import classify as run

    codes = _jurisdictions(jurisdiction)
    day = _as_of(as_of)
    prof = _resolve(system)
    results = [r for r in run(prof, jurisdictions=codes, as_of=day) if r.applies != "no"]
    cov = _coverage(prof, codes)
    if as_json:
        emit_json(
            {
                "system": prof.id,
                "as_of": day.isoformat() if day else None,
                "obligations": [
                    {
                        "jurisdiction": r.jurisdiction,
                        "tier": r.tier,
                        "voluntary": r.voluntary,
                        "applies": [asdict(o) for o in r.obligations],
                        "possible": [asdict(o) for o in r.possible_obligations],
                        "upcoming": [asdict(o) for o in r.upcoming],
                        "upcoming_tiers": r.upcoming_tiers,
                        "law_version": r.law_version,
                        "pending_amendments": r.pending_amendments,
                        "out_of_scope": r.out_of_scope,
                    }
                    for r in results
                ],
                "coverage": cov,
            }
        )
        return
    table = new_table(title=tr("obligations_title", id=prof.id) + (f" — {day.isoformat()}" if day else ""))
    for col in ("jurisdiction", "obligation", "roles", "applies_from", "status", "cites"):
        table.add_column(tr(col), overflow="fold")
    for r in results:
        for o in r.obligations + r.possible_obligations + r.upcoming:
            status = tr("status_" + o.status) + (f" — {o.deadline}" if o.deadline else "")
            when = (o.applies_from or "") + ("" if o.date_verified else " *")
            table.add_row(r.jurisdiction, txt(o.title), ", ".join(_role(x) for x in o.roles), when, status, ", ".join(o.cites))
    if results:
        console.print(table)
    if any(not o.date_verified for r in results for o in r.obligations + r.possible_obligations + r.upcoming):
        console.print(_m("unverified_note"), highlight=False)
    for r in results:
        for u in r.upcoming_tiers:
            console.print(
                f"{r.jurisdiction}: "
                + txt(u["title"])
                + " "
                + _m("from", d=u["applies_from"])
                + ("" if u["certain"] else f" ({_m('possibly')})"),
                highlight=False,
            )
    _print_law(results)
    _print_coverage(cov)


systems_app = typer.Typer(help="Registered AI systems.", no_args_is_help=True)


@systems_app.command("list")
@guarded
def systems_list(as_json: bool = JSON_OPT) -> None:
    """List registered systems."""
    rows = _registry().list()
    if as_json:
        emit_json(rows)
        return
    table = new_table()
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


def __getattr__(name: str):
    # `systems` (see LAZY_COMMANDS in main.py) gets its `export` command when the group is built:
    # importing it here eagerly would load the export formats for `classify` and `register` too
    if name == "systems_app_with_export":
        if not any(c.name == "export" for c in systems_app.registered_commands):
            _register_export()
        return systems_app
    raise AttributeError(name)
