"""Paths of the shared World Bank series used by the observatory tests (a uniquely named module, so
test files can import it without colliding with other directories' conftest modules)."""

from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
WDI = SHARED / "country_indicators"
WDI_FILES = [WDI / f"wdi_jerosmith_{c}.csv" for c in ("IT.NET.USER.ZS", "IT.NET.BBND.P2", "SE.ADT.LITR.ZS", "SP.POP.TOTL")]
