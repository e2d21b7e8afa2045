"""Tabular runs started from the server: uploaded dataset + uploaded model (or prediction columns).

`prepare` checks everything a run needs before a row exists — the data file opens and has the
target, sensitive and prediction columns; the model file loads as ONNX, skops, XGBoost or LightGBM
(pickle refused) — so bad input is a 422 naming the field, never a half-written run. `execute`
calls the engine's `run_tabular` and returns its validated results document, which the job
system stores in `runs.result` (and with it the typed evidence).

On the Ray backend the run is split by test family (`run_split`): one Ray task per family
(fairness with its bootstrap, robustness with the boundary attack, SHAP, counterfactual, and the
light performance + quality pair), so the workers of a cluster run them side by side. Each task
is the engine's own `run_tabular` restricted to its families — every family reads the data, draws
its row sample and seeds its bootstrap exactly as in a whole run, so the metric rows are the same
as on the local backend — and the lease holder merges the parts in the order a whole run writes
them (metrics, plots, notes; summary recomputed). Each task re-reads the data and re-queries the
model (a read costs far less than the family's own work; tests/execution compare both backends on
UCI Adult). The data and model files must be readable where the tasks run (same machine or
shared storage). Progress reports each finished family.

Inside a family, the row-parallel work is split again (issue 16): the boundary attack's rows,
the SHAP rows explained and the fairness bootstrap's resamples go through the engine's
`partitions.map_parts`, for which each family task installs `RayPartMapper`. It cuts the items into
contiguous chunks — the cluster's CPUs shared among the run's splitting families (robustness and
explain run side by side), or one more than the CPUs free at that moment if that is more — none
smaller than the engine's minimum per part (`ATTACK_MIN_ROWS`, `SHAP_MIN_ROWS_TREE`/`_KERNEL`,
`BOOT_MIN_RESAMPLES`; work below twice that stays whole). It runs one chunk in the family task
itself and the others as plain Ray tasks (each loads the model from its file once per worker
process), and hands the pieces back in item order. Every row and
resample draws its own keyed random numbers, so the merged pieces — and so the metric rows — are
exactly those of a local run. (Splitting more than that costs a new Ray worker process per extra
task while the family tasks hold theirs: measured 4-8 s per run on this 2-core machine, for parts
of 0.2-2 s; docs/benchmarks.md.)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import Problem, TianpingError
from .backends import BackendChoice

if TYPE_CHECKING:
    import numpy as np

    from ..evaluation.tabular.partitions import PartFn
    from ..evaluation.tabular.results import TabularResult
    from ..evaluation.tabular.runner import TabularConfig


class TabularRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    data: str = Field(..., description="id of the uploaded dataset (CSV or Parquet)")
    target: str = Field(..., min_length=1, max_length=200)
    model: str | None = Field(None, description="id of the uploaded model (ONNX, skops, XGBoost, LightGBM)")
    predictions: str | None = Field(None, max_length=200, description="column of precomputed predictions (instead of a model)")
    predictions_file: str | None = Field(None, description="id of an uploaded file with the predictions column, row-aligned")
    scores: list[str] | None = Field(None, max_length=50)
    sensitive: list[str] = Field(default_factory=list, max_length=20)
    features: list[str] | None = Field(None, max_length=2000)
    tests: list[str] | None = Field(None, max_length=20)
    task: str = Field("auto", pattern="^(auto|binary|multiclass|regression)$")
    positive_label: str | None = Field(None, max_length=200)
    bootstrap: int = Field(200, ge=0, le=2000)
    seed: int = Field(0, ge=0, le=2**31)
    attack: bool = True
    lang: str = Field("en", pattern="^(en|zh)$")


def _invalid(exc: TianpingError, field: str) -> TianpingError:
    return TianpingError(
        [Problem(p.message, field=p.field if p.field and not p.field.startswith("--") else field) for p in exc.problems],
        title="invalid input",
    )


def prepare(system_id: str, raw: dict[str, Any], uploads, out_root: Path) -> dict[str, Any]:
    """The engine's TabularConfig (as a dict) for this request, validated against the files."""
    from ..evaluation.tabular.data import open_table
    from ..evaluation.tabular.models import load_model
    from ..evaluation.tabular.runner import TabularConfig
    from ..evaluation.tabular.spec import TESTS

    try:
        req = TabularRequest.model_validate(raw)
    except ValidationError as exc:
        raise TianpingError(
            [Problem(e["msg"], field="config." + ".".join(map(str, e["loc"]))) for e in exc.errors()], title="invalid input"
        ) from None
    data_path, data_meta = uploads.path(system_id, req.data, field="config.data")
    if data_meta["kind"] != "data":
        raise TianpingError(Problem("this upload is not a dataset (CSV or Parquet)", field="config.data"), title="invalid input")
    if (req.model is None) == (req.predictions is None):
        raise TianpingError(
            Problem("give either an uploaded model or the column holding precomputed predictions", field="config.model"),
            title="invalid input",
        )
    try:
        table = open_table(data_path)
    except TianpingError as exc:
        raise _invalid(exc, "config.data") from None
    except Exception as exc:  # noqa: BLE001 - a malformed file is the user's input, never a 500
        raise TianpingError(
            Problem(f"the dataset cannot be read: {type(exc).__name__}", field="config.data"), title="invalid input"
        ) from None
    pred_path = None
    if req.predictions_file:
        pred_path, pmeta = uploads.path(system_id, req.predictions_file, field="config.predictions_file")
        if pmeta["kind"] != "data":
            raise TianpingError(
                Problem("the predictions file must be CSV or Parquet", field="config.predictions_file"), title="invalid input"
            )
    needed = [(req.target, "config.target")] + [(c, "config.sensitive") for c in req.sensitive]
    if req.predictions and not pred_path:
        needed.append((req.predictions, "config.predictions"))
    missing = [
        Problem(f"column '{c}' is not in the data (columns: {', '.join(table.columns[:30])})", field=f)
        for c, f in needed
        if c not in table.columns
    ]
    if missing:
        raise TianpingError(missing, title="invalid input")
    for t in req.tests or []:
        if t not in TESTS:
            raise TianpingError(
                Problem(f"unknown test '{t}'; choose from {', '.join(TESTS)}", field="config.tests"), title="invalid input"
            )
    model_path = None
    if req.model:
        model_path, mmeta = uploads.path(system_id, req.model, field="config.model")
        if mmeta["kind"] != "model":
            raise TianpingError(Problem("this upload is not a model file", field="config.model"), title="invalid input")
        try:
            load_model(str(model_path))
        except TianpingError as exc:
            raise _invalid(exc, "config.model") from None
        except Exception as exc:  # noqa: BLE001 - e.g. an .onnx file that is not ONNX
            raise TianpingError(
                Problem(
                    f"the model file cannot be loaded as {Path(model_path).suffix or 'a model'}: {type(exc).__name__}",
                    field="config.model",
                ),
                title="invalid input",
            ) from None
    rows = table.n_rows if table.n_rows is not None else _count_csv_rows(data_path)
    cfg = TabularConfig(
        data=str(data_path),
        target=req.target,
        model=str(model_path) if model_path else None,
        predictions=req.predictions,
        predictions_file=str(pred_path) if pred_path else None,
        scores=req.scores,
        sensitive=req.sensitive,
        features=req.features,
        tests=req.tests,
        # TabularRequest.task stays a str with a pattern: as a Literal its validation message would change
        task=req.task,  # type: ignore[arg-type]  # the pattern admits exactly the engine's Literal values
        positive_label=req.positive_label,
        bootstrap=req.bootstrap,
        seed=req.seed,
        attack=req.attack,
        lang=req.lang,
        out_dir=str(out_root),
        plot_formats=["png"],
    )
    out = cfg.model_dump(mode="json")
    out["_rows"] = rows
    out["_files"] = {
        "data": {k: data_meta[k] for k in ("name", "sha256", "size")},
        **({"model": {k: mmeta[k] for k in ("name", "sha256", "size")}} if model_path else {}),
    }
    return out


def _count_csv_rows(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return max(0, n - 1)


STAGES = {
    "performance": 0.55,
    "fairness": 0.6,
    "quality": 0.65,
    "counterfactual": 0.7,
    "robustness": 0.8,
    "explain": 0.88,
    "plots": 0.95,
}


def _run(cfg_dict: dict[str, Any], run_id: str, progress=None) -> dict[str, Any]:
    from ..evaluation.tabular.runner import TabularConfig, run_tabular

    clean = {k: v for k, v in cfg_dict.items() if not k.startswith("_")}
    clean["out_dir"] = str(Path(clean["out_dir"]) / run_id) if clean.get("out_dir") else None
    result = run_tabular(TabularConfig.model_validate(clean), progress=progress)
    result.run_id = run_id  # the server's run row is the run
    return result.model_dump(mode="json")


def execute(
    run_id: str,
    cfg_dict: dict[str, Any],
    *,
    choice: BackendChoice | None = None,
    progress: Callable[[float, str], None] | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Run the tabular tests; returns the results document (the engine's shape)."""
    choice = choice or BackendChoice()
    total = max(1, int(cfg_dict.get("_rows") or 1))
    last = {"t": 0.0}

    def say(stage: str, rows: int) -> None:
        if progress is None:
            return
        frac = 0.5 * min(1.0, rows / total) if stage == "read" else STAGES.get(stage, 0.5)
        now = time.monotonic()
        if stage != "read" or now - last["t"] >= 0.5:
            last["t"] = now
            progress(frac, f"{stage}: {rows} rows")

    if choice.name == "local":
        return _run(cfg_dict, run_id, say)
    from ..evaluation.tabular.runner import TabularConfig

    clean = {k: v for k, v in cfg_dict.items() if not k.startswith("_")}
    clean["out_dir"] = str(Path(clean["out_dir"]) / run_id) if clean.get("out_dir") else None

    def said(frac: float, family: str) -> None:
        if progress:
            progress(0.05 + 0.9 * frac, f"{family}: done" if family else "running on Ray")

    result = run_split(TabularConfig.model_validate(clean), choice, progress=said, heartbeat=heartbeat)
    result.run_id = run_id
    return result.model_dump(mode="json")


# -- the Ray split -------------------------------------------------------------------------------
# the order in which a whole run measures (and so writes metrics, plots and notes)
RUN_ORDER = ("performance", "fairness", "quality", "counterfactual", "robustness", "explain")
# families that share one task: both are a few vectorised passes over the predictions
LIGHT = ("performance", "quality")


def split_families(tests: list[str]) -> list[list[str]]:
    """The Ray tasks for a run's tests: one per heavy family (heaviest first, so they start first),
    the light ones together."""
    heavy: list[str] = [t for t in ("explain", "robustness", "fairness", "counterfactual") if t in tests]
    light = [t for t in LIGHT if t in tests]
    return [[t] for t in heavy] + ([light] if light else [])


def _run_part(cfg: TabularConfig, families: list[str], part_dir: str | None, share: int, partition_min: int | None = None):
    """One Ray task: the engine's run restricted to `families` (plots into `part_dir`), its row-parallel
    work split once more by `RayPartMapper`; returns the part and where and when it ran (process id,
    node, start and end wall-clock times, and the row partitions it split off)."""
    import ray

    from ..evaluation.tabular.partitions import mapping
    from ..evaluation.tabular.runner import run_tabular

    t0 = time.time()
    mapper = RayPartMapper(ray, _model_spec(cfg), share, cpus=_cluster_cpus(ray), min_items=partition_min)
    with mapping(mapper):
        part = run_tabular(cfg.model_copy(update={"tests": families, "out_dir": part_dir}))
    node = ray.get_runtime_context().get_node_id()
    return part, {
        "families": families,
        "pid": os.getpid(),
        "node": node,
        "start": t0,
        "end": time.time(),
        "partitions": mapper.trace,
    }


def _model_spec(cfg: TabularConfig) -> dict[str, Any] | None:
    """How a worker loads the run's model (the same options as the engine's own load)."""
    if not cfg.model:
        return None
    return {
        "path": cfg.model,
        "trust_pickle": cfg.trust_pickle,
        "trusted_types": list(cfg.trusted_types),
        "http_batch": cfg.http_batch,
    }


def _cluster_cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _free_cpus(ray: Any) -> int:
    return max(0, int(ray.available_resources().get("CPU", 0)))


# the families whose row-parallel work is worth splitting (the fairness bootstrap splits only past
# BOOT_MIN_RESAMPLES resamples a part, so it takes what it finds free)
SPLITTING = ("robustness", "explain")


def partition_share(cpus: int, groups: list[list[str]]) -> int:
    """Partitions each splitting family may make: the cluster's CPUs shared among the run's splitting
    families (they run side by side, so on a small cluster each keeps to its share)."""
    splitting = sum(1 for g in groups if g[0] in SPLITTING)
    return max(1, cpus // max(1, splitting))


_WORKER_MODELS: dict[str, Any] = {}  # model spec -> adapter, loaded once per Ray worker process


def _worker_model(spec: dict[str, Any] | None) -> Any:
    if spec is None:
        return None
    import json

    from ..evaluation.tabular.models import load_model

    key = json.dumps(spec, sort_keys=True)
    if key not in _WORKER_MODELS:
        _WORKER_MODELS[key] = load_model(
            spec["path"], trust_pickle=spec["trust_pickle"], trusted_types=spec["trusted_types"], http_batch=spec["http_batch"]
        )
    return _WORKER_MODELS[key]


def _part_task(fn: PartFn, spec: dict[str, Any] | None, payload: Any, items: np.ndarray):
    """One row partition as a Ray task: `fn` on `items`, the model loaded here; returns the piece and where it ran."""
    t0 = time.time()
    import ray

    piece = fn(_worker_model(spec), payload, items)
    where = {"pid": os.getpid(), "node": ray.get_runtime_context().get_node_id(), "start": t0, "end": time.time()}
    return piece, where


class RayPartMapper:
    """The engine's row-parallel work as Ray tasks over contiguous chunks (see the module docstring)."""

    def __init__(
        self, ray: Any, model_spec: dict[str, Any] | None, parts: int, *, cpus: int | None = None, min_items: int | None = None
    ) -> None:
        """`parts`: the partitions this family may always make; more, up to the cluster's `cpus`, when more
        CPUs are free at the time."""
        self.ray, self.model_spec, self.parts, self.min_items = ray, model_spec, parts, min_items
        self.cpus = cpus or parts
        self.trace: list[dict[str, Any]] = []
        self._task = ray.remote(num_cpus=1, max_retries=0)(_part_task)

    def __call__(self, fn: PartFn, model: Any, payload: Any, items: np.ndarray, min_items: int) -> list[tuple[np.ndarray, Any]]:
        from ..evaluation.tabular.partitions import split

        least = self.min_items or min_items
        if len(items) < 2 * least:  # too little work to split: here, as on the local backend (no Ray call at all)
            return [(items, fn(model, payload, items))]
        # this task's own CPU plus the CPUs free now (a free CPU has a worker to reuse, without starting a process);
        # never more than the cluster has, as Ray's view of free CPUs can lag by a moment
        chunks = split(items, max(self.parts, min(self.cpus, 1 + _free_cpus(self.ray))), least)
        if len(chunks) == 1:
            return [(items, fn(model, payload, items))]
        payload_ref = self.ray.put(payload)
        spec = self.model_spec if model is not None else None
        refs = [self._task.remote(fn, spec, payload_ref, c) for c in chunks[1:]]
        t0 = time.time()
        try:
            first = fn(model, payload, chunks[0])  # the family task's own CPU takes the first chunk
            done = self.ray.get(refs)
        except BaseException:
            for ref in refs:
                self.ray.cancel(ref, force=True)
            raise
        here = {"pid": os.getpid(), "node": self.ray.get_runtime_context().get_node_id(), "start": t0, "end": time.time()}
        wheres = [here] + [w for _, w in done]
        self.trace.append({"fn": getattr(fn, "__name__", str(fn)), "sizes": [len(c) for c in chunks], "tasks": wheres})
        return list(zip(chunks, [first] + [p for p, _ in done], strict=True))


def merge_parts(cfg, tests: list[str], plan_notes: list[str], parts: list, started: str, wall: float):
    """One TabularResult from the parts, as a whole run of `cfg` would have written it."""
    import uuid

    from ..evaluation.tabular.results import TabularResult, summarise

    def rank(part) -> int:
        return min(RUN_ORDER.index(t) for t in part.tests)

    parts = sorted(parts, key=rank)
    first = parts[0]
    # a part may hold two families (performance + quality): rows in the order a whole run measures
    metrics = sorted((m for p in parts for m in p.metrics), key=lambda m: RUN_ORDER.index(m.test))
    notes = list(plan_notes)
    for p in parts:
        notes += [n for n in p.notes if n not in notes]
    rec = next((p.recommendation for p in parts if "fairness" in p.tests), None)
    timings: dict[str, float] = {}
    for p in parts:
        for k, v in p.timings.items():
            if k != "total":
                timings[k] = round(timings.get(k, 0.0) + v, 4)
    timings["total"] = round(wall, 4)
    keys = ("model_kind", "features", "data_sha256", "predictions_file_sha256")
    extra = {k: first.config[k] for k in keys if k in first.config}
    return TabularResult(
        run_id=str(uuid.uuid4()),
        created_at=started,
        config=cfg.model_dump(mode="json") | extra,
        task=first.task,
        n_rows=first.n_rows,
        labels=first.labels,
        positive_label=first.positive_label,
        tests=tests,
        metrics=metrics,
        summary=summarise(metrics),
        recommendation=rec,
        plots=[pl for p in parts for pl in p.plots],
        notes=notes,
        timings=timings,
    )


def run_split(
    cfg,
    choice: BackendChoice,
    *,
    progress: Callable[[float, str], None] | None = None,
    heartbeat: Callable[[], None] | None = None,
    trace: list | None = None,
    partition_min: int | None = None,
) -> TabularResult:
    """`run_tabular(cfg)` as Ray tasks, one per test family, each splitting its row-parallel work
    into row partitions (see the module docstring); `trace`, when given, receives where and when
    each task ran; `partition_min` overrides the engine's minimum rows (or resamples) per partition."""
    import datetime as dt
    import shutil

    from ..evaluation.tabular.runner import _write_json, plan_tests
    from .ray_backend import connect

    t0 = time.perf_counter()
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    tests, plan_notes = plan_tests(cfg, None)
    groups = split_families(tests)
    if not groups:  # nothing to split: the engine runs (and says why) here
        from ..evaluation.tabular.runner import run_tabular

        return run_tabular(cfg)
    out = Path(cfg.out_dir) if cfg.out_dir else None
    ray = connect(choice.address)
    task = ray.remote(num_cpus=1, max_retries=0)(_run_part)
    cfg_ref = ray.put(cfg)
    share = partition_share(_cluster_cpus(ray), groups)
    refs = {task.remote(cfg_ref, g, str(out / f".part-{g[0]}") if out else None, share, partition_min): g for g in groups}
    if progress:
        progress(0.0, "")
    parts = []
    try:
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=1.0)
            for ref in ready:
                part, where = ray.get(ref)
                parts.append(part)
                if trace is not None:
                    trace.append(where)
                if progress:
                    progress(len(parts) / len(refs), "+".join(refs[ref]))
            if heartbeat:
                heartbeat()  # raises when the run is cancelled or the lease is lost
    except BaseException:
        for ref in refs:
            ray.cancel(ref, force=True)
        raise
    if out:  # each part drew its plots in its own folder: one plots folder, as a whole run has
        (out / "plots").mkdir(parents=True, exist_ok=True)
        for p in parts:
            for pl in p.plots:
                dest = out / "plots" / Path(pl.path).name
                os.replace(pl.path, dest)
                pl.path = str(dest)
        for g in groups:
            shutil.rmtree(out / f".part-{g[0]}", ignore_errors=True)
    result = merge_parts(cfg, tests, plan_notes, parts, started, time.perf_counter() - t0)
    if out:
        _write_json(out / "results.json", result)
    return result


def run_on_backend(cfg, choice: BackendChoice | None = None, progress=None):
    """`run_tabular(cfg)` on the chosen backend (the CLI's `--backend`): here, or as Ray tasks per test family."""
    from ..evaluation.tabular.runner import run_tabular

    choice = choice or BackendChoice()
    if choice.name == "local":
        return run_tabular(cfg, progress=progress)
    rows = {"n": 0}

    def said(_frac: float, family: str) -> None:
        if progress:
            progress(family.split("+")[0] if family else "read", rows["n"])

    return run_split(cfg, choice, progress=said)
