"""The main job on the embedded defaults. It grows with the pipeline; today: catalog + crosswalk."""

from __future__ import annotations

import typer

from ..catalog.service import CatalogService
from .common import STATE, console, emit_json, guarded, tr
from . import catalog as catalog_cmd

DEMO_PROVISION = "eu-ai-act:art-15"


@guarded
def demo(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON only.")) -> None:
    """Run the main job on the bundled defaults (SQLite, bundled catalog)."""
    db = STATE.db()
    svc = CatalogService(db)
    if as_json:
        emit_json({"database": db.engine.url.render_as_string(hide_password=True),
                   "instruments": svc.list_instruments(),
                   "crosswalk": svc.crosswalk(DEMO_PROVISION, via_principles=False)})
        return
    console.print(f"[bold]{tr('demo_intro')}[/]")
    console.print(tr("loading_catalog", db=db.engine.url.render_as_string(hide_password=True)), highlight=False)
    catalog_cmd.list_(as_json=False)
    catalog_cmd.crosswalk(DEMO_PROVISION, to=None, via_principles=False, hops=2, as_json=False)
