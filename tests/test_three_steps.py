"""The three steps in the window (issue 11.7): ① Model · ② Loss · ③ Optimization under the
toolbar follow the graph, the data, the training settings and a run, as a person changes them."""
import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from engine.graph import sequential
from gui.document.document import Document
from gui.steps.strip import ThreeStepsStrip
from tests.gui_data_helpers import choose
from tests.test_change_kind import click_card, kind_combo, picked
from tests.test_metrics_display import open_example, train_a_little

TIMEOUT = 30_000


@pytest.fixture
def window(sigmoid_example_window):
    return sigmoid_example_window


def strip(w) -> ThreeStepsStrip:
    s = w.findChild(ThreeStepsStrip, "threeSteps")
    assert s is not None and s.isVisible(), "the window shows no three-steps strip"
    return s


def shows(cell, text: str) -> bool:
    """``text`` is in the step's full text (its tooltip: the header may be cut to fit)."""
    return text in cell.toolTip()


def test_the_strip_shows_the_open_examples_three_steps(window, qtbot):
    s, doc = strip(window), window.document
    n = doc.dataset.n_train
    qtbot.waitUntil(lambda: s.model_cell.plain_header().startswith("① Model  y = b + Σᵢ cᵢ·sigmoid(bᵢ + Σⱼ wᵢⱼxⱼ)"),
                    timeout=TIMEOUT)
    hidden = doc.graph.nodes["dense1"].params["units"]
    features = doc.dataset.n_features
    assert shows(s.model_cell, f"θ: {features * hidden + hidden + hidden + 1:,} unknowns")
    loss = {"mse": "(yₙ − ŷₙ)²", "mae": "|yₙ − ŷₙ|"}[doc.train_config.loss]
    assert s.loss_cell.plain_header().startswith(f"② Loss  L = 1/N Σₙ {loss}")
    assert shows(s.loss_cell, f"N = {n:,} training rows")
    cfg = doc.train_config
    per = math.ceil(n / cfg.batch_size)
    assert shows(s.optimization_cell, f"B = {cfg.batch_size} · N = {n:,} → {per} updates per epoch")
    assert shows(s.optimization_cell, f"η = {cfg.lr:g}")


def test_switching_the_activation_in_the_properties_panel_rewrites_the_model(window, qtbot):
    s, doc = strip(window), window.document
    click_card(window, qtbot, "sigmoid1")
    with qtbot.waitSignal(doc.graph_changed, timeout=TIMEOUT):
        picked(window, qtbot, lambda: choose(kind_combo(window), qtbot, "relu"))
    qtbot.waitUntil(lambda: "max(0, bᵢ + Σⱼ wᵢⱼxⱼ)" in s.model_cell.plain_header(), timeout=TIMEOUT)
    assert "sigmoid" not in s.model_cell.toolTip()
    combo = kind_combo(window)
    combo.setFocus()
    with qtbot.waitSignal(doc.graph_changed, timeout=TIMEOUT):
        qtbot.keyClick(combo, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "sigmoid(bᵢ" in s.model_cell.plain_header(), timeout=TIMEOUT)


def test_deleting_a_card_gives_the_general_form_and_undo_brings_the_formula_back(window, qtbot):
    s, doc = strip(window), window.document
    click_card(window, qtbot, "sigmoid1")
    with qtbot.waitSignal(doc.graph_changed, timeout=TIMEOUT):
        qtbot.keyClick(window.canvas_view.viewport(), Qt.Key.Key_Delete)
    assert "sigmoid1" not in doc.graph.nodes
    qtbot.waitUntil(lambda: "y = f(x; θ)" in s.model_cell.plain_header(), timeout=TIMEOUT)
    assert "general form" in s.model_cell.toolTip()
    with qtbot.waitSignal(doc.graph_changed, timeout=TIMEOUT):
        qtbot.keyClick(window.canvas_view.viewport(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "sigmoid(bᵢ" in s.model_cell.plain_header(), timeout=TIMEOUT)


def test_more_hidden_units_change_the_count_of_unknowns(window, qtbot):
    s, doc = strip(window), window.document
    click_card(window, qtbot, "dense1")
    spin = window.properties.findChild(object, "param_units")
    assert spin is not None
    features = doc.dataset.n_features
    spin.setFocus()
    spin.selectAll()
    with qtbot.waitSignal(doc.graph_changed, timeout=TIMEOUT):
        qtbot.keyClicks(spin, "3")
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert doc.graph.nodes["dense1"].params["units"] == 3
    qtbot.waitUntil(lambda: shows(s.model_cell, f"θ: {features * 3 + 3 + 3 + 1:,} unknowns"), timeout=TIMEOUT)
    assert shows(s.model_cell, "i = 1…3: the hidden units")


def test_the_loss_follows_the_training_panel_and_other_data(window, qtbot):
    s, doc = strip(window), window.document
    panel = window.training.panel
    target = "mae" if doc.train_config.loss != "mae" else "mse"
    with qtbot.waitSignal(doc.config_changed, timeout=TIMEOUT):
        choose(panel.findChild(QComboBox, "lossCombo"), qtbot, target)
    written = {"mse": "(yₙ − ŷₙ)²", "mae": "|yₙ − ŷₙ|"}[target]
    qtbot.waitUntil(lambda: s.loss_cell.plain_header().startswith(f"② Loss  L = 1/N Σₙ {written}"),
                    timeout=TIMEOUT)
    open_example(qtbot, window, "5_iris_classifier.ncproj")
    n = window.document.dataset.n_train
    qtbot.waitUntil(lambda: shows(s.loss_cell, f"N = {n:,} training rows"), timeout=TIMEOUT)
    assert shows(s.loss_cell, "eₙ = −Σₖ ŷₙₖ·ln y′ₙₖ")
    assert shows(s.model_cell, "y′ = softmax(y)")


def test_training_shows_the_updates_and_the_loss_now(window, qtbot):
    s, doc = strip(window), window.document
    assert not shows(s.optimization_cell, "update ")
    last = train_a_little(qtbot, window, epochs=2)
    per = math.ceil(doc.dataset.n_train / min(doc.train_config.batch_size, doc.dataset.n_train))
    qtbot.waitUntil(lambda: shows(s.optimization_cell, f"update {2 * per:,} of {2 * per:,} · epoch 2 of 2 done"),
                    timeout=TIMEOUT)
    head = s.optimization_cell.plain_header()
    assert head.startswith(f"③ Optimization · update {2 * per:,}  θ ← θ − η·")
    assert shows(s.loss_cell, f"L = {last['train_loss']:.4g} after epoch 2")
    assert f"MAE {last['train_mae']:.4g}" in s.loss_cell.toolTip()
    with qtbot.waitSignal(doc.results_changed, timeout=TIMEOUT):
        qtbot.mouseClick(window.training.panel.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shows(s.optimization_cell, "not trained yet"), timeout=TIMEOUT)
    assert "after epoch" not in s.loss_cell.toolTip()          # no loss value before training


def test_the_update_count_runs_live_a_few_times_a_second(window, qtbot):
    import time
    s, ctl = strip(window), window.training
    ctl.panel.set_speed(200, remember=False)            # a slow run: counts seen while running
    counts, refreshes = [], []
    s.refreshed.connect(lambda: refreshes.append(time.monotonic()))
    start = time.monotonic()

    def seen_running():
        head = s.optimization_cell.plain_header()
        if ctl.state == "running" and "update " in head:
            counts.append(int(head.split("update ")[1].split()[0].replace(",", "")))
        return len(set(counts)) >= 3

    qtbot.mouseClick(ctl.panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(seen_running, timeout=TIMEOUT)
    elapsed = time.monotonic() - start
    with qtbot.waitSignal(ctl.state_changed, timeout=TIMEOUT):
        qtbot.mouseClick(ctl.panel.stop_button, Qt.MouseButton.LeftButton)
    assert counts == sorted(counts)
    # the throttle: at most one refresh per 250 ms of running, plus the edits' own
    assert len(refreshes) <= elapsed / 0.25 + 4


def test_a_click_on_a_step_shows_all_three_in_full_without_growing_the_window(window, qtbot):
    s = strip(window)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024 and s.width() < 1024, timeout=TIMEOUT)
    height = window.height()
    assert not s.sheet.isVisible()
    qtbot.mouseClick(s.loss_cell, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(s.sheet.isVisible, timeout=TIMEOUT)
    assert s.loss_cell.detail.isVisible() and "eₙ = " in s.loss_cell.detail.text()
    assert s.sheet.geometry().top() >= s.mapTo(window, s.rect().bottomLeft()).y()
    assert s.sheet.height() <= 0.3 * window.height() + 12
    assert window.height() == height                    # laid over the window, not pushing it
    qtbot.mouseClick(s.expand_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not s.sheet.isVisible(), timeout=TIMEOUT)
    # every header fits its step, cut with "…" rather than hidden behind the next one
    for cell in s.cells:
        assert cell.header.sizeHint().width() <= cell.header.width() + 8 or cell.plain_header().endswith("…")


def test_the_view_menu_hides_and_shows_the_strip(window, qtbot):
    from PySide6.QtGui import QAction
    s = strip(window)
    act = window.findChild(QAction, "actionThreeSteps")
    assert act in window.panels_menu.actions() and act.isChecked()
    qtbot.mouseClick(s.expand_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(s.sheet.isVisible, timeout=TIMEOUT)
    act.trigger()                                       # View → Panels → The Three Steps
    assert not s.isVisible() and not s.sheet.isVisible()
    act.trigger()
    qtbot.waitUntil(lambda: s.isVisible() and s.sheet.isVisible(), timeout=TIMEOUT)


def test_a_thousand_layer_network_gives_short_bounded_text(qtbot, isolated_settings):
    doc = Document()
    doc.replace(sequential(3, [(4, "relu")] * 1000), {})
    s = ThreeStepsStrip(doc)
    qtbot.addWidget(s)
    s.resize(1400, 30)
    s.show()
    qtbot.waitUntil(lambda: "(994 more layers)" in s.model_cell.toolTip(), timeout=TIMEOUT)
    assert len(s.model_cell.toolTip()) < 2_000
    assert len(s.model_cell.detail.text()) < 4_000
    head = s.model_cell.plain_header()
    assert "(1,001 layers)" in head or head.endswith("…")
