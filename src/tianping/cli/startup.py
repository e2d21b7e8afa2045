"""Process settings of the `tianping` command that make it start faster (issue 19 item 4).

Applied by `cli/main.py` before Typer, Rich or pydantic are imported. Each one leaves what a command
computes unchanged; each is measured in docs/benchmarks.md ("Start-up").
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import types
from typing import Any

PLUGIN_LOADER = "pydantic.plugin._loader"


def pause_gc_during_start_up(seconds: float = 1.0) -> None:
    """No cyclic garbage collection in a command's first second.

    Why: start-up imports Typer, Rich, pydantic, numpy… and builds the catalog's and the rules' models:
    hundreds of thousands of objects that all survive, so every pass of the collector over them in that
    time is wasted (`classify` 0.44 -> 0.39 s of CPU). A command that runs longer (a server, a long test)
    gets the collector back after `seconds`, and a forked child gets it at once, so memory held by
    reference cycles stays bounded. Nothing is done if the collector was already off (whoever turned it
    off decides).
    """
    if not gc.isenabled():
        return
    gc.disable()
    os.register_at_fork(after_in_child=gc.enable)
    timer = threading.Timer(seconds, gc.enable)
    timer.daemon = True
    timer.start()


def skip_pydantic_plugins() -> None:
    """Tianping uses no pydantic plugins: don't look for them.

    Looking them up scans the entry points of every installed distribution (~7-15 ms per command in a
    full install), and even with the lookup disabled (PYDANTIC_DISABLE_PLUGINS) pydantic imports its
    plugin loader, whose `importlib.metadata` import brings in email, zipfile, csv… (~12 ms). So the
    variable is set unless the user set it, and while it disables every plugin the loader is a module
    whose `get_plugins()` returns none — what pydantic's own loader returns when disabled. Any other
    name asked of it comes from the real loader. A user who wants plugins (e.g. an observability one)
    sets PYDANTIC_DISABLE_PLUGINS="" (or to the names of the plugins to leave out).
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] not in ("1", "true", "__all__") or PLUGIN_LOADER in sys.modules:
        return
    loader = types.ModuleType(PLUGIN_LOADER, "Stands in for pydantic's plugin loader while every plugin is disabled.")

    def get_plugins(*_args: Any, **_kwargs: Any) -> tuple[()]:
        return ()

    def __getattr__(name: str) -> Any:  # noqa: N807 - a module's __getattr__ (PEP 562)
        if name.startswith("__"):  # the import system asks for __path__ etc.: a plain module has none
            raise AttributeError(name)
        import importlib.machinery
        import importlib.util

        import pydantic.plugin

        spec = importlib.machinery.PathFinder.find_spec(PLUGIN_LOADER, list(pydantic.plugin.__path__))
        if spec is None or spec.loader is None:
            raise AttributeError(name)
        real = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(real)
        return getattr(real, name)

    loader.__dict__.update(get_plugins=get_plugins, __getattr__=__getattr__)
    sys.modules[PLUGIN_LOADER] = loader


def short_blas_spin() -> None:
    """numpy's OpenBLAS threads sleep after 2^16 idle cycles (~25 µs) instead of spinning for 2^28 (~0.1 s).

    Why: OpenBLAS starts its thread pool when numpy is imported, and the idle threads spin before they
    sleep; on a 2-core machine that spinning took ~50 ms of CPU from every command importing numpy (the
    fairness run: 0.56 -> 0.50 s of CPU), CPU the command's own threads need. BLAS keeps all its threads
    for real work. Read by OpenBLAS when it loads; a value the user set is kept.
    """
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "16")


def skip_collection_at_exit() -> None:
    """Leave what the command built to the operating system instead of a last garbage collection.

    Why: when the interpreter exits it runs a full cyclic collection over every object still alive:
    the modules, the catalog's and the rules' models, numpy and onnxruntime state (~30-45 ms of a
    `classify` that takes ~0.3 s; measured in docs/benchmarks.md). `gc.freeze()` moves them to the
    permanent generation, which that collection skips; the process frees its memory by exiting.
    Everything else about exit is unchanged: atexit handlers run (logging, temporary folders,
    Ray), modules are torn down and open files flushed and closed by reference counting. Only
    finalizers of objects in unreachable reference cycles are not run, which Python never promises
    at exit. Called by the console script (`cli.main.run`) only, never in a process that goes on.
    """
    gc.freeze()


def apply() -> None:
    pause_gc_during_start_up()
    skip_pydantic_plugins()
    short_blas_spin()
