"""A read-only sqlite3 connection to the store, for commands that only read a few rows.

Why: opening the store (`tianping.store`) imports SQLAlchemy, ~0.1 s of a short command's start-up. The
catalog browse commands (catalog/reader.py) and `catalog changes` (monitor/changes.py) read a SQLite store
with the standard library instead, when it has what they need; otherwise they open the store as usual.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path


def open_sqlite_readonly(db_url: str, usable: Callable[[sqlite3.Connection], bool]) -> sqlite3.Connection | None:
    """A read-only connection when `db_url` names an existing SQLite file and `usable(connection)` says it holds
    what the caller reads; None otherwise (another database, no file, not a database, a missing table or an
    outdated copy: the caller then opens the store)."""
    if not db_url.startswith("sqlite:///"):
        return None
    path = Path(db_url[len("sqlite:///") :])
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        ok = usable(con)
    except sqlite3.Error:  # not a database, or without the table or columns the caller reads
        ok = False
    if not ok:
        con.close()
        return None
    return con
