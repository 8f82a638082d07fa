"""Regularization in the window, as a person sets it: a penalty and a schedule typed into the
training panel's "Regularization & schedule" group, a Dense node's own λ in the properties panel;
each is one undo step (SetTrainConfigCommand / SetParamsCommand), the run shows η and the penalty."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from engine.regularization import config_lr_at
from gui.document.commands import SetParamsCommand, SetTrainConfigCommand


def _last_command(doc):
    return doc.undo_stack.command(doc.undo_stack.index() - 1)


def test_panel_sets_a_penalty_and_a_schedule_and_undo_takes_them_back(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    doc, ctl = win.document, win.training
    panel, box = ctl.panel, ctl.panel.reg_box
    assert not box.body.isVisible()
    qtbot.mouseClick(box.toggle, Qt.MouseButton.LeftButton)            # open the group
    assert box.body.isVisible()
    l2 = box.edits["l2"]
    l2.selectAll()
    qtbot.keyClicks(l2, "0.01")
    assert doc.train_config.l2 == 0.01
    assert isinstance(_last_command(doc), SetTrainConfigCommand)
    combo = box.schedule_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.keyClick(combo, Qt.Key.Key_Down)                               # constant → step → cosine
    assert doc.train_config.lr_schedule == "cosine"
    assert "L2 0.01" in box.summary_label.text() and "cosine" in box.summary_label.text()
    # a wrong value turns red, says why and is not applied
    warm = box.edits["warmup"]
    warm.selectAll()
    qtbot.keyClicks(warm, "ab")
    assert doc.train_config.warmup == 0 and panel.has_errors()
    assert "warm-up" in panel.error_label.text()
    warm.selectAll()
    qtbot.keyClicks(warm, "3")
    assert doc.train_config.warmup == 3 and not panel.has_errors()
    # AdamW's decay is editable only with AdamW
    assert not box.edits["weight_decay"].isEnabled()
    win.actionUndo.trigger()
    assert doc.train_config.warmup == 0
    win.actionUndo.trigger()
    assert doc.train_config.lr_schedule == "constant" and combo.currentData() == "constant"
    win.actionUndo.trigger()
    assert doc.train_config.l2 == 0.0 and l2.text() == "0"
    win.actionRedo.trigger()
    win.actionRedo.trigger()
    assert (doc.train_config.l2, doc.train_config.lr_schedule) == (0.01, "cosine")


def test_a_run_shows_eta_live_the_penalty_and_eta_over_the_run(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    doc, ctl = win.document, win.training
    panel, box = ctl.panel, ctl.panel.reg_box
    qtbot.mouseClick(box.toggle, Qt.MouseButton.LeftButton)
    box.edits["l2"].selectAll()
    qtbot.keyClicks(box.edits["l2"], "0.001")
    box.schedule_combo.setFocus()
    qtbot.keyClick(box.schedule_combo, Qt.Key.Key_Down)                  # step
    panel.epochs_edit.selectAll()
    qtbot.keyClicks(panel.epochs_edit, "2")
    ctl.set_speed(0)
    with qtbot.waitSignal(ctl.training_finished, timeout=60_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    last = ctl.trainer.epochs[-1]
    assert last["penalty"] > 0 and "lr" in last
    assert "penalty" in panel.metrics_label.text()
    plot = ctl.loss_plot
    assert plot.lr_box.isEnabled()
    plot.lr_box.click()
    x, eta = plot.lr_curve_data()
    upe = ctl.trainer.updates_per_epoch
    cfg = doc.train_config
    assert len(x) and eta[0] == cfg.lr
    want = [config_lr_at(cfg, int(u) - 1, upe, 2 * upe) for u in x]
    np.testing.assert_allclose(eta, want)
    assert plot.plot.getPlotItem().getAxis("right").isVisible()


def test_progress_shows_the_current_eta_under_a_schedule(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    ctl, panel = win.training, win.training.panel
    box = panel.reg_box
    qtbot.mouseClick(box.toggle, Qt.MouseButton.LeftButton)
    box.edits["warmup"].selectAll()
    qtbot.keyClicks(box.edits["warmup"], "100")
    panel.epochs_edit.selectAll()
    qtbot.keyClicks(panel.epochs_edit, "1")
    ctl.set_speed(0)
    with qtbot.waitSignal(ctl.training_finished, timeout=60_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    u = ctl.trainer.updates
    eta = win.document.train_config.lr * min(1.0, u / 100)
    assert f"η {eta:.4g}" in panel.progress_label.text()


def test_a_dense_node_gets_its_own_penalty_in_the_properties_panel(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    doc = win.document
    win.scene.select_nodes(["dense1"])
    props = win.properties
    edit = props.editors["l2"]
    assert edit.text() == "" and "project's" in edit.placeholderText()
    edit.setFocus()
    qtbot.keyClicks(edit, "0.5")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert doc.graph.nodes["dense1"].params["l2"] == 0.5
    assert isinstance(_last_command(doc), SetParamsCommand)
    edit.selectAll()
    qtbot.keyClicks(edit, "lots")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert "Not accepted" in props.error_label.text()
    assert doc.graph.nodes["dense1"].params["l2"] == 0.5
    win.actionUndo.trigger()
    assert doc.graph.nodes["dense1"].params["l2"] is None and props.editors["l2"].text() == ""


def test_the_open_group_scrolls_in_a_1024_by_700_window(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    win.resize(1024, 700)
    win.reset_layout()
    panel = win.training.panel
    dock = panel.parentWidget()
    while not dock.objectName().endswith("Dock"):
        dock = dock.parentWidget()
    dock.raise_()
    qtbot.mouseClick(panel.reg_box.toggle, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    assert win.height() <= 700                     # the window does not grow
    assert panel.train_button.isVisible() and panel.train_button.height() > 10
    assert panel.train_button.mapTo(panel, panel.train_button.rect().bottomLeft()).y() <= panel.height()
