"""Upload retention: uploads are deleted a set time after their last use, never while a run that
names them may still run or resume; the sweep runs at start-up and periodically and audits each
deletion (`server/uploads.py`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

DAY = 86400.0


@pytest.fixture
def db(tmp_path):
    from tianping.store import open_database

    d = open_database(f"sqlite:///{tmp_path / 'ret.db'}")
    yield d
    d.dispose()


@pytest.fixture
def store(tmp_path):
    from tianping.server.uploads import UploadStore

    return UploadStore(tmp_path / "uploads")


def _save(store, system: str, name: str, body: bytes) -> dict:
    async def chunks():
        yield body

    return asyncio.run(store.save(system, name, chunks(), actor="user:alice"))


def _age(store, system: str, upload_id: str, days: float) -> None:
    """Make every file of the upload look `days` old."""
    t = time.time() - days * DAY
    for p in (store.root / system / upload_id).iterdir():
        os.utime(p, (t, t))


def _run(db, system: str, upload: dict, store, status: str, finished_days_ago: float | None = None) -> str:
    from tianping.store.models import RunRow

    path = store.root / system / upload["id"] / upload["name"]
    finished = None
    if finished_days_ago is not None:
        finished = (dt.datetime.now(dt.UTC) - dt.timedelta(days=finished_days_ago)).isoformat(timespec="seconds")
    rid = str(uuid.uuid4())
    with db.session() as s:
        s.add(RunRow(id=rid, system_id=system, kind="tabular", suite="all", target="model.onnx",
                     config={"data": str(path), "target": "label", "_files": {"data": {"name": upload["name"]}}},
                     status=status, created_at=dt.datetime.now(dt.UTC).isoformat(), finished_at=finished))
    return rid


def _set_run(db, rid: str, status: str, finished_days_ago: float) -> None:
    from tianping.store.models import RunRow

    with db.session() as s:
        run = s.get(RunRow, rid)
        run.status = status
        run.finished_at = (dt.datetime.now(dt.UTC) - dt.timedelta(days=finished_days_ago)).isoformat(timespec="seconds")


def _deleted_events(db) -> list:
    from tianping.store.models import AuditEventRow

    with db.session() as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.action == "upload.deleted"))
        return [(e.actor, e.subject_id, e.data) for e in rows]


def test_an_unused_upload_goes_after_the_retention_and_is_audited(db, store):
    old = _save(store, "sys-a", "old.csv", b"a,b\n1,2\n")
    new = _save(store, "sys-a", "new.csv", b"a,b\n3,4\n")
    _age(store, "sys-a", old["id"], 8)
    _age(store, "sys-a", new["id"], 6)
    gone = store.sweep(db, 7 * DAY)
    assert [g["upload"] for g in gone] == [old["id"]] and gone[0]["reason"] == "unused"
    assert not (store.root / "sys-a" / old["id"]).exists() and (store.root / "sys-a" / new["id"] / "new.csv").is_file()
    events = _deleted_events(db)
    assert len(events) == 1
    actor, subject, data = events[0]
    assert actor == "system:retention" and subject == "sys-a"
    assert data["upload"] == old["id"] and data["sha256"] == old["sha256"] and data["name"] == "old.csv" and data["size"] == 8
    from tianping.audit.log import AuditLog

    check = AuditLog(db).verify()
    assert check.ok and check.checked == 1  # the event is in the hash chain


@pytest.mark.parametrize("status", ["pending", "running", "interrupted"])
def test_never_while_a_run_naming_it_may_still_run(db, store, status):
    up = _save(store, "sys-b", "data.csv", b"x,label\n1,0\n")
    _age(store, "sys-b", up["id"], 30)
    rid = _run(db, "sys-b", up, store, status)
    assert store.sweep(db, 7 * DAY) == [] and (store.root / "sys-b" / up["id"] / "data.csv").is_file()
    _set_run(db, rid, "completed", 2)  # ended two days ago: kept until seven days after the end
    assert store.sweep(db, 7 * DAY) == []
    _set_run(db, rid, "failed", 8)
    gone = store.sweep(db, 7 * DAY)
    assert [(g["upload"], g["reason"]) for g in gone] == [(up["id"], "runs ended")]
    assert not (store.root / "sys-b").exists()  # the system's folder went with its last upload


def test_one_active_run_among_ended_ones_keeps_the_file(db, store):
    up = _save(store, "sys-c", "data.csv", b"x,label\n1,0\n")
    _age(store, "sys-c", up["id"], 30)
    _run(db, "sys-c", up, store, "completed", finished_days_ago=20)
    _run(db, "sys-c", up, store, "interrupted")
    assert store.sweep(db, 7 * DAY) == []


def test_a_run_request_naming_the_upload_restarts_its_clock(db, store):
    up = _save(store, "sys-d", "data.csv", b"x,label\n1,0\n")
    _age(store, "sys-d", up["id"], 10)
    path, meta = store.path("sys-d", up["id"], field="config.data")  # what a run request does
    assert path.is_file() and meta["sha256"] == up["sha256"]
    assert store.sweep(db, 7 * DAY) == []
    assert [g["upload"] for g in store.sweep(db, 7 * DAY, now=time.time() + 7.5 * DAY)] == [up["id"]]


def test_a_folder_left_by_a_crashed_upload_goes_too(db, store):
    d = store.root / "sys-e" / str(uuid.uuid4())
    d.mkdir(parents=True)
    (d / "half.csv").write_bytes(b"a,b\n1,")
    assert store.sweep(db, 7 * DAY) == []  # it may still be being written
    t = time.time() - 8 * DAY
    os.utime(d / "half.csv", (t, t))
    os.utime(d, (t, t))
    gone = store.sweep(db, 7 * DAY)
    assert [g["reason"] for g in gone] == ["incomplete"] and not d.exists()


def test_retention_zero_keeps_everything(db, store):
    up = _save(store, "sys-f", "data.csv", b"x\n1\n")
    _age(store, "sys-f", up["id"], 3650)
    assert store.sweep(db, 0) == [] and (store.root / "sys-f" / up["id"]).is_dir()


def test_settings_read_the_environment(monkeypatch):
    from tianping.server.settings import ServerSettings

    monkeypatch.setenv("TIANPING_UPLOAD_RETENTION_DAYS", "2.5")
    monkeypatch.setenv("TIANPING_UPLOAD_SWEEP_HOURS", "1")
    s = ServerSettings(secret_key="k")
    assert s.upload_retention_days == 2.5 and s.upload_sweep_hours == 1.0
    monkeypatch.delenv("TIANPING_UPLOAD_RETENTION_DAYS")
    assert ServerSettings(secret_key="k").upload_retention_days == 7.0


def test_the_janitor_sweeps_periodically(db, store):
    from tianping.server.uploads import UploadJanitor

    first = _save(store, "sys-g", "a.csv", b"x\n1\n")
    _age(store, "sys-g", first["id"], 8)
    j = UploadJanitor(store, db, 7 * DAY, interval=0.1)
    j.start()
    try:
        deadline = time.time() + 20
        while (store.root / "sys-g" / first["id"]).exists() and time.time() < deadline:
            time.sleep(0.05)
        assert not (store.root / "sys-g" / first["id"]).exists()  # the round at start-up
        second = _save(store, "sys-g", "b.csv", b"x\n2\n")
        _age(store, "sys-g", second["id"], 8)  # ages after start-up: only a later round can find it
        deadline = time.time() + 20
        while (store.root / "sys-g" / second["id"]).exists() and time.time() < deadline:
            time.sleep(0.05)
        assert not (store.root / "sys-g" / second["id"]).exists()
    finally:
        j.stop()
    assert {d["upload"] for _a, _s, d in _deleted_events(db)} == {first["id"], second["id"]}


def test_the_server_sweeps_at_start_up(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from server_helpers import make_settings, seed_users
    finally:
        sys.path.pop(0)
    from fastapi.testclient import TestClient

    from tianping.server import create_app
    from tianping.server.uploads import UploadStore
    from tianping.store import open_database

    db = open_database(f"sqlite:///{tmp_path / 'srv.db'}")
    seed_users(db)
    store = UploadStore(tmp_path / "up")
    old = _save(store, "sys-h", "old.csv", b"x\n1\n")
    kept = _save(store, "sys-h", "kept.csv", b"x\n2\n")
    _age(store, "sys-h", old["id"], 3)
    _age(store, "sys-h", kept["id"], 1)
    settings = make_settings(db, uploads_dir=tmp_path / "up", upload_retention_days=2, upload_sweep_hours=24)
    with TestClient(create_app(settings, db=db)):
        deadline = time.time() + 20
        while (store.root / "sys-h" / old["id"]).exists() and time.time() < deadline:
            time.sleep(0.05)
        assert not (store.root / "sys-h" / old["id"]).exists()
        assert (store.root / "sys-h" / kept["id"] / "kept.csv").is_file()
    events = _deleted_events(db)
    assert [d["upload"] for _a, _s, d in events] == [old["id"]]
    assert json.loads(json.dumps(events[0][2]))["reason"] == "unused"
    db.dispose()
