"""Reading numeric facts (bank sizes, keyword minimums) from a catalog provision's `facts`.

A fact value may be a number, a string, a date or a list (`FactValue`); the sizes the GenAI
evaluation reads are counts, so they are checked to be scalar before `int()` rather than assumed.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...catalog.schema import FactValue


def count_fact(facts: Mapping[str, FactValue], key: str, default: int | None = None) -> int:
    """The fact `key` as an int; `default` when it is absent (KeyError when there is no default)."""
    if key not in facts and default is not None:
        return default
    value = facts[key]
    if isinstance(value, (int, float, str)):  # bool is an int
        return int(value)
    raise TypeError(f"catalog fact {key!r} is not a count: {value!r}")
