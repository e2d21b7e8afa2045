"""What the three drivers share: CPU accounting and the common command line. Plain stdlib, because
each driver runs in its own virtualenv (Tianping's, or the peers' without Tianping installed)."""

from __future__ import annotations

import argparse
import resource


def cpu() -> float:
    """User + system CPU seconds of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def base_parser(*, prompts: bool = True) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    if prompts:
        ap.add_argument("--prompts", required=True)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workdir", required=True)
    return ap
