"""Policy tracker: national AI strategies, laws and frameworks with dates, and the governance
maturity indicators computed from it and from the catalog.

Why a tracker with declared coverage: "no strategy listed" must not silently become "has no
strategy". For countries in `coverage` an absent entry means none (0); for all others the
indicator is missing and shown as missing, so the index never rewards or punishes what was
simply not looked at.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ProblemList, TianpingError
from ..yamlio import load_yaml_file, validation_problems
from .countries import Title, countries, default_groups, resolve_country

DATA = Path(__file__).parent / "data"
Kind = Literal["strategy", "law", "regulation", "guidance", "draft", "other"]
_PARTIAL = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
GOV_INDICATORS = ("tp.gov.strategy", "tp.gov.law", "tp.gov.guidance", "tp.gov.un_ai_resolutions")


def _partial_date(v: object) -> str:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, int):
        v = str(v)
    if not isinstance(v, str) or not _PARTIAL.match(v):
        raise ValueError("expected a date as YYYY, YYYY-MM or YYYY-MM-DD")
    return v


# a catalog instrument's kind -> the tracker's policy kind
_CATALOG_KINDS: dict[str, Kind] = {"binding_law": "law", "soft_law": "guidance", "standard": "guidance"}


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    group: str | None = None
    kind: Kind
    title: Title
    date: str
    in_force: str | None = None
    ended: str | None = None
    instrument: str | None = None
    source_url: str | None = None
    verified: bool = False
    note: str | None = None
    origin: Literal["tracker", "catalog"] = "tracker"

    _dates = field_validator("date", "in_force", "ended", mode="before")(lambda cls, v: None if v is None else _partial_date(v))

    @model_validator(mode="after")
    def _one_scope(self) -> Policy:
        if (self.country is None) == (self.group is None):
            raise ValueError("give exactly one of 'country' or 'group'")
        return self

    @property
    def binding(self) -> bool:
        return self.kind in ("law", "regulation")

    def effective_year(self) -> int:
        # `date` is required and validated as YYYY[-MM[-DD]], so there is always a year
        return int((self.in_force if self.binding and self.in_force else self.date)[:4])

    def active_in(self, year: int) -> bool:
        """In effect at the end of `year`."""
        return self.effective_year() <= year and (self.ended is None or int(self.ended[:4]) > year)


class Coverage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = None
    countries: list[str] = Field(default_factory=list)


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: dt.date
    coverage: Coverage = Field(default_factory=Coverage)
    policies: list[Policy]


@dataclass
class Tracker:
    as_of: dt.date
    covered: frozenset[str]
    coverage_note: str | None
    policies: list[Policy]

    def for_country(self, iso3: str, on: dt.date | None = None) -> list[Policy]:
        """Entries of the country itself, then group-level entries of its groups."""
        on = on or dt.date.today()
        gs = default_groups()
        mine = [p for p in self.policies if p.country == iso3]
        mine += [p for p in self.policies if p.group and p.group in gs and iso3 in gs[p.group].members_on(on)]
        return sorted(mine, key=lambda p: p.date)


def _catalog_policies() -> list[Policy]:
    """Catalog instruments of a national or EU/ASEAN jurisdiction, as tracker entries."""
    from ..catalog.loader import default_catalog

    out = []
    for inst in default_catalog().instruments.values():
        j = inst.jurisdiction
        scope: dict[str, str] = {}
        if j in ("EU", "ASEAN"):
            scope = {"group": j.lower()}
        elif len(j) == 2 and (iso3 := resolve_country(j)):
            scope = {"country": iso3}
        else:
            continue
        kind: Kind = _CATALOG_KINDS.get(inst.kind.value, "other")
        d = inst.dates
        date = d.adopted or d.published or d.entry_into_force
        if date is None:
            continue
        out.append(
            Policy(
                id=f"catalog.{inst.id}",
                kind=kind,
                title=Title(en=inst.title.en, zh=inst.title.zh),
                date=(d.published or d.adopted or date).isoformat(),
                in_force=d.entry_into_force.isoformat() if d.entry_into_force else None,
                instrument=inst.id,
                source_url=inst.source_url,
                verified=inst.verified,
                origin="catalog",
                note="From the Tianping catalog.",
                **scope,
            )
        )
    return out


def load_tracker(path: str | Path = DATA / "policies.yaml", *, with_catalog: bool = True) -> Tracker:
    doc = load_yaml_file(path)
    try:
        pf = PolicyFile.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid policy tracker") from None
    problems = ProblemList()
    known, gs = countries(), default_groups()
    seen: set[str] = set()
    from ..catalog.loader import default_catalog

    cat = default_catalog()
    for i, p in enumerate(pf.policies):
        file, line = str(path), doc.line_of(("policies", i))
        if p.id in seen:
            problems.add(f"duplicate policy id '{p.id}'", field=f"policies.{i}.id", file=file, line=line)
        seen.add(p.id)
        if p.country and p.country not in known:
            problems.add(f"unknown country '{p.country}'", field=f"policies.{i}.country", file=file, line=line)
        if p.group and p.group not in gs:
            problems.add(f"unknown group '{p.group}'", field=f"policies.{i}.group", file=file, line=line)
        if p.instrument and p.instrument not in cat.instruments:
            problems.add(f"unknown catalog instrument '{p.instrument}'", field=f"policies.{i}.instrument", file=file, line=line)
    for j, c in enumerate(pf.coverage.countries):
        if c not in known:
            problems.add(
                f"unknown country '{c}'",
                file=str(path),
                line=doc.line_of(("coverage", "countries", j)),
                field=f"coverage.countries.{j}",
            )
    problems.raise_if_any("invalid policy tracker")
    policies = list(pf.policies)
    if with_catalog:
        linked = {p.instrument for p in policies if p.instrument}
        policies += [p for p in _catalog_policies() if p.instrument not in linked]
    return Tracker(pf.as_of, frozenset(pf.coverage.countries), pf.coverage.note, policies)


@lru_cache(maxsize=1)
def default_tracker() -> Tracker:
    return load_tracker()


def _un_resolution_years() -> list[int]:
    from ..catalog.loader import default_catalog

    return sorted(
        i.dates.adopted.year
        for i in default_catalog().instruments.values()
        if i.jurisdiction == "UN" and i.id.startswith("un-ares-") and i.dates.adopted
    )


def governance_values(
    country_ids: list[str], years: list[int] | np.ndarray, tracker: Tracker | None = None
) -> dict[str, np.ndarray]:
    """tp.gov.* indicator values [country, year] (NaN = not reviewed / not applicable).

    A value for year Y is the state at the end of Y. Group-level binding laws (the EU AI Act)
    count for the countries that are members at that date; group-level strategies and guidance
    do not (they are not national instruments).
    """
    tracker = tracker or default_tracker()
    years = np.asarray(years, dtype=int)
    C, Y = len(country_ids), len(years)
    out = {k: np.full((C, Y), np.nan) for k in GOV_INDICATORS}
    gs = default_groups()
    by_country: dict[str, list[Policy]] = {}
    # binding group-level laws with their group (the EU AI Act with the EU)
    group_laws = [(p, gs[p.group]) for p in tracker.policies if p.group and p.binding and p.group in gs]
    for p in tracker.policies:
        if p.country:
            by_country.setdefault(p.country, []).append(p)
    res_years = _un_resolution_years()
    cs = countries()
    for ci, iso3 in enumerate(country_ids):
        own = by_country.get(iso3, [])
        covered = iso3 in tracker.covered
        for key, kinds in (
            ("tp.gov.strategy", ("strategy",)),
            ("tp.gov.law", ("law", "regulation")),
            ("tp.gov.guidance", ("guidance",)),
        ):
            entries = [p for p in own if p.kind in kinds]
            first = min((p.effective_year() for p in entries), default=None)
            for yi, year in enumerate(years):
                active = any(p.active_in(int(year)) for p in entries)
                if key == "tp.gov.law" and not active:
                    end = dt.date(int(year), 12, 31)
                    active = any(
                        p.active_in(int(year)) and (m := g.membership(iso3)) is not None and m.active(end) for p, g in group_laws
                    )
                if active:
                    out[key][ci, yi] = 1.0
                elif covered or (first is not None and year >= first):
                    out[key][ci, yi] = 0.0
        c = cs.get(iso3)
        if c is not None and c.un_member and res_years:
            for yi, year in enumerate(years):
                out["tp.gov.un_ai_resolutions"][ci, yi] = sum(ry <= year for ry in res_years) / len(res_years)
    return out
