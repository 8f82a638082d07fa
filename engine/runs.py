"""The runs table's rows: one record per training run (Train … until stopped or finished), what
it was (network, data, optimizer), how it went (losses, scores, baseline, seconds) and, bounded in
size, its loss curve, its validation fit and its weights. Pure Python and NumPy; never imports Qt.

A record is saved in the project file (``"runs"``: a list of :meth:`RunRecord.to_json` objects)
and checked field by field on load (:func:`runs_from_json` raises :class:`RunsError` with the
field's place, e.g. ``runs[2].curve.val``). The bounds keep a project small however long the
runs were: at most :data:`MAX_RUNS` rows, :data:`MAX_CURVE_POINTS` epochs of a loss curve,
:data:`MAX_FIT_POINTS` points of a fit, and weights only up to :data:`MAX_KEPT_PARAMS` parameters.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["RunRecord", "RunsError", "MAX_RUNS", "MAX_CURVE_POINTS", "MAX_FIT_POINTS", "MAX_KEPT_PARAMS",
           "MAX_NOTE", "MAX_TABLE_PARAMS", "describe_graph", "describe_data", "decimate_curve", "decimate_fit",
           "make_record", "next_number", "add_run", "runs_to_json", "runs_from_json", "runs_to_csv", "weights_note"]

MAX_RUNS = 100              # rows kept; the oldest goes when a new run would make more
MAX_CURVE_POINTS = 200      # epochs of a row's loss curve (evenly picked; the first and last kept)
MAX_FIT_POINTS = 600        # points of a row's validation fit (min and max of each block kept)
MAX_KEPT_PARAMS = 50_000    # a row keeps its weights only up to this many parameters
MAX_TABLE_PARAMS = 500_000  # ... and the table's rows keep this many in all (the newest rows keep theirs)
MAX_NOTE = 200              # characters of a row's note

SCORE_KEYS = ("val_r2", "val_mae", "val_rmse", "val_accuracy", "val_f1",
              "train_r2", "train_mae", "train_rmse", "train_accuracy", "train_f1")
BASELINE_KEYS = ("name", "val_mae", "val_accuracy", "mase")
FIT_MODES = ("xy", "series", "parity")

_ACTIVATION_MARK = {"sigmoid": "σ", "hard_sigmoid": " hard σ", "relu": " ReLU", "leaky_relu": " leaky ReLU",
                    "tanh": " tanh", "softplus": " softplus", "identity": ""}


class RunsError(ValueError):
    """A damaged runs table; the message names the field (``runs[2].curve.val``)."""


@dataclass
class RunRecord:
    number: int                     # 1, 2, 3 … in the order the runs ended; never reused in a project
    graph: str                      # "7 → 16σ → 1"
    data: str                       # "lags 28", "8 features"
    optimizer: str                  # "adam"
    lr: float
    batch_size: int
    epochs: int                     # epochs the weights have seen
    updates: int
    loss: str = ""                  # the loss trained on ("mse")
    best_train: float | None = None
    last_train: float | None = None
    best_val: float | None = None
    last_val: float | None = None
    scores: dict[str, float | None] = field(default_factory=dict)      # SCORE_KEYS of the last epoch
    baseline: dict[str, Any] = field(default_factory=dict)             # BASELINE_KEYS
    seconds: float = 0.0
    stop_reason: str = "stopped"    # epochs | early_stopping | diverged | stopped | error
    note: str = ""
    params: int = 0                 # the network's parameter count
    curve: dict[str, list] = field(default_factory=lambda: {"updates": [], "train": [], "val": []})
    fit: dict[str, Any] | None = None      # {"mode", "target", "x_label", "x", "y", "pred"}
    weights: dict[str, np.ndarray] | None = None
    weights_note: str = ""          # why the weights are not kept ("" when they are)

    @property
    def label(self) -> str:
        """"run 3" or "run 3 (lags 28)" — how plots' legends name it."""
        return f"run {self.number}" + (f" ({self.note})" if self.note else f" ({self.data})" if self.data else "")

    # -- JSON ------------------------------------------------------------------------
    def to_json(self) -> dict:
        from .project import encode_array         # the project's exact array encoding (no cycle at import)
        out = {k: getattr(self, k) for k in ("number", "graph", "data", "optimizer", "lr", "batch_size",
                                              "epochs", "updates", "loss", "best_train", "last_train",
                                              "best_val", "last_val", "seconds", "stop_reason", "note",
                                              "params", "weights_note")}
        out["scores"] = dict(self.scores)
        out["baseline"] = dict(self.baseline)
        out["curve"] = {k: list(v) for k, v in self.curve.items()}
        out["fit"] = None if self.fit is None else {k: (list(v) if isinstance(v, (list, np.ndarray)) else v)
                                                     for k, v in self.fit.items()}
        out["weights"] = None if self.weights is None else {k: encode_array(k, v) for k, v in self.weights.items()}
        return _finite(out)

    @classmethod
    def from_json(cls, obj: Any, where: str = "run") -> "RunRecord":
        if not isinstance(obj, dict):
            raise RunsError(f"{where} must be an object")

        def bad(key: str, what: str) -> RunsError:
            return RunsError(f"{where}.{key} must be {what}")

        def text(key: str, limit: int = 200) -> str:
            v = obj.get(key, "")
            if not isinstance(v, str) or len(v) > limit:
                raise bad(key, f"text of at most {limit} characters")
            return v

        def whole(key: str, lo: int = 0) -> int:
            v = obj.get(key, 0)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise bad(key, f"a whole number, {lo} or more")
            return v

        def number(key: str, optional: bool = True, default: Any = None) -> float | None:
            v = obj.get(key, default)
            if v is None and optional:
                return None
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise bad(key, "a number" + (" or null" if optional else ""))
            return float(v)

        number_ = whole("number", 1)
        rec = cls(number=number_, graph=text("graph", 400), data=text("data"), optimizer=text("optimizer", 40),
                  lr=number("lr", optional=False), batch_size=whole("batch_size", 1),
                  epochs=whole("epochs"), updates=whole("updates"), loss=text("loss", 40),
                  best_train=number("best_train"), last_train=number("last_train"),
                  best_val=number("best_val"), last_val=number("last_val"),
                  seconds=number("seconds", optional=False, default=0.0),
                  stop_reason=text("stop_reason", 40) or "stopped", note=text("note", MAX_NOTE),
                  params=whole("params"), weights_note=text("weights_note"))
        rec.scores = _number_map(obj.get("scores", {}), SCORE_KEYS, f"{where}.scores")
        base = obj.get("baseline", {})
        if not isinstance(base, dict) or not set(base) <= set(BASELINE_KEYS):
            raise bad("baseline", f"an object of {', '.join(BASELINE_KEYS)}")
        name = base.get("name", "")
        if not isinstance(name, str) or len(name) > 80:
            raise bad("baseline.name", "text")
        rec.baseline = {"name": name, **_number_map({k: v for k, v in base.items() if k != "name"},
                                                    BASELINE_KEYS[1:], f"{where}.baseline")}
        rec.curve = _curve_in(obj.get("curve"), f"{where}.curve")
        rec.fit = _fit_in(obj.get("fit"), f"{where}.fit")
        rec.weights = _weights_in(obj.get("weights"), f"{where}.weights")
        return rec


# -- describing a run ----------------------------------------------------------------
def describe_graph(graph) -> str:
    """A network in one line: "7 → 16σ → 1", "4 → 128 ReLU → 128 ReLU → 1" (the widths along the
    way: the input's features, each Dense's units with its activation; a branched network adds
    "(branched)")."""
    try:
        order = graph.topological_order()
    except ValueError:
        return f"{len(graph.nodes)} nodes (a cycle)"
    parts: list[str] = []
    branched = False
    for nid in order:
        node = graph.nodes[nid]
        p = node.params
        if len(graph.outputs_of(nid)) > 1:
            branched = True
        if node.kind == "input":
            parts.append(str(p["features"]))
        elif node.kind == "dense":
            parts.append(str(p["units"]))
        elif node.kind in _ACTIVATION_MARK:
            mark = _ACTIVATION_MARK[node.kind]
            if parts and mark:
                parts[-1] += mark
        elif node.kind == "dropout":
            parts.append(f"dropout {p['rate']:g}")
        elif node.kind in ("add", "concat"):
            branched = True
            parts.append(node.kind)
    return " → ".join(parts) + (" (branched)" if branched else "")


def describe_data(spec: dict | None, n_inputs: int | None = None) -> str:
    """The data in a few words: a series' "lags 28", else the features ("8 features" or their
    names when there are at most three)."""
    if spec and spec.get("series"):
        return f"lags {spec.get('lags')}"
    features = (spec or {}).get("features")
    if features and len(features) <= 3:
        return ", ".join(str(f) for f in features)
    n = n_inputs if n_inputs is not None else len(features or [])
    return f"{n} feature{'' if n == 1 else 's'}" if n else ""


def weights_note(params: int, finite: bool = True) -> str:
    """Why a run's weights are not kept ("" when they are)."""
    if not finite:
        return "not kept: the run diverged"
    if params > MAX_KEPT_PARAMS:
        return f"not kept: {params:,} parameters (rows keep weights up to {MAX_KEPT_PARAMS:,})"
    return ""


def _pick(n: int, k: int) -> np.ndarray:
    """At most ``k`` indices of ``range(n)``, evenly spread, the first and the last included."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, k).round().astype(np.int64))


def decimate_curve(epochs: list[dict]) -> dict[str, list]:
    """Per-epoch training and validation loss (at the update that ended the epoch), at most
    :data:`MAX_CURVE_POINTS` epochs of them."""
    idx = _pick(len(epochs), MAX_CURVE_POINTS)
    rows = [epochs[i] for i in idx]

    def col(key):
        return [_num(r.get(key)) for r in rows]
    return {"updates": [int(r.get("updates", 0)) for r in rows], "train": col("train_loss"), "val": col("val_loss")}


def decimate_fit(view: dict | None, target: str = "", x_label: str = "", boundary: float | None = None,
                 y_val=None) -> dict | None:
    """The validation part of a fit plot's view (engine.views), at most :data:`MAX_FIT_POINTS`
    points: a series' prediction from ``boundary`` on (min and max of each block), a one-input
    curve as it is, a parity view's (actual, predicted) validation pairs evenly picked (``y_val``
    the actual values). None for a view without a regression fit (classes)."""
    if view is None or view.get("mode") not in FIT_MODES:
        return None
    mode = view["mode"]
    if mode == "parity":
        pred = np.asarray(view.get("pred_val", []), np.float64)
        y = np.asarray([] if y_val is None else y_val, np.float64)[:len(pred)]
        idx = _pick(len(y), MAX_FIT_POINTS)
        return {"mode": mode, "target": target, "x_label": x_label, "x": [], "y": y[idx].tolist(),
                "pred": pred[idx].tolist()}
    from .views import peak_decimate
    x = np.asarray(view["x"], np.float64)
    p = np.asarray(view["pred"], np.float64)
    if mode == "series" and boundary is not None:
        keep = x >= boundary
        x, p = x[keep], p[keep]
    if len(x) > MAX_FIT_POINTS:
        x, p = peak_decimate(x, p, MAX_FIT_POINTS // 2)
        idx = _pick(len(x), MAX_FIT_POINTS)
        x, p = x[idx], p[idx]
    return {"mode": mode, "target": target, "x_label": x_label, "x": x.tolist(), "y": [], "pred": p.tolist()}


def make_record(number: int, *, graph, data_spec: dict | None, n_inputs: int | None, config, epochs: list[dict],
                epoch: int, updates: int, seconds: float, stop_reason: str, weights: dict | None,
                params: int, fit: dict | None = None, baseline: dict | None = None) -> RunRecord:
    """A row from what a run left: the trainer's epoch records (``epochs``), its counters and
    weights (kept when finite and small enough), the fit (see :func:`decimate_fit`) and the
    baseline (``{"name", "val_mae" | "val_accuracy", "mase"}``)."""
    def losses(key):
        vals = [v for v in (_num(r.get(key)) for r in epochs) if v is not None]
        return (min(vals) if vals else None), (_num(epochs[-1].get(key)) if epochs else None)
    best_t, last_t = losses("train_loss")
    best_v, last_v = losses("val_loss")
    last = epochs[-1] if epochs else {}
    if params > MAX_KEPT_PARAMS or weights is None:
        note = weights_note(params) or "not kept: no weights"
    else:
        note = weights_note(params, stop_reason != "diverged"
                            and all(np.all(np.isfinite(w)) for w in weights.values()))
    kept = {k: np.array(v, copy=True) for k, v in weights.items()} if not note else None
    return RunRecord(number=number, graph=describe_graph(graph), data=describe_data(data_spec, n_inputs),
                     optimizer=str(config.optimizer), lr=float(config.lr), batch_size=int(config.batch_size),
                     epochs=int(epoch), updates=int(updates), loss=str(config.loss),
                     best_train=best_t, last_train=last_t, best_val=best_v, last_val=last_v,
                     scores={k: _num(last.get(k)) for k in SCORE_KEYS if k in last},
                     baseline=dict(baseline or {}), seconds=round(float(seconds), 3), stop_reason=stop_reason,
                     params=int(params), curve=decimate_curve(epochs), fit=fit, weights=kept, weights_note=note)


# -- the table ---------------------------------------------------------------------------
def next_number(runs: list[RunRecord], at_least: int = 1) -> int:
    """The next run's number: after every row's, and at least ``at_least`` (a window counts on from
    deleted rows, so an undone delete never meets a new row of the same number)."""
    return max(max((r.number for r in runs), default=0) + 1, at_least)


def add_run(runs: list[RunRecord], record: RunRecord) -> tuple[list[RunRecord], list[RunRecord], list[RunRecord]]:
    """``runs`` with ``record`` added in number order, the oldest rows dropped beyond
    :data:`MAX_RUNS` and the oldest rows' weights beyond :data:`MAX_TABLE_PARAMS` in all; returns
    (the new list, the dropped rows, the rows that no longer keep their weights). ``runs`` and
    its records are not changed."""
    out = sorted(list(runs) + [record], key=lambda r: r.number)
    cut = max(0, len(out) - MAX_RUNS)
    out, dropped = out[cut:], out[:cut]
    kept = sum(r.params for r in out if r.weights is not None)
    unkept = []
    for i, r in enumerate(out):
        if kept <= MAX_TABLE_PARAMS:
            break
        if r.weights is not None and r is not record:
            kept -= r.params
            out[i] = replace(r, weights=None, weights_note=f"not kept: newer runs' weights took the room (the table "
                                                           f"keeps {MAX_TABLE_PARAMS:,} parameters in all)")
            unkept.append(out[i])
    return out, dropped, unkept


def runs_to_json(runs: list[RunRecord]) -> list[dict]:
    return [r.to_json() for r in runs]


def runs_from_json(value: Any) -> list[RunRecord]:
    """The rows of a project's ``"runs"`` field (None or absent: none)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RunsError("runs must be a list of run records")
    if len(value) > MAX_RUNS:
        raise RunsError(f"runs holds {len(value):,} records; at most {MAX_RUNS} are kept")
    out = [RunRecord.from_json(v, f"runs[{i}]") for i, v in enumerate(value)]
    kept = sum(sum(w.size for w in r.weights.values()) for r in out if r.weights is not None)
    if kept > MAX_TABLE_PARAMS:
        raise RunsError(f"runs keep {kept:,} parameters in all; at most {MAX_TABLE_PARAMS:,} are kept")
    numbers = [r.number for r in out]
    if len(set(numbers)) != len(numbers):
        dup = next(n for n in numbers if numbers.count(n) > 1)
        raise RunsError(f"runs has two records numbered {dup}")
    return out


CSV_COLUMNS = ("run", "note", "network", "data", "optimizer", "lr", "batch_size", "epochs", "updates", "loss",
               "best_train_loss", "last_train_loss", "best_val_loss", "last_val_loss", *SCORE_KEYS,
               "baseline", "baseline_val_mae", "baseline_val_accuracy", "mase", "seconds", "end", "params",
               "weights")


def runs_to_csv(runs: list[RunRecord]) -> str:
    """The table as CSV text (one header row, one row per run; empty cells where nothing applies)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in runs:
        b = r.baseline
        w.writerow([r.number, r.note, r.graph, r.data, r.optimizer, _cell(r.lr), r.batch_size, r.epochs,
                    r.updates, r.loss, _cell(r.best_train), _cell(r.last_train), _cell(r.best_val),
                    _cell(r.last_val), *(_cell(r.scores.get(k)) for k in SCORE_KEYS), b.get("name", ""),
                    _cell(b.get("val_mae")), _cell(b.get("val_accuracy")), _cell(b.get("mase")),
                    _cell(r.seconds), r.stop_reason, r.params, "kept" if r.weights is not None else r.weights_note])
    return buf.getvalue()


# -- helpers -----------------------------------------------------------------------------
def _num(v: Any) -> float | None:
    """A finite float, or None."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _cell(v: Any) -> str:
    v = _num(v)
    return "" if v is None else f"{v:.10g}"


def _finite(value: Any) -> Any:
    """Plain JSON: NumPy numbers as Python ones, non-finite floats as null."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _number_map(value: Any, keys: tuple, where: str) -> dict[str, float | None]:
    if not isinstance(value, dict):
        raise RunsError(f"{where} must be an object of numbers")
    out = {}
    for k, v in value.items():
        if k not in keys:
            raise RunsError(f"{where} has an unknown entry {k!r:.40}")
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
            raise RunsError(f"{where}.{k} must be a number or null")
        out[k] = None if v is None else float(v)
    return out


def _number_list(value: Any, where: str, limit: int, optional_items: bool = True) -> list:
    if not isinstance(value, list) or len(value) > limit:
        raise RunsError(f"{where} must be a list of at most {limit} numbers")
    for v in value:
        if v is None and optional_items:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise RunsError(f"{where} must hold numbers" + (" (or null)" if optional_items else ""))
    return list(value)


def _curve_in(value: Any, where: str) -> dict[str, list]:
    if value is None:
        return {"updates": [], "train": [], "val": []}
    if not isinstance(value, dict) or set(value) != {"updates", "train", "val"}:
        raise RunsError(f"{where} must be an object of updates, train and val")
    ups = _number_list(value["updates"], f"{where}.updates", MAX_CURVE_POINTS, optional_items=False)
    if not all(isinstance(u, int) and u >= 0 for u in ups):
        raise RunsError(f"{where}.updates must hold whole numbers, 0 or more")
    out = {"updates": ups}
    for k in ("train", "val"):
        out[k] = _number_list(value[k], f"{where}.{k}", MAX_CURVE_POINTS)
        if len(out[k]) != len(ups):
            raise RunsError(f"{where}.{k} must have as many values as {where}.updates ({len(ups)})")
    return out


def _fit_in(value: Any, where: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"mode", "target", "x_label", "x", "y", "pred"}:
        raise RunsError(f"{where} must be null or an object of mode, target, x_label, x, y and pred")
    if value["mode"] not in FIT_MODES:
        raise RunsError(f"{where}.mode must be one of {', '.join(FIT_MODES)}")
    for k in ("target", "x_label"):
        if not isinstance(value[k], str) or len(value[k]) > 200:
            raise RunsError(f"{where}.{k} must be text")
    out = dict(value)
    for k in ("x", "y", "pred"):
        out[k] = _number_list(value[k], f"{where}.{k}", MAX_FIT_POINTS, optional_items=False)
    other = "y" if value["mode"] == "parity" else "x"
    if len(out[other]) != len(out["pred"]):
        raise RunsError(f"{where}.{other} must have as many values as {where}.pred ({len(out['pred'])})")
    return out


def _weights_in(value: Any, where: str) -> dict[str, np.ndarray] | None:
    if value is None:
        return None
    from .project import decode_array
    if not isinstance(value, dict):
        raise RunsError(f"{where} must be null or map parameter names to arrays")
    out, total = {}, 0
    for k, v in value.items():
        try:
            out[k] = decode_array(k, v)
        except ValueError as exc:
            raise RunsError(f"{where}: {exc}") from None
        total += out[k].size
        if total > MAX_KEPT_PARAMS:
            raise RunsError(f"{where} holds more than {MAX_KEPT_PARAMS:,} parameters")
    return out
