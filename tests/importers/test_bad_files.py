"""Truncated or corrupt files: a located error (file, line / member, field), exit 2, nothing imported."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imp_helpers import FIX, GARAK_REPORT, LM_RESULTS, SYSTEM, cli, run_count
from tianping.errors import TianpingError
from tianping.importers.service import read_file

FILES = [FIX / "inspect" / "xstest.eval", FIX / "inspect" / "strong_reject.json", LM_RESULTS, GARAK_REPORT,
         FIX / "pyrit" / "memory_export.json", FIX / "aiverify" / "fairness_results.json",
         FIX / "aiverify" / "robustness_results.json", FIX / "promptfoo" / "redteam_results.json"]


def _copy_with_companions(src: Path, dst_dir: Path) -> Path:
    for f in src.parent.iterdir():  # lm-eval samples and garak hit logs live beside their main file
        shutil.copy(f, dst_dir / f.name)
    return dst_dir / src.name


@pytest.mark.parametrize("src", FILES, ids=lambda p: p.name[:30])
def test_truncated_file_exit_2_nothing_imported(db_path, tmp_path, src):
    f = _copy_with_companions(src, tmp_path)
    data = src.read_bytes()
    f.write_bytes(data[: len(data) // 2])
    r = cli(db_path, "evidence", "import", str(f), "--system", SYSTEM)
    assert r.exit_code == 2, r.output
    assert f.name in r.output
    assert run_count(db_path) == 0
    j = cli(db_path, "evidence", "import", str(f), "--system", SYSTEM, "--json")
    err = json.loads(j.stdout)["error"]
    assert j.exit_code == 2 and err["problems"][0]["file"].startswith(str(f))


def test_json_error_names_the_line(tmp_path):
    f = _copy_with_companions(GARAK_REPORT, tmp_path)
    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[6] = lines[6][:40] + "\n"
    f.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(TianpingError) as e:
        read_file(f)
    p = e.value.problems[0]
    assert p.line == 7 and p.file == str(f) and "truncated or corrupt" in p.message


def test_garak_report_without_completion_is_refused(tmp_path):
    f = _copy_with_companions(GARAK_REPORT, tmp_path)
    lines = [x for x in f.read_text(encoding="utf-8").splitlines(keepends=True)
             if json.loads(x)["entry_type"] not in ("completion", "digest")]
    f.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(TianpingError, match="completion") as e:
        read_file(f)
    assert e.value.problems[0].line == len(lines)


def test_garak_eval_line_with_bad_field(tmp_path):
    f = _copy_with_companions(GARAK_REPORT, tmp_path)
    rows = [json.loads(x) for x in f.read_text(encoding="utf-8").splitlines()]
    i = next(i for i, r in enumerate(rows) if r["entry_type"] == "eval")
    rows[i]["passed"] = "many"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(TianpingError) as e:
        read_file(f)
    assert e.value.problems[0].line == i + 1 and e.value.problems[0].field == "passed"


def test_lm_eval_truncated_samples_file_is_refused(tmp_path):
    f = _copy_with_companions(LM_RESULTS, tmp_path)
    s = next(tmp_path.glob("samples_xstest_*.jsonl"))
    s.write_text("".join(s.read_text(encoding="utf-8").splitlines(keepends=True)[:5]), encoding="utf-8")
    with pytest.raises(TianpingError, match="5 sample line") as e:
        read_file(f)
    assert e.value.problems[0].file == str(s)


def _rewrite_member(src: Path, dst: Path, member: str, change) -> None:
    """Copy an .eval archive with one member's stored bytes changed (the directory's CRC is kept)."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo(member)
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    change(data, start, info.compress_size)
    dst.write_bytes(bytes(data))


def test_corrupt_eval_member_is_named(db_path, tmp_path):
    src = FIX / "inspect" / "xstest.eval"
    f = tmp_path / "corrupt.eval"

    def flip(data, start, size):
        for k in range(start + size // 2, start + size // 2 + 8):
            data[k] ^= 0xFF

    _rewrite_member(src, f, "samples/safe-3_epoch_1.json", flip)
    r = cli(db_path, "evidence", "import", str(f), "--system", SYSTEM, "--json")
    assert r.exit_code == 2
    p = json.loads(r.stdout)["error"]["problems"][0]
    assert p["file"] == f"{f}!samples/safe-3_epoch_1.json" and "corrupt" in p["message"]
    assert run_count(db_path) == 0


def test_unfinished_eval_log_is_refused(tmp_path):
    src = FIX / "inspect" / "xstest.eval"
    f = tmp_path / "running.eval"
    from tianping.importers.zipread import ZipReader

    with ZipReader(src) as z, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as out:
        for n in z.names():
            if n not in ("header.json", "summaries.json", "reductions.json"):
                out.writestr(n, z.read(n))
    with pytest.raises(TianpingError, match="not finished") as e:
        read_file(f)
    assert e.value.problems[0].file.endswith("!header.json")


def test_deflated_eval_archive_reads_like_zstd(tmp_path):
    """Inspect logs written before Zstandard (deflated members) read the same."""
    from import_inspect import make_log

    a = read_file(make_log(tmp_path / "z.eval", 30, "zstd"))[0]
    b = read_file(make_log(tmp_path / "d.eval", 30, "deflate"))[0]
    assert a.samples.count == b.samples.count == 30
    assert [m.value for m in a.metrics] == [m.value for m in b.metrics]


def _reference(src: Path):
    parsed, _ = read_file(src)
    return [(m.key, m.metric, m.value, m.n) for m in parsed.metrics], parsed.samples.count


REFERENCE: dict[Path, tuple] = {}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(FILES), frac=st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_any_truncation_imports_nothing_or_the_same(tmp_path_factory, which, frac):
    """Cut a valid file anywhere: either a TianpingError (never another exception), or — when only
    trailing whitespace, or a garak report's trailing `digest` summary line, was cut — exactly the
    same metrics and sample count."""
    if which not in REFERENCE:
        REFERENCE[which] = _reference(which)
    d = tmp_path_factory.mktemp("cut")
    f = _copy_with_companions(which, d)
    data = which.read_bytes()
    cut = int(len(data) * frac)
    f.write_bytes(data[:cut])
    try:
        got = _reference(f)
    except TianpingError as e:
        assert e.problems and e.problems[0].file and e.problems[0].file.startswith(str(f))
        return
    assert _harmless_cut(which, data[cut:]), f"a cut at byte {cut} of {len(data)} was imported"
    assert got == REFERENCE[which]


def _harmless_cut(which: Path, removed: bytes) -> bool:
    if not removed.strip():
        return True
    if which != GARAK_REPORT or removed[:1] not in (b"{",):
        return False
    return all(json.loads(x)["entry_type"] == "digest" for x in removed.splitlines() if x.strip())


def test_garak_cut_before_digest_imports_the_same(tmp_path):
    f = _copy_with_companions(GARAK_REPORT, tmp_path)
    lines = GARAK_REPORT.read_bytes().splitlines(keepends=True)
    assert json.loads(lines[-1])["entry_type"] == "digest"
    f.write_bytes(b"".join(lines[:-1]))
    assert _reference(f) == _reference(GARAK_REPORT)


@settings(max_examples=25, deadline=None)
@given(blob=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_arbitrary_bytes_never_raise_anything_but_tianping_error(tmp_path_factory, blob):
    f = tmp_path_factory.mktemp("blob") / "x.bin"
    f.write_bytes(blob)
    try:
        read_file(f)
    except TianpingError:
        pass


@settings(max_examples=20, deadline=None)
@given(head=st.sampled_from([b'{"entry_type": "init", "garak_version": "0.11.0"}\n', b'{"gid": "a", "cid": "b", "testArguments": {}, "output": ',
                             b'[{"conversation_id": "c", "role": "user", "original_value": "x"', b'{"version": 2, "status": "success", "eval": {',
                             b'{"results": {"t": {"acc,none": 1}}, "versions": {']),
       tail=st.binary(max_size=200))
def test_known_heads_with_garbage_tails(tmp_path_factory, head, tail):
    f = tmp_path_factory.mktemp("garb") / "x.json"
    f.write_bytes(head + tail)
    try:
        read_file(f)
    except TianpingError:
        pass
