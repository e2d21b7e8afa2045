"""The registration questionnaire as form fields, for the API and the web form.

What is asked and how answers become a profile is `registry/questionnaire.py`, the same code
`tianping register --interactive` runs; this module only describes each question as a form
field and decodes submitted form values (including the data and cross-border sub-fields) into
the answers that code turns into a profile.
"""

from __future__ import annotations

from typing import Any

from ..errors import Problem, TianpingError
from ..registry import questionnaire as rq
from ..registry.questionnaire import KNOWN_JURISDICTIONS, NO, YES, role_choices

__all__ = ["KNOWN_JURISDICTIONS", "identity_labels", "profile_from_form", "questions", "role_choices"]


def questions(jurisdictions: list[str], lang: str) -> list[dict[str, Any]]:
    """The pack questions for these jurisdictions, each with its field, text, kind and choices."""
    return [q.as_dict() for q in rq.questions(jurisdictions, lang)]


def identity_labels(lang: str) -> dict[str, str]:
    """The identity questions' labels in `lang` (message `q.<key>` of the catalogs, every language)."""
    from ..i18n import t

    return {
        k: t(f"q.{k}", lang)
        for k in (
            "id",
            "name",
            "org",
            "country",
            "jurisdictions",
            "unknown_hint",
            "xb_dest",
            "xb_persons",
            "xb_sensitive",
            "xb_cats",
        )
    }


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
        org["country"] = (one("organisation.country") or "").upper()
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
            answers[field] = raw if kind == "date" else rq.parse_answer(field, raw)
        except (ValueError, TypeError) as exc:
            problems.append(Problem(str(exc), field=field))
    answers["organisation"] = org
    if problems:
        raise TianpingError(problems, title="invalid profile")
    return answers
