"""Crosswalk graph behaviour on small hand-made graphs (independent of the bundled data)."""

from __future__ import annotations

from hypothesis import given, strategies as st

from tianping.catalog.crosswalk import MappingGraph, compose
from tianping.catalog.schema import Predicate

preds = st.sampled_from(list(Predicate))


@given(preds)
def test_exact_is_identity(p):
    assert compose(Predicate.exact, p) is p and compose(p, Predicate.exact) is p


@given(preds, preds, preds)
def test_related_absorbs(a, b, c):
    if Predicate.related in (a, b):
        assert compose(a, b) is Predicate.related
    # composing never strengthens a chain into exact unless every link is exact
    if compose(compose(a, b), c) is Predicate.exact:
        assert a is b is c is Predicate.exact


def test_broad_then_narrow_is_only_related():
    assert compose(Predicate.broad, Predicate.narrow) is Predicate.related
    assert compose(Predicate.broad, Predicate.broad) is Predicate.broad


def row(s, p, o, c=1.0):
    return (s, p, o, c, "semapv:ManualMappingCuration", f"{s} to {o}")


def test_walk_reverses_and_composes():
    g = MappingGraph([
        row("a:1", "close", "b:1", 0.9),
        row("c:1", "narrow", "b:1", 0.5),  # read backwards: b:1 broad c:1... reverse of narrow is broad
        row("a:1", "broad", "principle:safety"),
        row("d:1", "broad", "principle:safety"),
    ])
    hits = {h.qid: h for h in g.walk("a:1", max_hops=2)}
    assert hits["b:1"].predicate == "close" and hits["b:1"].hops == 1
    assert hits["c:1"].predicate == "broad" and hits["c:1"].confidence == 0.45
    assert "d:1" not in hits
    via = {h.qid: h for h in g.walk("a:1", via_principles=True)}
    assert via["d:1"].via_principle == "safety" and via["d:1"].predicate == "related"
    assert [h.qid for h in g.walk("a:1", max_hops=1)] == ["b:1"]
    assert [h.qid for h in g.walk("a:1", to={"c"})] == ["c:1"]


@given(st.lists(st.tuples(st.integers(0, 8), preds, st.integers(0, 8)), max_size=40), st.integers(1, 4))
def test_walk_terminates_and_never_returns_start(edges, hops):
    g = MappingGraph([row(f"x:{s}", p.value, f"y:{o}") for s, p, o in edges if (s, o) != (0, 0)])
    hits = g.walk("x:0", max_hops=hops)
    assert all(h.qid != "x:0" and 1 <= h.hops <= hops for h in hits)
    assert len({h.qid for h in hits}) == len(hits)


def test_best_path_floor_and_ranking():
    # two routes from a:1 to d:1: a short weak one and a longer strong one
    g = MappingGraph([
        row("a:1", "related", "d:1", 0.3),
        row("a:1", "close", "b:1", 0.9),
        row("b:1", "close", "d:1", 0.9),
        row("a:1", "broad", "c:1", 0.7),
        row("c:1", "narrow", "a:2", 0.9),  # a sibling in the start's own instrument
    ])
    hits = {h.qid: h for h in g.walk("a:1", max_hops=2)}
    d = hits["d:1"]
    assert d.confidence == 0.81 and d.hops == 2 and d.predicate == "close"
    # every hop carries its own confidence and reason
    assert [(s.source, s.target, s.confidence) for s in d.path] == [("a:1", "b:1", 0.9), ("b:1", "d:1", 0.9)]
    assert all(s.comment for s in d.path)
    assert d.justification == "semapv:MappingChaining" and hits["b:1"].justification == "semapv:ManualMappingCuration"
    # the floor drops weak paths and never returns a hit below it
    floor = g.walk("a:1", max_hops=2, min_confidence=0.75)
    assert {h.qid for h in floor} == {"b:1", "d:1"} and all(h.confidence >= 0.75 for h in floor)
    # ranking is by path confidence, then hops
    ranked = g.walk("a:1", max_hops=2, ranked=True)
    assert [h.confidence for h in ranked] == sorted((h.confidence for h in ranked), reverse=True)
    assert ranked[0].qid == "b:1"
    # siblings in the start's own instrument can be left out
    assert "a:2" in {h.qid for h in g.walk("a:1")}
    assert "a:2" not in {h.qid for h in g.walk("a:1", other_instruments_only=True)}
    # one hop only reaches direct mappings, whatever their confidence
    assert {h.qid for h in g.walk("a:1", max_hops=1)} == {"b:1", "c:1", "d:1"}
    assert g.walk("a:1", max_hops=1, ranked=True)[0].confidence == 0.9


@given(st.lists(st.tuples(st.integers(0, 6), preds, st.integers(0, 6), st.floats(0.05, 1.0)), max_size=30),
       st.floats(0.0, 1.0), st.integers(1, 3))
def test_floor_and_product(edges, floor, hops):
    g = MappingGraph([row(f"x:{s}", p.value, f"y:{o}", c) for s, p, o, c in edges if (s, o) != (0, 0)])
    for h in g.walk("x:0", max_hops=hops, min_confidence=floor, ranked=True):
        prod = 1.0
        for step in h.path:
            prod *= step.confidence
        assert abs(prod - h.confidence) < 1e-3
        assert h.confidence >= floor - 1e-4  # confidences are reported rounded to 4 places
