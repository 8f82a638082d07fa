"""The import view's preview of the file's first rows, as they are written.

Missing cells read "?" in grey; a row with the wrong number of fields is
marked red with a tooltip; once the whole file is read, the placeholders it
took as missing ("?" in a column of numbers) are greyed like the other
missing cells.

A ``QTableView`` over :class:`PreviewModel`: a cell is answered when it is
painted, so a file of 5,000 columns shows its first rows at once (a table of
items cost a second per 1,000 columns). Only the first ``MEASURED_COLUMNS``
columns are sized to their text; the others start at the default width.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QTableView

from engine.data import NA_VALUES
from gui.common.model_cell import HeaderCell, ModelCell

__all__ = ["PreviewModel", "PreviewTable", "MEASURED_COLUMNS"]

MEASURED_COLUMNS = 200          # columns sized to their text; the rest keep the default width
MAX_COLUMN_WIDTH = 220
_GREY = QColor("#9ca3af")
_RAGGED = QColor("#fee2e2")
_MISSING = frozenset(NA_VALUES)


class PreviewModel(QAbstractTableModel):
    """The first rows of a file under its header (read only); ``skipped``: rows with the
    wrong number of fields are left out of the read."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self.skipped = False
        self.n_cols = 0
        self.placeholders: dict[int, frozenset[str]] = {}     # column → texts read as missing

    def set_rows(self, header: list[str], rows: list[list[str]], skipped: bool) -> None:
        self.beginResetModel()
        self.rows, self.skipped, self.placeholders = rows, skipped, {}
        self.n_cols = max([len(header)] + [len(r) for r in rows]) if (header or rows) else 0
        self.header = header + [f"(extra {i + 1})" for i in range(self.n_cols - len(header))]
        self._n_header = len(header)
        self.endResetModel()

    def set_placeholders(self, placeholders: dict[int, frozenset[str]]) -> None:
        self.placeholders = placeholders
        if self.rows and self.n_cols:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, self.n_cols - 1))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self.n_cols

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return self.header[section] if 0 <= section < len(self.header) else None
            return str(section + 1)
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        i, j = index.row(), index.column()
        r = self.rows[i]
        ragged = self._n_header and len(r) != self._n_header
        text = r[j].strip() if j < len(r) else ""
        if role == Qt.ItemDataRole.DisplayRole:
            return "?" if (not ragged and text in _MISSING) else text
        if ragged:
            if role == Qt.ItemDataRole.BackgroundRole:
                return _RAGGED
            if role == Qt.ItemDataRole.ToolTipRole:
                return (f"this row has {len(r)} fields; the header has {self._n_header}"
                        + ("; skipped" if self.skipped else ""))
            return None
        if text in _MISSING:
            if role == Qt.ItemDataRole.ForegroundRole:
                return _GREY
            if role == Qt.ItemDataRole.ToolTipRole:
                return "missing value"
        elif text in self.placeholders.get(j, ()):
            if role == Qt.ItemDataRole.ForegroundRole:
                return _GREY
            if role == Qt.ItemDataRole.ToolTipRole:
                return (f"read as missing: {self.header[j]} holds numbers, and {text!r} stands "
                        "for a missing one")
        return None


class PreviewTable(QTableView):
    """The first rows of a CSV file, cell by cell (read only). ``item(i, j)`` and
    ``horizontalHeaderItem(j)`` read a cell as a ``QTableWidget``'s would be."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("previewTable")
        self.preview_model = PreviewModel(self)
        self.setModel(self.preview_model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setDefaultSectionSize(90)

    def show_rows(self, header: list[str], rows: list[list[str]], skipped: bool) -> None:
        """``rows`` under ``header`` (none: empty); ``skipped``: rows with the wrong
        number of fields are left out of the read (their tooltip says so)."""
        m = self.preview_model
        m.set_rows(header, rows, skipped)
        fm = self.fontMetrics()
        head_fm = self.horizontalHeader().fontMetrics()
        pad = 2 * self.style().pixelMetric(self.style().PixelMetric.PM_FocusFrameHMargin) + 14
        for j in range(min(m.n_cols, MEASURED_COLUMNS)):
            longest = max((r[j].strip() for r in rows if j < len(r)), key=len, default="")
            width = max(fm.horizontalAdvance(longest), head_fm.horizontalAdvance(m.header[j]) + 8) + pad
            self.setColumnWidth(j, min(width, MAX_COLUMN_WIDTH))

    def mark_placeholders(self, table) -> None:
        """Cells that the whole read of ``table`` took as missing placeholders ("?" in
        a number column) look like the other missing cells: grey, with a tooltip."""
        by_name = {c.name: c for c in table.columns}       # table.column(name) is a search
        marked = {j: frozenset(by_name[name].placeholders) for j, name in enumerate(self.preview_model.header)
                  if name in by_name and by_name[name].placeholders}
        self.preview_model.set_placeholders(marked)

    # -- read like a QTableWidget (tests, scripts) ----------------------------------------------
    def rowCount(self) -> int:  # noqa: N802 (QTableWidget's name)
        return self.preview_model.rowCount()

    def columnCount(self) -> int:  # noqa: N802
        return self.preview_model.columnCount()

    def item(self, row: int, column: int) -> ModelCell | None:
        if not (0 <= row < self.rowCount() and 0 <= column < self.columnCount()):
            return None
        return ModelCell(self.preview_model.index(row, column), self.font())

    def horizontalHeaderItem(self, column: int) -> HeaderCell | None:  # noqa: N802
        return HeaderCell(self.preview_model, column) if 0 <= column < self.columnCount() else None
