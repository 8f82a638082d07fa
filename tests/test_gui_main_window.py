"""The main window as a person uses it: the example on start, Train blocked by a
bad graph, undo/redo through the menu actions, save → close → reopen, the unsaved
changes prompt, examples, recent files, and the API the other panels plug into."""
from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMessageBox

from engine.model import Model
from engine.project import load_project
from gui.document.commands import SetParamsCommand
from gui.window.examples import EXAMPLES, example_index, example_path
from gui.window.actions import ACTION_NAMES
from gui.window.main_window import PLOTS_SHARE

B = QMessageBox.StandardButton


@pytest.fixture(autouse=True)
def _settings(isolated_settings):
    """Every test here runs with QSettings in a temporary folder (see conftest)."""


@pytest.fixture
def window(qtbot):
    from gui.window.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    w.ask_unsaved = lambda: B.Discard           # no modal dialogs in tests unless a test says so
    w.show_error = lambda title, text: w.errors.append(text)
    w.errors = []
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.document.undo_stack.setClean()
    w.document._extra_dirty = False


def test_opens_the_lecture_first_model_with_every_named_action(window):
    """At start the window shows the first example: y = b + w·x₁, tomorrow from today."""
    w = window
    g = w.document.graph
    assert g.nodes["input"].params["features"] == 1
    assert [g.nodes[n].kind for n in g.topological_order()] == ["input", "dense", "output"]
    assert g.nodes["dense1"].params["units"] == 1
    assert w.document.issues() == []
    assert w.document.data_spec is not None and w.document.data_spec.target == "temp_max"
    assert w.document.data_spec.lags == 1 and w.document.train_config.loss == "mae"
    assert EXAMPLES[0].file == "linear_today.ncproj"
    assert w.windowTitle() == f"{EXAMPLES[0].name} — NetCanvas"
    for name in ACTION_NAMES:
        act = getattr(w, name)
        assert isinstance(act, QAction) and act.objectName() == name
        assert w.findChild(QAction, name) is act
    for name in ("actionNew", "actionOpen", "actionSave", "actionUndo", "actionRedo", "actionCopy",
                 "actionPaste", "actionCut", "actionSelectAll", "actionDelete"):
        assert not getattr(w, name).shortcut().isEmpty(), name
    assert set(w.menus) == {"file", "edit", "view", "train", "help"}
    assert w.canvas_view.objectName() == "canvas"
    assert w.palette.objectName() == "palette" and w.properties.objectName() == "properties"
    assert w.actionTrain.isEnabled()
    assert len(w.examples_menu.actions()) == len(EXAMPLES)


def test_a_width_mismatch_disables_train_with_the_reason(window, qtbot):
    w = window
    w.scene.select_nodes(["dense1"])
    spin = w.properties.editors["units"]
    with qtbot.waitSignal(w.train_blocked_changed) as blocker:
        spin.setValue(3)
    reason = blocker.args[0]
    assert "Output 'output' needs width 1" in reason
    assert not w.actionTrain.isEnabled()
    assert reason in w.actionTrain.toolTip()
    assert w.blocked_reason() == reason
    assert "needs width 1" in w.findChild(QLabel, "statusIssue").text()
    assert w.scene.nodes["output"].view.issues
    assert w.windowTitle().startswith(EXAMPLES[0].name + "*")
    with qtbot.waitSignal(w.train_blocked_changed) as blocker:
        w.actionUndo.trigger()
    assert blocker.args[0] == "" and w.actionTrain.isEnabled()
    w.actionRedo.trigger()
    assert w.document.graph.nodes["dense1"].params["units"] == 3


def test_extra_blocked_reason_comes_after_graph_problems(window, qtbot):
    w = window
    with qtbot.waitSignal(w.train_blocked_changed) as blocker:
        w.set_train_blocked_reason("import a CSV file first")
    assert blocker.args == ["import a CSV file first"]
    assert w.blocked_reason() == "import a CSV file first"
    assert "import a CSV file first" in w.actionTrain.toolTip()
    w.document.undo_stack.push(SetParamsCommand(w.document, "dense1", {"units": 2}))
    assert "needs width 1" in w.blocked_reason()               # the graph's problem comes first
    w.document.undo_stack.undo()
    with qtbot.waitSignal(w.train_blocked_changed) as blocker:
        w.set_train_blocked_reason(None)
    assert blocker.args == [""] and w.blocked_reason() is None


def test_edit_actions_undo_and_redo_every_kind_of_edit(window):
    w = window
    d, e = w.document, w.editor
    snapshots = [d.graph.to_dict()]
    e.add_node("sigmoid", (300.0, 300.0))
    snapshots.append(d.graph.to_dict())
    w.document.undo_stack.push(SetParamsCommand(d, "dense1", {"units": 5}))
    snapshots.append(d.graph.to_dict())
    w.scene.select_nodes(["dense1"])
    w.actionCopy.trigger()
    w.actionPaste.trigger()
    snapshots.append(d.graph.to_dict())
    e.connect("input", "sigmoid1")
    snapshots.append(d.graph.to_dict())
    w.scene.select_nodes(["dense1"])
    w.actionDelete.trigger()
    snapshots.append(d.graph.to_dict())
    for snap in reversed(snapshots[:-1]):
        w.actionUndo.trigger()
        assert d.graph.to_dict() == snap
    assert not w.actionUndo.isEnabled()
    for snap in snapshots[1:]:
        w.actionRedo.trigger()
        assert d.graph.to_dict() == snap


def test_save_close_reopen_gives_the_same_project(window, qtbot, tmp_path):
    from gui.window.main_window import MainWindow
    w = window
    w.editor.add_node("relu", (500.0, 400.0))
    path = str(tmp_path / "mine.ncproj")
    w.ask_save_path = lambda: path
    w.actionSave.trigger()                     # an example is a copy: Save asks where
    assert os.path.exists(path) and not w.document.is_modified()
    assert w.windowTitle() == "mine — NetCanvas"
    graph, positions = w.document.graph.to_dict(), dict(w.document.positions)
    config = w.document.train_config.to_dict()
    spec = w.document.data_spec.to_dict()
    w.close()
    w2 = MainWindow()
    qtbot.addWidget(w2)
    assert w2.open_path(path)
    d = w2.document
    assert d.graph.to_dict() == graph
    assert d.positions == positions
    assert d.train_config.to_dict() == config
    assert d.data_spec.to_dict() == spec
    assert d.path == path and not d.is_modified()
    assert os.path.abspath(path) in w2.recent_files()
    assert os.path.normpath(d.data_path).endswith(os.path.join("resources", "datasets", "seattle_weather.csv"))


def test_unsaved_changes_ask_save_discard_or_cancel(window, tmp_path):
    w = window
    w.editor.add_node("tanh", (300.0, 300.0))
    answers = []
    w.ask_unsaved = lambda: answers.pop(0)
    answers.append(B.Cancel)
    assert not w.io.new_project()
    assert "tanh1" in w.document.graph.nodes                 # nothing lost
    answers.append(B.Cancel)
    assert not w.close() and w.isVisible()
    path = str(tmp_path / "kept.ncproj")
    w.ask_save_path = lambda: path
    answers.append(B.Save)
    assert w.io.new_project()
    assert "tanh1" in load_project(path).graph.nodes         # saved before it was replaced
    assert set(w.document.graph.nodes) == {"input", "output"}
    w.editor.add_node("relu", (0.0, 200.0))
    answers.append(B.Discard)
    assert w.io.open_example("3_relu_hidden_layer.ncproj")
    assert "relu1" in w.document.graph.nodes and w.document.issues() == []


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_each_example_opens_and_validates(window, index):
    ex = EXAMPLES[index]
    project = load_project(example_path(index))
    assert project.name == ex.name and project.notes
    assert os.path.exists(project.data_path)
    with open(example_path(index), encoding="utf-8") as f:
        assert json.load(f)["data_path"] == f"../datasets/{ex.csv}"     # relative: the folder can move
    assert window.io.open_example(index, ask=False)
    d = window.document
    assert d.issues() == [] and d.name == ex.name
    assert d.path is None                                          # Save will not overwrite the example
    spec = d.data_spec.to_dict()
    assert {k: spec[k] for k in ex.data_spec} == ex.data_spec         # newer keys keep their defaults
    xs = [d.positions[n][0] for n in d.graph.topological_order()]
    assert len(set(xs)) > 1                                        # laid out, not stacked
    assert window.actionTrain.isEnabled()


def test_the_deep_example_lists_every_parameter_and_a_typed_one_is_picked(window, qtbot):
    """Example 4 has about 37,000 scalars. The error-surface pickers were filled one
    row at a time and the window froze for minutes (a CI run hung on it)."""
    ctl = window.training
    with qtbot.waitSignal(ctl.surface_updated, timeout=60_000):
        assert window.io.open_example("4_deep_overfits.ncproj", ask=False)
    names = Model(window.document.graph).scalar_names()
    assert len(names) > 30_000
    combo = ctl.surface_plot.combo_b
    assert combo.names() == names
    combo.lineEdit().selectAll()
    with qtbot.waitSignal(ctl.surface_updated, timeout=60_000):
        qtbot.keyClicks(combo.lineEdit(), names[-2])
        qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    assert ctl.surface_plot.pair()[1] == names[-2]
    assert ctl.surface_plot.surface.names[1] == names[-2]


def test_open_path_dispatches_csv_and_reports_bad_projects(window, tmp_path):
    w = window
    seen = []
    w.csv_import_handler = seen.append
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n")
    assert w.open_path(str(csv)) and seen == [str(csv)]
    bad = tmp_path / "bad.ncproj"
    bad.write_text("{ not json")
    before = w.document.graph.to_dict()
    assert not w.open_path(str(bad))
    assert w.errors and "not valid JSON" in w.errors[-1]
    assert w.document.graph.to_dict() == before


def test_project_data_loader_is_called_with_the_opened_project(window):
    w = window
    calls = []
    w.project_data_loader = calls.append
    w.io.open_example("5_iris_classifier.ncproj", ask=False)
    assert calls and calls[0].data_path.endswith("iris.csv")
    assert w.document.graph.nodes["output"].params == {"task": "multiclass", "units": 3}


def test_panels_plots_and_training_lock(window, qtbot):
    w = window
    panel = QLabel("panel")
    panel.setObjectName("testPanel")
    dock = w.add_panel_dock(panel, "Test")
    assert dock.widget() is panel and w.tabifiedDockWidgets(w.properties_dock)
    plots = [QLabel(f"plot {i}") for i in range(4)]
    for i, p in enumerate(plots):
        w.add_plot(p, f"Plot {i}")
    assert w.plots_dock.isVisible()
    assert {w.plot_grid.grid.getItemPosition(i)[:2] for i in range(4)} >= {(0, 0), (0, 1), (1, 0), (1, 1)}
    w.set_training_locked(True, "training is running")
    assert not w.actionDelete.isEnabled() and not w.actionUndo.isEnabled()
    count = w.document.undo_stack.count()
    assert w.editor.add_node("relu", (0.0, 300.0)) is None
    assert w.document.undo_stack.count() == count
    assert "training is running" in w.canvas_view.locked_reason
    w.set_training_locked(False, "")
    assert w.editor.add_node("relu", (0.0, 300.0)) == "relu1"


def test_new_project_has_input_and_output_and_recent_menu_lists_files(window, tmp_path):
    w = window
    assert w.io.new_project()
    assert w.windowTitle() == "Untitled — NetCanvas"
    assert {n.kind for n in w.document.graph.nodes.values()} == {"input", "output"}
    path = str(tmp_path / "r.ncproj")
    w.ask_save_path = lambda: path
    assert w.io.save()
    w.recent_menu.aboutToShow.emit()
    texts = [a.text() for a in w.recent_menu.actions()]
    assert any("r.ncproj" in t for t in texts)


def test_dropping_a_csv_on_the_canvas_imports_it_and_examples_menu_opens_examples(window, qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication
    w = window
    seen = []
    w.csv_import_handler = seen.append
    csv = tmp_path / "drop.csv"
    csv.write_text("a,b\n1,2\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(csv))])
    vp = w.canvas_view.viewport()
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, drop)
    assert seen == [str(csv)]
    relu = example_index("3_relu_hidden_layer.ncproj")
    act = w.findChild(QAction, f"actionExample{relu + 1}")
    assert "ReLU" in act.text() and act.toolTip()
    act.trigger()
    assert w.document.name == EXAMPLES[relu].name
    assert w.document.graph.of_kind("relu")


def test_space_drag_pans_the_canvas(window):
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
    from PySide6.QtGui import QKeyEvent, QMouseEvent
    from PySide6.QtWidgets import QApplication
    v = window.canvas_view
    QApplication.sendEvent(v, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier))
    c0 = v.center_scene_pos()
    vp = v.viewport()
    p = vp.rect().center()
    L, N = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, pos, button, buttons in ((QEvent.Type.MouseButtonPress, p, L, L),
                                       (QEvent.Type.MouseMove, p + QPoint(0, 80), N, L),
                                       (QEvent.Type.MouseButtonRelease, p + QPoint(0, 80), L, N)):
        QApplication.sendEvent(vp, QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(v, QKeyEvent(QEvent.Type.KeyRelease, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier))
    assert v.center_scene_pos().y() < c0.y() - 40
    assert window.scene.selected_node_ids() == []          # a pan is not a rubber-band selection


def _plots_share(w) -> float:
    return w.plots_dock.height() / w.height()


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)])
def test_default_layout_gives_the_plots_over_half_the_height_and_a_readable_canvas(window, qtbot, size):
    w = window
    w.resize(*size)
    w.reset_layout()
    qtbot.waitUntil(lambda: PLOTS_SHARE - 0.05 <= _plots_share(w) <= PLOTS_SHARE + 0.05)
    assert w.palette_dock.width() < 200 and w.canvas_view.width() > 0.6 * size[0]
    for index, least in (("1_linear_7_days.ncproj", 1.0), ("2_sigmoid_hidden_layer.ncproj", 0.85),
                         ("5_iris_classifier.ncproj", 0.85)):
        w.io.open_example(index, ask=False)
        qtbot.waitUntil(lambda least=least: w.canvas_view.zoom() >= least)     # fitted, and not tiny
        visible = w.canvas_view.mapToScene(w.canvas_view.viewport().rect()).boundingRect()
        assert visible.contains(w.scene.nodes_rect())
        assert w.zoom_label.text() == f"{w.canvas_view.zoom() * 100:.0f}%"


def test_reset_layout_puts_the_panels_back_and_fits_the_canvas(window, qtbot):
    w = window
    qtbot.waitUntil(lambda: PLOTS_SHARE - 0.05 <= _plots_share(w) <= PLOTS_SHARE + 0.05)
    w.palette_dock.close()
    w.resizeDocks([w.plots_dock], [120], Qt.Orientation.Vertical)
    w.canvas_view.zoom_in()
    w.canvas_view.translate_view(300, 200)
    qtbot.waitUntil(lambda: _plots_share(w) < 0.4)        # as small as the plots allow
    w.actionResetLayout.trigger()
    qtbot.waitUntil(lambda: PLOTS_SHARE - 0.05 <= _plots_share(w) <= PLOTS_SHARE + 0.05 and w.palette_dock.isVisible())
    view = w.canvas_view
    qtbot.waitUntil(lambda: view.mapToScene(view.viewport().rect()).boundingRect().contains(w.scene.nodes_rect()))
    assert view.auto_fit


def test_train_follows_every_edit_at_once_with_the_reason(window, qtbot):
    """Drop a layer, delete it with the Delete key: Train is disabled with the reason (tooltip, status
    bar) the moment the graph breaks and enabled again the moment it is whole, with the training
    controller installed."""
    from PySide6.QtCore import QMimeData, QPoint, QPointF
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication
    w = window
    assert w.training is not None and w.actionTrain.isEnabled()
    mime = QMimeData()
    mime.setData("application/x-netcanvas-node-kind", b"relu")
    vp = w.canvas_view.viewport()
    QApplication.sendEvent(vp, QDragEnterEvent(QPoint(60, 60), Qt.DropAction.CopyAction, mime,
                                               Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    with qtbot.waitSignal(w.train_blocked_changed) as blocker:
        QApplication.sendEvent(vp, QDropEvent(QPointF(60, 60), Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    reason = blocker.args[0]
    assert "ReLU 'relu1'" in reason
    assert not w.actionTrain.isEnabled() and not w.actionStep.isEnabled()
    assert f"Cannot train: {reason}" in w.actionTrain.toolTip()
    assert "relu1" in w.findChild(QLabel, "statusIssue").text()
    assert w.scene.selected_node_ids() == ["relu1"] and w.canvas_view.hasFocus()
    with qtbot.waitSignal(w.train_blocked_changed) as blocker:
        qtbot.keyClick(w.canvas_view, Qt.Key.Key_Delete)
    assert blocker.args == [""]
    assert "relu1" not in w.document.graph.nodes
    assert w.actionTrain.isEnabled() and "Cannot train" not in w.actionTrain.toolTip()
    with qtbot.waitSignal(w.train_blocked_changed):
        qtbot.keyClick(w.canvas_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "relu1" in w.document.graph.nodes and not w.actionTrain.isEnabled()


def test_backspace_on_the_canvas_deletes_and_keeps_the_links(window, qtbot):
    w = window
    w.scene.select_nodes(["dense1"])
    w.canvas_view.setFocus()
    qtbot.keyClick(w.canvas_view, Qt.Key.Key_Backspace)
    g = w.document.graph
    assert "dense1" not in g.nodes and [(e.src, e.dst) for e in g.edges] == [("input", "output")]
    assert w.document.undo_stack.undoText() == "Delete 1 node (keep links)"
    # Input → Output alone (the first example's one feature fits the Output) has nothing to learn
    assert w.blocked_reason().startswith("the network has no parameters to learn")
    assert not w.actionTrain.isEnabled()


def test_without_data_train_says_to_load_data_first(window, qtbot):
    w = window
    w.io.new_project()
    assert w.document.dataset is None and w.document.issues()          # Input and Output not joined yet
    with qtbot.waitSignal(w.train_blocked_changed) as blocker:
        assert w.editor.connect("input", "output")
    assert blocker.args[0].startswith("load data first")
    assert w.blocked_reason() == blocker.args[0]
    assert not w.actionTrain.isEnabled() and "Import CSV" in w.actionTrain.toolTip()
    assert "load data first" in w.findChild(QLabel, "statusIssue").text()


def test_ctrl_z_in_a_properties_field_undoes_the_graph_edit(window, qtbot):
    """After typing a value and Enter the focus stays in the field; Ctrl+Z there must undo that
    change of the network (what the Edit menu promises), not be eaten by the field."""
    w = window
    w.activateWindow()
    w.scene.select_nodes(["dense1"])
    spin = w.properties.editors["units"]
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "5")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert w.document.graph.nodes["dense1"].params["units"] == 5
    assert w.actionUndo.text() == "&Undo Set dense1 units = 5"
    qtbot.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.document.graph.nodes["dense1"].params["units"] == 1
    assert w.properties.editors["units"].value() == 1
    qtbot.keyClick(w.properties.editors["units"], Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert w.document.graph.nodes["dense1"].params["units"] == 5


def test_layout_and_geometry_are_remembered_for_the_next_start(window, qtbot):
    from gui.window.main_window import MainWindow
    w = window
    w.palette_dock.hide()
    w.resize(1200, 800)
    w.close()
    assert w.settings.value("windowState") is not None and w.settings.value("geometry") is not None
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.palette_dock.isHidden()          # (the offscreen screen clamps the restored size)
    again.reset_layout()
    assert again.palette_dock.isVisible()
    again.document.undo_stack.setClean()


def test_the_canvas_context_menu_holds_the_window_edits(window):
    menu = window.canvas_view.build_context_menu(window.scene.nodes["dense1"].sceneBoundingRect().center())
    acts = menu.actions()
    for act in (window.actionUndo, window.actionDelete, window.actionDeleteKeepLinks, window.actionArrange,
                window.actionZoomFit):
        assert act in acts
    assert window.scene.selected_node_ids() == ["dense1"]          # right-click selects what is under it
    assert window.actionDeleteKeepLinks.isEnabled()


def test_a_new_project_shows_first_steps_but_saves_no_made_up_description(window, tmp_path):
    w = window
    w.document.mark_saved()                    # nothing to ask about
    w.actionNew.trigger()
    page = " ".join(label.text() for label in w.properties.findChildren(QLabel))
    assert "between Input and Output" in page and "Import CSV" in page
    path = str(tmp_path / "new.ncproj")
    w.ask_save_path = lambda: path
    w.actionSave.trigger()
    assert load_project(path).notes == ""


def test_new_network_built_by_double_clicks_then_ctrl_l_reads_left_to_right(window, qtbot):
    """File → New, double-click Dense, Sigmoid, Dense in the palette (each lands at the view centre,
    clear of the others), then Ctrl+L before wiring anything: one row Input → … → Output, one undo step."""
    from gui.canvas.editing import CARD_GAP
    from gui.canvas.items import NODE_H, NODE_W
    w = window
    w.document.mark_saved()
    w.actionNew.trigger()
    qtbot.waitUntil(lambda: set(w.scene.nodes) == {"input", "output"})
    pal = w.palette
    for kind in ("dense", "sigmoid", "dense"):
        at = pal.visualRect(pal.model().index_of_kind(kind)).center()
        qtbot.mouseClick(pal.viewport(), Qt.MouseButton.LeftButton, pos=at)    # a double-click's first press
        qtbot.mouseDClick(pal.viewport(), Qt.MouseButton.LeftButton, pos=at)
    pos = dict(w.document.positions)
    assert len(pos) == 5
    ids = list(pos)
    for i, a in enumerate(ids):                      # no card touches another, ports well apart
        for b in ids[i + 1:]:
            gap = max(abs(pos[a][0] - pos[b][0]) - NODE_W, abs(pos[a][1] - pos[b][1]) - NODE_H)
            assert gap >= CARD_GAP, (a, b)
    w.canvas_view.setFocus()
    qtbot.keyClick(w.canvas_view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    stack = w.document.undo_stack
    assert stack.undoText() == "Arrange nodes"
    p = w.document.positions
    row = sorted(p, key=lambda n: p[n][0])
    assert row == ["input", "dense1", "sigmoid1", "dense2", "output"]
    assert len({p[n][1] for n in row}) == 1
    shown = w.canvas_view.mapToScene(w.canvas_view.viewport().rect()).boundingRect()
    assert all(shown.contains(item.sceneBoundingRect()) for item in w.scene.nodes.values())
    qtbot.keyClick(w.canvas_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.document.positions == pos


def test_the_status_bar_says_training_while_a_run_goes(window, qtbot):
    """It said "✓ ready to train" all through a run."""
    from PySide6.QtWidgets import QToolBar
    ctl, label = window.training, window.issue_label
    bar = window.findChild(QToolBar, "mainToolBar")

    def press(action, state):
        with qtbot.waitSignal(ctl.state_changed, check_params_cb=lambda s: s == state, timeout=10_000):
            qtbot.mouseClick(bar.widgetForAction(action), Qt.MouseButton.LeftButton)

    assert label.text() == "✓ ready to train"
    press(window.actionTrain, "running")
    assert label.text() == "● training"
    press(window.actionPause, "paused")
    assert label.text() == "❚❚ paused"
    press(window.actionStop, "stopped")
    assert label.text() == "✓ ready to train"
