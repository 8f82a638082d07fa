"""The public entry point to the main window: ``from gui.main_window import MainWindow``.

Tools outside the project (the screenshot tool, acceptance checks) import the window
from here; the window itself lives in :mod:`gui.window.main_window`.
"""
from gui.window.main_window import MainWindow

__all__ = ["MainWindow"]
