"""An interrupt (Ctrl-C, SIGTERM) that is never lost.

Python raises the KeyboardInterrupt of a signal handler in whatever Python code runs at that moment.
When that is a weakref callback or a `__del__` (garbage collection runs them at any allocation),
the interpreter prints "Exception ignored" and carries on: the command would finish, store its run
and exit 0 as if nobody had asked it to stop. So an interrupt is first *noted* here; a swallowed one
stays pending, is delivered again a moment later, and every commit point (`Database.session`, the
atomic writers in `tianping.outputs`) calls `check()` so nothing lands while one is pending.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

_STATE: dict[str, Any] = {"signal": None, "pending": False, "timer": None}
REDELIVER_AFTER_S = 0.05


def note(signum: int) -> None:
    """A signal's handler runs and is about to raise: remember which signal (the exit code says it);
    whatever was pending is being delivered now (if this raise is swallowed too, it becomes pending again)."""
    acted_on()
    _STATE["signal"] = signum


def last_signal() -> int | None:
    return _STATE["signal"]


def pending() -> bool:
    return bool(_STATE["pending"])


def acted_on() -> None:
    """The KeyboardInterrupt reached the command: nothing left to deliver."""
    _STATE["pending"] = False
    timer = _STATE.pop("timer", None)
    if timer is not None:
        timer.cancel()
    _STATE["timer"] = None


def reset() -> None:
    acted_on()
    _STATE["signal"] = None


def check() -> None:
    """Raise the pending interrupt here (a commit point), so a swallowed one cannot let a write land."""
    if _STATE["pending"]:
        acted_on()
        raise KeyboardInterrupt


def _redeliver() -> None:
    # no longer pending once re-sent: the handler raises again (and if that raise is swallowed too, the
    # hook marks it pending again), so the command's own clean-up after the interrupt can commit
    if _STATE["pending"] and _STATE["signal"] is not None:
        _STATE["pending"] = False
        os.kill(os.getpid(), _STATE["signal"])


class unraisable_guard:
    """While active, a KeyboardInterrupt the interpreter had to ignore (raised inside a finaliser) is
    not printed as a traceback but kept pending and re-sent to this process shortly after."""

    def __enter__(self) -> unraisable_guard:
        self._old = sys.unraisablehook
        sys.unraisablehook = self._hook
        return self

    def _hook(self, info: Any) -> None:
        if info.exc_type is not None and issubclass(info.exc_type, KeyboardInterrupt):
            if _STATE["signal"] is None:
                import signal

                _STATE["signal"] = int(signal.SIGINT)
            _STATE["pending"] = True
            timer = threading.Timer(REDELIVER_AFTER_S, _redeliver)
            timer.daemon = True
            _STATE["timer"] = timer
            timer.start()
            return
        self._old(info)

    def __exit__(self, *exc: object) -> None:
        sys.unraisablehook = self._old
