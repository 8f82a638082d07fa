"""Regularization and learning-rate schedules: the rules a Trainer applies around each update.

- Penalties on the weights ``W`` of Dense layers (never the biases): L2 adds ``λ₂·Σw²`` to the
  loss (gradient ``2·λ₂·w``), L1 adds ``λ₁·Σ|w|`` (subgradient ``λ₁·sign(w)``, 0 at 0). Each Dense
  node may set its own λ (its ``l2`` / ``l1`` setting); ``None`` means the project's.
- Gradient clipping by global norm: when ``‖g‖₂ > c`` the whole gradient is scaled by ``c/‖g‖₂``.
- Learning-rate schedules, as a function of the update index ``t`` (from 0): constant; step
  (``η·γ^⌊t / (k·U)⌋``, k epochs of U updates); cosine (``η·½(1 + cos(π·t/T))``, T the run's
  total updates); each times an optional linear warm-up ``min(1, (t + 1)/n)`` over n updates.

The PyTorch package applies the same rules (``engine/torch_export/files/rules.py``).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["SCHEDULES", "Penalty", "lr_at", "config_lr_at", "is_scheduled", "clip_global_norm",
           "dense_weight_slices", "node_penalties"]

SCHEDULES = ("constant", "step", "cosine")


def lr_at(t: int, lr: float, schedule: str = "constant", *, updates_per_epoch: int = 1,
          step_epochs: int = 10, gamma: float = 0.5, total_updates: int = 0, warmup: int = 0) -> float:
    """The learning rate η_t of update ``t`` (counted from 0).

    ``total_updates`` is the run's T for the cosine schedule (0: unknown, η stays constant)."""
    t = max(int(t), 0)
    if schedule == "step":
        period = max(int(step_epochs), 1) * max(int(updates_per_epoch), 1)
        rate = lr * gamma ** (t // period)
    elif schedule == "cosine" and total_updates > 0:
        rate = lr * 0.5 * (1.0 + math.cos(math.pi * min(t, total_updates) / total_updates))
    else:
        rate = lr
    if warmup > 0 and t < warmup:
        rate *= (t + 1) / warmup
    return rate


def is_scheduled(cfg) -> bool:
    """Whether η changes during the run under the training settings ``cfg`` (a TrainConfig)."""
    return cfg.lr_schedule != "constant" or cfg.warmup > 0


def config_lr_at(cfg, t: int, updates_per_epoch: int, total_updates: int) -> float:
    """:func:`lr_at` under the training settings ``cfg`` (a TrainConfig)."""
    return lr_at(t, cfg.lr, cfg.lr_schedule, updates_per_epoch=updates_per_epoch,
                 step_epochs=cfg.lr_step_epochs, gamma=cfg.lr_gamma, total_updates=total_updates,
                 warmup=cfg.warmup)


def dense_weight_slices(model) -> list[tuple[str, slice]]:
    """``(node id, slice of the flat parameter vector)`` of every Dense layer's W."""
    out = []
    for name, pos in model.offsets.items():
        nid, _, key = name.rpartition(".")
        if key == "W" and model.graph.nodes[nid].kind == "dense":
            out.append((nid, slice(pos, pos + model.params[name].size)))
    return out


def node_penalties(graph, l2: float = 0.0, l1: float = 0.0) -> dict[str, tuple[float, float]]:
    """``{Dense node id: (λ₂, λ₁)}``: the node's own λ where it sets one, else the project's."""
    out = {}
    for nid, node in graph.nodes.items():
        if node.kind == "dense":
            p = node.params
            out[nid] = (float(l2 if p.get("l2") is None else p["l2"]),
                        float(l1 if p.get("l1") is None else p["l1"]))
    return out


class Penalty:
    """The L1/L2 penalties of a model under project-wide λs, per-node overrides applied.

    ``terms`` lists ``(slice, λ₂, λ₁)`` for each Dense W with a non-zero λ; ``active`` is
    False when there is nothing to add (then the trainer skips it entirely)."""

    def __init__(self, model, l2: float = 0.0, l1: float = 0.0) -> None:
        self.terms: list[tuple[slice, float, float]] = []
        lams = node_penalties(model.graph, l2, l1)
        for nid, sl in dense_weight_slices(model):
            n2, n1 = lams[nid]
            if n2 or n1:
                self.terms.append((sl, n2, n1))
        self.active = bool(self.terms)

    def value(self, P: np.ndarray) -> float:
        """``Σ λ₂·Σw² + λ₁·Σ|w|`` over the penalised weights (float64)."""
        total = 0.0
        for sl, l2, l1 in self.terms:
            w = P[sl]
            if l2:
                total += l2 * float(np.dot(w, w))
            if l1:
                total += l1 * float(np.abs(w).sum())
        return total

    def add_grad(self, P: np.ndarray, G: np.ndarray) -> None:
        """``G += 2·λ₂·w + λ₁·sign(w)`` on the penalised weights, in place."""
        for sl, l2, l1 in self.terms:
            w, g = P[sl], G[sl]
            if l2:
                g += (2.0 * l2) * w
            if l1:
                g += l1 * np.sign(w)


def clip_global_norm(G: np.ndarray, max_norm: float) -> bool:
    """Scale ``G`` in place so that ``‖G‖₂ ≤ max_norm``; True when it was scaled."""
    norm = float(np.sqrt(np.dot(G, G)))
    if max_norm > 0 and norm > max_norm and math.isfinite(norm):
        G *= max_norm / norm
        return True
    return False
