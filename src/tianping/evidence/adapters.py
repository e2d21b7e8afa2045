"""Turn each engine's stored results document into an `EvidenceRun`.

Every engine keeps its own rich results document (documented in docs/tabular-tests.md and
docs/genai-tests.md); the adapter registered for it here states that document in the shared
evidence model, so the assessment reads one shape. Adapters are found through one registry:
built-ins register with `@evidence_adapter(name)`, outside packages through the Python entry
point group `tianping.evidence_adapters` (an object with `matches(run)` and `convert(run)`).
A document no adapter recognises becomes an evidence run with a single `error` row — the run is
shown, never silently dropped, and it can never make an obligation look met.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from pydantic import ValidationError

from .. import __version__
from .model import DatasetRef, EvidenceRun, MetricRow, Operator, Producer, Slice, Threshold


class RunLike(Protocol):  # the `runs` row, or anything with the same attributes
    id: str
    system_id: str | None
    kind: str
    suite: str
    target: str
    config: dict[str, Any]
    status: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    result: dict[str, Any] | None


@dataclass(frozen=True)
class Adapter:
    name: str
    matches: Callable[[RunLike], bool]
    convert: Callable[[RunLike], EvidenceRun]


_ADAPTERS: list[Adapter] = []


def evidence_adapter(name: str, matches: Callable[[RunLike], bool]) -> Callable[[Callable[[RunLike], EvidenceRun]], Callable]:
    """Register a converter for results documents that `matches` recognises (first match wins)."""

    def deco(fn: Callable[[RunLike], EvidenceRun]) -> Callable[[RunLike], EvidenceRun]:
        _ADAPTERS.append(Adapter(name, matches, fn))
        return fn

    return deco


@lru_cache(maxsize=1)
def _plugin_adapters() -> tuple[Adapter, ...]:
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group="tianping.evidence_adapters"):
        obj = ep.load()
        out.append(Adapter(ep.name, obj.matches, obj.convert))
    return tuple(out)


def to_evidence(run: RunLike) -> EvidenceRun:
    """The run's evidence: the stored typed document when there is one, else its adapter's reading."""
    doc = run.result or {}
    for ad in [*_ADAPTERS, *_plugin_adapters()]:
        if ad.matches(run):
            try:
                return ad.convert(run)
            except (ValidationError, ValueError, TypeError, KeyError) as exc:
                return _unreadable(run, f"{ad.name} results could not be read as evidence: {_short(exc)}")
    return _unreadable(
        run,
        "no evidence adapter recognises this results document"
        + (f" (keys: {', '.join(sorted(doc)[:8])})" if doc else " (empty)"),
    )


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(text[:3])[:300]


def _base(run: RunLike, *, kind: str, producer: Producer, **extra: Any) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "system_id": run.system_id,
        "kind": kind,
        "producer": producer,
        "target": run.target,
        "suite": run.suite,
        "config": dict(run.config or {}),
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "status": run.status if run.status in ("pending", "running", "completed", "failed", "interrupted") else "failed",
        **extra,
    }


def _unreadable(run: RunLike, why: str) -> EvidenceRun:
    return EvidenceRun(
        **_base(run, kind="real", producer=Producer(engine=run.kind or "unknown")),
        metrics=[MetricRow(test=f"{run.kind}.unreadable", metric="results_document", status="error", note=why)],
        notes=[why],
    )


# ---------------------------------------------------------------------------------------- typed
def _has_typed(run: RunLike) -> bool:
    return isinstance((run.result or {}).get("evidence"), dict)


@evidence_adapter("typed", _has_typed)
def _typed(run: RunLike) -> EvidenceRun:
    """Producers that already emit the evidence model (server run kinds, importers)."""
    ev = EvidenceRun.model_validate((run.result or {})["evidence"])
    return ev.model_copy(update={"run_id": run.id, "system_id": run.system_id or ev.system_id})


# -------------------------------------------------------------------------------------- tabular
TABULAR_TESTS = {
    "fairness": "tabular.fairness",
    "counterfactual": "tabular.fairness",
    "robustness": "tabular.robustness",
    "explain": "tabular.explainability",
    "performance": "tabular.performance",
    "quality": "tabular.data_quality",
}
_TABULAR_STATUS = {"pass", "warn", "fail", "insufficient_data", "error", "not_judged"}


def _is_tabular(run: RunLike) -> bool:
    doc = run.result or {}
    return isinstance(doc.get("metrics"), list) and "schema_version" in doc and "task" in doc


def _tabular_threshold(t: dict[str, Any] | None, citations: list[str], min_n: int | None) -> Threshold | None:
    if not t:
        return None
    op: Operator = "<=" if t["direction"] == "max" else ">="
    return Threshold(
        op=op,
        value=float(t["fail"]),
        warn=float(t["warn"]),
        min_n=min_n,
        source="metrics.yaml",
        provision=citations[0] if citations else None,
    )


@evidence_adapter("tabular", _is_tabular)
def _tabular(run: RunLike) -> EvidenceRun:
    doc = run.result or {}
    metrics = doc["metrics"]
    # between-group rows rest on their smallest group: find each grouping's group sizes
    group_n: dict[tuple, list[int]] = {}
    for m in metrics:
        if m.get("group") and m.get("n") is not None and m.get("sensitive_feature"):
            group_n.setdefault((m["test"], m["sensitive_feature"], m.get("label")), []).append(int(m["n"]))
            group_n.setdefault((m["test"], m["sensitive_feature"], None), []).append(int(m["n"]))
    rows = []
    for m in metrics:
        details = m.get("details") or {}
        n = m.get("n")
        if m.get("min_group_n") is not None:  # the engine says which count the value rests on
            n = m["min_group_n"]
        elif m.get("sensitive_feature") and not m.get("group"):
            sizes = group_n.get((m["test"], m["sensitive_feature"], m.get("label"))) or group_n.get(
                (m["test"], m["sensitive_feature"], None)
            )
            n = details.get("min_group_n", min(sizes) if sizes else n)
        value = m.get("value")
        if isinstance(value, list):  # confusion matrices are shown, not judged
            value = None
        status = m.get("status", "not_judged")
        rows.append(
            _row(
                test=TABULAR_TESTS.get(m["test"], f"tabular.{m['test']}"),
                metric=m["name"],
                slice=Slice(
                    sensitive_feature=m.get("sensitive_feature"),
                    group=m.get("group"),
                    label=m.get("label"),
                    feature=m.get("feature"),
                    attack=details.get("attack") if isinstance(details.get("attack"), str) else None,
                ),
                value=value,
                ci=tuple(m["ci"]) if m.get("ci") else None,
                n=n,
                value_large_groups=details.get("value_without_small_groups")
                if isinstance(details.get("value_without_small_groups"), (int, float))
                else None,
                threshold=_tabular_threshold(m.get("thresholds"), m.get("citations") or [], m.get("min_n")),
                status=status if status in _TABULAR_STATUS else "error",
                citations=m.get("citations") or [],
                method=details.get("producer") or "tabular engine",  # a plug-in family names itself
            )
        )
    cfg = doc.get("config") or {}
    data = cfg.get("data")
    return EvidenceRun(
        **_base(
            run,
            kind="real",
            producer=Producer(
                engine="tabular",
                engine_version=__version__,
                method=f"{doc.get('task')} model, tests {', '.join(doc.get('tests', []))}",
            ),
            dataset=DatasetRef(path=str(data) if data else None, sha256=cfg.get("data_sha256"), rows=doc.get("n_rows")),
        ),
        metrics=rows,
        notes=list(doc.get("notes") or []),
    )


def _row(**kw: Any) -> MetricRow:
    """A row; one whose numbers contradict each other becomes an `error` row instead of vanishing."""
    try:
        return MetricRow(**kw)
    except ValidationError as exc:
        bad = {k: v for k, v in kw.items() if k not in ("ci",)}
        bad.update(status="error", note=f"inconsistent row: {_short(exc)}")
        return MetricRow(**bad)


# ---------------------------------------------------------------------------------------- genai
GENAI_SCHEMA_PREFIX = "tianping.genai.run/"
_GATE_STATUS = {
    "pass": "pass",
    "fail": "fail",
    "warn": "warn",
    "insufficient": "insufficient_data",
    "insufficient_data": "insufficient_data",
    "not_evaluated": "not_judged",
    "not_judged": "not_judged",
    "error": "error",
}


def _genai_test(metric: str) -> str:
    """The evidence-map test a generative metric evidences: the first dotted part that names one
    (`checks.generated_content.manual` -> genai.generated_content), else genai.<first part>."""
    from ..assessment.plan import evidence_map

    known = evidence_map()
    for part in metric.split("."):
        if f"genai.{part}" in known:
            return f"genai.{part}"
    return f"genai.{metric.split('.', 1)[0]}"


def _is_genai(run: RunLike) -> bool:
    return str((run.result or {}).get("schema", "")).startswith(GENAI_SCHEMA_PREFIX)


def _rate_row(test: str, metric: str, r: dict[str, Any] | None, sl: Slice, **kw: Any) -> MetricRow | None:
    if not r or not r.get("n"):
        return None
    return _row(
        test=test,
        metric=metric,
        slice=sl,
        value=r.get("rate"),
        ci=tuple(r["ci95"]) if r.get("ci95") else None,
        n=r.get("n"),
        **kw,
    )


@evidence_adapter("genai", _is_genai)
def _genai(run: RunLike) -> EvidenceRun:
    doc = run.result or {}
    cfg = doc.get("config") or {}
    judge = cfg.get("judge") or "rules + refusal detector"
    rows: list[MetricRow] = []
    gated: set[str] = set()
    for g in doc.get("gates") or []:
        metric = g["metric"]
        bank = metric.split(".", 1)[0]
        test = _genai_test(metric)
        gated.add(metric)
        thr = Threshold(
            op=g["op"],
            value=float(g["threshold"]),
            min_n=g.get("min_samples") or None,
            source="gates.yaml",
            provision=g.get("provision") or g.get("cites"),
        )
        ci = g.get("ci95")
        rows.append(
            _row(
                test=test,
                metric=metric,
                slice=Slice(bank=bank),
                value=g.get("value"),
                ci=tuple(ci) if ci else None,
                n=g.get("n") or None,
                threshold=thr,
                status=_GATE_STATUS.get(g.get("status"), "error"),
                citations=[c for c in [g.get("provision") or g.get("cites")] if c],
                method=g.get("method") or judge,
                note=g.get("reason"),
            )
        )
    metrics = doc.get("metrics") or {}
    for bank, b in sorted((metrics.get("banks") or {}).items()):
        for name in ("pass_rate", "refusal_rate"):
            metric = f"{bank}.{name}"
            if metric not in gated:
                row = _rate_row(f"genai.{bank}", metric, b.get(name), Slice(bank=bank), method=judge)
                if row:
                    rows.append(row)
            for risk, rr in sorted((b.get("by_risk") or {}).items()):
                row = _rate_row(
                    f"genai.{bank}", metric, rr.get(name), Slice(bank=bank, risk=None if risk == "-" else risk), method=judge
                )
                if row:
                    rows.append(row)
            for lang, rr in sorted((b.get("by_lang") or {}).items()):
                row = _rate_row(f"genai.{bank}", metric, rr.get(name), Slice(bank=bank, lang=lang), method=judge)
                if row:
                    rows.append(row)
    for attack, vals in sorted((metrics.get("attacks") or {}).items()):
        row = _rate_row(
            "genai.jailbreak", "attack_success_rate", vals.get("attack_success_rate"), Slice(attack=attack), method=judge
        )
        if row:
            rows.append(row)
    samples = metrics.get("samples") or {}
    errors = doc.get("errors") or {}
    if samples.get("total") and not samples.get("scored"):
        rows.append(
            MetricRow(
                test="genai.run",
                metric="scored_samples",
                value=0,
                n=samples["total"],
                status="error",
                note="every sample errored; nothing was judged",
            )
        )
    elif errors.get("samples"):
        rows.append(
            MetricRow(
                test="genai.run",
                metric="errored_samples",
                value=errors["samples"],
                n=samples.get("total"),
                status="not_judged",
                note="; ".join(errors.get("examples") or [])[:300] or None,
            )
        )
    bank_name = cfg.get("data") or cfg.get("bank")
    return EvidenceRun(
        **_base(
            run,
            kind="real",
            producer=Producer(
                engine="genai",
                engine_version=__version__,
                judge=judge,
                method=f"suite {cfg.get('suite')}, scorers {', '.join(cfg.get('scorers') or [])}",
            ),
            dataset=DatasetRef(
                name=str(bank_name) if bank_name else f"bundled banks ({cfg.get('suite')})",
                sha256=cfg.get("data_sha256"),
                version=", ".join(f"{k} {v.get('version')}" for k, v in sorted((doc.get("banks") or {}).items())) or None,
            ),
        ),
        metrics=rows,
        samples_ref=f"genai_samples:{run.id}" + (f" + {doc['jsonl']}" if doc.get("jsonl") else ""),
        samples_count=samples.get("total"),
    )


# --------------------------------------------------------------------------------------- legacy
def _is_legacy(run: RunLike) -> bool:
    doc = run.result or {}
    return isinstance(doc.get("metrics"), list) and all(isinstance(m, dict) and "name" in m for m in doc["metrics"])


def _legacy_threshold(t: Any, direction: str | None) -> Threshold | None:
    if isinstance(t, dict):
        if "max" in t:
            return Threshold(op="<=", value=float(t["max"]), source="run document")
        if "min" in t:
            return Threshold(op=">=", value=float(t["min"]), source="run document")
        if "op" in t and "value" in t:
            return Threshold(op=t["op"], value=float(t["value"]), min_n=t.get("min_samples"), source="run document")
    if isinstance(t, (int, float)) and not isinstance(t, bool) and direction in ("max", "min"):
        return Threshold(op="<=" if direction == "max" else ">=", value=float(t), source="run document")
    return None


def _legacy_test(name: str, engine: str) -> str:
    from ..assessment.plan import evidence_map

    for how in ("startswith", "contains"):
        for tid, spec in evidence_map().items():
            if spec["engine"] != engine:
                continue
            for prefix in spec["metrics"]:
                if name.startswith(prefix) if how == "startswith" else prefix in name:
                    return tid
    return f"{engine}.other"


@evidence_adapter("metrics-list", _is_legacy)
def _legacy(run: RunLike) -> EvidenceRun:
    """The plain `{"metrics": [{name, value, threshold, passed}]}` documents of early runs and the demo."""
    doc = run.result or {}
    simulated = doc.get("engine") == "stub" or (run.config or {}).get("run_kind") == "stub" or run.suite == "stub"
    rows = []
    for m in doc["metrics"]:
        passed = m.get("passed", m.get("status"))
        status = (
            {True: "pass", False: "fail", "warn": "warn", "pass": "pass", "fail": "fail"}.get(passed, "not_judged")
            if isinstance(passed, (bool, str))
            else "not_judged"
        )
        rows.append(
            _row(
                test=m.get("test") or _legacy_test(m["name"], doc.get("emulates") or run.kind),
                metric=m["name"],
                slice=Slice(group=m.get("group")),
                value=m.get("value") if isinstance(m.get("value"), (int, float)) else None,
                ci=tuple(m["ci"]) if m.get("ci") else None,
                n=m.get("n"),
                threshold=_legacy_threshold(m.get("threshold"), m.get("direction")),
                status=status,
                method="simulated (stub)" if simulated else None,
            )
        )
    engine = "stub" if simulated else run.kind
    return EvidenceRun(
        **_base(
            run,
            kind="simulated" if simulated else "real",
            producer=Producer(engine=engine, method="deterministic fake evaluation" if simulated else None),
        ),
        metrics=rows,
        notes=["simulated evidence: invented numbers, never counted toward a verdict"] if simulated else [],
    )
