"""The YAML parse cache (format 2): dates come back as dates wherever they are, data JSON cannot hold is
never cached, and a cache file is only a cache (a damaged one is parsed again)."""

from __future__ import annotations

import datetime as dt

import pytest

from tianping import yamlio


@pytest.fixture()
def package(tmp_path, monkeypatch):
    """A folder the cache treats as the installed package, and a private data home."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    monkeypatch.setattr(yamlio, "_PACKAGE", pkg.resolve())
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIANPING_YAML_CACHE", "1")
    return pkg


def _cached(tmp_path):
    return sorted((tmp_path / "home" / "cache" / "yaml").glob("*.json"))


def test_dates_at_any_depth_come_back_as_dates(package, tmp_path):
    f = package / "dated.yaml"
    f.write_text(
        "adopted: 2024-06-13\n"
        "windows:\n"
        "  - {from: 2025-02-02, to: null, note: '2025-02-02 stays text'}\n"
        "  - {from: 2026-08-02T10:00:00+02:00}\n"
        "nested: {a: [[2027-01-01]], b: 1.5, c: true}\n",
        encoding="utf-8",
    )
    first = yamlio.load_yaml_file(f)
    assert first.node is not None and len(_cached(tmp_path)) == 1
    second = yamlio.load_yaml_file(f)
    assert second.node is None  # read from the cache
    assert second.data == first.data
    assert second.data["adopted"] == dt.date(2024, 6, 13) and type(second.data["adopted"]) is dt.date
    assert second.data["windows"][0]["note"] == "2025-02-02 stays text"
    assert second.data["windows"][1]["from"] == dt.datetime(2026, 8, 2, 8, 0, tzinfo=dt.UTC)
    assert type(second.data["nested"]["a"][0][0]) is dt.date
    assert second.line_of(("nested", "b")) == first.line_of(("nested", "b")) == 5


def test_a_document_that_is_one_date(package, tmp_path):
    f = package / "one.yaml"
    f.write_text("2025-01-01\n", encoding="utf-8")
    assert yamlio.load_yaml_file(f).data == dt.date(2025, 1, 1)
    again = yamlio.load_yaml_file(f)
    assert again.node is None and again.data == dt.date(2025, 1, 1)


def test_data_json_cannot_hold_is_not_cached(package, tmp_path):
    f = package / "keys.yaml"
    f.write_text("1: one\n2: two\n", encoding="utf-8")  # integer keys would come back as strings
    assert yamlio.load_yaml_file(f).data == {1: "one", 2: "two"}
    assert _cached(tmp_path) == []
    assert yamlio.load_yaml_file(f).node is not None  # parsed again, never read from a cache


def test_a_damaged_cache_file_is_parsed_again(package, tmp_path):
    f = package / "x.yaml"
    f.write_text("a: 2024-01-02\n", encoding="utf-8")
    yamlio.load_yaml_file(f)
    (cache,) = _cached(tmp_path)
    cache.write_text('{"dates": [["date", ["missing"]]], "data": {"a": "2024-01-02"}}', encoding="utf-8")
    again = yamlio.load_yaml_file(f)
    assert again.node is not None and again.data == {"a": dt.date(2024, 1, 2)}
