"""The loss over training: every update (thin) and every epoch (thick, train and validation).

Built for long runs: the per-update history lives in a preallocated buffer
that doubles when full; each refresh is one ``setData`` on a view of it, with
peak downsampling and clip-to-view, so a million updates draw as fast as a
thousand. The x axis counts updates; epoch points sit at the update that
ended their epoch.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from . import style
from .views import peak_decimate

__all__ = ["LossPlot"]

MAX_POINTS = 2500      # blocks per refresh; each gives its min and max
MANY_EPOCHS = 150      # beyond this, epoch curves lose markers and antialiasing


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
        self.readout = style.readout_label()
        self.log_box = QCheckBox("Log scale")
        self.log_box.setObjectName("lossLogScale")
        self.log_box.setChecked(True)
        self.log_box.setToolTip("Show the loss on a logarithmic axis (small losses stay visible)")
        top = QHBoxLayout()
        top.setContentsMargins(4, 0, 4, 0)
        top.addWidget(self.readout, 1)
        top.addWidget(self.log_box)
        self.plot = style.make_plot_widget("update (one batch each)", "loss",
                                           axis_items={"left": style.LogAxis("left")})
        self.legend = style.legend_strip([(style.TRAIN_LIGHT, "line", "each update"),
                                          (style.TRAIN, "dot", "training (epoch)"),
                                          (style.VAL, "square", "validation (epoch)")])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self.legend)
        lay.addWidget(self.plot, 1)

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
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#999", width=1, style=Qt.PenStyle.DashLine))
        self.cursor.setZValue(-5)
        self.cursor.hide()
        p.addItem(self.cursor, ignoreBounds=True)
        p.setLogMode(y=True)
        self.log_box.toggled.connect(self._on_log_toggled)
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)

        self._x = _Buffer()
        self._y = _Buffer()
        self._epochs: list[dict] = []
        self._loss_name = "loss"
        self._hovering = False
        self._epochs_dirty = False
        self.clear()

    # -- data ------------------------------------------------------------------
    def clear(self) -> None:
        self._x.truncate(0)
        self._y.truncate(0)
        self._epochs = []
        self.update_curve.setData([], [])
        self.train_curve.setData([], [])
        self.val_curve.setData([], [])
        self.readout.setText("Press Train: the loss of each update and epoch appears here.")

    def set_loss_name(self, title: str) -> None:
        self._loss_name = title
        style.set_labels(self.plot, "update (one batch each)", title)

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
        if self._y.n and not self._hovering:
            last = self._epochs[-1] if self._epochs else None
            text = f"{self._y.n:,} updates · batch {style.fmt(self._y.buf[self._y.n - 1])}"
            if last:
                text += (f" · epoch {last.get('epoch')}: train {style.fmt(last.get('train_loss'))}, "
                         f"val {style.fmt(last.get('val_loss'))}")
            self.readout.setText(text)
        self._epochs_dirty = self._epochs_dirty or bool(epochs)
        if draw:
            self.refresh()

    def set_history(self, update_loss, epochs) -> None:
        """Show a saved history (e.g. from a reopened project)."""
        self.clear()
        self.append(0, np.asarray(update_loss or [], np.float64), list(epochs or []))

    def _visible_slice(self) -> tuple[int, int]:
        n = self._y.n
        vb = self.plot.getPlotItem().getViewBox()
        if vb.autoRangeEnabled()[0]:
            return 0, n
        x0, x1 = vb.viewRange()[0]
        return max(0, int(x0) - 2), min(n, int(np.ceil(x1)) + 1)

    def _on_x_range_changed(self, *_args) -> None:
        if not self.plot.getPlotItem().getViewBox().autoRangeEnabled()[0] and self._y.n:
            self._draw_updates()

    def _draw_updates(self) -> None:
        i0, i1 = self._visible_slice()
        x, y = peak_decimate(self._x.buf[i0:i1], self._y.buf[i0:i1], MAX_POINTS)
        self.update_curve.setData(x, y)

    def refresh(self) -> None:
        """Draw what was appended (one setData per curve)."""
        if self._y.n:
            self._draw_updates()
        if self._epochs_dirty:
            self._epochs_dirty = False
            ex = np.array([r.get("updates", 0) for r in self._epochs], np.float64)
            tr = np.array([r.get("train_loss", np.nan) for r in self._epochs], np.float64)
            va = np.array([r.get("val_loss", np.nan) for r in self._epochs], np.float64)
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

    def _on_mouse_moved(self, event) -> None:
        pos = event[0]
        vb = self.plot.getPlotItem().vb
        if not self.plot.sceneBoundingRect().contains(pos) or self._y.n == 0:
            self.cursor.hide()
            self._hovering = False
            return
        self._hovering = True
        x = vb.mapSceneToView(pos).x()
        u = int(round(min(max(x, 1), self._y.n)))
        self.cursor.setPos(u)
        self.cursor.show()
        text = f"update {u}: {self._loss_name} {style.fmt(self._y.buf[u - 1])}"
        if self._epochs:
            ex = np.array([r.get("updates", 0) for r in self._epochs])
            i = int(np.argmin(np.abs(ex - u)))
            r = self._epochs[i]
            text += (f"   ·   epoch {r.get('epoch', i + 1)}: train {style.fmt(r.get('train_loss'))}, "
                     f"validation {style.fmt(r.get('val_loss'))}")
        self.readout.setText(text)
