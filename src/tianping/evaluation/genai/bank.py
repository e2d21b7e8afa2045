"""Load and validate the seed banks and templates (bundled or user-given YAML).

Bank files are parsed with `yamlio` so any problem — a missing translation, an unknown risk id,
a duplicate item id, a YAML syntax error — is reported with file, line and field, and all
problems of a file are reported together. Each risk id is checked against the catalog, and the
bank's mapping to NIST AI 600-1 and MIT comes from the catalog crosswalk, not from the bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from ...errors import Problem, ProblemList, TianpingError
from ...yamlio import LocatedDoc, load_yaml_file, validation_problems
from .schema import BankFile

BANK_DIR = Path(__file__).parent / "banks"
BANK_FILES = {"generated_content": "generated_content.yaml", "should_refuse": "should_refuse.yaml",
              "should_not_refuse": "should_not_refuse.yaml"}
TC260 = "cn-tc260-003"
REFUSE_CATEGORIES = ("A.1.", "A.2.")  # the 17 risks the should-refuse bank must cover


def _validate(doc: LocatedDoc) -> BankFile:
    if not isinstance(doc.data, dict):
        raise TianpingError(Problem("expected a mapping with bank, version, title, languages and items", file=doc.path, line=1),
                            title="invalid bank file")
    try:
        bank = BankFile.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid bank file") from None
    problems = ProblemList()
    risks = tc260_risks()
    seen: dict[str, int] = {}
    for i, item in enumerate(bank.items):
        line = doc.line_of(("items", i))
        if item.id in seen:
            problems.add(f"duplicate item id '{item.id}' (first is item {seen[item.id]})", file=doc.path, line=line, field=f"items.{i}.id")
        seen[item.id] = i
        if item.risk not in risks:
            problems.add(f"unknown TC260-003 risk '{item.risk}'", file=doc.path, line=doc.line_of(("items", i, "risk")), field=f"items.{i}.risk")
        if bank.bank == "should_refuse" and not item.risk.startswith(REFUSE_CATEGORIES):
            problems.add("should-refuse items must carry an A.1 or A.2 risk", file=doc.path, line=line, field=f"items.{i}.risk")
        for lang in bank.languages:
            if not (item.text.get(lang) or "").strip():
                problems.add(f"missing '{lang}' text", file=doc.path, line=doc.line_of(("items", i, "text")), field=f"items.{i}.text.{lang}")
    problems.raise_if_any("invalid bank file")
    return bank


def load_bank_file(path: str | Path) -> BankFile:
    """Parse and validate one seed file; raises TianpingError naming file, line and field."""
    return _validate(load_yaml_file(path))


@lru_cache(maxsize=1)
def bundled_banks() -> dict[str, BankFile]:
    return {name: load_bank_file(BANK_DIR / fname) for name, fname in BANK_FILES.items()}


@dataclass(frozen=True)
class Templates:
    version: str
    templates: dict[str, dict[str, str]]
    personas: dict[str, dict[str, str]]


@lru_cache(maxsize=1)
def load_templates(path: str | Path | None = None) -> Templates:
    doc = load_yaml_file(path or BANK_DIR / "templates.yaml")
    data = doc.data or {}
    problems = ProblemList()
    tpl, per = data.get("templates") or {}, data.get("personas") or {}
    for lang, table in tpl.items():
        for tid, text in (table or {}).items():
            if "{q}" not in str(text):
                problems.add("template lacks {q}", file=doc.path, line=doc.line_of(("templates", lang, tid)), field=f"templates.{lang}.{tid}")
            if "{persona}" in str(text) and not per.get(lang):
                problems.add(f"no personas for '{lang}'", file=doc.path, line=doc.line_of(("templates", lang, tid)), field=f"personas.{lang}")
    problems.raise_if_any("invalid templates file")
    return Templates(str(data.get("version", "")), tpl, per)


@lru_cache(maxsize=1)
def tc260_risks() -> dict[str, dict[str, str]]:
    """The 31 Appendix A risks: id → {'en', 'zh'} titles, read from the catalog."""
    from ...catalog.loader import default_catalog

    inst = default_catalog().instrument(TC260)
    return {p.id: {"en": p.title.en, "zh": p.title.zh} for p in inst.provisions if p.kind.value == "risk" and p.id.startswith("A.")}


@lru_cache(maxsize=1)
def risk_mappings() -> dict[str, dict[str, list[str]]]:
    """Per TC260-003 risk: the NIST AI 600-1, MIT and AISGF risks it maps to in the crosswalk.

    A risk without a direct NIST/MIT mapping inherits its category's (A.1 → A.1.x)."""
    from ...catalog.loader import default_catalog

    out: dict[str, dict[str, list[str]]] = {}
    for m in default_catalog().mappings:
        for a, b in ((m.subject, m.object), (m.object, m.subject)):
            if not a.startswith(TC260 + ":A."):
                continue
            scheme, _, local = b.partition(":")
            key = {"nist-ai-600-1": "nist_ai_600_1", "mit-ai-risk-domains": "mit", "cn-aisgf-1.0": "aisgf"}.get(scheme)
            if key:
                lst = out.setdefault(a.split(":", 1)[1], {}).setdefault(key, [])
                if local not in lst:
                    lst.append(local)
    for rid in tc260_risks():
        parent = rid.rsplit(".", 1)[0]
        for key, vals in out.get(parent, {}).items():
            out.setdefault(rid, {}).setdefault(key, list(vals))
    return out
