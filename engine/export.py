"""The ONNX export of a trained model (normalization built in), and its check.

The exported ONNX model takes raw features, float32 ``[N, F]`` named
``features``, and returns ``prediction`` ``[N, T]`` in the target's own units
(regression) or ``probabilities`` ``[N, K]`` (classification; ``[N, 2]`` for
a binary task, columns in the order of ``classes``). :func:`engine_predict`
defines the numbers it must reproduce, and :func:`verify_onnx` measures how
closely onnxruntime does.

The input standardization and the output de-standardization run in float64
inside the ONNX graph (Cast → Sub → Div → Cast), so large feature means (a
year, a price) lose no precision to float32 constants; the network itself
runs in float32.

:func:`export_onnx_checked` is the one export policy of the CLI and the window:
a file onnxruntime does not reproduce within :data:`ONNX_TOLERANCE` is not
written. The NumPy weights + JSON export is :mod:`engine.export_npz`.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .graph import Graph
from .layers import sigmoid
from .losses import softmax
from .model import Model
from .safe_io import atomic_files, commit_file, output_target, temporary_path

__all__ = ["ExportError", "Preprocessing", "to_onnx", "export_onnx", "verify_onnx", "export_onnx_checked",
           "OnnxCheck", "ONNX_TOLERANCE", "engine_predict", "DEFAULT_OPSET"]

DEFAULT_OPSET = 17          # onnxruntime ≥ 1.13 and every current tool read it
MIN_OPSET = 13              # Softmax over one axis, Gemm with optional C
TASKS = ("regression", "binary", "multiclass")
# DESIGN: onnxruntime gives the engine's numbers to within 1e-5 relative (as verify_onnx measures)
ONNX_TOLERANCE = 1e-5


class ExportError(ValueError):
    """A model that cannot be exported or loaded; the message is one line for the user."""


def _vector(name: str, v: Any) -> np.ndarray:
    try:
        a = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExportError(f"{name} must be a list of numbers") from None
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise ExportError(f"{name} must be one-dimensional, not shape {a.shape}")
    return a.copy()


@dataclass
class Preprocessing:
    """How raw rows become model inputs and model outputs become answers.

    ``x_mean``/``x_std`` standardize the features (``(x − mean) / std``);
    ``y_mean``/``y_std`` undo the target standardization for regression.
    Zeros and ones mean "not normalized".
    """
    feature_names: list[str]
    target_name: str = "y"
    task: str = "regression"
    classes: list[str] = field(default_factory=list)
    x_mean: np.ndarray | None = None
    x_std: np.ndarray | None = None
    y_mean: np.ndarray | None = None
    y_std: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.feature_names = [str(n) for n in self.feature_names]
        self.classes = [str(c) for c in self.classes]
        self.target_name = str(self.target_name)
        f = len(self.feature_names)
        self.x_mean = np.zeros(f) if self.x_mean is None else _vector("x_mean", self.x_mean)
        self.x_std = np.ones(f) if self.x_std is None else _vector("x_std", self.x_std)
        y_mean = None if self.y_mean is None else _vector("y_mean", self.y_mean)
        y_std = None if self.y_std is None else _vector("y_std", self.y_std)
        t = len(y_mean) if y_mean is not None else len(y_std) if y_std is not None else 1
        self.y_mean = np.zeros(t) if y_mean is None else y_mean
        self.y_std = np.ones(t) if y_std is None else y_std

    @classmethod
    def identity(cls, n_features: int, task: str = "regression", n_targets: int = 1,
                 classes: list[str] | None = None) -> "Preprocessing":
        """No normalization, generic names ``x1…xF`` — for a model without a dataset."""
        return cls([f"x{i + 1}" for i in range(n_features)], "y", task, list(classes or []),
                   y_mean=np.zeros(n_targets), y_std=np.ones(n_targets))

    @classmethod
    def from_dataset(cls, ds: Any) -> "Preprocessing":
        """From anything with the Dataset attributes (duck-typed)."""
        task = getattr(ds, "task", "regression")
        y_mean, y_std = getattr(ds, "y_mean", None), getattr(ds, "y_std", None)
        if task == "regression" and (y_mean is None or y_std is None):
            y = np.asarray(getattr(ds, "y_train", np.zeros((0, 1))))
            t = y.shape[1] if y.ndim == 2 else 1
            y_mean = np.zeros(t) if y_mean is None else y_mean
            y_std = np.ones(t) if y_std is None else y_std
        return cls(feature_names=list(ds.feature_names), target_name=getattr(ds, "target_name", "y"),
                   task=task, classes=list(getattr(ds, "classes", None) or []),
                   x_mean=getattr(ds, "x_mean", None), x_std=getattr(ds, "x_std", None),
                   y_mean=y_mean, y_std=y_std)

    def to_dict(self) -> dict:
        return {"feature_names": list(self.feature_names), "target_name": self.target_name,
                "task": self.task, "classes": list(self.classes),
                "x_mean": self.x_mean.tolist(), "x_std": self.x_std.tolist(),
                "y_mean": self.y_mean.tolist(), "y_std": self.y_std.tolist()}

    @classmethod
    def from_dict(cls, data: Any) -> "Preprocessing":
        if not isinstance(data, dict):
            raise ExportError("preprocessing must be an object")
        keys = {"feature_names", "target_name", "task", "classes", "x_mean", "x_std", "y_mean", "y_std"}
        unknown = set(data) - keys
        if unknown:
            raise ExportError(f"preprocessing has unknown field {sorted(unknown)[0]!r}")
        names = data.get("feature_names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ExportError("preprocessing feature_names must be a list of text")
        classes = data.get("classes", [])
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise ExportError("preprocessing classes must be a list of text")
        if not isinstance(data.get("target_name", "y"), str):
            raise ExportError("preprocessing target_name must be text")
        for k in ("x_mean", "x_std", "y_mean", "y_std"):
            v = data.get(k)
            if v is not None and (not isinstance(v, list) or not all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)):
                raise ExportError(f"preprocessing {k} must be a list of numbers")
        pre = cls(names, data.get("target_name", "y"), data.get("task", "regression"), classes,
                  data.get("x_mean"), data.get("x_std"), data.get("y_mean"), data.get("y_std"))
        if pre.task not in TASKS:
            raise ExportError(f"preprocessing task must be one of {', '.join(TASKS)}, not {pre.task!r:.30}")
        return pre

    # -- checks against a model ----------------------------------------------------
    def output_names(self, model: Model) -> list[str]:
        """Column names of the exported output."""
        if model.task == "regression":
            t = model.n_outputs
            return [self.target_name] if t == 1 else [f"{self.target_name}[{i}]" for i in range(t)]
        return self.class_names(model)

    def class_names(self, model: Model) -> list[str]:
        k = 2 if model.task == "binary" else model.n_outputs
        return list(self.classes) if self.classes else [str(i) for i in range(k)]

    def check(self, model: Model) -> None:
        """ExportError unless this preprocessing fits ``model``."""
        if self.task not in TASKS:
            raise ExportError(f"unknown task {self.task!r:.30}")
        if self.task != model.task:
            raise ExportError(f"the data is a {self.task} task but the model's Output node says {model.task}")
        f = model.n_inputs
        if len(self.feature_names) != f:
            raise ExportError(f"the model's Input takes {f} feature{'s' if f != 1 else ''} but the "
                              f"preprocessing names {len(self.feature_names)}")
        if len(set(self.feature_names)) != f:
            raise ExportError("feature names must be distinct")
        for k in ("x_mean", "x_std"):
            v = getattr(self, k)
            if len(v) != f:
                raise ExportError(f"{k} has {len(v)} values for {f} features")
            if not np.all(np.isfinite(v)):
                raise ExportError(f"{k} holds a value that is not a finite number")
        bad = np.flatnonzero(self.x_std == 0)
        if len(bad):
            raise ExportError(f"feature '{self.feature_names[bad[0]]}' has standard deviation 0; "
                              f"dividing by it is undefined")
        if model.task == "regression":
            t = model.n_outputs
            for k in ("y_mean", "y_std"):
                v = getattr(self, k)
                if len(v) != t:
                    raise ExportError(f"{k} has {len(v)} values but the model predicts {t} target"
                                      f"{'s' if t != 1 else ''}")
                if not np.all(np.isfinite(v)):
                    raise ExportError(f"{k} holds a value that is not a finite number")
        else:
            k = 2 if model.task == "binary" else model.n_outputs
            if self.classes and len(self.classes) != k:
                raise ExportError(f"the model gives {k} class probabilities but the data has "
                                  f"{len(self.classes)} classes ({', '.join(self.classes[:5])})")


def _check_model(model: Model) -> None:
    if not isinstance(model, Model):
        raise ExportError("only a compiled Model can be exported")
    for name, p in model.params.items():
        if not np.all(np.isfinite(p)):
            raise ExportError(f"weight {name} holds NaN or infinity; reset and train again before exporting")


# -- the engine's answer ------------------------------------------------------------
def _as_rows(X_raw: Any, n_features: int) -> np.ndarray:
    try:
        X = np.asarray(X_raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExportError("features must be numbers") from None
    if X.ndim == 1 and n_features == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ExportError(f"features must have shape [N, {n_features}], not {list(X.shape)}")
    return X


def _float64_model(model: Model) -> Model:
    m = Model(model.graph, dtype="float64", seed=0)
    m.set_weights({k: v.astype(np.float64) for k, v in model.params.items()})
    return m


def engine_predict(model: Model, pre: Preprocessing, X_raw: Any) -> np.ndarray:
    """Raw features ``[N, F]`` → target units ``[N, T]`` (regression) or class
    probabilities ``[N, K]`` — computed in float64 from the model's weights.

    This is the reference the ONNX export must match. It equals
    ``Model.predict`` on standardized inputs followed by ``y·std + mean``;
    a binary task's first column is computed as ``sigmoid(−z)`` rather than
    ``1 − sigmoid(z)`` so that tiny probabilities keep their relative precision.
    """
    _check_model(model)
    pre.check(model)
    X = (_as_rows(X_raw, model.n_inputs) - pre.x_mean) / pre.x_std
    z = _float64_model(model).forward(X)
    if model.task == "regression":
        return z * pre.y_std + pre.y_mean
    if model.task == "binary":
        z0 = z[:, 0]
        return np.stack([sigmoid(-z0), sigmoid(z0)], axis=1)
    return softmax(z)


# -- ONNX -----------------------------------------------------------------------------
def _onnx():
    try:
        import onnx
    except ImportError:  # pragma: no cover - a declared dependency
        raise ExportError("ONNX export needs the 'onnx' package (pip install onnx)") from None
    return onnx


def _producer_version() -> str:
    try:
        from importlib.metadata import version
        return version("netcanvas")
    except Exception:  # noqa: BLE001 - not installed as a package: running from a checkout
        return "dev"


_ACT_ONNX = {"identity": "Identity", "sigmoid": "Sigmoid", "relu": "Relu", "tanh": "Tanh",
             "softplus": "Softplus"}


def to_onnx(model: Model, pre: Preprocessing, opset: int = DEFAULT_OPSET):
    """Build the ONNX model (an ``onnx.ModelProto``); ExportError if it cannot be."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    _check_model(model)
    pre.check(model)
    if isinstance(opset, bool) or not isinstance(opset, int) or \
            not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ExportError(f"opset must be a whole number from {MIN_OPSET} to "
                          f"{onnx.defs.onnx_opset_version()}, not {opset!r}")
    g: Graph = model.graph
    F, T = model.n_inputs, model.n_outputs
    nodes, inits = [], []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, name: str | None = None, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=name or output, **attrs))
        return output

    # raw features → standardized (in float64) → float32
    x64 = node("Cast", ["features"], "features_f64", to=TensorProto.DOUBLE)
    centered = node("Sub", [x64, const("x_mean", pre.x_mean.astype(np.float64))], "features_centered")
    scaled = node("Div", [centered, const("x_std", pre.x_std.astype(np.float64))], "features_scaled")
    xin = node("Cast", [scaled], "features_normalized", to=TensorProto.FLOAT)

    tensor: dict[str, str] = {}
    for nid in model.order:
        n = g.nodes[nid]
        srcs = [tensor[s] for s in g.inputs_of(nid)]
        out = f"{nid}.out"
        if n.kind == "input":
            tensor[nid] = node("Identity", [xin], out, name=nid)
        elif n.kind == "dense":
            W = model.params[f"{nid}.W"].astype(np.float32)
            ins = [srcs[0], const(f"{nid}.W", W)]
            if n.params["bias"]:
                ins.append(const(f"{nid}.b", model.params[f"{nid}.b"].astype(np.float32)))
            tensor[nid] = node("Gemm", ins, out, name=nid)
        elif n.kind in _ACT_ONNX:
            tensor[nid] = node(_ACT_ONNX[n.kind], srcs, out, name=nid)
        elif n.kind == "hard_sigmoid":
            tensor[nid] = node("HardSigmoid", srcs, out, name=nid, alpha=0.2, beta=0.5)
        elif n.kind == "leaky_relu":
            tensor[nid] = node("LeakyRelu", srcs, out, name=nid, alpha=float(n.params["alpha"]))
        elif n.kind == "dropout":      # inference: dropout does nothing
            tensor[nid] = node("Identity", srcs, out, name=nid)
        elif n.kind == "add":          # a chain, in edge order, as the engine sums
            acc = srcs[0]
            for i, s in enumerate(srcs[1:], start=1):
                acc = node("Add", [acc, s], out if i == len(srcs) - 1 else f"{nid}.sum{i}")
            tensor[nid] = acc
        elif n.kind == "concat":
            tensor[nid] = node("Concat", srcs, out, name=nid, axis=1)
        elif n.kind == "output":
            tensor[nid] = node("Identity", srcs, out, name=nid)
        else:  # pragma: no cover - every node kind is handled above
            raise ExportError(f"node '{nid}' of kind {n.kind} has no ONNX equivalent")
    z = tensor[g.output_node()]

    if model.task == "regression":
        out_name, width = "prediction", T
        z64 = node("Cast", [z], "prediction_f64_scaled", to=TensorProto.DOUBLE)
        y = node("Mul", [z64, const("y_std", pre.y_std.astype(np.float64))], "prediction_f64_times_std")
        y = node("Add", [y, const("y_mean", pre.y_mean.astype(np.float64))], "prediction_f64")
        node("Cast", [y], out_name, to=TensorProto.FLOAT)
        meaning = f"'{pre.target_name}' in its own units"
    elif model.task == "binary":
        out_name, width = "probabilities", 2
        # [1 − p, p] with p = sigmoid(z) is softmax([−z/2, z/2]). onnxruntime's Sigmoid is
        # accurate only to ~1e-7 absolute (a probability of 1e-8 comes out as 1e-7);
        # its Softmax keeps ~1e-7 relative precision for both columns.
        half = node("Mul", [z, const("one_half", np.array(0.5, np.float32))], "half_logit")
        pair = node("Concat", [node("Neg", [half], "minus_half_logit"), half], "binary_logits", axis=1)
        node("Softmax", [pair], out_name, axis=1)
        meaning = f"probabilities of {', '.join(pre.class_names(model))}"
    else:
        out_name, width = "probabilities", T
        node("Softmax", [z], out_name, axis=1)
        meaning = f"probabilities of {', '.join(pre.class_names(model))}"

    features_doc = f"raw features {', '.join(pre.feature_names)} (float32, unnormalized)"
    graph = helper.make_graph(
        nodes, "netcanvas",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", F], doc_string=features_doc)],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["N", width], doc_string=meaning)],
        initializer=inits,
        doc_string=f"NetCanvas graph of {len(g.nodes)} nodes, in topological order")
    doc = (f"NetCanvas {model.task} model. Input 'features' [N, {F}]: {features_doc}; "
           f"standardization is built in. Output '{out_name}' [N, {width}]: {meaning}.")
    m = helper.make_model(graph, producer_name="NetCanvas", producer_version=_producer_version(),
                          doc_string=doc, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = helper.find_min_ir_version_for([helper.make_opsetid("", opset)], True)
    meta = {
        "netcanvas.task": model.task,
        "netcanvas.feature_names": json.dumps(pre.feature_names),
        "netcanvas.target_name": pre.target_name,
        "netcanvas.classes": json.dumps(pre.class_names(model) if model.task != "regression" else []),
        "netcanvas.output": out_name,
        "netcanvas.output_columns": json.dumps(pre.output_names(model)),
        "netcanvas.preprocessing": json.dumps(pre.to_dict()),
        "netcanvas.graph": json.dumps(g.to_dict()),
    }
    helper.set_model_props(m, meta)
    return m


def export_onnx(model: Model, pre: Preprocessing, path: str | os.PathLike,
                opset: int = DEFAULT_OPSET) -> dict:
    """Write the ONNX model atomically after ``onnx.checker`` accepts it."""
    onnx = _onnx()
    proto = to_onnx(model, pre, opset)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise ExportError(f"the ONNX model failed its check: {str(exc).splitlines()[0]}") from exc
    data = proto.SerializeToString()
    path = os.path.abspath(os.fspath(path))
    _write_all({path: data})
    return {"path": path, "bytes": len(data)}


def _write_all(contents: dict[str, bytes]) -> None:
    paths = list(contents)
    for p in paths:
        folder = os.path.dirname(p)
        if not os.path.isdir(folder):
            raise ExportError(f"cannot write {p}: the folder {folder} does not exist")
    try:
        with atomic_files(paths, binary=True) as files:
            for f, p in zip(files, paths):
                f.write(contents[p])
    except ValueError as exc:           # a block device or a socket
        raise ExportError(str(exc)) from exc
    except OSError as exc:
        raise ExportError(f"cannot write {exc.filename or paths[0]}: {exc.strerror or exc}") from exc


def verify_onnx(path: str | os.PathLike, model: Model, pre: Preprocessing, X_raw: Any,
                floor: float | None = None) -> float:
    """Run the exported file with onnxruntime on raw rows and return the largest
    relative difference from :func:`engine_predict`.

    The difference of each value is divided by ``max(|engine value|, floor·scale)``
    where ``scale`` is the column's size (1 for probabilities; for regression the
    larger of the target's standard deviation and the largest value in the
    column). ``floor`` (default: 0.1 for regression, 1e-6 for probabilities):
    a regression value is judged by its own relative digits, and one within 10 % of
    the scale of zero relative to that 10 %. A float32 network rounds at about
    1e-7 of its intermediate values, which are of the column's scale, so a
    prediction of 0.09 °C in a column of ±35 °C can be off by 2e-6 °C — 3e-5 of
    itself — from the float64 reference without anything being wrong (measured
    on the examples: with a floor of 1e-6 such rows failed a 1e-5 check, and
    errors reach ~1e-7 of the scale, i.e. 1e-5 of a 1 % floor).
    Probabilities keep their relative digits down to 1e-6 (the sigmoid and
    softmax are exported so that they do). Both sides see the same float32 inputs.
    """
    try:
        import onnxruntime as ort
    except ImportError:  # pragma: no cover - a declared dependency
        raise ExportError("checking an ONNX file needs the 'onnxruntime' package") from None
    X32 = _as_rows(X_raw, model.n_inputs).astype(np.float32)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    try:
        sess = ort.InferenceSession(os.fspath(path), sess_options=opts, providers=["CPUExecutionProvider"])
        got = sess.run(None, {"features": X32})[0]
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise ExportError(f"onnxruntime could not run {os.fspath(path)}: {str(exc).splitlines()[0]}") from exc
    want = engine_predict(model, pre, X32.astype(np.float64))
    if got.shape != want.shape:
        raise ExportError(f"the ONNX model gives shape {list(got.shape)}; the engine gives {list(want.shape)}")
    if want.size == 0:
        return 0.0
    if model.task == "regression":
        scale = np.maximum(np.abs(pre.y_std), np.abs(want).max(axis=0))
    else:
        scale = np.ones(want.shape[1])
    if floor is None:
        floor = 0.1 if model.task == "regression" else 1e-6
    denom = np.maximum(np.abs(want), floor * scale)
    diff = np.abs(got.astype(np.float64) - want) / denom
    return float(diff.max()) if np.all(np.isfinite(diff)) else math.inf


@dataclass(frozen=True)
class OnnxCheck:
    """What :func:`export_onnx_checked` did. ``diff``: the largest relative difference
    (:func:`verify_onnx`; inf when onnxruntime gave NaN or infinite values); ``written``:
    whether ``path`` now holds the file, which is exactly when ``diff`` is within ``tolerance``."""

    path: str
    bytes: int
    diff: float
    tolerance: float = ONNX_TOLERANCE

    @property
    def written(self) -> bool:
        return self.diff <= self.tolerance          # NaN is not

    def disagreement(self) -> str:
        """"largest relative difference 1.00e-03, more than the 1e-05 allowed" (with why, for inf)."""
        why = "" if math.isfinite(self.diff) else " (onnxruntime gave NaN or infinite values)"
        return f"largest relative difference {self.diff:.2e}{why}, more than the {self.tolerance:.0e} allowed"


def export_onnx_checked(model: Model, pre: Preprocessing, path: str | os.PathLike, X_check: Any,
                        tolerance: float = ONNX_TOLERANCE) -> OnnxCheck:
    """Export as ONNX only what onnxruntime reproduces — the CLI's and the window's one policy.

    The model is written to a scratch folder next to ``path`` and run with onnxruntime on
    ``X_check`` (raw rows); it replaces ``path`` only when it agrees with the engine within
    ``tolerance``. Otherwise ``path`` keeps what it held (or stays absent) and nothing else
    is left behind. ExportError for a model or a folder that cannot be written."""
    shown = os.path.abspath(os.fspath(path))
    target = output_target(path)            # a symlink's target; a device is written in place
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise ExportError(f"cannot write {shown}: the folder {folder} does not exist")
    try:
        scratch = tempfile.mkdtemp(prefix=".tmp-", dir=folder)
    except OSError:
        scratch = tempfile.mkdtemp(prefix="netcanvas-onnx-")    # e.g. /dev/null: /dev is not writable
    try:
        with temporary_path(scratch):
            candidate = os.path.join(scratch, os.path.basename(target))
            info = export_onnx(model, pre, candidate)
            check = OnnxCheck(shown, info["bytes"], verify_onnx(candidate, model, pre, X_check), tolerance)
            if check.written:
                try:
                    commit_file(candidate, target)
                except (OSError, ValueError) as exc:
                    raise ExportError(f"cannot write {shown}: {getattr(exc, 'strerror', None) or exc}") from exc
        return check
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
