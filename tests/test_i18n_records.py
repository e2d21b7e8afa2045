"""Parsed gettext catalogs kept as records (i18n.load_compiled): the same tables as parsing the .mo, and any
problem with a record falls back to parsing."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tianping import i18n, i18n_data

LANGS = i18n.available_languages()
PO_FILES = [
    (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po", domain)
    for lang in LANGS
    for domain in (i18n.DOMAIN, i18n_data.DATA_DOMAIN)
    if (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").exists()
]


def _parsed(po: Path) -> i18n.Translations:
    mo = po.with_suffix(".mo")
    fresh = mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime
    raw = mo.read_bytes() if fresh else i18n.compile_catalog(po)
    return i18n.Translations(io.BytesIO(raw))


def _same(a: gettext.GNUTranslations, b: gettext.GNUTranslations) -> None:
    assert a._catalog == b._catalog  # the parser's table: what lookups read
    assert a._info == b._info and a._charset == b._charset
    assert [a.plural(n) for n in range(0, 250)] == [b.plural(n) for n in range(0, 250)]


@pytest.mark.parametrize(("po", "domain"), PO_FILES, ids=[f"{p.parent.parent.name}-{d}" for p, d in PO_FILES])
def test_a_record_gives_the_parsers_tables(po, domain):
    parsed = _parsed(po)
    again = i18n.Translations.from_record(parsed.as_record())
    assert again is not None
    _same(parsed, again)


def test_plural_rules_survive_the_record():
    """A Plural-Forms rule other than English's (Chinese and Thai have one form; an Arabic-style rule has six)."""
    for rule, counts in (("nplurals=1; plural=0;", [0, 0, 0]), ("nplurals=2; plural=(n > 1);", [0, 0, 1])):
        header = f"Content-Type: text/plain; charset=UTF-8\nPlural-Forms: {rule}\n"
        record = {
            "info": {"content-type": "text/plain; charset=UTF-8", "plural-forms": rule},
            "charset": "UTF-8",
            "messages": {"": header, "k": "v"},
            "plurals": {"n": ["one", "many"]},
        }
        tr = i18n.Translations.from_record(record)
        assert tr is not None and [tr.plural(n) for n in (0, 1, 2)] == counts
        assert tr._catalog[("n", 1)] == "many" and tr._catalog["k"] == "v"


def test_load_compiled_writes_then_reads_its_record_and_falls_back_on_a_bad_one(tmp_path, monkeypatch):
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    po = i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    first = i18n.load_compiled(po, i18n.DOMAIN)
    records = list((tmp_path / "home").rglob("checked-gettext-tianping-zh-*.json"))
    assert first is not None and len(records) == 1
    second = i18n.load_compiled(po, i18n.DOMAIN)
    assert second is not None
    _same(first, second)
    assert second._catalog is not first._catalog  # read again, from the record
    for bad in (
        b"{}",
        b'{"info": {}, "messages": {}, "plurals": {"x": 3}}',
        b"not json",
        b'{"info": {"plural-forms": "x"}, "messages": {}, "plurals": {}}',
    ):
        records[0].write_bytes(bad)
        records[0].chmod(0o644)
        recovered = i18n.load_compiled(po, i18n.DOMAIN)
        assert recovered is not None
        _same(first, recovered)


def test_no_record_when_records_are_off(tmp_path, monkeypatch):
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIANPING_YAML_CACHE", "0")
    po = i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / f"{i18n_data.DATA_DOMAIN}.po"
    tr = i18n.load_compiled(po, i18n_data.DATA_DOMAIN)
    assert tr is not None and tr._catalog
    assert not list((tmp_path / "home").rglob("checked-gettext-*.json"))


def test_a_language_without_catalog_files_has_none(tmp_path):
    assert i18n.load_compiled(tmp_path / "xx" / "LC_MESSAGES" / "tianping.po", i18n.DOMAIN) is None


def _babel_says(code: str) -> bool:
    from babel import localedata

    return bool(code) and code.isascii() and bool(localedata.exists(code.replace("-", "_")))


def test_language_codes_are_what_babel_says():
    """The shortcuts in is_language_code never disagree with Babel's own answer."""
    from babel import localedata

    codes = [
        *localedata.locale_identifiers(),
        "root",
        "test",
        "metric",
        "min_n",
        "id",
        "en",
        "zh",
        "fil",
        "pt-BR",
        "zh-Hant",
        "xx",
        "e",
        "",
        "ñu",
        "EN",
        "abcd_EF",
        "a1",
        "thresholds",
        "also",
        "gate",
    ]
    for code in codes:
        assert i18n.is_language_code(code) == _babel_says(code), code


@given(st.text(max_size=8))
def test_any_key_is_judged_as_babel_judges_it(code):
    assert i18n.is_language_code(code) == _babel_says(code)
