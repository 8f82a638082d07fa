"""The graph document: nodes, ports, edges, validation and shape inference.

A graph is plain data. Every node has one output port (``out``) except the
Output node, and one input port (``in``) except the Input node. ``Add`` and
``Concat`` accept several edges on their input port; every other node accepts
exactly one. Concat joins its inputs in the order their edges were made.

Listeners (for example a GUI view) subscribe with :meth:`Graph.subscribe` and
receive ``(event, payload)`` calls after every change; the graph itself knows
nothing about who listens.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = [
    "GraphError", "NodeSpec", "NODE_SPECS", "Node", "Edge", "Issue", "Graph",
    "TASKS", "INITIALIZERS", "ACTIVATION_KINDS", "PARAMETER_KINDS", "sequential",
]

# the most parameters a network may have: a float64 network with Adam keeps about six copies
# (values, gradients, two moments, the early-stopping backup, the best weights): ~2.4 GB here
MAX_PARAMETERS = 50_000_000

TASKS = ("regression", "binary", "multiclass")
INITIALIZERS = ("xavier", "he", "uniform")


class GraphError(ValueError):
    """An edit or a document that cannot be accepted; the message names the node."""

    def __init__(self, message: str, node: str | None = None) -> None:
        super().__init__(message)
        self.node = node


@dataclass(frozen=True)
class NodeSpec:
    kind: str
    title: str
    category: str           # "Data" | "Layers" | "Activations" | "Structure"
    formula: str            # one line for tooltips
    defaults: dict[str, Any]
    has_input: bool = True
    has_output: bool = True
    multi_input: bool = False


def _spec(kind, title, category, formula, defaults=None, **kw) -> NodeSpec:
    return NodeSpec(kind, title, category, formula, dict(defaults or {}), **kw)


NODE_SPECS: dict[str, NodeSpec] = {s.kind: s for s in [
    _spec("input", "Input", "Data", "x: the feature columns, one row per example",
          {"features": 1}, has_input=False),
    _spec("output", "Output", "Data",
          "ŷ: regression value, or class probabilities (sigmoid / softmax with cross-entropy)",
          {"task": "regression", "units": 1}, has_output=False),
    _spec("dense", "Dense", "Layers", "r = b + W·x",
          {"units": 8, "bias": True, "init": "xavier", "l2": None, "l1": None}),
    _spec("dropout", "Dropout", "Layers",
          "while training, zero each value with probability p and scale the rest by 1/(1−p)",
          {"rate": 0.2}),
    _spec("identity", "Linear", "Activations", "a = r"),
    _spec("sigmoid", "Sigmoid", "Activations", "a = 1 / (1 + e^−r)"),
    _spec("hard_sigmoid", "Hard Sigmoid", "Activations",
          "a = clip(0.2·r + 0.5, 0, 1): a straight ramp between two flat lines"),
    _spec("relu", "ReLU", "Activations", "a = max(0, r)"),
    _spec("leaky_relu", "Leaky ReLU", "Activations", "a = max(α·r, r)", {"alpha": 0.01}),
    _spec("tanh", "Tanh", "Activations", "a = tanh(r)"),
    _spec("softplus", "Softplus", "Activations", "a = ln(1 + e^r), a smooth ReLU"),
    _spec("add", "Add", "Structure", "a = x₁ + x₂ + …  (inputs of equal width)",
          multi_input=True),
    _spec("concat", "Concat", "Structure", "a = [x₁, x₂, …]  (widths add up)",
          multi_input=True),
]}

ACTIVATION_KINDS = tuple(k for k, s in NODE_SPECS.items() if s.category == "Activations")
PARAMETER_KINDS = ("dense",)       # the kinds with learnable parameters, named after the node's id

_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Node:
    id: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> NodeSpec:
        return NODE_SPECS[self.kind]

    def label(self) -> str:
        """Short text for the canvas, e.g. ``Dense · 32``."""
        p = self.params
        if self.kind == "dense":
            return f"Dense · {p['units']}"
        if self.kind == "dropout":
            return f"Dropout · {p['rate']:g}"
        if self.kind == "leaky_relu":
            return f"Leaky ReLU · {p['alpha']:g}"
        if self.kind == "input":
            return f"Input · {p['features']}"
        if self.kind == "output":
            return f"Output · {p['task']}"
        return self.spec.title


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str


@dataclass(frozen=True)
class Issue:
    """A validation problem; ``node`` or ``edge`` says where it is."""
    message: str
    node: str | None = None
    edge: Edge | None = None

    def __str__(self) -> str:
        return self.message


def check_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """Return a full, type-checked parameter dict for ``kind`` or raise GraphError."""
    if kind not in NODE_SPECS:
        raise GraphError(f"unknown node kind '{kind}'; known: {', '.join(NODE_SPECS)}")
    spec = NODE_SPECS[kind]
    unknown = set(params) - set(spec.defaults)
    if unknown:
        raise GraphError(f"{spec.title} has no setting {', '.join(sorted(unknown))}")
    out = dict(spec.defaults)
    out.update(params)
    for name in ("units", "features"):
        if name in out:
            v = out[name]
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 4096:
                raise GraphError(f"{spec.title} {name} must be a whole number from 1 to 4096, not {v!r}")
    if "rate" in out:
        v = out["rate"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
            raise GraphError(f"Dropout rate must be at least 0 and below 1, not {v!r}")
        out["rate"] = float(v)
    if "alpha" in out:
        v = out["alpha"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
            raise GraphError(f"Leaky ReLU alpha must be at least 0 and below 1, not {v!r}")
        out["alpha"] = float(v)
    for name in ("l2", "l1"):      # a Dense node's own penalty on W; None: the project's
        if name in out and out[name] is not None:
            v = out[name]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1e6 or v != v:
                raise GraphError(f"Dense {name.upper()} penalty must be a number ≥ 0 (or empty: the "
                                 f"project's), not {v!r}")
            out[name] = float(v)
    if "bias" in out and not isinstance(out["bias"], bool):
        raise GraphError(f"Dense bias must be true or false, not {out['bias']!r}")
    if "init" in out and out["init"] not in INITIALIZERS:
        raise GraphError(f"initializer must be one of {', '.join(INITIALIZERS)}, not {out['init']!r}")
    if "task" in out and out["task"] not in TASKS:
        raise GraphError(f"Output task must be one of {', '.join(TASKS)}, not {out['task']!r}")
    return out


class Graph:
    """A network as a document of nodes and edges.

    Node ids are short identifiers (``dense1``) that also name parameters
    (``dense1.W``). Edits raise :class:`GraphError` and leave the graph
    unchanged when refused.
    """

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self._listeners: list[Callable[[str, Any], None]] = []

    # -- observation -----------------------------------------------------
    def subscribe(self, fn: Callable[[str, Any], None]) -> None:
        self._listeners.append(fn)

    def unsubscribe(self, fn: Callable[[str, Any], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def _emit(self, event: str, payload: Any) -> None:
        for fn in list(self._listeners):
            fn(event, payload)

    # -- edits -----------------------------------------------------------
    def new_id(self, kind: str) -> str:
        base = kind.replace("_", "")
        i = 1
        while f"{base}{i}" in self.nodes:
            i += 1
        return f"{base}{i}"

    def add_node(self, kind: str, params: dict | None = None, node_id: str | None = None,
                 index: int | None = None) -> str:
        """Add a node, last or at place ``index`` of the node order (undo of a delete puts it
        back where it was: the order names parameters and lays out cards); returns its id."""
        full = check_params(kind, dict(params or {}))
        if node_id is None:
            node_id = self.new_id(kind)
        if not _ID_RE.match(node_id):
            raise GraphError(f"node id '{node_id}' must be letters, digits and _")
        if node_id in self.nodes:
            raise GraphError(f"a node named '{node_id}' already exists")
        node = Node(node_id, kind, full)
        if index is None or index >= len(self.nodes):
            self.nodes[node_id] = node
        else:
            items = list(self.nodes.items())
            items.insert(max(index, 0), (node_id, node))
            self.nodes.clear()                  # the same dict: a holder of graph.nodes sees the change
            self.nodes.update(items)
        self._emit("node_added", node_id)
        return node_id

    def remove_node(self, node_id: str) -> list[Edge]:
        """Remove a node and its edges; returns the removed edges (for undo)."""
        self._require(node_id)
        removed = [e for e in self.edges if node_id in (e.src, e.dst)]
        for e in removed:
            self.disconnect(e)
        del self.nodes[node_id]
        self._emit("node_removed", node_id)
        return removed

    def set_params(self, node_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Change some settings of a node; returns the previous values of those settings."""
        node = self._require(node_id)
        merged = dict(node.params)
        merged.update(params)
        merged = check_params(node.kind, merged)
        old = {k: node.params[k] for k in params}
        node.params = merged
        self._emit("node_changed", node_id)
        return old

    def can_set_kind(self, node_id: str, kind: str) -> str | None:
        """None if ``node_id`` may become a ``kind`` node in place, else the reason it may not."""
        if node_id not in self.nodes:
            return f"there is no node '{node_id}'"
        if kind not in NODE_SPECS:
            return f"unknown node kind '{kind}'; known: {', '.join(NODE_SPECS)}"
        old, new = self.nodes[node_id].spec, NODE_SPECS[kind]
        if (old.has_input, old.has_output) != (new.has_input, new.has_output) \
                or (len(self.inputs_of(node_id)) > 1 and not new.multi_input):
            return f"{old.title} '{node_id}' cannot become {new.title}: their ports differ"
        return None

    def set_kind(self, node_id: str, kind: str, params: dict[str, Any] | None = None) -> tuple[str, dict]:
        """Turn a node into another kind in place (Sigmoid → ReLU): same id, same edges.

        ``params`` are the new kind's settings (its defaults where left out). Only a kind with
        the same ports may replace the old one (:meth:`can_set_kind`), so every edge stays
        valid. Returns the old ``(kind, params)`` for undo.
        """
        reason = self.can_set_kind(node_id, kind)
        if reason:
            raise GraphError(reason, node=node_id if node_id in self.nodes else None)
        full = check_params(kind, dict(params or {}))
        node = self.nodes[node_id]
        before = (node.kind, dict(node.params))
        node.kind, node.params = kind, full
        self._emit("node_changed", node_id)
        return before

    def rename_node(self, old: str, new: str) -> None:
        """Give node ``old`` the id ``new`` in place: its place in the node order, its settings
        and its edges (at their indices, so a Concat keeps its input order) stay. Emits
        ``node_renamed`` with ``(old, new)``.

        A Dense node keeps its id: the id names its parameters (``dense1.W``) in weights, the
        error surface's tracked pair and saved runs. Every other kind has no parameters.
        """
        node = self._require(old)
        if new == old:
            return
        if not _ID_RE.match(new):
            raise GraphError(f"node id '{new}' must be letters, digits and _", node=old)
        if new in self.nodes:
            raise GraphError(f"a node named '{new}' already exists", node=old)
        if node.kind in PARAMETER_KINDS:
            raise GraphError(f"{node.spec.title} '{old}' keeps its id: it names its parameters", node=old)
        items = [(new if nid == old else nid, n) for nid, n in self.nodes.items()]
        node.id = new
        self.nodes.clear()                  # the same dict: a holder of graph.nodes sees the change
        self.nodes.update(items)
        self.edges[:] = [Edge(new if e.src == old else e.src, new if e.dst == old else e.dst)
                         for e in self.edges]
        self._emit("node_renamed", (old, new))

    def auto_id_for_kind(self, node_id: str, kind: str) -> str:
        """The id ``node_id`` should have as a ``kind`` node: a fresh one of that kind
        (``relu1``) when it is an id made for its present kind (``sigmoid1``), else the same id
        (a name somebody chose stays)."""
        node = self._require(node_id)
        if kind == node.kind or node.kind in PARAMETER_KINDS \
                or not re.fullmatch(re.escape(node.kind.replace("_", "")) + r"[0-9]+", node_id):
            return node_id
        return self.new_id(kind)

    def can_connect(self, src: str, dst: str) -> str | None:
        """None if an edge src → dst may be made, else the reason it may not."""
        if src not in self.nodes or dst not in self.nodes:
            return "both ends must be nodes of this graph"
        if src == dst:
            return "a node cannot feed itself"
        s, d = self.nodes[src], self.nodes[dst]
        if not s.spec.has_output:
            return f"{s.spec.title} has no output port"
        if not d.spec.has_input:
            return f"{d.spec.title} has no input port"
        if Edge(src, dst) in self.edges:
            return "these nodes are already connected"
        if not d.spec.multi_input and any(e.dst == dst for e in self.edges):
            return f"{d.spec.title} '{dst}' takes one input; use Add or Concat to merge"
        if self._reaches(dst, src):
            return "this edge would make a cycle"
        return None

    def connect(self, src: str, dst: str, index: int | None = None) -> Edge:
        reason = self.can_connect(src, dst)
        if reason:
            raise GraphError(reason)
        edge = Edge(src, dst)
        if index is None:
            self.edges.append(edge)
        else:
            self.edges.insert(index, edge)
        self._emit("edge_added", edge)
        return edge

    def disconnect(self, edge: Edge) -> int:
        """Remove an edge; returns its former index in the edge list (for undo)."""
        try:
            i = self.edges.index(edge)
        except ValueError:
            raise GraphError(f"there is no edge {edge.src} → {edge.dst}") from None
        del self.edges[i]
        self._emit("edge_removed", edge)
        return i

    # -- queries ---------------------------------------------------------
    def _require(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"there is no node '{node_id}'") from None

    def inputs_of(self, node_id: str) -> list[str]:
        return [e.src for e in self.edges if e.dst == node_id]

    def outputs_of(self, node_id: str) -> list[str]:
        return [e.dst for e in self.edges if e.src == node_id]

    def _reaches(self, start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n in seen:
                continue
            seen.add(n)
            stack.extend(self.outputs_of(n))
        return False

    def of_kind(self, kind: str) -> list[str]:
        return [n.id for n in self.nodes.values() if n.kind == kind]

    def input_node(self) -> str | None:
        ids = self.of_kind("input")
        return ids[0] if len(ids) == 1 else None

    def output_node(self) -> str | None:
        ids = self.of_kind("output")
        return ids[0] if len(ids) == 1 else None

    def topological_order(self) -> list[str]:
        """Nodes in an order where every edge goes forward; GraphError names a node on a cycle."""
        indeg = {n: 0 for n in self.nodes}
        for e in self.edges:
            indeg[e.dst] += 1
        ready = [n for n in self.nodes if indeg[n] == 0]
        order = []
        while ready:
            n = ready.pop(0)
            order.append(n)
            for m in self.outputs_of(n):
                indeg[m] -= 1
                if indeg[m] == 0:
                    ready.append(m)
        if len(order) != len(self.nodes):
            # walk backwards among the unordered nodes until one repeats: it lies on a cycle
            left = set(self.nodes) - set(order)
            stuck, seen = next(n for n in self.nodes if n in left), []
            while stuck not in seen:
                seen.append(stuck)
                stuck = next(s for s in self.inputs_of(stuck) if s in left)
            raise GraphError(f"the graph has a cycle through '{stuck}'", node=stuck)
        return order

    def infer_shapes(self) -> tuple[dict[str, int | None], list[Issue]]:
        """Each node's output width (None where unknown) and the width problems found."""
        issues: list[Issue] = []
        widths: dict[str, int | None] = {}
        try:
            order = self.topological_order()
        except GraphError as exc:
            return {n: None for n in self.nodes}, [Issue(str(exc), node=exc.node)]
        for nid in order:
            node = self.nodes[nid]
            ins = [widths[s] for s in self.inputs_of(nid)]
            known = [w for w in ins if w is not None]
            w: int | None = None
            if node.kind == "input":
                w = node.params["features"]
            elif node.kind == "dense":
                w = node.params["units"]
            elif not ins or len(known) < len(ins):
                w = None
            elif node.kind == "add":
                if len(set(known)) > 1:
                    issues.append(Issue(f"Add '{nid}' gets inputs of widths "
                                        f"{', '.join(map(str, known))}; they must be equal", node=nid))
                else:
                    w = known[0]
            elif node.kind == "concat":
                w = sum(known)
            elif node.kind == "output":
                w = known[0]
                if w != node.params["units"]:
                    issues.append(Issue(
                        f"Output '{nid}' needs width {node.params['units']} "
                        f"({_output_meaning(node.params)}) but gets {w}; "
                        f"set the last Dense to {node.params['units']} unit"
                        f"{'s' if node.params['units'] != 1 else ''}", node=nid))
            else:
                w = known[0]
            widths[nid] = w
        return widths, issues

    def validate(self) -> list[Issue]:
        """Every reason the graph cannot be trained, each naming its node."""
        issues: list[Issue] = []
        inputs, outputs = self.of_kind("input"), self.of_kind("output")
        if len(inputs) != 1:
            issues.append(Issue("the graph needs exactly one Input node" if not inputs else
                                f"the graph has {len(inputs)} Input nodes; keep one",
                                node=inputs[1] if len(inputs) > 1 else None))
        if len(outputs) != 1:
            issues.append(Issue("the graph needs exactly one Output node" if not outputs else
                                f"the graph has {len(outputs)} Output nodes; keep one",
                                node=outputs[1] if len(outputs) > 1 else None))
        try:
            self.topological_order()
        except GraphError as exc:
            issues.append(Issue(str(exc), node=exc.node))
            return issues
        for nid, node in self.nodes.items():
            spec = node.spec
            n_in = len(self.inputs_of(nid))
            if not spec.has_input and n_in:
                issues.append(Issue(f"{spec.title} '{nid}' has no input port but {n_in} edge(s) lead into it",
                                    node=nid))
            elif spec.has_input and n_in == 0:
                issues.append(Issue(f"{spec.title} '{nid}' has nothing connected to its input", node=nid))
            elif not spec.multi_input and n_in > 1:
                # connect() refuses this, but a loaded document may contain it
                issues.append(Issue(f"{spec.title} '{nid}' takes one input but gets {n_in}; "
                                    f"use Add or Concat to merge", node=nid))
            elif spec.multi_input and n_in < 2:
                issues.append(Issue(f"{spec.title} '{nid}' needs at least two inputs", node=nid))
            if spec.has_output and not self.outputs_of(nid):
                issues.append(Issue(f"{spec.title} '{nid}' leads nowhere; connect it or delete it", node=nid))
        if len(inputs) == 1 and len(outputs) == 1 and not self._reaches(inputs[0], outputs[0]):
            issues.append(Issue("no path leads from the Input to the Output", node=outputs[0]))
        shape_issues = self.infer_shapes()[1]
        issues.extend(shape_issues)
        if not shape_issues:
            counts = self.parameter_count()
            total = sum(counts.values())
            if total > MAX_PARAMETERS:
                biggest = max(counts, key=counts.get)
                issues.append(Issue(
                    f"the network has {total:,} parameters; NetCanvas trains at most {MAX_PARAMETERS:,} "
                    f"(each takes memory for its value, gradient and optimizer state); make "
                    f"'{biggest}' ({counts[biggest]:,}) smaller", node=biggest))
        return issues

    def parameter_count(self) -> dict[str, int]:
        """Learnable parameters per Dense node (weights + biases)."""
        widths, _ = self.infer_shapes()
        counts = {}
        for nid, node in self.nodes.items():
            if node.kind == "dense":
                srcs = self.inputs_of(nid)
                w_in = widths.get(srcs[0]) if srcs else None
                if w_in is not None:
                    counts[nid] = w_in * node.params["units"] + (node.params["units"] if node.params["bias"] else 0)
        return counts

    # -- serialization ---------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "nodes": [{"id": n.id, "kind": n.kind, "params": copy.deepcopy(n.params)}
                      for n in self.nodes.values()],
            "edges": [[e.src, e.dst] for e in self.edges],
        }

    @classmethod
    def from_dict(cls, data: Any) -> "Graph":
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), list) \
                or not isinstance(data.get("edges"), list):
            raise GraphError("a graph must be an object with lists 'nodes' and 'edges'")
        g = cls()
        for item in data["nodes"]:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) \
                    or not isinstance(item.get("kind"), str) or not isinstance(item.get("params", {}), dict):
                raise GraphError(f"malformed node entry {item!r:.80}")
            g.add_node(item["kind"], item.get("params", {}), item["id"])
        for item in data["edges"]:
            if not (isinstance(item, list) and len(item) == 2 and all(isinstance(s, str) for s in item)):
                raise GraphError(f"malformed edge entry {item!r:.80}")
            src, dst = item
            if src not in g.nodes or dst not in g.nodes:
                raise GraphError(f"edge {src} → {dst} names a node that does not exist")
            if Edge(src, dst) in g.edges:
                raise GraphError(f"edge {src} → {dst} appears twice")
            # cycles are kept so that validation can point at them
            g.edges.append(Edge(src, dst))
        return g

    def copy(self) -> "Graph":
        return Graph.from_dict(self.to_dict())


def _output_meaning(params: dict) -> str:
    if params["task"] == "regression":
        return f"{params['units']} target value{'s' if params['units'] != 1 else ''}"
    if params["task"] == "binary":
        return "one logit for two classes"
    return f"one logit per class, {params['units']} classes"


def sequential(features: int, hidden: list[tuple[int, str]], task: str = "regression",
               outputs: int = 1) -> Graph:
    """Input → (Dense → activation)* → Dense → Output, the usual stack.

    ``hidden`` is a list of ``(units, activation_kind)``; an empty list is
    the linear model ``y = b + Σ wⱼ·xⱼ``.
    """
    g = Graph()
    prev = g.add_node("input", {"features": features}, "input")
    for i, (units, act) in enumerate(hidden, start=1):
        if act not in ACTIVATION_KINDS:
            raise GraphError(f"unknown activation '{act}'; choose from {', '.join(ACTIVATION_KINDS)}")
        d = g.add_node("dense", {"units": units, "init": "he" if act in ("relu", "leaky_relu") else "xavier"},
                       f"dense{i}")
        g.connect(prev, d)
        a = g.add_node(act, {}, f"{act.replace('_', '')}{i}")
        g.connect(d, a)
        prev = a
    out_dense = g.add_node("dense", {"units": outputs}, f"dense{len(hidden) + 1}")
    g.connect(prev, out_dense)
    out = g.add_node("output", {"task": task, "units": outputs}, "output")
    g.connect(out_dense, out)
    return g
