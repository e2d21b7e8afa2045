"""Entry point of the `tianping` command."""

from __future__ import annotations

from typing import Optional

import typer

from .. import __version__
from ..errors import TianpingError
from . import catalog as catalog_cmd
from . import db as db_cmd
from . import demo as demo_cmd
from . import eval as eval_cmd
from . import assessment as assessment_cmd
from . import audit as audit_cmd
from . import keys as keys_cmd
from . import observatory as observatory_cmd
from . import provenance as provenance_cmd
from . import registry as registry_cmd
from . import serve as serve_cmd
from . import test_tabular as test_tabular_cmd
from .common import fail, set_globals

app = typer.Typer(
    name="tianping",
    help="Tianping (天平): interoperable AI governance — register, classify, plan, test, assess, report, monitor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(catalog_cmd.app, name="catalog")
app.add_typer(db_cmd.app, name="db")
app.add_typer(eval_cmd.app, name="eval")
app.command("demo")(demo_cmd.demo)
app.command("register")(registry_cmd.register)
app.command("classify")(registry_cmd.classify)
app.command("obligations")(registry_cmd.obligations)
app.add_typer(registry_cmd.systems_app, name="systems")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(provenance_cmd.label_app, name="label")
app.add_typer(provenance_cmd.watermark_app, name="watermark")
app.add_typer(test_tabular_cmd.app, name="test")
app.add_typer(observatory_cmd.app, name="divide")
app.add_typer(observatory_cmd.incidents_app, name="incidents")
app.add_typer(audit_cmd.app, name="audit")
app.command("plan")(assessment_cmd.plan)
app.command("assess")(assessment_cmd.assess)
app.command("verify")(assessment_cmd.verify)
app.add_typer(assessment_cmd.checklist_app, name="checklist")
app.command("serve")(serve_cmd.serve)
app.add_typer(serve_cmd.users_app, name="users")


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main(
    db: Optional[str] = typer.Option(None, "--db", help="Database URL or SQLite file path (default: TIANPING_DB_URL, else a SQLite file in the user data directory)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of messages: en or zh (default: TIANPING_LANG or the locale)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    set_globals(db, lang)


def run() -> None:  # pragma: no cover - exercised through the console script
    try:
        app()
    except TianpingError as exc:
        fail(exc)
