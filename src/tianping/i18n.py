"""Everything a person reads, in every language Tianping has a catalog for.

The texts live in gettext catalogs, one per language, under `tianping/locale/<lang>/LC_MESSAGES/
tianping.po` (compiled to `.mo` on first use when the `.mo` is missing or older than the `.po`).
Message ids are symbolic keys (`classification_title`, `web.nav.catalog`, …); the English
catalog holds the source texts and `locale/tianping.pot` the template a translator starts from
(docs/translating.md). A language is available when its directory exists: nothing here lists them.

The language comes from `--lang`, else `TIANPING_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`,
`LANG`), else English. A missing message falls back to English, then to the id itself.

`register_messages({...})` still accepts a table of `{lang: text}` maps in code, for modules not
yet moved into the catalogs; tests/test_i18n.py counts what is left of those.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Iterator, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

DOMAIN = "tianping"
LOCALE_DIR = Path(__file__).with_name("locale")
SOURCE_LANG = "en"

# Tables registered from code (modules not yet converted to the catalogs): key -> {lang: text}.
MESSAGES: dict[str, dict[str, str]] = {}

# other spellings of a language code -> the catalog's directory name
_ALIASES = {
    "zh-hans": "zh",
    "zh-cn": "zh",
    "zh-sg": "zh",
    "cmn": "zh",
    "tl": "fil",
    "in": "id",
    "msa": "ms",
    "ind": "id",
    "tha": "th",
    "vie": "vi",
    "zho": "zh",
    "eng": "en",
}

_current: str | None = None


# -- languages -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _languages() -> tuple[str, ...]:
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    if SOURCE_LANG in found:  # the source language first, then the rest alphabetically
        found.remove(SOURCE_LANG)
        found.insert(0, SOURCE_LANG)
    return tuple(found) or (SOURCE_LANG,)


def available_languages() -> list[str]:
    """The languages with a catalog under tianping/locale (the source language first)."""
    return list(_languages())


def language_name(lang: str) -> str:
    """The language's own name for itself (message `lang.name` of its catalog), e.g. ไทย, Tiếng Việt."""
    return t("lang.name", lang)


def normalize_lang(code: str | None) -> str | None:
    """A catalog language for a code such as `zh_CN.UTF-8`, `zh-Hans`, `vi-VN`, `tl` or `th`; None if none fits."""
    if not code:
        return None
    c = code.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-").lower()
    if not c or c in ("c", "posix"):
        return None
    langs = _languages()
    for cand in (c, _ALIASES.get(c), c.split("-", 1)[0], _ALIASES.get(c.split("-", 1)[0])):
        if cand and cand in langs:
            return cand
    return None


def parse_accept_language(header: str | None) -> str | None:
    """The best available language of an HTTP Accept-Language header (q-values honoured)."""
    if not header:
        return None
    prefs = []
    for i, part in enumerate(header.split(",")):
        bits = part.strip().split(";")
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        prefs.append((-q, i, bits[0].strip()))
    for _, _, code in sorted(prefs):
        lang = normalize_lang(code)
        if lang:
            return lang
    return None


def current_lang(explicit: str | None = None) -> str:
    """The interface language: `explicit`, else set_lang(), else TIANPING_LANG, else the locale, else English."""
    for cand in (explicit, _current, os.environ.get("TIANPING_LANG")):
        lang = normalize_lang(cand)
        if lang:
            return lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(var):
            return normalize_lang(os.environ[var]) or SOURCE_LANG
    return SOURCE_LANG


def set_lang(lang: str | None) -> str:
    """Make `lang` the default of t() (None: back to TIANPING_LANG/the locale); returns the language used."""
    global _current
    _current = normalize_lang(lang) if lang else None
    return current_lang()


# -- catalogs --------------------------------------------------------------------------------------


def compile_catalog(po: Path, mo: Path | None = None) -> bytes:
    """Compile one .po file with Babel; writes `mo` when given and writable. Returns the .mo bytes."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    data = buf.getvalue()
    if mo is not None:
        try:
            tmp = mo.with_suffix(f".mo.{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, mo)
        except OSError:
            pass
    return data


class Translations(gettext.GNUTranslations):
    """The standard library's .mo reader, with the attributes its parser sets declared (the type
    stubs leave them out). Lookups read the message table directly because gettext() answers a
    missing key with the key itself, and pick plural forms with the catalog's own rule."""

    _catalog: dict[str | tuple[str, int], str]  # msgid -> msgstr; (msgid, n) -> the n-th plural form
    plural: Callable[[int], int]  # the catalog's Plural-Forms rule: a count -> the form's index
    _info: dict[str, str]  # the header's fields, keys lower-cased
    _charset: str | None  # the header's charset

    def as_record(self) -> dict[str, Any]:
        """What the parser found, as JSON data: the messages, each plural's forms in order, the header."""
        plurals: dict[str, dict[int, str]] = {}
        messages = {}
        for key, text in self._catalog.items():
            if isinstance(key, tuple):
                plurals.setdefault(key[0], {})[key[1]] = text
            else:
                messages[key] = text
        ordered = {k: [forms[i] for i in sorted(forms)] for k, forms in plurals.items()}
        return {"info": self._info, "charset": self._charset, "messages": messages, "plurals": ordered}

    @classmethod
    def from_record(cls, record: Any) -> Translations | None:
        """The catalog `as_record` described, set up as the parser sets it up; None for anything else."""
        if not isinstance(record, dict) or not all(isinstance(record.get(k), dict) for k in ("info", "messages", "plurals")):
            return None
        tr = cls()  # no file: the parser does not run
        tr._info, tr._charset = record["info"], record.get("charset")
        catalog: dict[str | tuple[str, int], str] = dict(record["messages"])
        try:
            for msgid, forms in record["plurals"].items():
                catalog.update(((msgid, i), text) for i, text in enumerate(forms))
            rule = tr._info.get("plural-forms")
            # as the parser reads the header: the rule is what follows "plural=" in its second part
            tr.plural = gettext.c2py(rule.split(";")[1].split("plural=")[1]) if rule else (lambda n: int(n != 1))
        except (AttributeError, IndexError, TypeError, ValueError):  # not what as_record wrote: parse the file
            return None
        tr._catalog = catalog
        return tr


def load_compiled(po: Path, domain: str) -> Translations | None:
    """The catalog of `po` (None when neither it nor its .mo exists), compiled first when the .mo is missing or
    older than the .po.

    Why a record: every command that writes a multilingual document looks texts up in every language, and
    parsing the seven .mo files took ~15 ms of each such command (a third of `classify`'s own work). The
    parsed tables are kept as JSON under the .mo bytes' digest (yamlio's records: never pickle, only files
    of this user; TIANPING_YAML_CACHE=0 turns them off), so a changed catalog is parsed again."""
    import io

    from .yamlio import read_record, record_key, write_record

    mo = po.with_suffix(".mo")
    if not po.exists() and not mo.exists():
        return None
    raw = None
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        try:
            raw = mo.read_bytes()
        except OSError:
            raw = None
    if raw is None:
        raw = compile_catalog(po, mo)
    key = record_key(f"gettext-{domain}-{po.parent.parent.name}", [(mo, raw)], ("tianping.i18n",))
    recorded = Translations.from_record(read_record(key))
    if recorded is not None:
        return recorded
    parsed = Translations(io.BytesIO(raw))
    write_record(key, parsed.as_record())
    return parsed


@cache
def _catalog(lang: str) -> Translations | None:
    return load_compiled(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", DOMAIN)


def reload_catalogs() -> None:
    """Forget the loaded catalogs and the language list (after a .po changed or a language was added)."""
    _catalog.cache_clear()
    _languages.cache_clear()


def _lookup(key: str, lang: str, n: Any = None) -> str | None:
    legacy = MESSAGES.get(key)  # a table still in code is the source of its own languages
    if legacy and legacy.get(lang):
        return legacy[lang]
    cat = _catalog(lang)
    if cat is not None:
        entries = cat._catalog
        text = entries.get(key)
        if text:
            return text
        if (key, 0) in entries:
            idx = cat.plural(int(n)) if isinstance(n, (int, float)) else 0
            return entries.get((key, idx)) or entries.get((key, 0))
    return None


def has_message(key: str, lang: str) -> bool:
    """Whether `key` has a text of its own in `lang` (no fallback)."""
    return _lookup(key, lang) is not None


def t(key: str, lang: str | None = None, **kwargs: Any) -> str:
    """The text of message `key` in `lang` (default: current_lang()), formatted with `kwargs`.

    A plural message (msgid_plural in the catalog) chooses its form from the `n` argument."""
    lang = (normalize_lang(lang) or SOURCE_LANG) if lang else current_lang()
    n = kwargs.get("n")
    text = _lookup(key, lang, n)
    if text is None and lang != SOURCE_LANG:
        text = _lookup(key, SOURCE_LANG, n)
    if text is None:
        text = key
    return text.format(**kwargs) if kwargs else text


def gettext_(key: str) -> str:
    """gettext-style lookup in the current language (no formatting)."""
    return t(key)


_ = gettext_


def texts(key: str, **kwargs: Any) -> dict[str, str]:
    """The message in every available language, as the `{lang: text}` map stored in JSON documents.

    An argument that is itself a language map (a data file's `{en: …, zh: …}`, another `texts()`)
    is taken in each language in turn (`lang_text`: that language, else English)."""
    out = {}
    for lang in _languages():
        kw = {k: lang_text(v, lang) if isinstance(v, Mapping) else v for k, v in kwargs.items()}
        out[lang] = t(key, lang, **kw)
    return out


class LangMap(Mapping[str, str]):
    """A read-only `{lang: text}` view of one message id (what the old `{"en": …, "zh": …}` literals were)."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    def __getitem__(self, lang: str) -> str:
        norm = normalize_lang(lang)
        if norm is None:
            raise KeyError(lang)
        return t(self.key, norm)

    def get(self, lang: str, default: Any = None) -> Any:
        try:
            return self[lang]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(_languages())

    def __len__(self) -> int:
        return len(_languages())

    def __repr__(self) -> str:
        return f"LangMap({self.key!r})"


def lang_text(d: Mapping[str, Any] | None, lang: str | None = None) -> str:
    """A text from a data file's language map (`{en: …, zh: …, th: …}`): `lang`, else the English text's
    translation in `lang`'s data catalog (tianping_data.po, see i18n_data.py), else English, else any."""
    if not d:
        return ""
    lang = (normalize_lang(lang) or SOURCE_LANG) if lang else current_lang()
    for cand in (lang, lang.split("-")[0], SOURCE_LANG):
        if d.get(cand):
            if cand == SOURCE_LANG and lang != SOURCE_LANG:  # the data catalog of `lang` (i18n_data.py)
                from .i18n_data import data_text

                return data_text(str(d[cand]), lang) or str(d[cand])
            return str(d[cand])
    return str(next((v for v in d.values() if v), ""))


def is_language_code(code: str) -> bool:
    """Whether `code` names a language CLDR knows (th, fil, zh_Hant, …): a key a data file may use for a text.

    Answered without Babel (whose import and file look-up cost a fairness run ~8 ms) where the answer is
    certain: a language Tianping has a catalog for is one, and a key whose first subtag is not 2-3 letters
    (`test`, `metric`, `thresholds`) is none, as in every CLDR locale but `root`. The rest asks Babel."""
    if not code or not code.isascii():
        return False
    if code in _languages():
        return True
    primary = code.replace("-", "_").split("_", 1)[0]
    if primary != "root" and not (2 <= len(primary) <= 3 and primary.isalpha()):
        return False
    from babel import localedata

    return bool(localedata.exists(code.replace("-", "_")))


def check_language_texts(extra: Mapping[str, Any] | None) -> None:
    """For data models that keep texts as `en:`/`zh:` fields and accept any other language as an extra key:
    every extra key must be a language code and its value a non-empty string (ValueError otherwise)."""
    for key, value in (extra or {}).items():
        if not is_language_code(key):
            raise ValueError(f"unknown field '{key}' (a text in another language is keyed by its language code, e.g. th, vi)")
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"'{key}': a text must be a non-empty string")


def model_texts(model: Any) -> dict[str, str]:
    """The `{lang: text}` map of a data model whose texts are fields named by language (en, zh and extras)."""
    return {k: v for k, v in model.model_dump().items() if isinstance(v, str) and v and is_language_code(k)}


def territory_names(code: str | None, **known: str | None) -> dict[str, str]:
    """A country's name in every available language: the texts a data file gives (`en=…, zh=…`) first,
    else CLDR's name (Babel) for the ISO 3166 alpha-2 `code` in that language, else the English one."""
    from babel import Locale

    out: dict[str, str] = {}
    for lang in _languages():
        name = known.get(lang)
        if not name and code:
            try:
                name = Locale.parse(babel_locale(lang)).territories.get(code.upper())
            except (ValueError, LookupError):
                name = None
        out[lang] = name or known.get(SOURCE_LANG) or code or ""
    return out


# -- dates and numbers per locale ----------------------------------------------------------------


def babel_locale(lang: str | None = None) -> str:
    """The CLDR locale used for dates and numbers in `lang`: the `Language` header of its catalog (e.g. zh_Hans)."""
    lang = current_lang(lang)
    cat = _catalog(lang)
    header = (cat.info().get("language") if cat else None) or lang
    return header.replace("-", "_")


def format_date(value: Any, lang: str | None = None, format: str = "medium") -> str:
    from babel.dates import format_date as fd

    return fd(value, format=format, locale=babel_locale(lang))


def format_datetime(value: Any, lang: str | None = None, format: str = "medium") -> str:
    from babel.dates import format_datetime as fdt

    return fdt(value, format=format, locale=babel_locale(lang))


def format_number(value: Any, lang: str | None = None) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=babel_locale(lang))


def format_percent(value: Any, lang: str | None = None, format: str | None = None) -> str:
    from babel.numbers import format_percent as fp

    return fp(value, format=format, locale=babel_locale(lang))


# -- tables in code (modules not yet converted) --------------------------------------------------


def register_messages(messages: dict[str, dict[str, str]]) -> None:
    """Let a module add its own `{lang: text}` messages (keys must be new; English is required).

    Kept for modules whose texts are not in the catalogs yet: the table wins for the languages it
    has, the catalogs give the others (so a translation can land before its module is converted)."""
    clash = set(messages) & set(MESSAGES)
    if clash:
        raise ValueError(f"message keys defined twice: {sorted(clash)}")
    for key, texts_ in messages.items():
        if not texts_.get("en"):
            raise ValueError(f"message '{key}' needs an English text")
    MESSAGES.update(messages)
