"""One entry of a classification trace."""

from __future__ import annotations

from typing import NamedTuple


class RuleTrace(NamedTuple):
    """One rule evaluated: its outcome, the fields it read (and which were unknown), what it cites.

    Immutable, so the engine prebuilds the entries whose content never varies (fired, not fired,
    excepted, not yet applicable) once per rule and shares them: ~100 are emitted per profile.
    """

    rule: str
    kind: str  # designation | obligation
    outcome: str  # fired | not_fired | undetermined | excepted | not_yet_applicable
    reads: tuple[str, ...]
    unknown: tuple[str, ...]
    cites: tuple[str, ...]
