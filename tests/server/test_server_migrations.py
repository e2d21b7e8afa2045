"""Server migrations: 0008 (server tables) and 0010 (register columns), from empty and from the previous revision, both ways."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from server_helpers import new_pg_database

SERVER_TABLES = {"organisations", "users", "api_tokens", "login_failures", "filings", "feedback", "jobs", "reports"}


def _downgrade(engine, rev: str) -> None:
    from alembic import command

    from tianping.store.db import alembic_config

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, rev)


@pytest.mark.postgres
def test_upgrade_from_empty_postgres(pg_server):
    from tianping.store import open_database

    db = open_database(new_pg_database(pg_server, "mig_empty"))
    assert SERVER_TABLES <= set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() >= "0008"
    db.dispose()


@pytest.mark.postgres
def test_upgrade_from_0007_keeps_data_and_downgrades(pg_server):
    from tianping.store.db import make_engine, upgrade

    engine = make_engine(new_pg_database(pg_server, "mig_prev"))
    upgrade(engine, "0007")
    assert not SERVER_TABLES & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO systems (id, name, organisation, version, document, created_at, updated_at) "
                          "VALUES ('old-system', 'Old', 'Acme', 3, '{\"id\": \"old-system\"}', '2026-01-01', '2026-01-02')"))
        conn.execute(text("INSERT INTO runs (id, system_id, kind, suite, target, config, status, created_at) VALUES "
                          "('00000000-0000-0000-0000-000000000001', 'old-system', 'tabular', 's', 't', '{}', 'completed', '2026-01-01')"))
    upgrade(engine, "0008")
    assert SERVER_TABLES <= set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        assert conn.execute(text("SELECT version FROM systems WHERE id = 'old-system'")).scalar() == 3
        # the new tables take rows that refer to the old ones
        conn.execute(text("INSERT INTO organisations (id, name, created_at) VALUES ('o1', 'Acme', 'now')"))
        conn.execute(text("INSERT INTO filings (system_id, organisation_id, status, revision, created_at, updated_at) "
                          "VALUES ('old-system', 'o1', 'draft', 1, 'now', 'now')"))
        conn.execute(text("INSERT INTO jobs (id, kind, run_id, payload, status, attempts, max_attempts, progress, created_at, updated_at) "
                          "VALUES ('j1', 'stub', '00000000-0000-0000-0000-000000000001', '{}', 'queued', 0, 3, 0, 'now', 'now')"))
    _downgrade(engine, "0007")
    assert not SERVER_TABLES & set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar() == 1
    upgrade(engine)
    assert SERVER_TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_upgrade_from_0007_on_sqlite(tmp_path):
    from tianping.store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine, "0007")
    upgrade(engine, "0008")
    assert SERVER_TABLES <= set(inspect(engine).get_table_names())
    _downgrade(engine, "0007")
    assert not SERVER_TABLES & set(inspect(engine).get_table_names())
    engine.dispose()


def _register_columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("filings")} & {"published_name_zh", "published_jurisdictions"}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_0010_fills_the_register_columns_from_published_copies_and_downgrades(backend, request, tmp_path):
    """Migration 0010: the register's columns are filled from the stored approved copies; the
    partial index exists; and the way back removes both."""
    from tianping.store.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else new_pg_database(request.getfixturevalue("pg_server"), "mig_0010")
    engine = make_engine(url)
    upgrade(engine, "0009")
    doc = '{"id": "pub-1", "name": "Published", "name_zh": "已公示", "jurisdictions": ["CN", "EU"]}'
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (id, name, created_at) VALUES ('o1', 'Acme', 'now')"))
        for sid, status, pdoc, at in (("pub-1", "published", doc, "2026-01-02"), ("draft-1", "draft", None, None)):
            conn.execute(text("INSERT INTO systems (id, name, organisation, version, document, created_at, updated_at) "
                              "VALUES (:id, 'S', 'Acme', 1, :doc, 'now', 'now')"), {"id": sid, "doc": doc.replace("pub-1", sid)})
            conn.execute(text("INSERT INTO filings (system_id, organisation_id, status, revision, published_document, published_at, "
                              "created_at, updated_at) VALUES (:id, 'o1', :st, 1, :pdoc, :at, 'now', 'now')"),
                         {"id": sid, "st": status, "pdoc": pdoc, "at": at})
    upgrade(engine, "0010")
    assert _register_columns(engine) == {"published_name_zh", "published_jurisdictions"}
    assert "ix_filings_register" in {i["name"] for i in inspect(engine).get_indexes("filings")}
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT system_id, published_name_zh FROM filings")).all())
        jur = conn.execute(text("SELECT published_jurisdictions FROM filings WHERE system_id = 'pub-1'")).scalar()
    assert rows == {"pub-1": "已公示", "draft-1": None}
    import json

    assert (json.loads(jur) if isinstance(jur, str) else jur) == ["CN", "EU"]
    _downgrade(engine, "0009")
    assert _register_columns(engine) == set()
    assert "ix_filings_register" not in {i["name"] for i in inspect(engine).get_indexes("filings")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM filings")).scalar() == 2
    engine.dispose()
