"""A Dense layer's W and b as numbers in the properties panel: read them, type one and press
Enter to set it (one undoable step, "Set dense1.W[2,0]").

:class:`WeightsModel` answers the view cell by cell when it paints, so a 1024 × 1024 layer
costs what the visible cells cost; a refresh is one ``dataChanged`` over the table, not a
pass over the numbers. The numbers come from a :class:`gui.training.weights_source.WeightsSource`
(while training at most twice a second, and only while the table is shown); a typed number
goes back through it to ``TrainingController.set_weights``. Text that is not a finite number
is refused with a message, and nothing changes.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from gui.common.plot_style import NEGATIVE, POSITIVE

__all__ = ["WeightsModel", "WeightsTable", "parse_weight"]

ROW_HEIGHT = 22
COLUMN_WIDTH = 58
MAX_SHOWN_ROWS = 9              # the table's height: up to this many rows, then it scrolls
_EDIT = Qt.ItemDataRole.EditRole
_DISPLAY = Qt.ItemDataRole.DisplayRole


def parse_weight(text: str, name: str) -> tuple[float | None, str]:
    """``(value, "")`` for a finite number typed for ``name``, else ``(None, why)``."""
    t = str(text).strip().replace("−", "-")
    if "," in t and "." not in t:
        t = t.replace(",", ".")                # a decimal comma: 0,5
    if not t:
        return None, f"Not accepted: {name} needs a number; the cell was empty."
    try:
        v = float(t)
    except ValueError:
        return None, f"Not accepted: '{text.strip()}' is not a number ({name} keeps its value)."
    if not math.isfinite(v):
        return None, f"Not accepted: {name} must be a finite number, not '{text.strip()}'."
    return v, ""


class WeightsModel(QAbstractTableModel):
    """``W`` (rows: inputs j, columns: units i) and, as the last row, ``b``."""

    refused = Signal(str)                       # why a typed text was not taken
    edited = Signal(str, tuple, float)          # parameter ("dense1.W"), index ((j, i) or (i,)), value

    def __init__(self, node_id: str, parent=None) -> None:
        super().__init__(parent)
        self.node_id = node_id
        self.W: np.ndarray | None = None
        self.b: np.ndarray | None = None
        self.editable = True

    def set_arrays(self, W: np.ndarray | None, b: np.ndarray | None) -> None:
        old = (None if self.W is None else self.W.shape, None if self.b is None else self.b.shape)
        new = (None if W is None else W.shape, None if b is None else b.shape)
        if old != new:
            self.beginResetModel()
            self.W, self.b = W, b
            self.endResetModel()
            return
        self.W, self.b = W, b
        if self.rowCount() and self.columnCount():      # the view repaints what it shows
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1),
                                  [_DISPLAY, _EDIT, Qt.ItemDataRole.ForegroundRole])

    def name_of(self, row: int, col: int) -> str:
        if self.W is not None and row < self.W.shape[0]:
            return f"{self.node_id}.W[{row},{col}]"
        return f"{self.node_id}.b[{col}]"

    def _value(self, row: int, col: int) -> float:
        if self.W is not None and row < self.W.shape[0]:
            return float(self.W[row, col])
        return float(self.b[col])

    # -- the model's answers -------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        if parent.isValid() or self.W is None:
            return 0
        return self.W.shape[0] + (1 if self.b is not None else 0)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() or self.W is None else self.W.shape[1]

    def data(self, index: QModelIndex, role=_DISPLAY):
        if not index.isValid() or self.W is None:
            return None
        r, c = index.row(), index.column()
        if role == _DISPLAY:
            return f"{self._value(r, c):.4g}".replace("-", "−")
        if role == _EDIT:
            return f"{self._value(r, c):.7g}"
        if role == Qt.ItemDataRole.ForegroundRole:
            v = self._value(r, c)
            return QColor(POSITIVE if v > 0 else NEGATIVE) if v != 0 else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            name = self.name_of(r, c)
            what = (f"the weight from input {r} to unit {c}" if r < self.W.shape[0]
                    else f"unit {c}'s bias")
            return f"{name} = {self._value(r, c):.7g}: {what}. Type a number and press Enter to set it."
        return None

    def headerData(self, section: int, orientation, role=_DISPLAY):
        if role != _DISPLAY or self.W is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return f"i={section}"
        return f"j={section}" if section < self.W.shape[0] else "b"

    def flags(self, index: QModelIndex):
        f = super().flags(index)
        return f | Qt.ItemFlag.ItemIsEditable if self.editable else f

    def setData(self, index: QModelIndex, value, role=_EDIT) -> bool:
        if role != _EDIT or not index.isValid() or not self.editable:
            return False
        r, c = index.row(), index.column()
        name = self.name_of(r, c)
        v, why = parse_weight(str(value), name)
        if v is None:
            self.refused.emit(why)
            return False
        if v == self._value(r, c):
            return False
        key, at = (f"{self.node_id}.W", (r, c)) if r < self.W.shape[0] else (f"{self.node_id}.b", (c,))
        self.edited.emit(key, at, v)        # the document changes; the source then refreshes the table
        return True


class WeightsTable(QWidget):
    """The caption, the table and its message, for Dense node ``node_id`` of ``source``'s network."""

    def __init__(self, source, node_id: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("weightsTable")
        self.source = source
        self.node_id = node_id
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.setSpacing(4)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.caption)
        self.model = WeightsModel(node_id, self)
        self.view = QTableView()
        self.view.setObjectName("weightsView")
        self.view.setAccessibleName(f"weights of {node_id}")
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        column = max(COLUMN_WIDTH, self.view.fontMetrics().horizontalAdvance("−0.000000") + 12)   # "−0.005818" whole
        for header, size in ((self.view.horizontalHeader(), column), (self.view.verticalHeader(), ROW_HEIGHT)):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)     # no pass over the cells to size them
            header.setDefaultSectionSize(size)
        self.view.verticalHeader().setMinimumSectionSize(ROW_HEIGHT)
        lay.addWidget(self.view)
        self.message = QLabel()
        self.message.setObjectName("weightsMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #dc2626;")
        self.message.hide()
        lay.addWidget(self.message)
        self.model.refused.connect(self._on_model_refused)
        self.model.edited.connect(self._on_model_edited)
        source.changed.connect(self._on_source_changed)
        self._locked = False
        self._sized_rows = -1
        self.refresh()

    # -- public -------------------------------------------------------------------------------
    def set_locked(self, locked: bool) -> None:
        self._locked = locked
        self.model.editable = not locked          # an editor left open commits nothing (setData refuses)
        self._caption()

    def refresh(self) -> None:
        """Show the source's weights of this node now."""
        w = self.source.weights()
        W = None if w is None else w.get(f"{self.node_id}.W")
        b = None if w is None else w.get(f"{self.node_id}.b")
        self.model.set_arrays(W, b)
        rows = self.model.rowCount()
        self.view.setVisible(rows > 0)
        if rows != self._sized_rows:           # (a header's sizeHint walks every section: once)
            self._sized_rows = rows
            frame = 2 * self.view.frameWidth()
            head = self.view.horizontalHeader().fontMetrics().height() + 8
            scroll = self.view.horizontalScrollBar().sizeHint().height()
            self.view.setFixedHeight(frame + head + scroll + ROW_HEIGHT * max(1, min(rows, MAX_SHOWN_ROWS)))
        self._caption()

    # -- slots ----------------------------------------------------------------------------------
    def _caption(self) -> None:
        W = self.model.W
        if W is None:
            text = "Weights: drawing them from the seed…" if self.source.document.dataset is not None \
                or not self.source.document.graph.validate() else "Weights: once the network is complete."
            self.caption.setText(f"<span style='color:#6b7280'>{text}</span>")
            return
        how = ("Training is running: the numbers follow it; pause or stop to edit."
               if self._locked else "Type a number and press Enter to set it (Edit → Undo takes it back).")
        self.caption.setText(f"<b>Weights</b> <tt>W[j, i]</tt> {W.shape[0]} × {W.shape[1]} (row j: input, "
                             f"column i: unit){'; last row: <tt>b[i]</tt>' if self.model.b is not None else ''}."
                             f"<br><span style='color:#6b7280'>{how}</span>")

    def _on_source_changed(self) -> None:
        if self.isVisible():
            self.refresh()          # an open editor stays (same shape: dataChanged, not a reset)
        else:
            self._stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if getattr(self, "_stale", False):
            self._stale = False
            self.refresh()

    def _on_model_refused(self, why: str) -> None:
        self.message.setText(why)
        self.message.show()

    def _on_model_edited(self, key: str, at: tuple, value: float) -> None:
        w = self.source.weights()
        if w is None or key not in w:
            return
        new = dict(w)                      # the source's arrays are never changed: copy only this one
        new[key] = w[key].copy()
        new[key][at] = value
        self.message.hide()
        self.source.set_weights(new, f"Set {key}[{','.join(str(i) for i in at)}]")
