"""Entry point of the `tianping` command."""

from __future__ import annotations

import importlib

from . import startup

startup.apply()  # before Typer, Rich and pydantic are imported (cli/startup.py)

import typer  # noqa: E402
from typer.core import TyperGroup, TyperOption  # noqa: E402

from .. import __version__  # noqa: E402
from ..errors import TianpingError  # noqa: E402
from .common import fail, set_globals  # noqa: E402

# Command name -> (module under tianping.cli, attribute, kind). Modules are imported only when
# their command runs (or help lists them): importing every command module eagerly cost ~0.3 s
# of start-up on each call (SQLAlchemy, the catalog service, pandas…), paid even by `--version`.
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "catalog": ("catalog", "app", "group"),
    "db": ("db", "app", "group"),
    "eval": ("eval", "app", "group"),
    "evidence": ("evidence", "app", "group"),
    "demo": ("demo", "demo", "command"),
    "register": ("registry", "register", "command"),
    "classify": ("registry", "classify", "command"),
    "obligations": ("registry", "obligations", "command"),
    "systems": ("registry", "systems_app_with_export", "group"),
    "keys": ("keys", "app", "group"),
    "label": ("provenance", "label_app", "group"),
    "watermark": ("provenance", "watermark_app", "group"),
    "test": ("test_tabular", "app", "group"),
    "divide": ("observatory", "app", "group"),
    "incidents": ("observatory", "incidents_app", "group"),
    "audit": ("audit", "app", "group"),
    "plan": ("assessment", "plan", "command"),
    "assess": ("assessment", "assess", "command"),
    "verify": ("assessment", "verify", "command"),
    "checklist": ("assessment", "checklist_app", "group"),
    "serve": ("serve", "serve", "command"),
    "monitor": ("monitor", "monitor", "command"),
    "users": ("serve", "users_app", "group"),
}


def load_command(name: str):
    """Build the click command for one entry of LAZY_COMMANDS (imports its module)."""
    module_name, attr, kind = LAZY_COMMANDS[name]
    target = getattr(importlib.import_module(f"{__package__}.{module_name}"), attr)
    if kind == "group":
        group = typer.main.get_group(target)
        group.name = name
        return group
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    holder.command(name)(target)
    command = typer.main.get_command(holder)
    command.name = name
    return command


def _lang_in(args: list[str]) -> str | None:
    """The value of a top-level `--lang` among the arguments (before the command name), if any."""
    for i, a in enumerate(args):
        if a == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
        if a in LAZY_COMMANDS:
            break
    return None


class LazyGroup(TyperGroup):
    def parse_args(self, ctx, args: list[str]) -> list[str]:
        # --help is eager: translate the help texts before Click parses (and maybe prints) anything
        from ..i18n import available_languages, current_lang, normalize_lang, t

        lang = normalize_lang(_lang_in(args)) or current_lang()
        # help screens in `lang` (cli/helptext.py); only when a help screen may be printed, so that
        # other calls import neither Typer's rich formatting (~60 ms) nor the help translations
        self._help_lang = lang if (not args or "--help" in args) else None
        if self._help_lang is not None:
            from .helptext import translate

            translate(self, lang, recurse=False)  # the top level's own --help option and Typer's panel titles
        self.help = t("cli.help.app", lang)
        for p in self.params:
            if isinstance(p, TyperOption) and p.name in ("db", "lang", "version"):  # all three are options
                p.help = t(f"cli.help.{p.name}", lang, langs=", ".join(available_languages()))
        return super().parse_args(ctx, args)

    def list_commands(self, ctx) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            self.commands[cmd_name] = load_command(cmd_name)
        command = super().get_command(ctx, cmd_name)
        lang = getattr(self, "_help_lang", None)
        if command is not None and lang is not None:
            from .helptext import translate

            # the listing shows the summary `cli.cmd.<name>`; the command's own --help, its
            # subcommands', options' and arguments' help are the catalogs' `cli.h.*` (cli/helptext.py)
            translate(command, lang, summary=f"cli.cmd.{cmd_name}")
        return command

    def resolve_command(self, ctx, args):
        if args and args[0] not in LAZY_COMMANDS and args[0] not in self.commands:
            # unknown name: load everything so the "did you mean" suggestion sees every command
            for name in LAZY_COMMANDS:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="tianping",
    help="Tianping (天平): interoperable AI governance — register, classify, plan, test, assess, report, monitor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main(
    db: str | None = typer.Option(
        None,
        "--db",
        help="Database URL or SQLite file path (default: TIANPING_DB_URL, else a SQLite file in the user data directory).",
    ),
    lang: str | None = typer.Option(None, "--lang", help="Language of messages (default: TIANPING_LANG or the locale)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    set_globals(db, lang)


def run() -> None:  # pragma: no cover - exercised through the console script
    try:
        app()
    except TianpingError as exc:
        fail(exc)
    finally:
        startup.skip_collection_at_exit()
