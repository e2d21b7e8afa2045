"""Shared CLI state and output helpers: `--db`, `--lang`, JSON mode and error handling."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console

from ..errors import TianpingError
from ..i18n import available_languages, current_lang, lang_text, normalize_lang, set_lang, t

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
err_console = Console(stderr=True)


@dataclass
class State:
    db_url: str | None = None
    lang: str = "en"
    _db: Any = field(default=None, repr=False)

    def db(self):
        if self._db is None:
            from ..store import open_database

            self._db = open_database(self.db_url)
        return self._db


STATE = State()


def check_lang(lang: str | None) -> str | None:
    """`--lang`: any language with a catalog under tianping/locale (aliases such as zh-Hans, tl, vi-VN too)."""
    if lang is None:
        return None
    norm = normalize_lang(lang)
    if norm is None:
        raise typer.BadParameter(t("cli.bad_lang", current_lang(), code=lang, langs=", ".join(available_languages())), param_hint="'--lang'")
    return norm


def set_globals(db: str | None, lang: str | None) -> None:
    STATE.db_url = db
    STATE.lang = current_lang(check_lang(lang))
    set_lang(STATE.lang if lang else None)
    STATE._db = None


def tr(key: str, **kw: object) -> str:
    return t(key, STATE.lang, **kw)


def txt(d: dict | None) -> str:
    """A text from a language map ({"en": ..., "zh": ..., "th": ...}) in the interface language, English as fallback."""
    return lang_text(d, STATE.lang)


def emit_json(data: Any) -> None:
    """Machine-readable output: JSON only on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")


def fail(exc: TianpingError, as_json: bool = False) -> None:
    if as_json:
        sys.stdout.write(json.dumps({"error": exc.as_dict()}, ensure_ascii=False, indent=2) + "\n")
    err_console.print(f"[bold red]{tr('error')}:[/] {exc.title}", highlight=False)
    for p in exc.problems:  # soft_wrap: never break a "file:line" location across lines
        err_console.print(f"  {p.render()}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=2)


def split_csv(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def guarded(func: F) -> F:
    """Turn TianpingError into a clear message and exit code 2 (JSON error body with --json)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TianpingError as exc:
            fail(exc, bool(kwargs.get("as_json")))
        except Exception as exc:
            # Only a command that used the database can raise SQLAlchemy's errors, so look the module
            # up instead of importing it (importing SQLAlchemy costs ~0.1-0.4 s on every command).
            sa_exc = sys.modules.get("sqlalchemy.exc")
            if sa_exc is None or not isinstance(exc, sa_exc.SQLAlchemyError):
                raise
            # not the user's input, but still no traceback: say what failed (TIANPING_DEBUG=1 re-raises)
            import os

            if os.environ.get("TIANPING_DEBUG"):
                raise
            err_console.print(f"[bold red]{tr('error')}:[/] database: {getattr(exc, 'orig', None) or exc}", highlight=False)
            raise typer.Exit(code=1)

    return wrapper  # type: ignore[return-value]


def check_new_dir(path: Any, option: str) -> None:
    """Refuse an output directory before any work: it must not be a non-empty directory or a file,
    and its parent must exist and be writable (else exit 2 naming the path). See tianping.outputs."""
    from ..outputs import check_dir

    check_dir(path, option)


def check_out_file(path: Any, option: str) -> None:
    """Refuse an output file before any work (a directory, a missing or read-only parent: exit 2 naming it)."""
    from ..outputs import check_file

    check_file(path, option)
