"""The monitor stage: upcoming duties with their dates, working-day deadlines, re-classification
diffs after a pack change (stored and audited), the iCalendar export and catalog changes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from tianping.monitor import catalog_changes, diff_summaries, monitor_report, reclassify_all, report_to_ical
from tianping.monitor.deadlines import periods
from tianping.monitor.workdays import add_working_days, is_working_day, working_days_between
from tianping.registry.service import RegistryService, load_profile_file
from tianping.store import open_database

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "systems"


@pytest.fixture
def db(tmp_path):
    d = open_database(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield d
    d.dispose()


def register(db, name: str, **changes):
    system = load_profile_file(EXAMPLES / f"{name}.yaml")
    if changes:
        system = system.model_copy(update=changes)
    RegistryService(db).register(system)
    return system


# ----------------------------------------------------------------------------- working days


def test_working_days_skip_weekends_per_jurisdiction():
    fri = dt.date(2026, 12, 4)
    assert fri.weekday() == 4
    assert add_working_days(fri, 1, "CN") == dt.date(2026, 12, 7)  # Monday
    assert add_working_days(dt.date(2026, 12, 1), 10, "CN") == dt.date(2026, 12, 15)
    assert add_working_days(fri, 0, "EU") == fri
    assert not is_working_day(dt.date(2026, 12, 5), "cn")  # case-insensitive, Saturday
    assert working_days_between(fri, dt.date(2026, 12, 18), "CN") == 10
    assert working_days_between(dt.date(2026, 12, 18), fri, "CN") == -10
    # ISO 3166-2 codes use their country's calendar
    assert add_working_days(fri, 3, "US-CO") == add_working_days(fri, 3, "US")


def test_same_dates_as_the_servers_filing_deadlines():
    from tianping.server.workdays import add_working_days as server_add

    start = dt.date(2026, 1, 1)
    for i in range(60):
        day = start + dt.timedelta(days=i)
        for n in (0, 1, 10, 20):
            assert add_working_days(day, n, "CN") == server_add(day, n)


def test_deadline_periods_are_read_from_the_packs_words():
    (p,) = periods("within 10 working days of starting to provide the service")
    assert (p.n, p.unit, p.relation) == (10, "working_days", "of") and p.anchor_is_launch
    assert p.due(dt.date(2026, 12, 4), "CN") == dt.date(2026, 12, 18)
    ps = periods(
        "immediately once a causal link is established, and at the latest 15 days after becoming aware; "
        "10 days in the event of a death; 2 days for a widespread infringement"
    )
    assert [(x.n, x.unit) for x in ps] == [(15, "days"), (10, "days"), (2, "days")]
    assert all(x.anchor == "becoming aware" and not x.anchor_is_launch for x in ps)
    assert ps[0].due(dt.date(2026, 12, 1)) == dt.date(2026, 12, 16)
    assert periods(None) == [] and periods("before placing on the market") == []


# ----------------------------------------------------------------------------- upcoming duties


def _events(report, system_id):
    return next(s for s in report["systems"] if s["id"] == system_id)["events"]


def test_upcoming_tier_and_duties_appear_with_their_dates(db):
    register(db, "eu-credit-scoring")
    # before the Digital Omnibus existed: the original text's date
    ev = _events(monitor_report(db, ["eu-credit-scoring"], "2025-10-01", 730), "eu-credit-scoring")
    tiers = [e for e in ev if e["kind"] == "tier" and e["id"] == "high_risk"]
    assert tiers and tiers[0]["date"] == "2026-08-02" and tiers[0]["jurisdiction"] == "EU"
    duties = [e for e in ev if e["kind"] == "obligation"]
    assert duties and {e["date"] for e in duties} == {"2026-08-02"}
    assert all(e["cites"] for e in duties)
    assert [e["date"] for e in ev] == sorted(e["date"] for e in ev)
    # today, under the amended text: the later date, named as coming from the amending act
    ev = _events(monitor_report(db, ["eu-credit-scoring"], "2026-12-05", 730), "eu-credit-scoring")
    tiers = [e for e in ev if e["kind"] == "tier" and e["id"] == "high_risk"]
    assert tiers and tiers[0]["date"] == "2027-12-02" and tiers[0]["amended_by"] == "eu-digital-omnibus-ai"
    assert "2027-12-02" in tiers[0]["title"]["en"] and "2027-12-02" in tiers[0]["title"]["zh"]
    assert not tiers[0]["verified"]  # the Omnibus dates are flagged unverified in the reference
    # a horizon too short to reach the date shows nothing of it
    ev = _events(monitor_report(db, ["eu-credit-scoring"], "2026-12-05", 30), "eu-credit-scoring")
    assert not [e for e in ev if e["kind"] == "tier"]


def test_filing_deadline_in_working_days_from_the_launch(db):
    register(db, "cn-short-video-recommender", placed_on_market=dt.date(2026, 12, 4))
    rep = monitor_report(db, ["cn-short-video-recommender"], "2026-12-05", 60)
    sysrep = rep["systems"][0]
    due = [e for e in sysrep["events"] if e["kind"] == "deadline"]
    assert due, sysrep["deadline_rules"]
    assert due[0]["date"] == "2026-12-18" and due[0]["working_days"] == 10 and due[0]["jurisdiction"] == "CN"
    rules = {r["obligation"]: r for r in sysrep["deadline_rules"]}
    assert any(
        r["period"]["unit"] == "working_days" and r["due"] is None for r in rules.values()
    )  # change/deregistration: no date yet
    assert rep["workdays_note"]["zh"]


def test_incident_deadlines_are_listed(db):
    from tianping.observatory.incidents.schema import Incident
    from tianping.observatory.incidents.service import IncidentService

    register(db, "medical-imaging-triage")
    fields = Incident.model_fields
    if "eu_ai_act" not in fields or "systems" not in fields:  # pragma: no cover - schema changed
        pytest.skip("incident schema without EU facts")
    inc = Incident.model_validate(
        {
            "id": "inc-mon-1",
            "title": "Missed finding",
            "date": "2026-12-01",
            "systems": ["medical-imaging-triage"],
            "eu_ai_act": {"serious_health_harm": True, "high_risk": True, "aware_date": "2026-12-03"},
        }
    )
    IncidentService(db).save([inc])
    ev = _events(monitor_report(db, ["medical-imaging-triage"], "2026-12-05", 60), "medical-imaging-triage")
    inc_ev = [e for e in ev if e["kind"] == "incident"]
    assert inc_ev and inc_ev[0]["date"] == "2026-12-18" and inc_ev[0]["days"] == 15


# ----------------------------------------------------------------------------- re-classification


def _modified_packs(tmp_path: Path, drop_obligation: str):
    from tianping.catalog.loader import default_catalog
    from tianping.rules.pack import PACK_DIR, load_pack

    d = tmp_path / "packs"
    shutil.copytree(PACK_DIR, d)
    path = d / "eu-ai-act.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    before = len(data["obligations"])
    data["obligations"] = [o for o in data["obligations"] if o["id"] != drop_obligation]
    assert len(data["obligations"]) == before - 1
    data["version"] = str(data["version"]) + "-test"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cat = default_catalog()
    return tuple(load_pack(p, set(cat.provisions), cat.instruments) for p in sorted(d.glob("*.yaml")))


def test_reclassification_diff_after_a_pack_change_is_stored_and_audited(db, tmp_path):
    from tianping.audit import AuditLog

    register(db, "eu-credit-scoring")
    register(db, "cn-short-video-recommender")
    first = reclassify_all(db, as_of="2026-12-05")
    assert {e["system"] for e in first} == {"eu-credit-scoring", "cn-short-video-recommender"}
    assert all(e["first"] and not e["changed"] for e in first)
    again = reclassify_all(db, as_of="2026-12-05")
    assert not any(e["changed"] or e["reasons"] for e in again)

    packs = _modified_packs(tmp_path, "eu-ob-hr-risk-management")
    after = {e["system"]: e for e in reclassify_all(db, as_of="2026-12-05", packs=packs, actor="test:monitor")}
    eu = after["eu-credit-scoring"]
    assert eu["changed"] and "pack:eu-ai-act" in eu["reasons"]
    change = eu["changes"]["eu-ai-act"]
    assert change["upcoming"]["removed"] == {"eu-ob-hr-risk-management": "2027-12-02"}
    assert change["pack_version"]["after"].endswith("-test")
    assert not after["cn-short-video-recommender"]["changed"]

    events = [e for e in AuditLog(db).events() if e["action"] == "system.reclassified"]
    assert [e["subject_id"] for e in events] == ["eu-credit-scoring"]
    assert events[0]["actor"] == "test:monitor" and events[0]["data"]["changes"] == eu["changes"]
    assert AuditLog(db).verify().ok

    # the monitor report shows the same diff against the stored snapshot, judged on its date
    rep = monitor_report(db, ["eu-credit-scoring"], "2026-12-05", 30, packs=packs)
    rc = rep["systems"][0]["reclassification"]
    assert rc is not None and not rc["changed"] and not rc["reasons"]  # the snapshot holds the modified pack's answer
    rep = monitor_report(db, ["eu-credit-scoring"], "2026-12-05", 30)  # the bundled packs again
    rc = rep["systems"][0]["reclassification"]
    assert rc["changed"] and rc["reasons"] == ["pack:eu-ai-act"]
    assert rc["changes"]["eu-ai-act"]["upcoming"]["added"] == {"eu-ob-hr-risk-management": "2027-12-02"}

    # and `catalog changes` lists the stored re-classification
    today = dt.datetime.now(dt.timezone.utc).date()
    ch = catalog_changes(today - dt.timedelta(days=1), today, db=db)
    assert any(c["kind"] == "reclassified" and c["id"] == "eu-credit-scoring" for c in ch["changes"])
    # read with sqlite3 from a SQLite store (what `catalog changes` does without SQLAlchemy): the same answer
    if db.dialect == "sqlite":
        from tianping.monitor.changes import open_snapshots_sqlite

        con = open_snapshots_sqlite(str(db.engine.url))
        assert con is not None
        try:
            assert catalog_changes(today - dt.timedelta(days=1), today, db=con) == ch
        finally:
            con.close()


def test_diff_summaries_names_tier_changes():
    old = {
        "p": {
            "jurisdiction": "EU",
            "applies": "yes",
            "tier": "minimal",
            "tier_title": None,
            "designations": [],
            "obligations": {"a": "2025-02-02"},
            "possible": [],
            "upcoming": {},
            "upcoming_tiers": {},
            "law_version": "v1",
        }
    }
    new = {"p": {**old["p"], "tier": "high_risk", "obligations": {"a": "2025-02-02", "b": "2026-08-02"}, "law_version": "v2"}}
    d = diff_summaries(old, new)["p"]
    assert d["tier"] == {"before": "minimal", "after": "high_risk"}
    assert d["obligations"] == {"added": {"b": "2026-08-02"}}
    assert d["law_version"] == {"before": "v1", "after": "v2"}
    assert diff_summaries(old, old) == {}
    assert diff_summaries(old, {})["p"]["applies"] == {"before": "yes", "after": None}


# ----------------------------------------------------------------------------- calendar, changes, errors


def test_ics_parses_back_with_the_library(db):
    from icalendar import Calendar

    register(db, "eu-credit-scoring")
    register(db, "cn-short-video-recommender", placed_on_market=dt.date(2026, 12, 4))
    rep = monitor_report(db, None, "2026-12-05", 730)
    n = sum(len(s["events"]) for s in rep["systems"])
    assert n > 5
    cal = Calendar.from_ical(report_to_ical(rep, "zh"))
    events = list(cal.walk("VEVENT"))
    assert len(events) == n
    assert len({str(e["uid"]) for e in events}) == n
    first = rep["systems"][0]["events"][0]
    starts = {e.decoded("dtstart") for e in events}
    assert dt.date.fromisoformat(first["date"]) in starts
    assert any("截止" in str(e["summary"]) for e in events)  # the filing deadline, in Chinese
    assert str(cal["prodid"]).startswith("-//Tianping")
    # the same report gives the same UIDs (re-import updates instead of duplicating)
    again = Calendar.from_ical(report_to_ical(rep, "zh"))
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == {str(e["uid"]) for e in events}


def test_catalog_changes_come_from_dated_data():
    ch = catalog_changes("2026-07-01", "2026-12-05")
    assert ch["since"] == "2026-07-01" and ch["until"] == "2026-12-05"
    keys = {(c["kind"], c["id"], c["date"]) for c in ch["changes"]}
    assert ("instrument", "eu-ai-act", "2026-08-02") in keys  # the AI Act's general date of application
    assert any(k[0] == "provision" and k[1] == "eu-ai-act" and k[2] == "2026-08-02" for k in keys)
    assert all("2026-07-01" < c["date"] <= "2026-12-05" for c in ch["changes"])
    assert [c["date"] for c in ch["changes"]] == sorted(c["date"] for c in ch["changes"])
    assert not catalog_changes("2026-12-05", "2026-12-05")["changes"]


def test_bad_input_is_a_clear_error(db):
    from tianping.errors import TianpingError

    register(db, "eu-credit-scoring")
    with pytest.raises(TianpingError) as e:
        monitor_report(db, ["eu-credit-scorin"], "2026-12-05", 30)
    assert (
        "no registered system with id 'eu-credit-scorin'" in str(e.value.problems[0].render())
        and "eu-credit-scoring" in e.value.problems[0].render()
    )
    with pytest.raises(TianpingError):
        monitor_report(db, None, "2026-02-30", 30)
    with pytest.raises(TianpingError):
        monitor_report(db, None, "2026-12-05", -1)
    with pytest.raises(TianpingError):
        catalog_changes("last week")


def test_snapshots_are_read_directly_only_from_a_sqlite_store_that_has_them(tmp_path):
    import sqlite3

    from tianping.monitor.changes import open_snapshots_sqlite

    assert open_snapshots_sqlite(f"sqlite:///{tmp_path / 'absent.db'}") is None
    assert open_snapshots_sqlite("postgresql+psycopg://u@localhost/db") is None
    empty = tmp_path / "other.db"
    sqlite3.connect(empty).execute("create table t (x)").connection.close()
    assert open_snapshots_sqlite(f"sqlite:///{empty}") is None  # no snapshot table: the store opens (and migrates) it
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 200)
    assert open_snapshots_sqlite(f"sqlite:///{garbage}") is None
