"""Graphics items that *show* the document: nodes, their ports, and edges.

Items hold no truth of their own: the scene fills them from the document
(``NodeItem.set_view``) and they report intent (a drag, a port press) to the
scene and view. A node's ports are child items; each keeps a Python reference
to its node (``port.node``) so nobody needs ``parentItem()``, which deletes
top-level wrappers in PySide6 (a known trap in 6.8 to 6.12).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from gui.common.icons import paint_node_glyph
from gui.common.plot_style import NEGATIVE, POSITIVE
from gui.common.style import ACCENT, EDGE, ERROR, HIGHLIGHT, TEXT, TEXT_MUTED, category_color, mono_font, ui_font

from gui.canvas.insight import LinkWeight, NodeInsight
from gui.canvas.insight_paint import InsightBand

__all__ = ["NodeView", "NodeItem", "PortItem", "EdgeItem", "NODE_W", "NODE_H", "GRID", "BAND_RECT"]

NODE_W = 180.0
NODE_H = 104.0
HEADER_H = 26.0
BAND_RECT = QRectF(10.0, HEADER_H + 40.0, NODE_W - 20.0, 30.0)   # the insight band (weights / output)
PORT_R = 6.0
GRID = 10.0


@dataclass
class NodeView:
    """What a node item shows; computed from the document by the scene."""
    kind: str
    category: str
    title: str                 # "Dense · 32"
    node_id: str
    shape: str                 # "[N, 7] → [N, 32]"
    detail: str                # "256 params" or the formula
    tooltip: str
    has_input: bool = True
    has_output: bool = True
    multi_input: bool = False
    issues: list[str] = field(default_factory=list)


class PortItem(QGraphicsItem):
    """An input (left) or output (right) port; its origin is the port's centre."""

    def __init__(self, node: "NodeItem", direction: str) -> None:
        super().__init__(node)
        self.node = node                  # Python reference: never ask parentItem()
        self.direction = direction        # "in" | "out"
        self.state = "normal"             # "normal" | "hover" | "ok" | "refused"
        self.setAcceptHoverEvents(True)
        self.setZValue(2)
        self.setCursor(Qt.CursorShape.CrossCursor)
        y = NODE_H / 2
        self.setPos(0.0 if direction == "in" else NODE_W, y)
        self.setToolTip("drag to an input port to connect" if direction == "out"
                        else "input: drag here from an output port")

    @property
    def node_id(self) -> str:
        return self.node.node_id

    def boundingRect(self) -> QRectF:
        r = PORT_R + 5
        return QRectF(-r, -r, 2 * r, 2 * r)

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()

    def hoverEnterEvent(self, event) -> None:
        if self.state == "normal":
            self.set_state("hover")

    def hoverLeaveEvent(self, event) -> None:
        if self.state == "hover":
            self.set_state("normal")

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = self.node.color
        r = PORT_R
        fill = QColor("white")
        if self.state == "hover":
            fill, r = color, PORT_R + 1.5
        elif self.state == "ok":
            color, fill, r = QColor("#16a34a"), QColor("#16a34a"), PORT_R + 2.5
        elif self.state == "refused":
            color, fill, r = ERROR, QColor("#fee2e2"), PORT_R + 2.5
        p.setPen(QPen(color, 2.2))
        p.setBrush(fill)
        p.drawEllipse(QPointF(0, 0), r, r)


class NodeItem(QGraphicsItem):
    """A node card: coloured header with glyph and title, shapes and cost below."""

    def __init__(self, node_id: str, view: NodeView, on_moved=None) -> None:
        super().__init__()
        self.node_id = node_id
        self.view = view
        self.color = category_color(view.category)
        self.highlighted = False
        self._on_moved = on_moved
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        # a card changes far less often than the view repaints (hover, drags, 4 insight refreshes a
        # second while training): painting it is one blit of a pixmap at screen resolution
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.in_port = PortItem(self, "in") if view.has_input else None
        self.out_port = PortItem(self, "out") if view.has_output else None
        self.insight: NodeInsight | None = None     # weights / output on the example (see insight.py)
        self.band: InsightBand | None = None
        self.placeholder = ""                        # what an empty band says
        self.set_view(view)

    # -- content -------------------------------------------------------------
    def set_view(self, view: NodeView) -> None:
        self.view = view
        self.color = category_color(view.category)
        self._update_tooltip()
        self.update()

    def set_insight(self, insight: NodeInsight | None, placeholder: str = "") -> None:
        """Show ``insight`` in the card's band (``None``: the band says ``placeholder``)."""
        self.insight = insight
        band = InsightBand(insight, BAND_RECT) if insight is not None else None
        self.band = None if band is None or band.empty else band
        self.placeholder = placeholder
        self._update_tooltip()
        self.update(BAND_RECT)

    def _update_tooltip(self) -> None:
        view = self.view
        tip = view.tooltip
        if self.insight is not None and self.insight.tip:
            tip += self.insight.tip
        if view.issues:
            tip += "<hr><span style='color:#dc2626'>" + "<br>".join(_html(m) for m in view.issues) + "</span>"
        self.setToolTip(tip)

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    def ports(self) -> list[PortItem]:
        return [p for p in (self.in_port, self.out_port) if p is not None]

    # -- geometry ------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(-6, -6, NODE_W + 12, NODE_H + 12)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_W, NODE_H), 9, 9)
        return path

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            v = QPointF(value)
            return QPointF(round(v.x() / GRID) * GRID, round(v.y() / GRID) * GRID)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and self._on_moved:
            self._on_moved(self)
        return super().itemChange(change, value)

    # -- painting ------------------------------------------------------------
    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        rect = QRectF(0, 0, NODE_W, NODE_H)
        bad = bool(self.view.issues)
        # soft shadow
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(15, 23, 42, 22))
        p.drawRoundedRect(rect.translated(0, 2.5), 9, 9)
        if self.highlighted:
            p.setBrush(QColor(HIGHLIGHT.red(), HIGHLIGHT.green(), HIGHLIGHT.blue(), 70))
            p.drawRoundedRect(rect.adjusted(-5, -5, 5, 5), 13, 13)
        # body
        p.setBrush(QColor("#fff5f5") if bad else QColor("white"))
        p.drawRoundedRect(rect, 9, 9)
        # header
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_W, HEADER_H + 9), 9, 9)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, NODE_W, HEADER_H))
        p.setBrush(ERROR if bad else self.color)
        p.drawPath(header.intersected(clip))
        paint_node_glyph(p, self.view.kind, QRectF(8, 5, 16, 16), QColor("white"))
        p.setPen(QColor("white"))
        title_font = ui_font(9.5, bold=True)
        room = NODE_W - 30 - 6
        if QFontMetricsF(title_font).horizontalAdvance(self.view.title) > room:
            title_font = ui_font(8.5, bold=True)         # "Output · regression" fits rather than elides
        p.setFont(title_font)
        fm = QFontMetricsF(p.font())
        id_font = ui_font(7.5)
        id_w = QFontMetricsF(id_font).horizontalAdvance(self.view.node_id) + 8
        show_id = fm.horizontalAdvance(self.view.title) + id_w <= room
        title = fm.elidedText(self.view.title, Qt.TextElideMode.ElideRight, room)
        p.drawText(QRectF(30, 0, room, HEADER_H), Qt.AlignmentFlag.AlignVCenter, title)
        if show_id:
            p.setFont(id_font)
            p.setPen(QColor(255, 255, 255, 200))
            p.drawText(QRectF(30, 0, room, HEADER_H),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, self.view.node_id)
        # shape line and detail line
        p.setFont(mono_font(9))
        p.setPen(ERROR if bad else TEXT)
        p.drawText(QRectF(10, HEADER_H + 3, NODE_W - 20, 18), Qt.AlignmentFlag.AlignVCenter,
                   self.view.shape)
        p.setFont(ui_font(8))
        p.setPen(ERROR if bad else TEXT_MUTED)
        detail = self.view.issues[0] if bad else self.view.detail
        fm = QFontMetricsF(p.font())
        p.drawText(QRectF(10, HEADER_H + 20, NODE_W - 20, 16), Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(detail, Qt.TextElideMode.ElideRight, NODE_W - 20))
        # the insight band: weights (Dense) or the output on the example
        if self.band is not None:
            self.band.paint(p)
        else:
            InsightBand.paint_placeholder(p, BAND_RECT, self.placeholder)
        # outline
        if self.isSelected():
            p.setPen(QPen(ACCENT, 2.4))
        elif bad:
            p.setPen(QPen(ERROR, 2.0))
        else:
            p.setPen(QPen(QColor("#d1d5db"), 1.0))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, 9, 9)


class EdgeItem(QGraphicsPathItem):
    """A smooth bezier from an output port to an input port."""

    def __init__(self, edge, src: NodeItem, dst: NodeItem) -> None:
        super().__init__()
        self.edge = edge
        self.src, self.dst = src, dst        # Python references to the node items
        self.issue: str | None = None
        self.link: LinkWeight | None = None      # the weights on a link into a Dense node
        self.highlighted = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self._hover = False
        self.update_path()
        self.set_issue(None)

    def update_path(self) -> None:
        a = self.src.pos() + QPointF(NODE_W, NODE_H / 2)
        b = self.dst.pos() + QPointF(0, NODE_H / 2)
        self.setPath(bezier(a, b))

    def set_issue(self, issue: str | None) -> None:
        self.issue = issue
        self._update_tooltip()
        self.update()

    def set_link(self, link: LinkWeight | None) -> None:
        """Draw the link by its weights (Playground): width by mean |W|, tint by their sign balance."""
        if link is self.link:
            return
        self.prepareGeometryChange()
        self.link = link
        self._update_tooltip()
        self.update()

    def _update_tooltip(self) -> None:
        base = f"{self.edge.src} → {self.edge.dst}   (select and press Delete to disconnect)"
        if self.link is not None:
            base += f"\n{self.link.tip}"
        self.setToolTip(base if not self.issue else f"{base}\n{self.issue}")

    def weight_width(self) -> float:
        """The pen width for this link's weights: 2 px without weights, 1.5–5.5 px by mean |W|."""
        if self.link is None:
            return 2.0
        return 1.5 + 4.0 * math.tanh(self.link.mean_abs)

    def weight_color(self) -> QColor:
        """Grey for balanced weights, bluer as they lean positive, more orange as they lean negative."""
        color = QColor(EDGE)
        if self.link is None:
            return color
        end = QColor(POSITIVE if self.link.balance >= 0 else NEGATIVE)
        t = min(1.0, abs(self.link.balance)) ** 0.7
        return QColor.fromRgbF(color.redF() + t * (end.redF() - color.redF()),
                               color.greenF() + t * (end.greenF() - color.greenF()),
                               color.blueF() + t * (end.blueF() - color.blueF()))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(max(12.0, self.weight_width() + 6))
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:
        return self.shape().boundingRect()

    def hoverEnterEvent(self, event) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hover = False
        self.update()

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        color, width = self.weight_color(), self.weight_width()
        if self.issue:
            color = ERROR
        if self.isSelected():
            color, width = QColor(ACCENT), width + 1.0
        elif self._hover:
            width += 1.0
        p.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(self.path())
        # a small arrowhead at the input port
        end = self.path().pointAtPercent(1.0)
        p.setBrush(color)
        p.setPen(Qt.PenStyle.NoPen)
        tri = QPainterPath()
        half, length = max(4.5, 1.1 * width), max(8.0, 1.8 * width)
        tri.moveTo(end.x() - PORT_R - 1, end.y())
        tri.lineTo(end.x() - PORT_R - 1 - length, end.y() - half)
        tri.lineTo(end.x() - PORT_R - 1 - length, end.y() + half)
        tri.closeSubpath()
        p.drawPath(tri)


def bezier(a: QPointF, b: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic from a to b. When b lies left of a (a wrapped row),
    the edge swings out, runs back along the gap between the rows and swings in."""
    path = QPainterPath(a)
    if b.x() < a.x() - 20 and abs(b.y() - a.y()) > NODE_H:
        mid_y = (a.y() + b.y()) / 2
        r = min(40.0, abs(mid_y - a.y()))
        path.cubicTo(QPointF(a.x() + r, a.y()), QPointF(a.x() + r, mid_y), QPointF(a.x(), mid_y))
        path.lineTo(QPointF(b.x(), mid_y))
        path.cubicTo(QPointF(b.x() - r, mid_y), QPointF(b.x() - r, b.y()), b)
        return path
    dx = max(50.0, abs(b.x() - a.x()) * 0.5)
    path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def rubber_pen() -> QPen:
    pen = QPen(QColor(ACCENT), 2.0, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap)
    return pen

