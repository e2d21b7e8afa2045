"""One tabular test run: read in chunks, predict, measure, judge, plot.

The data is streamed once. For each chunk the model predicts and the runner keeps only what the
metrics need over all rows (targets, predictions, probabilities, sensitive values, quality
counters) plus a bounded uniform sample of full rows for the tests that re-query the model.
Memory therefore grows with rows x (1 + classes) numbers, not with rows x columns.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ...errors import Problem, TianpingError
from . import data as datamod
from .fairness import classification_fairness, regression_fairness
from .groups import Grouping, build_groupings
from .guide import load_guide, recommend
from .labels import Encoded, _codes, arrange_scores, encode, first_bad, parse_scores
from .models import ModelAdapter, load_model
from .performance import classification_performance, regression_performance
from .results import Metric, MetricSink, TabularResult, summarise
from .spec import TESTS, load_spec

if TYPE_CHECKING:  # a numeric run (plain number columns, a numeric-matrix model) never imports pandas (~0.1 s CPU)
    import pandas as pd

Progress = Callable[[str, int], None]  # (stage description, rows read so far)
TaskName = Literal["binary", "multiclass", "regression"]


class TabularConfig(BaseModel):
    """Everything that determines a run; stored with the run so it can be reproduced."""

    model_config = ConfigDict(extra="forbid")
    data: str
    target: str
    model: str | None = None
    predictions: str | None = Field(None, description="column holding precomputed predictions (no model)")
    scores: list[str] | dict[str, str] | None = Field(
        None,
        description="probability column(s): one column = P(positive) of a binary target; several = CLASS=COLUMN items "
        "(or a {class: column} mapping), one per class",
    )
    predictions_file: str | None = Field(None, description="separate file holding the predictions/scores columns, row-aligned")
    sensitive: list[str] = Field(default_factory=list)
    features: list[str] | None = None
    categorical: list[str] | None = None
    perturb_sensitive: bool = Field(
        False, description="let noise, category flips, missing values and the attack change sensitive columns"
    )
    tests: list[str] | None = Field(None, description="tests to run; None = every test that applies")
    task: Literal["auto", "binary", "multiclass", "regression"] = "auto"
    positive_label: str | None = None
    context: str | None = None
    thresholds: str | None = None
    reference: str | None = Field(None, description="reference (training) data for drift, overlap and representation")
    reference_distribution: str | None = None
    trust_pickle: bool = False
    trusted_types: list[str] = Field(default_factory=list)
    intersections: bool = True
    bootstrap: int = 200
    confidence: float = 0.95
    sample_rows: int = 5000
    robustness_rows: int = 1000
    counterfactual_rows: int = 1000
    attack: bool = True
    epsilon: float = 0.5
    attack_iterations: int = 8
    explain_rows: int = 1000
    shap_background: int = 50
    shap_samples: int = 100
    shap_max_evals: int | None = None
    shap_explainer: Literal["auto", "tree", "kernel"] = "auto"
    chunk_rows: int = datamod.DEFAULT_CHUNK_ROWS
    http_batch: int = 1000
    seed: int = 0
    out_dir: str | None = None
    plot_formats: list[str] = Field(default_factory=lambda: ["png"])
    lang: str = "en"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _check_config(cfg: TabularConfig, model: ModelAdapter | None) -> list[str]:
    problems = []
    tests = list(dict.fromkeys(cfg.tests or TESTS))
    known: tuple[str, ...] = TESTS
    if not set(tests) <= set(TESTS):  # plug-in test families (tianping.tabular_tests) are looked up only when named
        from .registry import known_tests

        known = known_tests()
    for t in tests:
        if t not in known:
            problems.append(Problem(f"unknown test '{t}'; choose from {', '.join(known)}", field="--tests"))
    if model is None and cfg.model is None and cfg.predictions is None:
        problems.append(Problem("give a model (--model) or a column of precomputed predictions (--predictions)", field="--model"))
    if (cfg.model is not None or model is not None) and cfg.predictions is not None:
        problems.append(Problem("give either --model or --predictions, not both", field="--predictions"))
    for t in ("fairness", "counterfactual"):
        if t in tests and not cfg.sensitive:
            if cfg.tests is not None:
                problems.append(Problem(f"the {t} test needs --sensitive (one or more columns)", field="--sensitive"))
            else:
                tests.remove(t)
    for fmt in cfg.plot_formats:
        if fmt not in ("png", "svg"):
            problems.append(Problem(f"plot format '{fmt}' is not png or svg", field="--plots"))
    if not 0 < cfg.confidence < 1:
        problems.append(Problem("confidence must be between 0 and 1", field="--confidence"))
    if problems:
        raise TianpingError(problems, title="bad options")
    return tests


def plan_tests(cfg: TabularConfig, adapter: ModelAdapter | None) -> tuple[list[str], list[str]]:
    """The tests a run of `cfg` runs (in order) and the notes on the ones it skips; `adapter` is the
    loaded model or None (precomputed predictions)."""
    tests = _check_config(cfg, adapter)
    notes: list[str] = []
    if "fairness" not in tests and cfg.tests is None:
        notes.append("fairness and counterfactual skipped: no sensitive features given (--sensitive)")
    if adapter is None and cfg.model is None:
        for t in ("counterfactual", "robustness", "explain"):
            if t in tests:
                if cfg.tests is not None:
                    raise TianpingError(
                        Problem(
                            f"the {t} test queries a model: give --model (precomputed predictions cannot be re-queried)",
                            field="--tests",
                        ),
                        title="bad options",
                    )
                tests.remove(t)
                notes.append(f"{t} skipped: no model to query (precomputed predictions)")
    return tests, notes


def run_tabular(cfg: TabularConfig, *, model: Any = None, progress: Progress | None = None) -> TabularResult:
    """Run the requested tests and return the validated result document."""
    t_start = time.perf_counter()
    prefetch = _start_prefetch(cfg, model)
    try:
        return _run_tabular(cfg, model, progress, prefetch, t_start)
    finally:  # a run that failed before using the prefetched reader closes it instead of leaving it to the GC
        if prefetch is not None:
            prefetch.discard()


def _run_tabular(
    cfg: TabularConfig, model: Any, progress: Progress | None, prefetch: datamod.CsvPrefetch | None, t_start: float
) -> TabularResult:
    started = _now()
    say = progress or (lambda stage, rows: None)
    adapter = (
        load_model(
            model if model is not None else cfg.model,
            trust_pickle=cfg.trust_pickle,
            trusted_types=cfg.trusted_types,
            http_batch=cfg.http_batch,
        )
        if (model is not None or cfg.model)
        else None
    )
    tests, notes = plan_tests(cfg, adapter)
    # A user's thresholds file is checked before any work; the bundled spec cannot be wrong in the same way
    # and is loaded while the model runs (numeric path) or after the read.
    spec = load_spec(cfg.thresholds) if cfg.thresholds else None
    src = datamod.open_table(cfg.data)
    src.require([cfg.target], "target")
    src.require(cfg.sensitive, "sensitive feature")
    pred_src = datamod.open_table(cfg.predictions_file) if cfg.predictions_file else src
    pred_file = str(pred_src.path)
    if cfg.predictions:
        pred_src.require([cfg.predictions], "predictions")
    if cfg.scores and adapter is not None:
        raise TianpingError(
            Problem("--scores go with --predictions; a model gives its own probabilities", field="--scores"), title="bad options"
        )
    score_spec = parse_scores(cfg.scores, pred_src.columns)
    score_cols = [c for _, c in score_spec]
    if score_cols:
        pred_src.require(score_cols, "scores")
    reserved = {cfg.target, cfg.predictions, *score_cols}
    if cfg.features is not None:
        features = list(cfg.features)
    elif adapter is not None and adapter.feature_names is not None:
        features = list(adapter.feature_names)
    else:
        features = [c for c in src.columns if c not in reserved]
    src.require(features, "model input" if adapter is not None and cfg.features is None else "feature")
    if cfg.target in features:
        raise TianpingError(
            Problem(f"the target '{cfg.target}' is also listed as a feature", field=cfg.target), title="bad options"
        )
    categorical = list(cfg.categorical or [])
    src.require(categorical, "categorical feature")
    read_cols = list(
        dict.fromkeys(
            [
                *features,
                cfg.target,
                *cfg.sensitive,
                *([] if cfg.predictions_file else [c for c in (cfg.predictions, *score_cols) if c]),
            ]
        )
    )
    need_sample = bool({"robustness", "explain", "quality", "counterfactual"} & set(tests))
    sample = datamod.RowSample(cfg.sample_rows, cfg.seed) if need_sample else None
    quality_stats = None
    if "quality" in tests:
        from .quality import QualityStats

        quality_stats = QualityStats(list(dict.fromkeys([*features, cfg.target])), cfg.sensitive)

    # ---- one pass over the data
    say("read", 0)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    y_parts, pred_parts, proba_parts, sens_parts = [], [], [], []
    rows = 0
    # Plain number columns into a model that takes a numeric matrix, and no test that needs rows kept
    # (fairness, performance): arrays straight from Arrow, no DataFrames. Anything else reads frames.
    numeric_chunks = None
    if adapter is not None and adapter.numeric_only and sample is None and quality_stats is None:
        fits, numeric_chunks = prefetch.take(read_cols, cfg.chunk_rows) if prefetch is not None else (False, None)
        if not fits:
            numeric_chunks = datamod.iter_numeric_chunks(src, read_cols, cfg.chunk_rows)
    elif prefetch is not None:
        prefetch.discard()
    data_sha256: str | None = None
    groupings: list[Grouping] | None = None
    groupings_error: TianpingError | None = None
    numeric_sensitive: dict[str, np.ndarray] = {}
    if numeric_chunks is not None and adapter is not None:
        adapter.check_width(features)
        dtype = adapter.input_dtype if adapter.input_dtype in (np.float32, np.float64) else np.float64
        # The model runs on a worker thread (onnxruntime, XGBoost and LightGBM release the GIL) while this
        # thread parses the next chunk and, after the last one, does the work that does not need predictions.
        with ThreadPoolExecutor(max_workers=1) as pool:
            running: Future | None = None

            def collect(fut: Future) -> None:
                nonlocal rows
                p, n = fut.result()
                pred_parts.append(p.labels)
                if p.proba is not None:
                    proba_parts.append(p.proba)
                rows += n
                say("read", rows)

            for arrays in numeric_chunks:
                n = len(arrays[cfg.target])
                y_parts.append(arrays[cfg.target])
                if cfg.sensitive:
                    sens_parts.append({c: arrays[c] for c in cfg.sensitive})
                x = np.empty((n, len(features)), dtype=dtype)  # what DataFrame.to_numpy(dtype) gives, in C order
                for j, c in enumerate(features):
                    x[:, j] = arrays[c]
                if running is not None:  # at most one chunk in flight: memory stays at two chunks
                    collect(running)
                running = pool.submit(_predict_chunk, adapter, x, n)
            # What needs no predictions, done while the model runs (GIL-bound Python here, the model in C).
            if sens_parts:
                numeric_sensitive = {c: np.concatenate([part[c] for part in sens_parts]) for c in cfg.sensitive}
            if "fairness" in tests and numeric_sensitive:
                try:
                    groupings = _numeric_groupings(numeric_sensitive, cfg.intersections)
                except TianpingError as exc:  # raised where the groupings are used, after any model or label error
                    groupings_error = exc
            if spec is None:
                spec = load_spec(None)
            if "fairness" in tests:
                load_guide()
            data_sha256 = _sha256(cfg.data)
            if running is not None:
                collect(running)
    for chunk in datamod.iter_chunks(src, read_cols, cfg.chunk_rows) if numeric_chunks is None else ():
        y_parts.append(chunk[cfg.target].to_numpy())
        if cfg.sensitive:
            sens_parts.append(chunk[cfg.sensitive])
        if adapter is not None:
            p = _model_predict(adapter, adapter.predict, chunk[features], len(chunk))
            pred_parts.append(p.labels)
            if p.proba is not None:
                proba_parts.append(p.proba)
        elif not cfg.predictions_file:
            pred_parts.append(chunk[cfg.predictions].to_numpy())
            if score_cols:
                proba_parts.append(_score_matrix(chunk, score_cols, pred_file))
        if quality_stats is not None:
            quality_stats.add(chunk)
        if sample is not None:
            sample.add(chunk)
        rows += len(chunk)
        say("read", rows)
    if cfg.predictions_file:
        pf = datamod.read_all(cfg.predictions_file, [c for c in (cfg.predictions, *score_cols) if c])
        if len(pf) != rows:
            raise TianpingError(
                Problem(
                    f"the predictions file has {len(pf)} rows but the data has {rows}; they must be row-aligned",
                    file=cfg.predictions_file,
                    field=cfg.predictions,
                ),
                title="length mismatch",
            )
        pred_parts = [pf[cfg.predictions].to_numpy()]
        if score_cols:
            proba_parts = [_score_matrix(pf, score_cols, pred_file)]
    timings["read_predict"] = time.perf_counter() - t0
    if spec is None:
        spec = load_spec(None)
    y_raw = np.concatenate(y_parts) if y_parts else np.empty(0)
    pred_raw = np.concatenate(pred_parts) if pred_parts else np.empty(0)
    proba = np.concatenate(proba_parts) if proba_parts else None
    if proba is not None and len(proba) != len(pred_raw):
        proba = None
        notes.append("probabilities were not returned for every row and are ignored")
    _check_outputs(pred_raw, proba, adapter, cfg, pred_file, score_cols)
    task_hint = None if cfg.task == "auto" else ("regression" if cfg.task == "regression" else "classification")
    model_classes = adapter.classes if adapter is not None else None
    if adapter is not None and adapter.task == "regression" and task_hint is None:
        task_hint = "regression"
    if score_cols and task_hint is None:
        task_hint = "classification"
    enc = encode(
        y_raw,
        pred_raw,
        None if score_cols else proba,
        model_classes=model_classes,
        task_hint=task_hint,
        target=cfg.target,
        positive_label=cfg.positive_label,
    )
    if score_cols and proba is not None:
        enc.proba = arrange_scores(proba, score_spec, enc)
    if cfg.task in ("binary", "multiclass") and enc.task != cfg.task:
        raise TianpingError(
            Problem(f"--task {cfg.task} but the target has {len(enc.classes)} classes", field="--task"), title="bad options"
        )
    if numeric_chunks is not None:
        sensitive: Any = numeric_sensitive
    else:
        import pandas as pd

        sensitive = pd.concat(sens_parts, ignore_index=True) if sens_parts else pd.DataFrame()

    metrics: list[Metric] = []
    aux: dict[str, Any] = {}
    recommendation = None
    if "performance" in tests:
        say("performance", rows)
        t0 = time.perf_counter()
        sink = MetricSink(spec, "performance")
        aux["performance"] = (regression_performance if enc.task == "regression" else classification_performance)(sink, enc)
        metrics += sink.metrics
        timings["performance"] = time.perf_counter() - t0
    if "fairness" in tests:
        say("fairness", rows)
        t0 = time.perf_counter()
        sink = MetricSink(spec, "fairness")
        if groupings_error is not None:
            raise groupings_error
        if groupings is None:
            groupings = build_groupings(sensitive, intersections=cfg.intersections)
        fn = regression_fairness if enc.task == "regression" else classification_fairness
        aux["fairness"] = fn(sink, enc, groupings, n_boot=cfg.bootstrap, level=cfg.confidence, seed=cfg.seed)
        metrics += sink.metrics
        recommendation = recommend(cfg.context, enc.task, sink.metrics)
        timings["fairness"] = time.perf_counter() - t0
    sample_frame = sample.result() if sample is not None else None
    sample_enc = _sample_encoding(sample_frame, enc, cfg.target) if sample_frame is not None and len(sample_frame) else None
    if "quality" in tests and quality_stats is not None:
        say("quality", rows)
        t0 = time.perf_counter()
        from .quality import load_reference_distribution, run_quality

        sink = MetricSink(spec, "quality")
        reference = ref_hashes = None
        if cfg.reference:
            ref_src = datamod.open_table(cfg.reference)
            common = [c for c in quality_stats.columns if c in ref_src.columns]
            reference = datamod.read_all(
                cfg.reference, list(dict.fromkeys(common + [c for c in cfg.sensitive if c in ref_src.columns]))
            )
            if common == quality_stats.columns:
                import pandas as pd

                ref_hashes = pd.util.hash_pandas_object(reference[common], index=False).to_numpy()
            else:
                notes.append("train_test_overlap_rate skipped: the reference data lacks some columns")
        dist = load_reference_distribution(cfg.reference_distribution) if cfg.reference_distribution else None
        aux["quality"] = run_quality(
            sink,
            quality_stats,
            y=enc.y if enc.task != "regression" else np.empty(0, dtype=np.int64),
            class_names=enc.class_names,
            task=enc.task,
            positive=enc.positive,
            sample=sample_frame,
            features=features,
            target=cfg.target,
            reference=reference,
            reference_distribution=dist,
            ref_hashes=ref_hashes,
            sample_y=sample_enc.y if sample_enc is not None else None,
        )
        metrics += sink.metrics
        timings["quality"] = time.perf_counter() - t0
    if (
        adapter is not None
        and sample_frame is not None
        and sample_enc is not None
        and {"robustness", "explain", "counterfactual"} & set(tests)
    ):
        import pandas as pd

        from .querier import Querier

        numeric = [c for c in features if c not in categorical and pd.api.types.is_numeric_dtype(sample_frame[c])]
        sens_inputs = [c for c in cfg.sensitive if c in features]
        protected = [] if cfg.perturb_sensitive else sens_inputs
        if "counterfactual" in tests:
            say("counterfactual", rows)
            t0 = time.perf_counter()
            from .counterfactual import run_counterfactual

            not_inputs = [c for c in cfg.sensitive if c not in features]
            if not_inputs:
                notes.append(
                    f"counterfactual: {', '.join(not_inputs)} not a model input, so changing it cannot change a "
                    "decision (proxies of it are not tested here; see the fairness metrics)"
                )
            k = min(cfg.counterfactual_rows, len(sample_frame))
            q = Querier(adapter, sample_frame[features].iloc[:k], _subset(sample_enc, k), numeric)
            sink = MetricSink(spec, "counterfactual")
            aux["counterfactual"] = run_counterfactual(
                sink, q, {c: sensitive[c] for c in sens_inputs}, n_boot=cfg.bootstrap, level=cfg.confidence, seed=cfg.seed
            )
            metrics += sink.metrics
            timings["counterfactual"] = time.perf_counter() - t0
        if "robustness" in tests:
            say("robustness", rows)
            t0 = time.perf_counter()
            from .robustness import run_robustness

            movable = [c for c in numeric if c not in protected]
            cats = [c for c in features if c not in numeric and c not in protected]
            k = min(cfg.robustness_rows, len(sample_frame))
            frame_k = sample_frame[features].iloc[:k]
            twovalued = [c for c in movable if frame_k[c].nunique(dropna=True) <= 2]
            if twovalued:
                notes.append(
                    f"robustness: numeric columns with at most two values are moved by noise and the attack as if "
                    f"continuous: {', '.join(twovalued[:10])}; list codes or indicators in --categorical"
                )
            if protected:
                notes.append(
                    f"robustness: sensitive columns {', '.join(protected)} are held fixed (--perturb-sensitive to move them)"
                )
            q = Querier(adapter, frame_k, _subset(sample_enc, k), movable)
            sink = MetricSink(spec, "robustness")
            aux["robustness"] = run_robustness(
                sink,
                q,
                categorical=cats,
                attack=cfg.attack,
                epsilon=cfg.epsilon,
                iterations=cfg.attack_iterations,
                seed=cfg.seed,
                protected=protected,
            )
            if aux["robustness"].get("attack_skipped"):
                notes.append("boundary attack skipped: " + aux["robustness"]["attack_skipped"])
            metrics += sink.metrics
            timings["robustness"] = time.perf_counter() - t0
        if "explain" in tests:
            say("explain", rows)
            t0 = time.perf_counter()
            from .explain import run_explain

            k = min(cfg.explain_rows, len(sample_frame))
            q = Querier(adapter, sample_frame[features].iloc[:k], _subset(sample_enc, k), numeric)
            sink = MetricSink(spec, "explain")
            aux["explain"] = run_explain(
                sink,
                q,
                shap_background=cfg.shap_background,
                shap_samples=cfg.shap_samples,
                shap_max_evals=cfg.shap_max_evals,
                seed=cfg.seed,
                shap_explainer=cfg.shap_explainer,
            )
            metrics += sink.metrics
            timings["explain"] = time.perf_counter() - t0
    if not set(tests) <= set(TESTS):  # plug-in families: their evidence rows judged by the shared rules (registry.py)
        from .registry import run_plugin_tests

        metrics += run_plugin_tests(
            tests,
            enc=enc,
            sensitive=sensitive,
            features=features,
            target=cfg.target,
            model=adapter,
            n_rows=rows,
            seed=cfg.seed,
            config=cfg.model_dump(mode="json"),
            timings=timings,
        )
    plots = []
    if cfg.out_dir:
        say("plots", rows)
        t0 = time.perf_counter()
        from .plots import render

        plots = render(aux, Path(cfg.out_dir) / "plots", cfg.plot_formats, cfg.lang)
        timings["plots"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    result = TabularResult(
        run_id=str(uuid.uuid4()),
        created_at=started,
        config=cfg.model_dump(mode="json")
        | {
            "model_kind": adapter.kind if adapter else "predictions",
            "features": features,
            "data_sha256": data_sha256 if data_sha256 is not None else _sha256(cfg.data),
            **({"predictions_file_sha256": _sha256(cfg.predictions_file)} if cfg.predictions_file else {}),
        },
        task=cast(TaskName, enc.task),  # encode() sets one of these three
        n_rows=rows,
        labels=enc.class_names or None,
        positive_label=enc.class_names[enc.positive] if enc.positive is not None else None,
        tests=tests,
        metrics=metrics,
        summary=summarise(metrics),
        recommendation=recommendation,
        plots=plots,
        notes=notes,
        timings={k: round(v, 4) for k, v in timings.items()},
    )
    if cfg.out_dir:
        _write_json(Path(cfg.out_dir) / "results.json", result)
    return result


def _start_prefetch(cfg: TabularConfig, model: Any) -> datamod.CsvPrefetch | None:
    """Start parsing the CSV while the model loads, when the run will most likely take the numeric path:
    a model file, the columns named (--features), only tests that keep no rows. Otherwise None."""
    numeric_tests = cfg.tests is not None and set(cfg.tests) <= {"fairness", "performance"}
    if model is not None or not cfg.model or cfg.features is None or cfg.predictions_file or not numeric_tests:
        return None
    if Path(cfg.data).suffix.lower() not in datamod.CSV_SUFFIXES or cfg.model.startswith(("http://", "https://", "python:")):
        return None
    return datamod.CsvPrefetch(cfg.data, [*cfg.features, cfg.target, *cfg.sensitive], cfg.chunk_rows)


def _predict_chunk(adapter: ModelAdapter, x: np.ndarray, n: int) -> tuple[Any, int]:
    return _model_predict(adapter, adapter.predict_array, x, n), n


def _numeric_groupings(sensitive: dict[str, np.ndarray], intersections: bool) -> list[Grouping]:
    """The fairness groupings, built while the model predicts the last chunk (they need no predictions).

    numpy.random (the bootstrap's generators) and numpy.ma (which numpy's percentile imports for the
    intervals) are imported here too, so that ~25 ms of imports also happen while the model runs."""
    import numpy.ma  # noqa: F401
    import numpy.random  # noqa: F401

    return build_groupings(sensitive, intersections=intersections)


def _sha256(path: str) -> str | None:
    """The data file's identity for the evidence record (read in 1 MB blocks)."""
    import hashlib

    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def _score_matrix(frame: pd.DataFrame, cols: list[str], file: str) -> np.ndarray:
    """Score columns as a float matrix; a text column is a located error, not a traceback."""
    import pandas as pd

    for c in cols:
        if not (pd.api.types.is_numeric_dtype(frame[c]) or frame[c].isna().all()):
            bad = pd.to_numeric(frame[c], errors="coerce").isna() & frame[c].notna()
            example = frame[c][bad].iloc[0] if bad.any() else None
            raise TianpingError(
                Problem(
                    f"score column '{c}' is not numeric (e.g. {example!r}); scores are probabilities in [0, 1]",
                    file=file,
                    field=c,
                ),
                title="bad scores",
            )
    return frame[cols].to_numpy(dtype=np.float64, na_value=np.nan)


def _model_predict(adapter: ModelAdapter, call: Callable[[Any], Any], inputs: Any, n_rows: int) -> Any:
    """One chunk through the model; a model that fails or answers the wrong number of rows is a located error."""
    try:
        p = call(inputs)
    except TianpingError:
        raise
    except Exception as exc:  # the model rejected data of the declared shape: say so, no traceback
        raise TianpingError(
            Problem(
                f"the {adapter.kind} model failed on the data: {type(exc).__name__}: {str(exc)[:300]}",
                file=adapter.source,
                field="--model",
            ),
            title="model error",
        ) from None
    if len(p.labels) != n_rows:
        raise TianpingError(
            Problem(f"the model returned {len(p.labels)} predictions for {n_rows} rows", field="--model"), title="length mismatch"
        )
    return p


def _check_outputs(
    pred: np.ndarray,
    proba: np.ndarray | None,
    adapter: ModelAdapter | None,
    cfg: TabularConfig,
    pred_file: str,
    score_cols: list[str],
) -> None:
    """Missing, NaN or infinite predictions or scores are refused, naming the file, column and first row."""
    i, cnt = first_bad(pred)
    if cnt:
        if adapter is not None:
            msg = Problem(
                f"the model returned a missing or non-finite prediction for data row {i + 1} ({cnt} rows in all)",
                file=cfg.data,
                field="--model",
            )
        else:
            msg = Problem(
                f"column '{cfg.predictions}' has a missing or non-finite value at data row {i + 1} ({cnt} rows in all); "
                "every row needs a prediction (drop those rows first)",
                file=pred_file,
                field=cfg.predictions,
            )
        raise TianpingError(msg, title="bad predictions")
    if proba is None:
        return
    i, cnt = first_bad(proba)
    if cnt:
        if adapter is not None:
            msg = Problem(
                f"the model returned a missing or non-finite probability for data row {i + 1} ({cnt} rows in all)",
                file=cfg.data,
                field="--model",
            )
        else:
            j = int(np.flatnonzero(~np.isfinite(proba[i]))[0])
            msg = Problem(
                f"score column '{score_cols[j]}' has a missing or non-finite value ({proba[i, j]!r}) at data row {i + 1} "
                f"({cnt} rows in all)",
                file=pred_file,
                field=score_cols[j],
            )
        raise TianpingError(msg, title="bad scores")
    if score_cols:
        out = (proba < 0) | (proba > 1)
        if out.any():
            i, j = (int(v[0]) for v in np.nonzero(out))
            raise TianpingError(
                Problem(
                    f"score column '{score_cols[j]}' has {proba[i, j]!r} at data row {i + 1}: scores are probabilities in [0, 1]",
                    file=pred_file,
                    field=score_cols[j],
                ),
                title="bad scores",
            )


def _sample_encoding(frame: pd.DataFrame, enc: Encoded, target: str) -> Encoded:
    y = frame[target].to_numpy()
    if enc.task == "regression":
        codes = y.astype(np.float64)
    else:
        codes = _codes(y, enc.classes, enc.class_names, f"target column '{target}'", target)
    return Encoded(enc.task, codes, codes, None, enc.classes, enc.positive)


def _subset(enc: Encoded, k: int) -> Encoded:
    return Encoded(enc.task, enc.y[:k], enc.pred[:k], None, enc.classes, enc.positive)


def _write_json(path: Path, result: TabularResult) -> None:
    """Write to a temporary file and rename, so a failed run never leaves half a results file."""
    from ...outputs import os_error, write_text

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, path.parent, "--out") from None
    write_text(path, result.model_dump_json(indent=2), "--out")
