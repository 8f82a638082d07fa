"""NetCanvas's training rules in PyTorch: the losses, the optimizers' exact update rules and
defaults, the scores, and the relative difference ``verify.py`` judges by.

The optimizers are NetCanvas's, not ``torch.optim``'s look-alikes: NetCanvas's Adam puts ε outside
the bias correction (``θ ← θ − η·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)``) and its momentum keeps a velocity
in parameter units (``v ← μ·v − η·g``, ``θ ← θ + v``), so these classes update the same way.

Regularization as NetCanvas applies it (its engine/regularization.py): L2/L1 penalties on Dense
weights only (``penalty``), AdamW's decoupled decay after the Adam step, the learning-rate
schedules (``lr_at``) and clipping by global norm (``clip_global_norm``).
"""
from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["LOSSES", "OPTIMIZERS", "make_loss", "make_optimizer", "scores", "relative_difference",
           "penalty", "lr_at", "clip_global_norm"]


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


class AdamW(Adam):
    """Adam, then ``w ← w − η·wd·w`` on the parameters at the indices in ``decay``
    (NetCanvas decays the Dense weights, never the biases)."""
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}

    def __init__(self, params, lr: float, decay=(), **hyper) -> None:
        super().__init__(params, lr, **hyper)
        self.decay = set(decay)

    @torch.no_grad()
    def step(self) -> None:
        super().step()
        shrink = self.lr * self.hyper["weight_decay"]
        if shrink:
            for i in self.decay:
                self.params[i] -= shrink * self.params[i]


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


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam, "adamw": AdamW, "rmsprop": RMSProp,
              "adagrad": Adagrad}


def make_optimizer(name: str, params, lr: float, momentum: float = 0.9, weight_decay: float = 0.0,
                   decay=()) -> _Rule:
    """As NetCanvas's trainer: the "momentum" optimizer takes the project's momentum, "adamw" its
    weight decay over the parameters at the indices in ``decay``."""
    if name == "momentum":
        return Momentum(params, lr, momentum=momentum)
    if name == "adamw":
        return AdamW(params, lr, decay=decay, weight_decay=weight_decay)
    return OPTIMIZERS[name](params, lr)


# -- regularization and the learning-rate schedule ---------------------------------------------
def penalty(named_params, lambdas: dict):
    """``Σ λ₂·Σw² + λ₁·Σ|w|`` over the weights named in ``lambdas`` ({name: [λ₂, λ₁]}); a tensor to
    add to the loss (autograd gives 2·λ₂·w and λ₁·sign(w), 0 at 0), or None when every λ is 0."""
    terms = []
    for name, w in named_params:
        l2, l1 = lambdas.get(name, (0.0, 0.0))
        if l2:
            terms.append(l2 * (w * w).sum())
        if l1:
            terms.append(l1 * w.abs().sum())
    return sum(terms[1:], terms[0]) if terms else None


def lr_at(t: int, lr: float, schedule: str = "constant", *, updates_per_epoch: int = 1,
          step_epochs: int = 10, gamma: float = 0.5, total_updates: int = 0, warmup: int = 0) -> float:
    """η of update ``t`` (from 0): constant; step (×γ every k epochs); cosine
    (η·½(1 + cos(π·t/T)), T the run's updates); times a linear warm-up min(1, (t + 1)/n)."""
    t = max(int(t), 0)
    if schedule == "step":
        rate = lr * gamma ** (t // (max(int(step_epochs), 1) * max(int(updates_per_epoch), 1)))
    elif schedule == "cosine" and total_updates > 0:
        rate = lr * 0.5 * (1.0 + math.cos(math.pi * min(t, total_updates) / total_updates))
    else:
        rate = lr
    if warmup > 0 and t < warmup:
        rate *= (t + 1) / warmup
    return rate


@torch.no_grad()
def clip_global_norm(params, max_norm: float) -> bool:
    """Scale every ``.grad`` so that their global norm is at most ``max_norm``; True when scaled."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads or max_norm <= 0:
        return False
    norm = float(torch.sqrt(sum((g.double() * g.double()).sum() for g in grads)))
    if norm > max_norm and math.isfinite(norm):
        for g in grads:
            g *= max_norm / norm
        return True
    return False


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
