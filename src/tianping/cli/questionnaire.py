"""The guided registration questionnaire (`tianping register --interactive`).

It asks the identity questions, then only the questions that the rule packs for the chosen
jurisdictions actually read, in the language of the interface. An empty answer or "?" leaves
a field unanswered, which classification reports as undetermined instead of guessing.
"""

from __future__ import annotations

import typing
from enum import Enum
from typing import Any

import typer
import yaml
from pydantic import ValidationError

from ..errors import Problem, TianpingError
from ..registry.profile import AISystem, CrossBorderTransfer, DataCategory, DataHolding, Organisation, Role
from ..rules.pack import PACK_DIR

L = {
    "id": {"en": "System id (lowercase, dashes)", "zh": "系统编号（小写字母和连字符）"},
    "name": {"en": "System name", "zh": "系统名称"},
    "org": {"en": "Organisation name", "zh": "组织名称"},
    "country": {"en": "Organisation country (ISO code, e.g. CN)", "zh": "组织所在国家（ISO 代码，如 CN）"},
    "jurisdictions": {"en": "Where is it offered or used? (comma-separated: EU, CN, SG, ID, US…)", "zh": "在哪些法域提供或使用？（逗号分隔：EU、CN、SG、ID、US…）"},
    "roles": {"en": "Your roles in {j} ({choices})", "zh": "您在 {j} 的角色（{choices}）"},
    "unknown_hint": {"en": "(empty or ? = don't know)", "zh": "（留空或 ? 表示不确定）"},
    "bad": {"en": "Not understood: {e}. Try again.", "zh": "无法识别：{e}，请重新输入。"},
    "persons": {"en": "How many persons' {c} data?", "zh": "涉及多少人的{c}数据？"},
    "xb_dest": {"en": "Destination of data leaving China (ISO code; empty if none)", "zh": "数据出境目的地（ISO 代码；无则留空）"},
    "xb_persons": {"en": "Persons whose personal information leaves China this year", "zh": "本年度个人信息出境涉及人数"},
    "xb_sensitive": {"en": "…of whom with sensitive personal information", "zh": "……其中涉及敏感个人信息的人数"},
    "xb_cats": {"en": "Categories leaving China ({choices})", "zh": "出境数据类别（{choices}）"},
}
YES = {"y", "yes", "true", "1", "是", "有", "对"}
NO = {"n", "no", "false", "0", "否", "无", "不"}


def _ask(text: str, lang: str, default: str = "") -> str | None:
    ans = typer.prompt(f"{text} {L['unknown_hint'][lang]}", default=default, show_default=bool(default)).strip()
    return None if ans in ("", "?") else ans


def _packs_for(jurisdictions: list[str]) -> list:
    from .. import rules  # noqa: F401
    from ..rules.pack import RulePack
    from ..yamlio import load_yaml_file

    packs = []
    for p in sorted(PACK_DIR.glob("*.yaml")):
        pack = RulePack.model_validate(load_yaml_file(p).data)
        if set(pack.covers) & set(jurisdictions) or pack.jurisdiction in jurisdictions:
            packs.append(pack)
    return packs


def _fields_read(packs) -> list[str]:
    from ..rules.expr import compile_expr
    from ..rules.pack import ENV_NAMES

    reads: set[str] = set()
    for pack in packs:
        for src in [pack.applies_if] + [r.when for r in pack.designations + pack.obligations] + [r.unless for r in pack.designations if r.unless]:
            reads |= compile_expr(src, ENV_NAMES).reads
    order = list(AISystem.model_fields)
    tops: dict[str, None] = {}
    for r in sorted(reads):
        parts = r.split(".")
        if parts[:2] == ["system", "organisation"] and len(parts) > 2:
            tops["organisation." + parts[2]] = None
        elif parts[0] == "system" and len(parts) > 1:
            tops[parts[1]] = None
        elif parts[0] == "derived":
            tops["data" if parts[1] in ("data_categories", "persons") else "cross_border_transfers" if parts[1].startswith("export") else "model_kinds"] = None
    def rank(f: str) -> int:
        head = f.split(".", 1)[0]
        return order.index(head) if head in order else len(order)

    return sorted(tops, key=rank)


def _question(field: str, packs, lang: str) -> str:
    for pack in packs:
        q = pack.questions.get(f"system.{field}")
        if q:
            return q.text.get(lang)
    desc = AISystem.model_fields[field].description
    return desc or field.replace("_", " ")


def _parse(field: str, raw: str) -> Any:
    ann = AISystem.model_fields[field].annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)] or [ann]
    base = args[0]
    origin = typing.get_origin(base)
    if base is bool:
        v = raw.lower()
        if v in YES:
            return True
        if v in NO:
            return False
        raise ValueError("answer yes or no")
    if base in (int, float):
        return base(float(raw)) if base is int else float(raw)
    if origin is list:
        (item,) = typing.get_args(base)
        vals = [x.strip() for x in raw.replace("，", ",").split(",") if x.strip()]
        if isinstance(item, type) and issubclass(item, Enum):
            for v in vals:
                item(v)
        return vals
    if isinstance(base, type) and issubclass(base, Enum):
        return base(raw).value
    return raw


def _choices(field: str) -> str:
    ann = AISystem.model_fields[field].annotation
    for a in typing.get_args(ann):
        inner = typing.get_args(a)
        cand = inner[0] if inner else a
        if isinstance(cand, type) and issubclass(cand, Enum):
            return ", ".join(e.value for e in cand)
    if field == "use_cases":
        from ..rules.pack import PACK_DIR as _pd

        vocab = yaml.safe_load((_pd.parent / "vocabulary.yaml").read_text(encoding="utf-8"))
        return ", ".join(vocab["use_cases"])
    return ""


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
    role_choices = ", ".join(r.value for r in Role)
    roles: dict[str, list[str]] = {}
    for j in jurisdictions:
        raw = _ask(L["roles"][lang].format(j=j, choices=role_choices), lang)
        if raw:
            roles[j] = [Role(x.strip()).value for x in raw.split(",") if x.strip()]
    answers["roles"] = roles
    packs = _packs_for(jurisdictions)
    for field in _fields_read(packs):
        if field.startswith("organisation."):
            sub = field.split(".", 1)[1]
            if sub in org or sub not in Organisation.model_fields or bool not in typing.get_args(Organisation.model_fields[sub].annotation):
                continue
            q = next((p.questions[f"system.{field}"].text.get(lang) for p in packs if f"system.{field}" in p.questions),
                     Organisation.model_fields[sub].description or sub)
            while True:
                raw = _ask(q, lang)
                if raw is None:
                    break
                if raw.lower() in YES or raw.lower() in NO:
                    org[sub] = raw.lower() in YES
                    break
                typer.echo(L["bad"][lang].format(e="yes / no"))
            continue
        if field in answers or field not in AISystem.model_fields:
            continue
        if field == "organisation":
            continue
        if field == "data":
            cats = _ask(f"{_question(field, packs, lang)} ({', '.join(c.value for c in DataCategory)})", lang)
            if cats is not None:
                holdings = []
                for c in [x.strip() for x in cats.split(",") if x.strip()]:
                    n = _ask(L["persons"][lang].format(c=c), lang)
                    holdings.append(DataHolding(category=DataCategory(c), persons=int(n) if n else None).model_dump(mode="json", exclude_none=True))
                answers["data"] = holdings
            continue
        if field == "cross_border_transfers":
            dest = _ask(L["xb_dest"][lang], lang)
            if dest is None:
                continue
            cats = _ask(L["xb_cats"][lang].format(choices=", ".join(c.value for c in DataCategory)), lang) or "personal"
            persons = _ask(L["xb_persons"][lang], lang)
            sensitive = _ask(L["xb_sensitive"][lang], lang)
            answers["cross_border_transfers"] = [CrossBorderTransfer(
                destination=dest.upper(), categories=[DataCategory(c.strip()) for c in cats.split(",")],
                persons=int(persons) if persons else None, sensitive_persons=int(sensitive) if sensitive else None,
            ).model_dump(mode="json", exclude_none=True)]
            continue
        choices = _choices(field)
        prompt = _question(field, packs, lang) + (f" ({choices})" if choices else "")
        while True:
            raw = _ask(prompt, lang)
            if raw is None:
                break
            try:
                answers[field] = _parse(field, raw)
                break
            except (ValueError, TypeError) as exc:
                typer.echo(L["bad"][lang].format(e=exc))
    try:
        return AISystem.model_validate(answers)
    except ValidationError as exc:
        raise TianpingError([Problem(e["msg"], field=".".join(map(str, e["loc"])) or None) for e in exc.errors()], title="invalid profile") from None


