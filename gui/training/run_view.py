"""What the training controller shows of a run: the loss's name and the run's
length on the loss plot, the history so far, and the snapshots the worker
posts — taken in at once, drawn one plot per frame tick while running.

:class:`RunView` owns the four plots' live state (what is pending, the frame
timer, the epochs seen); :class:`gui.training.controller.TrainingController`
owns one and calls it. It never writes to the document.
"""
from __future__ import annotations

import numpy as np

from PySide6.QtCore import QObject, QTimer, Signal

from engine.losses import LOSSES
from engine.regularization import config_lr_at, is_scheduled
from engine.trainer import Trainer, updates_per_epoch
from gui.plots.fit_plot import FitPlot
from gui.plots.loss_plot import LossPlot
from gui.plots.surface_plot import SurfacePlot
from gui.plots.units_plot import UnitsPlot

__all__ = ["RunView"]

_SHORT_LOSS = {"mse": "MSE", "mae": "MAE", "huber": "Huber", "bce": "BCE", "ce": "cross-entropy"}


class RunView(QObject):
    """The plots and the panel's live numbers fed from runs and snapshots.

    ``document`` is read (the loss's name, the data's scale, a saved history), never
    written; ``panel`` is the training panel; ``highlight`` is the canvas's
    ``highlight_nodes`` for the units plot."""

    views_updated = Signal()
    surface_updated = Signal()
    FRAME_ORDER = ("loss", "fit", "loss", "units", "loss", "path")

    def __init__(self, document, panel, highlight=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.panel = panel
        self.ctx = None                   # engine.views context of the document's data
        self.loss_plot = LossPlot()
        self.fit_plot = FitPlot()
        self.units_plot = UnitsPlot(highlight=highlight)
        self.surface_plot = SurfacePlot()
        self.plots = (self.loss_plot, self.fit_plot, self.units_plot, self.surface_plot)
        self.epochs_seen: list[dict] = []
        self.last_loss: float | None = None
        self.live = False                 # a run is going: plots redraw one per frame tick
        self._pending: dict = {}
        self._frame_i = 0
        self._waiting: list = []          # when_drawn callbacks
        self._frame_timer = QTimer(self)
        self._frame_timer.setInterval(30)
        self._frame_timer.timeout.connect(self._on_frame)
        self._links: list = []            # (signal, slot): the fit and units plots' shared time axis
        self.fit_plot.axis_switched.connect(self.link_plots)

    def set_context(self, ctx) -> None:
        self.ctx = ctx
        for p in (self.fit_plot, self.units_plot):
            p.set_context(ctx)
        self.link_plots()

    def set_loss_name(self, name: str) -> None:
        """The loss's name on the loss plot's axis and the error surface's colour bar ("MSE")."""
        short = _SHORT_LOSS.get(name, name)
        title = LOSSES[name].title.lower() if name in LOSSES else name
        ds = self.document.dataset
        if ds is not None and ds.task == "regression" and float(np.ravel(ds.y_std)[0]) != 1.0:
            # the loss is of the standardized target: say so, and what 1 is in its own units
            self.loss_plot.set_loss_name(f"{title} on the standardized {ds.target_name} "
                                         f"(1 = {float(np.ravel(ds.y_std)[0]):.3g} {ds.target_name})",
                                         f"{short} (std.)")
        else:
            self.loss_plot.set_loss_name(title, short)
        self.surface_plot.set_loss_name(short)

    def describe_run(self, tr: Trainer) -> None:
        """Tell the loss plot the loss's name and how long the run is (its x axis spans the run)."""
        self.set_loss_name(tr.config.loss)
        left = max(0, tr.epoch_goal - tr.epoch) * tr.updates_per_epoch if tr.epoch_goal else 0
        self.loss_plot.set_lr_schedule(tr.lr_at if is_scheduled(tr.config) else None)
        self.loss_plot.set_run(tr.updates_per_epoch, tr.updates + left if left else 0)

    def describe_document(self) -> None:
        """Before any run: the plots name the document's loss and span its run (as ``_describe_run``
        will), so a reopened project reads "MSE" as it did after training, with its own axes."""
        cfg = self.document.train_config
        self.set_loss_name(cfg.loss)
        ds = self.document.dataset
        upe = updates_per_epoch(len(ds.X_train) if ds is not None else 0, cfg.batch_size)
        self.loss_plot.set_lr_schedule((lambda t: config_lr_at(cfg, t, upe, cfg.epochs * upe))
                                       if is_scheduled(cfg) else None)
        self.loss_plot.set_run(upe, cfg.epochs * upe)

    def link_plots(self) -> None:
        """For a series the units plot shows the same stretch of time as the fit plot."""
        fp, up = self.fit_plot, self.units_plot
        for signal, slot in self._links:       # the fit plot may be rebuilt alone (its x view)
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        self._links = []
        if self.ctx is not None and fp.mode == "series" and fp.plot is not None and up.plot is not None:
            a, b = fp.plot.getPlotItem().getViewBox(), up.plot.getPlotItem().getViewBox()
            busy = []

            def follow(src, dst):
                def on_range(*_args):
                    if busy:
                        return
                    busy.append(1)
                    try:
                        dst.setXRange(*src.viewRange()[0], padding=0.0)
                    finally:
                        busy.clear()
                return on_range
            self._links = [(a.sigXRangeChanged, follow(a, b)), (b.sigXRangeChanged, follow(b, a))]
            for signal, slot in self._links:
                signal.connect(slot)
            fp.show_window()
            b.setXRange(*a.viewRange()[0], padding=0.0)
        elif up.plot is not None and fp.window_span() is not None:     # the fit plot shows ŷ against x
            up.plot.getPlotItem().getViewBox().setXRange(*fp.window_span(), padding=0.0)

    def clear(self) -> None:
        self._pending = {}
        self.loss_plot.clear()
        self.fit_plot.clear_prediction()
        self.units_plot.clear_prediction()
        self.surface_plot.clear()
        self.epochs_seen = []
        self.last_loss = None
        self.panel.clear_live()
        self._drawn()

    def show_history(self, tr: Trainer) -> None:
        """The plots show ``tr``'s run so far (the worker sends only what comes next)."""
        self.loss_plot.set_history(tr.update_loss.view(), tr.epochs)
        self.epochs_seen = [dict(r) for r in tr.epochs]
        if tr.update_loss.n:
            self.last_loss = float(tr.update_loss.view()[-1])
        self.panel.show_metrics(self.epochs_seen[-1] if self.epochs_seen else None, self.last_loss)

    def show_document_results(self) -> None:
        """The plots show the document's saved run (a reopened project, an undone Reset)."""
        self.describe_document()
        h = self.document.history
        if h:
            self.loss_plot.set_history(h.get("update_loss"), h.get("epochs"))
            self.epochs_seen = list(h.get("epochs") or [])
            self.panel.show_metrics(self.epochs_seen[-1] if self.epochs_seen else None, None)

    def show_snapshot(self, snap, epoch_goal: int) -> None:
        """Take in a snapshot. While running, plots are redrawn one per frame tick (see
        ``_on_frame``) so one event-loop turn never paints all four; otherwise at once.
        ``epoch_goal`` is the epoch the run ends after (0: when stopped)."""
        live = snap.state == "running"
        self.loss_plot.append(snap.loss_start, snap.loss_new, snap.epochs_new, draw=not live)
        if snap.epochs_new:
            self.epochs_seen.extend(snap.epochs_new)
        if len(snap.loss_new):
            self.last_loss = float(snap.loss_new[-1])
        if snap.views is not None:
            self._pending["fit"] = snap.views.get("fit")
            self._pending["units"] = snap.views.get("units")
        self.surface_plot.append_path(snap.path_start, snap.path_new, snap.track, draw=not live)
        self._pending["loss"] = self._pending["path"] = True
        if snap.surface is not None:
            self.surface_plot.show_surface(snap.surface)
            self.surface_updated.emit()
        self.surface_plot.note_progress(snap.updates)
        if live or snap.state == "finished":
            # the end of a run is drawn like its middle, one plot per turn of the event loop, so
            # the window never stops for all four at once (``when_drawn`` tells when it is all on
            # screen); while running, one plot per 30-ms frame tick
            self._frame_timer.setInterval(30 if live else 0)
            if not self._frame_timer.isActive():
                self._frame_timer.start()
        else:
            self.flush()
        self.panel.show_progress(snap, epoch_goal)
        self.panel.show_metrics(self.epochs_seen[-1] if self.epochs_seen else None, self.last_loss)

    def _on_frame(self) -> None:
        """Redraw the next plot that has news (loss every other tick, the others in turn)."""
        order = self.FRAME_ORDER
        for _ in range(len(order)):
            key = order[self._frame_i % len(order)]
            self._frame_i += 1
            if self._pending.get(key) is not None and self._pending.get(key) is not False:
                self._draw(key)
                return
        if not self.live:
            self._frame_timer.stop()
            self._drawn()

    def _draw(self, key: str) -> None:
        value, self._pending[key] = self._pending.get(key), None
        if key == "loss":
            self.loss_plot.refresh()
        elif key == "path":
            self.surface_plot.redraw_path()
        elif key == "fit":
            self.fit_plot.show_view(value)
            self.views_updated.emit()
        elif key == "units":
            self.units_plot.show_view(value)
            self.views_updated.emit()

    def pending(self) -> bool:
        return any(v is not None and v is not False for v in self._pending.values())

    def when_drawn(self, fn) -> None:
        """Call ``fn`` once everything taken in is on screen (at once when it is)."""
        if self.pending() and self._frame_timer.isActive():
            self._waiting.append(fn)
        else:
            self.flush()
            fn()

    def _drawn(self) -> None:
        waiting, self._waiting = self._waiting, []
        for fn in waiting:
            fn()

    def flush(self) -> None:
        for key in ("loss", "path", "fit", "units"):
            if self._pending.get(key) is not None and self._pending.get(key) is not False:
                self._draw(key)
