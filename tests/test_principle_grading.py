"""A provision's principle mappings get the graded confidence the curator did not state (catalog/schema.py):
the first listed is the main one (0.85), later ones secondary (0.7); `exact` 0.95, `close` 0.85, `narrow`
0.7, `related` 0.5 whatever their place; a stated confidence is kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tianping.catalog.schema import Predicate, PrincipleRef, Provision

GRADES = {"exact": 0.95, "close": 0.85, "related": 0.5, "narrow": 0.7}

ids = st.from_regex(r"[a-z][a-z0-9]{0,6}[a-z0-9]", fullmatch=True)
entry = st.one_of(
    ids,
    st.fixed_dictionaries(
        {"id": ids},
        optional={
            "predicate": st.sampled_from([p.value for p in Predicate]),
            "confidence": st.floats(0, 1),
            "comment": st.text(min_size=1, max_size=5).filter(str.strip),
        },
    ),
)


def expected(i: int, e: str | dict) -> tuple[str, str, float]:
    d = {"id": e} if isinstance(e, str) else e
    pred = d.get("predicate", "broad")
    if "confidence" in d:
        return d["id"], pred, d["confidence"]
    return d["id"], pred, GRADES.get(pred, 0.85 if i == 0 else 0.7)


@given(st.lists(entry, max_size=6))
def test_graded_confidence(entries):
    prov = Provision.model_validate(
        {
            "id": "a1",
            "kind": "article",
            "title": {"en": "T", "zh": "标题"},
            "summary": {"en": "S", "zh": "摘要"},
            "principles": entries,
        }
    )
    got = [(r.id, r.predicate.value, r.confidence) for r in prov.principle_refs]
    assert got == [expected(i, e) for i, e in enumerate(entries)]
    assert all(isinstance(r, PrincipleRef) and "confidence" in r.model_fields_set for r in prov.principle_refs)


def test_a_principle_ref_built_in_code_is_graded_too():
    prov = Provision.model_validate(
        {
            "id": "a1",
            "kind": "article",
            "title": {"en": "T", "zh": "标题"},
            "summary": {"en": "S", "zh": "摘要"},
            "principles": [PrincipleRef(id="fairness", predicate=Predicate.related), PrincipleRef(id="safety", confidence=0.3)],
        }
    )
    assert [r.confidence for r in prov.principle_refs] == [0.5, 0.3]
