"""Where Tianping keeps its data, and which database it talks to.

Resolution order for the database URL: an explicit `--db` value, then `TIANPING_DB_URL`,
then a SQLite file in the user data directory (`platformdirs`), overridable as a whole with
`TIANPING_HOME`.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def data_home() -> Path:
    home = os.environ.get("TIANPING_HOME")
    path = Path(home) if home else Path(user_data_dir("tianping", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(explicit: str | None = None) -> str:
    if explicit:
        return _normalise(explicit)
    env = os.environ.get("TIANPING_DB_URL")
    if env:
        return _normalise(env)
    return f"sqlite:///{data_home() / 'tianping.db'}"


def _normalise(url: str) -> str:
    """Accept a bare file path for SQLite and plain postgresql:// URLs (use psycopg 3)."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
