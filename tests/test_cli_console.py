"""The CLI's Rich consoles are made on first use (cli/common.py): what they print is what consoles made at
import printed, each call of the app gets the width its environment asks for, and the cheap terminal check
never says "no" where Rich would say "yes"."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from tianping.cli import common
from tianping.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"
runner = CliRunner()


def _longest_line(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_each_call_gets_the_width_its_environment_asks_for(tmp_path):
    db = ["--db", str(tmp_path / "t.db")]
    widths = {}
    for cols in ("60", "220", "60"):
        res = runner.invoke(app, [*db, "classify", str(PROFILE)], env={"COLUMNS": cols})
        assert res.exit_code == 0, res.output
        widths.setdefault(cols, set()).add(_longest_line(res.output))
    assert max(widths["60"]) <= 60 < min(widths["220"]) <= 220
    assert len(widths["60"]) == 1  # the same width again after the wide call


def test_the_proxy_is_the_real_console():
    real = common.real_console(common.console)
    assert isinstance(real, Console) and common.real_console(common.console) is real
    assert common.console.print == real.print  # every attribute is the real console's
    assert common.real_console(real) is real


class _Stream(io.StringIO):
    def __init__(self, tty: bool | None):
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        if self._tty is None:
            raise ValueError("I/O operation on closed file")
        return self._tty


@contextlib.contextmanager
def _environment(env: dict[str, str], stderr: io.StringIO) -> Iterator[None]:
    """os.environ with exactly these of the variables Rich's terminal check reads, and sys.stderr replaced."""
    keys = ("TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR")
    saved = {k: os.environ.get(k) for k in keys}
    old_stderr = sys.stderr
    try:
        for k in keys:
            os.environ.pop(k, None)
        os.environ.update(env)
        sys.stderr = stderr
        yield
    finally:
        sys.stderr = old_stderr
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


ENV_VALUES = st.one_of(st.none(), st.sampled_from(["", "0", "1", "yes", "truecolor"]))


@given(tty=st.one_of(st.none(), st.booleans()), tty_compatible=ENV_VALUES, force_color=ENV_VALUES, no_color=ENV_VALUES)
def test_might_be_terminal_is_false_only_where_rich_says_false(tty, tty_compatible, force_color, no_color):
    env = {
        k: v
        for k, v in (("TTY_COMPATIBLE", tty_compatible), ("FORCE_COLOR", force_color), ("NO_COLOR", no_color))
        if v is not None
    }
    stream = _Stream(tty)
    with _environment(env, stream):
        proxy = common._ConsoleOnFirstUse(stderr=True)
        cheap = proxy.might_be_terminal()
        rich_says = Console(file=stream, _environ=env).is_terminal
    assert cheap or not rich_says, (env, tty)
