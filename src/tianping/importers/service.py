"""`import_file`: one outside tool's result file → one stored, typed, imported evidence run.

Read and check everything first (format from content, every line / member parsed, map applied,
evidence validated); only then write the run and its audit event in one transaction. Any problem
before that is a located `TianpingError` and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ..errors import Problem, TianpingError
from ..evidence.judge import judge
from ..evidence.model import DatasetRef, EvidenceRun, MetricRow, Producer, SampleRecord, Slice
from .base import Parsed, RawMetric, detect, get_importer, located, probe
from .mapping import UNMAPPED, ImportMap, load_map

SCHEMA = "tianping.import/1"
NOT_LINKED = "not linked to any provision"
Z95 = 1.959963984540054


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_file(path: str | Path, fmt: str = "auto") -> tuple[Parsed, Path]:
    """Parse a result file (no mapping, no storage): the importer's reading and the file read."""
    p = Path(path)
    if p.is_dir():
        from .lm_eval import resolve_path

        p = resolve_path(p)
    if not p.is_file():
        raise TianpingError(Problem("no such file", file=str(p), field="PATH"), title="cannot import")
    pr = probe(p)
    imp = detect(pr) if fmt in (None, "", "auto") else get_importer(fmt)
    try:
        parsed = imp.parse(p, pr)
    except TianpingError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError, UnicodeError, OSError) as exc:
        raise located(p, f"cannot be read as a {imp.name} result: {type(exc).__name__}: {str(exc)[:200]}") from None
    if parsed.format != imp.name:  # a plug-in may reuse a built-in parser
        parsed.format = imp.name
    return parsed, p


def to_evidence(
    parsed: Parsed,
    path: Path,
    sha256: str,
    *,
    run_id: str,
    system_id: str | None,
    imap: ImportMap,
    companions: dict[str, str] | None = None,
) -> tuple[EvidenceRun, list[dict[str, Any]]]:
    """The evidence run of a parsed file, and the metrics the map did not link to any provision."""
    if companions is None:
        companions = {c.name: sha256_file(c) for c in parsed.companions}
    rows: list[MetricRow] = []
    unmapped: list[dict[str, Any]] = []
    for raw in parsed.metrics:
        row = _row(parsed, raw, imap)
        rows.append(row)
        if row.test == UNMAPPED:
            unmapped.append({"task": raw.key, "metric": raw.metric, "value": row.value})
    samples = None
    recs = parsed.samples.records
    if recs is not None and parsed.samples.count:
        samples = []
        for i, rec in enumerate(recs):
            try:
                samples.append(SampleRecord.model_validate(rec))
            except ValidationError as exc:
                raise located(
                    path, f"per-sample record {i + 1} ({rec.get('id')}) is not valid: {str(exc).splitlines()[0]}"
                ) from None
    notes = list(parsed.notes)
    if unmapped:
        notes.append(
            f"{len(unmapped)} metric(s) {NOT_LINKED}: "
            + ", ".join(f"{u['task']}/{u['metric']}" for u in unmapped[:10])
            + (" …" if len(unmapped) > 10 else "")
        )
    status: Literal["completed", "failed"] = "completed" if parsed.config.get("status") in (None, "success") else "failed"
    ev = EvidenceRun(
        run_id=run_id,
        system_id=system_id,
        kind="imported",
        producer=Producer(
            engine=f"import:{parsed.format}",
            engine_version=parsed.tool_version,
            tool=parsed.tool,
            method=f"imported from {parsed.tool} {parsed.tool_version or '(version unknown)'} results file {path.name}",
        ),
        target=parsed.model,
        suite=parsed.task,
        dataset=DatasetRef(name=parsed.dataset_name or parsed.task, path=path.name, sha256=sha256, rows=parsed.dataset_rows),
        config={
            "format": parsed.format,
            "file": path.name,
            "sha256": sha256,
            "companions": companions,
            "map": imap.sources,
            **{k: v for k, v in parsed.config.items() if v is not None},
        },
        created_at=parsed.created_at,
        started_at=parsed.started_at,
        finished_at=parsed.finished_at,
        status=status,
        metrics=rows,
        samples=samples,
        samples_ref=None if samples is not None or not parsed.samples.count else f"{path.name} (sha256 {sha256[:12]}…)",
        samples_count=parsed.samples.count or None,
        notes=notes,
    )
    return ev, unmapped


def _row(parsed: Parsed, raw: RawMetric, imap: ImportMap) -> MetricRow:
    entry = imap.lookup(parsed.format, raw.key, raw.metric, raw.args)
    scale = entry.scale if entry and entry.scale else 1.0
    value = raw.value * scale if raw.value is not None and math.isfinite(raw.value) else None
    ci = None
    how_ci = None
    if raw.ci is not None:
        ci = (raw.ci[0] * scale, raw.ci[1] * scale)
        how_ci = "interval from the tool"
    elif raw.stderr is not None and value is not None and math.isfinite(raw.stderr):
        se = raw.stderr * scale
        lo, hi = value - Z95 * se, value + Z95 * se
        if 0.0 <= value <= 1.0:
            lo, hi = max(0.0, lo), min(1.0, hi)
        ci = (lo, hi)
        how_ci = "95% interval from the tool's standard error (normal approximation)"
    sl = {k: v for k, v in raw.slice.items() if v is not None}
    sl.setdefault("bank", raw.key)
    if entry and entry.risk:
        sl["risk"] = entry.risk
    thr = entry.threshold if entry else None
    status, reason = judge(value, thr, n=raw.n, ci=ci) if thr else ("not_judged", None)
    notes = [x for x in (raw.note, entry.note if entry else None, reason, how_ci, None if entry else NOT_LINKED) if x]
    if entry and thr is None:
        notes.append("recorded, not judged (no Tianping threshold for this quantity)")
    kw: dict[str, Any] = dict(
        test=entry.test if entry else UNMAPPED,
        metric=(entry.metric_id if entry and entry.metric_id else raw.metric),
        slice=Slice(**{k: str(v) for k, v in sl.items()}),
        value=value,
        ci=ci,
        n=raw.n,
        threshold=thr,
        status=status,
        citations=list(entry.citations) if entry else [],
        method=f"{parsed.tool} {parsed.tool_version or ''}".strip()
        + f": {raw.key} / {raw.metric}"
        + (f" (map entry {entry.id})" if entry else ""),
        note="; ".join(notes) or None,
    )
    try:
        return MetricRow(**kw)
    except ValidationError as exc:
        kw.update(ci=None, status="error", note=f"inconsistent row from the file: {str(exc).splitlines()[0]}")
        return MetricRow(**kw)


def _imported_before(db, system_id: str, sha: str) -> list[str]:
    from sqlalchemy import select

    from ..store.models import RunRow

    with db.session() as s:
        rows = s.execute(select(RunRow.id, RunRow.config).where(RunRow.system_id == system_id, RunRow.kind == "imported"))
        return [rid for rid, cfg in rows if isinstance(cfg, dict) and cfg.get("sha256") == sha]


def import_file(
    db, path: str | Path, *, system_id: str, fmt: str = "auto", map_file: str | Path | None = None, actor: str | None = None
) -> dict[str, Any]:
    """Read, map, check, then store one imported run with its audit event (one transaction)."""
    from ..audit import append_event
    from ..store.models import RunRow, SystemRow

    imap = load_map(map_file)  # a bad map fails before the file is read
    parsed, p = read_file(path, fmt)
    sha = sha256_file(p)
    companions = {c.name: sha256_file(c) for c in parsed.companions}
    run_id = str(uuid.uuid4())
    ev, unmapped = to_evidence(parsed, p, sha, run_id=run_id, system_id=system_id, imap=imap, companions=companions)
    before = _imported_before(db, system_id, sha)
    if before:
        ev.notes.append(
            f"the same file (SHA-256 {sha[:12]}…) was imported for this system before as run "
            + ", ".join(before[:3])
            + (" …" if len(before) > 3 else "")
        )
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    summary = {
        "format": parsed.format,
        "tool": parsed.tool,
        "tool_version": parsed.tool_version,
        "samples": parsed.samples.count,
        "metrics": len(ev.metrics),
        "linked": sum(1 for m in ev.metrics if m.test != UNMAPPED),
        "unmapped": len(unmapped),
    }
    evidence = ev.model_dump(mode="json", exclude_none=True)
    result = {
        "schema": SCHEMA,
        "format": parsed.format,
        "tool": parsed.tool,
        "tool_version": parsed.tool_version,
        "file": p.name,
        "sha256": sha,
        "companions": companions,
        "map": imap.sources,
        "evidence": evidence,
        "unmapped": unmapped,
    }
    with db.session() as s:
        if s.get(SystemRow, system_id) is None:
            raise TianpingError(
                Problem(f"no registered system '{system_id}' (register it first: tianping register FILE)", field="--system"),
                title="unknown system",
            )
        s.add(
            RunRow(
                id=run_id,
                system_id=system_id,
                kind="imported",
                suite=(parsed.task or parsed.format)[:64],
                target=parsed.model or "unknown",
                config={"format": parsed.format, "file": str(p), "sha256": sha, "map": imap.sources},
                status="completed" if ev.status == "completed" else "failed",
                created_at=now,
                started_at=parsed.started_at,
                finished_at=parsed.finished_at or now,
                summary=summary,
                result=result,
            )
        )
        s.flush()
        append_event(
            s,
            "evidence.imported",
            "run",
            run_id,
            {
                "system": system_id,
                "format": parsed.format,
                "tool": parsed.tool,
                "tool_version": parsed.tool_version,
                "file": p.name,
                "sha256": sha,
                "samples": parsed.samples.count,
                "metrics": len(ev.metrics),
                "unmapped": len(unmapped),
            },
            actor=actor,
        )
    return {
        "run_id": run_id,
        "system": system_id,
        "format": parsed.format,
        "tool": parsed.tool,
        "tool_version": parsed.tool_version,
        "file": str(p),
        "sha256": sha,
        "task": parsed.task,
        "model": parsed.model,
        "samples": parsed.samples.count,
        "samples_inline": ev.samples is not None,
        "status": ev.status,
        "metrics": [
            {
                "test": m.test,
                "metric": m.metric,
                "slice": m.slice.text(),
                "value": m.value,
                "n": m.n,
                "status": m.status,
                "citations": m.citations,
            }
            for m in ev.metrics
        ],
        "unmapped": unmapped,
        "notes": ev.notes,
        "imported_before": before,
    }
