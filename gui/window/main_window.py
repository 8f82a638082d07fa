"""The main window: canvas in the centre, palette left, panels right, plots below.

``MainWindow()`` opens built-in example 1. Other parts of the program plug in
through :class:`gui.window.protocols.WindowServices` (``add_panel_dock``, ``add_plot``,
``set_training_locked``, ``csv_import_handler``, ``project_data_loader``, ``show_error``, …),
plus ``set_train_blocked_reason`` and the ``train_blocked_changed`` signal. Projects are
opened and saved by ``gui/document/project_io.py``; dialogs go through the public ``ask_*``
methods, which tests replace.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QFrame, QGridLayout, QLabel, QMainWindow,
                               QMessageBox, QVBoxLayout, QWidget)

from gui.canvas.palette import PaletteView
from gui.canvas.view import CanvasView
from gui.data.controller import install_data
from gui.document.document import Document
from gui.window.examples import EXAMPLES
from gui.window.actions import create_actions, create_menus, create_toolbar
from gui.canvas.properties import PropertiesPanel
from gui.document.project_io import ProjectIO
from gui.steps.strip import install_three_steps
from gui.training.install import install_training

__all__ = ["MainWindow"]

PROJECT_FILTER = "NetCanvas projects (*.ncproj *.json);;CSV data (*.csv);;All files (*)"
PALETTE_WIDTH = 150           # default dock sizes (View → Reset layout restores them) from 1400 px wide;
PANELS_WIDTH = 310            # a smaller window narrows them towards the _SMALL widths at 1024 px,
PALETTE_WIDTH_SMALL = 128     # so the canvas keeps a readable zoom and the plots their labels
PANELS_WIDTH_SMALL = 240
SMALL_WINDOW, LARGE_WINDOW = 1024, 1400
PLOTS_SHARE = 0.56            # of the window's height: four plots stay readable, the canvas fits a chain;
PLOTS_SHARE_SMALL = 0.58      # up to this in a 700 px high window, where the canvas's zoom is set by its
SMALL_HEIGHT, LARGE_HEIGHT = 700, 900     # width and the plots need each pixel for their axes


class PlotGrid(QWidget):
    """Plots in a two-column grid, so all four are visible at once in a large window."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("plotGrid")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(4, 4, 4, 4)
        self.grid.setSpacing(6)
        self.frames: list[QFrame] = []

    def add(self, widget: QWidget, title: str) -> QFrame:
        frame = QFrame()
        frame.setObjectName(f"plotFrame_{widget.objectName() or len(self.frames)}")
        frame.setStyleSheet(f"QFrame#{frame.objectName()} {{ background: white; border: 1px solid #e5e7eb;"
                            " border-radius: 6px; }")
        lay = QVBoxLayout(frame)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.setSpacing(2)
        label = QLabel(title)
        label.setStyleSheet("font-weight: 600; color: #374151; border: none;")
        lay.addWidget(label)
        lay.addWidget(widget, 1)
        n = len(self.frames)
        self.grid.addWidget(frame, n // 2, n % 2)
        self.frames.append(frame)
        return frame


class MainWindow(QMainWindow):
    train_blocked_changed = Signal(str)     # "" when the graph can be trained

    def __init__(self, open_example: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.document = Document(self)
        self._opened_data_path = None     # the data the open project came with (the title)
        self.csv_import_handler = None          # set by install_data: f(path)
        self.project_data_loader = None         # set by install_data: f(project)
        self.training = None                    # the TrainingController, set by install_training
        self.training_locked = False
        self._extra_block: str | None = None
        self._blocked: str | None = None
        self.settings = QSettings()
        self.resize(1400, 900)

        self.canvas_view = CanvasView(self.document, self)
        self.scene = self.canvas_view.canvas_scene
        self.editor = self.canvas_view.editor
        self.setCentralWidget(self.canvas_view)
        self.palette = PaletteView()
        self.palette_dock = self._dock(self.palette, "Palette", "paletteDock", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.properties = PropertiesPanel(self.document, self.scene)
        self.properties_dock = self._dock(self.properties, "Properties", "propertiesDock",
                                          Qt.DockWidgetArea.RightDockWidgetArea)
        self.plot_grid = PlotGrid()
        self.plots_dock = self._dock(self.plot_grid, "Plots", "plotsDock", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.plots_dock.hide()
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.palette_dock, self.properties_dock], list(self._side_widths()),
                         Qt.Orientation.Horizontal)

        create_actions(self)
        self.menus = create_menus(self)
        self.toolbar = create_toolbar(self)
        for dock in (self.palette_dock, self.properties_dock, self.plots_dock):
            self.panels_menu.addAction(dock.toggleViewAction())
        self._build_status_bar()
        self.io = ProjectIO(self)
        self._wire()
        self._fill_examples_menu()
        self.setAcceptDrops(True)

        self._install_helpers()
        self._initial_dock_sizes()
        if open_example:
            self.io.open_example(0, ask=False)
        self.update_title()
        self._update_blocked()
        self._default_state = self.saveState()
        self._restore_settings()

    # -- construction ------------------------------------------------------------
    def _dock(self, widget: QWidget, title: str, name: str, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.issue_label = QLabel()
        self.issue_label.setObjectName("statusIssue")
        self.zoom_label = QLabel("100%")
        self.zoom_label.setStyleSheet("color: #6b7280; padding: 0 6px;")
        sb.addPermanentWidget(self.issue_label)
        sb.addPermanentWidget(self.zoom_label)

    def _wire(self) -> None:
        d, v, e, s = self.document, self.canvas_view, self.editor, self.document.undo_stack
        d.replaced.connect(self._remember_opened_data)
        d.modified_changed.connect(self.update_title)
        d.path_changed.connect(self.update_title)
        d.replaced.connect(self.update_title)
        d.dataset_changed.connect(self.update_title)
        d.graph_changed.connect(self._update_blocked)
        d.dataset_changed.connect(self._update_blocked)
        d.replaced.connect(self._on_document_replaced)
        e.message.connect(self._on_editor_message)
        v.zoom_changed.connect(self._on_canvas_zoom_changed)
        v.files_dropped.connect(self._on_canvas_files_dropped)
        self.palette.kind_activated.connect(self._on_palette_kind_activated)
        self.scene.selectionChanged.connect(self._update_edit_actions)
        self.scene.selectionChanged.connect(self._on_scene_selection_changed)
        s.canUndoChanged.connect(self._update_edit_actions)
        s.canRedoChanged.connect(self._update_edit_actions)
        s.undoTextChanged.connect(self._on_undo_text_changed)
        s.redoTextChanged.connect(self._on_redo_text_changed)
        a = self
        a.actionNew.triggered.connect(self.io.new_project)
        a.actionOpen.triggered.connect(self.io.open_dialog)
        a.actionSave.triggered.connect(self.io.save)
        a.actionSaveAs.triggered.connect(self.io.save_as)
        a.actionQuit.triggered.connect(self.close)
        a.actionUndo.triggered.connect(self._undo)
        a.actionRedo.triggered.connect(self._redo)
        a.actionCut.triggered.connect(e.cut)
        a.actionCopy.triggered.connect(e.copy)
        a.actionPaste.triggered.connect(lambda: e.paste())
        a.actionDelete.triggered.connect(lambda: e.delete_selection())
        a.actionDeleteKeepLinks.triggered.connect(lambda: e.delete_selection(keep_links=True))
        a.actionSelectAll.triggered.connect(e.select_all)
        a.actionArrange.triggered.connect(v.arrange)
        a.actionZoomIn.triggered.connect(v.zoom_in)
        a.actionZoomOut.triggered.connect(v.zoom_out)
        a.actionZoomFit.triggered.connect(v.fit_to_view)
        a.actionResetLayout.triggered.connect(self.reset_layout)
        a.actionAbout.triggered.connect(self._show_about)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        v.context_actions = [a.actionUndo, a.actionRedo, None, a.actionCut, a.actionCopy, a.actionPaste,
                             a.actionDelete, a.actionDeleteKeepLinks, None, a.actionSelectAll,
                             a.actionArrange, None, a.actionZoomIn, a.actionZoomOut, a.actionZoomFit]
        self._update_edit_actions()

    def _install_helpers(self) -> None:
        """Let the data and training parts add their panels, plots and wiring."""
        install_data(self)
        self.training = install_training(self)
        self.training.state_changed.connect(self._update_blocked)
        self.canvas_view.attach_training(self.training)      # the cards follow a run live
        install_three_steps(self)                            # ① Model · ② Loss · ③ Optimization

    def _fill_examples_menu(self) -> None:
        for i, ex in enumerate(EXAMPLES):
            act = self.examples_menu.addAction(f"{i + 1}. {ex.name}")
            act.setObjectName(f"actionExample{i + 1}")
            act.setToolTip(ex.description)
            act.setStatusTip(ex.description)
            act.triggered.connect(lambda _=False, k=i: self.io.open_example(k))

    # -- API for the other parts -----------------------------------------------------
    def add_panel_dock(self, widget: QWidget, title: str) -> QDockWidget:
        """A dock on the right, tabbed with Properties."""
        name = f"{widget.objectName() or title.replace(' ', '')}Dock"
        # an explicit minimum keeps one long label in a panel from widening the whole window
        widget.setMinimumWidth(min(widget.minimumSizeHint().width(), PANELS_WIDTH_SMALL))
        dock = self._dock(widget, title, name, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.properties_dock, dock)
        self.properties_dock.raise_()
        self.panels_menu.addAction(dock.toggleViewAction())
        return dock

    def add_plot(self, widget: QWidget, title: str) -> QFrame:
        """A plot in the bottom grid (two columns); the plots dock appears with the first."""
        widget.setMinimumSize(200, 120)     # plots shrink with the window instead of pushing the canvas
        frame = self.plot_grid.add(widget, title)
        if not self.plots_dock.isVisible() and len(self.plot_grid.frames) == 1:
            self.plots_dock.show()
            self.resizeDocks([self.plots_dock], [self._plots_height()], Qt.Orientation.Vertical)
        return frame

    def set_training_locked(self, locked: bool, reason: str = "") -> None:
        """While training, edits of the network are refused and the canvas says why."""
        self.training_locked = bool(locked)
        self.canvas_view.set_locked(locked, reason or "training is running")
        self.palette.set_locked(locked)
        self.properties.set_locked(locked)
        self._update_edit_actions()
        if locked:
            self.statusBar().showMessage(reason or "Editing is paused while training runs", 5000)

    def set_train_blocked_reason(self, text: str | None) -> None:
        """An extra reason Train is unavailable (e.g. no data), shown after graph problems."""
        self._extra_block = text or None
        self._update_blocked()

    def blocked_reason(self) -> str | None:
        """Why Train cannot start now (None when it can): the graph's first problem, then an
        extra reason set by another part, then missing data."""
        return self.document.train_blocked_reason(self._extra_block)

    def open_path(self, path: str) -> bool:
        """Open a project (.ncproj/.json) or import a CSV, as a drop of that file does."""
        return self.io.open_path(path)

    # -- state ----------------------------------------------------------------------
    def _remember_opened_data(self) -> None:
        self._opened_data_path = self.document.data_path

    def update_title(self, *_) -> None:
        d = self.document
        name = d.name or "Untitled"
        if d.path is None and d.data_path and d.data_path != self._opened_data_path:
            # an unsaved project (an example) now on another file: not the example's name
            name = f"Untitled — {os.path.basename(d.data_path)}"
        star = "*" if d.is_modified() else ""
        self.setWindowTitle(f"{name}{star} — NetCanvas")

    def _update_blocked(self) -> None:
        reason = self.blocked_reason()
        issues = self.document.issues()
        if issues:
            more = f"  (+{len(issues) - 1} more)" if len(issues) > 1 else ""
            self.issue_label.setText(_elide(f"⚠ {issues[0].message}{more}", 90))
            self.issue_label.setToolTip("\n".join(i.message for i in issues))
            self.issue_label.setStyleSheet("color: #dc2626; padding: 0 6px;")
        elif self.training is not None and self.training.state in ("running", "paused"):
            running = self.training.state == "running"      # not "ready to train": it is training
            self.issue_label.setText("● training" if running else "❚❚ paused")
            self.issue_label.setToolTip("Pause, Step or Stop in the Train menu or the toolbar")
            self.issue_label.setStyleSheet("color: #1d4ed8; padding: 0 6px;")
        else:
            self.issue_label.setText("✓ ready to train" if not reason else _elide(f"⚠ {reason}", 90))
            self.issue_label.setToolTip("")
            self.issue_label.setStyleSheet(f"color: {'#15803d' if not reason else '#b45309'}; padding: 0 6px;")
        for act in (self.actionTrain, self.actionStep, self.actionStepEpoch):
            if self.training is None:           # afterwards the controller decides
                act.setEnabled(reason is None)
            act.setToolTip(_action_tip(act) if reason is None else f"{_action_tip(act)}\nCannot train: {reason}")
        if reason != self._blocked:
            self._blocked = reason
            self.train_blocked_changed.emit(reason or "")
            if reason:
                self.statusBar().showMessage(_elide(f"Cannot train: {reason}", 110), 6000)
            elif self.statusBar().currentMessage().startswith("Cannot train"):
                self.statusBar().clearMessage()     # the reason is gone: do not contradict "ready"

    def _update_edit_actions(self, *_) -> None:
        s, locked = self.document.undo_stack, self.training_locked
        has_sel = bool(self.scene.selected_node_ids() or self.scene.selected_edges())
        has_nodes = bool(self.scene.selected_node_ids())
        self.actionUndo.setEnabled(s.canUndo() and not locked)
        self.actionRedo.setEnabled(s.canRedo() and not locked)
        self.actionCut.setEnabled(has_nodes and not locked)
        self.actionCopy.setEnabled(has_nodes)
        self.actionPaste.setEnabled(not locked)
        self.actionDelete.setEnabled(has_sel and not locked)
        self.actionDeleteKeepLinks.setEnabled(has_nodes and not locked)
        self.actionArrange.setEnabled(not locked)

    def _on_undo_text_changed(self, text: str) -> None:
        self.actionUndo.setText(f"&Undo {text}" if text else "&Undo")

    def _on_redo_text_changed(self, text: str) -> None:
        self.actionRedo.setText(f"&Redo {text}" if text else "&Redo")

    def _undo(self) -> None:
        if not self.training_locked:
            self.document.undo_stack.undo()

    def _redo(self) -> None:
        if not self.training_locked:
            self.document.undo_stack.redo()

    def _on_document_replaced(self) -> None:
        self._update_edit_actions()
        self.properties_dock.raise_()       # another project: its page (name, notes, description) on top
        QTimer.singleShot(0, self.canvas_view.fit_to_view)

    def _on_scene_selection_changed(self) -> None:
        if len(self.scene.selected_node_ids()) == 1:
            self.properties_dock.raise_()

    def _on_editor_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    def _on_canvas_zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%")

    def _on_canvas_files_dropped(self, paths: list) -> None:
        self.open_path(paths[0])

    def _on_palette_kind_activated(self, kind: str) -> None:
        self.canvas_view.add_node(kind, self.canvas_view.center_scene_pos())

    # -- dialogs (part of WindowServices; tests replace them) --------------------------------
    def ask_unsaved(self) -> QMessageBox.StandardButton:
        B = QMessageBox.StandardButton
        running = self.training is not None and self.training.state in ("running", "paused")
        more = ("\nTraining is under way: Save keeps the weights and history so far."
                if running else "")
        doc = self.document
        n = len((doc.history or {}).get("update_loss") or [])
        trained = f"{n:,} update{'s' if n != 1 else ''} of training" if n else "training results"
        if doc.undo_stack.isClean():        # nothing edited: what would be lost is the training
            what = f"“{doc.name}” has {trained} that {'is' if n == 1 else 'are'} not saved (the network " \
                   f"and its settings are as they were); Discard loses the trained weights."
        else:
            what = f"“{doc.name}” has changes that are not saved."
        return QMessageBox.question(self, "Unsaved changes", f"{what}{more}\nSave them first?",
                                    B.Save | B.Discard | B.Cancel, B.Save)

    def ask_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project or CSV", self._last_dir(), PROJECT_FILTER)
        return path or None

    def ask_save_path(self) -> str | None:
        start = self.document.path or os.path.join(self._last_dir(), _safe_name(self.document.name) + ".ncproj")
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, "NetCanvas projects (*.ncproj)")
        return path or None

    def ask_outside_data(self, path: str) -> bool:
        B = QMessageBox.StandardButton
        return QMessageBox.question(
            self, "Read data from outside the project?",
            f"This project reads its data from\n{path}\nwhich lies outside the project's folder. "
            "A project from someone else could name any file on this computer.\n\nRead this file?",
            B.Yes | B.No, B.No) == B.Yes

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def _show_about(self) -> None:
        QMessageBox.about(self, "About NetCanvas",
                          "<h3>NetCanvas</h3><p>Build small neural networks by hand and watch them learn.</p>"
                          "<p>Machine learning is finding a function in three steps: define a function "
                          "with unknown parameters, define a loss from the training data, optimize.</p>")

    def _last_dir(self) -> str:
        return str(self.settings.value("lastDir", os.path.expanduser("~")))

    # -- settings, recent files ----------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        files = [p for p in self.recent_files() if p != path]
        self.settings.setValue("recentFiles", [path] + files[:7])
        self.settings.setValue("lastDir", os.path.dirname(path))

    def _fill_recent_menu(self) -> None:
        m = self.recent_menu
        m.clear()
        files = self.recent_files()
        for i, path in enumerate(files):
            act = m.addAction(f"&{i + 1}  {os.path.basename(path)}")
            act.setToolTip(path)
            act.setStatusTip(path)
            act.setEnabled(os.path.exists(path))
            act.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not files:
            m.addAction("No recent files").setEnabled(False)
        else:
            m.addSeparator()
            m.addAction("Clear Recent Files", lambda: self.settings.setValue("recentFiles", []))

    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("windowState")
        if state is not None:
            self.restoreState(state)
        else:
            QTimer.singleShot(0, self._initial_dock_sizes)      # once the window has its size

    def _plots_height(self) -> int:
        t = _ramp(self.height(), SMALL_HEIGHT, LARGE_HEIGHT)
        return int(self.height() * (PLOTS_SHARE_SMALL + t * (PLOTS_SHARE - PLOTS_SHARE_SMALL)))

    def _side_widths(self) -> tuple[int, int]:
        """The palette's and the right panels' default widths for this window's width."""
        t = _ramp(self.width(), SMALL_WINDOW, LARGE_WINDOW)
        return (round(PALETTE_WIDTH_SMALL + t * (PALETTE_WIDTH - PALETTE_WIDTH_SMALL)),
                round(PANELS_WIDTH_SMALL + t * (PANELS_WIDTH - PANELS_WIDTH_SMALL)))

    def _initial_dock_sizes(self) -> None:
        self.resizeDocks([self.palette_dock, self.properties_dock], list(self._side_widths()),
                         Qt.Orientation.Horizontal)
        if not self.plots_dock.isHidden():
            self.resizeDocks([self.plots_dock], [self._plots_height()], Qt.Orientation.Vertical)

    def reset_layout(self) -> None:
        """Every panel back in its place and size, and the network fitted to the canvas."""
        self.restoreState(self._default_state)
        docks = [self.palette_dock, self.properties_dock]
        if self.plot_grid.frames:
            docks.append(self.plots_dock)
        for dock in docks:
            dock.setFloating(False)
            dock.show()
        self.properties_dock.raise_()
        self._initial_dock_sizes()
        self.canvas_view.auto_fit = True
        QTimer.singleShot(0, self.canvas_view.fit_to_view)      # once the docks have their sizes

    # -- events ---------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if not self.io.maybe_save():
            event.ignore()
            return
        self.training.shutdown()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        event.accept()

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_path(paths[0]))


def _action_tip(act) -> str:
    """An action's own tooltip: its text and first shortcut, e.g. "Train (F5)"."""
    text = act.text().replace("&", "").rstrip("…")
    keys = act.shortcut().toString()
    return f"{text} ({keys})" if keys else text


def _ramp(x: float, x0: float, x1: float) -> float:
    """0 up to ``x0``, 1 from ``x1``, linear between."""
    return min(max((x - x0) / (x1 - x0), 0.0), 1.0)


def _elide(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in " -_" else "_" for c in (name or "Untitled"))
    return keep.strip()[:60] or "Untitled"
