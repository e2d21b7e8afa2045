"""The monitor stage: what changes, and when, for registered systems.

Pure functions over classification results (`tianping.rules.engine.classify`) and the catalog,
plus two service functions over the store that the CLI and the server share:

- `monitor_report(db, system_ids, as_of, horizon)`: per system, the dated events of the next
  `horizon` days — tiers and obligations that start to apply (with the amending act that set the
  date), amending acts' procedure steps and the dates they move, filing deadlines computed in
  working days of the jurisdiction, incident-report deadlines, and how the classification differs
  from the last stored snapshot (a change of catalog, pack or profile);
- `reclassify_all(db)`: classify every system under the current law and packs, store a snapshot
  when anything changed, and record each changed classification in the audit trail
  (`system.reclassified`). The server's scheduled job calls it when packs change.

Engine fields added by the law-over-time work (upcoming tiers, pending amendments, law version)
are read defensively, so the monitor keeps working with an engine that lacks one of them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from ..errors import Problem, TianpingError
from ..i18n import texts
from . import messages  # noqa: F401  (registers the zh/en texts)
from .deadlines import periods

DEFAULT_HORIZON = 730
KIND_ORDER = {"milestone": 0, "amendment": 1, "tier": 2, "obligation": 3, "deadline": 4, "incident": 5}


# ----------------------------------------------------------------------------- inputs


def parse_date(value: str | dt.date | None, option: str = "--as-of") -> dt.date | None:
    """A date from the command line or an API ('YYYY-MM-DD' or 'today'); clear error otherwise."""
    if value is None or isinstance(value, dt.date):
        return value
    v = value.strip()
    if v.lower() == "today":
        return today()
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise TianpingError(
            Problem(f"'{value}' is not a date (use YYYY-MM-DD or 'today')", field=option), title="bad option"
        ) from None


def add_days(day: dt.date, days: int) -> dt.date:
    """day + days, or the last representable date when that runs past year 9999."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def check_horizon(horizon: int | None) -> int:
    if horizon is None:
        return DEFAULT_HORIZON
    if not isinstance(horizon, int) or horizon < 0 or horizon > 36500:
        raise TianpingError(
            Problem(f"{horizon!r} is not a number of days between 0 and 36500", field="--horizon"), title="bad option"
        )
    return horizon


def _suggest(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.5)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


# ----------------------------------------------------------------------------- fingerprints


def catalog_hash() -> str:
    from ..catalog.sync import data_hash

    return data_hash()


def pack_fingerprints(packs: Iterable[Any]) -> dict[str, dict[str, str]]:
    """pack id -> {version, hash of its content}: a pack edited without a version bump still shows."""
    out = {}
    for lp in packs:
        pack = lp.pack
        digest = hashlib.sha256(pack.model_dump_json().encode("utf-8")).hexdigest()
        out[pack.id] = {"version": pack.version, "hash": digest}
    return out


# ----------------------------------------------------------------------------- summaries and diffs


def summarize(results: Iterable[Any]) -> dict[str, Any]:
    """The part of a classification that a person acts on, keyed by rule pack: stable and comparable."""
    out: dict[str, Any] = {}
    for r in results:
        if r.applies == "no":
            continue
        law = getattr(r, "law_version", None) or {}
        out[r.pack] = {
            "jurisdiction": r.jurisdiction,
            "pack_version": r.pack_version,
            "applies": r.applies,
            "tier": r.tier,
            "tier_title": r.tier_title,
            "designations": sorted(r.designations),
            "obligations": {o.id: o.applies_from for o in r.obligations},
            "possible": sorted(o.id for o in r.possible_obligations),
            "upcoming": {o.id: o.applies_from for o in getattr(r, "upcoming", []) or []},
            "upcoming_tiers": {
                u["tier"]: u["applies_from"] for u in getattr(r, "upcoming_tiers", []) or [] if u.get("certain", True)
            },
            "law_version": law.get("version"),
        }
    return out


def _dict_diff(a: dict, b: dict) -> dict[str, Any]:
    d: dict[str, Any] = {}
    added = {k: b[k] for k in sorted(set(b) - set(a))}
    removed = {k: a[k] for k in sorted(set(a) - set(b))}
    moved = {k: [a[k], b[k]] for k in sorted(set(a) & set(b)) if a[k] != b[k]}
    if added:
        d["added"] = added
    if removed:
        d["removed"] = removed
    if moved:
        d["moved"] = moved
    return d


def diff_summaries(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed between two summaries, per rule pack; empty when nothing did."""
    changes: dict[str, Any] = {}
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if a is None or b is None:
            now = b if b is not None else a
            assert now is not None  # a != b, so one of them is a summary
            changes[key] = {
                "jurisdiction": now["jurisdiction"],
                "applies": {"before": a and a["applies"], "after": b and b["applies"]},
                "tier": {"before": a and a["tier"], "after": b and b["tier"]},
            }
            continue
        d: dict[str, Any] = {"jurisdiction": b["jurisdiction"]}
        for f in ("applies", "tier", "pack_version", "law_version"):
            if a.get(f) != b.get(f):
                d[f] = {"before": a.get(f), "after": b.get(f)}
        if d.get("tier"):
            d["tier_title"] = {"before": a.get("tier_title"), "after": b.get("tier_title")}
        for f in ("designations", "possible"):
            add, rem = sorted(set(b.get(f, [])) - set(a.get(f, []))), sorted(set(a.get(f, [])) - set(b.get(f, [])))
            if add or rem:
                d[f] = {"added": add, "removed": rem}
        for f in ("obligations", "upcoming", "upcoming_tiers"):
            dd = _dict_diff(a.get(f, {}), b.get(f, {}))
            if dd:
                d[f] = dd
        if len(d) > 1:
            changes[key] = d
    return changes


# ----------------------------------------------------------------------------- events


def workdays_note() -> dict[str, str]:
    """How working days are counted (no public holidays yet), in every language."""
    return texts("mon_workdays_note")


def __getattr__(name: str) -> Any:
    if name == "WORKDAYS_NOTE":  # read when used: the catalogs load only then
        return workdays_note()
    raise AttributeError(name)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def events_for(
    system: Any,
    results: Iterable[Any],
    as_of: dt.date,
    until: dt.date,
    *,
    catalog: Any = None,
    packs: Iterable[Any] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The dated events in (as_of, until] for one system's classification, and its deadline rules.

    Pure: everything comes from the classification results, the profile and the catalog."""
    lo, hi = as_of.isoformat(), until.isoformat()
    results = [r for r in results if r.applies != "no"]
    events: list[dict[str, Any]] = []
    seen: set[tuple] = set()

    def add(ev: dict[str, Any]) -> None:
        if ev["date"] is None or not (lo < ev["date"] <= hi):
            return
        key = (ev["kind"], ev.get("jurisdiction"), ev.get("id"), ev["date"])
        if key in seen:
            return
        seen.add(key)
        events.append(ev)

    pack_by_id = {lp.pack.id: lp for lp in packs} if packs is not None else {}
    rules: list[dict[str, Any]] = []
    launch = getattr(system, "placed_on_market", None)
    engine_acts: set[str] = set()
    for r in results:
        j = r.jurisdiction
        for u in getattr(r, "upcoming_tiers", []) or []:
            title = u.get("title") or {}
            key = "mon.event.tier" if u.get("certain", True) else "mon.event.tier_possible"
            add(
                {
                    "date": u.get("applies_from"),
                    "kind": "tier",
                    "jurisdiction": j,
                    "id": u.get("tier"),
                    "title": texts(key, tier=title or u.get("tier"), date=u.get("applies_from")),
                    "cites": list(u.get("cites") or []),
                    "source": r.pack,
                    "amended_by": u.get("amended_by"),
                    "certain": bool(u.get("certain", True)),
                    "verified": bool(u.get("verified", True)),
                }
            )
        duties = (
            [(o, True) for o in getattr(r, "upcoming", []) or []]
            + [(o, True) for o in r.obligations]
            + [(o, False) for o in r.possible_obligations]
        )
        for o, certain in duties:
            date_ok = bool(getattr(o, "date_verified", True))
            add(
                {
                    "date": o.applies_from,
                    "kind": "obligation",
                    "jurisdiction": j,
                    "id": o.id,
                    "title": dict(o.title),
                    "cites": list(o.cites),
                    "source": r.pack,
                    "amended_by": getattr(o, "amended_by", None),
                    "roles": list(o.roles),
                    "deadline": o.deadline,
                    "certain": certain and o.status != "possible",
                    "verified": bool(o.verified) and date_ok,
                }
            )
            for p in periods(o.deadline):
                if p.unit not in ("working_days", "days", "hours"):
                    continue
                due = None
                if p.anchor_is_launch and launch is not None:
                    start = launch
                    if o.applies_from and o.applies_from > launch.isoformat():
                        start = dt.date.fromisoformat(o.applies_from)  # the duty arises when it starts to apply
                    due = p.due(start, j)
                rule = {
                    "jurisdiction": j,
                    "obligation": o.id,
                    "title": dict(o.title),
                    "cites": list(o.cites),
                    "period": p.as_dict(),
                    "deadline": o.deadline,
                    "due": _iso(due),
                    "applies_from": o.applies_from,
                    "status": o.status,
                }
                if rule not in rules:
                    rules.append(rule)
                if due is not None:
                    key = "mon.event.due_working_days" if p.unit == "working_days" else "mon.event.due_days"
                    add(
                        {
                            "date": due.isoformat(),
                            "kind": "deadline",
                            "jurisdiction": j,
                            "id": o.id,
                            "title": texts(key, title=dict(o.title), n=p.n, start=start.isoformat()),
                            "cites": list(o.cites),
                            "source": r.pack,
                            "certain": certain,
                            "verified": bool(o.verified),
                            "working_days": p.n if p.unit == "working_days" else None,
                        }
                    )
        for a in getattr(r, "pending_amendments", []) or []:
            aid = a.get("id")
            engine_acts.add(aid)
            at = a.get("title") or {}
            add(
                {
                    "date": a.get("in_force_from"),
                    "kind": "amendment",
                    "jurisdiction": j,
                    "id": aid,
                    "title": texts("mon.event.in_force", act=at or aid, status=a.get("status")),
                    "cites": [],
                    "source": aid,
                    "certain": a.get("status") in ("adopted", "published", "in_force"),
                    "verified": bool(a.get("verified", True)),
                }
            )
            for ch in a.get("changes") or []:
                summ = ch.get("summary") or ch.get("title") or {}
                add(
                    {
                        "date": _iso(ch.get("to")),
                        "kind": "amendment",
                        "jurisdiction": j,
                        "id": f"{aid}:{ch.get('window')}",
                        "title": dict(summ),
                        "cites": [],
                        "source": aid,
                        "certain": a.get("status") in ("adopted", "published", "in_force"),
                        "verified": bool(ch.get("verified", True)),
                        "moves": {"from": _iso(ch.get("from")), "to": _iso(ch.get("to"))},
                    }
                )
        # amending acts of the instruments this pack encodes, straight from the catalog
        if catalog is not None:
            lp = pack_by_id.get(r.pack)
            instruments = list(lp.pack.instruments) if lp is not None else []
            law = getattr(r, "law_version", None) or {}
            if law.get("instrument"):
                instruments.append(law["instrument"])
            for iid in dict.fromkeys(instruments):
                for aid in getattr(catalog, "amended_by", {}).get(iid, []):
                    status = _status(catalog, aid, as_of)
                    if status is None or status == "in_force":
                        # not yet proposed on that date (unknown then), or in force (the engine
                        # already dates this system's duties under the amended text)
                        continue
                    for ev in amendment_events(catalog, aid, j):
                        if aid in engine_acts and ev["kind"] == "amendment":
                            continue  # the engine already dated these changes for this system
                        add(ev)
    events.sort(key=lambda e: (e["date"], KIND_ORDER.get(e["kind"], 9), e.get("jurisdiction") or "", e.get("id") or ""))
    return events, rules


def _status(catalog: Any, act_id: str, day: dt.date) -> str | None:
    act = catalog.instruments.get(act_id)
    amendment = getattr(act, "amendment", None)
    if amendment is None:
        return None
    st = amendment.status_on(day)
    return getattr(st, "value", st)


def amendment_events(catalog: Any, act_id: str, jurisdiction: str | None = None) -> list[dict[str, Any]]:
    """Every dated step of an amending act (procedure milestones, dates its changes set), undated ones left out."""
    act = catalog.instruments.get(act_id)
    amendment = getattr(act, "amendment", None) if act is not None else None
    if amendment is None:
        return []
    name = act.short_title or act.title
    out = []
    for m in getattr(amendment, "milestones", []) or []:
        if m.date is None:
            continue
        label = m.event.replace("_", " ")
        out.append(
            {
                "date": m.date.isoformat(),
                "kind": "milestone",
                "jurisdiction": jurisdiction,
                "id": f"{act_id}:{m.event}",
                "title": texts("mon.event.milestone", act=name.model_dump(exclude_none=True), event=label),
                "cites": [],
                "source": act_id,
                "status": getattr(m.status, "value", m.status),
                "reference": m.reference,
                "certain": True,
                "verified": bool(m.verified and act.verified),
            }
        )
    for ch in getattr(amendment, "changes", []) or []:
        for key, day in (ch.dates or {}).items():
            if key == "from" and "to" in ch.dates:
                continue  # "from" is the old date being replaced
            out.append(
                {
                    "date": day.isoformat(),
                    "kind": "amendment",
                    "jurisdiction": jurisdiction,
                    "id": f"{act_id}:{ch.id}",
                    "title": ch.summary.model_dump(exclude_none=True),
                    "cites": list(ch.provisions),
                    "source": act_id,
                    "certain": True,
                    "verified": bool(ch.verified and act.verified),
                    "moves": {k: v.isoformat() for k, v in ch.dates.items()},
                }
            )
    return out


def incident_events(db: Any, system_id: str, as_of: dt.date, until: dt.date) -> list[dict[str, Any]]:
    """Report-by dates of incidents linked to the system (EU AI Act Art. 73), from the observatory's store."""
    try:
        from ..observatory.incidents.deadlines import deadlines
        from ..observatory.incidents.service import IncidentService
    except ImportError:  # pragma: no cover - observatory not installed
        return []
    svc = IncidentService(db)
    out = []
    for item in svc.list(system=system_id):
        iid: str = item["id"]  # every listed incident has its id
        try:
            inc, _meta = svc.get(iid)
        except TianpingError:
            continue
        for d in deadlines(inc):
            by = d.get("report_by")
            if d.get("status") not in ("applies", "possibly") or not by or not (as_of.isoformat() < by <= until.isoformat()):
                continue
            reason = d.get("reason") or {}
            out.append(
                {
                    "date": by,
                    "kind": "incident",
                    "jurisdiction": "EU",
                    "id": iid,
                    "title": texts("mon.event.incident", id=iid, reason=reason),
                    "cites": list(d.get("cites") or []),
                    "source": d.get("regime"),
                    "certain": d.get("status") == "applies",
                    "verified": True,
                    "days": d.get("days"),
                }
            )
    return out


# ----------------------------------------------------------------------------- store


def _systems(session: Any, system_ids: list[str] | None) -> list[Any]:
    from sqlalchemy import select

    from ..store.models import SystemRow

    rows = session.scalars(select(SystemRow).order_by(SystemRow.id)).all()
    if not system_ids:
        return list(rows)
    by_id = {r.id: r for r in rows}
    missing = [sid for sid in system_ids if sid not in by_id]
    if missing:
        raise TianpingError(
            [Problem(f"no registered system with id '{sid}'{_suggest(sid, by_id)}", field="SYSTEM_ID") for sid in missing],
            title="unknown system",
        )
    return [by_id[sid] for sid in dict.fromkeys(system_ids)]


def latest_snapshot(session: Any, system_id: str) -> Any:
    from sqlalchemy import select

    from ..store.models import ClassificationSnapshotRow as S

    return session.scalars(select(S).where(S.system_id == system_id).order_by(S.id.desc()).limit(1)).first()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _reasons(prev: Any, row: Any, cat_hash: str, packs_fp: dict[str, Any]) -> list[str]:
    out = []
    if prev.catalog_hash != cat_hash:
        out.append("catalog")
    changed = sorted(k for k in set(prev.packs) | set(packs_fp) if prev.packs.get(k) != packs_fp.get(k))
    out.extend(f"pack:{k}" for k in changed)
    if prev.system_version != row.version:
        out.append("profile")
    return out


def reclassification(
    session: Any, row: Any, system: Any, packs: tuple, cat_hash: str, packs_fp: dict[str, Any]
) -> dict[str, Any] | None:
    """How the system's classification now differs from its last stored snapshot, judged on the
    snapshot's own date so that only a change of law, pack or profile shows (not time passing)."""
    from ..rules.engine import classify

    prev = latest_snapshot(session, row.id)
    if prev is None:
        return None
    now = summarize(classify(system, as_of=dt.date.fromisoformat(prev.as_of), packs=packs, full_trace=False))
    changes = diff_summaries(prev.summary, now)
    return {
        "since": prev.taken_at,
        "snapshot": prev.id,
        "as_of": prev.as_of,
        "reasons": _reasons(prev, row, cat_hash, packs_fp),
        "changed": bool(changes),
        "changes": changes,
    }


def monitor_report(
    db: Any,
    system_ids: list[str] | None = None,
    as_of: dt.date | str | None = None,
    horizon: int | None = DEFAULT_HORIZON,
    *,
    packs: Iterable[Any] | None = None,
    catalog: Any = None,
) -> dict[str, Any]:
    """For every registered system (or the named ones): what changes in the next `horizon` days.

    Raises TianpingError (exit 2 in the CLI, 400/404 in the server) for an unknown system id, a
    bad date or a bad horizon."""
    from ..registry.profile import AISystem
    from ..rules.engine import classify
    from ..rules.pack import default_packs

    day = parse_date(as_of) or today()
    horizon = check_horizon(horizon)
    until = add_days(day, horizon)
    packs = tuple(packs) if packs is not None else default_packs()
    if catalog is None:
        from ..catalog.loader import default_catalog

        catalog = default_catalog()
    cat_hash, packs_fp = catalog_hash(), pack_fingerprints(packs)
    out_systems = []
    with db.session() as s:
        for row in _systems(s, system_ids):
            system = AISystem.model_validate(row.document)
            results = classify(system, as_of=day, packs=packs, full_trace=False)
            events, rules = events_for(system, results, day, until, catalog=catalog, packs=packs)
            events.extend(incident_events(db, row.id, day, until))
            events.sort(key=lambda e: (e["date"], KIND_ORDER.get(e["kind"], 9), e.get("jurisdiction") or "", e.get("id") or ""))
            current = [
                {
                    "jurisdiction": r.jurisdiction,
                    "pack": r.pack,
                    "tier": r.tier,
                    "tier_title": r.tier_title,
                    "law_version": getattr(r, "law_version", None),
                }
                for r in results
                if r.applies != "no"
            ]
            out_systems.append(
                {
                    "id": row.id,
                    "name": row.name,
                    "version": row.version,
                    "current": current,
                    "events": events,
                    "deadline_rules": rules,
                    "reclassification": reclassification(s, row, system, packs, cat_hash, packs_fp),
                }
            )
    return {
        "as_of": day.isoformat(),
        "until": until.isoformat(),
        "horizon_days": horizon,
        "systems": out_systems,
        "workdays_note": workdays_note(),
    }


def reclassify_all(
    db: Any,
    *,
    as_of: dt.date | str | None = None,
    packs: Iterable[Any] | None = None,
    system_ids: list[str] | None = None,
    actor: str | None = None,
) -> list[dict[str, Any]]:
    """Classify every registered system under the current catalog and packs; store a snapshot when
    the classification, the catalog, a pack or the profile changed; and record every changed
    classification in the audit trail (`system.reclassified`, with the diff). Returns one entry per
    system: {system, first, changed, since, reasons, changes}."""
    from ..audit import append_event
    from ..registry.profile import AISystem
    from ..rules.engine import classify
    from ..rules.pack import default_packs
    from ..store.models import ClassificationSnapshotRow

    day = parse_date(as_of) or today()
    packs = tuple(packs) if packs is not None else default_packs()
    cat_hash, packs_fp = catalog_hash(), pack_fingerprints(packs)
    out = []
    with db.session() as s:
        for row in _systems(s, system_ids):
            system = AISystem.model_validate(row.document)
            summary = summarize(classify(system, as_of=day, packs=packs, full_trace=False))
            prev = latest_snapshot(s, row.id)
            reasons = _reasons(prev, row, cat_hash, packs_fp) if prev is not None else []
            changes = {}
            if prev is not None:
                # judge the law's change on the snapshot's date; the date's own effect shows in monitor_report
                same_day = (
                    summary
                    if prev.as_of == day.isoformat()
                    else summarize(classify(system, as_of=dt.date.fromisoformat(prev.as_of), packs=packs, full_trace=False))
                )
                changes = diff_summaries(prev.summary, same_day)
            entry = {
                "system": row.id,
                "first": prev is None,
                "changed": bool(changes),
                "since": prev.taken_at if prev else None,
                "reasons": reasons,
                "changes": changes,
            }
            if prev is None or changes or reasons or prev.summary != summary:
                s.add(
                    ClassificationSnapshotRow(
                        system_id=row.id,
                        system_version=row.version,
                        taken_at=_now(),
                        as_of=day.isoformat(),
                        catalog_hash=cat_hash,
                        packs=packs_fp,
                        summary=json.loads(json.dumps(summary)),
                        diff={"since": prev.taken_at, "snapshot": prev.id, "reasons": reasons, "changes": changes}
                        if prev
                        else None,
                    )
                )
            if changes:
                append_event(
                    s,
                    "system.reclassified",
                    "system",
                    row.id,
                    {"since": prev.taken_at, "snapshot": prev.id, "as_of": prev.as_of, "reasons": reasons, "changes": changes},
                    actor=actor,
                )
            out.append(entry)
    return out
