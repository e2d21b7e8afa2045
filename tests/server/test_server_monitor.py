"""The monitor stage on the server (issue 14 item 6): API, calendar and page over PostgreSQL, and
the scheduled re-classification that audits changed classifications."""

from __future__ import annotations

import pytest

from server_helpers import PASSWORDS, profile


@pytest.fixture(scope="module")
def credit(client, tokens):
    doc = profile("eu-credit-scoring", id="monitor-credit")
    r = client.post("/api/v1/systems", json=doc, headers=tokens["alice"])
    assert r.status_code == 201, r.text
    return doc


def test_monitor_api_calendar_and_page(client, tokens, credit):
    alice, bob = tokens["alice"], tokens["bob"]
    r = client.get("/api/v1/monitor?as_of=2026-12-05&system=monitor-credit", headers=alice)
    assert r.status_code == 200, r.text
    sysrep = r.json()["systems"][0]
    tiers = [e for e in sysrep["events"] if e["kind"] == "tier" and e["jurisdiction"] == "EU"]
    assert any(e["date"] == "2027-12-02" for e in tiers)  # high-risk from 2027-12-02 (Digital Omnibus)
    assert client.get("/api/v1/monitor?system=monitor-credit", headers=bob).status_code == 404  # another organisation's
    assert all(s["id"] != "monitor-credit" for s in client.get("/api/v1/monitor", headers=bob).json()["systems"])
    assert client.get("/api/v1/monitor?as_of=05-12-2026", headers=alice).status_code == 422
    ics = client.get("/api/v1/monitor.ics?as_of=2026-12-05&system=monitor-credit", headers=alice)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    from icalendar import Calendar

    cal = Calendar.from_ical(ics.content)
    assert any(str(ev.get("dtstart").dt) == "2027-12-02" for ev in cal.walk("VEVENT"))
    from fastapi.testclient import TestClient

    with TestClient(client.app) as c:
        c.get("/login")
        c.post("/login", data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": c.cookies.get("tp_csrf")})
        page = c.get("/monitor?as_of=2026-12-05")
        assert page.status_code == 200 and "monitor-credit" in page.text and "2027-12-02" in page.text
        assert "web.monitor" not in page.text


def test_scheduled_reclassification_audits_changes(client, tokens, credit, server_db):
    from tianping.audit import AuditLog
    from tianping.server.monitor import ReclassifyScheduler

    sched = ReclassifyScheduler(server_db, interval=3600)
    first = {x["system"]: x for x in sched.run_once()}
    assert "monitor-credit" in first
    again = {x["system"]: x for x in sched.run_once()}
    assert again["monitor-credit"]["changed"] is False  # nothing changed: nothing audited
    # the profile changes so the classification does (credit scoring -> a system with a prohibited practice)
    doc = dict(credit)
    doc["use_cases"] = ["social_scoring"]
    cur = client.get("/api/v1/systems/monitor-credit", headers=tokens["alice"])
    r = client.put("/api/v1/systems/monitor-credit", json=doc, headers={**tokens["alice"], "If-Match": cur.headers["ETag"]})
    assert r.status_code == 200, r.text
    after = {x["system"]: x for x in sched.run_once()}
    assert after["monitor-credit"]["changed"] is True
    events = [e for e in AuditLog(server_db).events() if e["action"] == "system.reclassified" and e["subject_id"] == "monitor-credit"]
    assert events and events[-1]["actor"] == "system:monitor"
    # the scheduler thread starts and stops cleanly
    sched.start()
    sched.stop()
