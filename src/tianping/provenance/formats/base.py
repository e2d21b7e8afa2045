"""Shared plumbing of the container handlers: errors that name the file, bounded reads, atomic writes.

Each handler defines `content_hash` over the *essence* of the file (pixels, samples, text) and not
its metadata, so that writing or updating the label — or a C2PA manifest — leaves the hash alone,
while any change to what a person sees or hears changes it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ...errors import Problem, TianpingError
from ..limits import READ_BLOCK


class Malformed(TianpingError):
    def __init__(self, path: Path | str, message: str):
        super().__init__(Problem(message, file=str(path)), title="malformed or unsupported file")


def read_exact(fh: BinaryIO, n: int, path: Path, what: str) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise Malformed(path, f"truncated file: {what} ends past the end of the file")
    return data


def hash_span(h: hashlib._Hash, fh: BinaryIO, n: int, path: Path, what: str) -> None:
    """Feed n bytes from the current position into h, block by block (bounded memory)."""
    while n > 0:
        block = fh.read(min(READ_BLOCK, n))
        if not block:
            raise Malformed(path, f"truncated file: {what} ends past the end of the file")
        h.update(block)
        n -= len(block)


def copy_span(src: BinaryIO, dst: BinaryIO, n: int, path: Path) -> None:
    while n > 0:
        block = src.read(min(READ_BLOCK, n))
        if not block:
            raise Malformed(path, "truncated file while copying")
        dst.write(block)
        n -= len(block)


def atomic_write(dst: Path, writer: Callable[[BinaryIO], None]) -> None:
    """Write to a temporary file beside dst and rename, so a failure never leaves half a file."""
    dst = Path(dst)
    fd, tmp = tempfile.mkstemp(prefix=".tp-", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_edit(src: Path, dst: Path, editor: Callable[[Path], None]) -> None:
    """Copy src to a temporary file, let a library edit it in place (mutagen), then rename to dst."""
    dst = Path(dst)
    fd, tmp = tempfile.mkstemp(prefix=".tp-", suffix=Path(src).suffix, dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        editor(Path(tmp))
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_hex() -> hashlib._Hash:
    return hashlib.sha256()
