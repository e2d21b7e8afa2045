"""Migration 0008 (server tables): from an empty database and from the previous revision, both ways."""

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
