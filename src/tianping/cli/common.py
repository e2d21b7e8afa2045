"""Shared CLI state and output helpers: `--db`, `--lang`, JSON mode and error handling."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

from ..errors import TianpingError
from ..i18n import available_languages, current_lang, lang_text, normalize_lang, set_lang, t

# a decorated command keeps its signature (Typer reads it through functools.wraps)
P = ParamSpec("P")
R = TypeVar("R")


class _EnvironAsAtImport(Mapping[str, str]):
    """The environment a console reads: while the console is made, as it was when this module was imported (Rich
    fixes its colours and terminal settings then, as when the consoles were made at import) but without COLUMNS
    and LINES; afterwards the live environment. So Rich reads COLUMNS and LINES at each print instead of fixing
    them once: the same in a one-command process, and each call of the app in a process that calls it many
    times (tests, a program embedding the CLI) gets the width its own environment asks for."""

    def __init__(self) -> None:
        self.snapshot: Mapping[str, str] | None = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}

    def _env(self) -> Mapping[str, str]:
        return os.environ if self.snapshot is None else self.snapshot

    def __getitem__(self, key: str) -> str:
        return self._env()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._env())

    def __len__(self) -> int:
        return len(self._env())


class _ConsoleOnFirstUse:
    """A Rich console made when a command first prints through it.

    Why: importing Rich's console and making one took ~18 ms of every command, even of those whose whole
    output is a JSON document (`--json`) written straight to stdout. Every attribute is the real console's;
    it is made with the environment of import time (`_EnvironAsAtImport`).
    """

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None
        self._environ = _EnvironAsAtImport()

    @property
    def real(self) -> Console:
        """The console itself (for Rich objects that take one: `Progress(console=…)`)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, _environ=self._environ)
            self._environ.snapshot = None
        return self._console

    def might_be_terminal(self) -> bool:
        """False only when Rich's `is_terminal` would be False too, found without making the console: no
        TTY_COMPATIBLE=1, no FORCE_COLOR, not inside IPython, and the stream is not a terminal."""
        if os.environ.get("TTY_COMPATIBLE") == "1" or os.environ.get("FORCE_COLOR") or "IPython" in sys.modules:
            return True
        stream = sys.stderr if self._stderr else sys.stdout
        try:
            return bool(stream.isatty())
        except (AttributeError, ValueError):  # no isatty, or a closed stream: Rich answers False then too
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


console = cast("Console", _ConsoleOnFirstUse(stderr=False))
err_console = cast("Console", _ConsoleOnFirstUse(stderr=True))


def new_table(title: str | None = None, caption: str | None = None) -> Table:
    """A Rich table; Rich's table module is imported only by output that draws one (a `--json` run never does)."""
    from rich.table import Table

    return Table(title=title, caption=caption)


def real_console(c: Console) -> Console:
    """The Rich console behind `console` or `err_console` (made now if it was not yet)."""
    return c.real if isinstance(c, _ConsoleOnFirstUse) else c


def might_be_terminal(c: Console) -> bool:
    """Whether `c` may write to a terminal; False is certain, and the console is not made to find it."""
    return c.might_be_terminal() if isinstance(c, _ConsoleOnFirstUse) else bool(c.is_terminal)


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
        raise typer.BadParameter(
            t("cli.bad_lang", current_lang(), code=lang, langs=", ".join(available_languages())), param_hint="'--lang'"
        )
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


def fail(exc: TianpingError, as_json: bool = False) -> NoReturn:
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


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn TianpingError into a clear message and exit code 2 (JSON error body with --json)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
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
            raise typer.Exit(code=1) from None

    return wrapper


def check_new_dir(path: Any, option: str) -> None:
    """Refuse an output directory before any work: it must not be a non-empty directory or a file,
    and its parent must exist and be writable (else exit 2 naming the path). See tianping.outputs."""
    from ..outputs import check_dir

    check_dir(path, option)


def check_out_file(path: Any, option: str) -> None:
    """Refuse an output file before any work (a directory, a missing or read-only parent: exit 2 naming it)."""
    from ..outputs import check_file

    check_file(path, option)


# --- interruption (SIGINT / SIGTERM) in long commands ---------------------------------------------
def _on_signal(signum: int, frame: Any) -> None:
    """SIGTERM behaves like Ctrl-C in the main thread: where an asyncio runner has its own SIGINT
    handler (cancel the main task, then KeyboardInterrupt), that handler is used, so work stops at an
    await and no store write is cut in half; otherwise KeyboardInterrupt is raised here. The signal is
    noted first (tianping.interrupts), so a raise the interpreter swallows is delivered again."""
    import signal

    from .. import interrupts

    interrupts.note(signum)
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler) and handler is not signal.default_int_handler:
        handler(signal.SIGINT, frame)
        return
    raise KeyboardInterrupt


class interruptible:
    """`with interruptible():` around a long command: SIGTERM (kill, systemd, a container stop) raises
    KeyboardInterrupt in the main thread like Ctrl-C, so the command marks its run interrupted, says how
    to resume and exits with `interrupt_exit_code()`. A KeyboardInterrupt raised inside a finaliser (which
    Python would print and ignore) is kept pending and delivered again. Previous handlers are put back after."""

    def __enter__(self) -> interruptible:
        import signal
        import threading

        from .. import interrupts

        self._old: Any = None
        self._guard: Any = None
        interrupts.reset()
        if threading.current_thread() is threading.main_thread():
            # SIGINT keeps Python's own handler: asyncio.run installs its cancel-the-task handler only
            # over that one, and a KeyboardInterrupt raised inside an event-loop callback would be fatal
            self._old = signal.signal(signal.SIGTERM, _on_signal)
            self._guard = interrupts.unraisable_guard().__enter__()
        return self

    def __exit__(self, exc_type: Any, *exc: object) -> None:
        import signal

        from .. import interrupts

        if self._guard is not None:
            self._guard.__exit__()
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
        if exc_type is None:
            interrupts.check()  # a swallowed interrupt not yet re-delivered: the command still stops
        else:
            interrupts.acted_on()


def interrupt_exit_code() -> int:
    """The shell's convention: 128 + the signal number — 130 after Ctrl-C (SIGINT), 143 after SIGTERM."""
    import signal

    from .. import interrupts

    return 128 + (interrupts.last_signal() or int(signal.SIGINT))


def tr_default(key: str, default: str, **kw: object) -> str:
    """`tr(key)` where the catalogs have the key, else the English `default` (formatted with kw)."""
    from ..i18n import has_message

    if has_message(key, STATE.lang) or has_message(key, "en"):
        return tr(key, **kw)
    return default.format(**kw)


def on_interrupt(message: Callable[[dict[str, Any]], str]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a long command: Ctrl-C or SIGTERM anywhere in it prints `message(options)` on stderr
    (one line, no traceback) and exits 130 / 143. Inner handlers that know more (a run id) go first."""
    import functools

    def deco(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                with interruptible():
                    return func(*args, **kwargs)
            except KeyboardInterrupt:
                err_console.print(message(kwargs), highlight=False, soft_wrap=True)
                raise typer.Exit(code=interrupt_exit_code()) from None

        return wrapper

    return deco
