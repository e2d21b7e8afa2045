"""AI Verify (IMDA) test results: the algorithm output document `ITestResult`.

`{gid, cid, version, startTime, timeTaken, testArguments: {testDataset, modelFile, groundTruth,
algorithmArgs, modelType, mode}, output: {…}, artifacts}` — one object, or a list of them. The
`output` is the algorithm's own (its output.schema.json). Read in detail:

* Fairness Metrics Toolbox for classification (`fairness_metrics_toolbox_for_classification`):
  `output.results[k]` per output class `output_classes[k]`, each metric a list of
  `{group: [values…], metric: v}`. Per-group rates become group rows (true_positive_rate…) and the
  between-group gap of each (max − min: true_positive_rate_difference…, the quantity Tianping's
  tabular fairness test reports); "Disparate Impact" pairs give disparate_impact_ratio (the
  smallest ratio of two groups' selection rates, ≤ 1).
* Robustness Toolbox (`robustness_toolbox`): original and perturbed performance, their drop,
  and the number of perturbed samples.

Any other algorithm: its numeric outputs (up to 50) are kept as they are, not linked to any
provision unless a map entry links them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Parsed, Probe, RawMetric, SampleSink, excerpt, importer, load_json_text, located, need, number

FMT_RATES = {
    "True Positive Rate": "true_positive_rate",
    "True Negative Rate": "true_negative_rate",
    "Positive Predictive Value Parity": "positive_predictive_value",
    "Negative Predictive Value Parity": "negative_predictive_value",
    "False Positive Rate": "false_positive_rate",
    "False Negative Rate": "false_negative_rate",
    "False Discovery Rate": "false_discovery_rate",
    "False Omission Rate": "false_omission_rate",
}
GENERIC_LIMIT = 50


def _sniff(p: Probe) -> int:
    keys = set(p.top_keys)
    if p.kind == "json" and {"gid", "cid"} <= keys and (keys & {"testArguments", "output", "startTime", "timeTaken"}):
        return 95 if not p.top_is_array else 90
    return 0


@importer("aiverify", tool="AI Verify", sniff=_sniff, description="AI Verify algorithm test result JSON")
def parse(path: Path, probe: Probe) -> Parsed:
    """AI Verify algorithm test result JSON."""
    with open(path, "rb") as fh:
        doc = load_json_text(path, fh.read())
    items = doc if isinstance(doc, list) else [doc]
    metrics: list[RawMetric] = []
    versions, cids, datasets, models, starts = set(), [], set(), set(), []
    for i, r in enumerate(items):
        where = f"[{i}]" if isinstance(doc, list) else ""
        if not isinstance(r, dict):
            raise located(path, "expected an AI Verify test result object", field=where or None)
        gid = need(r, "gid", str, path, where=where)
        cid = need(r, "cid", str, path, where=where)
        args = need(r, "testArguments", dict, path, where=where)
        output = need(r, "output", dict, path, where=where)
        if r.get("version"):
            versions.add(str(r["version"]))
        cids.append(cid)
        if isinstance(r.get("startTime"), str):
            starts.append(r["startTime"])
        if args.get("testDataset"):
            datasets.add(str(args["testDataset"]).rsplit("/", 1)[-1])
        if args.get("modelFile"):
            models.add(str(args["modelFile"]).rsplit("/", 1)[-1])
        key = f"{gid}:{cid}"
        fld = f"{where}.output" if where else "output"
        if "fairness_metrics_toolbox" in cid:
            metrics += _fairness(path, key, output, fld, args)
        elif "robustness_toolbox" in cid:
            metrics += _robustness(key, output)
        else:
            metrics += _generic(key, output)
    if not metrics:
        raise located(path, "no numeric results in the output")
    starts.sort()
    return Parsed(
        format="aiverify",
        tool="AI Verify",
        tool_version=",".join(sorted(versions)) or None,
        task=",".join(cids),
        model=",".join(sorted(models)) or None,
        metrics=metrics,
        samples=SampleSink(),
        dataset_name=",".join(sorted(datasets)) or None,
        started_at=starts[0] if starts else None,
        created_at=starts[0] if starts else None,
        config={
            "algorithms": cids,
            "model_type": items[0].get("testArguments", {}).get("modelType") if isinstance(items[0], dict) else None,
        },
        notes=["AI Verify results keep no per-sample records"],
    )


def _group_name(features: list[str], group: Any) -> str:
    vals = group if isinstance(group, list) else [group]
    if len(vals) == len(features):
        return "&".join(f"{f}={v}" for f, v in zip(features, vals, strict=True))
    return "&".join(str(v) for v in vals)


def _fairness(path: Path, key: str, out: dict[str, Any], fld: str, args: dict[str, Any]) -> list[RawMetric]:
    features = out.get("sensitive_feature") or (args.get("algorithmArgs") or {}).get("sensitive_feature") or []
    features = [str(f) for f in (features if isinstance(features, list) else [features])]
    classes = out.get("output_classes") or []
    results = out.get("results")
    if not isinstance(results, list):
        raise located(path, "expected a list of per-class results", field=f"{fld}.results")
    sf = "&".join(features) or None
    rows: list[RawMetric] = []
    for k, per_class in enumerate(results):
        if not isinstance(per_class, dict):
            raise located(path, "expected an object", field=f"{fld}.results[{k}]")
        label = str(classes[k]) if k < len(classes) else str(k)
        for name, entries in per_class.items():
            if not isinstance(entries, list):
                raise located(path, "expected a list of {group, metric}", field=f"{fld}.results[{k}].{name}")
            vals = []
            for j, e in enumerate(entries):
                v = number(e.get("metric")) if isinstance(e, dict) else None
                if v is None:
                    raise located(path, "expected a number", field=f"{fld}.results[{k}].{name}[{j}].metric")
                vals.append((e.get("group"), v))
            base = FMT_RATES.get(name)
            if base:
                for g, v in vals:
                    rows.append(
                        RawMetric(
                            key=key,
                            metric=base,
                            value=v,
                            slice={"sensitive_feature": sf, "label": label, "group": _group_name(features, g)},
                        )
                    )
                if len(vals) >= 2:
                    hi = max(vals, key=lambda x: x[1])
                    lo = min(vals, key=lambda x: x[1])
                    rows.append(
                        RawMetric(
                            key=key,
                            metric=f"{base}_difference",
                            value=hi[1] - lo[1],
                            slice={"sensitive_feature": sf, "label": label},
                            note=f"max − min over {len(vals)} groups "
                            f"({_group_name(features, hi[0])} vs {_group_name(features, lo[0])})",
                        )
                    )
            elif name == "Disparate Impact" and vals:
                ratios = [min(v, 1 / v) if v > 0 else 0.0 for _, v in vals]
                worst = min(range(len(vals)), key=lambda i: ratios[i])
                rows.append(
                    RawMetric(
                        key=key,
                        metric="disparate_impact_ratio",
                        value=ratios[worst],
                        slice={"sensitive_feature": sf, "label": label},
                        note=f"smallest selection-rate ratio over {len(vals)} group pairs "
                        f"({_group_name(features, vals[worst][0])})",
                    )
                )
            elif vals:
                rows.append(
                    RawMetric(
                        key=key,
                        metric=name.lower().replace(" ", "_") + "_max",
                        value=max(v for _, v in vals),
                        slice={"sensitive_feature": sf, "label": label},
                        note=f"largest of {len(vals)} pair values",
                    )
                )
    return rows


def _robustness(key: str, out: dict[str, Any]) -> list[RawMetric]:
    found = out.get("results")
    r: dict[str, Any] = found if isinstance(found, dict) else out
    n = r.get("num_of_perturbed_samples")
    n = n if isinstance(n, int) and not isinstance(n, bool) else None
    org, pert = number(r.get("org_performance")), number(r.get("perturbed_performance"))
    rows = [
        RawMetric(key=key, metric="accuracy", value=org, n=n, note="performance on the original samples"),
        RawMetric(
            key=key, metric="perturbed_accuracy", value=pert, n=n, note="performance on the boundary-attack perturbed samples"
        ),
    ]
    if org is not None and pert is not None:
        rows.append(RawMetric(key=key, metric="accuracy_drop", value=org - pert, n=n, note="original − perturbed performance"))
    failed = r.get("num_of_failed_perturbed_samples")
    if isinstance(failed, int) and n:
        rows.append(
            RawMetric(
                key=key,
                metric="failed_perturbations_share",
                value=failed / n,
                n=n,
                note=f"{failed} sample(s) the attack could not perturb",
            )
        )
    return rows


def _generic(key: str, out: Any) -> list[RawMetric]:
    rows: list[RawMetric] = []

    def walk(v: Any, path: str) -> None:
        if len(rows) >= GENERIC_LIMIT:
            return
        x = number(v)
        if x is not None:
            rows.append(RawMetric(key=key, metric=path or "value", value=x))
        elif isinstance(v, dict):
            for k, w in v.items():
                walk(w, f"{path}.{k}" if path else str(k))
        elif isinstance(v, list) and len(v) <= 20:
            for i, w in enumerate(v):
                walk(w, f"{path}[{i}]")

    walk(out, "")
    for r in rows:
        r.note = r.note or f"AI Verify output field {excerpt(r.metric, 80)}"
    return rows
