"""The lecture's picture: the fit is a constant plus a sum of unit curves.

For ``ŷ = b + Σ cᵢ·aᵢ(x)`` (``aᵢ`` the last hidden layer's units, or the input
features for a linear model) each unit is drawn as its contribution
``cᵢ·aᵢ(x)`` in the target's units — blue when ``cᵢ > 0``, orange when
``cᵢ < 0`` — with the constant ``b`` dashed and the sum, which is the fitted
curve, in black. Hovering a curve names the unit and highlights its node on
the canvas (through the ``highlight`` callback).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from . import style

__all__ = ["UnitsPlot"]

HOVER_PIXELS = 7


class UnitsPlot(QWidget):
    def __init__(self, parent: QWidget | None = None,
                 highlight: Callable[[list[str]], None] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unitsPlot")
        self.setAccessibleName("Units plot: each hidden unit's contribution to the fit")
        self.highlight = highlight
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.legend = style.legend_strip([])
        self._layout.addWidget(self.legend)
        self.readout = style.Readout(self)
        self._legend_key = None
        self.plot = None
        self.ctx = None
        self.unit_curves: list[pg.PlotCurveItem] = []
        self.sum_curve = None
        self.const_line = None
        self.last_view: dict | None = None
        self._signs: list[int] = []
        self._hovered: int | None = None
        self._fast = False
        self._build(None)

    def _build(self, ctx) -> None:
        if self.plot is not None:
            old = self.plot
            self._layout.removeWidget(old)
            old.hide()
            old.setParent(None)
            old.deleteLater()
        self.ctx = ctx
        self.unit_curves, self._signs, self._hovered, self.last_view = [], [], None, None
        axis = {"bottom": pg.DateAxisItem()} if ctx is not None and ctx.x_is_date else None
        self.plot = style.make_plot_widget(axis_items=axis)
        self._layout.addWidget(self.plot, 1)
        self.readout.attach(self.plot)
        self.readout.note("")
        self._legend_key = None
        p = self.plot.getPlotItem()
        self.ranges = style.RangeKeeper(self.plot, pad_x=0.0)
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)
        if ctx is None:
            self.legend.setText("")
            self.sum_curve = self.const_line = None
            self.readout.note("Load data with one input feature or a series to see the units add up.")
            return
        xl = ("" if ctx.x_is_date else ctx.x_label) if ctx.mode == "series" else ctx.x_label
        style.set_labels(self.plot, xl, ctx.target_name)
        if ctx.mode == "series":        # along time only; the x range follows the fit plot's window
            p.getViewBox().setMouseEnabled(x=True, y=False)
            p.getViewBox().sigXRangeChanged.connect(lambda *_: self._redraw_window())
        p.addItem(pg.InfiniteLine(0, angle=0, movable=False, pen=pg.mkPen("#bbbbbb", width=1)), ignoreBounds=True)
        self.const_line = pg.InfiniteLine(0, angle=0, movable=False,
                                          pen=pg.mkPen(style.CONSTANT, width=2, style=Qt.PenStyle.DashLine))
        self.const_line.hide()
        p.addItem(self.const_line)
        # long curves: 1-pixel pens without antialiasing (Qt strokes wide antialiased paths slowly)
        self._fast = ctx.mode == "series"
        self.sum_curve = pg.PlotCurveItem(pen=pg.mkPen(style.MODEL, width=1 if self._fast else 3),
                                          antialias=not self._fast)
        self.sum_curve.setZValue(10)
        p.addItem(self.sum_curve)
        self._set_legend(None)

    def set_context(self, ctx) -> None:
        self._build(ctx)

    def _set_legend(self, view: dict | None) -> None:
        key = None if view is None else (len(view["contrib"]), view["n_units"], view["node"], view["is_input"])
        if key == self._legend_key and view is not None:
            return
        self._legend_key = key
        what = "c<sub>i</sub>·a<sub>i</sub>"
        if view is not None:
            k = len(view["contrib"])
            unit = "input" if view["is_input"] else "unit"
            what = f"{k}{'' if k == view['n_units'] else ' of ' + str(view['n_units'])} {unit}s c<sub>i</sub>·a<sub>i</sub>"
        self.legend.setText(style.legend_html([
            (style.POSITIVE, "line", f"{what}: c<sub>i</sub> &gt; 0"),
            (style.NEGATIVE, "line", "c<sub>i</sub> &lt; 0"),
            (style.CONSTANT, "dash", "constant b"),
            (style.MODEL, "thick", "b + Σ c<sub>i</sub>·a<sub>i</sub> = the fit")]))
        self.legend.setToolTip("ŷ = b + Σ cᵢ·aᵢ: the fit is a constant plus one curve per unit of the last "
                               "hidden layer. Hover a curve to find its unit on the canvas.")

    def _window(self) -> slice:
        """Series: the points in view (and a margin), so long series draw only what is seen."""
        v = self.last_view
        if self.ctx is None or self.ctx.mode != "series" or v is None or self.ranges.vb is None:
            return slice(None)
        x = v["x"]
        x0, x1 = self.ranges.vb.viewRange()[0]
        m = 0.1 * (x1 - x0)
        i0, i1 = np.searchsorted(x, x0 - m), np.searchsorted(x, x1 + m, side="right")
        return slice(int(i0), int(i1)) if i1 - i0 >= 2 else slice(None)

    def _draw_curves(self) -> None:
        v = self.last_view
        w = self._window()
        x = v["x"][w]
        for curve, y in zip(self.unit_curves, v["contrib"]):
            curve.setData(x, y[w])
        self.sum_curve.setData(x, v["sum"][w])

    def _redraw_window(self) -> None:
        if self.last_view is None:
            return
        w = self._window()
        if self.sum_curve is not None and w != getattr(self, "_drawn_window", None):
            self._drawn_window = w
            self._draw_curves()
        self._keep_ranges()

    def _keep_ranges(self) -> None:
        """y spans the curves in view (steady while they move a little); x: the data, or the fit's window."""
        v, ctx = self.last_view, self.ctx
        if v is None or ctx is None or self.plot is None:
            return
        x = v["x"]
        if ctx.mode == "series":
            if not self.ranges.check():
                return
            x0, x1 = self.plot.getPlotItem().getViewBox().viewRange()[0]
            i0, i1 = np.searchsorted(x, x0), np.searchsorted(x, x1, side="right")
            if i1 - i0 < 2:
                i0, i1 = 0, len(x)
            yb = style.bounds(v["contrib"][:, i0:i1], v["sum"][i0:i1], [v["const"], 0.0])
            self.ranges.update(None, yb)
        else:
            yb = style.bounds(v["contrib"], v["sum"], [v["const"], 0.0])
            self.ranges.update((float(x[0]), float(x[-1])), yb)

    def clear_prediction(self) -> None:
        for c in self.unit_curves:
            c.setData([], [])
        if self.sum_curve is not None:
            self.sum_curve.setData([], [])
        self.last_view = None

    # -- data ----------------------------------------------------------------
    def _pen(self, sign: int, hovered: bool = False, faded: bool = False):
        color = pg.mkColor(style.POSITIVE if sign >= 0 else style.NEGATIVE)
        if faded:
            color.setAlpha(70)
        elif not hovered:
            color.setAlpha(190)
        return pg.mkPen(color, width=(2 if hovered else 1) if self._fast else (4 if hovered else 1.5))

    def show_view(self, view: dict | None) -> None:
        if self.ctx is None or view is None:
            return
        if view.get("mode") != self.ctx.mode:
            if view.get("mode") == "none":
                self.readout.note(view.get("message", ""))
            return
        self.last_view = view
        p = self.plot.getPlotItem()
        k = len(view["contrib"])
        while len(self.unit_curves) < k:
            c = pg.PlotCurveItem(antialias=not self._fast, skipFiniteCheck=True)
            p.addItem(c)
            self.unit_curves.append(c)
            self._signs.append(0)
        while len(self.unit_curves) > k:
            p.removeItem(self.unit_curves.pop())
            self._signs.pop()
        for i in range(k):
            s = 1 if view["c"][i] >= 0 else -1
            if s != self._signs[i]:
                self._signs[i] = s
                self.unit_curves[i].setPen(self._pen(s, i == self._hovered,
                                                     self._hovered is not None and i != self._hovered))
        self._draw_curves()
        self.const_line.setPos(view["const"])
        self.const_line.show()
        self._set_legend(view)
        self._keep_ranges()

    # -- hover ---------------------------------------------------------------
    def _set_hovered(self, i: int | None) -> None:
        if i == self._hovered:
            return
        self._hovered = i
        for j, c in enumerate(self.unit_curves):
            c.setPen(self._pen(self._signs[j], j == i, i is not None and j != i))
            c.setZValue(5 if j == i else 0)
        v = self.last_view
        if self.highlight is not None:
            try:
                self.highlight([v["node"]] if i is not None and v is not None else [])
            except Exception:       # the canvas is optional; a hover must never fail
                pass

    def hovered_unit(self) -> int | None:
        return self._hovered

    def unit_at(self, x: float, y: float) -> int | None:
        """The unit whose curve passes within a few pixels of view point (x, y)."""
        v = self.last_view
        if v is None or not len(v["contrib"]):
            return None
        xs = v["x"]
        i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
        if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
            i -= 1
        ys = v["contrib"][:, i]
        px = self.plot.getPlotItem().vb.viewPixelSize()[1] or 1.0
        d = np.abs(ys - y) / px
        j = int(np.argmin(d))
        return j if d[j] <= HOVER_PIXELS else None

    def _on_mouse_moved(self, event) -> None:
        if self.last_view is None or self.plot is None:
            return
        pos = event[0]
        if not self.plot.getPlotItem().vb.sceneBoundingRect().contains(pos):
            self._set_hovered(None)
            self.readout.hover_ended()
            return
        pt = self.plot.getPlotItem().vb.mapSceneToView(pos)
        j = self.unit_at(pt.x(), pt.y())
        self._set_hovered(j)
        v = self.last_view
        if j is not None:
            unit = int(v["index"][j]) + 1
            name = v["labels"][j]
            what = name if v["is_input"] else f"unit {unit} of {v['node']}"
            i = int(np.clip(np.searchsorted(v["x"], pt.x()), 0, len(v["x"]) - 1))
            self.readout.show_text(f"{what}: c = {style.fmt(v['c'][j] / (self.ctx.y_std or 1))}, "
                                   f"contributes {style.fmt(v['contrib'][j, i])} {self.ctx.target_name} here")
        else:
            self.readout.show_text(f"b = {style.fmt(v['const'])} · hover a curve to find its unit")
