"""The audit trail detects an edited, deleted, inserted or reordered entry and names the first bad one."""

from __future__ import annotations

import json
import sqlite3
import textwrap

import pytest
from typer.testing import CliRunner

from tianping.audit import AuditLog, append_event
from tianping.cli.main import app
from tianping.store import open_database

runner = CliRunner()

PROFILE = textwrap.dedent(
    """\
    id: audit-demo
    name: Audit demo
    organisation: {name: Demo}
    jurisdictions: [EU]
    """
)


@pytest.fixture
def db_with_events(tmp_path):
    path = tmp_path / "audit.db"
    db = open_database(f"sqlite:///{path}")
    with db.session() as s:
        for i in range(5):
            append_event(s, "test.event", "thing", f"t{i}", {"i": i, "text": "数据"})
    return db, path


def _verify(db):
    return AuditLog(db).verify()


def test_intact_chain(db_with_events):
    db, _ = db_with_events
    res = _verify(db)
    assert res.ok and res.checked == 5


@pytest.mark.parametrize("sql, bad_seq, needle", [
    ("UPDATE audit_events SET data = '{\"i\": 99}' WHERE seq = 3", 3, "edited"),
    ("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2", 2, "edited"),
    ("DELETE FROM audit_events WHERE seq = 2", 3, "expected #2"),
    ("DELETE FROM audit_events WHERE seq = 5", None, None),  # truncating the tail is caught by exports/anchors, not the chain
    ("UPDATE audit_events SET seq = 100 WHERE seq = 2; UPDATE audit_events SET seq = 2 WHERE seq = 4; UPDATE audit_events SET seq = 4 WHERE seq = 100", 2, "link"),
])
def test_tampering_is_detected(db_with_events, sql, bad_seq, needle):
    db, path = db_with_events
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.commit()
    conn.close()
    res = _verify(db)
    if bad_seq is None:
        assert res.ok and res.checked == 4
        return
    assert not res.ok and res.first_bad_seq == bad_seq and needle in res.problem


def test_inserted_entry_is_detected(db_with_events):
    db, path = db_with_events
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT * FROM audit_events WHERE seq = 3").fetchone()
    for seq in (5, 4, 3):  # make room by renumbering the tail, one row at a time (seq is unique)
        conn.execute("UPDATE audit_events SET seq = seq + 1 WHERE seq = ?", (seq,))
    conn.execute("INSERT INTO audit_events VALUES (3, 'forged-id', ?, 'mallory', 'test.event', 'thing', 'x', '{}', ?, ?)",
                 (row[2], row[8], "f" * 64))
    conn.commit()
    conn.close()
    res = _verify(db)
    assert not res.ok and res.first_bad_seq == 3


def test_registration_appends_events_and_cli_verify(tmp_path):
    dbfile = tmp_path / "cli.db"
    f = tmp_path / "p.yaml"
    f.write_text(PROFILE, encoding="utf-8")
    opt = ["--db", str(dbfile)]
    assert runner.invoke(app, [*opt, "register", str(f)]).exit_code == 0
    f.write_text(PROFILE.replace("Audit demo", "Audit demo v2"), encoding="utf-8")
    assert runner.invoke(app, [*opt, "register", str(f)]).exit_code == 0
    events = json.loads(runner.invoke(app, [*opt, "audit", "log", "--json"]).stdout)
    assert [e["action"] for e in events] == ["system.registered", "system.updated"]
    assert events[1]["data"]["changed_fields"] == ["name"]
    ok = runner.invoke(app, [*opt, "audit", "verify"])
    assert ok.exit_code == 0 and "2 entries verified" in ok.output
    out = tmp_path / "audit.jsonl"
    assert runner.invoke(app, [*opt, "audit", "export", "--out", str(out)]).exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    conn = sqlite3.connect(dbfile)
    conn.execute("UPDATE audit_events SET data = '{}' WHERE seq = 1")
    conn.commit()
    conn.close()
    bad = runner.invoke(app, [*opt, "audit", "verify"])
    assert bad.exit_code == 2 and "#1" in bad.output and "edited" in bad.output


def test_failed_registration_leaves_no_event(tmp_path):
    dbfile = tmp_path / "cli.db"
    f = tmp_path / "p.yaml"
    f.write_text(PROFILE.replace("jurisdictions: [EU]", "jurisdictions: []"), encoding="utf-8")
    assert runner.invoke(app, ["--db", str(dbfile), "register", str(f)]).exit_code == 2
    assert json.loads(runner.invoke(app, ["--db", str(dbfile), "audit", "log", "--json"]).stdout) == []


@pytest.mark.postgres
def test_audit_chain_on_postgresql(pg_url):
    db = open_database(pg_url)
    with db.session() as s:
        for i in range(3):
            append_event(s, "test.event", "thing", f"t{i}", {"i": i})
    assert AuditLog(db).verify().ok
    db.dispose()
