"""Indicator store: import observations and read them back as a NumPy cube.

Upserts go through the dialect's INSERT … ON CONFLICT so re-importing a newer extract replaces
values in place (SQLite and PostgreSQL alike) in one transaction: a bad file leaves nothing
half-imported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from ..errors import TianpingError
from ..store import Database
from ..store.models import Base
from .indicators import builtin_indicators
from .models import IndicatorRow, IndicatorValueRow

_BATCH = 2000


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class Observation:
    indicator: str
    country: str
    year: int
    value: float
    source: str
    licence: str


@dataclass
class ImportReport:
    """What an import did, including everything it skipped and why (nothing is dropped silently)."""

    file: str
    rows_read: int = 0
    values_stored: int = 0
    missing_values: int = 0
    skipped_aggregates: dict[str, str] = field(default_factory=dict)  # code -> name (regions, income groups…)
    skipped_unknown: dict[str, int] = field(default_factory=dict)
    indicators: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "rows_read": self.rows_read,
            "values_stored": self.values_stored,
            "missing_values": self.missing_values,
            "indicators": self.indicators,
            "skipped_aggregates": len(self.skipped_aggregates),
            "skipped_unknown_countries": self.skipped_unknown,
        }


def _table(row_class: type[Base]) -> Table:
    """The table a row class maps, typed as one (SQLAlchemy types `__table__` as any FromClause)."""
    table = row_class.__table__
    assert isinstance(table, Table)
    return table


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    for i in range(0, len(rows), _BATCH):
        batch = rows[i : i + _BATCH]
        # the two dialects' INSERT … ON CONFLICT are different classes with the same interface
        if postgres:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            pg = pg_insert(table).values(batch)
            pg_cols = {c: pg.excluded[c] for c in rows[0] if c not in keys}
            session.execute(pg.on_conflict_do_update(index_elements=keys, set_=pg_cols))
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            lite = sqlite_insert(table).values(batch)
            lite_cols = {c: lite.excluded[c] for c in rows[0] if c not in keys}
            session.execute(lite.on_conflict_do_update(index_elements=keys, set_=lite_cols))


def _column_names(en: str, zh: str) -> dict[str, str]:
    """The language map of an indicator stored with the table's two name columns (English, Chinese)."""
    return {"en": en, "zh": zh}


class IndicatorStore:
    def __init__(self, db: Database):
        self.db = db

    def write(
        self,
        observations: Iterable[Observation],
        names: dict[str, tuple[str, str, str | None]] | None = None,
        *,
        source: str,
        licence: str,
    ) -> int:
        """Store observations and indicator definitions in one transaction; returns the count."""
        obs = list(observations)
        now = _now()
        defs = builtin_indicators()
        ind_ids = sorted({o.indicator for o in obs})
        ind_rows = []
        for i in ind_ids:
            en, zh, unit = (names or {}).get(i) or (
                (defs[i].name.en, defs[i].name.zh, defs[i].unit) if i in defs else (i, i, None)
            )
            ind_rows.append(
                {"id": i, "name_en": en, "name_zh": zh, "unit": unit, "source": source, "licence": licence, "updated_at": now}
            )
        # one row per key: the last observation for a key wins, as a re-import would
        dedup = {(o.indicator, o.country, o.year): o for o in obs}
        rows = [
            {
                "indicator": o.indicator,
                "country": o.country,
                "year": o.year,
                "value": float(o.value),
                "source": o.source,
                "licence": o.licence,
                "imported_at": now,
            }
            for o in dedup.values()
        ]
        with self.db.session() as s:
            _upsert(s, _table(IndicatorRow), ind_rows, ["id"])
            _upsert(s, _table(IndicatorValueRow), rows, ["indicator", "country", "year"])
        return len(rows)

    def indicators(self) -> list[dict]:
        """Each stored indicator with its value count, countries, years and provenance."""
        with self.db.session() as s:
            stats = {
                r[0]: r[1:]
                for r in s.execute(
                    select(
                        IndicatorValueRow.indicator,
                        func.count(),
                        func.count(func.distinct(IndicatorValueRow.country)),
                        func.min(IndicatorValueRow.year),
                        func.max(IndicatorValueRow.year),
                    ).group_by(IndicatorValueRow.indicator)
                )
            }
            out = []
            defs = builtin_indicators()
            for r in s.scalars(select(IndicatorRow).order_by(IndicatorRow.id)):
                n, nc, y0, y1 = stats.get(r.id, (0, 0, None, None))
                # a built-in indicator's names in every language its definition has; an imported one's two columns
                name = defs[r.id].name.model_dump() if r.id in defs else _column_names(r.name_en, r.name_zh)
                out.append(
                    {
                        "id": r.id,
                        "name": name,
                        "unit": r.unit,
                        "source": r.source,
                        "licence": r.licence,
                        "values": n,
                        "countries": nc,
                        "first_year": y0,
                        "last_year": y1,
                    }
                )
            return out

    def indicator_ids(self) -> set[str]:
        with self.db.session() as s:
            return set(s.scalars(select(IndicatorRow.id)))

    def cube(self, indicators: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(countries, years, values[C, Y, I]) for the given indicators; NaN where nothing is stored."""
        with self.db.session() as s:
            rows = s.execute(
                select(
                    IndicatorValueRow.country, IndicatorValueRow.year, IndicatorValueRow.indicator, IndicatorValueRow.value
                ).where(IndicatorValueRow.indicator.in_(indicators))
            ).all()
        if not rows:
            return [], np.array([], dtype=int), np.empty((0, 0, len(indicators)))
        countries = sorted({r[0] for r in rows})
        years = np.arange(min(r[1] for r in rows), max(r[1] for r in rows) + 1)
        ci = {c: i for i, c in enumerate(countries)}
        ii = {k: i for i, k in enumerate(indicators)}
        arr = np.full((len(countries), len(years), len(indicators)), np.nan)
        c_idx = np.fromiter((ci[r[0]] for r in rows), int, len(rows))
        y_idx = np.fromiter((r[1] - years[0] for r in rows), int, len(rows))
        i_idx = np.fromiter((ii[r[2]] for r in rows), int, len(rows))
        arr[c_idx, y_idx, i_idx] = np.fromiter((r[3] for r in rows), float, len(rows))
        return countries, years, arr

    def country_values(self, iso3: str, indicators: list[str] | None = None) -> list[dict]:
        with self.db.session() as s:
            q = select(IndicatorValueRow).where(IndicatorValueRow.country == iso3)
            if indicators:
                q = q.where(IndicatorValueRow.indicator.in_(indicators))
            return [
                {"indicator": r.indicator, "year": r.year, "value": r.value, "source": r.source, "licence": r.licence}
                for r in s.scalars(q.order_by(IndicatorValueRow.indicator, IndicatorValueRow.year))
            ]

    def require_data(self) -> None:
        with self.db.session() as s:
            if not s.scalar(select(func.count()).select_from(IndicatorValueRow)):
                raise TianpingError(
                    "no indicator data yet: import some first, e.g. `tianping divide import-wdi "
                    "../shared/data/country_indicators/wdi_jerosmith_IT.NET.USER.ZS.csv`",
                    title="no data",
                )
