"""Properties of the bilingual index terms that search relies on."""

from __future__ import annotations

from hypothesis import given, strategies as st

from tianping.catalog.textindex import fts5_match, index_terms, pg_tsquery, query_groups

cjk = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80), min_size=2, max_size=30)


@given(cjk, st.data())
def test_any_cjk_substring_is_found_as_a_phrase(s, data):
    i = data.draw(st.integers(0, len(s) - 2))
    j = data.draw(st.integers(i + 2, len(s)))
    terms = " " + " ".join(index_terms(s)) + " "
    (group,) = query_groups(s[i:j])
    assert " " + " ".join(group) + " " in terms


@given(st.text(max_size=200))
def test_match_expressions_never_carry_syntax(q):
    expr = fts5_match(q)
    if expr is not None:
        # only quoted word terms joined by AND: no stray quotes, operators or parentheses
        inner = expr.replace('" AND "', " ")
        assert inner.startswith('"') and inner.endswith('"')
        assert '"' not in inner[1:-1]
        assert not set(inner) & set("()*:^{}")
    ts = pg_tsquery(q)
    if ts is not None:
        assert ";" not in ts and "\\" not in ts


def test_english_stemming_joins_word_forms():
    assert index_terms("Robustness")[0] == index_terms("robust")[0]
    assert query_groups("鲁棒性") == [["鲁棒", "棒性"]]
    assert query_groups("") == []
