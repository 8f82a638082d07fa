"""Why does the model answer that, and can noise fool it? (the lecture's explainable AI and
model attack)

- :func:`permutation_importance`: how much the validation loss rises when one input's values
  are shuffled among the rows (each lag of a series is an input; a one-hot group is one input).
- :func:`gradient_x_input`: for one example, each input's standardized value times the
  gradient of the output with respect to it (what each input pushed the answer by, to first order).
- :func:`fgsm_flip`: for a classifier and one example, the smallest step ε along the sign of
  the input gradient of the loss (FGSM, in standardized units) that changes the predicted class.

Inputs are the dataset's standardized features (``Dataset.X_val`` rows). Pure NumPy; never
imports Qt.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import softmax
from .model import Model
from .table import Cancelled

__all__ = ["Attribution", "FgsmResult", "fgsm_flip", "gradient_x_input", "input_groups",
           "permutation_importance"]


def input_groups(feature_names: list[str], onehot: dict[str, list[str]] | None = None
                 ) -> list[tuple[str, list[int]]]:
    """Inputs as a person names them: ``(name, feature columns)`` in feature order. The one-hot
    columns ``"origin=EU"``, ``"origin=US"`` of ``onehot["origin"]`` are one input ``"origin"``."""
    owner = {f"{col}={c}": col for col, cats in (onehot or {}).items() for c in cats}
    groups: dict[str, list[int]] = {}
    for j, name in enumerate(feature_names):
        groups.setdefault(owner.get(name, name), []).append(j)
    return list(groups.items())


def _mean_loss(model: Model, loss, X: np.ndarray, y: np.ndarray, chunk: int, tick) -> float:
    total = 0.0
    for i in range(0, len(X), chunk):
        Xc = np.asarray(X[i:i + chunk], model.dtype)
        total += loss.value(model.forward(Xc).astype(np.float64), y[i:i + chunk]) * len(Xc)
        tick()
    return total / len(X)


def permutation_importance(model: Model, loss, X: np.ndarray, y: np.ndarray,
                           groups: list[tuple[str, list[int]]], seed: int = 0, chunk: int = 16384,
                           progress=None, cancelled=None) -> dict[str, float]:
    """{input name: validation loss with that input's columns permuted − the loss as it is}.

    ``X`` ``(N, F)`` standardized rows, ``y`` their targets as the loss takes them. The rows
    of one input's columns move together (one permutation per input, from ``seed``).
    ``progress(done, total)`` is called after each chunk of rows; ``cancelled()`` returning
    True raises :class:`~engine.table.Cancelled` at the next chunk.
    """
    n = len(X)
    if n == 0:
        return {name: float("nan") for name, _ in groups}
    n_chunks = -(-n // chunk)
    total, done = n_chunks * (len(groups) + 1), [0]

    def tick():
        done[0] += 1
        if cancelled is not None and cancelled():
            raise Cancelled("permutation importance cancelled")
        if progress is not None:
            progress(done[0], total)

    base = _mean_loss(model, loss, X, y, chunk, tick)
    rng = np.random.default_rng(seed)
    out = {}
    for name, cols in groups:
        perm = rng.permutation(n)
        cols_ix = np.asarray(cols)
        loss_sum = 0.0
        for i in range(0, n, chunk):
            Xc = np.array(X[i:i + chunk], model.dtype)
            Xc[:, cols_ix] = X[perm[i:i + chunk][:, None], cols_ix[None, :]]
            loss_sum += loss.value(model.forward(Xc).astype(np.float64), y[i:i + chunk]) * len(Xc)
            tick()
        out[name] = float(loss_sum / n - base)
    return out


@dataclass(frozen=True)
class Attribution:
    """Gradient × input for one example: ``values`` {input name: contribution} to ``output``
    (``what`` says which output: the prediction in target units, or a class's logit)."""

    values: dict[str, float]
    output: float
    what: str


def _output_seed(model: Model, z: np.ndarray) -> tuple[np.ndarray, int]:
    """dY selecting the explained output: regression output 0, the binary logit, or the logit of
    the predicted class; and that class (−1 for regression)."""
    dY = np.zeros_like(z, dtype=np.float64)
    if model.task == "regression":
        dY[0, 0] = 1.0
        return dY, -1
    if model.task == "binary":
        dY[0, 0] = 1.0
        return dY, int(z[0, 0] > 0)
    k = int(z[0].argmax())
    dY[0, k] = 1.0
    return dY, k


def gradient_x_input(model: Model, x: np.ndarray, groups: list[tuple[str, list[int]]],
                     y_std: float = 1.0, class_names: list[str] | None = None) -> Attribution:
    """Each input's ``x_j · ∂y/∂x_j`` for one standardized example ``x`` ``(F,)``, summed over a
    one-hot group. The reference point is x = 0, the training rows' mean; for regression the
    output is in the target's units (``y_std``), for a classifier it is a logit (binary: of the
    second class; multiclass: of the predicted class)."""
    x = np.asarray(x, np.float64).reshape(1, -1)
    z = model.forward(np.asarray(x, model.dtype)).astype(np.float64)
    dY, k = _output_seed(model, z)
    g = model.input_gradient(x, dY).astype(np.float64)[0]
    scale = float(y_std) if model.task == "regression" else 1.0
    contrib = x[0] * g * scale
    names = class_names or []
    if model.task == "regression":
        what, out = "prediction", float(z[0, 0] * scale)
    elif model.task == "binary":
        what, out = f"logit of {names[1] if len(names) > 1 else 'class 1'}", float(z[0, 0])
    else:
        what, out = f"logit of {names[k] if k < len(names) else f'class {k}'}", float(z[0, k])
    return Attribution({name: float(contrib[cols].sum()) for name, cols in groups}, out, what)


@dataclass(frozen=True)
class FgsmResult:
    """The smallest FGSM step that changes the class: ``x_adv = x + eps·direction``
    (standardized units), from class ``before`` to ``after`` (indices) with their probabilities."""

    eps: float
    x: np.ndarray
    x_adv: np.ndarray
    direction: np.ndarray
    before: int
    after: int
    p_before: float
    p_after: float


def _classes(model: Model, X: np.ndarray) -> np.ndarray:
    z = model.forward(np.asarray(X, model.dtype)).astype(np.float64)
    return (z[:, 0] > 0).astype(np.int64) if model.task == "binary" else z.argmax(axis=1)


def _probs(model: Model, x: np.ndarray) -> np.ndarray:
    z = model.forward(np.asarray(x.reshape(1, -1), model.dtype)).astype(np.float64)
    if model.task == "binary":
        p = 1.0 / (1.0 + np.exp(-z[0, 0]))
        return np.array([1 - p, p])
    return softmax(z)[0]


def fgsm_flip(model: Model, x: np.ndarray, max_eps: float = 10.0, grid: int = 200,
              tol: float = 1e-6) -> FgsmResult | None:
    """The smallest ε ≤ ``max_eps`` with class(x + ε·sign(∇ₓL(x, ĉ))) ≠ ĉ, the predicted class
    (the loss is the cross-entropy of the prediction as if it were the label): the direction is
    fixed at ``x``, ε is found on a grid of ``grid`` steps and then by bisection to ``tol``.
    None when the model is not a classifier, the gradient is zero, or no ε up to ``max_eps`` flips it."""
    if model.task not in ("binary", "multiclass"):
        return None
    x = np.asarray(x, np.float64).ravel()
    z = model.forward(np.asarray(x.reshape(1, -1), model.dtype)).astype(np.float64)
    if model.task == "binary":
        c = int(z[0, 0] > 0)
        dz = np.array([[-1.0 / (1.0 + np.exp(z[0, 0])) if c else 1.0 / (1.0 + np.exp(-z[0, 0]))]])
    else:
        c = int(z[0].argmax())
        dz = softmax(z)
        dz[0, c] = -(np.delete(dz[0], c).sum())     # p_c − 1 without cancellation
    top = np.abs(dz).max()
    if top == 0:
        return None
    direction = np.sign(model.input_gradient(x.reshape(1, -1), dz / top).astype(np.float64)[0])
    if not direction.any():
        return None
    eps = np.linspace(0.0, max_eps, grid + 1)[1:]
    flipped = np.flatnonzero(_classes(model, x[None, :] + eps[:, None] * direction[None, :]) != c)
    if len(flipped) == 0:
        return None
    hi = float(eps[flipped[0]])
    lo = float(eps[flipped[0] - 1]) if flipped[0] > 0 else 0.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if _classes(model, (x + mid * direction)[None, :])[0] != c:
            hi = mid
        else:
            lo = mid
    x_adv = x + hi * direction
    after = int(_classes(model, x_adv[None, :])[0])
    p0, p1 = _probs(model, x), _probs(model, x_adv)
    return FgsmResult(eps=hi, x=x, x_adv=x_adv, direction=direction, before=c, after=after,
                      p_before=float(p0[c]), p_after=float(p1[after]))
