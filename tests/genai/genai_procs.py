"""Driving `tianping eval` in real subprocesses (for kill -9 and concurrent-resume tests)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

TIANPING = [sys.executable, "-c", "from tianping.cli.main import run; run()"]


def count_samples(db: Path) -> int:
    """Samples stored so far (0 while the database does not exist yet)."""
    try:
        with sqlite3.connect(db, timeout=5) as c:
            return c.execute("select count(*) from genai_samples").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def start_slow_run(db: Path, out: Path, env: dict, concurrency: int) -> subprocess.Popen:
    """Start a run against the stub's slow model and wait no longer than needed."""
    cmd = TIANPING + ["--db", str(db), "eval", "run", "--target", "openai:slow", "--suite", "tc260-seeds", "--lang", "zh,en",
                      "--concurrency", str(concurrency), "--out", str(out), "--json"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_samples(proc: subprocess.Popen, db: Path, n: int, timeout: float = 120) -> None:
    """Wait until the run has stored n samples (or ended, or timed out)."""
    deadline = time.time() + timeout
    while count_samples(db) < n and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)


def base_env(stub_url: str, home: Path) -> dict:
    return {**os.environ, "TIANPING_OPENAI_BASE_URL": stub_url, "TIANPING_HOME": str(home)}
