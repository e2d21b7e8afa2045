"""Edits and reads on a real PostgreSQL server: checklist answers in the audit trail under the
user, the web form that edits a profile (owner only, CSRF, optimistic concurrency, filing rule),
and the event-loop read path answering exactly like the general services."""

from __future__ import annotations

import json
import re

import pytest

from server_helpers import PASSWORDS, make_settings, profile

pytestmark = pytest.mark.postgres


def _create(client, headers, doc):
    r = client.post("/api/v1/systems", json=doc, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _transition(client, headers, sid, action, **body):
    etag = client.get(f"/api/v1/systems/{sid}", headers=headers).headers["ETag"]
    r = client.post(f"/api/v1/systems/{sid}/transitions", json={"action": action, **body}, headers={**headers, "If-Match": etag})
    assert r.status_code == 200, r.text
    return r.json()


def _publish(client, tokens, sid):
    for who, action in [("alice", "submit"), ("rita", "start_review"), ("rita", "approve"), ("rita", "publish")]:
        _transition(client, tokens[who], sid, action)


def _history(client, headers, sid):
    return client.get(f"/api/v1/systems/{sid}/history?limit=100", headers=headers).json()["items"]


def test_checklist_answers_are_audited_under_the_user(client, tokens):
    sid = "answers-system"
    _create(client, tokens["alice"], profile(id=sid))
    r = client.put(f"/api/v1/systems/{sid}/checklist-answers", headers=tokens["alice"],
                   json={"answers": {"aiverify:9.1.1": {"answer": "yes", "comment": "documented"}}})
    assert r.status_code == 200, r.text
    events = [e for e in _history(client, tokens["alice"], sid) if e["action"] == "checklist.answers_imported"]
    assert len(events) == 1
    assert events[0]["actor"] == "user:alice" and events[0]["data"]["items"] == ["aiverify:9.1.1"]
    # another organisation cannot answer for it, and nothing is recorded in its name
    r = client.put(f"/api/v1/systems/{sid}/checklist-answers", headers=tokens["bob"], json={"answers": {"aiverify:9.1.1": {"answer": "no"}}})
    assert r.status_code == 404
    assert not [e for e in _history(client, tokens["alice"], sid) if e["actor"] == "user:bob"]
    assert client.get(f"/api/v1/systems/{sid}/checklist-answers", headers=tokens["alice"]).json()["answers"]["aiverify:9.1.1"]["answer"] == "yes"


def test_fast_reads_answer_like_the_general_services(client, tokens):
    """The event-loop path (PostgreSQL) returns what the SQLAlchemy services return."""
    from tianping.server.principal import Principal

    svc = client.app.state.services
    assert svc.reads.fast is not None  # the API tests run on PostgreSQL, so they exercise fastread.py
    for i in range(3):
        _create(client, tokens["alice"], profile(id=f"parity-{i}"))
    _publish(client, tokens, "parity-0")
    _publish(client, tokens, "parity-1")
    norm = lambda x: json.loads(json.dumps(x))  # noqa: E731
    # public register: page and entry (the count cache is shared, so clear it first)
    from tianping.server.filings import _count_cache

    _count_cache.clear()
    items, total = svc.filings.public_list(limit=20, offset=0)
    api = client.get("/api/v1/public/systems?limit=20&offset=0").json()
    assert api["items"] == norm(items) and api["total"] == total and {"parity-0", "parity-1"} <= {x["id"] for x in api["items"]}
    assert client.get("/api/v1/public/systems/parity-0").json() == norm(svc.filings.public_get("parity-0"))
    assert client.get("/api/v1/public/systems/parity-2").status_code == 404  # a draft is not public
    # a provider's system and list (with and without a status filter, and past the end)
    me = client.get("/api/v1/me", headers=tokens["alice"]).json()
    assert me["organisation"] == "Acme"
    from sqlalchemy import select

    from tianping.server.accounts import principal_of
    from tianping.server.models import UserRow

    with svc.db.session() as s:
        alice: Principal = principal_of(s, s.scalars(select(UserRow).where(UserRow.username == "alice")).one())
    r = client.get("/api/v1/systems/parity-1", headers=tokens["alice"])
    assert r.json() == norm(svc.filings.get(alice, "parity-1")) and r.headers["ETag"] == r.json()["filing"]["etag"]
    for query, kw in [("limit=2&offset=0", {"limit": 2, "offset": 0}), ("limit=2&offset=2", {"limit": 2, "offset": 2}),
                      ("status=published", {"status": "published"}), ("limit=5&offset=10000", {"limit": 5, "offset": 10000})]:
        items, total = svc.filings.list(alice, **kw)
        api = client.get(f"/api/v1/systems?{query}", headers=tokens["alice"]).json()
        assert api["items"] == norm(items) and api["total"] == total, query
    # other organisations: not found, as for a missing id; reviewers see it once it left draft
    assert client.get("/api/v1/systems/parity-1", headers=tokens["bob"]).status_code == 404
    assert client.get("/api/v1/systems/parity-2", headers=tokens["rita"]).status_code == 404
    assert client.get("/api/v1/systems/parity-1", headers=tokens["rita"]).status_code == 200


@pytest.fixture()
def web(server_db):
    """A browser-like client with its own app, logged in as alice through the login form."""
    from fastapi.testclient import TestClient

    from tianping.server import create_app

    app = create_app(make_settings(server_db, run_worker=False), db=server_db)
    with TestClient(app) as c:
        c.get("/login")
        r = c.post("/login", data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": c.cookies.get("tp_csrf")},
                   follow_redirects=False)
        assert r.status_code == 303
        yield c


def _form(page: str) -> dict[str, str]:
    rev = re.search(r'name="revision" value="(\d+)"', page).group(1)
    text = re.search(r'<textarea id="profile-yaml" name="profile"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    import html

    return {"revision": rev, "profile": html.unescape(text)}


def _with(text: str, **changes) -> str:
    import yaml

    doc = yaml.safe_load(text)
    doc.update(changes)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def test_web_profile_edit_owner_only_csrf_concurrency_and_filing_rule(client, tokens, web):
    sid = "web-edit"
    _create(client, tokens["alice"], profile(id=sid))
    _publish(client, tokens, sid)
    published = client.get(f"/api/v1/public/systems/{sid}").json()

    page = web.get(f"/systems/{sid}")
    assert f'href="/systems/{sid}/edit"' in page.text  # the owner sees the edit link
    form = web.get(f"/systems/{sid}/edit")
    assert form.status_code == 200 and 'id="edit-published"' in form.text  # the filing rule is explained before saving
    first = _form(form.text)
    assert "intended_purpose:" in first["profile"]
    csrf = web.cookies.get("tp_csrf")

    # no CSRF token: refused, nothing changed
    edited = _with(first["profile"], intended_purpose="Edited in the browser.")
    r = web.post(f"/systems/{sid}/edit", data={**first, "profile": edited}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get(f"/api/v1/systems/{sid}", headers=tokens["alice"]).json()["status"] == "published"

    # the owner saves: published → changed, deadline for the change, audited under alice
    r = web.post(f"/systems/{sid}/edit", data={**first, "profile": edited, "csrf_token": csrf, "effective_date": "2026-12-01"},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/systems/{sid}?saved=1"
    now = client.get(f"/api/v1/systems/{sid}", headers=tokens["alice"]).json()
    assert now["status"] == "changed" and now["profile"]["intended_purpose"] == "Edited in the browser."
    assert now["filing"]["deadline"]["kind"] == "change" and now["filing"]["effective_date"] == "2026-12-01"
    assert now["revision"] == int(first["revision"]) + 1
    events = {e["action"]: e for e in _history(client, tokens["alice"], sid)}
    assert events["filing.changed"]["actor"] == "user:alice" and events["filing.changed"]["data"]["to"] == "changed"
    assert events["system.updated"]["actor"] == "user:alice"
    # the register keeps the approved copy until the change is reviewed
    pub = client.get(f"/api/v1/public/systems/{sid}").json()
    assert pub["profile"] == published["profile"] and pub["version"] == published["version"] and pub["status"] == "changed"

    # a second editor still holding the old revision is refused; their text is kept, the first edit stands
    stale_text = _with(first["profile"], intended_purpose="Stale edit.")
    r = web.post(f"/systems/{sid}/edit", data={**first, "profile": stale_text, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 409 and 'id="edit-stale"' in r.text and "Nothing was overwritten" in r.text
    assert "Stale edit." in _form(r.text)["profile"]  # nothing the user typed is lost
    assert "Edited in the browser." in r.text  # the current profile is shown for comparison
    assert _form(r.text)["revision"] == str(now["revision"])
    assert client.get(f"/api/v1/systems/{sid}", headers=tokens["alice"]).json()["profile"]["intended_purpose"] == "Edited in the browser."
    # the same refusal in Chinese
    r = web.post(f"/systems/{sid}/edit?lang=zh", data={**first, "profile": stale_text, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 409 and "未覆盖任何内容" in r.text and 'lang="zh' in r.text
    web.get("/lang/en")

    # invalid YAML or an invalid profile: 422 with the line, the text kept, nothing saved
    cur = _form(web.get(f"/systems/{sid}/edit").text)
    bad = cur["profile"] + "autonomy: sometimes\n"
    r = web.post(f"/systems/{sid}/edit", data={**cur, "profile": bad, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 422 and 'id="edit-errors"' in r.text and "autonomy" in r.text
    assert re.search(r"line \d+", r.text) and "autonomy: sometimes" in _form(r.text)["profile"]
    assert client.get(f"/api/v1/systems/{sid}", headers=tokens["alice"]).json()["revision"] == now["revision"]


def test_web_profile_edit_is_for_the_owning_provider_only(client, tokens, server_db):
    from fastapi.testclient import TestClient

    from tianping.server import create_app

    sid = "web-edit-owner"
    _create(client, tokens["alice"], profile(id=sid))
    _transition(client, tokens["alice"], sid, "submit")
    app = create_app(make_settings(server_db, run_worker=False), db=server_db)
    for user, status in [("bob", 404), ("rita", 403), ("aud", 403), ("root", 403)]:
        with TestClient(app) as c:
            c.get("/login")
            c.post("/login", data={"username": user, "password": PASSWORDS[user], "csrf_token": c.cookies.get("tp_csrf")})
            assert c.get(f"/systems/{sid}/edit").status_code == status, user
            r = c.post(f"/systems/{sid}/edit", data={"profile": "id: x", "revision": "1", "csrf_token": c.cookies.get("tp_csrf")},
                       follow_redirects=False)
            assert r.status_code == status, user
    # the owner cannot edit while the filing is submitted (the workflow locks it): told so, nothing saved
    with TestClient(app) as c:
        c.get("/login")
        c.post("/login", data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": c.cookies.get("tp_csrf")})
        page = c.get(f"/systems/{sid}/edit")
        assert page.status_code == 200 and 'id="edit-locked"' in page.text
        form = _form(page.text)
        r = c.post(f"/systems/{sid}/edit", data={**form, "profile": _with(form["profile"], name="Renamed"),
                                                 "csrf_token": c.cookies.get("tp_csrf")}, follow_redirects=False)
        assert r.status_code == 409 and 'id="edit-locked"' in r.text
    assert client.get(f"/api/v1/systems/{sid}", headers=tokens["alice"]).json()["status"] == "submitted"


def test_system_page_anchors_are_unique_when_a_jurisdiction_has_several_packs(client, tokens, web):
    # China has a binding pack and the voluntary Action Plan pack: two results, two distinct anchors
    sid = "web-anchors"
    _create(client, tokens["alice"], profile(id=sid))  # offered in CN, SG and the EU
    page = web.get(f"/systems/{sid}").text
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    packs = re.findall(r'id="j-CN-([^"]+)"', page)
    assert len(packs) >= 2 and "cn" in packs
    for target in re.findall(r'aria-labelledby="([^"]+)"', page):
        assert target in ids
