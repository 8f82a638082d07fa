"""A validated graph compiled into parameters and a forward/backward pass.

Parameters are addressed by name: ``dense1.W`` is a ``(F_in, units)`` array,
``dense1.b`` a ``(units,)`` array, and a single scalar is ``dense1.W[0,2]`` or
``dense1.b[0]``. ``params`` and ``grads`` are flat dicts over those names
whose arrays are shared with the ops, so an optimizer updating ``params`` in
place updates the model.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .graph import Graph
from .layers import Dense, make_op, sigmoid
from .losses import softmax

__all__ = ["Model", "ModelError", "ScalarNames", "parse_scalar_name", "weights_match"]

_SCALAR_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z]+)\[(\d+)(?:,\s*(\d+))?\]$")


class ModelError(ValueError):
    """The graph cannot be compiled, or a parameter name is unknown."""


def parse_scalar_name(name: str) -> tuple[str, tuple[int, ...]]:
    """``"dense1.W[0,2]"`` → ``("dense1.W", (0, 2))``."""
    m = _SCALAR_RE.match(name.strip())
    if not m:
        raise ModelError(f"'{name}' is not a parameter scalar like dense1.W[0,2] or dense1.b[0]")
    idx = tuple(int(g) for g in m.groups()[1:] if g is not None)
    return m.group(1), idx


class ScalarNames(Sequence):
    """Every scalar parameter's name (``dense1.W[0,2]``) in flat order, made on demand.

    A 1,000,000-parameter network's names as a list took 0.5 s and ~80 MB; this answers
    ``len``, ``names[i]``, ``name in names`` and ``names.index(name)`` from the parameters'
    shapes alone. ``layers()`` gives each layer's (node id, first index, count) for the
    error surface's pickers. Equal to another sequence with the same names in order."""

    def __init__(self, shapes: list[tuple[str, tuple[int, ...]]]) -> None:
        self._keys = [k for k, _ in shapes]
        self._shapes = [tuple(int(n) for n in shape) for _, shape in shapes]
        self._where = {k: i for i, k in enumerate(self._keys)}
        sizes = [int(np.prod(shape)) if shape else 1 for shape in self._shapes]
        self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)

    def __len__(self) -> int:
        return int(self._starts[-1])

    def _name(self, i: int) -> str:
        g = int(np.searchsorted(self._starts, i, side="right")) - 1
        shape = self._shapes[g]
        idx = np.unravel_index(i - int(self._starts[g]), shape) if shape else ()
        return f"{self._keys[g]}[{','.join(str(int(j)) for j in idx)}]"

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._name(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("parameter index out of range")
        return self._name(int(i))

    def __iter__(self):
        for key, shape in zip(self._keys, self._shapes):
            for idx in np.ndindex(shape):
                yield f"{key}[{','.join(map(str, idx))}]"

    def index(self, name: str, *args) -> int:
        try:
            key, idx = parse_scalar_name(name)
        except ModelError:
            raise ValueError(f"{name!r} is not a parameter name") from None
        g = self._where.get(key)
        shape = self._shapes[g] if g is not None else None
        if shape is None or len(idx) != len(shape) or any(i >= n for i, n in zip(idx, shape)) \
                or name.strip() != f"{key}[{','.join(map(str, idx))}]":
            raise ValueError(f"{name!r} is not a parameter of this network")
        return int(self._starts[g]) + (int(np.ravel_multi_index(idx, shape)) if shape else 0)

    def __contains__(self, name) -> bool:
        try:
            self.index(name)
        except (ValueError, TypeError, AttributeError):
            return False
        return True

    def layers(self) -> list[tuple[str, int, int]]:
        """(node id, index of its first scalar, how many it has), in order; a node's W and b
        together."""
        out: list[list] = []
        for g, key in enumerate(self._keys):
            node = key.split(".", 1)[0]
            count = int(self._starts[g + 1] - self._starts[g])
            if out and out[-1][0] == node:
                out[-1][2] += count
            else:
                out.append([node, int(self._starts[g]), count])
        return [tuple(r) for r in out]

    def longest(self, k: int = 3) -> list[str]:
        """The ``k`` longest names (the last of each parameter has the largest indices)."""
        last = [self[int(self._starts[g + 1]) - 1] for g in range(len(self._keys))
                if self._starts[g + 1] > self._starts[g]]
        return sorted(last, key=len)[-k:]

    def __eq__(self, other) -> bool:
        if isinstance(other, ScalarNames):
            return self._keys == other._keys and self._shapes == other._shapes
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"ScalarNames({len(self):,} names in {len(self._keys)} parameters)"


def weights_match(model: "Model", weights: dict | None) -> bool:
    """Whether ``weights`` (name → array) has exactly ``model``'s parameters and shapes, so
    a run can start from them."""
    if not weights:
        return False
    try:
        return set(weights) == set(model.params) and all(
            np.shape(weights[k]) == p.shape for k, p in model.params.items())
    except Exception:
        return False


class Model:
    """The compiled network.

    ``forward(X)`` returns the raw output ``(B, T)`` (logits for
    classification); ``predict(X)`` returns values or class probabilities.
    """

    def __init__(self, graph: Graph, dtype="float32", seed: int | None = 0,
                 rng: np.random.Generator | None = None, init: bool = True) -> None:
        issues = graph.validate()
        if issues:
            raise ModelError(issues[0].message)
        self.graph = graph.copy()
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ModelError(f"dtype must be float32 or float64, not {dtype}")
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        out_node = self.graph.nodes[self.graph.output_node()]
        self.task: str = out_node.params["task"]
        self.n_inputs: int = self.graph.nodes[self.graph.input_node()].params["features"]
        self.n_outputs: int = out_node.params["units"]
        self.widths, _ = self.graph.infer_shapes()

        order = self.graph.topological_order()
        slot = {nid: i for i, nid in enumerate(order)}
        self.order = order
        self.ops = {}
        self._plan = []  # (op, input slots, output slot)
        input_id = self.graph.input_node()
        for nid in order:
            node = self.graph.nodes[nid]
            srcs = self.graph.inputs_of(nid)
            fan_in = self.widths[srcs[0]] if srcs else self.n_inputs
            op = make_op(node.kind, node.params, fan_in, self.dtype, self.rng)
            # the first layer's input gradient is never used
            op.need_dx = not (srcs == [input_id])
            self.ops[nid] = op
            if node.kind != "input":
                self._plan.append((op, [slot[s] for s in srcs], slot[nid]))
        self._n = len(order)
        self._out = slot[self.graph.output_node()]
        self._vals: list = [None] * self._n
        # every parameter (and gradient) is a view into one flat vector, so an
        # optimizer step or a backup is one array operation
        total = sum(p.size for op in self.ops.values() for p in op.params.values())
        self.flat_params = np.zeros(total, self.dtype)
        self.flat_grads = np.zeros(total, self.dtype)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.offsets: dict[str, int] = {}
        pos = 0
        for nid, op in self.ops.items():
            for k, p in op.params.items():
                name = f"{nid}.{k}"
                view = self.flat_params[pos:pos + p.size].reshape(p.shape)
                gview = self.flat_grads[pos:pos + p.size].reshape(p.shape)
                op.params[k], op.grads[k] = view, gview
                self.params[name], self.grads[name] = view, gview
                self.offsets[name] = pos
                pos += p.size
        if init:                      # ``init=False``: zeros, to be filled (see ``copy``)
            self.init_params()

    # -- parameters ----------------------------------------------------------
    def init_params(self, rng: np.random.Generator | None = None) -> None:
        """Draw fresh weights (zero biases) from ``rng`` (the model's own by default)."""
        rng = rng or self.rng
        for op in self.ops.values():
            if isinstance(op, Dense):
                op.reset(rng)

    def copy(self) -> "Model":
        """Another model of the same graph with the same parameters (no random draw: a
        million-parameter network's fresh weights took 15 ms only to be overwritten)."""
        m = Model(self.graph, dtype=self.dtype, init=False)
        np.copyto(m.flat_params, self.flat_params)
        return m

    def get_weights(self) -> dict[str, np.ndarray]:
        """A copy of every parameter array."""
        return {k: v.copy() for k, v in self.params.items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        missing = set(self.params) - set(weights)
        if missing:
            raise ModelError(f"weights are missing {', '.join(sorted(missing))}")
        for k, p in self.params.items():
            w = np.asarray(weights[k])
            if w.shape != p.shape:
                raise ModelError(f"{k} has shape {w.shape}; the graph needs {p.shape}")
            p[...] = w

    def parameter_count(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def scalar_names(self) -> ScalarNames:
        """Every scalar parameter's name, e.g. ``dense1.W[0,2]``, in flat order (a lazy sequence)."""
        return ScalarNames([(k, p.shape) for k, p in self.params.items()])

    def _locate(self, name: str) -> tuple[np.ndarray, tuple[int, ...]]:
        key, idx = parse_scalar_name(name)
        if key not in self.params:
            raise ModelError(f"there is no parameter '{key}'; the model has {', '.join(self.params)}")
        p = self.params[key]
        if len(idx) != p.ndim or any(i >= n for i, n in zip(idx, p.shape)):
            raise ModelError(f"{name} is outside {key}, which has shape {p.shape}")
        return p, idx

    def get_scalar(self, name: str) -> float:
        p, idx = self._locate(name)
        return float(p[idx])

    def set_scalar(self, name: str, value: float) -> None:
        p, idx = self._locate(name)
        p[idx] = value

    def flat_index(self, name: str) -> int:
        """Position of a scalar parameter in ``flat_params`` (for fast repeated reads)."""
        p, idx = self._locate(name)
        key = parse_scalar_name(name)[0]
        return self.offsets[key] + int(np.ravel_multi_index(idx, p.shape))

    # -- passes --------------------------------------------------------------
    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Raw output ``(B, T)`` for inputs ``X`` of shape ``(B, F)``."""
        vals = self._vals
        vals[0] = X
        for op, ins, out in self._plan:
            if op.multi_input:
                vals[out] = op.forward([vals[i] for i in ins], training)
            else:
                vals[out] = op.forward(vals[ins[0]], training)
        return vals[self._out]

    def backward(self, dY: np.ndarray) -> None:
        """Fill ``grads`` from ``dL/dY`` of shape ``(B, T)`` (after a ``forward``)."""
        d: list = [None] * self._n
        d[self._out] = dY
        for op, ins, out in reversed(self._plan):
            g = d[out]
            if g is None:
                continue
            if op.multi_input:
                for i, gi in zip(ins, op.backward(g)):
                    d[i] = gi if d[i] is None else d[i] + gi
            else:
                gi = op.backward(g)
                i = ins[0]
                if gi is not None and i != 0:
                    d[i] = gi if d[i] is None else d[i] + gi

    def input_gradient(self, X: np.ndarray, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` ``(B, F)`` for inputs ``X`` ``(B, F)`` given ``dL/dY`` ``(B, T)`` (explanations
        and attacks: the gradient of a chosen output with respect to the inputs). The
        parameters' gradients are overwritten, as by any backward pass."""
        saved = [(op, op.need_dx) for op, _, _ in self._plan]
        for op, _ in saved:
            op.need_dx = True
        try:
            X = np.asarray(X, self.dtype)
            self.forward(X)
            d: list = [None] * self._n
            d[self._out] = np.asarray(dY, self.dtype)
            for op, ins, out in reversed(self._plan):
                g = d[out]
                if g is None:
                    continue
                for i, gi in zip(ins, op.backward(g) if op.multi_input else [op.backward(g)]):
                    if gi is not None:
                        d[i] = gi if d[i] is None else d[i] + gi
            return np.zeros_like(X) if d[0] is None else np.asarray(d[0])
        finally:
            for op, need in saved:
                op.need_dx = need

    def activations(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Every node's output for ``X`` (inference mode), keyed by node id."""
        self.forward(np.asarray(X, self.dtype))
        return {nid: self._vals[i] for i, nid in enumerate(self.order)}

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Values ``(B, T)`` for regression; class probabilities ``(B, K)`` otherwise
        (``(B, 2)`` for a binary task: ``[1 − p, p]``)."""
        z = self.forward(np.asarray(X, self.dtype))
        if self.task == "regression":
            return z.copy()
        if self.task == "binary":
            p = sigmoid(z[:, 0])
            return np.stack([1 - p, p], axis=1)
        return softmax(z)

    def last_hidden(self) -> tuple[str, str] | None:
        """``(activation node, output dense node)`` when the output is ``Dense → Output``
        fed by one node: the lecture's ``y = b + Σ cᵢ·aᵢ`` decomposition applies."""
        g = self.graph
        out = g.output_node()
        srcs = g.inputs_of(out)
        if len(srcs) != 1 or g.nodes[srcs[0]].kind != "dense":
            return None
        dense = srcs[0]
        feed = g.inputs_of(dense)
        if len(feed) != 1 or g.nodes[feed[0]].kind == "input":
            return None
        return feed[0], dense

