"""Training's edits are undo commands that change only the document, and undo tells the truth:
back at the saved state, the project is unmodified (Reset weights, the error surface's pair)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from gui.document.commands import ResetWeightsCommand



def _train_one_epoch(qtbot, win) -> None:
    ctl, panel = win.training, win.training.panel
    ctl.set_speed(0)
    panel.epochs_edit.selectAll()
    qtbot.keyClicks(panel.epochs_edit, "1")
    with qtbot.waitSignal(ctl.training_finished, timeout=60_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)


def test_reset_of_a_saved_project_and_its_undo_leave_it_unmodified(qtbot, sigmoid_example_window, tmp_path):
    win = sigmoid_example_window
    doc, ctl = win.document, win.training
    _train_one_epoch(qtbot, win)
    doc.mark_saved(str(tmp_path / "trained.ncproj"))      # what File → Save does once it has written
    trained = {k: v.copy() for k, v in doc.weights.items()}
    n = ctl.loss_plot.update_count()
    assert n > 0 and not doc.is_modified()
    with qtbot.waitSignal(ctl.views_updated, timeout=10_000):
        win.actionReset.trigger()
    assert doc.weights is None and doc.history is None and doc.is_modified()
    assert ctl.loss_plot.update_count() == 0 and ctl.state == "idle"
    assert isinstance(doc.undo_stack.command(doc.undo_stack.index() - 1), ResetWeightsCommand)
    win.actionUndo.trigger()
    assert not doc.is_modified() and "*" not in win.windowTitle()
    for k, w in trained.items():
        np.testing.assert_array_equal(doc.weights[k], w)
    assert ctl.loss_plot.update_count() == n               # the run is shown again
    win.actionRedo.trigger()
    assert doc.weights is None and doc.is_modified()


def test_reset_command_changes_only_the_document(qtbot, sigmoid_example_window):
    """Pushed by hand (as a script would), the command clears the document's results and the
    training views follow the document: no controller method is called by the command."""
    win = sigmoid_example_window
    doc, ctl = win.document, win.training
    _train_one_epoch(qtbot, win)
    saved = doc.weights
    doc.undo_stack.push(ResetWeightsCommand(doc))
    assert doc.weights is None and ctl.trainer is not None and ctl.trainer.updates == 0
    assert ctl.loss_plot.update_count() == 0
    doc.undo_stack.undo()
    assert doc.weights is saved and ctl.trainer is None and ctl.loss_plot.update_count() > 0


def test_picking_a_surface_pair_is_one_undo_step_and_undo_restores_the_pair(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    doc, ctl = win.document, win.training
    sp = ctl.surface_plot
    qtbot.waitUntil(lambda: sp.pair()[0] != "", timeout=30_000)
    if sp.surface is None:
        with qtbot.waitSignal(ctl.surface_updated, timeout=30_000):
            pass
    doc.mark_saved()
    before_pair, before_track = sp.pair(), list(doc.train_config.track)
    other = next(n for n in sp.combo_b.names() if n not in before_pair)
    sp.combo_b.lineEdit().selectAll()
    with qtbot.waitSignal(ctl.surface_updated, timeout=30_000):
        qtbot.keyClicks(sp.combo_b.lineEdit(), other)
        qtbot.keyClick(sp.combo_b.lineEdit(), Qt.Key.Key_Return)
    assert sp.pair() == (before_pair[0], other)
    assert doc.train_config.track == [before_pair[0], other] and doc.is_modified()
    assert "tracked pair" in win.actionUndo.text()
    with qtbot.waitSignal(ctl.surface_updated, timeout=30_000):
        win.actionUndo.trigger()
    assert list(doc.train_config.track) == before_track and not doc.is_modified()
    if len(before_track) == 2:
        assert sp.pair() == tuple(before_track)
    else:
        assert sp.pair() == before_pair                    # the default pair again
    assert sp.surface.names == sp.pair()
    with qtbot.waitSignal(ctl.surface_updated, timeout=30_000):
        win.actionRedo.trigger()
    assert sp.pair() == (before_pair[0], other) and sp.surface.names == sp.pair()
