"""Property-based tests of the index engine (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tianping.observatory import engine
from tianping.observatory.engine import Structure, compute
from tianping.observatory.methodology import Methodology


def _methodology(method: str = "minmax", reference: str = "per_year", carry: int = 0, impute: str = "none",
                 weights: tuple[float, ...] = (0.5, 0.5, 0.6, 0.4), min_cov: float = 0.5) -> Methodology:
    t = {"en": "x", "zh": "x"}
    return Methodology.model_validate({
        "id": "prop", "version": "1", "title": t, "min_coverage": min_cov,
        "normalisation": {"method": method, "reference": reference}, "imputation": {"carry_forward_years": carry, "method": impute},
        "pillars": [
            {"id": "p1", "title": t, "weight": 0.5, "dimensions": [
                {"id": "d1", "title": t, "weight": 1.0, "indicators": [{"id": "a", "weight": weights[0]}, {"id": "b", "weight": weights[1]}]}]},
            {"id": "p2", "title": t, "weight": 0.5, "dimensions": [
                {"id": "d2", "title": t, "weight": 1.0, "indicators": [{"id": "c", "weight": weights[2]},
                                                                       {"id": "d", "weight": weights[3], "direction": "lower_is_better"}]}]}]})


cubes = st.integers(2, 12).flatmap(lambda c: st.integers(1, 4).flatmap(lambda y: arrays(
    np.float64, (c, y, 4), elements=st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.just(np.nan)))))
# integer-valued cubes: rescaling cannot merge two distinct values by rounding
int_cubes = st.integers(2, 12).flatmap(lambda c: st.integers(1, 4).flatmap(lambda y: arrays(
    np.float64, (c, y, 4), elements=st.one_of(st.integers(-1000, 1000).map(float), st.just(np.nan)))))
methods = st.sampled_from(["minmax", "zscore", "rank"])
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(cube, m, **kw):
    s = Structure.from_methodology(m)
    return compute(s, [f"c{i}" for i in range(cube.shape[0])], np.arange(2000, 2000 + cube.shape[1]), cube, **kw)


@FAST
@given(cubes, methods)
def test_scores_exist_exactly_where_coverage_allows(cube, method):
    r = _run(cube, _methodology(method))
    assert np.array_equal(~np.isnan(r.index), r.index_coverage >= 0.5 - 1e-12)
    if method != "zscore":
        ok = r.index[~np.isnan(r.index)]
        assert np.all((ok >= -1e-9) & (ok <= 100 + 1e-9))


@FAST
@given(cubes, methods, st.randoms(use_true_random=False))
def test_country_order_does_not_matter(cube, method, rnd):
    perm = list(range(cube.shape[0]))
    rnd.shuffle(perm)
    a = _run(cube, _methodology(method))
    b = _run(cube[perm], _methodology(method))
    np.testing.assert_allclose(a.index[perm], b.index, equal_nan=True, atol=1e-9)


@FAST
@given(int_cubes, st.floats(0.1, 10), st.floats(-50, 50))
def test_minmax_and_rank_ignore_affine_rescaling_of_an_indicator(cube, scale, shift):
    for method in ("minmax", "rank"):
        a = _run(cube, _methodology(method))
        c2 = cube.copy()
        c2[:, :, 0] = c2[:, :, 0] * scale + shift
        b = _run(c2, _methodology(method))
        np.testing.assert_allclose(a.index, b.index, equal_nan=True, atol=1e-6)


@FAST
@given(cubes, methods)
def test_scaling_all_weights_changes_nothing(cube, method):
    a = _run(cube, _methodology(method, weights=(0.5, 0.5, 0.6, 0.4)))
    s = Structure.from_methodology(_methodology(method, weights=(5, 5, 6, 4)))
    b = compute(s, [f"c{i}" for i in range(cube.shape[0])], np.arange(2000, 2000 + cube.shape[1]), cube)
    np.testing.assert_allclose(a.index, b.index, equal_nan=True, atol=1e-9)


@FAST
@given(st.integers(3, 10), st.integers(0, 2**31 - 1))
def test_a_dominating_country_never_scores_lower(n, seed):
    rng = np.random.default_rng(seed)
    cube = rng.normal(size=(n, 1, 4))
    cube[0, 0, :3] = cube[:, 0, :3].max(axis=0) + 1  # best on higher-is-better indicators
    cube[0, 0, 3] = cube[:, 0, 3].min() - 1  # and on the lower-is-better one
    for method in ("minmax", "zscore", "rank"):
        r = _run(cube, _methodology(method))
        assert r.rank[0, 0] == 1


@FAST
@given(cubes, st.integers(0, 1000))
def test_monte_carlo_is_deterministic_and_independent_of_chunk_size(cube, seed):
    m = _methodology("minmax")
    a = _run(cube, m, draws=40, seed=seed).sensitivity
    old = engine._CHUNK
    try:
        engine._CHUNK = 7
        b = _run(cube, m, draws=40, seed=seed).sensitivity
    finally:
        engine._CHUNK = old
    assert np.array_equal(a.rank_p05, b.rank_p05) and np.array_equal(a.rank_p95, b.rank_p95)
    assert np.array_equal(a.mean_abs_shift, b.mean_abs_shift, equal_nan=True)
    assert np.all((a.rank_p05 <= a.rank_median) & (a.rank_median <= a.rank_p95))


@FAST
@given(cubes)
def test_carry_forward_and_imputation_are_flagged(cube):
    r = _run(cube, _methodology("minmax", carry=2, impute="mean"))
    assert not np.any(r.observed & r.carried) and not np.any(r.observed & r.imputed)
    # imputed values never raise coverage: coverage counts observed and carried-forward data only
    r0 = _run(cube, _methodology("minmax", carry=2, impute="none"))
    np.testing.assert_array_equal(r.index_coverage, r0.index_coverage)
