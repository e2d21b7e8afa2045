"""Policy tracker semantics, catalog links, and migration 0004 up and down."""

from __future__ import annotations

import re

import numpy as np
from sqlalchemy import inspect

from tianping.catalog.loader import default_catalog
from tianping.observatory.policy import default_tracker, governance_values


def test_tracker_links_and_dates_are_valid():
    t = default_tracker()
    cat = default_catalog()
    assert all(p.instrument in cat.instruments for p in t.policies if p.instrument)
    linked = {p.instrument for p in t.policies if p.instrument}
    assert {"eu-ai-act", "cn-genai-interim-measures", "sg-model-framework", "nist-ai-rmf"} <= linked
    assert t.covered >= {"BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM"}
    assert all(p.verified is False for p in t.policies if p.origin == "tracker")  # nothing claimed as checked


def test_governance_values_distinguish_none_from_not_reviewed():
    v = governance_values(["SGP", "KHM", "DEU", "MEX", "TWN"], [2018, 2020, 2024, 2025])
    s, law, res = v["tp.gov.strategy"], v["tp.gov.law"], v["tp.gov.un_ai_resolutions"]
    assert s[0].tolist() == [0, 1, 1, 1]  # Singapore: strategy from November 2019
    assert s[1].tolist() == [0, 0, 0, 0]  # Cambodia: reviewed, none
    assert np.isnan(s[3]).all()  # Mexico: not reviewed -> missing, not zero
    assert law[2].tolist() == [0, 0, 1, 1]  # Germany: the EU AI Act (in force 1 August 2024) counts for members
    assert res[0].tolist() == [0, 0, 1, 1] and np.isnan(res[4]).all()  # UN members only


def test_migration_0004_up_and_down(tmp_path):
    from tianping.store import open_database
    from tianping.store.db import upgrade

    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    names = set(inspect(db.engine).get_table_names())
    assert {"obs_indicators", "obs_values", "obs_incidents", "obs_incident_reports", "obs_incident_classifications",
            "obs_incident_systems"} <= names
    from alembic import command

    from tianping.store.db import alembic_config

    cfg = alembic_config(db.engine)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    assert not {n for n in inspect(db.engine).get_table_names() if n.startswith("obs_")}
    upgrade(db.engine)
    assert "obs_values" in set(inspect(db.engine).get_table_names())
    db.dispose()


def test_orm_models_match_the_migration(tmp_path):
    """Autogenerate finds nothing to add for the observatory tables (models and migration agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tianping.store import open_database
    from tianping.store.models import Base

    db = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if re.search(r"\bobs_", repr(d))]
    assert ours == [], ours
    db.dispose()
