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
    NO,
    YES,
    data_holding,
    parse_answer,
    parse_roles,
    questions,
    role_choices,
    to_profile,
    transfer,
)

__all__ = ["NO", "YES", "run_questionnaire"]


def _l(key: str, lang: str) -> str:
    """A prompt of the questionnaire in `lang`: message `q.<key>` of the catalogs (English as fallback)."""
    from ..i18n import t

    return t(f"q.{key}", lang)


def _ask(text: str, lang: str, default: str = "") -> str | None:
    ans = typer.prompt(f"{text} {_l('unknown_hint', lang)}", default=default, show_default=bool(default)).strip()
    return None if ans in ("", "?") else ans


def run_questionnaire(lang: str) -> AISystem:
    answers: dict[str, Any] = {}
    answers["id"] = typer.prompt(_l("id", lang)).strip()
    answers["name"] = typer.prompt(_l("name", lang)).strip()
    org: dict[str, Any] = {"name": typer.prompt(_l("org", lang)).strip()}
    country = _ask(_l("country", lang), lang)
    if country:
        org["country"] = country.upper()
    answers["organisation"] = org
    jurisdictions = [
        j.strip().upper() for j in typer.prompt(_l("jurisdictions", lang)).replace("，", ",").split(",") if j.strip()
    ]
    answers["jurisdictions"] = jurisdictions
    roles: dict[str, list[str]] = {}
    for j in jurisdictions:
        raw = _ask(_l("roles", lang).format(j=j, choices=", ".join(role_choices())), lang)
        if raw:
            roles[j] = parse_roles(raw)
    answers["roles"] = roles
    # the rule packs word their questions in English and Chinese; other languages fall back to English
    english = {q.field: q.text for q in questions(jurisdictions, "en")} if lang not in ("en", "zh") else {}
    for q in questions(jurisdictions, lang):
        qtext = q.text or english.get(q.field) or q.field
        if q.kind == "org-bool":
            while True:
                raw = _ask(qtext, lang)
                if raw is None:
                    break
                if raw.lower() in YES or raw.lower() in NO:
                    org[q.field.split(".", 1)[1]] = raw.lower() in YES
                    break
                typer.echo(_l("bad", lang).format(e="yes / no"))
            continue
        if q.kind == "data":
            cats = _ask(f"{qtext} ({', '.join(c.value for c in DataCategory)})", lang)
            if cats is not None:
                holdings = []
                for c in [x.strip() for x in cats.split(",") if x.strip()]:
                    n = _ask(_l("persons", lang).format(c=c), lang)
                    holdings.append(data_holding(c, int(n) if n else None))
                answers["data"] = holdings
            continue
        if q.kind == "transfers":
            dest = _ask(_l("xb_dest", lang), lang)
            if dest is None:
                continue
            cats = _ask(_l("xb_cats", lang).format(choices=", ".join(c.value for c in DataCategory)), lang) or "personal"
            persons = _ask(_l("xb_persons", lang), lang)
            sensitive = _ask(_l("xb_sensitive", lang), lang)
            answers["cross_border_transfers"] = [
                transfer(dest, cats.split(","), int(persons) if persons else None, int(sensitive) if sensitive else None)
            ]
            continue
        prompt = qtext + (f" ({', '.join(q.choices)})" if q.choices else "")
        while True:
            raw = _ask(prompt, lang)
            if raw is None:
                break
            try:
                answers[q.field] = parse_answer(q.field, raw)
                break
            except (ValueError, TypeError) as exc:
                typer.echo(_l("bad", lang).format(e=exc))
    return to_profile(answers)
