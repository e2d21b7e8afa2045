"""Model adapters: one small interface over safe model formats.

Why: an auditor receives a model from someone else. Loading a pickle runs whatever code its
author put in it, so Tianping prefers formats that are data, not code: ONNX (onnxruntime), skops
(loaded only when every type in it is on an explicit trusted list), XGBoost and LightGBM native
files, an HTTP endpoint, or no model at all (precomputed predictions). Pickle is refused unless
the user passes `--trust-pickle`, and the refusal says why. A Python callable is accepted from the
Python API, or from the CLI as `python:module:attr` naming code the user already has installed.

Every adapter answers `predict(frame) -> Prediction` on a DataFrame of the model's features;
models that take a plain numeric matrix also answer `predict_array`, which the robustness attack
uses to query millions of perturbed rows without building DataFrames.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ...errors import Problem, TianpingError

if TYPE_CHECKING:  # frames come from the caller; pandas is imported only where its helpers are used
    import pandas as pd

PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".sav", ".dill"}
# joblib.dump(..., compress=...) wraps the pickle in one of these (model.joblib.gz, model.pkl.z, ...)
COMPRESSED_SUFFIXES = {".z", ".gz", ".bz2", ".xz", ".lzma", ".lz4"}
# Internal sklearn data holders that skops does not trust by default but that hold arrays, not code.
DEFAULT_SKOPS_TRUSTED = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
)
TREE_ESTIMATORS = {
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "XGBClassifier",
    "XGBRegressor",
    "LGBMClassifier",
    "LGBMRegressor",
}


@dataclass
class Prediction:
    """Predicted labels (classification) or values (regression), and class probabilities if known."""

    labels: np.ndarray
    proba: np.ndarray | None = None


@dataclass
class ModelAdapter:
    """Base class: subclasses fill `_predict` and declare what they know about the model."""

    source: str
    kind: str = "model"
    task: str | None = None  # "classification" | "regression" | None when unknown
    classes: list[Any] | None = None  # order of the probability columns
    feature_names: list[str] | None = None
    numeric_only: bool = False
    n_features: int | None = None
    tree: Any = None  # an object shap.TreeExplainer accepts, when the model is a tree ensemble
    input_dtype: Any = np.float64  # what predict_array casts a numeric matrix to
    _checked: bool = field(default=False, repr=False)

    def predict(self, frame: pd.DataFrame) -> Prediction:
        if not self._checked:
            self.check_frame(frame)
            self._checked = True
        if self.numeric_only:
            # straight to the dtype the model takes: one copy instead of float64 then a cast
            dtype = self.input_dtype if self.input_dtype in (np.float32, np.float64) else np.float64
            return self.predict_array(frame.to_numpy(dtype=dtype, na_value=np.nan))
        return self._predict(frame)

    def predict_array(self, x: np.ndarray) -> Prediction:
        raise NotImplementedError

    def _predict(self, frame: pd.DataFrame) -> Prediction:
        raise NotImplementedError

    def check_frame(self, frame: pd.DataFrame) -> None:
        """Reject inputs the model cannot take, naming the column."""
        if self.numeric_only:
            import pandas as pd

            problems = []
            for col in frame.columns:
                if not (pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col])):
                    example = frame[col].dropna().iloc[0] if frame[col].notna().any() else None
                    problems.append(
                        Problem(
                            f"column '{col}' is not numeric (e.g. {example!r}), but the {self.kind} model takes a numeric "
                            "matrix: encode it as numbers, or export the model together with its preprocessing",
                            field=col,
                        )
                    )
            if problems:
                raise TianpingError(problems, title="non-numeric feature")
        self.check_width(list(frame.columns))

    def check_width(self, columns: Sequence[Any]) -> None:
        """A model of a fixed input width refuses any other number of columns, listing them."""
        if self.n_features is not None and len(columns) != self.n_features:
            raise TianpingError(
                f"the {self.kind} model expects {self.n_features} features but {len(columns)} columns were given "
                f"({', '.join(map(str, columns[:20]))}); choose them with --features",
                title="feature count mismatch",
            )


def _usable_cores() -> int:
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _as_prediction(labels: np.ndarray | None, proba: np.ndarray | None, classes: Sequence[Any] | None) -> Prediction:
    if proba is not None:
        proba = np.asarray(proba, dtype=np.float64)
        if proba.ndim == 1:
            proba = np.column_stack([1.0 - proba, proba])
        if labels is None:
            cls = np.asarray(classes) if classes is not None else np.arange(proba.shape[1])
            labels = cls[np.argmax(proba, axis=1)]
    return Prediction(np.asarray(labels).ravel(), proba)


# ---------------------------------------------------------------------------------------- ONNX
class OnnxModel(ModelAdapter):
    """onnxruntime on CPU. One 2-D tensor input = a numeric matrix; several inputs = one per column."""

    def __init__(self, path: Path):
        import onnxruntime as ort

        super().__init__(source=str(path), kind="ONNX")
        try:
            opts = ort.SessionOptions()
            opts.log_severity_level = 3
            # One intra-op thread per usable core, and no busy-waiting between operator calls: spinning
            # threads only burn CPU that the next chunk's reading needs (and stall badly on a shared host).
            opts.intra_op_num_threads = _usable_cores()
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self.sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise TianpingError(Problem(f"not a loadable ONNX model: {exc}", file=str(path)), title="unreadable model") from None
        self.inputs = self.sess.get_inputs()
        outs = self.sess.get_outputs()
        self.out_names = [o.name for o in outs]
        self.label_out = next((o.name for o in outs if o.type in ("tensor(int64)", "tensor(string)", "tensor(int32)")), None)
        self.proba_out = next(
            (
                o.name
                for o in outs
                if o.name != self.label_out
                and (o.type.startswith("seq(map") or o.type == "tensor(float)" or o.type == "tensor(double)")
            ),
            None,
        )
        self.task = "classification" if self.label_out is not None else "regression"
        self.classes = self._class_labels(path)
        if len(self.inputs) == 1 and len(self.inputs[0].shape or []) == 2:
            self.mode = "matrix"
            self.numeric_only = True
            width = self.inputs[0].shape[1]
            self.n_features = width if isinstance(width, int) else None
            self.dtype = (
                np.float64
                if self.inputs[0].type == "tensor(double)"
                else (np.int64 if self.inputs[0].type == "tensor(int64)" else np.float32)
            )
            self.input_dtype = self.dtype
        else:
            self.mode = "columns"
            self.feature_names = [i.name for i in self.inputs]

    def _class_labels(self, path: Path) -> list[Any] | None:
        # Read from the protobuf directly: importing the `onnx` package for this costs more than a fairness run.
        from .onnxtrees import CLASS_LABEL_ATTRIBUTES, class_labels, read_graph_nodes

        try:
            self._graph: Any = read_graph_nodes(path, CLASS_LABEL_ATTRIBUTES)
        except (ValueError, IndexError, UnicodeDecodeError):
            self._graph = None
            return None
        return class_labels(self._graph[0])

    @property
    def onnx_trees(self) -> Any:
        """The model's tree ensemble as arrays (see `onnxtrees.read_onnx_trees`), or None."""
        if not hasattr(self, "_trees"):
            from .onnxtrees import read_onnx_trees

            self._trees = None
            if self.mode == "matrix" and self._graph is not None:
                try:
                    self._trees = read_onnx_trees(self.source, *self._graph)
                except (ValueError, IndexError, KeyError, UnicodeDecodeError):
                    self._trees = None
        return self._trees

    def _run(self, feeds: dict[str, np.ndarray]) -> Prediction:
        outs = dict(zip(self.out_names, self.sess.run(None, feeds), strict=False))
        if self.task == "regression":
            return Prediction(np.asarray(outs[self.out_names[0]], dtype=np.float64).ravel(), None)
        labels = np.asarray(outs[self.label_out]).ravel()
        proba = outs.get(self.proba_out) if self.proba_out else None
        if isinstance(proba, list):  # ZipMap: a list of {class: p}
            keys = list(proba[0].keys()) if proba else []
            self.classes = self.classes or keys
            proba = np.array([[d[k] for k in keys] for d in proba], dtype=np.float64)
        if proba is not None and self.classes is None:
            self.classes = list(range(np.asarray(proba).shape[1]))
        return _as_prediction(labels, proba, self.classes)

    def predict_array(self, x: np.ndarray) -> Prediction:
        return self._run({self.inputs[0].name: np.ascontiguousarray(x, dtype=self.dtype)})

    def _predict(self, frame: pd.DataFrame) -> Prediction:
        feeds = {}
        for inp in self.inputs:
            col = frame[inp.name]
            if inp.type == "tensor(string)":
                arr = col.astype(str).to_numpy(dtype=object).reshape(-1, 1)
            elif inp.type == "tensor(int64)":
                arr = col.to_numpy(dtype=np.int64).reshape(-1, 1)
            elif inp.type == "tensor(double)":
                arr = col.to_numpy(dtype=np.float64).reshape(-1, 1)
            else:
                arr = col.to_numpy(dtype=np.float32).reshape(-1, 1)
            feeds[inp.name] = arr
        return self._run(feeds)

    def check_frame(self, frame: pd.DataFrame) -> None:
        if self.mode == "columns":
            import pandas as pd

            problems = []
            for inp in self.inputs:
                if inp.type != "tensor(string)" and not pd.api.types.is_numeric_dtype(frame[inp.name]):
                    problems.append(
                        Problem(
                            f"column '{inp.name}' is not numeric, but the ONNX input '{inp.name}' is {inp.type}", field=inp.name
                        )
                    )
            if problems:
                raise TianpingError(problems, title="non-numeric feature")
            return
        super().check_frame(frame)


# ---------------------------------------------------------------------- scikit-learn estimators
class EstimatorModel(ModelAdapter):
    """An in-memory estimator with `predict` (and maybe `predict_proba`): skops, pickle or Python."""

    def __init__(self, est: Any, source: str, kind: str):
        super().__init__(source=source, kind=kind)
        self.est = est
        self.classes = list(est.classes_) if hasattr(est, "classes_") else None
        is_clf = (
            getattr(est, "_estimator_type", None) == "classifier" or hasattr(est, "predict_proba") or self.classes is not None
        )
        self.task = "classification" if is_clf else ("regression" if hasattr(est, "predict") else None)
        names = getattr(est, "feature_names_in_", None)
        self.feature_names = [str(n) for n in names] if names is not None else None
        if type(est).__name__ in TREE_ESTIMATORS:
            self.tree = est

    def _predict(self, frame: pd.DataFrame) -> Prediction:
        if self.task == "classification" and hasattr(self.est, "predict_proba"):
            return _as_prediction(None, self.est.predict_proba(frame), self.classes)
        return Prediction(np.asarray(self.est.predict(frame)).ravel(), None)


def load_skops(path: Path, trusted_types: Sequence[str] = ()) -> EstimatorModel:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise TianpingError(Problem(f"not a readable skops file: {exc}", file=str(path)), title="unreadable model") from None
    allowed = set(DEFAULT_SKOPS_TRUSTED) | set(trusted_types)
    refused = [t for t in untrusted if t not in allowed]
    if refused:
        raise TianpingError(
            Problem(
                "the skops file contains types that are not on the trusted list: "
                + ", ".join(refused)
                + ". Loading them could run code from the file; after checking each one, pass --trust-type NAME",
                file=str(path),
            ),
            title="untrusted model types",
        )
    est = sio.load(path, trusted=list(untrusted))
    return EstimatorModel(est, str(path), "skops")


def _looks_like_pickle(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(2)
    return len(head) == 2 and head[0] == 0x80 and head[1] <= 5  # PROTO opcode + protocol 2..5


def _is_pickle_path(path: Path) -> bool:
    """A pickle or joblib file by name (also compressed: model.joblib.gz) or by its first bytes."""
    suffixes = [x.lower() for x in path.suffixes]
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return True
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES and any(x in PICKLE_SUFFIXES for x in suffixes[:-1]):
        return True
    return _looks_like_pickle(path)


def load_pickle(path: Path, trust_pickle: bool) -> ModelAdapter:
    if not trust_pickle:
        raise TianpingError(
            Problem(
                "refusing to load a pickle: unpickling runs code chosen by whoever made the file, so a model from "
                "someone else could take over this machine. Convert it to ONNX or skops, or pass --trust-pickle only "
                "if you made the file yourself",
                file=str(path),
            ),
            title="unsafe model format",
        )
    kind = "pickle"
    try:
        try:  # joblib reads its own files (arrays stored beside the pickle, compression) and plain pickles alike
            import joblib
        except ImportError:  # pragma: no cover - joblib comes with scikit-learn
            joblib = None
        if joblib is not None:
            est = joblib.load(path)  # noqa: S301 - explicitly trusted by the user
            kind = "joblib" if any(x.lower() == ".joblib" for x in path.suffixes) else "pickle"
        else:
            import pickle

            with path.open("rb") as f:
                est = pickle.load(f)  # noqa: S301 - explicitly trusted by the user
    except TianpingError:
        raise
    except Exception as exc:  # a truncated file, a class that is not installed, ...
        raise TianpingError(
            Problem(
                f"cannot load the trusted pickle/joblib model: {type(exc).__name__}: {str(exc)[:300]}",
                file=str(path),
                field="--model",
            ),
            title="unreadable model",
        ) from None
    if not (hasattr(est, "predict") or callable(est)):
        raise TianpingError(
            Problem(f"the file holds a {type(est).__name__}, not a model with predict()", file=str(path), field="--model"),
            title="unreadable model",
        )
    if not hasattr(est, "predict"):
        return CallableModel(est, source=str(path))
    return EstimatorModel(est, str(path), kind)


# ------------------------------------------------------------------------- XGBoost / LightGBM
class XGBoostModel(ModelAdapter):
    """An XGBoost Booster saved with `save_model` (.json or .ubj)."""

    def __init__(self, path: Path):
        import xgboost as xgb

        super().__init__(source=str(path), kind="XGBoost", numeric_only=True, input_dtype=np.float32)
        try:
            self.booster = xgb.Booster(model_file=str(path))
        except xgb.core.XGBoostError as exc:
            raise TianpingError(
                Problem(f"not a loadable XGBoost model: {str(exc).splitlines()[0]}", file=str(path)), title="unreadable model"
            ) from None
        cfg = json.loads(self.booster.save_config())["learner"]
        self.objective = cfg["objective"]["name"]
        self.num_class = int(cfg["learner_model_param"].get("num_class", "0") or 0)
        self.feature_names = list(self.booster.feature_names) if self.booster.feature_names else None
        self.n_features = self.booster.num_features()
        self.tree = self.booster
        if self.objective.startswith(("binary:", "multi:")):
            self.task = "classification"
            self.classes = list(range(max(self.num_class, 2)))
        else:
            self.task = "regression"

    def predict_array(self, x: np.ndarray) -> Prediction:
        out = self.booster.inplace_predict(np.ascontiguousarray(x, dtype=np.float32), validate_features=False)
        if self.task == "regression":
            return Prediction(np.asarray(out, dtype=np.float64).ravel())
        if self.objective == "multi:softmax":
            return Prediction(np.asarray(out).astype(np.int64).ravel())
        return _as_prediction(None, out, self.classes)


class LightGBMModel(ModelAdapter):
    """A LightGBM Booster saved with `save_model` (text format)."""

    def __init__(self, path: Path):
        import lightgbm as lgb

        super().__init__(source=str(path), kind="LightGBM", numeric_only=True)
        try:
            self.booster = lgb.Booster(model_file=str(path))
        except lgb.basic.LightGBMError as exc:
            raise TianpingError(
                Problem(f"not a loadable LightGBM model: {exc}", file=str(path)), title="unreadable model"
            ) from None
        objective = str(self.booster.dump_model(num_iteration=1).get("objective", "regression"))
        self.feature_names = list(self.booster.feature_name())
        self.n_features = self.booster.num_feature()
        self.tree = self.booster
        if objective.startswith("binary"):
            self.task, self.classes = "classification", [0, 1]
        elif objective.startswith(("multiclass", "softmax", "multiclassova")):
            self.task, self.classes = "classification", list(range(self.booster.num_model_per_iteration()))
        else:
            self.task = "regression"

    def predict_array(self, x: np.ndarray) -> Prediction:
        out = self.booster.predict(np.ascontiguousarray(x, dtype=np.float64))
        if self.task == "regression":
            return Prediction(np.asarray(out, dtype=np.float64).ravel())
        return _as_prediction(None, cast(np.ndarray, out), self.classes)  # dense input: a dense array back


# ------------------------------------------------------------------------------ HTTP endpoint
class HttpModel(ModelAdapter):
    """A prediction service: POST {"instances": [{column: value}, ...]} in batches.

    The reply must be {"predictions": [...]} and may add {"probabilities": [[...]], "classes": [...]}.
    Batches run on a few threads over one keep-alive connection pool.
    """

    def __init__(self, url: str, batch_size: int = 1000, concurrency: int = 4, timeout: float = 60.0, transport: Any = None):
        import httpx

        super().__init__(source=url, kind="HTTP")
        self.url = url
        self.batch_size = max(1, batch_size)
        self.concurrency = max(1, concurrency)
        self.client = httpx.Client(timeout=timeout, transport=transport)

    def _post(self, frame: pd.DataFrame) -> dict:
        import httpx

        records = json.loads(frame.to_json(orient="records"))  # NaN -> null, numpy -> JSON
        try:
            resp = self.client.post(self.url, json={"instances": records})
        except httpx.HTTPError as exc:
            raise TianpingError(
                Problem(f"prediction endpoint unreachable: {exc}", field="--model"), title="endpoint error"
            ) from None
        if resp.status_code != 200:
            raise TianpingError(
                Problem(f"prediction endpoint answered HTTP {resp.status_code}: {resp.text[:200]}", field="--model"),
                title="endpoint error",
            )
        try:
            body = resp.json()
            if len(body["predictions"]) != len(frame):
                raise ValueError(f"{len(body['predictions'])} predictions for {len(frame)} rows")
        except (ValueError, KeyError, TypeError) as exc:
            raise TianpingError(
                Problem(f"prediction endpoint reply is not {{'predictions': [...]}} for each row: {exc}", field="--model"),
                title="endpoint error",
            ) from None
        return body

    def _predict(self, frame: pd.DataFrame) -> Prediction:
        parts = [frame.iloc[i : i + self.batch_size] for i in range(0, len(frame), self.batch_size)]
        with ThreadPoolExecutor(self.concurrency) as pool:
            bodies = list(pool.map(self._post, parts))
        labels = np.concatenate([np.asarray(b["predictions"]) for b in bodies]) if bodies else np.empty(0)
        proba = None
        if bodies and all("probabilities" in b for b in bodies):
            proba = np.concatenate([np.asarray(b["probabilities"], dtype=np.float64) for b in bodies])
            self.classes = self.classes or bodies[0].get("classes")
        if self.task is None:
            self.task = "regression" if labels.dtype.kind == "f" and proba is None else "classification"
        return _as_prediction(labels, proba, self.classes)


# ----------------------------------------------------------------------------- Python callable
class CallableModel(ModelAdapter):
    """A Python function `f(frame) -> labels` (and optionally `proba(frame) -> (n, k)`)."""

    def __init__(
        self,
        fn: Callable[[pd.DataFrame], Any],
        proba: Callable[[pd.DataFrame], Any] | None = None,
        classes: Sequence[Any] | None = None,
        task: str | None = None,
        source: str = "callable",
    ):
        super().__init__(source=source, kind="callable", task=task, classes=list(classes) if classes is not None else None)
        self.fn, self.proba_fn = fn, proba

    def _predict(self, frame: pd.DataFrame) -> Prediction:
        if self.proba_fn is not None:
            return _as_prediction(None, self.proba_fn(frame), self.classes)
        labels = np.asarray(self.fn(frame)).ravel()
        if self.task is None:
            self.task = "regression" if labels.dtype.kind == "f" else "classification"
        return Prediction(labels)


def _load_python(ref: str) -> ModelAdapter:
    mod_name, _, attr = ref.partition(":")
    if not mod_name or not attr:
        raise TianpingError(Problem("a Python model is given as python:module:attribute", field="--model"), title="bad option")
    try:
        obj = getattr(importlib.import_module(mod_name), attr)
    except (ImportError, AttributeError) as exc:
        raise TianpingError(Problem(f"cannot import '{ref}': {exc}", field="--model"), title="bad option") from None
    if hasattr(obj, "predict"):
        return EstimatorModel(obj, f"python:{ref}", "python")
    if callable(obj):
        return CallableModel(obj, source=f"python:{ref}")
    raise TianpingError(
        Problem(f"'{ref}' is neither a function nor an object with predict()", field="--model"), title="bad option"
    )


def load_model(
    ref: str | Any, *, trust_pickle: bool = False, trusted_types: Sequence[str] = (), http_batch: int = 1000
) -> ModelAdapter:
    """Open a model from a path, URL or `python:module:attr`; pass adapters and estimators through."""
    if isinstance(ref, ModelAdapter):
        return ref
    if not isinstance(ref, (str, Path)):
        if hasattr(ref, "predict"):
            return EstimatorModel(ref, type(ref).__name__, "python")
        if callable(ref):
            return CallableModel(ref)
        raise TianpingError("model must be a path, URL, estimator or callable", title="bad model")
    s = str(ref)
    if s.startswith(("http://", "https://")):
        return HttpModel(s, batch_size=http_batch)
    if s.startswith("python:"):
        return _load_python(s[len("python:") :])
    path = Path(s)
    if not path.is_file():
        raise TianpingError(Problem("model file not found", file=s, field="--model"), title="file not found")
    suffix = path.suffix.lower()
    if _is_pickle_path(path):
        return load_pickle(path, trust_pickle)
    if suffix == ".onnx":
        return OnnxModel(path)
    if suffix == ".skops":
        return load_skops(path, trusted_types)
    if suffix in (".ubj",) or (suffix == ".json" and _is_xgboost_json(path)):
        return XGBoostModel(path)
    if suffix in (".txt", ".lgb", ".lightgbm") or _is_lightgbm_text(path):
        return LightGBMModel(path)
    raise TianpingError(
        Problem(
            f"unknown model format '{suffix}': use .onnx, .skops, XGBoost .json/.ubj or LightGBM .txt", file=s, field="--model"
        ),
        title="unknown model format",
    )


def _is_xgboost_json(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(4096)
    return b'"learner"' in head or b'"version"' in head


def _is_lightgbm_text(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"tree"
