"""Load and validate the seed banks and templates (bundled or user-given YAML).

Bank files are parsed with `yamlio` so any problem — a missing translation, an unknown risk id,
a duplicate item id, a YAML syntax error — is reported with file, line and field, and all
problems of a file are reported together. Each risk id is checked against the catalog, and the
bank's mapping to NIST AI 600-1 and MIT comes from the catalog crosswalk, not from the bank.

Language packs (`banks/<folder>/*.yaml`, e.g. `banks/asean/generated_content.ms.yaml`) add items
written for one language's context to a bundled bank. They are data: a new language is a new file,
found by its folder, never a code list. Each pack item records its provenance (`hand-written`,
`adapted from <id>`, `translated and reviewed`), author, date and whether a native speaker reviewed
it; a pack item's prompt exists only in the pack's languages (a prompt never falls back to another
language, since a sample labelled `ms` must be Malay text).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from ...errors import Problem, ProblemList, TianpingError
from ...yamlio import LocatedDoc, load_yaml_file, validation_problems
from .schema import BankFile, BankItem, Strict

BANK_DIR = Path(__file__).parent / "banks"
BANK_FILES = {
    "generated_content": "generated_content.yaml",
    "should_refuse": "should_refuse.yaml",
    "should_not_refuse": "should_not_refuse.yaml",
}
TC260 = "cn-tc260-003"
REFUSE_CATEGORIES = ("A.1.", "A.2.")  # the 17 risks the should-refuse bank must cover
PACK_GLOB = "*/*.yaml"  # language packs: any YAML file one folder below banks/
PROVENANCE = r"^(hand-written|adapted from [a-z0-9][a-z0-9._-]*|translated and reviewed)$"


class SourcedItem(BankItem):
    """A language-pack item with its record; author, date and reviewed default to the pack's."""

    provenance: str = Field(pattern=PROVENANCE)
    author: str | None = None
    date: dt.date | None = None
    reviewed: bool | None = None
    note: str | None = None
    pack: str | None = None  # set by the loader: the pack file and version the item came from


class LanguagePack(Strict):
    """A pack file: items for one bank in the pack's languages, the risks it declares it covers."""

    bank: Literal["generated_content", "should_refuse", "should_not_refuse"]
    version: str
    title: dict[str, str]
    languages: list[str] = Field(min_length=1)
    author: str = Field(min_length=1)
    date: dt.date
    reviewed: bool = False
    risks: list[str] = Field(min_length=1)
    items: list[SourcedItem] = Field(min_length=1)


def _parse(doc: LocatedDoc, model: type[BankFile] | type[LanguagePack]):
    if not isinstance(doc.data, dict):
        raise TianpingError(
            Problem("expected a mapping with bank, version, title, languages and items", file=doc.path, line=1),
            title="invalid bank file",
        )
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid bank file") from None


def _check_items(bank: BankFile | LanguagePack, doc: LocatedDoc, problems: ProblemList) -> None:
    risks = tc260_risks()
    seen: dict[str, int] = {}
    for i, item in enumerate(bank.items):
        line = doc.line_of(("items", i))
        if item.id in seen:
            problems.add(
                f"duplicate item id '{item.id}' (first is item {seen[item.id]})", file=doc.path, line=line, field=f"items.{i}.id"
            )
        seen[item.id] = i
        if item.risk not in risks:
            problems.add(
                f"unknown TC260-003 risk '{item.risk}'",
                file=doc.path,
                line=doc.line_of(("items", i, "risk")),
                field=f"items.{i}.risk",
            )
        if bank.bank == "should_refuse" and not item.risk.startswith(REFUSE_CATEGORIES):
            problems.add("should-refuse items must carry an A.1 or A.2 risk", file=doc.path, line=line, field=f"items.{i}.risk")
        for lang in bank.languages:
            if not (item.text.get(lang) or "").strip():
                problems.add(
                    f"missing '{lang}' text",
                    file=doc.path,
                    line=doc.line_of(("items", i, "text")),
                    field=f"items.{i}.text.{lang}",
                )


def _validate(doc: LocatedDoc) -> BankFile:
    bank = _parse(doc, BankFile)
    problems = ProblemList()
    _check_items(bank, doc, problems)
    problems.raise_if_any("invalid bank file")
    return bank


def load_language_pack(path: str | Path, base: BankFile, doc: LocatedDoc | None = None) -> LanguagePack:
    """Parse and validate one language pack against the bundled bank it extends.

    Beyond the bank checks: text only in the pack's languages, every item's risk declared in
    `risks` and every declared risk covered, `adapted from` naming an item of the base bank,
    `translated and reviewed` only on reviewed items, references for accuracy items (A.5), the
    base bank's topics for should-not-refuse items, and ids unused by the base bank. Author,
    date and reviewed of the pack are filled into items that do not set their own."""
    doc = doc or load_yaml_file(path)
    pack = _parse(doc, LanguagePack)
    problems = ProblemList()
    _check_items(pack, doc, problems)
    if pack.bank != base.bank:
        problems.add(f"pack is for '{pack.bank}', not '{base.bank}'", file=doc.path, line=doc.line_of(("bank",)), field="bank")
    known = tc260_risks()
    for j, rid in enumerate(pack.risks):
        if rid not in known:
            problems.add(f"unknown TC260-003 risk '{rid}'", file=doc.path, line=doc.line_of(("risks", j)), field=f"risks.{j}")
        elif not any(it.risk == rid for it in pack.items):
            problems.add(f"declared risk '{rid}' has no item", file=doc.path, line=doc.line_of(("risks", j)), field=f"risks.{j}")
    base_ids = {it.id for it in base.items}
    topics = {it.topic for it in base.items if it.topic}
    langs = set(pack.languages)
    for i, item in enumerate(pack.items):

        def where(*loc: str | int, _i: int = i) -> dict:
            return {"file": doc.path, "line": doc.line_of(("items", _i, *loc)), "field": ".".join(map(str, ("items", _i, *loc)))}

        if item.id in base_ids:
            problems.add(f"item id '{item.id}' is already used by the bundled bank", **where("id"))
        if item.risk not in pack.risks:
            problems.add(f"risk '{item.risk}' is not in the pack's declared risks", **where("risk"))
        for lang in sorted(set(item.text) - langs):
            problems.add(f"text in '{lang}', which is not a language of the pack", **where("text", lang))
        source = item.provenance.removeprefix("adapted from ")
        if source != item.provenance and source not in base_ids:
            problems.add(f"adapted from '{source}', which is not an item of the bundled bank", **where("provenance"))
        reviewed = pack.reviewed if item.reviewed is None else item.reviewed
        if item.provenance == "translated and reviewed" and not reviewed:
            problems.add("'translated and reviewed' on an item not marked reviewed", **where("provenance"))
        if item.risk.startswith("A.5.") and pack.bank == "generated_content":
            for lang in pack.languages:
                if not (item.reference or {}).get(lang):
                    problems.add(f"accuracy item without a '{lang}' reference", **where("reference"))
        if base.bank == "should_not_refuse" and item.topic not in topics:
            problems.add(
                f"topic '{item.topic}' is not a topic of the bundled bank ({', '.join(sorted(topics))})", **where("topic")
            )
        item.author = item.author or pack.author
        item.date = item.date or pack.date
        item.reviewed = reviewed
        item.pack = f"{Path(path).parent.name}/{Path(path).name}@{pack.version}"
    problems.raise_if_any("invalid language pack")
    return pack


def language_packs(base: dict[str, BankFile], bank_dir: Path = BANK_DIR) -> list[tuple[Path, LanguagePack]]:
    """Every pack file below `bank_dir`, validated against the base bank it names, in path order."""
    out = []
    for path in sorted(bank_dir.glob(PACK_GLOB)):
        doc = load_yaml_file(path)
        name = doc.data.get("bank") if isinstance(doc.data, dict) else None
        if name not in base:
            raise TianpingError(
                Problem(
                    f"unknown bank '{name}' (one of {', '.join(base)})", file=str(path), line=doc.line_of(("bank",)), field="bank"
                ),
                title="invalid language pack",
            )
        out.append((path, load_language_pack(path, base[name], doc)))
    return out


def merge_packs(base: dict[str, BankFile], packs: list[tuple[Path, LanguagePack]]) -> dict[str, BankFile]:
    """The bundled banks with their packs' items appended (languages added after the base's)."""
    out = dict(base)
    seen: dict[str, Path] = {}
    for path, pack in packs:
        bank = out[pack.bank]
        problems = ProblemList()
        for i, item in enumerate(pack.items):
            if item.id in seen:
                problems.add(f"item id '{item.id}' is also used by {seen[item.id]}", file=str(path), field=f"items.{i}.id")
            seen[item.id] = path
        problems.raise_if_any("invalid language pack")
        langs = bank.languages + [lg for lg in pack.languages if lg not in bank.languages]
        out[pack.bank] = bank.model_copy(update={"languages": langs, "items": [*bank.items, *pack.items]})
    return out


def load_bank_file(path: str | Path) -> BankFile:
    """Parse and validate one seed file; raises TianpingError naming file, line and field."""
    return _validate(load_yaml_file(path))


@lru_cache(maxsize=1)
def bundled_banks() -> dict[str, BankFile]:
    """The three bundled banks, each with the items of its language packs appended."""
    base = {name: load_bank_file(BANK_DIR / fname) for name, fname in BANK_FILES.items()}
    return merge_packs(base, language_packs(base))


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
                problems.add(
                    "template lacks {q}",
                    file=doc.path,
                    line=doc.line_of(("templates", lang, tid)),
                    field=f"templates.{lang}.{tid}",
                )
            if "{persona}" in str(text) and not per.get(lang):
                problems.add(
                    f"no personas for '{lang}'",
                    file=doc.path,
                    line=doc.line_of(("templates", lang, tid)),
                    field=f"personas.{lang}",
                )
    problems.raise_if_any("invalid templates file")
    return Templates(str(data.get("version", "")), tpl, per)


@lru_cache(maxsize=1)
def tc260_risks() -> dict[str, dict[str, str]]:
    """The 31 Appendix A risks: id → their titles in every language the catalog gives (data, read with
    `lang_text`), from the catalog."""
    from ...catalog.loader import default_catalog
    from ...catalog.schema import ProvisionKind

    inst = default_catalog().instrument(TC260)
    return {
        p.id: {k: v for k, v in p.title.model_dump(exclude_none=True).items() if v}
        for p in inst.provisions
        # compare members: ProvisionKind has a member named `value`, which hides Enum.value from mypy
        if p.kind is ProvisionKind.risk and p.id.startswith("A.")
    }


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
