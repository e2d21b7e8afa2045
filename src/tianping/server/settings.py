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


def _env_list(name: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, "").split(",") if x.strip()]


@dataclass
class ServerSettings:
    db_url: str | None = None
    secret_key: str = field(default_factory=_secret_key, repr=False)
    # the background worker; tests of the API alone may switch it off
    run_worker: bool = True
    worker_poll_seconds: float = field(default_factory=lambda: _env_float("TIANPING_JOB_POLL", 0.5))
    job_lease_seconds: float = field(default_factory=lambda: _env_float("TIANPING_JOB_LEASE", 30.0))
    session_max_age: int = 12 * 3600
    secure_cookies: bool = field(default_factory=lambda: os.environ.get("TIANPING_SECURE_COOKIES", "") == "1")
    # login throttling (security.LoginLimiter): failures within the window are counted per
    # (user name, address), per address and per user name; past the free attempts each further
    # one waits twice as long as the last (base, 2×base, 4×base, … up to the cap). The account-wide
    # count has a high threshold and a short cap, so a password spray slows the sprayer down but
    # never locks a user out of their own account for long.
    login_window_seconds: int = 15 * 60
    login_free_pair: int = 5
    login_free_ip: int = 20
    login_free_user: int = 20
    login_backoff_base_seconds: float = 10.0
    login_backoff_cap_seconds: float = 15 * 60
    login_backoff_cap_user_seconds: float = 60.0
    # addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto
    # are believed; default none: the peer address is the client (TIANPING_TRUSTED_PROXIES, comma-separated)
    trusted_proxies: list[str] = field(default_factory=lambda: _env_list("TIANPING_TRUSTED_PROXIES"))
    # Strict-Transport-Security on https requests (direct TLS or https from a trusted proxy)
    hsts_seconds: int = 365 * 86400
    # feedback rate limit per client address
    feedback_per_hour: int = 10
    report_pdf: bool = field(default_factory=lambda: os.environ.get("TIANPING_REPORT_PDF", "") == "1")
    keys_dir: Path | None = None
    # the monitor: re-classify every system at start-up and then every N hours, auditing changed
    # classifications (TIANPING_RECLASSIFY_HOURS; 0 turns the scheduled job off)
    reclassify_hours: float = field(default_factory=lambda: _env_float("TIANPING_RECLASSIFY_HOURS", 24.0))
    # evaluation runs: the "demo (simulated)" stub kind is off unless asked for
    demo_runs: bool = field(default_factory=lambda: os.environ.get("TIANPING_DEMO_RUNS", "") == "1")
    # execution backend for real runs: local (default, in the server's worker) or ray
    backend: str = field(default_factory=lambda: os.environ.get("TIANPING_BACKEND", "local"))
    ray_address: str | None = field(default_factory=lambda: os.environ.get("TIANPING_RAY_ADDRESS") or None)
    ray_actors: int = field(default_factory=lambda: int(os.environ.get("TIANPING_RAY_ACTORS", "2")))
    # Fernet key(s) for endpoint credentials; None: derived from secret_key (see execution/credentials.py)
    credentials_key: str | None = field(default_factory=lambda: os.environ.get("TIANPING_CREDENTIALS_KEY") or None, repr=False)
    uploads_dir: Path | None = field(
        default_factory=lambda: Path(os.environ["TIANPING_UPLOADS_DIR"]) if os.environ.get("TIANPING_UPLOADS_DIR") else None
    )
    max_upload_bytes: int = field(
        default_factory=lambda: int(float(os.environ.get("TIANPING_MAX_UPLOAD_MB", "200")) * 1024 * 1024)
    )
    # uploads are deleted this long after their last use (upload, run request, end of the last run
    # naming them), never while such a run may still resume; 0 keeps them for ever (server/uploads.py)
    upload_retention_days: float = field(default_factory=lambda: _env_float("TIANPING_UPLOAD_RETENTION_DAYS", 7.0))
    upload_sweep_hours: float = field(default_factory=lambda: _env_float("TIANPING_UPLOAD_SWEEP_HOURS", 6.0))
    # the bundled local model as a generative target (off on servers without the model or the memory)
    local_model_runs: bool = field(default_factory=lambda: os.environ.get("TIANPING_LOCAL_MODEL_RUNS", "1") == "1")
