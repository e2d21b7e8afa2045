"""`tianping catalog …`: browse, search and crosswalk the governance catalog; import/export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import TianpingError
from .common import STATE, console, emit_json, guarded, new_table, split_csv, tr, txt

app = typer.Typer(help="The governance catalog: instruments, provisions, principles, crosswalk.", no_args_is_help=True)
sssom_app = typer.Typer(help="Import and export mappings as SSSOM TSV.", no_args_is_help=True)
app.add_typer(sssom_app, name="sssom")

JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")
DEFAULT_MIN_CONFIDENCE = 0.6  # the crosswalk query's confidence floor (issue 15)


def _service():
    from ..catalog.service import CatalogService  # SQLAlchemy: imported by the commands that use the database only

    return CatalogService(STATE.db())


def _catalog() -> Any:
    """What answers the browse commands: the sqlite3 reader of a current SQLite catalog copy (no SQLAlchemy,
    ~0.1 s less start-up; catalog/reader.py), else the service (which syncs the copy first when needed)."""
    from ..catalog.reader import SqliteCatalogReader
    from ..config import database_url

    reader = SqliteCatalogReader.open(database_url(STATE.db_url), _service)
    return reader if reader is not None else _service()


@app.command("list")
@guarded
def list_(as_json: bool = JSON_OPT) -> None:
    """List instruments with id, title, kind, jurisdiction and provision count."""
    rows = _catalog().list_instruments()
    if as_json:
        emit_json(rows)
        return
    table = new_table(title=tr("catalog_title"))
    for col in ("id", "title", "kind", "jurisdiction", "provisions"):
        table.add_column(tr(col), overflow="fold", justify="right" if col == "provisions" else "left")
    for r in rows:
        table.add_row(r["id"], txt(r["title"]), r["kind"], r["jurisdiction"], str(r["provision_count"]))
    console.print(table)


@app.command("show")
@guarded
def show(
    instrument_id: str = typer.Argument(..., help="Instrument id, e.g. eu-ai-act."),
    kind: str | None = typer.Option(None, "--kind", help="Only provisions of this kind (e.g. subcategory, control, risk)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Show one instrument and its provisions."""
    inst = _catalog().show_instrument(instrument_id, kind)
    if as_json:
        emit_json(inst)
        return
    console.print(f"[bold]{txt(inst['title'])}[/]  ({inst['id']}, {inst['kind']}, {inst['jurisdiction']})")
    console.print(txt(inst.get("summary")), highlight=False)
    table = new_table()
    for col in ("id", "number", "kind", "title", "verified"):
        table.add_column(tr(col), overflow="fold")
    for p in inst["provisions"]:
        table.add_row(p["id"], p.get("number") or "", p["kind"], txt(p["title"]), "" if p.get("verified", True) else "✗")
    console.print(table)


@app.command("search")
@guarded
def search(
    text: str = typer.Argument(..., help="Words to find, in Chinese or English."),
    lang: str | None = typer.Option(None, "--lang", help="Match only the zh or en text."),
    instrument: str | None = typer.Option(None, "--instrument", help="Comma-separated instrument ids to search within."),
    limit: int = typer.Option(20, "--limit", min=1, max=500),
    as_json: bool = JSON_OPT,
) -> None:
    """Full-text search over provision titles and summaries (Chinese and English)."""
    hits = _catalog().search(text, lang=lang, limit=limit, instruments=split_csv(instrument))
    if as_json:
        emit_json([h.__dict__ for h in hits])
        return
    if not hits:
        console.print(tr("no_results"))
        return
    table = new_table(title=tr("search_title", q=text))
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
    to: str | None = typer.Option(None, "--to", help="Comma-separated instrument ids to keep."),
    via_principles: bool = typer.Option(False, "--via-principles", help="Also follow shared principles (confidence 0.5)."),
    hops: int = typer.Option(2, "--hops", min=1, max=5, help="Longest chain of mappings to follow."),
    as_json: bool = JSON_OPT,
    min_confidence: Annotated[
        float | None,
        typer.Option(
            "--min-confidence",
            min=0.0,
            max=1.0,
            help="Drop paths whose confidence (product of the hop confidences) is below this floor "
            "[default: 0.6; 0.5 with --via-principles].",
        ),
    ] = None,
) -> None:
    """Provisions of other instruments that correspond to one provision, ranked by path confidence,
    each hop shown with its own predicate, confidence and justification."""
    from ..catalog.reader import hit_dict

    floor = min_confidence if min_confidence is not None else (0.5 if via_principles else DEFAULT_MIN_CONFIDENCE)
    svc = _catalog()
    svc.provision(provision_id)  # a clear error for an unknown id
    targets = split_csv(to)
    known = {i["id"] for i in svc.list_instruments()}
    for t in targets or []:
        if t not in known:
            raise TianpingError(f"unknown instrument id '{t}' in --to", title="bad option")
    source_inst = provision_id.split(":", 1)[0]
    raw = svc.graph().walk(
        provision_id,
        max_hops=hops,
        via_principles=via_principles,
        to=set(targets) if targets else None,
        min_confidence=floor,
        ranked=True,
        other_instruments_only=source_inst not in (targets or []),
    )
    titles = svc.titles([h.qid for h in raw] + [s.target for h in raw for s in h.path if ":" in s.target])
    hits = [hit_dict(h, titles.get(h.qid)) for h in raw]
    for rank, h in enumerate(hits, start=1):
        h["rank"] = rank
    if as_json:
        emit_json(
            {
                "provision": svc.provision(provision_id),
                "min_confidence": floor,
                "max_hops": hops,
                "ranking": "path confidence (product of hop confidences), then hops",
                "mappings": hits,
            }
        )
        return
    zh = STATE.lang == "zh"  # the mappings' comments exist in English and Chinese (comment, comment_zh)
    others = {h["instrument_id"] for h in hits} - {source_inst}
    caption = tr("reaches", n=len(hits), m=len(others)) + tr("catalog.crosswalk_floor", floor=f"{floor:.2f}")
    from rich.text import Text  # only for output that draws the table (not --json)

    table = new_table(title=tr("crosswalk_title", qid=provision_id), caption=caption)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column(tr("id"), max_width=24, overflow="fold")
    table.add_column(tr("title") + " / " + tr("why"), min_width=30, ratio=1)
    table.add_column(tr("predicate"), no_wrap=True)
    table.add_column(tr("confidence"), justify="right", no_wrap=True)
    table.add_column(tr("hops"), justify="right", no_wrap=True)
    for h in hits:
        cell = Text(txt(h["title"]))
        for step in h["path"]:
            comment = (step.get("comment_zh") if zh else None) or step.get("comment", "")
            if h["via_principle"]:
                comment = tr("via", p=h["via_principle"])
            cell.append(f"\n  {step['source']} → {step['target']}  [{step['predicate']} {step['confidence']:.2f}] ", style="cyan")
            cell.append(comment, style="dim")
            if h["via_principle"]:
                break
        table.add_row(str(h["rank"]), h["qid"], cell, h["predicate"], f"{h['confidence']:.2f}", str(h["hops"]))
    console.print(table)


@app.command("principles")
@guarded
def principles(as_json: bool = JSON_OPT) -> None:
    """The shared principle vocabulary."""
    rows = _catalog().principles()
    if as_json:
        emit_json(rows)
        return
    table = new_table(title=tr("principle"))
    table.add_column(tr("id"))
    table.add_column(tr("title"))
    for r in rows:
        table.add_row(r["id"], txt(r["title"]))
    console.print(table)


@app.command("validate")
@guarded
def validate(
    data_dir: Path | None = typer.Argument(None, help="Catalog data directory (default: the bundled catalog)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Validate catalog files: schema, duplicate ids, parents, principle and mapping references; completeness
    (every instrument in the crosswalk, every mapped id present, every `verified: false` item with a note).
    Also reports crosswalk coverage of binding instruments (warning under 60 %)."""
    from ..catalog.coverage import TARGET, coverage_report
    from ..catalog.loader import DATA_DIR
    from ..catalog.validate import validate_catalog

    cat = validate_catalog(data_dir or DATA_DIR)
    counts = dict(i=len(cat.instruments), p=len(cat.provisions), pr=len(cat.principles), m=len(cat.mappings))
    cov = coverage_report(cat)
    if as_json:
        emit_json(
            {
                "valid": True,
                "instruments": counts["i"],
                "provisions": counts["p"],
                "principles": counts["pr"],
                "mappings": counts["m"],
                "coverage_target": TARGET,
                "coverage": [{k: v for k, v in c.as_dict().items() if k != "unmapped"} for c in cov],
            }
        )
    else:
        console.print(tr("valid_catalog", **counts))
        for c in cov:
            if c.ratio < TARGET:
                console.print(
                    f"[yellow]warning[/]: {c.instrument_id} crosswalk coverage {100 * c.ratio:.1f}% "
                    f"({c.mapped}/{c.total} requirement provisions; target {100 * TARGET:.0f}%)",
                    highlight=False,
                )


@app.command("coverage")
@guarded
def coverage_cmd(
    all_: bool = typer.Option(False, "--all", help="Every instrument, not only binding ones."),
    min_confidence: float = typer.Option(
        0.0, "--min-confidence", min=0.0, max=1.0, help="Count only mappings at least this confident."
    ),
    unmapped: bool = typer.Option(False, "--unmapped", help="List the requirement provisions without a mapping."),
    as_json: bool = JSON_OPT,
) -> None:
    """Crosswalk coverage: share of each instrument's requirement provisions mapped to another instrument."""
    from ..catalog.coverage import TARGET, coverage_report
    from ..catalog.loader import default_catalog

    cov = coverage_report(default_catalog(), binding_only=not all_, min_confidence=min_confidence)
    if as_json:
        emit_json({"target": TARGET, "min_confidence": min_confidence, "instruments": [c.as_dict() for c in cov]})
        return
    table = new_table(title=tr("catalog.coverage_title"))
    for col in ("id", "kind", "mapped", "requirement provisions", "coverage"):
        table.add_column(col, justify="left" if col in ("id", "kind") else "right")
    if unmapped:
        table.add_column("unmapped", overflow="fold")
    for c in cov:
        pct = f"{100 * c.ratio:.1f}%"
        row = [c.instrument_id, c.kind, str(c.mapped), str(c.total), pct if c.ratio >= TARGET else f"[yellow]{pct}[/]"]
        if unmapped:
            row.append(", ".join(c.unmapped))
        table.add_row(*row)
    console.print(table)


@app.command("changes")
@guarded
def changes(
    since: str = typer.Option(..., "--since", help="List changes after this date (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Up to this date (default: today)."),
    as_json: bool = JSON_OPT,
) -> None:
    """What changed in the catalog and the rule packs since a date, and which systems' stored classification changed."""
    from ..config import database_url
    from ..monitor.changes import catalog_changes, open_snapshots_sqlite

    snapshots = open_snapshots_sqlite(database_url(STATE.db_url))  # no SQLAlchemy when the store is a SQLite file
    res = catalog_changes(since, until, db=snapshots if snapshots is not None else STATE.db())
    if as_json:
        emit_json(res)
        return
    if not res["changes"]:
        console.print(tr("mon_no_changes", since=res["since"]))
        return
    table = new_table(title=tr("mon_changes_title", since=res["since"]))
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
    fmt: str = typer.Option(
        "json", "--format", help="json (every instrument), oscal (control catalogs) or schema (JSON Schemas)."
    ),
    instrument: str | None = typer.Option(
        None, "--instrument", help="Comma-separated instrument ids (default: all that the format supports)."
    ),
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
    out: Path | None = typer.Option(None, "--out", help="File to write (default: standard output)."),
    principles: bool = typer.Option(True, "--principles/--no-principles", help="Include provision→principle mappings."),
) -> None:
    """Write all mappings as one SSSOM TSV."""
    from ..catalog.loader import default_catalog
    from ..catalog.sssom import to_sssom_tsv
    from ..outputs import check_file, write_text

    if out is not None:
        check_file(out, "--out")
    tsv = to_sssom_tsv(default_catalog(), include_principles=principles)
    if out is None:
        typer.echo(tsv, nl=False)
    else:
        write_text(out, tsv, "--out")
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
