"""What the fit and units plots show, computed from a model — pure NumPy, no Qt.

The training worker calls :func:`compute_views` in its own thread, so the GUI
thread never runs a forward pass over the data. :class:`PlotContext` holds
everything that does not change while training (the data in raw units, the
x axis, a dense grid of inputs); it is built once per dataset.

Modes (``PlotContext.mode``):

- ``"xy"``: one input feature — y against x, prediction over a dense grid.
- ``"series"``: lag features — actual and predicted against time; with one lag, ``PlotContext.xy``
  is the same data as ``"xy"`` (tomorrow against today) and the fit view carries its prediction too.
- ``"parity"``: several features — predicted against actual.
- ``"classes"``: classification — accuracy and a confusion matrix.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["PlotContext", "make_context", "compute_views", "output_decomposition",
           "GRID_POINTS", "MAX_UNITS", "MAX_SERIES_POINTS", "peak_decimate"]

GRID_POINTS = 240          # prediction curve resolution for one input feature
MAX_UNITS = 64             # at most this many unit curves (largest contributions first)
MAX_SERIES_POINTS = 1500   # unit curves against time are thinned to this many points
MAX_CURVE_BLOCKS = 1500    # a prediction against time keeps each block's min and max


@dataclass
class PlotContext:
    mode: str                                # "xy" | "series" | "parity" | "classes"
    task: str
    target_name: str = ""
    feature_names: list[str] = field(default_factory=list)
    x_label: str = ""
    x_is_date: bool = False
    y_mean: float = 0.0
    y_std: float = 1.0
    # raw data points (regression: target 0)
    x_train: np.ndarray | None = None        # xy: raw feature; series: time axis value
    y_train: np.ndarray | None = None
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    # model inputs (normalized) the views are computed on
    X_eval: np.ndarray | None = None         # xy: dense grid (G, 1); series: all rows in time order
    x_eval: np.ndarray | None = None         # its x axis (raw feature or time)
    y_eval: np.ndarray | None = None         # series: actual values in the same (time) order
    X_train: np.ndarray | None = None        # parity / classes
    X_val: np.ndarray | None = None
    boundary: float | None = None            # series, chronological split: first validation time
    classes: list[str] = field(default_factory=list)
    units_stride: int = 1                    # series: thin unit curves to ≤ MAX_SERIES_POINTS
    xy: PlotContext | None = None            # series of one lag: the same rows as y against that lag


def peak_decimate(x: np.ndarray, y: np.ndarray, blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``2·blocks`` points that keep every block's minimum and maximum (the look of
    the full curve at screen resolution, spikes included). ``x`` ascending."""
    m = len(y)
    if m <= 2 * blocks:
        return x, y
    k = -(-m // blocks)
    m2 = (m // k) * k
    yb = y[:m2].reshape(-1, k)
    xs = np.repeat(x[:m2].reshape(-1, k).mean(axis=1), 2)
    ys = np.empty(len(xs))
    ys[0::2] = yb.min(axis=1)
    ys[1::2] = yb.max(axis=1)
    if m2 < m:
        xs = np.concatenate([xs, x[m2:]])
        ys = np.concatenate([ys, y[m2:]])
    return xs, ys


def _as_numbers(values: np.ndarray) -> np.ndarray | None:
    """``values`` (an object array from a table column) as floats when every present one is a
    real number (not a bool, not text; a missing one is NaN), else None."""
    present = [v for v in values if v is not None]
    if not present or not all(isinstance(v, (int, float, np.integer, np.floating))
                              and not isinstance(v, (bool, np.bool_)) for v in present):
        return None
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _time_axis(dataset, index: np.ndarray) -> tuple[np.ndarray, str, bool]:
    """x values for data rows ``index``: a number column (years such as 1700.5, a day count)
    as those numbers, never epoch seconds; text that parses as dates as epoch seconds; else
    the row number."""
    tv = getattr(dataset, "time_values", None)
    spec = getattr(dataset, "spec", None)
    name = getattr(spec, "time_column", None) or "row"
    if tv is not None:
        tv = np.asarray(tv)
        if np.issubdtype(tv.dtype, np.number):
            return tv[index].astype(np.float64), name, False
        numbers = _as_numbers(tv[index])
        if numbers is not None:
            return numbers, name, False
        try:
            import pandas as pd
            dt = pd.to_datetime(pd.Series(tv[index]), errors="raise")
            secs = dt.astype("datetime64[ns]").to_numpy().astype("datetime64[s]").astype(np.float64)
            return secs, name, True
        except Exception:
            pass
    return index.astype(np.float64), "row", False


def make_context(dataset, dtype=np.float32) -> PlotContext:
    """Everything static the plots need for ``dataset`` (a Dataset or an object with its fields)."""
    task = getattr(dataset, "task", "regression")
    Xt = np.asarray(dataset.X_train, np.float64)
    Xv = np.asarray(dataset.X_val, np.float64)
    F = Xt.shape[1]
    fnames = list(getattr(dataset, "feature_names", None) or [f"x{j + 1}" for j in range(F)])
    target = getattr(dataset, "target_name", "") or "y"
    spec = getattr(dataset, "spec", None)
    if task != "regression":
        return PlotContext("classes", task, target, fnames, classes=list(getattr(dataset, "classes", [])),
                           X_train=Xt.astype(dtype), X_val=Xv.astype(dtype),
                           y_train=np.asarray(dataset.y_train).ravel(), y_val=np.asarray(dataset.y_val).ravel())
    y_mean = float(np.ravel(getattr(dataset, "y_mean", [0.0]))[0])
    y_std = float(np.ravel(getattr(dataset, "y_std", [1.0]))[0])
    yt = np.asarray(dataset.y_train, np.float64).reshape(len(Xt), -1)[:, 0] * y_std + y_mean
    yv = np.asarray(dataset.y_val, np.float64).reshape(len(Xv), -1)[:, 0] * y_std + y_mean
    ctx = PlotContext("parity", task, target, fnames, y_mean=y_mean, y_std=y_std,
                      y_train=yt, y_val=yv, X_train=Xt.astype(dtype), X_val=Xv.astype(dtype))
    if spec is not None and getattr(spec, "series", None) and hasattr(dataset, "index_train"):
        it, iv = np.asarray(dataset.index_train), np.asarray(dataset.index_val)
        idx = np.concatenate([it, iv])
        order = np.argsort(idx, kind="stable")
        t_all, name, is_date = _time_axis(dataset, idx)
        ctx.mode = "series"
        ctx.x_label, ctx.x_is_date = name, is_date
        ctx.x_train, ctx.x_val = t_all[:len(it)], t_all[len(it):]
        ctx.X_eval = np.concatenate([Xt, Xv])[order].astype(dtype)
        ctx.x_eval = t_all[order]
        ctx.y_eval = np.concatenate([yt, yv])[order]
        if len(iv) and len(it) and it.max() < iv.min():        # chronological: one boundary
            ctx.boundary = float(t_all[len(it) + int(np.argmin(iv))])
        ctx.units_stride = max(1, -(-len(idx) // MAX_SERIES_POINTS))
        if F == 1:       # one lag: ŷ against that input is the whole model (the fit plot's x view)
            ctx.xy = PlotContext("parity", task, target, fnames, y_mean=y_mean, y_std=y_std, y_train=yt, y_val=yv)
            _as_xy(ctx.xy, dataset, Xt, Xv, dtype)
    elif F == 1:
        _as_xy(ctx, dataset, Xt, Xv, dtype)
    return ctx


def _as_xy(ctx: PlotContext, dataset, Xt: np.ndarray, Xv: np.ndarray, dtype) -> None:
    """Make ``ctx`` the one-input picture: the rows as (x, y) in raw units, a dense grid of x."""
    x_mean = float(np.ravel(getattr(dataset, "x_mean", [0.0]))[0])
    x_std = float(np.ravel(getattr(dataset, "x_std", [1.0]))[0])
    xt, xv = Xt[:, 0] * x_std + x_mean, Xv[:, 0] * x_std + x_mean
    allx = np.concatenate([xt, xv])
    lo, hi = float(allx.min()), float(allx.max())
    pad = 0.05 * (hi - lo or 1.0)
    grid = np.linspace(lo - pad, hi + pad, GRID_POINTS)
    ctx.mode = "xy"
    ctx.x_label = ctx.feature_names[0]
    ctx.x_train, ctx.x_val = xt, xv
    ctx.x_eval = grid
    ctx.X_eval = ((grid - x_mean) / x_std)[:, None].astype(dtype)


def output_decomposition(model):
    """``(feed node id, output dense id)`` for ``ŷ = b + Σ cᵢ·hᵢ`` — ``hᵢ`` the last hidden
    layer's units (or the input features for a linear model); None when the graph has no
    single Dense feeding the Output."""
    last = model.last_hidden()
    if last is not None:
        return last
    g = model.graph
    srcs = g.inputs_of(g.output_node())
    if len(srcs) != 1 or g.nodes[srcs[0]].kind != "dense":
        return None
    feed = g.inputs_of(srcs[0])
    if len(feed) != 1:
        return None
    return feed[0], srcs[0]


def _fit_view(model, ctx: PlotContext) -> dict:
    if ctx.mode == "classes":
        out = {"mode": "classes"}
        K = max(len(ctx.classes), 2)
        for which, X, y in (("train", ctx.X_train, ctx.y_train), ("val", ctx.X_val, ctx.y_val)):
            if len(X) == 0:
                out[f"{which}_accuracy"] = float("nan")
                out[f"{which}_confusion"] = np.zeros((K, K), np.int64)
                continue
            z = np.asarray(model.forward(X), np.float64)
            pred = z.argmax(axis=1) if z.shape[1] > 1 else (z[:, 0] > 0).astype(np.int64)
            cm = np.zeros((K, K), np.int64)
            np.add.at(cm, (y.astype(np.int64), pred), 1)
            out[f"{which}_accuracy"] = float(np.mean(pred == y))
            out[f"{which}_confusion"] = cm
        return out
    if ctx.mode in ("xy", "series"):
        p = np.asarray(model.forward(ctx.X_eval), np.float64)[:, 0] * ctx.y_std + ctx.y_mean
        x = ctx.x_eval
        if ctx.mode == "series":
            x, p = peak_decimate(x, p, MAX_CURVE_BLOCKS)
        out = {"mode": ctx.mode, "x": x, "pred": p}
        if ctx.xy is not None:
            out["xy"] = _fit_view(model, ctx.xy)
        return out
    pt = np.asarray(model.forward(ctx.X_train), np.float64)[:, 0] * ctx.y_std + ctx.y_mean
    pv = (np.asarray(model.forward(ctx.X_val), np.float64)[:, 0] * ctx.y_std + ctx.y_mean
          if len(ctx.X_val) else np.zeros(0))
    return {"mode": "parity", "pred_train": pt, "pred_val": pv}


def _units_view(model, ctx: PlotContext) -> dict:
    if ctx.mode not in ("xy", "series"):
        why = ("is a classification" if ctx.mode == "classes" else
               f"has {len(ctx.feature_names)} inputs")
        return {"mode": "none", "message": f"The units plot is drawn for a regression on one input or a "
                                           f"series (this data {why})."}
    parts = output_decomposition(model)
    if parts is None:
        return {"mode": "none", "message": "The units view needs a Dense layer feeding the Output."}
    feed, dense = parts
    X = ctx.X_eval[::ctx.units_stride] if ctx.mode == "series" else ctx.X_eval
    x = ctx.x_eval[::ctx.units_stride] if ctx.mode == "series" else ctx.x_eval
    acts = model.activations(X)
    H = np.asarray(acts[feed], np.float64)                        # (M, k)
    W = np.asarray(model.params[f"{dense}.W"], np.float64)[:, 0]  # (k,)
    b_key = f"{dense}.b"
    b = float(model.params[b_key][0]) if b_key in model.params else 0.0
    contrib = (H * W).T * ctx.y_std                               # (k, M) target units
    const = b * ctx.y_std + ctx.y_mean
    total = contrib.sum(axis=0) + const
    is_input = model.graph.nodes[feed].kind == "input"
    if is_input:
        labels = [ctx.feature_names[j] if j < len(ctx.feature_names) else f"x{j + 1}" for j in range(len(W))]
    else:
        labels = [f"{feed} unit {i + 1}" for i in range(len(W))]
    order = np.arange(len(W))
    if len(W) > MAX_UNITS:    # keep the units that move the fit most
        order = np.sort(np.argsort(-np.ptp(contrib, axis=1))[:MAX_UNITS])
    return {"mode": ctx.mode, "x": x, "contrib": contrib[order], "c": W[order] * ctx.y_std,
            "index": order, "labels": [labels[i] for i in order], "const": const, "sum": total,
            "node": feed, "dense": dense, "is_input": is_input, "n_units": len(W)}


def compute_views(model, ctx: PlotContext | None) -> dict | None:
    """``{"fit": ..., "units": ...}`` for the current weights (inference mode)."""
    if ctx is None:
        return None
    with np.errstate(all="ignore"):
        return {"fit": _fit_view(model, ctx), "units": _units_view(model, ctx)}
