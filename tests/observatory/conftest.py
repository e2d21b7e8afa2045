"""Fixtures of the observatory tests: a database holding the shared WDI extracts."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
WDI = SHARED / "country_indicators"
WDI_FILES = [WDI / f"wdi_jerosmith_{c}.csv" for c in ("IT.NET.USER.ZS", "IT.NET.BBND.P2", "SE.ADT.LITR.ZS", "SP.POP.TOTL")]


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
