"""Shared pieces of the data and export GUI tests: a window to install into, and
waiting helpers that act like a person (clicks, key presses) and wait on signals."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QDockWidget, QMainWindow

from engine.graph import sequential


class HarnessWindow(QMainWindow):
    """The part of MainWindow that install_data relies on (used until/unless the
    real one is importable)."""

    def __init__(self) -> None:
        super().__init__()
        from gui.document.document import Document
        self.document = Document(self)
        self.actionImportCsv = QAction("Import CSV…", self, objectName="actionImportCsv")
        self.actionExport = QAction("Export…", self, objectName="actionExport")
        self.menus = {"file": self.menuBar().addMenu("File")}
        self.menus["file"].addAction(self.actionImportCsv)
        self.menus["file"].addAction(self.actionExport)
        self.csv_import_handler = None
        self.project_data_loader = None
        g = sequential(7, [(8, "sigmoid")])
        self.document.replace(g, {n: (i * 120.0, 0.0) for i, n in enumerate(g.nodes)})
        from gui.data.controller import install_data
        install_data(self)

    def add_recent(self, path: str) -> None:
        pass

    def add_panel_dock(self, widget, title: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock


def make_window():
    try:
        from gui.window.main_window import MainWindow
    except ImportError:
        return HarnessWindow()
    from PySide6.QtWidgets import QMessageBox
    w = MainWindow()
    w.ask_unsaved = lambda: QMessageBox.StandardButton.Discard   # no modal questions in tests
    w.show_error = lambda title, text: w.errors.append(text)
    w.errors = []
    return w


def isolate_settings(tmp_path) -> None:
    """QSettings in a temporary folder, so tests neither read nor write the user's."""
    from PySide6.QtCore import QCoreApplication, QSettings
    QCoreApplication.setOrganizationName("NetCanvasTests")
    QCoreApplication.setApplicationName("NetCanvasTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


def choose(combo: QComboBox, qtbot, data) -> None:
    """Pick the item with ``data`` the way a person does: open the list, click the item."""
    target = combo.findData(data)
    assert target >= 0, f"{data!r} not in {combo.objectName()}"
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=2000)
    rect = view.visualRect(combo.model().index(target, combo.modelColumn()))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert combo.currentIndex() == target


def input_features(document) -> int:
    g = document.graph
    return g.nodes[g.input_node()].params["features"]


def dataset_path(name: str) -> str:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(root, "resources", "datasets", name)


def open_import(qtbot, window, monkeypatch, path, timeout: int = 15_000):
    """File → Import CSV with the file dialog answering ``path``; returns the settled view."""
    from PySide6.QtWidgets import QFileDialog
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "CSV files (*.csv)"))
    with qtbot.waitSignal(window.data_controller.dialog_opened, timeout=timeout) as opened:
        window.actionImportCsv.trigger()
    dlg = opened.args[0]
    with qtbot.waitSignal(dlg.summary_updated, timeout=timeout):
        pass
    return dlg
