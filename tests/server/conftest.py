"""Fixtures for the server tests: a migrated PostgreSQL database with users, and the app."""

from __future__ import annotations

import pytest

from server_helpers import PASSWORDS, make_settings, new_pg_database, seed_users


@pytest.fixture(scope="module")
def server_db(pg_server):
    from tianping.store import open_database

    db = open_database(new_pg_database(pg_server, "srv"))
    seed_users(db)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def client(server_db):
    from fastapi.testclient import TestClient

    from tianping.server import create_app

    app = create_app(make_settings(server_db), db=server_db)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(client):
    out = {}
    for user, pw in PASSWORDS.items():
        r = client.post("/api/v1/auth/token", json={"username": user, "password": pw})
        assert r.status_code == 201, r.text
        out[user] = {"Authorization": f"Bearer {r.json()['token']}"}
    return out
