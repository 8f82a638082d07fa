"""NetCanvas's training rules in PyTorch: the losses, the optimizers' exact update rules and
defaults, the scores, and the relative difference ``verify.py`` judges by.

The optimizers are NetCanvas's, not ``torch.optim``'s look-alikes: NetCanvas's Adam puts ε outside
the bias correction (``θ ← θ − η·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)``) and its momentum keeps a velocity
in parameter units (``v ← μ·v − η·g``, ``θ ← θ + v``), so these classes update the same way.
"""
from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["LOSSES", "OPTIMIZERS", "make_loss", "make_optimizer", "scores", "relative_difference"]


# -- losses: the mean over the batch of ``pred`` (B, T) raw outputs (logits for classes) -------
def _mse(pred, y):
    e = pred - y
    return (e * e).mean()


def _mae(pred, y):
    return (pred - y).abs().mean()


def _huber(pred, y, delta=1.0):
    a = (pred - y).abs()
    return torch.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta)).mean()


def _bce(pred, y):
    z = pred[:, 0]
    return (torch.logaddexp(torch.zeros_like(z), z) - y.to(z.dtype) * z).mean()


def _ce(pred, y):
    return torch.nn.functional.cross_entropy(pred, y)


LOSSES = {"mse": _mse, "mae": _mae, "huber": _huber, "bce": _bce, "ce": _ce}


def make_loss(name: str):
    return LOSSES[name]


# -- optimizers ------------------------------------------------------------------------------------
class _Rule:
    """Updates a list of parameters in place from their ``.grad``; state per parameter."""

    defaults: dict[str, float] = {}

    def __init__(self, params, lr: float, **hyper) -> None:
        self.params = list(params)
        self.lr = float(lr)
        self.hyper = {**self.defaults, **{k: float(v) for k, v in hyper.items()}}
        self.t = 0
        self.state: list[dict[str, torch.Tensor]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def slot(self, i: int, key: str) -> torch.Tensor:
        st = self.state[i]
        if key not in st:
            st[key] = torch.zeros_like(self.params[i])
        return st[key]

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self.update(i, p, p.grad)

    def update(self, i, p, g):  # pragma: no cover - interface
        raise NotImplementedError

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {f"{i}.{k}": v for i, st in enumerate(self.state) for k, v in st.items()}


class SGD(_Rule):
    """``θ ← θ − η·g``; with momentum μ > 0: ``v ← μ·v − η·g``, ``θ ← θ + v``."""

    defaults = {"momentum": 0.0}

    def update(self, i, p, g):
        mu = self.hyper["momentum"]
        if mu == 0.0:
            p -= self.lr * g
        else:
            v = self.slot(i, "v")
            v *= mu
            v -= self.lr * g
            p += v


class Momentum(SGD):
    defaults = {"momentum": 0.9}


class Adam(_Rule):
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.hyper["beta1"], self.hyper["beta2"]
        self._step = self.lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self.update(i, p, p.grad)

    def update(self, i, p, g):
        b1, b2, eps = self.hyper["beta1"], self.hyper["beta2"], self.hyper["eps"]
        m, v = self.slot(i, "m"), self.slot(i, "v")
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        p -= self._step * m / (v.sqrt() + eps)


class RMSProp(_Rule):
    defaults = {"rho": 0.9, "eps": 1e-8}

    def update(self, i, p, g):
        rho, eps = self.hyper["rho"], self.hyper["eps"]
        v = self.slot(i, "v")
        v *= rho
        v += (1 - rho) * (g * g)
        p -= self.lr * g / (v.sqrt() + eps)


class Adagrad(_Rule):
    defaults = {"eps": 1e-8}

    def update(self, i, p, g):
        s = self.slot(i, "s")
        s += g * g
        p -= self.lr * g / (s.sqrt() + self.hyper["eps"])


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam, "rmsprop": RMSProp, "adagrad": Adagrad}


def make_optimizer(name: str, params, lr: float, momentum: float = 0.9) -> _Rule:
    """As NetCanvas's trainer: the "momentum" optimizer takes the project's momentum."""
    return OPTIMIZERS[name](params, lr, **({"momentum": momentum} if name == "momentum" else {}))


# -- scores ----------------------------------------------------------------------------------------
def scores(pred: np.ndarray, y: np.ndarray, loss: float, task: str, y_std) -> dict[str, float]:
    """NetCanvas's scores of raw outputs ``pred`` (N, T): loss, r2, mae, rmse (target units) for
    regression; loss, accuracy and macro F1 (over the classes present) for classes."""
    out = {"loss": loss}
    if len(pred) == 0:
        keys = ("r2", "mae", "rmse") if task == "regression" else ("accuracy", "f1")
        return {"loss": math.nan, **{k: math.nan for k in keys}}
    if task == "regression":
        err = pred - y
        ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1 - (err ** 2).sum(axis=0) / np.where(ss_tot > 0, ss_tot, 1), math.nan)
        scale = np.asarray(y_std, np.float64)
        out.update(r2=float(np.mean(r2)), mae=float(np.mean(np.abs(err).mean(axis=0) * scale)),
                   rmse=float(np.mean(np.sqrt((err ** 2).mean(axis=0)) * scale)))
        return out
    k = pred.shape[1] if task == "multiclass" else 2
    labels = pred.argmax(axis=1) if task == "multiclass" else (pred[:, 0] > 0).astype(np.int64)
    cm = np.bincount(y * k + labels, minlength=k * k).reshape(k, k).astype(np.float64)
    both = cm.sum(axis=0) + cm.sum(axis=1)
    f1 = 2 * np.diag(cm)[both > 0] / both[both > 0]
    out.update(accuracy=float(np.mean(labels == y)), f1=float(f1.mean()) if len(f1) else math.nan)
    return out


def relative_difference(got: np.ndarray, want: np.ndarray, task: str, y_std) -> float:
    """The largest difference divided by ``max(|want|, floor·scale)``: NetCanvas's ONNX check
    (engine/export.py verify_onnx). Regression: scale = max(|y_std|, largest |value| of the
    column), floor 0.1 (a float32 network rounds at ~1e-7 of the column's scale); probabilities:
    scale 1, floor 1e-6."""
    if want.size == 0:
        return 0.0
    if task == "regression":
        scale, floor = np.maximum(np.abs(np.asarray(y_std, np.float64)), np.abs(want).max(axis=0)), 0.1
    else:
        scale, floor = np.ones(want.shape[1]), 1e-6
    diff = np.abs(got - want) / np.maximum(np.abs(want), floor * scale)
    return float(diff.max()) if np.all(np.isfinite(diff)) else math.inf
