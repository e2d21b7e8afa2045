"""Importers for indicator data: World Bank WDI long extracts and generic CSV (long or wide).

Why explicit skip reports: WDI extracts mix countries with aggregates (regions, income groups,
"World"); an importer that quietly drops rows hides data. Every row not stored is counted by
reason in the ImportReport.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from ..errors import Problem, TianpingError
from .countries import countries, resolve_country
from .store import ImportReport, IndicatorStore, Observation

WDI_SOURCE = "World Bank, World Development Indicators"
WDI_LICENCE = "CC-BY-4.0"
_MISSING = {"", "na", "n/a", "nan", "..", "null", "none"}


def _num(text: str | None) -> float | None:
    if text is None or text.strip().lower() in _MISSING:
        return None
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _open(path: str | Path):
    p = Path(path)
    if not p.exists():
        raise TianpingError(Problem("file not found", file=str(p)), title="file not found")
    return open(p, encoding="utf-8-sig", newline="")


def read_wdi(path: str | Path, *, source: str = WDI_SOURCE, licence: str = WDI_LICENCE) -> tuple[list[Observation], ImportReport]:
    """Pipe-delimited long WDI extract: country|iso2c|iso3c|year|<SERIES CODE>[|…]."""
    rep = ImportReport(str(path))
    known = countries()
    out: list[Observation] = []
    with _open(path) as fh:
        reader = csv.reader(fh, delimiter="|")
        header = next(reader, None)
        if not header or len(header) < 5 or [h.strip().lower() for h in header[1:4]] != ["iso2c", "iso3c", "year"]:
            raise TianpingError(
                Problem(
                    "not a WDI long extract: expected the header country|iso2c|iso3c|year|<series code>", file=str(path), line=1
                ),
                title="unrecognised file",
            )
        code = header[4].strip()
        rep.indicators = [code]
        for lineno, row in enumerate(reader, start=2):
            if not row:
                continue
            rep.rows_read += 1
            if len(row) < 5:
                raise TianpingError(
                    Problem(f"expected at least 5 fields, found {len(row)}", file=str(path), line=lineno), title="invalid row"
                )
            iso3 = row[2].strip()
            try:
                year = int(row[3])
            except ValueError:
                raise TianpingError(
                    Problem(f"year '{row[3]}' is not a number", file=str(path), line=lineno, field="year"), title="invalid row"
                ) from None
            if iso3 not in known:
                rep.skipped_aggregates[iso3 or "(blank)"] = row[0]
                continue
            value = _num(row[4])
            if value is None:
                rep.missing_values += 1
                continue
            out.append(Observation(code, iso3, year, value, source, licence))
    return out, rep


def read_csv(
    path: str | Path,
    *,
    country_col: str = "country",
    year_col: str = "year",
    indicator_col: str | None = "indicator",
    value_col: str | None = "value",
    value_cols: list[str] | None = None,
    source: str,
    licence: str,
    delimiter: str = ",",
) -> tuple[list[Observation], ImportReport]:
    """Generic CSV. Long: one row per (country, year, indicator, value). Wide: `value_cols` are indicators.

    Countries may be ISO alpha-3/alpha-2/numeric codes or names; optional `source`/`licence`
    columns override the defaults per row.
    """
    rep = ImportReport(str(path))
    out: list[Observation] = []
    with _open(path) as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        cols = reader.fieldnames or []
        needed = [country_col, year_col] + ([c for c in value_cols] if value_cols else [indicator_col or "", value_col or ""])
        missing = [c for c in needed if c not in cols]
        if missing:
            raise TianpingError(
                Problem(f"missing column(s) {', '.join(missing)} (found: {', '.join(cols)})", file=str(path), line=1),
                title="unrecognised file",
            )
        seen: set[str] = set()
        for lineno, row in enumerate(reader, start=2):
            rep.rows_read += 1
            iso3 = resolve_country(row[country_col] or "")
            if iso3 is None:
                key = row[country_col] or "(blank)"
                rep.skipped_unknown[key] = rep.skipped_unknown.get(key, 0) + 1
                continue
            try:
                year = int(float(row[year_col]))
            except (TypeError, ValueError):
                raise TianpingError(
                    Problem(f"year '{row[year_col]}' is not a number", file=str(path), line=lineno, field=year_col),
                    title="invalid row",
                ) from None
            src = (row.get("source") or source).strip()
            lic = (row.get("licence") or row.get("license") or licence).strip()
            pairs = [(c, row[c]) for c in value_cols] if value_cols else [((row[indicator_col] or "").strip(), row[value_col])]
            for ind, text in pairs:
                v = _num(text)
                if not ind:
                    raise TianpingError(
                        Problem("empty indicator", file=str(path), line=lineno, field=indicator_col), title="invalid row"
                    )
                if v is None:
                    rep.missing_values += 1
                    continue
                seen.add(ind)
                out.append(Observation(ind, iso3, year, v, src, lic))
        rep.indicators = sorted(seen)
    return out, rep


def import_wdi(store: IndicatorStore, path: str | Path, **kw: str) -> ImportReport:
    obs, rep = read_wdi(path, **kw)
    rep.values_stored = store.write(obs, source=kw.get("source", WDI_SOURCE), licence=kw.get("licence", WDI_LICENCE))
    return rep


def import_csv(store: IndicatorStore, path: str | Path, **kw) -> ImportReport:
    obs, rep = read_csv(path, **kw)
    rep.values_stored = store.write(obs, source=kw["source"], licence=kw["licence"])
    return rep
