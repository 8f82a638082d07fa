"""The scene mirrors the document: one NodeItem per node, one EdgeItem per edge.

It listens to the document's signals and rebuilds or refreshes items; it never
edits the document. While a node is dragged its item moves on its own and the
attached edges follow; the view turns the finished drag into one command.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from engine.graph import Edge

from gui.canvas.insight import CanvasInsight
from gui.canvas.items import NODE_H, NODE_W, EdgeItem, NodeItem, NodeView, PortItem, bezier, rubber_pen

__all__ = ["CanvasScene", "node_view"]


def _shape(w) -> str:
    return "?" if w is None else str(w)


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def node_view(doc, node_id: str, issues: list[str]) -> NodeView:
    """What the card of ``node_id`` shows, computed from the document."""
    g = doc.graph
    node = g.nodes[node_id]
    spec = node.spec
    w_in, w_out = doc.input_width_of(node_id), doc.width_of(node_id)
    if not spec.has_input:
        shape = f"→ [N, {_shape(w_out)}]"
    elif not spec.has_output:
        shape = f"[N, {_shape(w_in)}] →"
        if node.params.get("task") != "regression":
            shape += f" {node.params['units']} class" + ("es" if node.params["units"] > 1 else "")
    else:
        shape = f"[N, {_shape(w_in)}] → [N, {_shape(w_out)}]"
    cost = doc.cost_of(node_id)
    if node.kind == "dense":
        detail = (f"{cost[0]:,} params · {cost[1]:,} mult-adds" if cost is not None
                  else "params: connect an input")
    elif node.kind == "input":
        names = doc.dataset.feature_names if doc.dataset is not None else None
        detail = (", ".join(names) if names else "features of each example")
    elif node.kind == "output":
        target = getattr(doc.data_spec, "target", None)     # None, a DataSpec, or a dict kept as saved
        detail = f"ŷ: {target}" if target else "ŷ: the prediction"
    elif node.kind == "dropout":
        detail = f"p = {node.params['rate']:g} (training only)"
    else:
        detail = spec.formula.split(":")[0] if len(spec.formula) > 30 else spec.formula
    rows = []
    if spec.has_input:
        rows.append(("input", f"<tt>[N, {_shape(w_in)}]</tt>"))
    if spec.has_output:
        rows.append(("output", f"<tt>[N, {_shape(w_out)}]</tt>"))
    if node.params:
        rows.append(("settings", _esc(", ".join(f"{k} = {v}" for k, v in node.params.items()))))
    if cost is not None:
        rows.append(("parameters", f"{cost[0]:,}"))
        rows.append(("mult-adds", f"{cost[1]:,} per example"))
    table = "".join(f"<tr><td style='color:#6b7280; padding-right:8px'>{k}</td><td>{v}</td></tr>"
                    for k, v in rows)
    tip = (f"<b>{_esc(spec.title)}</b> <span style='color:#6b7280'>{_esc(node_id)}</span><br>"
           f"<tt>{_esc(spec.formula)}</tt><table style='margin-top:4px'>{table}</table>")
    return NodeView(kind=node.kind, category=spec.category, title=node.label(), node_id=node_id,
                    shape=shape, detail=detail, tooltip=tip, has_input=spec.has_input,
                    has_output=spec.has_output, multi_input=spec.multi_input, issues=issues)


class CanvasScene(QGraphicsScene):
    node_dragged = Signal(str)          # an item moved under the mouse (not yet a command)

    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self._syncing = False
        self._rubber: QGraphicsPathItem | None = None
        self.setSceneRect(QRectF(-20000, -20000, 40000, 40000))
        d = document
        d.node_added.connect(self._on_document_node_added)
        d.node_removed.connect(self._on_document_node_removed)
        d.node_renamed.connect(self._on_document_node_renamed)
        d.node_moved.connect(self._on_document_node_moved)
        d.edge_added.connect(self._on_document_edge_added)
        d.edge_removed.connect(self._on_document_edge_removed)
        d.graph_changed.connect(self.refresh)
        d.dataset_changed.connect(self.refresh)
        d.replaced.connect(self.rebuild)
        self.insight = CanvasInsight(document, self)      # weights and outputs shown on the cards
        self.insight.updated.connect(self._on_insight_updated)
        self.rebuild()

    # -- building ------------------------------------------------------------
    def rebuild(self) -> None:
        self.clearSelection()
        for item in list(self.edges.values()):
            self.removeItem(item)
        for item in list(self.nodes.values()):
            self.removeItem(item)
        self.edges.clear()
        self.nodes.clear()
        for nid in self.document.graph.nodes:
            self._add_node_item(nid)
        for e in self.document.graph.edges:
            self._add_edge_item(e)
        self.refresh()

    def _add_node_item(self, nid: str) -> NodeItem:
        item = NodeItem(nid, node_view(self.document, nid, []), on_moved=self._on_item_moved)
        x, y = self.document.positions.get(nid, (0.0, 0.0))
        self._syncing = True
        item.setPos(x, y)
        self._syncing = False
        self.addItem(item)
        self.nodes[nid] = item
        self._show_insight_of(nid, item)
        return item

    def _add_edge_item(self, e: Edge) -> None:
        if e in self.edges or e.src not in self.nodes or e.dst not in self.nodes:
            return
        item = EdgeItem(e, self.nodes[e.src], self.nodes[e.dst])
        item.set_link(self.insight.links.get(e.dst))
        self.addItem(item)
        self.edges[e] = item

    # -- insight: weights and the output on an example ------------------------------------
    def _on_insight_updated(self) -> None:
        for nid, item in self.nodes.items():
            self._show_insight_of(nid, item)
        links = self.insight.links
        for e, item in self.edges.items():
            item.set_link(links.get(e.dst))

    def _show_insight_of(self, nid: str, item: NodeItem) -> None:
        ins = self.insight
        node = self.document.graph.nodes.get(nid)
        kind = node.kind if node is not None else ""
        if ins.state == "incomplete":
            hint = "weights: once the network is complete" if kind == "dense" else ""
        elif ins.state == "no data":
            hint = "" if kind == "dense" else (
                "prediction: load data" if kind == "output" else "output on an example: load data")
        else:
            hint = ""
        item.set_insight(ins.nodes.get(nid), hint)

    # -- document → items ----------------------------------------------------------
    def _on_document_node_added(self, nid: str) -> None:
        if nid not in self.nodes:
            self._add_node_item(nid)

    def _on_document_node_removed(self, nid: str) -> None:
        item = self.nodes.pop(nid, None)
        if item is not None:
            for e in [e for e in self.edges if nid in (e.src, e.dst)]:
                self.removeItem(self.edges.pop(e))
            self.removeItem(item)

    def _on_document_node_renamed(self, old: str, new: str) -> None:
        """The same card and links under the new id (so the selection stays on it)."""
        item = self.nodes.pop(old, None)
        if item is None:
            return
        item.node_id = new
        self.nodes[new] = item
        for e in [e for e in self.edges if old in (e.src, e.dst)]:
            link = self.edges.pop(e)
            link.edge = Edge(new if e.src == old else e.src, new if e.dst == old else e.dst)
            link.set_issue(link.issue)          # its tooltip names the ends
            self.edges[link.edge] = link

    def _on_document_node_moved(self, nid: str) -> None:
        item = self.nodes.get(nid)
        if item is None:
            return
        x, y = self.document.positions[nid]
        if (item.pos().x(), item.pos().y()) != (x, y):
            self._syncing = True
            item.setPos(x, y)
            self._syncing = False
            self._update_edges_of(nid)

    def _on_document_edge_added(self, e: Edge) -> None:
        self._add_edge_item(e)

    def _on_document_edge_removed(self, e: Edge) -> None:
        item = self.edges.pop(e, None)
        if item is not None:
            self.removeItem(item)

    def refresh(self) -> None:
        """Recompute every card's text and every problem marker from the document."""
        doc = self.document
        by_node: dict[str, list[str]] = {}
        by_edge: dict[Edge, str] = {}
        for issue in doc.issues():
            if issue.node:
                by_node.setdefault(issue.node, []).append(issue.message)
            if issue.edge:
                by_edge[issue.edge] = issue.message
        for nid, item in self.nodes.items():
            if nid in doc.graph.nodes:
                item.set_view(node_view(doc, nid, by_node.get(nid, [])))
        for e, item in self.edges.items():
            item.set_issue(by_edge.get(e))

    # -- dragging --------------------------------------------------------------
    def _on_item_moved(self, item: NodeItem) -> None:
        self._update_edges_of(item.node_id)
        if not self._syncing:
            self.node_dragged.emit(item.node_id)

    def _update_edges_of(self, nid: str) -> None:
        for e, item in self.edges.items():
            if nid in (e.src, e.dst):
                item.update_path()

    def pending_moves(self) -> dict[str, tuple[tuple[float, float], tuple[float, float]]]:
        """Items whose position differs from the document: {id: (old, new)}."""
        moves = {}
        for nid, item in self.nodes.items():
            old = self.document.positions.get(nid)
            new = (item.pos().x(), item.pos().y())
            if old is not None and tuple(old) != new:
                moves[nid] = (tuple(old), new)
        return moves

    def revert_moves(self) -> None:
        for nid in list(self.pending_moves()):
            self._on_document_node_moved(nid)

    # -- selection -------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        return [nid for nid, item in self.nodes.items() if item.isSelected()]

    def selected_edges(self) -> list[Edge]:
        return [e for e, item in self.edges.items() if item.isSelected()]

    def select_nodes(self, ids) -> None:
        ids = set(ids)
        self.clearSelection()
        for nid in ids:
            if nid in self.nodes:
                self.nodes[nid].setSelected(True)

    def set_highlighted(self, ids) -> None:
        ids = set(ids or ())
        for nid, item in self.nodes.items():
            item.set_highlighted(nid in ids)

    def set_movable(self, on: bool) -> None:
        for item in self.nodes.values():
            item.setFlag(NodeItem.GraphicsItemFlag.ItemIsMovable, on)

    # -- the rubber-band line while connecting -------------------------------------
    def show_rubber(self, a: QPointF, b: QPointF, reverse: bool = False) -> None:
        if self._rubber is None:
            self._rubber = QGraphicsPathItem()
            self._rubber.setPen(rubber_pen())
            self._rubber.setZValue(5)
            self.addItem(self._rubber)
        self._rubber.setPath(bezier(b, a) if reverse else bezier(a, b))

    def hide_rubber(self) -> None:
        if self._rubber is not None:
            self.removeItem(self._rubber)
            self._rubber = None

    def port_at(self, pos: QPointF, radius: float = 14.0) -> PortItem | None:
        """The port nearest to a scene point, within ``radius``."""
        best, best_d = None, radius
        for item in self.nodes.values():
            for port in item.ports():
                c = port.scenePos()
                d = ((c.x() - pos.x()) ** 2 + (c.y() - pos.y()) ** 2) ** 0.5
                if d <= best_d:
                    best, best_d = port, d
        return best

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.nodes.values():
            if QRectF(item.pos(), item.pos() + QPointF(NODE_W, NODE_H)).contains(pos):
                return item
        return None

    def nodes_rect(self) -> QRectF:
        """The cards and the edges between them (a wrapped row's edge swings out past the cards)."""
        rect = QRectF()
        for item in self.nodes.values():
            rect = rect.united(QRectF(item.pos().x(), item.pos().y(), NODE_W, NODE_H))
        for item in self.edges.values():
            rect = rect.united(item.path().boundingRect())
        return rect

