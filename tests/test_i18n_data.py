"""Texts of the rule packs in every language: the data catalogs (domain tianping_data, msgid = the English
text of a pack's language map) translate what the packs give only in en/zh; counted from the packs as
loaded, so a new pack text without a translation fails here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping import i18n, i18n_data
from tianping.cli.main import app
from tianping.rules.pack import default_packs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"
sys.path.insert(0, str(ROOT / "scripts"))
import i18n as tool  # noqa: E402  (scripts/i18n.py: the catalog tool)

runner = CliRunner()


@pytest.fixture(scope="module")
def texts():
    return i18n_data.pack_texts()


@pytest.fixture(scope="module")
def db_opt(tmp_path_factory):
    return ["--db", str(tmp_path_factory.mktemp("i18n_data") / "t.db")]


def test_pack_texts_are_read_from_the_loaded_packs(texts):
    # every tier, obligation and question of every pack is among them, with its English and Chinese text
    for lp in default_packs():
        p = lp.pack
        titles = [p.title, *(t.title for t in p.tiers), *(o.title for o in p.obligations)]
        for title in [*titles, *(q.text for q in p.questions.values())]:
            assert title.en in texts and texts[title.en]["texts"]["zh"], (p.id, title.en)
    assert len(texts) > 500


def test_every_language_but_en_and_zh_has_a_data_catalog():
    # en and zh are in every pack's language maps; every other language of the interface needs the pack texts
    assert set(i18n.available_languages()) - {"en", "zh"} <= set(i18n_data.data_languages())


@pytest.mark.parametrize("lang", i18n_data.data_languages())
def test_no_pack_text_is_untranslated(lang, texts):
    missing = i18n_data.untranslated_pack_texts(lang, texts)
    assert missing == [], f"{lang}: {len(missing)} pack texts without a translation, e.g. {missing[:3]}"


@pytest.mark.parametrize("lang", i18n_data.data_languages())
def test_translations_keep_codes_and_placeholders(lang, texts):
    """Numbers (articles, dates, thresholds), profile codes and field names (`system.use_cases`,
    `fraud_detection`) stay as they are."""
    import re
    from collections import Counter

    code = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|\b(?:system|derived)\.[a-z_.]*[a-z]|\{[^}]*\}")
    digits = re.compile(r"\d+")
    bad = []
    for en in texts:
        tr = i18n_data.data_text(en, lang)
        if tr:
            bad += [(en[:60], c) for c in set(code.findall(en)) if c not in tr]
            lost = Counter(digits.findall(en)) - Counter(digits.findall(tr))
            bad += [(en[:60], n) for n in lost]
    assert bad == []


def test_template_lists_every_pack_text_a_catalog_translates(texts):
    # a text the pack gives in every data language itself needs no translator; any other must be in the template
    langs = i18n_data.data_languages()
    needed = {en for en, entry in texts.items() if any(not entry["texts"].get(lang) for lang in langs)}
    pot = tool.read(tool.DATA_POT)
    missing = needed - {m.id for m in pot if m.id}
    assert not missing, f"{len(missing)} pack texts not in the template: run scripts/i18n.py data-extract, then data-update"


def test_lookup_and_fallback(tmp_path, monkeypatch):
    po = tmp_path / "th" / "LC_MESSAGES" / "tianping_data.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: th\\n"\n\n'
        'msgid "Only in the catalog"\nmsgstr "มีเฉพาะในแคตตาล็อก"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n_data, "LOCALE_DIR", tmp_path)
    i18n_data.reload_data_catalogs()
    try:
        assert i18n.lang_text({"en": "Only in the catalog", "zh": "仅在目录中"}, "th") == "มีเฉพาะในแคตตาล็อก"
        # missing from the catalog: English; a language with no data catalog: English
        assert i18n.lang_text({"en": "Not in any catalog", "zh": "不在目录中"}, "th") == "Not in any catalog"
        assert i18n.lang_text({"en": "Only in the catalog", "zh": "仅在目录中"}, "vi") == "Only in the catalog"
        # the map's own text in the language wins over the catalog; en and zh never read it
        assert i18n.lang_text({"en": "Only in the catalog", "zh": "仅在目录中", "th": "ของแพ็กเอง"}, "th") == "ของแพ็กเอง"
        assert i18n.lang_text({"en": "Only in the catalog", "zh": "仅在目录中"}, "zh") == "仅在目录中"
        assert i18n.lang_text({"en": "Only in the catalog", "zh": "仅在目录中"}, "en") == "Only in the catalog"
    finally:
        monkeypatch.undo()
        i18n_data.reload_data_catalogs()


def test_zh_and_en_are_the_packs_own_texts(texts):
    for en, entry in texts.items():
        assert i18n.lang_text(entry["texts"], "zh") == entry["texts"]["zh"]
        assert i18n.lang_text(entry["texts"], "en") == en


@pytest.mark.parametrize("lang", [lang for lang in ("th", "vi") if lang in i18n_data.data_languages()])
def test_cli_classification_and_obligations_in_the_language(db_opt, lang, texts):
    env = {"COLUMNS": "2000"}
    en_out = runner.invoke(app, [*db_opt, "--lang", "en", "classify", str(EXAMPLE)], env=env)
    out = runner.invoke(app, [*db_opt, "--lang", lang, "classify", str(EXAMPLE)], env=env)
    en_obl = runner.invoke(app, [*db_opt, "--lang", "en", "obligations", str(EXAMPLE)], env=env)
    obl = runner.invoke(app, [*db_opt, "--lang", lang, "obligations", str(EXAMPLE)], env=env)
    for res in (en_out, out, en_obl, obl):
        assert res.exit_code == 0, res.output
    shown = 0
    for en in texts:
        if len(en) > 200:  # long reasons may be cut by the table; titles are not
            continue
        for en_res, res in ((en_out, out), (en_obl, obl)):
            if en in en_res.output:
                shown += 1
                assert i18n_data.data_text(en, lang) in res.output, (lang, en)
                assert en not in res.output, (lang, en)
    assert shown >= 10  # the tier and a dozen obligation titles of the EU pack


def test_questionnaire_asks_the_pack_question_in_the_language():
    # registry/questionnaire.py reads Text.get(lang): the data catalog answers there too
    from tianping.registry.questionnaire import question_text

    packs = [lp.pack for lp in default_packs()]
    en = question_text("use_cases", packs, "en")
    assert question_text("use_cases", packs, "zh") != en  # the pack's own Chinese
    for lang in [lang for lang in ("th", "vi", "ms", "id", "fil") if lang in i18n_data.data_languages()]:
        assert question_text("use_cases", packs, lang) == i18n_data.data_text(en, lang) != en


def test_data_check_and_update_commands(capsys):
    assert tool.data_check(["th"]) == 0
    assert "th: 0 of " in capsys.readouterr().out
    assert tool.data_check(["xx"]) == 1  # no data catalog: every pack text counts as untranslated
    assert tool.data_update(["xx-notalang"]) == 2
    assert "xx-notalang" in capsys.readouterr().out
    assert not (tool.LOCALE / "xx").exists()
