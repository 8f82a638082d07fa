"""Icons drawn with QPainter at run time: no image files to ship or lose.

``node_icon(kind)`` draws what the node does (an activation icon is the plot
of the activation itself); ``action_icon(name)`` draws the flat toolbar glyphs.
Icons are cached: each is painted once per process.
"""
from __future__ import annotations

import math
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from engine.graph import NODE_SPECS
from engine.layers import sigmoid

from gui.common.style import category_color

__all__ = ["node_icon", "action_icon", "paint_node_glyph"]

_SIZE = 64

_CURVES = {
    "identity": lambda r: r / 3,
    "sigmoid": lambda r: float(sigmoid(2 * r)),
    "hard_sigmoid": lambda r: min(1.0, max(0.0, 0.35 * r + 0.5)),
    "relu": lambda r: max(0.0, r) / 3,
    "leaky_relu": lambda r: (r if r > 0 else 0.15 * r) / 3,
    "tanh": lambda r: math.tanh(1.5 * r),
    "softplus": lambda r: math.log1p(math.exp(1.5 * r)) / 4.5,
}


def _pixmap() -> QPixmap:
    pm = QPixmap(_SIZE, _SIZE)
    pm.fill(Qt.GlobalColor.transparent)
    return pm


def paint_node_glyph(p: QPainter, kind: str, rect: QRectF, color: QColor) -> None:
    """Draw the glyph of ``kind`` inside ``rect`` with ``color`` (used by icons and node headers)."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    w = rect.width()
    pen = QPen(color, max(1.2, w / 11), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    x0, y0 = rect.left(), rect.top()

    def pt(fx, fy):
        return QPointF(x0 + fx * w, y0 + fy * rect.height())

    if kind in _CURVES:
        f = _CURVES[kind]
        lo, hi = (-0.5, 1.0) if kind in ("identity", "relu", "leaky_relu", "tanh") else (0.0, 1.0)
        if kind == "tanh":
            lo, hi = -1.0, 1.0
        path = QPainterPath()
        for i in range(41):
            r = -3 + 6 * i / 40
            v = (f(r) - lo) / (hi - lo)
            q = pt(0.08 + 0.84 * i / 40, 0.9 - 0.8 * v)
            path.moveTo(q) if i == 0 else path.lineTo(q)
        faint = QPen(QColor(color.red(), color.green(), color.blue(), 90), max(1.0, w / 20))
        p.setPen(faint)
        p.drawLine(pt(0.05, 0.5), pt(0.95, 0.5))
        p.setPen(pen)
        p.drawPath(path)
    elif kind == "dense":
        left = [pt(0.2, y) for y in (0.25, 0.5, 0.75)]
        right = [pt(0.8, y) for y in (0.35, 0.65)]
        thin = QPen(color, max(1.0, w / 22))
        p.setPen(thin)
        for a in left:
            for b in right:
                p.drawLine(a, b)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        for c in left + right:
            p.drawEllipse(c, w * 0.09, w * 0.09)
    elif kind == "dropout":
        p.setPen(Qt.PenStyle.NoPen)
        for i in range(3):
            for j in range(3):
                c = pt(0.22 + 0.28 * i, 0.22 + 0.28 * j)
                if (i + 2 * j) % 3 == 1:
                    p.setPen(QPen(color, max(1.0, w / 22)))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                else:
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(color)
                p.drawEllipse(c, w * 0.09, w * 0.09)
    elif kind == "input":
        p.drawRoundedRect(QRectF(pt(0.45, 0.2), pt(0.88, 0.8)), w * 0.06, w * 0.06)
        p.drawLine(pt(0.1, 0.5), pt(0.6, 0.5))
        p.drawPolyline(QPolygonF([pt(0.45, 0.36), pt(0.6, 0.5), pt(0.45, 0.64)]))
    elif kind == "output":
        p.drawEllipse(QRectF(pt(0.15, 0.15), pt(0.85, 0.85)))
        p.drawEllipse(QRectF(pt(0.33, 0.33), pt(0.67, 0.67)))
        p.setBrush(color)
        p.drawEllipse(pt(0.5, 0.5), w * 0.05, w * 0.05)
    elif kind == "add":
        p.drawEllipse(QRectF(pt(0.15, 0.15), pt(0.85, 0.85)))
        p.drawLine(pt(0.5, 0.3), pt(0.5, 0.7))
        p.drawLine(pt(0.3, 0.5), pt(0.7, 0.5))
    elif kind == "concat":
        p.setBrush(QBrush(color))
        p.drawRect(QRectF(pt(0.15, 0.22), pt(0.42, 0.78)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(QRectF(pt(0.42, 0.22), pt(0.85, 0.78)))
    else:
        p.drawEllipse(QRectF(pt(0.2, 0.2), pt(0.8, 0.8)))
    p.restore()


@lru_cache(maxsize=None)
def node_icon(kind: str) -> QIcon:
    """A rounded tile in the category colour with the kind's glyph in white."""
    pm = _pixmap()
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = category_color(NODE_SPECS[kind].category)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawRoundedRect(QRectF(2, 2, _SIZE - 4, _SIZE - 4), 14, 14)
    paint_node_glyph(p, kind, QRectF(12, 12, _SIZE - 24, _SIZE - 24), QColor("white"))
    p.end()
    return QIcon(pm)


def _arrow_arc(p: QPainter, clockwise: bool) -> None:
    rect = QRectF(14, 16, 36, 36)
    start, span = (200, -230) if clockwise else (-20, 230)
    path = QPainterPath()
    path.arcMoveTo(rect, start)
    path.arcTo(rect, start, span)
    p.drawPath(path)
    end = path.currentPosition()
    tip = QPointF(end.x() + (6 if clockwise else -6), end.y() + 8)
    head = QPolygonF([QPointF(end.x() - 8 if clockwise else end.x() + 8, end.y() - 2), end, tip])
    p.drawPolyline(head)


@lru_cache(maxsize=None)
def action_icon(name: str) -> QIcon:
    """Flat toolbar glyphs: new, open, save, import, export, undo, redo, train, pause,
    step, step_epoch, stop, reset, zoom_in, zoom_out, zoom_fit, delete, about."""
    pm = _pixmap()
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    ink = QColor("#374151")
    green, red, blue = QColor("#16a34a"), QColor("#dc2626"), QColor("#2563eb")
    pen = QPen(ink, 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    P = QPointF
    if name == "new":
        p.drawPolygon(QPolygonF([P(16, 8), P(38, 8), P(50, 20), P(50, 56), P(16, 56)]))
        p.drawLine(P(32, 26), P(32, 44))
        p.drawLine(P(23, 35), P(41, 35))
    elif name == "open":
        p.drawPolygon(QPolygonF([P(8, 16), P(24, 16), P(30, 22), P(52, 22), P(52, 50), P(8, 50)]))
        p.drawLine(P(8, 30), P(52, 30))
    elif name == "save":
        p.drawRoundedRect(QRectF(10, 10, 44, 44), 5, 5)
        p.drawRect(QRectF(20, 10, 22, 14))
        p.drawRect(QRectF(18, 36, 28, 18))
    elif name in ("import", "export"):
        p.drawRoundedRect(QRectF(8, 24, 48, 30), 4, 4)
        y0, y1 = (6, 38) if name == "import" else (38, 6)
        p.setPen(QPen(blue, 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        p.drawLine(P(32, y0), P(32, y1))
        d = -9 if y1 > y0 else 9
        p.drawPolyline(QPolygonF([P(23, y1 + d), P(32, y1), P(41, y1 + d)]))
    elif name in ("undo", "redo"):
        _arrow_arc(p, clockwise=(name == "redo"))
    elif name == "train":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(green)
        p.drawPolygon(QPolygonF([P(18, 10), P(54, 32), P(18, 54)]))
    elif name == "pause":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ink)
        p.drawRoundedRect(QRectF(16, 12, 11, 40), 3, 3)
        p.drawRoundedRect(QRectF(37, 12, 11, 40), 3, 3)
    elif name in ("step", "step_epoch"):
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(green if name == "step" else blue)
        p.drawPolygon(QPolygonF([P(12, 12), P(40, 32), P(12, 52)]))
        p.drawRoundedRect(QRectF(44, 12, 8, 40), 2, 2)
        if name == "step_epoch":
            p.drawRoundedRect(QRectF(4, 12, 5, 40), 2, 2)
    elif name == "stop":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(red)
        p.drawRoundedRect(QRectF(14, 14, 36, 36), 5, 5)
    elif name == "reset":
        _arrow_arc(p, clockwise=False)
    elif name in ("zoom_in", "zoom_out"):
        p.drawEllipse(QRectF(8, 8, 34, 34))
        p.drawLine(P(38, 38), P(56, 56))
        p.drawLine(P(17, 25), P(33, 25))
        if name == "zoom_in":
            p.drawLine(P(25, 17), P(25, 33))
    elif name == "zoom_fit":
        for (x, y, dx, dy) in ((8, 8, 1, 1), (56, 8, -1, 1), (8, 56, 1, -1), (56, 56, -1, -1)):
            p.drawPolyline(QPolygonF([P(x, y + 14 * dy), P(x, y), P(x + 14 * dx, y)]))
        p.drawRoundedRect(QRectF(22, 22, 20, 20), 3, 3)
    elif name == "delete":
        p.drawLine(P(16, 16), P(48, 48))
        p.drawLine(P(48, 16), P(16, 48))
    elif name == "arrange":
        for (x, y) in ((8, 10), (8, 38), (38, 24)):
            p.drawRoundedRect(QRectF(x, y, 18, 16), 3, 3)
        p.drawLine(P(26, 18), P(38, 32))
        p.drawLine(P(26, 46), P(38, 32))
    else:  # about / fallback
        p.drawEllipse(QRectF(8, 8, 48, 48))
        p.drawLine(P(32, 29), P(32, 46))
        p.setBrush(ink)
        p.drawEllipse(P(32, 20), 2.5, 2.5)
    p.end()
    return QIcon(pm)
