"""Update rules. An optimizer updates a dict of parameters in place from a
dict of gradients with the same keys; its state is kept per parameter name.

``θ ← θ − η·g`` is plain gradient descent; the others change the step.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "AdamW", "RMSProp", "Adagrad", "OPTIMIZERS", "make_optimizer"]


class Optimizer:
    name = ""
    title = ""
    defaults: dict[str, float] = {}

    def __init__(self, lr: float = 0.01, **hyper) -> None:
        if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a positive number, not {lr!r}")
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            raise ValueError(f"{self.title} has no setting {', '.join(sorted(unknown))}")
        self.lr = float(lr)
        self.hyper = {**self.defaults, **{k: float(v) for k, v in hyper.items()}}
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.t = 0

    def to_dict(self) -> dict:
        return {"name": self.name, "lr": self.lr, **self.hyper}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        for name, p in params.items():
            self.update(p, grads[name], name)

    def update(self, p: np.ndarray, g: np.ndarray, name: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def _slot(self, name: str, key: str, like: np.ndarray) -> np.ndarray:
        st = self.state.setdefault(name, {})
        if key not in st:
            st[key] = np.zeros_like(like)
        return st[key]

    def reset(self) -> None:
        self.state.clear()
        self.t = 0


class SGD(Optimizer):
    """``θ ← θ − η·g``; with momentum μ: ``v ← μ·v − η·g``, ``θ ← θ + v``."""
    name, title, defaults = "sgd", "Gradient descent", {"momentum": 0.0}

    def step(self, params, grads):
        self.t += 1
        lr, mu = self.lr, self.hyper["momentum"]
        if mu == 0.0:
            for name, p in params.items():
                p -= lr * grads[name]
        else:
            for name, p in params.items():
                v = self._slot(name, "v", p)
                v *= mu
                v -= lr * grads[name]
                p += v


class Momentum(SGD):
    name, title, defaults = "momentum", "Gradient descent + momentum", {"momentum": 0.9}


class Adam(Optimizer):
    name, title = "adam", "Adam"
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    def step(self, params, grads):
        self.t += 1
        b1, b2, eps = self.hyper["beta1"], self.hyper["beta2"], self.hyper["eps"]
        step = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for name, p in params.items():
            g = grads[name]
            m = self._slot(name, "m", p)
            v = self._slot(name, "v", p)
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= step * m / (np.sqrt(v) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: after the Adam step, ``w ← w − η·wd·w``.

    Unlike an L2 penalty (whose gradient ``2·λ·w`` goes through Adam's per-weight scaling),
    the decay shrinks every weight by the same fraction η·wd. ``decay_only`` maps a parameter
    name to the slices (of its flattened array) that decay; a name not in it decays whole.
    The trainer decays Dense weights only, never biases."""
    name, title = "adamw", "AdamW"
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}

    def __init__(self, lr: float = 0.01, **hyper) -> None:
        super().__init__(lr, **hyper)
        self.decay_only: dict[str, list[slice]] = {}

    def step(self, params, grads):
        super().step(params, grads)
        shrink = self.lr * self.hyper["weight_decay"]
        if not shrink:
            return
        for name, p in params.items():
            if name not in self.decay_only:
                p -= shrink * p
                continue
            flat = p.reshape(-1)
            for sl in self.decay_only[name]:
                flat[sl] -= shrink * flat[sl]


class RMSProp(Optimizer):
    name, title, defaults = "rmsprop", "RMSProp", {"rho": 0.9, "eps": 1e-8}

    def step(self, params, grads):
        self.t += 1
        rho, eps = self.hyper["rho"], self.hyper["eps"]
        for name, p in params.items():
            g = grads[name]
            v = self._slot(name, "v", p)
            v *= rho
            v += (1 - rho) * (g * g)
            p -= self.lr * g / (np.sqrt(v) + eps)


class Adagrad(Optimizer):
    name, title, defaults = "adagrad", "Adagrad", {"eps": 1e-8}

    def step(self, params, grads):
        self.t += 1
        eps = self.hyper["eps"]
        for name, p in params.items():
            g = grads[name]
            s = self._slot(name, "s", p)
            s += g * g
            p -= self.lr * g / (np.sqrt(s) + eps)


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Adam, AdamW, RMSProp, Adagrad)}


def make_optimizer(name: str, lr: float, **hyper) -> Optimizer:
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer '{name}'; choose from {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](lr, **hyper)
