"""Calendar export of a monitor report as iCalendar (RFC 5545), written with the `icalendar` library.

One all-day event per dated item; the UID is stable (system, kind, item, date), so importing an
updated file updates the events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from ..i18n import lang_text, t

PRODID = "-//Tianping//monitor//EN"


def report_to_ical(report: dict[str, Any], lang: str = "en") -> bytes:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", t("mon.ical.name", lang))
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for system in report.get("systems", []):
        for ev in system.get("events", []):
            day = dt.date.fromisoformat(ev["date"])
            key = "|".join([system["id"], ev["kind"], ev.get("jurisdiction") or "", ev.get("id") or "", ev["date"]])
            title = ev.get("title") or {}
            text = lang_text(title, lang) or ev.get("id") or ev["kind"]
            e = Event()
            e.add("uid", hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@tianping")
            e.add("dtstamp", stamp)
            e.add("dtstart", day)
            e.add("dtend", day + dt.timedelta(days=1))
            prefix = f"[{system['id']}{'/' + ev['jurisdiction'] if ev.get('jurisdiction') else ''}] "
            e.add("summary", prefix + text)
            english = lang_text(title, "en")
            lines = [text] + ([english] if english and english != text else [])  # the English text too
            if ev.get("cites"):
                lines.append(t("mon.ical.cites", lang, cites=", ".join(ev["cites"])))
            if ev.get("source"):
                lines.append(t("mon.ical.source", lang, source=str(ev["source"])))
            if not ev.get("verified", True):
                lines.append(t("mon.ical.unverified", lang))
            if not ev.get("certain", True):
                lines.append(t("mon.ical.possible", lang))
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
