"""Fixtures of the observatory tests: a database holding the shared WDI extracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from obs_paths import SHARED, WDI, WDI_FILES  # noqa: F401  (re-exported for fixtures)


@pytest.fixture(scope="session")
def wdi_db(tmp_path_factory):
    """One migrated SQLite database with the four shared WDI series imported (read-only use)."""
    if not all(p.exists() for p in WDI_FILES):
        pytest.skip("shared WDI data not available")
    from tianping.observatory.importers import import_wdi
    from tianping.observatory.store import IndicatorStore
    from tianping.store import open_database

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('obs') / 'wdi.db'}")
    store = IndicatorStore(db)
    for f in WDI_FILES:
        import_wdi(store, f)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def ram_run(wdi_db):
    from tianping.observatory.service import Observatory

    return Observatory(wdi_db).run("unesco-ram", draws=100, sensitivity_years=[2021])
