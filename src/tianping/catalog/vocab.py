"""Small, import-light vocabulary shared by the catalog modules (no pydantic here)."""

from __future__ import annotations

from enum import Enum

PRINCIPLE_PREFIX = "principle:"


class Predicate(str, Enum):
    """SSSOM/SKOS mapping predicates, read as "subject <predicate> object".

    broad: the object is broader than the subject (skos:broadMatch), e.g. an article that
    requires robustness testing is `broad`-mapped to the principle of robustness.
    """

    exact = "exact"
    close = "close"
    broad = "broad"
    narrow = "narrow"
    related = "related"

    @property
    def skos(self) -> str:
        return f"skos:{self.value}Match"

    @property
    def inverse(self) -> Predicate:
        return {Predicate.broad: Predicate.narrow, Predicate.narrow: Predicate.broad}.get(self, self)


def qualified(instrument_id: str, local_id: str) -> str:
    return f"{instrument_id}:{local_id}"


def split_qualified(qid: str) -> tuple[str, str]:
    head, _, tail = qid.partition(":")
    return head, tail


def is_principle(qid: str) -> bool:
    return qid.startswith(PRINCIPLE_PREFIX)
