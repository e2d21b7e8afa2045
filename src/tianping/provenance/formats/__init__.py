"""Container handlers, chosen by the file's leading bytes (not its name), so a renamed file is still
read with the right parser and an unknown one is reported instead of guessed at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import jpeg, mp3, mp4, png, riff, text
from .base import Malformed


@dataclass(frozen=True)
class Handler:
    name: str
    mime: str
    kind: str  # text | image | audio | video
    content_hash: Callable[[Path], str]
    read_label: Callable[[Path], tuple[str | None, list[str]]]
    write_label: Callable[[Path, Path, str], None]


HANDLERS = {
    "text": Handler("text", "text/plain", "text", text.content_hash, text.read_label, text.write_label),
    "png": Handler("png", "image/png", "image", png.content_hash, png.read_label, png.write_label),
    "jpeg": Handler("jpeg", "image/jpeg", "image", jpeg.content_hash, jpeg.read_label, jpeg.write_label),
    "webp": Handler("webp", "image/webp", "image", riff.webp_content_hash, riff.webp_read_label, riff.webp_write_label),
    "wav": Handler("wav", "audio/wav", "audio", riff.wav_content_hash, riff.wav_read_label, riff.wav_write_label),
    "mp3": Handler("mp3", "audio/mpeg", "audio", mp3.content_hash, mp3.read_label, mp3.write_label),
    "mp4": Handler("mp4", "video/mp4", "video", mp4.content_hash, mp4.read_label, mp4.write_label),
}
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".csv", ".json", ".rst", ""}


def sniff(path: Path) -> Handler:
    path = Path(path)
    if not path.is_file():
        raise Malformed(path, "not a file")
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(png.SIG):
        return HANDLERS["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return HANDLERS["jpeg"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return HANDLERS["webp"]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return HANDLERS["wav"]
    if head[4:8] == b"ftyp":
        return HANDLERS["mp4"]
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return HANDLERS["mp3"]
    if path.suffix.lower() in TEXT_SUFFIXES and b"\x00" not in head:
        return HANDLERS["text"]
    raise Malformed(path, "unsupported format (supported: text, PNG, JPEG, WebP, WAV, MP3, MP4)")


__all__ = ["HANDLERS", "Handler", "Malformed", "sniff"]
