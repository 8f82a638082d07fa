"""Every edit of the document is one of these undoable commands.

A command stores what it needs to undo when it is created, changes only the
document (never a graphics item), and does nothing when old equals new.
Multi-node edits are grouped with ``QUndoStack.beginMacro`` by the caller or
are one command over a list.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QUndoCommand

from engine.fitting import fit_graph_to_data
from engine.graph import NODE_SPECS, Edge, GraphError, check_params

__all__ = [
    "AddNodeCommand", "RemoveNodesCommand", "MoveNodesCommand", "ConnectCommand",
    "DisconnectCommand", "SetParamsCommand", "SetKindCommand", "PasteCommand", "SetDataCommand",
    "SetTrainConfigCommand", "ResetWeightsCommand", "SetWeightsCommand", "DeleteRunsCommand",
    "SetRunNoteCommand",
]

TRAIN_CONFIG_ID = 1002


class AddNodeCommand(QUndoCommand):
    def __init__(self, doc, kind: str, pos: tuple[float, float], params: dict | None = None,
                 node_id: str | None = None) -> None:
        super().__init__()
        self.doc, self.kind, self.pos, self.params = doc, kind, pos, dict(params or {})
        self.node_id = node_id or doc.graph.new_id(kind)
        self.setText(f"Add {NODE_SPECS[kind].title}")

    def redo(self) -> None:
        self.doc.positions[self.node_id] = (float(self.pos[0]), float(self.pos[1]))
        self.doc.graph.add_node(self.kind, self.params, self.node_id)

    def undo(self) -> None:
        self.doc.graph.remove_node(self.node_id)
        self.doc.positions.pop(self.node_id, None)


class RemoveNodesCommand(QUndoCommand):
    """Delete nodes (with their edges) and loose edges in one step."""

    def __init__(self, doc, node_ids: list[str], edges: list[Edge] = ()) -> None:
        super().__init__()
        self.doc = doc
        self.node_ids = [n for n in node_ids if n in doc.graph.nodes]
        g = doc.graph
        touched = {e for e in g.edges if e.src in self.node_ids or e.dst in self.node_ids}
        touched |= {e for e in edges if e in g.edges}
        # remember every edge with its index so Concat input order survives undo
        self.edges = sorted(((g.edges.index(e), e) for e in touched), key=lambda t: t[0])
        # each node with its place in the node order, first place first: undo puts them back there
        place = {n: i for i, n in enumerate(g.nodes)}
        self.nodes = sorted((place[n], n, g.nodes[n].kind, dict(g.nodes[n].params),
                             doc.positions.get(n, (0.0, 0.0))) for n in self.node_ids)
        what = []
        if self.nodes:
            what.append(f"{len(self.nodes)} node{'s' if len(self.nodes) > 1 else ''}")
        loose = len(self.edges) if not self.nodes else 0
        if loose:
            what.append(f"{loose} connection{'s' if loose > 1 else ''}")
        self.setText("Delete " + (" and ".join(what) or "nothing"))

    def redo(self) -> None:
        g = self.doc.graph
        for _, e in reversed(self.edges):
            if e in g.edges:
                g.disconnect(e)
        for _, nid, *_ in self.nodes:
            g.remove_node(nid)
            self.doc.positions.pop(nid, None)

    def undo(self) -> None:
        """Through the graph's API, so every listener hears each node and edge come back: the
        nodes at their old places (first place first, so each lands where it was), then the
        edges at their old indices (a Concat's inputs keep their order)."""
        g = self.doc.graph
        for index, nid, kind, params, pos in self.nodes:
            self.doc.positions[nid] = pos
            g.add_node(kind, params, nid, index=index)
        for index, e in self.edges:
            g.connect(e.src, e.dst, index=index)


class MoveNodesCommand(QUndoCommand):
    """Nodes moved by a drag: one command on release, old and new positions per node."""

    def __init__(self, doc, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]]) -> None:
        super().__init__()
        self.doc = doc
        self.moves = {n: (old, new) for n, (old, new) in moves.items() if old != new}
        self.setText(f"Move {len(self.moves)} node{'s' if len(self.moves) != 1 else ''}")
        if not self.moves:
            self.setObsolete(True)

    def redo(self) -> None:
        for nid, (_, new) in self.moves.items():
            self.doc.set_position(nid, new)

    def undo(self) -> None:
        for nid, (old, _) in self.moves.items():
            self.doc.set_position(nid, old)


class ConnectCommand(QUndoCommand):
    def __init__(self, doc, src: str, dst: str) -> None:
        super().__init__()
        self.doc, self.edge = doc, Edge(src, dst)
        self.setText(f"Connect {src} → {dst}")

    def redo(self) -> None:
        self.doc.graph.connect(self.edge.src, self.edge.dst)

    def undo(self) -> None:
        self.doc.graph.disconnect(self.edge)


class DisconnectCommand(QUndoCommand):
    def __init__(self, doc, edge: Edge) -> None:
        super().__init__()
        self.doc, self.edge = doc, edge
        self.index = doc.graph.edges.index(edge)
        self.setText(f"Disconnect {edge.src} → {edge.dst}")

    def redo(self) -> None:
        self.index = self.doc.graph.disconnect(self.edge)

    def undo(self) -> None:
        self.doc.graph.connect(self.edge.src, self.edge.dst, index=self.index)


class SetParamsCommand(QUndoCommand):
    """Change settings of one node; validated by the engine before it is pushed."""

    def __init__(self, doc, node_id: str, params: dict) -> None:
        super().__init__()
        self.doc, self.node_id = doc, node_id
        node = doc.graph.nodes[node_id]
        merged = dict(node.params)
        merged.update(params)
        check_params(node.kind, merged)       # raises GraphError with the reason
        self.old = {k: node.params[k] for k in params}
        self.new = dict(params)
        if self.old == self.new:
            self.setObsolete(True)
        names = ", ".join(f"{k} = {v}" for k, v in params.items())
        self.setText(f"Set {node_id} {names}")

    def redo(self) -> None:
        self.doc.graph.set_params(self.node_id, self.new)

    def undo(self) -> None:
        self.doc.graph.set_params(self.node_id, self.old)


class SetKindCommand(QUndoCommand):
    """Turn a node into another kind in place (Sigmoid → ReLU), keeping its position, edges
    and place in the node order; the new kind starts from its default settings. Checked by the
    engine before it is pushed. An id made for the old kind gets one of the new kind
    (``sigmoid1`` → ``relu1``, :meth:`Graph.auto_id_for_kind`); a name somebody chose stays.
    Only parameter-free nodes are renamed, so weights and the tracked pair keep their names:
    trained weights are not touched (the training controller reuses the document's weights
    whenever their names and shapes still fit).
    """

    def __init__(self, doc, node_id: str, kind: str, params: dict | None = None) -> None:
        super().__init__()
        self.doc, self.node_id = doc, node_id
        reason = doc.graph.can_set_kind(node_id, kind)
        if reason:
            raise GraphError(reason, node=node_id)
        node = doc.graph.nodes[node_id]
        self.old = (node.kind, dict(node.params))
        self.new = (kind, check_params(kind, dict(params or {})))    # raises GraphError with the reason
        self.new_id = doc.graph.auto_id_for_kind(node_id, kind)
        if self.old[0] == kind:
            self.setObsolete(True)
        renamed = f" ({self.new_id})" if self.new_id != node_id else ""
        self.setText(f"Change {node_id} to {NODE_SPECS[kind].title}{renamed}")

    def redo(self) -> None:
        g = self.doc.graph
        g.rename_node(self.node_id, self.new_id)
        g.set_kind(self.new_id, *self.new)

    def undo(self) -> None:
        g = self.doc.graph
        g.set_kind(self.new_id, *self.old)
        g.rename_node(self.new_id, self.node_id)


class PasteCommand(QUndoCommand):
    """Add a sub-graph (nodes with fresh ids and their internal edges)."""

    def __init__(self, doc, nodes: list[dict], edges: list[tuple[str, str]], offset=(40.0, 40.0)) -> None:
        super().__init__()
        self.doc = doc
        g = doc.graph
        taken = set(g.nodes)
        self.id_map: dict[str, str] = {}
        for item in nodes:
            base = item["kind"].replace("_", "")
            i = 1
            while f"{base}{i}" in taken:
                i += 1
            new_id = f"{base}{i}"
            taken.add(new_id)
            self.id_map[item["id"]] = new_id
        self.nodes = [(self.id_map[n["id"]], n["kind"], dict(n["params"]),
                       (n["pos"][0] + offset[0], n["pos"][1] + offset[1])) for n in nodes]
        self.edges = [(self.id_map[s], self.id_map[d]) for s, d in edges
                      if s in self.id_map and d in self.id_map]
        self.setText(f"Paste {len(self.nodes)} node{'s' if len(self.nodes) != 1 else ''}")

    def redo(self) -> None:
        for nid, kind, params, pos in self.nodes:
            self.doc.positions[nid] = pos
            self.doc.graph.add_node(kind, params, nid)
        for s, d in self.edges:
            self.doc.graph.connect(s, d)

    def undo(self) -> None:
        for nid, *_ in reversed(self.nodes):
            self.doc.graph.remove_node(nid)
            self.doc.positions.pop(nid, None)


class SetDataCommand(QUndoCommand):
    """Use a dataset: store path/spec/dataset and fit the network and the loss to it as
    :func:`engine.fitting.fit_graph_to_data` plans (the Input width, the Output task and
    width, the units of the Dense that feeds the Output, a loss that fits the task).
    ``fit`` is that plan (None without a dataset).

    Only the undo stack says whether the project differs from its file: results and
    settings are written with ``mark=False``, so undo back to the saved state leaves
    the project unmodified."""

    def __init__(self, doc, path, spec, dataset) -> None:
        super().__init__()
        self.doc = doc
        self.new = (path, spec, dataset)
        self.old = (doc.data_path, doc.data_spec, doc.dataset)
        self.fit = None if dataset is None else fit_graph_to_data(doc.graph, dataset, doc.train_config.loss)
        self.param_changes = [] if self.fit is None else list(self.fit.params)
        # weights trained on other data must not be exported or saved as if they fitted
        # this data: new data clears them, and undo brings them back with the old data
        self.old_results = (doc.weights, doc.history)
        self.clears_results = dataset is not None and (doc.weights is not None or doc.history is not None)
        name = (spec.target if spec is not None else "no data")
        self.setText(f"Use data: {name}")

    def redo(self) -> None:
        for c in self.param_changes:
            self.doc.graph.set_params(c.node, c.new)
        if self.clears_results:
            self.doc.set_results(None, None, mark=False)
        self._set_loss("loss")
        self.doc.set_data(*self.new)

    def undo(self) -> None:
        for c in reversed(self.param_changes):
            self.doc.graph.set_params(c.node, c.old)
        if self.clears_results:
            self.doc.set_results(*self.old_results, mark=False)
        self._set_loss("old_loss")
        self.doc.set_data(*self.old)

    def _set_loss(self, which: str) -> None:
        if self.fit is not None and self.fit.loss_changed:     # other settings stay as they are now
            self.doc.set_train_config(replace(self.doc.train_config, loss=getattr(self.fit, which)), mark=False)


_SETTING_NAMES = {"loss": "loss", "optimizer": "optimizer", "lr": "learning rate η", "momentum": "momentum μ",
                  "batch_size": "batch size", "epochs": "epochs", "seed": "seed",
                  "early_stopping": "early stopping", "dtype": "precision", "track": "tracked pair"}


class SetTrainConfigCommand(QUndoCommand):
    """New training settings (the training panel's fields). Typing in one field makes one
    command: consecutive changes of the same settings merge (η 0.0 → 0.01 → 0.015 is one
    "Set learning rate η = 0.015"), and a merge back to where it started drops the command."""

    def __init__(self, doc, new) -> None:
        super().__init__()
        new.validate()                         # raises ConfigError with the reason
        self.doc, self.old, self.new = doc, doc.train_config, new
        self.keys = self._changed(self.old, new)
        self._name()
        if not self.keys:
            self.setObsolete(True)

    @staticmethod
    def _changed(a, b) -> tuple[str, ...]:
        da, db = a.to_dict(), b.to_dict()
        return tuple(k for k in db if da.get(k) != db[k])

    def _name(self) -> None:
        d = self.new.to_dict()
        parts = [f"{_SETTING_NAMES.get(k, k)} = {d[k]:g}" if isinstance(d[k], float)
                 else f"{_SETTING_NAMES.get(k, k)} = {d[k]}" for k in self.keys]
        self.setText("Set " + ", ".join(parts) if parts else "Set training settings")

    def id(self) -> int:
        return TRAIN_CONFIG_ID

    def mergeWith(self, other) -> bool:
        if not isinstance(other, SetTrainConfigCommand) or other.keys != self.keys:
            return False
        self.new = other.new
        self._name()
        if not self._changed(self.old, self.new):
            self.setObsolete(True)
        return True

    def redo(self) -> None:
        self.doc.set_train_config(self.new, mark=False)

    def undo(self) -> None:
        self.doc.set_train_config(self.old, mark=False)


class ResetWeightsCommand(QUndoCommand):
    """Reset weights: the document's trained weights and history go (the training views
    start afresh from the seed); undo brings them back and Train goes on from them."""

    def __init__(self, doc) -> None:
        super().__init__("Reset weights")
        self.doc = doc
        self.weights = self.history = None

    def redo(self) -> None:
        # what is discarded now: a redo after more training discards that training, and
        # undo brings that back, not the older state
        self.weights, self.history = self.doc.weights, self.doc.history
        self.doc.restore_results(None, None)

    def undo(self) -> None:
        self.doc.restore_results(self.weights, self.history)



class SetWeightsCommand(QUndoCommand):
    """Parameters set by hand (the error surface dragged, a weight typed, a unit's slider):
    the document's weights become ``weights``, its history stays, and Train goes on from them.
    Undo brings back the weights before (None: the seed's)."""

    def __init__(self, doc, weights: dict, text: str = "Set weights") -> None:
        super().__init__(text)
        self.doc = doc
        self.weights = {k: v.copy() for k, v in weights.items()}
        self.before = None

    def redo(self) -> None:
        self.before = self.doc.weights
        self.doc.restore_results(self.weights, self.doc.history)

    def undo(self) -> None:
        self.doc.restore_results(self.before, self.doc.history)


class DeleteRunsCommand(QUndoCommand):
    """Rows of the runs table deleted (by run number). Undo puts them back in their places (rows
    are in number order), beside any run recorded since."""

    def __init__(self, doc, numbers: list[int]) -> None:
        super().__init__(f"Delete run{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}")
        self.doc = doc
        self.numbers = set(numbers)
        self.removed: list = []

    def redo(self) -> None:
        self.removed = [r for r in self.doc.runs if r.number in self.numbers]
        self.doc.set_runs([r for r in self.doc.runs if r.number not in self.numbers], mark=False)

    def undo(self) -> None:
        from engine.runs import MAX_RUNS
        rows = sorted(self.doc.runs + self.removed, key=lambda r: r.number)
        self.doc.set_runs(rows[-MAX_RUNS:], mark=False)


class SetRunNoteCommand(QUndoCommand):
    """A run's note (its name in the runs table) changed."""

    def __init__(self, doc, number: int, note: str) -> None:
        super().__init__(f"Rename run {number}")
        self.doc, self.number, self.note = doc, number, note
        self.before = next((r.note for r in doc.runs if r.number == number), "")

    def _set(self, note: str) -> None:
        self.doc.set_runs([replace(r, note=note) if r.number == self.number else r for r in self.doc.runs],
                          mark=False)

    def redo(self) -> None:
        self._set(self.note)

    def undo(self) -> None:
        self._set(self.before)
