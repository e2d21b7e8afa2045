"""RIFF containers: WebP (label in the XMP chunk, TC260 `AIGC` property) and WAV (label in an ID3
chunk as a TXXX frame `AIGC`, written with mutagen — the same frame as in MP3).

Content hash: WebP — every chunk except VP8X (its flags change when metadata is added), EXIF, XMP
and C2PA; WAV — the `fmt ` and `data` chunks only.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import BinaryIO

from .. import xmp
from ..limits import MAX_CHUNKS, MAX_META_BYTES
from .base import Malformed, atomic_edit, atomic_write, copy_span, hash_span, read_exact, sha256_hex

WEBP_META = {b"VP8X", b"EXIF", b"XMP ", b"C2PA"}


def _chunks(fh: BinaryIO, path: Path, form: bytes):
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(0)
    head = read_exact(fh, 12, path, "RIFF header")
    if head[:4] != b"RIFF" or head[8:12] != form:
        raise Malformed(path, f"not a RIFF/{form.decode().strip()} file")
    pos, n = 12, 0
    end = min(size, 8 + struct.unpack("<I", head[4:8])[0])
    while pos + 8 <= end:
        n += 1
        if n > MAX_CHUNKS:
            raise Malformed(path, "too many RIFF chunks")
        fh.seek(pos)
        cid, length = struct.unpack("<4sI", read_exact(fh, 8, path, f"chunk header at byte {pos}"))
        if pos + 8 + length > size:
            raise Malformed(path, f"truncated file: chunk {cid!r} at byte {pos} declares {length} bytes past the end")
        yield cid, length, pos + 8
        pos += 8 + length + (length & 1)


def _hash(path: Path, form: bytes, keep) -> str:
    h = sha256_hex()
    with open(path, "rb") as fh:
        found = False
        for cid, length, off in list(_chunks(fh, path, form)):
            if keep(cid):
                found = True
                fh.seek(off)
                h.update(cid)
                hash_span(h, fh, length, path, f"chunk {cid!r}")
        if not found:
            raise Malformed(path, "no image or audio data chunk found")
    return h.hexdigest()


# ------------------------------------------------------------------ WebP
def webp_content_hash(path: Path) -> str:
    return _hash(path, b"WEBP", lambda cid: cid not in WEBP_META)


def webp_read_label(path: Path) -> tuple[str | None, list[str]]:
    with open(path, "rb") as fh:
        for cid, length, off in list(_chunks(fh, path, b"WEBP")):
            if cid == b"XMP " and length <= MAX_META_BYTES:
                fh.seek(off)
                return xmp.get_aigc(fh.read(length).decode("utf-8", errors="replace")), []
    return None, []


def _canvas(cid: bytes, data: bytes, path: Path) -> tuple[int, int, bool]:
    if cid == b"VP8 " and len(data) >= 10 and data[3:6] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", data[6:10])
        return w & 0x3FFF, h & 0x3FFF, False
    if cid == b"VP8L" and len(data) >= 5 and data[0] == 0x2F:
        bits = int.from_bytes(data[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)
    raise Malformed(path, "cannot read the WebP canvas size")


def webp_write_label(src: Path, dst: Path, value: str) -> None:
    with open(src, "rb") as fh:
        chunks = list(_chunks(fh, src, b"WEBP"))
        packet, vp8x = None, None
        for cid, length, off in chunks:
            fh.seek(off)
            if cid == b"XMP " and length <= MAX_META_BYTES:
                packet = fh.read(length).decode("utf-8", errors="replace")
            elif cid == b"VP8X":
                vp8x = bytearray(read_exact(fh, 10, src, "VP8X chunk"))
        if vp8x is None:
            first = next((c for c in chunks if c[0] in (b"VP8 ", b"VP8L")), None)
            if first is None:
                raise Malformed(src, "WebP without image data")
            fh.seek(first[2])
            w, h, alpha = _canvas(first[0], fh.read(min(first[1], 16)), src)
            vp8x = bytearray(10)
            vp8x[0] = 0x10 if alpha else 0
            vp8x[4:7] = (w - 1).to_bytes(3, "little")
            vp8x[7:10] = (h - 1).to_bytes(3, "little")
        vp8x[0] |= 0x04  # XMP present
        data = xmp.set_aigc(packet, value).encode("utf-8")

        def writer(out: BinaryIO) -> None:
            body = io.BytesIO()
            body.write(b"VP8X" + struct.pack("<I", 10) + bytes(vp8x))
            for cid, length, off in chunks:
                if cid in (b"VP8X", b"XMP "):
                    continue
                fh.seek(off - 8)
                copy_span(fh, body, 8 + length + (length & 1), src)
            body.write(b"XMP " + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) & 1 else b""))
            raw = body.getvalue()
            out.write(b"RIFF" + struct.pack("<I", len(raw) + 4) + b"WEBP" + raw)

        atomic_write(dst, writer)


# ------------------------------------------------------------------ WAV
def wav_content_hash(path: Path) -> str:
    return _hash(path, b"WAVE", lambda cid: cid in (b"fmt ", b"data"))


def wav_id3_bytes(path: Path) -> bytes | None:
    with open(path, "rb") as fh:
        for cid, length, off in list(_chunks(fh, path, b"WAVE")):
            if cid in (b"id3 ", b"ID3 "):
                if length > MAX_META_BYTES:
                    raise Malformed(path, f"ID3 chunk of {length} bytes is over the metadata limit (metadata bomb?)")
                fh.seek(off)
                return fh.read(length)
    return None


def wav_read_label(path: Path) -> tuple[str | None, list[str]]:
    from .mp3 import label_from_id3

    data = wav_id3_bytes(path)
    return (label_from_id3(data, path) if data else None), []


def wav_write_label(src: Path, dst: Path, value: str) -> None:
    from mutagen.wave import WAVE

    from .mp3 import set_txxx

    wav_content_hash(src)  # validates the structure before mutagen touches it

    def edit(tmp: Path) -> None:
        f = WAVE(tmp)
        if f.tags is None:
            f.add_tags()
        set_txxx(f.tags, value)
        f.save()

    atomic_edit(src, dst, edit)
