"""The canvas acts as a person expects: drop, connect, move, select, delete,
copy/paste, edit properties, undo/redo — all through mouse and keyboard events."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from engine.graph import NODE_SPECS, Edge, Graph
from gui.canvas.items import NODE_H, NODE_W
from gui.canvas.palette import KIND_ROLE, NODE_KIND_MIME, PaletteView
from gui.canvas.view import CanvasView
from gui.document.document import Document
from gui.canvas.properties import PropertiesPanel


class Harness(QWidget):
    """Palette, canvas and properties panel over one document, as in the window."""

    def __init__(self, graph: Graph | None = None, positions=None) -> None:
        super().__init__()
        self.document = Document(self)
        if graph is not None:
            self.document.replace(graph, positions or {})
        self.palette = PaletteView()
        self.view = CanvasView(self.document)
        self.properties = PropertiesPanel(self.document, self.view.canvas_scene)
        lay = QHBoxLayout(self)
        for w in (self.palette, self.view, self.properties):
            lay.addWidget(w)
        self.resize(1200, 700)
        self.palette.kind_activated.connect(
            lambda k: self.view.editor.add_node(k, self.view.center_scene_pos()))

    @property
    def scene(self):
        return self.view.canvas_scene

    @property
    def stack(self):
        return self.document.undo_stack


def chain_graph(connect=True) -> tuple[Graph, dict]:
    g = Graph()
    g.add_node("input", {"features": 7}, "input")
    g.add_node("dense", {"units": 4}, "dense1")
    g.add_node("relu", {}, "relu1")
    g.add_node("dense", {"units": 1}, "dense2")
    g.add_node("output", {}, "output")
    if connect:
        for a, b in (("input", "dense1"), ("dense1", "relu1"), ("relu1", "dense2"), ("dense2", "output")):
            g.connect(a, b)
    pos = {n: (i * 230.0, 0.0) for i, n in enumerate(g.nodes)}
    return g, pos


@pytest.fixture
def harness(qtbot):
    g, pos = chain_graph()
    h = Harness(g, pos)
    qtbot.addWidget(h)
    h.show()
    qtbot.waitExposed(h)
    h.view.fit_to_view()
    return h


def vp_pos(view: CanvasView, scene_pt: QPointF) -> QPoint:
    return view.mapFromScene(scene_pt)


def mouse(widget, kind, pos: QPoint, button=Qt.MouseButton.LeftButton, buttons=None) -> None:
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    if kind == QEvent.Type.MouseMove:
        button = Qt.MouseButton.NoButton
    ev = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def drag(view, a: QPoint, b: QPoint, button=Qt.MouseButton.LeftButton, steps=6) -> None:
    vp = view.viewport()
    mouse(vp, QEvent.Type.MouseButtonPress, a, button)
    for i in range(1, steps + 1):
        p = a + (b - a) * (i / steps)
        mouse(vp, QEvent.Type.MouseMove, p, button, button)
    mouse(vp, QEvent.Type.MouseButtonRelease, b, button, Qt.MouseButton.NoButton)


def out_port(h, nid) -> QPointF:
    return h.scene.nodes[nid].out_port.scenePos()


def in_port(h, nid) -> QPointF:
    return h.scene.nodes[nid].in_port.scenePos()


def drop_kind(h, kind: str, at: QPoint) -> None:
    model = h.palette.model()
    mime = model.mimeData([model.index_of_kind(kind)])
    vp = h.view.viewport()
    enter = QDragEnterEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, drop)


# -- palette ---------------------------------------------------------------------------
def test_palette_lists_every_kind_grouped_with_formula_tooltips(qtbot):
    palette = PaletteView()
    qtbot.addWidget(palette)
    model = palette.model()
    groups = [model.item(r).text() for r in range(model.rowCount())]
    assert groups == ["Data", "Layers", "Activations", "Structure"]
    seen = {}
    for r in range(model.rowCount()):
        group = model.item(r)
        for c in range(group.rowCount()):
            item = group.child(c)
            seen[item.data(KIND_ROLE)] = item
    assert set(seen) == set(NODE_SPECS)
    assert "max(0, r)" in seen["relu"].toolTip()
    assert "1 / (1 + e^−r)" in seen["sigmoid"].toolTip()
    assert "r = b + W·x" in seen["dense"].toolTip()
    assert all(not item.icon().isNull() for item in seen.values())
    mime = model.mimeData([model.index_of_kind("tanh")])
    assert bytes(mime.data(NODE_KIND_MIME)) == b"tanh"


def test_dropping_a_palette_item_adds_a_node_under_the_mouse(harness):
    h = harness
    at = QPoint(200, 420)
    drop_kind(h, "sigmoid", at)
    ids = h.document.graph.of_kind("sigmoid")
    assert len(ids) == 1
    item = h.scene.nodes[ids[0]]
    centre = item.pos() + QPointF(NODE_W / 2, NODE_H / 2)
    target = h.view.mapToScene(at)
    assert abs(centre.x() - target.x()) <= 10 and abs(centre.y() - target.y()) <= 10
    assert h.stack.undoText() == "Add Sigmoid"
    h.stack.undo()
    assert not h.document.graph.of_kind("sigmoid") and ids[0] not in h.scene.nodes
    h.stack.redo()
    assert ids[0] in h.scene.nodes and h.document.positions[ids[0]] == (item.pos().x(), item.pos().y())


def test_double_click_in_palette_adds_at_the_view_centre(harness, qtbot):
    h = harness
    h.view.centerOn(300, 600)
    index = h.palette.model().index_of_kind("tanh")
    h.palette.doubleClicked.emit(index)
    (nid,) = h.document.graph.of_kind("tanh")
    centre = h.scene.nodes[nid].pos() + QPointF(NODE_W / 2, NODE_H / 2)
    c = h.view.center_scene_pos()
    assert abs(centre.x() - c.x()) <= 10 and abs(centre.y() - c.y()) <= 10
    h.palette.doubleClicked.emit(index)            # a second one is not hidden under the first
    a, b = (h.document.positions[n] for n in h.document.graph.of_kind("tanh"))
    assert abs(a[1] - b[1]) >= NODE_H


# -- connecting ---------------------------------------------------------------------------
def test_connecting_two_ports_with_the_mouse_makes_an_edge_and_updates_shapes(qtbot):
    g, pos = chain_graph(connect=False)
    h = Harness(g, pos)
    qtbot.addWidget(h)
    h.show()
    h.view.fit_to_view()
    assert "[N, ?] → [N, 4]" == h.scene.nodes["dense1"].view.shape
    a, b = vp_pos(h.view, out_port(h, "input")), vp_pos(h.view, in_port(h, "dense1"))
    vp = h.view.viewport()
    mouse(vp, QEvent.Type.MouseButtonPress, a)
    mid = (a + b) / 2
    mouse(vp, QEvent.Type.MouseMove, mid, buttons=Qt.MouseButton.LeftButton)
    assert h.scene._rubber is not None                    # the rubber-band line follows the mouse
    mouse(vp, QEvent.Type.MouseMove, b, buttons=Qt.MouseButton.LeftButton)
    assert h.scene.nodes["dense1"].in_port.state == "ok"
    assert h.view._hint and h.view._hint[1] is True
    mouse(vp, QEvent.Type.MouseButtonRelease, b, buttons=Qt.MouseButton.NoButton)
    assert Edge("input", "dense1") in h.document.graph.edges
    assert Edge("input", "dense1") in h.scene.edges
    assert h.scene._rubber is None
    assert h.scene.nodes["dense1"].view.shape == "[N, 7] → [N, 4]"
    assert h.scene.nodes["relu1"].view.shape == "[N, ?] → [N, ?]"
    assert h.stack.undoText() == "Connect input → dense1"
    h.stack.undo()
    assert Edge("input", "dense1") not in h.scene.edges


def test_a_refused_target_shows_the_reason_and_makes_no_edge(harness, qtbot):
    h = harness
    edges_before = list(h.document.graph.edges)
    a, b = vp_pos(h.view, out_port(h, "relu1")), vp_pos(h.view, in_port(h, "dense1"))
    vp = h.view.viewport()
    with qtbot.waitSignal(h.view.editor.refused) as blocker:
        mouse(vp, QEvent.Type.MouseButtonPress, a)
        mouse(vp, QEvent.Type.MouseMove, b, buttons=Qt.MouseButton.LeftButton)
        assert h.scene.nodes["dense1"].in_port.state == "refused"
        text, ok, _ = h.view._hint
        assert not ok and ("cycle" in text or "takes one input" in text)
        mouse(vp, QEvent.Type.MouseButtonRelease, b, buttons=Qt.MouseButton.NoButton)
    assert "Cannot connect relu1 → dense1" in blocker.args[0]
    assert h.document.graph.edges == edges_before


def test_a_link_onto_a_fed_input_replaces_the_old_link_in_one_undo_step(harness, qtbot):
    """A single-input port that is already fed takes the new link in place of the old one
    (was: refused with "takes one input", so a person had to find and delete the tiny edge)."""
    h = harness
    a, b = vp_pos(h.view, out_port(h, "dense1")), vp_pos(h.view, in_port(h, "dense2"))
    vp = h.view.viewport()
    mouse(vp, QEvent.Type.MouseButtonPress, a)
    mouse(vp, QEvent.Type.MouseMove, b, buttons=Qt.MouseButton.LeftButton)
    text, ok, _ = h.view._hint
    assert ok and text == "release to replace relu1 → dense2"
    mouse(vp, QEvent.Type.MouseButtonRelease, b, buttons=Qt.MouseButton.NoButton)
    edges = h.document.graph.edges
    assert Edge("dense1", "dense2") in edges and Edge("relu1", "dense2") not in edges
    assert Edge("dense1", "dense2") in h.scene.edges and Edge("relu1", "dense2") not in h.scene.edges
    assert h.stack.undoText() == "Reconnect dense2: relu1 → dense1"
    h.stack.undo()
    assert Edge("relu1", "dense2") in h.document.graph.edges
    assert Edge("dense1", "dense2") not in h.document.graph.edges


def test_a_cycle_is_refused_with_its_reason(qtbot):
    g = Graph()
    for nid in ("a", "b"):
        g.add_node("add", {}, nid)
    g.add_node("input", {"features": 2}, "input")
    g.connect("a", "b")
    h = Harness(g, {"a": (0, 0), "b": (300, 0), "input": (-300, 200)})
    qtbot.addWidget(h)
    h.show()
    h.view.fit_to_view()
    with qtbot.waitSignal(h.view.editor.refused) as blocker:
        drag(h.view, vp_pos(h.view, out_port(h, "b")), vp_pos(h.view, in_port(h, "a")))
    assert "cycle" in blocker.args[0]
    assert h.document.graph.edges == [Edge("a", "b")]



def test_a_loop_onto_the_same_node_says_why_it_is_refused(qtbot):
    """Dragging an Add's output back onto its own input: the hint and the status say why (it
    used to end silently, leaving a person to guess)."""
    g = Graph()
    g.add_node("add", {}, "a")
    h = Harness(g, {"a": (0, 0)})
    qtbot.addWidget(h)
    h.show()
    h.view.fit_to_view()
    vp = h.view.viewport()
    a, b = vp_pos(h.view, out_port(h, "a")), vp_pos(h.view, in_port(h, "a"))
    with qtbot.waitSignal(h.view.editor.refused) as blocker:
        mouse(vp, QEvent.Type.MouseButtonPress, a)
        mouse(vp, QEvent.Type.MouseMove, (a + b) / 2, buttons=Qt.MouseButton.LeftButton)
        mouse(vp, QEvent.Type.MouseMove, b, buttons=Qt.MouseButton.LeftButton)
        text, ok, _ = h.view._hint
        assert not ok and "itself" in text
        assert h.scene.nodes["a"].in_port.state == "refused"
        mouse(vp, QEvent.Type.MouseButtonRelease, b, buttons=Qt.MouseButton.NoButton)
    assert "Cannot connect a → a" in blocker.args[0] and "itself" in blocker.args[0]
    assert h.document.graph.edges == [] and h.scene.nodes["a"].in_port.state == "normal"


# -- move / select / delete -------------------------------------------------------------------
def test_dragging_a_node_is_one_move_command(harness):
    h = harness
    item = h.scene.nodes["relu1"]
    start = vp_pos(h.view, item.pos() + QPointF(NODE_W / 2, 12))
    before = h.stack.count()
    old = h.document.positions["relu1"]
    drag(h.view, start, start + QPoint(60, 90), steps=10)
    assert h.stack.count() == before + 1
    assert h.stack.undoText() == "Move 1 node"
    new = h.document.positions["relu1"]
    assert new != old and new == (item.pos().x(), item.pos().y())
    edge_path = h.scene.edges[Edge("dense1", "relu1")].path()
    assert abs(edge_path.pointAtPercent(1.0).y() - (new[1] + NODE_H / 2)) < 1e-6
    h.stack.undo()
    assert h.document.positions["relu1"] == old and (item.pos().x(), item.pos().y()) == old


def test_rubber_band_selects_several_nodes_and_moves_them_as_one_step(harness):
    h = harness
    r = h.scene.nodes
    top_left = vp_pos(h.view, r["dense1"].pos() + QPointF(-30, -30))
    bottom_right = vp_pos(h.view, r["relu1"].pos() + QPointF(NODE_W + 20, NODE_H + 30))
    drag(h.view, top_left, bottom_right)
    assert set(h.scene.selected_node_ids()) == {"dense1", "relu1"}
    start = vp_pos(h.view, r["dense1"].pos() + QPointF(60, 12))
    drag(h.view, start, start + QPoint(0, 80))
    assert h.stack.undoText() == "Move 2 nodes"


def test_click_an_edge_then_delete_it_and_undo(harness):
    h = harness
    e = Edge("relu1", "dense2")
    mid = h.scene.edges[e].path().pointAtPercent(0.5)
    p = vp_pos(h.view, mid)
    mouse(h.view.viewport(), QEvent.Type.MouseButtonPress, p)
    mouse(h.view.viewport(), QEvent.Type.MouseButtonRelease, p, buttons=Qt.MouseButton.NoButton)
    assert h.scene.selected_edges() == [e]
    assert h.view.editor.delete_selection()
    assert e not in h.document.graph.edges and e not in h.scene.edges
    assert h.stack.undoText() == "Delete 1 connection"
    assert h.scene.nodes["dense2"].view.issues          # dense2 now has nothing connected: red
    h.stack.undo()
    assert e in h.scene.edges and not h.scene.nodes["dense2"].view.issues


def test_deleting_nodes_restores_their_edges_in_order_on_undo(harness):
    h = harness
    before = h.document.graph.to_dict()
    h.scene.select_nodes(["relu1", "dense2"])
    h.view.editor.delete_selection()
    assert set(h.document.graph.nodes) == {"input", "dense1", "output"}
    h.stack.undo()
    assert h.document.graph.to_dict() == before
    h.stack.redo()
    assert "relu1" not in h.scene.nodes


def test_undo_of_a_delete_brings_node_and_links_back_through_the_graph(qtbot):
    """Was: undo replaced graph.nodes wholesale, behind the graph's back. Now a click on a card,
    Delete, and undo give the same document (node order, edge order: a Concat's inputs) and the
    canvas shows the card where it was with its links, each announced by a graph event."""
    g = Graph()
    for kind, params, nid in (("input", {"features": 3}, "input"), ("dense", {"units": 2}, "dense1"),
                              ("dense", {"units": 2}, "dense2"), ("concat", {}, "concat1"),
                              ("dense", {"units": 1}, "dense3"), ("output", {}, "output")):
        g.add_node(kind, params, nid)
    for a, b in (("input", "dense1"), ("input", "dense2"), ("dense1", "concat1"), ("dense2", "concat1"),
                 ("concat1", "dense3"), ("dense3", "output")):
        g.connect(a, b)
    pos = {"input": (0.0, 0.0), "dense1": (230.0, -80.0), "dense2": (230.0, 80.0), "concat1": (460.0, 0.0),
           "dense3": (690.0, 0.0), "output": (920.0, 0.0)}
    h = Harness(g, pos)
    qtbot.addWidget(h)
    h.show()
    qtbot.waitExposed(h)
    h.view.fit_to_view()
    before = h.document.graph.to_dict()
    card = h.scene.nodes["dense1"]
    p = vp_pos(h.view, card.pos() + QPointF(NODE_W / 2, 12))
    mouse(h.view.viewport(), QEvent.Type.MouseButtonPress, p)
    mouse(h.view.viewport(), QEvent.Type.MouseButtonRelease, p, buttons=Qt.MouseButton.NoButton)
    assert h.scene.selected_node_ids() == ["dense1"]
    assert h.view.editor.delete_selection()
    assert "dense1" not in h.scene.nodes and Edge("dense1", "concat1") not in h.scene.edges
    heard, nodes = [], h.document.graph.nodes
    h.document.graph.subscribe(lambda event, payload: heard.append((event, payload)))
    order_seen = []
    h.document.graph.subscribe(lambda event, payload: order_seen.append(list(h.document.graph.nodes)))
    h.stack.undo()
    assert h.document.graph.to_dict() == before
    assert h.document.graph.nodes is nodes                         # the graph's own dict, edited in place
    assert order_seen[0] == [n["id"] for n in before["nodes"]]     # in its place when listeners hear of it
    assert list(h.document.graph.nodes)[1] == "dense1"
    assert h.document.graph.inputs_of("concat1") == ["dense1", "dense2"]        # Concat order kept
    assert heard == [("node_added", "dense1"), ("edge_added", Edge("input", "dense1")),
                     ("edge_added", Edge("dense1", "concat1"))]
    card = h.scene.nodes["dense1"]
    assert card.isVisible() and (card.pos().x(), card.pos().y()) == pos["dense1"]
    assert set(h.scene.nodes) == set(h.document.graph.nodes)
    assert set(h.scene.edges) == set(h.document.graph.edges)
    for e in (Edge("input", "dense1"), Edge("dense1", "concat1")):
        assert h.scene.edges[e].isVisible()
    end = h.scene.edges[Edge("input", "dense1")].path().pointAtPercent(1.0)
    assert abs(end.y() - (pos["dense1"][1] + NODE_H / 2)) < 1e-6                # drawn to the card
    h.stack.redo()
    assert "dense1" not in h.scene.nodes and "dense1" not in h.document.graph.nodes


def test_backspace_delete_keeps_the_links_around_the_node(harness):
    h = harness
    h.scene.select_nodes(["relu1"])
    h.view.editor.delete_selection(keep_links=True)
    assert Edge("dense1", "dense2") in h.document.graph.edges
    h.stack.undo()
    assert Edge("dense1", "relu1") in h.document.graph.edges
    assert Edge("dense1", "dense2") not in h.document.graph.edges


def test_copy_paste_duplicates_the_subgraph_with_internal_edges(harness):
    h = harness
    h.scene.select_nodes(["dense1", "relu1"])
    assert h.view.editor.copy()
    new = h.view.editor.paste()
    assert len(new) == 2
    g = h.document.graph
    kinds = sorted(g.nodes[n].kind for n in new)
    assert kinds == ["dense", "relu"]
    d, r = (new if g.nodes[new[0]].kind == "dense" else new[::-1])
    assert Edge(d, r) in g.edges                                   # the internal edge came along
    assert not any(e.dst == d for e in g.edges)                    # the outside edge did not
    assert g.nodes[d].params == g.nodes["dense1"].params
    assert set(h.scene.selected_node_ids()) == set(new)
    assert h.document.positions[d][0] == h.document.positions["dense1"][0] + 40
    h.stack.undo()                                                   # one step removes both
    assert not any(n in g.nodes for n in new)


def test_cut_is_one_undo_step(harness):
    h = harness
    before = h.document.graph.to_dict()
    h.scene.select_nodes(["relu1"])
    h.view.editor.cut()
    assert "relu1" not in h.document.graph.nodes
    h.stack.undo()
    assert h.document.graph.to_dict() == before
    assert h.view.editor.paste()


# -- validation, properties ------------------------------------------------------------------------
def test_width_mismatch_turns_the_node_red_with_the_reason(harness):
    h = harness
    from gui.document.commands import SetParamsCommand
    h.stack.push(SetParamsCommand(h.document, "dense2", {"units": 3}))
    out = h.scene.nodes["output"]
    assert out.view.issues and "needs width 1" in out.view.issues[0]
    assert "needs width 1" in out.toolTip()
    h.stack.undo()
    assert not out.view.issues


def test_editing_units_in_the_properties_panel_is_undoable(harness):
    h = harness
    h.scene.select_nodes(["dense1"])
    spin = h.properties.editors["units"]
    assert spin.minimum() == 1 and spin.maximum() == 4096
    spin.setValue(32)
    assert h.document.graph.nodes["dense1"].params["units"] == 32
    assert h.scene.nodes["dense1"].view.title == "Dense · 32"
    assert h.scene.nodes["dense1"].view.shape == "[N, 7] → [N, 32]"
    assert h.scene.nodes["dense1"].view.detail.startswith("256 params")
    assert h.stack.undoText() == "Set dense1 units = 32"
    h.stack.undo()
    assert spin.value() == 4 and h.scene.nodes["dense1"].view.title == "Dense · 4"


def test_properties_panel_refuses_invalid_values_with_a_message(qtbot):
    g = Graph()
    g.add_node("dropout", {}, "drop")
    h = Harness(g, {"drop": (0, 0)})
    qtbot.addWidget(h)
    h.scene.select_nodes(["drop"])
    spin = h.properties.editors["rate"]
    assert spin.maximum() < 1
    spin.setValue(0.5)
    assert h.document.graph.nodes["drop"].params["rate"] == 0.5
    h.properties._apply("rate", 1.5)          # what a value past the spin box's range would do
    assert "Not accepted" in h.properties.error_label.text()
    assert h.document.graph.nodes["drop"].params["rate"] == 0.5


def test_combo_edit_changes_the_initializer(harness):
    h = harness
    h.scene.select_nodes(["dense1"])
    combo = h.properties.editors["init"]
    combo.setCurrentIndex(combo.findData("he"))
    assert h.document.graph.nodes["dense1"].params["init"] == "he"
    h.stack.undo()
    assert combo.currentData() == "xavier"


# -- navigation ---------------------------------------------------------------------------------------
def test_wheel_zooms_middle_drag_pans_and_fit_shows_everything(harness):
    h = harness
    v = h.view
    z0 = v.zoom()
    centre = v.viewport().rect().center()
    wheel = QWheelEvent(QPointF(centre), QPointF(v.viewport().mapToGlobal(centre)), QPoint(0, 0),
                        QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(v.viewport(), wheel)
    assert v.zoom() == pytest.approx(z0 * 1.15, rel=1e-3)
    c0 = v.center_scene_pos()
    drag(v, centre, centre + QPoint(100, 0), button=Qt.MouseButton.MiddleButton)
    assert v.center_scene_pos().x() < c0.x() - 50
    v.fit_to_view()
    visible = v.mapToScene(v.viewport().rect()).boundingRect()
    assert visible.contains(h.scene.nodes_rect())


def test_arrange_is_one_undo_step_and_lays_out_left_to_right(harness):
    h = harness
    from gui.document.commands import MoveNodesCommand
    h.stack.push(MoveNodesCommand(h.document, {"relu1": (h.document.positions["relu1"], (40.0, 500.0))}))
    assert h.view.editor.arrange()
    assert h.stack.undoText() == "Arrange nodes"
    xs = [h.document.positions[n][0] for n in ("input", "dense1", "relu1", "dense2", "output")]
    assert xs == sorted(xs) and len(set(xs)) == 5
    h.stack.undo()
    assert h.document.positions["relu1"] == (40.0, 500.0)


def test_arrange_shows_the_whole_new_layout(qtbot):
    """Nodes stacked in a column, zoomed in on the first: after Arrange every card is in view."""
    g, _ = chain_graph()
    h = Harness(g, {n: (0.0, i * 400.0) for i, n in enumerate(g.nodes)})
    qtbot.addWidget(h)
    h.show()
    qtbot.waitExposed(h)
    h.view.zoom_by(2.0)
    h.view.centerOn(h.scene.nodes["input"])
    assert h.view.arrange()
    shown = h.view.mapToScene(h.view.viewport().rect()).boundingRect()
    for item in h.scene.nodes.values():
        assert shown.contains(item.sceneBoundingRect()), item.node_id


def test_context_menu_offers_the_usual_edits(harness):
    menu = harness.view.build_context_menu(QPointF(0, 0))
    texts = [a.text() for a in menu.actions()]
    for t in ("Add node", "Undo", "Redo", "Cut", "Copy", "Paste", "Delete", "Select All", "Arrange", "Fit to View"):
        assert t in texts


def test_locked_canvas_refuses_edits_and_says_why(harness):
    h = harness
    h.view.set_locked(True, "training is running")
    count = h.stack.count()
    drop_kind(h, "relu", QPoint(100, 100))
    h.scene.select_nodes(["relu1"])
    assert not h.view.editor.delete_selection()
    item = h.scene.nodes["dense1"]
    start = vp_pos(h.view, item.pos() + QPointF(NODE_W / 2, 12))
    drag(h.view, start, start + QPoint(50, 50))
    assert h.stack.count() == count
    assert h.document.positions["dense1"] == (item.pos().x(), item.pos().y())
    h.view.set_locked(False)
    assert h.view.editor.delete_selection()


def test_highlight_nodes_marks_cards(harness):
    h = harness
    h.view.highlight_nodes(["dense1", "relu1"])
    assert h.scene.nodes["dense1"].highlighted and not h.scene.nodes["output"].highlighted
    h.view.highlight_nodes([])
    assert not h.scene.nodes["dense1"].highlighted


# -- what a person trips over on a real screen --------------------------------------------------------
def test_a_connection_dropped_on_a_card_ends_on_its_input_port(qtbot):
    g, pos = chain_graph(connect=False)
    h = Harness(g, pos)
    qtbot.addWidget(h)
    h.show()
    h.view.fit_to_view()
    a = vp_pos(h.view, out_port(h, "input")) + QPoint(4, 5)          # a little off the dot still grabs it
    b = vp_pos(h.view, h.scene.nodes["dense1"].pos() + QPointF(NODE_W / 2, NODE_H - 10))   # the card's body
    vp = h.view.viewport()
    mouse(vp, QEvent.Type.MouseButtonPress, a)
    mouse(vp, QEvent.Type.MouseMove, b, buttons=Qt.MouseButton.LeftButton)
    assert h.scene.nodes["dense1"].in_port.state == "ok"
    assert h.view._hint[0] == "release to connect"
    mouse(vp, QEvent.Type.MouseButtonRelease, b, buttons=Qt.MouseButton.NoButton)
    assert Edge("input", "dense1") in h.scene.edges
    assert h.scene.nodes["dense1"].view.shape == "[N, 7] → [N, 4]"


def test_a_card_without_the_needed_port_says_so(harness):
    h = harness
    h.scene.select_nodes([])
    a = vp_pos(h.view, out_port(h, "dense2"))
    b = vp_pos(h.view, h.scene.nodes["input"].pos() + QPointF(NODE_W / 2, NODE_H - 10))
    vp = h.view.viewport()
    mouse(vp, QEvent.Type.MouseButtonPress, a)
    mouse(vp, QEvent.Type.MouseMove, b, buttons=Qt.MouseButton.LeftButton)
    text, ok, _ = h.view._hint
    assert not ok and "has no input port" in text
    mouse(vp, QEvent.Type.MouseButtonRelease, b, buttons=Qt.MouseButton.NoButton)
    assert not any(e.dst == "input" for e in h.document.graph.edges)


def test_the_port_grab_area_keeps_its_size_on_screen_when_zoomed_out(harness):
    h = harness
    v = h.view
    v.zoom_by(0.5 / v.zoom())
    a = vp_pos(v, out_port(h, "relu1")) + QPoint(0, 11)        # 11 px below the dot: 22 scene units away
    vp = v.viewport()
    mouse(vp, QEvent.Type.MouseButtonPress, a)
    assert v._link is not None and v._link["port"].node_id == "relu1"
    mouse(vp, QEvent.Type.MouseButtonRelease, a, buttons=Qt.MouseButton.NoButton)
    assert v._link is None


def test_space_drag_pans_through_x11_auto_repeat(harness, qtbot):
    """A held space arrives on X11 as release/press pairs Qt may not mark as auto-repeat:
    the pan must go on, and stop only when space is really up."""
    from PySide6.QtGui import QKeyEvent
    v = harness.view
    vp = v.viewport()

    def key(kind):
        QApplication.sendEvent(v, QKeyEvent(kind, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier))

    key(QEvent.Type.KeyPress)
    c0 = v.center_scene_pos()
    p = vp.rect().center()
    L = Qt.MouseButton.LeftButton
    mouse(vp, QEvent.Type.MouseButtonPress, p)
    for i in range(1, 6):
        mouse(vp, QEvent.Type.MouseMove, p + QPoint(-20 * i, 0), buttons=L)
        key(QEvent.Type.KeyRelease)                    # the auto-repeat pair
        key(QEvent.Type.KeyPress)
    mouse(vp, QEvent.Type.MouseButtonRelease, p + QPoint(-100, 0), buttons=Qt.MouseButton.NoButton)
    assert v.center_scene_pos().x() == pytest.approx(c0.x() + 100 / v.zoom(), abs=2)
    assert harness.scene.selected_node_ids() == []
    key(QEvent.Type.KeyRelease)
    qtbot.waitUntil(lambda: not v._space)             # really up once no press follows
    mouse(vp, QEvent.Type.MouseButtonPress, p)         # now a drag on empty canvas is a rubber band again
    mouse(vp, QEvent.Type.MouseMove, p + QPoint(30, 30), buttons=L)
    mouse(vp, QEvent.Type.MouseButtonRelease, p + QPoint(30, 30), buttons=Qt.MouseButton.NoButton)
    assert v._pan_from is None


def test_hovering_a_card_shows_its_formula_output_shape_and_cost(harness, qtbot):
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip
    h = harness
    item = h.scene.nodes["dense1"]
    p = vp_pos(h.view, item.pos() + QPointF(NODE_W / 2, NODE_H / 2))
    vp = h.view.viewport()
    QApplication.sendEvent(vp, QHelpEvent(QEvent.Type.ToolTip, p, vp.mapToGlobal(p)))
    qtbot.waitUntil(QToolTip.isVisible)
    text = QToolTip.text()
    assert "r = b + W·x" in text and "[N, 4]" in text and "output" in text
    assert "32" in text and "28" in text                # 7·4 + 4 parameters, 7·4 mult-adds
    QToolTip.hideText()


def test_a_card_dropped_at_the_edge_is_scrolled_into_view(harness):
    h = harness
    vp = h.view.viewport()
    at = QPoint(vp.width() // 2, vp.height() - 3)
    drop_kind(h, "relu", at)
    nid = h.scene.selected_node_ids()[0]
    visible = h.view.mapToScene(vp.rect()).boundingRect()
    assert visible.contains(h.scene.nodes[nid].sceneBoundingRect())


def test_properties_show_each_layers_cost_and_the_total(harness):
    h = harness
    h.scene.select_nodes([])
    table = h.properties.cost_table
    assert table is not None
    text = table.text()
    # dense1: 7·4 + 4 = 32 params, 28 mult-adds; dense2: 4·1 + 1 = 5, 4
    assert "dense1" in text and "dense2" in text and "total" in text
    assert ">37<" in text and ">32<" in text
    h.scene.select_nodes(["dense1"])
    info = h.properties.info_label.text()
    assert "Multiply-adds per example: <b>28</b>" in info and "<b>32</b>" in info


# -- arranging cards that are not wired yet, and where new cards land -----------------------------
def card_gap(a, b) -> float:
    """Clear room between two cards given by their top-left corners (negative: they overlap)."""
    return max(abs(a[0] - b[0]) - NODE_W, abs(a[1] - b[1]) - NODE_H)


def assert_clear_of_each_other(positions, min_gap: float | None = None) -> None:
    """Every pair of cards keeps ``min_gap`` of clear room (default: what a new card keeps)."""
    from gui.canvas.editing import CARD_GAP
    min_gap = CARD_GAP if min_gap is None else min_gap
    items = list(positions.items())
    for i, (n, a) in enumerate(items):
        for m, b in items[i + 1:]:
            assert card_gap(a, b) >= min_gap - 1e-6, (n, a, m, b)


LAYOUT_GAP = 2 * 6.0 + 12           # Arrange: the facing ports of neighbours (radius 6) stay well apart


def arrange_from_context_menu(h) -> None:
    """Right-click on the empty canvas and choose Arrange, as a person would."""
    menu = h.view.build_context_menu(h.view.mapToScene(QPoint(5, 5)))
    (act,) = [a for a in menu.actions() if a.text() == "Arrange"]
    act.trigger()


def empty_harness(qtbot) -> Harness:
    h = Harness()
    qtbot.addWidget(h)
    h.show()
    qtbot.waitExposed(h)
    return h


def in_view(h, nid) -> bool:
    shown = h.view.mapToScene(h.view.viewport().rect()).boundingRect()
    return shown.contains(h.scene.nodes[nid].sceneBoundingRect())


def test_arrange_lines_up_cards_dropped_before_wiring_left_to_right(qtbot):
    """Input, Dense, Sigmoid, Dense, Output dropped on one spot, nothing wired: Arrange puts them
    in a row in that order (was: one column), in one undo step, all in view."""
    h = empty_harness(qtbot)
    centre = h.view.viewport().rect().center()
    for kind in ("input", "dense", "sigmoid", "dense", "output"):
        drop_kind(h, kind, centre)
    dropped = dict(h.document.positions)
    assert len(dropped) == 5
    arrange_from_context_menu(h)
    assert h.stack.undoText() == "Arrange nodes"
    pos = h.document.positions
    order = ["input1", "dense1", "sigmoid1", "dense2", "output1"]
    assert len({pos[n][1] for n in order}) == 1                  # one row
    xs = [pos[n][0] for n in order]
    assert xs == sorted(xs) and len(set(xs)) == 5
    assert_clear_of_each_other(pos, LAYOUT_GAP)
    for n in order:
        assert in_view(h, n), n
    h.stack.undo()                                             # one step back to where they were dropped
    assert h.document.positions == dropped


def test_arrange_puts_input_first_and_output_last_among_loose_cards(qtbot):
    h = empty_harness(qtbot)
    at = h.view.viewport().rect().center()
    for kind in ("output", "dense", "input", "sigmoid"):
        drop_kind(h, kind, at)
    arrange_from_context_menu(h)
    pos = h.document.positions
    assert sorted(pos, key=lambda n: pos[n][0]) == ["input1", "dense1", "sigmoid1", "output1"]


def test_arrange_draws_the_wired_part_and_puts_loose_cards_in_a_row_below(qtbot):
    g, pos = chain_graph(connect=False)
    h = Harness(g, {n: (0.0, i * 90.0) for i, n in enumerate(g.nodes)})
    qtbot.addWidget(h)
    h.show()
    qtbot.waitExposed(h)
    h.view.fit_to_view()
    a, b = vp_pos(h.view, out_port(h, "input")), vp_pos(h.view, in_port(h, "dense1"))
    drag(h.view, a, b)                                       # wire Input → Dense with the mouse
    assert Edge("input", "dense1") in h.document.graph.edges
    arrange_from_context_menu(h)
    p = h.document.positions
    assert p["input"][1] == p["dense1"][1] and p["input"][0] < p["dense1"][0]
    loose = ["relu1", "dense2", "output"]
    assert len({p[n][1] for n in loose}) == 1 and p["relu1"][1] > p["input"][1] + NODE_H
    assert [p[n][0] for n in loose] == sorted(p[n][0] for n in loose)
    assert p["relu1"][0] == p["input"][0]                     # the row starts under the drawing
    assert_clear_of_each_other(p, LAYOUT_GAP)


def test_auto_layout_draws_separate_pieces_one_under_the_other_input_piece_first():
    from engine.layout import auto_layout
    g = Graph()
    for nid, kind in (("t", "tanh"), ("u", "relu"), ("i", "input"), ("d", "dense"), ("o", "output")):
        g.add_node(kind, {}, nid)
    g.connect("t", "u")
    g.connect("i", "d")
    g.connect("d", "o")
    p = auto_layout(g)
    assert p["i"][1] == p["d"][1] == p["o"][1] and p["i"][0] < p["d"][0] < p["o"][0]
    assert p["t"][1] == p["u"][1] > p["i"][1] + NODE_H and p["t"][0] < p["u"][0]
    assert_clear_of_each_other(p, LAYOUT_GAP)


def test_a_card_dropped_on_another_lands_in_the_nearest_clear_spot_without_scrolling(harness):
    h = harness
    from gui.canvas.editing import CARD_GAP
    before = h.document.positions["dense1"]
    at = vp_pos(h.view, QPointF(before[0] + NODE_W / 2, before[1] + NODE_H / 2))
    shown = h.view.mapToScene(h.view.viewport().rect()).boundingRect()
    drop_kind(h, "sigmoid", at)
    (nid,) = h.document.graph.of_kind("sigmoid")
    new = h.document.positions[nid]
    assert h.document.positions["dense1"] == before             # the card under the drop stays
    assert_clear_of_each_other(h.document.positions)
    # right next to where it was dropped: just below or above dense1, not pushed far down
    assert new[0] == before[0] and abs(new[1] - before[1]) <= NODE_H + CARD_GAP + 10
    assert h.view.mapToScene(h.view.viewport().rect()).boundingRect() == shown
    assert in_view(h, nid)


def test_a_card_dropped_flush_against_a_neighbour_keeps_its_ports_apart(qtbot):
    from gui.canvas.editing import CARD_GAP
    from gui.canvas.items import PORT_R
    g = Graph()
    g.add_node("input", {"features": 3}, "input")
    g.add_node("output", {}, "output")
    h = Harness(g, {"input": (0.0, 0.0), "output": (700.0, 0.0)})
    qtbot.addWidget(h)
    h.show()
    qtbot.waitExposed(h)
    h.view.fit_to_view()
    # the new card's left edge 4 px from Input's right edge: its input port on Input's output port
    drop_kind(h, "dense", vp_pos(h.view, QPointF(NODE_W + 4 + NODE_W / 2, NODE_H / 2)))
    (nid,) = h.document.graph.of_kind("dense")
    x, y = h.document.positions[nid]
    assert y == 0.0 and NODE_W + CARD_GAP <= x <= NODE_W + CARD_GAP + 10   # nudged right, still in the row
    gap = h.scene.nodes[nid].in_port.scenePos().x() - h.scene.nodes["input"].out_port.scenePos().x()
    assert gap >= 2 * PORT_R + 20
    assert_clear_of_each_other(h.document.positions)


def test_cards_dropped_again_and_again_on_one_spot_fill_the_free_places_around_it(qtbot):
    from engine.layout import COLUMN_STEP
    h = empty_harness(qtbot)
    at = h.view.viewport().rect().center()
    target = h.view.mapToScene(at)
    for i in range(7):
        shown = h.view.mapToScene(h.view.viewport().rect()).boundingRect()
        drop_kind(h, "relu", at)
        nid = h.scene.selected_node_ids()[0]
        rect = h.scene.nodes[nid].sceneBoundingRect()
        now = h.view.mapToScene(h.view.viewport().rect()).boundingRect()
        assert now == shown or not shown.contains(rect), i     # scrolled only to reveal the card
        assert in_view(h, nid)
        centre = rect.center()
        assert abs(centre.x() - target.x()) <= COLUMN_STEP + 20 and abs(centre.y() - target.y()) <= 2 * (NODE_H + 50)
    assert_clear_of_each_other(h.document.positions)


def test_a_card_dropped_in_sight_near_the_edge_does_not_scroll_the_view(harness):
    h = harness
    vp = h.view.viewport()
    z = h.view.zoom()
    at = QPoint(vp.width() // 2, int(vp.height() - 10 - (NODE_H / 2 + 8) * z))
    shown = h.view.mapToScene(vp.rect()).boundingRect()
    drop_kind(h, "tanh", at)
    (nid,) = h.document.graph.of_kind("tanh")
    assert in_view(h, nid)
    assert h.view.mapToScene(vp.rect()).boundingRect() == shown
