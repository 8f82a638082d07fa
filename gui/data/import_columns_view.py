"""The import view's columns table: a ``QTableView`` over
:class:`~gui.data.import_columns_model.ColumnsModel` whose role and type cells
are combo boxes (persistent editors of :class:`ChoiceDelegate`).

Combos exist only for the rows in view (opened when a row scrolls in; far
rows' combos are closed once more than ``MAX_OPEN_ROWS`` rows have them), so
a file of 5,000 columns opens as fast as one of 5; a small table keeps every
combo it opened. ``editors(C_ROLE)["Year"]`` opens a row's combo on demand
(the dialog's ``_role_boxes`` / ``_type_boxes``, for tests and scripts).
Each combo is named ``role:<column>`` / ``type:<column>``.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

from PySide6.QtCore import QPersistentModelIndex, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHeaderView, QStyledItemDelegate, QTableView

from gui.common.model_cell import ModelCell
from gui.data.column_chart import ColumnChartDelegate, kind_color
from gui.data.import_columns_model import C_CHART, C_NAME, C_ROLE, C_TYPE, C_VALUES, OPTIONS_ROLE, NAME_ROLE

__all__ = ["ColumnsTableView", "ChoiceDelegate", "CellEditors", "MAX_OPEN_ROWS", "ROWS_PER_TURN"]

MAX_OPEN_ROWS = 200         # rows whose combos stay open when scrolled away (more: far ones close)
_KEEP_NEAR = 40             # rows above and below the view that keep their combos
ROWS_PER_TURN = 6           # rows whose combos open in one turn of the event loop


class ChoiceDelegate(QStyledItemDelegate):
    """A role or type cell's combo box: its items are the cell's ``OPTIONS_ROLE``; a choice
    (``activated``, by mouse or keyboard) goes to the model's ``pick``."""

    def createEditor(self, parent, option, index):  # noqa: N802 (Qt's name)
        name = index.data(NAME_ROLE)
        what = "role" if index.column() == C_ROLE else "type"
        box = QComboBox(parent, objectName=f"{what}:{name}")
        box.setAccessibleName(f"{what.capitalize()} of {name}")
        box.setAutoFillBackground(True)
        where = QPersistentModelIndex(index)
        box.activated.connect(lambda _=0, b=box, at=where: self._on_box_activated(b, at))
        return box

    def _on_box_activated(self, box: QComboBox, at: QPersistentModelIndex) -> None:
        if at.isValid():
            at.model().pick(at.row(), at.column(), box.currentData())

    def setEditorData(self, box: QComboBox, index) -> None:  # noqa: N802
        options = index.data(OPTIONS_ROLE) or []
        with QSignalBlocker(box):
            if [box.itemData(k) for k in range(box.count())] != options:
                box.clear()
                for o in options:
                    box.addItem(o, o)
            k = box.findData(index.data(Qt.ItemDataRole.EditRole))
            if k >= 0:
                box.setCurrentIndex(k)
        box.setEnabled(bool(index.flags() & Qt.ItemFlag.ItemIsEditable))
        box.setToolTip(index.data(Qt.ItemDataRole.ToolTipRole) or "")
        if index.column() == C_TYPE:
            italic = index.data(Qt.ItemDataRole.FontRole) is not None
            if box.font().italic() != italic:
                f = box.font()
                f.setItalic(italic)
                box.setFont(f)
            color = kind_color(box.currentData() or "number")
            if box.property("kindColor") != color.name():
                pal = box.palette()     # the palette, not a style sheet: the combo keeps its look
                for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text):
                    pal.setColor(role, color)
                box.setPalette(pal)
                box.setProperty("kindColor", color.name())

    def setModelData(self, box: QComboBox, model, index) -> None:  # noqa: N802
        model.setData(index, box.currentData())

    def updateEditorGeometry(self, box, option, index) -> None:  # noqa: N802
        box.setGeometry(option.rect)


class CellEditors(Mapping):
    """The combo boxes of one editable column (role or type) by column name, opened on
    demand: ``editors["Year"]`` is the Year row's combo (opened if it was not)."""

    def __init__(self, view: ColumnsTableView, column: int) -> None:
        self._view, self._column = view, column

    def _has(self, name: str) -> bool:
        m = self._view.columns_model
        return name in m.rows and (self._column == C_ROLE or name in m.types)

    def __getitem__(self, name: str) -> QComboBox:
        if not self._has(name):
            raise KeyError(name)
        return self._view.open_editor(self._view.columns_model.rows[name], self._column)

    def __contains__(self, name) -> bool:
        return self._has(name)

    def __iter__(self) -> Iterator[str]:
        return (n for n in self._view.columns_model.names if self._has(n))

    def __len__(self) -> int:
        m = self._view.columns_model
        return len(m.names) if self._column == C_ROLE else len(m.types)


class ColumnsTableView(QTableView):
    """One row per column of the file (``columns_model``); combos for the rows in view.
    ``item(row, column)``, ``cellWidget(row, column)`` and ``rowCount()`` read it as a
    ``QTableWidget`` would be read."""

    def __init__(self, model, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("columnsTable")
        self.columns_model = model
        self.setModel(model)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(30)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._chart = ColumnChartDelegate(self)
        self._choice = ChoiceDelegate(self)
        self.setItemDelegateForColumn(C_CHART, self._chart)
        self.setItemDelegateForColumn(C_TYPE, self._choice)
        self.setItemDelegateForColumn(C_ROLE, self._choice)
        h = self.horizontalHeader()
        h.setSectionResizeMode(C_NAME, QHeaderView.ResizeMode.Interactive)
        h.setSectionResizeMode(C_VALUES, QHeaderView.ResizeMode.Stretch)
        for c, w in ((C_NAME, 150), (C_TYPE, 96), (C_ROLE, 96), (3, 64), (C_CHART, 120)):
            self.setColumnWidth(c, w)
        self._open: set[tuple[int, int]] = set()        # (row, column) with an open combo
        self._sync = QTimer(self, singleShot=True, interval=0)
        self._sync.timeout.connect(self._open_rows_in_view)
        self.verticalScrollBar().valueChanged.connect(self._sync.start)
        model.modelReset.connect(self._on_model_reset)

    # ------------------------------------------------------------------ combos for the rows in view
    def open_editor(self, row: int, column: int) -> QComboBox:
        """The combo of a role or type cell, opened if it was not."""
        index = self.columns_model.index(row, column)
        if (row, column) not in self._open or not self.isPersistentEditorOpen(index):
            self.openPersistentEditor(index)
            self._open.add((row, column))
        return self.indexWidget(index)

    def _on_model_reset(self) -> None:
        self._open.clear()              # the view closed every editor
        self._sync.start()

    def _rows_in_view(self) -> range:
        n = self.columns_model.rowCount()
        if not n:
            return range(0)
        first = max(0, self.rowAt(0))
        last = self.rowAt(self.viewport().height() - 1)
        return range(first, (n - 1 if last < 0 else last) + 1)

    def _open_rows_in_view(self) -> None:
        """Combos for the rows in view, ``ROWS_PER_TURN`` rows per turn of the event loop (a
        row's two combos cost ~2 ms; a view of 25 rows at once would stall 50 ms)."""
        m = self.columns_model
        rows = self._rows_in_view()
        opened = 0
        for row in rows:
            if (row, C_ROLE) in self._open and (m.names[row] not in m.types or (row, C_TYPE) in self._open):
                continue
            if opened == ROWS_PER_TURN:
                self._sync.start()          # the rest on the next turn
                break
            self.open_editor(row, C_ROLE)
            if m.names[row] in m.types:
                self.open_editor(row, C_TYPE)
            opened += 1
        if len(self._open) > 2 * MAX_OPEN_ROWS:        # a long list scrolled far: close far rows
            near = range(rows.start - _KEEP_NEAR, rows.stop + _KEEP_NEAR)
            for row, column in [rc for rc in self._open if rc[0] not in near]:
                self.closePersistentEditor(m.index(row, column))
                self._open.discard((row, column))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._sync.start()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._sync.start()

    # -- read like a QTableWidget (tests, scripts) ----------------------------------------------
    def rowCount(self) -> int:  # noqa: N802 (QTableWidget's name)
        return self.columns_model.rowCount()

    def item(self, row: int, column: int) -> ModelCell | None:
        if not (0 <= row < self.rowCount() and 0 <= column < self.columns_model.columnCount()):
            return None
        return ModelCell(self.columns_model.index(row, column), self.font())

    def cellWidget(self, row: int, column: int):  # noqa: N802
        return self.indexWidget(self.columns_model.index(row, column))
