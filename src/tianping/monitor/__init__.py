"""The monitor stage of register -> classify -> ... -> monitor: what changes, and when.

`monitor_report` and `reclassify_all` are the service functions the CLI and the server share;
`catalog_changes` lists what changed in the catalog and packs since a date; `report_to_ical`
writes a report as an iCalendar file.
"""

from .service import DEFAULT_HORIZON, diff_summaries, events_for, monitor_report, reclassify_all, summarize

__all__ = [
    "DEFAULT_HORIZON",
    "diff_summaries",
    "events_for",
    "monitor_report",
    "reclassify_all",
    "summarize",
    "catalog_changes",
    "report_to_ical",
    "write_ical",
]


def __getattr__(name: str):  # the calendar and changes modules load only when used
    if name in ("report_to_ical", "write_ical"):
        from . import ical

        return getattr(ical, name)
    if name == "catalog_changes":
        from .changes import catalog_changes

        return catalog_changes
    raise AttributeError(name)
