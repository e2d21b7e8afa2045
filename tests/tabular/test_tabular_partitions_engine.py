"""Issue 16: the boundary attack, SHAP and the fairness bootstrap computed over any partition of their
rows (or resamples) and merged equal one whole computation exactly. Partitions are drawn by
hypothesis: every item is sent to one of k parts at random, so parts are neither contiguous nor in
order, and the mapper computes them in a shuffled order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tianping.evaluation.tabular.attack import AttackResult, hop_skip_jump
from tianping.evaluation.tabular.keyed_random import resample_generator, row_normals, row_order, row_uniforms
from tianping.evaluation.tabular.partitions import map_parts, mapping, split

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
partitionings = st.tuples(st.integers(1, 6), st.integers(0, 2**32 - 1))  # (parts, seed of the assignment)


def random_mapper(parts: int, seed: int):
    """A local mapper that sends each item to a random one of `parts` parts and computes them in random order."""

    def mapper(fn, model, payload, items, min_items):
        rng = np.random.default_rng(seed)
        owner = rng.integers(0, parts, size=len(items))
        chunks = [items[owner == k] for k in rng.permutation(parts) if (owner == k).any()] or [items]
        return [(c, fn(model, payload, c)) for c in chunks]

    return mapper


def boundary(zz: np.ndarray, idx) -> np.ndarray:
    """A curved decision boundary the attack has to search for."""
    return ((zz @ np.array([1.0, -0.5, 0.3, 0.0]) + 0.4 * np.sin(3 * zz[:, 1])) > 0.1).astype(int)


@pytest.fixture(scope="module")
def attack_data():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((160, 4))
    pred = boundary(z, None)
    y = pred.copy()
    y[:15] = 1 - y[:15]  # some rows already wrong (not attacked)
    skip = np.zeros(len(z), dtype=bool)
    skip[20:25] = True  # and some held out, as rows whose filled-in values change the prediction
    whole = hop_skip_jump(boundary, z, y, pred, iterations=3, seed=11, skip=skip)
    return z, y, pred, skip, whole


@SETTINGS
@given(partitionings)
def test_attack_over_any_partition_equals_the_whole_attack(attack_data, part):
    z, y, pred, skip, whole = attack_data
    mapper = random_mapper(*part)

    def attack(_model, _payload, rows):
        return hop_skip_jump(boundary, z, y, pred, iterations=3, seed=11, skip=skip, part=rows)

    merged = AttackResult.merge(mapper(attack, None, None, np.arange(len(z)), 1), len(z))
    assert np.array_equal(merged.distance, whole.distance) and np.array_equal(merged.correct, whole.correct)
    assert (merged.queries, merged.no_start, merged.unverified) == (whole.queries, whole.no_start, whole.unverified)
    assert np.isfinite(whole.distance[whole.correct]).mean() > 0.8  # the attack did find the boundary


def test_attack_depends_on_the_seed(attack_data):
    z, y, pred, skip, whole = attack_data
    other = hop_skip_jump(boundary, z, y, pred, iterations=3, seed=12, skip=skip)
    assert not np.array_equal(other.distance, whole.distance)


@SETTINGS
@given(st.integers(0, 2**40), st.lists(st.integers(0, 10**6), min_size=1, max_size=30, unique=True), st.integers(1, 40))
def test_keyed_streams_of_a_row_do_not_depend_on_the_other_rows(seed, rows, count):
    rows = np.array(rows)
    whole = row_normals(seed, "s", rows, count)
    for i in range(0, len(rows), 7):
        assert np.array_equal(row_normals(seed, "s", rows[i : i + 7], count), whole[i : i + 7])
    u = row_uniforms(seed, "s", rows, count)
    assert ((u > 0) & (u < 1)).all()


def test_keyed_numbers_look_random():
    x = row_normals(0, "check", np.arange(2000), 100).ravel()
    assert abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01 and abs(np.mean(x**3)) < 0.03
    pool = row_order(3, "pool", 10_000, 500)
    assert len(set(pool)) == 500 and (np.diff(pool) > 0).all() and 4000 < pool.mean() < 6000
    a, b = resample_generator(1, "t", 0).random(5), resample_generator(1, "t", 1).random(5)
    assert not np.array_equal(a, b) and np.array_equal(a, resample_generator(1, "t", 0).random(5))


def test_split_keeps_small_work_whole():
    assert [len(c) for c in split(np.arange(150), 4, 100)] == [150]
    assert [len(c) for c in split(np.arange(400), 4, 100)] == [100, 100, 100, 100]
    assert [len(c) for c in split(np.arange(1000), 3, 100)] == [334, 333, 333]
    assert map_parts(lambda m, p, i: len(i), None, None, np.arange(10), min_items=1)[0][1] == 10  # default: one part


# -- through the engine's own entry points ----------------------------------------------------------
def _rows(sink) -> list[dict]:
    return [m.model_dump(mode="json") for m in sink.metrics]


@pytest.fixture(scope="module")
def adult_querier(adult, adult_features, adult_files):
    """A Querier on 400 Adult rows with the gradient-boosting ONNX model."""
    from tianping.evaluation.tabular.labels import Encoded
    from tianping.evaluation.tabular.models import load_model
    from tianping.evaluation.tabular.querier import Querier

    model = load_model(str(adult_files["onnx"]))
    frame = adult[adult_features].iloc[:400]
    y = adult["income"].to_numpy()[:400]
    enc = Encoded("binary", y, y, None, np.array([0, 1]), 1)
    return Querier(model, frame, enc, list(adult_features))


def _robustness(q):
    from tianping.evaluation.tabular.results import MetricSink
    from tianping.evaluation.tabular.robustness import run_robustness
    from tianping.evaluation.tabular.spec import load_spec

    sink = MetricSink(load_spec(None), "robustness")
    aux = run_robustness(sink, q, categorical=[], iterations=3, seed=4)
    return _rows(sink), aux


@pytest.fixture(scope="module")
def whole_robustness(adult_querier):
    return _robustness(adult_querier)


@SETTINGS
@given(partitionings)
def test_robustness_rows_on_any_partition_equal_the_whole_run(adult_querier, whole_robustness, part):
    with mapping(random_mapper(*part)):
        rows, aux = _robustness(adult_querier)
    assert rows == whole_robustness[0] and aux["attack"] == whole_robustness[1]["attack"]
    assert any(r["name"] == "adversarial_accuracy" for r in rows)


def _shap(q, explainer: str, samples: int):
    from tianping.evaluation.tabular.explain import shap_values
    from tianping.evaluation.tabular.results import MetricSink
    from tianping.evaluation.tabular.spec import load_spec

    sink = MetricSink(load_spec(None), "explain")
    out = shap_values(sink, q, background=10, samples=samples, max_evals=60, seed=2, explainer=explainer)
    return _rows(sink), out["values"]


@pytest.fixture(scope="module")
def whole_shap(adult_querier):
    return {"tree": _shap(adult_querier, "tree", 40), "kernel": _shap(adult_querier, "kernel", 8)}


@SETTINGS
@given(partitionings, st.sampled_from(["tree", "kernel"]))
def test_shap_on_any_partition_of_the_explained_rows_equals_the_whole(adult_querier, whole_shap, part, explainer):
    state = np.random.get_state()
    with mapping(random_mapper(*part)):
        got = _shap(adult_querier, explainer, 40 if explainer == "tree" else 8)
    assert got == whole_shap[explainer]
    assert np.array_equal(np.random.get_state()[1], state[1])  # the kernel explainer's seeding put numpy's global state back


def _fairness(task: str, n_boot: int):
    from tianping.evaluation.tabular.fairness import classification_fairness, regression_fairness
    from tianping.evaluation.tabular.groups import build_groupings
    from tianping.evaluation.tabular.labels import Encoded
    from tianping.evaluation.tabular.results import MetricSink
    from tianping.evaluation.tabular.spec import load_spec

    rng = np.random.default_rng(0)
    n = 3000
    sens = pd.DataFrame({"a": rng.choice(["x", "y", "z"], n), "b": rng.choice(["p", "q"], n)})
    groupings = build_groupings(sens, intersections=True)
    sink = MetricSink(load_spec(None), "fairness")
    if task == "regression":
        y = rng.normal(size=n)
        enc = Encoded("regression", y, y + rng.normal(scale=0.3, size=n), None, np.array([]), None)
        regression_fairness(sink, enc, groupings, n_boot=n_boot, seed=9, max_boot_rows=2000)
    else:
        y = rng.integers(0, 3, n)
        pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, 3, n))
        classification_fairness(sink, Encoded("multiclass", y, pred, None, np.arange(3), None), groupings, n_boot=n_boot, seed=9)
    return _rows(sink)


@pytest.fixture(scope="module")
def whole_fairness():
    return {task: _fairness(task, 60) for task in ("multiclass", "regression")}


@SETTINGS
@given(partitionings, st.sampled_from(["multiclass", "regression"]))
def test_bootstrap_on_any_partition_of_the_resamples_equals_the_whole(whole_fairness, part, task):
    with mapping(random_mapper(*part)):
        rows = _fairness(task, 60)
    assert rows == whole_fairness[task]
    assert sum(r["ci"] is not None for r in rows) > 10
