"""Training from the GUI: the worker thread, the controls, the plots' contents.

A person's clicks (qtbot.mouseClick on the panel's buttons) drive a real
background thread; the tests wait on signals, never on sleep.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from engine.data import DataSpec, build_dataset, read_csv
from engine.graph import sequential
from engine.trainer import TrainConfig, Trainer
from gui.document import Document
from gui.training_ui import LOCK_REASON, install_training
from gui.workers import THREAD_NAME, Snapshot
from tests.conftest import DATASETS


# -- a window with the part of MainWindow's API that install_training uses -------------------
class FakeCanvas:
    def __init__(self) -> None:
        self.highlighted: list[list[str]] = []

    def highlight_nodes(self, ids) -> None:
        self.highlighted.append(list(ids))


class Harness(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.document = Document(self)
        self.canvas_view = FakeCanvas()
        for name in ("actionTrain", "actionPause", "actionStep", "actionStepEpoch", "actionStop", "actionReset"):
            setattr(self, name, QAction(name, self, objectName=name))
        self.menus = {"train": self.menuBar().addMenu("Train")}
        self.locks: list[tuple[bool, str]] = []
        self.plots: list[QWidget] = []
        host = QWidget()
        self.setCentralWidget(host)

    def add_panel_dock(self, widget, title):
        dock = QDockWidget(title, self)
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def add_plot(self, widget, title):
        widget.setParent(self.centralWidget())
        widget.resize(500, 300)
        self.plots.append(widget)

    def set_training_locked(self, locked, reason=""):
        self.locks.append((locked, reason))

    def blocked_reason(self):
        issues = self.document.issues()
        return issues[0].message if issues else None


def series_dataset(lags: int = 7):
    table = read_csv(DATASETS / "seattle_weather.csv")
    return build_dataset(table, DataSpec(target="temp_max", series="temp_max", lags=lags,
                                         split="chronological", time_column="date"))


def xy_dataset():
    table = read_csv(DATASETS / "seattle_weather.csv")
    return build_dataset(table, DataSpec(target="temp_max", features=["temp_min"]))


def open_window(qtbot, graph, dataset, **config) -> Harness:
    win = Harness()
    qtbot.addWidget(win)
    cfg = TrainConfig(**{"lr": 0.05, "batch_size": 32, "epochs": 3, **config})
    win.document.replace(graph, {n: (0.0, 0.0) for n in graph.nodes}, train_config=cfg)
    win.document.set_data(None, dataset.spec, dataset)
    install_training(win)
    win.resize(1000, 700)
    win.show()
    return win


def training_threads() -> list:
    """Training threads and worker processes still alive."""
    from gui.workers import live_worker_processes
    return ([t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]
            + live_worker_processes())


def click(qtbot, button, shift: bool = False) -> None:
    mod = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, mod)


@pytest.fixture
def series_window(qtbot):
    win = open_window(qtbot, sequential(7, [(8, "sigmoid")]), series_dataset())
    yield win
    win.training.shutdown()


@pytest.fixture(autouse=True)
def no_thread_left():
    yield
    assert not training_threads(), "a training thread is still running after the test"


# -- tests ---------------------------------------------------------------------------------------
def test_install_adds_named_panel_and_plots(qtbot, series_window):
    win = series_window
    assert win.findChild(QWidget, "trainingPanel") is not None
    for name in ("lossPlot", "fitPlot", "unitsPlot", "surfacePlot"):
        w = win.findChild(QWidget, name)
        assert w is not None and w.accessibleName()
    menu_actions = win.menus["train"].actions()
    assert win.actionTrain in menu_actions and win.actionStepEpoch in menu_actions
    panel = win.training.panel
    assert panel.summary_label.text() == "1,163 examples, 32 per batch → 37 updates per epoch"


def test_train_to_the_end_fills_every_plot(qtbot, series_window):
    win, ctl = series_window, series_window.training
    with qtbot.waitSignal(ctl.training_finished, timeout=60000) as blocker:
        click(qtbot, ctl.panel.train_button)
    assert blocker.args == ["epochs"]
    tr = ctl.trainer
    assert tr.epoch == 3 and tr.updates == 3 * 37
    assert ctl.worker is None and not training_threads()
    # graph edits were locked while running and unlocked at the end
    assert (True, LOCK_REASON) in win.locks and win.locks[-1][0] is False
    # loss: every update, every epoch
    assert ctl.loss_plot.update_count() == tr.updates
    x, y = ctl.loss_plot.update_curve.getData()
    assert len(y) > 0 and np.allclose(10 ** y[-1] if ctl.loss_plot.log_box.isChecked() else y[-1],
                                      tr.update_loss.view()[-1])
    assert ctl.loss_plot.epoch_count() == 3
    assert len(ctl.loss_plot.val_curve.xData) == 3
    # fit: the series, a prediction for every example in time order
    ctx = ctl.ctx
    assert ctl.fit_plot.mode == "series"
    px, py = ctl.fit_plot.pred_curve.xData, ctl.fit_plot.pred_curve.yData
    assert len(py) == len(ds_rows(win)) and np.all(np.diff(px) >= 0)
    # units: one curve per hidden unit, and their sum with the constant, over the fit's window of time
    up = ctl.units_plot
    assert len(up.unit_curves) == 8
    assert len(up.last_view["x"]) == len(ctx.x_eval[::ctx.units_stride])
    ux, uy = up.unit_curves[0].getData()
    fx0, fx1 = ctl.fit_plot.plot.getPlotItem().vb.viewRange()[0]
    assert 2 <= len(ux) < len(up.last_view["x"]) and ux[0] <= fx0 + 86400 * 2 and ux[-1] >= fx1 - 86400 * 5
    assert up.plot.getPlotItem().vb.viewRange()[0] == pytest.approx([fx0, fx1])
    # the error surface: a grid and the path
    s = ctl.surface_plot.surface
    assert s is not None and s.loss.shape == (41, 41)
    assert ctl.surface_plot.path().shape == (tr.updates + 1, 2)
    # results are in the document, so Save keeps them
    doc = win.document
    assert doc.weights is not None and set(doc.weights) == set(tr.model.params)
    assert len(doc.history["update_loss"]) == tr.updates and len(doc.history["epochs"]) == 3
    assert "Finished" in ctl.panel.message_label.text() or "finished" in ctl.panel.message_label.text()


def ds_rows(win):
    ds = win.document.dataset
    return np.concatenate([ds.index_train, ds.index_val])


def test_error_surface_path_ends_at_the_final_parameters(qtbot, series_window):
    win, ctl = series_window, series_window.training
    with qtbot.waitSignals([ctl.training_finished, ctl.surface_updated], timeout=60000, order="none"):
        click(qtbot, ctl.panel.train_button)
    a, b = ctl.surface_plot.pair()
    assert (a, b) == ("dense2.b[0]", "dense2.W[0,0]")
    end = ctl.surface_plot.path()[-1]
    m = ctl.trainer.model
    assert end == pytest.approx([m.get_scalar(a), m.get_scalar(b)], rel=1e-6, abs=1e-7)
    s = ctl.surface_plot.surface
    assert s.a[0] <= end[0] <= s.a[-1] and s.b[0] <= end[1] <= s.b[-1]
    # pick another pair: a new surface over those, without training
    # (typed into the picker, as a person filtering a long list would)
    combo = ctl.surface_plot.combo_a
    combo.lineEdit().selectAll()
    with qtbot.waitSignal(ctl.surface_updated, timeout=30000):
        qtbot.keyClicks(combo.lineEdit(), "dense1.W[0,0]")
        qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    assert ctl.surface_plot.surface.names == ("dense1.W[0,0]", "dense2.W[0,0]")
    assert win.document.train_config.track == ["dense1.W[0,0]", "dense2.W[0,0]"]


def test_pause_step_resume_stop(qtbot, series_window):
    win, ctl = series_window, series_window.training
    doc = win.document
    cfg = doc.train_config
    doc.set_train_config(TrainConfig(**{**cfg.to_dict(), "epochs": 0, "lr": 0.01}))   # until stopped
    snaps: list[Snapshot] = []
    ctl.snapshot_received.connect(snaps.append)
    click(qtbot, ctl.panel.train_button)
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].updates > 200, timeout=30000)
    assert ctl.state == "running" and not ctl.panel.settings_box.isEnabled()
    click(qtbot, ctl.panel.pause_button)
    qtbot.waitUntil(lambda: snaps[-1].state == "paused", timeout=10000)
    assert training_threads()                   # paused: the worker waits
    n0 = snaps[-1].updates
    assert ctl.loss_plot.update_count() == n0
    with qtbot.waitSignal(ctl.snapshot_received, timeout=10000):
        click(qtbot, ctl.panel.step_button)
    assert snaps[-1].updates == n0 + 1 and ctl.loss_plot.update_count() == n0 + 1
    # shift-click: to the end of the epoch
    with qtbot.waitSignal(ctl.snapshot_received, timeout=10000):
        click(qtbot, ctl.panel.step_button, shift=True)
    upe = snaps[-1].updates_per_epoch
    assert snaps[-1].updates % upe == 0 and snaps[-1].updates > n0 + 1
    assert ctl.loss_plot.epoch_count() == snaps[-1].epoch
    n1 = snaps[-1].updates
    click(qtbot, ctl.panel.train_button)              # resume
    qtbot.waitUntil(lambda: snaps[-1].updates > n1 + 50, timeout=10000)
    click(qtbot, ctl.panel.stop_button)
    assert ctl.state == "stopped" and ctl.worker is None and not training_threads()
    assert doc.weights is not None
    assert np.all(np.isfinite(np.concatenate([w.ravel() for w in doc.weights.values()])))
    # Train after Stop continues the same run
    n2 = ctl.trainer.updates
    click(qtbot, ctl.panel.train_button)
    qtbot.waitUntil(lambda: snaps[-1].updates > n2 + 10, timeout=10000)
    assert ctl.loss_plot.update_count() >= n2
    click(qtbot, ctl.panel.stop_button)


def test_reset_gives_fresh_seeded_weights_and_clears_plots(qtbot, series_window):
    win, ctl = series_window, series_window.training
    with qtbot.waitSignal(ctl.training_finished, timeout=60000):
        click(qtbot, ctl.panel.train_button)
    assert win.document.weights is not None
    with qtbot.waitSignal(ctl.views_updated, timeout=10000):
        click(qtbot, ctl.panel.reset_button)
    assert ctl.loss_plot.update_count() == 0 and ctl.loss_plot.epoch_count() == 0
    assert ctl.surface_plot.path().shape[0] == 1
    assert win.document.weights is None and win.document.history is None
    fresh = Trainer(win.document.graph, win.document.dataset, win.document.train_config)
    assert np.array_equal(ctl.trainer.model.flat_params, fresh.model.flat_params)
    assert ctl.trainer.updates == 0
    # and training starts from them
    with qtbot.waitSignal(ctl.snapshot_received, timeout=10000) as blocker:
        click(qtbot, ctl.panel.step_button)
    assert blocker.args[0].updates == 1
    click(qtbot, ctl.panel.stop_button)


def test_divergence_shows_the_update_and_keeps_finite_weights(qtbot):
    win = open_window(qtbot, sequential(7, [(8, "relu")]), series_dataset(), lr=1e6, epochs=5)
    ctl = win.training
    with qtbot.waitSignal(ctl.training_finished, timeout=30000) as blocker:
        click(qtbot, ctl.panel.train_button)
    assert blocker.args == ["diverged"]
    text = ctl.panel.message_label.text()
    assert f"update {ctl.trainer.diverged_at}" in text and "smaller learning rate" in text
    assert ctl.panel.message_label.isVisible()
    assert np.all(np.isfinite(ctl.trainer.model.flat_params))
    w = win.document.weights
    assert w is not None and all(np.all(np.isfinite(v)) for v in w.values())
    assert ctl.state == "finished" and not training_threads()
    win.training.shutdown()


def test_closing_the_window_mid_training_leaves_no_thread(qtbot):
    win = open_window(qtbot, sequential(7, [(8, "sigmoid")]), series_dataset(), epochs=0)
    ctl = win.training
    with qtbot.waitSignal(ctl.snapshot_received, timeout=10000):
        click(qtbot, ctl.panel.train_button)
    assert training_threads()
    win.close()
    qtbot.waitUntil(lambda: not training_threads(), timeout=10000)
    assert ctl.worker is None
    assert win.document.weights is not None     # what was learned is kept


def test_linear_model_units_sum_equals_the_fit(qtbot):
    win = open_window(qtbot, sequential(1, []), xy_dataset(), lr=0.1, epochs=2)
    ctl = win.training
    with qtbot.waitSignal(ctl.training_finished, timeout=30000):
        click(qtbot, ctl.panel.train_button)
    assert ctl.fit_plot.mode == "xy" and ctl.units_plot.last_view is not None
    fx, fy = ctl.fit_plot.pred_curve.getData()
    sx, sy = ctl.units_plot.sum_curve.getData()
    assert np.allclose(fx, sx) and np.allclose(fy, sy, rtol=1e-5, atol=1e-5)
    # one input feature → one "unit": w·x, plus the constant b
    assert len(ctl.units_plot.unit_curves) == 1
    ux, uy = ctl.units_plot.unit_curves[0].getData()
    assert np.allclose(uy + ctl.units_plot.const_line.value(), fy, atol=1e-4)
    # and the fit is the model's own prediction in the target's units
    ds = win.document.dataset
    X = ds.transform_X(fx[:, None])
    pred = ds.inverse_y(ctl.trainer.model.predict(X))[:, 0]
    assert np.allclose(fy, pred, rtol=1e-4, atol=1e-4)
    win.training.shutdown()


def test_hovering_a_unit_highlights_its_node(qtbot, series_window):
    win, ctl = series_window, series_window.training
    with qtbot.waitSignal(ctl.training_finished, timeout=60000):
        click(qtbot, ctl.panel.train_button)
    up = ctl.units_plot
    v = up.last_view
    vb = up.plot.getPlotItem().vb
    x0, x1 = vb.viewRange()[0]
    i = int(np.searchsorted(v["x"], (x0 + x1) / 2))        # a day in the middle of what is shown
    k = int(np.argmax(np.abs(v["contrib"][:, i])))
    scene_pt = vb.mapViewToScene(QPointF(v["x"][i], v["contrib"][k, i]))
    up._on_mouse_moved((scene_pt,))      # what the scene's sigMouseMoved delivers
    assert up.hovered_unit() is not None
    assert up.readout.isVisible()
    assert win.canvas_view.highlighted[-1] == ["sigmoid1"]
    assert "unit" in up.readout.text() and "c =" in up.readout.text()


def test_settings_are_checked_as_typed(qtbot, series_window):
    win, panel = series_window, series_window.training.panel
    doc = win.document
    before = doc.train_config.lr
    panel.lr_edit.clear()
    qtbot.keyClicks(panel.lr_edit, "fast")
    assert "learning rate" in panel.error_label.text() and panel.error_label.isVisible()
    assert "d93025" in panel.lr_edit.styleSheet()
    assert doc.train_config.lr == before
    panel.lr_edit.clear()
    qtbot.keyClicks(panel.lr_edit, "0.2")
    assert doc.train_config.lr == 0.2 and panel.error_label.isHidden()
    panel.batch_edit.clear()
    qtbot.keyClicks(panel.batch_edit, "100")
    assert doc.train_config.batch_size == 100
    assert panel.summary_label.text() == "1,163 examples, 100 per batch → 12 updates per epoch"
    panel.batch_edit.clear()
    qtbot.keyClicks(panel.batch_edit, "0")
    assert "batch size" in panel.error_label.text() and doc.train_config.batch_size == 100
    # only losses that fit the task are offered
    losses = [panel.loss_combo.itemData(i) for i in range(panel.loss_combo.count())]
    assert losses == ["mse", "mae", "huber"]


def test_classification_shows_accuracy_and_confusion_matrix(qtbot):
    table = read_csv(DATASETS / "iris.csv")
    ds = build_dataset(table, DataSpec(target="species"))
    g = sequential(4, [(8, "tanh")], task="multiclass", outputs=3)
    win = open_window(qtbot, g, ds, loss="ce", lr=0.1, epochs=5, batch_size=8)
    ctl = win.training
    with qtbot.waitSignal(ctl.training_finished, timeout=30000):
        click(qtbot, ctl.panel.train_button)
    fp = ctl.fit_plot
    assert fp.mode == "classes"
    cm = fp.last_view["val_confusion"]
    assert cm.shape == (3, 3) and cm.sum() == len(ds.y_val)
    assert "Accuracy" in fp.legend.text()
    assert ctl.units_plot.last_view is None        # no units view for classification
    win.training.shutdown()


def test_snapshots_merge_when_the_gui_is_slow():
    def snap(start, losses, path_start, path):
        return Snapshot("running", start + len(losses), 0, 10, 100, 10, 0.0, start, np.array(losses, float),
                        0, [], path_start, np.array(path, float).reshape(-1, 2))
    a = snap(0, [3.0, 2.0], 0, [[0, 0], [1, 1], [2, 2]])
    b = snap(2, [1.0], 3, [[3, 3]])
    m = a.merged(b)
    assert m.loss_start == 0 and m.loss_new.tolist() == [3.0, 2.0, 1.0] and m.updates == 3
    assert m.path_start == 0 and m.path_new.shape == (4, 2)


def test_through_the_main_window(qtbot, monkeypatch):
    from gui.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    ctl = win.training
    assert win.findChild(QWidget, "trainingPanel") is ctl.panel
    for name in ("lossPlot", "fitPlot", "unitsPlot", "surfacePlot"):
        assert win.findChild(QWidget, name) is not None
    if win.document.dataset is None:
        pytest.skip("the main window opened no example data")
    cfg = win.document.train_config
    win.document.set_train_config(TrainConfig(**{**cfg.to_dict(), "epochs": 0}))
    with qtbot.waitSignal(ctl.snapshot_received, timeout=10000):
        win.actionTrain.trigger()
    assert win.training_locked
    with qtbot.waitSignal(ctl.state_changed, timeout=10000):
        win.actionPause.trigger()
    assert not win.training_locked
    monkeypatch.setattr(win.io, "maybe_save", lambda: True)
    win.close()
    qtbot.waitUntil(lambda: not training_threads(), timeout=10000)


# -- through the real main window, as a person: the toolbar and the panel's own buttons ----------------
def _main_window(qtbot, monkeypatch, epochs: int = 0):
    from gui.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    monkeypatch.setattr(win.io, "maybe_save", lambda: True)
    if win.document.dataset is None:
        pytest.skip("the main window opened no example data")
    cfg = win.document.train_config
    win.document.set_train_config(TrainConfig(**{**cfg.to_dict(), "epochs": epochs}))
    return win


def _toolbar_button(win, action):
    from PySide6.QtWidgets import QToolButton
    for b in win.findChildren(QToolButton):
        if b.defaultAction() is action and b.isVisible():
            return b
    return None


def test_main_window_pause_step_epoch_resume_stop(qtbot, monkeypatch):
    win = _main_window(qtbot, monkeypatch)
    ctl = win.training
    snaps: list[Snapshot] = []
    ctl.snapshot_received.connect(snaps.append)
    train = _toolbar_button(win, win.actionTrain) or ctl.panel.train_button
    click(qtbot, train)
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].updates > 50, timeout=20000)
    assert win.training_locked
    with qtbot.waitSignal(ctl.state_changed, timeout=10000):
        click(qtbot, _toolbar_button(win, win.actionPause) or ctl.panel.pause_button)
    qtbot.waitUntil(lambda: snaps[-1].state == "paused", timeout=10000)
    assert not win.training_locked
    n0 = snaps[-1].updates
    with qtbot.waitSignal(ctl.snapshot_received, timeout=10000):
        click(qtbot, ctl.panel.step_button)                         # exactly one update
    assert snaps[-1].updates == n0 + 1 and ctl.loss_plot.update_count() == n0 + 1
    with qtbot.waitSignal(ctl.snapshot_received, timeout=10000):
        click(qtbot, ctl.panel.step_button, shift=True)             # to the end of the epoch
    upe = snaps[-1].updates_per_epoch
    assert snaps[-1].updates % upe == 0 and snaps[-1].updates > n0 + 1
    n1 = snaps[-1].updates
    with qtbot.waitSignal(ctl.snapshot_received, timeout=10000):
        win.actionStepEpoch.trigger()                               # Train → Step one epoch: a whole one
    assert snaps[-1].updates == n1 + upe
    click(qtbot, train)                                             # resume
    qtbot.waitUntil(lambda: snaps[-1].updates > n1 + upe + 20, timeout=10000)
    click(qtbot, ctl.panel.stop_button)
    assert ctl.state == "stopped" and not training_threads()
    assert win.document.weights is not None
    # the summary line is in the status bar whatever panel is on top
    badge = win.statusBar().findChild(QWidget, "updatesPerEpochStatus")
    assert badge is not None and badge.isVisible() and "updates per epoch" in badge.text()
    win.close()


def test_main_window_train_to_the_end_then_reset(qtbot, monkeypatch):
    win = _main_window(qtbot, monkeypatch, epochs=2)
    ctl = win.training
    with qtbot.waitSignals([ctl.training_finished, ctl.surface_updated], timeout=60000, order="none"):
        click(qtbot, ctl.panel.train_button)
    tr = ctl.trainer
    assert ctl.loss_plot.update_count() == tr.updates == 2 * tr.updates_per_epoch
    assert ctl.loss_plot.epoch_count() == 2
    assert ctl.fit_plot.last_view is not None and ctl.units_plot.last_view is not None
    from engine.landscape import default_pair
    track = tuple(win.document.train_config.track)
    assert ctl.surface_plot.pair() == (track if track else default_pair(tr.model))
    end = ctl.surface_plot.path()[-1]
    a, b = ctl.surface_plot.pair()
    assert end == pytest.approx([tr.model.get_scalar(a), tr.model.get_scalar(b)], rel=1e-6, abs=1e-7)
    # the state line wraps instead of widening the window
    assert ctl.panel.state_label.wordWrap() and win.width() <= 1400
    with qtbot.waitSignal(ctl.views_updated, timeout=10000):
        click(qtbot, _toolbar_button(win, win.actionReset) or ctl.panel.reset_button)
    assert ctl.loss_plot.update_count() == 0 and win.document.weights is None
    win.close()


def test_opening_the_hidden_layer_example_shows_the_output_pair(qtbot, monkeypatch):
    """Example 2 (one hidden layer): the surface is over the output's b and first w (the lecture's pair)."""
    from gui.examples import EXAMPLES
    win = _main_window(qtbot, monkeypatch)
    ctl = win.training
    idx = next(i for i, e in enumerate(EXAMPLES) if "sigmoid" in str(e).lower())
    win.io.open_example(idx, ask=False)
    qtbot.waitUntil(lambda: ctl.surface_plot.pair()[0] != "", timeout=10000)
    assert ctl.surface_plot.pair() == ("dense2.b[0]", "dense2.W[0,0]")
    win.close()


# -- found by playing a newcomer on the real window ----------------------------------------------
def test_the_error_surface_shows_before_any_training_and_recompute_works(qtbot):
    """Opened on an example, nothing trained yet: the surface is drawn on its own, and ↻ draws
    it again (it used to stay empty, and ↻ left "Computing the error surface…" for ever)."""
    win = Harness()
    qtbot.addWidget(win)
    graph = sequential(7, [(8, "sigmoid")])
    win.document.replace(graph, {n: (0.0, 0.0) for n in graph.nodes},
                         train_config=TrainConfig(lr=0.05, batch_size=32, epochs=3))
    ds = series_dataset()
    win.document.set_data(None, ds.spec, ds)
    ctl = install_training(win)
    win.show()
    with qtbot.waitSignal(ctl.surface_updated, timeout=30000):
        pass                                          # no click: the window shows it by itself
    sp = ctl.surface_plot
    assert sp.surface is not None and sp.surface.names == sp.pair() == ("dense2.b[0]", "dense2.W[0,0]")
    assert "lowest" in sp.info.text() and ctl.trainer is None
    assert sp.path().shape == (1, 2)                  # where the weights are now
    with qtbot.waitSignal(ctl.surface_updated, timeout=30000):
        click(qtbot, sp.recompute_button)
    assert "Computing" not in sp.info.text()
    # and Train still starts a normal run from update 0
    with qtbot.waitSignal(ctl.training_finished, timeout=60000):
        click(qtbot, ctl.panel.train_button)
    assert ctl.trainer.updates == 3 * 37 and ctl.loss_plot.update_count() == 3 * 37
    ctl.shutdown()


def test_a_reopened_project_shows_its_surface_and_saved_path(qtbot, series_window):
    """Train, then open the project again (weights + history, no trainer): the surface and the
    saved path come back, and the last project's numbers are not left above an empty plot."""
    win, ctl = series_window, series_window.training
    with qtbot.waitSignals([ctl.training_finished, ctl.surface_updated], timeout=60000, order="none"):
        click(qtbot, ctl.panel.train_button)
    doc = win.document
    path_before = ctl.surface_plot.path().copy()
    weights, history, cfg = doc.weights, doc.history, doc.train_config
    graph, ds = doc.graph, doc.dataset
    with qtbot.waitSignal(ctl.surface_updated, timeout=30000):
        doc.replace(graph, dict(doc.positions), train_config=cfg, data_spec=ds.spec, dataset=ds,
                    weights=weights, history=history)
        assert "lowest" not in ctl.surface_plot.info.text()       # cleared with the old project
    assert ctl.trainer is None
    assert ctl.surface_plot.surface is not None and "lowest" in ctl.surface_plot.info.text()
    assert np.allclose(ctl.surface_plot.path(), path_before)


def test_after_a_divergence_train_starts_from_fresh_weights(qtbot):
    """η = 100 diverges; the person lowers η as told and presses Train: a sensible run, not one
    continuing from weights of 1e18 with an R² of −4.5e31 printed in 33 digits."""
    from gui.panels.training_panel import fmt_r2
    win = open_window(qtbot, sequential(7, [(16, "sigmoid")]), series_dataset(), lr=100.0, epochs=3)
    ctl = win.training
    with qtbot.waitSignal(ctl.training_finished, timeout=30000) as blocker:
        click(qtbot, ctl.panel.train_button)
    assert blocker.args == ["diverged"]
    assert ctl.panel.state_label.text() == "Diverged"
    assert "fresh weights" in ctl.panel.message_label.text()
    ctl.panel.lr_edit.clear()
    qtbot.keyClicks(ctl.panel.lr_edit, "0.01")
    qtbot.keyClick(ctl.panel.lr_edit, Qt.Key.Key_Return)
    assert win.document.train_config.lr == 0.01
    with qtbot.waitSignal(ctl.training_finished, timeout=60000) as blocker:
        click(qtbot, ctl.panel.train_button)
    assert blocker.args == ["epochs"]
    last = ctl.trainer.epochs[-1]
    assert last["train_loss"] < 2 and -1 < last["val_r2"] <= 1
    assert np.abs(ctl.trainer.model.flat_params).max() < 100
    assert ctl.panel.state_label.text() == "Finished"
    assert fmt_r2(-4.519e31) == "-4.52e+31" and fmt_r2(0.8461) == "0.846"
    ctl.panel.show_metrics({"train_loss": 6e31, "val_loss": 4.7e31, "val_r2": -4.519e31, "val_mae": 1e16}, 4e31)
    assert "-4.52e+31" in ctl.panel.metrics_label.text()
    win.training.shutdown()


def test_leaving_the_units_plot_ends_the_hover(qtbot, series_window):
    """Hover a unit's curve, then move the mouse off the plot: the node stops glowing."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication
    win, ctl = series_window, series_window.training
    with qtbot.waitSignal(ctl.training_finished, timeout=60000):
        click(qtbot, ctl.panel.train_button)
    up = ctl.units_plot
    v = up.last_view
    vb = up.plot.getPlotItem().vb
    x0, x1 = vb.viewRange()[0]
    i = int(np.searchsorted(v["x"], (x0 + x1) / 2))
    k = int(np.argmax(np.abs(v["contrib"][:, i])))
    up._on_mouse_moved((vb.mapViewToScene(QPointF(v["x"][i], v["contrib"][k, i])),))
    assert up.hovered_unit() is not None and win.canvas_view.highlighted[-1] == ["sigmoid1"]
    QApplication.sendEvent(up, QEvent(QEvent.Type.Leave))       # what Qt sends as the mouse leaves
    assert up.hovered_unit() is None and win.canvas_view.highlighted[-1] == []
    assert not up.readout.isVisible()
