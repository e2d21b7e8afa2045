"""`python -m tianping.catalog.validate [DATA_DIR]`: validate the catalog and print counts.

Beyond the schema and cross-reference checks of the loader, a catalog must be *complete*
(`completeness_problems`): every instrument takes part in the provision↔provision crosswalk,
every id a mapping names exists, and every item marked `verified: false` says why in its
`verification_note` (a milestone, change or version may rely on the note of its instrument when the
instrument as a whole is marked unverified). `tianping catalog validate` runs the same checks, so an outside author of
instruments sees them too.
"""

from __future__ import annotations

import sys
from collections import Counter

from ..errors import ProblemList, TianpingError
from .loader import DATA_DIR, Catalog, load_catalog


def completeness_problems(cat: Catalog) -> ProblemList:
    problems = ProblemList()
    linked: set[str] = set()
    for m in cat.provision_mappings():
        si, oi = m.subject.split(":", 1)[0], m.object.split(":", 1)[0]
        for end in (m.subject, m.object):
            if not cat.exists(end):
                problems.add(f"mapping names a missing provision '{end}'")
        if si != oi:
            linked.update((si, oi))
    for iid, inst in cat.instruments.items():
        src = cat.sources.get(iid)
        if iid not in linked:
            problems.add(f"instrument '{iid}' is not in the crosswalk: map at least one of its provisions to a "
                         "provision of another instrument (data/mappings/*.yaml)", file=src, field="id")
        if not inst.verified and not inst.verification_note:
            problems.add(f"instrument '{iid}' is verified: false without a verification_note", file=src, field="verification_note")
        for p in inst.provisions:
            if not p.verified and not p.verification_note:
                problems.add(f"provision '{iid}:{p.id}' is verified: false without a verification_note", file=src,
                             field=f"provisions.{p.id}.verification_note")
        # milestones, changes and versions of an instrument that is itself `verified: false` with a note
        # inherit that note (it explains the whole act); otherwise they need their own
        inherited = bool(not inst.verified and inst.verification_note)
        for v in inst.versions:
            if not v.verified and not v.verification_note and not inherited:
                problems.add(f"version '{v.id}' of '{iid}' is verified: false without a verification_note", file=src, field="versions")
        if inst.amendment is not None:
            for ms in inst.amendment.milestones:
                if not ms.verified and not ms.verification_note and not inherited:
                    problems.add(f"milestone '{ms.event}' of '{iid}' is verified: false without a verification_note", file=src,
                                 field="amendment.milestones")
            for ch in inst.amendment.changes:
                if not ch.verified and not ch.verification_note and not inherited:
                    problems.add(f"change '{ch.id}' of '{iid}' is verified: false without a verification_note", file=src,
                                 field="amendment.changes")
    return problems


def validate_catalog(data_dir=DATA_DIR) -> Catalog:
    """Load (schema and references) and check completeness; raises TianpingError listing every problem."""
    cat = load_catalog(data_dir)
    completeness_problems(cat).raise_if_any("incomplete catalog")
    return cat


def main(argv: list[str]) -> int:
    data_dir = argv[0] if argv else DATA_DIR
    try:
        cat = validate_catalog(data_dir)
    except TianpingError as exc:
        print(exc.render(), file=sys.stderr)
        return 2
    from .coverage import TARGET, coverage_report

    for iid, inst in cat.instruments.items():
        kinds = Counter(p.kind.value for p in inst.provisions)
        unmapped = [p.id for p in inst.provisions if not p.is_container and not p.principles]
        print(f"{iid}: {len(inst.provisions)} provisions {dict(kinds)}")
        if unmapped:
            print(f"  WARNING {len(unmapped)} non-container provisions without a principle: {unmapped[:10]}")
        if inst.amendment is not None:
            status = inst.amendment.status_on(None)
            print(f"  amends {', '.join(inst.amendment.amends)}; status {status.value if status else 'none'}; "
                  f"{len(inst.amendment.changes)} changes")
        if iid in cat.amended_by:
            for v in cat.versions_of(iid):
                print(f"  version {v['label']} from {v['valid_from'] or '?'}" + ("" if v.get("verified", True) else " (unverified)"))
    for c in coverage_report(cat):
        if c.ratio < TARGET:
            print(f"  WARNING {c.instrument_id}: crosswalk coverage {100 * c.ratio:.1f}% of {c.total} requirement provisions "
                  f"(target {100 * TARGET:.0f}%)")
    print(f"principles: {len(cat.principles)}; mappings: {len(cat.mappings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
