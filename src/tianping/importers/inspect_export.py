"""Export a Tianping generative run as an Inspect AI eval log (`tianping eval export RUN --format inspect`).

The log follows Inspect's `EvalLog` (version 2): `eval` (task `tianping/<suite>`, model, dataset,
created, packages, task_args), `plan` (the generate step and its parameters), `results` (one
`EvalScore` per bank — pass rate and refusal rate — one per attack — attack success rate — and the
overall pass rate; every value with its n and 95 % interval in the score's metadata), `stats`
(times and token usage), and `samples` (each prompt, the reply, every scorer's value, bank, risk,
language, attack, expectation). The TC260-003 gates go into `eval.metadata.tianping.gates`.

`.json` writes the single JSON document; `.eval` writes Inspect's zip archive (deflated members:
`_journal/start.json`, `samples/<id>_epoch_1.json`, `summaries.json`, `reductions.json`,
`header.json`), both of which `inspect view` and `inspect_ai.log.read_eval_log` open. The archive
is written to a temporary file and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import Problem, TianpingError

FORMATS = ("inspect",)


def _short_id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:22]


def _model(target: str) -> str:
    kind, _, rest = target.partition(":")
    return f"{kind}/{rest}" if rest else target


def _metric(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "value": value if isinstance(value, (int, float)) else float("nan"), "params": {}}


def _rate_score(name: str, rates: dict[str, dict | None]) -> dict[str, Any] | None:
    metrics, meta = {}, {}
    for mname, r in rates.items():
        if r and r.get("rate") is not None:
            metrics[mname] = _metric(mname, r["rate"])
            meta[mname] = {"n": r.get("n"), "ci95": r.get("ci95")}
    if not metrics:
        return None
    n = max((m["n"] or 0) for m in meta.values())
    return {
        "name": name,
        "scorer": "tianping",
        "scored_samples": n,
        "unscored_samples": 0,
        "params": {},
        "metrics": metrics,
        "metadata": meta,
    }


def _score(s: dict[str, Any]) -> dict[str, Any] | None:
    if not isinstance(s, dict) or s.get("value") is None:
        return None
    return {
        "value": s["value"],
        "answer": s.get("label"),
        "explanation": s.get("explanation") or "",
        "metadata": s.get("meta") or {},
    }


def _sample(rec: dict[str, Any], model: str) -> dict[str, Any]:
    prompt = rec.get("prompt") or ""
    reply = rec.get("response") or ""
    turns = rec.get("transcript") or ([{"role": "user", "content": t} for t in rec["turns"]] if rec.get("turns") else None)
    messages = (
        [{"role": m.get("role", "user"), "content": m.get("content", "")} for m in turns]
        if turns
        else [{"role": "user", "content": prompt}]
    )
    if rec.get("status") == "ok":
        messages.append({"role": "assistant", "content": reply, "source": "generate", "model": model})
    scores = {k: v for k, v in ((k, _score(v)) for k, v in (rec.get("scores") or {}).items()) if v is not None}
    if rec.get("passed") is not None:
        scores["tianping"] = {
            "value": "C" if rec["passed"] else "I",
            "answer": "refused" if rec.get("refused") else "answered",
            "explanation": f"expect {rec.get('expect')}: {'passed' if rec['passed'] else 'failed'}",
            "metadata": {"refused": rec.get("refused")},
        }
    usage = {
        "input_tokens": rec.get("prompt_tokens") or 0,
        "output_tokens": rec.get("completion_tokens") or 0,
        "total_tokens": (rec.get("prompt_tokens") or 0) + (rec.get("completion_tokens") or 0),
    }
    out = {
        "id": rec["sample_id"],
        "epoch": 1,
        "input": prompt,
        "target": rec.get("expect") or "",
        "messages": messages,
        "output": {
            "model": model,
            "choices": [{"message": {"role": "assistant", "content": reply, "source": "generate"}, "stop_reason": "stop"}]
            if rec.get("status") == "ok"
            else [],
            "completion": reply,
            "usage": usage,
            "time": (rec.get("latency_ms") or 0) / 1000,
        },
        "scores": scores,
        "metadata": {k: rec.get(k) for k in ("bank", "risk", "lang", "attack", "expect", "refused", "passed", "seq")}
        | {"meta": rec.get("meta") or {}},
        "store": {},
        "events": [],
        "model_usage": {model: usage},
        "uuid": _short_id(f"{rec.get('run_id')}:{rec['sample_id']}"),
        "attachments": {},
    }
    if rec.get("status") == "error":
        out["error"] = {"message": rec.get("error") or "error", "traceback": "", "traceback_ansi": ""}
    return out


def build_log(row, result: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """The EvalLog document of a stored generative run."""
    cfg = result.get("config") or {}
    model = _model(row.target)
    m = result.get("metrics") or {}
    scores = []
    overall = _rate_score("overall", {"pass_rate": (m.get("overall") or {}).get("pass_rate")})
    if overall:
        scores.append(overall)
    for bank, b in sorted((m.get("banks") or {}).items()):
        sc = _rate_score(bank, {"pass_rate": b.get("pass_rate"), "refusal_rate": b.get("refusal_rate")})
        if sc:
            scores.append(sc)
    for attack, a in sorted((m.get("attacks") or {}).items()):
        sc = _rate_score(
            f"attack:{attack}",
            {"attack_success_rate": a.get("attack_success_rate"), "baseline_failure_rate": a.get("baseline_failure_rate")},
        )
        if sc:
            scores.append(sc)
    total = (m.get("samples") or {}).get("total", len(records))
    params = cfg.get("params") or {}
    usage_in = sum(r.get("prompt_tokens") or 0 for r in records)
    usage_out = sum(r.get("completion_tokens") or 0 for r in records)
    ids = [r["sample_id"] for r in records]
    spec = {
        "eval_id": _short_id(f"eval:{row.id}"),
        "run_id": row.id,
        "created": row.created_at,
        "task": f"tianping/{row.suite}",
        "task_id": _short_id(f"task:{row.suite}"),
        "task_version": 0,
        "task_args": {
            "suite": row.suite,
            "langs": cfg.get("langs"),
            "attacks": cfg.get("attacks"),
            "limit": cfg.get("limit"),
            "seed": cfg.get("seed"),
        },
        "dataset": {
            "name": str(cfg.get("dataset") or cfg.get("data") or f"tianping {row.suite} banks"),
            "samples": len(records),
            "sample_ids": ids,
            "shuffled": False,
        },
        "model": model,
        "model_generate_config": {
            k: params.get(k) for k in ("temperature", "max_tokens", "top_p", "seed") if params.get(k) is not None
        },
        "model_args": {},
        "config": {"epochs": 1, "log_samples": True},
        "packages": {"tianping": __version__},
        "scorers": [{"name": s, "options": {}, "metrics": [], "metadata": {}} for s in (cfg.get("scorers") or [])],
        "metadata": {
            "tianping": {
                "run_id": row.id,
                "system_id": row.system_id,
                "schema": result.get("schema"),
                "gates": result.get("gates"),
                "judge": cfg.get("judge"),
                "banks": result.get("banks"),
            }
        },
    }
    plan = {"name": "plan", "steps": [{"solver": "generate", "params": {}}], "config": spec["model_generate_config"]}
    results = {
        "total_samples": total,
        "completed_samples": sum(1 for r in records if r.get("status") == "ok"),
        "scores": scores,
        "metadata": {"gates": result.get("gates")},
    }
    stats = {
        "started_at": row.started_at or row.created_at,
        "completed_at": row.finished_at or row.created_at,
        "model_usage": {model: {"input_tokens": usage_in, "output_tokens": usage_out, "total_tokens": usage_in + usage_out}},
    }
    return {
        "version": 2,
        "status": "success" if row.status == "completed" else "error",
        "eval": spec,
        "plan": plan,
        "results": results,
        "stats": stats,
        "samples": [_sample(r, model) for r in records],
    }


def _summary(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": s["id"],
        "epoch": 1,
        "input": s["input"][:200] if isinstance(s["input"], str) else s["input"],
        "target": s["target"],
        "metadata": s["metadata"],
        "scores": s["scores"],
        "model_usage": s["model_usage"],
        "error": (s.get("error") or {}).get("message"),
        "completed": True,
        "uuid": s["uuid"],
    }


def write_log(log: dict[str, Any], out: Path) -> None:
    from ..outputs import atomic_file

    with atomic_file(out, "--out", binary=True) as fh:
        if out.suffix == ".eval":
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as z:
                header = {k: v for k, v in log.items() if k != "samples"}
                z.writestr(
                    "_journal/start.json", json.dumps({"version": log["version"], "eval": log["eval"], "plan": log["plan"]})
                )
                for s in log["samples"]:
                    safe = str(s["id"]).replace("/", "_")
                    z.writestr(f"samples/{safe}_epoch_1.json", json.dumps(s, ensure_ascii=False))
                z.writestr("summaries.json", json.dumps([_summary(s) for s in log["samples"]], ensure_ascii=False))
                z.writestr("reductions.json", json.dumps([]))
                z.writestr("header.json", json.dumps(header, ensure_ascii=False))
        else:
            fh.write(json.dumps(log, ensure_ascii=False, indent=1).encode("utf-8"))


def export_run(db, run_ref: str, out: str | Path, *, fmt: str = "inspect") -> dict[str, Any]:
    from sqlalchemy import select

    from ..evaluation.genai.models import GenaiSampleRow
    from ..evaluation.genai.service import load_result, resolve_run_id

    if fmt not in FORMATS:
        raise TianpingError(
            Problem(f"unknown export format '{fmt}' (known: {', '.join(FORMATS)})", field="--format"), title="unknown format"
        )
    outp = Path(out)
    if outp.suffix not in (".json", ".eval"):
        raise TianpingError(
            Problem("an Inspect log file name ends in .json or .eval", file=str(outp), field="--out"), title="bad output path"
        )
    from ..outputs import check_file

    check_file(outp, "--out")  # a directory, a missing or read-only folder: before any work
    rid = resolve_run_id(db, run_ref)
    row, result = load_result(db, rid)
    if result is None:
        raise TianpingError(Problem(f"run {rid} has not finished (status {row.status})", field="RUN"), title="run not finished")
    with db.session() as s:
        records = [
            r
            for (r,) in s.execute(select(GenaiSampleRow.record).where(GenaiSampleRow.run_id == rid).order_by(GenaiSampleRow.seq))
        ]
    log = build_log(row, result, records)
    write_log(log, outp)
    return {
        "run_id": rid,
        "format": fmt,
        "out": str(outp),
        "samples": len(records),
        "scores": [s["name"] for s in log["results"]["scores"]],
        "task": log["eval"]["task"],
        "model": log["eval"]["model"],
    }
