"""Drawing a card's insight band: a Dense layer's weights as a heat map, any node's output
on the example as bars, the Output node's prediction as a number.

Colours follow TensorFlow Playground, as the plots do (``gui/common/plot_style.py``): blue
positive, orange negative, a light grey for zero. Everything a band draws is built
once per refresh (:class:`InsightBand`); painting a card only replays an image and a
few paths, so a canvas full of cards stays as quick to paint as before.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

from gui.common.plot_style import NEGATIVE, POSITIVE
from gui.common.style import TEXT, TEXT_MUTED, mono_font, ui_font

from gui.canvas.insight import BOUNDED, NodeInsight

__all__ = ["InsightBand", "MAX_BARS"]

MAX_BARS = 160               # more values than this share a bar (the one of largest size is drawn)
_BG = QColor("#f8fafc")
_FRAME = QColor("#e2e8f0")
_BASE = QColor("#d5dbe3")
_ZERO = QColor("#7b8794")      # an output that is exactly 0 (ReLU): a dark dash on the baseline
_GRID = QColor(255, 255, 255, 150)
_LIMIT = QColor("#cbd5e1")


def _image(rgba: np.ndarray) -> QImage:
    h, w = rgba.shape[:2]
    data = np.ascontiguousarray(rgba)
    return QImage(data.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def _bucket(v: np.ndarray, n: int) -> np.ndarray:
    """``v`` in ``n`` buckets, each the value of largest size in it (a spike stays visible)."""
    edges = np.linspace(0, len(v), n + 1).astype(int)
    out = np.empty(n)
    for i in range(n):
        part = v[edges[i]:edges[i + 1]]
        out[i] = part[np.argmax(np.abs(part))] if len(part) else 0.0
    return out


class InsightBand:
    """The band at the bottom of a card, built from one :class:`NodeInsight` for ``rect``
    (card coordinates)."""

    def __init__(self, ni: NodeInsight, rect: QRectF) -> None:
        self.insight = ni
        self.rect = rect
        self.image: QImage | None = None
        self.map_rect = QRectF()
        self.grid = QPainterPath()
        self.paths: list[tuple[QPainterPath, QColor]] = []
        self.baseline: float | None = None
        self.bar_rect = QRectF()
        self.text: list[tuple[str, QColor, bool]] = []
        if ni.kind == "dense" and ni.w_rgba is not None and ni.W.size:
            self._build_map(ni)
        elif ni.kind == "output" and ni.prediction is not None and ni.task == "regression":
            self._build_value(ni)
        elif ni.kind == "output" and ni.values is not None and len(ni.values):
            self._build_classes(ni)
        elif ni.values is not None and len(ni.values):
            self._build_bars(ni, self.rect)

    @property
    def empty(self) -> bool:
        return self.image is None and not self.paths and not self.text

    # -- building -----------------------------------------------------------------------
    def _build_map(self, ni: NodeInsight) -> None:
        rows, cols = ni.W.shape
        self.image = _image(ni.w_rgba)
        r = self.rect
        # whole pixels per cell where they fit, centred; otherwise the band's width
        cw = max(1.0, min(r.width() / cols, 24.0))
        ch = max(1.0, min(r.height() / rows, 14.0))
        w, h = min(r.width(), cw * cols), min(r.height(), ch * rows)
        self.map_rect = m = QRectF(r.left() + (r.width() - w) / 2, r.top() + (r.height() - h) / 2, w, h)
        # hairlines between cells big enough to tell apart (two like-coloured neighbours stay two)
        grid = QPainterPath()
        if m.width() / cols >= 5:
            for j in range(1, cols):
                x = m.left() + j * m.width() / cols
                grid.moveTo(x, m.top())
                grid.lineTo(x, m.bottom())
        if m.height() / rows >= 5:
            for i in range(1, rows):
                y = m.top() + i * m.height() / rows
                grid.moveTo(m.left(), y)
                grid.lineTo(m.right(), y)
        self.grid = grid

    def cell_rect(self, row: int, col: int) -> QRectF:
        """Where the heat map draws ``W``'s cell (``row``, ``col``) of the shown matrix."""
        rows, cols = self.insight.W.shape
        m = self.map_rect
        cw, ch = m.width() / cols, m.height() / rows
        return QRectF(m.left() + col * cw, m.top() + row * ch, cw, ch)

    def unit_at(self, pos: QPointF) -> int | None:
        """The unit under ``pos`` (card coordinates): a bar's index, or the heat map's column
        (a Dense layer's unit, or its input for a layer narrower than its input: the units before
        it); None elsewhere, and on bars that share several values."""
        ni = self.insight
        if self.image is not None and ni.W is not None and self.map_rect.contains(pos):
            cols = ni.W.shape[1]
            col = min(cols - 1, int((pos.x() - self.map_rect.left()) / (self.map_rect.width() / cols)))
            return col * ni.w_stride
        if self.paths and ni.values is not None and 0 < len(ni.values) <= MAX_BARS \
                and ni.kind != "output" and self.bar_rect.contains(pos):
            n = len(ni.values)
            r = self.bar_rect
            return min(n - 1, max(0, int((pos.x() - r.left()) / (r.width() / n))))
        return None

    def _build_bars(self, ni: NodeInsight, rect: QRectF) -> None:
        v = np.asarray(ni.values, np.float64)
        v = np.nan_to_num(v, nan=0.0, posinf=ni.hi, neginf=ni.lo)
        if len(v) > MAX_BARS:
            v = _bucket(v, MAX_BARS)
        n = len(v)
        r = rect.adjusted(0, 3, 0, -3)
        pitch = r.width() / n
        bw = min(pitch * (0.78 if pitch >= 4 else 1.0), 18.0)
        x0 = r.left() + (r.width() - pitch * n) / 2 + (pitch - bw) / 2
        lo, hi = ni.lo, ni.hi if ni.hi > ni.lo else ni.lo + 1.0
        ys = lambda val: r.bottom() - (min(max(val, lo), hi) - lo) / (hi - lo) * r.height()  # noqa: E731
        base = ys(0.0)
        self.baseline, self.bar_rect = base, QRectF(r)
        pos, neg, zero = QPainterPath(), QPainterPath(), QPainterPath()
        for i, val in enumerate(v):
            x = x0 + i * pitch
            if val == 0.0:
                zero.addRect(QRectF(x, base - 1.25, bw, 2.5))
                continue
            y = ys(val)
            top, bottom = min(y, base), max(y, base)
            if bottom - top < 1.0:                      # tiny but not zero: a sliver, not a dash
                top, bottom = (base - 1.0, base) if val > 0 else (base, base + 1.0)
            (pos if val > 0 else neg).addRect(QRectF(x, top, bw, bottom - top))
        self.paths = [(zero, _ZERO), (pos, QColor(POSITIVE)), (neg, QColor(NEGATIVE))]
        if ni.kind == "output" and ni.true_class is not None and 0 <= ni.true_class < n:
            mark = QPainterPath()
            x = x0 + ni.true_class * pitch
            mark.addRect(QRectF(x - 1.5, r.top() - 1.5, bw + 3, r.height() + 3))
            self.true_mark = mark
        else:
            self.true_mark = None

    def _build_classes(self, ni: NodeInsight) -> None:
        """The most likely class and its probability, then every class's probability as a bar
        (the true class outlined)."""
        p = np.nan_to_num(np.asarray(ni.values, np.float64))
        best = int(np.argmax(p))
        names = ni.classes or [str(i) for i in range(len(p))]
        name = names[best] if best < len(names) else str(best)
        right = ni.true_class is None or ni.true_class == best
        self.text.append((f"{name} {p[best]:.0%}", TEXT, True))
        if not right:
            self.text.append(("✗", QColor("#dc2626"), False))
        n = len(p)
        w = min(self.rect.width() * 0.4, max(24.0, 9.0 * n))
        self.text_right = self.rect.right() - w - 6
        self._build_bars(ni, QRectF(self.rect.right() - w - 4, self.rect.top(), w, self.rect.height()))

    def _build_value(self, ni: NodeInsight) -> None:
        p = ni.prediction
        self.text.append((f"ŷ {_short(float(p[0]))}", TEXT, True))
        if ni.target is not None and len(ni.target):
            self.text.append((f"y {_short(float(ni.target[0]))}", TEXT_MUTED, False))

    # -- painting -------------------------------------------------------------------------
    def paint(self, p: QPainter) -> None:
        r = self.rect
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_BG)
        p.drawRoundedRect(r, 4, 4)
        if self.image is not None:
            p.save()
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(self.map_rect, self.image)
            p.restore()
            if not self.grid.isEmpty():
                pen = QPen(_GRID, 0)                        # cosmetic: one screen pixel at any zoom
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(self.grid)
            p.setPen(QPen(_FRAME, 1.0))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.map_rect)
            return
        if self.paths:
            br = self.bar_rect
            if self.insight.kind in BOUNDED:                 # σ's 1, tanh's ±1: where a unit is fully on
                p.setPen(QPen(_LIMIT, 1.0, Qt.PenStyle.DotLine))
                for y in {br.top(), br.bottom()} - {self.baseline}:
                    p.drawLine(QPointF(br.left(), y), QPointF(br.right(), y))
            p.setPen(QPen(_BASE, 1.0))
            p.drawLine(QPointF(br.left(), self.baseline), QPointF(br.right(), self.baseline))
            p.setPen(Qt.PenStyle.NoPen)
            for path, color in self.paths:
                p.setBrush(color)
                p.drawPath(path)
            if getattr(self, "true_mark", None) is not None:
                p.setPen(QPen(TEXT, 1.2))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(self.true_mark)
        for text, color, font, box in self.text_layout():
            p.setFont(font)
            p.setPen(color)
            p.drawText(box, Qt.AlignmentFlag.AlignVCenter, text)

    def text_layout(self) -> list[tuple[str, QColor, QFont, QRectF]]:
        """The band's words as painted: (text, colour, font, box). A word that does not fit
        whole is left out (the card's tooltip has every value), never cut to "y …00"."""
        out = []
        r = self.rect
        x, right = r.left() + 8, getattr(self, "text_right", r.right())
        for text, color, bold in self.text:
            f = mono_font(10.5 if bold else 9) if not self.paths else ui_font(9, bold=bold)
            f.setBold(bold)
            fm = QFontMetricsF(f)
            width = fm.horizontalAdvance(text)
            if x + width > right:
                if out:
                    break
                text = fm.elidedText(text, Qt.TextElideMode.ElideRight, max(0.0, right - x))
                width = fm.horizontalAdvance(text)
            out.append((text, color, f, QRectF(x, r.top(), max(0.0, right - x), r.height())))
            x += width + (12 if not self.paths else 5)
        return out

    @staticmethod
    def paint_placeholder(p: QPainter, rect: QRectF, text: str) -> None:
        """An empty band: a dashed outline and a short muted hint."""
        p.setPen(QPen(_FRAME, 1.0, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, 4, 4)
        if text:
            f = ui_font(7.5)
            p.setFont(f)
            p.setPen(QColor("#9ca3af"))
            fm = QFontMetricsF(f)
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                       fm.elidedText(text, Qt.TextElideMode.ElideRight, rect.width() - 8))


def _short(v: float) -> str:
    """A number that fits a card: ``12.34``, ``1234``, ``1e+19`` (a diverged run), ``—``."""
    if not np.isfinite(v):
        return "—"
    a = abs(v)
    if a >= 1e5 or (v != 0 and a < 0.01):
        s = f"{v:.0e}"
    elif a >= 1000:
        s = f"{v:.0f}"
    else:
        s = f"{v:.2f}"
    return s.replace("-", "−")
