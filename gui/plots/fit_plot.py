"""The data and the model's prediction, in the target's own units.

One input feature: y against x, training and validation dots, the
prediction as a curve over a dense grid. A series (lags): actual and
predicted against time, the validation part shaded; a series of one lag
(tomorrow from today) can be shown either way, y against that lag (the
default: the line through the scatter) or against time, switched by two
small buttons in the header (``fitAgainstX``, ``fitAgainstTime``). Several features:
predicted against actual with the diagonal. Classification: accuracy and a
confusion matrix with counts.

The static part comes from :meth:`set_context` (a
:class:`~engine.views.PlotContext`); :meth:`show_view` takes the
prediction payload computed in the worker.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

import gui.common.plot_style as style
from gui.plots.run_overlays import CurveOverlay

__all__ = ["FitPlot", "SERIES_WINDOWS"]

# (label, length in days; 0 = everything, -1 = the validation part and as much before it)
SERIES_WINDOWS = (("last 120 days", 120), ("last year", 365), ("validation", -1), ("all", 0))
DEFAULT_WINDOW = 1
DAY = 86400.0
CLASS_LABEL_MAX_PX = 90     # class names along the confusion matrix's y axis are cut to this


class FitPlot(QWidget):
    plot_rebuilt = Signal()          # a new PlotWidget (new data): links to other plots are gone
    axis_switched = Signal()         # a one-lag series is now shown against the lag, or against time

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fitPlot")
        self.setAccessibleName("Fit plot: data and the model's prediction")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.legend = style.legend_strip([])
        self.window_combo = QComboBox()
        self.window_combo.setObjectName("fitWindow")
        self.window_combo.setAccessibleName("Part of the series to show")
        self.window_combo.setToolTip("Which part of the series to show (or zoom with the mouse wheel, "
                                     "drag to pan; the A button shows everything)")
        self.window_combo.setStyleSheet("font-size: 8.5pt;")
        for label, days in SERIES_WINDOWS:
            self.window_combo.addItem(label, days)
        self.window_combo.setCurrentIndex(DEFAULT_WINDOW)
        self.window_combo.hide()
        self.window_combo.activated.connect(lambda _i: self.show_window())
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 2, 0)
        top.addWidget(self.legend, 1)
        top.addWidget(self.window_combo, 0, Qt.AlignmentFlag.AlignTop)
        self.against_x = True            # a one-lag series: y against the lag (False: against time)
        self._full_ctx = None            # the context as set (a series), when an x view of it is shown
        self._full_view: dict | None = None
        self.axis_buttons = self._make_axis_buttons()
        top.addWidget(self.axis_buttons, 0, Qt.AlignmentFlag.AlignTop)
        self._layout.addLayout(top)
        self.readout = style.Readout(self)
        self.plot: pg.PlotWidget | None = None
        self.ctx = None
        self.mode = "none"
        self.pred_curve = None
        self.train_items = self.val_items = None
        self.image = None
        self._texts: list = []
        self._class_names: list[str] = []
        self.last_view: dict | None = None
        self.overlay: CurveOverlay | None = None     # the runs table's selected runs (set_overlays)
        self._legend_base = ""
        self._build(None)

    def _make_axis_buttons(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        group = QButtonGroup(box)
        for name, text, tip, against_x in (
                ("fitAgainstX", "ŷ(x)", "Tomorrow against today: the data as a scatter, the model as a line", True),
                ("fitAgainstTime", "ŷ(t)", "Actual and predicted against time", False)):
            b = QToolButton()
            b.setObjectName(name)
            b.setText(text)
            b.setToolTip(tip)
            b.setAccessibleName(tip)
            b.setCheckable(True)
            b.setChecked(against_x == self.against_x)
            b.setStyleSheet("font-size: 8.5pt; padding: 0 4px;")
            b.clicked.connect(lambda _=False, v=against_x: self.set_against_x(v))
            group.addButton(b)
            row.addWidget(b)
        box.hide()
        return box

    def set_against_x(self, against_x: bool) -> None:
        """Show a one-lag series against the lag (True) or against time; the last prediction stays."""
        self.against_x = bool(against_x)
        self.findChild(QToolButton, "fitAgainstX").setChecked(self.against_x)
        self.findChild(QToolButton, "fitAgainstTime").setChecked(not self.against_x)
        full = self._full_ctx
        if full is None or full.xy is None or (self.mode == "xy") == self.against_x:
            return
        view = self._full_view
        self._build(self._shown(full))
        if view is not None:
            self.show_view(view)
        self.axis_switched.emit()

    def _shown(self, ctx):
        """The context drawn for ``ctx``: its one-lag x view when that is chosen."""
        if ctx is not None and getattr(ctx, "xy", None) is not None and self.against_x:
            return ctx.xy
        return ctx

    # -- building ----------------------------------------------------------------
    def _build(self, ctx) -> None:
        if self.plot is not None:
            old = self.plot
            self._layout.removeWidget(old)
            old.hide()
            old.setParent(None)
            old.deleteLater()
        self.ctx = ctx
        self.mode = ctx.mode if ctx is not None else "none"
        self.last_view = None
        self._texts = []
        self.pred_curve = self.train_items = self.val_items = self.image = None
        axis = {"bottom": style.DateAxis()} if ctx is not None and ctx.x_is_date else None
        self.plot = style.make_plot_widget(axis_items=axis)
        self._layout.addWidget(self.plot, 1)
        self.readout.attach(self.plot)
        self.readout.note("")
        p = self.plot.getPlotItem()
        self.overlay = CurveOverlay(p, z=8)
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)
        self.legend.setText("")
        self.window_combo.setVisible(self.mode == "series")
        self.plot_rebuilt.emit()
        if ctx is None:
            self.readout.note("Load data to see it here with the model's prediction.")
            return
        unit = ctx.target_name
        if self.mode == "classes":
            self._build_classes(p)
            return
        dot = dict(pen=None, symbol="o", symbolSize=5)
        if self.mode == "xy":
            style.set_labels(self.plot, ctx.x_label, unit)
            self.train_items = p.plot(ctx.x_train, ctx.y_train, symbolBrush=pg.mkBrush(style.TRAIN + "88"),
                                      symbolPen=pg.mkPen(None), name="training rows", **dot)
            self.val_items = p.plot(ctx.x_val, ctx.y_val, symbolBrush=pg.mkBrush(style.VAL + "bb"),
                                    symbolPen=pg.mkPen(None), name="validation rows", **dot)
            self.pred_curve = p.plot(pen=pg.mkPen(style.MODEL, width=3), name="prediction ŷ(x)", antialias=True)
            self.pred_curve.setZValue(10)
            self.legend.setText(style.legend_html([(style.TRAIN, "dot", "training rows"),
                                                   (style.VAL, "dot", "validation rows"),
                                                   (style.MODEL, "thick", "model ŷ(x)")]))
            self.legend.setToolTip(f"{unit} against {ctx.x_label}: dots are data, the curve is the model")
            xb = (float(ctx.x_eval[0]), float(ctx.x_eval[-1]))
            yb = style.bounds(ctx.y_train, ctx.y_val)
            if yb is not None:
                pad = 0.06 * ((yb[1] - yb[0]) or 1.0)
                p.setRange(xRange=xb, yRange=(yb[0] - pad, yb[1] + pad), padding=0.0)
            p.getViewBox().disableAutoRange()
        elif self.mode == "series":
            style.set_labels(self.plot, "" if ctx.x_is_date else ctx.x_label, unit)
            # the data thin and light, the prediction bold and dark: the two never merge into one mass
            self.train_items = p.plot(ctx.x_train, ctx.y_train, pen=pg.mkPen(style.TRAIN_LIGHT, width=1),
                                      symbol="o", symbolSize=3, symbolBrush=pg.mkBrush(style.TRAIN + "aa"),
                                      symbolPen=pg.mkPen(None), name="actual (training)")
            self.val_items = p.plot(ctx.x_val, ctx.y_val, pen=pg.mkPen(style.VAL_LIGHT, width=1),
                                    symbol="o", symbolSize=3, symbolBrush=pg.mkBrush(style.VAL + "aa"),
                                    symbolPen=pg.mkPen(None), name="actual (validation)")
            for it in (self.train_items, self.val_items):
                it.setDownsampling(auto=True, method="peak")
                it.setClipToView(True)
            self.pred_curve = p.plot(pen=pg.mkPen(style.MODEL, width=2), name="predicted", antialias=True)
            self.pred_curve.setDownsampling(auto=True, method="peak")
            self.pred_curve.setClipToView(True)
            self.pred_curve.setZValue(10)
            vb = p.getViewBox()
            vb.setMouseEnabled(x=True, y=False)            # zoom and pan along time; y follows the data
            vb.disableAutoRange()
            vb.sigXRangeChanged.connect(self._fit_y_to_view)
            if ctx.boundary is not None:
                end = float(max(ctx.x_val.max(), ctx.boundary)) if len(ctx.x_val) else ctx.boundary
                region = pg.LinearRegionItem((ctx.boundary, end), movable=False,
                                             brush=pg.mkBrush(242, 142, 43, 28), pen=pg.mkPen(None))
                region.setZValue(-10)
                p.addItem(region, ignoreBounds=True)
                line = pg.InfiniteLine(ctx.boundary, angle=90, movable=False,
                                       pen=pg.mkPen(style.VAL, width=1.5, style=Qt.PenStyle.DashLine),
                                       label="validation →", labelOpts={"position": 0.95, "color": style.VAL,
                                                                       "anchors": [(0, 0), (0, 0)]})
                p.addItem(line, ignoreBounds=True)
            self.legend.setText(style.legend_html([(style.TRAIN, "dot", "actual (training)"),
                                                   (style.VAL, "dot", "validation"),
                                                   (style.MODEL, "thick", "model ŷ")]))
            self.legend.setToolTip(f"{unit}: actual values and the model's prediction from the previous "
                                   "values; the validation rows are shaded")
            self.show_window()
        else:
            style.set_labels(self.plot, f"actual {unit}", f"predicted {unit}")
            lo = float(min(ctx.y_train.min(), ctx.y_val.min() if len(ctx.y_val) else np.inf))
            hi = float(max(ctx.y_train.max(), ctx.y_val.max() if len(ctx.y_val) else -np.inf))
            p.plot([lo, hi], [lo, hi], pen=pg.mkPen(style.CONSTANT, width=1.5, style=Qt.PenStyle.DashLine),
                   name="perfect (ŷ = y)")
            self.train_items = p.plot(symbolBrush=pg.mkBrush(style.TRAIN + "99"), name="training rows", **dot)
            self.val_items = p.plot(symbolBrush=pg.mkBrush(style.VAL + "cc"), name="validation rows", **dot)
            self.legend.setText(style.legend_html([(style.TRAIN, "dot", "training rows"),
                                                   (style.VAL, "dot", "validation rows"),
                                                   (style.CONSTANT, "dash", "perfect: ŷ = y")]))
            self.legend.setToolTip("One dot per row: the closer to the diagonal, the better")
            pad = 0.05 * ((hi - lo) or 1.0)
            p.setRange(xRange=(lo - pad, hi + pad), yRange=(lo - pad, hi + pad), padding=0.0)
            p.getViewBox().disableAutoRange()

    def _build_classes(self, p) -> None:
        """A K×K matrix that fills the plot (cells need not be square), the class names along both
        axes shortened to fit a cell, the counts inside."""
        ctx = self.ctx
        K = max(len(ctx.classes), 2)
        names = ctx.classes or ["0", "1"]
        self._class_names = [str(n) for n in names]
        p.showGrid(x=False, y=False)
        p.invertY(True)
        p.getViewBox().setMouseEnabled(x=False, y=False)
        style.set_labels(self.plot, "predicted class", "actual class")
        self.image = pg.ImageItem(np.zeros((K, K)))
        self.image.setRect(QRectF(0, 0, K, K))
        self.image.setColorMap(pg.colormap.get("CET-L12") if "CET-L12" in pg.colormap.listMaps()
                               else pg.colormap.get("viridis"))
        p.addItem(self.image)
        font = QFont()
        font.setPointSize(11 if K <= 6 else 8)
        font.setBold(True)
        for i in range(K):
            row = []
            for j in range(K):
                t = pg.TextItem("0", anchor=(0.5, 0.5), color="#111")
                t.setFont(font)
                t.setPos(j + 0.5, i + 0.5)
                p.addItem(t)
                row.append(t)
            self._texts.append(row)
        p.setRange(xRange=(0, K), yRange=(0, K), padding=0.0)
        p.getViewBox().sigResized.connect(self._fit_class_ticks)
        self._fit_class_ticks()
        self.legend.setText("Confusion matrix: the diagonal counts the correct answers")

    def _fit_class_ticks(self, *_args) -> None:
        """Class names that fit: along x each one within its column ("setosa versicolor virginica",
        not "setoversicolvirginica"), along y within a readable width; hovering a cell names both."""
        if self.mode != "classes" or self.plot is None:
            return
        p = self.plot.getPlotItem()
        names = self._class_names
        K = max(len(names), 2)
        bottom, left = p.getAxis("bottom"), p.getAxis("left")
        fm = QFontMetrics(bottom.style.get("tickFont") or self.plot.font())
        cell = p.getViewBox().width() / K
        shown_x = [fm.elidedText(n, Qt.TextElideMode.ElideRight, max(int(cell) - 8, 12)) for n in names]
        shown_y = [fm.elidedText(n, Qt.TextElideMode.ElideRight, CLASS_LABEL_MAX_PX) for n in names]
        bottom.setTicks([[(i + 0.5, n) for i, n in enumerate(shown_x)]])
        left.setTicks([[(i + 0.5, n) for i, n in enumerate(shown_y)]])

    # -- series window -------------------------------------------------------------
    def show_window(self) -> None:
        """Show the part of the series chosen in the window picker."""
        if self.mode != "series":
            return
        span = self.window_span()
        if span is not None:
            self.plot.getPlotItem().getViewBox().setXRange(*span, padding=0.0)
            self._fit_y_to_view()

    def window_span(self) -> tuple[float, float] | None:
        """The stretch of time the window picker chooses (also while a one-lag series is shown
        against the lag: the units plot still draws time); None for data that is no series."""
        ctx = self._full_ctx
        if ctx is None or ctx.mode != "series" or not len(ctx.x_eval):
            return None
        days = self.window_combo.currentData()
        x0, x1 = float(ctx.x_eval[0]), float(ctx.x_eval[-1])
        step = DAY if ctx.x_is_date else 1.0
        if days == -1 and ctx.boundary is not None:
            start = ctx.boundary - 0.15 * (x1 - ctx.boundary)
        elif days and days > 0:
            start = x1 - days * step
        else:
            start = x0
        start = max(x0, start)
        return start, x1 + 0.01 * (x1 - start)

    def _fit_y_to_view(self, *_args) -> None:
        """y spans the actual values in view (steady while the prediction changes)."""
        ctx = self.ctx
        if ctx is None or self.mode != "series" or self.plot is None:
            return
        vb = self.plot.getPlotItem().getViewBox()
        x0, x1 = vb.viewRange()[0]
        x = ctx.x_eval
        i0, i1 = np.searchsorted(x, x0), np.searchsorted(x, x1, side="right")
        yb = style.bounds(ctx.y_eval[i0:i1]) or style.bounds(ctx.y_eval)
        if yb is None:
            return
        pad = 0.06 * ((yb[1] - yb[0]) or 1.0)
        vb.setYRange(yb[0] - pad, yb[1] + pad, padding=0.0)

    # -- data --------------------------------------------------------------------
    def set_context(self, ctx) -> None:
        """New data (or none): rebuild the static picture."""
        self._full_ctx, self._full_view = ctx, None
        self.axis_buttons.setVisible(ctx is not None and getattr(ctx, "xy", None) is not None)
        self._build(self._shown(ctx))

    def set_overlays(self, curves: list[dict]) -> None:
        """Earlier runs' predictions over this data (see :class:`CurveOverlay`), named in the legend."""
        if not self.overlay.items:
            self._legend_base = self.legend.text()
        self.overlay.set(curves)
        extra = style.legend_html(self.overlay.legend())
        self.legend.setText(self._legend_base + ("&nbsp;&nbsp; " + extra if extra else ""))

    def clear_prediction(self) -> None:
        self.last_view = self._full_view = None
        if self.pred_curve is not None:
            self.pred_curve.setData([], [])
        if self.mode == "parity":
            self.train_items.setData([], [])
            self.val_items.setData([], [])

    def show_view(self, view: dict | None) -> None:
        if view is not None and self._full_ctx is not None and view.get("mode") == self._full_ctx.mode:
            self._full_view = view
            if self.mode == "xy" and self._full_ctx.mode == "series":
                view = view.get("xy")
        if view is None or self.ctx is None or view.get("mode") != self.mode:
            return
        self.last_view = view
        if self.mode in ("xy", "series"):
            self.pred_curve.setData(view["x"], view["pred"])
        elif self.mode == "parity":
            self.train_items.setData(self.ctx.y_train, view["pred_train"])
            if len(view["pred_val"]):
                self.val_items.setData(self.ctx.y_val, view["pred_val"])
        else:
            use_val = view["val_confusion"].sum() > 0
            cm = view["val_confusion"] if use_val else view["train_confusion"]
            self.image.setImage(cm.T.astype(float), autoLevels=False, levels=(0, max(1, cm.max())))
            hi = cm.max() or 1
            for i, row in enumerate(self._texts):
                for j, t in enumerate(row):
                    t.setText(str(int(cm[i, j])))
                    t.setColor("#ffffff" if cm[i, j] > 0.55 * hi else "#111111")
            acc_t, acc_v = view["train_accuracy"], view["val_accuracy"]
            which = "validation" if use_val else "training"
            self.legend.setText(f"Accuracy: training <b>{acc_t:.1%}</b>" +
                                (f", validation <b>{acc_v:.1%}</b>" if use_val else "") +
                                f" · confusion matrix of the {which} rows")

    # -- hover -------------------------------------------------------------------
    def _cell_text(self, i: int, j: int) -> str:
        """What the confusion matrix's cell (actual ``i``, predicted ``j``) counts, in words."""
        names, v = self._class_names, self.last_view
        if not (0 <= i < len(names) and 0 <= j < len(names)):
            return ""
        text = f"actual {names[i]}, predicted {names[j]}"
        if v is not None:
            use_val = v["val_confusion"].sum() > 0
            cm = v["val_confusion"] if use_val else v["train_confusion"]
            n, total = int(cm[i, j]), int(cm[i].sum())
            which = "validation" if use_val else "training"
            text += f": {n:,} of the {total:,} {which} rows of {names[i]}"
        return text


    def _on_mouse_moved(self, event) -> None:
        if self.ctx is None or self.plot is None:
            return
        pos = event[0]
        if not self.plot.getPlotItem().vb.sceneBoundingRect().contains(pos):
            self.readout.hover_ended()
            return
        pt = self.plot.getPlotItem().vb.mapSceneToView(pos)
        ctx, v = self.ctx, self.last_view
        if self.mode == "classes":
            text = self._cell_text(int(np.floor(pt.y())), int(np.floor(pt.x())))
            if text:
                self.readout.show_text(text)
            else:
                self.readout.hover_ended()
            return
        if self.mode == "xy":
            text = f"{ctx.x_label} = {style.fmt(pt.x())}"
            if v is not None:
                text += f"   ŷ = {style.fmt(np.interp(pt.x(), v['x'], v['pred']))} {ctx.target_name}"
        elif self.mode == "series":
            x = ctx.x_eval
            i = int(np.clip(np.searchsorted(x, pt.x()), 0, len(x) - 1))
            if ctx.x_is_date:
                from datetime import datetime, timezone
                when = datetime.fromtimestamp(x[i], timezone.utc).strftime("%Y-%m-%d")
            else:
                when = f"{ctx.x_label} {style.fmt(x[i])}"
            part = "validation" if ctx.boundary is not None and x[i] >= ctx.boundary else "training"
            text = f"{when} ({part}): actual {style.fmt(ctx.y_eval[i])}"
            if v is not None:
                text += f", model {style.fmt(np.interp(x[i], v['x'], v['pred']))} {ctx.target_name}"
        else:
            text = f"actual {style.fmt(pt.x())}, predicted {style.fmt(pt.y())} {ctx.target_name}"
        self.readout.show_text(text)
