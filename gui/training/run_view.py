"""What the training controller shows of a run: the loss's name and the run's
length on the loss plot, the history so far, and the snapshots the worker
posts — taken in at once, drawn one plot per frame tick while running.

:class:`RunViewMixin` is this part of :class:`gui.training.controller.TrainingController`.
"""
from __future__ import annotations

import numpy as np

from engine.losses import LOSSES
from engine.trainer import Trainer

__all__ = ["RunViewMixin"]

_SHORT_LOSS = {"mse": "MSE", "mae": "MAE", "huber": "Huber", "bce": "BCE", "ce": "cross-entropy"}


class RunViewMixin:
    """The plots and the panel's live numbers fed from runs and snapshots.

    Mixed into :class:`gui.training.controller.TrainingController`, whose state it
    shares: ``document``, ``trainer``, ``ctx``, ``panel``, the four plots,
    ``_pending``, ``_frame_*``, ``_epochs_seen``, ``_last_loss``, ``state`` and
    the signals ``views_updated`` / ``surface_updated`` / ``snapshot_received``."""

    def _set_loss_name(self, name: str) -> None:
        """The loss's name on the loss plot's axis and the error surface's colour bar ("MSE")."""
        short = _SHORT_LOSS.get(name, name)
        title = LOSSES[name].title.lower() if name in LOSSES else name
        ds = self.document.dataset
        if ds is not None and ds.task == "regression" and float(np.ravel(ds.y_std)[0]) != 1.0:
            # the loss is of the standardized target: say so, and what 1 is in its own units
            self.loss_plot.set_loss_name(f"{title} on the standardized {ds.target_name} "
                                         f"(1 = {float(np.ravel(ds.y_std)[0]):.3g} {ds.target_name})",
                                         f"{short} (standardized)")
        else:
            self.loss_plot.set_loss_name(title, short)
        self.surface_plot.set_loss_name(short)

    def _describe_run(self, tr: Trainer) -> None:
        """Tell the loss plot the loss's name and how long the run is (its x axis spans the run)."""
        self._set_loss_name(tr.config.loss)
        left = max(0, tr.epoch_goal - tr.epoch) * tr.updates_per_epoch if tr.epoch_goal else 0
        self.loss_plot.set_run(tr.updates_per_epoch, tr.updates + left if left else 0)

    def _describe_document(self) -> None:
        """Before any run: the plots name the document's loss and span its run (as ``_describe_run``
        will), so a reopened project reads "MSE" as it did after training, with its own axes."""
        cfg = self.document.train_config
        self._set_loss_name(cfg.loss)
        ds = self.document.dataset
        n = len(ds.X_train) if ds is not None else 0
        upe = -(-n // min(cfg.batch_size, n)) if n and cfg.batch_size > 0 else 0
        self.loss_plot.set_run(upe, cfg.epochs * upe)

    def _link_plots(self) -> None:
        """For a series the units plot shows the same stretch of time as the fit plot."""
        fp, up = self.fit_plot, self.units_plot
        if self.ctx is not None and self.ctx.mode == "series" and fp.plot is not None and up.plot is not None:
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
            a.sigXRangeChanged.connect(follow(a, b))
            b.sigXRangeChanged.connect(follow(b, a))
            fp.show_window()
            b.setXRange(*a.viewRange()[0], padding=0.0)

    def _clear_plots(self) -> None:
        self._pending = {}
        self.loss_plot.clear()
        self.fit_plot.clear_prediction()
        self.units_plot.clear_prediction()
        self.surface_plot.clear()
        self._epochs_seen = []
        self._last_loss = None
        self.panel.clear_live()

    def _show_history(self, tr: Trainer) -> None:
        """The plots show ``tr``'s run so far (the worker sends only what comes next)."""
        self.loss_plot.set_history(tr.update_loss.view(), tr.epochs)
        self._epochs_seen = [dict(r) for r in tr.epochs]
        if tr.update_loss.n:
            self._last_loss = float(tr.update_loss.view()[-1])
        self.panel.show_metrics(self._epochs_seen[-1] if self._epochs_seen else None, self._last_loss)

    def _show_document_results(self) -> None:
        """The plots show the document's saved run (a reopened project, an undone Reset)."""
        self._describe_document()
        h = self.document.history
        if h:
            self.loss_plot.set_history(h.get("update_loss"), h.get("epochs"))
            self._epochs_seen = list(h.get("epochs") or [])
            self.panel.show_metrics(self._epochs_seen[-1] if self._epochs_seen else None, None)

    def _show_snapshot(self, snap) -> None:
        """Take in a snapshot. While running, plots are redrawn one per frame tick (see
        ``_on_frame``) so one event-loop turn never paints all four; otherwise at once."""
        live = snap.state == "running"
        self.loss_plot.append(snap.loss_start, snap.loss_new, snap.epochs_new, draw=not live)
        if snap.epochs_new:
            self._epochs_seen.extend(snap.epochs_new)
        if len(snap.loss_new):
            self._last_loss = float(snap.loss_new[-1])
        if snap.views is not None:
            self._pending["fit"] = snap.views.get("fit")
            self._pending["units"] = snap.views.get("units")
        self.surface_plot.append_path(snap.path_start, snap.path_new, snap.track, draw=not live)
        self._pending["loss"] = self._pending["path"] = True
        if snap.surface is not None:
            self.surface_plot.show_surface(snap.surface)
            self.surface_updated.emit()
        if live:
            if not self._frame_timer.isActive():
                self._frame_timer.start()
        else:
            self._flush_plots()
        epochs = self.trainer.epoch_goal if self.trainer is not None else 0
        self.panel.show_progress(snap, epochs)
        if len(snap.loss_new) and live:
            self.document.mark_modified()       # the project now differs from its file
        self.panel.show_metrics(self._epochs_seen[-1] if self._epochs_seen else None, self._last_loss)
        if snap.weights is not None and snap.state == "paused":
            self.document.set_results(snap.weights, None if snap.history is None else snap.history)
        self.snapshot_received.emit(snap)

    def _on_frame(self) -> None:
        """Redraw the next plot that has news (loss every other tick, the others in turn)."""
        order = self._frame_order
        for _ in range(len(order)):
            key = order[self._frame_i % len(order)]
            self._frame_i += 1
            if self._pending.get(key) is not None and self._pending.get(key) is not False:
                self._draw(key)
                return
        if self.state != "running":
            self._frame_timer.stop()

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

    def _flush_plots(self) -> None:
        for key in ("loss", "path", "fit", "units"):
            if self._pending.get(key) is not None and self._pending.get(key) is not False:
                self._draw(key)
