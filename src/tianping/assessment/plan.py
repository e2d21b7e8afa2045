"""Derive the test plan from a classification: which tests and process checks evidence each obligation.

An obligation cites provisions. Through the crosswalk (one hop, mappings of confidence ≥ 0.6)
that set grows to the corresponding provisions of other instruments. A technical test is
planned when the provisions it evidences meet that set; a process check when it is itself in
the set, or maps to it. Both lists say through which provision they were found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..catalog.crosswalk import MappingGraph
from ..catalog.loader import default_catalog
from ..rules.engine import JurisdictionResult, ObligationResult
from .checklists import CHECKLISTS

EVIDENCE_MAP = Path(__file__).parent / "evidence_map.yaml"
MIN_CONFIDENCE = 0.6


@lru_cache(maxsize=1)
def evidence_map() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(EVIDENCE_MAP.read_text(encoding="utf-8"))["tests"]


@lru_cache(maxsize=1)
def _graph() -> MappingGraph:
    cat = default_catalog()
    return MappingGraph(
        [
            (m.subject, m.predicate.value, m.object, m.confidence, m.justification.value, m.comment, m.comment_zh)
            for m in cat.mappings
        ]
    )


def expand(qids: list[str]) -> dict[str, str]:
    """Provision -> how it was reached ('cited' or 'via <qid>')."""
    out = {q: "cited" for q in qids}
    g = _graph()
    for q in qids:
        for hit in g.walk(q, max_hops=1):
            if hit.confidence >= MIN_CONFIDENCE and hit.qid not in out:
                out[hit.qid] = f"via {q}"
    return out


@dataclass
class PlannedTest:
    test: str
    title: dict[str, str]
    engine: str
    because: list[str]  # provisions that link it to the obligation


@dataclass
class PlannedCheck:
    item: str
    checklist: str
    because: str


@dataclass
class ObligationPlan:
    jurisdiction: str
    obligation: str
    title: dict[str, str]
    status: str
    cites: list[str]
    tests: list[PlannedTest] = field(default_factory=list)
    checks: list[PlannedCheck] = field(default_factory=list)
    applies_from: str | None = None
    amended_by: str | None = None  # the amending act that set the date, when one did
    date_verified: bool = True


GENAI_KINDS = {
    "generative_text",
    "generative_image",
    "generative_audio",
    "generative_video",
    "deep_synthesis",
    "general_purpose_model",
}


def engines_for(model_kinds: Sequence[str] | None) -> set[str]:
    """Tabular tests fit classic models, generative tests generative ones; unknown kinds get both."""
    if not model_kinds:
        return {"tabular", "genai"}
    kinds = set(model_kinds)
    out = set()
    if kinds & GENAI_KINDS:
        out.add("genai")
    if kinds - GENAI_KINDS:
        out.add("tabular")
    return out


def plan_for(
    results: list[JurisdictionResult], *, model_kinds: Sequence[str] | None = None, max_checks: int = 12
) -> list[ObligationPlan]:
    engines = engines_for(model_kinds)
    tests = {tid: spec for tid, spec in evidence_map().items() if spec["engine"] in engines}
    cat = default_catalog()
    out: list[ObligationPlan] = []
    for r in results:
        if r.applies == "no":
            continue
        obligations: list[ObligationResult] = r.obligations + r.possible_obligations + r.upcoming
        for ob in obligations:
            reach = expand(ob.cites)
            op = ObligationPlan(
                r.jurisdiction,
                ob.id,
                ob.title,
                ob.status,
                ob.cites,
                applies_from=ob.applies_from,
                amended_by=getattr(ob, "amended_by", None),
                date_verified=getattr(ob, "date_verified", True),
            )
            for tid, spec in tests.items():
                hits = [q for q in spec["evidences"] if q in reach]
                if hits:
                    op.tests.append(PlannedTest(tid, spec["title"], spec["engine"], hits))
            checks = [
                (q, how)
                for q, how in reach.items()
                if q.split(":", 1)[0] in CHECKLISTS
                and q in cat.provisions
                and cat.provisions[q].provision.kind.value == CHECKLISTS[q.split(":", 1)[0]]
            ]
            op.checks = [PlannedCheck(q, q.split(":", 1)[0], how) for q, how in checks[:max_checks]]
            out.append(op)
    return out


def plan_dict(plans: list[ObligationPlan]) -> dict[str, Any]:
    tests = sorted({t.test for p in plans for t in p.tests})
    checks = sorted({c.item for p in plans for c in p.checks})
    return {"obligations": [asdict(p) for p in plans], "tests": tests, "checks": checks}
