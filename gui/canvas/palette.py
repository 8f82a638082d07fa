"""The palette: every engine node kind, grouped by category, ready to drag.

A standard Qt model/view pair: ``PaletteModel.mimeData`` puts the node kind
under ``NODE_KIND_MIME``, so dragging works through Qt's own drag-and-drop
and the canvas accepts it like any other drop. Double-click emits
``kind_activated`` (the window adds the node at the view's centre).
"""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QTreeView

from engine.graph import NODE_SPECS
from gui.common.icons import node_icon
from gui.common.style import CATEGORY_ORDER, category_color, ui_font

__all__ = ["PaletteModel", "PaletteView", "NODE_KIND_MIME", "KIND_ROLE"]

NODE_KIND_MIME = "application/x-netcanvas-node-kind"
KIND_ROLE = Qt.ItemDataRole.UserRole + 1

_CATEGORY_HELP = {
    "Data": "Where examples enter and predictions leave",
    "Layers": "Learnable or training-time layers",
    "Activations": "Bend the line: applied to each value",
    "Structure": "Merge branches of the network",
}


class PaletteModel(QStandardItemModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        root = self.invisibleRootItem()
        for cat in CATEGORY_ORDER:
            group = QStandardItem(cat)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setFont(ui_font(9, bold=True))
            group.setForeground(category_color(cat))
            group.setToolTip(_CATEGORY_HELP.get(cat, ""))
            for kind, spec in NODE_SPECS.items():
                if spec.category != cat:
                    continue
                item = QStandardItem(node_icon(kind), spec.title)
                item.setData(kind, KIND_ROLE)
                item.setToolTip(f"<b>{spec.title}</b><br><tt>{spec.formula}</tt>"
                                "<br><span style='color:#6b7280'>drag onto the canvas, "
                                "or double-click to add</span>")
                item.setStatusTip(f"{spec.title}: {spec.formula}")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                group.appendRow(item)
            root.appendRow(group)

    def mimeTypes(self) -> list[str]:
        return [NODE_KIND_MIME]

    def mimeData(self, indexes) -> QMimeData:
        kinds = [i.data(KIND_ROLE) for i in indexes if i.data(KIND_ROLE)]
        mime = QMimeData()
        if kinds:
            mime.setData(NODE_KIND_MIME, kinds[0].encode("utf-8"))
            mime.setText(kinds[0])
        return mime

    def supportedDragActions(self):
        return Qt.DropAction.CopyAction

    def index_of_kind(self, kind: str) -> QModelIndex:
        for r in range(self.rowCount()):
            group = self.item(r)
            for c in range(group.rowCount()):
                if group.child(c).data(KIND_ROLE) == kind:
                    return group.child(c).index()
        return QModelIndex()


class PaletteView(QTreeView):
    kind_activated = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("palette")
        self.setAccessibleName("palette")
        self.setModel(PaletteModel(self))
        self.setHeaderHidden(True)
        self.setIconSize(QSize(22, 22))
        self.setIndentation(10)
        self.setRootIsDecorated(False)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setExpandsOnDoubleClick(False)
        self.setItemsExpandable(False)
        self.setUniformRowHeights(True)
        self.setMinimumWidth(130)
        self.expandAll()
        self.doubleClicked.connect(self._on_palette_double_clicked)

    def _on_palette_double_clicked(self, index: QModelIndex) -> None:
        kind = index.data(KIND_ROLE)
        if kind:
            self.kind_activated.emit(kind)

    def set_locked(self, locked: bool) -> None:
        self.setDragEnabled(not locked)
