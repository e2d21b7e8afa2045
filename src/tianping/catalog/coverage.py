"""Crosswalk coverage: how many of an instrument's requirement provisions reach another instrument.

A *requirement provision* is a provision that states something a reader must do, must not do,
or is classified by — as opposed to structure, vocabulary or references:

- containers (part, chapter, section, annex, annex_section, group) are excluded: they only group;
- provisions tagged ``definitions`` (e.g. EU AI Act Art. 3 and its points) are excluded: they fix
  vocabulary, and the vocabulary is crosswalked through the provisions that use it;
- provisions tagged ``scope`` (who and what an instrument covers, exclusions, interplay with other
  law) are excluded: scope decides *whether* an instrument applies, which the rule packs handle;
- provisions tagged ``delegated-acts`` (powers to amend annexes) are excluded: they bind the
  legislator, not an operator;
- points of a list of other legislation (tag ``legislation-list``, or the EU AI Act's Annex I
  points, tagged ``annex-i``) are excluded: they cite other acts instead of stating a duty.

Everything else counts (articles, paragraphs, points, requirements, controls, risks, principles,
actions, ...). A requirement provision is *mapped* when at least one provision↔provision mapping
links it to a provision of a *different* instrument (either direction, any predicate, confidence at
least ``min_confidence``). Mappings to shared principles do not count: they say which value a
provision serves, not which other text asks for the same thing.

`python -m tianping.catalog.coverage [--all]` prints the figures (binding instruments by default).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from .loader import Catalog
from .schema import PRINCIPLE_PREFIX, InstrumentKind, Provision, ProvisionKind

EXCLUDED_TAGS = frozenset({"definitions", "scope", "delegated-acts", "legislation-list"})
#: the share of requirement provisions every binding instrument must have mapped (issue 15)
TARGET = 0.60


def is_requirement(p: Provision) -> bool:
    """Whether a provision counts towards crosswalk coverage (see the module docstring)."""
    if p.is_container:
        return False
    tags = set(p.tags)
    if tags & EXCLUDED_TAGS:
        return False
    if p.kind is ProvisionKind.annex_point and "annex-i" in tags and (p.parent or "").startswith("annex-i-"):
        return False  # EU AI Act Annex I: a list of Union harmonisation legislation
    return True


@dataclass
class Coverage:
    instrument_id: str
    kind: str
    total: int
    mapped: int
    unmapped: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.mapped / self.total if self.total else 1.0

    def as_dict(self) -> dict:
        return {
            "instrument": self.instrument_id,
            "kind": self.kind,
            "requirement_provisions": self.total,
            "mapped": self.mapped,
            "coverage": round(self.ratio, 4),
            "unmapped": self.unmapped,
        }


def linked_provisions(pairs: Iterable[tuple[str, str, float]], min_confidence: float = 0.0) -> set[str]:
    """Qualified ids that take part in at least one cross-instrument provision↔provision mapping.

    `pairs` are (subject, object, confidence) rows, e.g. from the catalog or an SSSOM export."""
    out: set[str] = set()
    for subj, obj, conf in pairs:
        if subj.startswith(PRINCIPLE_PREFIX) or obj.startswith(PRINCIPLE_PREFIX):
            continue
        if subj.split(":", 1)[0] == obj.split(":", 1)[0] or conf < min_confidence:
            continue
        out.add(subj)
        out.add(obj)
    return out


def sssom_pairs(tsv: str) -> list[tuple[str, str, float]]:
    """(subject_id, object_id, confidence) rows of an SSSOM TSV (metadata lines skipped)."""
    body = "\n".join(ln for ln in tsv.splitlines() if not ln.startswith("#"))
    rows = csv.DictReader(io.StringIO(body), delimiter="\t")
    return [(r["subject_id"], r["object_id"], float(r.get("confidence") or 0.8)) for r in rows]


def catalog_pairs(cat: Catalog) -> list[tuple[str, str, float]]:
    return [(m.subject, m.object, m.confidence) for m in cat.mappings]


def coverage(
    cat: Catalog, instrument_id: str, *, pairs: Iterable[tuple[str, str, float]] | None = None, min_confidence: float = 0.0
) -> Coverage:
    inst = cat.instrument(instrument_id)
    linked = linked_provisions(catalog_pairs(cat) if pairs is None else pairs, min_confidence)
    req = [p for p in inst.provisions if is_requirement(p)]
    unmapped = [p.id for p in req if f"{inst.id}:{p.id}" not in linked]
    return Coverage(inst.id, inst.kind.value, len(req), len(req) - len(unmapped), unmapped)


def coverage_report(
    cat: Catalog, *, binding_only: bool = True, pairs: list[tuple[str, str, float]] | None = None, min_confidence: float = 0.0
) -> list[Coverage]:
    pairs = catalog_pairs(cat) if pairs is None else pairs
    return [
        coverage(cat, iid, pairs=pairs, min_confidence=min_confidence)
        for iid, inst in cat.instruments.items()
        if not binding_only or inst.kind is InstrumentKind.binding_law
    ]


def below_target(cat: Catalog, target: float = TARGET) -> list[Coverage]:
    """Binding instruments in force (not `proposed`) whose coverage is under the target."""
    out = []
    for c in coverage_report(cat):
        inst = cat.instruments[c.instrument_id]
        if inst.status is not None and inst.status.value == "proposed":
            continue
        if c.ratio < target:
            out.append(c)
    return out


def main(argv: list[str]) -> int:
    from .loader import default_catalog

    cat = default_catalog()
    for c in coverage_report(cat, binding_only="--all" not in argv):
        flag = "" if c.ratio >= TARGET else "  < target"
        print(f"{c.instrument_id:32s} {c.kind:12s} {c.mapped:4d}/{c.total:4d}  {100 * c.ratio:5.1f}%{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
