"""The import view's preview of the file's first rows, as they are written.

Missing cells read "?" in grey; a row with the wrong number of fields is
marked red with a tooltip; once the whole file is read, the placeholders it
took as missing ("?" in a column of numbers) are greyed like the other
missing cells.
"""
from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

from engine.data import NA_VALUES, DataError

__all__ = ["PreviewTable"]


class PreviewTable(QTableWidget):
    """The first rows of a CSV file, cell by cell (read only)."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, 0, parent)
        self.setObjectName("previewTable")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setDefaultSectionSize(22)

    def show_rows(self, header: list[str], rows: list[list[str]], skipped: bool) -> None:
        """``rows`` under ``header`` (none: empty); ``skipped``: rows with the wrong
        number of fields are left out of the read (their tooltip says so)."""
        self.clear()
        n_cols = max([len(header)] + [len(r) for r in rows]) if (header or rows) else 0
        self.setColumnCount(n_cols)
        self.setRowCount(len(rows))
        self.setHorizontalHeaderLabels(header + [f"(extra {i + 1})" for i in range(n_cols - len(header))])
        missing = set(NA_VALUES)
        grey = QColor("#9ca3af")
        ragged = QColor("#fee2e2")
        for i, r in enumerate(rows):
            if header and len(r) != len(header):
                for j in range(n_cols):
                    item = QTableWidgetItem("" if j >= len(r) else r[j].strip())
                    item.setBackground(ragged)
                    item.setToolTip(f"this row has {len(r)} fields; the header has {len(header)}"
                                    + ("; skipped" if skipped else ""))
                    self.setItem(i, j, item)
                continue
            for j, cell in enumerate(r):
                shown = cell.strip()
                item = QTableWidgetItem("?" if shown in missing else shown)
                if shown in missing:
                    item.setForeground(grey)
                    item.setToolTip("missing value")
                self.setItem(i, j, item)
        self.resizeColumnsToContents()
        for j in range(n_cols):
            self.setColumnWidth(j, min(self.columnWidth(j), 220))

    def mark_placeholders(self, table) -> None:
        """Cells that the whole read of ``table`` took as missing placeholders ("?" in
        a number column) look like the other missing cells: grey, with a tooltip."""
        headers = [self.horizontalHeaderItem(j).text() if self.horizontalHeaderItem(j) else ""
                   for j in range(self.columnCount())]
        grey = QColor("#9ca3af")
        for j, name in enumerate(headers):
            try:
                col = table.column(name)
            except DataError:
                continue
            if not col.placeholders:
                continue
            for i in range(self.rowCount()):
                item = self.item(i, j)
                if item is not None and item.text() in col.placeholders:
                    item.setForeground(grey)
                    item.setToolTip(f"read as missing: {name} holds numbers, and {item.text()!r} stands "
                                    "for a missing one")
