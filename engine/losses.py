"""Losses over a batch, each with its gradient.

``pred`` is the model's raw output ``(B, T)``: values for regression, logits
for classification (the sigmoid / softmax is folded into the cross-entropy
for numerical stability). ``y`` is ``(B, T)`` floats for regression and
``(B,)`` integer class indices for classification. ``value`` returns the
mean loss; ``grad`` returns ``dL/dpred`` of shape ``(B, T)``.
"""
from __future__ import annotations

import numpy as np

from .layers import sigmoid

__all__ = ["Loss", "MSE", "MAE", "Huber", "BinaryCrossEntropy", "SoftmaxCrossEntropy",
           "LOSSES", "make_loss", "losses_for_task", "softmax"]


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Loss:
    name = ""
    title = ""
    formula = ""
    tasks: tuple[str, ...] = ()

    def value(self, pred, y) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def grad(self, pred, y):  # pragma: no cover - interface
        raise NotImplementedError

    def value_and_grad(self, pred, y):
        return self.value(pred, y), self.grad(pred, y)


class MSE(Loss):
    name, title, formula, tasks = "mse", "Mean squared error", "L = mean((y − ŷ)²)", ("regression",)

    def value(self, pred, y):
        e = pred - y
        return float(np.mean(e * e))

    def grad(self, pred, y):
        e = pred - y
        e *= 2.0 / e.size
        return e

    def value_and_grad(self, pred, y):
        e = pred - y
        v = float(np.vdot(e, e)) / e.size
        e *= 2.0 / e.size
        return v, e


class MAE(Loss):
    name, title, formula, tasks = "mae", "Mean absolute error", "L = mean(|y − ŷ|)", ("regression",)

    def value(self, pred, y):
        return float(np.mean(np.abs(pred - y)))

    def grad(self, pred, y):
        return np.sign(pred - y) / (pred.size)


class Huber(Loss):
    name, title, tasks = "huber", "Huber", ("regression",)
    formula = "L = mean(½e² if |e| ≤ δ else δ(|e| − ½δ)), δ = 1"

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = delta

    def value(self, pred, y):
        a = np.abs(pred - y)
        d = self.delta
        return float(np.mean(np.where(a <= d, 0.5 * a * a, d * (a - 0.5 * d))))

    def grad(self, pred, y):
        e = pred - y
        return np.clip(e, -self.delta, self.delta) / e.size


class BinaryCrossEntropy(Loss):
    name, title, tasks = "bce", "Binary cross-entropy", ("binary",)
    formula = "L = −mean(y·ln p + (1 − y)·ln(1 − p)), p = sigmoid(z)"

    def value(self, pred, y):
        z = pred[:, 0]
        # ln(1 + e^z) − y·z, stable for large |z|
        return float(np.mean(np.logaddexp(0, z) - y * z))

    def grad(self, pred, y):
        g = sigmoid(pred)
        g[:, 0] -= y
        g /= len(y)
        return g


class SoftmaxCrossEntropy(Loss):
    name, title, tasks = "ce", "Cross-entropy", ("multiclass",)
    formula = "L = −mean(ln p_y), p = softmax(z)"

    def value(self, pred, y):
        z = pred - pred.max(axis=1, keepdims=True)
        logsum = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(logsum - z[np.arange(len(y)), y]))

    def grad(self, pred, y):
        p = softmax(pred)
        p[np.arange(len(y)), y] -= 1
        p /= len(y)
        return p


LOSSES = {cls.name: cls for cls in (MSE, MAE, Huber, BinaryCrossEntropy, SoftmaxCrossEntropy)}


def losses_for_task(task: str) -> list[str]:
    return [name for name, cls in LOSSES.items() if task in cls.tasks]


def make_loss(name: str, task: str) -> Loss:
    """The loss called ``name``; ValueError if it does not fit the task."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss '{name}'; choose from {', '.join(LOSSES)}")
    cls = LOSSES[name]
    if task not in cls.tasks:
        raise ValueError(f"loss '{name}' does not fit a {task} task; use {' or '.join(losses_for_task(task))}")
    return cls()
