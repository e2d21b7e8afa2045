"""Storage: migrations, SQLite WAL, URL handling, and the same catalog on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from tianping.catalog.service import CatalogService
from tianping.config import database_url
from tianping.errors import TianpingError
from tianping.store import open_database
from tianping.store.db import make_engine, upgrade


def test_database_url_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path))
    monkeypatch.delenv("TIANPING_DB_URL", raising=False)
    assert database_url() == f"sqlite:///{tmp_path / 'tianping.db'}"
    monkeypatch.setenv("TIANPING_DB_URL", "postgresql://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"
    assert database_url(str(tmp_path / "x.db")).startswith("sqlite:////")


def test_sqlite_is_wal_and_migrated(sqlite_url):
    db = open_database(sqlite_url)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    tables = set(inspect(db.engine).get_table_names())
    assert {"instruments", "provisions", "principles", "mappings", "provisions_fts"} <= tables


def test_migration_downgrade_and_upgrade_again(sqlite_url):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    from alembic import command

    from tianping.store.db import alembic_config

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "provisions" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "provisions" in inspect(engine).get_table_names()


def test_unreachable_database_is_a_clear_error():
    with pytest.raises(TianpingError) as ei:
        open_database("postgresql://nobody@127.0.0.1:1/none")
    assert "cannot open database" in str(ei.value)


def test_catalog_sync_is_skipped_when_unchanged(sqlite_url):
    from tianping.catalog.sync import ensure_catalog

    db = open_database(sqlite_url)
    assert ensure_catalog(db) is True
    assert ensure_catalog(db) is False


@pytest.mark.postgres
def test_catalog_on_postgresql(pg_url):
    db = open_database(pg_url)
    assert db.dialect == "postgresql"
    svc = CatalogService(db)
    insts = svc.list_instruments()
    assert len(insts) >= 20
    # the same search gives the same hits on both back ends
    from tianping.catalog.sync import ensure_catalog

    lite = open_database("sqlite://")
    ensure_catalog(lite)
    lite_svc = CatalogService(lite)
    for q in ("鲁棒性", "robustness", "透明度", "human oversight"):
        pg_hits = {h.qid for h in svc.search(q, limit=500)}
        lite_hits = {h.qid for h in lite_svc.search(q, limit=500)}
        assert pg_hits == lite_hits and pg_hits, q
    assert svc.crosswalk("eu-ai-act:art-15") == lite_svc.crosswalk("eu-ai-act:art-15")
    db.dispose()
