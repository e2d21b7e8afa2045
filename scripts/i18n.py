#!/usr/bin/env python3
"""Tianping's gettext catalogs: extract, add a language, update, compile, count what is untranslated.

    python scripts/i18n.py extract        # code, data labels + English catalog -> src/tianping/locale/tianping.pot
    python scripts/i18n.py new LANG       # start a catalog for LANG from the template
    python scripts/i18n.py update         # add new ids to every catalog, drop the removed ones
    python scripts/i18n.py compile        # .po -> .mo for every language (also done on first use)
    python scripts/i18n.py check [LANG]   # compile, check placeholders, print untranslated counts (exit 1 if any)

Data texts (the rule packs' language maps), a second domain `tianping_data` whose ids are the English texts:

    python scripts/i18n.py data-extract          # packs as loaded -> src/tianping/locale/tianping_data.pot
    python scripts/i18n.py data-update [LANG…]   # merge the template into each data catalog (LANG: start one)
    python scripts/i18n.py data-check [LANG…]    # untranslated pack texts per language (exit 1 if any)

Message ids are symbolic keys; the English catalog (locale/en/LC_MESSAGES/tianping.po) holds the
source texts and the template repeats each of them as a translator comment ("English: …").
See docs/translating.md.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "tianping" / "locale"
POT = LOCALE / "tianping.pot"
KEYWORDS = ["t", "tr", "texts", "LangMap", "translate", "_", "gettext_", "has_message"]
PLACEHOLDER = re.compile(r"\{[a-zA-Z_][a-zA-Z0-9_]*(?:[:!][^}]*)?\}")


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "tianping.po"


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/tianping.po"))


def read(path: Path, locale: str | None = None):
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        return read_po(fh, locale=locale, domain="tianping")


def write(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, include_lineno=False, sort_output=False, ignore_obsolete=True)


def _keys_in_code() -> set[str]:
    """Message ids used in code and templates (Babel extraction with babel.cfg)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "code.pot"
        cmd = [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "--no-default-keywords", "-o", str(out)]
        for k in KEYWORDS:
            cmd += ["-k", f"{k}:1"]
        subprocess.run(cmd + [str(ROOT / "src" / "tianping")], check=True, cwd=ROOT)
        return {m.id for m in read(out) if m.id and isinstance(m.id, str)}


# data files whose language maps are translated through the catalogs: (file, message id prefix)
DATA_LABELS = [(ROOT / "src" / "tianping" / "registry" / "field_labels.yaml", "field.")]


def sync_data() -> None:
    """Copy the English and Chinese texts of the data files' language maps into those catalogs
    (message ids `field.<id>`), so that the template offers them to translators."""
    import yaml

    for path, prefix in DATA_LABELS:
        labels = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        origin = path.relative_to(ROOT / "src").as_posix()
        for lang in ("en", "zh"):
            cat = read(po_path(lang))
            changed = False
            for key, texts in labels.items():
                text = (texts or {}).get(lang)
                if not text:
                    continue
                m = cat.get(prefix + key)
                if m is None:
                    cat.add(prefix + key, text, locations=[(origin, None)])
                    changed = True
                elif m.string != text:
                    m.string = text
                    changed = True
            if changed:
                write(cat, po_path(lang))


def extract() -> int:
    from babel.messages.catalog import Catalog

    sync_data()
    en = read(po_path("en"))
    pot = Catalog(domain="tianping", project="Tianping", version="0.1", copyright_holder="Tianping contributors",
                  msgid_bugs_address="https://github.com/tianping-ai/tianping/issues", fuzzy=False)
    for m in en:
        if not m.id:
            continue
        english = m.string if isinstance(m.string, str) else " | ".join(m.string)
        pot.add(m.id, "" if isinstance(m.id, str) else ("", ""), locations=m.locations, user_comments=m.user_comments,
                auto_comments=[f"English: {english}"])
    used = {k for k in _keys_in_code() if re.fullmatch(r"[a-z][a-zA-Z0-9_.\-]*", k)}
    unknown = sorted(k for k in used if k not in en)
    write(pot, POT)
    print(f"wrote {_rel(POT)}: {len(pot)} messages")
    if unknown:
        print(f"{len(unknown)} ids used in code have no English text (add them to the en catalog): {', '.join(unknown[:20])}")
    return 0


def new(lang: str) -> int:
    from babel import Locale
    from babel.messages.catalog import Catalog

    path = po_path(lang)
    if path.exists():
        print(f"{_rel(path)} exists; run `update` instead")
        return 1
    locale = Locale.parse(lang.replace("-", "_"))
    template = read(POT)
    cat = Catalog(locale=locale, domain="tianping", project="Tianping", fuzzy=False)
    cat.update(template, no_fuzzy_matching=True)
    write(cat, path)
    print(f"wrote {_rel(path)} ({len(cat)} messages to translate, plural forms: {cat.plural_forms})")
    return 0


def update() -> int:
    template = read(POT)
    for lang in languages():
        if lang == "en":
            continue
        cat = read(po_path(lang))
        cat.update(template, no_fuzzy_matching=True, update_header_comment=False)
        write(cat, po_path(lang))
        print(f"updated {lang}")
    return 0


def compile_all() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from tianping.i18n import compile_catalog

    for lang in languages():
        po = po_path(lang)
        compile_catalog(po, po.with_suffix(".mo"))
        print(f"compiled {lang}")
    return 0


def untranslated(lang: str, source=None) -> list[str]:
    source = source or read(po_path("en"))
    cat = read(po_path(lang))
    missing = []
    for m in source:
        if not m.id:
            continue
        tm = cat.get(m.id)
        strings = [] if tm is None else ([tm.string] if isinstance(tm.string, str) else list(tm.string))
        if tm is None or tm.fuzzy or not strings or not all(strings):
            missing.append(m.id if isinstance(m.id, str) else m.id[0])
    return missing


def bad_placeholders(lang: str, source=None) -> list[str]:
    source = source or read(po_path("en"))
    cat = read(po_path(lang))
    bad = []
    for m in source:
        tm = cat.get(m.id) if m.id else None
        if tm is None or not tm.string:
            continue
        want = set(PLACEHOLDER.findall(" ".join([m.string] if isinstance(m.string, str) else m.string)))
        for s in [tm.string] if isinstance(tm.string, str) else tm.string:
            # a placeholder the English text does not have, or a whole {lang: text} map pasted as the text
            if s and (set(PLACEHOLDER.findall(s)) - want or re.match(r"\{'[a-z]{2,3}': ", s)):
                bad.append(m.id if isinstance(m.id, str) else m.id[0])
    return bad


def check(langs: list[str]) -> int:
    compile_all()
    source = read(po_path("en"))
    status = 0
    for lang in langs or languages():
        miss, bad = untranslated(lang, source), bad_placeholders(lang, source)
        print(f"{lang}: {len(miss)} untranslated, {len(bad)} with unknown placeholders")
        for k in bad:
            print(f"  placeholder not in the English text: {k}")
        status |= bool(miss or bad)
    return status


# -- data texts (domain tianping_data: msgid = the English text of a pack's language map) ---------------

DATA_POT = LOCALE / "tianping_data.pot"
DATA_SKIP = ("en", "zh")  # every language map has these two: they need no data catalog


def data_po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "tianping_data.po"


def _pack_texts() -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from tianping.i18n_data import pack_texts

    return pack_texts()


def data_extract() -> int:
    from babel.messages.catalog import Catalog

    texts = _pack_texts()
    pot = Catalog(domain="tianping_data", project="Tianping", version="0.1", copyright_holder="Tianping contributors",
                  msgid_bugs_address="https://github.com/tianping-ai/tianping/issues", fuzzy=False)
    for en, entry in texts.items():
        zh = entry["texts"].get("zh")
        pot.add(en, "", auto_comments=[f"zh: {zh}"] if zh else [], locations=[(w, None) for w in entry["where"][:5]])
    write(pot, DATA_POT)
    print(f"wrote {_rel(DATA_POT)}: {len(pot)} texts")
    return 0


def data_update(langs: list[str]) -> int:
    from babel import Locale
    from babel.core import UnknownLocaleError
    from babel.messages.catalog import Catalog

    from_pot = read(DATA_POT)
    for lang in langs or [p.parent.parent.name for p in sorted(LOCALE.glob("*/LC_MESSAGES/tianping_data.po"))]:
        if lang in DATA_SKIP:
            print(f"{lang}: every pack text has it in the pack itself; no data catalog needed")
            continue
        path = data_po_path(lang)
        if path.exists():
            cat = read(path)
        else:
            try:
                locale = Locale.parse(lang.replace("-", "_"))
            except (ValueError, UnknownLocaleError) as exc:
                print(f"data-update: '{lang}' is not a language code CLDR knows (e.g. km, lo, my, zh_Hant): {exc}")
                return 2
            cat = Catalog(locale=locale, domain="tianping_data", project="Tianping", fuzzy=False)
        cat.update(from_pot, no_fuzzy_matching=True, update_header_comment=False)
        write(cat, path)
        print(f"updated {_rel(path)}")
    return 0


def data_check(langs: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from tianping.i18n import compile_catalog
    from tianping.i18n_data import reload_data_catalogs, untranslated_pack_texts

    texts = _pack_texts()
    status = 0
    for lang in langs or [p.parent.parent.name for p in sorted(LOCALE.glob("*/LC_MESSAGES/tianping_data.po"))]:
        po = data_po_path(lang)
        if po.exists():
            compile_catalog(po, po.with_suffix(".mo"))
        reload_data_catalogs()
        miss = untranslated_pack_texts(lang, texts)
        bad = []
        if po.exists():
            for m in read(po):
                if m.id and m.string and set(PLACEHOLDER.findall(m.string)) - set(PLACEHOLDER.findall(m.id)):
                    bad.append(m.id)
        print(f"{lang}: {len(miss)} of {len(texts)} pack texts untranslated, {len(bad)} with unknown placeholders")
        for en in miss[:10]:
            print(f"  untranslated: {en[:100]}  ({texts[en]['where'][0]})")
        for en in bad:
            print(f"  placeholder not in the English text: {en[:100]}")
        status |= bool(miss or bad)
    return status


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "extract":
        return extract()
    if cmd == "new" and rest:
        return new(rest[0])
    if cmd == "update":
        return update()
    if cmd == "compile":
        return compile_all()
    if cmd == "check":
        return check(rest)
    if cmd == "data-extract":
        return data_extract()
    if cmd == "data-update":
        return data_update(rest)
    if cmd == "data-check":
        return data_check(rest)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
