"""Text files: plain text has no metadata, so the label is a last line `<!--AIGC:{json}-->` — an HTML
comment, invisible when Markdown or HTML is rendered, and easy to find in plain text.

Content hash: the UTF-8 bytes before that line, trailing line breaks excluded (the text as a person reads
it, explicit label included).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from ..limits import MAX_TEXT_BYTES
from .base import Malformed, atomic_write, sha256_hex

OPEN, CLOSE = b"<!--AIGC:", b"-->"


def _split(path: Path) -> tuple[bytes, bytes | None]:
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise Malformed(path, f"text file larger than {MAX_TEXT_BYTES} bytes")
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Malformed(path, f"not UTF-8 text (byte {exc.start})") from None
    stripped = data.rstrip(b"\r\n")
    i = stripped.rfind(b"\n" + OPEN)
    start = 0 if stripped.startswith(OPEN) and i < 0 else (i + 1 if i >= 0 else -1)
    if start >= 0 and stripped.endswith(CLOSE):
        return data[:start], stripped[start + len(OPEN) : -len(CLOSE)]
    return data, None


def content_hash(path: Path) -> str:
    # trailing line breaks are not content: writing the label may have to add one
    return sha256_hex_of(_split(path)[0].rstrip(b"\r\n"))


def sha256_hex_of(b: bytes) -> str:
    h = sha256_hex()
    h.update(b)
    return h.hexdigest()


def read_label(path: Path) -> tuple[str | None, list[str]]:
    raw = _split(path)[1]
    return (raw.decode("utf-8") if raw is not None else None), []


def body_text(path: Path) -> str:
    return _split(path)[0].decode("utf-8")


def write_label(src: Path, dst: Path, value: str) -> None:
    body = _split(src)[0]
    if body and not body.endswith(b"\n"):
        body += b"\n"
    safe = value.replace("-->", "--\\u003e").encode("utf-8")

    def writer(out: BinaryIO) -> None:
        out.write(body + OPEN + safe + CLOSE + b"\n")

    atomic_write(dst, writer)
