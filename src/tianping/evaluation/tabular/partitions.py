"""Where the row-parallel parts of a tabular run are computed: here, or as Ray tasks (issue 16).

The boundary attack (rows attacked), SHAP (rows explained) and the fairness bootstrap (resamples
drawn) are sums of independent pieces: each row or resample draws its own keyed random numbers
(`keyed_random.py`), so any partition of the rows gives, merged, exactly the whole run's numbers.
The engine asks `map_parts(fn, model, payload, items, min_items=...)` for the pieces; by default
that is one call of `fn` over all items in this process, as before. The execution layer may
install another mapper for the duration of a run (`mapping(...)`): the Ray backend's splits the
items into chunks of at least `min_items` and runs `fn` on each as a Ray task, loading the model
there (`execution/tabular.py`). `fn` must be a module-level function (it is pickled by name) taking
(model adapter or None, payload, item indices) and returning a picklable piece.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

import numpy as np

PartFn = Callable[[Any, Any, np.ndarray], Any]  # (model adapter or None, payload, item indices) -> piece


class Mapper(Protocol):
    def __call__(self, fn: PartFn, model: Any, payload: Any, items: np.ndarray, min_items: int) -> list[tuple[np.ndarray, Any]]:
        """[(item indices, fn's piece for them)] over a partition of `items`, in item order."""
        ...


def local_map(fn: PartFn, model: Any, payload: Any, items: np.ndarray, min_items: int) -> list[tuple[np.ndarray, Any]]:
    """The default: every item in one call, here."""
    return [(items, fn(model, payload, items))]


_MAPPER: ContextVar[Mapper | None] = ContextVar("tianping_tabular_mapper", default=None)


@contextmanager
def mapping(mapper: Mapper) -> Iterator[None]:
    """Compute the row-parallel parts with `mapper` inside this block."""
    token = _MAPPER.set(mapper)
    try:
        yield
    finally:
        _MAPPER.reset(token)


def map_parts(fn: PartFn, model: Any, payload: Any, items: np.ndarray, *, min_items: int) -> list[tuple[np.ndarray, Any]]:
    """`fn` over `items` with the current mapper: [(item indices, piece)] in item order."""
    return (_MAPPER.get() or local_map)(fn, model, payload, np.asarray(items), min_items)


def split(items: np.ndarray, parts: int, min_items: int) -> list[np.ndarray]:
    """At most `parts` contiguous chunks of `items`, none smaller than `min_items` (so small work stays whole)."""
    count = max(1, min(parts, len(items) // max(1, min_items)))
    return [c for c in np.array_split(items, count) if len(c)] or [items]
