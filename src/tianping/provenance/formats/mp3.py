"""MP3 (and the ID3 chunk of WAV): the label is an ID3v2 TXXX frame with description `AIGC`.

Content hash: the bytes between the leading ID3v2 tag(s) and any trailing APEv2/ID3v1 tags — the
MPEG audio frames. The ID3 size is read from its header and bounded before mutagen parses it.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..limits import MAX_META_BYTES
from .base import Malformed, atomic_edit, hash_span, sha256_hex


def _syncsafe(b: bytes) -> int:
    return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]


def _id3_spans(path: Path) -> tuple[int, int, int]:
    """(start of audio, end of audio, total ID3v2 size) with every declared size checked."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        pos = 0
        while True:
            fh.seek(pos)
            head = fh.read(10)
            if len(head) < 10 or head[:3] != b"ID3":
                break
            if any(x & 0x80 for x in head[6:10]):
                raise Malformed(path, "corrupt ID3v2 header (size not syncsafe)")
            tag = 10 + _syncsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)
            if pos + tag > size:
                raise Malformed(path, f"truncated MP3: ID3v2 tag at byte {pos} declares {tag} bytes past the end")
            pos += tag
        start, end = pos, size
        if end - start >= 128:
            fh.seek(end - 128)
            if fh.read(3) == b"TAG":
                end -= 128
        if end - start >= 32:
            fh.seek(end - 32)
            foot = fh.read(32)
            if foot[:8] == b"APETAGEX":
                ape = int.from_bytes(foot[12:16], "little") + (32 if int.from_bytes(foot[20:24], "little") & 0x80000000 else 0)
                end = max(start, end - ape)
        fh.seek(start)
        sync = fh.read(2)
        if len(sync) < 2 or sync[0] != 0xFF or (sync[1] & 0xE0) != 0xE0:
            raise Malformed(path, "no MPEG audio frame after the ID3 tag")
    return start, end, pos


def content_hash(path: Path) -> str:
    start, end, _ = _id3_spans(path)
    h = sha256_hex()
    with open(path, "rb") as fh:
        fh.seek(start)
        hash_span(h, fh, end - start, path, "audio frames")
    return h.hexdigest()


def label_from_id3(data: bytes, path: Path) -> str | None:
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(io.BytesIO(data))
    except ID3NoHeaderError:
        return None
    except Exception as exc:  # mutagen raises several error types on corrupt tags
        raise Malformed(path, f"corrupt ID3 tag: {exc}") from None
    for frame in tags.getall("TXXX"):
        if frame.desc == "AIGC" and frame.text:
            return str(frame.text[0])
    return None


def read_label(path: Path) -> tuple[str | None, list[str]]:
    _, _, id3_size = _id3_spans(path)
    if id3_size == 0:
        return None, []
    if id3_size > MAX_META_BYTES:
        raise Malformed(path, f"ID3 tag of {id3_size} bytes is over the metadata limit (metadata bomb?)")
    with open(path, "rb") as fh:
        return label_from_id3(fh.read(id3_size), path), []


def set_txxx(tags, value: str) -> None:
    from mutagen.id3 import TXXX

    tags.delall("TXXX:AIGC")
    tags.add(TXXX(encoding=3, desc="AIGC", text=[value]))


def write_label(src: Path, dst: Path, value: str) -> None:
    from mutagen.id3 import ID3, ID3NoHeaderError

    _, _, id3_size = _id3_spans(src)
    if id3_size > MAX_META_BYTES:
        raise Malformed(src, f"ID3 tag of {id3_size} bytes is over the metadata limit")

    def edit(tmp: Path) -> None:
        try:
            tags = ID3(tmp)
        except ID3NoHeaderError:
            tags = ID3()
        set_txxx(tags, value)
        tags.save(tmp)

    atomic_edit(src, dst, edit)
