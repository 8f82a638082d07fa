"""The window's helpers reach it only through gui.window.protocols.WindowServices: the main
window offers every name of it, the helpers call nothing else of the window, and a plain
object offering those names is enough for project I/O."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from conftest import ROOT
from engine.graph import Graph
from engine.project import Project, save_project
from gui.document.document import Document
from gui.document.project_io import ProjectIO
from gui.window.protocols import WindowServices

pytestmark = pytest.mark.usefixtures("isolated_settings")

# module → the names its code gives the window it is handed
HELPERS = {
    "gui/document/project_io.py": {"self.w", "window"},
    "gui/data/controller.py": {"self.window", "window"},
    "gui/data/export.py": {"self.window"},
}
SERVICE_NAMES = {name for name in dir(WindowServices) if not name.startswith("_")} \
    | set(WindowServices.__annotations__)


def test_main_window_offers_every_window_service(qtbot):
    from gui.window.main_window import MainWindow
    w = MainWindow(open_example=False)
    qtbot.addWidget(w)
    assert isinstance(w, WindowServices)
    for name in SERVICE_NAMES:
        assert not name.startswith("_") and hasattr(w, name), name
    for name in ("show_error", "ask_unsaved", "ask_open_path", "ask_save_path", "update_title"):
        assert inspect.ismethod(getattr(w, name)), name
    w.training.shutdown()


def _window_attributes(path: str, holders: set[str]) -> set[str]:
    """Every ``holder.attr`` read in ``path`` where holder is one of ``holders``."""
    used = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) \
                and ast.unparse(node.value) in holders:
            used.add(node.attr)
    return used


@pytest.mark.parametrize("path", sorted(HELPERS))
def test_helpers_use_only_the_window_services(path):
    used = _window_attributes(path, HELPERS[path])
    assert used, f"{path} no longer talks to the window: update HELPERS"
    assert used <= SERVICE_NAMES, f"{path} uses {sorted(used - SERVICE_NAMES)} beyond WindowServices"


class PlainWindow:
    """WindowServices without a main window: what ProjectIO needs, recorded."""

    def __init__(self, bar) -> None:
        self.document = Document()
        self.actionImportCsv = self.actionExport = self.actionExportTorch = None
        self.csv_import_handler = None
        self.project_data_loader = None
        self.errors: list[tuple[str, str]] = []
        self.recent: list[str] = []
        self.titles = 0
        self.save_path: str | None = None
        self._bar = bar

    def statusBar(self):
        return self._bar

    def show_error(self, title: str, text: str) -> None:
        self.errors.append((title, text))

    def update_title(self) -> None:
        self.titles += 1

    def ask_unsaved(self):
        return QMessageBox.StandardButton.Discard

    def ask_open_path(self):
        return None

    def ask_save_path(self):
        return self.save_path

    def ask_outside_data(self, path: str) -> bool:
        return False

    def add_recent(self, path: str) -> None:
        self.recent.append(path)

    def add_panel_dock(self, widget, title):
        raise AssertionError("not used by ProjectIO")

    def add_plot(self, widget, title):
        raise AssertionError("not used by ProjectIO")

    def set_training_locked(self, locked, reason=""):
        raise AssertionError("not used by ProjectIO")

    def blocked_reason(self):
        return None


def test_project_io_works_with_any_window_services(qtbot, tmp_path):
    from PySide6.QtWidgets import QStatusBar
    bar = QStatusBar()
    qtbot.addWidget(bar)
    w = PlainWindow(bar)
    assert isinstance(w, WindowServices)
    io = ProjectIO(w)
    assert not io.open_path(str(tmp_path / "notes.txt"))           # a .txt is a CSV: no importer here
    assert not io.open_path(str(tmp_path / "picture.png"))
    assert [t for t, _ in w.errors] == ["Import CSV", "Open"]
    g = Graph()
    g.add_node("input", {"features": 2}, "input")
    g.add_node("output", {}, "output")
    g.connect("input", "output")
    path = tmp_path / "p.ncproj"
    save_project(Project(graph=g, positions={"input": (0.0, 0.0), "output": (230.0, 0.0)}), path)
    assert io.open_path(str(path))
    assert w.document.graph.to_dict() == g.to_dict() and w.recent == [str(path)]
    assert bar.currentMessage() == "Opened p.ncproj"
    w.save_path = str(tmp_path / "again")
    assert io.save_as() and Path(tmp_path / "again.ncproj").exists()
    assert w.titles == 1 and w.recent[-1] == str(tmp_path / "again.ncproj")
    assert bar.currentMessage().startswith("Saved ")
