"""Weights set by hand (issue 11, items 2 and 4): a Dense card's W and b typed in the properties
panel, and the unit explorer's sliders — acted out with the mouse and keyboard, checked against
values computed here, and undone."""
import os

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionSlider

from engine.graph import sequential
from engine.layout import auto_layout
from engine.layers import sigmoid
from engine.model import Model
from engine.project import Project, save_project
from engine.trainer import TrainConfig
from engine.unit_explorer import constant, unit_layout, unit_terms, unit_values, with_unit

pytestmark = pytest.mark.usefixtures("isolated_settings")

TIMEOUT = 30_000
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEATTLE = os.path.join(ROOT, "resources", "datasets", "seattle_weather.csv")


def one_input_project(path, act: str = "sigmoid", units: int = 4) -> str:
    """Tomorrow's maximum temperature from today's: Input(1) → Dense(units) → act → Dense(1)."""
    g = sequential(1, [(units, act)])
    spec = {"target": "temp_max", "features": None, "series": "temp_max", "lags": 1, "time_column": "date",
            "task": "regression", "split": "chronological", "val_fraction": 0.2, "seed": 0,
            "normalize": "standard"}
    save_project(Project(graph=g, positions=auto_layout(g), data_path=SEATTLE, data_spec=spec,
                         train_config=TrainConfig.from_dict({"loss": "mse", "optimizer": "adam", "lr": 0.05,
                                                             "batch_size": 32, "epochs": 5}),
                         name="one input"), str(path))
    return str(path)


@pytest.fixture
def one_input_window(qtbot, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from gui.window.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    w.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    w.errors = []
    w.show_error = lambda title, text: w.errors.append(text)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.data_controller.project_data_loaded, timeout=TIMEOUT) as loaded:
        assert w.open_path(one_input_project(tmp_path / "one.ncproj"))
    assert loaded.args == [True]
    yield w
    w.training.shutdown()
    w.document.undo_stack.setClean()
    w.document._extra_dirty = False


def seed_weights(doc) -> dict:
    """The weights Train starts from, drawn here from the project's graph and seed."""
    cfg = doc.train_config
    return Model(doc.graph, dtype=cfg.dtype, seed=cfg.seed).get_weights()


def click_card(qtbot, win, node_id: str, local: QPointF) -> None:
    """Press and release the left button on ``node_id``'s card at card coordinates ``local``."""
    item = win.scene.nodes[node_id]
    view = win.canvas_view
    at = view.mapFromScene(item.mapToScene(local))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=at)


def type_in_cell(qtbot, view, row: int, col: int, text: str) -> None:
    """Click a cell, F2 to edit, type ``text`` and press Enter, as a person does."""
    index = view.model().index(row, col)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    qtbot.keyClick(view, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not view)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def open_weights_table(qtbot, win):
    click_card(qtbot, win, "dense1", QPointF(60, 10))            # the card's header
    qtbot.waitUntil(lambda: win.properties.weights_table is not None, timeout=5000)
    table = win.properties.weights_table
    qtbot.waitUntil(lambda: table.model.W is not None, timeout=TIMEOUT)
    return table


# -- the properties panel's weights table ------------------------------------------------------------

def test_typed_weight_sets_the_document_and_undo_restores_it(qtbot, one_input_window):
    win = one_input_window
    doc = win.document
    table = open_weights_table(qtbot, win)
    seed = seed_weights(doc)
    # the table shows the weights Train would start from (no run yet: the seed's), W then b
    np.testing.assert_array_equal(table.model.W, seed["dense1.W"])
    np.testing.assert_array_equal(table.model.b, seed["dense1.b"])
    assert table.model.rowCount() == 2 and table.model.columnCount() == 4
    before_count = doc.undo_stack.count()

    type_in_cell(qtbot, table.view, 0, 2, "1.25")
    qtbot.waitUntil(lambda: doc.weights is not None and doc.weights["dense1.W"][0, 2] == np.float32(1.25))
    assert doc.undo_stack.count() == before_count + 1
    assert doc.undo_stack.undoText() == "Set dense1.W[0,2]"
    changed = seed["dense1.W"].copy()
    changed[0, 2] = 1.25
    np.testing.assert_array_equal(doc.weights["dense1.W"], changed)          # only that weight
    for k in ("dense1.b", "dense2.W", "dense2.b"):
        np.testing.assert_array_equal(doc.weights[k], seed[k])
    qtbot.waitUntil(lambda: table.model.W[0, 2] == np.float32(1.25))          # the table follows
    assert table.view.model().index(0, 2).data() == "1.25"

    type_in_cell(qtbot, table.view, 1, 3, "-0,5")                            # b, with a decimal comma
    qtbot.waitUntil(lambda: doc.weights["dense1.b"][3] == np.float32(-0.5))
    assert doc.undo_stack.undoText() == "Set dense1.b[3]"

    win.actionUndo.trigger()
    qtbot.waitUntil(lambda: doc.weights["dense1.b"][3] == seed["dense1.b"][3])
    assert doc.weights["dense1.W"][0, 2] == np.float32(1.25)
    win.actionUndo.trigger()                                                   # back to the seed's
    qtbot.waitUntil(lambda: table.model.W is not None and table.model.W[0, 2] == seed["dense1.W"][0, 2])
    np.testing.assert_array_equal(win.training.current_weights()["dense1.W"], seed["dense1.W"])


@pytest.mark.parametrize("text, words", [("abc", "'abc' is not a number"), ("inf", "finite number"),
                                         ("nan", "finite number")])
def test_bad_text_is_refused_with_a_message(qtbot, one_input_window, text, words):
    win = one_input_window
    doc = win.document
    table = open_weights_table(qtbot, win)
    count, before = doc.undo_stack.count(), table.model.W.copy()
    type_in_cell(qtbot, table.view, 0, 1, text)
    qtbot.waitUntil(lambda: table.message.isVisible())
    assert words in table.message.text() and "dense1.W[0,1]" in table.message.text()
    assert doc.undo_stack.count() == count
    np.testing.assert_array_equal(table.model.W, before)
    assert doc.weights is None or doc.weights["dense1.W"][0, 1] == before[0, 1]


def test_weights_table_is_read_only_while_training(qtbot, one_input_window):
    win = one_input_window
    table = open_weights_table(qtbot, win)
    win.training.set_speed(30)
    with qtbot.waitSignal(win.training.state_changed, timeout=TIMEOUT):
        win.actionTrain.trigger()
    qtbot.waitUntil(lambda: win.training.state == "running", timeout=TIMEOUT)
    assert not (table.model.flags(table.model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable)
    assert "pause or stop to edit" in table.caption.text()
    start = table.model.W.copy()
    # the numbers follow the run (at most twice a second)
    qtbot.waitUntil(lambda: not np.array_equal(table.model.W, start), timeout=TIMEOUT)
    win.actionStop.trigger()
    qtbot.waitUntil(lambda: bool(table.model.flags(table.model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable))
    qtbot.waitUntil(lambda: np.array_equal(table.model.W, win.document.weights["dense1.W"]))  # where it stopped


# -- the unit explorer ---------------------------------------------------------------------------------

def x_standardized(win, x: np.ndarray) -> np.ndarray:
    ds = win.document.dataset
    return (x - float(ds.x_mean[0])) / float(ds.x_std[0])


def expected_term(win, x: np.ndarray, w: float, b: float, c: float) -> np.ndarray:
    """c·sigmoid(b + w·x′) in the target's units, computed here."""
    return c * sigmoid(b + w * x_standardized(win, x)) * float(win.document.dataset.y_std[0])


def bar_center(win, node_id: str, i: int) -> QPointF:
    band = win.scene.nodes[node_id].band
    r, n = band.bar_rect, len(band.insight.values)
    return QPointF(r.left() + (i + 0.5) * r.width() / n, r.center().y())


def test_click_a_bar_then_move_w_with_the_keyboard(qtbot, one_input_window):
    win = one_input_window
    doc, ex = win.document, win.unit_explorer
    qtbot.waitUntil(lambda: win.scene.nodes["sigmoid1"].band is not None, timeout=TIMEOUT)
    click_card(qtbot, win, "sigmoid1", bar_center(win, "sigmoid1", 2))        # unit 3's bar
    qtbot.waitUntil(lambda: ex.isVisible() and ex.unit == 2 and ex.stack.currentIndex() == 1, timeout=TIMEOUT)
    seed = seed_weights(doc)
    lay, _ = unit_layout(doc.graph)
    w0, b0, c0 = unit_values(seed, lay, 2)
    x, y = ex.unit_curve_data()
    assert len(x) == 200
    np.testing.assert_allclose(y, expected_term(win, x, w0, b0, c0), rtol=1e-5, atol=1e-7)

    def training_mse(weights) -> float:
        pred = unit_terms(weights, lay, doc.dataset.X_train[:, 0]).sum(axis=0) + constant(weights, lay)
        return float(np.mean((pred - doc.dataset.y_train[:, 0]) ** 2))
    qtbot.waitUntil(lambda: ex.scores is not None, timeout=TIMEOUT)          # the loss here, off the GUI thread
    seed_scores = ex.scores
    assert seed_scores["loss"] == pytest.approx(training_mse(seed), rel=1e-4)

    slider = ex.sliders["w"].slider
    count = doc.undo_stack.count()
    with qtbot.waitSignal(ex.curves_changed):
        qtbot.keyClick(slider, Qt.Key.Key_PageUp)             # one page: 50 of 1000 steps over [−5, 5]
    w1 = w0 + 50 * 10 / 1000
    _, y1 = ex.unit_curve_data()
    np.testing.assert_allclose(y1, expected_term(win, x, w1, b0, c0), rtol=1e-5, atol=1e-6)
    # the fit is the constant plus every unit's term, the moved one included
    terms = unit_terms(with_unit(seed, lay, 2, w1, b0, c0), lay, x_standardized(win, x))
    ys, ym = float(doc.dataset.y_std[0]), float(doc.dataset.y_mean[0])
    _, fit = ex.sum_curve_data()
    np.testing.assert_allclose(fit, (constant(seed, lay) + terms.sum(axis=0)) * ys + ym, rtol=1e-5)
    # the key's release is one undoable step; the training loss there follows, off the GUI thread
    qtbot.waitUntil(lambda: doc.undo_stack.count() == count + 1)
    qtbot.waitUntil(lambda: ex.scores is not seed_scores, timeout=TIMEOUT)
    assert ex.scores["loss"] == pytest.approx(training_mse(with_unit(seed, lay, 2, np.float32(w1), b0, c0)),
                                              rel=1e-4)
    assert "before your change" in ex.score_label.text()
    assert doc.undo_stack.undoText() == "Set unit 3's w"
    assert doc.weights["dense1.W"][0, 2] == np.float32(w1)
    assert doc.weights["dense1.b"][2] == seed["dense1.b"][2] and doc.weights["dense2.W"][2, 0] == seed["dense2.W"][2, 0]
    win.actionUndo.trigger()
    qtbot.waitUntil(lambda: ex.sliders["w"].value() == pytest.approx(w0, abs=1e-6))
    np.testing.assert_array_equal(win.training.current_weights()["dense1.W"], seed["dense1.W"])
    _, y2 = ex.unit_curve_data()
    np.testing.assert_allclose(y2, expected_term(win, x, w0, b0, c0), rtol=1e-5, atol=1e-7)


def slider_handle(slider) -> QPoint:
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    return slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                         QStyle.SubControl.SC_SliderHandle, slider).center()


def test_drag_c_with_the_mouse_is_one_undo_step(qtbot, one_input_window):
    win = one_input_window
    doc, ex = win.document, win.unit_explorer
    win.unit_explorer_dock.raise_()
    qtbot.waitUntil(lambda: ex.isVisible() and ex.stack.currentIndex() == 1, timeout=TIMEOUT)
    assert ex.unit == 0
    qtbot.keyClick(ex.unit_box, Qt.Key.Key_Up)                  # the Unit box: 1 → 2
    qtbot.waitUntil(lambda: ex.unit == 1)
    seed = seed_weights(doc)
    lay, _ = unit_layout(doc.graph)
    w0, b0, c0 = unit_values(seed, lay, 1)
    x, y0 = ex.unit_curve_data()
    s = ex.sliders["c"]
    count = doc.undo_stack.count()
    start = slider_handle(s.slider)
    qtbot.mousePress(s.slider, Qt.MouseButton.LeftButton, pos=start)
    for dx in (10, 25, 40):
        qtbot.mouseMove(s.slider, start + QPoint(dx, 0))
    qtbot.waitUntil(lambda: s.value() > c0)
    assert doc.undo_stack.count() == count                      # nothing kept while the button is down
    qtbot.mouseRelease(s.slider, Qt.MouseButton.LeftButton, pos=start + QPoint(40, 0))
    qtbot.waitUntil(lambda: doc.undo_stack.count() == count + 1)
    c1 = s.value()
    assert doc.undo_stack.undoText() == "Set unit 2's c"
    assert doc.weights["dense2.W"][1, 0] == np.float32(c1)
    _, y1 = ex.unit_curve_data()
    # c changes the height: the same curve scaled by c1 / c0
    np.testing.assert_allclose(y1, y0 * (c1 / c0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(y1, expected_term(win, x, w0, b0, c1), rtol=1e-4, atol=1e-6)
    win.actionUndo.trigger()
    qtbot.waitUntil(lambda: s.value() == pytest.approx(c0, abs=1e-6))


def test_click_a_curve_in_the_units_plot_picks_its_unit(qtbot, one_input_window):
    win = one_input_window
    units = win.training.units_plot
    qtbot.waitUntil(lambda: units.last_view is not None and units.plot.isVisible(), timeout=TIMEOUT)
    v = units.last_view
    vb = units.plot.getPlotItem().vb
    # a point where unit j's curve is farthest (in pixels) from every other curve
    px = vb.viewPixelSize()[1]
    gaps = [np.min(np.abs(np.delete(v["contrib"], j, axis=0) - v["contrib"][j]), axis=0) for j in range(4)]
    j = int(np.argmax([g.max() for g in gaps]))
    m = int(np.argmax(gaps[j]))
    assert gaps[j][m] / px > 10
    scene_pt = vb.mapViewToScene(QPointF(float(v["x"][m]), float(v["contrib"][j, m])))
    at = units.plot.mapFromScene(scene_pt)
    qtbot.mouseClick(units.plot.viewport(), Qt.MouseButton.LeftButton, pos=at)
    ex = win.unit_explorer
    qtbot.waitUntil(lambda: ex.isVisible() and ex.unit == int(v["index"][j]), timeout=5000)
    assert ex.unit_box.value() == int(v["index"][j]) + 1


def test_explorer_says_when_the_network_does_not_fit(qtbot, sigmoid_example_window):
    win = sigmoid_example_window                          # 7 inputs
    win.unit_explorer_dock.raise_()
    ex = win.unit_explorer
    qtbot.waitUntil(lambda: ex.isVisible())
    assert ex.stack.currentIndex() == 0
    assert "one input" in ex.note.text()


# -- the engine's part ----------------------------------------------------------------------------------

@pytest.mark.parametrize("act", ["sigmoid", "hard_sigmoid", "relu"])
def test_unit_terms_add_up_to_the_models_output(act):
    g = sequential(1, [(5, act)])
    m = Model(g, dtype="float64", seed=3)
    lay, why = unit_layout(g)
    assert lay is not None and why == ""
    w = m.get_weights()
    x = np.linspace(-3, 3, 50)
    np.testing.assert_allclose(unit_terms(w, lay, x).sum(axis=0) + constant(w, lay), m.forward(x[:, None])[:, 0])
    w2 = with_unit(w, lay, 4, 2.0, -1.0, 0.5)
    assert unit_values(w2, lay, 4) == (2.0, -1.0, 0.5) and unit_values(w, lay, 4) != (2.0, -1.0, 0.5)
    m.set_weights(w2)
    np.testing.assert_allclose(unit_terms(w2, lay, x).sum(axis=0) + constant(w2, lay), m.forward(x[:, None])[:, 0])


def test_unit_layout_refuses_other_networks():
    assert unit_layout(sequential(2, [(4, "sigmoid")]))[0] is None
    assert unit_layout(sequential(1, []))[0] is None
    assert unit_layout(sequential(1, [(4, "sigmoid"), (4, "sigmoid")]))[0] is None
    assert "one input" in unit_layout(sequential(1, [(3, "relu")], task="binary"))[1]


def test_click_a_column_of_a_dense_heat_map_picks_its_unit(qtbot, one_input_window):
    win = one_input_window
    ex = win.unit_explorer
    qtbot.waitUntil(lambda: win.scene.nodes["dense2"].band is not None, timeout=TIMEOUT)
    for node, col in (("dense2", 3), ("dense1", 1)):      # dense2: a column per input (unit); dense1: per unit
        band = win.scene.nodes[node].band
        click_card(qtbot, win, node, band.cell_rect(0, col).center())
        qtbot.waitUntil(lambda c=col: ex.isVisible() and ex.unit == c, timeout=5000)
        assert win.scene.selected_node_ids() == [node]       # the press selected the card, as ever


@pytest.mark.parametrize("act, f", [("relu", lambda r: np.maximum(r, 0.0)),
                                    ("hard_sigmoid", lambda r: np.clip(0.2 * r + 0.5, 0.0, 1.0))])
def test_b_shifts_a_relu_or_hard_sigmoid_unit(qtbot, tmp_path, act, f):
    """b shifts the unit's curve along x: c·act(b + w·x′) with the new b, computed here with the
    activation's own formula (a ReLU's max(0, r), a hard sigmoid's clip(0.2·r + 0.5, 0, 1))."""
    from gui.window.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.data_controller.project_data_loaded, timeout=TIMEOUT):
        assert win.open_path(one_input_project(tmp_path / f"{act}.ncproj", act=act, units=3))
    doc, ex = win.document, win.unit_explorer
    try:
        win.unit_explorer_dock.raise_()
        qtbot.waitUntil(lambda: ex.isVisible() and ex.stack.currentIndex() == 1, timeout=TIMEOUT)
        qtbot.keyClick(ex.unit_box, Qt.Key.Key_Up)                     # unit 2
        qtbot.waitUntil(lambda: ex.unit == 1)
        lay, _ = unit_layout(doc.graph)
        w0, b0, c0 = unit_values(seed_weights(doc), lay, 1)
        assert lay.kind == act
        s = ex.sliders["b"].slider
        count = doc.undo_stack.count()
        for n in range(1, 4):                                             # 3 pages down: b − 1.5
            qtbot.keyClick(s, Qt.Key.Key_PageDown)
            qtbot.waitUntil(lambda n=n: doc.undo_stack.count() == count + n)   # a step per key press
        b1 = b0 - 3 * 50 * 10 / 1000
        assert doc.undo_stack.undoText() == "Set unit 2's b"
        assert doc.weights["dense1.b"][1] == pytest.approx(b1, abs=1e-6)
        x, y = ex.unit_curve_data()
        ys = float(doc.dataset.y_std[0])
        np.testing.assert_allclose(y, c0 * f(b1 + w0 * x_standardized(win, x)) * ys, rtol=1e-5, atol=1e-6)
    finally:
        win.training.shutdown()
        doc.undo_stack.setClean()
        doc._extra_dirty = False
