"""`tianping catalog …`: browse, search and crosswalk the governance catalog; import/export."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from ..catalog.service import CatalogService
from .common import STATE, console, emit_json, guarded, split_csv, tr, txt

app = typer.Typer(help="The governance catalog: instruments, provisions, principles, crosswalk.", no_args_is_help=True)
sssom_app = typer.Typer(help="Import and export mappings as SSSOM TSV.", no_args_is_help=True)
app.add_typer(sssom_app, name="sssom")

JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")


def _service() -> CatalogService:
    return CatalogService(STATE.db())



@app.command("list")
@guarded
def list_(as_json: bool = JSON_OPT) -> None:
    """List instruments with id, title, kind, jurisdiction and provision count."""
    rows = _service().list_instruments()
    if as_json:
        emit_json(rows)
        return
    table = Table(title=tr("catalog_title"))
    for col in ("id", "title", "kind", "jurisdiction", "provisions"):
        table.add_column(tr(col), overflow="fold", justify="right" if col == "provisions" else "left")
    for r in rows:
        table.add_row(r["id"], txt(r["title"]), r["kind"], r["jurisdiction"], str(r["provision_count"]))
    console.print(table)


@app.command("show")
@guarded
def show(
    instrument_id: str = typer.Argument(..., help="Instrument id, e.g. eu-ai-act."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only provisions of this kind (e.g. subcategory, control, risk)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Show one instrument and its provisions."""
    inst = _service().show_instrument(instrument_id, kind)
    if as_json:
        emit_json(inst)
        return
    console.print(f"[bold]{txt(inst['title'])}[/]  ({inst['id']}, {inst['kind']}, {inst['jurisdiction']})")
    console.print(txt(inst.get("summary")), highlight=False)
    table = Table()
    for col in ("id", "number", "kind", "title", "verified"):
        table.add_column(tr(col), overflow="fold")
    for p in inst["provisions"]:
        table.add_row(p["id"], p.get("number") or "", p["kind"], txt(p["title"]), "" if p.get("verified", True) else "✗")
    console.print(table)


@app.command("search")
@guarded
def search(
    text: str = typer.Argument(..., help="Words to find, in Chinese or English."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Match only the zh or en text."),
    instrument: Optional[str] = typer.Option(None, "--instrument", help="Comma-separated instrument ids to search within."),
    limit: int = typer.Option(20, "--limit", min=1, max=500),
    as_json: bool = JSON_OPT,
) -> None:
    """Full-text search over provision titles and summaries (Chinese and English)."""
    hits = _service().search(text, lang=lang, limit=limit, instruments=split_csv(instrument))
    if as_json:
        emit_json([h.__dict__ for h in hits])
        return
    if not hits:
        console.print(tr("no_results"))
        return
    table = Table(title=tr("search_title", q=text))
    for col in ("id", "number", "kind", "title"):
        table.add_column(tr(col), overflow="fold")
    show_lang = lang or STATE.lang
    for h in hits:
        table.add_row(h.qid, h.number or "", h.kind, h.title_zh if show_lang == "zh" else h.title_en)
    console.print(table)


@app.command("crosswalk")
@guarded
def crosswalk(
    provision_id: str = typer.Argument(..., help="Qualified provision id, e.g. eu-ai-act:art-15."),
    to: Optional[str] = typer.Option(None, "--to", help="Comma-separated instrument ids to keep."),
    via_principles: bool = typer.Option(False, "--via-principles", help="Also follow shared principles."),
    hops: int = typer.Option(2, "--hops", min=1, max=5, help="Longest chain of mappings to follow."),
    as_json: bool = JSON_OPT,
) -> None:
    """Provisions of other instruments that correspond to one provision, with predicates and reasons."""
    svc = _service()
    hits = svc.crosswalk(provision_id, to=split_csv(to), via_principles=via_principles, max_hops=hops)
    if as_json:
        emit_json({"provision": svc.provision(provision_id), "mappings": hits})
        return
    source_inst = provision_id.split(":", 1)[0]
    others = {h["instrument_id"] for h in hits} - {source_inst}
    table = Table(title=tr("crosswalk_title", qid=provision_id), caption=tr("reaches", n=len(hits), m=len(others)))
    table.add_column(tr("id"), max_width=24, overflow="fold")
    table.add_column(tr("title") + " / " + tr("why"), min_width=30, ratio=1)
    table.add_column(tr("predicate"), no_wrap=True)
    table.add_column(tr("confidence"), justify="right", no_wrap=True)
    table.add_column(tr("hops"), justify="right", no_wrap=True)
    for h in hits:
        last = h["path"][-1] if h["path"] else {}
        comment = (last.get("comment_zh") if STATE.lang == "zh" else None) or last.get("comment", "")
        why = tr("via", p=h["via_principle"]) if h["via_principle"] else comment
        cell = Text(txt(h["title"]))
        cell.append("\n" + why, style="dim")
        table.add_row(h["qid"], cell, h["predicate"], f"{h['confidence']:.2f}", str(h["hops"]))
    console.print(table)


@app.command("principles")
@guarded
def principles(as_json: bool = JSON_OPT) -> None:
    """The shared principle vocabulary."""
    rows = _service().principles()
    if as_json:
        emit_json(rows)
        return
    table = Table(title=tr("principle"))
    table.add_column(tr("id"))
    table.add_column(tr("title"))
    for r in rows:
        table.add_row(r["id"], txt(r["title"]))
    console.print(table)


@app.command("validate")
@guarded
def validate(
    data_dir: Optional[Path] = typer.Argument(None, help="Catalog data directory (default: the bundled catalog)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Validate catalog files: schema, duplicate ids, parents, principle and mapping references."""
    from ..catalog.loader import DATA_DIR, load_catalog

    cat = load_catalog(data_dir or DATA_DIR)
    counts = dict(i=len(cat.instruments), p=len(cat.provisions), pr=len(cat.principles), m=len(cat.mappings))
    if as_json:
        emit_json({"valid": True, "instruments": counts["i"], "provisions": counts["p"], "principles": counts["pr"], "mappings": counts["m"]})
    else:
        console.print(tr("valid_catalog", **counts))


@app.command("changes")
@guarded
def changes(
    since: str = typer.Option(..., "--since", help="List changes after this date (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", help="Up to this date (default: today)."),
    as_json: bool = JSON_OPT,
) -> None:
    """What changed in the catalog and the rule packs since a date, and which systems' stored classification changed."""
    from ..monitor.changes import catalog_changes

    res = catalog_changes(since, until, db=STATE.db())
    if as_json:
        emit_json(res)
        return
    if not res["changes"]:
        console.print(tr("mon_no_changes", since=res["since"]))
        return
    table = Table(title=tr("mon_changes_title", since=res["since"]))
    for col in ("mon_date", "mon_kind", "id", "mon_what"):
        table.add_column(tr(col), overflow="fold")
    for c in res["changes"]:
        what = txt(c["title"]) + ("" if c.get("verified", True) else f" [yellow]({tr('mon_unverified')})[/]")
        table.add_row(c["date"], tr(f"mon_k_{c['kind']}") if c["kind"] != "provision" else tr("provisions"), c["id"], what)
    console.print(table)


@app.command("export")
@guarded
def export(
    out: Path = typer.Option(..., "--out", help="Directory to write into."),
    fmt: str = typer.Option("json", "--format", help="json (every instrument), oscal (control catalogs) or schema (JSON Schemas)."),
    instrument: Optional[str] = typer.Option(None, "--instrument", help="Comma-separated instrument ids (default: all that the format supports)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Export instruments as JSON, control catalogs as OSCAL, or the file schemas as JSON Schema."""
    from ..catalog import export as exporter

    written = exporter.export(fmt, out, split_csv(instrument))
    if as_json:
        emit_json({"written": [str(p) for p in written]})
        return
    for p in written:
        console.print(tr("wrote", path=p), highlight=False)


@sssom_app.command("export")
@guarded
def sssom_export(
    out: Optional[Path] = typer.Option(None, "--out", help="File to write (default: standard output)."),
    principles: bool = typer.Option(True, "--principles/--no-principles", help="Include provision→principle mappings."),
) -> None:
    """Write all mappings as one SSSOM TSV."""
    from ..catalog.loader import default_catalog
    from ..catalog.sssom import to_sssom_tsv

    tsv = to_sssom_tsv(default_catalog(), include_principles=principles)
    if out is None:
        typer.echo(tsv, nl=False)
    else:
        out.write_text(tsv, encoding="utf-8")
        console.print(tr("wrote", path=out), highlight=False)


@sssom_app.command("import")
@guarded
def sssom_import(
    tsv: Path = typer.Argument(..., help="SSSOM TSV file to import."),
    out: Path = typer.Option(..., "--out", help="Mapping YAML file to write (e.g. into the catalog's mappings/ folder)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Validate an SSSOM TSV against the catalog and convert it to a mapping file."""
    from ..catalog.loader import default_catalog
    from ..catalog.sssom import import_sssom

    n = import_sssom(tsv, out, default_catalog())
    if as_json:
        emit_json({"imported": n, "file": str(out)})
    else:
        console.print(tr("imported", n=n, path=out), highlight=False)
