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
    "GRID_MAJOR", "TEXT", "TEXT_MUTED", "TEXT_DISABLED", "EDGE", "category_color", "ui_font", "mono_font",
    "light_palette", "apply_style",
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
TEXT_DISABLED = QColor("#9ca3af")     # greyed text of a control that cannot be used now
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


def light_palette() -> QPalette:
    """The light palette, with a greyed Disabled group: disabled text, buttons, line edits and
    combos must look unavailable (setting a role without a group would paint them as enabled)."""
    pal = QPalette()
    G, R = QPalette.ColorGroup, QPalette.ColorRole
    enabled = {
        R.Window: QColor("#f9fafb"), R.Base: QColor("#ffffff"), R.AlternateBase: QColor("#f3f4f6"),
        R.Text: TEXT, R.WindowText: TEXT, R.Button: QColor("#ffffff"), R.ButtonText: TEXT,
        R.Highlight: ACCENT, R.HighlightedText: QColor("#ffffff"), R.ToolTipBase: QColor("#ffffff"),
        R.ToolTipText: TEXT, R.PlaceholderText: QColor("#9ca3af"),
    }
    for group in (G.Active, G.Inactive):
        for role, color in enabled.items():
            pal.setColor(group, role, color)
    disabled = dict(enabled)
    disabled.update({
        R.Text: TEXT_DISABLED, R.WindowText: TEXT_DISABLED, R.ButtonText: TEXT_DISABLED,
        R.Base: QColor("#f3f4f6"), R.Button: QColor("#f3f4f6"), R.PlaceholderText: QColor("#c4c8cf"),
        R.Highlight: QColor("#cbd5e1"), R.HighlightedText: QColor("#f9fafb"),
    })
    for role, color in disabled.items():
        pal.setColor(G.Disabled, role, color)
    return pal


def apply_style(app: QApplication) -> None:
    """Fusion with a light palette and a small stylesheet; call once per application."""
    app.setStyle("Fusion")
    app.setPalette(light_palette())
    app.setStyleSheet(_STYLESHEET)
