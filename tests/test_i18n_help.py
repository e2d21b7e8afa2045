"""`tianping --lang LANG <command> --help` in every language, for every command and subcommand.

Each command's description, its options' and arguments' help and the --help option are catalog
messages (cli/helptext.py: the id is made from the English text). The test walks the whole command
tree, runs --help of every command in every language and counts the help texts that are not shown
in that language: the count must be 0.
"""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from tianping import i18n
from tianping.cli.helptext import english_texts, help_id
from tianping.cli.main import LAZY_COMMANDS, app, load_command

LANGS = i18n.available_languages()
runner = CliRunner()
WIDE = {"COLUMNS": "3000", "TERMINAL_WIDTH": "3000"}


def _paths() -> list[tuple[str, ...]]:
    out = []

    def walk(cmd, path):
        out.append(path)
        for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
            walk(sub, (*path, name))

    for name in sorted(LAZY_COMMANDS):
        walk(load_command(name), (name,))
    return out


PATHS = _paths()


def _command(path: tuple[str, ...]):
    cmd = load_command(path[0])
    for name in path[1:]:
        cmd = cmd.commands[name]
    return cmd


def _norm(text: str) -> str:
    text = re.sub(r"\[[^\]]*\]", "", text)  # [default: …] marks and rich markup
    return " ".join(re.sub(r"[│╭╮╰╯─*]", " ", text).split())


def test_the_tree_is_walked():
    assert len(PATHS) > 80 and ("eval", "run") in PATHS and ("catalog", "sssom", "export") in PATHS


def test_every_help_text_has_a_message_in_every_language():
    """The count of help texts without a translation, per language (commands, options, arguments, --help)."""
    texts = {en for name in LAZY_COMMANDS for _, en in english_texts(load_command(name))}
    assert len(texts) > 300
    missing = {lang: sorted(en for en in texts if not i18n.has_message(help_id(en), lang)) for lang in LANGS}
    assert missing == {lang: [] for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_help_of_every_command_is_in_the_language(lang):
    untranslated = []
    for path in PATHS:
        res = runner.invoke(app, ["--lang", lang, *path, "--help"], env=WIDE)
        assert res.exit_code == 0, (path, res.output)
        out = _norm(res.output)
        own = list(english_texts(_command(path), recurse=False))
        assert own, path
        for where, en in own:
            want = _norm(i18n.t(help_id(en), lang))
            if where.endswith(".short_help"):
                continue  # shown in the parent's listing, not on the command's own page
            if want not in out or (lang != "en" and _norm(en) != want and _norm(en) in out):
                untranslated.append((" ".join(path), where, en[:60]))
        if lang != "en":  # Typer's and Click's own words
            assert _norm(i18n.t("cli.panel.options", lang)) in out, path
            assert out.startswith(i18n.t("cli.panel.usage", lang)) and "Usage:" not in out, path
    assert untranslated == []


def test_top_level_listing_and_panels(monkeypatch):
    res = runner.invoke(app, ["--lang", "th", "--help"], env=WIDE)
    out = _norm(res.output)
    assert i18n.t("cli.panel.commands", "th") in out and i18n.t("cli.panel.options", "th") in out
    assert i18n.t("cli.cmd.catalog", "th") in out and "Commands" not in out and "Options" not in out
    # back to English in the same process: nothing of the previous language stays behind
    res = runner.invoke(app, ["--lang", "en", "catalog", "search", "--help"], env=WIDE)
    out = _norm(res.output)
    assert "Full-text search over provision titles" in out and "Options" in out
    assert i18n.t("cli.panel.options", "th") not in out


def test_a_changed_english_text_is_a_new_message():
    assert help_id("Show this message and exit.") != help_id("Show this message and exit!")
    assert help_id("Show this message and exit.").startswith("cli.h.show_this_message_and_exit_")
