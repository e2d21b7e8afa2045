"""`tianping db …`: database maintenance."""

from __future__ import annotations

import typer
from sqlalchemy import text

from .common import STATE, console, emit_json, guarded, tr

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@app.command("upgrade")
@guarded
def upgrade(as_json: bool = typer.Option(False, "--json")) -> None:
    """Create or migrate the database schema to the newest revision."""
    db = STATE.db()
    with db.engine.connect() as conn:
        rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    url = db.engine.url.render_as_string(hide_password=True)
    if as_json:
        emit_json({"url": url, "revision": rev, "dialect": db.dialect})
    else:
        console.print(tr("db_ready", url=url, rev=rev), highlight=False)
