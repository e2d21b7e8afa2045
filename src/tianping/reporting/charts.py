"""Small SVG charts for reports (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

import io
import logging
import os
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# the CJK font ships only a "medium" weight; matplotlib's notice about using it is noise
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def _register_cjk_fonts() -> None:
    """Matplotlib caches its font list; a CJK font installed after that cache was built is added here."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for path in ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"):
        if os.path.exists(path) and not known & {"WenQuanYi Zen Hei", "Noto Sans CJK JP", "Noto Sans CJK SC"}:
            font_manager.fontManager.addfont(path)


# Thai (fonts-noto-core, fonts-thai-tlwg) and Latin/Vietnamese (DejaVu) fonts: matplotlib falls back
# glyph by glyph through this list (matplotlib >= 3.6), so a label mixing scripts renders
THAI_FONTS = {
    "Noto Sans Thai": ("/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",),
    "Loma": ("/usr/share/fonts/opentype/tlwg/Loma.otf", "/usr/share/fonts/truetype/tlwg/Loma.ttf"),
}


def _register_thai_fonts() -> None:
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for name, paths in THAI_FONTS.items():
        if name in known:
            continue
        for path in paths:
            if os.path.exists(path):
                font_manager.fontManager.addfont(path)
                break


_register_cjk_fonts()
_register_thai_fonts()
FAMILIES = ["DejaVu Sans", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans Thai", "Loma"]


def _installed(families: list[str]) -> list[str]:
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in families if f in known] or ["sans-serif"]


plt.rcParams["font.sans-serif"] = FAMILIES
# an explicit list (not the generic "sans-serif", which resolves to one font) so matplotlib falls back per glyph
plt.rcParams["font.family"] = _installed(FAMILIES)
plt.rcParams["axes.unicode_minus"] = False
plt.rcParams["svg.fonttype"] = "none"  # keep text as text: smaller SVG, selectable, uses the page font

COLOURS = {"met": "#2e7d32", "partial": "#f9a825", "not_met": "#c62828", "needs_evidence": "#757575", "not_applicable": "#bdbdbd"}


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def verdict_chart(per_jurisdiction: dict[str, dict[str, int]], labels: dict[str, str]) -> str:
    """Stacked horizontal bars: obligations per verdict for each jurisdiction."""
    juris = list(per_jurisdiction)
    fig, ax = plt.subplots(figsize=(6.5, 0.5 + 0.45 * max(1, len(juris))))
    left = [0] * len(juris)
    for verdict, colour in COLOURS.items():
        vals = [per_jurisdiction[j].get(verdict, 0) for j in juris]
        ax.barh(juris, vals, left=left, color=colour, label=labels.get(verdict, verdict))
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel(labels.get("obligations", "obligations"))
    ax.legend(ncol=3, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def metric_chart(metrics: list[dict[str, Any]], title: str) -> str | None:
    """Metric values with confidence intervals and thresholds (only numeric values in [0, 1])."""
    rows = [m for m in metrics if isinstance(m.get("value"), (int, float)) and 0 <= m["value"] <= 1][:14]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 0.5 + 0.32 * len(rows)))
    names = [f"{m['name']}" + (f" [{m['group']}]" if m.get("group") else "") for m in rows]
    vals = [m["value"] for m in rows]
    colours = [
        COLOURS["met"] if m.get("passed") is True else COLOURS["not_met"] if m.get("passed") is False else "#546e7a" for m in rows
    ]
    ax.barh(names, vals, color=colours)
    for i, m in enumerate(rows):
        ci = m.get("ci")
        if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(x, (int, float)) for x in ci):
            ax.plot(ci, [i, i], color="black", linewidth=1)
        thr = m.get("threshold")
        if isinstance(thr, dict):
            thr = thr.get("value", thr.get("min", thr.get("max")))
        if isinstance(thr, (int, float)) and 0 <= thr <= 1:
            ax.plot([thr, thr], [i - 0.4, i + 0.4], color="#1565c0", linewidth=1.5)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)
