"""The single-user default: the server on SQLite answers the hot reads through the general services
(the event-loop path is PostgreSQL only) with the same shapes and access rules."""

from __future__ import annotations

from server_helpers import PASSWORDS, make_settings, profile, seed_users


def test_hot_reads_on_sqlite(tmp_path):
    from fastapi.testclient import TestClient

    from tianping.server import create_app
    from tianping.store import open_database

    db = open_database(f"sqlite:///{tmp_path / 'server.db'}")
    seed_users(db)
    app = create_app(make_settings(db, run_worker=False), db=db)
    with TestClient(app) as c:
        assert app.state.services.reads.fast is None
        tok = {u: {"Authorization": f"Bearer {c.post('/api/v1/auth/token', json={'username': u, 'password': PASSWORDS[u]}).json()['token']}"}
               for u in ("alice", "bob", "rita")}
        assert c.post("/api/v1/systems", json=profile(id="lite-1"), headers=tok["alice"]).status_code == 201
        for who, action in [("alice", "submit"), ("rita", "start_review"), ("rita", "approve"), ("rita", "publish")]:
            etag = c.get("/api/v1/systems/lite-1", headers=tok[who]).headers["ETag"]
            assert c.post("/api/v1/systems/lite-1/transitions", json={"action": action},
                          headers={**tok[who], "If-Match": etag}).status_code == 200
        page = c.get("/api/v1/public/systems").json()
        assert page["total"] == 1 and page["items"][0]["id"] == "lite-1" and page["items"][0]["jurisdictions"]
        assert c.get("/api/v1/public/systems/lite-1").json()["filing_number"].startswith("TP-")
        mine = c.get("/api/v1/systems", headers=tok["alice"]).json()
        assert [s["id"] for s in mine["items"]] == ["lite-1"] and mine["items"][0]["status"] == "published"
        assert c.get("/api/v1/systems/lite-1", headers=tok["bob"]).status_code == 404
        assert c.get("/api/v1/systems", headers=tok["bob"]).json()["total"] == 0
        assert c.get("/api/v1/systems/lite-1", headers={"Authorization": "Bearer nope"}).status_code == 401
    db.dispose()
