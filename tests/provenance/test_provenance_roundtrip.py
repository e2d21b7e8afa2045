"""Per format: add -> check finds every field and a valid signature; edit content -> signature invalid;
strip metadata (with other tools) -> unlabeled; fields forged or label moved -> detected."""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import pytest

from pv_samples import FORMATS, NEEDS_FFMPEG, make_sample, require
from tianping.provenance.check import check_file
from tianping.provenance.fields import FIELDS, AIGCLabel
from tianping.provenance.formats import sniff
from tianping.provenance.service import add_label, propagate


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] = (data[offset] + 1) % 256 if data[offset] not in (0xFE, 0xFF) else 0x10
    path.write_bytes(bytes(data))


def edit_content(fmt: str, path: Path) -> None:
    """Change one pixel / byte of the essence while keeping the metadata label in place."""
    from PIL import Image

    h = sniff(path)
    raw, _ = h.read_label(path)
    if fmt == "text":
        path.write_text(path.read_text(encoding="utf-8").replace("Second", "Sec0nd", 1), encoding="utf-8")
        return
    if fmt in ("png", "webp"):
        with Image.open(path) as im:
            im = im.convert("RGB")
            im.putpixel((5, 5), tuple(255 - c for c in im.getpixel((5, 5))))
            buf = io.BytesIO()
            im.save(buf, format="PNG" if fmt == "png" else "WEBP", lossless=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(buf.getvalue())
        h.write_label(tmp, path, raw)  # the old label copied onto the edited pixels
        return
    data = path.read_bytes()
    if fmt == "jpeg":
        # walk the segments: the bytes FF DA can also occur inside a signed metadata segment (a C2PA
        # manifest's signature), where a flip would not touch the image data at all
        from tianping.provenance.formats.jpeg import _segments

        with path.open("rb") as fh:
            sos = next(start for marker, start, _off, _n in _segments(fh, path) if marker == 0xDA)
        _flip(path, sos + 40)
    elif fmt == "wav":
        _flip(path, data.index(b"data") + 200)
    elif fmt == "mp3":  # the middle of the audio frames (a chained C2PA store makes the ID3 tag large)
        from tianping.provenance.formats.mp3 import _id3_spans

        start, end, _ = _id3_spans(path)
        _flip(path, (start + end) // 2)
    elif fmt == "mp4":
        _flip(path, data.index(b"mdat") + 100)


def strip_metadata(fmt: str, path: Path) -> None:
    """Remove metadata the way other tools do (re-save, remux), not with Tianping."""
    from PIL import Image

    if fmt == "text":
        lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
        path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    elif fmt in ("png", "jpeg", "webp"):
        with Image.open(path) as im:
            im.load()
            im.save(path.with_suffix(".x" + path.suffix), format=im.format)
        path.with_suffix(".x" + path.suffix).replace(path)
    elif fmt == "wav":
        with wave.open(str(path)) as r:
            params, frames = r.getparams(), r.readframes(r.getnframes())
        with wave.open(str(path), "wb") as w:
            w.setparams(params)
            w.writeframes(frames)
    else:
        out = path.with_suffix(".x" + path.suffix)
        extra = ["-write_id3v2", "0"] if fmt == "mp3" else []
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(path), "-map_metadata", "-1",
                        "-c", "copy", *extra, str(out)], check=True)
        out.replace(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_add_check_edit_strip(fmt, sample, keys_a):
    if fmt in NEEDS_FFMPEG:
        require("ffmpeg")
    f = sample(fmt)
    res = add_label(f, "ProducerCo 制作方", sign=True, keys=keys_a)
    assert res.implicit and res.signed_by == keys_a.fingerprint

    c = check_file(f)
    assert c.error is None, c.error
    assert c.verdict == "confirmed" and c.implicit_source == "metadata"
    assert set(c.implicit) == set(FIELDS)
    assert c.implicit["ContentProducer"] == "ProducerCo 制作方" and c.implicit["ProduceID"] and c.implicit["ReservedCode1"]
    assert c.producer_signature["status"] == "valid" and c.producer_signature["fingerprint"] == keys_a.fingerprint
    assert c.propagator_signature["status"] == "absent"
    if fmt in ("text", "wav"):
        assert c.explicit == "found"
    if fmt != "text":
        assert c.c2pa and c.c2pa["validation_state"] == "Trusted" and c.c2pa["aigc"]["ProduceID"] == c.implicit["ProduceID"]
    assert check_file(f, trust={keys_a.fingerprint}).producer_signature["trusted"] is True

    edit_content(fmt, f)
    e = check_file(f)
    assert e.error is None, e.error
    assert e.producer_signature["status"] == "content_mismatch"
    assert e.verdict == "confirmed"  # still labelled AI-generated; the failure is reported separately

    strip_metadata(fmt, f)
    s = check_file(f)
    assert s.error is None, s.error
    assert s.implicit is None and s.producer_signature is None
    assert s.verdict in ("none", "suspected")  # suspected when an explicit label is still visible/audible
    if fmt not in ("text", "wav"):
        assert s.verdict == "none"


@pytest.mark.parametrize("fmt", FORMATS)
def test_propagator_keeps_producer_signature(fmt, sample, keys_a, keys_b):
    if fmt in NEEDS_FFMPEG:
        require("ffmpeg")
    f = sample(fmt)
    add_label(f, "Producer", explicit_label=False, sign=True, c2pa=False, keys=keys_a)
    propagate(f, "Platform 平台", propagate_id="P-1", sign=True, keys=keys_b)
    c = check_file(f)
    assert c.implicit["ContentPropagator"] == "Platform 平台" and c.implicit["PropagateID"] == "P-1"
    assert c.producer_signature["status"] == "valid" and c.producer_signature["fingerprint"] == keys_a.fingerprint
    assert c.propagator_signature["status"] == "valid" and c.propagator_signature["fingerprint"] == keys_b.fingerprint


@pytest.mark.parametrize("fmt", ["text", "png", "jpeg", "wav"])
def test_forged_fields_and_moved_label(fmt, tmp_path, keys_a):
    a, b = make_sample(fmt, tmp_path / "a", 1), make_sample(fmt, tmp_path / "b", 2)
    add_label(a, "Honest", explicit_label=False, sign=True, c2pa=False, keys=keys_a)
    h = sniff(a)
    label = AIGCLabel.parse(h.read_label(a)[0])
    # moved: the signed label copied onto other content
    h.write_label(b, b, label.to_json())
    assert check_file(b).producer_signature["status"] == "content_mismatch"
    # forged: a field changed after signing
    label.ContentProducer = "Someone else"
    h.write_label(a, a, label.to_json())
    assert check_file(a).producer_signature["status"] == "invalid"
    # propagator changes the producer's Label value: both signatures cannot hold
    label = AIGCLabel.parse(h.read_label(a)[0])
    label.ContentProducer, label.Label = "Honest", "3"
    h.write_label(a, a, label.to_json())
    c = check_file(a)
    assert c.producer_signature["status"] == "invalid" and c.verdict == "suspected"


def test_text_label_trailer_is_last_line(sample):
    f = sample("text")
    add_label(f, "P", explicit_label=False)
    lines = f.read_text(encoding="utf-8").rstrip("\n").split("\n")
    assert lines[-1].startswith("<!--AIGC:{") and lines[-1].endswith("}-->")
    assert '"Label":"1"' in lines[-1]


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "wav", "mp3", "mp4"])
def test_propagation_chains_c2pa_manifests(fmt, sample, keys_a, keys_b, tmp_path):
    """A platform that rewrites the metadata signs its own C2PA manifest with the producer's as parentOf
    ingredient: the chain validates, still says AI-generated, and names both signers."""
    if fmt in NEEDS_FFMPEG:
        require("ffmpeg")
    f = sample(fmt)
    add_label(f, "Producer", explicit_label=False, sign=True, c2pa=True, keys=keys_a)
    unsigned = tmp_path / f"unsigned{f.suffix}"
    stale = propagate(f, "Platform", propagate_id="P-2", output=unsigned)
    assert stale.c2pa_stale and not stale.c2pa
    assert check_file(unsigned).c2pa["validation_state"] == "Invalid"  # the producer's binding no longer holds

    res = propagate(f, "Platform", propagate_id="P-1", sign=True, keys=keys_b)
    assert res.c2pa and not res.c2pa_stale
    c = check_file(f)
    assert c.c2pa["validation_state"] in ("Valid", "Trusted") and not c.c2pa["failures"], c.c2pa
    assert c.c2pa["aigc"]["ContentPropagator"] == "Platform" and c.c2pa["aigc"]["ContentProducer"] == "Producer"
    assert c.c2pa["ai_source"], "the AI digital source type is found through the parent"
    assert [p["signer"] for p in c.c2pa["parents"]] == ["Producer"] and c.c2pa["parents"][0]["ai_source"]
    assert c.producer_signature["status"] == "valid" and c.propagator_signature["status"] == "valid"
    assert c.verdict == "confirmed"
    # the chain does not launder edits: a changed byte of content breaks the active manifest's hash
    edit_content(fmt, f)
    edited = check_file(f)
    if fmt in ("png", "webp"):  # edit_content re-encodes these with Pillow, which drops the manifest
        assert edited.c2pa is None
    else:
        assert edited.c2pa["validation_state"] == "Invalid"
    assert edited.producer_signature["status"] != "valid"
