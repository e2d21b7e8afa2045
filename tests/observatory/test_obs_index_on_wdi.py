"""The index over the shared WDI data: who gets a score, the ASEAN view, sensitivity, missing data."""

from __future__ import annotations

import datetime as dt

import numpy as np

from tianping.observatory import views
from tianping.observatory.countries import group
from tianping.observatory.service import Observatory


def test_index_is_computed_for_every_country_with_enough_data(ram_run):
    r, m = ram_run.result, ram_run.methodology
    enough = r.index_coverage >= m.min_coverage - 1e-12
    assert np.array_equal(~np.isnan(r.index), enough)  # a score exactly where coverage allows one
    yi = r.year_index(2021)
    scored = {r.countries[i] for i in np.nonzero(~np.isnan(r.index[:, yi]))[0]}
    # every country the policy tracker covers has internet data in 2021: all of them get a score
    from tianping.observatory.policy import default_tracker

    assert default_tracker().covered <= scored
    assert len(scored) >= 25
    assert np.all((r.index[~np.isnan(r.index)] >= 0) & (r.index[~np.isnan(r.index)] <= 100))


def test_both_methodologies_run_on_the_shared_data(wdi_db):
    run = Observatory(wdi_db).run("government-readiness", draws=0)
    assert np.sum(~np.isnan(run.result.index)) > 0


def test_rankings_list_every_country_ranked_or_with_a_reason(ram_run):
    v = views.rankings(ram_run, 2021)
    assert len(v["ranked"]) + len(v["unranked"]) == len(ram_run.result.countries)
    assert [e["rank"] for e in v["ranked"]] == list(range(1, len(v["ranked"]) + 1))
    assert all(e["sensitivity"] for e in v["ranked"])
    assert all(e["reason"]["en"].startswith("not enough data") and e["reason"]["zh"] for e in v["unranked"])
    g = views.rankings(ram_run, 2021, "asean")
    assert [e["rank"] for e in g["ranked"]] == list(range(1, len(g["ranked"]) + 1))


def test_asean_view_lists_every_member_with_coverage_flags(ram_run):
    v = views.group_comparison(ram_run, "asean", 2021, as_of=dt.date(2025, 11, 1))
    assert [m["country"] for m in v["members"]] == group("asean").members_on(dt.date(2025, 11, 1))
    assert len(v["members"]) == 11 and "TLS" in {m["country"] for m in v["members"]}
    assert all(m["coverage"] in ("complete", "partial", "insufficient") for m in v["members"])
    assert sum(v["coverage_counts"].values()) == 11
    for d, leader in v["leaders"].items():
        lead = next(m for m in v["members"] if m["country"] == leader["country"])
        assert lead["gap_to_leader"][d] == 0
        assert all(m["gap_to_leader"][d] is None or m["gap_to_leader"][d] >= 0 for m in v["members"])
    # missing dimensions are listed, not dropped
    assert all(set(m["missing_dimensions"]) == {d for d, s in m["dimensions"].items() if s is None} for m in v["members"])
    before = views.group_comparison(ram_run, "asean", 2021, as_of=dt.date(2025, 1, 1))
    assert len(before["members"]) == 10


def test_sensitivity_is_deterministic_for_a_seed(wdi_db):
    obs = Observatory(wdi_db)
    a = obs.run("unesco-ram", draws=60, seed=7, sensitivity_years=[2021]).result.sensitivity
    b = obs.run("unesco-ram", draws=60, seed=7, sensitivity_years=[2021]).result.sensitivity
    c = obs.run("unesco-ram", draws=60, seed=8, sensitivity_years=[2021]).result.sensitivity
    for f in ("rank_median", "rank_p05", "rank_p95", "share_same_rank", "mean_abs_shift"):
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    assert not np.array_equal(a.mean_abs_shift, c.mean_abs_shift, equal_nan=True)


def test_profile_shows_missing_data_and_provenance(wdi_db, ram_run):
    v = views.profile(ram_run, Observatory(wdi_db).store, "KHM", 2021)
    by = {i["indicator"]: i for i in v["indicators"]}
    assert by["IT.NET.USER.ZS"]["status"] in ("observed", "carried_forward")
    assert by["IT.NET.USER.ZS"]["source"].startswith("World Bank") and by["IT.NET.USER.ZS"]["licence"] == "CC-BY-4.0"
    assert by["GB.XPD.RSDV.GD.ZS"]["status"] == "missing" and by["GB.XPD.RSDV.GD.ZS"]["value"] is None
    assert v["policy_tracker_covers"] and "research" in v["missing_dimensions"]


def test_capacity_view_maps_gaps_to_action_plan_items(ram_run):
    v = views.capacity_building(ram_run, ["KHM", "TLS"], 2021, "asean")
    for c in v["countries"]:
        assert c["furthest_behind"], c["country"]
        gaps = [it["gap"] for it in c["furthest_behind"]]
        assert gaps == sorted(gaps, reverse=True)
        ids = {a["id"] for it in c["furthest_behind"] for a in it["addressed_by"]}
        assert any(i.startswith("cn-capacity-building-plan:action-") for i in ids)
        assert c["not_measured"]  # shown, not hidden


def test_trends_keep_missing_years(ram_run):
    v = views.trends(ram_run, ["SGP", "AFG"])
    sgp, afg = (c["series"] for c in v["countries"])
    assert len(sgp) == len(afg) == len(ram_run.result.years)
    assert all(p["index"] is not None for p in sgp if p["year"] >= 2000)
    # Afghanistan is not reviewed by the policy tracker: every year is listed, as insufficient
    assert all(p["index"] is None and p["coverage"] == "insufficient" for p in afg)
