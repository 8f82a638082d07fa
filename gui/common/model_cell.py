"""Read a cell of a table view's model the way a ``QTableWidgetItem`` is read.

The import view's tables are ``QTableView``\\ s over models (a cell is answered
when it is painted, so a file of 5,000 columns costs nothing up front); tests
and scripts still read them as ``table.item(row, column).text()``.
"""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont

__all__ = ["ModelCell", "HeaderCell"]


class ModelCell:
    """One cell of ``index.model()``: ``text()``, ``toolTip()``, ``font()``, ``data(role)``."""

    def __init__(self, index: QModelIndex, default_font: QFont) -> None:
        self._index = index
        self._font = default_font

    def data(self, role: int = Qt.ItemDataRole.DisplayRole):
        return self._index.data(role)

    def text(self) -> str:
        return self._index.data(Qt.ItemDataRole.DisplayRole) or ""

    def toolTip(self) -> str:  # noqa: N802 (Qt's name)
        return self._index.data(Qt.ItemDataRole.ToolTipRole) or ""

    def font(self) -> QFont:
        return self._index.data(Qt.ItemDataRole.FontRole) or QFont(self._font)

    def foreground(self):
        return self._index.data(Qt.ItemDataRole.ForegroundRole)


class HeaderCell:
    """One horizontal header section of a model: ``text()``."""

    def __init__(self, model, section: int) -> None:
        self._model, self._section = model, section

    def text(self) -> str:
        return self._model.headerData(self._section, Qt.Orientation.Horizontal) or ""
