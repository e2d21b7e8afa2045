"""JPEG: the label is the TC260 `AIGC` property of the XMP packet in an APP1 segment (an existing
XMP packet is extended, EXIF is left untouched). Also read: EXIF UserComment holding the JSON, which
some generators write following the TC260 practice guide.

Content hash: every marker segment except APP1 (EXIF/XMP), APP11 (C2PA/JUMBF), APP13 (IPTC) and COM,
plus all bytes from the first start-of-scan on (entropy-coded data).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from .. import xmp
from ..limits import MAX_CHUNKS
from .base import Malformed, atomic_write, copy_span, hash_span, read_exact, sha256_hex

XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
EXIF_ID = b"Exif\x00\x00"
SKIP_IN_HASH = {0xE1, 0xEB, 0xED, 0xFE}


def _segments(fh: BinaryIO, path: Path):
    """Yield (marker, segment_start, payload_offset, payload_length); the last item is SOS with the rest."""
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(0)
    if fh.read(2) != b"\xff\xd8":
        raise Malformed(path, "not a JPEG file (no SOI marker)")
    pos, n = 2, 0
    while True:
        n += 1
        if n > MAX_CHUNKS:
            raise Malformed(path, "too many JPEG segments")
        fh.seek(pos)
        b = read_exact(fh, 2, path, f"JPEG marker at byte {pos}")
        while b[0] == 0xFF and b[1] == 0xFF:  # fill bytes
            pos += 1
            fh.seek(pos)
            b = read_exact(fh, 2, path, f"JPEG marker at byte {pos}")
        if b[0] != 0xFF:
            raise Malformed(path, f"corrupt JPEG: expected a marker at byte {pos}")
        marker = b[1]
        if marker == 0xD9:
            raise Malformed(path, "JPEG has no image data (EOI before start of scan)")
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        (length,) = struct.unpack(">H", read_exact(fh, 2, path, "JPEG segment length"))
        if length < 2 or pos + 2 + length > size:
            raise Malformed(path, f"truncated JPEG: segment 0x{marker:02X} at byte {pos} runs past the end of the file")
        if marker == 0xDA:
            yield marker, pos, pos + 4, size - pos - 4
            return
        yield marker, pos, pos + 4, length - 2
        pos += 2 + length


def content_hash(path: Path) -> str:
    h = sha256_hex()
    with open(path, "rb") as fh:
        for marker, start, _off, length in list(_segments(fh, path)):
            if marker in SKIP_IN_HASH:
                continue
            fh.seek(start)
            hash_span(h, fh, length + 4, path, f"segment 0x{marker:02X}")
    return h.hexdigest()


def _exif_user_comment(payload: bytes) -> str | None:
    import piexif

    try:
        exif = piexif.load(payload)
    except Exception:  # piexif raises assorted errors on foreign EXIF; unrelated EXIF is not our concern
        return None
    raw = exif.get("Exif", {}).get(piexif.ExifIFD.UserComment)
    if not raw or not isinstance(raw, bytes):
        return None
    head, body = raw[:8], raw[8:]
    text = body.decode("utf-16" if head.startswith(b"UNICODE") else "utf-8", errors="replace").strip("\x00 ")
    return text if '"Label"' in text or "AIGC" in text else None


def read_label(path: Path) -> tuple[str | None, list[str]]:
    found: str | None = None
    with open(path, "rb") as fh:
        for marker, _, off, length in list(_segments(fh, path)):
            if marker != 0xE1:
                continue
            fh.seek(off)
            payload = fh.read(length)
            if payload.startswith(XMP_ID):
                found = found or xmp.get_aigc(payload[len(XMP_ID) :].decode("utf-8", errors="replace"))
            elif payload.startswith(EXIF_ID) and found is None:
                found = _exif_user_comment(payload)
    return found, []


def write_label(src: Path, dst: Path, value: str) -> None:
    with open(src, "rb") as fh:
        segs = list(_segments(fh, src))
        packet: str | None = None
        for marker, _, off, length in segs:
            if marker == 0xE1:
                fh.seek(off)
                payload = fh.read(length)
                if payload.startswith(XMP_ID):
                    packet = payload[len(XMP_ID) :].decode("utf-8", errors="replace")
                    break
        data = XMP_ID + xmp.set_aigc(packet, value).encode("utf-8")
        if len(data) + 2 > 0xFFFF:
            raise Malformed(src, "the XMP packet would exceed one JPEG segment (64 KiB)")
        new_seg = b"\xff\xe1" + struct.pack(">H", len(data) + 2) + data

        def writer(out: BinaryIO) -> None:
            out.write(b"\xff\xd8")
            inserted = False
            for marker, start, off, length in segs:
                fh.seek(off)
                if marker == 0xE1 and fh.read(len(XMP_ID)) == XMP_ID:
                    continue  # the old XMP packet, replaced by new_seg
                if not inserted and not (marker == 0xE0 or (marker == 0xE1)):
                    out.write(new_seg)
                    inserted = True
                fh.seek(start)
                copy_span(fh, out, length + 4, src)

        atomic_write(dst, writer)
