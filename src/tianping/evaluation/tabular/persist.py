"""Storing a tabular run in the `runs` table (kind "tabular"), in one transaction.

Why the whole document: `runs.result` keeps the validated results JSON, so an assessment or a
report can cite a metric by run id later without re-running the model; `config` keeps what is
needed to reproduce it, and `summary` the pass/warn/fail counts for listings.
"""

from __future__ import annotations

import datetime as dt

from .results import TabularResult


def save_run(db, result: TabularResult, *, system_id: str | None = None) -> str:
    """Insert the run; returns its id. `db` is a `tianping.store.Database`."""
    from ...store.models import RunRow

    finished = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    target = result.config.get("model") or f"predictions:{result.config.get('predictions')}"
    with db.session() as s:
        s.add(
            RunRow(
                id=result.run_id,
                system_id=system_id,
                kind="tabular",
                suite=",".join(result.tests)[:64],
                target=str(target),
                config=result.config,
                status="completed",
                created_at=result.created_at,
                started_at=result.created_at,
                finished_at=finished,
                summary=result.summary.model_dump(mode="json"),
                result=result.model_dump(mode="json"),
            )
        )
    return result.run_id
