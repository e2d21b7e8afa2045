"""Issue 16: a tabular run whose boundary attack, SHAP rows and fairness bootstrap are split into row
(resample) partitions gives the local run's metric rows exactly — first through the engine with a
local mapper, then on a real local Ray cluster (head on 127.0.0.1 plus two worker nodes) on every
row of UCI Adult, the partitions running as Ray tasks."""

from __future__ import annotations

import numpy as np
import pytest
from test_ray_tabular import adult, cluster  # noqa: F401 - the Adult files and the two-node cluster of those tests

BASE = dict(
    target="income",
    sensitive=["sex", "race"],
    bootstrap=40,
    sample_rows=1500,
    robustness_rows=300,
    counterfactual_rows=300,
    explain_rows=200,
    shap_background=20,
    shap_samples=60,
    attack_iterations=4,
    seed=7,
)


def _config(adult, **over):  # noqa: F811 - the fixture's value
    from tianping.evaluation.tabular.runner import TabularConfig

    return TabularConfig(
        **{**BASE, "data": str(adult["csv"]), "model": str(adult["onnx"]), "features": adult["features"], **over}
    )


def _rows(result) -> list[dict]:
    return [m.model_dump(mode="json") for m in result.metrics]


def test_local_run_with_split_rows_gives_the_same_rows(adult):  # noqa: F811
    """The engine's row-parallel parts computed in three interleaved parts, here: the same metric rows."""
    from tianping.evaluation.tabular.partitions import mapping
    from tianping.evaluation.tabular.runner import run_tabular

    calls: list[tuple[str, list[int]]] = []

    def three_ways(fn, model, payload, items, min_items):
        chunks = [items[k::3] for k in (2, 0, 1) if len(items[k::3])]
        calls.append((fn.__name__, [len(c) for c in chunks]))
        return [(c, fn(model, payload, c)) for c in chunks]

    cfg = _config(adult, tests=["fairness", "robustness", "explain"])
    whole = run_tabular(cfg)
    with mapping(three_ways):
        split = run_tabular(cfg)
    assert _rows(split) == _rows(whole) and len(_rows(whole)) > 50
    assert {name for name, _ in calls} == {"attack_part", "shap_part", "bootstrap_counts_part"}


@pytest.mark.slow
def test_partitioned_ray_run_on_adult_gives_the_local_rows(cluster, adult, tmp_path):  # noqa: F811
    """Every row of Adult on the Ray backend, merged on the lease holder into the local run's metric rows, row
    for row: the whole run (robustness and explain share the two CPUs), then each splitting family alone, where
    its attack rows, SHAP rows or bootstrap resamples are split in two and run as Ray tasks on the worker nodes."""
    pytest.importorskip("ray")
    from tianping.evaluation.tabular.runner import run_tabular
    from tianping.execution.backends import BackendChoice
    from tianping.execution.tabular import run_split

    local = run_tabular(_config(adult, out_dir=str(tmp_path / "local")))
    on_ray = run_split(
        _config(adult, out_dir=str(tmp_path / "ray")), BackendChoice(name="ray", address=cluster.address), partition_min=20
    )
    assert local.n_rows == on_ray.n_rows == adult["rows"] > 30000
    assert _rows(on_ray) == _rows(local) and len(_rows(local)) > 100
    assert on_ray.summary == local.summary and on_ray.notes == local.notes

    # 20 rows (resamples) per partition at least, so the 40 bootstrap resamples are split too
    for family, fn, sizes in (
        ("robustness", "attack_part", [150, 150]),
        ("explain", "shap_part", [30, 30]),
        ("fairness", "bootstrap_counts_part", [20, 20]),
    ):
        trace: list = []
        alone = run_split(
            _config(adult, tests=[family]), BackendChoice(name="ray", address=cluster.address), trace=trace, partition_min=20
        )
        assert _rows(alone) == [r for r in _rows(local) if r["test"] == family], family
        parts = [p for t in trace for p in t["partitions"] if p["fn"] == fn]
        assert parts and all(p["sizes"] == sizes for p in parts), (family, parts)
        # the second partition ran as a Ray task of its own, at the same time as the first
        here, there = parts[0]["tasks"]
        assert there["pid"] != here["pid"] and there["start"] < here["end"] and here["start"] < there["end"]
        assert all(w["node"] for p in parts for w in p["tasks"])


def test_small_work_is_not_split():
    """Below twice the minimum per partition the mapper computes here, without a Ray task."""
    from tianping.execution.tabular import RayPartMapper

    class NoRay:
        def remote(self, **_kw):
            return lambda fn: fn

    mapper = RayPartMapper(NoRay(), None, parts=8)
    out = mapper(lambda _m, _p, items: items.sum(), None, None, np.arange(150), 100)
    assert len(out) == 1 and out[0][1] == sum(range(150)) and mapper.trace == []
