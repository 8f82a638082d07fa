"""Turns a person's intent on the canvas into undoable commands.

The view, the context menu, the main window's actions and tests all call
these methods, so a scripted edit runs exactly the code the mouse runs.
While training runs, edits are refused with the reason (``set_locked``).
"""
from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, QObject, QPointF, Signal
from PySide6.QtGui import QGuiApplication

from engine.graph import NODE_SPECS, Edge, GraphError
from gui.document.commands import (AddNodeCommand, ConnectCommand, DisconnectCommand, MoveNodesCommand,
                          PasteCommand, RemoveNodesCommand)

from gui.canvas.items import NODE_H, NODE_W, PORT_R
from engine.layout import auto_layout, nearest_free_spot

__all__ = ["CanvasEditor", "SUBGRAPH_MIME"]

SUBGRAPH_MIME = "application/x-netcanvas-subgraph+json"
CARD_GAP = 2 * PORT_R + 28.0     # clear room kept around a new card: both ports fit, each easy to grab


class CanvasEditor(QObject):
    message = Signal(str)            # something a person should read in the status bar
    refused = Signal(str)            # an edit was refused; the reason

    def __init__(self, document, scene, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.scene = scene
        self.locked_reason: str | None = None
        self._paste_count = 0

    # -- locking -------------------------------------------------------------
    def set_locked(self, locked: bool, reason: str = "") -> None:
        self.locked_reason = (reason or "training is running") if locked else None
        self.scene.set_movable(not locked)

    def _refuse_if_locked(self) -> bool:
        if self.locked_reason:
            self._refuse(f"The network cannot be edited now: {self.locked_reason}.")
            return True
        return False

    def _refuse(self, text: str) -> None:
        self.refused.emit(text)
        self.message.emit(text)

    def _push(self, cmd) -> None:
        self.document.undo_stack.push(cmd)

    # -- add / connect ---------------------------------------------------------
    def add_node(self, kind: str, center: QPointF | tuple[float, float], params: dict | None = None) -> str | None:
        """Add a node of ``kind`` centred on a scene point; returns its id."""
        if self._refuse_if_locked():
            return None
        if kind not in NODE_SPECS:
            self._refuse(f"unknown node kind '{kind}'")
            return None
        cx, cy = (center.x(), center.y()) if isinstance(center, QPointF) else center
        want = (float(round((cx - NODE_W / 2) / 10) * 10), float(round((cy - NODE_H / 2) / 10) * 10))
        # never under or flush against another card: the nearest spot with clear room around it
        x, y = nearest_free_spot(want, self.document.positions.values(), (NODE_W, NODE_H), CARD_GAP)
        cmd = AddNodeCommand(self.document, kind, (float(x), float(y)), params)
        self._push(cmd)
        self.scene.select_nodes([cmd.node_id])
        self.message.emit(f"Added {NODE_SPECS[kind].title} '{cmd.node_id}'")
        return cmd.node_id

    def replaced_edge(self, src: str, dst: str) -> Edge | None:
        """The link into ``dst`` that a new link ``src → dst`` would replace: ``dst`` takes one
        input and already has it, and the graph would accept the new link without the old one."""
        g = self.document.graph
        node = g.nodes.get(dst)
        if node is None or src not in g.nodes or node.spec.multi_input or not node.spec.has_input:
            return None
        old = [e for e in g.edges if e.dst == dst]
        if len(old) != 1 or old[0].src == src:
            return None
        trial = g.copy()
        trial.disconnect(old[0])
        return old[0] if trial.can_connect(src, dst) is None else None

    def can_connect(self, src: str, dst: str) -> str | None:
        if self.locked_reason:
            return f"the network cannot be edited now: {self.locked_reason}"
        if self.replaced_edge(src, dst) is not None:
            return None
        return self.document.graph.can_connect(src, dst)

    def connect(self, src: str, dst: str) -> bool:
        """Make the link ``src → dst``; into a single-input node that is already fed, the new
        link replaces the old one (one undo step)."""
        reason = self.can_connect(src, dst)
        if reason:
            self._refuse(f"Cannot connect {src} → {dst}: {reason}")
            return False
        old = self.replaced_edge(src, dst)
        if old is None:
            self._push(ConnectCommand(self.document, src, dst))
            self.message.emit(f"Connected {src} → {dst}")
            return True
        stack = self.document.undo_stack
        stack.beginMacro(f"Reconnect {dst}: {old.src} → {src}")
        try:
            self._push(DisconnectCommand(self.document, old))
            self._push(ConnectCommand(self.document, src, dst))
        finally:
            stack.endMacro()
        self.message.emit(f"Connected {src} → {dst} (replacing {old.src} → {dst})")
        return True

    # -- delete ----------------------------------------------------------------
    def delete_selection(self, keep_links: bool = False) -> bool:
        """Delete selected nodes and edges; ``keep_links`` (Backspace) bridges a removed
        single-input node's input to its outputs, so a chain stays connected."""
        nodes, edges = self.scene.selected_node_ids(), self.scene.selected_edges()
        if not nodes and not edges:
            return False
        if self._refuse_if_locked():
            return False
        stack, g = self.document.undo_stack, self.document.graph
        bridges = []
        if keep_links:
            for nid in nodes:
                ins = [s for s in g.inputs_of(nid) if s not in nodes]
                outs = [d for d in g.outputs_of(nid) if d not in nodes]
                if len(ins) == 1:
                    bridges += [(ins[0], d) for d in outs]
        cmd = RemoveNodesCommand(self.document, nodes, edges)
        if bridges:
            stack.beginMacro(cmd.text() + " (keep links)")
            stack.push(cmd)
            for s, d in bridges:
                if g.can_connect(s, d) is None:
                    stack.push(ConnectCommand(self.document, s, d))
            stack.endMacro()
        else:
            stack.push(cmd)
        self.message.emit(cmd.text())
        return True

    # -- clipboard ---------------------------------------------------------------
    def selection_payload(self) -> dict | None:
        ids = self.scene.selected_node_ids()
        if not ids:
            return None
        g, pos = self.document.graph, self.document.positions
        nodes = [{"id": n, "kind": g.nodes[n].kind, "params": dict(g.nodes[n].params),
                  "pos": list(pos.get(n, (0.0, 0.0)))} for n in ids]
        edges = [[e.src, e.dst] for e in g.edges if e.src in ids and e.dst in ids]
        return {"format": "netcanvas-subgraph", "version": 1, "nodes": nodes, "edges": edges}

    def copy(self) -> bool:
        payload = self.selection_payload()
        if payload is None:
            self.message.emit("Nothing selected to copy")
            return False
        mime = QMimeData()
        data = json.dumps(payload).encode("utf-8")
        mime.setData(SUBGRAPH_MIME, data)
        mime.setText(data.decode("utf-8"))
        QGuiApplication.clipboard().setMimeData(mime)
        self._paste_count = 0
        n = len(payload["nodes"])
        self.message.emit(f"Copied {n} node{'s' if n != 1 else ''}")
        return True

    def cut(self) -> bool:
        if self._refuse_if_locked() or not self.copy():
            return False
        stack = self.document.undo_stack
        stack.beginMacro("Cut")
        self.delete_selection()
        stack.endMacro()
        return True

    @staticmethod
    def clipboard_payload() -> dict | None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(SUBGRAPH_MIME):
            return None
        try:
            payload = json.loads(bytes(mime.data(SUBGRAPH_MIME)).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("nodes"), list):
            return None
        return payload

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Paste the copied sub-graph (fresh ids, internal edges kept); returns the new ids."""
        if self._refuse_if_locked():
            return []
        payload = self.clipboard_payload()
        if payload is None:
            self.message.emit("The clipboard holds no NetCanvas nodes")
            return []
        try:
            nodes = [{"id": str(n["id"]), "kind": str(n["kind"]), "params": dict(n["params"]),
                      "pos": (float(n["pos"][0]), float(n["pos"][1]))} for n in payload["nodes"]]
            for n in nodes:
                if n["kind"] not in NODE_SPECS:
                    raise GraphError(f"unknown node kind '{n['kind']}'")
            edges = [(str(s), str(d)) for s, d in payload.get("edges", [])]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            self._refuse(f"Cannot paste: {exc}")
            return []
        if at is not None:
            left = min(n["pos"][0] for n in nodes)
            top = min(n["pos"][1] for n in nodes)
            offset = (round((at.x() - left) / 10) * 10, round((at.y() - top) / 10) * 10)
        else:
            self._paste_count += 1
            offset = (40.0 * self._paste_count, 40.0 * self._paste_count)
        try:
            cmd = PasteCommand(self.document, nodes, edges, offset=offset)
            self._push(cmd)
        except GraphError as exc:
            self._refuse(f"Cannot paste: {exc}")
            return []
        new_ids = [nid for nid, *_ in cmd.nodes]
        self.scene.select_nodes(new_ids)
        self.message.emit(cmd.text())
        return new_ids

    # -- selection / layout ------------------------------------------------------
    def select_all(self) -> None:
        for item in list(self.scene.nodes.values()) + list(self.scene.edges.values()):
            item.setSelected(True)

    def arrange(self) -> bool:
        """Auto-layout every node left to right; one undoable step."""
        if self._refuse_if_locked():
            return False
        g = self.document.graph
        if not g.nodes:
            return False
        pos = self.document.positions
        xs = [p[0] for p in pos.values()] or [0.0]
        ys = [p[1] for p in pos.values()] or [0.0]
        new = auto_layout(g, origin=(min(xs), sum(ys) / len(ys)))
        moves = {n: (tuple(pos[n]), new[n]) for n in g.nodes if n in pos}
        cmd = MoveNodesCommand(self.document, moves)
        cmd.setText("Arrange nodes")
        if cmd.isObsolete():
            return False
        self._push(cmd)
        return True

    def commit_drag(self) -> bool:
        """Turn item positions left by a mouse drag into one MoveNodesCommand."""
        moves = self.scene.pending_moves()
        if not moves:
            return False
        if self.locked_reason:
            self.scene.revert_moves()
            return False
        self._push(MoveNodesCommand(self.document, moves))
        return True
