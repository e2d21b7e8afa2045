"""Tree ensembles read straight from an ONNX file, for exact SHAP values without the original model.

Why: the ONNX export of a tree model is small and fast to load, while the same model as skops needs
scikit-learn (and SciPy) imported before it can be opened. onnxruntime does not expose node
attributes, and importing the `onnx` package only to read them costs more than the rest of a
fairness run, so this module walks the protobuf wire format itself: ModelProto -> graph ->
nodes -> attributes, skipping everything else (initializers are jumped over, never decoded).

`read_onnx_trees` returns the trees of a `TreeEnsembleClassifier` or `TreeEnsembleRegressor` as the
arrays `shap.TreeExplainer` understands (children_left/right/default, features, thresholds,
values, node_sample_weight), or None when the model is not a bare tree ensemble on its input
matrix (a scaler in front, an unsupported split mode or aggregate, ...). Then the caller falls
back to the model-agnostic explainer. `sklearn_trees` gives the same arrays for fitted scikit-learn
trees, forests and gradient boosting (e.g. from a skops file), and `interventional_tree_shap`
explains either with shap's compiled TreeSHAP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# ------------------------------------------------------------------------------- wire format
_LEN, _VARINT, _I64, _I32 = 2, 0, 1, 5


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes, start: int = 0, end: int | None = None):
    """Yield (field number, wire type, value) of one message; LEN values are (start, end) offsets."""
    pos, end = start, len(buf) if end is None else end
    val: Any  # an int, an (start, end) pair or raw bytes, by wire type
    while pos < end:
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == _VARINT:
            val, pos = _varint(buf, pos)
        elif wt == _LEN:
            n, pos = _varint(buf, pos)
            val = (pos, pos + n)
            pos += n
        elif wt == _I64:
            val, pos = buf[pos : pos + 8], pos + 8
        elif wt == _I32:
            val, pos = buf[pos : pos + 4], pos + 4
        else:  # groups (3/4) are not used by ONNX
            raise ValueError(f"unsupported protobuf wire type {wt}")
        yield num, wt, val


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


@dataclass
class OnnxNode:
    op_type: str
    domain: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)


def _attribute_name(buf: bytes, s: int, e: int) -> str | None:
    """The name, when it is the first field (as every protobuf serializer writes it); else None."""
    key, pos = _varint(buf, s)
    if key != (1 << 3 | _LEN):
        return None
    n, pos = _varint(buf, pos)
    return buf[pos : pos + n].decode()


def _attribute(buf: bytes, s: int, e: int) -> tuple[str, Any]:
    name = ""
    value: Any = None
    ints: list[int] = []
    floats: list[np.ndarray] = []
    strings: list[bytes] = []
    for num, wt, val in _fields(buf, s, e):
        if num == 1:
            name = buf[val[0] : val[1]].decode()
        elif num == 2 and wt == _I32:
            value = float(np.frombuffer(val, "<f4")[0])
        elif num == 3 and wt == _VARINT:
            value = _signed(val)
        elif num == 4 and wt == _LEN:
            value = buf[val[0] : val[1]]
        elif num == 7:  # floats: packed or one by one
            floats.append(np.frombuffer(buf[val[0] : val[1]] if wt == _LEN else val, "<f4"))
        elif num == 8:  # ints: packed or one by one
            if wt == _LEN:
                p = val[0]
                while p < val[1]:
                    v, p = _varint(buf, p)
                    ints.append(_signed(v))
            else:
                ints.append(_signed(val))
        elif num == 9 and wt == _LEN:
            strings.append(buf[val[0] : val[1]])
    if floats:
        value = np.concatenate(floats).astype(np.float64)
    elif ints:
        value = np.asarray(ints, dtype=np.int64)
    elif strings:
        value = strings
    return name, value


def read_graph_nodes(path: str | Path, attributes: set[str] | None = None) -> tuple[list[OnnxNode], list[str]]:
    """Top-level graph nodes (with attributes, or only those named in `attributes`) and graph input names."""
    buf = Path(path).read_bytes()
    graph = next(((v[0], v[1]) for num, wt, v in _fields(buf) if num == 7 and wt == _LEN), None)
    if graph is None:
        raise ValueError("no graph in the ONNX file")
    nodes, inputs = [], []
    for num, wt, val in _fields(buf, *graph):
        if num == 1 and wt == _LEN:
            node = OnnxNode("", "", [], [])
            for n2, w2, v2 in _fields(buf, *val):
                if w2 != _LEN:
                    continue
                text = buf[v2[0] : v2[1]]
                if n2 == 1:
                    node.inputs.append(text.decode())
                elif n2 == 2:
                    node.outputs.append(text.decode())
                elif n2 == 4:
                    node.op_type = text.decode()
                elif n2 == 7:
                    node.domain = text.decode()
                elif n2 == 5:
                    if attributes is not None:
                        name = _attribute_name(buf, *v2)
                        if name is not None and name not in attributes:
                            continue  # skipped without decoding its (possibly long) value lists
                    k, v = _attribute(buf, *v2)
                    node.attrs[k] = v
            nodes.append(node)
        elif num == 11 and wt == _LEN:  # ValueInfoProto: name is field 1
            for n2, w2, v2 in _fields(buf, *val):
                if n2 == 1 and w2 == _LEN:
                    inputs.append(buf[v2[0] : v2[1]].decode())
                    break
    return nodes, inputs


CLASS_LABEL_ATTRIBUTES = {"classlabels_int64s", "classlabels_ints", "classlabels_strings"}


def class_labels(nodes: list[OnnxNode]) -> list[Any] | None:
    for node in nodes:
        for key in ("classlabels_int64s", "classlabels_ints"):
            v = node.attrs.get(key)
            if v is not None and len(v):
                return [int(x) for x in v]
        v = node.attrs.get("classlabels_strings")
        if v:
            return [s.decode() for s in v]
    return None


# ------------------------------------------------------------------------------ tree arrays
@dataclass
class TreeModel:
    """Trees in shap's dict form: leaf values per output, raw margin = base_offset + sum of trees."""

    trees: list[dict[str, np.ndarray]]
    base_offset: np.ndarray  # (n_outputs,)
    n_outputs: int
    post_transform: str  # NONE, LOGISTIC, SOFTMAX, ...
    kind: str  # "classifier" | "regressor"
    float32_input: bool = False  # a Cast to float32 sits between the graph input and the trees

    def shap_dict(self) -> dict[str, Any]:
        return {
            "trees": self.trees,
            "base_offset": self.base_offset,
            "tree_output": "raw_value",
            "objective": "squared_error",
            "input_dtype": np.float64,
            "internal_dtype": np.float64,
        }

    def margin(self, x: np.ndarray) -> np.ndarray:
        """base_offset + sum of the leaf values each row reaches: (n, n_outputs). Reference implementation."""
        out = np.tile(self.base_offset, (len(x), 1))
        for t in self.trees:
            node = np.zeros(len(x), dtype=np.int64)
            while True:
                left = t["children_left"][node]
                inner = left >= 0
                if not inner.any():
                    break
                f = t["features"][node[inner]]
                v = x[inner, f]
                go_left = np.where(
                    np.isnan(v), t["children_default"][node[inner]] == left[inner], v <= t["thresholds"][node[inner]]
                )
                node[inner] = np.where(go_left, left[inner], t["children_right"][node[inner]])
            out += t["values"][node]
        return out


def _below(t: float) -> float:
    """The largest double below t: x < t  <=>  x <= _below(t), for float32 and float64 inputs alike."""
    return float(np.nextafter(t, -np.inf))


def read_onnx_trees(path: str | Path, nodes: list[OnnxNode] | None = None, inputs: list[str] | None = None) -> TreeModel | None:
    """The tree ensemble of an ONNX model whose single tree operator reads the input matrix directly."""
    if nodes is None or any(n.op_type.startswith("TreeEnsemble") and "nodes_modes" not in n.attrs for n in nodes):
        nodes, inputs = read_graph_nodes(path)
    ens = [n for n in nodes if n.domain == "ai.onnx.ml" and n.op_type in ("TreeEnsembleClassifier", "TreeEnsembleRegressor")]
    if len(ens) != 1:
        return None
    node = ens[0]
    src = node.inputs[0] if node.inputs else ""
    float32_input = False
    while src not in (inputs or []):  # allow Cast nodes between the input and the trees, nothing else
        feeder = next((n for n in nodes if src in n.outputs), None)
        if feeder is None or feeder.op_type != "Cast" or not feeder.inputs:
            return None
        float32_input = float32_input or feeder.attrs.get("to") == 1  # TensorProto.FLOAT
        src = feeder.inputs[0]
    a = node.attrs
    needed = (
        "nodes_treeids",
        "nodes_nodeids",
        "nodes_featureids",
        "nodes_values",
        "nodes_modes",
        "nodes_truenodeids",
        "nodes_falsenodeids",
    )
    if any(a.get(k) is None for k in needed):
        return None  # e.g. the *_as_tensor variants; the caller falls back
    if node.op_type == "TreeEnsembleClassifier":
        prefix, kind = "class_", "classifier"
        labels = class_labels([node]) or []
        n_out = len(labels)
        agg = "SUM"
    else:
        prefix, kind = "target_", "regressor"
        n_out = int(a.get("n_targets") or 1)
        agg = (a.get("aggregate_function") or b"SUM").decode()
        if agg not in ("SUM", "AVERAGE"):
            return None
    post = (a.get("post_transform") or b"NONE").decode()
    leaf_tree, leaf_node = a.get(prefix + "treeids"), a.get(prefix + "nodeids")
    leaf_out, leaf_w = a.get(prefix + "ids"), a.get(prefix + "weights")
    if leaf_tree is None or leaf_node is None or leaf_out is None or leaf_w is None:
        return None
    base = a.get("base_values")
    base = np.zeros(n_out) if base is None else np.asarray(base, dtype=np.float64)
    binary_one_score = kind == "classifier" and n_out == 2 and int(leaf_out.max(initial=0)) == 0
    if binary_one_score:
        # onnxruntime: one score s per row for two classes. The second class gets s, the first 1 - s when
        # every leaf weight is >= 0 (a forest voting probabilities) and -s otherwise; then the transform.
        if post not in ("LOGISTIC", "NONE"):
            return None
        b = float(base[0]) if len(base) else 0.0
        base = np.array([1.0 - b if bool((leaf_w >= 0).all()) else -b, b])
    elif len(base) != n_out:
        if len(base) == 0:
            base = np.zeros(n_out)
        else:
            return None
    tree_ids = a["nodes_treeids"]
    n_trees = int(tree_ids.max()) + 1 if len(tree_ids) else 0
    scale = 1.0 / n_trees if agg == "AVERAGE" and n_trees else 1.0
    missing_true = a.get("nodes_missing_value_tracks_true")
    modes = [m.decode() for m in a["nodes_modes"]]
    trees = []
    for t in range(n_trees):
        sel = np.flatnonzero(tree_ids == t)
        ids = a["nodes_nodeids"][sel]
        m = int(ids.max()) + 1
        pos = np.full(m, -1, dtype=np.int64)
        pos[ids] = np.arange(len(sel))
        if (pos < 0).any():
            return None  # node ids with gaps: not a layout we know
        order = sel[np.argsort(ids)]
        cl = np.full(m, -1, dtype=np.int64)
        cr = np.full(m, -1, dtype=np.int64)
        cd = np.full(m, -1, dtype=np.int64)
        feat = np.full(m, -2, dtype=np.int64)
        thr = np.zeros(m)
        for j, k in enumerate(order):
            mode = modes[k]
            if mode == "LEAF":
                continue
            tn, fn, th = int(a["nodes_truenodeids"][k]), int(a["nodes_falsenodeids"][k]), float(a["nodes_values"][k])
            if mode == "BRANCH_LEQ":  # x <= t -> true
                left, right, t_eff = tn, fn, th
            elif mode == "BRANCH_LT":  # x < t  <=>  x <= the double just below t
                left, right, t_eff = tn, fn, _below(th)
            elif mode == "BRANCH_GT":  # x > t -> true; so x <= t -> false
                left, right, t_eff = fn, tn, th
            elif mode == "BRANCH_GTE":  # x >= t -> true; x < t -> false
                left, right, t_eff = fn, tn, _below(th)
            else:  # BRANCH_EQ / BRANCH_NEQ
                return None
            cl[j], cr[j], feat[j], thr[j] = left, right, int(a["nodes_featureids"][k]), t_eff
            miss_true = bool(missing_true[k]) if missing_true is not None and len(missing_true) == len(modes) else False
            cd[j] = tn if miss_true else fn
        vals = np.zeros((m, n_out))
        lsel = np.flatnonzero(leaf_tree == t)
        for k in lsel:
            node_id, out, w = int(leaf_node[k]), int(leaf_out[k]), float(leaf_w[k]) * scale
            if binary_one_score:
                vals[node_id, 1] += w
                vals[node_id, 0] -= w
            else:
                vals[node_id, out] += w
        trees.append(
            {
                "children_left": cl,
                "children_right": cr,
                "children_default": cd,
                "features": feat,
                "thresholds": thr,
                "values": vals,
                "node_sample_weight": np.ones(m),
            }
        )
    return TreeModel(trees, base, n_out, post, kind, float32_input)


# ------------------------------------------------------------------------------- TreeSHAP
def _shap_core() -> Any:
    """shap's compiled TreeSHAP (`shap._cext`) without running `shap/__init__.py`.

    Importing the `shap` package pulls in scikit-learn, SciPy, matplotlib and numba (seconds and
    ~200 MB) although TreeSHAP itself is one C function. Loading the extension module from the
    installed package avoids that. Returns None when it cannot be loaded this way; the caller then
    uses `shap.TreeExplainer`.
    """
    import importlib.machinery
    import importlib.util
    import sys

    if "shap._cext" in sys.modules:
        return sys.modules["shap._cext"]
    try:
        spec = importlib.util.find_spec("shap")  # locates the package without importing it
        if spec is None or not spec.submodule_search_locations:
            return None
        for base in spec.submodule_search_locations:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = Path(base) / f"_cext{suffix}"
                if path.is_file():
                    ext = importlib.util.spec_from_file_location("shap._cext", path)
                    if ext is None or ext.loader is None:
                        return None
                    mod = importlib.util.module_from_spec(ext)
                    ext.loader.exec_module(mod)
                    return mod if hasattr(mod, "dense_tree_shap") else None
    except Exception:  # noqa: BLE001 - any failure means: use the public API instead
        return None
    return None


def _depth(t: dict[str, np.ndarray]) -> int:
    """Edges on the longest root-to-leaf path (what shap's core sizes its path buffers by)."""
    best = 0
    stack = [(0, 0)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        left = t["children_left"][node]
        if left >= 0:
            stack.append((int(left), d + 1))
            stack.append((int(t["children_right"][node]), d + 1))
    return best


def interventional_tree_shap(model: TreeModel, x: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact interventional SHAP values of the raw margin: (rows, features, outputs) and the base values.

    The value explained for row x is margin(x) - mean over background rows r of margin(r); the
    features' SHAP values add up to it exactly (Lundberg et al. 2020, interventional TreeSHAP).
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    background = np.ascontiguousarray(background, dtype=np.float64)
    core = _shap_core()
    if core is not None:
        try:
            return _shap_via_core(core, model, x, background)
        except (TypeError, ValueError, SystemError):  # a shap version with another signature
            pass
    import shap

    explainer = shap.TreeExplainer(model.shap_dict(), data=background, feature_perturbation="interventional", model_output="raw")
    vals = np.asarray(explainer.shap_values(x, check_additivity=False))
    if vals.ndim == 2:
        vals = vals[..., None]
    base = np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64))
    return vals, base


def _shap_via_core(core: Any, model: TreeModel, x: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    trees = model.trees
    n_trees = len(trees)
    max_nodes = max(len(t["children_left"]) for t in trees)
    k = model.n_outputs

    def dense(key: str, dtype: Any, fill: float) -> np.ndarray:
        out = np.full((n_trees, max_nodes), fill, dtype=dtype)
        for i, t in enumerate(trees):
            out[i, : len(t[key])] = t[key]
        return out

    cl, cr, cd = (
        dense("children_left", np.int32, -1),
        dense("children_right", np.int32, -1),
        dense("children_default", np.int32, -1),
    )
    feat, thr = dense("features", np.int32, -1), dense("thresholds", np.float64, 0.0)
    weights = dense("node_sample_weight", np.float64, 0.0)
    values = np.zeros((n_trees, max_nodes, k))
    for i, t in enumerate(trees):
        values[i, : len(t["values"])] = t["values"]
    max_depth = max(_depth(t) for t in trees)
    phi = np.zeros((x.shape[0], x.shape[1] + 1, k))
    base_offset = np.ascontiguousarray(model.base_offset, dtype=np.float64).copy()
    core.dense_tree_shap(
        cl,
        cr,
        cd,
        feat,
        thr,
        np.zeros_like(feat),
        values,
        weights,
        max_depth,
        x,
        np.isnan(x),
        None,
        bg,
        np.isnan(bg),
        n_trees,
        base_offset,
        phi,
        0,  # interventional
        0,  # identity transform: explain the raw margin
        False,
    )
    return phi[:, :-1, :], phi[0, -1, :].copy()


# ------------------------------------------------------------------- scikit-learn tree models
def sklearn_trees(est: Any, n_features: int) -> TreeModel | None:
    """The same arrays from a fitted scikit-learn tree model (decision tree, forest, extra trees,
    gradient boosting), so a skops file is explained like its ONNX export, without importing shap.

    The raw margin is what `decision_function` (boosted classifiers), `predict_proba` (trees and
    forests) or `predict` (regressors) returns; the constant of a boosted model is taken from the model
    itself. Anything else returns None and is left to `shap.TreeExplainer`.
    """
    name = type(est).__name__
    if name in ("DecisionTreeClassifier", "DecisionTreeRegressor"):
        members, scale, boosted = [est], 1.0, False
    elif name in ("RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor"):
        members, scale, boosted = list(est.estimators_), 1.0 / len(est.estimators_), False
    elif name in ("GradientBoostingClassifier", "GradientBoostingRegressor"):
        members, scale, boosted = list(np.asarray(est.estimators_).ravel()), float(est.learning_rate), True
    else:
        return None
    classifier = name.endswith("Classifier")
    if getattr(est, "n_outputs_", 1) != 1:
        return None
    if boosted:
        k = np.asarray(est.estimators_).shape[1]
    else:
        k = len(est.classes_) if classifier else 1
    trees = []
    for i, member in enumerate(members):
        t = member.tree_
        value = np.asarray(t.value)[:, 0, :].astype(np.float64)  # (nodes, classes or 1)
        if classifier and not boosted:
            value = value / np.where(value.sum(axis=1, keepdims=True) > 0, value.sum(axis=1, keepdims=True), 1.0)
        vals = np.zeros((t.node_count, k))
        if boosted:
            vals[:, i % k] = value[:, 0] * scale
        else:
            vals[:, :] = value * scale
        left, right = t.children_left.astype(np.int64), t.children_right.astype(np.int64)
        go_left = np.asarray(getattr(t, "missing_go_to_left", np.zeros(t.node_count)), dtype=bool)
        trees.append(
            {
                "children_left": left,
                "children_right": right,
                "children_default": np.where(go_left, left, right),
                "features": t.feature.astype(np.int64),
                "thresholds": t.threshold.astype(np.float64),
                "values": vals,
                "node_sample_weight": t.weighted_n_node_samples.astype(np.float64),
            }
        )
    model = TreeModel(trees, np.zeros(k), k, "NONE", "classifier" if classifier else "regressor", float32_input=True)
    if boosted:  # the boosting constant: raw prediction minus the trees' sum, on any one row
        import warnings

        x0 = np.zeros((1, n_features), dtype=np.float32)
        with warnings.catch_warnings():  # "X does not have valid feature names": a plain row is all we pass
            warnings.simplefilter("ignore", UserWarning)
            raw = est.decision_function(x0) if classifier else est.predict(x0)
        raw = np.asarray(raw, dtype=np.float64).reshape(1, -1)
        if k == 1 and classifier:  # binary: decision_function is the log-odds of the second class
            model = TreeModel([_as_two_outputs(t) for t in trees], np.zeros(2), 2, "LOGISTIC", "classifier", True)
            s = raw[0, 0] - model.margin(x0.astype(np.float64))[0, 1]
            model.base_offset = np.array([-s, s])
        else:
            model.base_offset = raw[0] - model.margin(x0.astype(np.float64))[0]
    return model


def _as_two_outputs(t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    v = t["values"][:, 0]
    return {**t, "values": np.column_stack([-v, v])}
