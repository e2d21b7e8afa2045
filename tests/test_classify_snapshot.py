"""Records of checked data sets (yamlio.record_key): a catalog or a set of rule packs that passed every
check once is loaded again without the checks' work (crosswalk on first use, rules compiled on first
use, gates as recorded), with the same results; any edit of an input file is picked up, and a data home
that cannot be written to only means no records."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tianping import plugins
from tianping.catalog import loader
from tianping.errors import TianpingError
from tianping.rules import pack as pack_mod
from tianping.rules.engine import classify

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A private data home with records on, and fresh per-process caches before and after."""
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIANPING_YAML_CACHE", "1")
    monkeypatch.delenv("TIANPING_PATH", raising=False)
    plugins.reload()
    yield tmp_path / "home"
    plugins.reload()


def _records(home: Path) -> list[Path]:
    """The catalog's and the packs' records (plug-in discovery keeps a record of its own beside them)."""
    folder = home / "cache" / "yaml"
    return sorted([*folder.glob("checked-catalog-*.json"), *folder.glob("checked-packs-*.json")])


def _catalog_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "catalog"
    shutil.copytree(loader.DATA_DIR, dst)
    return dst


def test_a_checked_catalog_loads_the_same_with_its_crosswalk_on_first_use(home, tmp_path):
    data = _catalog_copy(tmp_path)
    first = loader.load_catalog(data)
    assert first._load_mappings is None and len(_records(home)) == 1
    second = loader.load_catalog(data)
    assert second._load_mappings is not None  # from the record: the crosswalk is not loaded yet
    assert second.instruments == first.instruments and second.principles == first.principles
    assert list(second.provisions) == list(first.provisions) and second.amended_by == first.amended_by
    assert second.mappings == first.mappings and second.mapping_sets == first.mapping_sets
    assert second._load_mappings is None


def test_an_edited_catalog_file_is_checked_again(home, tmp_path):
    data = _catalog_copy(tmp_path)
    loader.load_catalog(data)
    inst = data / "instruments" / "eu-ai-act.yaml"
    text = inst.read_text(encoding="utf-8")
    inst.write_text(text.replace('\ntitle: {en: "Regulation', '\ntitle: {en: "Edited Regulation', 1), encoding="utf-8")
    cat = loader.load_catalog(data)
    assert cat.instruments["eu-ai-act"].title.en.startswith("Edited ")
    mapping = sorted((data / "mappings").glob("*.yaml"))[0]
    text = mapping.read_text(encoding="utf-8")
    subject = text.split("subject: ", 1)[1].split("\n", 1)[0]
    mapping.write_text(text.replace(f"subject: {subject}\n", "subject: eu-ai-act:no-such-provision\n", 1), encoding="utf-8")
    with pytest.raises(TianpingError, match="no-such-provision"):  # reported at once, not deferred to first use
        loader.load_catalog(data)


def test_bundled_data_and_packs_from_records_classify_the_same(home, monkeypatch):
    from tianping.registry.profile import load_profile_file

    system = load_profile_file(PROFILE)
    monkeypatch.setenv("TIANPING_YAML_CACHE", "0")  # no records: every check runs
    plugins.reload()
    full = [r.as_dict() for r in classify(system)]
    full_gates = [lp.gate for lp in pack_mod.default_packs()]
    monkeypatch.setenv("TIANPING_YAML_CACHE", "1")
    plugins.reload()
    pack_mod.default_packs()  # writes the records
    assert len(_records(home)) == 2
    plugins.reload()
    packs = pack_mod.default_packs()
    assert [lp.gate for lp in packs] == full_gates
    rules = [r for lp in packs for r in lp.designations + lp.obligations]
    assert not any(_compiled(r) for r in rules)  # compiled on first use
    assert [r.as_dict() for r in classify(system)] == full
    assert 0 < sum(map(_compiled, rules)) < len(rules)  # only the rules of the packs that apply
    day = dt.date(2027, 6, 1)
    from_records = [r.as_dict() for r in classify(system, as_of=day)]
    assert from_records == [r.as_dict() for r in classify(system, as_of=day, packs=_full_packs(monkeypatch))]


def _compiled(rule) -> bool:
    try:
        type(rule).__dict__["when_fn"].__get__(rule, type(rule))  # the slot itself, not the lazy fallback
    except AttributeError:
        return False
    return True


def _full_packs(monkeypatch) -> tuple:
    monkeypatch.setenv("TIANPING_YAML_CACHE", "0")
    plugins.reload()
    try:
        return pack_mod.default_packs()
    finally:
        monkeypatch.setenv("TIANPING_YAML_CACHE", "1")
        plugins.reload()


PLUGIN_PACK = """\
id: zz-snapshot-test
jurisdiction: ZZ
covers: [ZZ]
title: {en: Snapshot test pack, zh: 测试}
version: '1'
effective_from: 2024-01-01
instruments: [eu-ai-act]
applies_if: "'ZZ' in system.jurisdictions"
tiers:
  - {id: flagged, title: {en: Flagged, zh: 标记}}
  - {id: minimal, title: {en: Minimal, zh: 最低}, default: true}
designations:
  - id: zz-flag
    tier: flagged
    when: "WHEN"
    cites: [eu-ai-act:art-5]
    because: {en: Because, zh: 因为}
"""


def _zz_tier(when: str, data: Path, monkeypatch) -> str | None:
    (data / "packs").mkdir(parents=True, exist_ok=True)
    (data / "packs" / "zz.yaml").write_text(PLUGIN_PACK.replace("WHEN", when), encoding="utf-8")
    monkeypatch.setenv("TIANPING_PATH", str(data))
    plugins.reload()
    packs = [lp for lp in pack_mod.default_packs() if lp.pack.id == "zz-snapshot-test"]
    res = classify({"id": "s", "jurisdictions": ["ZZ"], "roles": {"ZZ": ["provider"]}}, packs=packs)
    return res[0].tier


def test_an_edited_plugin_pack_is_picked_up_and_checked(home, tmp_path, monkeypatch):
    data = tmp_path / "plugin-data"
    assert _zz_tier("true", data, monkeypatch) == "flagged"
    assert _zz_tier("true", data, monkeypatch) == "flagged"  # from the record
    assert _zz_tier("false", data, monkeypatch) == "minimal"  # edited: the new rule, checked again
    with pytest.raises(TianpingError, match="zz.yaml"):
        _zz_tier("system.(", data, monkeypatch)  # a broken expression is still reported at load


def test_an_unwritable_data_home_only_means_no_records(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "cache").mkdir(parents=True)
    (home / "cache" / "yaml").write_text("not a folder", encoding="utf-8")  # fails even for root, unlike chmod
    monkeypatch.setenv("TIANPING_HOME", str(home))
    monkeypatch.setenv("TIANPING_YAML_CACHE", "1")
    plugins.reload()
    try:
        data = _catalog_copy(tmp_path)
        for _ in range(2):
            cat = loader.load_catalog(data)
            assert cat._load_mappings is None and cat.mappings  # checked in full each time
        assert (home / "cache" / "yaml").read_text(encoding="utf-8") == "not a folder"
    finally:
        plugins.reload()


def test_a_record_writable_by_others_is_not_trusted(home, tmp_path):
    data = _catalog_copy(tmp_path)
    loader.load_catalog(data)
    (record,) = _records(home)
    record.chmod(0o666)
    assert loader.load_catalog(data)._load_mappings is None  # checked in full again


def test_bytes_read_once_parse_as_the_file_does(tmp_path):
    from tianping import yamlio

    f = tmp_path / "crlf.yaml"
    f.write_bytes(b"a: 1\r\nb: |\r\n  two\r\n  lines\r\nc: 2024-06-13\r\n")
    ((path, raw),) = yamlio.read_files([f])
    assert yamlio.load_yaml_file(path, raw).data == yamlio.load_yaml_file(f).data
    doc = yamlio.LocatedDoc(str(f), {"a": 1}, None, None, raw)  # as a record gives it: lines found from the bytes
    assert doc.line_of(("c",)) == 5
    assert yamlio.read_files([tmp_path / "missing.yaml"]) == [(tmp_path / "missing.yaml", None)]


def test_threads_asking_at_once_all_see_the_whole_crosswalk(home, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    data = _catalog_copy(tmp_path)
    full = loader.load_catalog(data)
    cat = loader.load_catalog(data)
    assert cat._load_mappings is not None
    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(lambda _: len(cat.mappings), range(8)))
    assert seen == [len(full.mappings)] * 8 and cat.mapping_sets == full.mapping_sets


def test_only_the_newest_records_of_a_kind_are_kept(home):
    import os

    from tianping import yamlio

    folder = home / "cache" / "yaml"
    for i in range(6):
        yamlio.write_record(f"testkind-{i:064x}", {"i": i})
        os.utime(folder / f"checked-testkind-{i:064x}.json", (1000 + i, 1000 + i))
    yamlio.write_record(f"otherkind-{0:064x}", {"i": 0})
    kept = sorted(p.name for p in folder.glob("checked-testkind-*.json"))
    assert kept == [f"checked-testkind-{i:064x}.json" for i in range(2, 6)]
    assert yamlio.read_record(f"testkind-{5:064x}") == {"i": 5}
    assert yamlio.read_record(f"otherkind-{0:064x}") == {"i": 0}
