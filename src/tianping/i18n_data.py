"""Translations of data texts: the English text of a data file's language map -> the text in a language.

Rule packs (and other data files) carry their texts as language maps (`{en: …, zh: …}`). A language
that a map does not list is looked up in a second gettext domain, `tianping_data`, one catalog per
language under `tianping/locale/<lang>/LC_MESSAGES/tianping_data.po`, whose message ids are the
English texts themselves (so a translator never edits YAML). Like the main catalogs, a `.po` is
compiled to `.mo` on first use when the `.mo` is missing or older. `tianping.i18n.lang_text` calls
`data_text` only after the map itself has no text in the language, so en/zh never get here.

`pack_texts()` lists every text of the rule packs as loaded (the template `locale/tianping_data.pot`
is written from it by `scripts/i18n.py data-extract`; tests count what is left untranslated).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

DATA_DOMAIN = "tianping_data"
LOCALE_DIR = Path(__file__).with_name("locale")


def data_po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DATA_DOMAIN}.po"


@cache
def _data_catalog(lang: str) -> dict[Any, str] | None:
    """The msgid -> msgstr table of `lang`'s data catalog (None when the language has none)."""
    from .i18n import load_compiled

    trans = load_compiled(data_po_path(lang), DATA_DOMAIN)
    return None if trans is None else trans._catalog


def data_text(english: str, lang: str) -> str | None:
    """The translation of the data text `english` in `lang`'s data catalog, or None (no catalog, no entry)."""
    table = _data_catalog(lang)
    if not table:
        return None
    return table.get(english.strip()) or None


def reload_data_catalogs() -> None:
    """Forget the loaded data catalogs (after a tianping_data.po changed)."""
    _data_catalog.cache_clear()


def data_languages() -> list[str]:
    """The languages with a data catalog."""
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DATA_DOMAIN}.po"))


# -- the texts of the rule packs ------------------------------------------------------------------


def _walk(obj: Any, path: list[str]) -> Iterator[tuple[Any, str]]:
    from pydantic import BaseModel

    from .catalog.schema import Text

    if isinstance(obj, Text):
        yield obj, "/".join(path)
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), [*path, name])
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(value, [*path, str(key)])
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            item_id = getattr(value, "id", None)
            yield from _walk(value, [*path, str(item_id) if isinstance(item_id, str) else str(i)])


def pack_texts(packs: Iterable[Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every text of the rule packs (default: the packs as loaded): English text ->
    {"where": ["<pack id>/<field path>", …], "texts": {lang: text given in the pack}} (first occurrence's map)."""
    if packs is None:
        from .rules.pack import default_packs

        packs = default_packs()
    out: dict[str, dict[str, Any]] = {}
    for lp in packs:
        pack: Any = getattr(lp, "pack", lp)
        for text, where in _walk(pack, [pack.id]):
            entry = out.setdefault(text.en, {"where": [], "texts": {}})
            entry["where"].append(where)
            for lang, value in text.model_dump(exclude_none=True).items():
                entry["texts"].setdefault(lang, value)
    return out


def untranslated_pack_texts(lang: str, texts: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """The pack texts (English) that have neither a `lang` text in the pack nor an entry in `lang`'s data catalog."""
    texts = pack_texts() if texts is None else texts
    return [en for en, entry in texts.items() if not entry["texts"].get(lang) and not data_text(en, lang)]
