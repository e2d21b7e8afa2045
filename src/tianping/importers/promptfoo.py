"""promptfoo output JSON (`promptfoo eval -o results.json`, `promptfoo export`), evals and red teams.

`{evalId, results: {version, timestamp, prompts, results: [EvaluateResult…], stats: {successes,
failures, errors}}, config, shareableUrl, metadata: {promptfooVersion…}}`. Each `EvaluateResult`
has `testCase` (vars, assert, `metadata.pluginId` / `strategyId` in red teams), `provider`
({id, label}), `prompt` ({raw, label}), `response` ({output}), `success`, `score`, `error`,
`failureReason` (0 none, 1 assertion, 2 error), `gradingResult`, `namedScores`.

Metrics: a red-team result set (results carrying a pluginId) gives, per plugin and strategy, the
attack success rate — the share of graded test cases that failed, which in promptfoo's red team
means the attack got through; an ordinary eval gives the pass rate per provider and the mean of
each named score. Errored cases are counted apart and never judged.
"""

from __future__ import annotations

from pathlib import Path

from .base import Parsed, Probe, RawMetric, SampleSink, excerpt, importer, load_json_text, located, need, number


def _sniff(p: Probe) -> int:
    keys = set(p.top_keys)
    if (
        p.kind == "json"
        and not p.top_is_array
        and "results" in keys
        and (keys & {"evalId", "shareableUrl"} or ("metadata" in keys and "config" in keys and "promptfooVersion" in p.head))
    ):
        return 90
    if p.kind == "json" and "promptfooVersion" in p.head and "results" in keys:
        return 50
    return 0


@importer("promptfoo", tool="promptfoo", sniff=_sniff, description="promptfoo output JSON (eval or red team)")
def parse(path: Path, probe: Probe) -> Parsed:
    """promptfoo output JSON (eval or red team)."""
    with open(path, "rb") as fh:
        doc = load_json_text(path, fh.read())
    if not isinstance(doc, dict):
        raise located(path, "expected a JSON object")
    res = need(doc, "results", dict, path)
    items = need(res, "results", list, path, where="results")
    meta = doc.get("metadata") or {}
    cfg = doc.get("config") or {}
    sink = SampleSink()
    tallies: dict[tuple[str, str, str], dict[str, int]] = {}  # (kind, key, slice) -> counts
    named: dict[tuple[str, str], list[float]] = {}
    providers: set[str] = set()
    redteam = any(isinstance(r, dict) and ((r.get("testCase") or {}).get("metadata") or {}).get("pluginId") for r in items)
    for i, r in enumerate(items):
        fld = f"results.results[{i}]"
        if not isinstance(r, dict):
            raise located(path, "expected an object", field=fld)
        prov = r.get("provider") or {}
        pid = prov.get("id") if isinstance(prov, dict) else prov
        pid = str(pid or prov.get("label") if isinstance(prov, dict) else pid or "?")
        providers.add(pid)
        tmeta = ((r.get("testCase") or {}).get("metadata") or {}) if isinstance(r.get("testCase"), dict) else {}
        if "failureReason" in r:  # 0 none, 1 assertion failed, 2 error (the `error` text is set for both 1 and 2)
            errored = r.get("failureReason") == 2
        else:  # older outputs: an error without any grading
            errored = bool(r.get("error")) and not r.get("gradingResult")
        success = r.get("success")
        if not errored and not isinstance(success, bool):
            raise located(path, "expected true or false", field=f"{fld}.success")
        if redteam:
            key = str(tmeta.get("pluginId") or "unknown-plugin")
            sl = str(tmeta.get("strategyId") or "basic")
        else:
            key, sl = pid, ""
        t = tallies.setdefault((("redteam" if redteam else "eval"), key, sl), {"n": 0, "fail": 0, "pass": 0, "error": 0})
        if errored:
            t["error"] += 1
        else:
            t["n"] += 1
            t["pass" if success else "fail"] += 1
        for name, v in (r.get("namedScores") or {}).items():
            x = number(v)
            if x is not None and not errored:
                named.setdefault((key, str(name)), []).append(x)
        prompt = r.get("prompt") or {}
        resp = r.get("response") or {}
        scores = {"pass": success, "score": number(r.get("score"))}
        scores.update({k: v for k, v in (r.get("namedScores") or {}).items()})
        sink.add(
            {
                k: v
                for k, v in {
                    "id": str(r.get("id") or f"{r.get('testIdx', i)}:{r.get('promptIdx', 0)}"),
                    "status": "error" if errored else "ok",
                    "slice": {"attack": sl} if redteam else {},
                    "scores": scores,
                    "plugin": tmeta.get("pluginId"),
                    "input": excerpt(prompt.get("raw") if isinstance(prompt, dict) else prompt),
                    "output": excerpt(resp.get("output") if isinstance(resp, dict) else resp),
                    "reason": excerpt(
                        ((r.get("gradingResult") or {}).get("reason")) if isinstance(r.get("gradingResult"), dict) else None, 160
                    ),
                    "error": excerpt(r.get("error"), 200) if errored else None,
                }.items()
                if v is not None
            }
        )
    metrics: list[RawMetric] = []
    for (kind, key, sl), t in sorted(tallies.items()):
        if kind == "redteam":
            metrics.append(
                RawMetric(
                    key=key,
                    metric="attack_success_rate",
                    value=t["fail"] / t["n"] if t["n"] else None,
                    n=t["n"],
                    slice={"attack": sl},
                    note=f"promptfoo red team: {t['fail']} of {t['n']} graded case(s) failed (attack got through)"
                    + (f"; {t['error']} errored" if t["error"] else ""),
                )
            )
        else:
            metrics.append(
                RawMetric(
                    key=key,
                    metric="pass_rate",
                    value=t["pass"] / t["n"] if t["n"] else None,
                    n=t["n"],
                    note=f"{t['pass']} of {t['n']} graded case(s) passed" + (f"; {t['error']} errored" if t["error"] else ""),
                )
            )
    for (key, name), vals in sorted(named.items()):
        metrics.append(
            RawMetric(key=key, metric=f"named:{name}", value=sum(vals) / len(vals), n=len(vals), note="mean named score")
        )
    if not metrics:
        raise located(path, "no results in the file", field="results.results")
    desc = cfg.get("description") if isinstance(cfg, dict) else None
    purpose = (
        ((cfg.get("redteam") or {}).get("purpose")) if isinstance(cfg, dict) and isinstance(cfg.get("redteam"), dict) else None
    )
    return Parsed(
        format="promptfoo",
        tool="promptfoo",
        tool_version=str(meta.get("promptfooVersion")) if meta.get("promptfooVersion") else None,
        task=str(desc or ("promptfoo red team" if redteam else "promptfoo eval")),
        model=",".join(sorted(providers)) or None,
        metrics=metrics,
        samples=sink,
        dataset_name=str(desc or doc.get("evalId") or "promptfoo tests"),
        dataset_rows=len(items),
        created_at=res.get("timestamp") or meta.get("evaluationCreatedAt"),
        started_at=res.get("timestamp"),
        finished_at=meta.get("exportedAt"),
        config={
            "eval_id": doc.get("evalId"),
            "results_version": res.get("version"),
            "redteam": redteam,
            "purpose": excerpt(purpose, 200),
            "stats": {k: v for k, v in (res.get("stats") or {}).items() if k in ("successes", "failures", "errors")},
        },
    )
