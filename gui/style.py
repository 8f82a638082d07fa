"""Colours, fonts and the application style: one flat, light look for every view.

Category colours are shared by the palette, the canvas nodes and the icons,
so a person learns them once: Data blue, Layers violet, Activations teal,
Structure amber. Red is kept for problems only.
"""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

__all__ = [
    "CATEGORY_COLORS", "CATEGORY_ORDER", "ERROR", "ACCENT", "HIGHLIGHT", "CANVAS_BG", "GRID_MINOR",
    "GRID_MAJOR", "TEXT", "TEXT_MUTED", "EDGE", "category_color", "ui_font", "mono_font", "apply_style",
]

CATEGORY_ORDER = ("Data", "Layers", "Activations", "Structure")
CATEGORY_COLORS = {
    "Data": QColor("#2563eb"),
    "Layers": QColor("#7c3aed"),
    "Activations": QColor("#0d9488"),
    "Structure": QColor("#d97706"),
}
ERROR = QColor("#dc2626")
ACCENT = QColor("#2563eb")
HIGHLIGHT = QColor("#f59e0b")
CANVAS_BG = QColor("#f6f7f9")
GRID_MINOR = QColor("#eceef2")
GRID_MAJOR = QColor("#dfe3e8")
TEXT = QColor("#1f2937")
TEXT_MUTED = QColor("#6b7280")
EDGE = QColor("#64748b")


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category, QColor("#475569")))


def ui_font(point_size: float = 9.5, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSizeF(point_size)
    f.setBold(bold)
    return f


def mono_font(point_size: float = 9.0) -> QFont:
    f = QFont("DejaVu Sans Mono")
    f.setStyleHint(QFont.StyleHint.Monospace)
    f.setPointSizeF(point_size)
    return f


_STYLESHEET = """
QMainWindow::separator { background: #e5e7eb; width: 1px; height: 1px; }
QDockWidget { font-weight: 600; color: #374151; }
QDockWidget::title { background: #f3f4f6; padding: 5px 8px; border-bottom: 1px solid #e5e7eb; }
QToolBar { background: #ffffff; border: none; border-bottom: 1px solid #e5e7eb; spacing: 2px; padding: 3px; }
QToolButton { border: 1px solid transparent; border-radius: 5px; padding: 3px; }
QToolButton:hover { background: #eef2ff; border-color: #c7d2fe; }
QToolButton:pressed { background: #e0e7ff; }
QToolButton:disabled { color: #9ca3af; }
QStatusBar { background: #f9fafb; border-top: 1px solid #e5e7eb; }
QTreeView, QListView { background: #ffffff; border: none; outline: 0; }
QTreeView::item { padding: 4px 2px; border-radius: 4px; }
QTreeView::item:hover { background: #f1f5f9; }
QTreeView::item:selected { background: #e0e7ff; color: #111827; }
QLabel#sectionTitle { font-weight: 600; color: #111827; }
QLabel#errorLabel { color: #dc2626; }
QLabel#statusIssue { color: #dc2626; padding: 0 6px; }
QTabWidget::pane { border: 1px solid #e5e7eb; }
"""


def apply_style(app: QApplication) -> None:
    """Fusion with a light palette and a small stylesheet; call once per application."""
    app.setStyle("Fusion")
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, QColor("#f9fafb"))
    pal.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#f3f4f6"))
    pal.setColor(QPalette.ColorRole.Text, TEXT)
    pal.setColor(QPalette.ColorRole.WindowText, TEXT)
    pal.setColor(QPalette.ColorRole.Button, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.ButtonText, TEXT)
    pal.setColor(QPalette.ColorRole.Highlight, ACCENT)
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.ToolTipText, TEXT)
    app.setPalette(pal)
    app.setStyleSheet(_STYLESHEET)
