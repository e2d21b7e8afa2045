"""The main job on the embedded defaults: the whole pipeline, end to end.

Load the catalog and show a crosswalk; register the bundled example systems and classify each
under every rule pack; then (unless --quick) test two of them — a credit model with the tabular
tests, a chatbot with TC260-003 samples on the bundled local model — assess them and write
signed report bundles, and print where they are.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..catalog.service import CatalogService
from . import catalog as catalog_cmd
from .common import STATE, console, emit_json, guarded, on_interrupt, tr, tr_default

DEMO_PROVISION = "eu-ai-act:art-15"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "systems"


def _examples() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml")) if EXAMPLES.is_dir() else []


def _interrupted(_options: dict) -> str:
    return tr_default(
        "demo_interrupted",
        "Interrupted: the demo stopped before it finished; reports are written only when "
        "complete. Run `tianping demo` again (or `tianping demo --quick` for classification only).",
    )


@guarded
@on_interrupt(_interrupted)  # Ctrl-C or SIGTERM: a clear message, exit 130 / 143
def demo(
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON only."),
    quick: bool = typer.Option(False, "--quick", help="Stop after classification (no tests, no reports)."),
    samples: int = typer.Option(12, "--samples", min=1, help="Generative test samples to run on the local model."),
) -> None:
    """Run the main job on the bundled defaults (SQLite, bundled catalog, sample systems, small local model)."""
    from ..registry.service import RegistryService, load_profile_file
    from ..rules.engine import classify

    db = STATE.db()
    svc = CatalogService(db)
    reg = RegistryService(db)
    systems = [load_profile_file(p) for p in _examples()]
    for s in systems:
        reg.register(s)
    results = {s.id: [r for r in classify(s) if r.applies != "no"] for s in systems}
    job = None
    if not quick:
        from ..pipeline import run_main_job

        job = run_main_job(
            db,
            genai_limit=samples,
            say=(lambda m: None) if as_json else (lambda m: console.print(f"[dim]→ {m}[/]", highlight=False)),
        )
    if as_json:
        emit_json(
            {
                "database": db.engine.url.render_as_string(hide_password=True),
                "instruments": svc.list_instruments(),
                "crosswalk": svc.crosswalk(DEMO_PROVISION),
                "classifications": {sid: [r.as_dict() for r in rs] for sid, rs in results.items()},
                "pipeline": job.__dict__ if job else None,
            }
        )
        return
    console.print(f"[bold]{tr('demo_intro')}[/]")
    console.print(tr("loading_catalog", db=db.engine.url.render_as_string(hide_password=True)), highlight=False)
    catalog_cmd.list_(as_json=False)
    catalog_cmd.crosswalk(DEMO_PROVISION, to=None, via_principles=False, hops=1, as_json=False)
    if systems:
        juris = sorted({r.jurisdiction for rs in results.values() for r in rs})
        table = Table(title=tr("demo_systems", n=len(systems)))
        table.add_column(tr("id"), overflow="fold")
        for j in juris:
            table.add_column(j, overflow="fold")
        for sid, rs in results.items():
            by_j = {r.jurisdiction: r for r in rs}
            cells = []
            for j in juris:
                r = by_j.get(j)
                cells.append("" if r is None else f"{r.tier} ({len(r.obligations)})")
            table.add_row(sid, *cells)
        console.print(table)
    if job:
        for sid, path in job.bundles.items():
            totals = ", ".join(f"{k} {v}" for k, v in job.totals[sid].items() if v)
            console.print(tr("demo_report", id=sid, run=job.runs[sid][:8], path=path, totals=totals), highlight=False)
    console.print(tr("demo_next"), highlight=False)
