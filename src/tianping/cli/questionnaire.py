"""The guided registration questionnaire (`tianping register --interactive`): terminal I/O only.

What is asked, in which words, and how answers become a profile lives in
`registry/questionnaire.py`, shared with the web form; this module prompts, re-asks what it did
not understand, and hands the answers over. An empty answer or "?" leaves a field unanswered,
which classification reports as undetermined instead of guessing.
"""

from __future__ import annotations

from typing import Any

import typer

from ..registry.profile import AISystem, DataCategory
from ..registry.questionnaire import (
    L, NO, YES, data_holding, parse_answer, parse_roles, questions, role_choices, to_profile, transfer,
)

__all__ = ["L", "NO", "YES", "run_questionnaire"]


def _ask(text: str, lang: str, default: str = "") -> str | None:
    ans = typer.prompt(f"{text} {L['unknown_hint'][lang]}", default=default, show_default=bool(default)).strip()
    return None if ans in ("", "?") else ans


def run_questionnaire(lang: str) -> AISystem:
    answers: dict[str, Any] = {}
    answers["id"] = typer.prompt(L["id"][lang]).strip()
    answers["name"] = typer.prompt(L["name"][lang]).strip()
    org: dict[str, Any] = {"name": typer.prompt(L["org"][lang]).strip()}
    country = _ask(L["country"][lang], lang)
    if country:
        org["country"] = country.upper()
    answers["organisation"] = org
    jurisdictions = [j.strip().upper() for j in typer.prompt(L["jurisdictions"][lang]).replace("，", ",").split(",") if j.strip()]
    answers["jurisdictions"] = jurisdictions
    roles: dict[str, list[str]] = {}
    for j in jurisdictions:
        raw = _ask(L["roles"][lang].format(j=j, choices=", ".join(role_choices())), lang)
        if raw:
            roles[j] = parse_roles(raw)
    answers["roles"] = roles
    for q in questions(jurisdictions, lang):
        if q.kind == "org-bool":
            while True:
                raw = _ask(q.text, lang)
                if raw is None:
                    break
                if raw.lower() in YES or raw.lower() in NO:
                    org[q.field.split(".", 1)[1]] = raw.lower() in YES
                    break
                typer.echo(L["bad"][lang].format(e="yes / no"))
            continue
        if q.kind == "data":
            cats = _ask(f"{q.text} ({', '.join(c.value for c in DataCategory)})", lang)
            if cats is not None:
                holdings = []
                for c in [x.strip() for x in cats.split(",") if x.strip()]:
                    n = _ask(L["persons"][lang].format(c=c), lang)
                    holdings.append(data_holding(c, int(n) if n else None))
                answers["data"] = holdings
            continue
        if q.kind == "transfers":
            dest = _ask(L["xb_dest"][lang], lang)
            if dest is None:
                continue
            cats = _ask(L["xb_cats"][lang].format(choices=", ".join(c.value for c in DataCategory)), lang) or "personal"
            persons = _ask(L["xb_persons"][lang], lang)
            sensitive = _ask(L["xb_sensitive"][lang], lang)
            answers["cross_border_transfers"] = [transfer(dest, cats.split(","), int(persons) if persons else None,
                                                          int(sensitive) if sensitive else None)]
            continue
        prompt = q.text + (f" ({', '.join(q.choices)})" if q.choices else "")
        while True:
            raw = _ask(prompt, lang)
            if raw is None:
                break
            try:
                answers[q.field] = parse_answer(q.field, raw)
                break
            except (ValueError, TypeError) as exc:
                typer.echo(L["bad"][lang].format(e=exc))
    return to_profile(answers)
