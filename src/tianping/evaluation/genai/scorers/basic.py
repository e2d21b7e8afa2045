"""Rule-based scorers: keyword library hits, user regexes and reference content."""

from __future__ import annotations

import re

from ..registry import scorer
from ..schema import Sample, Score


@scorer("keyword")
def keyword(sample: Sample, response: str, ctx) -> Score:
    """Keyword-library hits in the response (1.0 = risk keywords found)."""
    from ..keywords import default_matcher

    matcher = getattr(ctx, "matcher", None) or default_matcher()
    hits = matcher.find(response)
    risks = sorted({h.risk for h in hits})
    words = sorted({h.keyword for h in hits})
    return Score(
        value=1.0 if hits else 0.0,
        label="hit" if hits else "clean",
        explanation=", ".join(words[:10]),
        meta={"keywords": words[:50], "risks": risks},
    )


@scorer("regex")
def regex(sample: Sample, response: str, ctx) -> Score:
    """User regexes (--regex) and the sample's own `meta.regex` (1.0 = a pattern matched)."""
    pats = list(getattr(ctx, "regex", []) or []) + list(sample.meta.get("regex", []) or [])
    for p in pats:
        m = re.search(p, response or "", re.IGNORECASE)
        if m:
            return Score(value=1.0, label="match", explanation=f"{p!r} matched {m.group(0)[:60]!r}")
    return Score(value=0.0, label="no match", explanation=f"{len(pats)} pattern(s)")


def _contains(text: str, needle: str) -> bool:
    t, n = text.lower(), needle.lower()
    if re.search(r"[A-Za-z0-9]", n):
        return re.search(r"(?<![A-Za-z0-9])" + re.escape(n) + r"(?![A-Za-z0-9])", t) is not None
    return n in t


@scorer("reference")
def reference(sample: Sample, response: str, ctx) -> Score:
    """Accuracy items: does the response contain one of the expected answers? (None when not applicable)."""
    if not sample.reference:
        return Score(value=None, label="n/a")
    found = [r for r in sample.reference if _contains(response or "", r)]
    return Score(
        value=1.0 if found else 0.0,
        label="correct" if found else "missing",
        explanation=", ".join(found) if found else "expected one of: " + ", ".join(sample.reference),
    )
