"""Plug-ins: one mechanism through which rule packs, instruments, crosswalk mappings, checklists,
exporters, scorers, tabular tests and server run kinds are found.

Two ways in, as in Inspect and Datasette:

* **in-process**, a decorator registry::

      from tianping.plugins import register

      @register("exporters", "acme-register")
      def export_acme(system): ...

* **installed packages**, Python entry points in the group ``tianping.<kind>`` of the package's
  ``pyproject.toml``::

      [project.entry-points."tianping.packs"]
      acme = "acme_tianping:PACKS"        # a directory of pack YAML files (or one file, or a callable returning them)
      [project.entry-points."tianping.instruments"]
      acme = "acme_tianping:INSTRUMENTS"
      [project.entry-points."tianping.data"]
      acme = "acme_tianping"              # a data directory (a module: its folder) with packs/, instruments/, mappings/

Data directories can also be given without packaging, in ``TIANPING_PATH`` (directories separated by
the OS path separator), each with optional ``packs/``, ``instruments/`` and ``mappings/`` subfolders.

What each kind is:

==================  ===========================================================================
``packs``           rule pack YAML files (``rules/pack.py`` schema); loaded by ``default_packs()``
``instruments``     catalog instrument YAML files; loaded by ``default_catalog()``
``mappings``        crosswalk mapping YAML files (every instrument must take part in the crosswalk)
``checklists``      ``{instrument id: provision kind}`` (e.g. ``{"acme-standard": "control"}``): a
                    catalog instrument whose provisions of that kind form a process checklist
``exporters``       ``callable(AISystem) -> {"format", "document", "missing", ...}`` (registry/exports.py)
``scorers``         ``callable`` scoring one model reply (generative-AI evaluation)
``tabular_tests``   a tabular test suite (evaluation/tabular)
``run_kinds``       a server run kind (server/runs.py)
``data``            a data directory as above
==================  ===========================================================================

Everything derived from these lists is derived from the loaded data, never hard-coded: the
jurisdictions a questionnaire or the API accepts come from the packs (`jurisdictions()`), the
checklists from the catalog and the plug-ins (`checklists()`). The completeness rules an author must
meet (every field a pack reads has a question, every instrument is in the crosswalk, the field
reference is current) are checked by ``tianping catalog validate``.
"""

from __future__ import annotations

import inspect
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from .errors import Problem, TianpingError

KINDS = ("packs", "instruments", "mappings", "checklists", "exporters", "scorers", "tabular_tests", "run_kinds", "data")
GROUP_PREFIX = "tianping."
ENV_PATH = "TIANPING_PATH"
DATA_KINDS = ("packs", "instruments", "mappings")  # kinds that are YAML files (subfolders of a data directory)

_REGISTRY: dict[str, dict[str, Any]] = {k: {} for k in KINDS}


def group(kind: str) -> str:
    """The entry-point group of a kind, e.g. ``tianping.packs``."""
    _check_kind(kind)
    return GROUP_PREFIX + kind


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise TianpingError(Problem(f"unknown plug-in kind '{kind}' (known: {', '.join(KINDS)})", field="kind"), title="bad plug-in")


def register(kind: str, name: str | None = None, obj: Any = None) -> Any:
    """Register `obj` as a plug-in of `kind` under `name`; used bare it is a decorator::

        @register("exporters", "acme-register")
        def export_acme(system): ...

    For the data kinds (packs, instruments, mappings, data) `obj` is a path (file or directory)."""
    _check_kind(kind)

    def deco(o: Any) -> Any:
        key = name or getattr(o, "__name__", None) or str(o)
        _REGISTRY[kind][key] = o
        _clear_data_caches()
        return o

    if obj is not None:
        return deco(obj)
    return deco


def unregister(kind: str, name: str) -> None:
    _check_kind(kind)
    _REGISTRY[kind].pop(name, None)
    _clear_data_caches()


@lru_cache(maxsize=None)
def _entry_points(kind: str) -> tuple[tuple[str, Any], ...]:
    """(name, loaded object) of every installed entry point of the kind's group, loaded once per process."""
    from importlib.metadata import entry_points

    out = []
    for ep in sorted(entry_points(group=group(kind)), key=lambda e: e.name):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plug-in names itself instead of hiding
            raise TianpingError(Problem(f"plug-in '{ep.name}' ({ep.value}) in group {group(kind)} cannot be loaded: {exc}"),
                                title="broken plug-in") from None
        out.append((ep.name, obj))
    return tuple(out)


def registered(kind: str) -> dict[str, Any]:
    """Every plug-in of `kind`: registered in-process first, then installed entry points (a name
    registered in-process wins)."""
    _check_kind(kind)
    out = dict(_REGISTRY[kind])
    for name, obj in _entry_points(kind):
        out.setdefault(name, obj)
    return out


def _paths(obj: Any) -> list[Path]:
    """A plug-in object as paths: a path or string, a module (its folder), a callable returning
    either, or a list of them."""
    if inspect.ismodule(obj):
        return [Path(obj.__file__).parent] if getattr(obj, "__file__", None) else [Path(p) for p in getattr(obj, "__path__", [])]
    if isinstance(obj, (str, os.PathLike)):
        return [Path(obj)]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [p for o in obj for p in _paths(o)]
    if callable(obj):
        return _paths(obj())
    raise TianpingError(Problem(f"a data plug-in must be a path, a module, a callable or a list of them, not {type(obj).__name__}"),
                        title="bad plug-in")


def data_dirs() -> list[Path]:
    """Extra data directories: ``TIANPING_PATH`` (in order), then plug-ins of kind ``data``."""
    out: list[Path] = []
    for raw in os.environ.get(ENV_PATH, "").split(os.pathsep):
        if raw.strip():
            out.append(Path(raw.strip()).expanduser())
    for obj in registered("data").values():
        out += _paths(obj)
    return out


def files(kind: str) -> list[Path]:
    """The YAML files of a data kind (packs, instruments, mappings) contributed by plug-ins and
    ``TIANPING_PATH`` (the bundled ones are not included). A directory contributes its ``*.yaml``."""
    if kind not in DATA_KINDS:
        raise TianpingError(Problem(f"'{kind}' is not a data kind ({', '.join(DATA_KINDS)})"), title="bad plug-in")
    found: list[Path] = []
    for obj in registered(kind).values():
        for p in _paths(obj):
            found += sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    for d in data_dirs():
        sub = d / kind
        if sub.is_dir():
            found += sorted(sub.glob("*.yaml"))
    seen: dict[Path, None] = {}
    for p in found:
        if not p.is_file():
            raise TianpingError(Problem(f"{kind} plug-in file not found: {p}", file=str(p)), title="bad plug-in")
        seen.setdefault(p.resolve(), None)
    return list(seen)


def checklists() -> dict[str, str]:
    """Process checklists, ``{instrument id: provision kind}``: the bundled ones and the plug-ins'
    (only those whose instrument is in the loaded catalog). Plug-in checklists are also made known to
    ``assessment.checklists`` so that their items can be listed and answered."""
    from .assessment import checklists as cl
    from .catalog.loader import default_catalog

    cat = default_catalog()
    for name, kind in registered("checklists").items():
        spec = kind() if callable(kind) else kind
        for iid, pkind in (spec.items() if isinstance(spec, dict) else [(name, spec)]):
            if iid in cat.instruments:
                cl.CHECKLISTS.setdefault(iid, str(pkind))
    return {k: v for k, v in cl.CHECKLISTS.items() if k in cat.instruments}


def jurisdictions() -> list[str]:
    """Every code a loaded rule pack names (its jurisdiction and the codes it covers), sorted: the
    jurisdictions a questionnaire can ask about."""
    from .rules.pack import default_packs

    codes: set[str] = set()
    for lp in default_packs():
        codes.add(lp.pack.jurisdiction)
        codes.update(lp.pack.covers)
    return sorted(codes)


def _clear_data_caches() -> None:
    """Forget what was loaded from the plug-ins (packs, catalog), so the next use sees the change."""
    import sys

    pack_mod = sys.modules.get("tianping.rules.pack")
    if pack_mod is not None:
        pack_mod.default_packs.cache_clear()
        getattr(pack_mod, "pack_files", None) and pack_mod.pack_files.cache_clear()
    loader = sys.modules.get("tianping.catalog.loader")
    if loader is not None:
        loader.default_catalog.cache_clear()


def reload() -> None:
    """Re-read entry points and ``TIANPING_PATH`` (e.g. after installing a plug-in in a running process)."""
    _entry_points.cache_clear()
    _clear_data_caches()


def describe() -> dict[str, list[str]]:
    """The plug-ins found, per kind (names), and the extra data directories."""
    out = {k: sorted(registered(k)) for k in KINDS}
    out["TIANPING_PATH"] = [str(p) for p in data_dirs() if p not in [q for o in registered("data").values() for q in _paths(o)]]
    return out


def plugin_callable(kind: str, name: str) -> Callable[..., Any]:
    obj = registered(kind).get(name)
    if obj is None:
        raise TianpingError(Problem(f"no {kind} plug-in named '{name}' (known: {', '.join(sorted(registered(kind))) or 'none'})"),
                            title="unknown plug-in")
    return obj
