"""Charts of the views as PNG or SVG (matplotlib, Agg backend: no display needed).

Missing data is drawn, not dropped: grey hatched cells in heatmaps, "no data" bars in profiles,
gaps in trend lines, and a caption counting the countries that could not be ranked.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import logging  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from ..errors import Problem, TianpingError  # noqa: E402
from ..i18n import lang_text  # noqa: E402

logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "weight normal" noise for CJK fonts

# the charts' words are messages `obs.chart.<key>` of the catalogs


@lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    """Register a CJK font if the system has one (Chinese labels otherwise render as boxes)."""
    for path in font_manager.findSystemFonts():
        name = os.path.basename(path).lower()
        if any(k in name for k in ("wqy", "notosanscjk", "notoserifcjk", "sourcehan", "simhei", "droidsansfallback")):
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except (OSError, RuntimeError):  # pragma: no cover
                continue
    return None


def _lang(lang: str) -> str:
    """The charts' language (any language of the catalogs), with the fonts its script needs when installed."""
    from ..i18n import normalize_lang

    lang = normalize_lang(lang) or "en"
    if lang == "zh" and not _cjk_font():
        lang = "en"  # Chinese without a CJK font would render as boxes
    cjk = _cjk_font() if lang == "zh" else None
    installed = {f.name for f in font_manager.fontManager.ttflist}
    families = ["DejaVu Sans", *([cjk] if cjk else []), "Noto Sans Thai", "Loma"]
    plt.rcParams["font.family"] = [f for f in families if f in installed] or ["sans-serif"]
    plt.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return lang


def _t(key: str, lang: str, **kw: object) -> str:
    from ..i18n import t

    return t(f"obs.chart.{key}", lang, **kw)


def _save(fig: Any, path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in (".png", ".svg"):
        plt.close(fig)
        raise TianpingError(Problem("chart files must end in .png or .svg", file=str(p)), title="unsupported format")
    from ..outputs import atomic_path

    try:
        with atomic_path(p, "--chart") as tmp:  # whole or absent
            fig.savefig(tmp, dpi=150, bbox_inches="tight", metadata={"Date": None} if p.suffix.lower() == ".svg" else None)
    finally:
        plt.close(fig)
    return p


def rankings_chart(view: dict[str, Any], path: str | Path, lang: str = "en", top: int = 30) -> Path:
    lang = _lang(lang)
    rows = view["ranked"][:top]
    fig, ax = plt.subplots(figsize=(8, 0.28 * max(len(rows), 4) + 1.2))
    names = [f"{r['rank']}. {lang_text(r['name'], lang)}" for r in rows][::-1]
    vals = [r["index"] for r in rows][::-1]
    bars = ax.barh(names, vals, color=["#4C72B0" if r["coverage"] == "complete" else "#8FA9D6" for r in rows][::-1])
    for bar, r in zip(bars, rows[::-1], strict=True):
        s = r.get("sensitivity")
        if s:
            ax.text(
                bar.get_width() + 0.5,
                bar.get_y() + bar.get_height() / 2,
                f"[{s['rank_p05']}–{s['rank_p95']}]",
                va="center",
                fontsize=7,
            )
    ax.set_xlabel(_t("index", lang))
    ax.set_title(f"{lang_text(view['title'], lang)} — {view['year']}")
    fig.text(0.01, -0.02, _t("unranked", lang, n=len(view["unranked"])), fontsize=8)
    return _save(fig, path)


def group_chart(view: dict[str, Any], path: str | Path, lang: str = "en") -> Path:
    lang = _lang(lang)
    dims = view["dimension_defs"]
    members = view["members"]
    data = np.array(
        [[m["dimensions"].get(d["id"]) if m["dimensions"].get(d["id"]) is not None else np.nan for d in dims] for m in members],
        dtype=float,
    )
    fig, ax = plt.subplots(figsize=(1.0 * len(dims) + 3, 0.42 * len(members) + 1.5))
    ax.imshow(
        np.where(np.isnan(data), -1, data),
        cmap=matplotlib.colors.ListedColormap(["#dddddd"] + list(plt.cm.viridis(np.linspace(0, 1, 100)))),
        vmin=-1,
        vmax=100,
        aspect="auto",
    )
    for i in range(len(members)):
        for j in range(len(dims)):
            ax.text(
                j,
                i,
                _t("no_data", lang) if np.isnan(data[i, j]) else f"{data[i, j]:.0f}",
                ha="center",
                va="center",
                fontsize=7,
                color="#555555" if np.isnan(data[i, j]) else ("white" if data[i, j] < 60 else "black"),
            )
    ax.set_xticks(range(len(dims)), [lang_text(d["title"], lang) for d in dims], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(members)), [f"{lang_text(m['name'], lang)} ({m['coverage']})" for m in members], fontsize=8)
    title = f"{lang_text(view['group_title'], lang)} — {lang_text(view['title'], lang)} {view['year']}"
    ax.set_title(f"{title}\n{_t('gap', lang)}", fontsize=9)
    return _save(fig, path)


def trends_chart(view: dict[str, Any], path: str | Path, lang: str = "en") -> Path:
    lang = _lang(lang)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for c in view["countries"]:
        ys = [p["year"] for p in c["series"]]
        vs = [np.nan if p["index"] is None else p["index"] for p in c["series"]]
        ax.plot(ys, vs, marker=".", label=lang_text(c["name"], lang))  # NaN leaves a visible gap
    ax.set_xlabel(_t("year", lang))
    ax.set_ylabel(_t("index", lang))
    ax.legend(fontsize=8)
    ax.set_title(view["methodology"])
    return _save(fig, path)


def profile_chart(view: dict[str, Any], path: str | Path, lang: str = "en") -> Path:
    lang = _lang(lang)
    scores = view["dimensions"]
    meta = {d["id"]: lang_text(d["title"], lang) for d in view["dimension_defs"]}
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(scores) + 1.2))
    labels = [meta.get(k, k) for k in scores][::-1]
    vals = [v if v is not None else 0 for v in scores.values()][::-1]
    bars = ax.barh(labels, vals, color=["#4C72B0" if v is not None else "#dddddd" for v in scores.values()][::-1])
    for bar, v in zip(bars, list(scores.values())[::-1], strict=True):
        if v is None:
            ax.text(1, bar.get_y() + bar.get_height() / 2, _t("no_data", lang), va="center", fontsize=8, color="#555555")
    ax.set_xlim(0, 100)
    ax.set_title(f"{lang_text(view['name'], lang)} — {lang_text(view['title'], lang)} {view['year']}")
    return _save(fig, path)
