"""The combined SHA-256 of the bundled catalog's data files (no database, no models imported).

`catalog.sync` stores it beside the database copy of the catalog; the CLI's fast reads compare it
with the stored value to know that copy is current without importing SQLAlchemy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
HASH_KEY = "data_hash"


def data_hash(data_dir: Path = DATA_DIR) -> str:
    h = hashlib.sha256()
    for path in sorted(Path(data_dir).rglob("*.yaml")):
        h.update(str(path.relative_to(data_dir)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()
