"""What the main window offers the parts it hosts, as a :class:`typing.Protocol`.

Project I/O (:class:`gui.document.project_io.ProjectIO`), the data part
(:mod:`gui.data.controller`, :mod:`gui.data.export`), the training part and the
app start-up call these names and nothing else of the window: no private
methods, no ``hasattr`` probes. :class:`gui.window.main_window.MainWindow`
implements all of it (a test checks); a test harness implements what the part
under test calls.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDockWidget, QFrame, QMessageBox, QStatusBar, QWidget

    from engine.project import Project
    from gui.document.document import Document

__all__ = ["WindowServices"]


@runtime_checkable
class WindowServices(Protocol):
    """The window as its helpers see it."""

    document: Document
    actionImportCsv: QAction                                  # File → Import CSV… (the data part connects it)
    actionExport: QAction                                     # File → Export… (the data part connects it)
    actionExportTorch: QAction                                # File → Export PyTorch Training Package
    csv_import_handler: Callable[[str], object] | None       # set by the data part: open a .csv
    project_data_loader: Callable[[Project], None] | None    # set by the data part: an opened project's data

    # -- feedback ----------------------------------------------------------------------------------
    def statusBar(self) -> QStatusBar:
        """Qt's status bar: passing messages (``showMessage(text, ms)``) and permanent badges."""

    def show_error(self, title: str, text: str) -> None:
        """A modal warning (tests replace it to collect the texts)."""

    def update_title(self) -> None:
        """Show the document's name and modified mark in the title bar."""

    # -- questions (modal dialogs; tests replace them) --------------------------------------------------
    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel for a modified project about to be replaced."""

    def ask_open_path(self) -> str | None:
        """A project or CSV file to open, or None."""

    def ask_save_path(self) -> str | None:
        """Where to save the project, or None."""

    def ask_outside_data(self, path: str) -> bool:
        """Whether to read an opened project's data file that lies outside the project's folder."""

    # -- places for the parts ------------------------------------------------------------------------
    def add_recent(self, path: str) -> None:
        """Put ``path`` first in File → Open Recent."""

    def add_panel_dock(self, widget: QWidget, title: str) -> QDockWidget:
        """A dock on the right, tabbed with Properties."""

    def add_plot(self, widget: QWidget, title: str) -> QFrame:
        """A plot in the bottom grid."""

    # -- training --------------------------------------------------------------------------------------
    def set_training_locked(self, locked: bool, reason: str = "") -> None:
        """While training, edits of the network are refused and the canvas says why."""

    def blocked_reason(self) -> str | None:
        """Why Train cannot start now (None when it can)."""
