"""Start the NetCanvas window: ``run(argv) -> exit code``."""
from __future__ import annotations

import os
import sys

from PySide6.QtWidgets import QApplication

__all__ = ["run", "make_app"]


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication with the names QSettings uses and the NetCanvas look."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "netcanvas"] + list(argv or []))
    app.setApplicationName("NetCanvas")
    app.setOrganizationName("NetCanvas")
    app.setOrganizationDomain("netcanvas.local")
    app.setApplicationDisplayName("NetCanvas")
    from gui.common.main_thread_gc import collect_on_gui_thread
    from gui.common.style import apply_style
    apply_style(app)
    collect_on_gui_thread()
    return app


def run(files: list[str]) -> int:
    """Show the main window; ``files[0]``, if given, is a project or CSV file to open.

    Options were already read by ``main.py`` (``--help``, ``--``), so every entry
    here is a file name, even one that starts with ``-``.
    """
    if len(files) > 1:
        raise ValueError(f"give one file to open, not {len(files)}")
    app = make_app()
    from gui.window.main_window import MainWindow
    window = MainWindow()
    window.show()
    if files:
        path = os.path.abspath(files[0])
        if not os.path.exists(path):
            window.show_error("Open", f"There is no file {path}")
        else:
            window.open_path(path)
    # empty the clipboard while Python still runs: Qt would otherwise free copied
    # nodes (a Python-made QMimeData) after the interpreter is gone and crash at exit
    app.aboutToQuit.connect(lambda: app.clipboard().clear())
    return app.exec()
