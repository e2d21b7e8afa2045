"""PyRIT (Microsoft's Python Risk Identification Tool) memory export.

`CentralMemory.export_conversations(file_path=…, export_type="json")` writes a JSON array of
`PromptRequestPiece.to_dict()` objects: `id`, `role` (user / assistant / system), `conversation_id`,
`sequence`, `timestamp`, `labels`, `prompt_target_identifier` ({"__type__", "model_name"…}),
`orchestrator_identifier`, `original_value`, `converted_value`, `converter_identifiers`,
`response_error`, `scores` (each `Score.to_dict()`: `score_value` "True"/"False" or a float text,
`score_type` true_false | float_scale, `score_category`, `scorer_class_identifier`, `task`/`objective`).

Each conversation is one sample (its first user prompt and last assistant response). Metrics, by
scorer and score category over the scored conversations: for true_false scorers the share scored
True — an attack success rate for objective/harm scorers, a refusal rate for the refusal scorer —
and for float_scale scorers the mean. PyRIT keeps no version in the export: it is recorded as
unknown unless the labels carry a `pyrit_version`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Parsed, Probe, RawMetric, SampleSink, excerpt, importer, load_json_text, located, number


def _sniff(p: Probe) -> int:
    keys = set(p.top_keys)
    if (
        p.kind == "json"
        and p.top_is_array
        and {"conversation_id", "role"} <= keys
        and (keys & {"original_value", "converted_value", "prompt_target_identifier", "original_value_data_type"})
    ):
        return 90
    return 0


@importer("pyrit", tool="PyRIT", sniff=_sniff, description="PyRIT memory export (JSON)")
def parse(path: Path, probe: Probe) -> Parsed:
    """PyRIT memory export (JSON)."""
    with open(path, "rb") as fh:
        doc = load_json_text(path, fh.read())
    if not isinstance(doc, list):
        raise located(path, "a PyRIT memory export is a JSON array of prompt pieces")
    convs: dict[str, dict[str, Any]] = {}
    targets: set[str] = set()
    orchestrators: set[str] = set()
    version = None
    times: list[str] = []
    for i, piece in enumerate(doc):
        fld = f"[{i}]"
        if not isinstance(piece, dict):
            raise located(path, "expected an object", field=fld)
        cid = piece.get("conversation_id")
        role = piece.get("role")
        if not isinstance(cid, str) or not cid:
            raise located(path, "missing", field=f"{fld}.conversation_id")
        if role not in ("user", "assistant", "system", "tool", "developer", "simulated_assistant"):
            raise located(path, f"unknown role {role!r}", field=f"{fld}.role")
        c = convs.setdefault(cid, {"pieces": [], "scores": []})
        c["pieces"].append(piece)
        ti = piece.get("prompt_target_identifier") or {}
        if isinstance(ti, dict) and role == "assistant":
            t = ti.get("model_name") or ti.get("__type__")
            if t:
                targets.add(str(t))
        oi = piece.get("orchestrator_identifier") or piece.get("attack_identifier") or {}
        if isinstance(oi, dict) and oi.get("__type__"):
            orchestrators.add(str(oi["__type__"]))
        labels = piece.get("labels") or {}
        if isinstance(labels, dict) and labels.get("pyrit_version"):
            version = str(labels["pyrit_version"])
        if isinstance(piece.get("timestamp"), str):
            times.append(piece["timestamp"])
        for j, s in enumerate(piece.get("scores") or []):
            if not isinstance(s, dict) or "score_value" not in s:
                raise located(path, "a score needs score_value", field=f"{fld}.scores[{j}]")
            c["scores"].append(s)
    if not convs:
        raise located(path, "the export holds no prompt pieces")
    # per (scorer, category, type): conversation-level outcomes (a conversation scored several times counts once: its last score)
    tallies: dict[tuple[str, str, str], dict[str, float]] = {}
    sink = SampleSink()
    for cid, c in convs.items():
        pieces = sorted(c["pieces"], key=lambda p: p.get("sequence") if isinstance(p.get("sequence"), int) else 0)
        user = next((p for p in pieces if p.get("role") == "user"), None)
        reply = next((p for p in reversed(pieces) if p.get("role") == "assistant"), None)
        last: dict[tuple[str, str, str], Any] = {}
        for s in c["scores"]:
            scorer = (
                (s.get("scorer_class_identifier") or {}).get("__type__")
                if isinstance(s.get("scorer_class_identifier"), dict)
                else None
            )
            cat = s.get("score_category")
            cat = ",".join(cat) if isinstance(cat, list) else (cat or "")
            last[(scorer or "scorer", str(cat), str(s.get("score_type") or ""))] = s.get("score_value")
        scores = {}
        for (scorer, cat, stype), raw in last.items():
            v = _value(raw, stype)
            scores[f"{scorer}{'/' + cat if cat else ''}"] = v
            if v is None:
                continue
            t = tallies.setdefault((scorer, cat, stype), {"n": 0, "sum": 0.0})
            t["n"] += 1
            t["sum"] += float(v)
        err = reply is not None and reply.get("response_error") not in (None, "none")
        labels = (user or {}).get("labels") or {}
        sink.add(
            {
                k: v
                for k, v in {
                    "id": cid,
                    "status": "error" if err else "ok",
                    "scores": scores,
                    "input": excerpt((user or {}).get("original_value")),
                    "converted": excerpt((user or {}).get("converted_value"))
                    if user and user.get("converted_value") != user.get("original_value")
                    else None,
                    "output": excerpt((reply or {}).get("converted_value")),
                    "labels": labels or None,
                    "error": (reply or {}).get("response_error") if err else None,
                }.items()
                if v is not None
            }
        )
    metrics = []
    for (scorer, cat, stype), t in sorted(tallies.items()):
        rate = stype == "true_false"
        metrics.append(
            RawMetric(
                key=scorer,
                metric="true_rate" if rate else "mean_score",
                value=t["sum"] / t["n"] if t["n"] else None,
                n=int(t["n"]),
                slice={"risk": cat} if cat else {},
                args={"category": cat, "score_type": stype},
                note=f"PyRIT {scorer}: share of {int(t['n'])} scored conversation(s) scored True"
                if rate
                else f"PyRIT {scorer}: mean of {int(t['n'])} score(s)",
            )
        )
    if not metrics:
        metrics.append(
            RawMetric(
                key="PyRIT",
                metric="conversations",
                value=float(len(convs)),
                n=len(convs),
                note="no scores in the export: conversations counted, nothing judged",
            )
        )
    times.sort()
    return Parsed(
        format="pyrit",
        tool="PyRIT",
        tool_version=version,
        task=",".join(sorted(orchestrators)) or "pyrit",
        model=",".join(sorted(targets)) or None,
        metrics=metrics,
        samples=sink,
        dataset_name="PyRIT conversations",
        dataset_rows=len(convs),
        started_at=times[0] if times else None,
        finished_at=times[-1] if times else None,
        created_at=times[0] if times else None,
        config={"orchestrators": sorted(orchestrators), "pieces": len(doc)},
        notes=[] if version else ["PyRIT's export records no PyRIT version"],
    )


def _value(raw: Any, stype: str) -> float | None:
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, str):
        low = raw.strip().lower()
        if low in ("true", "false"):
            return 1.0 if low == "true" else 0.0
        try:
            return float(low)
        except ValueError:
            return None
    return number(raw)
