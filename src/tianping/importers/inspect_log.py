"""Inspect AI eval logs: the `.eval` zip archive and the `.json` log (`EvalLog`).

`.eval` archive members (Inspect ≥ 0.3.50): `header.json` (the log without samples: version,
status, eval, plan, results, stats), `samples/<id>_epoch_<n>.json` (one `EvalSample` each),
`summaries.json`, `reductions.json` and `_journal/…` (written while the run goes on). Members are
read one at a time, so memory stays at one sample whatever the log's size. A `.json` log is the
whole `EvalLog` in one document.

Metrics: every `results.scores[*].metrics` value except the dispersion ones (stderr, std, var),
which are attached to the metric they qualify (stderr → a normal-approximation 95 % interval on
rate-like values). Samples: id, epoch, input and target excerpts, the model's answer excerpt,
each scorer's value, and whether the sample errored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .base import Parsed, Probe, RawMetric, SampleSink, excerpt, importer, load_json_text, located, need, number
from .zipread import ZipReader

DISPERSION = ("stderr", "std", "var")


def _sniff(p: Probe) -> int:
    if p.kind == "zip":
        if p.zip_error:
            return 40  # a zip that does not open: most likely a truncated .eval log
        if "header.json" in p.members or "_journal/start.json" in p.members:
            return 100
        return 0
    if p.kind == "json" and not p.top_is_array:
        keys = set(p.top_keys)
        if "eval" in keys and ({"version", "status"} <= keys or "plan" in keys or "results" in keys):
            return 90
    return 0


@importer("inspect", tool="inspect_ai", sniff=_sniff, description="Inspect AI eval log (.eval archive or .json)")
def parse(path: Path, probe: Probe) -> Parsed:
    """Inspect AI eval log (.eval archive or .json)."""
    if probe.kind == "zip":
        return _parse_eval(path)
    doc = _load_json(path)
    if not isinstance(doc, dict):
        raise located(path, "an Inspect log is a JSON object")
    samples = doc.get("samples")
    if samples is not None and not isinstance(samples, list):
        raise located(path, "expected a list", field="samples")
    return _build(path, doc, ((f"samples[{i}]", s) for i, s in enumerate(samples or [])), member=None)


def _load_json(path: Path) -> Any:
    try:
        import orjson

        with open(path, "rb") as fh:
            raw = fh.read()
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # let json say where
        return load_json_text(path, raw)
    except ImportError:  # pragma: no cover
        with open(path, "rb") as fh:
            return load_json_text(path, fh.read())


def _loads(path: Path, raw: bytes, member: str) -> Any:
    try:
        import orjson

        return orjson.loads(raw)
    except ImportError:  # pragma: no cover
        return load_json_text(path, raw, member=member)
    except ValueError:
        return load_json_text(path, raw, member=member)


def _parse_eval(path: Path) -> Parsed:
    with ZipReader(path) as z:
        names = z.names()
        if "header.json" not in names:
            if "_journal/start.json" in names:
                raise located(
                    path,
                    "the log is not finished (no header.json: the run was still going or was killed); nothing imported",
                    member="header.json",
                )
            raise located(path, "not an Inspect log: no header.json", member="header.json")
        header = _loads(path, z.read("header.json"), "header.json")
        if not isinstance(header, dict):
            raise located(path, "expected a JSON object", member="header.json")
        members = sorted((n for n in names if n.startswith("samples/") and n.endswith(".json")), key=_sample_order)

        def samples() -> Iterator[tuple[str, Any]]:
            for m in members:
                yield m, _loads(path, z.read(m), m)

        parsed = _build(path, header, samples(), member="header.json", zipped=True)
        # every other member is read once, so a corrupt one is found even where we need none of it
        for n in names:
            if not n.startswith("samples/") and n != "header.json":
                z.read(n)
    return parsed


def _sample_order(name: str) -> tuple:
    stem = name[len("samples/") : -len(".json")]
    sid, _, epoch = stem.rpartition("_epoch_")
    return (int(epoch) if epoch.isdigit() else 0, int(sid) if sid.isdigit() else 0, sid)


def _build(
    path: Path, log: dict[str, Any], samples: Iterable[tuple[str, Any]], *, member: str | None, zipped: bool = False
) -> Parsed:
    where: dict[str, Any] = dict(member=member) if member else {}
    ev = need(log, "eval", dict, path, **where)
    task = need(ev, "task", str, path, where="eval", **where)
    model = need(ev, "model", str, path, where="eval", **where)
    status = log.get("status") or "success"
    if status == "started":
        raise located(path, "the log is not finished (status 'started'); nothing imported", field="status", **where)
    packages = ev.get("packages") if isinstance(ev.get("packages"), dict) else {}
    version = packages.get("inspect_ai")
    writer = None if version or not packages else next(iter(packages.items()))  # e.g. Tianping's own export
    results = log.get("results") or {}
    if not isinstance(results, dict):
        raise located(path, "expected an object", field="results", **where)
    task_args = ev.get("task_args") or {}
    completed = results.get("completed_samples")
    metrics: list[RawMetric] = []
    for i, sc in enumerate(results.get("scores") or []):
        if not isinstance(sc, dict):
            raise located(path, "expected an object", field=f"results.scores[{i}]", **where)
        name = sc.get("name") or sc.get("scorer") or f"score{i}"
        ms = sc.get("metrics") or {}
        if not isinstance(ms, dict):
            raise located(path, "expected an object", field=f"results.scores[{i}].metrics", **where)
        n = sc.get("scored_samples") if isinstance(sc.get("scored_samples"), int) else completed
        se = number((ms.get("stderr") or {}).get("value")) if isinstance(ms.get("stderr"), dict) else None
        for mname, m in ms.items():
            if mname in DISPERSION:
                continue
            raw = m.get("value") if isinstance(m, dict) else m
            if isinstance(raw, dict) and raw and all(number(x) is not None for x in raw.values()):
                for group, x in raw.items():  # a grouped metric: one row per group
                    metrics.append(
                        RawMetric(
                            key=task,
                            metric=f"{name}/{mname}",
                            value=number(x),
                            n=n if isinstance(n, int) else None,
                            slice={"group": str(group)},
                            args=dict(task_args) if isinstance(task_args, dict) else {},
                        )
                    )
                continue
            value = number(raw)
            metrics.append(
                RawMetric(
                    key=task,
                    metric=f"{name}/{mname}",
                    value=value,
                    n=n if isinstance(n, int) else None,
                    stderr=se,
                    args=dict(task_args) if isinstance(task_args, dict) else {},
                    note=None
                    if value is not None or not isinstance(m, dict)
                    else f"non-numeric value {excerpt(m.get('value'), 80)}",
                )
            )
    sink = SampleSink()
    seen = 0
    for where_s, s in samples:
        seen += 1
        if not isinstance(s, dict) or "id" not in s:
            place: dict[str, Any] = {"member": where_s} if zipped else {"field": where_s}
            raise located(path, "not an Inspect sample (no id)", **place)
        sink.add(_sample(s))
    ds = ev.get("dataset") or {}
    stats = log.get("stats") or {}
    notes = []
    if writer:
        notes.append(f"log written by {writer[0]} {writer[1]} in Inspect's format")
    if status != "success":
        err = (log.get("error") or {}).get("message") if isinstance(log.get("error"), dict) else None
        notes.append(f"Inspect log status '{status}'" + (f": {excerpt(err, 200)}" if err else "") + " — partial results")
    if isinstance(completed, int) and seen and seen != completed and seen != results.get("total_samples"):
        notes.append(f"{seen} sample record(s) in the log, results report {completed} completed")
    return Parsed(
        format="inspect",
        tool="inspect_ai" if not writer else f"{writer[0]} (Inspect log)",
        tool_version=str(version) if version else (str(writer[1]) if writer else None),
        task=task,
        model=model,
        metrics=metrics,
        samples=sink,
        dataset_name=ds.get("name") or task,
        dataset_rows=ds.get("samples"),
        created_at=ev.get("created"),
        started_at=stats.get("started_at"),
        finished_at=stats.get("completed_at"),
        config={
            "task_args": task_args,
            "log_version": log.get("version"),
            "status": status,
            "eval_id": ev.get("eval_id"),
            "run_id": ev.get("run_id"),
            "solver": [s.get("solver") for s in (log.get("plan") or {}).get("steps") or [] if isinstance(s, dict)],
        },
        notes=notes,
    )


def _sample(s: dict[str, Any]) -> dict[str, Any]:
    scores = {}
    answer = None
    for k, v in (s.get("scores") or {}).items():
        if isinstance(v, dict):
            scores[k] = v.get("value")
            answer = answer or v.get("answer")
        else:
            scores[k] = v
    out = s.get("output") or {}
    completion = out.get("completion") if isinstance(out, dict) else None
    err = s.get("error")
    rec = {
        "id": str(s["id"]) if s.get("epoch") in (None, 1) else f"{s['id']}#{s.get('epoch')}",
        "status": "error" if err else "ok",
        "scores": scores,
        "epoch": s.get("epoch"),
        "input": excerpt(_text(s.get("input"))),
        "target": excerpt(_text(s.get("target"))),
        "output": excerpt(completion if completion is not None else answer),
    }
    if err:
        rec["error"] = excerpt(err.get("message") if isinstance(err, dict) else err, 200)
    return {k: v for k, v in rec.items() if v is not None}


def _text(v: Any) -> Any:
    """A chat-message list as the text of its last user turn; anything else as it is."""
    if isinstance(v, list) and v and all(isinstance(m, dict) for m in v):
        for m in reversed(v):
            if m.get("role") == "user":
                c = m.get("content")
                if isinstance(c, list):
                    return " ".join(x.get("text", "") for x in c if isinstance(x, dict))
                return c
    return v
