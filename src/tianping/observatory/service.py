"""Run a methodology over the stored indicators plus the derived governance indicators.

The service is the one place that joins the store, the policy tracker and the engine, so the
CLI (and later the API and web UI) hold no logic of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..store import Database
from .countries import countries
from .engine import IndexResult, Structure, compute
from .methodology import Methodology, load_methodology
from .policy import GOV_INDICATORS, governance_values
from .store import IndicatorStore


@dataclass
class Run:
    methodology: Methodology
    result: IndexResult

    def default_year(self) -> int:
        """The latest year in which at least half as many countries have a score as in the best year.

        Why: the newest year of an extract is usually sparse (WDI internet users is empty in 2023),
        and ranking a handful of early reporters as "the" ranking would mislead.
        """
        counts = np.sum(~np.isnan(self.result.index), axis=0)
        if counts.max() == 0:
            return int(self.result.years[-1])
        ok = np.nonzero(counts >= counts.max() / 2)[0]
        return int(self.result.years[ok[-1]])


class Observatory:
    def __init__(self, db: Database):
        self.db = db
        self.store = IndicatorStore(db)

    def methodology(self, name_or_path: str) -> Methodology:
        return load_methodology(name_or_path, extra_indicators=self.store.indicator_ids())

    def run(
        self,
        name_or_path: str | Methodology,
        *,
        draws: int | None = None,
        seed: int | None = None,
        spread: float | None = None,
        sensitivity_years: list[int] | None = None,
    ) -> Run:
        m = self.methodology(name_or_path) if isinstance(name_or_path, str) else name_or_path
        self.store.require_data()
        inds = m.indicator_ids()
        stored = [i for i in inds if i not in GOV_INDICATORS]
        cs, years, cube = self.store.cube(stored)
        if len(years) == 0:
            _, years, _ = self.store.cube(sorted(self.store.indicator_ids()))
        known = countries()
        universe = sorted({c for c in cs if c in known} | {c.iso3 for c in known.values() if c.un_member})
        full = np.full((len(universe), len(years), len(inds)), np.nan)
        if cs:
            pos = {c: i for i, c in enumerate(universe)}
            rows = np.array([pos[c] for c in cs if c in pos], dtype=np.intp)
            src = np.array([i for i, c in enumerate(cs) if c in pos], dtype=np.intp)
            cols = np.array([inds.index(i) for i in stored], dtype=np.intp)
            full[np.ix_(rows, np.arange(len(years)), cols)] = cube[np.ix_(src, np.arange(len(years)), np.arange(len(stored)))]
        gov = [i for i in inds if i in GOV_INDICATORS]
        if gov:
            vals = governance_values(universe, years)
            for g in gov:
                full[:, :, inds.index(g)] = vals[g]
        struct = Structure.from_methodology(m)
        s = m.sensitivity
        result = compute(
            struct,
            universe,
            years,
            full,
            draws=s.draws if draws is None else draws,
            spread=s.spread if spread is None else spread,
            seed=s.seed if seed is None else seed,
            sensitivity_years=sensitivity_years,
        )
        return Run(m, result)
