"""The open project as the GUI sees it: one engine graph plus layout, data and
training settings, and the undo stack that is the only way to edit them.

Views listen to the document's signals and never keep their own copy of the
truth. Commands (``gui/document/commands.py``) are the only writers of the graph and
the layout; training results (weights, history) are written by the training
controller through :meth:`Document.set_results`.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine.graph import Edge, Graph, Issue
from engine.trainer import TrainConfig

__all__ = ["Document", "NO_DATA_REASON", "NO_PARAMETERS_REASON"]

NO_PARAMETERS_REASON = "the network has no parameters to learn: put a Dense layer between the Input and the Output"
NO_DATA_REASON = "load data first (File → Import CSV)"


class Document(QObject):
    node_added = Signal(str)
    node_removed = Signal(str)
    node_changed = Signal(str)
    node_renamed = Signal(str, str)    # old id, new id (the node, its place and edges stay)
    node_moved = Signal(str)
    edge_added = Signal(object)        # engine.graph.Edge
    edge_removed = Signal(object)
    graph_changed = Signal()           # after any change of nodes, edges or settings; issues recomputed
    dataset_changed = Signal()
    config_changed = Signal()
    results_changed = Signal()         # weights / history replaced or cleared
    results_restored = Signal()        # ... by an edit (Reset, its undo or redo), not by training
    modified_changed = Signal(bool)
    path_changed = Signal(str)
    replaced = Signal()                # a whole new project was loaded: rebuild every view
    about_to_save = Signal()           # last chance to bring results up to date (training runs)
    runs_changed = Signal()            # the runs table's rows (engine.runs) added, deleted or renamed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        # a bound slot, not a lambda: Qt drops it when the document is destroyed, before the
        # stack's destructor emits cleanChanged into a half-deleted document
        self.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)
        self.graph = Graph()
        self.graph.subscribe(self._on_graph_event)
        self.positions: dict[str, tuple[float, float]] = {}
        self.path: str | None = None
        self.name = "Untitled"
        self.notes = ""
        self.data_path: str | None = None
        self.data_spec = None          # engine.data.DataSpec
        self.dataset = None            # engine.data.Dataset
        self.train_config = TrainConfig()
        self.weights: dict | None = None
        self.history: dict | None = None
        self.runs: list = []           # engine.runs.RunRecord rows, oldest first
        self._issues: list[Issue] = []
        self._widths: dict[str, int | None] = {}
        self._costs: dict[str, tuple[int, int]] = {}
        self._extra_dirty = False
        self._recompute()

    # -- graph events → Qt signals ---------------------------------------------
    def _on_graph_event(self, event: str, payload) -> None:
        if event == "node_renamed":
            old, new = payload
            moved = [(new if nid == old else nid, xy) for nid, xy in self.positions.items()]
            self.positions.clear()          # the same dict, in the same order (the project file's)
            self.positions.update(moved)
            self.node_renamed.emit(old, new)
        else:
            getattr(self, event).emit(payload)
        self._recompute()
        self.graph_changed.emit()

    def _recompute(self) -> None:
        self._issues = self.graph.validate()
        self._widths, _ = self.graph.infer_shapes()
        counts = self.graph.parameter_count()
        self._costs = {}
        for nid, params in counts.items():
            w_in = self.input_width_of(nid)
            units = self.graph.nodes[nid].params.get("units", 0)
            self._costs[nid] = (params, (w_in or 0) * units)

    def issues(self) -> list[Issue]:
        """Why the graph cannot be trained (empty when it can)."""
        return list(self._issues)

    def cost_of(self, node_id: str) -> tuple[int, int] | None:
        """(learnable parameters, multiply-adds per example) of a Dense node whose input
        width is known; None for other nodes."""
        return self._costs.get(node_id)

    def total_cost(self) -> tuple[int, int]:
        """(learnable parameters, multiply-adds per example) of the whole network."""
        return (sum(c[0] for c in self._costs.values()), sum(c[1] for c in self._costs.values()))

    def width_of(self, node_id: str) -> int | None:
        return self._widths.get(node_id)

    def input_width_of(self, node_id: str) -> int | None:
        srcs = self.graph.inputs_of(node_id)
        if not srcs:
            return None
        widths = [self._widths.get(s) for s in srcs]
        if any(w is None for w in widths):
            return None
        node = self.graph.nodes[node_id]
        return sum(widths) if node.kind == "concat" else widths[0]

    # -- layout (called by commands) --------------------------------------------
    def set_position(self, node_id: str, pos: tuple[float, float]) -> None:
        self.positions[node_id] = (float(pos[0]), float(pos[1]))
        self.node_moved.emit(node_id)

    # -- data, settings, results ------------------------------------------------
    def set_data(self, path: str | None, spec, dataset) -> None:
        """Store the data settings and the built dataset (commands call this)."""
        self.data_path, self.data_spec, self.dataset = path, spec, dataset
        self.dataset_changed.emit()

    def set_train_config(self, config: TrainConfig, mark: bool = True) -> None:
        """New training settings; ``mark=False`` when an undo command does it (the undo
        stack then knows whether the project differs from its file)."""
        config.validate()
        if config == self.train_config:
            return
        self.train_config = config
        if mark:
            self.mark_modified()
        self.config_changed.emit()

    def set_results(self, weights: dict | None, history: dict | None, mark: bool = True) -> None:
        """Training results; ``mark=False`` when an undo command does it (see set_train_config)."""
        self.weights, self.history = weights, history
        if mark:
            self.mark_modified()
        self.results_changed.emit()

    def restore_results(self, weights: dict | None, history: dict | None) -> None:
        """Results replaced by an edit (an undo command's redo/undo: Reset weights); training
        views rebuild from them (``results_restored``)."""
        self.set_results(weights, history, mark=False)
        self.results_restored.emit()

    def set_runs(self, runs: list, mark: bool = True) -> None:
        """The runs table's rows; ``mark=False`` when an undo command does it."""
        self.runs = list(runs)
        if mark:
            self.mark_modified()
        self.runs_changed.emit()

    def train_blocked_reason(self, extra: str | None = None) -> str | None:
        """Why Train cannot start (None when it can): the graph's first problem, then
        ``extra`` (a reason another part set), then missing data. The one rule, for the window's
        status line, the actions' tooltips and the training controller."""
        if self._issues:
            return self._issues[0].message
        if extra:
            return extra
        if self.dataset is None:
            return NO_DATA_REASON
        if not any(self.graph.parameter_count().values()):      # Input → Output: nothing to learn
            return NO_PARAMETERS_REASON
        return None

    # -- modified state ---------------------------------------------------------
    def mark_modified(self) -> None:
        if not self._extra_dirty:
            self._extra_dirty = True
            self._emit_modified()

    def is_modified(self) -> bool:
        return self._extra_dirty or not self.undo_stack.isClean()

    def mark_saved(self, path: str | None = None) -> None:
        if path is not None and path != self.path:
            self.path = path
            self.name = os.path.splitext(os.path.basename(path))[0]
            self.path_changed.emit(path)
        self._extra_dirty = False
        self.undo_stack.setClean()
        self._emit_modified()

    def _on_undo_stack_clean_changed(self, clean: bool) -> None:
        self._emit_modified()

    def _emit_modified(self) -> None:
        self.modified_changed.emit(self.is_modified())

    # -- whole-project replacement ----------------------------------------------
    def replace(self, graph: Graph, positions: dict, *, path: str | None = None, name: str = "",
                notes: str = "", data_path=None, data_spec=None, dataset=None,
                train_config: TrainConfig | None = None, weights=None, history=None, runs=()) -> None:
        """Load a whole project: clears undo history and marks it unmodified."""
        self.graph.unsubscribe(self._on_graph_event)
        self.graph = graph
        self.graph.subscribe(self._on_graph_event)
        self.positions = {k: (float(v[0]), float(v[1])) for k, v in positions.items()}
        for nid in graph.nodes:
            self.positions.setdefault(nid, (0.0, 0.0))
        self.path = path
        self.name = name or (os.path.splitext(os.path.basename(path))[0] if path else "Untitled")
        self.notes = notes
        self.data_path, self.data_spec, self.dataset = data_path, data_spec, dataset
        self.train_config = train_config or TrainConfig()
        self.weights, self.history = weights, history
        self.runs = list(runs)
        self.undo_stack.clear()
        self._extra_dirty = False
        self._recompute()
        self.replaced.emit()
        self.graph_changed.emit()
        self.dataset_changed.emit()
        self.config_changed.emit()
        self.results_changed.emit()
        self.runs_changed.emit()
        self.path_changed.emit(path or "")
        self._emit_modified()

    def edges(self) -> list[Edge]:
        return list(self.graph.edges)
