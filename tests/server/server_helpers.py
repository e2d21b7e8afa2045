"""Helpers shared by the server tests (imported by name: test directories are not packages)."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "output" / "server"  # git-ignored: screenshots and other artifacts
PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-12", "rita": "rita-password-1", "aud": "auditor-password",
             "root": "admin-password-1"}


def new_pg_database(pg_server: str, prefix: str) -> str:
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = pg_server.replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{pg_server}/{name}"


def profile(name: str = "customer-service-chatbot", *, org: str = "Acme", id: str | None = None) -> dict:
    doc = json.loads(json.dumps(yaml.safe_load((ROOT / "examples" / "systems" / f"{name}.yaml").read_text()), default=str))
    doc["organisation"]["name"] = org
    if id:
        doc["id"] = id
    return doc


def seed_users(db) -> None:
    from tianping.server.accounts import add_user

    add_user(db, "alice", PASSWORDS["alice"], "provider", organisation="Acme", display_name="Alice Chen")
    add_user(db, "bob", PASSWORDS["bob"], "provider", organisation="Beta Ltd")
    add_user(db, "rita", PASSWORDS["rita"], "reviewer", display_name="Rita Reviewer")
    add_user(db, "aud", PASSWORDS["aud"], "auditor")
    add_user(db, "root", PASSWORDS["root"], "admin")


def make_settings(db, **kw):
    from tianping.server import ServerSettings

    base = dict(db_url=db.url, secret_key="test-secret-key", worker_poll_seconds=0.1, job_lease_seconds=5.0, demo_runs=True,
                reclassify_hours=0)  # the scheduled re-classification is tested on its own (test_server_monitor.py)
    base.update(kw)
    return ServerSettings(**base)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn in a thread, for the browser and schemathesis (real HTTP on 127.0.0.1)."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(15)
