"""The training controller's idle work: while no training worker runs, the fit
and units views and the error surface of the current (or fresh) weights are
computed off the GUI thread in :class:`~gui.common.jobs.BackgroundJob` s.

:class:`IdleJobs` is owned by :class:`gui.training.controller.TrainingController`
and reads it only through its public queries (``current_trainer``,
``blocked``, ``training_active``, ``surface_pair``, ``status``).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from PySide6.QtCore import QObject

from engine.model import Model, weights_match
from engine.train_loop import compute_surface, runaway_surface, surface_inputs
from engine.trainer import Trainer
from engine.views import compute_views
from gui.common.jobs import BackgroundJob

__all__ = ["IdleJobs"]


class IdleJobs(QObject):
    """Views, surface and preview computed while idle (no training worker).

    ``host`` is the training controller; ``view`` its :class:`~gui.training.run_view.RunView`."""

    def __init__(self, host, view, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host, self.view = host, view
        self.document = host.document
        self.surface_plot = view.surface_plot
        self._jobs: list[BackgroundJob] = []
        self.surface_stale = False       # the graph or data changed since the surface was drawn

    def _model_copy(self, model: Model) -> Model:
        return model.copy()

    def _run_job(self, fn, on_done) -> BackgroundJob:
        job = BackgroundJob(fn, parent=self)
        job.done.connect(on_done)
        job.done.connect(lambda _r, j=job: self._forget(j))
        job.failed.connect(lambda msg, j=job: (self.host.status(f"Could not draw the plots: {msg}"), self._forget(j)))
        self._jobs.append(job)
        return job.start()

    def _forget(self, job) -> None:
        self._jobs = [j for j in self._jobs if j is not job]

    def cancel(self, wait: bool = False) -> None:
        for j in self._jobs:
            j.cancel()
        if wait:
            for j in self._jobs:
                j.wait()
        self._jobs = [j for j in self._jobs if j.is_alive()]

    def request_views(self, model: Model) -> None:
        view = self.view
        if view.ctx is None:
            return
        m, ctx = self._model_copy(model), view.ctx

        def done(views):
            if ctx is view.ctx and not self.host.training_active():
                view.fit_plot.show_view(views.get("fit"))
                view.units_plot.show_view(views.get("units"))
                view.views_updated.emit()
        self._run_job(lambda cancelled: compute_views(m, ctx), done)

    def _scratch_trainer(self) -> Trainer | None:
        """A trainer for idle work when there is no current one (nothing trained since the
        project opened, or the graph, data or settings changed): the document's weights if they
        fit, else fresh ones from the seed. It is not kept; Train builds its own."""
        if self.host.training_active() or self.host.blocked() is not None:
            return None
        doc = self.document
        try:
            tr = Trainer(doc.graph, doc.dataset, replace(doc.train_config, track=[]))
        except Exception:
            return None
        if weights_match(tr.model, doc.weights):
            tr.set_weights(doc.weights)
        return tr

    def request_surface(self, pair=None) -> None:
        pair = tuple(pair or self.surface_plot.pair())
        if len(pair) != 2 or not pair[0]:
            return
        tr = self.host.current_trainer()
        updates = run = None
        if tr is not None:
            path = tr.trajectory.view().copy() if tuple(tr.config.track) == pair else None
            updates = tr.updates           # "as of update N", as the worker's surfaces say
            if tr.finished and tuple(tr.config.track) == pair:
                run = surface_inputs(tr)   # a run that flew out of its valley: drawn around its start
        else:                      # no trainer yet (a project just opened, an example): its saved path
            tr = self._scratch_trainer()
            if tr is None:
                blocked = self.host.blocked()
                self.surface_plot.info.setText("The error surface appears once the network can be trained"
                                               + (f": {blocked[:1].lower() + blocked[1:]}" if blocked else ""))
                return
            try:
                here = [[tr.model.get_scalar(pair[0]), tr.model.get_scalar(pair[1])]]
            except Exception:
                return
            h = self.document.history or {}
            path = np.asarray(here, np.float64)
            if list(h.get("track") or []) == list(pair) and len(h.get("trajectory") or []):
                saved = np.asarray(h["trajectory"], np.float64).reshape(-1, 2)
                if np.allclose(saved[-1], path[0], rtol=1e-5, atol=1e-7):
                    path = saved
            self.surface_plot.clear_path()
            self.surface_plot.append_path(0, path, pair)
        m = self._model_copy(tr.model)
        X, y, loss = tr.X, tr.y, tr.loss

        def done(surface):
            if not self.host.training_active() and surface is not None:
                self.surface_plot.show_surface(surface)
                self.view.surface_updated.emit()
        def job(cancelled):
            surface = runaway_surface(run, pair, cancel=cancelled) if run is not None else None
            if surface is None:
                surface = compute_surface(m, loss, X, y, pair, path, cancel=cancelled)
                if surface is not None:
                    surface.updates = updates
            return surface
        self._run_job(job, done)

    def preview(self) -> None:
        """While idle: show what the current (or fresh) weights predict, off the GUI thread."""
        if self.host.training_active() or self.host.blocked() is not None:
            return
        doc = self.document
        tr = self.host.same_data_trainer()
        if tr is not None:
            model = tr.model
        else:
            try:
                model = Model(doc.graph, dtype=doc.train_config.dtype, seed=doc.train_config.seed)
            except Exception:
                return
            if weights_match(model, doc.weights):
                model.set_weights(doc.weights)
            self.host.surface_pair(model)
        self.request_views(model)
        if self.surface_plot.surface is None or self.surface_stale:    # just opened, or changed
            self.surface_stale = False
            self.request_surface()
