"""The `stub` run kind, offered as "demo (simulated)": a deterministic fake evaluation.

It is off by default: a server offers it only with the setting `demo_runs` (TIANPING_DEMO_RUNS=1).

It walks a fixed number of steps, reports progress and a checkpoint after each, and finishes
with metrics whose names the assessment's evidence map knows (so the stub's results flow into
assessments and reports exactly as a real engine's would). The same system and seed always give
the same numbers. Reports say plainly that the evidence came from a stub (suite "stub",
target "stub://deterministic").
"""

from __future__ import annotations

import hashlib
from typing import Any

from .. import __version__
from ..errors import Problem, TianpingError
from ..evidence.model import EvidenceRun, MetricRow, Producer, Threshold
from ..i18n import texts
from ..registry.profile import AISystem
from .jobs import JobContext, job_handler
from .runs import RunKind, default_engine, register_run_kind

# name, base value, threshold, higher is better
METRICS = {
    "tabular": [
        ("accuracy", 0.91, 0.80, True),
        ("demographic_parity_difference", 0.04, 0.10, False),
        ("robustness_degradation", 0.03, 0.05, False),
        ("missing_rate", 0.01, 0.05, False),
    ],
    "genai": [
        ("pass_rate", 0.97, 0.90, True),
        ("refusal_rate", 0.96, 0.90, True),
        ("over_refusal_rate", 0.03, 0.05, False),
        ("attack_success_rate", 0.02, 0.05, False),
    ],
}


def _prepare(profile: AISystem, cfg: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    def num(name: str, default: float, lo: float, hi: float, cast=float):
        v = cfg.get(name, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise TianpingError(Problem(f"must be a number from {lo} to {hi}", field=f"config.{name}"), title="invalid input")
        return cast(v)

    engine = cfg.get("engine") or default_engine(profile)
    if engine not in METRICS:
        raise TianpingError(Problem("must be 'tabular' or 'genai'", field="config.engine"), title="invalid input")
    fail = cfg.get("fail", [])
    names = {m[0] for m in METRICS[engine]}
    if not isinstance(fail, list) or not all(isinstance(f, str) and f in names for f in fail):
        raise TianpingError(Problem(f"a list of metric names from {sorted(names)}", field="config.fail"), title="invalid input")
    seed = cfg.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TianpingError(Problem("must be an integer", field="config.seed"), title="invalid input")
    clean = {
        "engine": engine,
        "steps": num("steps", 8, 1, 200, int),
        "step_seconds": num("step_seconds", 0.25, 0, 5),
        "seed": seed,
        "fail": fail,
    }
    return engine, "stub", "stub://deterministic", clean


def _jitter(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF * 0.01


@job_handler("stub")
def run_stub(ctx: JobContext) -> dict[str, Any]:
    cfg = ctx.payload["config"]
    steps = int(cfg["steps"])
    start = int((ctx.checkpoint or {}).get("step", 0))  # resume where a crashed worker left off
    for step in range(start, steps):
        ctx.sleep(float(cfg["step_seconds"]))
        ctx.progress((step + 1) / steps, f"step {step + 1}/{steps}", checkpoint={"step": step + 1})
    metrics: list[dict[str, Any]] = []
    for name, base, thr, higher in METRICS[cfg["engine"]]:
        value = round(base + (_jitter(f"{ctx.payload['system_id']}:{cfg['seed']}:{name}") * (1 if higher else -1)), 4)
        if name in cfg["fail"]:
            value = round(thr - 0.05 if higher else thr + 0.05, 4)
        passed = value >= thr if higher else value <= thr
        metrics.append(
            {"name": name, "value": value, "threshold": thr, "passed": passed, "direction": "min" if higher else "max"}
        )
    n_pass = sum(m["passed"] for m in metrics)
    return {
        "engine": "stub",
        "emulates": cfg["engine"],
        "simulated": True,
        "metrics": metrics,
        "evidence": _evidence(ctx, cfg, metrics).model_dump(mode="json", exclude_none=True),
        "summary": {"passed": n_pass, "failed": len(metrics) - n_pass, "steps": steps, "resumed_from": start, "simulated": True},
    }


# which evidence-map test each invented metric stands in for
STUB_TESTS = {
    "accuracy": "tabular.performance",
    "demographic_parity_difference": "tabular.fairness",
    "robustness_degradation": "tabular.robustness",
    "missing_rate": "tabular.data_quality",
    "pass_rate": "genai.generated_content",
    "refusal_rate": "genai.should_refuse",
    "over_refusal_rate": "genai.should_not_refuse",
    "attack_success_rate": "genai.jailbreak",
}


def _evidence(ctx: JobContext, cfg: dict[str, Any], metrics: list[dict[str, Any]]) -> EvidenceRun:
    """The run stated in the evidence model: simulated, so it is shown and never counted."""
    rows = [
        MetricRow(
            test=STUB_TESTS[m["name"]],
            metric=m["name"],
            value=m["value"],
            threshold=Threshold(op=">=" if m["direction"] == "min" else "<=", value=m["threshold"], source="demo (stub.py)"),
            status="pass" if m["passed"] else "fail",
            method="simulated: invented by the demo run kind",
        )
        for m in metrics
    ]
    return EvidenceRun(
        run_id=ctx.run_id or "",
        system_id=ctx.payload["system_id"],
        kind="simulated",
        producer=Producer(engine="stub", engine_version=__version__, method="deterministic fake evaluation"),
        target="stub://deterministic",
        suite="stub",
        config=dict(cfg),
        metrics=rows,
        notes=["simulated evidence: invented numbers for trying the workflow; never counted toward a verdict"],
    )


register_run_kind(
    RunKind(
        name="stub",
        job_kind="stub",
        prepare=_prepare,
        simulated=True,
        enabled=lambda settings: bool(getattr(settings, "demo_runs", False)),  # off unless the server enables demo runs
        title=texts("run_kind.stub.title"),
        description=texts("run_kind.stub.description"),
    )
)
