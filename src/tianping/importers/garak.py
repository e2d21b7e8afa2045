"""garak (NVIDIA LLM vulnerability scanner): `garak.<run>.report.jsonl`, and its `hitlog.jsonl`.

The report is JSON Lines; every line has an `entry_type`:
  `start_run setup`  the run's configuration (`_config.version`, `plugins.model_type`, `plugins.model_name`…)
  `init`             `garak_version`, `start_time`, `run`
  `attempt`          one prompt and its outputs (`uuid`, `seq`, `status` 0/1/2, `probe_classname`,
                     `prompt`, `outputs`, `detector_results` {detector: [score per output]})
  `eval`             one probe × detector result: `probe`, `detector`, `passed`, `fails`, `nones`,
                     `total_evaluated` (older reports: `passed`, `total`)
  `completion`       the end of the run (`end_time`); `digest` may follow
Each `eval` line becomes an attack-success row (fails / evaluated outputs: the share of outputs
the detector flagged, garak's "attack success rate") sliced by probe and detector. A report with
no `completion` line is an unfinished run (or a truncated file) and is refused. The hit log (one
line per flagged output: `probe`, `detector`, `attempt_id`, `score`…) is found beside the report by
garak's own naming; a hit log alone is refused with a pointer to the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Parsed, Probe, RawMetric, SampleSink, excerpt, importer, iter_jsonl, located, number


def _sniff(p: Probe) -> int:
    if p.kind != "jsonl" or not p.first_line:
        return 0
    first = p.first_line
    et = first.get("entry_type")
    if isinstance(et, str) and (
        et in ("start_run setup", "init", "attempt", "eval", "digest", "completion")
        or "garak_version" in first
        or any(k.startswith(("_config.", "plugins.")) for k in first)
    ):
        return 95
    if {"attempt_id", "probe", "detector"} <= set(first) and ("trigger" in first or "score" in first or "goal" in first):
        return 60  # a hit log
    return 0


@importer("garak", tool="garak", sniff=_sniff, description="garak report.jsonl (+ hitlog.jsonl)")
def parse(path: Path, probe: Probe) -> Parsed:
    """garak report.jsonl (+ hitlog.jsonl)."""
    if probe.first_line is not None and "entry_type" not in probe.first_line:
        raise located(path, "this is a garak hit log; import the report.jsonl of the same run (its hit log is read with it)")
    version = model = model_type = run_id = started = finished = None
    probes: list[str] = []
    completed = False
    sink = SampleSink()
    metrics: list[RawMetric] = []
    attempts_per_probe: dict[str, int] = {}
    last_line = 0
    for ln, rec in iter_jsonl(path):
        last_line = ln
        et = rec.get("entry_type")
        if not isinstance(et, str):
            raise located(path, "missing entry_type", line=ln, field="entry_type")
        if completed and et not in ("digest", "completion"):
            raise located(path, f"'{et}' entry after the run's completion entry", line=ln, field="entry_type")
        if et == "start_run setup":
            version = version or rec.get("_config.version")
            model = rec.get("plugins.model_name") or rec.get("plugins.target_name") or model
            model_type = rec.get("plugins.model_type") or rec.get("plugins.target_type") or model_type
            run_id = rec.get("transient.run_id") or run_id
            started = rec.get("transient.starttime_iso") or started
            spec = rec.get("plugins.probe_spec")
            if isinstance(spec, str):
                probes = [s for s in spec.split(",") if s]
        elif et == "init":
            version = rec.get("garak_version") or version
            started = rec.get("start_time") or started
            run_id = rec.get("run") or run_id
        elif et == "attempt":
            status = rec.get("status")
            if status != 2:
                continue  # garak writes each attempt twice: sent (1), then evaluated (2)
            pname = str(rec.get("probe_classname") or "?").removeprefix("probes.")
            attempts_per_probe[pname] = attempts_per_probe.get(pname, 0) + 1
            sink.add(_attempt(rec, pname))
        elif et == "eval":
            metrics.append(_eval_row(path, ln, rec))
        elif et == "completion":
            completed = True
            finished = rec.get("end_time") or finished
            run_id = rec.get("run") or run_id
    if not completed:
        raise located(
            path,
            "no 'completion' entry: the scan did not finish or the file is truncated; nothing imported",
            line=last_line or None,
        )
    if not metrics:
        raise located(path, "no 'eval' entries: the report holds no results")
    notes = []
    companions = []
    hitlog = _hitlog(path, run_id)
    if hitlog is not None:
        hits = 0
        for hln, h in iter_jsonl(hitlog):
            if "probe" not in h:
                raise located(hitlog, "not a garak hit-log line (no probe)", line=hln, field="probe")
            hits += 1
        companions.append(hitlog)
        notes.append(f"hit log {hitlog.name}: {hits} flagged output(s)")
    target = f"{model_type}:{model}" if model_type and model else (model or model_type)
    return Parsed(
        format="garak",
        tool="garak",
        tool_version=str(version) if version else None,
        task=",".join(probes) if probes else ",".join(sorted({m.key for m in metrics})),
        model=target,
        metrics=metrics,
        samples=sink,
        dataset_name="garak probes: " + ",".join(sorted({m.key.split(".")[0] for m in metrics})),
        dataset_rows=sum(attempts_per_probe.values()) or None,
        started_at=started,
        created_at=started,
        finished_at=finished,
        config={"run_id": run_id, "probe_spec": probes, "model_type": model_type},
        notes=notes,
        companions=companions,
    )


def _eval_row(path: Path, ln: int, rec: dict[str, Any]) -> RawMetric:
    probe = rec.get("probe")
    detector = rec.get("detector")
    if not isinstance(probe, str) or not probe:
        raise located(path, "missing probe", line=ln, field="probe")
    if not isinstance(detector, str):
        raise located(path, "missing detector", line=ln, field="detector")
    probe = probe.removeprefix("probes.")  # older reports name the module: probes.dan.Dan_11_0
    detector = detector.removeprefix("detectors.").removeprefix("detector.")
    passed = rec.get("passed")
    total = rec.get("total_evaluated", rec.get("total"))
    fails = rec.get("fails")
    if not isinstance(passed, int) or isinstance(passed, bool):
        raise located(path, "expected an integer", line=ln, field="passed")
    if not isinstance(total, int) or isinstance(total, bool) or total < passed:
        raise located(
            path,
            "expected an integer count of evaluated outputs ≥ passed",
            line=ln,
            field="total_evaluated" if "total_evaluated" in rec else "total",
        )
    if not isinstance(fails, int) or isinstance(fails, bool):
        fails = total - passed
    value = fails / total if total else None
    ci = None
    lo, hi = number(rec.get("confidence_lower")), number(rec.get("confidence_upper"))
    if lo is not None and hi is not None and value is not None and lo <= value <= hi:
        ci = (lo, hi)
    return RawMetric(
        key=probe,
        metric="attack_success_rate",
        value=value,
        n=total,
        ci=ci,
        slice={"attack": probe, "feature": detector},
        note=f"garak: {passed} passed, {fails} failed of {total} evaluated outputs (detector {detector})",
    )


def _attempt(rec: dict[str, Any], probe: str) -> dict[str, Any]:
    det = rec.get("detector_results") or {}
    scores = {}
    if isinstance(det, dict):
        for k, v in det.items():
            if isinstance(v, list):
                vals = [n for n in map(number, v) if n is not None]
                scores[k.removeprefix("detectors.").removeprefix("detector.")] = max(vals) if vals else None
    outputs = rec.get("outputs") or []
    first_out = outputs[0] if isinstance(outputs, list) and outputs else None
    if isinstance(first_out, dict):
        first_out = first_out.get("text")
    return {
        k: v
        for k, v in {
            "id": str(rec.get("uuid") or rec.get("seq")),
            "status": "ok",
            "slice": {"attack": probe},
            "scores": scores,
            "input": excerpt(_prompt_text(rec.get("prompt"))),
            "output": excerpt(first_out),
            "goal": excerpt(rec.get("goal"), 120),
            "outputs": len(outputs) if isinstance(outputs, list) else None,
        }.items()
        if v is not None
    }


def _prompt_text(p: Any) -> Any:
    if isinstance(p, dict):  # garak ≥ 0.10: a Conversation {"turns": [{"role", "content": {"text"}}]}
        turns = p.get("turns") or []
        for t in reversed(turns):
            if isinstance(t, dict) and t.get("role") == "user":
                c = t.get("content")
                return c.get("text") if isinstance(c, dict) else c
    return p


def _hitlog(report: Path, run_id: Any) -> Path | None:
    """garak writes `<prefix>.hitlog.jsonl` next to `<prefix>.report.jsonl`."""
    name = report.name
    if name.endswith(".report.jsonl"):
        cand = report.with_name(name[: -len(".report.jsonl")] + ".hitlog.jsonl")
        if cand.is_file():
            return cand
    if run_id:
        cand = report.with_name(f"garak.{run_id}.hitlog.jsonl")
        if cand.is_file():
            return cand
    return None
