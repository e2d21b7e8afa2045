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
            problems.add(
                f"instrument '{iid}' is not in the crosswalk: map at least one of its provisions to a "
                "provision of another instrument (data/mappings/*.yaml)",
                file=src,
                field="id",
            )
        if not inst.verified and not inst.verification_note:
            problems.add(
                f"instrument '{iid}' is verified: false without a verification_note", file=src, field="verification_note"
            )
        for p in inst.provisions:
            if not p.verified and not p.verification_note:
                problems.add(
                    f"provision '{iid}:{p.id}' is verified: false without a verification_note",
                    file=src,
                    field=f"provisions.{p.id}.verification_note",
                )
        # milestones, changes and versions of an instrument that is itself `verified: false` with a note
        # inherit that note (it explains the whole act); otherwise they need their own
        inherited = bool(not inst.verified and inst.verification_note)
        for v in inst.versions:
            if not v.verified and not v.verification_note and not inherited:
                problems.add(
                    f"version '{v.id}' of '{iid}' is verified: false without a verification_note", file=src, field="versions"
                )
        if inst.amendment is not None:
            for ms in inst.amendment.milestones:
                if not ms.verified and not ms.verification_note and not inherited:
                    problems.add(
                        f"milestone '{ms.event}' of '{iid}' is verified: false without a verification_note",
                        file=src,
                        field="amendment.milestones",
                    )
            for ch in inst.amendment.changes:
                if not ch.verified and not ch.verification_note and not inherited:
                    problems.add(
                        f"change '{ch.id}' of '{iid}' is verified: false without a verification_note",
                        file=src,
                        field="amendment.changes",
                    )
    return problems


def pack_problems(cat: Catalog) -> ProblemList:
    """Completeness of the rule packs (bundled, plug-in and `TIANPING_PATH` packs) against `cat`: each
    loads (schema, citations that exist, amendments), every profile field a pack reads exists and has
    the pack's question, every instrument it names is in the catalog, no two packs share an id, and a
    pack that `extends` another names a loaded pack."""
    from ..errors import TianpingError
    from ..registry.profile import AISystem, Organisation
    from ..rules.pack import load_pack, pack_files

    problems = ProblemList()
    qids = set(cat.provisions)
    seen: dict[str, str] = {}
    extends: list[tuple[str, str, str]] = []
    for path in pack_files():
        f = str(path)
        try:
            lp = load_pack(path, qids, cat.instruments)
        except TianpingError as exc:
            problems.problems.extend(exc.problems)
            continue
        pack = lp.pack
        if pack.id in seen:
            problems.add(f"duplicate rule pack id '{pack.id}' (also in {seen[pack.id]})", file=f, field="id")
        seen[pack.id] = f
        if pack.extends:
            extends.append((pack.id, pack.extends, f))
        for iid in pack.instruments:
            if iid not in cat.instruments:
                problems.add(
                    f"pack '{pack.id}' names instrument '{iid}', which is not in the catalog", file=f, field="instruments"
                )
        for read in sorted(lp.reads):
            parts = read.split(".")
            if parts[0] == "system" and len(parts) > 1:
                known = parts[1] in AISystem.model_fields and (
                    parts[1] != "organisation" or len(parts) < 3 or parts[2] in Organisation.model_fields
                )
                if not known and parts[1] != "roles":
                    problems.add(
                        f"pack '{pack.id}' reads '{read}', which is not a profile field (docs/profile-fields.md)",
                        file=f,
                        field="questions",
                    )
                    continue
            if parts[0] in ("system", "derived") and read not in pack.questions:
                problems.add(
                    f"pack '{pack.id}' reads '{read}' but asks no question for it: add questions.{read} with en/zh text",
                    file=f,
                    field="questions",
                )
    for pid, base, f in extends:
        if base not in seen:
            problems.add(f"pack '{pid}' extends '{base}', which is not a loaded rule pack", file=f, field="extends")
    return problems


def docs_problems() -> ProblemList:
    """In a source checkout without plug-in packs: the generated field reference is current."""
    from pathlib import Path

    from ..plugins import files

    problems = ProblemList()
    doc = Path(__file__).resolve().parents[3] / "docs" / "profile-fields.md"
    if doc.is_file() and not files("packs"):
        from ..registry.fieldref import render_markdown

        if doc.read_text(encoding="utf-8") != render_markdown():
            problems.add(
                (
                    "docs/profile-fields.md is out of date: regenerate it with `python -m tianping.registry.fieldref > "
                    "docs/profile-fields.md` (the text `tianping register --schema` prints)"
                ),
                file=str(doc),
            )
    return problems


def validate_catalog(data_dir=DATA_DIR) -> Catalog:
    """Load (schema and references) and check completeness; raises TianpingError listing every problem.

    For the default data directory this is the catalog as Tianping uses it - bundled data plus the
    plug-ins' and `TIANPING_PATH` instruments and mappings - and the rule packs are checked against
    it too (`pack_problems`, `docs_problems`), so an outside author of packs and instruments meets the
    same completeness rules as the bundled ones."""
    from pathlib import Path

    bundled = Path(data_dir).resolve() == Path(DATA_DIR).resolve()
    if bundled:  # the catalog as Tianping uses it, loaded once for these checks and the packs' and docs' checks
        from .loader import default_catalog

        cat = default_catalog()
    else:
        cat = load_catalog(data_dir)
    problems = completeness_problems(cat)
    if bundled:
        problems.problems.extend(pack_problems(cat).problems)
        problems.problems.extend(docs_problems().problems)
    problems.raise_if_any("incomplete catalog")
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
            print(
                f"  amends {', '.join(inst.amendment.amends)}; status {status.value if status else 'none'}; "
                f"{len(inst.amendment.changes)} changes"
            )
        if iid in cat.amended_by:
            for v in cat.versions_of(iid):
                print(
                    f"  version {v['label']} from {v['valid_from'] or '?'}" + ("" if v.get("verified", True) else " (unverified)")
                )
    for c in coverage_report(cat):
        if c.ratio < TARGET:
            print(
                f"  WARNING {c.instrument_id}: crosswalk coverage {100 * c.ratio:.1f}% of {c.total} requirement provisions "
                f"(target {100 * TARGET:.0f}%)"
            )
    print(f"principles: {len(cat.principles)}; mappings: {len(cat.mappings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
