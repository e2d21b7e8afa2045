"""Fixtures of the importer tests (helpers in imp_helpers.py): a database with a registered system."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from imp_helpers import EXAMPLE, cli  # noqa: E402


@pytest.fixture
def db_path(tmp_path) -> Path:
    p = tmp_path / "imp.db"
    r = cli(p, "register", str(EXAMPLE))
    assert r.exit_code == 0, r.output
    return p
