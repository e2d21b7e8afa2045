"""Keyword library: loading (YAML or TSV) and fast matching with Aho-Corasick.

One automaton over all keywords finds every occurrence in one pass, whatever the library size
(the standard asks for ≥ 10,000 keywords). Chinese has no spaces, so a plain substring hit can
span two words ("病毒品种" contains "毒品"); a hit on CJK text is kept only when it starts and
ends on jieba word boundaries, with every library keyword added to jieba's dictionary so that
keywords themselves segment as units. Latin-script hits must sit on word boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...errors import Problem, ProblemList, TianpingError
from ...yamlio import load_yaml_file

DEFAULT_LIBRARY = Path(__file__).parent / "banks" / "keywords.yaml"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_RISK = re.compile(r"^A\.[1-5]\.[a-i]$")


@dataclass(frozen=True)
class Keyword:
    text: str
    risk: str
    lang: str | None = None


@dataclass(frozen=True)
class Hit:
    keyword: str
    risk: str
    start: int
    end: int


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def load_keywords(path: str | Path | None = None) -> list[Keyword]:
    """Read a library: YAML `keywords: {risk: {lang: [..]}}` or TSV `risk<TAB>keyword[<TAB>lang]`."""
    p = Path(path) if path else DEFAULT_LIBRARY
    if p.suffix in (".yaml", ".yml"):
        doc = load_yaml_file(p)
        table = (doc.data or {}).get("keywords") if isinstance(doc.data, dict) else None
        if not isinstance(table, dict):
            raise TianpingError(
                Problem(
                    "expected a top-level 'keywords' mapping of risk → language → list", file=str(p), line=1, field="keywords"
                ),
                title="invalid keyword library",
            )
        problems = ProblemList()
        out: list[Keyword] = []
        for risk, langs in table.items():
            if not _RISK.match(str(risk)):
                problems.add(
                    f"not a TC260-003 risk id: '{risk}'",
                    file=str(p),
                    line=doc.line_of(("keywords", risk)),
                    field=f"keywords.{risk}",
                )
                continue
            for lang, words in (langs or {}).items():
                if not isinstance(words, list):
                    problems.add(
                        "expected a list of keywords",
                        file=str(p),
                        line=doc.line_of(("keywords", risk, lang)),
                        field=f"keywords.{risk}.{lang}",
                    )
                    continue
                out.extend(Keyword(str(w).strip(), str(risk), str(lang)) for w in words if str(w).strip())
        problems.raise_if_any("invalid keyword library")
        return out
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise TianpingError(Problem("file not found", file=str(p)), title="file not found") from None
    problems = ProblemList()
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not _RISK.match(parts[0].strip()) or not parts[1].strip():
            problems.add("expected 'risk<TAB>keyword[<TAB>lang]' with a risk like A.1.d", file=str(p), line=n)
            continue
        out.append(Keyword(parts[1].strip(), parts[0].strip(), parts[2].strip() if len(parts) > 2 else None))
    problems.raise_if_any("invalid keyword library")
    return out


class KeywordMatcher:
    """Aho-Corasick automaton over a keyword library, with word-boundary checks."""

    def __init__(self, keywords: Iterable[Keyword]) -> None:
        import ahocorasick

        self.automaton = ahocorasick.Automaton()
        self.size = 0
        self._cjk_words: list[str] = []
        for kw in keywords:
            key = _norm(kw.text)
            entry = self.automaton.get(key, None)
            risks = entry[1] if entry else ()
            if kw.risk not in risks:
                self.automaton.add_word(key, (key, risks + (kw.risk,)))
                self.size += 0 if entry else 1
            if _CJK.search(key):
                self._cjk_words.append(key)
        self.automaton.make_automaton()
        self._tokenizer = None

    def _jieba(self):
        if self._tokenizer is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            for w in self._cjk_words:
                tok.add_word(w, freq=100000)
            self._tokenizer = tok
        return self._tokenizer

    def find(self, text: str, risks: Iterable[str] | None = None) -> list[Hit]:
        """All keyword hits in `text` (optionally only for `risks`), longest-first per position."""
        if not text or self.size == 0:
            return []
        norm = _norm(text)
        wanted = set(risks) if risks else None
        raw = []
        for end, (key, kw_risks) in self.automaton.iter(norm):
            start = end - len(key) + 1
            for r in kw_risks:
                if wanted is None or r in wanted:
                    raw.append(Hit(key, r, start, end + 1))
        if not raw:
            return []
        bounds = None
        out = []
        for h in raw:
            if _CJK.search(h.keyword):
                if bounds is None:
                    bounds = set()
                    for _w, s, e in self._jieba().tokenize(norm):
                        bounds.add(s)
                        bounds.add(e)
                if h.start in bounds and h.end in bounds:
                    out.append(h)
            else:
                before = norm[h.start - 1] if h.start > 0 else " "
                after = norm[h.end] if h.end < len(norm) else " "
                if not (before.isalnum() or after.isalnum()):
                    out.append(h)
        return out


_DEFAULT: KeywordMatcher | None = None


def default_matcher() -> KeywordMatcher:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = KeywordMatcher(load_keywords())
    return _DEFAULT


def library_report(path: str | Path | None = None) -> dict:
    """Size and per-risk coverage of a keyword library against TC260-003 8.1 (≥ 10,000 terms;
    ≥ 200 per A.1 risk, ≥ 100 per A.2 risk — read from the catalog facts)."""
    import hashlib

    from ...catalog.loader import default_catalog
    from .standard_facts import count_fact

    p = Path(path) if path else DEFAULT_LIBRARY
    kws = load_keywords(p)
    facts = default_catalog().provision("cn-tc260-003:8.1").provision.facts or {}
    min_total = count_fact(facts, "keyword_library_min_total", 10000)
    per = {
        "A.1": count_fact(facts, "keywords_min_per_a1_risk", 200),
        "A.2": count_fact(facts, "keywords_min_per_a2_risk", 100),
    }
    by_risk: dict[str, set[str]] = {}
    for k in kws:
        by_risk.setdefault(k.risk, set()).add(_norm(k.text))
    from .bank import tc260_risks

    covered: dict[str, dict[str, int | bool | None]] = {}
    short = []
    for rid in sorted(tc260_risks()):
        cat = rid[:3]
        n = len(by_risk.get(rid, ()))
        if cat in per:
            covered[rid] = {"count": n, "min": per[cat], "meets": n >= per[cat]}
            if n < per[cat]:
                short.append(rid)
        elif n:
            covered[rid] = {"count": n, "min": None, "meets": None}
    size = len({_norm(k.text) for k in kws})
    return {
        "source": "bundled starter list" if not path else p.name,
        "file": str(p),
        "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
        "size": size,
        "min_total": min_total,
        "min_per_risk": per,
        "by_risk": covered,
        "short_risks": short,
        "meets": size >= min_total and not short,
    }
