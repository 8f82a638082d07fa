"""Training from the GUI: the training worker, the controls, the plots' contents.

A person's clicks (qtbot.mouseClick on the panel's buttons) drive a real
worker process; the tests wait on signals, never on sleep.
"""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from engine.data import DataSpec, build_dataset, read_csv
from engine.graph import sequential
from engine.trainer import TrainConfig, Trainer
from gui.document.document import Document
from gui.training.controller import LOCK_REASON
from gui.training.install import install_training
from gui.training.workers import THREAD_NAME, Snapshot
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
    from gui.training.workers import live_worker_processes
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
def no_thread_left(qtbot):
    yield
    # worker processes exit in the background after Stop or the end of a run: give them 5 s
    qtbot.waitUntil(lambda: not training_threads(), timeout=5000)


@pytest.fixture(autouse=True)
def _settings(isolated_settings):
    """QSettings in a temporary folder (conftest): tests neither read nor write the user's speed
    preference or geometry; training runs at the default speed unless a test picks one."""


def pick_speed(panel, rate) -> None:
    """Choose a speed in the panel's combo as a person does (the combo's ``activated``)."""
    combo = panel.speed_combo
    i = next(k for k in range(combo.count()) if float(combo.itemData(k)) == rate)
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


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
    assert ctl.worker is None
    # the worker process exits in the background (the GUI thread never waits for it)
    qtbot.waitUntil(lambda: not training_threads(), timeout=5000)
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
    with qtbot.waitSignal(ctl.training_finished, timeout=60000):
        click(qtbot, ctl.panel.train_button)
    # the run's final surface follows its end (drawn off the GUI thread), "as of" its last update
    qtbot.waitUntil(lambda: ctl.surface_plot.surface is not None
                    and getattr(ctl.surface_plot.surface, "updates", None) == ctl.trainer.updates, timeout=30000)
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
    assert ctl.state == "stopped" and ctl.worker is None
    # the worker process exits in the background (the GUI thread never waits for it)
    qtbot.waitUntil(lambda: not training_threads(), timeout=5000)
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
    assert ctl.state == "finished"
    # the worker process exits in the background (the GUI thread never waits for it)
    qtbot.waitUntil(lambda: not training_threads(), timeout=5000)
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


def _train_then_look_mid_window(qtbot, ctl):
    """Train to the end by clicking Train; the units plot, its view, its view box and the
    index of the day in the middle of what it shows."""
    with qtbot.waitSignal(ctl.training_finished, timeout=60000):
        click(qtbot, ctl.panel.train_button)
    up = ctl.units_plot
    v = up.last_view
    vb = up.plot.getPlotItem().vb
    x0, x1 = vb.viewRange()[0]
    return up, v, vb, int(np.searchsorted(v["x"], (x0 + x1) / 2))


def test_hovering_a_unit_highlights_its_node(qtbot, series_window):
    win, ctl = series_window, series_window.training
    up, v, vb, i = _train_then_look_mid_window(qtbot, ctl)
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
    from gui.window.main_window import MainWindow
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
    from gui.window.main_window import MainWindow
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
    assert ctl.state == "stopped"
    # the worker process exits in the background (the GUI thread never waits for it)
    qtbot.waitUntil(lambda: not training_threads(), timeout=5000)
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
    from gui.window.examples import EXAMPLES
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
    from gui.training.panel import fmt_r2
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
    up, v, vb, i = _train_then_look_mid_window(qtbot, ctl)
    k = int(np.argmax(np.abs(v["contrib"][:, i])))
    up._on_mouse_moved((vb.mapViewToScene(QPointF(v["x"][i], v["contrib"][k, i])),))
    assert up.hovered_unit() is not None and win.canvas_view.highlighted[-1] == ["sigmoid1"]
    QApplication.sendEvent(up, QEvent(QEvent.Type.Leave))       # what Qt sends as the mouse leaves
    assert up.hovered_unit() is None and win.canvas_view.highlighted[-1] == []
    assert not up.readout.isVisible()


# -- the speed control: slow enough to watch, "full speed" for long runs ---------------------------
def test_a_low_speed_limits_the_update_rate_and_pause_stays_prompt(qtbot):
    """At 30 updates/s the counter advances at most about that fast; Pause takes effect at once;
    switching to full speed mid-run finishes the rest at once; the choice is remembered."""
    from PySide6.QtCore import QSettings
    from gui.training.panel import DEFAULT_SPEED, SPEED_KEY, TrainingPanel
    win = open_window(qtbot, sequential(7, [(8, "sigmoid")]), series_dataset(), epochs=4)   # 148 updates
    ctl, panel = win.training, win.training.panel
    assert panel.speed() == DEFAULT_SPEED and panel.speed_combo.isEnabled()
    pick_speed(panel, 30)
    assert float(QSettings().value(SPEED_KEY)) == 30
    assert TrainingPanel(win.document).speed() == 30              # a new window starts at 30/s
    seen: list[tuple[float, int, str]] = []
    ctl.snapshot_received.connect(lambda s: seen.append((time.monotonic(), s.updates, s.state)))
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][1] >= 1, timeout=10000)
    t0, u0, _ = seen[-1]
    qtbot.waitUntil(lambda: seen[-1][1] >= u0 + 20, timeout=10000)
    t1, u1, _ = seen[-1]
    # 20 updates take ≥ 0.6 s at 30/s (at full speed: a few ms); allow one chunk and some latency
    assert u1 - u0 <= 30 * (t1 - t0) + 30 * 0.2 + 2, (u1 - u0, t1 - t0)
    assert 0 < snap_rate(ctl) <= 45
    assert ctl.state == "running" and ctl.loss_plot.update_count() == u1
    # Pause at once (the worker waits on its request condition, not in a sleep)
    with qtbot.waitSignal(ctl.state_changed, timeout=5000):
        click(qtbot, panel.pause_button)
    qtbot.waitUntil(lambda: seen[-1][2] == "paused", timeout=2000)
    n = seen[-1][1]
    assert n < 148 and ctl.state == "paused"
    with qtbot.waitSignal(ctl.snapshot_received, timeout=5000):
        click(qtbot, panel.step_button)                            # Step works at any speed
    assert seen[-1][1] == n + 1
    # full speed, chosen while paused, applies to the running worker: the rest (over 4 s at 30/s)
    pick_speed(panel, 0)
    with qtbot.waitSignal(ctl.training_finished, timeout=2500) as blocker:
        click(qtbot, panel.train_button)
    assert blocker.args == ["epochs"] and ctl.trainer.updates == 148
    assert float(QSettings().value(SPEED_KEY)) == 0
    ctl.shutdown()


def snap_rate(ctl) -> float:
    """The updates/s the panel shows."""
    import re
    m = re.search(r"([\d,]+) updates/s", ctl.panel.progress_label.text())
    return float(m.group(1).replace(",", "")) if m else 0.0


def test_the_worker_loop_waits_for_its_turn_without_blocking_pause_or_stop():
    """At 0.2 updates/s the loop waits 5 s between updates, on its request condition: a pause
    and a stop are obeyed at once (no uninterruptible sleep), and no update sneaks in."""
    from engine.train_loop import TrainLoop
    tr = Trainer(sequential(7, [(4, "sigmoid")]), series_dataset(), TrainConfig(lr=0.05, batch_size=32, epochs=0))
    posted: list[Snapshot] = []
    news = threading.Event()

    def post(snap):
        posted.append(snap)
        news.set()
    loop = TrainLoop(tr, None, post, max_rate=0.2)
    th = threading.Thread(target=loop.run, name="speed-test", daemon=True)
    th.start()
    try:
        while not any(p.updates >= 1 for p in posted):
            assert news.wait(5.0), "no first update"
            news.clear()
        t = time.monotonic()
        loop.pause()
        while posted[-1].state != "paused":
            assert news.wait(5.0), "no paused snapshot"
            news.clear()
        assert time.monotonic() - t < 1.0 and posted[-1].updates == 1
        loop.resume()                       # the next update is due at once, then one each 5 s
        t = time.monotonic()
        loop.stop()
        th.join(5.0)
        assert not th.is_alive() and time.monotonic() - t < 1.0
        assert tr.updates <= 2 and posted[-1].state == "stopped"
    finally:
        loop.stop()
        th.join(5.0)


# -- the numbers agree ------------------------------------------------------------------------------
def test_divergence_numbers_agree_between_the_panel_and_the_message(qtbot):
    """The progress line and the message name the same update and epoch, and the same count done
    (was: "Epoch 0 / 100 · update 8" against "update 9 (epoch 1)")."""
    win = open_window(qtbot, sequential(7, [(8, "relu")]), series_dataset(), lr=1e6, epochs=100)
    ctl = win.training
    with qtbot.waitSignal(ctl.training_finished, timeout=30000) as blocker:
        click(qtbot, ctl.panel.train_button)
    assert blocker.args == ["diverged"]
    tr = ctl.trainer
    d, done = tr.diverged_at, tr.updates
    assert d == done + 1
    epoch = (d - 1) // tr.updates_per_epoch + 1
    progress, message = ctl.panel.progress_label.text(), ctl.panel.message_label.text()
    for text in (progress, message):
        assert f"stopped at update {d}" in text and f"{done} update" in text and "done" in text
        assert "infinite" in text or "NaN" in text
    assert progress.startswith(f"Epoch {epoch} / 100") and f"(epoch {epoch})" in message
    assert f"epoch {epoch + 1}" not in message.lower() and "in this epoch" not in progress
    ctl.shutdown()


def test_a_finished_run_does_not_say_0_of_its_epoch(qtbot, series_window):
    ctl = series_window.training
    pick_speed(ctl.panel, 0)
    with qtbot.waitSignal(ctl.training_finished, timeout=60000):
        click(qtbot, ctl.panel.train_button)
    text = ctl.panel.progress_label.text()
    assert text.startswith("Epoch 3 / 3") and "111 updates" in text and "0 of" not in text
    assert "111 updates" in ctl.panel.message_label.text()
    # mid-run the batch within the epoch counts from 1 to 37, as the loss plot's readout counts
    from gui.training.workers import Snapshot as S
    ctl.panel.show_progress(S("running", 37, 1, 37, 1163, 32, 0.0, 0, np.zeros(0), 0, [], 0,
                              np.zeros((0, 2))), 3)
    assert ctl.panel.progress_label.text().startswith("Epoch 1 / 3 · update 37 (37 of 37 in this epoch)")
    ctl.panel.show_progress(S("running", 38, 1, 37, 1163, 32, 0.0, 0, np.zeros(0), 0, [], 0,
                              np.zeros((0, 2))), 3)
    assert ctl.panel.progress_label.text().startswith("Epoch 2 / 3 · update 38 (1 of 37 in this epoch)")


# -- layout and labels --------------------------------------------------------------------------------
def test_the_loss_plot_follows_the_opened_project(qtbot, series_window):
    """After document.replace the loss plot shows the new project's axes and its loss's name
    (was: the last project's axes until the next run, and "loss" until a run said "MSE")."""
    win, ctl = series_window, series_window.training
    pick_speed(ctl.panel, 0)
    with qtbot.waitSignal(ctl.training_finished, timeout=60000):
        click(qtbot, ctl.panel.train_button)
    assert ctl.loss_plot.loss_name() == "MSE (std.)"       # of temp_max standardized
    doc = win.document
    graph, ds, cfg = doc.graph, doc.dataset, doc.train_config
    weights, history = doc.weights, doc.history
    vb = ctl.loss_plot.plot.getPlotItem().getViewBox()
    # another project: MAE, 20 epochs, nothing trained yet
    doc.replace(graph, dict(doc.positions), train_config=TrainConfig(**{**cfg.to_dict(), "loss": "mae",
                                                                        "epochs": 20}),
                data_spec=ds.spec, dataset=ds)
    assert ctl.loss_plot.update_count() == 0 and ctl.loss_plot.loss_name() == "MAE (std.)"
    assert vb.viewRange()[0] == pytest.approx([0, 20 * 37])
    # the first project reopened: its history, read in its own loss's name, over its own run
    doc.replace(graph, dict(doc.positions), train_config=cfg, data_spec=ds.spec, dataset=ds,
                weights=weights, history=history)
    assert ctl.loss_plot.update_count() == 3 * 37 and ctl.loss_plot.loss_name() == "MSE (std.)"
    assert vb.viewRange()[0][1] < 20 * 37
    # the error surface's colour bar names the same loss
    assert ctl.surface_plot.colorbar.axis.labelText == "MSE"


def choose_optimizer(panel, name: str) -> None:
    """Pick an optimizer in the panel's combo (as its ``activated`` signal reports a choice)."""
    combo = panel.optimizer_combo
    i = combo.findData(name)
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


def test_momentum_is_editable_only_for_the_momentum_optimizer(qtbot, series_window):
    panel = series_window.training.panel
    for name in ("sgd", "adam", "rmsprop", "adagrad"):
        choose_optimizer(panel, name)
        assert not panel.momentum_edit.isEnabled(), name
        assert "Only the Momentum optimizer uses μ" in panel.momentum_edit.toolTip()
        assert not panel.momentum_label.isEnabled()
    choose_optimizer(panel, "momentum")
    assert panel.momentum_edit.isEnabled() and panel.momentum_label.isEnabled()
    assert "Only" not in panel.momentum_edit.toolTip()
    assert series_window.document.train_config.optimizer == "momentum"
    panel.set_settings_enabled(False)                 # locked while training
    assert not panel.momentum_edit.isEnabled()
    panel.set_settings_enabled(True)
    assert panel.momentum_edit.isEnabled()
    choose_optimizer(panel, "sgd")
    assert not panel.momentum_edit.isEnabled()


def test_the_validation_row_is_not_cut_off(qtbot, series_window):
    """"291 rows (20%, chronological)" used to be cut to one line in the form: it now wraps under
    the form, whole, however narrow the dock."""
    from PySide6.QtWidgets import QApplication, QDockWidget
    win = series_window
    panel = win.training.panel
    dock = next(d for d in win.findChildren(QDockWidget) if d.widget() is panel)
    lab = panel.split_label
    heights = []
    for width in (240, 480):
        dock.setFixedWidth(width)
        qtbot.waitUntil(lambda width=width: panel.width() <= width)
        QApplication.processEvents()
        assert lab.text().startswith("Validation: ") and "chronological" in lab.text()
        assert lab.isVisible() and lab.height() >= lab.heightForWidth(lab.width()), width
        assert lab.geometry().right() <= panel.settings_box.contentsRect().right()
        heights.append(lab.height())
    assert heights[0] > heights[1]            # two lines in the narrow dock, one in the wide


def test_a_bad_momentum_does_not_block_another_optimizer(qtbot, series_window):
    """μ = "abc" typed under Momentum, then SGD chosen: the disabled field must not stay red and
    keep Train blocked ("Fix the settings marked in red") where it cannot be fixed."""
    panel = series_window.training.panel
    choose_optimizer(panel, "momentum")
    panel.momentum_edit.clear()
    qtbot.keyClicks(panel.momentum_edit, "abc")
    assert panel.has_errors() and "momentum" in panel.error_label.text()
    choose_optimizer(panel, "sgd")
    assert not panel.has_errors() and panel.error_label.isHidden()
    assert panel.momentum_edit.text() == "0.9" and panel.momentum_edit.styleSheet() == ""
    assert series_window.document.train_config.optimizer == "sgd"


def test_the_auto_speed_is_300_per_second_or_an_epoch_in_2_seconds(qtbot):
    """The default, "auto": 300 updates/s for the examples' short epochs; with batches of 1
    (1,163 updates per epoch) 581.5/s, so an epoch takes 2 s. Picking it mid-run applies."""
    from gui.training.panel import AUTO, DEFAULT_SPEED, auto_rate
    assert DEFAULT_SPEED == AUTO and auto_rate(37) == 300 and auto_rate(31_250) == 15_625
    win = open_window(qtbot, sequential(7, [(8, "sigmoid")]), series_dataset(), epochs=0, batch_size=1)
    ctl, panel = win.training, win.training.panel
    assert panel.speed() == AUTO and panel.speed_combo.currentText().startswith("auto")
    pick_speed(panel, 30)
    with qtbot.waitSignal(ctl.snapshot_received, timeout=10000):
        click(qtbot, panel.train_button)
    assert ctl.worker.max_rate == 30
    pick_speed(panel, AUTO)
    assert ctl.worker.max_rate == 1163 / 2
    click(qtbot, panel.stop_button)
    with qtbot.waitSignal(ctl.state_changed, timeout=5000):
        panel.batch_edit.clear()
        qtbot.keyClicks(panel.batch_edit, "32")
        click(qtbot, panel.train_button)
    assert ctl.worker.max_rate == 300                 # 37 updates per epoch
    ctl.shutdown()


def test_training_settings_are_undone_a_field_at_a_time(qtbot, monkeypatch):
    """Typing a learning rate is one undoable step (each keystroke does not make one); Ctrl+Z puts
    the field and the setting back, and the project is as saved again; redo re-applies it."""
    from PySide6.QtGui import QKeySequence
    win = _main_window(qtbot, monkeypatch, epochs=5)
    doc, panel = win.document, win.training.panel
    doc.mark_saved()
    before = doc.train_config
    panel.lr_edit.selectAll()
    qtbot.keyClicks(panel.lr_edit, "0.015")
    panel.batch_edit.selectAll()
    qtbot.keyClicks(panel.batch_edit, "64")
    assert doc.train_config.lr == 0.015 and doc.train_config.batch_size == 64 and doc.is_modified()
    assert doc.undo_stack.count() == 2
    assert win.actionUndo.text().replace("&", "") == "Undo Set batch size = 64"
    with qtbot.waitActive(win):                      # shortcuts go to the active window
        win.activateWindow()
    vp = win.canvas_view.viewport()                  # a click on the canvas's empty corner: focus leaves the field
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=vp.rect().topLeft() + QPoint(5, 5))
    assert not panel.batch_edit.hasFocus()
    qtbot.keyClick(win.canvas_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.train_config.batch_size == before.batch_size and doc.train_config.lr == 0.015
    qtbot.keyClick(win.canvas_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.train_config == before and not doc.is_modified()
    assert panel.lr_edit.text() == f"{before.lr:g}" and panel.batch_edit.text() == str(before.batch_size)
    win.actionRedo.trigger()
    assert doc.train_config.lr == 0.015 and panel.lr_edit.text() == "0.015"
    assert QKeySequence(win.actionUndo.shortcut()).toString() != ""
    win.close()
