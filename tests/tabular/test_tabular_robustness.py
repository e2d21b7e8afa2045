"""Robustness: the boundary attack finds the true minimal distance of a linear model; perturbation
curves; a model that fails on missing values is recorded, not crashed."""

from __future__ import annotations

import numpy as np
import pytest

from tianping.evaluation.tabular import TabularConfig, run_tabular
from tianping.evaluation.tabular.attack import hop_skip_jump


def test_attack_recovers_distance_to_a_hyperplane():
    rng = np.random.default_rng(0)
    n, d = 2000, 6
    z = rng.standard_normal((n, d))
    w, b = rng.standard_normal(d), 0.3
    y = (z @ w + b > 0).astype(np.int64)

    def predict(zz, idx):
        return (zz @ w + b > 0).astype(np.int64)

    res = hop_skip_jump(predict, z, y, y.copy(), iterations=10, seed=1)
    true = np.abs(z @ w + b) / np.linalg.norm(w)
    ratio = res.distance / true
    assert res.success_rate() == 1.0
    assert np.all(ratio >= 1 - 1e-6)  # never closer than the boundary (every point found is adversarial)
    assert np.median(ratio) < 1.05 and np.quantile(ratio, 0.9) < 1.3
    assert res.adversarial_accuracy(0.0) == 1.0
    assert res.adversarial_accuracy(np.inf) == 0.0
    eps = float(np.median(true))
    assert res.adversarial_accuracy(eps) == pytest.approx(np.mean(true > eps), abs=0.05)


def test_rows_already_wrong_are_not_attacked():
    z = np.array([[0.0], [1.0], [-1.0]])
    y = np.array([1, 1, 0])
    pred = np.array([0, 1, 0])
    res = hop_skip_jump(lambda zz, idx: (zz[:, 0] > 0).astype(int), z, y, pred, iterations=3)
    assert res.distance[0] == 0 and not res.correct[0]
    assert res.distance[1] == pytest.approx(1.0, rel=0.02)


def test_robustness_on_onnx_model(adult_files, adult_features):
    r = run_tabular(TabularConfig(data=str(adult_files["parquet"]), target="income", model=str(adult_files["onnx"]),
                                  features=adult_features, tests=["robustness"], robustness_rows=400,
                                  categorical=[c for c in adult_features if c.endswith("_code")]))
    by = {}
    for m in r.metrics:
        by.setdefault(m.name, []).append(m)
    noise = [m for m in by["perturbed_accuracy"] if m.details["perturbation"] == "gaussian_noise"]
    assert [m.details["severity"] for m in noise] == [0.05, 0.1, 0.2, 0.5, 1.0]
    assert noise[-1].value < noise[0].value + 0.02  # heavier noise does not help
    assert {m.details["perturbation"] for m in by["accuracy_drop"]} >= {"gaussian_noise", "category_flip", "missing_values", "out_of_range"}
    (adv,) = by["adversarial_accuracy"]
    assert 0 <= adv.value <= 1 and adv.details["attacked_rows"] > 0 and "eu-ai-act:art-15" in adv.citations
    (med,) = by["median_minimal_perturbation"]
    assert med.value > 0


def test_model_failing_on_missing_values_is_a_finding(german):
    r = run_tabular(TabularConfig(data=str(german["csv"]), target="good", model=str(german["skops"]),
                                  tests=["robustness"], robustness_rows=300, attack_iterations=3))
    fails = {m.details["perturbation"]: m for m in r.metrics if m.name == "invalid_input_failure"}
    assert fails["missing_values"].value == 1 and "error" in fails["missing_values"].details
    assert fails["missing_values"].status == "warn"
    assert any(m.name == "adversarial_accuracy" for m in r.metrics)


def test_attack_counts_only_verified_changes_when_a_fixed_column_matters():
    """The model also reads a per-row attribute the attack may not move (text, categorical, sensitive):
    copying another row's numbers is then not enough to change the prediction, so starts are checked."""
    rng = np.random.default_rng(2)
    n = 1500
    z = rng.standard_normal((n, 2))
    h = rng.integers(0, 2, n)  # the fixed attribute, seen by the model through the row index

    def only_h(zz, idx):
        return h[idx]

    res = hop_skip_jump(only_h, z, h.copy(), h.copy(), iterations=3, seed=0)
    assert res.success_rate() == 0.0 and res.no_start == n and np.all(np.isinf(res.distance))

    def mixed(zz, idx):
        return (zz[:, 0] + 3.0 * h[idx] - 1.5 > 0).astype(np.int64)

    y = mixed(z, np.arange(n))
    res = hop_skip_jump(mixed, z, y, y.copy(), iterations=8, seed=0)
    true = np.abs(z[:, 0] + 3.0 * h - 1.5)
    found = np.isfinite(res.distance)
    assert found[true < 1.0].mean() > 0.97 and found.mean() > 0.8 and res.unverified == 0
    assert res.no_start == int((~found).sum())
    assert np.all(res.distance[found] >= true[found] - 1e-6)  # never closer than the real boundary: every point is adversarial
    assert np.median(res.distance[found] / true[found]) < 1.05
    # and every counted point really changes the prediction through the model
    assert res.adversarial_accuracy(1e9) == pytest.approx(1 - found.mean())
