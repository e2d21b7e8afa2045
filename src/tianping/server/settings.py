"""Server settings: one dataclass, filled from arguments or `TIANPING_*` environment variables.

Why a dataclass and not a settings framework: the server has a handful of knobs, and tests
need to build an app with different values side by side (no global state).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ..config import data_home


def _secret_key() -> str:
    """TIANPING_SECRET_KEY, else a random key kept in the data home (owner-only), so sessions
    survive a restart without anyone having to configure a secret."""
    env = os.environ.get("TIANPING_SECRET_KEY")
    if env:
        return env
    path = data_home() / "server-secret"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass
class ServerSettings:
    db_url: str | None = None
    secret_key: str = field(default_factory=_secret_key)
    # the background worker; tests of the API alone may switch it off
    run_worker: bool = True
    worker_poll_seconds: float = field(default_factory=lambda: _env_float("TIANPING_JOB_POLL", 0.5))
    job_lease_seconds: float = field(default_factory=lambda: _env_float("TIANPING_JOB_LEASE", 30.0))
    session_max_age: int = 12 * 3600
    secure_cookies: bool = field(default_factory=lambda: os.environ.get("TIANPING_SECURE_COOKIES", "") == "1")
    # login rate limit: failures per window per user name and per client address
    login_window_seconds: int = 15 * 60
    login_max_failures_user: int = 5
    login_max_failures_ip: int = 30
    # feedback rate limit per client address
    feedback_per_hour: int = 10
    report_pdf: bool = field(default_factory=lambda: os.environ.get("TIANPING_REPORT_PDF", "") == "1")
    keys_dir: Path | None = None
