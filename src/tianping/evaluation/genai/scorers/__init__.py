"""Scorers: registered functions `fn(sample, response, ctx) -> Score` (sync or async).

Built in: `refusal` (multilingual detector), `keyword` (Aho-Corasick over the keyword library),
`regex`, `reference` (expected content for accuracy items), `judge` (LLM-as-judge with a rubric
and a fallback) and `embedding` (MiniLM cosine similarity). `decide()` turns the scores of a
sample into refused/passed according to what the sample expects.
"""

from . import basic, embedding, judge, refusal  # noqa: F401  (registration)
from .base import ScoreContext, decide, run_scorers

__all__ = ["ScoreContext", "decide", "run_scorers"]
