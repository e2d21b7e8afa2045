"""Explicit labels: text positions and wording, image label height vs the shortest side (GB 45438, 5%),
audio rhythm cue and spoken cue, video label on the opening two seconds."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pv_samples import require
from tianping.provenance import explicit
from tianping.provenance.check import check_file
from tianping.provenance.service import add_label


@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_text_label_positions(position):
    body = "第一段。\n\n第二段。\n\nThird paragraph.\n\nFourth."
    out = explicit.label_text(body, "zh", position)
    notice = explicit.TEXT_LABELS["zh"]
    assert notice in out and explicit.find_text_label(out)
    idx = out.index(notice)
    if position == "start":
        assert idx == 0
    elif position == "end":
        assert out.rstrip().endswith(notice)
    else:
        assert 0 < idx < len(out) - len(notice) - 5
    assert explicit.find_text_label(body) is None


@pytest.mark.parametrize("size", [(1000, 600), (600, 1000), (4000, 300), (200, 200), (64, 48)])
def test_image_label_height_relative_to_shortest_side(size):
    im = Image.new("RGB", size, (40, 80, 120))
    info = explicit.draw_label(im, "both")
    short = min(size)
    assert info.text_height >= min(short, max(10, int(np.ceil(0.05 * short))))
    x0, y0, x1, y1 = info.box
    assert 0 <= x0 < x1 <= size[0] and 0 <= y0 < y1 <= size[1]
    assert x1 > size[0] * 0.5 and y1 > size[1] * 0.5  # bottom-right corner
    assert im.getpixel(((x0 + x1) // 2, y0 + 1)) != (40, 80, 120)


def test_image_add_keeps_format_and_draws(sample):
    for fmt in ("png", "jpeg", "webp"):
        f = sample(fmt, 3)
        before = Image.open(f).convert("RGB")
        res = add_label(f, "P", implicit_label=False)
        assert res.explicit["ratio"] >= 0.05 or res.explicit["text_height"] >= 10
        after = Image.open(f)
        assert after.format == {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt] and after.size == before.size
        x0, y0, x1, y1 = res.explicit["box"]
        assert after.convert("RGB").crop((x0, y0, x1, y1)).getextrema() != before.crop((x0, y0, x1, y1)).getextrema()


def test_wav_rhythm_cue_detected(sample):
    f = sample("wav")
    assert not explicit.detect_rhythm_cue(f)
    with wave.open(str(f)) as r:
        n0 = r.getnframes()
    add_label(f, "P", implicit_label=False, cue="rhythm")
    with wave.open(str(f)) as r:
        assert r.getnframes() > n0 and r.getframerate() == 16000
    assert explicit.detect_rhythm_cue(f)
    assert check_file(f).verdict == "suspected"  # explicit cue only, no implicit label


def test_rhythm_cue_is_morse_ai():
    x = explicit.rhythm_cue(8000)
    unit = int(explicit.CUE_UNIT_S * 8000)
    on = [bool(np.abs(x[i * unit:(i + 1) * unit]).max() > 0.1) for i in range(len(x) // unit)]
    assert on[:9] == [True, False, True, True, True, False, False, False, True]  # · — then ·


def test_wav_spoken_cue(sample):
    require("espeak-ng")
    f = sample("wav")
    with wave.open(str(f)) as r:
        n0 = r.getnframes()
    res = add_label(f, "P", implicit_label=False, cue="voice", lang="zh")
    assert res.explicit["cue"] == "voice" and res.explicit["seconds"] > 1.0
    with wave.open(str(f)) as r:
        head = np.frombuffer(r.readframes(int(16000 * 1.0)), dtype="<i2")
        assert r.getnframes() > n0
    assert np.abs(head).max() > 1000  # speech at the start


def test_mp3_cue_via_ffmpeg(sample):
    require("ffmpeg")
    f = sample("mp3")
    res = add_label(f, "P", sign=True, c2pa=False, cue="rhythm")
    assert res.explicit["cue"] == "rhythm"
    c = check_file(f)
    assert c.verdict == "confirmed" and c.producer_signature["status"] == "valid"


def _frame(video: Path, t: float, out: Path) -> Image.Image:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-ss", str(t), "-i", str(video), "-frames:v", "1", str(out)],
                   check=True)
    return Image.open(out).convert("RGB")


def test_video_label_on_opening_seconds(sample, tmp_path):
    require("ffmpeg")
    f = sample("mp4")
    res = add_label(f, "P", sign=True, lang="en")
    assert res.explicit["seconds"] >= 2.0 and res.explicit["text_height"] >= 10
    early, late = _frame(f, 0.5, tmp_path / "a.png"), _frame(f, 2.6, tmp_path / "b.png")
    w, h = early.size
    corner = (int(w * 0.6), int(h * 0.85), w - 2, h - 2)
    dark = lambda im: np.asarray(im.crop(corner)).mean()  # noqa: E731
    assert dark(early) < dark(late) - 20  # black label box at the start, gone after 2 s
    c = check_file(f)
    assert c.verdict == "confirmed" and c.producer_signature["status"] == "valid" and c.c2pa["validation_state"] == "Trusted"
