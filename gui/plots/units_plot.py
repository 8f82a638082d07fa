"""The lecture's picture: the fit is a constant plus a sum of unit curves.

For ``ŷ = b + Σ cᵢ·aᵢ(x)`` (``aᵢ`` the last hidden layer's units, or the input
features for a linear model) the widget shows two panes that share the x axis:

- **top** (``sum_plot``), in the target's units: the data (light), the
  constant ``b`` dashed, and ``b + Σ cᵢ·aᵢ`` — the fitted curve — in black;
- **bottom** (``plot``), on its own y axis around a zero line: each unit's
  contribution ``cᵢ·aᵢ(x)``, blue when ``cᵢ > 0`` and orange when ``cᵢ < 0``.

The contributions are a few units tall while the fit sits far from zero, so
on one shared axis they would be squashed into a band; apart, each curve is
readable and the top pane still shows what they add up to. Hovering a unit
names it, highlights its node on the canvas (the ``highlight`` callback) and
draws, dashed in the top pane, the fit *without* that unit: the gap is the
unit's share. Hovering the top pane reads the sum at that x.

For a series both panes follow the fit plot's window of time (the bottom
pane's x range is linked to the fit plot; the top pane is x-linked to it).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

import gui.common.plot_style as style

__all__ = ["UnitsPlot", "not_shown_note"]

HOVER_PIXELS = 7
LEFT_AXIS_WIDTH = 56       # both panes: the same width, so their x axes line up; "−1e19" beside the title
MAX_DATA_DOTS = 3000       # the data in the top pane (a fixed subset of a large table)
TOP_STRETCH, BOTTOM_STRETCH = 2, 3
SHOWN_UNITS = 8            # curves drawn: the units whose cᵢ·aᵢ spans most over x ("show all" for every one)


def not_shown_note(ctx) -> str:
    """Why the units plot is not drawn for this data ("" when it is), in one sentence that says
    what the plot is for."""
    if ctx is None or ctx.mode in ("xy", "series"):
        return ""
    what = ("The units plot shows a fitted curve as b + Σ cᵢ·aᵢ(x), one term per hidden unit, "
            "for a regression on one input or a series")
    if ctx.mode == "classes":
        return f"{what}; it is not drawn for a classification (this data has {len(ctx.classes)} classes)."
    return f"{what}; it is not drawn for this data, which has {len(ctx.feature_names)} inputs."


class UnitsPlot(QWidget):
    unit_clicked = Signal(int)          # a hidden unit's curve clicked: its index in the layer

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
        # 16–128 curves are a solid band: the few that move the fit most, the rest on request
        self.all_box = QCheckBox("show all")
        self.all_box.setObjectName("unitsShowAll")
        self.all_box.setStyleSheet("font-size: 8.5pt;")
        self.all_box.setToolTip(f"Draw every unit's curve, not only the {SHOWN_UNITS} whose cᵢ·aᵢ spans most over x")
        self.all_box.hide()
        self.all_box.toggled.connect(self._on_all_box_toggled)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 4, 0)
        row.addWidget(self.legend, 1)
        row.addWidget(self.all_box)
        self._layout.addLayout(row)
        self.full_view: dict | None = None     # the view as computed; last_view is what is drawn
        # data the picture does not fit (classes, several inputs): one sentence instead of empty axes
        self.note_label = QLabel("")
        self.note_label.setObjectName("unitsNote")
        self.note_label.setWordWrap(True)
        self.note_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.note_label.setStyleSheet("color: #555; font-size: 9pt; padding: 8px 16px;")
        self.note_label.hide()
        self._layout.addWidget(self.note_label, 1)
        self.readout = style.Readout(self)
        self._legend_key = None
        self.plot = None            # bottom pane: the unit curves cᵢ·aᵢ
        self.sum_plot = None        # top pane: data, constant b, and the fit
        self.ctx = None
        self.unit_curves: list[pg.PlotCurveItem] = []
        self.sum_curve = None
        self.const_line = None
        self.without_curve = None   # hover: the fit without the hovered unit
        self.data_items: list = []
        self.last_view: dict | None = None
        self._signs: list[int] = []
        self._hovered: int | None = None
        self._fast = False
        self._data_bounds = None
        self._build(None)

    # -- building ----------------------------------------------------------------
    @staticmethod
    def _pane(axis_items=None, min_height: int = 60) -> pg.PlotWidget:
        items = {"left": style.CompactAxis("left"), **(axis_items or {})}     # "−2e19" beside its title
        w = style.make_plot_widget(axis_items=items)
        w.setMinimumSize(200, min_height)
        w.getPlotItem().getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        return w

    def _build(self, ctx) -> None:
        for old in (self.sum_plot, self.plot):
            if old is not None:
                self._layout.removeWidget(old)
                old.hide()
                old.setParent(None)
                old.deleteLater()
        self.ctx = ctx
        self.unit_curves, self._signs, self._hovered, self.last_view = [], [], None, None
        self.full_view = None
        self.data_items, self._data_bounds, self._series_data = [], None, None
        self._drawn_window = None
        date = ctx is not None and ctx.x_is_date
        self.sum_plot = self._pane({"bottom": style.DateAxis()} if date else None, 50)
        self.plot = self._pane({"bottom": style.DateAxis()} if date else None, 60)
        self.sum_plot.setObjectName("unitsSumPane")
        self.plot.setObjectName("unitsCurvesPane")
        self._layout.addWidget(self.sum_plot, TOP_STRETCH)
        self._layout.addWidget(self.plot, BOTTOM_STRETCH)
        note = not_shown_note(ctx)
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        self.legend.setVisible(not note)
        for pane in (self.sum_plot, self.plot):
            pane.setVisible(not note)
        top, p = self.sum_plot.getPlotItem(), self.plot.getPlotItem()
        ax = top.getAxis("bottom")        # the x axis is the bottom pane's; keep only the grid here
        ax.setStyle(showValues=False)
        ax.setHeight(4)
        top.getViewBox().setXLink(p.getViewBox())
        self.readout.attach(self.plot)
        self.readout.note("")
        self._legend_key = None
        self.ranges = style.RangeKeeper(self.plot, pad_x=0.0)
        self.sum_ranges = style.RangeKeeper(self.sum_plot, pad_x=0.0)
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)
        self._top_proxy = pg.SignalProxy(self.sum_plot.scene().sigMouseMoved, rateLimit=30,
                                         slot=self._on_top_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        if ctx is None:
            self.legend.setText("")
            self.sum_curve = self.const_line = self.without_curve = None
            self.readout.note("Load data with one input feature or a series to see the units add up.")
            return
        if note:
            self.sum_curve = self.const_line = self.without_curve = None
            return
        # no x label: the ticks (and the fit plot beside) say what x is; the height goes to the curves
        style.set_labels(self.plot, "", "cᵢ·aᵢ")
        style.set_labels(self.sum_plot, "", ctx.target_name)
        if ctx.mode == "series":        # along time only; the x range follows the fit plot's window
            for w in (self.plot, self.sum_plot):
                w.getPlotItem().getViewBox().setMouseEnabled(x=True, y=False)
            p.getViewBox().sigXRangeChanged.connect(lambda *_: self._redraw_window())
        p.addItem(pg.InfiniteLine(0, angle=0, movable=False, pen=pg.mkPen("#9a9a9a", width=1)), ignoreBounds=True)
        # long curves: 1-pixel pens without antialiasing (Qt strokes wide antialiased paths slowly)
        self._fast = ctx.mode == "series"
        self._add_data(top)
        self.const_line = pg.InfiniteLine(0, angle=0, movable=False,
                                          pen=pg.mkPen(style.CONSTANT, width=2, style=Qt.PenStyle.DashLine))
        self.const_line.hide()
        top.addItem(self.const_line)
        self.without_curve = pg.PlotCurveItem(antialias=not self._fast)
        self.without_curve.setZValue(8)
        self.without_curve.hide()
        top.addItem(self.without_curve)
        self.sum_curve = pg.PlotCurveItem(pen=pg.mkPen(style.MODEL, width=1.5 if self._fast else 3),
                                          antialias=not self._fast)
        self.sum_curve.setZValue(10)
        top.addItem(self.sum_curve)
        self._set_legend(None)

    def _add_data(self, top: pg.PlotItem) -> None:
        """The data behind the fit, light (static: set once per dataset)."""
        ctx = self.ctx
        if ctx.mode == "series":
            s = max(1, ctx.units_stride)
            x, y = np.asarray(ctx.x_eval[::s], np.float64), np.asarray(ctx.y_eval[::s], np.float64)
            item = pg.PlotCurveItem(x, y, pen=pg.mkPen(style.TRAIN_LIGHT, width=1), skipFiniteCheck=True)
            item.setZValue(-5)
            top.addItem(item)
            self.data_items = [item]
            self._series_data = (x, y)
            self._data_bounds = style.bounds(y)
            return
        rng = np.random.default_rng(0)
        for xs, ys, color in ((ctx.x_train, ctx.y_train, style.TRAIN), (ctx.x_val, ctx.y_val, style.VAL)):
            if xs is None or not len(xs):
                continue
            if len(xs) > MAX_DATA_DOTS:
                keep = np.sort(rng.choice(len(xs), MAX_DATA_DOTS, replace=False))
                xs, ys = xs[keep], ys[keep]
            item = pg.ScatterPlotItem(xs, ys, size=4, pen=None, brush=pg.mkBrush(color + "55"))
            item.setZValue(-5)
            top.addItem(item)
            self.data_items.append(item)
        self._data_bounds = style.bounds(ctx.y_train, ctx.y_val)

    def set_context(self, ctx) -> None:
        self._build(ctx)

    def _set_legend(self, view: dict | None) -> None:
        key = None if view is None else (len(view["contrib"]), view["n_units"], view["node"], view["is_input"],
                                         view.get("n_hidden", 0))
        if key == self._legend_key and view is not None:
            return
        self._legend_key = key
        unit, count = "unit", ""
        if view is not None:
            k = len(view["contrib"])
            unit = "input" if view["is_input"] else "unit"
            count = f" ({k}{'' if k == view['n_units'] else ' of ' + str(view['n_units'])} {unit}s below)"
            if view.get("n_hidden"):
                count = f" ({k} {unit}s below, + {view['n_hidden']} more)"
        self.legend.setText(style.legend_html([
            (style.TRAIN, "dot", "data"),
            (style.CONSTANT, "dash", "b"),
            (style.MODEL, "thick", "fit = b + Σ c<sub>i</sub>·a<sub>i</sub>"),
            (style.POSITIVE, "line", "c<sub>i</sub>·a<sub>i</sub>: c<sub>i</sub> &gt; 0"),
            (style.NEGATIVE, "line", f"c<sub>i</sub> &lt; 0{count}")]))
        self.legend.setToolTip(f"ŷ = b + Σ cᵢ·aᵢ: the fit (top, black) is the constant b plus the sum of the "
                               f"curves below, one per {unit}, each on its own axis around zero. Hover a curve "
                               f"to find its {unit} on the canvas and see the fit without it (dashed).")

    # -- drawing -------------------------------------------------------------------
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
        self._drawn_window = w
        x = v["x"][w]
        for curve, y in zip(self.unit_curves, v["contrib"]):
            curve.setData(x, y[w])
        self.sum_curve.setData(x, v["sum"][w])
        self._draw_without()

    def _draw_without(self) -> None:
        """The fit without the hovered unit (top pane, dashed in the unit's colour)."""
        v, i, c = self.last_view, self._hovered, self.without_curve
        if c is None:
            return
        if v is None or i is None or i >= len(v["contrib"]):
            c.hide()
            return
        w = self._drawn_window if self._drawn_window is not None else slice(None)
        c.setPen(pg.mkPen(style.POSITIVE if self._signs[i] >= 0 else style.NEGATIVE,
                          width=1.5 if self._fast else 2, style=Qt.PenStyle.DashLine))
        c.setData(v["x"][w], (v["sum"] - v["contrib"][i])[w])
        c.show()

    def _redraw_window(self) -> None:
        if self.last_view is None:
            return
        w = self._window()
        if self.sum_curve is not None and w != self._drawn_window:
            self._draw_curves()
        self._keep_ranges()

    def _keep_ranges(self) -> None:
        """Each pane's y spans its own curves in view (steady while they move a little);
        x: the data, or the fit's window (series)."""
        v, ctx = self.last_view, self.ctx
        if v is None or ctx is None or self.plot is None:
            return
        x = v["x"]
        if ctx.mode == "series":
            x0, x1 = self.plot.getPlotItem().getViewBox().viewRange()[0]
            i0, i1 = np.searchsorted(x, x0), np.searchsorted(x, x1, side="right")
            if i1 - i0 < 2:
                i0, i1 = 0, len(x)
            if self.ranges.check():
                self.ranges.update(None, style.bounds(v["contrib"][:, i0:i1], [0.0]))
            if self.sum_ranges.check():
                xd, yd = self._series_data
                j0, j1 = np.searchsorted(xd, x0), np.searchsorted(xd, x1, side="right")
                self.sum_ranges.update(None, style.bounds(v["sum"][i0:i1], [v["const"]], yd[j0:j1]))
        else:
            self.ranges.update((float(x[0]), float(x[-1])), style.bounds(v["contrib"], [0.0]))
            self.sum_ranges.update(None, style.bounds(v["sum"], [v["const"]], self._data_bounds))

    def clear_prediction(self) -> None:
        for c in self.unit_curves:
            c.setData([], [])
        for c in (self.sum_curve, self.without_curve):
            if c is not None:
                c.setData([], [])
        if self.without_curve is not None:
            self.without_curve.hide()
        if self.const_line is not None:
            self.const_line.hide()
        self.last_view = self.full_view = None

    # -- data ----------------------------------------------------------------
    def _pen(self, sign: int, hovered: bool = False, faded: bool = False):
        color = pg.mkColor(style.POSITIVE if sign >= 0 else style.NEGATIVE)
        if faded:
            color.setAlpha(70)
        elif not hovered:
            color.setAlpha(200)
        return pg.mkPen(color, width=(2 if hovered else 1) if self._fast else (4 if hovered else 1.5))

    def _on_all_box_toggled(self, _on: bool) -> None:
        if self.full_view is not None:
            self.show_view(self.full_view)

    def _shown(self, view: dict) -> dict:
        """The view with only the ``SHOWN_UNITS`` curves whose cᵢ·aᵢ spans most over x (all of
        them when "show all" is ticked); ``n_hidden`` says how many are left out. The fit
        (``sum``) is still the sum of every term."""
        k = len(view["contrib"])
        self.all_box.setVisible(k > SHOWN_UNITS)
        if k <= SHOWN_UNITS or self.all_box.isChecked():
            return view
        keep = np.sort(np.argsort(-np.ptp(view["contrib"], axis=1))[:SHOWN_UNITS])
        v = dict(view, contrib=view["contrib"][keep], c=np.asarray(view["c"])[keep],
                 index=np.asarray(view["index"])[keep], labels=[view["labels"][i] for i in keep],
                 n_hidden=view["n_units"] - SHOWN_UNITS)     # the engine sends at most MAX_UNITS
        return v

    def show_view(self, view: dict | None) -> None:
        if self.ctx is None or view is None:
            return
        if view.get("mode") != self.ctx.mode:
            if view.get("mode") == "none" and not self.note_label.isVisibleTo(self):
                self.readout.note(view.get("message", ""))
            return
        self.full_view = view
        view = self._shown(view)
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
        if self._hovered is not None and self._hovered >= k:
            self._hovered = None
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
        self._draw_without()
        v = self.last_view
        if self.highlight is not None:
            try:
                self.highlight([v["node"]] if i is not None and v is not None else [])
            except Exception:       # the canvas is optional; a hover must never fail
                pass

    def hovered_unit(self) -> int | None:
        return self._hovered

    def leaveEvent(self, event) -> None:
        """The mouse left the plot: no unit is hovered any more (its node stops glowing)."""
        self._set_hovered(None)
        self.readout.hover_ended()
        super().leaveEvent(event)

    def _nearest(self, x: float) -> int:
        xs = self.last_view["x"]
        i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
        if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
            i -= 1
        return i

    def unit_at(self, x: float, y: float) -> int | None:
        """The unit whose curve (bottom pane) passes within a few pixels of view point (x, y)."""
        v = self.last_view
        if v is None or not len(v["contrib"]):
            return None
        ys = v["contrib"][:, self._nearest(x)]
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
        self.readout.attach(self.plot)
        pt = self.plot.getPlotItem().vb.mapSceneToView(pos)
        j = self.unit_at(pt.x(), pt.y())
        self._set_hovered(j)
        v = self.last_view
        if j is not None:
            unit = int(v["index"][j]) + 1
            name = v["labels"][j]
            what = name if v["is_input"] else f"unit {unit} of {v['node']}"
            i = self._nearest(pt.x())
            self.readout.show_text(f"{what}: c = {style.fmt(v['c'][j] / (self.ctx.y_std or 1))}, "
                                   f"adds {style.fmt(v['contrib'][j, i])} here · dashed above: the fit without it")
        else:
            self.readout.show_text(f"each curve is one term cᵢ·aᵢ of the fit · b = {style.fmt(v['const'])}"
                                   " · hover a curve to find its unit")

    def _on_mouse_clicked(self, event) -> None:
        """A click on a hidden unit's curve names the unit (the unit explorer shows it)."""
        v = self.last_view
        if v is None or self.plot is None or v["is_input"] or event.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        pt = vb.mapSceneToView(event.scenePos())
        j = self.unit_at(pt.x(), pt.y())
        if j is not None:
            self.unit_clicked.emit(int(v["index"][j]))

    def _on_top_mouse_moved(self, event) -> None:
        if self.last_view is None or self.sum_plot is None:
            return
        pos = event[0]
        vb = self.sum_plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(pos):
            self.readout.hover_ended()
            return
        self.readout.attach(self.sum_plot)
        v = self.last_view
        i = self._nearest(vb.mapSceneToView(pos).x())
        n = v["n_units"]                                        # every term, drawn or not
        self.readout.show_text(f"the fit here: b {style.fmt(v['const'])} + Σ of {n} terms "
                               f"{style.fmt(float(v['sum'][i] - v['const']))} = {style.fmt(v['sum'][i])} "
                               f"{self.ctx.target_name}")
