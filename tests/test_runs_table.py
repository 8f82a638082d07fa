"""The runs table (issue 12, item 2), used as a person would: runs with different lags become
rows, Ctrl-clicking rows draws their curves on the loss and fit plots, a run's weights come back
by one undoable step, notes and deletions are undoable, and the rows survive Save and Open."""
import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.project import load_project
from engine.trainer import TrainConfig

pytestmark = pytest.mark.usefixtures("isolated_settings")
TIMEOUT = 60_000


def click(qtbot, widget, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, modifier)


def click_row(qtbot, view, row, modifier=Qt.KeyboardModifier.NoModifier, column=0):
    rect = view.table.visualRect(view.model.index(row, column))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def train(qtbot, win, epochs):
    """Train by pressing Train (full speed) until the run finishes; the trainer's epoch records."""
    ctl, doc = win.training, win.document
    doc.set_train_config(TrainConfig(**{**doc.train_config.to_dict(), "epochs": epochs}))
    ctl.set_speed(0)
    reasons = []
    ctl.training_finished.connect(reasons.append)
    with qtbot.waitSignals([ctl.training_finished, ctl.runs_recorder.recorded], timeout=TIMEOUT):
        click(qtbot, ctl.panel.train_button)                  # the row is built off the GUI thread
    ctl.training_finished.disconnect(reasons.append)
    assert reasons == ["epochs"]
    return [dict(r) for r in ctl.trainer.epochs]


def set_lags(qtbot, win, lags):
    """Dataset panel → Edit import, type the lags, OK."""
    dc = win.data_controller
    with qtbot.waitSignal(dc.dialog_opened, timeout=TIMEOUT) as opened:
        click(qtbot, dc.panel.edit_button)
    dlg = opened.args[0]
    qtbot.waitUntil(lambda: dlg.ok_button.isEnabled(), timeout=TIMEOUT)
    dlg.lags_spin.selectAll()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.keyClicks(dlg.lags_spin, str(lags))
    qtbot.waitUntil(lambda: dlg.ok_button.isEnabled(), timeout=TIMEOUT)
    with qtbot.waitSignal(dc.data_applied, timeout=TIMEOUT):
        click(qtbot, dlg.ok_button)
    assert win.document.dataset.X_train.shape[1] == lags


@pytest.fixture
def two_runs(qtbot, sigmoid_example_window):
    """Example 2 (7 → 16σ → 1 on lags 7) trained 3 epochs, then on lags 28 for 2 epochs."""
    win = sigmoid_example_window
    win.resize(1024, 700)
    first = train(qtbot, win, 3)
    win.boundaries = [win.training.fit_plot.ctx.boundary]       # where each data's validation starts
    set_lags(qtbot, win, 28)
    second = train(qtbot, win, 2)
    win.boundaries.append(win.training.fit_plot.ctx.boundary)
    win.runs_dock.raise_()
    qtbot.waitUntil(lambda: win.runs_view.table.isVisible(), timeout=TIMEOUT)
    return win, first, second


def test_two_runs_with_different_lags_give_two_rows(two_runs):
    win, first, second = two_runs
    runs = win.document.runs
    assert [r.number for r in runs] == [1, 2]
    assert [(r.graph, r.data) for r in runs] == [("7 → 16σ → 1", "lags 7"), ("28 → 16σ → 1", "lags 28")]
    for r, epochs in zip(runs, (first, second)):
        assert r.epochs == len(epochs) and r.updates == epochs[-1]["updates"]
        assert r.last_val == pytest.approx(epochs[-1]["val_loss"])
        assert r.best_val == pytest.approx(min(e["val_loss"] for e in epochs))
        assert r.last_train == pytest.approx(epochs[-1]["train_loss"])
        assert r.scores["val_r2"] == pytest.approx(epochs[-1]["val_r2"])
        assert r.curve["updates"] == [e["updates"] for e in epochs]
        assert r.weights is not None and r.seconds > 0 and r.stop_reason == "epochs"
    b = win.training.baselines.baselines                    # the lags-28 data's persistence MAE
    assert runs[1].baseline["name"] == "persistence"
    assert runs[1].baseline["val_mae"] == pytest.approx(b.persistence_val_mae)
    assert runs[1].baseline["mase"] == pytest.approx(second[-1]["val_mae"] / b.mase_scale)
    model = win.runs_view.model
    assert model.rowCount() == 2
    assert model.index(1, 3).data() == "lags 28" and model.index(0, 2).data() == "7 → 16σ → 1"


def test_selecting_two_rows_overlays_two_loss_curves_and_fits(qtbot, two_runs):
    win, first, second = two_runs
    view, ctl = win.runs_view, win.training
    click_row(qtbot, view, 0)
    click_row(qtbot, view, 1, Qt.KeyboardModifier.ControlModifier)
    assert [r.number for r in view.selected_runs()] == [1, 2]
    curves = ctl.loss_plot.overlay.curves()
    val = [c for c in curves if not c.get("dash")]
    assert len(val) == 2
    for c, epochs in zip(val, (first, second)):
        np.testing.assert_allclose(c["x"], [e["updates"] for e in epochs])
        np.testing.assert_allclose(c["y"], [e["val_loss"] for e in epochs], rtol=1e-12)
    assert val[0]["color"] != val[1]["color"]
    assert "run 1 (lags 7)" in ctl.loss_plot.legend.text() and "run 2 (lags 28)" in ctl.loss_plot.legend.text()
    fits = ctl.fit_plot.overlay.curves()
    assert len(fits) == 2 and all(len(f["x"]) > 100 for f in fits)
    for f, boundary in zip(fits, win.boundaries):         # the validation part of each run's series
        assert f["x"].min() == boundary
    train(qtbot, win, 1)                                  # a new row: the selection and its curves stay
    assert len(win.document.runs) == 3 and [r.number for r in view.selected_runs()] == [1, 2]
    assert len([c for c in ctl.loss_plot.overlay.curves() if not c.get("dash")]) == 2
    click_row(qtbot, view, 1)                             # a plain click: only run 2 is drawn
    assert len([c for c in ctl.loss_plot.overlay.curves() if not c.get("dash")]) == 1


def test_restoring_a_run_is_undoable_and_refused_for_another_network(qtbot, two_runs):
    win, _first, _second = two_runs
    view, ctl, doc = win.runs_view, win.training, win.document
    click_row(qtbot, view, 0)                             # run 1 is lags 7: the network now is 28 wide
    steps = doc.undo_stack.count()
    click(qtbot, view.restore_button)
    assert "7 → 16σ → 1" in view.message.text() and "28 → 16σ → 1" in view.message.text()
    assert doc.undo_stack.count() == steps
    train(qtbot, win, 2)                                  # goes on: new weights, a third row
    assert [r.epochs for r in doc.runs] == [3, 2, 4]
    after = {k: v.copy() for k, v in doc.weights.items()}
    run2 = doc.runs[1].weights
    assert any(not np.array_equal(after[k], run2[k]) for k in run2)
    click_row(qtbot, view, 1)
    click(qtbot, view.restore_button)
    assert doc.undo_stack.undoText() == "Restore run 2"
    for k, w in run2.items():
        np.testing.assert_array_equal(doc.weights[k], w)
        np.testing.assert_array_equal(ctl.current_weights()[k], w)
    doc.undo_stack.undo()
    for k, w in after.items():
        np.testing.assert_array_equal(doc.weights[k], w)
    doc.undo_stack.redo()
    for k, w in run2.items():
        np.testing.assert_array_equal(doc.weights[k], w)

    ctl.set_speed(50)                                     # restoring during a run: the run is a row first
    doc.set_train_config(TrainConfig(**{**doc.train_config.to_dict(), "epochs": 10_000}))
    snaps = []
    ctl.snapshot_received.connect(snaps.append)
    click(qtbot, ctl.panel.train_button)
    qtbot.waitUntil(lambda: any(s.updates > doc.runs[-1].updates + 5 for s in snaps), timeout=TIMEOUT)
    with qtbot.waitSignal(ctl.runs_recorder.recorded, timeout=TIMEOUT):
        click(qtbot, view.restore_button)
    assert [r.stop_reason for r in doc.runs] == ["epochs", "epochs", "epochs", "stopped"]
    assert doc.undo_stack.undoText() == "Restore run 2" and not ctl.training_active()
    for k, w in run2.items():
        np.testing.assert_array_equal(doc.weights[k], w)


def test_notes_and_deletions_are_undoable_and_rows_survive_save_and_open(qtbot, two_runs, tmp_path, monkeypatch):
    win, _first, _second = two_runs
    view, doc = win.runs_view, win.document
    rect = view.table.visualRect(view.model.index(1, 1))
    click_row(qtbot, view, 1, column=1)                   # a double-click is a press, then the double
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = view.table.focusWidget()
    qtbot.keyClicks(editor, "four weeks")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: doc.runs[1].note == "four weeks", timeout=TIMEOUT)   # the editor commits queued
    assert doc.undo_stack.undoText() == "Rename run 2"
    assert view.model.index(1, 1).data() == "four weeks"
    click_row(qtbot, view, 0)
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert [r.number for r in doc.runs] == [2]
    doc.undo_stack.undo()
    assert [r.number for r in doc.runs] == [1, 2] and view.model.rowCount() == 2
    doc.undo_stack.undo()
    assert doc.runs[1].note == ""
    doc.undo_stack.redo()

    target = tmp_path / "runs.ncproj"
    monkeypatch.setattr(win, "ask_save_path", lambda: str(target))
    win.actionSaveAs.trigger()
    saved = [r.to_json() for r in doc.runs]
    assert [r["note"] for r in (r.to_json() for r in load_project(target).runs)] == ["", "four weeks"]
    with qtbot.waitSignal(win.data_controller.project_data_loaded, timeout=TIMEOUT):
        assert win.open_path(str(target))
    assert [r.to_json() for r in win.document.runs] == saved
    assert win.runs_view.model.rowCount() == 2 and win.runs_view.model.index(1, 1).data() == "four weeks"

    out = tmp_path / "runs.csv"
    with qtbot.waitSignal(win.runs_view.export_csv(str(out)).done, timeout=TIMEOUT):
        pass
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert "Saved the runs table" in win.runs_view.message.text()
    assert [(r["run"], r["data"], r["note"]) for r in rows] == [("1", "lags 7", ""), ("2", "lags 28", "four weeks")]
    assert float(rows[1]["last_val_loss"]) == pytest.approx(win.document.runs[1].last_val)


def test_a_diverged_run_and_a_stopped_run_are_rows_too(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    ctl, doc = win.training, win.document
    doc.set_train_config(TrainConfig(**{**doc.train_config.to_dict(), "optimizer": "sgd", "lr": 1e4, "epochs": 5}))
    ctl.set_speed(0)
    with qtbot.waitSignals([ctl.training_finished, ctl.runs_recorder.recorded], timeout=TIMEOUT):
        click(qtbot, ctl.panel.train_button)
    r = doc.runs[-1]
    assert r.stop_reason == "diverged" and r.weights is None and "diverged" in r.weights_note
    view = win.runs_view
    heads = [view.model.headerData(i, Qt.Orientation.Horizontal) for i in range(view.model.columnCount())]
    assert view.model.index(0, heads.index("End")).data() == "diverged"
    assert view.model.index(0, heads.index("Weights")).data() == "not kept"
    doc.set_train_config(TrainConfig(**{**doc.train_config.to_dict(), "lr": 0.01, "epochs": 10_000}))
    ctl.set_speed(50)                                       # slow enough to be stopped mid-run
    snaps = []
    ctl.snapshot_received.connect(snaps.append)
    click(qtbot, ctl.panel.train_button)
    qtbot.waitUntil(lambda: any(s.updates > 5 for s in snaps), timeout=TIMEOUT)
    with qtbot.waitSignal(ctl.runs_recorder.recorded, timeout=TIMEOUT):
        click(qtbot, ctl.panel.stop_button)
    r2 = doc.runs[-1]
    assert [x.number for x in doc.runs] == [1, 2]
    assert r2.stop_reason == "stopped" and r2.updates == ctl.trainer.updates and r2.weights is not None
    assert r2.epochs == ctl.trainer.epoch
