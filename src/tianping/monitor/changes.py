"""What changed in the catalog and the rule packs since a date (`tianping catalog changes`).

Derived from the dates the data itself carries: instruments' adoption, publication, entry into
force, application and revision dates; their dated versions; amending acts' procedure steps and
the dates their changes set; provisions that started to apply (grouped per instrument and day);
rule-pack applicability windows and pack effective dates; and, from the store, the systems whose
stored classification changed (snapshots with a diff).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..i18n import texts
from .service import amendment_events, parse_date, today

# an instrument's dates that are changes; each has a message `mon.change.<field>` ("{name} adopted")
DATE_FIELDS = ("adopted", "published", "entry_into_force", "applies_from", "revised")


def catalog_changes(
    since: dt.date | str,
    until: dt.date | str | None = None,
    *,
    catalog: Any = None,
    packs: Iterable[Any] | None = None,
    db: Any = None,
) -> dict[str, Any]:
    """Every dated change in (since, until], oldest first; `until` defaults to today."""
    start = parse_date(since, "--since")
    end = parse_date(until, "--until") or today()
    assert start is not None
    if catalog is None:
        from ..catalog.loader import default_catalog

        catalog = default_catalog()
    if packs is None:
        from ..rules.pack import default_packs

        packs = default_packs()
    lo, hi = start.isoformat(), end.isoformat()
    items: list[dict[str, Any]] = []

    def add(item: dict[str, Any]) -> None:
        if item["date"] and lo < item["date"] <= hi:
            items.append(item)

    for iid, inst in sorted(catalog.instruments.items()):
        name = (inst.short_title or inst.title).model_dump(exclude_none=True)
        for f in DATE_FIELDS:
            day = getattr(inst.dates, f, None)
            if day is not None:
                add(
                    {
                        "date": day.isoformat(),
                        "kind": "instrument",
                        "id": iid,
                        "event": f,
                        "title": texts(f"mon.change.{f}", name=name),
                        "verified": inst.verified,
                    }
                )
        for v in getattr(inst, "versions", []) or []:
            add(
                {
                    "date": v.valid_from.isoformat(),
                    "kind": "version",
                    "id": f"{iid}:{v.id}",
                    "title": texts("mon.change.version", name=name, label=v.label),
                    "verified": v.verified,
                }
            )
        if getattr(inst, "amendment", None) is not None:
            for ev in amendment_events(catalog, iid):
                add({k: ev[k] for k in ("date", "kind", "id", "title", "verified", "cites") if k in ev})
        by_day: dict[str, list[str]] = {}
        for p in inst.provisions:
            if p.applies_from is not None and not p.is_container:
                by_day.setdefault(p.applies_from.isoformat(), []).append(p.id)
        for day, ids in sorted(by_day.items()):
            add(
                {
                    "date": day,
                    "kind": "provision",
                    "id": iid,
                    "provisions": ids,
                    "count": len(ids),
                    "title": texts("mon.change.provisions", name=name, count=len(ids)),
                    "verified": inst.verified,
                }
            )
    for lp in packs:
        pack = lp.pack
        add(
            {
                "date": pack.effective_from.isoformat(),
                "kind": "pack",
                "id": pack.id,
                "version": pack.version,
                "title": texts("mon.change.pack", id=pack.id, version=pack.version),
                "verified": True,
            }
        )
        for w in getattr(pack, "windows", []) or []:
            add(
                {
                    "date": w.applies_from.isoformat(),
                    "kind": "pack",
                    "id": f"{pack.id}:{w.id}",
                    "title": texts("mon.change.window", title=w.title.model_dump(exclude_none=True)),
                    "cites": list(w.cites),
                    "verified": w.verified,
                }
            )
    if db is not None:
        items.extend(reclassified_since(db, start, end))
    # an act's own procedure steps already say when it was adopted, published, in force
    steps = {(i["date"], i["id"].split(":", 1)[0]) for i in items if i["kind"] == "milestone"}
    items = [i for i in items if not (i["kind"] == "instrument" and (i["date"], i["id"]) in steps)]
    items.sort(key=lambda i: (i["date"], i["kind"], i["id"]))
    return {"since": lo, "until": hi, "changes": items}


def reclassified_since(db: Any, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Systems whose stored classification changed in (start, end], from the snapshots' diffs. `db` is the
    store's Database, or a sqlite3 connection to a SQLite store (`open_snapshots_sqlite`)."""
    out = []
    for system_id, taken_at, diff in _snapshot_diffs(db):
        day = taken_at[:10]
        if not (start.isoformat() < day <= end.isoformat()) or diff is None or not diff.get("changes"):
            continue
        packs = ", ".join(sorted(diff["changes"]))
        reasons = ", ".join(diff.get("reasons") or []) or "-"
        out.append(
            {
                "date": day,
                "kind": "reclassified",
                "id": system_id,
                "changes": diff["changes"],
                "reasons": diff.get("reasons") or [],
                "verified": True,
                "title": texts("mon.change.reclassified", id=system_id, packs=packs, reasons=reasons),
            }
        )
    return out


_SNAPSHOT_DIFFS_SQL = "select system_id, taken_at, diff from classification_snapshots where diff is not null order by id"


def _snapshot_diffs(db: Any) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(system id, taken at, diff) of every snapshot with a diff, in the order they were taken."""
    import sqlite3

    if isinstance(db, sqlite3.Connection):
        import json

        return [(sid, taken, json.loads(d) if isinstance(d, str) else d) for sid, taken, d in db.execute(_SNAPSHOT_DIFFS_SQL)]
    from sqlalchemy import select

    from ..store.models import ClassificationSnapshotRow as S

    with db.session() as s:
        rows = s.scalars(select(S).where(S.diff.is_not(None)).order_by(S.id)).all()
        return [(r.system_id, r.taken_at, r.diff) for r in rows]


def open_snapshots_sqlite(db_url: str) -> Any:
    """A read-only sqlite3 connection to a SQLite store that holds the snapshot table, else None (use the store).

    Why: `catalog changes` only reads the snapshots' diffs, and opening the store imports SQLAlchemy (~0.1 s of
    the command); the rows are the same (tests/test_monitor_service.py compares both)."""
    from ..sqlite_readonly import open_sqlite_readonly

    return open_sqlite_readonly(db_url, lambda con: con.execute(_SNAPSHOT_DIFFS_SQL + " limit 0").fetchall() == [])
