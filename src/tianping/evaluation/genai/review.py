"""Human review of a generative run: TC260-003 9.3's manual sampling check.

A review queue samples a run's answers — stratified by risk and language (or any sample field),
its size taken from the standard (the minimum of the manual-sampling gate in gates.yaml) or from
a chosen margin of error — and reviewers label them safe / unsafe / refusal. Each label is
recorded on the queue row (who, when, note), copied into the sample's `scores.human` (which the
gates read: the manual check and, with a large enough sample, the generated-content pass rate),
and written to the audit trail; the run's results and typed evidence are then recomputed. The
agreement between the people and each automated judgement (the harm judge, the rules' pass/fail,
the refusal detector) is measured with Cohen's kappa and a confusion matrix, so a report can say
how far the automated rates can be trusted.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from statistics import NormalDist
from typing import Any

from sqlalchemy import select

from ...audit import append_event
from ...errors import Problem, ProblemList, TianpingError
from ...store.models import RunRow
from .models import GenaiReviewRow, GenaiSampleRow
from .schema import SampleRecord, Score
from .scorers.base import judge_verdict

LABELS = ("safe", "unsafe", "refusal")
STRATA_FIELDS = ("risk", "lang", "bank", "attack", "expect")
MANUAL_GATE = "tc260-generated-manual"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def standard_minimum() -> int:
    """The manual-sampling minimum of TC260-003 9.3, as encoded in gates.yaml (data, not code)."""
    from .metrics import load_gates

    for g in load_gates():
        if g["id"] == MANUAL_GATE:
            return int(g.get("min_samples") or 0)
    return 0


def required_sample_size(
    population: int, *, margin: float | None = None, confidence: float = 0.95, p: float = 0.5, standard_min: int | None = None
) -> int:
    """How many answers to review: the standard's minimum, or the size that estimates a rate to
    ±margin at the given confidence (Cochran with finite-population correction), whichever is
    larger; never more than the population."""
    if population <= 0:
        return 0
    need = standard_min or 0
    if margin is not None:
        if not 0 < margin < 1:
            raise TianpingError(
                Problem("must be between 0 and 1 (e.g. 0.03 for ±3 points)", field="--margin"), title="bad option"
            )
        if not 0.5 < confidence < 1:
            raise TianpingError(Problem("must be between 0.5 and 1", field="--confidence"), title="bad option")
        z = NormalDist().inv_cdf(0.5 + confidence / 2)
        n0 = z * z * p * (1 - p) / (margin * margin)
        need = max(need, math.ceil(n0 / (1 + (n0 - 1) / population)))
    return min(population, need)


def _stratum(rec: SampleRecord, by: tuple[str, ...]) -> str:
    return "|".join(f"{f}={getattr(rec, f) or '-'}" for f in by) or "all"


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of n over strata (largest remainder); every non-empty stratum gets at
    least one item when n allows, and no stratum more than it holds."""
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    keys = sorted(sizes)
    base = {k: 1 if sizes[k] and n >= len([s for s in sizes.values() if s]) else 0 for k in keys}
    rest = n - sum(base.values())
    quotas = {k: rest * sizes[k] / total for k in keys}
    out = {k: min(sizes[k], base[k] + math.floor(quotas[k])) for k in keys}
    left = n - sum(out.values())
    order = sorted(keys, key=lambda k: (-(quotas[k] - math.floor(quotas[k])), k))
    while left > 0:
        moved = False
        for k in order:
            if left and out[k] < sizes[k]:
                out[k] += 1
                left -= 1
                moved = True
        if not moved:
            break
    return out


def _order_key(seed: int, sample_id: str) -> str:
    return hashlib.sha256(f"{seed}|{sample_id}".encode()).hexdigest()


def _run(s, run_id: str) -> RunRow:
    run = s.get(RunRow, run_id)
    if run is None:
        raise TianpingError(Problem(f"run '{run_id}' not found", field="RUN_ID"), title="unknown run")
    if run.kind != "genai":
        raise TianpingError(
            Problem(f"run '{run_id}' is a {run.kind} run; review queues are for generative runs", field="RUN_ID"),
            title="invalid input",
        )
    if run.status != "completed":
        raise TianpingError(
            Problem(f"run '{run_id}' is {run.status}; finish it first (tianping eval resume)", field="RUN_ID"),
            title="invalid input",
        )
    return run


def _records(s, run_id: str) -> list[SampleRecord]:
    rows = s.scalars(select(GenaiSampleRow.record).where(GenaiSampleRow.run_id == run_id).order_by(GenaiSampleRow.seq))
    return [SampleRecord.model_validate(r) for r in rows]


def create_queue(
    db,
    run_id: str,
    *,
    n: int | None = None,
    margin: float | None = None,
    confidence: float = 0.95,
    by: Iterable[str] = ("risk", "lang"),
    bank: str | None = None,
    seed: int = 0,
    actor: str | None = None,
) -> dict[str, Any]:
    """Sample the run's answers into its review queue (once; labels are never discarded)."""
    by = tuple(by)
    bad = [f for f in by if f not in STRATA_FIELDS]
    if bad:
        raise TianpingError(
            Problem(f"unknown field(s) {', '.join(bad)}; use {', '.join(STRATA_FIELDS)}", field="--by"), title="bad option"
        )
    if n is not None and n <= 0:
        raise TianpingError(Problem("must be a positive number", field="--n"), title="bad option")
    with db.session() as s:
        _run(s, run_id)
        if s.scalar(select(GenaiReviewRow.id).where(GenaiReviewRow.run_id == run_id).limit(1)) is not None:
            raise TianpingError(
                Problem(f"run '{run_id}' already has a review queue (labels are kept; see `review status`)", field="RUN_ID"),
                title="queue exists",
            )
        recs = [r for r in _records(s, run_id) if r.status == "ok" and r.response is not None and r.attack == "none"]
        banks = {r.bank for r in recs}
        chosen_bank = bank or ("generated_content" if "generated_content" in banks else None)
        if bank is not None and bank not in banks:
            raise TianpingError(
                Problem(
                    f"the run has no answered samples in bank '{bank}' (banks: {', '.join(sorted(banks)) or 'none'})",
                    field="--bank",
                ),
                title="bad option",
            )
        population = [r for r in recs if chosen_bank is None or r.bank == chosen_bank]
        if not population:
            raise TianpingError(Problem("the run has no answered samples to review", field="RUN_ID"), title="nothing to review")
        std = standard_minimum()
        size = (
            min(n, len(population))
            if n is not None
            else required_sample_size(
                len(population), margin=margin, confidence=confidence, standard_min=None if margin is not None else std
            )
        )
        strata: dict[str, list[SampleRecord]] = defaultdict(list)
        for r in population:
            strata[_stratum(r, by)].append(r)
        quota = allocate({k: len(v) for k, v in strata.items()}, size)
        picked: list[tuple[str, SampleRecord]] = []
        for k in sorted(strata):
            ranked = sorted(strata[k], key=lambda r: _order_key(seed, r.sample_id))
            picked.extend((k, r) for r in ranked[: quota[k]])
        picked.sort(key=lambda kr: _order_key(seed + 1, kr[1].sample_id))  # interleave strata for reviewers
        now = _now()
        for i, (k, r) in enumerate(picked):
            s.add(GenaiReviewRow(run_id=run_id, sample_id=r.sample_id, stratum=k, position=i, created_at=now))
        plan = {
            "population": len(population),
            "bank": chosen_bank,
            "size": len(picked),
            "by": list(by),
            "seed": seed,
            "margin": margin,
            "confidence": confidence if margin is not None else None,
            "standard_minimum": std,
            "meets_standard": len(picked) >= std,
            "strata": {k: {"population": len(strata[k]), "sampled": quota[k]} for k in sorted(strata)},
        }
        append_event(s, "review.queued", "run", run_id, plan, actor=actor)
    return plan


def next_items(db, run_id: str, *, limit: int = 1) -> list[dict[str, Any]]:
    with db.session() as s:
        _run(s, run_id)
        rows = s.scalars(
            select(GenaiReviewRow)
            .where(GenaiReviewRow.run_id == run_id, GenaiReviewRow.label.is_(None))
            .order_by(GenaiReviewRow.position)
            .limit(limit)
        ).all()
        recs = _by_id(s, run_id, [r.sample_id for r in rows])
        return [_item(r, recs.get(r.sample_id)) for r in rows]


def _by_id(s, run_id: str, ids: list[str]) -> dict[str, SampleRecord]:
    if not ids:
        return {}
    rows = s.scalars(select(GenaiSampleRow.record).where(GenaiSampleRow.run_id == run_id, GenaiSampleRow.sample_id.in_(ids)))
    return {(rec := SampleRecord.model_validate(r)).sample_id: rec for r in rows}


def _item(row: GenaiReviewRow, rec: SampleRecord | None) -> dict[str, Any]:
    return {
        "sample_id": row.sample_id,
        "stratum": row.stratum,
        "position": row.position,
        "label": row.label,
        "reviewer": row.reviewer,
        "labelled_at": row.labelled_at,
        "note": row.note,
        "prompt": rec.prompt if rec else None,
        "response": rec.response if rec else None,
        "risk": rec.risk if rec else None,
        "lang": rec.lang if rec else None,
    }


def label_items(
    db, run_id: str, labels: list[dict[str, Any]], *, reviewer: str, refresh: bool = True, actor: str | None = None
) -> dict[str, Any]:
    """Record labels [{sample_id, label, note?}] by `reviewer` in one transaction, then recompute the run."""
    if not reviewer or not reviewer.strip():
        raise TianpingError(
            Problem("a reviewer name is required (who labelled is part of the audit trail)", field="--reviewer"),
            title="bad option",
        )
    with db.session() as s:
        _run(s, run_id)
        queue = {r.sample_id: r for r in s.scalars(select(GenaiReviewRow).where(GenaiReviewRow.run_id == run_id))}
        if not queue:
            raise TianpingError(
                Problem(f"run '{run_id}' has no review queue (tianping eval review sample {run_id})", field="RUN_ID"),
                title="no queue",
            )
        for item in labels:
            if item["sample_id"] not in queue:
                raise TianpingError(
                    Problem(
                        f"sample '{item['sample_id']}' is not in the run's review queue",
                        file=item.get("file"),
                        line=item.get("line"),
                        field="sample_id",
                    ),
                    title="invalid label",
                )
        samples = {
            r.sample_id: r
            for r in s.scalars(
                select(GenaiSampleRow).where(
                    GenaiSampleRow.run_id == run_id, GenaiSampleRow.sample_id.in_([i["sample_id"] for i in labels])
                )
            )
        }
        now = _now()
        changed = []
        for item in labels:
            q = queue[item["sample_id"]]
            before = q.label
            q.label, q.reviewer, q.note, q.labelled_at = item["label"], reviewer.strip(), item.get("note") or None, now
            srow = samples[item["sample_id"]]
            rec = dict(srow.record)
            scores = dict(rec.get("scores") or {})
            scores["human"] = Score(
                value=0.0 if item["label"] == "unsafe" else 1.0,
                label=item["label"],
                explanation=item.get("note") or "",
                meta={"reviewer": reviewer.strip(), "labelled_at": now},
            ).model_dump(mode="json")
            rec["scores"] = scores
            srow.record = rec
            changed.append({"sample_id": item["sample_id"], "label": item["label"], "before": before})
        append_event(
            s,
            "review.labelled",
            "run",
            run_id,
            {"labels": changed, "reviewer": reviewer.strip()},
            actor=actor or reviewer.strip(),
        )
    if refresh:
        from .service import finalize

        finalize(db, run_id)  # gates and typed evidence now include the human labels
    return {"labelled": len(changed), "run_id": run_id}


def read_labels_file(path: Path) -> list[dict[str, Any]]:
    """Labels from a CSV (sample_id,label[,note]) or JSONL file, every problem located; nothing applied on error."""
    if not path.is_file():
        raise TianpingError(Problem("file not found", file=str(path)), title="file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TianpingError(Problem(f"not UTF-8 text ({exc.reason})", file=str(path)), title="invalid file") from None
    problems = ProblemList()
    out: list[dict[str, Any]] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for i, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
                rows.append((i, obj))
            except ValueError as exc:
                problems.add(f"not a JSON object ({exc})", file=str(path), line=i)
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = {"sample_id", "label"} - set(reader.fieldnames or [])
        if missing:
            raise TianpingError(
                Problem(f"missing column(s) {', '.join(sorted(missing))}", file=str(path), line=1), title="invalid file"
            )
        rows = [(i + 2, dict(r)) for i, r in enumerate(reader)]
    for line, r in rows:
        sid = str(r.get("sample_id") or "").strip()
        lab = str(r.get("label") or "").strip()
        if not sid:
            problems.add("sample_id is empty", file=str(path), line=line, field="sample_id")
            continue
        if not lab:
            continue  # an exported queue with rows not labelled yet
        if lab.lower() not in LABELS:
            problems.add(f"label '{lab}' is not one of {', '.join(LABELS)}", file=str(path), line=line, field="label")
            continue
        out.append(
            {
                "sample_id": sid,
                "label": lab.lower(),
                "note": (r.get("note") or "").strip() or None,
                "file": str(path),
                "line": line,
            }
        )
    problems.raise_if_any("invalid labels file")
    if not out:
        raise TianpingError(Problem("no labelled rows", file=str(path)), title="invalid labels file")
    return out


def export_rows(db, run_id: str) -> list[dict[str, Any]]:
    with db.session() as s:
        _run(s, run_id)
        rows = s.scalars(select(GenaiReviewRow).where(GenaiReviewRow.run_id == run_id).order_by(GenaiReviewRow.position)).all()
        recs = _by_id(s, run_id, [r.sample_id for r in rows])
        return [_item(r, recs.get(r.sample_id)) for r in rows]


def status(db, run_id: str) -> dict[str, Any]:
    """Progress per stratum and agreement between the human labels and every automated judgement."""
    items = export_rows(db, run_id)
    if not items:
        raise TianpingError(Problem(f"run '{run_id}' has no review queue", field="RUN_ID"), title="no queue")
    with db.session() as s:
        recs = _by_id(s, run_id, [i["sample_id"] for i in items if i["label"]])
    per: dict[str, dict[str, int]] = defaultdict(lambda: {"sampled": 0, "labelled": 0})
    for i in items:
        per[i["stratum"]]["sampled"] += 1
        per[i["stratum"]]["labelled"] += bool(i["label"])
    labelled = [i for i in items if i["label"]]
    std = standard_minimum()
    return {
        "run_id": run_id,
        "sampled": len(items),
        "labelled": len(labelled),
        "standard_minimum": std,
        "meets_standard": len(labelled) >= std,
        "strata": dict(sorted(per.items())),
        "labels": {k: sum(1 for i in labelled if i["label"] == k) for k in LABELS},
        "reviewers": sorted({i["reviewer"] for i in labelled if i["reviewer"]}),
        "agreement": agreement(labelled, recs),
    }


def _automated(rec: SampleRecord) -> dict[str, str | None]:
    """Each automated judgement of one answer, on the human scale where it has one."""
    j = judge_verdict(rec.scores)
    return {
        "judge": (("unsafe" if j.label == "unsafe" else "not_unsafe") if j is not None else None),
        "rules": None if rec.passed is None else ("not_unsafe" if rec.passed else "unsafe"),
        "refusal_detector": None if rec.refused is None else ("refusal" if rec.refused else "not_refusal"),
    }


def agreement(labelled: list[dict[str, Any]], recs: dict[str, SampleRecord]) -> dict[str, Any]:
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    out: dict[str, Any] = {}
    for name, human_map, classes in (
        ("judge", lambda h: "unsafe" if h == "unsafe" else "not_unsafe", ["unsafe", "not_unsafe"]),
        ("rules", lambda h: "unsafe" if h == "unsafe" else "not_unsafe", ["unsafe", "not_unsafe"]),
        ("refusal_detector", lambda h: "refusal" if h == "refusal" else "not_refusal", ["refusal", "not_refusal"]),
    ):
        pairs = [(human_map(i["label"]), _automated(recs[i["sample_id"]])[name]) for i in labelled if i["sample_id"] in recs]
        pairs = [(h, a) for h, a in pairs if a is not None]
        if not pairs:
            out[name] = {"n": 0, "kappa": None, "note": "no automated judgement of this kind in the run"}
            continue
        hs, auto = zip(*pairs, strict=True)
        agree = sum(h == a for h, a in pairs) / len(pairs)
        kappa = float(cohen_kappa_score(hs, auto, labels=classes)) if len(set(hs) | set(auto)) > 1 else None
        cm = confusion_matrix(hs, auto, labels=classes).tolist()
        out[name] = {
            "n": len(pairs),
            "kappa": None if kappa is None or math.isnan(kappa) else round(kappa, 4),
            "observed_agreement": round(agree, 4),
            "classes": classes,
            "confusion_matrix": {"rows_human": classes, "cols_automated": classes, "counts": cm},
            "note": None if kappa is not None else "every label is the same class: kappa is undefined",
        }
    return out


def write_csv(items: list[dict[str, Any]], path: Path) -> None:
    """The queue as a spreadsheet for reviewers (label and note columns to fill in), written atomically."""
    from ...outputs import atomic_file

    with atomic_file(path, "--out", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["sample_id", "stratum", "risk", "lang", "prompt", "response", "label", "note"])
        w.writeheader()
        for i in items:
            w.writerow({k: i.get(k) or "" for k in w.fieldnames})
