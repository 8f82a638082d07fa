"""The loss over training: every update (thin) and every epoch (thick, train and validation).

Built for long runs: the per-update history lives in a preallocated buffer
that doubles when full; each refresh is one ``setData`` on a view of it, with
peak downsampling and clip-to-view, so a million updates draw as fast as a
thousand. The x axis counts updates; epoch points sit at the update that
ended their epoch.

When a run starts afresh (Reset, or another network on the same data) the
last run's epoch curves stay behind, faded and dashed, so two runs — sigmoid
against ReLU, one learning rate against another — can be compared on one
plot (:meth:`LossPlot.keep_as_previous`).

With L2/L1 penalties the penalty is drawn per epoch apart from the data loss (green, dotted),
and with a learning-rate schedule the "η" box shows η over the whole run on a second axis
(right), from the schedule itself (:meth:`LossPlot.set_lr_schedule`).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

import gui.common.plot_style as style
from engine.views import peak_decimate
from gui.plots.run_overlays import CurveOverlay

__all__ = ["LossPlot"]

MAX_POINTS = 2500      # blocks per refresh; each gives its min and max
MANY_EPOCHS = 150      # beyond this, epoch curves lose markers and antialiasing
PENALTY = "#2e7d32"    # the penalty's curve (apart from the data loss)
LR = "#7b1fa2"         # η over the run, on the right axis
LR_POINTS = 1000       # η is drawn from this many updates of the run at most


class _Buffer:
    """Preallocated, doubling; ``view()`` is the filled part."""

    def __init__(self, capacity: int = 4096) -> None:
        self.buf = np.empty(capacity, np.float64)
        self.n = 0

    def extend(self, values: np.ndarray) -> None:
        k = len(values)
        if self.n + k > len(self.buf):
            cap = len(self.buf)
            while cap < self.n + k:
                cap *= 2
            new = np.empty(cap, np.float64)
            new[:self.n] = self.buf[:self.n]
            self.buf = new
        self.buf[self.n:self.n + k] = values
        self.n += k

    def truncate(self, n: int) -> None:
        self.n = min(self.n, n)

    def view(self) -> np.ndarray:
        return self.buf[:self.n]


class LossPlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setAccessibleName("Loss plot")
        self.log_box = QCheckBox("log")
        self.log_box.setObjectName("lossLogScale")
        self.log_box.setChecked(True)
        self.log_box.setToolTip("Show the loss on a logarithmic axis (small losses stay visible)")
        self.log_box.setStyleSheet("font-size: 8.5pt;")
        self.legend = style.legend_strip([])
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 4, 0)
        self.lr_box = QCheckBox("η")
        self.lr_box.setObjectName("lossShowLr")
        self.lr_box.setToolTip("Show the learning rate η over the run on a second axis (right): the "
                               "schedule (step, cosine, warm-up) set under Regularization & schedule")
        self.lr_box.setStyleSheet("font-size: 8.5pt;")
        self.lr_box.setEnabled(False)
        top.addWidget(self.legend, 1)
        top.addWidget(self.lr_box, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.log_box, 0, Qt.AlignmentFlag.AlignTop)
        self.plot = style.make_plot_widget("update", "loss", axis_items={"left": style.LogAxis("left")})
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self.plot, 1)
        self.readout = style.Readout(self)
        self.readout.attach(self.plot)

        p = self.plot.getPlotItem()
        self.update_curve = p.plot(pen=pg.mkPen(style.TRAIN_LIGHT, width=1), name="training loss, each update")
        # decimated here (min/max per block of the visible range), so a refresh costs O(visible)
        # NumPy work and at most ~2 × MAX_POINTS points for pyqtgraph, however long the run
        p.getViewBox().sigXRangeChanged.connect(self._on_x_range_changed)
        self.train_curve = p.plot(pen=pg.mkPen(style.TRAIN, width=3), symbol="o", symbolSize=6,
                                  symbolBrush=style.TRAIN, symbolPen=pg.mkPen("w", width=1),
                                  name="training loss, per epoch", antialias=True)
        self.val_curve = p.plot(pen=pg.mkPen(style.VAL, width=3), symbol="s", symbolSize=6,
                                symbolBrush=style.VAL, symbolPen=pg.mkPen("w", width=1),
                                name="validation loss, per epoch", antialias=True)
        # the previous run, faded and dashed, under the current one
        self.prev_train_curve = p.plot(pen=pg.mkPen(style.TRAIN + "80", width=2, style=Qt.PenStyle.DashLine),
                                       name="previous run, training", antialias=True)
        self.prev_val_curve = p.plot(pen=pg.mkPen(style.VAL + "80", width=2, style=Qt.PenStyle.DashLine),
                                     name="previous run, validation", antialias=True)
        for c in (self.prev_train_curve, self.prev_val_curve):
            c.setZValue(-2)
        self.overlay = CurveOverlay(p, z=5)       # the runs table's selected runs (set_overlays)
        self.penalty_curve = p.plot(pen=pg.mkPen(PENALTY, width=2, style=Qt.PenStyle.DotLine),
                                    name="penalty λ·Σw², per epoch", antialias=True)
        # η on its own view box, linked in x, with the right axis
        self.lr_view = pg.ViewBox()
        self.lr_view.setMouseEnabled(x=False, y=False)
        p.scene().addItem(self.lr_view)
        p.getAxis("right").linkToView(self.lr_view)
        self.lr_view.setXLink(p)
        self.lr_curve = pg.PlotDataItem(pen=pg.mkPen(LR, width=1.5))
        self.lr_view.addItem(self.lr_curve)
        p.getViewBox().sigResized.connect(self._on_view_resized)
        self._lr_at = None
        self._previous: dict | None = None
        self.cursor = pg.InfiniteLine(angle=90, movable=False,
                                      pen=pg.mkPen("#999", width=1, style=Qt.PenStyle.DashLine))
        self.cursor.setZValue(-5)
        self.cursor.hide()
        p.addItem(self.cursor, ignoreBounds=True)
        self.dot = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(style.TRAIN), pen=pg.mkPen("w", width=1.5))
        self.dot.setZValue(20)
        self.dot.hide()
        p.addItem(self.dot, ignoreBounds=True)
        p.setLogMode(y=True)
        self.ranges = style.RangeKeeper(self.plot)
        self.log_box.toggled.connect(self._on_log_toggled)
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)
        self.plot.viewport().installEventFilter(self)      # leaving the plot ends the hover

        self._x = _Buffer()
        self._y = _Buffer()
        self._epochs: list[dict] = []
        self._loss_name = "loss"
        self._hovering = False
        self._epochs_dirty = False
        self._upe = 0              # updates per epoch (for the readout)
        self._total = 0            # updates the run will make (0: until stopped)
        self.lr_box.toggled.connect(self._on_lr_toggled)
        self.clear()

    def _set_legend(self) -> None:
        last = self._epochs[-1] if self._epochs else None
        tr = f" {style.fmt(last.get('train_loss'))}" if last else ""
        va = f" {style.fmt(last.get('val_loss'))}" if last and last.get("val_loss") is not None else ""
        ep = f"epoch {last.get('epoch')}: " if last else ""
        entries = [(style.TRAIN_LIGHT, "line", "each update"),
                   (style.TRAIN, "dot", f"{ep}training<b>{tr}</b>"),
                   (style.VAL, "square", f"validation<b>{va}</b>")]
        if last and "penalty" in last:
            entries.append((PENALTY, "dash", f"penalty <b>{style.fmt(last.get('penalty'))}</b>"))
        if self.lr_box.isChecked() and self._lr_at is not None:
            entries.append((LR, "line", "η (right axis)"))
        entries += self.overlay.legend()
        prev = self._previous
        if prev is not None:
            entries.append(("#9aa0a6", "dash", f"{prev['label']}: validation <b>{style.fmt(prev['final'])}</b>"
                            if prev["final"] is not None else prev["label"]))
        self.legend.setText(style.legend_html(entries))

    # -- data ------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Leave:
            self._end_hover()
        return False

    def _end_hover(self) -> None:
        self.cursor.hide()
        self.dot.hide()
        if self._hovering:
            self._hovering = False
            self.readout.hover_ended()

    def clear(self) -> None:
        self._end_hover()
        self._x.truncate(0)
        self._y.truncate(0)
        self._epochs = []
        self.update_curve.setData([], [])
        self.train_curve.setData([], [])
        self.val_curve.setData([], [])
        self.penalty_curve.setData([], [])
        self.ranges.reset()
        self._show_empty_range()
        self._set_legend()
        self._show_hint()

    def _show_hint(self) -> None:
        """"Press Train" over an empty plot; not over a kept run's faded curves (issue 14.8)."""
        empty = self._y.n == 0 and self._previous is None and not self.overlay.items
        self.readout.note("Press Train: the loss of each update (one batch) and each epoch appears here."
                          if empty else "")

    def keep_as_previous(self, label: str) -> bool:
        """Keep the shown run's epoch curves, faded, as the one to compare the next run with
        (``label`` names it in the legend, e.g. "previous run"). False if there is nothing to keep."""
        if not self._epochs:
            return False
        ex = np.array([r.get("updates", 0) for r in self._epochs], np.float64)
        tr = np.array([r.get("train_loss", np.nan) for r in self._epochs], np.float64)
        va = np.array([r.get("val_loss", np.nan) for r in self._epochs], np.float64)
        finite = va[np.isfinite(va)]
        self._previous = {"x": ex, "train": tr, "val": va, "label": label,
                          "final": float(finite[-1]) if len(finite) else None}
        self._draw_previous()
        self._set_legend()
        self._show_hint()
        return True

    def set_overlays(self, curves: list[dict]) -> None:
        """Earlier runs' curves over this run's (see :class:`CurveOverlay`); the view spans both."""
        self.overlay.set(curves)
        self._set_legend()
        self._show_hint()
        b = self.overlay.bounds()
        if b is None:
            return
        ys = [c["y"] for c in self.overlay.curves()]
        ys += [np.array([np.nan if r.get(k) is None else r[k] for r in self._epochs], np.float64)
               for k in ("train_loss", "val_loss")]
        log = self.log_box.isChecked()
        yb = style.bounds(*(y[y > 0] if log else y for y in ys))
        if yb is None:
            return
        if log:
            yb = (np.log10(yb[0]), np.log10(yb[1]))
        pad = 0.05 * (yb[1] - yb[0]) or 0.5
        x1 = max(b[0][1], self._y.n, self._total, 1)
        self.plot.getPlotItem().getViewBox().setRange(xRange=(0, x1 * 1.02), yRange=(yb[0] - pad, yb[1] + pad),
                                                      padding=0.0)

    def clear_previous(self) -> None:
        self._previous = None
        self._draw_previous()
        self._set_legend()
        if self._y.n == 0:
            self._show_hint()

    def previous(self) -> dict | None:
        """The kept run: {"x", "train", "val", "label", "final"} or None."""
        return self._previous

    def _draw_previous(self) -> None:
        prev = self._previous
        if prev is None:
            self.prev_train_curve.setData([], [])
            self.prev_val_curve.setData([], [])
            return
        ok_t, ok_v = np.isfinite(prev["train"]), np.isfinite(prev["val"])
        self.prev_train_curve.setData(prev["x"][ok_t], prev["train"][ok_t])
        self.prev_val_curve.setData(prev["x"][ok_v], prev["val"][ok_v])

    def _show_empty_range(self) -> None:
        """No data: axes for the coming run (not the last project's ranges)."""
        x1 = self._total or max(10 * self._upe, 100)
        y = (-1.0, 1.0) if self.log_box.isChecked() else (0.0, 1.0)
        prev = self._previous
        yb = style.bounds(prev["train"], prev["val"]) if prev is not None else None
        if yb is not None:                  # the run to compare with is in view
            if self.log_box.isChecked():
                lo = max(yb[0], 1e-12)
                yb = (np.log10(lo), np.log10(max(yb[1], lo)))
            pad = 0.05 * (yb[1] - yb[0]) or 0.5
            y = (yb[0] - pad, yb[1] + pad)
        self.plot.getPlotItem().getViewBox().setRange(xRange=(0, x1), yRange=y, padding=0.0)

    def loss_name(self) -> str:
        """The name on the y axis ("MSE")."""
        return self.plot.getPlotItem().getAxis("left").labelText

    def set_loss_name(self, title: str, short: str | None = None) -> None:
        """``title`` for readouts ("mean squared error"); ``short`` on the axis ("MSE")."""
        self._loss_name = title
        style.set_labels(self.plot, "update", short or title)
        self.plot.getPlotItem().getAxis("left").setToolTip(title)       # the full name ("MSE (std.)")

    def set_run(self, updates_per_epoch: int, total_updates: int = 0) -> None:
        """What the run will be: the x axis spans ``total_updates`` (if known) from the start."""
        self._upe, self._total = int(updates_per_epoch), int(total_updates)
        self.ranges.reset()
        if self._y.n == 0:
            self._show_empty_range()
        self._draw_lr()

    def set_lr_schedule(self, lr_at) -> None:
        """``lr_at(t)``: η of update t (from 0), or None when η is constant (the "η" box is then off)."""
        self._lr_at = lr_at
        self.lr_box.setEnabled(lr_at is not None)
        if lr_at is None:
            self.lr_box.setChecked(False)
        self._draw_lr()
        self._set_legend()

    def lr_curve_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The η curve as drawn: (update, η)."""
        x, y = self.lr_curve.getData()
        return (np.asarray([]), np.asarray([])) if x is None else (x, y)

    def _draw_lr(self) -> None:
        on = self.lr_box.isChecked() and self._lr_at is not None
        p = self.plot.getPlotItem()
        p.showAxis("right", on)
        self.lr_view.setVisible(on)
        if not on:
            self.lr_curve.setData([], [])
            return
        end = max(self._total, self._y.n, 1)
        u = np.unique(np.linspace(1, end, min(end, LR_POINTS)).round().astype(np.int64))
        eta = np.array([self._lr_at(int(k) - 1) for k in u], np.float64)
        self.lr_curve.setData(u.astype(np.float64), eta)
        self.lr_view.setYRange(0, float(eta.max()) * 1.05 or 1.0, padding=0)
        p.getAxis("right").setLabel("η", color=LR)
        self._on_view_resized()

    def _on_lr_toggled(self, _on: bool) -> None:
        self._draw_lr()
        self._set_legend()

    def _on_view_resized(self) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        self.lr_view.setGeometry(vb.sceneBoundingRect())
        self.lr_view.linkedViewChanged(vb, self.lr_view.XAxis)

    def append(self, start: int, losses: np.ndarray, epochs: list[dict], draw: bool = True) -> None:
        """Add per-update losses (``losses[0]`` is update ``start + 1``) and finished epochs."""
        if start < self._y.n:               # a resend after a restart: drop the overlap
            self._x.truncate(start)
            self._y.truncate(start)
        if len(losses):
            self._x.extend(np.arange(self._y.n + 1, self._y.n + 1 + len(losses), dtype=np.float64))
            self._y.extend(losses)
        if epochs:
            self._epochs.extend(epochs)
            self._set_legend()
        if self._y.n and self.readout._sticky:
            self.readout.note("")
        self._epochs_dirty = self._epochs_dirty or bool(epochs)
        if draw:
            self.refresh()

    def set_history(self, update_loss, epochs) -> None:
        """Show a saved history (e.g. from a reopened project)."""
        self.clear()
        losses = np.asarray([] if update_loss is None else update_loss, np.float64)
        self.append(0, losses, list(epochs or []))

    def _visible_slice(self) -> tuple[int, int]:
        n = self._y.n
        vb = self.plot.getPlotItem().getViewBox()
        if self.ranges.auto or vb.autoRangeEnabled()[0]:
            return 0, n
        x0, x1 = vb.viewRange()[0]
        return max(0, int(x0) - 2), min(n, int(np.ceil(x1)) + 1)

    def _on_x_range_changed(self, *_args) -> None:
        if not self.ranges.auto and self._y.n:
            self._draw_updates()

    def _draw_updates(self) -> None:
        i0, i1 = self._visible_slice()
        x, y = peak_decimate(self._x.buf[i0:i1], self._y.buf[i0:i1], MAX_POINTS)
        self.update_curve.setData(x, y)
        return y

    def _keep_ranges(self, y: np.ndarray) -> None:
        """Steady axes while training: x spans the whole run, y moves only when the loss leaves it."""
        n = self._y.n
        total = max(self._total, n)
        if not self._total:                       # until stopped: grow in steps of a quarter
            total = max(10, int(np.ceil(n * 1.25)))
            if self.ranges.xr.range is not None and n <= self.ranges.xr.range[1]:
                total = self.ranges.xr.range[1]
        prev = self._previous
        yb = style.bounds(y, [r.get("train_loss") for r in self._epochs[-50:]],
                          [r.get("val_loss") for r in self._epochs[-50:]] if self._epochs else None,
                          prev["val"][prev["x"] <= total] if prev is not None else None,
                          *(c["y"][c["x"] <= total] for c in self.overlay.curves()))
        if yb is not None and self.log_box.isChecked():
            lo = max(yb[0], 1e-12)
            yb = (np.log10(lo), np.log10(max(yb[1], lo)))
        self.ranges.update((0, total), yb)

    def refresh(self) -> None:
        """Draw what was appended (one setData per curve)."""
        y = self._draw_updates() if self._y.n else None
        if self._y.n and self.ranges.check():
            self._keep_ranges(y)
        if self._epochs_dirty:
            self._epochs_dirty = False
            ex = np.array([r.get("updates", 0) for r in self._epochs], np.float64)
            tr = np.array([r.get("train_loss", np.nan) for r in self._epochs], np.float64)
            va = np.array([r.get("val_loss", np.nan) for r in self._epochs], np.float64)
            pen = np.array([r.get("penalty", np.nan) for r in self._epochs], np.float64)
            ok_pen = np.isfinite(pen) & (pen > 0 if self.log_box.isChecked() else True)
            self.penalty_curve.setData(ex[ok_pen], pen[ok_pen])
            ok = np.isfinite(va)
            many = len(ex) > MANY_EPOCHS      # thick antialiased paths are slow to stroke: keep it light
            for curve, color, symbol, xs, ys in ((self.train_curve, style.TRAIN, "o", ex, tr),
                                                 (self.val_curve, style.VAL, "s", ex[ok], va[ok])):
                if many != getattr(curve, "_many", False):
                    curve._many = many
                    curve.setPen(pg.mkPen(color, width=1.5 if many else 3))
                    curve.setSymbol(None if many else symbol)
                    curve.opts["antialias"] = not many
                curve.setData(xs, ys)

    def update_count(self) -> int:
        return self._y.n

    def epoch_count(self) -> int:
        return len(self._epochs)

    # -- interaction -------------------------------------------------------------
    def _on_log_toggled(self, on: bool) -> None:
        self.plot.getPlotItem().setLogMode(y=on)
        self.ranges.reset()
        self._epochs_dirty = True
        self.refresh()

    def _on_mouse_moved(self, event) -> None:
        pos = event[0]
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(pos) or self._y.n == 0:
            self._end_hover()
            return
        self._hovering = True
        x = vb.mapSceneToView(pos).x()
        u = int(round(min(max(x, 1), self._y.n)))
        value = float(self._y.buf[u - 1])
        self.cursor.setPos(u)
        self.cursor.show()
        shown = np.log10(value) if self.log_box.isChecked() and value > 0 else value
        self.dot.setData([u], [shown])
        self.dot.show()
        text = f"update {u:,}"
        if self._upe:
            ep, k = divmod(u - 1, self._upe)
            text += f" (epoch {ep + 1}, batch {k + 1} of {self._upe})"
        text += f": {self._loss_name} {style.fmt(value)}"
        if self._epochs:
            ex = np.array([r.get("updates", 0) for r in self._epochs])
            i = int(np.argmin(np.abs(ex - u)))
            r = self._epochs[i]
            text += (f"\nend of epoch {r.get('epoch', i + 1)}: training {style.fmt(r.get('train_loss'))}, "
                     f"validation {style.fmt(r.get('val_loss'))}"
                     + (f", penalty {style.fmt(r.get('penalty'))}" if "penalty" in r else ""))
        if self._lr_at is not None:
            text += f"\nη {style.fmt(self._lr_at(u - 1))}"
        self.readout.show_text(text)
