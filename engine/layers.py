"""Ops with a local forward and backward rule.

Shapes: ``x`` is ``(B, F_in)``, the output ``(B, F_out)``. ``forward`` caches
what ``backward`` needs; ``backward(dy)`` takes ``dL/dy`` and returns
``dL/dx`` (a list for multi-input ops), writing parameter gradients into
``grads`` in place. Parameters and gradients live in dicts keyed by local
name (``"W"``, ``"b"``); the model prefixes them with the node id.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Op", "Dense", "Dropout", "Add", "Concat", "ACTIVATIONS", "make_op", "init_weights", "sigmoid"]


# the largest x with e^x finite, per float type: sigmoid clips −z there so e^−z never overflows
_EXP_LIMIT = {np.dtype(np.float32): 88.0, np.dtype(np.float64): 709.0}


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``σ(z) = 1 / (1 + e^−z)``, elementwise, the one sigmoid of NetCanvas (the Sigmoid op, the
    Softplus derivative, the binary cross-entropy, predicted probabilities, the export's reference).

    Numerically stable: ``e^−z`` is computed for ``z ≥ −88`` (float32) or ``−709`` (float64) only, so
    it never overflows and ±inf give 0 and 1 (to within the dtype's smallest normal number); and a
    tiny result keeps its relative precision (``σ(−40) ≈ 4.2e−18``, which ``(1 + tanh(z/2)) / 2``
    rounds to 0). Float32 in, float32 out; integers are computed in float64.
    """
    z = np.asarray(z)
    limit = _EXP_LIMIT.get(z.dtype)
    if limit is None:
        z, limit = z.astype(np.float64), _EXP_LIMIT[np.dtype(np.float64)]
    a = np.maximum(z, -limit)
    if a.ndim == 0:
        return 1 / (1 + np.exp(-a))
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    return np.reciprocal(a, out=a)


class Op:
    """Base class: an op without parameters."""

    multi_input = False

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.need_dx = True

    def forward(self, x, training: bool = False):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, dy):  # pragma: no cover - interface
        raise NotImplementedError


def init_weights(rng: np.random.Generator, kind: str, fan_in: int, fan_out: int, dtype) -> np.ndarray:
    """``(fan_in, fan_out)`` weights: Xavier/Glorot uniform, He normal, or small uniform ±0.05."""
    if kind == "xavier":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-limit, limit, size=(fan_in, fan_out))
    elif kind == "he":
        W = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    elif kind == "uniform":
        W = rng.uniform(-0.05, 0.05, size=(fan_in, fan_out))
    else:
        raise ValueError(f"unknown initializer '{kind}'")
    return W.astype(dtype)


class Dense(Op):
    """``y = x·W + b`` with ``W`` of shape ``(F_in, units)`` and ``b`` of shape ``(units,)``."""

    def __init__(self, fan_in: int, units: int, bias: bool, init: str, dtype) -> None:
        super().__init__()
        self.fan_in, self.units, self.bias, self.init = fan_in, units, bias, init
        self.params["W"] = np.zeros((fan_in, units), dtype)
        self.grads["W"] = np.zeros((fan_in, units), dtype)
        if bias:
            self.params["b"] = np.zeros(units, dtype)
            self.grads["b"] = np.zeros(units, dtype)
        self._x = None

    def reset(self, rng: np.random.Generator) -> None:
        self.params["W"][...] = init_weights(rng, self.init, self.fan_in, self.units, self.params["W"].dtype)
        if self.bias:
            self.params["b"][...] = 0

    def forward(self, x, training=False):
        self._x = x
        y = x @ self.params["W"]
        if self.bias:
            y += self.params["b"]
        return y

    def backward(self, dy):
        np.matmul(self._x.T, dy, out=self.grads["W"])
        if self.bias:
            dy.sum(axis=0, out=self.grads["b"])
        if self.need_dx:
            return dy @ self.params["W"].T
        return None


class Identity(Op):
    def forward(self, x, training=False):
        return x

    def backward(self, dy):
        return dy


class Sigmoid(Op):
    """``a = 1 / (1 + e^−r)`` (:func:`sigmoid`)."""

    def forward(self, x, training=False):
        self._a = sigmoid(x)
        return self._a

    def backward(self, dy):
        a = self._a
        return dy * a * (1 - a)


class HardSigmoid(Op):
    """``a = clip(0.2·r + 0.5, 0, 1)``."""

    def forward(self, x, training=False):
        r = x * 0.2
        r += 0.5
        self._inside = (r > 0) & (r < 1)
        return np.clip(r, 0, 1, out=r)

    def backward(self, dy):
        return dy * self._inside * 0.2


class ReLU(Op):
    def forward(self, x, training=False):
        self._pos = x > 0
        return x * self._pos

    def backward(self, dy):
        return dy * self._pos


class LeakyReLU(Op):
    def __init__(self, alpha: float) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x, training=False):
        self._slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype)
        return x * self._slope

    def backward(self, dy):
        return dy * self._slope


class Tanh(Op):
    def forward(self, x, training=False):
        self._a = np.tanh(x)
        return self._a

    def backward(self, dy):
        return dy * (1 - self._a * self._a)


class Softplus(Op):
    """``a = ln(1 + e^r)``; its derivative is the sigmoid."""

    def forward(self, x, training=False):
        self._x = x
        return np.logaddexp(0, x).astype(x.dtype, copy=False)

    def backward(self, dy):
        return dy * sigmoid(self._x)


class Dropout(Op):
    """Inverted dropout: while training keep each value with probability ``1 − p`` and scale by ``1/(1 − p)``."""

    def __init__(self, rate: float, rng: np.random.Generator) -> None:
        super().__init__()
        self.rate, self.rng = rate, rng
        self._mask = None

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        self._mask = (self.rng.random(x.shape) < keep).astype(x.dtype) / np.asarray(keep, x.dtype)
        return x * self._mask

    def backward(self, dy):
        return dy if self._mask is None else dy * self._mask


class Add(Op):
    multi_input = True

    def forward(self, xs, training=False):
        self._n = len(xs)
        y = xs[0].copy()
        for x in xs[1:]:
            y += x
        return y

    def backward(self, dy):
        return [dy] * self._n


class Concat(Op):
    multi_input = True

    def forward(self, xs, training=False):
        self._splits = np.cumsum([x.shape[1] for x in xs])[:-1]
        return np.concatenate(xs, axis=1)

    def backward(self, dy):
        return np.split(dy, self._splits, axis=1)


ACTIVATIONS = {
    "identity": Identity, "sigmoid": Sigmoid, "hard_sigmoid": HardSigmoid, "relu": ReLU,
    "tanh": Tanh, "softplus": Softplus,
}


def make_op(kind: str, params: dict, fan_in: int, dtype, rng: np.random.Generator) -> Op:
    """Build the op for a graph node kind (``input`` and ``output`` are identities)."""
    if kind == "dense":
        return Dense(fan_in, params["units"], params["bias"], params["init"], dtype)
    if kind in ACTIVATIONS:
        return ACTIVATIONS[kind]()
    if kind == "leaky_relu":
        return LeakyReLU(params["alpha"])
    if kind == "dropout":
        return Dropout(params["rate"], rng)
    if kind == "add":
        return Add()
    if kind == "concat":
        return Concat()
    if kind in ("input", "output"):
        return Identity()
    raise ValueError(f"no op for node kind '{kind}'")
