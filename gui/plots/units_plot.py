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
        self.readout = style.readout_label()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.readout)
        self.legend = style.legend_strip([])
        self._layout.addWidget(self.legend)
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
        p = self.plot.getPlotItem()
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)
        if ctx is None:
            self.legend.setText("")
            self.sum_curve = self.const_line = None
            self.readout.setText("Load data with one input feature or a series to see the units add up.")
            return
        xl = ("time" if ctx.x_is_date else ctx.x_label) if ctx.mode == "series" else ctx.x_label
        style.set_labels(self.plot, xl, f"contribution to {ctx.target_name}")
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
        self.legend.setText(style.legend_html([
            (style.POSITIVE, "line", "c<sub>i</sub>·a<sub>i</sub> with c<sub>i</sub> &gt; 0"),
            (style.NEGATIVE, "line", "c<sub>i</sub> &lt; 0"),
            (style.CONSTANT, "dash", "constant b"),
            (style.MODEL, "thick", "b + Σ c<sub>i</sub>·a<sub>i</sub> = the fit")]))
        self.readout.setText("ŷ = b + Σ cᵢ·aᵢ(x): hover a curve to find its unit")

    def set_context(self, ctx) -> None:
        self._build(ctx)

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
                self.readout.setText(view.get("message", ""))
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
        x = view["x"]
        for i, (curve, y) in enumerate(zip(self.unit_curves, view["contrib"])):
            s = 1 if view["c"][i] >= 0 else -1
            if s != self._signs[i]:
                self._signs[i] = s
                curve.setPen(self._pen(s, i == self._hovered, self._hovered is not None and i != self._hovered))
            curve.setData(x, y)
        self.sum_curve.setData(x, view["sum"])
        self.const_line.setPos(view["const"])
        self.const_line.show()
        if self._hovered is None:
            extra = f" (the {k} largest of {view['n_units']})" if k < view["n_units"] else ""
            what = "input feature" if view["is_input"] else f"unit of {view['node']}"
            self.readout.setText(f"{k} × {what}{extra} · b = {style.fmt(view['const'])} · hover a curve")

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
        if not self.plot.sceneBoundingRect().contains(pos):
            self._set_hovered(None)
            return
        pt = self.plot.getPlotItem().vb.mapSceneToView(pos)
        j = self.unit_at(pt.x(), pt.y())
        self._set_hovered(j)
        v = self.last_view
        if j is not None:
            unit = int(v["index"][j]) + 1
            name = v["labels"][j]
            what = name if v["is_input"] else f"unit {unit} of {v['node']}"
            self.readout.setText(f"{what}: c = {style.fmt(v['c'][j] / (self.ctx.y_std or 1))}"
                                 f"  (contributes {style.fmt(v['c'][j])} × a_i in {self.ctx.target_name})")
