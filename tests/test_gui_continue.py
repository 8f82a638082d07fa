"""Train goes on from where the network is: after a finished run, after new settings, after
reopening a project; and a run in progress is part of the project (modified, saved, asked about).

A person's clicks drive a real worker; the tests wait on signals, never on sleep.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QMessageBox

from engine.graph import sequential
from engine.project import load_project
from gui.training.workers import Snapshot
from tests import test_gui_training as base
from tests.test_gui_training import click, open_window, series_dataset, training_threads

# the training tests' fixtures: a series window, no thread left behind, isolated settings
window = base.series_window
no_thread_left, _settings = base.no_thread_left, base._settings


def _train_to_the_end(qtbot, ctl) -> None:
    with qtbot.waitSignal(ctl.training_finished, timeout=60000) as blocker:
        click(qtbot, ctl.panel.train_button)
    assert blocker.args == ["epochs"]


def test_train_after_a_finished_run_goes_on_for_as_many_epochs_more(qtbot, window):
    ctl = window.training
    _train_to_the_end(qtbot, ctl)
    first = ctl.trainer.update_loss.view().copy()
    assert ctl.trainer.epoch == 3 and ctl.loss_plot.update_count() == 3 * 37
    _train_to_the_end(qtbot, ctl)
    tr = ctl.trainer
    assert tr.epoch == 6 and tr.updates == 6 * 37
    assert ctl.loss_plot.update_count() == 6 * 37 and ctl.loss_plot.epoch_count() == 6
    np.testing.assert_array_equal(tr.update_loss.view()[:len(first)], first)
    assert "Epoch 6 / 6" in ctl.panel.progress_label.text()
    history = window.document.history
    assert len(history["update_loss"]) == 6 * 37 and [r["epoch"] for r in history["epochs"]] == list(range(1, 7))


def test_a_new_learning_rate_while_paused_keeps_the_curve_and_the_count(qtbot, window):
    ctl = window.training
    snaps: list[Snapshot] = []
    ctl.snapshot_received.connect(snaps.append)
    click(qtbot, ctl.panel.train_button)
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].updates > 40, timeout=20000)
    with qtbot.waitSignal(ctl.state_changed, timeout=10000):
        click(qtbot, ctl.panel.pause_button)
    qtbot.waitUntil(lambda: snaps[-1].state == "paused", timeout=10000)
    n0 = snaps[-1].updates
    before = ctl.loss_plot.update_curve.getData()[1][:n0].copy()
    ctl.panel.lr_edit.clear()
    qtbot.keyClicks(ctl.panel.lr_edit, "0.01")
    assert window.document.train_config.lr == 0.01
    with qtbot.waitSignal(ctl.training_finished, timeout=60000):
        click(qtbot, ctl.panel.train_button)
    tr = ctl.trainer
    assert tr.config.lr == 0.01 and tr.epoch == 3 and tr.updates == 3 * 37     # the plan is kept
    assert ctl.loss_plot.update_count() == 3 * 37
    np.testing.assert_array_equal(ctl.loss_plot.update_curve.getData()[1][:n0], before)


def test_a_reopened_project_goes_on_from_its_saved_run(qtbot, window):
    win, ctl = window, window.training
    _train_to_the_end(qtbot, ctl)
    doc = win.document
    weights, history, cfg, ds = doc.weights, doc.history, doc.train_config, doc.dataset
    doc.replace(doc.graph, dict(doc.positions), train_config=cfg, data_spec=ds.spec, dataset=ds,
                weights=weights, history=history)
    assert ctl.trainer is None and ctl.loss_plot.update_count() == 3 * 37    # the saved curve is shown
    _train_to_the_end(qtbot, ctl)
    tr = ctl.trainer
    assert tr.epoch == 6 and tr.updates == 6 * 37 and ctl.loss_plot.epoch_count() == 6
    np.testing.assert_array_equal(tr.update_loss.view()[:3 * 37], history["update_loss"])


def test_reset_then_train_starts_afresh_and_keeps_the_last_run_to_compare(qtbot, window):
    win, ctl = window, window.training
    _train_to_the_end(qtbot, ctl)
    first = [dict(r) for r in ctl.trainer.epochs]
    with qtbot.waitSignal(ctl.views_updated, timeout=10000):
        click(qtbot, ctl.panel.reset_button)
    prev = ctl.loss_plot.previous()
    assert prev is not None and prev["label"] == "before Reset"
    np.testing.assert_array_equal(prev["val"], [r["val_loss"] for r in first])
    x, y = ctl.loss_plot.prev_val_curve.getData()
    assert len(x) == 3 and list(x) == [r["updates"] for r in first]
    assert "before Reset" in ctl.loss_plot.legend.text()
    _train_to_the_end(qtbot, ctl)
    assert ctl.trainer.epoch == 3 and ctl.loss_plot.update_count() == 3 * 37
    assert ctl.loss_plot.previous()["label"] == "before Reset"      # still there to compare with
    # another project: nothing to compare with
    doc = win.document
    doc.replace(doc.graph, dict(doc.positions), train_config=doc.train_config, data_spec=doc.dataset.spec,
                dataset=doc.dataset)
    assert ctl.loss_plot.previous() is None and "before Reset" not in ctl.loss_plot.legend.text()


def _main_window(qtbot, tmp_path, monkeypatch):
    from gui.window.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.io.open_example("1_linear_7_days.ncproj", ask=False)
    qtbot.waitUntil(lambda: win.document.dataset is not None, timeout=30000)
    target = tmp_path / "run.ncproj"
    monkeypatch.setattr(win, "ask_save_path", lambda: str(target))
    return win, target


def test_save_during_a_run_writes_the_weights_and_history_so_far(qtbot, tmp_path, monkeypatch):
    win, target = _main_window(qtbot, tmp_path, monkeypatch)
    ctl = win.training
    snaps: list[Snapshot] = []
    ctl.snapshot_received.connect(snaps.append)
    win.io.save()                                   # saved before training: not modified
    assert not win.document.is_modified()
    click(qtbot, ctl.panel.train_button)
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].updates > 30, timeout=20000)
    assert win.document.is_modified() and "*" in win.windowTitle()
    win.actionSave.trigger()
    done = ctl.trainer.updates                      # the mirror as saved
    saved = load_project(target)
    assert saved.weights is not None and saved.history is not None
    assert 30 < len(saved.history["update_loss"]) == done
    mirror = ctl.trainer.model.get_weights()
    for name, w in saved.weights.items():
        np.testing.assert_array_equal(w, mirror[name])
    assert len(saved.history["trajectory"]) == done + 1
    click(qtbot, ctl.panel.stop_button)
    win.document.mark_saved()
    win.close()


def test_closing_during_a_run_asks_first_and_cancel_keeps_it_going(qtbot, tmp_path, monkeypatch):
    win, _ = _main_window(qtbot, tmp_path, monkeypatch)
    ctl = win.training
    snaps: list[Snapshot] = []
    ctl.snapshot_received.connect(snaps.append)
    win.document.mark_saved()
    asked: list[str] = []
    answer = [QMessageBox.StandardButton.Cancel]

    def ask():
        asked.append(win.document.name)
        return answer[0]
    monkeypatch.setattr(win, "ask_unsaved", ask)
    click(qtbot, ctl.panel.train_button)
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].updates > 10, timeout=20000)
    win.close()
    assert asked and win.isVisible() and ctl.state == "running" and training_threads()
    answer[0] = QMessageBox.StandardButton.Discard
    win.close()
    assert len(asked) == 2 and not win.isVisible()
    qtbot.waitUntil(lambda: not training_threads(), timeout=10000)


def test_a_graph_edit_after_training_starts_a_new_history(qtbot):
    """Another network (a wider layer): the old curve belongs to the old network, so the new
    run's curve starts at update 1."""
    win = open_window(qtbot, sequential(7, [(4, "sigmoid")]), series_dataset())
    ctl = win.training
    try:
        _train_to_the_end(qtbot, ctl)
        doc = win.document
        node = next(n for n in doc.graph.nodes.values() if n.kind == "dense" and n.params.get("units") == 4)
        doc.graph.set_params(node.id, {"units": 6})
        old_val = [r["val_loss"] for r in ctl.trainer.epochs]
        _train_to_the_end(qtbot, ctl)
        assert ctl.trainer.epoch == 3 and ctl.loss_plot.update_count() == 3 * 37
        prev = ctl.loss_plot.previous()                 # the 4-unit network, to compare with
        assert prev["label"] == "previous network" and list(prev["val"]) == old_val
    finally:
        win.training.shutdown()


def test_reset_is_undone_from_the_edit_menu_and_train_goes_on(qtbot, tmp_path, monkeypatch):
    win, _ = _main_window(qtbot, tmp_path, monkeypatch)
    ctl, panel = win.training, win.training.panel
    panel.epochs_edit.selectAll()
    qtbot.keyClicks(panel.epochs_edit, "2")
    _train_to_the_end(qtbot, ctl)
    trained = {k: v.copy() for k, v in win.document.weights.items()}
    n = ctl.trainer.updates
    with qtbot.waitSignal(ctl.views_updated, timeout=10000):
        win.actionReset.trigger()
    assert win.document.weights is None and ctl.loss_plot.update_count() == 0
    assert win.actionUndo.text().replace("&", "") == "Undo Reset weights" and win.actionUndo.isEnabled()
    win.actionUndo.trigger()
    for k, w in trained.items():
        np.testing.assert_array_equal(win.document.weights[k], w)
    assert ctl.loss_plot.update_count() == n and ctl.loss_plot.epoch_count() == 2
    assert ctl.loss_plot.previous() is None                  # the run is back, not a "previous" one
    _train_to_the_end(qtbot, ctl)                            # goes on: 2 more epochs
    assert ctl.trainer.epoch == 4 and ctl.loss_plot.update_count() == 2 * n
    four = {k: v.copy() for k, v in win.document.weights.items()}
    win.actionRedo.trigger()                                 # Reset again: it discards the 4 epochs ...
    assert win.document.weights is None
    win.actionUndo.trigger()                                 # ... and undo brings those back, not the 2
    assert ctl.loss_plot.update_count() == 2 * n
    for k, w in four.items():
        np.testing.assert_array_equal(win.document.weights[k], w)
    win.document.mark_saved()
    win.close()


def test_new_data_clears_the_old_runs_curves_and_scores(qtbot, window):
    from tests.test_gui_training import xy_dataset
    ctl = window.training
    _train_to_the_end(qtbot, ctl)
    assert ctl.loss_plot.update_count() and "validation" in ctl.panel.metrics_label.text()
    other = xy_dataset()
    window.document.set_data(None, other.spec, other)
    assert ctl.loss_plot.update_count() == 0 and ctl.loss_plot.epoch_count() == 0
    assert "R²" not in ctl.panel.metrics_label.text()


def test_a_change_while_paused_says_what_train_will_do(qtbot, window):
    ctl, panel, doc = window.training, window.training.panel, window.document
    snaps: list[Snapshot] = []
    ctl.snapshot_received.connect(snaps.append)
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].updates > 10, timeout=20000)
    click(qtbot, panel.pause_button)
    qtbot.waitUntil(lambda: snaps[-1].state == "paused", timeout=10000)
    panel.lr_edit.selectAll()
    qtbot.keyClicks(panel.lr_edit, "0.02")
    assert ctl.actions["train"].text() == "&Resume"
    assert panel.state_label.text() == "Paused — the change applies when you resume"
    dense = next(n for n in doc.graph.nodes.values() if n.kind == "dense" and n.params.get("units") == 8)
    doc.graph.set_params(dense.id, {"units": 9})
    assert ctl.actions["train"].text() == "&Train"
    assert panel.state_label.text() == "Paused — Train starts the changed network"
    # the surface is drawn again for the changed network (it showed the old one)
    with qtbot.waitSignal(ctl.surface_updated, timeout=30000):
        pass
    assert ctl.surface_plot.surface is not None


def test_the_loss_plots_hover_line_goes_with_the_mouse_and_with_a_reset(qtbot, window):
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtWidgets import QApplication
    ctl = window.training
    _train_to_the_end(qtbot, ctl)
    lp = ctl.loss_plot
    vb = lp.plot.getPlotItem().getViewBox()
    lp._on_mouse_moved((vb.mapViewToScene(QPointF(50, 0)),))
    assert lp.cursor.isVisible() and lp.dot.isVisible()
    QApplication.sendEvent(lp.plot.viewport(), QEvent(QEvent.Type.Leave))   # what Qt sends as the mouse leaves
    assert not lp.cursor.isVisible() and not lp.dot.isVisible()
    lp._on_mouse_moved((vb.mapViewToScene(QPointF(50, 0)),))
    assert lp.cursor.isVisible()
    click(qtbot, ctl.panel.reset_button)
    assert not lp.cursor.isVisible() and not lp.dot.isVisible()
