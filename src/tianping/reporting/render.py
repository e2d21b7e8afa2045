"""Render an assessment (the dict from `assessment.assess`) as HTML, PDF, JSON and OSCAL."""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import __version__
from ..assessment.assess import KIND_TEXT, VERDICT_TEXT
from ..catalog.loader import default_catalog
from ..i18n import LangMap, available_languages, format_datetime, has_message, lang_text, normalize_lang, t
from .charts import metric_chart, verdict_chart
from .numbers import decimal_symbol, interval, sig, threshold_text
from .numbers import localized as _decimal

TEMPLATES = Path(__file__).parent / "templates"


class ReportLabels(Mapping[str, str]):
    """The report's words in one language: `L.title`, `L["summary"]` read message `report.<key>` from the catalogs."""

    KEYS = (
        "title",
        "summary",
        "system",
        "classification",
        "tests",
        "matrix",
        "gaps",
        "instruments",
        "evidence_map",
        "jurisdiction",
        "tier",
        "cites",
        "obligation",
        "verdict",
        "evidence",
        "reasoning",
        "metric",
        "value",
        "threshold",
        "ci",
        "passed",
        "run",
        "test",
        "provisions",
        "action",
        "generated",
        "as_of",
        "all_in_force",
        "field",
        "obligations",
        "questions",
        "yes",
        "no",
        "none",
        "instrument",
        "checks",
        "answer",
        "version",
        "run_test",
        "answer_checks",
        "fix",
        "complete_profile",
        "voluntary",
        "more_data",
        "status",
        "kind",
        "n",
        "slice",
        "decided_by",
        "producer",
        "dataset",
        "rows",
        "method",
        "unlinked",
        "simulated_banner",
        "simulated_mark",
        "rules",
        "rescored",
        "disclaimer",
        "law_version",
        "upcoming_tiers",
        "applies_from",
        "readiness",
        "pending_amendments",
        "date_unverified",
    )

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getitem__(self, key: str) -> str:
        # any `report.<key>` of the catalogs (KEYS lists them for iteration)
        if key not in self.KEYS and not has_message(f"report.{key}", "en"):
            raise KeyError(key)
        return t(f"report.{key}", self.lang)

    def __iter__(self) -> Iterator[str]:
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)


class _Labels(Mapping[str, ReportLabels]):
    def __getitem__(self, lang: str) -> ReportLabels:
        return ReportLabels(normalize_lang(lang) or "en")

    def __iter__(self) -> Iterator[str]:
        return iter(available_languages())

    def __len__(self) -> int:
        return len(available_languages())


LABELS = _Labels()  # LABELS[lang]["summary"], for every language with a catalog

STATUS_TEXT = {k: LangMap(f"report.status.{k}") for k in ("pass", "warn", "fail", "insufficient_data", "error", "not_judged")}

# the font stack of reports: Latin and Vietnamese (DejaVu/Noto), Thai (Noto Sans Thai, TLWG), Chinese (WenQuanYi, Noto CJK)
FONT_FAMILY = (
    '"DejaVu Sans", "Noto Sans", "Noto Sans Thai", "Noto Sans Thai UI", "Loma", "Garuda", "Waree", '
    '"WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif'
)


def _text(text: Any, lang: str) -> str:
    """A catalog text (title, short title) in `lang` when the catalog gives one, else English."""
    return lang_text(text.model_dump(exclude_none=True), lang)


def font_family(lang: str) -> str:
    """The CSS font stack for `lang`: Chinese puts its CJK fonts first (punctuation, widths), the others the Latin ones."""
    if lang == "zh":
        return '"WenQuanYi Zen Hei", "Noto Sans CJK SC", ' + FONT_FAMILY
    return FONT_FAMILY


# the html lang attribute (BCP 47) of each catalog language
HTML_LANG = {"zh": "zh-Hans", "fil": "fil"}


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, ensure_ascii=False, indent=1)
    return env


def context(assessment: dict[str, Any], lang: str) -> dict[str, Any]:
    lang = normalize_lang(lang) or "en"
    L = LABELS[lang]
    verdict_labels = {k: v[lang] for k, v in VERDICT_TEXT.items()} | {"obligations": L["obligations"]}
    per_j: dict[str, Counter] = defaultdict(Counter)
    for o in assessment["obligations"]:
        per_j[o["jurisdiction"]][o["verdict"]] += 1
    chart = verdict_chart({j: dict(c) for j, c in per_j.items()}, verdict_labels) if per_j else None
    rows_by_id = {r["id"]: r for r in assessment.get("rows", [])}
    rows_by_run: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in assessment.get("rows", []):
        rows_by_run[r["run"]].append(r)
    runs = {ev["run_id"]: ev for ev in assessment.get("evidence", [])}
    metric_charts = {}
    for rid, rs in rows_by_run.items():
        title = rid[:8] + (f" — {KIND_TEXT['simulated'][lang]}" if runs.get(rid, {}).get("kind") == "simulated" else "")
        metric_charts[rid] = metric_chart(
            [
                {
                    "name": r["metric"],
                    "group": r["slice_text"],
                    "value": r["value"],
                    "ci": r["ci"],
                    "passed": {"pass": True, "fail": False}.get(r["status"]),
                    "threshold": (r["threshold"] or {}).get("value"),
                }
                for r in rs
                if r["status"] in ("pass", "warn", "fail")
            ],
            title,
        )
    cat = default_catalog()
    from ..registry.profile import field_label

    def ptitle(qid: str) -> str:
        ref = cat.provisions.get(qid)
        if ref is None:
            return qid
        p = ref.provision
        inst = cat.instruments.get(qid.split(":", 1)[0])
        short = _text(inst.short_title, lang) if inst is not None and getattr(inst, "short_title", None) else ""
        head = f"{short} {p.number or p.id}".strip()
        return f"{head} {_text(p.title, lang)}"

    def cite(qid: str) -> str:
        ref = cat.provisions.get(qid)
        inst = cat.instruments.get(qid.split(":", 1)[0])
        if ref is None or inst is None:
            return qid
        short = getattr(inst, "short_title", None)
        name = _text(short, lang) if short else _text(inst.title, lang)
        return f"{name} {ref.provision.number or ref.provision.id}"

    gaps = []
    for o in assessment["obligations"]:
        if o["verdict"] in ("not_met", "partial", "needs_evidence", "insufficient_data"):
            actions = []
            if o["classification_status"] == "possible":
                actions.append(L["complete_profile"])
            failing = [
                rows_by_id[i] for i in o.get("decisive", []) if i in rows_by_id and rows_by_id[i]["status"] in ("fail", "warn")
            ]
            if failing:
                actions.append(
                    f"{L['fix']}: "
                    + ", ".join(
                        sorted({f"{r['metric']}" + (f" [{r['slice_text']}]" if r["slice_text"] else "") for r in failing})[:5]
                    )
                )
            if o["verdict"] == "insufficient_data":
                actions.append(L["more_data"])
            tested = {rows_by_id[i]["test"] for i in o.get("rows", []) if i in rows_by_id and rows_by_id[i]["counted"]}
            missing_tests = [t for t in o["planned_tests"] if t not in tested]
            if missing_tests:
                actions.append(f"{L['run_test']}: {', '.join(missing_tests)}")
            answered = {c["item"] for c in o["checks"]}
            missing_checks = [c for c in o["planned_checks"] if c not in answered]
            if missing_checks:
                actions.append(
                    f"{L['answer_checks']}: {', '.join(missing_checks[:5])}" + ("…" if len(missing_checks) > 5 else "")
                )
            gaps.append({"o": o, "actions": actions})
    name = assessment["system_name"]
    if lang == "zh" and assessment.get("system_name_zh"):
        name = assessment["system_name_zh"]
    return {
        "a": assessment,
        "L": L,
        "lang": lang,
        "V": verdict_labels,
        "K": {k: v[lang] for k, v in KIND_TEXT.items()},
        "chart": chart,
        "rows_by_run": dict(rows_by_run),
        "rows_by_id": rows_by_id,
        "runs": runs,
        "metric_charts": metric_charts,
        "ptitle": ptitle,
        "gaps": gaps,
        "version": __version__,
        "system_name": name,
        "any_simulated": bool(assessment.get("simulated_runs")),
        "has_sim": lambda o: any(rows_by_id[i]["evidence_kind"] == "simulated" for i in o.get("rows", []) if i in rows_by_id),
        "flabel": lambda field_id: field_label(field_id, lang),
        "tr": lambda d: lang_text(d, lang),
        "t": lambda key, **kw: t(key, lang, **kw),
        "html_lang": HTML_LANG.get(lang, lang),
        "font_family": font_family(lang),
        "when": lambda v: _when(v, lang),
        "num": lambda v, *a: _decimal(sig(v, *a), lang),
        "ci": lambda c, *a: _interval(c, lang, *a),
        "thr": lambda t: threshold_text(t, lang, cite),
        "status_text": lambda s: STATUS_TEXT[s][lang] if s in STATUS_TEXT else s,
    }


def _interval(ci: Any, lang: str, digits: int = 3) -> str:
    text = interval(ci, digits)
    if not text or decimal_symbol(lang) == ".":
        return text
    lo, hi = text[1:-1].split(", ")
    return f"[{_decimal(lo, lang)}; {_decimal(hi, lang)}]"


def _when(value: Any, lang: str) -> str:
    """A timestamp of the report (ISO 8601 text) in the reader's locale; the ISO text itself if unparsable."""
    import datetime as dt

    try:
        return format_datetime(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")), lang) if value else ""
    except (ValueError, TypeError):
        return str(value)


def render_html(assessment: dict[str, Any], lang: str = "en") -> str:
    return _env().get_template("report.html.j2").render(**context(assessment, lang))


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    from ..extras import require

    require("pdf", "weasyprint")
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def oscal_assessment_results(assessment: dict[str, Any]) -> dict[str, Any]:
    """An OSCAL assessment-results document: one finding per obligation, observations for evidence."""
    import datetime as dt

    from pydantic import AnyUrl
    from trestle.oscal import assessment_results as ar
    from trestle.oscal import common as om

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ns = uuid.UUID("3c1f5f5e-0a57-4d43-8d8d-6b1c2a7e9f10")
    observations, findings = [], []
    rows_by_id = {r["id"]: r for r in assessment.get("rows", [])}
    runs = {ev["run_id"]: ev for ev in assessment.get("evidence", [])}
    prop_ns = AnyUrl("https://github.com/tianping-ai/tianping/ns/oscal")
    made: dict[str, str] = {}

    def observation_for(r: dict[str, Any]) -> str:
        if r["id"] in made:
            return made[r["id"]]
        sl = r["slice_text"]
        oid = str(uuid.uuid5(ns, f"{assessment['system']}|{r['run']}|{r['id']}|{r['test']}|{r['metric']}"))
        simulated = r["evidence_kind"] == "simulated"
        producer = runs.get(r["run"], {}).get("producer", {})
        desc = (
            f"value={r['value']} ci={r['ci']} n={r['n']} threshold={r['threshold']} status={r['status']} "
            f"(run {r['run']}, {r['evidence_kind']} evidence from "
            f"{producer.get('engine', '?')} {producer.get('engine_version') or ''})"
        )
        if simulated:
            desc = "SIMULATED evidence, not counted toward any finding: " + desc
        observations.append(
            om.Observation(
                uuid=oid,
                title=("[SIMULATED] " if simulated else "") + f"{r['test']}: {r['metric']}" + (f" [{sl}]" if sl else ""),
                description=desc,
                methods=["TEST"],
                collected=now,
                props=[
                    om.Property(name="evidence-kind", value=r["evidence_kind"], ns=prop_ns),
                    om.Property(name="status", value=r["status"], ns=prop_ns),
                    om.Property(name="counted", value="true" if r.get("counted") else "false", ns=prop_ns),
                ],
            )
        )
        made[r["id"]] = oid
        return oid

    for o in assessment["obligations"]:
        obs_ids = [observation_for(rows_by_id[i]) for i in o.get("rows", []) if i in rows_by_id]
        for c in o["checks"]:
            oid = str(uuid.uuid5(ns, f"{assessment['system']}|{o['obligation']}|{c['item']}"))
            if oid not in made.values():
                observations.append(
                    om.Observation(
                        uuid=oid,
                        title=f"checklist {c['item']}",
                        description=f"answer={c['answer']}",
                        methods=["EXAMINE"],
                        collected=now,
                    )
                )
                made[f"check:{c['item']}:{o['obligation']}"] = oid
            obs_ids.append(oid)
        state = (
            om.ObjectiveStatusStateValidValues.satisfied
            if o["verdict"] == "met"
            else om.ObjectiveStatusStateValidValues.not_satisfied
        )
        findings.append(
            om.Finding(
                uuid=str(uuid.uuid5(ns, f"{assessment['system']}|finding|{o['jurisdiction']}|{o['obligation']}")),
                title=f"{o['jurisdiction']} {o['obligation']}",
                description=o["reasoning"].get("en") or o["verdict"],
                target=om.FindingTarget(
                    type=om.FindingTargetTypeValidValues.objective_id,
                    target_id=o["obligation"].replace(":", "-"),
                    status=om.ObjectiveStatus(state=state, remarks=o["verdict"]),
                    props=[om.Property(name="verdict", value=o["verdict"], ns=prop_ns)],
                ),
                related_observations=[om.RelatedObservation(observation_uuid=x) for x in dict.fromkeys(obs_ids)] or None,
            )
        )
    result = ar.Result(
        uuid=str(uuid.uuid4()),
        title=f"Tianping assessment of {assessment['system']}",
        description="Obligations derived from Tianping rule packs, judged against test runs and checklist answers.",
        start=now,
        reviewed_controls=om.ReviewedControls(control_selections=[om.ControlSelection(include_all=om.IncludeAll())]),
        observations=observations or None,
        findings=findings or None,
    )
    doc = ar.AssessmentResults(
        uuid=str(uuid.uuid4()),
        metadata=om.Metadata(
            title=f"Assessment results: {assessment['system_name']}",
            last_modified=now,
            version=__version__,
            oscal_version=om.OscalVersion(root=om.StringDatatype(root="1.1.2")),
        ),
        import_ap=ar.ImportAp(href="#tianping-plan"),
        results=[result],
    )
    return json.loads(doc.oscal_serialize_json(pretty=False))
