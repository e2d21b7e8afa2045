"""lm-evaluation-harness results: `results_<date>.json` and, when written with `--log_samples`,
`samples_<task>_<date>.jsonl` beside it.

The results document: `results` ({task: {"<metric>,<filter>": value, "<metric>_stderr,<filter>": se,
alias, sample_len}}), `n-samples` ({task: {original, effective}}), `configs`, `versions`,
`higher_is_better`, `config` (model, model_args…), `model_name`, `lm_eval_version`, `date`.
The per-sample files are found next to the results file by lm-eval's own naming (same date stamp,
one per task) and read line by line; each line's count must match `n-samples.effective`, so a
truncated samples file is an error, not a smaller run. PATH may also be the output directory when
it holds exactly one results file.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from .base import Parsed, Probe, RawMetric, SampleSink, excerpt, importer, iter_jsonl, load_json_text, located, need, number

_RESULTS_NAME = re.compile(r"^results(_.+)?\.json$")
_NOT_METRICS = {"alias", "name", "sample_len", "sample_count", "samples", "group", "task"}


def _sniff(p: Probe) -> int:
    keys = set(p.top_keys)
    if (
        p.kind == "json"
        and not p.top_is_array
        and "results" in keys
        and (keys & {"n-samples", "versions", "configs", "lm_eval_version", "higher_is_better", "n-shot"})
    ):
        return 90
    if p.kind == "json" and not p.top_is_array and p.top_keys[:1] == ("results",) and re.search(r'"[^"]+,none"\s*:', p.head):
        return 70  # a results block longer than the head: lm-eval's "<metric>,<filter>" keys
    if (
        p.kind == "jsonl"
        and p.first_line
        and {"doc_id", "doc"} <= set(p.first_line)
        and ({"resps", "filtered_resps", "target"} & set(p.first_line))
    ):
        return 30  # a samples file alone: parse() says to import the results file
    return 0


@importer(
    "lm-eval", tool="lm-evaluation-harness", sniff=_sniff, description="lm-evaluation-harness results JSON (+ samples JSONL)"
)
def parse(path: Path, probe: Probe) -> Parsed:
    """lm-evaluation-harness results JSON (+ samples JSONL)."""
    if probe.kind == "jsonl":
        raise located(
            path,
            "this is an lm-eval per-sample file; import the results_<date>.json written beside it "
            "(its samples files are read with it)",
            title="cannot import",
        )
    with open(path, "rb") as fh:
        doc = load_json_text(path, fh.read())
    if not isinstance(doc, dict):
        raise located(path, "expected a JSON object")
    results = need(doc, "results", dict, path)
    n_samples = doc.get("n-samples") or {}
    cfg = doc.get("config") or {}
    model = doc.get("model_name") or _model_from(cfg)
    metrics: list[RawMetric] = []
    for task, vals in results.items():
        if not isinstance(vals, dict):
            raise located(path, "expected an object", field=f"results.{task}")
        n = _n(n_samples.get(task)) or (vals.get("sample_len") if isinstance(vals.get("sample_len"), int) else None)
        for key, v in vals.items():
            if "_stderr" in key or key in _NOT_METRICS:
                continue
            if "," in key:
                mname, _, filt = key.partition(",")
                se = number(vals.get(f"{mname}_stderr,{filt}"))
            else:  # lm-eval < 0.4: "acc", "acc_stderr"
                if number(v) is None:
                    continue
                mname, filt = key, "none"
                se = number(vals.get(f"{key}_stderr"))
            value = number(v)
            metrics.append(
                RawMetric(
                    key=task,
                    metric=mname if filt == "none" else f"{mname},{filt}",
                    value=value,
                    n=n,
                    stderr=se,
                    note=None if value is not None else f"non-numeric value {excerpt(v, 60)}",
                    args={"alias": vals.get("alias")} if vals.get("alias") else {},
                )
            )
    sink = SampleSink()
    companions: list[Path] = []
    notes: list[str] = []
    stamp = _stamp(path)
    found = doc.get("samples")
    embedded: dict[str, Any] = found if isinstance(found, dict) else {}
    for task, recs in embedded.items():  # written by the Python API (simple_evaluate with log_samples) and dumped whole
        if not isinstance(recs, list):
            raise located(path, "expected a list of samples", field=f"samples.{task}")
        for i, rec in enumerate(recs):
            if not isinstance(rec, dict) or "doc_id" not in rec:
                raise located(path, "not an lm-eval sample (no doc_id)", field=f"samples.{task}[{i}]")
            sink.add(_sample(task, rec))
    for task in results:
        if task in embedded:
            continue
        f = _samples_file(path, task, stamp)
        if f is None:
            continue
        companions.append(f)
        count = 0
        for ln, rec in iter_jsonl(f):
            count += 1
            if "doc_id" not in rec:
                raise located(f, "not an lm-eval sample (no doc_id)", line=ln, field="doc_id")
            sink.add(_sample(task, rec))
        want = _n(n_samples.get(task))
        if want is not None and count != want:
            raise located(
                f,
                f"{count} sample line(s), but the results file reports {want} for task '{task}' "
                "— truncated or mismatched samples file; nothing imported",
                line=count or None,
            )
    if not companions and not embedded:
        notes.append("no per-sample files beside the results file (run without --log_samples?): metrics only")
    started = _date(doc.get("date"))
    tasks = sorted(results)
    return Parsed(
        format="lm-eval",
        tool="lm-evaluation-harness",
        tool_version=_s(doc.get("lm_eval_version")),
        task=",".join(tasks) if len(tasks) <= 4 else f"{','.join(tasks[:4])},…",
        model=_s(model),
        metrics=metrics,
        samples=sink,
        dataset_name=",".join(tasks)[:200],
        dataset_rows=sum(_n(n_samples.get(t)) or 0 for t in tasks) or None,
        started_at=started,
        created_at=started,
        config={
            "model": cfg.get("model"),
            "model_args": _redact(cfg.get("model_args")),
            "versions": doc.get("versions"),
            "n-shot": doc.get("n-shot"),
            "limit": cfg.get("limit"),
            "git_hash": doc.get("git_hash"),
            "task_hashes": doc.get("task_hashes"),
        },
        notes=notes,
        companions=companions,
    )


def _n(v: Any) -> int | None:
    if isinstance(v, dict):
        v = v.get("effective", v.get("original"))
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _s(v: Any) -> str | None:
    return None if v is None else str(v)


def _model_from(cfg: dict[str, Any]) -> str | None:
    args = cfg.get("model_args")
    if isinstance(args, dict) and args.get("model"):
        return str(args["model"])
    if isinstance(args, str):
        m = re.search(r"(?:^|,)\s*(?:model|pretrained)=([^,]+)", args)
        if m:
            return m.group(1)
    return cfg.get("model")


def _redact(args: Any) -> Any:
    """Model arguments without anything that looks like a secret."""
    if isinstance(args, dict):
        return {k: ("***" if re.search(r"key|token|secret|password", k, re.I) else v) for k, v in args.items()}
    if isinstance(args, str):
        return re.sub(r"((?:api_?key|token|secret|password)=)[^,]+", r"\1***", args, flags=re.I)
    return args


def _stamp(path: Path) -> str | None:
    m = _RESULTS_NAME.match(path.name)
    return m.group(1)[1:] if m and m.group(1) else None


def _samples_file(path: Path, task: str, stamp: str | None) -> Path | None:
    if stamp:
        f = path.with_name(f"samples_{task}_{stamp}.jsonl")
        return f if f.is_file() else None
    cands = sorted(path.parent.glob(f"samples_{task}_*.jsonl"))
    return cands[-1] if len(cands) == 1 else None


def _date(v: Any) -> str | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        try:
            return dt.datetime.fromtimestamp(float(v), dt.UTC).isoformat(timespec="seconds")
        except (OverflowError, OSError, ValueError):
            return None
    return _s(v)


def _sample(task: str, rec: dict[str, Any]) -> dict[str, Any]:
    listed = rec.get("metrics")
    names: list[Any] = listed if isinstance(listed, list) else []
    scores = {m: rec.get(m) for m in names if m in rec}
    doc = rec.get("doc")
    prompt = None
    if isinstance(doc, dict):
        prompt = next((doc[k] for k in ("prompt", "question", "input", "text", "query") if isinstance(doc.get(k), str)), None)
    resp = rec.get("filtered_resps")
    out = {
        "id": f"{task}:{rec['doc_id']}",
        "status": "ok",
        "task": task,
        "scores": scores,
        "input": excerpt(prompt if prompt is not None else doc),
        "target": excerpt(rec.get("target")),
        "output": excerpt(resp[0] if isinstance(resp, list) and resp else resp),
    }
    if rec.get("filter") and rec.get("filter") != "none":
        out["filter"] = rec["filter"]
    return {k: v for k, v in out.items() if v is not None}


def resolve_path(path: Path) -> Path:
    """A directory stands for the one lm-eval results file in it."""
    if not path.is_dir():
        return path
    found = sorted(p for p in path.rglob("results*.json") if _RESULTS_NAME.match(p.name))
    if len(found) == 1:
        return found[0]
    raise located(
        path,
        "a directory must hold exactly one lm-eval results*.json file to import; found "
        + (", ".join(p.name for p in found[:5]) or "none")
        + " — give the file itself",
    )
