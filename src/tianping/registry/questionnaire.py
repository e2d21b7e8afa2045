"""The registration questionnaire: which questions to ask, in which words, and how answers become
a profile. One implementation for every door: `tianping register --interactive` (terminal
prompts in `cli/questionnaire.py`), the web form and `GET /api/v1/questionnaire` (`server/questions.py`).

Branching: the identity questions first (id, name, organisation, country, jurisdictions, roles
per jurisdiction), then only the questions the rule packs of the chosen jurisdictions read, in
the packs' own zh/en wording (`questions:` of each pack), in the order of the profile's fields.
An unanswered question stays unanswered: classification reports it as undetermined rather than
guessing.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, TianpingError
from .profile import AISystem, CrossBorderTransfer, DataCategory, DataHolding, Organisation, Role


class _PackJurisdictions(Sequence):
    """The jurisdictions the loaded rule packs name (bundled and plug-in packs, `tianping.plugins.jurisdictions`),
    computed on first use: never a hard-coded list. Any code the rules' normaliser accepts may still be
    given (a country without a pack gets a coverage answer)."""

    def _codes(self) -> tuple[str, ...]:
        from ..plugins import jurisdictions

        return tuple(jurisdictions())

    def __getitem__(self, i):
        return self._codes()[i]

    def __len__(self) -> int:
        return len(self._codes())

    def __contains__(self, code: object) -> bool:
        return code in self._codes()

    def __iter__(self):
        return iter(self._codes())

    def __repr__(self) -> str:
        return repr(self._codes())


KNOWN_JURISDICTIONS: Sequence[str] = _PackJurisdictions()
# identity fields: asked first, never again among the packs' questions
IDENTITY = ("id", "name", "organisation", "jurisdictions", "roles")

YES = {"y", "yes", "true", "1", "是", "有", "对"}
NO = {"n", "no", "false", "0", "否", "无", "不"}


@dataclass(frozen=True)
class Question:
    """One question after the identity block.

    kind: `org-bool` (a yes/no about the organisation, field `organisation.<name>`), `bool`,
    `number`, `date`, `text`, `choice` (one of `choices`), `multi` (several of `choices`), `list`
    (free comma-separated values), `data` (data categories, each with a number of persons) or
    `transfers` (a cross-border transfer out of China).
    """

    field: str
    text: str
    kind: str
    choices: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "text": self.text,
            "kind": "bool" if self.kind == "org-bool" else self.kind,
            "choices": list(self.choices),
        }


def _unwrap(tp):
    """The type without `Annotated[...]` wrappers (validated code types of the profile)."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _base(field: str):
    ann = AISystem.model_fields[field].annotation
    args = [_unwrap(a) for a in typing.get_args(ann) if a is not type(None)] or [_unwrap(ann)]
    base = args[0]
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        return list, _unwrap(item)
    return base, None


# -- which questions ----------------------------------------------------------------------------
def packs_for(jurisdictions: list[str]) -> list:
    """The rule packs that cover any of these jurisdictions."""
    from .. import rules  # noqa: F401
    from ..rules.pack import RulePack, pack_files
    from ..yamlio import load_yaml_file

    wanted = set(jurisdictions) | {j.split("-", 1)[0] for j in jurisdictions if "-" in j}  # US-CO is also in US
    packs = []
    for p in pack_files():  # bundled and plug-in packs
        pack = RulePack.model_validate(load_yaml_file(p).data)
        if set(pack.covers) & wanted or pack.jurisdiction in wanted:
            packs.append(pack)
    return packs


def fields_read(packs) -> list[str]:
    """Profile fields the packs' conditions read, in the profile's field order."""
    from ..rules.expr import compile_expr
    from ..rules.pack import ENV_NAMES

    reads: set[str] = set()
    for pack in packs:
        for src in (
            [pack.applies_if]
            + [r.when for r in pack.designations + pack.obligations]
            + [r.unless for r in pack.designations if r.unless]
            + [ch.when for a in pack.amendments for ch in a.changes if ch.when]
        ):
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
            tops[
                "data"
                if parts[1] in ("data_categories", "persons")
                else "cross_border_transfers"
                if parts[1].startswith("export")
                else "model_kinds"
            ] = None

    def rank(f: str) -> int:
        head = f.split(".", 1)[0]
        return order.index(head) if head in order else len(order)

    return sorted(tops, key=rank)


def question_text(field: str, packs, lang: str) -> str:
    """The packs' own wording of a question, else the profile field's description."""
    keys = [f"system.{field}"] + {
        "cross_border_transfers": ["derived.exports_from_cn"],
        "data": ["derived.data_categories"],
        "model_kinds": ["derived.generative"],
    }.get(field, [])
    for key in keys:
        for pack in packs:
            q = pack.questions.get(key)
            if q:
                return q.text.get(lang)
    desc = AISystem.model_fields[field].description
    return desc or field.replace("_", " ")


def _org_bool_text(sub: str, packs, lang: str) -> str:
    return next(
        (p.questions[f"system.organisation.{sub}"].text.get(lang) for p in packs if f"system.organisation.{sub}" in p.questions),
        Organisation.model_fields[sub].description or sub,
    )


def choices_text(field: str) -> str:
    """The allowed values of a field, comma-separated ('' when free)."""
    base, item = _base(field)
    cand = item if base is list else base
    if isinstance(cand, type) and issubclass(cand, Enum):
        return ", ".join(e.value for e in cand)
    vocab_kind = {"use_cases": "use_cases", "sector": "sectors"}.get(field)
    if vocab_kind:
        from ..rules.vocabulary import vocabulary

        return ", ".join(vocabulary().codes(vocab_kind))
    return ""


def field_kind(field: str) -> str:
    if field == "data":
        return "data"
    if field == "cross_border_transfers":
        return "transfers"
    base, item = _base(field)
    if base is bool:
        return "bool"
    if base in (int, float):
        return "number"
    if base is list:
        return "multi" if isinstance(item, type) and issubclass(item, Enum) or field == "use_cases" else "list"
    if isinstance(base, type) and issubclass(base, Enum) or field == "sector":
        return "choice"
    if base is dt.date:
        return "date"
    return "text"


def questions(jurisdictions: list[str], lang: str) -> list[Question]:
    """Exactly the questions to ask after the identity block, in order."""
    packs = packs_for(jurisdictions)
    out: list[Question] = []
    for f in fields_read(packs):
        if f.startswith("organisation."):
            sub = f.split(".", 1)[1]
            if sub not in Organisation.model_fields or bool not in typing.get_args(Organisation.model_fields[sub].annotation):
                continue
            out.append(Question(f, _org_bool_text(sub, packs, lang), "org-bool"))
            continue
        if f not in AISystem.model_fields or f in IDENTITY:
            continue
        kind = field_kind(f)
        choices = (
            [c.value for c in DataCategory]
            if kind in ("data", "transfers")
            else [c.strip() for c in choices_text(f).split(",") if c.strip()]
        )
        out.append(Question(f, question_text(f, packs, lang), kind, tuple(choices)))
    return out


def role_choices() -> list[str]:
    return [r.value for r in Role]


# -- answers --------------------------------------------------------------------------------------
def parse_bool(raw: str) -> bool:
    v = raw.strip().lower()
    if v in YES:
        return True
    if v in NO:
        return False
    raise ValueError("answer yes or no")


def parse_answer(field: str, raw: str) -> Any:
    """A typed answer to the question about `field` (raises ValueError/TypeError when not understood)."""
    base, item = _base(field)
    if base is bool:
        return parse_bool(raw)
    if base in (int, float):
        return base(float(raw)) if base is int else float(raw)
    if base is list:
        vals = [x.strip() for x in raw.replace("，", ",").split(",") if x.strip()]
        if isinstance(item, type) and issubclass(item, Enum):
            for v in vals:
                item(v)
        if field == "use_cases":
            from ..rules.vocabulary import check_code

            vals = [check_code("use_cases", v) for v in vals]
        return vals
    if isinstance(base, type) and issubclass(base, Enum):
        return base(raw.strip()).value
    if field == "sector":
        from ..rules.vocabulary import check_code

        return check_code("sectors", raw.strip())
    if base is dt.date:
        return dt.date.fromisoformat(raw.strip()).isoformat()
    return raw


def parse_roles(raw: str) -> list[str]:
    return [Role(x.strip()).value for x in raw.split(",") if x.strip()]


def data_holding(category: str, persons: int | None) -> dict[str, Any]:
    return DataHolding(category=DataCategory(category), persons=persons).model_dump(mode="json", exclude_none=True)


def transfer(
    destination: str, categories: list[str], persons: int | None, sensitive_persons: int | None, purpose: str | None = None
) -> dict[str, Any]:
    """One cross-border transfer; `purpose` (transfer_purposes in rules/vocabulary.yaml) decides China's Art. 5 exemptions."""
    return CrossBorderTransfer(
        destination=destination.upper(),
        categories=[DataCategory(c.strip()) for c in categories],
        persons=persons,
        sensitive_persons=sensitive_persons,
        purpose=purpose or None,
    ).model_dump(mode="json", exclude_none=True)


def transfer_purposes() -> list[str]:
    from ..rules.vocabulary import vocabulary

    return list(vocabulary().transfer_purposes)


def to_profile(answers: dict[str, Any]) -> AISystem:
    """The collected answers as a validated profile; problems are located by field."""
    try:
        return AISystem.model_validate(answers)
    except ValidationError as exc:
        raise TianpingError(
            [Problem(e["msg"], field=".".join(map(str, e["loc"])) or None) for e in exc.errors()], title="invalid profile"
        ) from None
