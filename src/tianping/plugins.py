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
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

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
        raise TianpingError(
            Problem(f"unknown plug-in kind '{kind}' (known: {', '.join(KINDS)})", field="kind"), title="bad plug-in"
        )


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


def _search_path_key() -> str | None:
    """The digest naming the "no Tianping entry points" record for this interpreter's search path.

    Installing, upgrading or removing a distribution adds or removes its `*.dist-info` folder in a
    sys.path folder, which changes that folder's modification time; so the path's folders and their
    modification times name what is installed. None when records are off (TIANPING_YAML_CACHE=0).
    """
    import sys

    from .yamlio import record_key

    parts = []
    for entry in sys.path:
        folder = entry or os.getcwd()
        try:
            st = os.stat(folder)
            parts.append(f"{folder}\0{st.st_ino}\0{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}\0-")
    return record_key("entry-points", [], ("tianping.plugins",), salt="\n".join(parts))


@cache
def _installed_entry_points() -> tuple[Any, ...]:
    """Every installed entry point of Tianping's groups, read once per process.

    Why the record: reading entry points imports importlib.metadata and reads the entry-point file of
    every installed distribution once per group (~25-30 ms of a `classify`); most installs have no
    Tianping plug-in at all, so when a scan found none, a record under `_search_path_key()` says so
    and the next process on the same, unchanged search path skips the scan.
    """
    from .yamlio import read_record, write_record

    key = _search_path_key()
    if key is not None and read_record(key) == {"tianping_entry_points": 0}:
        return ()
    from importlib.metadata import entry_points

    installed = entry_points()  # one pass over the installed distributions, each counted once, for every group
    found = tuple(ep for g in sorted(installed.groups) if g.startswith(GROUP_PREFIX) for ep in installed.select(group=g))
    if not found and key is not None:
        write_record(key, {"tianping_entry_points": 0})
    return found


@cache
def _entry_points(kind: str) -> tuple[tuple[str, Any], ...]:
    """(name, loaded object) of every installed entry point of the kind's group, loaded once per process."""
    out = []
    seen: dict[str, str] = {}
    wanted = group(kind)
    for ep in sorted((e for e in _installed_entry_points() if e.group == wanted), key=lambda e: e.name):
        where = _ep_where(ep)
        if ep.name in seen:
            if seen[ep.name] == ep.value:  # the same package seen twice on the path (e.g. an editable install)
                continue
            raise TianpingError(
                Problem(f"two plug-ins are named '{ep.name}' in group {group(kind)}: {seen[ep.name]} and {where}", field=ep.name),
                title="bad plug-in",
            )
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plug-in names itself instead of hiding
            raise TianpingError(
                Problem(
                    f"plug-in '{ep.name}' ({where}) in group {group(kind)} cannot be loaded: {type(exc).__name__}: {exc}",
                    field=ep.name,
                ),
                title="broken plug-in",
            ) from None
        seen[ep.name] = ep.value
        _ORIGINS[(kind, ep.name)] = f"entry point {where}"
        out.append((ep.name, obj))
    return tuple(out)


_ORIGINS: dict[tuple[str, str], str] = {}


def _ep_where(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    pkg = f", package {dist.metadata['Name']} {dist.version}" if dist is not None and dist.metadata else ""
    return f"{ep.name} = {ep.value}{pkg}"


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
        file = getattr(obj, "__file__", None)
        return [Path(file).parent] if file else [Path(p) for p in getattr(obj, "__path__", [])]
    if isinstance(obj, (str, os.PathLike)):
        return [Path(obj)]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [p for o in obj for p in _paths(o)]
    if callable(obj):
        return _paths(obj())
    raise TianpingError(
        Problem(f"a data plug-in must be a path, a module, a callable or a list of them, not {type(obj).__name__}"),
        title="bad plug-in",
    )


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
        for iid, pkind in spec.items() if isinstance(spec, dict) else [(name, spec)]:
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
    _installed_entry_points.cache_clear()
    _clear_data_caches()


def describe() -> dict[str, list[str]]:
    """The plug-ins found, per kind (names), and the extra data directories."""
    out = {k: sorted(registered(k)) for k in KINDS}
    out["TIANPING_PATH"] = [str(p) for p in data_dirs() if p not in [q for o in registered("data").values() for q in _paths(o)]]
    return out


def origin(kind: str, name: str) -> str:
    """Where the plug-in `name` of `kind` comes from, for messages: its entry point (name = module:attr,
    package and version), or the module and line of an object registered in-process."""
    obj = _REGISTRY[kind].get(name)
    if obj is None:
        registered(kind)  # loads the entry points, which record their origin
        return _ORIGINS.get((kind, name), "unknown origin")
    return "registered in-process" + (f" at {where}" if (where := _source(obj)) else "")


def _source(obj: Any) -> str | None:
    """`file:line` where a function or class is defined (None when it cannot be told)."""
    try:
        target = obj if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj) else type(obj)
        file = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        return None
    return f"{file}:{line}" if file else None


def checked(kind: str, builtin: Any, check: Callable[[str, Any], str | None]) -> dict[str, Any]:
    """The plug-ins of `kind` that the engine using them can trust, ``{name: object}``.

    `builtin` holds the built-in names (a mapping or a collection): a plug-in may never take one of
    them (it would shadow the built-in, or be shadowed by it, silently). `check(name, obj)` returns
    why an object is not usable (wrong type or signature) or None. Every problem is raised together,
    each naming the plug-in and where it comes from (entry point and package, or file and line)."""
    found = registered(kind)
    taken = set(builtin)
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for name, obj in found.items():
        where = origin(kind, name)
        if name in taken:
            problems.append(
                Problem(f"{kind} plug-in '{name}' ({where}) has the name of a built-in one; choose another name", field=name)
            )
            continue
        why = check(name, obj)
        if why:
            problems.append(Problem(f"{kind} plug-in '{name}' ({where}) {why}", field=name))
            continue
        out[name] = obj
    if problems:
        raise TianpingError(problems, title="bad plug-in")
    return out


def takes_positional(obj: Any, n: int) -> str | None:
    """None when `obj` is callable with `n` positional arguments, else why not (for `checked`)."""
    if not callable(obj):
        return f"is of type {type(obj).__name__}, not a callable"
    try:
        inspect.signature(obj).bind(*([None] * n))
    except TypeError as exc:
        return f"cannot be called with {n} positional argument(s): {exc}"
    except ValueError:  # no signature (some builtins): trust it
        return None
    return None


def server_run_kinds(existing: dict[str, Any]) -> list[Any]:
    """The server run kinds of the plug-ins (``tianping.run_kinds``), checked against `existing`
    (the kinds registered so far, by name). A plug-in object is a ``tianping.server.runs.RunKind``
    (or a callable returning one) whose job kind has a handler (``@job_handler``, e.g. in the same
    module) and takes neither the name nor the job kind of a kind registered before it."""
    from .server.jobs import HANDLERS
    from .server.runs import RunKind

    taken_jobs = {getattr(k, "job_kind", None) for k in existing.values()}
    kinds: list[Any] = []

    def check(name: str, obj: Any) -> str | None:
        if not isinstance(obj, RunKind) and callable(obj):
            try:
                obj = obj()
            except Exception as exc:  # noqa: BLE001 - a broken plug-in names itself
                return f"failed to build its run kind: {type(exc).__name__}: {exc}"
        if not isinstance(obj, RunKind):
            return f"is of type {type(obj).__name__}, not a tianping.server.runs.RunKind"
        if obj.name in existing:
            return f"declares the run kind '{obj.name}', which exists already"
        if obj.job_kind in taken_jobs:
            return f"uses the job kind '{obj.job_kind}' of an existing run kind"
        if obj.job_kind not in HANDLERS:
            return f"has no job handler for job kind '{obj.job_kind}' (register one with tianping.server.jobs.job_handler)"
        kinds.append(obj)
        return None

    checked("run_kinds", existing, check)
    return kinds


def plugin_callable(kind: str, name: str) -> Callable[..., Any]:
    obj = registered(kind).get(name)
    if obj is None:
        raise TianpingError(
            Problem(f"no {kind} plug-in named '{name}' (known: {', '.join(sorted(registered(kind))) or 'none'})"),
            title="unknown plug-in",
        )
    return obj
