"""Helpers for the provenance tests: sample files of every supported format, made here (no downloads).

ffmpeg and espeak-ng are Debian packages that scripts/test.sh installs; outside CI their tests skip,
in CI (env CI set) a missing tool is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

FORMATS = ["text", "png", "jpeg", "webp", "wav", "mp3", "mp4"]
NEEDS_FFMPEG = {"mp3", "mp4"}


def require(tool: str) -> None:
    if shutil.which(tool):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is missing in CI (scripts/test.sh installs it)")
    pytest.skip(f"{tool} not installed")


def make_sample(fmt: str, directory: Path, seed: int = 0) -> Path:
    """One small file of `fmt` with varied content (seed changes the content)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    if fmt == "text":
        p = directory / f"s{seed}.txt"
        p.write_text(f"第一段：这是测试文本 {seed}。\n\nSecond paragraph {seed}, written for the test.\n", encoding="utf-8")
        return p
    if fmt in ("png", "jpeg", "webp"):
        arr = (rng.random((120, 160, 3)) * 255).astype(np.uint8)
        ext = {"png": "png", "jpeg": "jpg", "webp": "webp"}[fmt]
        p = directory / f"s{seed}.{ext}"
        Image.fromarray(arr).save(p, quality=90) if fmt != "png" else Image.fromarray(arr).save(p)
        return p
    wav = directory / f"s{seed}.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        t = np.arange(16000 * 2) / 16000
        w.writeframes((np.sin(2 * np.pi * (220 + 40 * seed) * t) * 6000).astype("<i2").tobytes())
    if fmt == "wav":
        return wav
    require("ffmpeg")
    if fmt == "mp3":
        p = directory / f"s{seed}.mp3"
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", str(p)], check=True)
        return p
    p = directory / f"s{seed}.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=160x120:rate=10:duration=4", "-f", "lavfi", "-i", f"sine=frequency={300 + seed}:duration=4",
                    "-pix_fmt", "yuv420p",
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(p)], check=True)
    return p
