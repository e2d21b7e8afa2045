"""No language literals in code: every person-facing text is a message of the gettext catalogs.

A *language literal* is a dict display whose keys include a language code (`{"en": …, "zh": …}`,
`{"th": …}`), a `dict(en=…, zh=…)` call, or a text chosen by comparing with a language code
(`"Monitor" if lang != "zh" else "监测"`), anywhere under src/tianping. `id` alone is not counted
(it is the usual record key; it counts next to another language code). The test lists each one as
file:line. What may stay:

- ALLOWED: the few true non-message uses, each with its reason (keyed by file and the enclosing
  function or module-level constant, so that a new literal elsewhere in the same file is still caught);
- NOT_CONVERTED: modules other engineers own at the time of writing, still to be converted; their
  counts may only go down (a converted module must be removed from the list).

Language maps read from data files (catalog, rule packs, banks, field labels) are not literals: the
code passes the data's map on (`model_dump()`), and readers take any language with a fallback to
English (`tianping.i18n.lang_text`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tianping import i18n

SRC = Path(__file__).resolve().parents[1] / "src" / "tianping"
LANG_CODES = (set(i18n.available_languages()) | set(i18n._ALIASES)) - {"id"}

_LABEL = ("the wording of the explicit 'AI-generated' label that `tianping label --lang zh|en|both` embeds in content: "
          "the keys are the label options (not interface languages), the wording is what GB 45438 prescribes and "
          "TEXT_LABEL_RE detects, and each needs a font and a speech voice, not only a translation")
ALLOWED: dict[tuple[str, str], str] = {
    ("i18n.py", "_ALIASES"): "other spellings of a language code -> the catalog's directory (codes, no text)",
    ("reporting/render.py", "HTML_LANG"): "the BCP 47 tag of the html lang attribute per catalog language (codes, no text)",
    ("provenance/explicit.py", "TEXT_LABELS"): _LABEL,
    ("provenance/explicit.py", "IMAGE_LABELS"): _LABEL,
    ("provenance/explicit.py", "SPOKEN"): _LABEL + " (with the espeak voice of each)",
    ("evaluation/genai/scorers/refusal.py", "PATTERNS"): (
        "the refusal detector's regular expressions per reply language (code, not text)"),
    ("evaluation/genai/scorers/refusal.py", "_NEEDS"): (
        "per-language pre-filters (script ranges, anchor words) of those expressions (code, not text)"),
    ("observatory/store.py", "_column_names"): (
        "an imported indicator's names as stored in the table's two columns (name_en, name_zh): data, read with "
        "lang_text (any language, English fallback); built-in indicators carry every language of their definition"),
}

# modules still to convert (owned by other engineers when this test was written, or not done yet): counts may only go down
NOT_CONVERTED: dict[str, int] = {}


def _is_lang_key(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in LANG_CODES


def _is_text(node: ast.expr) -> bool:
    """A string constant that reads as text (not a language tag such as zh-CN)."""
    return (isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(node.value.strip())
            and not re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*", node.value))


def _is_lang_test(node: ast.expr) -> bool:
    return isinstance(node, ast.Compare) and any(_is_lang_key(p) for p in (node.left, *node.comparators))


def _literals_in(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, enclosing function) of each language literal in a module."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, scope: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = node.name if scope == "<module>" else f"{scope}.{node.name}"
        elif scope == "<module>" and isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                scope = targets[0].id  # a module-level constant is named by its variable
        hit = False
        if isinstance(node, ast.Dict):
            hit = any(_is_lang_key(k) for k in node.keys)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            hit = any(kw.arg in LANG_CODES for kw in node.keywords)
        elif isinstance(node, ast.IfExp):
            hit = _is_lang_test(node.test) and (_is_text(node.body) or _is_text(node.orelse))
        if hit:
            found.append((node.lineno, scope))
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(tree, "<module>")
    return found


def language_literals() -> dict[str, list[tuple[int, str]]]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        hits = _literals_in(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if hits:
            out[path.relative_to(SRC).as_posix()] = hits
    return out


def test_scanner_finds_the_forms_it_names():
    code = '''
X = {"en": "Hello", "zh": "你好"}
def f(en, zh):
    return {"en": en, "zh": zh}
Y = {"th": "สวัสดี"}
Z = dict(en="a", zh="b")
R = {"id": 1, "name": "x"}          # a record, not a language map
S = {"id": "Halo", "en": "Hello"}   # Indonesian next to English
T = "Monitor" if lang != "zh" else "监测"
U = "zh-CN" if lang == "zh" else lang  # a language tag, not text
'''
    assert _literals_in(ast.parse(code)) == [(2, "X"), (4, "f"), (5, "Y"), (6, "Z"), (8, "S"), (9, "T")]


def test_no_language_literals_in_code():
    found = language_literals()
    bad = [f"src/tianping/{path}:{line} (in {scope})" for path, hits in found.items() if path not in NOT_CONVERTED
           for line, scope in hits if (path, scope) not in ALLOWED]
    assert bad == [], "language literals in code: put the texts in the catalogs (docs/translating.md):\n" + "\n".join(bad)


def test_modules_still_to_convert_only_go_down():
    found = language_literals()
    counts = {path: len(found.get(path, [])) for path in NOT_CONVERTED}
    grown = {p: (n, NOT_CONVERTED[p]) for p, n in counts.items() if n > NOT_CONVERTED[p]}
    assert grown == {}, "more language literals than before in a module still to convert"


def test_allow_list_entries_are_still_needed():
    found = language_literals()
    used = {(path, scope) for path, hits in found.items() for _, scope in hits}
    assert sorted(set(ALLOWED) - used) == []


def test_data_texts_accept_any_language_and_reject_other_keys():
    """Data files keep their language maps: a text in another language is added under its code (th, vi, …),
    read back with the others; a key that is no language code is still an error."""
    import pydantic
    import pytest

    from tianping.evaluation.tabular.guide import Context
    from tianping.evaluation.tabular.spec import MetricEntry
    from tianping.observatory.countries import Title

    ctx = Context(metric="m", en="Hello", zh="你好", th="สวัสดี", vi="Xin chào")
    assert i18n.model_texts(ctx) == {"en": "Hello", "zh": "你好", "th": "สวัสดี", "vi": "Xin chào"}
    assert i18n.lang_text(i18n.model_texts(ctx), "th") == "สวัสดี" and i18n.lang_text(i18n.model_texts(ctx), "ms") == "Hello"
    with pytest.raises(pydantic.ValidationError, match="unknown field 'metrc'"):
        Context(metric="m", metrc="x", en="a", zh="b")
    with pytest.raises(pydantic.ValidationError, match="non-empty string"):
        Context(metric="m", en="a", zh="b", th="")
    entry = MetricEntry(test="performance", cites=[], en="Accuracy", zh="准确率", fil="Katumpakan")
    assert i18n.model_texts(entry)["fil"] == "Katumpakan"
    with pytest.raises(pydantic.ValidationError, match="unknown field 'tresholds'"):
        MetricEntry(test="performance", cites=[], en="a", zh="b", tresholds={})
    assert Title(en="ASEAN", zh="东盟", th="อาเซียน").model_dump()["th"] == "อาเซียน"
