"""PNG: the label is an iTXt text chunk with keyword `AIGC` (as the TC260 practice guide and
deployed generators write it; tEXt/zTXt and XMP `TC260:AIGC` are read too).

Content hash: every chunk (type + data) except text/time/EXIF metadata and the C2PA `caBX` chunk.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

from .. import xmp
from ..limits import MAX_CHUNKS, MAX_LABEL_BYTES, MAX_META_BYTES
from .base import Malformed, atomic_write, copy_span, hash_span, read_exact, sha256_hex

SIG = b"\x89PNG\r\n\x1a\n"
META = {b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME", b"caBX"}


def _chunks(fh: BinaryIO, path: Path):
    """Yield (type, length, data_offset) for each chunk, validating lengths against the file size."""
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(0)
    if fh.read(8) != SIG:
        raise Malformed(path, "not a PNG file (bad signature)")
    pos, n, seen_end = 8, 0, False
    while pos < size:
        n += 1
        if n > MAX_CHUNKS:
            raise Malformed(path, f"more than {MAX_CHUNKS} PNG chunks")
        fh.seek(pos)
        head = read_exact(fh, 8, path, f"PNG chunk header at byte {pos}")
        length, ctype = struct.unpack(">I4s", head)
        if length > 0x7FFFFFFF or pos + 12 + length > size:
            raise Malformed(
                path, f"truncated PNG: chunk {ctype!r} at byte {pos} declares {length} bytes past the end of the file"
            )
        yield ctype, length, pos + 8
        pos += 12 + length
        if ctype == b"IEND":
            seen_end = True
            break
    if not seen_end:
        raise Malformed(path, "truncated PNG: no IEND chunk")


def content_hash(path: Path) -> str:
    h = sha256_hex()
    with open(path, "rb") as fh:
        for ctype, length, off in list(_chunks(fh, path)):
            if ctype in META:
                continue
            fh.seek(off)
            h.update(ctype)
            hash_span(h, fh, length, path, f"chunk {ctype!r}")
    return h.hexdigest()


def _text_value(ctype: bytes, data: bytes, path: Path) -> tuple[bytes, str | None]:
    key, _, rest = data.partition(b"\x00")
    if ctype == b"tEXt":
        return key, rest.decode("latin-1")
    if ctype == b"zTXt":
        if len(rest) < 1:
            return key, None
        d = zlib.decompressobj()
        try:
            out = d.decompress(rest[1:], MAX_LABEL_BYTES + 1)
        except zlib.error:
            raise Malformed(path, f"corrupt zTXt chunk {key!r}") from None
        if len(out) > MAX_LABEL_BYTES or d.unconsumed_tail:
            raise Malformed(path, f"zTXt chunk {key!r} decompresses to more than {MAX_LABEL_BYTES} bytes (metadata bomb?)")
        return key, out.decode("latin-1")
    # iTXt: compression flag, method, language\0, translated keyword\0, text
    if len(rest) < 2:
        return key, None
    flag, body = rest[0], rest[2:]
    _, _, body = body.partition(b"\x00")
    _, _, text = body.partition(b"\x00")
    if flag:
        d = zlib.decompressobj()
        try:
            text = d.decompress(text, MAX_META_BYTES + 1)
        except zlib.error:
            raise Malformed(path, f"corrupt compressed iTXt chunk {key!r}") from None
        if len(text) > MAX_META_BYTES or d.unconsumed_tail:
            raise Malformed(path, f"iTXt chunk {key!r} decompresses to more than {MAX_META_BYTES} bytes (metadata bomb?)")
    return key, text.decode("utf-8", errors="replace")


def read_label(path: Path) -> tuple[str | None, list[str]]:
    notes: list[str] = []
    found: str | None = None
    with open(path, "rb") as fh:
        for ctype, length, off in list(_chunks(fh, path)):
            if ctype not in (b"tEXt", b"iTXt", b"zTXt"):
                continue
            if length > MAX_META_BYTES:
                notes.append(f"skipped a {length}-byte {ctype.decode()} chunk (over the metadata limit)")
                continue
            fh.seek(off)
            key, value = _text_value(ctype, fh.read(length), path)
            if value is None:
                continue
            if key == b"AIGC" and found is None:
                found = value
            elif key == b"XML:com.adobe.xmp" and found is None:
                found = xmp.get_aigc(value)
    return found, notes


def _itxt(key: bytes, text: str) -> bytes:
    data = key + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    return struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data) & 0xFFFFFFFF)


def write_label(src: Path, dst: Path, value: str) -> None:
    with open(src, "rb") as fh:
        chunks = list(_chunks(fh, src))

        def writer(out: BinaryIO) -> None:
            out.write(SIG)
            for ctype, length, off in chunks:
                fh.seek(off)
                if ctype in (b"tEXt", b"iTXt", b"zTXt") and length <= MAX_META_BYTES:
                    key = fh.read(length).partition(b"\x00")[0]
                    if key == b"AIGC":
                        continue  # replaced below
                    fh.seek(off)
                fh.seek(off - 8)
                copy_span(fh, out, length + 12, src)
                if ctype == b"IHDR":
                    out.write(_itxt(b"AIGC", value))

        atomic_write(dst, writer)
