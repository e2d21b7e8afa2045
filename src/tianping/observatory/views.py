"""Views over an index run: rankings, country profile, ASEAN comparison, trends, capacity building.

Every view returns plain JSON-able data (the CLI prints it, the web UI will render it) and lists
what is missing next to what is there: a country without enough data appears with its coverage
and the reason, never dropped from the table.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from ..errors import Problem, TianpingError
from ..i18n import available_languages, texts
from .countries import countries, group, groups_of
from .indicators import indicator_name
from .policy import default_tracker
from .service import Run
from .store import IndicatorStore


def _f(x: float, nd: int = 2) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


def _names(iso3: str) -> dict[str, str]:
    c = countries().get(iso3)
    return c.names() if c else dict.fromkeys(available_languages(), iso3)


def _year(run: Run, year: int | None) -> tuple[int, int]:
    y = run.default_year() if year is None else year
    try:
        return y, run.result.year_index(y)
    except KeyError:
        r = run.result.years
        raise TianpingError(
            Problem(f"no data for year {y} (data covers {int(r[0])}–{int(r[-1])})", field="year"), title="no data"
        ) from None


def _country_index(run: Run, iso3: str) -> int:
    try:
        return run.result.countries.index(iso3)
    except ValueError:
        raise TianpingError(Problem(f"no data at all for '{iso3}'", field="country"), title="no data") from None


def coverage_flag(run: Run, ci: int, yi: int) -> str:
    """complete: every dimension scored; partial: index scored with gaps; insufficient: no index."""
    r = run.result
    if math.isnan(r.index[ci, yi]):
        return "insufficient"
    return "complete" if not np.isnan(r.dim_score[ci, yi]).any() else "partial"


def _missing_dims(run: Run, ci: int, yi: int) -> list[str]:
    r = run.result
    return [d for di, d in enumerate(r.structure.dim_ids) if math.isnan(r.dim_score[ci, yi, di])]


def _sens(run: Run, ci: int, y: int) -> dict[str, Any] | None:
    s = run.result.sensitivity
    if s is None or y not in s.years:
        return None
    yi = int(np.nonzero(s.years == y)[0][0])
    if s.rank_median[ci, yi] == 0:
        return None
    return {
        "rank_median": int(s.rank_median[ci, yi]),
        "rank_p05": int(s.rank_p05[ci, yi]),
        "rank_p95": int(s.rank_p95[ci, yi]),
        "share_same_rank": _f(s.share_same_rank[ci, yi], 3),
        "mean_abs_shift": _f(s.mean_abs_shift[ci, yi], 2),
    }


def _entry(run: Run, ci: int, yi: int, y: int) -> dict[str, Any]:
    r = run.result
    st = r.structure
    iso3 = r.countries[ci]
    return {
        "country": iso3,
        "name": _names(iso3),
        "rank": int(r.rank[ci, yi]) or None,
        "index": _f(r.index[ci, yi]),
        "coverage": coverage_flag(run, ci, yi),
        "index_coverage": _f(r.index_coverage[ci, yi], 3),
        "data_coverage": _f(r.data_coverage[ci, yi], 3),
        "pillars": {p: _f(r.pillar_score[ci, yi, pi]) for pi, p in enumerate(st.pillar_ids)},
        "dimensions": {d: _f(r.dim_score[ci, yi, di]) for di, d in enumerate(st.dim_ids)},
        "missing_dimensions": _missing_dims(run, ci, yi),
        "sensitivity": _sens(run, ci, y),
    }


def _meta(run: Run, y: int) -> dict[str, Any]:
    m = run.methodology
    s = run.result.sensitivity
    return {
        "methodology": m.id,
        "version": m.version,
        "title": m.title.model_dump(),
        "year": y,
        "normalisation": m.normalisation.model_dump(),
        "imputation": m.imputation.model_dump(),
        "min_coverage": m.min_coverage,
        "pillar_defs": [{"id": p.id, "title": p.title.model_dump(), "weight": p.weight} for p in m.pillars],
        "dimension_defs": [
            {"id": d.id, "pillar": p.id, "title": d.title.model_dump(), "weight": d.weight} for p, d in m.dimensions()
        ],
        "sensitivity": None if s is None else {"draws": s.draws, "spread": s.spread, "seed": s.seed},
    }


def rankings(run: Run, year: int | None = None, group_id: str | None = None) -> dict[str, Any]:
    """Ranked countries with coverage and rank stability, then every unranked country with its reason."""
    y, yi = _year(run, year)
    r = run.result
    members = set(group(group_id).members_on(dt.date(y, 12, 31))) if group_id else None
    ranked, unranked = [], []
    for ci, iso3 in enumerate(r.countries):
        if members is not None and iso3 not in members:
            continue
        e = _entry(run, ci, yi, y)
        if e["rank"]:
            ranked.append(e)
        else:
            e["reason"] = texts(
                "obs.not_enough_data", scored=f"{e['index_coverage'] or 0:.0%}", needed=f"{run.methodology.min_coverage:.0%}"
            )
            unranked.append(e)
    ranked.sort(key=lambda e: e["rank"])
    if members is not None:  # re-rank within the group
        for i, e in enumerate(ranked, start=1):
            e["global_rank"], e["rank"] = e["rank"], i
    unranked.sort(key=lambda e: e["country"])
    return {
        **_meta(run, y),
        "group": group_id,
        "ranked": ranked,
        "unranked": unranked,
        "summary": {
            "ranked": len(ranked),
            "unranked": len(unranked),
            "mean_abs_rank_shift": _f(np.mean([e["sensitivity"]["mean_abs_shift"] for e in ranked if e["sensitivity"]]), 2)
            if any(e["sensitivity"] for e in ranked)
            else None,
        },
    }


def profile(run: Run, store: IndicatorStore, iso3: str, year: int | None = None) -> dict[str, Any]:
    """One country: scores, every indicator with its value, year, status, source and licence."""
    y, yi = _year(run, year)
    ci = _country_index(run, iso3)
    r = run.result
    st = r.structure
    prov = {(v["indicator"], v["year"]): v for v in store.country_values(iso3)}
    indicators = []
    for s_i in range(st.n_slots):
        ind = st.indicators[st.slot_indicator[s_i]]
        status = (
            "observed"
            if r.observed[ci, yi, s_i]
            else "carried_forward"
            if r.carried[ci, yi, s_i]
            else "imputed"
            if r.imputed[ci, yi, s_i]
            else "missing"
        )
        value_year = None
        if status == "observed":
            value_year = y
        elif status == "carried_forward":
            back = [yy for yy in range(yi, -1, -1) if r.observed[ci, yy, s_i]]
            value_year = int(r.years[back[0]]) if back else None
        src = prov.get((ind, value_year)) if value_year else None
        derived = ind.startswith("tp.")
        indicators.append(
            {
                "dimension": st.dim_ids[st.slot_dim[s_i]],
                "indicator": ind,
                "name": {lang: indicator_name(ind, lang) for lang in available_languages()},
                "status": status,
                "value": _f(r.raw[ci, yi, s_i], 4) if status in ("observed", "carried_forward") else None,
                "value_year": value_year,
                "normalised": _f(r.normalised[ci, yi, s_i]),
                "source": "Tianping policy tracker and catalog" if derived and status != "missing" else (src or {}).get("source"),
                "licence": "CC-BY-4.0 (Tianping data)" if derived and status != "missing" else (src or {}).get("licence"),
            }
        )
    tracker = default_tracker()
    policies = [
        {
            "id": p.id,
            "kind": p.kind,
            "title": p.title.model_dump(),
            "date": p.date,
            "in_force": p.in_force,
            "ended": p.ended,
            "instrument": p.instrument,
            "verified": p.verified,
            "group": p.group,
        }
        for p in tracker.for_country(iso3)
    ]
    return {
        **_meta(run, y),
        **_entry(run, ci, yi, y),
        "groups": groups_of(iso3),
        "policy_tracker_covers": iso3 in tracker.covered,
        "policies": policies,
        "indicators": indicators,
    }


def group_comparison(run: Run, group_id: str = "asean", year: int | None = None, as_of: dt.date | None = None) -> dict[str, Any]:
    """Every member (as of `as_of`, default today) with coverage flags and the gap to the leader per dimension."""
    y, yi = _year(run, year)
    g = group(group_id)
    as_of = as_of or dt.date.today()
    r = run.result
    st = r.structure
    members = g.members_on(as_of)
    rows: list[dict[str, Any]] = []  # JSON-shaped, one per member
    for iso3 in members:
        ci = r.countries.index(iso3) if iso3 in r.countries else None
        m = g.membership(iso3)
        base = {"country": iso3, "name": _names(iso3), "member_since": m.since.isoformat() if m and m.since else None}
        if ci is None:
            rows.append(
                {**base, "coverage": "insufficient", "index": None, "dimensions": {}, "missing_dimensions": list(st.dim_ids)}
            )
        else:
            rows.append({**base, **_entry(run, ci, yi, y)})
    leaders: dict[str, dict[str, Any]] = {}
    for d in st.dim_ids:
        scored = [(row["dimensions"].get(d), row["country"]) for row in rows if row["dimensions"].get(d) is not None]
        if scored:
            best, who = max(scored)
            leaders[d] = {"country": who, "score": best}
        for row in rows:
            v = row["dimensions"].get(d)
            row.setdefault("gap_to_leader", {})[d] = _f(leaders[d]["score"] - v) if (v is not None and d in leaders) else None
    scored_idx = [(row["index"], row["country"]) for row in rows if row.get("index") is not None]
    leader_idx = max(scored_idx) if scored_idx else None
    for row in rows:
        row["index_gap_to_leader"] = _f(leader_idx[0] - row["index"]) if (leader_idx and row.get("index") is not None) else None
    return {
        **_meta(run, y),
        "group": group_id,
        "group_title": g.title.model_dump(),
        "as_of": as_of.isoformat(),
        "members": rows,
        "leaders": leaders,
        "index_leader": leader_idx[1] if leader_idx else None,
        "coverage_counts": {k: sum(1 for row in rows if row["coverage"] == k) for k in ("complete", "partial", "insufficient")},
    }


def trends(run: Run, iso3s: list[str]) -> dict[str, Any]:
    r = run.result
    out = []
    for iso3 in iso3s:
        ci = _country_index(run, iso3)
        out.append(
            {
                "country": iso3,
                "name": _names(iso3),
                "series": [
                    {
                        "year": int(yv),
                        "index": _f(r.index[ci, yi]),
                        "rank": int(r.rank[ci, yi]) or None,
                        "data_coverage": _f(r.data_coverage[ci, yi], 3),
                        "coverage": coverage_flag(run, ci, yi),
                    }
                    for yi, yv in enumerate(r.years)
                ],
            }
        )
    return {"methodology": run.methodology.id, "countries": out, "note": texts("obs.trend_note")}


def capacity_building(
    run: Run, iso3s: list[str], year: int | None = None, reference_group: str | None = None, top: int = 3
) -> dict[str, Any]:
    """For each country: the dimensions furthest behind the leader (of a reference group, else all
    countries) and the catalog items — AI Capacity-Building Action Plan actions — that address them."""
    from ..catalog.loader import default_catalog

    y, yi = _year(run, year)
    r = run.result
    st = r.structure
    cat = default_catalog()
    ref = set(group(reference_group).members_on(dt.date(y, 12, 31))) if reference_group else set(r.countries)
    ref_idx = [i for i, c in enumerate(r.countries) if c in ref]
    best = np.nanmax(np.where(np.isnan(r.dim_score[ref_idx, yi]), -np.inf, r.dim_score[ref_idx, yi]), axis=0)
    out = []
    for iso3 in iso3s:
        ci = _country_index(run, iso3)
        gaps = []
        for di, d in enumerate(st.dim_ids):
            v = r.dim_score[ci, yi, di]
            if math.isnan(v) or not np.isfinite(best[di]):
                continue
            gaps.append((best[di] - v, d, v))
        gaps.sort(reverse=True)
        items = []
        for gap, d, v in gaps[:top]:
            dim = run.methodology.dimension(d)
            acts = []
            for qid in dim.addressed_by:
                ref_p = cat.provisions.get(qid)
                if ref_p:
                    acts.append(
                        {
                            "id": qid,
                            "number": ref_p.provision.number,
                            "title": ref_p.provision.title.model_dump(exclude_none=True),
                            "instrument": ref_p.instrument.id,
                        }
                    )
            items.append(
                {
                    "dimension": d,
                    "title": dim.title.model_dump(),
                    "score": _f(v),
                    "leader_score": _f(best[st.dim_ids.index(d)]),
                    "gap": _f(gap),
                    "addressed_by": acts,
                }
            )
        out.append(
            {
                "country": iso3,
                "name": _names(iso3),
                "index": _f(r.index[ci, yi]),
                "furthest_behind": items,
                "not_measured": _missing_dims(run, ci, yi),
            }
        )
    return {**_meta(run, y), "reference_group": reference_group, "countries": out}
