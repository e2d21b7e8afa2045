"""Malformed and hostile files fail cleanly (a message naming the file, no traceback) with bounded memory;
files made by other tools are read without errors."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tianping.errors import TianpingError
from tianping.provenance.check import check_file
from tianping.provenance.service import add_label


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def _png(width: int, height: int, extra: bytes = b"", idat: bytes | None = None) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = idat if idat is not None else zlib.compress(b"\x00" + b"\x00" * 3 * min(width, 16))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _bomb(n: int) -> bytes:
    """zlib stream of n zero bytes, built in pieces (the test itself stays small)."""
    c, block = zlib.compressobj(9), b"\x00" * (1 << 20)
    out = [c.compress(block) for _ in range(n >> 20)]
    return b"".join(out) + c.flush()


def hostile_files(d: Path) -> dict[str, Path]:
    d.mkdir(parents=True, exist_ok=True)
    good = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(good, "PNG")
    files = {
        "truncated.png": good.getvalue()[: len(good.getvalue()) // 2],
        "huge-dimensions.png": _png(100_000, 100_000),
        "ztxt-bomb.png": _png(16, 16, _chunk(b"zTXt", b"AIGC\x00\x00" + _bomb(300 << 20))),
        "itxt-xmp-bomb.png": _png(16, 16, _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + _bomb(300 << 20))),
        "huge-chunk-length.png": _png(16, 16, struct.pack(">I", 0x7FFFFFF0) + b"tEXt" + b"AIGC\x00{}"),
        "aigc-not-json.png": _png(16, 16, _chunk(b"tEXt", b"AIGC\x00{not json")),
        "truncated.jpg": b"\xff\xd8\xff\xe1\xff\xf0Exif\x00\x00" + b"\x00" * 100,
        "no-scan.jpg": b"\xff\xd8\xff\xd9",
        "bad-riff.wav": b"RIFF\xff\xff\xff\x7fWAVEfmt \xff\xff\xff\x7f" + b"\x00" * 64,
        "id3-huge.mp3": b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + b"\x00" * 100,
        "mp4-huge-box.mp4": struct.pack(">I4s", 24, b"ftyp") + b"isom\x00\x00\x02\x00isom" + struct.pack(">I4sQ", 1, b"mdat", 1 << 50),
        "random.bin": bytes(range(256)) * 4,
    }
    out = {}
    for name, data in files.items():
        (d / name).write_bytes(data)
        out[name] = d / name
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_files(tmp_path_factory.mktemp("hostile"))


def test_hostile_files_fail_cleanly(hostile):
    expect_error = {"truncated.png", "ztxt-bomb.png", "itxt-xmp-bomb.png", "huge-chunk-length.png", "aigc-not-json.png",
                    "truncated.jpg", "no-scan.jpg", "bad-riff.wav", "id3-huge.mp3", "mp4-huge-box.mp4", "random.bin"}
    for name, path in hostile.items():
        r = check_file(path)
        if name in expect_error:
            assert r.error and str(path) in r.error, (name, r.error)
            assert r.verdict == "none"
        else:
            assert r.error is None, (name, r.error)
    assert "bomb" in check_file(hostile["ztxt-bomb.png"]).error
    assert "truncated" in check_file(hostile["truncated.png"]).error


def test_huge_dimensions_refused_for_visible_label(hostile, tmp_path):
    with pytest.raises(TianpingError, match="pixel"):
        add_label(hostile["huge-dimensions.png"], "P", output=tmp_path / "out.png", implicit_label=False)
    # metadata only does not decode pixels: fine
    add_label(hostile["huge-dimensions.png"], "P", output=tmp_path / "meta.png", explicit_label=False)
    assert check_file(tmp_path / "meta.png").verdict == "confirmed"


def test_hostile_files_bounded_memory(hostile):
    """Checking every hostile file in a fresh process stays far below what the bombs would need (300 MB each)."""
    script = textwrap.dedent(f"""
        import json, resource, sys
        from tianping.provenance.check import check_file
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for p in {json.dumps([str(p) for p in hostile.values()])}:
            check_file(p)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"base_kb": base, "peak_kb": peak}}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    mem = json.loads(out.stdout.strip().splitlines()[-1])
    assert mem["peak_kb"] - mem["base_kb"] < 150 * 1024, mem


def test_cli_malformed_exits_2(hostile):
    from typer.testing import CliRunner

    from tianping.cli.main import app

    res = CliRunner().invoke(app, ["label", "check", str(hostile["truncated.png"])])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    res = CliRunner().invoke(app, ["label", "add", str(hostile["truncated.png"]), "--producer", "P"])
    assert res.exit_code == 2 and "truncated" in res.output


def test_files_from_other_tools(tmp_path):
    import piexif

    plain = tmp_path / "plain.png"
    Image.new("RGB", (50, 40), (9, 9, 9)).save(plain)
    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"CameraCo", piexif.ImageIFD.Model: b"X100"},
                        "Exif": {piexif.ExifIFD.UserComment: b"ASCII\x00\x00\x00holiday photo"}})
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (80, 60), (200, 100, 50)).save(photo, exif=exif, quality=90)
    for p in (plain, photo):
        r = check_file(p)
        assert r.error is None and r.verdict == "none" and r.implicit is None and r.c2pa is None
    add_label(photo, "P", sign=False)
    r = check_file(photo)
    assert r.verdict == "confirmed" and r.producer_signature["status"] == "absent"
    assert piexif.load(str(photo))["0th"][piexif.ImageIFD.Make] == b"CameraCo"  # unrelated EXIF kept


def test_labels_written_by_other_generators(tmp_path):
    """Unsigned AIGC records in the forms deployed generators use: PNG tEXt JSON, JPEG XMP TC260, EXIF UserComment."""
    import piexif

    rec = json.dumps({"Label": "1", "ContentProducer": "OtherAI", "ProduceID": "x1", "ReservedCode1": "",
                      "ContentPropagator": "", "PropagateID": "", "ReservedCode2": ""})
    png = tmp_path / "gen.png"
    png.write_bytes(_png(16, 16, _chunk(b"tEXt", b"AIGC\x00" + rec.encode())))
    xmp = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           f'<rdf:Description xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" TC260:AIGC=\'{rec}\'/></rdf:RDF></x:xmpmeta>')
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG")
    data = buf.getvalue()
    seg = b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode()
    jpg = tmp_path / "gen.jpg"
    jpg.write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(seg) + 2) + seg + data[2:])
    exif_jpg = tmp_path / "gen-exif.jpg"
    Image.new("RGB", (16, 16)).save(exif_jpg, exif=piexif.dump({"Exif": {piexif.ExifIFD.UserComment: b"ASCII\x00\x00\x00" + rec.encode()}}))
    for p in (png, jpg, exif_jpg):
        r = check_file(p)
        assert r.error is None and r.verdict == "confirmed", (p, r.error)
        assert r.implicit["ContentProducer"] == "OtherAI" and r.producer_signature["status"] == "absent"
