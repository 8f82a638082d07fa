"""What the network does, on its cards: each Dense layer's weights as a heat map (blue
positive, orange negative) and every node's output on the first training example.

As a person sees it: open example 2, train, look at the cards and hover them. The numbers are
checked against the document's weights and against a forward pass written out here in NumPy.
The tests wait on signals, never on sleep.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMessageBox, QToolBar, QToolTip, QWidget

from engine.graph import sequential
from engine.model import Model
from engine.trainer import Trainer
from gui.canvas.insight import MIN_INTERVAL, _num
from gui.canvas.items import BAND_RECT
from gui.canvas.view import CanvasView
from gui.document.document import Document
from tests.gui_data_helpers import choose

B = QMessageBox.StandardButton
SIGMOID_EXAMPLE = "2_sigmoid_hidden_layer.ncproj"   # input → dense1 → sigmoid1 → dense2 → output


@pytest.fixture(autouse=True)
def _settings(isolated_settings):
    """Every test here runs with QSettings in a temporary folder (see conftest)."""


@pytest.fixture
def window(sigmoid_example_window):
    return sigmoid_example_window


def settle(insight, qtbot, timeout: int = 10_000) -> None:
    """Wait until no refresh of the cards is waiting or computing."""
    while insight.busy():
        with qtbot.waitSignal(insight.updated, timeout=timeout):
            pass


def train_to_the_end(w, qtbot) -> None:
    """Press Train on the toolbar at full speed and wait until the planned epochs are done."""
    ctl = w.training
    choose(ctl.panel.speed_combo, qtbot, 0)
    bar = w.findChild(QToolBar, "mainToolBar")
    with qtbot.waitSignal(ctl.training_finished, timeout=120_000) as finished:
        qtbot.mouseClick(bar.widgetForAction(w.actionTrain), Qt.MouseButton.LeftButton)
    assert finished.args == ["epochs"]


def forward_by_hand(doc) -> dict[str, np.ndarray]:
    """Example 2 on its first training example, written out: r = b + W·x, a = σ(r), y = b + cᵀ·a."""
    w, ds = doc.weights, doc.dataset
    x = ds.X_train[0].astype(np.float64)
    r = x @ w["dense1.W"].astype(np.float64) + w["dense1.b"]
    a = 1.0 / (1.0 + np.exp(-r))
    z = a @ w["dense2.W"].astype(np.float64) + w["dense2.b"]
    return {"input": x, "dense1": r, "sigmoid1": a, "dense2": z, "output": z * ds.y_std + ds.y_mean}


def pixel_at(view, item, local: QPointF) -> QColor:
    """The colour on screen at a point of a card (item coordinates)."""
    at = view.mapFromScene(item.mapToScene(local))
    assert view.viewport().rect().contains(at), "that part of the card is not in sight"
    return view.viewport().grab().toImage().pixelColor(at)


# -- weights on the Dense cards ------------------------------------------------------------------
def test_after_training_the_dense_cards_show_the_documents_weights_blue_positive_orange_negative(window, qtbot):
    w, doc = window, window.document
    insight = w.scene.insight
    train_to_the_end(w, qtbot)
    settle(insight, qtbot)
    assert insight.source == "trained"
    card = w.scene.nodes["dense1"]
    W = doc.weights["dense1.W"]                    # (7 inputs, 16 units): a column per unit
    assert card.insight.w_columns == "units"
    np.testing.assert_array_equal(card.insight.W, W)
    assert card.insight.w_scale == pytest.approx(float(np.abs(W).max()))
    # on screen: every clearly signed cell has its sign's colour
    view, band = w.canvas_view, card.band
    shot = view.viewport().grab().toImage()
    strong = np.argwhere(np.abs(W) > 0.4 * np.abs(W).max())
    assert len(strong) > 5
    for i, j in strong:
        at = view.mapFromScene(card.mapToScene(band.cell_rect(int(i), int(j)).center()))
        c = shot.pixelColor(at)
        if W[i, j] > 0:
            assert c.blue() > c.red() + 40, (i, j, W[i, j], c.name())
        else:
            assert c.red() > c.blue() + 40, (i, j, W[i, j], c.name())
    # the 16 → 1 layer: one cell per sigmoid unit, cᵢ > 0 blue as in the units plot
    out_card = w.scene.nodes["dense2"]
    c = doc.weights["dense2.W"][:, 0]
    assert out_card.insight.w_columns == "inputs"
    np.testing.assert_array_equal(out_card.insight.W, doc.weights["dense2.W"].T)
    j = int(np.argmax(np.abs(c)))
    color = pixel_at(view, out_card, out_card.band.cell_rect(0, j).center())
    assert (color.blue() > color.red()) == (c[j] > 0)
    # the link into each Dense layer is drawn by its weights' mean |W|
    links = {e.dst: item for e, item in w.scene.edges.items() if e.dst in ("dense1", "dense2")}
    for nid, item in links.items():
        assert item.link.mean_abs == pytest.approx(float(np.abs(doc.weights[f"{nid}.W"]).mean()), rel=1e-5)
    wider = max(links, key=lambda n: links[n].link.mean_abs)
    narrower = min(links, key=lambda n: links[n].link.mean_abs)
    assert links[wider].weight_width() > links[narrower].weight_width() > 1.5
    assert w.scene.edges[next(e for e in w.scene.edges if e.dst == "sigmoid1")].link is None


def test_the_dense_tooltip_gives_the_range_and_norms_of_w_and_b_when_hovered(window, qtbot):
    w, doc = window, window.document
    insight = w.scene.insight
    train_to_the_end(w, qtbot)
    settle(insight, qtbot)
    W, b = doc.weights["dense1.W"], doc.weights["dense1.b"]
    text = hover_tooltip(w, qtbot, "dense1")
    assert "trained" in text
    assert f"[7 × 16]</tt>: {_num(float(W.min()))} … {_num(float(W.max()))}" in text
    assert f"‖W‖ {_num(float(np.sqrt(np.sum(W.astype(np.float64) ** 2))))}" in text
    assert f"{_num(float(b.min()))} … {_num(float(b.max()))}" in text


# -- the output of every node on the first example -----------------------------------------------
def hover_tooltip(w, qtbot, node_id: str) -> str:
    """Rest the mouse on a card's band until its tooltip shows; return the tooltip's text."""
    view = w.canvas_view
    w.activateWindow()
    card = w.scene.nodes[node_id]
    at = view.mapFromScene(card.mapToScene(BAND_RECT.center()))
    QToolTip.hideText()
    qtbot.mouseMove(view.viewport(), QPoint(at.x() - 30, at.y()))        # arrive from the left
    qtbot.mouseMove(view.viewport(), at)
    qtbot.waitUntil(lambda: QToolTip.isVisible() and f">{node_id}</span>" in QToolTip.text(), timeout=5000)
    return QToolTip.text()


def test_each_cards_preview_is_the_trained_networks_output_on_the_first_example(window, qtbot):
    w, doc = window, window.document
    insight = w.scene.insight
    train_to_the_end(w, qtbot)
    settle(insight, qtbot)
    want = forward_by_hand(doc)
    for nid in ("input", "dense1", "sigmoid1", "dense2"):
        got = w.scene.nodes[nid].insight.values
        np.testing.assert_allclose(got, want[nid], rtol=1e-4, atol=1e-5, err_msg=nid)
    out = w.scene.nodes["output"].insight
    np.testing.assert_allclose(out.prediction, want["output"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out.target, doc.dataset.inverse_y(doc.dataset.y_train[0]), rtol=1e-9)
    # the lecture's picture: 16 sigmoid units, each between 0 and 1, drawn as 16 bars
    sig = w.scene.nodes["sigmoid1"]
    assert len(sig.insight.values) == 16 and (sig.insight.lo, sig.insight.hi) == (0.0, 1.0)
    assert sig.band is not None and not sig.band.empty

    # hovering the sigmoid card shows its numbers with the shape
    text = hover_tooltip(w, qtbot, "sigmoid1")
    assert "Output on training example 1" in text and "[1, 16]" in text
    for v in want["sigmoid1"][:8]:
        assert _num(float(v)) in text
    assert "(8 more)" in text
    text = hover_tooltip(w, qtbot, "output")
    assert f"ŷ = <b>{_num(float(want['output'][0]))}</b>" in text
    assert "temp_max" in text


def test_a_relu_preview_shows_which_units_are_exactly_zero(window, qtbot):
    w, doc = window, window.document
    insight = w.scene.insight
    view = w.canvas_view                       # click the sigmoid card, pick ReLU in its Function list
    at = view.mapFromScene(w.scene.nodes["sigmoid1"].sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    choose(w.properties.findChild(QComboBox, "activationKindCombo"), qtbot, "relu")
    assert doc.graph.nodes["relu1"].kind == "relu"          # the card is renamed with its kind (issue 14.6)
    settle(insight, qtbot)
    card = w.scene.nodes["relu1"]
    r = w.scene.nodes["dense1"].insight.values
    np.testing.assert_allclose(card.insight.values, np.maximum(r, 0.0), rtol=1e-6, atol=1e-7)
    zeros = int(np.count_nonzero(r <= 0))
    assert 0 < zeros < 16
    assert f"{zeros} of 16 exactly 0" in card.toolTip()
    zero_path = card.band.paths[0][0]          # one dash on the baseline per unit that is off
    assert zero_path.elementCount() == 5 * zeros


# -- the weights before training, live while training, and without data ---------------------------
def test_before_training_the_cards_show_the_weights_train_will_start_from(window, qtbot):
    w, doc = window, window.document
    insight = w.scene.insight
    settle(insight, qtbot)
    assert doc.weights is None and insight.source == "seeded", (insight.state, insight.error)
    start = Trainer(doc.graph, doc.dataset, replace(doc.train_config, track=[])).model.get_weights()
    np.testing.assert_array_equal(w.scene.nodes["dense1"].insight.W, start["dense1.W"])
    assert "fresh from the seed" in w.scene.nodes["dense1"].toolTip()


def test_while_training_the_cards_follow_the_run_a_few_times_a_second(window, qtbot):
    w, doc, ctl = window, window.document, window.training
    insight = w.scene.insight
    settle(insight, qtbot)
    seen: list[tuple[float, str]] = []
    insight.updated.connect(lambda: seen.append((time.perf_counter(), insight.source)))
    choose(ctl.panel.speed_combo, qtbot, 300)                  # about 10 s for the whole run
    bar = w.findChild(QToolBar, "mainToolBar")
    with qtbot.waitSignal(ctl.state_changed, check_params_cb=lambda s: s == "running", timeout=10_000):
        qtbot.mouseClick(bar.widgetForAction(w.actionTrain), Qt.MouseButton.LeftButton)
    for _ in range(4):
        with qtbot.waitSignal(insight.updated, timeout=10_000):
            pass
    live = [t for t, src in seen if src == "live"]
    assert len(live) >= 3
    gaps = np.diff(live)
    # at most ~4 refreshes a second: the throttle counts from a job's start, the signal comes at its
    # end, so one gap can be shorter by a job's run time on a busy machine — but never half
    assert np.median(gaps) >= MIN_INTERVAL - 0.05 and gaps.min() >= MIN_INTERVAL / 2, gaps
    with qtbot.waitSignal(doc.results_changed, timeout=10_000):     # the paused run's weights
        qtbot.mouseClick(bar.widgetForAction(w.actionPause), Qt.MouseButton.LeftButton)
    assert ctl.state == "paused"
    settle(insight, qtbot)
    assert insight.source == "trained"
    np.testing.assert_array_equal(w.scene.nodes["dense1"].insight.W, doc.weights["dense1.W"])
    want = forward_by_hand(doc)
    np.testing.assert_allclose(w.scene.nodes["sigmoid1"].insight.values, want["sigmoid1"], rtol=1e-4, atol=1e-5)


class Harness(QWidget):
    """A canvas over a document with a network and no data, as after File → New and some wiring."""

    def __init__(self, graph) -> None:
        super().__init__()
        self.document = Document(self)
        self.document.replace(graph, {n: (i * 210.0, 0.0) for i, n in enumerate(graph.nodes)})
        self.view = CanvasView(self.document)
        QHBoxLayout(self).addWidget(self.view)
        self.resize(1200, 500)

    @property
    def scene(self):
        return self.view.canvas_scene


def test_without_data_there_is_no_output_preview_and_nothing_fails(qtbot):
    h = Harness(sequential(7, [(16, "sigmoid")]))
    qtbot.addWidget(h)
    h.show()
    qtbot.waitExposed(h)
    insight = h.scene.insight
    settle(insight, qtbot)
    assert insight.state == "no data"
    for card in h.scene.nodes.values():
        if card.view.kind == "dense":            # the weights exist already: the seed's
            assert card.insight.W is not None and card.band is not None
        else:
            assert card.insight.values is None and card.insight.prediction is None and card.band is None
            assert "load data" in card.placeholder
            assert "Output on" not in card.toolTip() and "Prediction" not in card.toolTip()
    seeded = Model(h.document.graph, seed=h.document.train_config.seed).get_weights()
    np.testing.assert_array_equal(h.scene.nodes["dense1"].insight.W, seeded["dense1.W"])
    assert not h.view.viewport().grab().isNull()

    # an incomplete network (the link into dense1 deleted from its context menu): no weights at
    # all, a hint instead, still no error
    edge = next(e for e in h.document.graph.edges if e.dst == "dense1")
    menu = h.view.build_context_menu(h.scene.edges[edge].path().pointAtPercent(0.5))
    assert h.scene.selected_edges() == [edge]
    (delete,) = [a for a in menu.actions() if a.text() == "Delete"]
    with qtbot.waitSignal(insight.updated, timeout=10_000):
        delete.trigger()
    assert edge not in h.document.graph.edges
    settle(insight, qtbot)
    assert insight.state == "incomplete" and insight.nodes == {} and insight.links == {}
    assert all(card.band is None for card in h.scene.nodes.values())
    assert "complete" in h.scene.nodes["dense1"].placeholder
    assert not h.view.viewport().grab().isNull()
