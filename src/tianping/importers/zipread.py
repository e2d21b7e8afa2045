"""Read zip members one at a time, Zstandard-compressed ones included (Inspect's `.eval` logs).

Python's `zipfile` reads stored and deflated members; Inspect has written its members with
Zstandard (zip method 93) since 2025, which `zipfile` cannot decompress before Python 3.14. Such a
member is read here from its local header with `zstandard` and checked against the CRC-32 and size
the central directory records — so a corrupt member is an error naming it, never wrong data.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from .base import located

ZSTD = 93
_LOCAL = b"PK\x03\x04"


class ZipReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise located(
                path, f"not a complete zip archive ({exc or type(exc).__name__}) — truncated or corrupt file?"
            ) from None
        self._fh = open(path, "rb")
        self._zstd: Any = None  # a zstandard.ZstdDecompressor once the first zstd member is read

    def close(self) -> None:
        self._fh.close()
        self.zf.close()

    def __enter__(self) -> ZipReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def names(self) -> list[str]:
        return self.zf.namelist()

    def read(self, name: str) -> bytes:
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise located(self.path, "member missing from the archive", member=name) from None
        try:
            if info.compress_type == ZSTD:
                data = self._read_zstd(info)
            else:
                data = self.zf.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError) as exc:
            raise located(self.path, f"corrupt archive member ({exc or type(exc).__name__})", member=name) from None
        if len(data) != info.file_size or (zlib.crc32(data) & 0xFFFFFFFF) != info.CRC:
            raise located(self.path, "corrupt archive member (size or CRC-32 does not match the directory)", member=name)
        return data

    def _read_zstd(self, info: zipfile.ZipInfo) -> bytes:
        try:
            import zstandard
        except ImportError:  # pragma: no cover - a core dependency
            raise located(
                self.path, "this log's members are Zstandard-compressed: install the 'zstandard' package", member=info.filename
            ) from None

        fh = self._fh
        fh.seek(info.header_offset)
        hdr = fh.read(30)
        if len(hdr) != 30 or hdr[:4] != _LOCAL:
            raise ValueError("bad local file header")
        name_len, extra_len = struct.unpack("<HH", hdr[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        raw = fh.read(info.compress_size)
        if len(raw) != info.compress_size:
            raise EOFError("member data cut short")
        if self._zstd is None:
            self._zstd = zstandard.ZstdDecompressor()
        try:
            with self._zstd.stream_reader(raw, read_across_frames=True) as r:
                return r.read()
        except zstandard.ZstdError as exc:
            raise ValueError(f"Zstandard: {exc}") from None
