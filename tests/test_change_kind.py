"""Changing an activation's kind in place (Sigmoid → ReLU) from the properties panel.

As a person does it: open example 2, click the sigmoid card, pick another function in the
panel's "Function" list, undo and redo through the keyboard, and train the changed network.
The tests wait on signals, never on sleep.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QMessageBox, QToolBar

from engine.graph import ACTIVATION_KINDS, NODE_SPECS, Edge, Graph, GraphError, sequential
from engine.model import Model
from gui.canvas.palette import KIND_ROLE, PaletteModel
from tests.gui_data_helpers import choose

B = QMessageBox.StandardButton
SIGMOID_EXAMPLE = "2_sigmoid_hidden_layer.ncproj"   # input → dense1 → sigmoid1 → dense2 → output


# -- the engine's part ------------------------------------------------------------------------
def test_set_kind_keeps_the_id_the_edges_and_the_order():
    g = sequential(7, [(16, "sigmoid")])
    before = g.to_dict()
    seen = []
    g.subscribe(lambda event, payload: seen.append((event, payload)))
    old = g.set_kind("sigmoid1", "leaky_relu")
    assert old == ("sigmoid", {})
    assert seen == [("node_changed", "sigmoid1")]
    assert g.nodes["sigmoid1"].kind == "leaky_relu" and g.nodes["sigmoid1"].params == {"alpha": 0.01}
    assert list(g.nodes) == [n["id"] for n in before["nodes"]]
    assert g.to_dict()["edges"] == before["edges"] and g.validate() == []
    g.set_kind("sigmoid1", *old)
    assert g.to_dict() == before


def test_rename_node_keeps_its_place_edges_and_settings_and_refuses_a_dense():
    g = sequential(7, [(16, "sigmoid")])
    g.add_node("concat", {}, "cat")
    g.connect("sigmoid1", "cat")
    g.connect("dense1", "cat")
    before = g.to_dict()
    seen = []
    g.subscribe(lambda event, payload: seen.append((event, payload)))
    g.rename_node("sigmoid1", "relu1")
    assert seen == [("node_renamed", ("sigmoid1", "relu1"))]
    assert list(g.nodes) == [n["id"].replace("sigmoid1", "relu1") for n in before["nodes"]]
    assert g.nodes["relu1"].id == "relu1" and g.inputs_of("cat") == ["relu1", "dense1"]  # Concat's order
    g.rename_node("relu1", "sigmoid1")
    assert g.to_dict() == before
    for new, why in (("dense2", "already exists"), ("2x", "letters"), ("", "letters")):
        with pytest.raises(GraphError, match=why):
            g.rename_node("sigmoid1", new)
    with pytest.raises(GraphError, match="names its parameters"):       # dense1.W would lose its name
        g.rename_node("dense1", "hidden")
    assert g.to_dict() == before
    # an id made for the old kind follows the kind; a chosen name stays
    assert g.auto_id_for_kind("sigmoid1", "relu") == "relu1"
    assert g.auto_id_for_kind("sigmoid1", "leaky_relu") == "leakyrelu1"
    assert g.auto_id_for_kind("sigmoid1", "sigmoid") == "sigmoid1"
    g.rename_node("sigmoid1", "hidden_act")
    assert g.auto_id_for_kind("hidden_act", "relu") == "hidden_act"


def test_set_kind_refuses_a_kind_with_other_ports_and_leaves_the_graph_alone():
    g = sequential(2, [(4, "relu")])
    before = g.to_dict()
    assert "ports differ" in g.can_set_kind("relu1", "input")
    with pytest.raises(GraphError, match="ports differ"):
        g.set_kind("relu1", "output")
    with pytest.raises(GraphError, match="unknown node kind"):
        g.set_kind("relu1", "gelu")
    with pytest.raises(GraphError, match="alpha"):
        g.set_kind("relu1", "leaky_relu", {"alpha": 2.0})
    assert g.to_dict() == before
    # a node fed by two edges may only become a kind that takes several inputs
    m = Graph()
    for nid in ("a", "b"):
        m.add_node("relu", {}, nid)
    m.add_node("add", {}, "sum")
    m.connect("a", "sum")
    m.connect("b", "sum")
    assert m.can_set_kind("sum", "concat") is None
    assert "ports differ" in m.can_set_kind("sum", "relu")


# -- the window ---------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _settings(isolated_settings):
    """Every test here runs with QSettings in a temporary folder (see conftest)."""


@pytest.fixture
def window(sigmoid_example_window):
    return sigmoid_example_window


def click_card(w, qtbot, node_id: str) -> None:
    """A left click in the middle of a node's card on the canvas."""
    view = w.canvas_view
    at = view.mapFromScene(w.scene.nodes[node_id].sceneBoundingRect().center())
    assert view.viewport().rect().contains(at), f"{node_id} is not in sight"
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert w.scene.selected_node_ids() == [node_id]


def kind_combo(w) -> QComboBox:
    combo = w.properties.findChild(QComboBox, "activationKindCombo")
    assert combo is not None, "the properties panel shows no Function list"
    return combo


def picked(w, qtbot, pick) -> None:
    """``pick()`` chooses a function; wait for the page of the new kind, built once the combo's
    signal has returned. (Offscreen, deleting the old combo's popup deactivates the window, as
    no desktop does: activate it again.)"""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication
    with qtbot.waitSignal(w.properties.page_built, timeout=2000):
        pick()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)


def test_sigmoid_becomes_relu_in_place_and_ctrl_z_brings_it_back(window, qtbot):
    w, doc = window, window.document
    g0 = doc.graph.to_dict()
    pos0 = dict(doc.positions)
    click_card(w, qtbot, "sigmoid1")
    combo = kind_combo(w)
    assert combo.currentData() == "sigmoid" and combo.isEnabled()
    # every activation the palette offers, in its order, each with the palette's formula
    palette = PaletteModel()
    group = next(palette.item(r) for r in range(palette.rowCount()) if palette.item(r).text() == "Activations")
    offered = [group.child(i).data(KIND_ROLE) for i in range(group.rowCount())]
    assert [combo.itemData(i) for i in range(combo.count())] == offered == list(ACTIVATION_KINDS)
    for i, kind in enumerate(offered):
        assert combo.itemText(i) == NODE_SPECS[kind].title
        assert NODE_SPECS[kind].formula in combo.itemData(i, Qt.ItemDataRole.ToolTipRole)
    assert not doc.is_modified()

    with qtbot.waitSignal(doc.node_renamed, check_params_cb=lambda a, b: (a, b) == ("sigmoid1", "relu1")):
        picked(w, qtbot, lambda: choose(combo, qtbot, "relu"))
    assert "sigmoid1" not in doc.graph.nodes            # issue 14.6: a ReLU is not called sigmoid1
    node = doc.graph.nodes["relu1"]                     # links, position, place and selection stay
    assert node.kind == "relu" and node.params == {} and node.id == "relu1"
    assert list(doc.graph.nodes) == [n["id"].replace("sigmoid1", "relu1") for n in g0["nodes"]]
    renamed = lambda e: [x.replace("sigmoid1", "relu1") for x in e]     # noqa: E731
    assert doc.graph.to_dict()["edges"] == [renamed(e) for e in g0["edges"]]
    assert doc.positions == {("relu1" if k == "sigmoid1" else k): v for k, v in pos0.items()}
    assert doc.is_modified() and doc.issues() == [] and w.actionTrain.isEnabled()
    assert "sigmoid1" not in w.scene.nodes
    card = w.scene.nodes["relu1"]
    assert card.view.kind == "relu" and card.view.title == "ReLU" and card.view.node_id == "relu1"
    assert card.view.detail == "a = max(0, r)" and not card.view.issues
    assert "a = max(0, r)" in card.toolTip() and "relu1" in card.toolTip()
    assert {e.edge for e in w.scene.edges.values()} == set(doc.graph.edges)
    assert "relu1" in w.scene.edges[Edge("dense1", "relu1")].toolTip()
    assert w.scene.selected_node_ids() == ["relu1"]
    assert w.actionUndo.text() == "&Undo Change sigmoid1 to ReLU (relu1)"
    assert doc.undo_stack.count() == 1                  # one person's choice, one undo step
    title = w.properties.findChild(type(w.properties.error_label), "sectionTitle")
    assert title.text() == "ReLU" and kind_combo(w).currentData() == "relu"
    assert w.properties.node_id == "relu1"

    w.activateWindow()
    combo = kind_combo(w)
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.graph.to_dict() == g0 and doc.positions == pos0
    assert w.scene.nodes["sigmoid1"].view.title == "Sigmoid" and "relu1" not in w.scene.nodes
    assert w.scene.selected_node_ids() == ["sigmoid1"]
    assert kind_combo(w).currentData() == "sigmoid"
    assert not doc.is_modified() and doc.issues() == []
    qtbot.keyClick(kind_combo(w), Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert doc.graph.nodes["relu1"].kind == "relu"
    assert w.scene.nodes["relu1"].view.title == "ReLU" and kind_combo(w).currentData() == "relu"


def test_leaky_relu_picked_by_keyboard_gets_its_slope_and_undo_restores_a_changed_one(window, qtbot):
    w, doc = window, window.document
    click_card(w, qtbot, "sigmoid1")
    w.activateWindow()
    combo = kind_combo(w)
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_F4)                          # open the list
    qtbot.waitUntil(combo.view().isVisible, timeout=2000)
    for _ in range(combo.findData("leaky_relu") - combo.currentIndex()):
        qtbot.keyClick(combo.view(), Qt.Key.Key_Down)
    picked(w, qtbot, lambda: qtbot.keyClick(combo.view(), Qt.Key.Key_Return))
    assert doc.graph.nodes["leakyrelu1"].kind == "leaky_relu"
    assert doc.graph.nodes["leakyrelu1"].params == {"alpha": 0.01}   # the kind's default slope
    assert doc.undo_stack.count() == 1
    assert w.scene.nodes["leakyrelu1"].view.title == "Leaky ReLU · 0.01"
    assert kind_combo(w).hasFocus()                     # the keyboard stays where it was

    slope = w.properties.findChild(QDoubleSpinBox, "param_alpha")
    slope.setValue(0.2)
    assert doc.graph.nodes["leakyrelu1"].params == {"alpha": 0.2}
    picked(w, qtbot, lambda: choose(kind_combo(w), qtbot, "tanh"))
    assert doc.graph.nodes["tanh1"].kind == "tanh" and doc.graph.nodes["tanh1"].params == {}
    assert w.properties.findChild(QDoubleSpinBox, "param_alpha") is None
    w.actionUndo.trigger()
    assert doc.graph.nodes["leakyrelu1"].kind == "leaky_relu"
    assert doc.graph.nodes["leakyrelu1"].params == {"alpha": 0.2}   # the changed slope comes back
    assert w.properties.findChild(QDoubleSpinBox, "param_alpha").value() == pytest.approx(0.2)
    # picking the kind it already is changes nothing
    choose(kind_combo(w), qtbot, "leaky_relu")
    assert doc.undo_stack.index() == 2


def test_the_function_cannot_change_while_training_runs(window, qtbot):
    w, doc, ctl = window, window.document, window.training
    bar = w.findChild(QToolBar, "mainToolBar")
    click_card(w, qtbot, "sigmoid1")
    choose(w.training.panel.speed_combo, qtbot, 30)          # slow: still running when we look
    with qtbot.waitSignal(ctl.state_changed, check_params_cb=lambda s: s == "running", timeout=10_000):
        qtbot.mouseClick(bar.widgetForAction(w.actionTrain), Qt.MouseButton.LeftButton)
    assert not kind_combo(w).isEnabled()
    w.properties._apply_kind("relu")           # even a change that reaches the panel is refused
    assert doc.graph.nodes["sigmoid1"].kind == "sigmoid"
    assert kind_combo(w).currentData() == "sigmoid"
    with qtbot.waitSignal(ctl.state_changed, check_params_cb=lambda s: s == "stopped", timeout=10_000):
        qtbot.mouseClick(bar.widgetForAction(w.actionStop), Qt.MouseButton.LeftButton)
    assert kind_combo(w).isEnabled()


def second_differences(graph: Graph, weights: dict, n: int = 4001) -> np.ndarray:
    """|Δ²ŷ| of the model's prediction along a straight line through the (normalized) inputs."""
    model = Model(graph, dtype="float64")
    model.set_weights(weights)
    direction = np.random.default_rng(0).normal(size=model.n_inputs)
    t = np.linspace(-3.0, 3.0, n)
    y = model.predict(t[:, None] * (direction / np.linalg.norm(direction))[None, :])[:, 0]
    return np.abs(y[2:] - 2 * y[1:-1] + y[:-2])


def test_relu_keeps_the_trained_weights_trains_and_fits_a_piecewise_linear_curve(window, qtbot):
    w, doc, ctl = window, window.document, window.training
    bar = w.findChild(QToolBar, "mainToolBar")
    # one update with sigmoids, then switch: the activation has no weights, so the others stay
    with qtbot.waitSignal(ctl.state_changed, check_params_cb=lambda s: s == "paused", timeout=10_000):
        qtbot.mouseClick(bar.widgetForAction(w.actionStep), Qt.MouseButton.LeftButton)
    click_card(w, qtbot, "sigmoid1")
    choose(kind_combo(w), qtbot, "relu")
    assert doc.graph.nodes["relu1"].kind == "relu"
    stepped = {k: v.copy() for k, v in doc.weights.items()}
    assert doc.history is not None

    choose(ctl.panel.speed_combo, qtbot, 0)                   # full speed
    said = []
    w.statusBar().messageChanged.connect(said.append)
    with qtbot.waitSignal(ctl.training_finished, timeout=120_000) as finished:
        qtbot.mouseClick(bar.widgetForAction(w.actionTrain), Qt.MouseButton.LeftButton)
    assert any("Continuing from the trained weights" in m for m in said), said
    assert finished.args == ["epochs"]
    trained = doc.weights
    assert set(trained) == set(stepped) and not np.allclose(trained["dense1.W"], stepped["dense1.W"])

    relu_graph = doc.graph.copy()
    kinks = second_differences(relu_graph, trained)
    tol = 1e-9 * max(1.0, float(np.abs(kinks).max()))
    # 16 ReLU units bend the line at most 16 times; each bend shows in at most two differences
    assert np.count_nonzero(kinks > tol) <= 2 * 16
    sigmoid_graph = relu_graph.copy()
    sigmoid_graph.set_kind("relu1", "sigmoid")
    smooth = second_differences(sigmoid_graph, trained)
    assert np.count_nonzero(smooth > tol) > 0.9 * len(smooth)       # the same weights, a smooth curve
    assert Edge("relu1", "dense2") in doc.graph.edges
