"""The end points of several starts (engine.multistart), drawn over the error surface.

Each start is a diamond at its values of the surface's two parameters, filled from white (the
lowest loss among them) to orange (the highest), so that starts that ended in the same place
share a colour; hovering one names it, and the chosen one is larger and labelled. The surface
under them is the loss around the *current* weights (every other parameter held), so the colour
underneath a point is not that start's loss: its own is in its fill and the list beside.
``SurfacePlot.show_starts`` is the one entry point.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

__all__ = ["StartsOverlay"]

_BEST = np.array([255, 255, 255])
_WORST = np.array([249, 115, 22])        # orange: apart from the path's red and the surface's viridis
_EDGE = "#1f2937"


def _fills(losses, n: int) -> list:
    v = np.asarray(losses, np.float64) if losses is not None and len(losses) == n else np.zeros(n)
    ok = np.isfinite(v)
    lo, hi = (v[ok].min(), v[ok].max()) if ok.any() else (0.0, 0.0)
    t = np.where(ok, (v - lo) / (hi - lo) if hi > lo else 0.0, 1.0)
    return [pg.mkBrush(*(_BEST + (_WORST - _BEST) * f).astype(int)) for f in t]


class StartsOverlay:
    """A scatter of start end points on one plot item, and the chosen one's label."""

    def __init__(self, plot_item: pg.PlotItem) -> None:
        self.plot_item = plot_item
        self.scatter = pg.ScatterPlotItem(symbol="d", size=11, pen=pg.mkPen(_EDGE, width=1.2), hoverable=True,
                                          tip=lambda x, y, data: data)
        self.scatter.setZValue(7)
        plot_item.addItem(self.scatter)
        self.label = pg.TextItem("", color="#ffffff", fill=pg.mkBrush(31, 41, 55, 190), anchor=(-0.15, 1.1))
        self.label.setZValue(8)
        self.label.hide()
        plot_item.addItem(self.label)
        self.points = np.empty((0, 2))

    def show(self, points, labels=(), chosen: int | None = None, losses=None) -> None:
        """Draw ``points`` ``(K, 2)``; ``labels`` are their hover texts, ``losses`` colour them and
        ``chosen`` (an index) is drawn larger, labelled with its label's text before any colon.
        The view widens to include every point (it keeps the surface's range otherwise)."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        self.points = pts
        n = len(pts)
        labels = list(labels) + [""] * (n - len(labels))
        self.scatter.setData(pos=pts, size=[16 if i == chosen else 11 for i in range(n)],
                             brush=_fills(losses, n), data=labels)
        if chosen is not None and 0 <= chosen < n and labels[chosen]:
            self.label.setText(labels[chosen].split(":")[0])        # "Start 3": its name, the rest on hover
            self.label.setPos(*pts[chosen])
            self.label.show()
        else:
            self.label.hide()
        finite = pts[np.isfinite(pts).all(axis=1)]
        if len(finite):
            vb = self.plot_item.getViewBox()
            (x0, x1), (y0, y1) = vb.viewRange()
            lo, hi = finite.min(axis=0), finite.max(axis=0)
            if lo[0] < x0 or hi[0] > x1 or lo[1] < y0 or hi[1] > y1:
                nx0, nx1 = min(x0, lo[0]), max(x1, hi[0])
                ny0, ny1 = min(y0, lo[1]), max(y1, hi[1])
                vb.setRange(QRectF(nx0, ny0, nx1 - nx0, ny1 - ny0), padding=0.05)

    def clear(self) -> None:
        self.show(np.empty((0, 2)))

    def count(self) -> int:
        return len(self.points)
