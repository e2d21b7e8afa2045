"""Decorator registries for suites, attacks, scorers and targets (the Inspect pattern).

A new suite, attack, scorer or adapter is a small function with a decorator; the runner looks
names up here and never imports plugins by name. Unknown names raise `TianpingError` listing
what is known, so a typo on the command line gives a clear message rather than a traceback.

Scorers also come from plug-ins (`tianping.plugins`): ``@tianping.plugins.register("scorers",
name)`` in-process, or the entry-point group ``tianping.scorers`` of an installed package. A
plug-in scorer is the same ``fn(sample, response, ctx) -> Score`` (sync or async) as a built-in
one. A plug-in that cannot be imported, is not such a callable, or takes a built-in's name is a
`TianpingError` naming it and where it comes from, never a traceback and never a silent shadow.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ...errors import TianpingError

T = TypeVar("T", bound=Callable)


class Registry(Generic[T]):
    def __init__(
        self, kind: str, plugin_kind: str | None = None, arity: int = 1, wrap: Callable[[str, Any], Any] | None = None
    ) -> None:
        self.kind = kind
        self.plugin_kind = plugin_kind  # the tianping.plugins kind whose plug-ins join the built-ins
        self.arity = arity  # positional arguments a plug-in must accept
        self.wrap = wrap  # (name, plug-in) -> the callable used in its place (checks what it returns)
        self._items: dict[str, T] = {}
        self._docs: dict[str, str] = {}
        self._wrapped: dict[tuple[str, int], Any] = {}
        self._plugins_key: tuple[tuple[str, int], ...] | None = None
        self._plugins_cache: dict[str, Any] = {}

    def register(self, name: str, doc: str | None = None) -> Callable[[T], T]:
        def deco(fn: T) -> T:
            if name in self._items and self._items[name] is not fn:
                raise ValueError(f"{self.kind} '{name}' registered twice")
            self._items[name] = fn
            self._docs[name] = doc or (fn.__doc__ or "").strip().splitlines()[0] if (doc or fn.__doc__) else ""
            return fn

        return deco

    def plugins(self) -> dict[str, Any]:
        """The plug-ins of this registry's kind, checked (see `tianping.plugins.checked`), as used."""
        _load_builtins()
        if self.plugin_kind is None:
            return {}
        from ... import plugins as _plugins

        key = tuple(sorted((n, id(o)) for n, o in _plugins.registered(self.plugin_kind).items()))
        if key == self._plugins_key:  # the same plug-ins as at the last lookup: already checked
            return self._plugins_cache
        found = _plugins.checked(self.plugin_kind, self._items, lambda _n, obj: _plugins.takes_positional(obj, self.arity))
        out = {}
        for name, obj in found.items():
            wkey = (name, id(obj))
            if wkey not in self._wrapped:
                self._wrapped[wkey] = self.wrap(name, obj) if self.wrap else obj
            out[name] = self._wrapped[wkey]
        self._plugins_key, self._plugins_cache = key, out
        return out

    def get(self, name: str) -> T:
        _load_builtins()
        extra = self.plugins()  # checked on every lookup: a plug-in that takes a built-in's name is an error
        if name in self._items:
            return self._items[name]
        if name in extra:
            return extra[name]
        raise TianpingError(f"unknown {self.kind} '{name}' (known: {', '.join(self.names())})", title=f"unknown {self.kind}")

    def names(self) -> list[str]:
        _load_builtins()
        return sorted([*self._items, *self.plugins()])

    def describe(self) -> dict[str, str]:
        _load_builtins()
        docs = dict(self._docs)
        for name, obj in self.plugins().items():
            doc = (getattr(obj, "__doc__", None) or "").strip()
            docs[name] = doc.splitlines()[0] if doc else ""
        return {n: docs.get(n, "") for n in self.names()}


def _checked_scorer(name: str, fn: Any) -> Any:
    """A plug-in scorer that must return a `Score`: anything else is a clear error for that reply
    (recorded in its score, like any scorer failure), naming the plug-in."""
    from ... import plugins as _plugins
    from .schema import Score

    def check(res: Any) -> Any:
        if not isinstance(res, Score):
            raise TypeError(
                f"scorer plug-in '{name}' ({_plugins.origin('scorers', name)}) returned an object of type "
                f"{type(res).__name__}, not a tianping.evaluation.genai.schema.Score"
            )
        return res

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(sample: Any, response: str, ctx: Any) -> Any:
            return check(await fn(sample, response, ctx))

        return run_async

    @functools.wraps(fn)
    def run(sample: Any, response: str, ctx: Any) -> Any:
        res = fn(sample, response, ctx)
        if inspect.isawaitable(res):

            async def later() -> Any:
                return check(await res)

            return later()
        return check(res)

    return run


suites: Registry = Registry("suite")
attacks: Registry = Registry("attack")
scorers: Registry = Registry("scorer", plugin_kind="scorers", arity=3, wrap=_checked_scorer)
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
