"""Curves of earlier runs drawn over a plot (the runs table's selected rows): each run in its own
colour (:func:`run_color`, the same in the table), under the current run's curves.

:class:`CurveOverlay` owns the items it adds to one ``PlotItem``; ``set`` replaces them all.
A curve is a dict: ``x``, ``y``, ``color``, ``label`` and optionally ``dash`` (a dashed line),
``dots`` (points, no line) and ``legend`` (False: not named in the legend, e.g. a run's
training curve beside its validation one).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

__all__ = ["CurveOverlay", "RUN_COLORS", "run_color"]

# distinct from the plots' own blue (training), orange (validation) and near-black (model)
RUN_COLORS = ("#8e44ad", "#16a085", "#c0392b", "#7f8c00", "#d35fb7", "#5d6d7e", "#1f5f8b", "#a0522d")


def run_color(number: int) -> str:
    """Run ``number``'s colour in the table and on the plots."""
    return RUN_COLORS[(int(number) - 1) % len(RUN_COLORS)]


class CurveOverlay:
    def __init__(self, plot_item, z: float = 5.0) -> None:
        self.plot_item = plot_item
        self.z = z
        self.items: list = []
        self._curves: list[dict] = []

    def set(self, curves: list[dict]) -> None:
        """Draw ``curves`` instead of the ones drawn before."""
        self.clear()
        for c in curves:
            x, y = np.asarray(c["x"], np.float64), np.asarray(c["y"], np.float64)
            ok = np.isfinite(x) & np.isfinite(y)
            if c.get("dots"):
                item = pg.PlotDataItem(x[ok], y[ok], pen=None, symbol="t", symbolSize=6,
                                       symbolBrush=pg.mkBrush(c["color"] + "bb"), symbolPen=pg.mkPen(None))
            else:
                pen = pg.mkPen(c["color"], width=1.5 if c.get("dash") else 2,
                               style=Qt.PenStyle.DashLine if c.get("dash") else Qt.PenStyle.SolidLine)
                item = pg.PlotDataItem(x[ok], y[ok], pen=pen, antialias=True)
            item.setZValue(self.z)
            self.plot_item.addItem(item)
            self.items.append(item)
            self._curves.append({**c, "x": x[ok], "y": y[ok]})

    def clear(self) -> None:
        for item in self.items:
            try:
                self.plot_item.removeItem(item)
            except RuntimeError:          # the plot is gone (new data rebuilt it)
                pass
        self.items, self._curves = [], []

    def curves(self) -> list[dict]:
        """What is drawn: the curves given to ``set``, their non-finite points dropped."""
        return list(self._curves)

    def legend(self) -> list[tuple[str, str, str]]:
        """Legend entries ``(color, kind, label)``, one per named curve."""
        return [(c["color"], "dot" if c.get("dots") else "dash" if c.get("dash") else "line", c["label"])
                for c in self._curves if c.get("legend", True)]

    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """((x min, x max), (y min, y max)) over every drawn point, or None."""
        xs = [c["x"] for c in self._curves if len(c["x"])]
        ys = [c["y"] for c in self._curves if len(c["y"])]
        if not xs:
            return None
        x, y = np.concatenate(xs), np.concatenate(ys)
        return (float(x.min()), float(x.max())), (float(y.min()), float(y.max()))
