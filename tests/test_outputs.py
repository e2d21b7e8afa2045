"""User-chosen outputs (tianping.outputs): every CLI output option refuses a bad path before any work
with exit 2 and a message naming the path; writes are atomic, so nothing half-written is ever left."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping.cli.main import app
from tianping.errors import TianpingError
from tianping.outputs import atomic_dir, atomic_file, atomic_path, check_dir, check_file, check_writable_dir, write_bytes, write_text

ROOT = Path(__file__).resolve().parents[1]
SYSTEM = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"
runner = CliRunner()


@pytest.fixture
def place(tmp_path) -> dict[str, Path]:
    """A regular file (so `<file>/x` has a file as parent), a non-empty directory and an input file."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "a-file").write_text("not a directory\n", encoding="utf-8")
    full = work / "full-dir"
    full.mkdir()
    (full / "keep.txt").write_text("keep\n", encoding="utf-8")
    (work / "full.json").mkdir()  # a directory with a file's name (an Inspect log is .json/.eval)
    (work / "full.json" / "keep.txt").write_text("keep\n", encoding="utf-8")
    (work / "input.txt").write_text("an AI-generated text to label\n", encoding="utf-8")
    (work / "in.csv").write_text("id,response\n1,I cannot help with that.\n", encoding="utf-8")
    return {"work": work, "file": work / "a-file", "full": full, "full_json": work / "full.json", "input": work / "input.txt", "csv": work / "in.csv"}


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(root.rglob("*"))}


# (name, kind, argv builder): kind "file" = a file output, "dir" = a new directory, "into" = a directory written into
def _cases(db: str, p: dict[str, Path]):
    return [
        ("assess --out", "dir", lambda o: ["--db", db, "assess", str(SYSTEM), "--out", o]),
        ("catalog export --out", "into", lambda o: ["catalog", "export", "--out", o, "--format", "schema"]),
        ("catalog sssom export --out", "file", lambda o: ["catalog", "sssom", "export", "--out", o]),
        ("catalog sssom import --out", "file", lambda o: ["catalog", "sssom", "import", str(p["csv"]), "--out", o]),
        ("checklist template --out", "file", lambda o: ["checklist", "template", "aiverify", "--system", "s1", "--out", o]),
        ("checklist export --out", "file", lambda o: ["--db", db, "checklist", "export", "s1", "--out", o]),
        ("audit export --out", "file", lambda o: ["--db", db, "audit", "export", "--out", o]),
        ("monitor --ics", "file", lambda o: ["--db", db, "monitor", "--ics", o]),
        ("incidents export", "file", lambda o: ["--db", db, "incidents", "export", o]),
        ("systems export --out", "file", lambda o: ["--db", db, "systems", "export", str(SYSTEM), "--format", "uk-atrs", "--out", o]),
        ("eval run --out", "file", lambda o: ["--db", db, "eval", "run", "--target", "openai:none", "--out", o]),
        ("eval score --out", "file", lambda o: ["eval", "score", "--input", str(p["csv"]), "--out", o]),
        ("eval export --out", "file", lambda o: ["--db", db, "eval", "export", "nosuchrun", "--out", o]),
        ("eval review export --out", "file", lambda o: ["--db", db, "eval", "review", "export", "nosuchrun", "--out", o]),
        ("eval judge-calibrate --out", "file", lambda o: ["eval", "judge-calibrate", "--judge", "rules", "--labelled",
                                                          str(p["csv"]), "--out", o]),
        ("test tabular --out", "into", lambda o: ["--db", db, "test", "tabular", "--data", str(p["csv"]), "--target", "id",
                                                  "--predictions", "id", "--out", o]),
        ("label add --output", "file", lambda o: ["label", "add", str(p["input"]), "--producer", "Svc", "--output", o]),
        ("label propagate --output", "file", lambda o: ["label", "propagate", str(p["input"]), "--propagator", "P", "--output", o]),
    ]


CASE_NAMES = [c[0] for c in _cases("x", {k: Path(k) for k in ("csv", "input")})]


def _bad_paths(name: str, kind: str, p: dict[str, Path]) -> list[tuple[str, str]]:
    bad = [("parent missing", str(p["work"] / "missing" / "out.json")),
           ("parent is a regular file", str(p["file"] / "out.json"))]
    if kind == "file":
        bad.append(("an existing directory", str(p["full_json"] if name == "eval export --out" else p["full"])))
    elif kind == "dir":
        bad.append(("a non-empty directory", str(p["full"])))
        bad.append(("an existing file", str(p["file"])))
    else:
        bad.append(("an existing file", str(p["file"])))
    return bad


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_output_path_exits_2_naming_it(name, place, tmp_path):
    db = str(tmp_path / "o.db")
    _, kind, argv = next(c for c in _cases(db, place) if c[0] == name)
    for what, path in _bad_paths(name, kind, place):
        before = _snapshot(place["work"])
        t0 = time.perf_counter()
        res = runner.invoke(app, argv(path))
        elapsed = time.perf_counter() - t0
        shown = path
        assert res.exit_code == 2, f"{name} / {what}: exit {res.exit_code}\n{res.output}"
        assert "bad output path" in res.output, f"{name} / {what}: {res.output}"
        assert shown in res.output.replace("\n", ""), f"{name} / {what}: the message does not name {shown}:\n{res.output}"
        assert "Traceback" not in res.output
        assert _snapshot(place["work"]) == before, f"{name} / {what}: something was written"
        assert elapsed < 10, f"{name} / {what}: {elapsed:.1f} s"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only directories")
@pytest.mark.parametrize("name", CASE_NAMES)
def test_read_only_parent_exits_2(name, place, tmp_path):
    db = str(tmp_path / "o.db")
    _, kind, argv = next(c for c in _cases(db, place) if c[0] == name)
    ro = place["work"] / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        path = str(ro / "out.json")
        res = runner.invoke(app, argv(path))
        assert res.exit_code == 2, res.output
        assert "not writable" in res.output and path in res.output.replace("\n", "")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


def test_tabular_bad_out_fails_fast_before_any_work(place, tmp_path):
    """A whole run must not be spent before a bad --out is reported: no data read, no run row stored."""
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("x,sex,y,p\n")
        fh.writelines(f"{i % 97},{'fm'[i % 2]},{i % 2},{(i // 3) % 2}\n" for i in range(400_000))
    db = tmp_path / "fast.db"
    t0 = time.perf_counter()
    res = runner.invoke(app, ["--db", str(db), "test", "tabular", "--data", str(big), "--target", "y", "--predictions", "p",
                              "--sensitive", "sex", "--bootstrap", "500", "--out", str(place["file"] / "results")])
    elapsed = time.perf_counter() - t0
    assert res.exit_code == 2, res.output
    assert str(place["file"] / "results") in res.output.replace("\n", "")
    assert elapsed < 2, f"took {elapsed:.2f} s: the path was checked after the work"
    if db.exists():
        with sqlite3.connect(db) as c:
            tables = {r[0] for r in c.execute("select name from sqlite_master where type='table'")}
            assert "runs" not in tables or c.execute("select count(*) from runs").fetchone()[0] == 0


def test_good_paths_still_work(place, tmp_path):
    out = place["work"] / "m.tsv"
    res = runner.invoke(app, ["catalog", "sssom", "export", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").startswith("#")
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # ordinary permissions, not mkstemp's 0600
    res = runner.invoke(app, ["catalog", "export", "--out", str(place["work"] / "schemas"), "--format", "schema"])
    assert res.exit_code == 0, res.output
    assert (place["work"] / "schemas" / "instrument.schema.json").is_file()
    assert not [p for p in place["work"].rglob("*") if p.name.startswith(".")]


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


# --- the helper itself ----------------------------------------------------------------------------


def test_write_text_replaces_atomically(tmp_path):
    p = tmp_path / "a.txt"
    write_text(p, "one")
    write_text(p, "two")
    write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert p.read_text() == "two" and (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.txt", "b.bin"]


def test_failure_mid_write_keeps_the_old_file_and_no_temp(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(p) as fh:
            fh.write("half")
            raise RuntimeError("boom")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(p) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert p.read_text() == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["a.txt"]


def test_oserror_while_writing_names_the_path(tmp_path):
    p = tmp_path / "a.txt"
    with pytest.raises(TianpingError) as err:
        with atomic_file(p, "--out") as fh:
            fh.write("x")
            raise OSError(28, "No space left on device")
    assert str(p) in str(err.value) and "No space left" in str(err.value) and "--out" in str(err.value)
    assert err.value.title == "bad output path"
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_appears_only_when_complete(tmp_path):
    d = tmp_path / "bundle"
    with pytest.raises(RuntimeError):
        with atomic_dir(d) as tmp:
            (tmp / "one").write_text("1")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    d.mkdir()  # an empty directory given on purpose is filled
    with atomic_dir(d) as tmp:
        (tmp / "one").write_text("1")
    assert [x.name for x in tmp_path.iterdir()] == ["bundle"] and (d / "one").read_text() == "1"
    with pytest.raises(TianpingError, match="not an empty directory"):
        check_dir(d)


def test_checks(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(TianpingError, match="is a directory"):
        check_file(tmp_path)
    with pytest.raises(TianpingError, match="is a file, not a directory"):
        check_file(f / "x")
    with pytest.raises(TianpingError, match="does not exist"):
        check_file(tmp_path / "no" / "x")
    with pytest.raises(TianpingError, match="is a file, not a directory"):
        check_writable_dir(f)
    assert check_file(f) == f and check_writable_dir(tmp_path) == tmp_path and check_dir(tmp_path / "new") == tmp_path / "new"


@pytest.mark.parametrize("view", [["rank"], ["profile", "Viet Nam"], ["compare", "--group", "asean"], ["trend", "SGP"]])
def test_divide_chart_checked_while_parsing(view, place):
    """`divide … --chart` is refused while the options are parsed (before any index is computed)."""
    for path in (str(place["work"] / "missing" / "c.png"), str(place["file"] / "c.png"), str(place["full"])):
        before = _snapshot(place["work"])
        res = runner.invoke(app, ["divide", *view, "--chart", path])
        flat = "".join(res.output.replace("│", "").split())
        assert res.exit_code == 2, res.output
        assert "badoutputpath" in flat and "".join(path.split()) in flat, res.output
        assert _snapshot(place["work"]) == before
