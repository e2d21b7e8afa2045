"""Reports in every language: the signed bundle carries the report in the interface language, the PDF
reads in it, and Thai and Vietnamese render with real glyphs (page 1 to PNG, OCR-free pixel checks)."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping.cli.main import app
from tianping.i18n import t
from tianping.store import open_database
from tianping.store.models import RunRow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"
REGION = ["ms", "id", "th", "vi", "fil"]
runner = CliRunner()

pytestmark = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("pdffonts") and shutil.which("pdftotext")),
                                reason="poppler-utils (pdftoppm, pdffonts, pdftotext) is needed")

METRICS = [
    {"name": "demographic_parity_difference", "value": 0.12, "threshold": {"max": 0.1}, "passed": False},
    {"name": "accuracy", "value": 0.86, "threshold": {"min": 0.8}, "passed": True, "ci": [0.84, 0.88]},
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    pytest.importorskip("weasyprint")
    d = tmp_path_factory.mktemp("i18n-reports")
    opt = ["--db", str(d / "a.db")]
    assert runner.invoke(app, [*opt, "register", str(EXAMPLE)]).exit_code == 0
    db = open_database(f"sqlite:///{d / 'a.db'}")
    rid = str(uuid.uuid4())
    with db.session() as s:
        s.add(RunRow(id=rid, system_id="eu-credit-scoring", kind="tabular", suite="fairness", target="model.onnx", config={},
                     status="completed", created_at="2026-11-22T00:00:00+00:00", result={"metrics": METRICS}))
    db.dispose()
    return {"dir": d, "opt": opt, "run": rid}


def _bundle(env, lang: str) -> Path:
    out = env["dir"] / f"bundle-{lang}"
    if not out.exists():
        res = runner.invoke(app, [*env["opt"], "--lang", lang, "assess", "eu-credit-scoring", "--runs", env["run"], "--out", str(out)])
        assert res.exit_code == 0, res.output
    return out


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("lang", REGION)
def test_report_in_the_interface_language(env, lang):
    out = _bundle(env, lang)
    names = {p.name for p in out.iterdir()}
    assert {f"report.{lang}.html", f"report.{lang}.pdf", "report.en.pdf", "report.zh.pdf"} <= names
    html = (out / f"report.{lang}.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    for key in ("report.title", "report.matrix", "report.summary", "report.disclaimer"):
        assert t(key, lang) in html, (lang, key)
    # the PDF's text layer says the same (Thai has no spaces to re-flow, the others are compared word by word)
    text = " ".join(_pdf_text(out / f"report.{lang}.pdf").split())
    for key in ("report.title", "report.matrix"):
        want = t(key, lang)
        assert want in text or want.replace(" ", "") in text.replace(" ", ""), (lang, key)


def _ink(png: Path) -> tuple[int, float]:
    from PIL import Image

    img = Image.open(png).convert("L")
    dark = sum(1 for p in img.tobytes() if p < 128)
    return img.getextrema()[0], dark / (img.width * img.height)


def _page1(pdf: Path, dest: Path) -> Path:
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(dest)], check=True)
    return dest.with_suffix(".png")


def _embedded_fonts(pdf: Path) -> set[str]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines()[2:]:
        name = line.split()[0] if line.split() else ""
        names.add(name.split("+", 1)[-1])
    return names


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _font_files() -> dict[str, str]:
    """Normalised PostScript name -> font file, from fontconfig (PDF writers spell names with or without dashes)."""
    out = subprocess.run(["fc-list", "--format", "%{postscriptname}\t%{file}\n"], capture_output=True, text=True, check=True).stdout
    return {_norm(a): b for a, b in (line.split("\t", 1) for line in out.splitlines() if "\t" in line)}


def _uncovered(text: str, fonts: set[str]) -> set[str]:
    """Characters of `text` that no embedded font has a glyph for (what would print as a tofu box)."""
    from fontTools.ttLib import TTFont

    files = _font_files()
    cmaps = []
    for name in fonts:
        n = _norm(name)  # "WenQuanYi-Zen-Hei-Medium" is the font whose PostScript name is "WenQuanYiZenHei"
        path = files.get(n) or next((files[k] for k in sorted(files, key=len, reverse=True) if n.startswith(k)), None)
        if path:
            font = TTFont(path, fontNumber=0, lazy=True)
            cmaps.append(set(font.getBestCmap() or {}))
    return {ch for ch in set(text) if not ch.isspace() and not any(ord(ch) in c for c in cmaps)}


@pytest.mark.parametrize(("lang", "script"), [("th", re.compile(r"[\u0e00-\u0e7f]")), ("vi", re.compile(r"[ăâđêôơưạ-ỹ]", re.I))])
def test_thai_and_vietnamese_pdf_render_with_real_glyphs(env, lang, script, tmp_path):
    pdf = _bundle(env, lang) / f"report.{lang}.pdf"
    # page 1 renders, with ink on it
    darkest, ratio = _ink(_page1(pdf, tmp_path / "page1"))
    assert darkest < 100 and ratio > 0.005
    # the page's text is in the script, and every character of it has a glyph in a font embedded in the PDF
    text = _pdf_text(pdf)
    assert len(script.findall(text)) > 50
    fonts = _embedded_fonts(pdf)
    assert _uncovered(text, fonts) == set(), fonts


def _render(html: str, tmp_path: Path, name: str):
    from PIL import Image
    from weasyprint import HTML

    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(HTML(string=html).write_pdf())
    return Image.open(_page1(pdf, tmp_path / name)).convert("L")


@pytest.mark.parametrize("lang", ["th", "vi"])
def test_report_fonts_draw_the_title_like_a_known_good_font(lang, tmp_path):
    """The report's font stack draws the title as a font known to have the glyphs does, and unlike a
    box-drawing stand-in for missing glyphs (a tofu box per character)."""
    from PIL import Image, ImageChops, ImageStat

    from tianping.reporting.render import font_family

    title = t("report.title", lang)
    good = {"th": "Noto Sans Thai", "vi": "DejaVu Sans"}[lang]
    page = '<html><body style="margin:0"><p style="font-family: {f}; font-size: 28pt; margin: 10px">{x}</p></body></html>'
    from html import escape

    ours = _render(page.format(f=escape(font_family(lang)), x=title), tmp_path, "ours")
    known = _render(page.format(f=escape(f"'{good}'"), x=title), tmp_path, "known")
    # tofu: one hollow box per character, drawn in the same place
    boxes = "".join("▯" if not ch.isspace() else " " for ch in title)
    tofu = _render(page.format(f=escape("'DejaVu Sans'"), x=boxes), tmp_path, "tofu")

    def inked(img):  # the inked area only: line heights differ between font stacks, glyphs must not
        from PIL import ImageOps

        return img.crop(ImageOps.invert(img).getbbox())

    def diff(a, b) -> float:
        a, b = inked(a), inked(b)
        w, h = max(a.width, b.width), max(a.height, b.height)
        pad = [Image.new("L", (w, h), 255) for _ in (a, b)]
        pad[0].paste(a, (0, 0))
        pad[1].paste(b, (0, 0))
        return ImageStat.Stat(ImageChops.difference(*pad)).mean[0]

    assert diff(ours, known) < 2.0, diff(ours, known)
    assert diff(ours, tofu) > 5 * max(diff(ours, known), 1.0), (diff(ours, tofu), diff(ours, known))
    assert _ink_of(ours) > 0.003


def _ink_of(img) -> float:
    return sum(1 for p in img.tobytes() if p < 128) / (img.width * img.height)


def test_charts_register_thai_fonts_and_fall_back_per_glyph(recwarn):
    import warnings

    from tianping.reporting.charts import verdict_chart

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from every font raises here
        svg = verdict_chart({"EU": {"met": 2, "not_met": 1}}, {"met": t("assess.verdict.met", "th"), "not_met": t("assess.verdict.not_met", "vi"),
                                                              "obligations": t("report.obligations", "th")})
    assert t("assess.verdict.met", "th") in svg and t("assess.verdict.not_met", "vi") in svg
