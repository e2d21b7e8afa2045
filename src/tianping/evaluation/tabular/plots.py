"""Plots for the results: reliability diagram, group rates, degradation curves, importance, PDP/ALE.

matplotlib with the non-interactive Agg backend (no display on servers); each figure is written
as PNG and/or SVG next to results.json. Titles are in the run's language.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal, cast

from .results import Plot

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_name(name: str, max_len: int = 100) -> str:
    """A file name stem that is valid on Linux, macOS and Windows and unique for distinct inputs.

    Only ASCII letters, digits, '.', '_' and '-' are kept (no / \\ : * ? " < > | & = or spaces); no
    leading or trailing dots, no Windows device names (CON, NUL, COM1, ...). When anything had to
    change, a short hash of the original name is appended so that e.g. `race=A/B` and `race=A_B`
    do not overwrite each other's plots.
    """
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    clean = _UNSAFE.sub("_", ascii_).strip("._ ") or "plot"
    if clean.split(".")[0].lower() in _WINDOWS_RESERVED:
        clean = "_" + clean
    if clean != name or len(clean) > max_len:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        clean = f"{clean[: max_len - 9]}_{digest}"
    return clean


def _t(key: str, lang: str, **kw: str) -> str:
    """A plot title in `lang`: message `plot.<key>` of the catalogs (English as fallback)."""
    from ...i18n import t

    return t(f"plot.{key}", lang, **kw)


def render(aux: dict[str, Any], out_dir: Path, formats: list[str], lang: str = "en") -> list[Plot]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    if lang != "en":  # fonts for CJK and Thai when installed (per-glyph fallback); otherwise boxes, not errors
        from matplotlib import font_manager

        installed = {f.name for f in font_manager.fontManager.ttflist}
        families = ["DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Zen Hei", "SimHei", "Noto Sans Thai", "Loma"]
        plt.rcParams["font.family"] = [f for f in families if f in installed] or ["sans-serif"]
    from ...outputs import atomic_path, os_error

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, out_dir, "--out") from None
    plots: list[Plot] = []

    def save(fig, name: str) -> None:
        fig.tight_layout()
        name = safe_name(name)
        for fmt in formats:
            path = out_dir / f"{name}.{fmt}"
            with atomic_path(path, "--out") as tmp:  # a plot is whole or absent
                fig.savefig(tmp, format=fmt, dpi=110)
            # the run accepts only png and svg (runner._check_config)
            plots.append(Plot(name=name, path=str(path), format=cast(Literal["png", "svg"], fmt)))
        plt.close(fig)

    perf = aux.get("performance") or {}
    rel = perf.get("reliability")
    if rel:
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.plot([0, 1], [0, 1], "--", color="grey")
        ax.plot(rel["mean_confidence"], rel["observed_frequency"], "o-")
        ax.set_xlabel("predicted probability")
        ax.set_ylabel("observed frequency")
        ax.set_title(f"{_t('reliability', lang)} (ECE {rel['ece']:.3f})")
        save(fig, "reliability_diagram")
    for table in (aux.get("fairness") or [])[:6]:
        if "selection_rate" not in table or "&" in table["feature"]:
            continue
        fig, ax = plt.subplots(figsize=(7, 4))
        groups = [g.split("=", 1)[1] for g in table["groups"]]
        width = 0.27
        xs = range(len(groups))
        for k, key in enumerate(("selection_rate", "true_positive_rate", "false_positive_rate")):
            ax.bar([x + (k - 1) * width for x in xs], table[key], width, label=key)
        ax.set_xticks(list(xs), groups, rotation=30, ha="right")
        ax.legend()
        ax.set_title(_t("group_rates", lang, f=table["feature"]))
        save(fig, f"fairness_{table['feature']}_{table.get('label', '')}")
    rob = aux.get("robustness") or {}
    if rob.get("curves"):
        fig, ax = plt.subplots(figsize=(6, 4))
        for kind, c in rob["curves"].items():
            ax.plot(c["severity"], c["score"], "o-", label=kind)
        ax.set_xlabel("severity")
        ax.set_ylabel(rob.get("metric", "score"))
        ax.legend()
        ax.set_title(_t("robustness", lang))
        save(fig, "robustness_curves")
    if rob.get("attack"):
        a = rob["attack"]
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(a["epsilon"], a["adversarial_accuracy"], "o-")
        ax.set_xlabel("L2 budget (standard deviations)")
        ax.set_ylabel("adversarial accuracy")
        ax.set_title(_t("adversarial", lang))
        save(fig, "adversarial_accuracy")
    ex = aux.get("explain") or {}
    if ex.get("importance"):
        imp = sorted(ex["importance"].items(), key=lambda kv: kv[1])[-20:]
        fig, ax = plt.subplots(figsize=(6, max(3, 0.3 * len(imp))))
        ax.barh([k for k, _ in imp], [v for _, v in imp])
        ax.set_title(_t("importance", lang))
        save(fig, "permutation_importance")
    sh = ex.get("shap")
    if sh:
        pairs = sorted(zip(sh["features"], sh["mean_abs_shap"], strict=True), key=lambda kv: kv[1])[-20:]
        fig, ax = plt.subplots(figsize=(6, max(3, 0.3 * len(pairs))))
        ax.barh([k for k, _ in pairs], [v for _, v in pairs])
        ax.set_title(f"{_t('shap', lang)} ({sh['explainer']})")
        save(fig, "shap_importance")
    if ex.get("pdp"):
        feats = list(ex["pdp"])[:6]
        fig, axes = plt.subplots(1, len(feats), figsize=(3 * len(feats), 3), squeeze=False)
        for ax, f in zip(axes[0], feats, strict=False):
            p = ex["pdp"][f]
            ax.plot(p["grid"], p["pd"], "-")
            if f in (ex.get("ale") or {}):
                a = ex["ale"][f]
                base = sum(p["pd"]) / len(p["pd"])
                ax.plot(a["edges"], [v + base for v in a["ale"]], "--")
            ax.set_xlabel(f)
        fig.suptitle(_t("pdp_ale", lang))
        save(fig, "pdp_ale")
    return plots
