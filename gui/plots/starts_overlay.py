"""The end points of several starts (engine.multistart), drawn over the error surface.

Each start is a diamond at its values of the surface's two parameters, labelled with its number;
the chosen one is drawn larger. The surface under them is the loss around the *current* weights
(every other parameter held), so a point's colour underneath is not that start's loss: the list
beside them gives each start's own loss. ``SurfacePlot.show_starts`` is the one entry point.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

__all__ = ["StartsOverlay"]

_FILL = "#f59e0b"       # amber: apart from the path's red and the surface's viridis
_EDGE = "#1f2937"


class StartsOverlay:
    """A scatter of start end points and their numbers on one plot item."""

    def __init__(self, plot_item: pg.PlotItem) -> None:
        self.plot_item = plot_item
        self.scatter = pg.ScatterPlotItem(symbol="d", size=11, brush=pg.mkBrush(_FILL),
                                          pen=pg.mkPen(_EDGE, width=1.2))
        self.scatter.setZValue(7)
        plot_item.addItem(self.scatter)
        self.labels: list[pg.TextItem] = []
        self.points = np.empty((0, 2))

    def show(self, points, labels=(), chosen: int | None = None) -> None:
        """Draw ``points`` ``(K, 2)`` with ``labels`` (texts); ``chosen`` is an index into them.
        The view widens to include every point (it keeps the surface's range otherwise)."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        self.points = pts
        sizes = [15 if i == chosen else 11 for i in range(len(pts))]
        self.scatter.setData(pos=pts, size=sizes)
        for item in self.labels:
            self.plot_item.removeItem(item)
        self.labels = []
        for (x, y), text in zip(pts, labels):
            item = pg.TextItem(str(text), color=_EDGE, anchor=(-0.25, 0.9))
            item.setZValue(7)
            item.setPos(float(x), float(y))
            self.plot_item.addItem(item)
            self.labels.append(item)
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
