"""The error surface: loss over a grid of two chosen parameters, all others held.

The optimizer's path over the same two parameters is recorded by the
trainer (``Trainer.trajectory``); :func:`auto_ranges` picks a window that
shows both the path and the valley around the current point: the path's
extent plus a margin, widened on each axis to where the loss rises to 1.5×
its lowest value (a few forward passes along each axis,
:func:`visible_half_widths`), so a wide
shallow valley is not drawn as one flat colour and a narrow one not as a
few pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Model

__all__ = ["Surface", "auto_ranges", "default_pair", "flew_out", "grid_around", "loss_surface",
           "runaway_ranges", "surface_with_minimum", "visible_half_widths"]

RUNAWAY_RISE = 1000.0     # a run whose loss rose this many times above its start has left the valley
RUNAWAY_REACH = 8.0       # its surface shows the path's first steps out to this many valley widths


@dataclass
class Surface:
    names: tuple[str, str]
    a: np.ndarray          # (na,) values of the first parameter
    b: np.ndarray          # (nb,) values of the second parameter
    loss: np.ndarray       # (nb, na): loss[j, i] at (a[i], b[j])
    center: tuple[float, float]
    updates: int | None = None           # "as of update N": every other parameter as it was then
    runaway: str = ""                    # set when drawn around the start of a run that flew out


def default_pair(model: Model) -> tuple[str, str]:
    """The lecture's default: the output bias ``b`` and the first weight ``w`` feeding the output."""
    out_dense = model.graph.inputs_of(model.graph.output_node())[0]
    b, W = model.params.get(f"{out_dense}.b"), model.params.get(f"{out_dense}.W")
    if b is not None and W is not None and b.size and W.size:
        return f"{out_dense}.b[{','.join('0' * b.ndim)}]", f"{out_dense}.W[{','.join('0' * W.ndim)}]"
    every = model.scalar_names()
    return (every[0], every[1]) if len(every) > 1 else (every[0], every[0])


def grid_around(center: tuple[float, float], path: np.ndarray | None = None,
                min_half_width=1.0, margin: float = 0.15) -> tuple[tuple[float, float], tuple[float, float]]:
    """Ranges ``((a_lo, a_hi), (b_lo, b_hi))``: the whole path with a margin, and at least
    ``min_half_width`` (a number, or one per axis) on each side of the centre.

    Without a path the window is centred on ``center``.
    """
    c = np.asarray(center, np.float64)
    half = np.broadcast_to(np.asarray(min_half_width, np.float64), (2,))
    lo, hi = c - half, c + half
    if path is not None and len(path):
        P = np.asarray(path, np.float64).reshape(-1, 2)
        P = P[np.isfinite(P).all(axis=1)]
        if len(P):
            plo, phi = np.minimum(P.min(axis=0), c), np.maximum(P.max(axis=0), c)
            pad = margin * np.maximum(phi - plo, 1e-12)
            lo, hi = np.minimum(lo, plo - pad), np.maximum(hi, phi + pad)
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def _subset(X: np.ndarray, y: np.ndarray, max_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random subset of at most ``max_rows`` rows (the same one for probes and grid)."""
    if len(X) > max_rows:
        idx = np.random.default_rng(seed).choice(len(X), max_rows, replace=False)
        X, y = X[idx], y[idx]
    return X, y


def visible_half_widths(model: Model, loss, X: np.ndarray, y: np.ndarray, names: tuple[str, str],
                        rise: float = 1.0, smallest: float = 2.0 ** -9, largest: float = 16.0,
                        max_rows: int = 2000, seed: int = 0) -> np.ndarray:
    """For each of the two parameters, how far from its current value the loss rises by
    ``rise`` times its lowest value along that axis (``rise=1``: the loss doubles).

    Probes ±h for h = ``smallest``, 2·``smallest``, … ``largest`` (a few forward passes
    per axis, stopping at the first h that reaches the rise) and interpolates between the
    last two probes on log–log axes. A parameter that never raises the loss that much
    gets ``largest`` if the loss moves visibly (by 10 % of the rise) and 1.0 otherwise.
    The model's weights are restored.
    """
    X, y = _subset(X, y, max_rows, seed)
    X = np.asarray(X, model.dtype)
    P = model.flat_params
    saved = P.copy()
    out = np.ones(2)
    try:
        with np.errstate(all="ignore"):
            base = float(loss.value(model.forward(X), y))
            for k, name in enumerate(names):
                i = model.flat_index(name)
                c = float(saved[i])
                low = base if np.isfinite(base) else np.inf
                h_prev, r_prev, found, h, r = 0.0, 0.0, False, smallest, 0.0
                while h <= largest * (1 + 1e-9):
                    vals = []
                    for s in (-1.0, 1.0):
                        P[i] = c + s * h
                        vals.append(float(loss.value(model.forward(X), y)))
                    P[i] = c
                    vals = [v for v in vals if np.isfinite(v)]
                    if not vals:      # overflow: the loss is far above the centre here
                        found = True
                        break
                    low = min(low, *vals)
                    top = max(vals)
                    r = (top - low) / abs(low) if low not in (0.0, np.inf) else (np.inf if top > low else 0.0)
                    if r >= rise:
                        found = True
                        break
                    h_prev, r_prev = h, r
                    h *= 2.0
                if not found:
                    out[k] = largest if r >= 0.1 * rise else 1.0
                elif h_prev == 0.0 or r_prev <= 0 or not np.isfinite(r):
                    out[k] = h
                else:     # log–log interpolation between the last two probes
                    t = np.log(rise / r_prev) / np.log(r / r_prev) if r > r_prev else 1.0
                    out[k] = float(np.exp(np.log(h_prev) + np.clip(t, 0.0, 1.0) * np.log(h / h_prev)))
    finally:
        np.copyto(P, saved)
    return out


def auto_ranges(model: Model, loss, X: np.ndarray, y: np.ndarray, names: tuple[str, str],
                path: np.ndarray | None = None, rise: float = 0.5, max_rows: int = 2000,
                seed: int = 0) -> tuple[tuple[float, float], tuple[float, float]]:
    """A window that shows both the valley around the current values and the optimizer's path:
    the path with a margin, and on each axis at least the distance at which the loss
    rises by ``rise`` times its lowest value (:func:`visible_half_widths`; 0.5: to 1.5×)."""
    P = model.flat_params
    center = (float(P[model.flat_index(names[0])]), float(P[model.flat_index(names[1])]))
    half = visible_half_widths(model, loss, X, y, names, rise=rise, max_rows=max_rows, seed=seed)
    return grid_around(center, path, min_half_width=half)


def surface_with_minimum(model: Model, loss, X: np.ndarray, y: np.ndarray, names: tuple[str, str],
                         ranges, steps: int = 41, max_rows: int = 2000, cancel=None,
                         tries: int = 3) -> Surface | None:
    """:func:`loss_surface` over ``ranges``, widened (up to ``tries`` times) on the side where
    its lowest point lies on the edge, so the window contains the minimum it reports (a lowest
    value at the plotted edge is only where the window cuts the valley off)."""
    (a0, a1), (b0, b1) = ranges
    for attempt in range(tries + 1):
        surface = loss_surface(model, loss, X, y, names, ((a0, a1), (b0, b1)), steps=steps,
                               max_rows=max_rows, cancel=cancel)
        if surface is None or attempt == tries:
            return surface
        Z = np.where(np.isfinite(surface.loss), surface.loss, np.inf)
        if not np.isfinite(Z).any():
            return surface
        j, i = np.unravel_index(np.argmin(Z), Z.shape)
        wa, wb = a1 - a0, b1 - b0
        grow = [i == 0, i == steps - 1, j == 0, j == steps - 1]
        if not any(grow):
            return surface
        a0, a1 = a0 - wa * grow[0], a1 + wa * grow[1]
        b0, b1 = b0 - wb * grow[2], b1 + wb * grow[3]
    return surface


def loss_surface(model: Model, loss, X: np.ndarray, y: np.ndarray, names: tuple[str, str],
                 ranges: tuple[tuple[float, float], tuple[float, float]] | None = None,
                 steps: int = 41, max_rows: int = 2000, seed: int = 0,
                 cancel=None) -> Surface:
    """Loss over ``steps × steps`` values of two parameters, the rest held at their current values.

    Uses at most ``max_rows`` examples (a fixed random subset) so it stays
    quick on large data. The model's weights are restored afterwards.
    ``cancel()`` returning True stops early with ``None``.
    """
    X, y = _subset(X, y, max_rows, seed)
    X = np.asarray(X, model.dtype)
    ia, ib = model.flat_index(names[0]), model.flat_index(names[1])
    P = model.flat_params
    saved = P.copy()
    center = (float(P[ia]), float(P[ib]))
    if ranges is None:
        ranges = auto_ranges(model, loss, X, y, names, max_rows=max_rows, seed=seed)
    a = np.linspace(*ranges[0], steps)
    b = np.linspace(*ranges[1], steps)
    Z = np.empty((steps, steps))
    try:
        with np.errstate(all="ignore"):
            for j, bv in enumerate(b):
                if cancel is not None and cancel():
                    return None
                P[ib] = bv
                for i, av in enumerate(a):
                    P[ia] = av
                    Z[j, i] = loss.value(model.forward(X), y)
    finally:
        np.copyto(P, saved)
    return Surface((names[0], names[1]), a, b, Z, center)


def flew_out(losses: np.ndarray, diverged: bool) -> bool:
    """Has a run left its valley? It diverged, or its latest loss is ``RUNAWAY_RISE`` times its
    first (``losses``: this run's per-update losses, in order)."""
    if diverged:
        return True
    losses = np.asarray(losses, np.float64)
    if len(losses) < 2 or not np.isfinite(losses[0]) or losses[0] <= 0:
        return False
    return not np.isfinite(losses[-1]) or losses[-1] > RUNAWAY_RISE * losses[0]


def runaway_ranges(model: Model, loss, X: np.ndarray, y: np.ndarray, names: tuple[str, str],
                   path: np.ndarray, max_rows: int = 2000,
                   seed: int = 0) -> tuple[tuple[tuple[float, float], tuple[float, float]], int]:
    """The window for a run that flew out of its valley ("η too large"), with the model's weights
    at the run's start and ``path[0]`` that start: the valley around it and the path's first
    steps while they stay within ``RUNAWAY_REACH`` valley widths (the first one always), never
    the far points (1e17).
    Returns the ranges and how many of the path's steps lie inside them."""
    half = visible_half_widths(model, loss, X, y, names, rise=0.5, max_rows=max_rows, seed=seed)
    P = np.asarray(path, np.float64).reshape(-1, 2)
    start = P[0]
    near = np.all(np.abs(P - start) <= RUNAWAY_REACH * half, axis=1) & np.isfinite(P).all(axis=1)
    k = int(np.argmin(near)) if not near.all() else len(P)         # the first step beyond reach
    k = max(k, min(2, len(P)))                  # the first step is always shown, however far
    return grid_around(tuple(start), P[:k], min_half_width=half), k - 1
