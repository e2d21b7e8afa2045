"""The registration questionnaire as data, for the API and the web form.

It asks exactly what `tianping register --interactive` asks: the identity questions, then the
questions the rule packs of the chosen jurisdictions read, in their own wording (the packs'
`questions:`). The selection and parsing helpers are the CLI questionnaire's; this module only
describes each question as a form field and turns submitted form values into a profile dict.
"""

from __future__ import annotations

import typing
from enum import Enum
from typing import Any

from ..cli.questionnaire import L, NO, YES, _choices, _fields_read, _packs_for, _parse, _question
from ..errors import Problem, TianpingError
from ..registry.profile import AISystem, DataCategory, Organisation, Role

KNOWN_JURISDICTIONS = ("EU", "CN", "SG", "ID", "MY", "TH", "VN", "PH", "US")


def _kind(field: str) -> str:
    if field == "data":
        return "data"
    if field == "cross_border_transfers":
        return "transfers"
    ann = AISystem.model_fields[field].annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)] or [ann]
    base = args[0]
    if base is bool:
        return "bool"
    if base in (int, float):
        return "number"
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        return "multi" if isinstance(item, type) and issubclass(item, Enum) or field == "use_cases" else "list"
    if isinstance(base, type) and issubclass(base, Enum):
        return "choice"
    if base.__name__ == "date":
        return "date"
    return "text"


def questions(jurisdictions: list[str], lang: str) -> list[dict[str, Any]]:
    """The pack questions for these jurisdictions, each with its field, text, kind and choices."""
    packs = _packs_for(jurisdictions)
    out: list[dict[str, Any]] = []
    for field in _fields_read(packs):
        if field.startswith("organisation."):
            sub = field.split(".", 1)[1]
            if sub not in Organisation.model_fields or bool not in typing.get_args(Organisation.model_fields[sub].annotation):
                continue
            text = next((p.questions[f"system.{field}"].text.get(lang) for p in packs if f"system.{field}" in p.questions),
                        Organisation.model_fields[sub].description or sub)
            out.append({"field": field, "text": text, "kind": "bool", "choices": []})
            continue
        if field not in AISystem.model_fields or field in ("id", "name", "organisation", "jurisdictions", "roles"):
            continue
        kind = _kind(field)
        choices = [c.value for c in DataCategory] if kind in ("data", "transfers") else \
            [c.strip() for c in _choices(field).split(",") if c.strip()]
        out.append({"field": field, "text": _question(field, packs, lang), "kind": kind, "choices": choices})
    return out


def identity_labels(lang: str) -> dict[str, str]:
    return {k: L[k][lang] for k in ("id", "name", "org", "country", "jurisdictions", "unknown_hint", "xb_dest", "xb_persons",
                                    "xb_sensitive", "xb_cats")}


def role_choices() -> list[str]:
    return [r.value for r in Role]


def profile_from_form(form: dict[str, list[str]], organisation: str) -> dict[str, Any]:
    """Form values (name -> list of values) -> profile dict. Empty answers stay unanswered."""
    def one(name: str) -> str | None:
        v = [x.strip() for x in form.get(name, []) if x.strip()]
        return v[0] if v else None

    problems: list[Problem] = []
    jurisdictions = [j.upper() for j in form.get("jurisdictions", []) if j.strip()]
    answers: dict[str, Any] = {"id": one("id") or "", "name": one("name") or "", "jurisdictions": jurisdictions}
    if one("name_zh"):
        answers["name_zh"] = one("name_zh")
    org: dict[str, Any] = {"name": organisation}
    if one("organisation.country"):
        org["country"] = one("organisation.country").upper()
    roles = {j: form.get(f"roles.{j}", []) for j in jurisdictions if form.get(f"roles.{j}")}
    answers["roles"] = roles
    for q in questions(jurisdictions, "en"):
        field, kind = q["field"], q["kind"]
        if field.startswith("organisation."):
            raw = one(field)
            if raw is not None:
                org[field.split(".", 1)[1]] = raw.lower() in YES
            continue
        if kind == "multi":
            vals = [v for v in form.get(field, []) if v.strip()]
            if vals:
                answers[field] = vals
            continue
        if kind == "data":
            holdings = []
            for c in form.get("data", []):
                n = one(f"data.{c}.persons")
                try:
                    holdings.append({"category": c, **({"persons": int(n)} if n else {})})
                except ValueError:
                    problems.append(Problem("a whole number", field=f"data.{c}.persons"))
            if holdings or one("data.none"):
                answers["data"] = holdings
            continue
        if kind == "transfers":
            dest = one("xb.destination")
            if dest:
                t: dict[str, Any] = {"destination": dest.upper(), "categories": form.get("xb.categories") or ["personal"]}
                for key in ("persons", "sensitive_persons"):
                    v = one(f"xb.{key}")
                    if v:
                        try:
                            t[key] = int(v)
                        except ValueError:
                            problems.append(Problem("a whole number", field=f"xb.{key}"))
                answers["cross_border_transfers"] = [t]
            elif one("xb.none"):
                answers["cross_border_transfers"] = []
            continue
        raw = one(field)
        if raw is None:
            continue
        if kind == "bool" and raw.lower() not in YES | NO:
            problems.append(Problem("answer yes or no", field=field))
            continue
        try:
            answers[field] = raw if kind == "date" else _parse(field, raw)
        except (ValueError, TypeError) as exc:
            problems.append(Problem(str(exc), field=field))
    answers["organisation"] = org
    if problems:
        raise TianpingError(problems, title="invalid profile")
    return answers
