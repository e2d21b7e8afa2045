"""Turn Chinese and English text into index terms that any plain word index can match.

Chinese has no spaces, so a word index would see a whole clause as one token. We cut each run
of CJK characters into overlapping bigrams (the classic CJK analyser approach): a query is then a
phrase of its own bigrams, which matches exactly where the query occurs as a substring,
for words of two characters or more, with no dictionary to load. Latin-script words are
lower-cased and stemmed (Snowball English) so "robust" and "robustness" meet.

The same terms feed SQLite FTS5 (`unicode61`) and PostgreSQL (`to_tsvector('simple', …)`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_]+", re.UNICODE)
_IS_CJK = re.compile(rf"[{_CJK}]")
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word.lower())


def _cjk_terms(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_terms(text: str) -> list[str]:
    terms: list[str] = []
    for m in _TOKEN.finditer(text or ""):
        tok = m.group(0)
        if _IS_CJK.match(tok):
            terms.extend(_cjk_terms(tok))
        else:
            terms.append(_stem(tok))
    return terms


def index_text(*texts: str | None) -> str:
    return " ".join(t for text in texts if text for t in index_terms(text))


def query_groups(query: str) -> list[list[str]]:
    """Each group is a phrase (consecutive terms) that must all match; groups are ANDed."""
    groups: list[list[str]] = []
    for m in _TOKEN.finditer(query or ""):
        tok = m.group(0)
        groups.append(_cjk_terms(tok) if _IS_CJK.match(tok) else [_stem(tok)])
    return groups


def fts5_match(query: str) -> str | None:
    """An FTS5 MATCH expression; terms are word characters only, quoted, so no syntax can leak in."""
    groups = query_groups(query)
    if not groups:
        return None
    return " AND ".join('"' + " ".join(g) + '"' for g in groups)


def pg_tsquery(query: str) -> str | None:
    groups = query_groups(query)
    if not groups:
        return None
    return " & ".join("(" + " <-> ".join(f"'{t}'" for t in g) + ")" for g in groups)
