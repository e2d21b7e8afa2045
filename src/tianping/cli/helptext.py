"""The CLI's help in the interface language (`tianping --lang th <command> --help`).

Every command's description (its docstring), every option's and argument's `help=` and the
`--help` option itself are messages of the gettext catalogs. The message id is made from the
English text (`cli.h.<first words>_<6 hex digits of its SHA-1>`), so the code keeps its English
help where it is written and a changed English text is a new message (its translations must be
redone; tests/test_i18n_help.py counts what is missing). Typer's panel titles ("Options",
"Arguments", "Commands"), its "[default: …]" / "[required]" marks and the "Usage:" prefix are
messages `cli.panel.*`.
A text without a translation stays English.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

_EN = "_tp_en"  # attribute holding the English texts of an object: {attribute name: text}


def help_id(text: str) -> str:
    """The message id of an English help text."""
    text = text.strip()
    words = "_".join(re.findall(r"[a-z0-9]+", text.lower())[:5])[:40].strip("_")
    return f"cli.h.{words}_{hashlib.sha1(text.encode('utf-8')).hexdigest()[:6]}"


def _help_option(command: Any) -> Any:
    from typer import _click

    return command.get_help_option(_click.Context(command))


def _objects(command: Any, recurse: bool = True) -> Iterator[tuple[Any, str]]:
    """(object, attribute) of every help text of a command (and its subcommands)."""
    yield command, "help"
    yield command, "short_help"
    for p in command.params:
        yield p, "help"
    opt = _help_option(command)
    if opt is not None:
        yield opt, "help"
    if recurse:
        for sub in (getattr(command, "commands", None) or {}).values():
            yield from _objects(sub, True)


def english_texts(command: Any, recurse: bool = True) -> Iterator[tuple[str, str]]:
    """(where, English text) of every help text of a command tree, for the catalogs and the tests."""
    for obj, attr in _objects(command, recurse):
        text = _english(obj, attr)
        if text and text.strip():
            where = getattr(obj, "name", None) or "?"
            yield f"{where}.{attr}", text.strip()


def _english(obj: Any, attr: str) -> str | None:
    saved = obj.__dict__.setdefault(_EN, {})
    if attr not in saved:
        saved[attr] = getattr(obj, attr, None)
    return saved[attr]


def translate(command: Any, lang: str, *, recurse: bool = True, summary: str | None = None) -> None:
    """Put the help texts of `command` (and its subcommands) in `lang`; English where a text has no
    translation. `summary`: the message id of the one-line summary shown in the parent's listing."""
    from ..i18n import has_message, t

    for obj, attr in _objects(command, recurse):
        en = _english(obj, attr)
        text = en
        if en and en.strip() and lang != "en":
            key = help_id(en)
            if has_message(key, lang):
                text = t(key, lang)
        setattr(obj, attr, text)
    if summary is not None and lang != "en" and has_message(summary, lang):
        command.short_help = t(summary, lang)
    _usage(command, lang, recurse)
    panels(lang)


def _usage(command: Any, lang: str, recurse: bool) -> None:
    """The "Usage:" line's prefix in `lang` (message `cli.panel.usage`); Click writes it in English."""
    from ..i18n import t

    command.__dict__.pop("get_usage", None)
    if lang != "en":
        english = type(command).get_usage
        prefix = t("cli.panel.usage", lang)
        command.get_usage = lambda ctx, _c=command: english(_c, ctx).replace("Usage: ", f"{prefix} ", 1)
    if recurse:
        for sub in (getattr(command, "commands", None) or {}).values():
            _usage(sub, lang, True)


PANELS = {
    "ARGUMENTS_PANEL_TITLE": "cli.panel.arguments",
    "OPTIONS_PANEL_TITLE": "cli.panel.options",
    "COMMANDS_PANEL_TITLE": "cli.panel.commands",
    "DEFAULT_STRING": "cli.panel.default",
    "REQUIRED_LONG_STRING": "cli.panel.required",
}


def panels(lang: str) -> None:
    """Typer's own words in the help screens (panel titles, default and required marks) in `lang`."""
    from typer import rich_utils

    from ..i18n import t

    for name, key in PANELS.items():
        setattr(rich_utils, name, t(key, lang))
