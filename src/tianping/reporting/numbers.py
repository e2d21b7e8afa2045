"""How numbers and thresholds read in a report: significant digits, intervals, "≤ 0.10 (source)"."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..i18n import t

OPS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}
# the boundary that, once crossed, makes a row `warn` is the other side of the operator
# (message ids in the gettext catalogs)
WARN_WORDS = {"<=": "report.warn.le", "<": "report.warn.lt", ">=": "report.warn.ge", ">": "report.warn.gt"}


@lru_cache(maxsize=32)
def decimal_symbol(lang: str) -> str:
    """The decimal sign of `lang`'s locale (CLDR): "." in en, zh, th, ms, fil; "," in vi, id."""
    from babel.numbers import get_decimal_symbol

    from ..i18n import babel_locale

    try:
        return get_decimal_symbol(babel_locale(lang))
    except Exception:  # a locale CLDR does not know: the point
        return "."


def localized(text: str, lang: str | None) -> str:
    """A number as `sig` wrote it, with the decimal sign of the reader's locale (0.120 → 0,120 in vi, id)."""
    if not lang:
        return text
    sym = decimal_symbol(lang)
    if sym == "." or not re.fullmatch(r"-?\d+\.\d+", text):
        return text
    return text.replace(".", sym)


def sig(value: Any, digits: int = 3) -> str:
    """A number to `digits` significant digits, without exponent noise for everyday magnitudes."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if -4 <= magnitude < 6:
        decimals = max(0, digits - 1 - magnitude)
        return f"{value:.{decimals}f}"
    return f"{value:.{digits - 1}e}"


def interval(ci: Any, digits: int = 3) -> str:
    if not ci or len(ci) != 2:
        return ""
    return f"[{sig(ci[0], digits)}, {sig(ci[1], digits)}]"


def threshold_text(thr: dict[str, Any] | None, lang: str, provision_title: Callable[[str], str] | None = None) -> str:
    """'≤ 0.200, warn above 0.100, n ≥ 30 (EU AI Act Art. 10 via metrics.yaml)'."""
    if not thr:
        return ""
    op = thr.get("op", "")
    parts = [f"{OPS.get(op, op)} {localized(sig(thr.get('value')), lang)}"]
    if thr.get("warn") is not None and thr.get("warn") != thr.get("value"):
        parts.append(f"{t(WARN_WORDS[op], lang) if op in WARN_WORDS else 'warn'} {localized(sig(thr['warn']), lang)}")
    if thr.get("min_n"):
        parts.append(t("report.min_n", lang, n=thr["min_n"]))
    origin = []
    if thr.get("provision"):
        origin.append(provision_title(thr["provision"]) if provision_title else thr["provision"])
    if thr.get("source"):
        origin.append(f"{t('report.via', lang)} {thr['source']}" if origin else thr["source"])
    text = ", ".join(parts)
    return f"{text} ({' '.join(origin)})" if origin else text
