"""Decorator registries for suites, attacks, scorers and targets (the Inspect pattern).

A new suite, attack, scorer or adapter is a small function with a decorator; the runner looks
names up here and never imports plugins by name. Unknown names raise `TianpingError` listing
what is known, so a typo on the command line gives a clear message rather than a traceback.
"""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

from ...errors import TianpingError

T = TypeVar("T", bound=Callable)


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._docs: dict[str, str] = {}

    def register(self, name: str, doc: str | None = None) -> Callable[[T], T]:
        def deco(fn: T) -> T:
            if name in self._items and self._items[name] is not fn:
                raise ValueError(f"{self.kind} '{name}' registered twice")
            self._items[name] = fn
            self._docs[name] = doc or (fn.__doc__ or "").strip().splitlines()[0] if (doc or fn.__doc__) else ""
            return fn

        return deco

    def get(self, name: str) -> T:
        _load_builtins()
        try:
            return self._items[name]
        except KeyError:
            raise TianpingError(f"unknown {self.kind} '{name}' (known: {', '.join(self.names())})", title=f"unknown {self.kind}") from None

    def names(self) -> list[str]:
        _load_builtins()
        return sorted(self._items)

    def describe(self) -> dict[str, str]:
        _load_builtins()
        return {n: self._docs.get(n, "") for n in sorted(self._items)}


suites: Registry = Registry("suite")
attacks: Registry = Registry("attack")
scorers: Registry = Registry("scorer")
targets: Registry = Registry("target")

suite = suites.register
attack = attacks.register
scorer = scorers.register
target = targets.register

_LOADED = False


def _load_builtins() -> None:
    """Import the modules whose decorators register the built-in plugins (once)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from . import attacks as _a  # noqa: F401
    from . import scorers as _s  # noqa: F401
    from . import suites as _u  # noqa: F401
    from .adapters import factories as _f  # noqa: F401
