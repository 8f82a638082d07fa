"""The canvas view: navigation (wheel zoom, middle/space-drag pan, fit), drops from
the palette, connecting ports with a rubber-band line, and the context menu.

Mouse gestures become intent that :class:`CanvasEditor` turns into commands;
the view never edits the document itself.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsView, QMenu

from engine.graph import NODE_SPECS
from gui.common.icons import node_icon
from gui.common.style import CANVAS_BG, CATEGORY_ORDER, ERROR, GRID_MAJOR, GRID_MINOR, TEXT_MUTED, ui_font

from gui.canvas.editing import CanvasEditor
from gui.canvas.items import EdgeItem, NodeItem, PortItem
from gui.canvas.palette import NODE_KIND_MIME
from gui.canvas.scene import CanvasScene

__all__ = ["CanvasView"]

MIN_ZOOM, MAX_ZOOM = 0.2, 3.0
FIT_MAX_ZOOM = 1.25           # fitting never blows a small network up beyond this
PORT_GRAB_PX = 13.0           # a press this close to a port (in screen pixels) starts a connection
SPACE_RELEASE_MS = 80         # X11 key auto-repeat sends release/press pairs while space is held


class CanvasView(QGraphicsView):
    files_dropped = Signal(list)           # local paths dropped on the canvas
    zoom_changed = Signal(float)
    unit_clicked = Signal(str, int)         # a card's bar or heat-map column clicked: node id, unit

    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setAccessibleName("canvas")
        self.document = document
        self.canvas_scene = CanvasScene(document, self)     # parented: owned on the C++ side too
        self.setScene(self.canvas_scene)
        self.editor = CanvasEditor(document, self.canvas_scene, self)
        self.context_actions: list[QAction | None] = []      # filled by the main window
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._pan_from: QPoint | None = None
        self._space = False
        # a space release only counts once no press follows at once: with X11 auto-repeat a held
        # key arrives as release/press pairs that Qt does not always mark as auto-repeated
        self._space_release = QTimer(self)
        self._space_release.setSingleShot(True)
        self._space_release.setInterval(SPACE_RELEASE_MS)
        self._space_release.timeout.connect(self._on_space_released)
        self._link: dict | None = None                   # the connection being dragged
        self._hint: tuple[str, bool, QPointF] | None = None
        self.locked_reason: str | None = None
        self.auto_fit = True                             # fit on resize until the person navigates
        self.editor.refused.connect(self._on_editor_refused)
        document.replaced.connect(self._on_document_replaced)

    # -- public API --------------------------------------------------------------
    def attach_training(self, controller) -> None:
        """Let the cards follow a run live (the controller's ``snapshot_received``)."""
        self.canvas_scene.insight.attach_training(controller)

    def highlight_nodes(self, ids) -> None:
        """Glow the cards of ``ids`` (an empty list clears); used by the units plot hover."""
        self.canvas_scene.set_highlighted(ids)

    def set_locked(self, locked: bool, reason: str = "") -> None:
        self.locked_reason = (reason or "training is running") if locked else None
        self.editor.set_locked(locked, reason)
        self._cancel_link()
        self.viewport().update()

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor_center: bool = True) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        if abs(factor - 1.0) < 1e-6:
            return
        old = self.transformationAnchor()
        if anchor_center:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.scale(factor, factor)
        self.setTransformationAnchor(old)
        self.zoom_changed.emit(self.zoom())

    def zoom_in(self) -> None:
        self.auto_fit = False
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.auto_fit = False
        self.zoom_by(1 / 1.25)

    def _on_document_replaced(self) -> None:
        self.auto_fit = True
        self.fit_to_view()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.auto_fit:
            self.fit_to_view()

    def fit_to_view(self) -> None:
        rect = self.canvas_scene.nodes_rect()
        if rect.isNull():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-24, -40, 24, 40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > FIT_MAX_ZOOM:
            self.zoom_by(FIT_MAX_ZOOM / self.zoom())
        self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom())

    def arrange(self) -> bool:
        """Lay the network out left to right and show all of it (the new layout may be wider)."""
        moved = self.editor.arrange()
        if moved:
            self.fit_to_view()
        return moved

    def add_node(self, kind: str, scene_pos: QPointF) -> str | None:
        """Add a node near ``scene_pos`` (the editor keeps it clear of other cards); the view only
        scrolls when the new card would be out of sight, so the rest of the picture stays put."""
        nid = self.editor.add_node(kind, scene_pos)
        item = self.canvas_scene.nodes.get(nid) if nid else None
        if item is not None:
            rect = item.sceneBoundingRect()
            if not self.mapToScene(self.viewport().rect()).boundingRect().contains(rect):
                self.ensureVisible(rect, 16, 16)
        return nid

    def center_scene_pos(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    # -- drawing -------------------------------------------------------------------
    def drawBackground(self, p: QPainter, rect: QRectF) -> None:
        p.fillRect(rect, CANVAS_BG)
        z = self.zoom()
        for step, color in ((20, GRID_MINOR), (100, GRID_MAJOR)):
            if step * z < 8:
                continue
            p.setPen(QPen(color, 0))
            left = int(rect.left()) - int(rect.left()) % step
            top = int(rect.top()) - int(rect.top()) % step
            x = left
            while x < rect.right():
                p.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
                x += step
            y = top
            while y < rect.bottom():
                p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
                y += step

    def drawForeground(self, p: QPainter, rect: QRectF) -> None:
        p.save()
        p.resetTransform()
        vp = self.viewport().rect()
        if not self.canvas_scene.nodes:
            p.setPen(TEXT_MUTED)
            p.setFont(ui_font(11))
            p.drawText(vp, Qt.AlignmentFlag.AlignCenter,
                       "Drag layers and activations from the palette,\n"
                       "or double-click one to add it here.")
        if self.locked_reason:
            text = self.locked_reason[:1].upper() + self.locked_reason[1:]
            self._draw_banner(p, vp, text, QColor("#fff7ed"), QColor("#c2410c"))
        if self._hint:
            text, ok, at = self._hint
            self._draw_pill(p, text, at, ok)
        p.restore()

    def _draw_banner(self, p: QPainter, vp, text: str, bg: QColor, fg: QColor) -> None:
        p.setFont(ui_font(9.5, bold=True))
        fm = QFontMetricsF(p.font())
        w = fm.horizontalAdvance(text) + 28
        r = QRectF((vp.width() - w) / 2, 10, w, 30)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(fg, 1))
        p.setBrush(bg)
        p.drawRoundedRect(r, 8, 8)
        p.setPen(fg)
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)

    def _draw_pill(self, p: QPainter, text: str, at: QPointF, ok: bool) -> None:
        p.setFont(ui_font(9))
        fm = QFontMetricsF(p.font())
        w = min(fm.horizontalAdvance(text) + 20, 520)
        r = QRectF(at.x() + 16, at.y() + 14, w, 24)
        vp = self.viewport().rect()
        if r.right() > vp.right() - 4:
            r.moveRight(vp.right() - 4)
        if r.bottom() > vp.bottom() - 4:          # near the bottom edge: show it above the mouse
            r.moveBottom(at.y() - 14)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fg = QColor("#15803d") if ok else ERROR
        p.setPen(QPen(fg, 1))
        p.setBrush(QColor("#f0fdf4") if ok else QColor("#fef2f2"))
        p.drawRoundedRect(r, 6, 6)
        p.setPen(fg)
        p.drawText(r.adjusted(10, 0, -10, 0), Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(text, Qt.TextElideMode.ElideRight, w - 20))

    # -- connecting ports ------------------------------------------------------------
    def _start_link(self, port: PortItem) -> None:
        self._link = {"port": port, "target": None}
        port.set_state("ok")
        self.setCursor(Qt.CursorShape.CrossCursor)

    def _update_link(self, view_pos: QPoint) -> None:
        link = self._link
        anchor: PortItem = link["port"]
        scene_pos = self.mapToScene(view_pos)
        target = self._link_target_at(scene_pos)
        if link["target"] is not None and link["target"] is not target:
            link["target"].set_state("normal")
        if link.get("self") is not None:
            link["self"].set_state("normal")
        link["target"] = None
        self._hint = None
        end = scene_pos
        link["self"] = None
        if target is None:
            node = self.canvas_scene.node_at(scene_pos)
            own = self.canvas_scene.port_at(scene_pos, radius=self._port_radius())
            if node is not None and node is not anchor.node:
                side = "input" if anchor.direction == "out" else "output"
                self._hint = (f"✕ {node.view.title} has no {side} port", False, QPointF(view_pos))
            elif own is not None and own.node is anchor.node and own.direction != anchor.direction:
                # the node's own other port: a loop onto itself, refused with the graph's reason
                reason = self.editor.can_connect(anchor.node_id, anchor.node_id) or "a node cannot feed itself"
                own.set_state("refused")
                link["self"] = own
                end = own.scenePos()
                self._hint = (f"✕ {reason}", False, QPointF(view_pos))
        if target is not None and target is not anchor:
            if target.direction == anchor.direction:
                reason = "connect an output port (right) to an input port (left)"
            else:
                src, dst = ((anchor.node_id, target.node_id) if anchor.direction == "out"
                            else (target.node_id, anchor.node_id))
                reason = self.editor.can_connect(src, dst)
            target.set_state("refused" if reason else "ok")
            link["target"] = target
            link["reason"] = reason
            end = target.scenePos()
            replaced = None if reason else self.editor.replaced_edge(src, dst)
            ok_text = (f"release to replace {replaced.src} → {replaced.dst}" if replaced is not None
                       else "release to connect")
            self._hint = ((f"✕ {reason}" if reason else ok_text), not reason, QPointF(view_pos))
        self.canvas_scene.show_rubber(anchor.scenePos(), end, reverse=(anchor.direction == "in"))
        self.viewport().update()

    def _link_target_at(self, scene_pos: QPointF) -> PortItem | None:
        """The port a connection being dragged would end on: a port near the mouse, or the
        matching port of the node card under it (the whole card is a target, not only the dot)."""
        anchor: PortItem = self._link["port"]
        port = self.canvas_scene.port_at(scene_pos, radius=self._port_radius())
        if port is not None and port.node is not anchor.node:
            return port
        node = self.canvas_scene.node_at(scene_pos)
        if node is None or node is anchor.node:
            return None
        return node.in_port if anchor.direction == "out" else node.out_port

    def _port_radius(self) -> float:
        """How near (in scene units) a press must be to a port: a fixed size on screen."""
        return min(24.0, max(10.0, PORT_GRAB_PX / max(self.zoom(), 1e-3)))

    def _finish_link(self) -> None:
        link, self._link = self._link, None
        anchor: PortItem = link["port"]
        target: PortItem | None = link["target"]
        anchor.set_state("normal")
        self.canvas_scene.hide_rubber()
        self._hint = None
        self.unsetCursor()
        if link.get("self") is not None:         # released on its own other port: say why not
            link["self"].set_state("normal")
            self.editor.connect(anchor.node_id, anchor.node_id)
        if target is not None:
            target.set_state("normal")
            if target.direction != anchor.direction:
                src, dst = ((anchor.node_id, target.node_id) if anchor.direction == "out"
                            else (target.node_id, anchor.node_id))
                self.editor.connect(src, dst)
            else:
                self.editor.message.emit("Connect an output port (right side) to an input port (left side)")
        self.viewport().update()

    def _cancel_link(self) -> None:
        if self._link is not None:
            self._link["port"].set_state("normal")
            if self._link["target"] is not None:
                self._link["target"].set_state("normal")
            if self._link.get("self") is not None:
                self._link["self"].set_state("normal")
            self._link = None
            self.canvas_scene.hide_rubber()
            self._hint = None
            self.unsetCursor()

    def _on_editor_refused(self, text: str) -> None:
        self.viewport().update()

    # -- mouse -------------------------------------------------------------------------
    def _item_at(self, view_pos: QPoint):
        for item in self.items(view_pos):
            if isinstance(item, (PortItem, NodeItem, EdgeItem)):
                return item
        return None

    def mousePressEvent(self, event) -> None:
        btn = event.button()
        if btn == Qt.MouseButton.MiddleButton or (btn == Qt.MouseButton.LeftButton and self._space):
            self._pan_from = event.position().toPoint()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if btn == Qt.MouseButton.LeftButton:
            port = self.canvas_scene.port_at(self.mapToScene(event.position().toPoint()),
                                             radius=self._port_radius())
            if port is not None:
                if self.locked_reason:
                    self.editor._refuse_if_locked()
                else:
                    self._start_link(port)
                event.accept()
                return
        super().mousePressEvent(event)
        if btn == Qt.MouseButton.LeftButton:
            self._emit_unit_at(event.position().toPoint())

    def _emit_unit_at(self, view_pos: QPoint) -> None:
        """A press on a card's insight band names the unit under it (the unit explorer listens)."""
        item = self._item_at(view_pos)
        if isinstance(item, NodeItem) and item.band is not None:
            unit = item.band.unit_at(item.mapFromScene(self.mapToScene(view_pos)))
            if unit is not None:
                self.unit_clicked.emit(item.node_id, unit)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            pos = event.position().toPoint()
            delta = pos - self._pan_from
            self._pan_from = pos
            self.translate_view(delta.x(), delta.y())
            self.auto_fit = False
            event.accept()
            return
        if self._link is not None:
            self._update_link(event.position().toPoint())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            if self._space:
                self.setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.unsetCursor()
            event.accept()
            return
        if self._link is not None and event.button() == Qt.MouseButton.LeftButton:
            self._update_link(event.position().toPoint())
            self._finish_link()
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.editor.commit_drag()

    def translate_view(self, dx: float, dy: float) -> None:
        """Pan by a number of viewport pixels (through the scroll bars: exact, no rounding drift)."""
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() - round(dx))
        v.setValue(v.value() - round(dy))

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.auto_fit = False
            self.zoom_by(1.15 ** steps, anchor_center=False)
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space:
            self._space_release.stop()
            if not self._space:
                self._space = True
                if self._pan_from is None:
                    self.setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self._link is not None:
            self._cancel_link()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space_release.start()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def _on_space_released(self) -> None:
        """Space is really up. A pan under way goes on until its mouse button is released."""
        self._space = False
        if self._pan_from is None:
            self.unsetCursor()

    def focusOutEvent(self, event) -> None:
        self._space_release.stop()
        self._space = False
        if self._pan_from is None:
            self.unsetCursor()
        super().focusOutEvent(event)

    # -- drops ------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(NODE_KIND_MIME) or mime.hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(NODE_KIND_MIME) or mime.hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(NODE_KIND_MIME):
            kind = bytes(mime.data(NODE_KIND_MIME)).decode("utf-8")
            self.add_node(kind, self.mapToScene(event.position().toPoint()))
            self.setFocus()                       # Delete, Backspace and Space act on the canvas now
            event.acceptProposedAction()
        elif mime.hasUrls():
            paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
            if paths:
                self.files_dropped.emit(paths)
            event.acceptProposedAction()
        else:
            event.ignore()

    # -- context menu -----------------------------------------------------------------
    def contextMenuEvent(self, event) -> None:
        menu = self.build_context_menu(self.mapToScene(event.pos()))
        menu.exec(event.globalPos())

    def build_context_menu(self, scene_pos: QPointF) -> QMenu:
        item = self._item_at(self.mapFromScene(scene_pos))
        if isinstance(item, (NodeItem, EdgeItem)) and not item.isSelected():
            self.canvas_scene.clearSelection()
            item.setSelected(True)
        menu = QMenu(self)
        add = menu.addMenu("Add node")
        add.setEnabled(not self.locked_reason)
        for cat in CATEGORY_ORDER:
            add.addSection(cat)
            for kind, spec in NODE_SPECS.items():
                if spec.category == cat:
                    act = add.addAction(node_icon(kind), spec.title)
                    act.setToolTip(spec.formula)
                    act.triggered.connect(lambda _=False, k=kind, at=QPointF(scene_pos):  # noqa: B008 (a copy, on purpose)
                                          self.add_node(k, at))
        menu.addSeparator()
        if self.context_actions:
            for act in self.context_actions:
                menu.addSeparator() if act is None else menu.addAction(act)
        else:
            stack = self.document.undo_stack
            menu.addAction("Undo", stack.undo).setEnabled(stack.canUndo())
            menu.addAction("Redo", stack.redo).setEnabled(stack.canRedo())
            menu.addSeparator()
            menu.addAction("Cut", self.editor.cut)
            menu.addAction("Copy", self.editor.copy)
            menu.addAction("Paste", lambda: self.editor.paste(scene_pos))
            menu.addAction("Delete", self.editor.delete_selection)
            menu.addSeparator()
            menu.addAction("Select All", self.editor.select_all)
            menu.addAction("Arrange", self.arrange)
            menu.addSeparator()
            menu.addAction("Zoom In", self.zoom_in)
            menu.addAction("Zoom Out", self.zoom_out)
            menu.addAction("Fit to View", self.fit_to_view)
        return menu
