"""A run that fails after the CSV prefetch started (a model that cannot be loaded, a missing column) closes
the prefetched reader instead of leaving it to the garbage collector; a run that succeeds hands it over."""

from __future__ import annotations

import pytest

from tianping.errors import TianpingError
from tianping.evaluation.tabular import data as datamod
from tianping.evaluation.tabular.runner import TabularConfig, run_tabular


@pytest.fixture
def spied(monkeypatch):
    calls: list[str] = []
    real_discard, real_take = datamod.CsvPrefetch.discard, datamod.CsvPrefetch.take

    def discard(self):
        calls.append("discard")
        return real_discard(self)

    def take(self, *a, **k):
        calls.append("take")
        return real_take(self, *a, **k)

    monkeypatch.setattr(datamod.CsvPrefetch, "discard", discard)
    monkeypatch.setattr(datamod.CsvPrefetch, "take", take)
    return calls


def _csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x1,x2,y,s\n" + "".join(f"{i % 7},{i % 3},{i % 2},{i % 2}\n" for i in range(200)))
    return path


def test_a_model_that_cannot_be_loaded_closes_the_prefetched_reader(tmp_path, spied):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not an onnx file")
    cfg = TabularConfig(
        data=str(_csv(tmp_path)), target="y", model=str(bad), features=["x1", "x2"], sensitive=["s"], tests=["fairness"]
    )
    with pytest.raises(TianpingError):
        run_tabular(cfg)
    assert spied == ["discard"]


def test_a_missing_column_closes_the_prefetched_reader(adult_files, adult_features, spied):
    cfg = TabularConfig(
        data=str(adult_files["csv"]),
        target="income",
        model=str(adult_files["onnx"]),
        features=adult_features,
        sensitive=["no_such_column"],
        tests=["fairness"],
    )
    with pytest.raises(TianpingError, match="no_such_column"):
        run_tabular(cfg)
    assert spied == ["discard"]


def test_a_run_that_succeeds_hands_the_reader_over(adult_files, adult_features, spied):
    cfg = TabularConfig(
        data=str(adult_files["csv"]),
        target="income",
        model=str(adult_files["onnx"]),
        features=adult_features,
        sensitive=["sex_code"],
        tests=["fairness"],
        bootstrap=0,
    )
    run_tabular(cfg)
    assert spied[0] == "take" and set(spied[1:]) <= {"discard"}
