"""The error surface: loss over a grid of two chosen parameters, all others held.

The optimizer's path over the same two parameters is recorded by the
trainer (``Trainer.trajectory``); :func:`grid_around` picks a window that
shows both the current point and the path.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Model

__all__ = ["Surface", "loss_surface", "grid_around", "default_pair"]


@dataclass
class Surface:
    names: tuple[str, str]
    a: np.ndarray          # (na,) values of the first parameter
    b: np.ndarray          # (nb,) values of the second parameter
    loss: np.ndarray       # (nb, na): loss[j, i] at (a[i], b[j])
    center: tuple[float, float]


def default_pair(model: Model) -> tuple[str, str]:
    """The lecture's default: the output bias ``b`` and the first weight ``w`` feeding the output."""
    out_dense = model.graph.inputs_of(model.graph.output_node())[0]
    names = [n for n in model.scalar_names() if n.startswith(out_dense + ".")]
    bias = [n for n in names if ".b[" in n]
    weights = [n for n in names if ".W[" in n]
    if bias and weights:
        return bias[0], weights[0]
    every = model.scalar_names()
    return (every[0], every[1]) if len(every) > 1 else (every[0], every[0])


def grid_around(center: tuple[float, float], path: np.ndarray | None = None,
                min_half_width: float = 1.0, margin: float = 0.25) -> tuple[tuple[float, float], tuple[float, float]]:
    """Ranges ``((a_lo, a_hi), (b_lo, b_hi))`` covering the centre and the whole path."""
    pts = np.asarray([center], np.float64)
    if path is not None and len(path):
        pts = np.vstack([pts, np.asarray(path, np.float64)])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    half = np.maximum((hi - lo) / 2 * (1 + 2 * margin), min_half_width)
    mid = (lo + hi) / 2
    return (mid[0] - half[0], mid[0] + half[0]), (mid[1] - half[1], mid[1] + half[1])


def loss_surface(model: Model, loss, X: np.ndarray, y: np.ndarray, names: tuple[str, str],
                 ranges: tuple[tuple[float, float], tuple[float, float]] | None = None,
                 steps: int = 41, max_rows: int = 2000, seed: int = 0,
                 cancel=None) -> Surface:
    """Loss over ``steps × steps`` values of two parameters, the rest held at their current values.

    Uses at most ``max_rows`` examples (a fixed random subset) so it stays
    quick on large data. The model's weights are restored afterwards.
    ``cancel()`` returning True stops early with ``None``.
    """
    if len(X) > max_rows:
        idx = np.random.default_rng(seed).choice(len(X), max_rows, replace=False)
        X, y = X[idx], y[idx]
    X = np.asarray(X, model.dtype)
    ia, ib = model.flat_index(names[0]), model.flat_index(names[1])
    P = model.flat_params
    saved = P.copy()
    center = (float(P[ia]), float(P[ib]))
    if ranges is None:
        ranges = grid_around(center)
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
