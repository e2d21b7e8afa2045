"""REST API on a real PostgreSQL server: access control, workflow, concurrency, errors, feedback."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from server_helpers import PASSWORDS, profile

pytestmark = pytest.mark.postgres


def _create(client, headers, doc):
    r = client.post("/api/v1/systems", json=doc, headers=headers)
    assert r.status_code == 201, r.text
    return r


def _transition(client, headers, sid, action, **body):
    etag = client.get(f"/api/v1/systems/{sid}", headers=headers).headers.get("ETag", '"r0"')
    return client.post(f"/api/v1/systems/{sid}/transitions", json={"action": action, **body}, headers={**headers, "If-Match": etag})


@pytest.fixture(scope="module")
def acme_system(client, tokens):
    return _create(client, tokens["alice"], profile(id="acme-chatbot")).json()


def test_errors_are_problem_json(client, tokens):
    r = client.get("/api/v1/systems/no-such-system", headers=tokens["alice"])
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body) and body["status"] == 404
    r = client.post("/api/v1/systems", json={"id": "x"}, headers=tokens["alice"])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert any(p["field"] for p in r.json()["problems"])


def test_provider_cannot_read_or_change_another_organisations_system(client, tokens, acme_system):
    sid = acme_system["id"]
    bob = tokens["bob"]
    etag = client.get(f"/api/v1/systems/{sid}", headers=tokens["alice"]).headers["ETag"]
    # every way in answers exactly like a system that does not exist
    missing = client.get("/api/v1/systems/does-not-exist-at-all", headers=bob)
    for method, path, kw in [
        ("get", f"/api/v1/systems/{sid}", {}),
        ("get", f"/api/v1/systems/{sid}/classification", {}),
        ("get", f"/api/v1/systems/{sid}/assessment", {}),
        ("get", f"/api/v1/systems/{sid}/plan", {}),
        ("get", f"/api/v1/systems/{sid}/runs", {}),
        ("get", f"/api/v1/systems/{sid}/reports", {}),
        ("get", f"/api/v1/systems/{sid}/history", {}),
        ("get", f"/api/v1/systems/{sid}/feedback", {}),
        ("get", f"/api/v1/systems/{sid}/checklist-answers", {}),
        ("put", f"/api/v1/systems/{sid}", {"json": profile(id=sid, org="Beta Ltd"), "headers": {**bob, "If-Match": etag}}),
        ("post", f"/api/v1/systems/{sid}/transitions", {"json": {"action": "submit"}, "headers": {**bob, "If-Match": etag}}),
        ("post", f"/api/v1/systems/{sid}/runs", {"json": {"kind": "stub"}}),
        ("post", f"/api/v1/systems/{sid}/reports", {}),
    ]:
        kw.setdefault("headers", bob)
        r = getattr(client, method)(path, **kw)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert r.json()["detail"].endswith("not found")
    assert missing.status_code == 404
    # nor does it show in bob's list, nor can bob take the id over
    listed = client.get("/api/v1/systems?limit=100", headers=bob).json()
    assert sid not in [s["id"] for s in listed["items"]]
    assert client.post("/api/v1/systems", json=profile(id=sid, org="Beta Ltd"), headers=bob).status_code == 409
    # the owner still sees it unchanged
    mine = client.get(f"/api/v1/systems/{sid}", headers=tokens["alice"]).json()
    assert mine["organisation"] == "Acme" and mine["filing"]["status"] == "draft" and mine["revision"] == 1


def test_provider_runs_and_reports_of_others_are_hidden(client, tokens, acme_system):
    sid = acme_system["id"]
    run = client.post(f"/api/v1/systems/{sid}/runs", json={"kind": "stub", "config": {"steps": 1, "step_seconds": 0}},
                      headers=tokens["alice"]).json()
    assert client.get(f"/api/v1/runs/{run['id']}", headers=tokens["bob"]).status_code == 404
    assert client.get(f"/api/v1/runs/{run['id']}", headers=tokens["alice"]).status_code == 200


def test_provider_registers_only_for_own_organisation(client, tokens):
    r = client.post("/api/v1/systems", json=profile(id="wrong-org-system", org="Beta Ltd"), headers=tokens["alice"])
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "organisation.name"


def test_anonymous_sees_only_published_entries(client, tokens):
    alice, rita = tokens["alice"], tokens["rita"]
    states = {}
    for sid, steps in [("anon-draft", []), ("anon-submitted", ["submit"]), ("anon-review", ["submit", "start_review"]),
                       ("anon-approved", ["submit", "start_review", "approve"]),
                       ("anon-published", ["submit", "start_review", "approve", "publish"]),
                       ("anon-withdrawn", ["submit", "start_review", "approve", "publish", "withdraw"])]:
        _create(client, alice, profile(id=sid))
        for step in steps:
            who = alice if step in ("submit", "withdraw") else rita
            r = _transition(client, who, sid, step)
            assert r.status_code == 200, (sid, step, r.text)
        states[sid] = client.get(f"/api/v1/systems/{sid}", headers=alice).json()["filing"]["status"]
    assert states["anon-withdrawn"] == "withdrawn"
    # anonymous: the private API is closed, the register shows the published entry only
    assert client.get("/api/v1/systems").status_code == 401
    assert client.get("/api/v1/systems/anon-draft").status_code == 401
    listed = client.get("/api/v1/public/systems?limit=100").json()
    ids = {e["id"] for e in listed["items"]}
    assert "anon-published" in ids
    assert not ids & {"anon-draft", "anon-submitted", "anon-review", "anon-approved", "anon-withdrawn"}
    for sid in ("anon-draft", "anon-submitted", "anon-review", "anon-approved", "anon-withdrawn"):
        assert client.get(f"/api/v1/public/systems/{sid}").status_code == 404
        assert client.post(f"/api/v1/public/systems/{sid}/feedback", json={"message": "hello there"}).status_code == 404
    entry = client.get("/api/v1/public/systems/anon-published").json()
    assert entry["filing_number"].startswith("TP-") and entry["organisation"] == "Acme"
    # the web register agrees
    page = client.get("/register?q=anon").text
    assert "anon-published" in page and "anon-draft" not in page


def test_reviewer_does_not_see_drafts_and_cannot_edit(client, tokens):
    _create(client, tokens["alice"], profile(id="draft-only"))
    assert client.get("/api/v1/systems/draft-only", headers=tokens["rita"]).status_code == 404
    _transition(client, tokens["alice"], "draft-only", "submit")
    r = client.get("/api/v1/systems/draft-only", headers=tokens["rita"])
    assert r.status_code == 200
    put = client.put("/api/v1/systems/draft-only", json=profile(id="draft-only"), headers={**tokens["rita"], "If-Match": r.headers["ETag"]})
    assert put.status_code == 403
    # providers cannot approve their own filing
    assert _transition(client, tokens["alice"], "draft-only", "start_review").status_code == 403
    # auditors read everything, change nothing
    assert client.get("/api/v1/systems/draft-only", headers=tokens["aud"]).status_code == 200
    assert _transition(client, tokens["aud"], "draft-only", "start_review").status_code == 403


def test_optimistic_concurrency_no_lost_update(client, tokens):
    alice = tokens["alice"]
    doc = profile(id="concurrent-edit")
    etag = _create(client, alice, doc).headers["ETag"]
    assert client.put("/api/v1/systems/concurrent-edit", json=doc, headers=alice).status_code == 428
    first = dict(doc, intended_purpose="first writer")
    second = dict(doc, intended_purpose="second writer")
    r1 = client.put("/api/v1/systems/concurrent-edit", json=first, headers={**alice, "If-Match": etag})
    assert r1.status_code == 200 and r1.headers["ETag"] != etag
    r2 = client.put("/api/v1/systems/concurrent-edit", json=second, headers={**alice, "If-Match": etag})
    assert r2.status_code == 412
    got = client.get("/api/v1/systems/concurrent-edit", headers=alice).json()
    assert got["profile"]["intended_purpose"] == "first writer" and got["version"] == 2


def test_workflow_deadlines_and_audit_trail(client, tokens):
    alice, rita = tokens["alice"], tokens["rita"]
    sid = "workflow-system"
    doc = profile(id=sid)
    _create(client, alice, doc)
    assert _transition(client, alice, sid, "approve").status_code == 403
    assert _transition(client, rita, sid, "approve").status_code == 404  # reviewers do not see drafts
    assert _transition(client, alice, sid, "submit").status_code == 200
    assert _transition(client, alice, sid, "submit").status_code == 409  # not from "submitted"
    assert _transition(client, rita, sid, "start_review").status_code == 200
    r = _transition(client, rita, sid, "return")
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "comment"
    r = _transition(client, rita, sid, "return", comment="Describe the human oversight.")
    assert r.json()["filing"]["status"] == "returned" and r.json()["filing"]["review_comment"].startswith("Describe")
    etag = client.get(f"/api/v1/systems/{sid}", headers=alice).headers["ETag"]
    assert client.put(f"/api/v1/systems/{sid}", json=dict(doc, autonomy="human_in_the_loop"),
                      headers={**alice, "If-Match": etag}).status_code == 200
    for who, action in [(alice, "submit"), (rita, "start_review"), (rita, "approve"), (rita, "publish")]:
        assert _transition(client, who, sid, action).status_code == 200, action
    # a change to a published system: "changed", due within 10 working days of its effective date
    etag = client.get(f"/api/v1/systems/{sid}", headers=alice).headers["ETag"]
    r = client.put(f"/api/v1/systems/{sid}?effective_date=2026-01-02", json=dict(doc, intended_purpose="new purpose"),
                   headers={**alice, "If-Match": etag})
    f = r.json()["filing"]
    assert f["status"] == "changed" and f["deadline"]["kind"] == "change"
    assert f["deadline"]["date"] == "2026-01-16" and f["deadline"]["cites"] == ["cn-algorithm-recommendation:art-24"]
    # the public keeps seeing the approved copy, not the unreviewed change
    pub = client.get(f"/api/v1/public/systems/{sid}").json()
    assert pub["status"] == "changed" and pub["profile"].get("intended_purpose") != "new purpose"
    # withdrawal: deregistration within 20 working days of the end of the service
    r = _transition(client, alice, sid, "withdraw", effective_date="2026-03-02")
    f = r.json()["filing"]
    assert f["status"] == "withdrawn" and f["deadline"] == {"date": "2026-03-30", "kind": "deregistration", "working_days": 20,
                                                            "cites": ["cn-algorithm-recommendation:art-24"],
                                                            "overdue": dt.date.today().isoformat() > "2026-03-30"}
    hist = client.get(f"/api/v1/systems/{sid}/history?limit=100", headers=alice).json()["items"]
    actions = [e["action"] for e in reversed(hist)]
    assert actions[:2] == ["system.registered", "filing.created"]
    for a in ("filing.submit", "filing.start_review", "filing.return", "filing.approve", "filing.publish", "filing.changed", "filing.withdraw"):
        assert a in actions
    assert {e["actor"] for e in hist if e["action"] in ("filing.approve", "filing.publish")} == {"user:rita"}
    assert client.get("/api/v1/audit/verify", headers=tokens["aud"]).json()["ok"] is True
    assert client.get("/api/v1/audit/verify", headers=alice).status_code == 403


def test_feedback_is_moderated_and_visible_to_provider_and_reviewer(client, tokens):
    alice, rita = tokens["alice"], tokens["rita"]
    sid = "feedback-system"
    _create(client, alice, profile(id=sid))
    for who, action in [(alice, "submit"), (rita, "start_review"), (rita, "approve"), (rita, "publish")]:
        _transition(client, who, sid, action)
    r = client.post(f"/api/v1/public/systems/{sid}/feedback", json={"message": "The bot gave me wrong advice.", "contact": "a@b.c"})
    assert r.status_code == 202
    fid = r.json()["id"]
    assert client.get(f"/api/v1/systems/{sid}/feedback", headers=alice).json()["items"] == []  # not yet moderated
    queue = client.get("/api/v1/feedback", headers=rita).json()["items"]
    assert fid in [f["id"] for f in queue]
    assert client.get("/api/v1/feedback", headers=alice).status_code == 403
    assert client.post(f"/api/v1/feedback/{fid}/moderation", json={"decision": "approved"}, headers=alice).status_code == 403
    assert client.post(f"/api/v1/feedback/{fid}/moderation", json={"decision": "approved"}, headers=rita).status_code == 200
    seen = client.get(f"/api/v1/systems/{sid}/feedback", headers=alice).json()["items"]
    assert [f["message"] for f in seen] == ["The bot gave me wrong advice."] and "contact" not in seen[0]
    assert client.get(f"/api/v1/systems/{sid}/feedback", headers=tokens["bob"]).status_code == 404


def test_runs_results_assessment_and_signed_report(client, tokens, acme_system):
    alice = tokens["alice"]
    sid = acme_system["id"]
    r = client.post(f"/api/v1/systems/{sid}/runs", json={"kind": "stub", "config": {"steps": 3, "step_seconds": 0.05}}, headers=alice)
    assert r.status_code == 202 and r.headers["Location"].startswith("/api/v1/runs/")
    rid = r.json()["id"]
    for _ in range(100):
        run = client.get(f"/api/v1/runs/{rid}", headers=alice).json()
        if run["status"] == "completed":
            break
        time.sleep(0.1)
    assert run["status"] == "completed" and run["progress"] == 1.0
    assert all({"name", "value", "threshold", "passed"} <= set(m) for m in run["result"]["metrics"])
    assessed = client.get(f"/api/v1/systems/{sid}/assessment", headers=alice).json()
    assert rid in [x["id"] for x in assessed["runs"]]
    # the stub's invented numbers are shown as simulated and never make anything met
    assert assessed["totals"]["met"] == 0 and rid in assessed["simulated_runs"]
    sim_rows = [r for r in assessed["rows"] if r["run"] == rid]
    assert sim_rows and all(r["evidence_kind"] == "simulated" and r["counted"] is False for r in sim_rows)
    rep = client.post(f"/api/v1/systems/{sid}/reports", headers=alice)
    assert rep.status_code == 201
    rep_id = rep.json()["id"]
    zipped = client.get(f"/api/v1/reports/{rep_id}/download", headers=alice)
    assert zipped.status_code == 200 and zipped.headers["content-type"] == "application/zip"
    assert client.post(f"/api/v1/reports/{rep_id}/verify", headers=tokens["aud"]).json()["matches_record"] is True
    up = client.post("/api/v1/reports/verify", files={"file": ("r.zip", zipped.content, "application/zip")}, headers=tokens["aud"])
    assert up.json()["ok"] is True
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data.replace(b"met", b"MET") if info.filename == "assessment.json" else data)
    bad = client.post("/api/v1/reports/verify", files={"file": ("r.zip", buf.getvalue(), "application/zip")}, headers=tokens["aud"]).json()
    assert bad["ok"] is False and bad["first_bad_file"] == "assessment.json"
    assert client.get(f"/api/v1/reports/{rep_id}/download", headers=tokens["bob"]).status_code == 404


def test_stub_evidence_is_simulated_in_every_report_format(client, tokens, acme_system, tmp_path):
    """Issue 12: a stub run, even with every metric 'passing', makes no obligation met, and the
    HTML, PDF, JSON and OSCAL reports say 'simulated' wherever its numbers appear."""
    import io
    import subprocess
    import zipfile

    from tianping.reporting.build import report_files

    alice = tokens["alice"]
    sid = acme_system["id"]
    rid = client.post(f"/api/v1/systems/{sid}/runs", json={"kind": "stub", "config": {"steps": 1, "step_seconds": 0}},
                      headers=alice).json()["id"]
    for _ in range(100):
        if client.get(f"/api/v1/runs/{rid}", headers=alice).json()["status"] == "completed":
            break
        time.sleep(0.1)
    a = client.get(f"/api/v1/systems/{sid}/assessment", headers=alice).json()
    ids = {r["id"] for r in a["rows"] if r["run"] == rid}
    assert ids
    for o in a["obligations"]:
        if set(o["rows"]) & ids:
            assert o["verdict"] != "met" or not set(o["decisive"]) & ids
            if set(o["rows"]) <= ids and not o["checks"]:
                assert o["verdict"] == "needs_evidence" and o["reason"] == "only_simulated"
    # the API's re-scoring: thresholds change, the stored rows are judged again, still never counted
    metric = next(r["metric"] for r in a["rows"] if r["run"] == rid)
    rs = client.post(f"/api/v1/systems/{sid}/assessment/rescore", headers=alice,
                     json={"thresholds": {metric: {"op": ">=", "value": 0.5}}})
    assert rs.status_code == 200, rs.text
    acc = [r for r in rs.json()["rows"] if r["run"] == rid and r["metric"] == metric]
    assert acc and all(r["threshold"]["source"] == "API request" and not r["counted"] for r in acc)
    assert client.post(f"/api/v1/systems/{sid}/assessment/rescore", headers=alice,
                       json={"thresholds": {metric: {"value": "high"}}}).status_code == 422
    # JSON and OSCAL from the signed bundle
    rep_id = client.post(f"/api/v1/systems/{sid}/reports", headers=alice).json()["id"]
    with zipfile.ZipFile(io.BytesIO(client.get(f"/api/v1/reports/{rep_id}/download", headers=alice).content)) as z:
        bundled = json.loads(z.read("assessment.json"))
        oscal = json.loads(z.read("oscal-assessment-results.json"))
        html_en = z.read("report.en.html").decode()
    assert all(r["evidence_kind"] == "simulated" for r in bundled["rows"] if r["run"] == rid)
    observations = oscal["assessment-results"]["results"][0]["observations"]
    stub_obs = [o for o in observations if rid in o["description"]]
    assert stub_obs and all(o["title"].startswith("[SIMULATED]") and "SIMULATED" in o["description"] for o in stub_obs)
    assert all(any(p["name"] == "evidence-kind" and p["value"] == "simulated" for p in o["props"]) for o in stub_obs)
    assert "SIMULATED EVIDENCE" in html_en
    # HTML: every table row showing a stub number is marked
    for line in html_en.splitlines():
        if rid[:8] in line and "<tr" in line:
            assert "SIMULATED" in line or "simulated" in line
    # PDF: every page that prints a stub metric carries the simulated mark
    files = report_files(bundled, langs=("en",), pdf=True)
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(files["report.en.pdf"])
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    shown = [p for p in pages if "robustness_degradation" in p or "demographic_parity_difference" in p or "refusal_rate" in p]
    assert shown and all("SIMULATED" in p for p in shown)


def test_pagination(client, tokens):
    for i in range(3):
        _create(client, tokens["bob"], profile(id=f"beta-page-{i}", org="Beta Ltd"))
    p1 = client.get("/api/v1/systems?limit=2&offset=0", headers=tokens["bob"]).json()
    p2 = client.get("/api/v1/systems?limit=2&offset=2", headers=tokens["bob"]).json()
    assert p1["total"] == p2["total"] == 3 and len(p1["items"]) == 2 and len(p2["items"]) == 1
    assert not {s["id"] for s in p1["items"]} & {s["id"] for s in p2["items"]}
    assert client.get("/api/v1/systems?limit=1000", headers=tokens["bob"]).status_code == 422


def test_login_rate_limit_and_token_revocation(client, server_db):
    from tianping.server.accounts import add_user

    add_user(server_db, "mallory-target", "target-password-1", "provider", organisation="Target Org")
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "mallory-target", "password": "wrong"}).status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "mallory-target", "password": "target-password-1"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    r = client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORDS["alice"]})
    tok = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/api/v1/me", headers=tok).json()["organisation"] == "Acme"
    assert client.delete("/api/v1/auth/token", headers=tok).status_code == 204
    assert client.get("/api/v1/me", headers=tok).status_code == 401


def test_session_cookie_needs_csrf_for_changes(server_db):
    from fastapi.testclient import TestClient

    from tianping.server import create_app

    from server_helpers import make_settings

    app = create_app(make_settings(server_db, run_worker=False), db=server_db)
    with TestClient(app) as c:
        c.get("/login")
        csrf = c.cookies.get("tp_csrf")
        assert c.post("/login", data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": "forged"},
                      follow_redirects=False).status_code == 403
        r = c.post("/login", data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303 and "tp_session" in r.headers["set-cookie"]
        assert c.get("/api/v1/me").json()["username"] == "alice"
        csrf = c.cookies.get("tp_csrf")
        doc = profile(id="cookie-made")
        assert c.post("/api/v1/systems", json=doc).status_code == 403
        assert c.post("/api/v1/systems", json=doc, headers={"X-CSRF-Token": csrf}).status_code == 201
        page = c.get("/systems/cookie-made")
        assert page.status_code == 200 and "Content-Security-Policy" in page.headers
