"""The three steps of machine learning, written in the lecture's notation for a project.

1. the model, a function with unknown parameters θ (:func:`model_formula` of a graph),
2. the loss over the training data (:func:`loss_formula`),
3. the optimization that changes θ (:func:`optimizer_formula`, :func:`optimization_numbers`).

The lecture writes y for the model's output and ŷ for the label. A chain Input → (Dense →
activation)* → Output is written out: ``y = b + w·x₁``, ``y = b + Σⱼ wⱼxⱼ``,
``y = b + Σᵢ cᵢ·sigmoid(bᵢ + Σⱼ wᵢⱼxⱼ)``, and deeper nets as one line per layer
(``a = sigmoid(b + W x)``, ``a′ = max(0, b′ + W′a)``, ``y = b″ + cᵀa′``). Any other shape
(branches, an unfinished graph) gets the general form ``y = f(x; θ)`` and a note saying why.
Every text is bounded (:data:`MAX_LINE` characters a line, :data:`MAX_LINES` lines), so a
1,000-layer graph still gives a few short lines. Qt-free, linear in the graph's size.
"""
from __future__ import annotations

from dataclasses import dataclass

from .graph import ACTIVATION_KINDS, Graph
from .trainer import TrainConfig, updates_per_epoch

__all__ = ["Formula", "model_formula", "loss_formula", "optimizer_formula", "optimization_numbers",
           "elide", "MAX_LINE", "MAX_LINES"]

MAX_LINE = 160          # characters in one line of a formula
MAX_LINES = 8           # lines of one formula (a deep net shows its first and last layers)

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_MARKS = ("", "′", "″", "‴")        # a, a′, a″, a‴; then a⁽⁵⁾, a⁽⁶⁾, …


@dataclass(frozen=True)
class Formula:
    """A model's formula: ``lines`` (one equation each), ``short`` (one line for a narrow
    place), ``legend`` (what the letters and indices stand for), ``unknowns`` (θ's size;
    None when a width is unknown), ``general`` (the shape is not written out) and ``note``."""
    lines: tuple[str, ...]
    short: str
    legend: tuple[str, ...]
    unknowns: int | None
    general: bool = False
    note: str = ""


def elide(text: str, limit: int = MAX_LINE) -> str:
    """``text`` cut to ``limit`` characters, the last one "…" when it was cut."""
    return text if len(text) <= limit else text[:max(limit - 1, 0)] + "…"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _mark(layer: int) -> str:
    """The mark of hidden layer ``layer`` (0-based): '', ′, ″, ‴, then ⁽⁵⁾ …"""
    return _MARKS[layer] if layer < len(_MARKS) else f"⁽{str(layer + 1).translate(_SUP)}⁾"


# -- activations ------------------------------------------------------------------------------
_NAMED = {"sigmoid": "sigmoid", "tanh": "tanh", "hard_sigmoid": "hardsigmoid",
          "softplus": "softplus", "leaky_relu": "leakyReLU"}


def _apply(kinds: list[tuple[str, dict]], inner: str) -> str:
    """The activations ``kinds`` (first applied first) around the expression ``inner``."""
    for kind, _params in kinds:
        if kind == "identity":
            continue
        if kind == "relu":
            inner = f"max(0, {inner})"
        else:
            inner = f"{_NAMED.get(kind, kind)}({inner})"
    return inner


def _legend_of(kinds: set[tuple[str, float | None]]) -> list[str]:
    out = []
    for kind, alpha in sorted(kinds, key=lambda k: k[0]):
        if kind == "hard_sigmoid":
            out.append("hardsigmoid(r) = clip(0.2·r + 0.5, 0, 1)")
        elif kind == "softplus":
            out.append("softplus(r) = ln(1 + eʳ)")
        elif kind == "leaky_relu":
            out.append(f"leakyReLU(r) = max({alpha:g}·r, r)")
        elif kind == "sigmoid":
            out.append("sigmoid(r) = 1 / (1 + e⁻ʳ)")
    return out


# -- the model --------------------------------------------------------------------------------
@dataclass
class _Layer:
    units: int
    bias: bool
    acts: list[tuple[str, dict]]


def _chain(graph: Graph) -> tuple[int, list[_Layer], str, bool] | str:
    """(features, layers, task, has dropout) of a plain chain, or the reason it is not one."""
    nodes = graph.nodes
    inp, out = graph.input_node(), graph.output_node()
    if inp is None or out is None:
        return "the graph needs one Input and one Output"
    layers: list[_Layer] = []
    dropout = False
    outs: dict[str, list[str]] = {}
    ins: dict[str, int] = {}
    for e in graph.edges:                   # once: graph.outputs_of scans every edge
        outs.setdefault(e.src, []).append(e.dst)
        ins[e.dst] = ins.get(e.dst, 0) + 1
    at, seen = inp, 0
    while at != out:
        nxt = outs.get(at, [])
        seen += 1
        if len(nxt) != 1 or seen > len(nodes):
            return "the network branches" if len(nxt) > 1 else "the chain from Input to Output is broken"
        at = nxt[0]
        node = nodes[at]
        if node.kind == "dense":
            layers.append(_Layer(node.params["units"], node.params["bias"], []))
        elif node.kind in ACTIVATION_KINDS:
            if not layers:
                return "an activation comes before the first Dense"
            layers[-1].acts.append((node.kind, node.params))
        elif node.kind == "dropout":
            dropout = True
        elif node.kind in ("add", "concat"):
            return "the network branches (Add/Concat)"
        elif node.kind != "output":
            return f"a {node.spec.title} node is in the chain"
    if ins.get(out) != 1 or len(nodes) != seen + 1:
        return "some nodes are not on the chain from Input to Output"
    if not layers:
        return "there is no Dense layer"
    return nodes[inp].params["features"], layers, nodes[out].params["task"], dropout


def _unknowns(graph: Graph, counts: dict[str, int] | None) -> int | None:
    """θ's size; None while a Dense layer's input width is unknown."""
    if counts is None:
        counts = graph.parameter_count()
    if len(counts) != sum(1 for n in graph.nodes.values() if n.kind == "dense"):
        return None
    return sum(counts.values())


def _general(graph: Graph, why: str, unknowns: int | None) -> Formula:
    return Formula(lines=("y = f(x; θ)",), short="y = f(x; θ)",
                   legend=("θ: every weight and bias of the network",), unknowns=unknowns,
                   general=True, note=elide(f"written in general form: {why}"))


def _sum_form(features: int, layers: list[_Layer], out_units: int) -> tuple[str, list[str]]:
    """The lecture's sums for a linear model or one hidden layer: the right-hand side (of y or
    yₖ) and the index legend."""
    many_out = out_units > 1
    k = "ₖ" if many_out else ""
    out = layers[-1]
    legend = [f"j = 1…{features:,}: the inputs x₁ … x{str(features).translate(_SUB)}"] if features > 1 else []
    if len(layers) == 1:                           # linear: y = b + Σⱼ wⱼxⱼ
        w = f"w{k}ⱼ" if many_out else "wⱼ"
        term = (f"w{k}x₁" if many_out else "w·x₁") if features == 1 else f"Σⱼ {w}xⱼ"
        return " + ".join(([f"b{k}"] if out.bias else []) + [term]), legend
    hidden = layers[0]
    u = hidden.units
    i = "ᵢ" if u > 1 else "₁"
    if features == 1:
        inner = " + ".join(([f"b{i}"] if hidden.bias else []) + [f"w{i}x₁"])
    else:
        inner = " + ".join(([f"b{i}"] if hidden.bias else []) + [f"Σⱼ w{i}ⱼxⱼ"])
    act = _apply(hidden.acts, inner)
    if act == inner:
        act = f"({inner})"
    c = f"c{k}{i}" if many_out else f"c{i}"
    unit = f"Σᵢ {c}·{act}" if u > 1 else f"{c}·{act}"
    if u > 1:
        legend.append(f"i = 1…{u:,}: the hidden units")
    return " + ".join(([f"b{k}"] if out.bias else []) + [unit]), legend


def _layer_form(layers: list[_Layer], out_units: int) -> list[str]:
    """One line per layer in vector form: a = σ(b + W x), a′ = σ(b′ + W′a), y = b″ + cᵀa′."""
    lines, prev = [], "x"
    for n, layer in enumerate(layers[:-1]):
        m = _mark(n)
        affine = f"b{m} + W{m}{' ' if prev == 'x' else ''}{prev}" if layer.bias else f"W{m}{prev}"
        lines.append(f"a{m} = {_apply(layer.acts, affine)}")
        prev = f"a{m}"
    last = layers[-1]
    m = _mark(len(layers) - 1)
    weight = "cᵀ" if out_units == 1 else f"W{m}"
    rhs = f"b{m} + {weight}{prev}" if last.bias else f"{weight}{prev}"
    lines.append(f"y = {_apply(last.acts, rhs)}")
    return lines


def _nested(layers: list[_Layer], out_units: int) -> str | None:
    """The deep form in one nested expression, y = b″ + cᵀ max(0, b′ + W′ sigmoid(b + W x)),
    or None when it would be longer than a line."""
    expr = "x"
    for n, layer in enumerate(layers[:-1]):
        m = _mark(n)
        expr = _apply(layer.acts, f"b{m} + W{m} {expr}" if layer.bias else f"W{m} {expr}")
        if len(expr) > MAX_LINE:
            return None
    last = layers[-1]
    m = _mark(len(layers) - 1)
    weight = "cᵀ" if out_units == 1 else f"W{m}"
    text = "y = " + _apply(last.acts, f"b{m} + {weight} {expr}" if last.bias else f"{weight} {expr}")
    return text if len(text) <= MAX_LINE else None


def model_formula(graph: Graph, feature_names: list[str] | None = None,
                  counts: dict[str, int] | None = None) -> Formula:
    """The model of ``graph`` in the lecture's notation (see the module's docstring). ``counts``:
    the parameters of each Dense node whose input width is known, when the caller has them
    already (``graph.parameter_count()``, which takes time quadratic in the graph's size)."""
    unknowns = _unknowns(graph, counts)
    chain = _chain(graph)
    if isinstance(chain, str):
        return _general(graph, chain, unknowns)
    features, layers, task, dropout = chain
    out_units = layers[-1].units
    acts = {(k, p.get("alpha")) for layer in layers for k, p in layer.acts}
    legend: list[str] = []
    if len(layers) <= 2 and not layers[-1].acts:
        rhs, legend = _sum_form(features, layers, out_units)
        y = "yₖ" if out_units > 1 else "y"
        lines = [f"{y} = {rhs}"]
        if out_units > 1:
            legend.append(f"k = 1…{out_units:,}: the outputs")
        short = lines[0]
    else:
        lines = _layer_form(layers, out_units)
        short = _nested(layers, out_units) or f"{lines[-1]}  ({_count(len(layers), 'layer')})"
        legend.append("x: the inputs; W, b: a layer's weights and biases; a: its outputs")
        if len(lines) > MAX_LINES:
            hidden = len(lines) - MAX_LINES + 1
            lines = lines[:MAX_LINES // 2] + [f"⋮  ({_count(hidden, 'more layer')})"] \
                + lines[len(lines) - (MAX_LINES - MAX_LINES // 2 - 1):]
    if task == "binary":
        lines.append("p = sigmoid(y): the probability of the second class")
        short = f"{short},  p = sigmoid(y)"
    elif task == "multiclass":
        lines.append("y′ = softmax(y): the class probabilities")
        short = f"{short},  y′ = softmax(y)"
    if features == 1 and feature_names:
        legend.insert(0, f"x₁: {feature_names[0]}")
    legend.extend(_legend_of(acts))
    note = "dropout acts only while training" if dropout else ""
    return Formula(lines=tuple(elide(s) for s in lines), short=elide(short),
                   legend=tuple(elide(s) for s in legend), unknowns=unknowns, note=note)


# -- the loss ---------------------------------------------------------------------------------
_ERRORS = {
    "mae": "eₙ = |yₙ − ŷₙ|",
    "mse": "eₙ = (yₙ − ŷₙ)²",
    "huber": "eₙ = ½(yₙ − ŷₙ)² if |yₙ − ŷₙ| ≤ 1, else |yₙ − ŷₙ| − ½",
    "bce": "eₙ = −ŷₙ·ln pₙ − (1 − ŷₙ)·ln(1 − pₙ)",
    "ce": "eₙ = −Σₖ ŷₙₖ·ln y′ₙₖ",
}


def loss_formula(loss: str, *, outputs: int = 1, l2: float = 0.0, l1: float = 0.0) -> tuple[str, ...]:
    """``L = 1/N Σₙ eₙ`` and the error eₙ of one training row for ``loss``; a penalty on the
    Dense weights is added to L when ``l2``/``l1`` are set (the project's λ)."""
    total = "L = 1/N Σₙ eₙ"
    if l2:
        total += f" + {l2:g}·Σw²"
    if l1:
        total += f" + {l1:g}·Σ|w|"
    error = _ERRORS.get(loss, f"eₙ = {loss}(yₙ, ŷₙ)")
    if outputs > 1 and loss in ("mae", "mse", "huber"):
        error = error.replace("yₙ", "yₙₖ").replace("ŷₙ", "ŷₙₖ").replace("eₙ = ", f"eₙ = 1/{outputs} Σₖ ", 1)
    return (elide(total), elide(error))


# -- the optimization -------------------------------------------------------------------------
def optimizer_formula(config: TrainConfig) -> tuple[str, ...]:
    """The update rule of ``config``'s optimizer in short form; g = ∂L/∂θ on one batch."""
    name = config.optimizer
    if name == "momentum":
        rule = (f"v ← {config.momentum:g}·v − η·g", "θ ← θ + v")
    elif name in ("adam", "adamw"):
        decay = f" − η·{config.weight_decay:g}·θ" if name == "adamw" and config.weight_decay else ""
        rule = ("m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²", f"θ ← θ − η·m/(√v + ε){decay}")
    elif name == "rmsprop":
        rule = ("s ← ρs + (1 − ρ)g²", "θ ← θ − η·g / (√s + ε)")
    elif name == "adagrad":
        rule = ("s ← s + g²", "θ ← θ − η·g / (√s + ε)")
    else:
        rule = ("θ ← θ − η·g",)
    return rule + ("g = ∂L/∂θ on a batch of B rows",)


def optimization_numbers(config: TrainConfig, n_train: int | None) -> str:
    """η, B, N, updates per epoch and epochs: "η = 0.01 · B = 32 · N = 1,163 → 37 updates per
    epoch × 100 epochs = 3,700 updates" (N and the counts left out while there is no data)."""
    parts = [f"η = {config.lr:g}" + (" (scheduled)" if config.lr_schedule != "constant" or config.warmup
                                       else "")]
    if n_train:
        b = min(config.batch_size, n_train)
        per = updates_per_epoch(n_train, config.batch_size)
        parts.append(f"B = {b:,} · N = {n_train:,} → {_count(per, 'update')} per epoch")
        if config.epochs:
            parts.append(f"× {_count(config.epochs, 'epoch')} = {_count(per * config.epochs, 'update')}")
        else:
            parts.append("until stopped")
    else:
        parts.append(f"B = {config.batch_size:,}")
        parts.append(f"{_count(config.epochs, 'epoch')}" if config.epochs else "until stopped")
    return elide(" · ".join(parts[:2]) + (" " if n_train else " · ") + parts[2])
