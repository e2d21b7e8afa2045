"""The profile field reference, generated from the AISystem model and the loaded data.

For every field of the profile (and of its nested records): its type, whether it is required,
its zh/en label and description, the allowed codes with their zh/en meaning, and which rules of
which packs read it. Printed by `tianping register --schema` and written to docs/profile-fields.md
(`python -m tianping.registry.fieldref > docs/profile-fields.md`; a test keeps the file current).
"""

from __future__ import annotations

import datetime as dt
import typing
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel

from ..i18n import SOURCE_LANG, available_languages, lang_text
from .profile import AISystem, CrossBorderTransfer, DataHolding, Organisation, field_labels

CODE_LABELS_FILE = Path(__file__).with_name("code_labels.yaml")
# nested records and the path prefix their fields get
NESTED: dict[str, tuple[type[BaseModel], str]] = {
    "organisation": (Organisation, "organisation."),
    "data": (DataHolding, "data[]."),
    "cross_border_transfers": (CrossBorderTransfer, "cross_border_transfers[]."),
}
# derived facts (rules/engine.derived_facts) and the profile fields they are computed from
DERIVED_FROM = {
    "generative": "model_kinds",
    "data_categories": "data",
    "persons": "data",
    "exports_from_cn": "cross_border_transfers",
    "exports_important_data": "cross_border_transfers[].categories",
    "export_persons": "cross_border_transfers[].persons",
    "export_sensitive_persons": "cross_border_transfers[].sensitive_persons",
    "export_exempt_purposes": "cross_border_transfers[].purpose",
}
VOCAB_FIELDS = {"use_cases": "use_cases", "sector": "sectors", "cross_border_transfers[].purpose": "transfer_purposes"}
JURISDICTION_FIELDS = {
    "jurisdictions",
    "roles",
    "organisation.country",
    "cross_border_transfers[].origin",
    "cross_border_transfers[].destination",
}


@lru_cache(maxsize=1)
def code_labels() -> dict[str, dict[str, dict[str, str]]]:
    from ..yamlio import load_yaml_file  # a bundled file: parsed once, then read from the parse cache

    return cast(dict[str, dict[str, dict[str, str]]], load_yaml_file(CODE_LABELS_FILE).data)


def _enum_of(ann) -> type[Enum] | None:
    if isinstance(ann, type) and issubclass(ann, Enum):
        return ann
    for a in typing.get_args(ann):
        inner = _enum_of(a)
        if inner is not None:
            return inner
    return None


def _type_name(ann) -> str:
    origin = typing.get_origin(ann)
    args = [a for a in typing.get_args(ann) if a is not type(None)]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " | ".join(_type_name(a) for a in args) if len(args) > 1 else _type_name(args[0])
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"mapping {_type_name(args[0])} -> {_type_name(args[1])}"
    if isinstance(ann, type):
        if issubclass(ann, Enum):
            return "code"
        if issubclass(ann, BaseModel):
            return "record"
        return {str: "text", bool: "yes/no", int: "integer", float: "number", dt.date: "date (YYYY-MM-DD)"}.get(ann, ann.__name__)
    return str(ann)


def _readers() -> dict[str, list[str]]:
    """Profile field path -> ['pack:rule-id', ...] for every rule (and pack condition) that reads it."""
    from ..rules.pack import default_packs

    out: dict[str, set[str]] = {}

    def add(path: str, who: str) -> None:
        parts = path.split(".")
        if parts[0] == "system" and len(parts) > 1:
            f = parts[1] if parts[1] != "organisation" or len(parts) < 3 else f"organisation.{parts[2]}"
        elif parts[0] == "derived" and len(parts) > 1:
            f = DERIVED_FROM.get(parts[1], parts[1])
        elif parts[0] == "roles":
            f = "roles"
        else:
            return
        out.setdefault(f, set()).add(who)

    for lp in default_packs():
        pid = lp.pack.id
        for r in lp.applies_if.reads:
            add(r, f"{pid}:applies_if")
        for rule in lp.designations + lp.obligations:
            for r in rule.when.reads | (rule.unless.reads if rule.unless else set()):
                add(r, f"{pid}:{rule.id}")
        for a in lp.amendments:
            for ch, comp in a.changes:
                for r in comp.reads if comp is not None else ():
                    add(r, f"{pid}:amendment {a.spec.id} ({ch.window})")
    return {k: sorted(v) for k, v in out.items()}


def _codes(path: str, ann) -> tuple[list[dict[str, str]], str | None]:
    from ..rules.jurisdictions import data, iso
    from ..rules.vocabulary import vocabulary

    if path in VOCAB_FIELDS:
        v = vocabulary()
        kind = VOCAB_FIELDS[path]
        if kind == "sectors":
            return [{"code": c, **v.sector_labels[c].model_dump()} for c in v.sectors if c in v.sector_labels], None
        items = getattr(v, kind)
        langs = set(available_languages())
        return [{"code": c, **spec.model_dump(include=langs)} for c, spec in items.items()], None
    if path == "roles":
        from .profile import Role

        labels = code_labels()["Role"]
        return (
            [{"code": r.value, **labels[r.value]} for r in Role],
            "keys: jurisdiction codes (ISO 3166-1, ISO 3166-2 or a group), case-insensitive; values: role codes",
        )
    if path in JURISDICTION_FIELDS:
        i = iso()
        groups = [g for g, grp in data().groups.items() if grp.deployment]
        if path == "organisation.country":
            return [], f"ISO 3166-1 alpha-2 ({len(i['countries'])} codes), case-insensitive"
        note = (
            f"ISO 3166-1 alpha-2 ({len(i['countries'])} codes), ISO 3166-2 ({len(i['subdivisions'])} codes, e.g. US-CO) "
            f"or a group ({', '.join(groups)}); case-insensitive"
        )
        if path.startswith("cross_border_transfers"):
            note = "ISO 3166-1 alpha-2 or EU; case-insensitive"
        groups_out = (
            [{"code": g, **data().groups[g].title.model_dump(include={"en", "zh"})} for g in groups]
            if path in ("jurisdictions", "roles")
            else []
        )
        return groups_out, note
    enum = _enum_of(ann)
    if enum is not None:
        labels = code_labels().get(enum.__name__, {})
        return [{"code": e.value, **(labels.get(e.value) or {SOURCE_LANG: e.value})} for e in enum], None
    return [], None


def field_reference() -> list[dict[str, Any]]:
    """One entry per profile field, nested records flattened (organisation.country, data[].persons…)."""
    labels = field_labels()
    readers = _readers()
    out = []

    def entry(path: str, f, label: dict[str, str] | None) -> dict[str, Any]:
        codes, note = _codes(path, f.annotation)
        return {
            "field": path,
            "type": _type_name(f.annotation),
            "required": f.is_required(),
            "label": label or {SOURCE_LANG: path},
            "description": f.description,
            "codes": codes,
            "codes_note": note,
            "read_by": readers.get(path, []),
        }

    for name, f in AISystem.model_fields.items():
        out.append(entry(name, f, labels.get(name)))
        if name in NESTED:
            model, prefix = NESTED[name]
            for sub, sf in model.model_fields.items():
                out.append(entry(prefix + sub, sf, code_labels().get("_fields", {}).get(prefix + sub)))
    return out


def render_markdown() -> str:
    lines = [
        "# Profile fields (AISystem)",
        "",
        "Generated from the profile model (`src/tianping/registry/profile.py`), the vocabularies",
        "(`rules/vocabulary.yaml`, `rules/jurisdictions.yaml`, `registry/code_labels.yaml`) and the rule packs:",
        "`tianping register --schema` prints the same (`--json` for machine use). Regenerate with",
        "`python -m tianping.registry.fieldref > docs/profile-fields.md`; a test keeps this file current.",
        "",
        "Every rule-relevant field is optional: an unanswered field is *unknown*, never *no*. Codes are",
        "checked on input; an unknown code is an error (exit 2) naming the file, line and field, with a",
        "suggestion. Jurisdiction codes are case-insensitive.",
        "",
    ]
    for e in field_reference():
        lines.append(f"## `{e['field']}`")
        lines.append("")
        lines.append(f"- {lang_text(e['label'], 'en')} / {lang_text(e['label'], 'zh')}")
        lines.append(f"- type: {e['type']}" + ("; required" if e["required"] else "; optional"))
        if e["description"]:
            lines.append(f"- {e['description']}")
        if e["codes_note"]:
            lines.append(f"- codes: {e['codes_note']}")
        if e["read_by"]:
            by_pack: dict[str, list[str]] = {}
            for r in e["read_by"]:
                pack, rule = r.split(":", 1)
                by_pack.setdefault(pack, []).append(rule)
            parts = []
            for pack, rules in by_pack.items():
                if len(rules) > 6:
                    parts.append(f"{len(rules)} rules of pack `{pack}` (e.g. " + ", ".join(f"`{x}`" for x in rules[:3]) + ")")
                else:
                    parts.append(f"pack `{pack}`: " + ", ".join(f"`{x}`" for x in rules))
            lines.append("- read by: " + "; ".join(parts))
        if e["codes"]:
            lines.append("")
            lines.append("| code | en | zh |")
            lines.append("|---|---|---|")
            for c in e["codes"]:
                lines.append(f"| `{c['code']}` | {lang_text(c, 'en')} | {lang_text(c, 'zh')} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_markdown())
