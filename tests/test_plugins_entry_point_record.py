"""The "no Tianping entry points installed" record (plugins._installed_entry_points).

Most installs have no Tianping plug-in, so once a scan of the installed distributions found none, a record
named by the search path's folders and their modification times lets later processes skip the scan.
Installing a distribution adds its *.dist-info folder to a path folder, which changes the folder's
modification time and so the record's name: a new plug-in is always found.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys

import pytest

from tianping import plugins


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TIANPING_YAML_CACHE", raising=False)
    plugins.reload()
    yield tmp_path
    plugins.reload()


def _scan_counter(monkeypatch):
    calls = []
    real = importlib.metadata.distributions

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(importlib.metadata, "distributions", counting)
    return calls


def _plugin_dir(root):
    """A folder holding one installed distribution with a `tianping.packs` entry point."""
    site = root / "site"
    info = site / "acme_probe-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-probe\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[tianping.packs]\nacme-probe = acme_probe_pkg:PACKS\n")
    return site


def test_a_scan_that_finds_none_is_recorded_and_the_next_process_skips_it(home, monkeypatch):
    calls = _scan_counter(monkeypatch)
    assert plugins._installed_entry_points() == ()
    assert calls == [1]
    key = plugins._search_path_key()
    assert key is not None and (home / "home").exists()
    plugins._installed_entry_points.cache_clear()  # as a new process would
    assert plugins._installed_entry_points() == ()
    assert calls == [1]  # the record answered


def test_installing_a_plug_in_changes_the_path_and_it_is_found(home, monkeypatch):
    calls = _scan_counter(monkeypatch)
    assert plugins._installed_entry_points() == ()
    site = home / "site"
    site.mkdir()
    os.utime(site, ns=(10**18, 10**18))  # an old folder: the install below surely changes its time
    monkeypatch.syspath_prepend(str(site))
    plugins._installed_entry_points.cache_clear()
    assert plugins._installed_entry_points() == ()  # a new folder on the path: scanned again, still none
    assert len(calls) == 2
    _plugin_dir(home)  # the distribution lands in a folder already on the path (pip install)
    plugins._installed_entry_points.cache_clear()
    found = plugins._installed_entry_points()
    assert [(ep.group, ep.name) for ep in found] == [("tianping.packs", "acme-probe")]
    assert len(calls) == 3


def test_records_off_always_scan(home, monkeypatch):
    monkeypatch.setenv("TIANPING_YAML_CACHE", "0")
    calls = _scan_counter(monkeypatch)
    plugins._installed_entry_points()
    plugins._installed_entry_points.cache_clear()
    plugins._installed_entry_points()
    assert plugins._search_path_key() is None and len(calls) == 2


def test_a_distribution_found_twice_on_the_path_counts_once(home, monkeypatch):
    first = _plugin_dir(home / "a")
    second = _plugin_dir(home / "b")
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    plugins._installed_entry_points.cache_clear()
    found = [ep for ep in plugins._installed_entry_points() if ep.name == "acme-probe"]
    assert len(found) == 1 and str(first) in str(found[0].dist._path)  # noqa: SLF001 - which copy was kept
    assert sys.path[0] == str(first)
