"""Small in-cell charts for the import view: a histogram (numbers; dates over
their years), bars of the most frequent values (text; a number column read as
categories: one bar per value, in numeric order) or a sparkline of the column
over the rows (series mode).

The delegate reads a :class:`gui.data.loading.ColumnProfile` from the item's
``PROFILE_ROLE`` data and a bool from ``SPARK_ROLE``; it paints, nothing more.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

__all__ = ["ColumnChartDelegate", "PROFILE_ROLE", "SPARK_ROLE", "NUMBER_COLOR", "TEXT_COLOR",
           "DATE_COLOR", "kind_color"]

PROFILE_ROLE = Qt.ItemDataRole.UserRole + 1
SPARK_ROLE = Qt.ItemDataRole.UserRole + 2
NUMBER_COLOR = QColor("#2563eb")
TEXT_COLOR = QColor("#0d9488")
DATE_COLOR = QColor("#7c3aed")
_BASE = QColor("#cbd5e1")


class ColumnChartDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option, index) -> None:
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight().color().lighter(170))
        profile = index.data(PROFILE_ROLE)
        if profile is None:
            return
        r = QRectF(option.rect).adjusted(4, 4, -4, -4)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if index.data(SPARK_ROLE) and profile.spark is not None:
            _paint_spark(painter, r, profile.spark)
        else:
            _paint_bars(painter, r, np.asarray(profile.hist, float), kind_color(profile.kind),
                        gap=2.0 if profile.kind in ("text", "category")
                        or getattr(profile, "whole_years", False) else 0.0)
        painter.restore()


def kind_color(kind: str) -> QColor:
    """The color of a column type: number blue, text and category teal, date violet."""
    return {"number": NUMBER_COLOR, "date": DATE_COLOR}.get(kind, TEXT_COLOR)


def _paint_bars(p: QPainter, r: QRectF, counts: np.ndarray, color: QColor, gap: float) -> None:
    p.setPen(QPen(_BASE, 1))
    p.drawLine(QPointF(r.left(), r.bottom()), QPointF(r.right(), r.bottom()))
    if counts.size == 0 or counts.max() <= 0:
        return
    n = len(counts)
    w = r.width() / n
    top = counts.max()
    fill = QColor(color)
    fill.setAlpha(200)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(fill)
    for i, c in enumerate(counts):
        if c <= 0:
            continue
        h = max(1.0, (r.height() - 1) * c / top)
        p.drawRect(QRectF(r.left() + i * w + gap / 2, r.bottom() - h, max(1.0, w - gap), h))


def _paint_spark(p: QPainter, r: QRectF, values: np.ndarray) -> None:
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    if not ok.any():
        return
    lo, hi = float(v[ok].min()), float(v[ok].max())
    span = hi - lo or 1.0
    n = len(v)
    path = QPainterPath()
    pen_down = False
    for i, y in enumerate(v):
        if not np.isfinite(y):
            pen_down = False
            continue
        pt = QPointF(r.left() + r.width() * (i / max(1, n - 1)), r.bottom() - r.height() * (y - lo) / span)
        if pen_down:
            path.lineTo(pt)
        else:
            path.moveTo(pt)
            pen_down = True
    p.setPen(QPen(NUMBER_COLOR, 1.2))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)
