"""`tianping monitor`: what changes, and when, for registered systems (thin layer over tianping.monitor)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .common import STATE, console, emit_json, guarded, tr, txt

JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")


def _check_ics(path: Path) -> None:
    from ..outputs import check_file

    check_file(path, "--ics")


@guarded
def monitor(
    system_ids: list[str] | None = typer.Argument(None, help="Registered systems (default: all)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Look ahead from this date (YYYY-MM-DD or today; default today)."),
    horizon: int = typer.Option(730, "--horizon", help="How many days ahead to look."),
    ics: Path | None = typer.Option(None, "--ics", help="Also write the dated events as an iCalendar file."),
    record: bool = typer.Option(
        False, "--record", help="Store each system's classification now and record changed ones in the audit trail."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """For every registered system: duties and tiers that start to apply, amendments under way,
    filing and incident deadlines (in working days where the law counts them), and how the
    classification changed since it was last recorded."""
    from ..monitor import monitor_report, reclassify_all
    from ..monitor.service import check_horizon, parse_date

    day = parse_date(as_of)
    check_horizon(horizon)
    if ics is not None:
        _check_ics(ics)
    db = STATE.db()
    report = monitor_report(db, system_ids or None, day, horizon)
    recorded = reclassify_all(db, as_of=day, system_ids=system_ids or None) if record else None
    if ics is not None:
        from ..monitor.ical import write_ical

        n = write_ical(report, ics, STATE.lang)
    if as_json:
        if recorded is not None:
            report["recorded"] = recorded
        emit_json(report)
        return
    if not report["systems"]:
        console.print(tr("mon_no_systems"))
    for s in report["systems"]:
        _print_system(s, report)
    if recorded is not None:
        console.print(tr("mon_recorded", n=len(recorded), c=sum(1 for r in recorded if r["changed"])))
    if ics is not None:
        console.print(tr("mon_ics", n=n, path=ics))


def _period(p: dict) -> str:
    n, unit, rel, anchor = p["n"], p["unit"], p.get("relation") or "after", p.get("anchor")
    u = tr(f"mon.unit.{unit}") if unit in ("working_days", "days", "hours") else unit
    if anchor:
        return tr(
            "mon.period_anchor", n=n, unit=u, rel=tr(f"mon.rel.{rel}") if rel in ("after", "before") else rel, anchor=anchor
        )
    return tr("mon.period", n=n, unit=u)


def _print_system(s: dict, report: dict) -> None:
    now = "; ".join(f"{c['jurisdiction']}: {txt(c['tier_title']) or c['tier']}" for c in s["current"])
    console.print(f"[bold]{s['id']}[/] — {s['name']}" + (f"  [dim]({now})[/]" if now else ""), highlight=False)
    if s["events"]:
        table = Table(title=tr("mon_title", id=s["id"], start=report["as_of"], end=report["until"]))
        for col in ("mon_date", "jurisdiction", "mon_kind", "mon_what", "cites"):
            table.add_column(tr(col), overflow="fold")
        for e in s["events"]:
            what = txt(e["title"])
            if not e.get("verified", True):
                what += f" [yellow]({tr('mon_unverified')})[/]"
            table.add_row(
                e["date"], e.get("jurisdiction") or "", tr(f"mon_k_{e['kind']}"), what, ", ".join(e.get("cites") or [])[:80]
            )
        console.print(table)
    else:
        console.print("  " + tr("mon_nothing", id=s["id"]))
    rules = s["deadline_rules"]
    if rules:
        console.print(f"  [bold]{tr('mon_rules_title', id=s['id'])}[/]", highlight=False)
        for r in rules:
            p = r["period"]
            due = f" → {r['due']}" if r["due"] else ""
            console.print(f"  • {r['jurisdiction']} {txt(r['title'])}: {_period(p)}{due}", highlight=False, markup=False)
        if any(r["period"]["unit"] == "working_days" for r in rules):
            console.print(f"  [dim]{tr('mon_workdays_note')}[/]")
    rc = s.get("reclassification")
    if rc is None:
        console.print("  " + tr("mon_no_snapshot", id=s["id"]), style="dim")
    elif not rc["changed"]:
        console.print("  " + tr("mon_unchanged", id=s["id"], ts=rc["since"]), style="dim")
    else:
        console.print(
            f"  [bold]{tr('mon_diff_title', id=s['id'], ts=rc['since'])}[/] ({', '.join(rc['reasons']) or '-'})", highlight=False
        )
        for _pack, d in rc["changes"].items():
            if "tier" in d:
                console.print(
                    f"  • {d['jurisdiction']}: {d['tier']['before']} → {d['tier']['after']}", highlight=False, markup=False
                )
            for f in ("obligations", "upcoming", "upcoming_tiers"):
                for kind, items in d.get(f, {}).items():
                    console.print(
                        f"  • {d['jurisdiction']} {f} {kind}: {', '.join(f'{k} ({v})' for k, v in items.items())}",
                        highlight=False,
                        markup=False,
                    )
    console.print()
