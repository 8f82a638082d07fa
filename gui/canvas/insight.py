"""What the network does, shown on its cards: each Dense layer's weights and every node's
output on one example of the loaded data.

Users coming from TensorFlow Playground expect to *see* the weights (links drawn by
weight, blue positive, orange negative) and a neuron's output on hover; PerceptiLabs
previews each component's output on the first data sample right on the graph. Our
nodes are whole layers, so :class:`CanvasInsight` computes, per node:

- a Dense layer: its ``W`` as a matrix for a heat map, the range and norms of ``W``
  and ``b``, and ``mean |W|`` for the width of the link into it;
- every node: its output vector on the *first training example*
  (``dataset.X_train[0]``, normalized as the network sees it); the Output node in the
  target's units (regression) or as class probabilities.

The weights are the document's (trained, paused, stopped, or saved with the project),
while training runs the controller's latest snapshot, and otherwise the fresh ones
the seed gives — the very weights Train would start from (``Model(graph, seed=…)``
draws exactly what ``Trainer`` draws).

Cost: ONE row goes through the network — never the dataset — in a background job
(:class:`InsightComputer`), never on the GUI thread: one row through example 4 takes
0.08 ms, but it calls BLAS, whose threads compete with the plots' jobs and the training
process (measured while example 4 trained: ``np.linalg.norm`` of one 128×128 ``W`` up to
18 ms, and once a whole refresh on the GUI thread took 2.8 s). The work is proportional to the
parameter count: example 2 (145 parameters) 0.1 ms, example 4 (36,865) 2.7 ms, a 61-node stack
of 30 Dense·128 layers (~500,000) 22 ms of CPU per refresh (building a model after an edit:
0.6 / 9 / 40 ms). Refreshes come at most every ``MIN_INTERVAL`` seconds and the jobs take at most ``BUDGET`` of one
core, counting the GUI thread's part too (a huge network is simply refreshed less often).
The GUI thread only hands over references and turns the result into an image and a few
paths per card (example 4: 0.8 ms, then 3.4 ms for the next paint, which re-renders the
changed cards; the 61-node stack: 6.6 ms + 13 ms, so it refreshes about 1.5 times a second).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from engine.model import Model
from gui.common.plot_style import NEGATIVE, POSITIVE

__all__ = ["CanvasInsight", "InsightComputer", "NodeInsight", "LinkWeight", "Example", "make_example",
           "weight_colors", "MIN_INTERVAL", "BUDGET", "MAX_SHOWN_VALUES", "MID"]

MIN_INTERVAL = 0.25            # seconds between refreshes: at most 4 a second while training
BUDGET = 0.05                  # share of time the refreshes may take (the job's CPU + showing it)
MAX_SHOWN_VALUES = 8           # output values listed in a tooltip
MAX_MAP = 256                  # a heat map keeps at most this many rows and columns (strided)
MID = "#e8eaeb"                # a zero weight (Playground's middle grey)
GAMMA = 0.7                    # colour strength ∝ (|w| / max|w|)^GAMMA: mid-sized weights stay visible
BOUNDED = {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


@dataclass
class Example:
    """The example every preview is computed on."""
    x: np.ndarray                  # (1, F) normalized, as the network sees it
    label: str                     # "training example 1 · row 8 · 2013-01-08"
    target: np.ndarray | None      # (T,) in the target's units (regression) …
    true_class: int | None         # … or the class index (classification)
    classes: list[str] = field(default_factory=list)
    target_name: str = ""


@dataclass
class LinkWeight:
    """What the link into a Dense node shows: how big its weights are, and their sign balance."""
    mean_abs: float                # mean |W|
    balance: float                 # mean(W) / mean|W| in [-1, 1]: +1 all positive, −1 all negative
    tip: str


@dataclass
class NodeInsight:
    """What one card shows beyond its shapes. Arrays are copies; nothing here changes later."""
    kind: str
    values: np.ndarray | None = None       # (width,) the node's output on the example
    lo: float = 0.0                        # the bars' scale: lo … hi, bars grow from 0
    hi: float = 1.0
    W: np.ndarray | None = None            # Dense: the heat map's matrix (rows, columns), see w_columns
    w_columns: str = "units"               # "units": a column per unit (W as is, rows = inputs);
                                           # "inputs": a column per input (Wᵀ, rows = units)
    w_stride: int = 1                      # the heat map shows every w_stride-th column
    w_scale: float = 0.0                   # |w| drawn at full colour (max |W|)
    w_rgba: np.ndarray | None = None       # (rows, columns, 4) uint8: the heat map's pixels
    prediction: np.ndarray | None = None   # Output: ŷ in the target's units, or class probabilities
    task: str = ""                         # Output: "regression" | "binary" | "multiclass"
    target: np.ndarray | None = None       # Output: the example's target (regression)
    true_class: int | None = None          # Output: the example's class (classification)
    classes: list[str] = field(default_factory=list)
    tip: str = ""                          # HTML for the card's tooltip


def _num(v: float) -> str:
    """A number for people: 4 significant digits, a real minus sign."""
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("∞" if v > 0 else "−∞")
    if v == 0:
        return "0"                             # also −0.0 (a ReLU of a negative number)
    s = f"{v:.3f}" if 1e-3 <= abs(v) < 1e5 else f"{v:.3e}"
    return s.replace("-", "−")


def _norm(a: np.ndarray) -> float:
    """‖a‖ without BLAS (``np.linalg.norm`` calls it: slow to wake for one small array, and it
    may wait for another thread's BLAS call)."""
    return math.sqrt(float(np.sum(a * a)))


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _values_html(v: np.ndarray) -> str:
    shown = " ".join(_num(float(a)) for a in v[:MAX_SHOWN_VALUES])
    more = f" … ({len(v) - MAX_SHOWN_VALUES} more)" if len(v) > MAX_SHOWN_VALUES else ""
    return f"<tt>{shown}</tt>{more}"


def _graph_key(graph) -> str:
    return json.dumps(graph.to_dict(), sort_keys=True, default=str)


def _rgb(hex_color: str) -> np.ndarray:
    h = hex_color.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], np.float64)


_POS, _NEG, _MID = _rgb(POSITIVE), _rgb(NEGATIVE), _rgb(MID)


def weight_colors(M: np.ndarray, scale: float) -> np.ndarray:
    """RGBA bytes ``(rows, cols, 4)`` for the matrix ``M``: ``MID`` at 0, full blue at
    ``+scale``, full orange at ``−scale``, stronger as ``|w|`` grows (NaN, ±∞: red)."""
    with np.errstate(all="ignore"):
        t = np.zeros(M.shape) if scale <= 0 else np.clip(np.nan_to_num(M / scale, nan=0.0), -1.0, 1.0)
    a = (np.abs(t) ** GAMMA)[..., None]
    end = np.where((t >= 0)[..., None], _POS, _NEG)
    rgb = _MID + a * (end - _MID)
    out = np.empty(M.shape + (4,), np.uint8)
    out[..., :3] = np.round(rgb).astype(np.uint8)
    out[..., 3] = 255
    bad = ~np.isfinite(M)
    if bad.any():
        out[bad] = (220, 38, 38, 255)
    return out


def make_example(ds, m: Model) -> Example | None:
    """The first training example of ``ds`` as ``m`` sees it, or None (no data, other width)."""
    if ds is None or m is None or not len(ds.X_train) or ds.X_train.shape[1] != m.n_inputs:
        return None
    row = int(ds.index_train[0]) if len(getattr(ds, "index_train", ())) else None
    label = "training example 1"
    if row is not None:
        label += f" · data row {row + 1:,}"
        tv = getattr(ds, "time_values", None)
        if tv is not None and 0 <= row < len(tv) and tv[row] is not None:
            label += f" · {tv[row]}"
    target, true_class = None, None
    y0 = np.asarray(ds.y_train[0])
    if ds.task == "regression":
        target = np.atleast_1d(ds.inverse_y(y0)).astype(np.float64)
    else:
        true_class = int(y0)
    return Example(x=np.asarray(ds.X_train[:1], m.dtype), label=label, target=target,
                   true_class=true_class, classes=list(ds.classes or []), target_name=ds.target_name)


class CanvasInsight(QObject):
    """Keeps ``nodes`` (id → :class:`NodeInsight`) and ``links`` (Dense id → :class:`LinkWeight`)
    up to date with the document and, while training runs, the controller's snapshots;
    emits ``updated`` after each refresh.

    The numbers are computed by :class:`InsightComputer` in a background job, one at a time
    (see the module's docstring for why and what it costs); the GUI thread only hands over
    references (a copy of the graph, the dataset, the latest weights) and turns the result
    into an image and a few paths per card.
    """

    updated = Signal()

    def __init__(self, document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.training = None               # the TrainingController, once attached
        self.nodes: dict[str, NodeInsight] = {}
        self.links: dict[str, LinkWeight] = {}
        self.state = "incomplete"          # "incomplete" (no model) | "no data" | "ready"
        self.source = ""                   # "seeded" | "trained" | "live"
        self.example_label = ""
        self.last_cost = 0.0               # seconds of the latest refresh: the job's CPU + last_apply
        self.last_apply = 0.0              # seconds the GUI thread took to show it on the cards
        self.error = ""                    # why the latest job failed (the cards then show nothing)
        self._computer = InsightComputer()
        self._job = None
        self._live = None                  # (flat parameters, updates) from the latest snapshot
        self._dirty = True
        self._last_run = -math.inf
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        self._generation = 0               # bumped when the network or the data change
        self._job_generation = 0
        d = document
        d.results_changed.connect(self._on_document_results_changed)
        d.replaced.connect(self._on_document_results_changed)
        for sig in (d.graph_changed, d.config_changed, d.dataset_changed, d.replaced):
            sig.connect(self._on_document_network_changed)
        self._schedule()

    # -- sources ---------------------------------------------------------------------
    def attach_training(self, controller) -> None:
        """Follow the controller's live snapshots (``snapshot_received``) while it trains."""
        if controller is self.training:
            return
        if self.training is not None:
            self.training.snapshot_received.disconnect(self._on_training_snapshot)
        self.training = controller
        if controller is not None:
            controller.snapshot_received.connect(self._on_training_snapshot)

    def _on_document_network_changed(self) -> None:
        self._generation += 1              # a job under way computes for what was: its result is dropped
        self._dirty = True
        self._schedule()

    def _on_document_results_changed(self) -> None:
        self._live = None                  # the document has the newest weights now
        self._dirty = True
        self._schedule()

    def _on_training_snapshot(self, snap) -> None:
        params = getattr(snap, "params", None)
        if params is None or getattr(snap, "state", "") != "running":
            return                         # paused, stopped, finished: the document gets the weights
        self._live = (params, int(getattr(snap, "updates", 0)))
        self._dirty = True
        self._schedule()

    # -- throttling ----------------------------------------------------------------------
    def _schedule(self) -> None:
        if self._timer.isActive():
            return
        interval = max(MIN_INTERVAL, self.last_cost / BUDGET)
        wait = max(0.0, self._last_run + interval - time.perf_counter())
        self._timer.start(int(math.ceil(wait * 1000)))

    def busy(self) -> bool:
        """A refresh is waiting, computing, or its result is on its way to the GUI thread."""
        return self._timer.isActive() or self._job is not None

    # -- the work ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Start a job with the current inputs (one at a time; a later change starts another)."""
        if self._job is not None:
            return                         # one job at a time: _on_job_done schedules the next one
        if not self._dirty:
            return
        self._dirty = False
        self._last_run = time.perf_counter()
        req = self._request()
        self._job_generation = self._generation
        from gui.common.jobs import BackgroundJob   # local: the canvas module stays light to import
        job = BackgroundJob(lambda cancelled: self._computer.run(req), name="netcanvas-insight", parent=self)
        job.done.connect(self._on_job_done)
        job.failed.connect(self._on_job_failed)
        self._job = job.start()

    def _request(self) -> "InsightRequest":
        doc = self.document
        cfg = doc.train_config
        try:
            key = (_graph_key(doc.graph), str(cfg.dtype), cfg.seed) if not doc.issues() else None
        except Exception:
            key = None
        graph = doc.graph.copy() if key is not None and key != self._computer.key else None
        live, layout = None, None
        if self._live is not None:
            model = getattr(getattr(self.training, "trainer", None), "model", None)
            if model is not None:
                live = self._live
                layout = (dict(model.offsets), {k: p.shape for k, p in model.params.items()})
        return InsightRequest(key=key, graph=graph, dtype=str(cfg.dtype), seed=cfg.seed, dataset=doc.dataset,
                              weights=doc.weights, live=live, live_layout=layout)

    def _on_job_done(self, result: "InsightResult") -> None:
        self._job = None
        self.last_cost = result.cpu_seconds
        if self._job_generation != self._generation:      # the network changed meanwhile
            self._schedule()
            return
        self.nodes, self.links = result.nodes, result.links
        self.state, self.source, self.example_label = result.state, result.source, result.example_label
        t0 = time.perf_counter()
        self.updated.emit()                # the scene rebuilds its cards' bands here
        self.last_apply = time.perf_counter() - t0
        self.last_cost = result.cpu_seconds + self.last_apply
        if self._dirty:
            self._schedule()

    def _on_job_failed(self, message: str) -> None:
        self._job = None
        self.error = message
        self.nodes, self.links, self.state = {}, {}, "incomplete"
        self.updated.emit()
        if self._dirty:
            self._schedule()


@dataclass
class InsightRequest:
    """What a job needs; every array is a reference that nobody changes afterwards."""
    key: tuple | None                      # (graph, dtype, seed) or None: the graph cannot be compiled
    graph: object | None                   # a copy of the graph when the job must build a new model
    dtype: str
    seed: int
    dataset: object | None
    weights: dict | None                   # the document's weights
    live: tuple | None                     # (flat parameters, updates) of a running snapshot
    live_layout: tuple | None              # (offsets, shapes) of the trainer's model


@dataclass
class InsightResult:
    nodes: dict
    links: dict
    state: str
    source: str
    example_label: str
    seconds: float                         # wall time of the job
    cpu_seconds: float = 0.0               # its CPU time (the budget counts this: waits cost nothing)


class InsightComputer:
    """The numbers behind the cards, with no Qt: one model, one example, one row at a time.
    Only one job uses it at a time."""

    def __init__(self) -> None:
        self.key = None
        self.model: Model | None = None
        self.example: Example | None = None
        self._dataset = None
        self.source = ""
        self._live_updates = 0

    def run(self, req: InsightRequest) -> InsightResult:
        t0, c0 = time.perf_counter(), time.thread_time()
        if req.key != self.key:
            self.key, self.model, self._dataset = req.key, None, None
            if req.key is not None and req.graph is not None:
                try:
                    self.model = Model(req.graph, dtype=req.dtype, seed=req.seed)
                except Exception:          # an incomplete network shows no insight, never an error
                    self.model = None
        if self.model is None:
            return InsightResult({}, {}, "incomplete", "", "", time.perf_counter() - t0, time.thread_time() - c0)
        if req.dataset is not self._dataset:
            self._dataset = req.dataset
            self.example = make_example(req.dataset, self.model)
        self._load_weights(req)
        nodes, links = self._compute(req.dataset)
        ex = self.example
        return InsightResult(nodes, links, "ready" if ex is not None else "no data", self.source,
                             ex.label if ex is not None else "", time.perf_counter() - t0, time.thread_time() - c0)

    def _load_weights(self, req: InsightRequest) -> None:
        m = self.model
        if req.live is not None and req.live_layout is not None:
            flat, updates = req.live
            offsets, shapes = req.live_layout
            if len(flat) == len(m.flat_params) and offsets == m.offsets and all(
                    shapes.get(k) == p.shape for k, p in m.params.items()):
                np.copyto(m.flat_params, flat)
                self.source, self._live_updates = "live", updates
                return
        w = req.weights
        if w and set(w) == set(m.params) and all(np.shape(w[k]) == p.shape for k, p in m.params.items()):
            m.set_weights(w)
            self.source = "trained"
            return
        m.init_params(np.random.default_rng(req.seed))
        self.source = "seeded"

    def _compute(self, dataset) -> tuple[dict[str, NodeInsight], dict[str, LinkWeight]]:
        m, ex = self.model, self.example
        outs: dict[str, np.ndarray] = {}
        pred = None
        if ex is not None:
            with np.errstate(all="ignore"):
                outs = {nid: np.array(v[0], np.float64) for nid, v in m.activations(ex.x).items()}
                pred = np.asarray(m.predict(ex.x)[0], np.float64)
        nodes: dict[str, NodeInsight] = {}
        links: dict[str, LinkWeight] = {}
        for nid in m.order:
            kind = m.graph.nodes[nid].kind
            ni = NodeInsight(kind=kind)
            tips: list[str] = []
            if kind == "dense":
                link = self._dense(ni, nid, tips)
                if link is not None:
                    links[nid] = link
            if kind == "output":
                if pred is not None:
                    self._output(ni, pred, ex, dataset, tips)
            elif nid in outs:
                self._bars(ni, outs[nid], tips)
            nodes[nid] = ni
            ni.tip = "".join(tips)
        return nodes, links

    def _source_text(self) -> str:
        if self.source == "live":
            return f"while training (update {self._live_updates:,})"
        return {"trained": "trained", "seeded": "fresh from the seed, not trained yet"}.get(self.source, "")

    def _dense(self, ni: NodeInsight, nid: str, tips: list[str]) -> LinkWeight | None:
        W = self.model.params[f"{nid}.W"].astype(np.float64)
        b = self.model.params.get(f"{nid}.b")
        fan_in, units = W.shape
        if units >= fan_in:
            M, ni.w_columns = W, "units"
        else:
            M, ni.w_columns = W.T, "inputs"
        sr, sc = max(1, -(-M.shape[0] // MAX_MAP)), max(1, -(-M.shape[1] // MAX_MAP))
        ni.W = np.ascontiguousarray(M[::sr, ::sc])
        ni.w_stride = sc
        absW = np.abs(W)
        finite = bool(np.all(np.isfinite(W)))
        ni.w_scale = float(absW.max()) if finite and W.size else 0.0
        ni.w_rgba = weight_colors(ni.W, ni.w_scale)
        mean_abs = float(absW.mean()) if W.size else 0.0
        cols = ("a column per unit, a row per input" if ni.w_columns == "units"
                else "a column per input, a row per unit")
        lines = [f"<b>W</b> <tt>[{fan_in} × {units}]</tt>: {_num(float(W.min()))} … {_num(float(W.max()))}, "
                 f"mean |W| {_num(mean_abs)}, ‖W‖ {_num(float(_norm(W)))}"]
        if b is not None:
            b = b.astype(np.float64)
            lines.append(f"<b>b</b> <tt>[{units}]</tt>: {_num(float(b.min()))} … {_num(float(b.max()))}, "
                         f"‖b‖ {_num(float(_norm(b)))}")
        lines.append(f"<span style='color:#6b7280'>heat map: {cols}; "
                     f"<span style='color:#0877bd'>blue &gt; 0</span>, "
                     f"<span style='color:#e8710a'>orange &lt; 0</span>, full colour at |w| = "
                     f"{_num(ni.w_scale)}</span>")
        src = self._source_text()
        tips.append("<hr><b>Weights</b>" + (f" <span style='color:#6b7280'>({src})</span>" if src else "")
                    + "<br>" + "<br>".join(lines))
        if not finite or not W.size:
            return None
        balance = float(W.mean() / mean_abs) if mean_abs > 0 else 0.0
        pos = float((W > 0).mean())
        tip = (f"{nid}.W: {fan_in} × {units} weights · mean |W| {_num(mean_abs)} · "
               f"{pos:.0%} positive (width: mean |W|; colour: their balance)")
        return LinkWeight(mean_abs=mean_abs, balance=balance, tip=tip)

    def _bars(self, ni: NodeInsight, v: np.ndarray, tips: list[str]) -> None:
        ni.values = v
        finite = v[np.isfinite(v)]
        if ni.kind in BOUNDED:
            ni.lo, ni.hi = BOUNDED[ni.kind]
        else:
            big = float(np.abs(finite).max()) if finite.size else 0.0
            big = big if big > 0 else 1.0
            ni.lo, ni.hi = (0.0, big) if (finite.size and finite.min() >= 0) else (-big, big)
        zeros = int(np.count_nonzero(v == 0))
        extra = []
        if len(v) > 1 and finite.size:
            extra.append(f"{_num(float(finite.min()))} … {_num(float(finite.max()))}")
        if zeros:
            extra.append(f"{zeros} of {len(v)} exactly 0")
        ex = self.example
        tips.append(f"<hr><b>Output on {_esc(ex.label)}</b> <tt>[1, {len(v)}]</tt>"
                    + (f" <span style='color:#6b7280'>({'; '.join(extra)})</span>" if extra else "")
                    + f"<br>{_values_html(v)}")

    def _output(self, ni: NodeInsight, pred: np.ndarray, ex: Example, ds, tips: list[str]) -> None:
        ni.task = self.model.task
        ni.prediction = pred
        ni.classes = ex.classes
        if ni.task == "regression":
            ni.prediction = np.atleast_1d(ds.inverse_y(pred)).astype(np.float64) if ds is not None else pred
            ni.target = ex.target
            name = _esc(ex.target_name or "y")
            rows = [f"ŷ = <b>{_num(float(p))}</b>" for p in ni.prediction[:MAX_SHOWN_VALUES]]
            if ex.target is not None:
                rows = [f"{r} &nbsp; (actual {name} = {_num(float(t))})" for r, t in zip(rows, ex.target)]
            note = ""
            if ds is not None and not np.allclose(ni.prediction, pred):
                note = (f"<br><span style='color:#6b7280'>the network computes {_values_html(pred)} on the "
                        f"normalized scale; ŷ is that in {name}'s units</span>")
            tips.append(f"<hr><b>Prediction on {_esc(ex.label)}</b><br>" + "<br>".join(rows) + note)
            return
        ni.true_class = ex.true_class
        ni.values, ni.lo, ni.hi = pred, 0.0, 1.0
        names = ex.classes or [str(i) for i in range(len(pred))]
        best = int(np.argmax(pred)) if len(pred) else 0
        rows = []
        for i, p in enumerate(pred[:MAX_SHOWN_VALUES]):
            name = _esc(names[i] if i < len(names) else i)
            mark = " ← true class" if i == ex.true_class else ""
            rows.append(f"{'<b>' if i == best else ''}{name}: {p:.1%}{'</b>' if i == best else ''}{mark}")
        tips.append(f"<hr><b>Class probabilities on {_esc(ex.label)}</b><br>" + "<br>".join(rows))
