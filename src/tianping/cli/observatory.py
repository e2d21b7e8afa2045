"""`tianping divide …` (indicators, index, views, policy tracker) and `tianping incidents …`.

Thin: every command calls the observatory services and prints their result as a table, or as
JSON with --json. Charts are written with --chart FILE.png|.svg.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..observatory import messages as _messages  # noqa: F401  (registers zh/en texts)
from .common import STATE, console, emit_json, guarded, split_csv, tr

app = typer.Typer(help="AI divide observatory: indicators, readiness index, views, policy tracker.", no_args_is_help=True)
methodology_app = typer.Typer(help="Index methodologies (YAML).", no_args_is_help=True)
app.add_typer(methodology_app, name="methodology")
incidents_app = typer.Typer(help="AI incidents: AIID-compatible records, deadlines, signed sharing.", no_args_is_help=True)

JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")
METH_OPT = typer.Option(
    "unesco-ram", "--methodology", "-m", help="Bundled methodology id (unesco-ram, government-readiness) or a YAML file."
)
YEAR_OPT = typer.Option(None, "--year", help="Year to show (default: the latest year with broad coverage).")


def _check_chart(path: Path | None) -> Path | None:
    """--chart is checked while the options are parsed, before any index is computed (exit 2 naming it)."""
    if path is not None:
        from ..errors import TianpingError
        from ..outputs import check_file

        try:
            check_file(path, "--chart")
        except TianpingError as exc:
            raise typer.BadParameter(f"bad output path: {exc.render()}", param_hint="'--chart'") from None
    return path


CHART_OPT = typer.Option(None, "--chart", help="Also write a chart (.png or .svg).", callback=_check_chart)


def _obs():
    from ..observatory.service import Observatory

    return Observatory(STATE.db())


def _name(d: dict) -> str:
    return d.get(STATE.lang) or d.get("en", "")


def _fmt(v: object, nd: int = 1) -> str:
    return "—" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))


def _chart(fn, view: dict, path: Path | None, as_json: bool) -> None:
    if path is None:
        return
    out = fn(view, path, STATE.lang)
    if not as_json:
        console.print(tr("obs_chart", path=out), highlight=False)


# ------------------------------------------------------------------------------ indicators
@app.command("import-wdi")
@guarded
def import_wdi(
    files: list[Path] = typer.Argument(..., help="WDI long extracts (country|iso2c|iso3c|year|CODE)."),
    source: str | None = typer.Option(None, "--source"),
    licence: str | None = typer.Option(None, "--licence"),
    as_json: bool = JSON_OPT,
) -> None:
    """Import World Bank WDI pipe-delimited long extracts."""
    from ..observatory.importers import import_wdi as run

    kw = {k: v for k, v in (("source", source), ("licence", licence)) if v}
    store = _obs().store
    reports = [run(store, f, **kw) for f in files]
    if as_json:
        emit_json([r.as_dict() for r in reports])
        return
    for r in reports:
        console.print(
            tr(
                "obs_imported",
                n=r.values_stored,
                ind=", ".join(r.indicators),
                file=r.file,
                missing=r.missing_values,
                agg=len(r.skipped_aggregates),
            ),
            highlight=False,
        )


@app.command("import-csv")
@guarded
def import_csv(
    file: Path = typer.Argument(...),
    source: str = typer.Option(..., "--source", help="Where the values come from."),
    licence: str = typer.Option(..., "--licence", help="Licence of the values, e.g. CC-BY-4.0."),
    country_col: str = typer.Option("country", "--country-col"),
    year_col: str = typer.Option("year", "--year-col"),
    indicator_col: str = typer.Option("indicator", "--indicator-col"),
    value_col: str = typer.Option("value", "--value-col"),
    value_cols: str | None = typer.Option(None, "--value-cols", help="Wide format: comma-separated indicator columns."),
    delimiter: str = typer.Option(",", "--delimiter"),
    as_json: bool = JSON_OPT,
) -> None:
    """Import a generic CSV (long: country,year,indicator,value; or wide with --value-cols)."""
    from ..observatory.importers import import_csv as run

    r = run(
        _obs().store,
        file,
        country_col=country_col,
        year_col=year_col,
        indicator_col=indicator_col,
        value_col=value_col,
        value_cols=split_csv(value_cols),
        source=source,
        licence=licence,
        delimiter=delimiter,
    )
    if as_json:
        emit_json(r.as_dict())
        return
    console.print(
        tr(
            "obs_imported",
            n=r.values_stored,
            ind=", ".join(r.indicators),
            file=r.file,
            missing=r.missing_values,
            agg=sum(r.skipped_unknown.values()),
        ),
        highlight=False,
    )


@app.command("indicators")
@guarded
def indicators(as_json: bool = JSON_OPT) -> None:
    """Stored indicators with counts, years, source and licence."""
    rows = _obs().store.indicators()
    if as_json:
        emit_json(rows)
        return
    t = Table(title=tr("obs_indicators_title"))
    for c in ("id", "title", "obs_values", "obs_countries", "obs_years", "obs_source"):
        t.add_column(tr(c), overflow="fold")
    for r in rows:
        t.add_row(
            r["id"],
            _name(r["name"]),
            str(r["values"]),
            str(r["countries"]),
            f"{r['first_year']}–{r['last_year']}",
            f"{r['source']} / {r['licence']}",
        )
    console.print(t)


@app.command("countries")
@guarded
def countries_cmd(
    group_id: str | None = typer.Option(None, "--group", help="e.g. asean, g20, brics, au, eu, un-africa, wb-income-low."),
    as_of: str | None = typer.Option(None, "--as-of", help="Membership on this date (YYYY-MM-DD; default today)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Countries, optionally the members of a group on a date."""
    from ..observatory.countries import countries, group

    on = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    cs = countries()
    rows: list[dict[str, Any]]  # JSON-shaped: printed as a table or emitted as is
    if group_id:
        g = group(group_id)
        rows = []
        for iso3 in g.members_on(on):
            m = g.membership(iso3)
            rows.append(
                {
                    "iso3": iso3,
                    "name": cs[iso3].names(),
                    "since": m.since.isoformat() if m and m.since else None,
                    "until": m.until.isoformat() if m and m.until else None,
                    "verified": g.verified if m is None or m.verified is None else m.verified,
                    "note": m.note if m else None,
                }
            )
    else:
        rows = [{"iso3": c.iso3, "iso2": c.iso2, "name": c.names(), "un_member": c.un_member} for c in cs.values()]
    if as_json:
        emit_json({"group": group_id, "as_of": on.isoformat(), "countries": rows})
        return
    t = Table(title=f"{group_id or ''} {on.isoformat()}")
    t.add_column(tr("id"))
    t.add_column(tr("obs_country"))
    t.add_column(tr("obs_member_since"))
    t.add_column(tr("verified"))
    for r in rows:
        t.add_row(r["iso3"], _name(r["name"]), r.get("since") or "", "" if r.get("verified", True) else "✗")
    console.print(t)


@app.command("groups")
@guarded
def groups_cmd(as_json: bool = JSON_OPT) -> None:
    """Groupings available (with verification status)."""
    from ..observatory.countries import default_groups

    rows: list[dict[str, Any]] = [
        {
            "id": g.id,
            "title": g.title.model_dump(),
            "kind": g.kind,
            "members_today": len(g.members_on()),
            "verified": g.verified,
            "verification_note": g.verification_note,
            "source_url": g.source_url,
        }
        for g in default_groups().values()
    ]
    if as_json:
        emit_json(rows)
        return
    t = Table()
    for c in ("id", "title", "kind", "obs_countries", "verified"):
        t.add_column(tr(c), overflow="fold")
    for r in rows:
        t.add_row(r["id"], _name(r["title"]), r["kind"], str(r["members_today"]), "" if r["verified"] else "✗")
    console.print(t)


# ------------------------------------------------------------------------------ methodology
@methodology_app.command("list")
@guarded
def methodology_list(as_json: bool = JSON_OPT) -> None:
    """Bundled methodologies."""
    from ..observatory.methodology import bundled_methodologies, load_methodology

    rows: list[dict[str, Any]] = []
    for name in bundled_methodologies():
        m = load_methodology(name)
        rows.append({"id": m.id, "version": m.version, "title": m.title.model_dump(), "pillars": [p.id for p in m.pillars]})
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        console.print(f"[bold]{r['id']}[/] {r['version']}  {_name(r['title'])}  ({', '.join(r['pillars'])})", highlight=False)


@methodology_app.command("validate")
@guarded
def methodology_validate(
    file: str = typer.Argument(..., help="Methodology YAML file or bundled id."), as_json: bool = JSON_OPT
) -> None:
    """Validate a methodology file (unknown indicators, negative weights, weight sums, catalog links).

    Indicators already imported into the database count as known, besides the built-in ones."""
    m = _obs().methodology(file)
    info = {
        "id": m.id,
        "version": m.version,
        "pillars": len(m.pillars),
        "dimensions": len(m.dimensions()),
        "indicators": len(m.indicator_ids()),
        "valid": True,
    }
    if as_json:
        emit_json(info)
        return
    console.print(
        tr("obs_valid_methodology", id=m.id, v=m.version, p=info["pillars"], d=info["dimensions"], i=info["indicators"]),
        highlight=False,
    )


@methodology_app.command("show")
@guarded
def methodology_show(name: str = typer.Argument(...), as_json: bool = JSON_OPT) -> None:
    """The full methodology as JSON (weights, normalisation, imputation, coverage rules)."""
    from ..observatory.methodology import load_methodology

    emit_json(load_methodology(name).model_dump(mode="json"))


# ------------------------------------------------------------------------------ views
def _run(
    methodology: str,
    *,
    draws: int | None = None,
    seed: int | None = None,
    spread: float | None = None,
    year: int | None = None,
):
    obs = _obs()
    if draws == 0:
        return obs, obs.run(methodology, draws=0)
    run = obs.run(methodology, draws=0)  # first pass decides the default year, then sensitivity only for that year
    y = year if year is not None else run.default_year()
    if y in set(int(v) for v in run.result.years):
        run = obs.run(methodology, draws=draws, seed=seed, spread=spread, sensitivity_years=[y])
    return obs, run


@app.command("rank")
@guarded
def rank(
    methodology: str = METH_OPT,
    year: int | None = YEAR_OPT,
    group_id: str | None = typer.Option(None, "--group", help="Rank only the members of a group."),
    draws: int | None = typer.Option(None, "--draws", help="Monte Carlo weight draws (default from the methodology; 0 = none)."),
    seed: int | None = typer.Option(None, "--seed"),
    spread: float | None = typer.Option(None, "--spread"),
    show_all: bool = typer.Option(False, "--all", help="Also list every unranked country with its coverage."),
    chart: Path | None = CHART_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Rankings with coverage and rank stability under weight perturbation."""
    from ..observatory import charts, views

    _, run = _run(methodology, draws=draws, seed=seed, spread=spread, year=year)
    v = views.rankings(run, year, group_id)
    _chart(charts.rankings_chart, v, chart, as_json)
    if as_json:
        emit_json(v)
        return
    t = Table(title=tr("obs_ranking_title", m=_name(v["title"]), y=v["year"], n=v["summary"]["ranked"]))
    for c in ("obs_rank", "obs_country", "obs_index", "obs_rank_range", "obs_coverage", "obs_missing"):
        t.add_column(tr(c), overflow="fold")
    for e in v["ranked"] + (v["unranked"] if show_all else []):
        s = e["sensitivity"]
        t.add_row(
            str(e["rank"] or "—"),
            f"{e['country']} {_name(e['name'])}",
            _fmt(e["index"]),
            f"{s['rank_p05']}–{s['rank_p95']}" if s else "",
            f"{e['coverage']} ({_fmt(e['data_coverage'], 2)})",
            ", ".join(e["missing_dimensions"]),
        )
    console.print(t)
    if v["unranked"] and not show_all:
        codes = " ".join(e["country"] for e in v["unranked"][:40]) + (" …" if len(v["unranked"]) > 40 else "")
        console.print(tr("obs_unranked", n=len(v["unranked"]), codes=codes), highlight=False)
    if v["sensitivity"]:
        s = v["sensitivity"]
        console.print(
            tr("obs_sensitivity", d=s["draws"], s=s["spread"], seed=s["seed"], shift=v["summary"]["mean_abs_rank_shift"]),
            highlight=False,
        )


@app.command("profile")
@guarded
def profile(
    country: str = typer.Argument(..., help="ISO code or name."),
    methodology: str = METH_OPT,
    year: int | None = YEAR_OPT,
    chart: Path | None = CHART_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """A country's scores and every indicator behind them (value, year, status, source, licence)."""
    from ..observatory import charts, views
    from ..observatory.countries import require_country

    iso3 = require_country(country)
    obs, run = _run(methodology, draws=0)
    v = views.profile(run, obs.store, iso3, year)
    _chart(charts.profile_chart, v, chart, as_json)
    if as_json:
        emit_json(v)
        return
    console.print(
        f"[bold]{_name(v['name'])}[/] ({iso3}) — {_name(v['title'])} {v['year']}: {tr('obs_index')} {_fmt(v['index'])}, "
        f"{tr('obs_rank')} {v['rank'] or '—'}, {tr('obs_coverage')} {v['coverage']}",
        highlight=False,
    )
    t = Table()
    for c in ("obs_dimension", "obs_indicator", "obs_value", "obs_status", "obs_source"):
        t.add_column(tr(c), overflow="fold")
    for i in v["indicators"]:
        t.add_row(
            i["dimension"],
            _name(i["name"]),
            f"{_fmt(i['value'], 2)} ({i['value_year'] or '—'})",
            i["status"],
            f"{i['source'] or ''} {('/ ' + i['licence']) if i['licence'] else ''}",
        )
    console.print(t)
    if not v["policy_tracker_covers"]:
        console.print(tr("obs_not_reviewed", c=_name(v["name"])), highlight=False)


@app.command("compare")
@guarded
def compare(
    group_id: str = typer.Option("asean", "--group"),
    methodology: str = METH_OPT,
    year: int | None = YEAR_OPT,
    as_of: str | None = typer.Option(None, "--as-of", help="Membership date (default today)."),
    chart: Path | None = CHART_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Group comparison (default ASEAN): every member, coverage flags, gap to the leader per dimension."""
    from ..observatory import charts, views

    _, run = _run(methodology, draws=0)
    v = views.group_comparison(run, group_id, year, dt.date.fromisoformat(as_of) if as_of else None)
    _chart(charts.group_chart, v, chart, as_json)
    if as_json:
        emit_json(v)
        return
    t = Table(title=f"{_name(v['group_title'])} — {_name(v['title'])} {v['year']}")
    t.add_column(tr("obs_country"))
    t.add_column(tr("obs_index"))
    t.add_column(tr("obs_coverage"))
    for d in v["dimension_defs"]:
        t.add_column(_name(d["title"]) + "\n" + tr("obs_gap"), overflow="fold")
    for m in v["members"]:
        t.add_row(
            f"{m['country']} {_name(m['name'])}",
            _fmt(m.get("index")),
            m["coverage"],
            *[
                (
                    _fmt(m["dimensions"].get(d["id"]))
                    + (f" (−{_fmt(m['gap_to_leader'].get(d['id']))})" if m.get("gap_to_leader", {}).get(d["id"]) else "")
                )
                for d in v["dimension_defs"]
            ],
        )
    console.print(t)
    console.print(tr("obs_leader", items=", ".join(f"{k}: {x['country']}" for k, x in v["leaders"].items())), highlight=False)


@app.command("trend")
@guarded
def trend(
    countries: str = typer.Argument(..., help="Comma-separated ISO codes or names."),
    methodology: str = METH_OPT,
    chart: Path | None = CHART_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Index over time per country (missing years shown as gaps)."""
    from ..observatory import charts, views
    from ..observatory.countries import require_country

    _, run = _run(methodology, draws=0)
    v = views.trends(run, [require_country(c) for c in split_csv(countries) or []])
    _chart(charts.trends_chart, v, chart, as_json)
    if as_json:
        emit_json(v)
        return
    for c in v["countries"]:
        pts = [f"{p['year']}:{_fmt(p['index'])}" for p in c["series"]]
        console.print(f"[bold]{_name(c['name'])}[/] " + " ".join(pts), highlight=False)
    console.print(_name(v["note"]), highlight=False)


@app.command("capacity")
@guarded
def capacity(
    countries: str | None = typer.Argument(None, help="Comma-separated countries (default: the group's members)."),
    group_id: str = typer.Option("asean", "--group", help="Reference group: gaps are to its leader."),
    methodology: str = METH_OPT,
    year: int | None = YEAR_OPT,
    top: int = typer.Option(3, "--top", min=1, max=20),
    as_json: bool = JSON_OPT,
) -> None:
    """Dimensions furthest behind and the AI Capacity-Building Action Plan items that address them."""
    from ..observatory import views
    from ..observatory.countries import group, require_country

    _, run = _run(methodology, draws=0)
    wanted = split_csv(countries)
    iso3s = [require_country(c) for c in wanted] if wanted is not None else group(group_id).members_on()
    v = views.capacity_building(run, [c for c in iso3s if c in run.result.countries], year, group_id, top)
    if as_json:
        emit_json(v)
        return
    titles = {d["id"]: _name(d["title"]) for d in v["dimension_defs"]}
    for c in v["countries"]:
        console.print(f"\n[bold]{tr('obs_capacity_title', c=_name(c['name']), i=_fmt(c['index']))}[/]", highlight=False)
        for it in c["furthest_behind"]:
            acts = "; ".join(f"{a['id']} {_name(a['title'])}" for a in it["addressed_by"])
            console.print(
                f"  {_name(it['title'])}: {_fmt(it['score'])} ({tr('obs_gap')} {_fmt(it['gap'])})"
                f" → {tr('obs_addressed_by')}: {acts}",
                highlight=False,
            )
        if c["not_measured"]:
            console.print(
                "  " + tr("obs_not_measured", dims=", ".join(titles.get(d, d) for d in c["not_measured"])), highlight=False
            )


@app.command("policy")
@guarded
def policy(
    country: str | None = typer.Argument(None, help="ISO code or name (default: all)."),
    kind: str | None = typer.Option(None, "--kind", help="strategy, law, regulation, guidance, draft, other."),
    as_json: bool = JSON_OPT,
) -> None:
    """National AI strategies and laws with dates, linked to catalog instruments."""
    from ..observatory.countries import country_name, require_country
    from ..observatory.policy import default_tracker

    tr_ = default_tracker()
    iso3 = require_country(country) if country else None
    items = tr_.for_country(iso3) if iso3 else sorted(tr_.policies, key=lambda p: (p.country or p.group or "", p.date))
    items = [p for p in items if not kind or p.kind == kind]
    rows = [p.model_dump(mode="json", exclude_none=True) for p in items]
    if as_json:
        emit_json(
            {
                "as_of": tr_.as_of.isoformat(),
                "country": iso3,
                "covered": (iso3 in tr_.covered) if iso3 else None,
                "coverage": sorted(tr_.covered),
                "policies": rows,
            }
        )
        return
    t = Table(title=tr("obs_policy_title", c=country_name(iso3, STATE.lang) if iso3 else "—"))
    for c in ("obs_country", "obs_date", "kind", "title", "instrument", "verified"):
        t.add_column(tr(c), overflow="fold")
    for p in items:
        t.add_row(
            p.country or p.group or "", p.date, p.kind, _name(p.title.model_dump()), p.instrument or "", "" if p.verified else "✗"
        )
    console.print(t)
    if iso3 and iso3 not in tr_.covered:
        console.print(tr("obs_not_reviewed", c=country_name(iso3, STATE.lang)), highlight=False)


# ------------------------------------------------------------------------------ incidents
def _isvc():
    from ..observatory.incidents.service import IncidentService

    return IncidentService(STATE.db())


def _saved(res, as_json: bool, extra: dict | None = None) -> None:
    if as_json:
        emit_json({**res.as_dict(), **(extra or {})})
        return
    console.print(
        tr(
            "obs_inc_saved",
            imported=len(res.imported),
            updated=len(res.updated),
            dup=len(res.duplicates),
            conf=len(res.conflicts),
        ),
        highlight=False,
    )


@incidents_app.command("add")
@guarded
def inc_add(file: Path = typer.Argument(..., help="Incident YAML or JSON."), as_json: bool = JSON_OPT) -> None:
    """Add or update an incident from a file (validated; errors name file, line and field)."""
    from ..observatory.incidents.service import load_incident_file

    _saved(_isvc().save([load_incident_file(file)]), as_json)


@incidents_app.command("import-aiid")
@guarded
def inc_import_aiid(
    incidents_csv: Path = typer.Argument(..., help="incidents.csv of an AIID snapshot."),
    reports: Path | None = typer.Option(None, "--reports", help="reports.csv"),
    classifications: list[Path] | None = typer.Option(None, "--classifications", help="classifications_*.csv (repeatable)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Import incidents from AIID CSV snapshot files (re-imports update changed incidents, skip unchanged)."""
    from ..observatory.incidents.service import read_aiid

    incs = read_aiid(incidents_csv, reports, list(classifications or []))
    _saved(_isvc().save(incs, origin=f"aiid:{incidents_csv.name}"), as_json)


@incidents_app.command("list")
@guarded
def inc_list(
    system: str | None = typer.Option(None, "--system"),
    severity: str | None = typer.Option(None, "--severity"),
    namespace: str | None = typer.Option(None, "--namespace", help="Only incidents classified in this taxonomy (CSETv1, MIT…)."),
    as_json: bool = JSON_OPT,
) -> None:
    """List incidents."""
    rows = _isvc().list(system=system, severity=severity, namespace=namespace)
    if as_json:
        emit_json(rows)
        return
    t = Table(title=tr("obs_inc_title"))
    for c in ("id", "obs_date", "title", "obs_severity", "obs_reports", "obs_systems"):
        t.add_column(tr(c), overflow="fold")
    for r in rows:
        t.add_row(r["id"], r["date"] or "", r["title"], r["severity"] or "", str(r["reports"]), ", ".join(r["systems"]))
    console.print(t)


def _deadline_lines(ds: list[dict]) -> None:
    for d in ds:
        by = tr("obs_report_by", d=d["report_by"]) if d.get("report_by") else ""
        console.print(
            tr("obs_deadline", regime=d["regime"], status=d["status"], by=by, reason=_name(d["reason"])), highlight=False
        )


@incidents_app.command("show")
@guarded
def inc_show(incident_id: str = typer.Argument(...), as_json: bool = JSON_OPT) -> None:
    """One incident with its content hash and applicable reporting deadlines."""
    from ..observatory.incidents.deadlines import deadlines

    inc, meta = _isvc().get(incident_id)
    ds = deadlines(inc)
    if as_json:
        emit_json({"incident": inc.canonical(), **meta, "deadlines": ds})
        return
    console.print(f"[bold]{inc.title}[/] ({inc.id}, {inc.date or '—'}, {inc.severity or '—'})", highlight=False)
    if inc.description:
        console.print(inc.description, highlight=False)
    console.print(f"{meta['content_hash']}  {meta['origin']}", highlight=False)
    _deadline_lines(ds)


@incidents_app.command("deadlines")
@guarded
def inc_deadlines(incident_id: str = typer.Argument(...), as_json: bool = JSON_OPT) -> None:
    """Reporting deadlines (EU AI Act Art. 73: 15 / 10 / 2 days)."""
    from ..observatory.incidents.deadlines import deadlines

    ds = deadlines(_isvc().get(incident_id)[0])
    if as_json:
        emit_json(ds)
        return
    _deadline_lines(ds)


@incidents_app.command("link")
@guarded
def inc_link(
    incident_id: str = typer.Argument(...),
    systems: list[str] = typer.Argument(..., help="Registered system ids."),
    as_json: bool = JSON_OPT,
) -> None:
    """Link an incident to registered AI systems."""
    inc = _isvc().link(incident_id, systems)
    if as_json:
        emit_json({"id": inc.id, "systems": inc.systems})
        return
    console.print(tr("obs_linked", id=inc.id, systems=", ".join(inc.systems)), highlight=False)


@incidents_app.command("export")
@guarded
def inc_export(
    out: Path = typer.Argument(..., help="Bundle file to write (JSON)."),
    ids: str | None = typer.Option(None, "--ids", help="Comma-separated incident ids (default: all)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Export a signed, content-addressed bundle (your Ed25519 key; created on first use like for reports)."""
    from ..crypto import load_or_init_keys
    from ..observatory.incidents.bundle import export_bundle

    info = export_bundle(_isvc(), out, load_or_init_keys(), split_csv(ids))
    if as_json:
        emit_json(info)
        return
    console.print(
        tr("obs_exported", n=info["items"], path=info["path"], id=info["bundle_id"][:19] + "…", fp=info["signer"][:16] + "…"),
        highlight=False,
    )


@incidents_app.command("import")
@guarded
def inc_import(
    bundle: Path = typer.Argument(...),
    trust: list[str] | None = typer.Option(None, "--trust", help="Accept only these signer fingerprints."),
    replace: bool = typer.Option(False, "--replace", help="Replace incidents whose id exists with different content."),
    as_json: bool = JSON_OPT,
) -> None:
    """Verify and import a bundle; duplicates (same content hash) are skipped."""
    from ..observatory.incidents.bundle import import_bundle

    res, info = import_bundle(_isvc(), bundle, trusted=list(trust) if trust else None, replace=replace)
    if not as_json:
        console.print(
            tr("obs_verified", id=info["bundle_id"][:19] + "…", n=info["items"], fp=info["signer"][:16] + "…"), highlight=False
        )
    _saved(res, as_json, {"bundle": info})


@incidents_app.command("verify")
@guarded
def inc_verify(
    bundle: Path = typer.Argument(...), trust: list[str] | None = typer.Option(None, "--trust"), as_json: bool = JSON_OPT
) -> None:
    """Verify a bundle without importing it (exit code 2 if it was tampered with)."""
    from ..observatory.incidents.bundle import read_bundle, verify_bundle

    _, info = verify_bundle(read_bundle(bundle), source=str(bundle), trusted=list(trust) if trust else None)
    if as_json:
        emit_json({"valid": True, **info})
        return
    console.print(
        tr("obs_verified", id=info["bundle_id"][:19] + "…", n=info["items"], fp=info["signer"][:16] + "…"), highlight=False
    )
