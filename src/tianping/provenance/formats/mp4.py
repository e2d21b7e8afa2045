"""MP4 (ISO BMFF): the label is a freeform iTunes-style atom `----:com.apple.iTunes:AIGC` in
moov/udta/meta/ilst, written with mutagen (the container key ffmpeg and most tag tools read).

Content hash: the payload of every top-level `mdat` box (the coded audio/video samples); mutagen
may move mdat when tags grow (and rewrites chunk offsets), which leaves the hash alone.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from ..limits import MAX_CHUNKS, MAX_MOOV_BYTES
from .base import Malformed, atomic_edit, hash_span, read_exact, sha256_hex

FREEFORM = "----:com.apple.iTunes:AIGC"


def _boxes(fh: BinaryIO, path: Path):
    fh.seek(0, 2)
    size = fh.tell()
    pos, n = 0, 0
    while pos + 8 <= size:
        n += 1
        if n > MAX_CHUNKS:
            raise Malformed(path, "too many MP4 boxes")
        fh.seek(pos)
        bsize, btype = struct.unpack(">I4s", read_exact(fh, 8, path, f"box header at byte {pos}"))
        head = 8
        if bsize == 1:
            bsize = struct.unpack(">Q", read_exact(fh, 8, path, "64-bit box size"))[0]
            head = 16
        elif bsize == 0:
            bsize = size - pos
        if bsize < head or pos + bsize > size:
            raise Malformed(path, f"truncated MP4: box {btype!r} at byte {pos} declares {bsize} bytes past the end")
        yield btype, pos + head, bsize - head
        pos += bsize


def _check(path: Path) -> list[tuple[bytes, int, int]]:
    with open(path, "rb") as fh:
        boxes = list(_boxes(fh, path))
    if not boxes or boxes[0][0] != b"ftyp":
        raise Malformed(path, "not an MP4 file (no ftyp box first)")
    for btype, _, length in boxes:
        if btype == b"moov" and length > MAX_MOOV_BYTES:
            raise Malformed(path, f"moov box of {length} bytes is over the metadata limit")
    if not any(b[0] == b"mdat" for b in boxes):
        raise Malformed(path, "MP4 without media data (no mdat box)")
    return boxes


def content_hash(path: Path) -> str:
    h = sha256_hex()
    with open(path, "rb") as fh:
        for btype, off, length in _check(path):
            if btype == b"mdat":
                fh.seek(off)
                hash_span(h, fh, length, path, "mdat box")
    return h.hexdigest()


def read_label(path: Path) -> tuple[str | None, list[str]]:
    from mutagen.mp4 import MP4, MP4StreamInfoError

    _check(path)
    try:
        tags = MP4(path).tags
    except (MP4StreamInfoError, Exception) as exc:  # noqa: BLE001 - mutagen raises many types on corrupt files
        raise Malformed(path, f"cannot read MP4 metadata: {exc}") from None
    if tags and FREEFORM in tags and tags[FREEFORM]:
        return bytes(tags[FREEFORM][0]).decode("utf-8", errors="replace"), []
    return None, []


def write_label(src: Path, dst: Path, value: str) -> None:
    from mutagen.mp4 import MP4, MP4FreeForm

    _check(src)

    def edit(tmp: Path) -> None:
        f = MP4(tmp)
        f[FREEFORM] = [MP4FreeForm(value.encode("utf-8"))]  # mutagen adds the tag atom if the file has none
        f.save()

    atomic_edit(src, dst, edit)
