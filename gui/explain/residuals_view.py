"""Is there pattern left? :class:`ResidualsView` (objectName ``residualsPlot``) shows a regression
model's residuals (actual − prediction) on the validation rows (or the training rows): against
time for a series, against the prediction otherwise; their histogram beside a bell curve of the
same mean and spread; and for a series their autocorrelation with its 95 % bounds. A sentence
says what they show (:func:`engine.residuals.compute_residuals`).

The residuals are computed in a background job on a copy of the model, when the view is in
sight and the weights, the network or the data have changed (a run paused or ended, weights set
by hand, Reset, its undo): never per training snapshot. ``model_source()`` gives
``(ExplainInputs, None)`` or ``(None, why not)``.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

import gui.common.plot_style as style
from engine.residuals import Residuals, compute_residuals
from gui.common.jobs import BackgroundJob

__all__ = ["ResidualsView", "ROWS"]

ROWS = [("Validation rows", "val"), ("Training rows", "train")]
OUTSIDE = style.NEGATIVE        # an autocorrelation beyond its bounds
INSIDE = "#9aa4b2"
DEBOUNCE_MS = 120


def _titled(title: str, plot: pg.PlotWidget, tip: str) -> QWidget:
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(1)
    label = QLabel(title)
    label.setStyleSheet("color: #333; font-size: 8.5pt; font-weight: 600; padding-left: 4px;")
    label.setToolTip(tip)
    plot.setToolTip(tip)
    lay.addWidget(label)
    lay.addWidget(plot, 1)
    box.title = label
    return box


class ResidualsView(QWidget):
    """The residual plots and their verdict for the current weights."""

    computed = Signal(object)       # engine.residuals.Residuals, after the three views are drawn

    def __init__(self, model_source, document=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("residualsPlot")
        self.setAccessibleName("Residuals")
        self.model_source = model_source
        self.result: Residuals | None = None
        self._job: BackgroundJob | None = None
        self._stale = True
        self._in_sight: bool | None = None      # None: as Qt says (no dock tells)

        self.rows_combo = QComboBox(objectName="residualRows")
        for text, which in ROWS:
            self.rows_combo.addItem(text, which)
        self.rows_combo.setToolTip("Which rows' residuals: the validation rows (unseen while training) "
                                   "or the training rows")
        self.rows_combo.currentIndexChanged.connect(self.invalidate)
        self.verdict_label = QLabel("Is there pattern left? Train a regression model to see its residuals.")
        self.verdict_label.setObjectName("residualVerdict")
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._time_plots = {date: style.make_plot_widget("time", "residual",
                                                         axis_items={"bottom": style.DateAxis()} if date else None)
                            for date in (False, True)}
        for plot in self._time_plots.values():
            plot.setObjectName("residualScatter")
        self.time_plot, self._date_axis = self._time_plots[False], False
        self.hist_plot = style.make_plot_widget("residual", "rows")
        self.hist_plot.setObjectName("residualHistogram")
        self.acf_plot = style.make_plot_widget("lag", "r")
        self.acf_plot.setObjectName("residualAutocorrelation")
        self.time_box = _titled("Residuals", self._time_plots[True],
                                "Residual = actual − prediction, in the target's units: above 0 the model "
                                "answered too low. No pattern left looks like noise around 0")
        self._time_plots[False].setToolTip(self._time_plots[True].toolTip())
        self.time_box.layout().addWidget(self._time_plots[False], 1)
        self._time_plots[True].hide()
        self.hist_box = _titled("Histogram", self.hist_plot,
                                "How the residuals spread; dashed: a bell curve of the same mean and spread")
        self.acf_box = _titled("Autocorrelation", self.acf_plot,
                               "r(k): how alike residuals k rows apart are. Dashed: the 95 % bounds ±1.96/√N "
                               "that noise stays within; orange bars go beyond them: pattern left")

        self.summary_label = QLabel("")
        self.summary_label.setObjectName("residualSummary")
        self.summary_label.setStyleSheet("font-weight: 600;")
        top = QHBoxLayout()
        top.addWidget(self.rows_combo)
        top.addWidget(self.summary_label, 1)
        plots = QHBoxLayout()
        plots.setSpacing(4)
        for box, stretch in ((self.time_box, 3), (self.hist_box, 2), (self.acf_box, 2)):
            plots.addWidget(box, stretch)
        self._make_items()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(3)
        lay.addLayout(top)
        lay.addWidget(self.verdict_label)
        lay.addLayout(plots, 1)

        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        if document is not None:
            for signal in (document.results_changed, document.dataset_changed, document.graph_changed):
                signal.connect(self.invalidate)

    # -- when to compute ---------------------------------------------------------------
    def invalidate(self, *_args) -> None:
        """The weights, network, data or rows changed: compute again when in sight."""
        self._stale = True
        if self.in_sight():
            self._timer.start()

    def in_sight(self) -> bool:
        return self.isVisible() if self._in_sight is None else self._in_sight

    def set_in_sight(self, shown: bool) -> None:
        """Told by a dock (its ``visibilityChanged``): a dock behind another tab stays 'visible'
        to Qt, so whether a person can see the view is what its dock says."""
        self._in_sight = bool(shown)
        if shown and self._stale:
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale and self.in_sight():
            self._timer.start()

    def which(self) -> str:
        return self.rows_combo.currentData()

    def refresh(self) -> None:
        """Start computing the residuals of the current weights (a running job is cancelled)."""
        self._stale = False
        self.cancel()
        inputs, why = self.model_source()
        if inputs is None:
            self._say(why)
            return
        ds, which = inputs.dataset, self.which()
        if ds.task != "regression":
            self._say("Residuals apply to regression (a number to predict): this model is a classifier. "
                      "For a classifier, see its confusion matrix in the training panel.")
            return
        if (ds.n_val if which == "val" else ds.n_train) == 0:
            self._say("There are no validation rows: choose a validation fraction above 0 in the import "
                      "view, or show the training rows.")
            return
        model = inputs.model
        job = BackgroundJob(lambda cancelled: compute_residuals(model, ds, which, cancelled),
                            name="netcanvas-residuals", parent=self)
        job.done.connect(self._on_done)
        job.failed.connect(lambda message: self._say(f"Could not compute the residuals: {message}"))
        self._job = job.start()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def _say(self, text: str) -> None:
        self.verdict_label.setText(text)
        self.summary_label.setText("")
        self.result = None
        for item in (self._line, self._dots, self._bell, *self._bounds):
            item.setData([], [])
        self._hist.setOpts(x0=[], width=[], height=[])
        self._acf.setOpts(x=[], height=[], brushes=[])

    # -- drawing: items made once, their data replaced (cheaper than new items each time) --------
    def _make_items(self) -> None:
        dash = Qt.PenStyle.DashLine
        self._line = pg.PlotDataItem(pen=pg.mkPen(style.VAL + "66", width=1))
        self._dots = pg.PlotDataItem(pen=None, symbol="o", symbolSize=4, symbolPen=pg.mkPen(None))
        self._zero = pg.InfiniteLine(0, angle=0, pen=pg.mkPen(style.MODEL, width=1, style=dash))
        for item in (self._line, self._dots, self._zero):
            self.time_plot.addItem(item)
        self._hist = pg.BarGraphItem(x0=[], width=[], height=[], pen=pg.mkPen("w", width=0.5))
        self._bell = pg.PlotDataItem(pen=pg.mkPen(style.MODEL, width=1.5, style=dash))
        self.hist_plot.addItem(self._hist)
        self.hist_plot.addItem(self._bell)
        self._acf = pg.BarGraphItem(x=[], height=[], width=0.6, brushes=[], pen=pg.mkPen(None))
        self._bounds = [pg.PlotDataItem(pen=pg.mkPen(style.POSITIVE, width=1.2, style=dash)) for _ in range(2)]
        self.acf_plot.addItem(self._acf)
        for item in self._bounds:
            self.acf_plot.addItem(item)
        self.acf_plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen(style.AXIS, width=1)))
        self._brushes = {True: pg.mkBrush(OUTSIDE), False: pg.mkBrush(INSIDE)}

    def _show_time_plot(self, date: bool) -> None:
        """The plot with a date axis or with a number axis (an axis is chosen when a plot is made;
        both are kept, one hidden), holding the residuals' items."""
        if date == self._date_axis:
            return
        old, new = self._time_plots[self._date_axis], self._time_plots[date]
        for item in (self._line, self._dots, self._zero):
            old.removeItem(item)
            new.addItem(item)
        old.hide()
        new.show()
        self.time_plot, self._date_axis = new, date

    def _on_done(self, res: Residuals) -> None:
        self._job = None
        self.result = res
        self._show_time_plot(res.x_is_date)
        self._draw_points(res)
        self._draw_histogram(res)
        self.acf_box.setVisible(res.series)
        if res.series:
            self._draw_acf(res)
        rows = "validation" if res.which == "val" else "training"
        self.summary_label.setText(f"{res.n:,} {rows} rows: mean residual {style.fmt(res.mean, 3)}, spread "
                                   f"(std) {style.fmt(res.std, 3)} ({res.target})")
        self.verdict_label.setText(res.verdict)
        self.computed.emit(res)

    def _draw_points(self, res: Residuals) -> None:
        style.set_labels(self.time_plot, res.x_label if res.series else f"prediction ({res.target})", "residual")
        self.time_box.title.setText("Residuals over time" if res.series else "Residuals against the prediction")
        color = style.VAL if res.which == "val" else style.TRAIN
        i = res.shown
        x, y = res.x[i], res.residuals[i]
        self._line.setPen(pg.mkPen(color + "66", width=1))
        self._line.setData(x if res.series else [], y if res.series else [])
        self._dots.setSymbolBrush(pg.mkBrush(color + "cc"))
        self._dots.setData(x, y)
        self.time_plot.getPlotItem().enableAutoRange()

    def _draw_histogram(self, res: Residuals) -> None:
        style.set_labels(self.hist_plot, f"residual ({res.target})", "rows")
        edges, counts = res.hist_edges, res.hist_counts
        color = style.VAL if res.which == "val" else style.TRAIN
        self._hist.setOpts(x0=edges[:-1], width=np.diff(edges), height=counts, brush=pg.mkBrush(color + "aa"))
        if res.std > 0 and math.isfinite(res.std):
            xs = np.linspace(edges[0], edges[-1], 120)
            scale = res.n * float(np.mean(np.diff(edges)))
            self._bell.setData(xs, scale * np.exp(-0.5 * ((xs - res.mean) / res.std) ** 2)
                               / (res.std * math.sqrt(2 * math.pi)))
        else:
            self._bell.setData([], [])
        self.hist_plot.getPlotItem().enableAutoRange()

    def _draw_acf(self, res: Residuals) -> None:
        r = np.where(np.isfinite(res.acf), res.acf, 0.0)
        lags = res.lags.astype(float)
        self._acf.setOpts(x=lags, height=r, brushes=[self._brushes[bool(o)] for o in np.abs(r) > res.bounds])
        for sign, item in zip((1, -1), self._bounds):
            item.setData(lags, sign * res.bounds)
        p = self.acf_plot.getPlotItem()
        p.setXRange(0.3, float(res.lags[-1]) + 0.7, padding=0)
        top = max(float(np.max(np.abs(r))) if len(r) else 0.0, float(np.max(res.bounds)) if len(r) else 0.0, 0.1)
        p.setYRange(-top * 1.1, top * 1.1, padding=0)

    def shutdown(self) -> None:
        self._timer.stop()
        if self._job is not None:
            self._job.cancel()
            self._job.wait(2.0)
