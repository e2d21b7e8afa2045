"""Countries and dated groupings (ASEAN with Timor-Leste, EU exits, UN regions)."""

from __future__ import annotations

import csv
import datetime as dt

from tianping.observatory.countries import countries, default_groups, group, groups_of, resolve_country

from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_timor_leste_joins_asean_on_26_october_2025():
    asean = group("asean")
    assert "TLS" not in asean.members_on(dt.date(2025, 10, 25))
    assert "TLS" in asean.members_on(dt.date(2025, 10, 26))
    assert len(asean.members_on(dt.date(2025, 10, 26))) == 11
    assert len(asean.members_on(dt.date(1990, 1, 1))) == 6  # founders + Brunei


def test_dated_memberships_of_other_groups():
    assert "GBR" in group("eu").members_on(dt.date(2020, 1, 31))
    assert "GBR" not in group("eu").members_on(dt.date(2020, 2, 1))
    assert len(group("eu").members_on(dt.date(2024, 1, 1))) == 27
    assert "IDN" in group("brics").members_on(dt.date(2025, 6, 1)) and "IDN" not in group("brics").members_on(dt.date(2024, 6, 1))
    assert "MAR" not in group("au").members_on(dt.date(2016, 1, 1)) and len(group("au").members_on(dt.date(2024, 1, 1))) == 55
    assert len(group("g20").members_on()) == 19
    assert len(group("un").members_on()) == 193


def test_every_group_member_is_a_known_country_and_income_groups_do_not_overlap():
    cs = countries()
    seen: dict[str, str] = {}
    for g in default_groups().values():
        for c in g.all_members():
            assert c in cs, (g.id, c)
        if g.kind == "income":
            for c in g.all_members():
                assert c not in seen, (c, seen.get(c), g.id)
                seen[c] = g.id


def test_un_regions_and_membership_match_the_reference_table():
    """Cross-check against country_converter's table (reference only, not shipped)."""
    path = SHARED / "countries" / "country_converter_country_data.tsv"
    if not path.exists():
        return
    names = {g.id: g.title.en.removeprefix("UN M49: ") for g in default_groups().values() if g.kind == "un-region"}
    cs = countries()
    diffs = []
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            c = cs.get(row["ISO3"])
            if c is None or not c.m49_subregion:
                continue
            ours = next(n for gid, n in names.items() if c.iso3 in group(gid).all_members() and group(gid).title.en.endswith(n)
                        and n not in ("Africa", "Americas", "Asia", "Europe", "Oceania"))
            if ours != row["UNregion"]:
                diffs.append((c.iso3, ours, row["UNregion"]))
            assert c.un_member == bool(row["UNmember"].strip()), c.iso3
    # M49 lists Nauru in Micronesia; the reference table has Polynesia.
    assert diffs == [("NRU", "Micronesia", "Polynesia")]


def test_resolve_country_accepts_codes_names_and_wdi_spellings():
    assert resolve_country("SG") == resolve_country("sgp") == resolve_country("新加坡") == "SGP"
    assert resolve_country("Viet Nam") == "VNM" and resolve_country("Korea, Rep.") == "KOR"
    assert resolve_country("Atlantis") is None
    assert "asean" in groups_of("SGP")
