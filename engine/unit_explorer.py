"""One hidden unit of a one-input network, set by hand: the lecture's
``ŷ = b + Σᵢ cᵢ·aᵢ(x)`` with ``aᵢ = act(bᵢ + wᵢ·x)``.

The window's unit explorer (``gui/plots/unit_explorer.py``) reads and writes a unit's three
numbers through these functions; they never change the weights they are given. ``x`` here
is the input as the network sees it (standardized when the data are); the curves are in
the model's units (the window scales them to the target's).

Shapes: the hidden Dense's ``W`` is ``(1, k)`` and ``b`` ``(k,)``; the output Dense's ``W``
is ``(k, 1)`` and ``b`` ``(1,)``; ``x`` is ``(M,)``; terms are ``(k, M)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.graph import ACTIVATION_KINDS
from engine.layers import make_op

__all__ = ["UnitLayout", "unit_layout", "unit_values", "constant", "with_unit", "unit_terms", "activate"]

NOT_ONE_INPUT = ("The unit explorer needs a network with one input, one hidden Dense layer and an "
                 "activation (sigmoid, hard sigmoid, ReLU, …) feeding a Dense of 1 unit and a "
                 "regression Output: ŷ = b + Σ cᵢ·act(bᵢ + wᵢ·x).")


@dataclass(frozen=True)
class UnitLayout:
    """Where a one-input network keeps each hidden unit's wᵢ, bᵢ, cᵢ and the constant b."""
    hidden: str                # the hidden Dense node (W (1, k), b (k,))
    act: str                   # the activation node after it
    kind: str                  # its kind ("sigmoid", "hard_sigmoid", "relu", …)
    act_params: dict           # its settings (a leaky ReLU's α)
    out: str                   # the output Dense (W (k, 1), b (1,))
    units: int                 # k
    hidden_bias: bool          # the hidden Dense learns bᵢ
    out_bias: bool             # the output Dense learns b

    def w_name(self, i: int) -> str:
        return f"{self.hidden}.W[0,{i}]"

    def b_name(self, i: int) -> str:
        return f"{self.hidden}.b[{i}]"

    def c_name(self, i: int) -> str:
        return f"{self.out}.W[{i},0]"


def unit_layout(graph) -> tuple[UnitLayout | None, str]:
    """The layout of ``graph`` if it is ``Input(1) → Dense(k) → activation → Dense(1) → Output``
    (regression), else ``(None, why)``."""
    if graph.validate():
        return None, NOT_ONE_INPUT
    try:
        out_node = graph.output_node()
        srcs = graph.inputs_of(out_node)
        if graph.nodes[out_node].params.get("task") != "regression" or len(srcs) != 1:
            return None, NOT_ONE_INPUT
        out = srcs[0]
        acts = graph.inputs_of(out)
        if graph.nodes[out].kind != "dense" or graph.nodes[out].params.get("units") != 1 or len(acts) != 1:
            return None, NOT_ONE_INPUT
        act = acts[0]
        hidden_src = graph.inputs_of(act)
        if graph.nodes[act].kind not in ACTIVATION_KINDS or len(hidden_src) != 1:
            return None, NOT_ONE_INPUT
        hidden = hidden_src[0]
        inputs = graph.inputs_of(hidden)
        if graph.nodes[hidden].kind != "dense" or len(inputs) != 1:
            return None, NOT_ONE_INPUT
        inp = graph.nodes[inputs[0]]
        if inp.kind != "input" or inp.params.get("features") != 1:
            return None, NOT_ONE_INPUT
    except (KeyError, ValueError, IndexError):
        return None, NOT_ONE_INPUT
    h, o, a = graph.nodes[hidden], graph.nodes[out], graph.nodes[act]
    return UnitLayout(hidden, act, a.kind, dict(a.params), out, int(h.params["units"]),
                      bool(h.params.get("bias", True)), bool(o.params.get("bias", True))), ""


def unit_values(weights: dict, lay: UnitLayout, i: int) -> tuple[float, float, float]:
    """``(wᵢ, bᵢ, cᵢ)`` of unit ``i`` (``bᵢ`` is 0 when the hidden Dense has no bias)."""
    w = float(weights[f"{lay.hidden}.W"][0, i])
    b = float(weights[f"{lay.hidden}.b"][i]) if lay.hidden_bias else 0.0
    c = float(weights[f"{lay.out}.W"][i, 0])
    return w, b, c


def constant(weights: dict, lay: UnitLayout) -> float:
    """The output's b (0 without a bias)."""
    return float(weights[f"{lay.out}.b"][0]) if lay.out_bias else 0.0


def with_unit(weights: dict, lay: UnitLayout, i: int, w: float, b: float, c: float) -> dict:
    """``weights`` with unit ``i``'s ``(w, b, c)`` (``b`` ignored without a bias): a new dict whose
    three changed arrays are copies; the other arrays are shared, and ``weights`` is unchanged."""
    new = dict(weights)
    for k in (f"{lay.hidden}.W", f"{lay.hidden}.b", f"{lay.out}.W"):
        if k in new:
            new[k] = np.array(new[k], copy=True)
    new[f"{lay.hidden}.W"][0, i] = w
    if lay.hidden_bias:
        new[f"{lay.hidden}.b"][i] = b
    new[f"{lay.out}.W"][i, 0] = c
    return new


def activate(lay: UnitLayout, r: np.ndarray) -> np.ndarray:
    """The layer's activation of ``r`` (any shape), by the engine's own op, in float64."""
    r = np.asarray(r, np.float64)
    op = make_op(lay.kind, lay.act_params, 1, np.float64, np.random.default_rng(0))
    return np.asarray(op.forward(r.reshape(-1, 1)), np.float64).reshape(r.shape)


def unit_terms(weights: dict, lay: UnitLayout, x: np.ndarray) -> np.ndarray:
    """Every unit's term ``cᵢ·act(bᵢ + wᵢ·x)`` over ``x`` (M,): shape ``(k, M)``."""
    x = np.asarray(x, np.float64)
    W = np.asarray(weights[f"{lay.hidden}.W"], np.float64)[0]                 # (k,)
    b = np.asarray(weights[f"{lay.hidden}.b"], np.float64) if lay.hidden_bias else np.zeros_like(W)
    c = np.asarray(weights[f"{lay.out}.W"], np.float64)[:, 0]
    with np.errstate(all="ignore"):
        return c[:, None] * activate(lay, b[:, None] + W[:, None] * x[None, :])
