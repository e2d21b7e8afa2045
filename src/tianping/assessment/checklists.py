"""Process checklists built from the catalog, and the YAML answers a team gives to them.

The checklist items are catalog provisions, so every answer is already tied to an article:
AI Verify's 90 process checks, ISO/IEC 42001 Annex A's 38 controls and NIST AI RMF's 72
subcategories. Their wording is the catalog's own (titles and summaries written for Tianping).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..catalog.loader import default_catalog
from ..errors import Problem, ProblemList, TianpingError
from ..i18n import texts
from ..yamlio import load_yaml_file, validation_problems

CHECKLISTS: dict[str, str] = {"aiverify": "check", "iso-iec-42001": "control", "nist-ai-rmf": "subcategory"}


@dataclass(frozen=True)
class ChecklistItem:
    qid: str
    checklist: str
    number: str
    title: dict[str, str]
    question: dict[str, str]


def checklist_items(checklist: str) -> list[ChecklistItem]:
    if checklist not in CHECKLISTS:
        raise TianpingError(f"unknown checklist '{checklist}' (known: {', '.join(CHECKLISTS)})", title="bad option")
    cat = default_catalog()
    inst = cat.instrument(checklist)
    out = []
    for p in inst.provisions:
        if p.kind.value != CHECKLISTS[checklist]:
            continue
        summary = p.summary or p.title
        out.append(
            ChecklistItem(
                qid=f"{checklist}:{p.id}",
                checklist=checklist,
                number=p.number or p.id,
                title=p.title.model_dump(exclude_none=True),
                question=texts("checklist.question", summary=summary.model_dump(exclude_none=True)),
            )
        )
    return out


def all_items() -> dict[str, ChecklistItem]:
    return {i.qid: i for c in CHECKLISTS for i in checklist_items(c)}


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Literal["yes", "no", "partial", "not_applicable"]

    @field_validator("answer", mode="before")
    @classmethod
    def _yaml_booleans(cls, v):
        # YAML 1.1 reads an unquoted yes/no as a boolean; both mean the obvious answer here
        return {True: "yes", False: "no"}.get(v, v) if isinstance(v, bool) else v

    evidence: list[str] = Field(default_factory=list, description="Evidence files, relative to the evidence directory.")
    comment: str | None = None


class AnswersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: str
    answers: dict[str, Answer] = Field(description="Qualified checklist item id (e.g. aiverify:9.1.1) -> answer.")

    @field_validator("answers", mode="before")
    @classmethod
    def _nothing_answered_yet(cls, v):
        # a fresh template has every item commented out, so `answers:` is empty: nothing answered yet
        return {} if v is None else v


def load_answers(path: str | Path, *, evidence_dir: Path | None = None) -> AnswersFile:
    """Parse and check an answers file: unknown item ids and missing evidence files are errors with their line."""
    doc = load_yaml_file(path)
    if doc.data is None:
        raise TianpingError(Problem("the answers file is empty", file=str(path)), title="invalid answers")
    try:
        af = AnswersFile.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid answers") from None
    items = all_items()
    problems = ProblemList()
    for qid, ans in af.answers.items():
        if qid not in items:
            hint = "" if ":" in qid else " (use a qualified id such as aiverify:9.1.1 or iso-iec-42001:A.2.2)"
            problems.add(
                f"unknown checklist item '{qid}'{hint}",
                file=str(path),
                line=doc.line_of(("answers", qid)),
                field=f"answers.{qid}",
            )
            continue
        for j, ev in enumerate(ans.evidence):
            if evidence_dir is not None:
                target = (evidence_dir / ev).resolve()
                if not target.is_file() or evidence_dir.resolve() not in target.parents:
                    problems.add(
                        f"evidence file '{ev}' not found in {evidence_dir}",
                        file=str(path),
                        line=doc.line_of(("answers", qid, "evidence", j)),
                        field=f"answers.{qid}.evidence.{j}",
                    )
    problems.raise_if_any("invalid answers")
    return af


def template(checklist: str, system_id: str, lang: str = "en") -> str:
    """A YAML answers file to fill in: every item, unanswered, with its question as a comment."""
    lines = [
        f"# {checklist} checklist for {system_id}. answer: yes | no | partial | not_applicable",
        "# evidence: files relative to the --evidence directory; comment: free text.",
        f"system: {system_id}",
        "answers:",
    ]
    for item in checklist_items(checklist):
        lines.append(f"  # {item.number} {item.title[lang]} — {item.question[lang]}")
        # a JSON string is a YAML scalar (yaml.safe_dump would append a "..." document-end line)
        lines.append(f"  # {json.dumps(item.qid)}: {{answer: yes, evidence: [], comment: null}}")
    return "\n".join(lines) + "\n"


def store_answers(db, af: AnswersFile, *, actor: str | None = None) -> int:
    """Upsert answers in one transaction, with one audit event (by `actor`, default the local user)."""
    import datetime as dt

    from ..audit import append_event
    from ..store.models import ChecklistAnswerRow

    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    with db.session() as s:
        for item, ans in af.answers.items():
            row = s.get(ChecklistAnswerRow, (af.system, item))
            if row is None:
                s.add(
                    ChecklistAnswerRow(
                        system_id=af.system,
                        item=item,
                        answer=ans.answer,
                        evidence=ans.evidence,
                        comment=ans.comment,
                        updated_at=now,
                    )
                )
            else:
                row.answer, row.evidence, row.comment, row.updated_at = ans.answer, ans.evidence, ans.comment, now
        append_event(s, "checklist.answers_imported", "system", af.system, {"items": sorted(af.answers)}, actor=actor)
    return len(af.answers)


def stored_answers(db, system_id: str) -> AnswersFile:
    from sqlalchemy import select

    from ..store.models import ChecklistAnswerRow

    with db.session() as s:
        rows = s.scalars(
            select(ChecklistAnswerRow).where(ChecklistAnswerRow.system_id == system_id).order_by(ChecklistAnswerRow.item)
        ).all()
        return AnswersFile(
            system=system_id, answers={r.item: Answer(answer=r.answer, evidence=r.evidence, comment=r.comment) for r in rows}
        )


def dump_answers(af: AnswersFile) -> str:
    return yaml.safe_dump(af.model_dump(exclude_none=True), allow_unicode=True, sort_keys=False)
