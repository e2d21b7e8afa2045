"""Calendar export of a monitor report as iCalendar (RFC 5545), written with the `icalendar` library.

One all-day event per dated item; the UID is stable (system, kind, item, date), so importing an
updated file updates the events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

PRODID = "-//Tianping//monitor//EN"


def report_to_ical(report: dict[str, Any], lang: str = "en") -> bytes:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Tianping monitor" if lang != "zh" else "天平 监测日程")
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for system in report.get("systems", []):
        for ev in system.get("events", []):
            day = dt.date.fromisoformat(ev["date"])
            key = "|".join([system["id"], ev["kind"], ev.get("jurisdiction") or "", ev.get("id") or "", ev["date"]])
            title = ev.get("title") or {}
            text = title.get(lang) or title.get("en") or ev.get("id") or ev["kind"]
            e = Event()
            e.add("uid", hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@tianping")
            e.add("dtstamp", stamp)
            e.add("dtstart", day)
            e.add("dtend", day + dt.timedelta(days=1))
            prefix = f"[{system['id']}{'/' + ev['jurisdiction'] if ev.get('jurisdiction') else ''}] "
            e.add("summary", prefix + text)
            lines = [f"{title.get('en', '')}", f"{title.get('zh', '')}"]
            if ev.get("cites"):
                lines.append("Cites / 依据: " + ", ".join(ev["cites"]))
            if ev.get("source"):
                lines.append("Source / 来源: " + str(ev["source"]))
            if not ev.get("verified", True):
                lines.append("Date not verified against the official text / 日期未经官方文本核实")
            if not ev.get("certain", True):
                lines.append("Possible: depends on unanswered profile questions / 可能适用：取决于未回答的问题")
            e.add("description", "\n".join(x for x in lines if x))
            e.add("categories", [ev["kind"]])
            cal.add_component(e)
    return cal.to_ical()


def write_ical(report: dict[str, Any], path: str | Path, lang: str = "en") -> int:
    """Write the calendar file; returns the number of events written."""
    from ..outputs import write_bytes

    data = report_to_ical(report, lang)
    write_bytes(path, data, "--ics")
    return sum(len(s.get("events", [])) for s in report.get("systems", []))
