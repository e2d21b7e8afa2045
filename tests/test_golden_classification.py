"""Golden set: the bundled example systems classified as the law says (written independently of the packs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from tianping.catalog.loader import default_catalog
from tianping.registry.service import load_profile_file
from tianping.rules.engine import classify
from tianping.rules.pack import default_packs

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_FILE = ROOT / "tests" / "golden" / "classification.yaml"
GOLDEN = yaml.safe_load(GOLDEN_FILE.read_text(encoding="utf-8"))["systems"] if GOLDEN_FILE.exists() else {}
CATALOG = default_catalog()
EXTENDS = {lp.pack.id: lp.pack.extends for lp in default_packs()}


def ancestors(qid: str) -> list[str]:
    out = [qid]
    ref = CATALOG.provisions.get(qid)
    while ref is not None and ref.provision.parent:
        qid = f"{ref.instrument.id}:{ref.provision.parent}"
        out.append(qid)
        ref = CATALOG.provisions.get(qid)
    return out


CASES = [(sid, j, exp) for sid, per in GOLDEN.items() for j, exp in per.items()]


def test_there_are_at_least_twelve_examples():
    examples = sorted((ROOT / "examples" / "systems").glob("*.yaml"))
    assert len(examples) >= 12
    for f in examples:
        load_profile_file(f)  # every example is a valid profile
    assert len(GOLDEN) >= 12


@pytest.mark.parametrize("system_id, jurisdiction, expected", CASES, ids=[f"{s}-{j}" for s, j, _ in CASES])
def test_golden(system_id, jurisdiction, expected):
    system = load_profile_file(ROOT / "examples" / "systems" / f"{system_id}.yaml")
    jurisdiction, _, day = jurisdiction.partition("@")  # "EU@2026-12-05": the law as of that day
    as_of = dt.date.fromisoformat(day) if day else None
    results = [r for r in classify(system, jurisdictions=[jurisdiction], as_of=as_of) if r.applies != "no"]
    if "pack" in expected:  # a companion pack (`extends`) named explicitly, e.g. Italy's law on top of the EU AI Act
        results = [r for r in results if r.pack == expected["pack"]]
    else:  # the pack of that very jurisdiction (VN, not the ASEAN pack that also covers it), and its base
        # pack: companions that extend a pack in the results are checked under their own key
        own = [r for r in results if r.jurisdiction == jurisdiction.upper()]
        results = own or results
        here = {r.pack for r in results}
        results = [r for r in results if EXTENDS.get(r.pack) not in here]
    (result,) = results or [None]
    assert result is not None, f"{jurisdiction} pack does not apply to {system_id}"
    assert result.tier == expected["tier"], (expected["rationale"], result.reasons, [q.field for q in result.questions])
    cited = {c for o in result.obligations + result.upcoming for c in o.cites}
    # an expected provision is evidenced by citing it or any provision beneath it
    # (e.g. "the GOVERN function applies" is met by obligations citing GOVERN 1.1)
    covered = {a for c in cited for a in ancestors(c)}
    missing = [k for k in expected.get("key_obligations", []) if k not in covered]
    assert not missing, (missing, expected["rationale"])
    if "upcoming" in expected or as_of:
        got = [[u["tier"], u["applies_from"]] for u in result.upcoming_tiers if u["certain"]]
        want = [list(x) for x in expected.get("upcoming", [])]
        assert all(w in got for w in want), (got, want, expected["rationale"])
    assert expected["rationale"].strip()
