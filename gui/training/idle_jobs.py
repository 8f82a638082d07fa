"""The training controller's idle work: while no training thread runs, the fit
and units views and the error surface of the current (or fresh) weights are
computed off the GUI thread in :class:`~gui.training.workers.BackgroundJob` s.

:class:`IdleWorkMixin` is this part of :class:`gui.training.controller.TrainingController`.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.model import Model
from engine.trainer import Trainer

from engine.views import compute_views
from gui.training.workers import BackgroundJob, compute_surface, retrack

__all__ = ["IdleWorkMixin", "weights_match"]


def weights_match(model: Model, weights: dict | None) -> bool:
    if not weights:
        return False
    try:
        return set(weights) == set(model.params) and all(
            np.shape(weights[k]) == p.shape for k, p in model.params.items())
    except Exception:
        return False


class IdleWorkMixin:
    """Views, surface and preview computed while idle (no training thread).

    Mixed into :class:`gui.training.controller.TrainingController`, whose state it
    shares: ``document``, ``trainer``, ``worker``, ``ctx``, ``_key``, ``_jobs``,
    ``_surface_stale``, the plots, and ``_blocked`` / ``_build_key`` /
    ``_surface_pair`` / ``_status``."""

    def _model_copy(self, model: Model) -> Model:
        m = Model(model.graph, dtype=model.dtype)
        m.set_weights(model.get_weights())
        return m

    def _run_job(self, fn, on_done) -> BackgroundJob:
        job = BackgroundJob(fn, parent=self)
        job.done.connect(on_done)
        job.done.connect(lambda _r, j=job: self._forget(j))
        job.failed.connect(lambda msg, j=job: (self._status(f"Could not draw the plots: {msg}"), self._forget(j)))
        self._jobs.append(job)
        return job.start()

    def _forget(self, job) -> None:
        self._jobs = [j for j in self._jobs if j is not job]

    def _cancel_jobs(self, wait: bool = False) -> None:
        for j in self._jobs:
            j.cancel()
        if wait:
            for j in self._jobs:
                j.wait()
        self._jobs = [j for j in self._jobs if j.is_alive()]

    def _request_idle_views(self, model: Model) -> None:
        if self.ctx is None:
            return
        m, ctx = self._model_copy(model), self.ctx

        def done(views):
            if ctx is self.ctx and self.worker is None:
                self.fit_plot.show_view(views.get("fit"))
                self.units_plot.show_view(views.get("units"))
                self.views_updated.emit()
        self._run_job(lambda cancelled: compute_views(m, ctx), done)

    def _scratch_trainer(self) -> Trainer | None:
        """A trainer for idle work when there is no current one (nothing trained since the
        project opened, or the graph, data or settings changed): the document's weights if they
        fit, else fresh ones from the seed. It is not kept; Train builds its own."""
        if self.worker is not None or self._blocked() is not None:
            return None
        doc = self.document
        try:
            tr = Trainer(doc.graph, doc.dataset, replace(doc.train_config, track=[]))
        except Exception:
            return None
        if weights_match(tr.model, doc.weights):
            tr.set_weights(doc.weights)
        return tr

    def _request_idle_surface(self, pair=None) -> None:
        pair = tuple(pair or self.surface_plot.pair())
        if len(pair) != 2 or not pair[0]:
            return
        tr = self.trainer
        if tr is not None and self._key == self._build_key():
            path = tr.trajectory.view().copy() if tuple(tr.config.track) == pair else None
        else:                      # no trainer yet (a project just opened, an example): its saved path
            tr = self._scratch_trainer()
            if tr is None:
                blocked = self._blocked()
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
            if self.worker is None and surface is not None:
                self.surface_plot.show_surface(surface)
                self.surface_updated.emit()
        self._run_job(lambda cancelled: compute_surface(m, loss, X, y, pair, path, cancel=cancelled), done)

    def _on_surface_requested(self, pair) -> None:
        cfg = self.document.train_config
        if list(cfg.track) != list(pair):      # the choice is a setting: saved with the project
            self.document.set_train_config(replace(cfg, track=list(pair)))
        if self.worker is not None and self.worker.is_alive():
            self.worker.request_surface(pair)
            return
        tr = self.trainer
        if tr is not None and self._key == self._build_key() and tuple(tr.config.track) != tuple(pair):
            retrack(tr, pair)
            self.surface_plot.clear_path()
            self.surface_plot.append_path(0, tr.trajectory.view(), tuple(pair))
        self._request_idle_surface(pair)

    def _preview(self) -> None:
        """While idle: show what the current (or fresh) weights predict, off the GUI thread."""
        if self.worker is not None or self._blocked() is not None:
            return
        doc = self.document
        if self.trainer is not None and self._key is not None and self._key[0] == self._build_key()[0] \
                and self._key[1] == self._build_key()[1]:
            model = self.trainer.model
        else:
            try:
                model = Model(doc.graph, dtype=doc.train_config.dtype, seed=doc.train_config.seed)
            except Exception:
                return
            if weights_match(model, doc.weights):
                model.set_weights(doc.weights)
            self.surface_plot.set_parameters(model.scalar_names(), self._surface_pair(model))
        self._request_idle_views(model)
        if self.surface_plot.surface is None or self._surface_stale:    # just opened, or changed
            self._surface_stale = False
            self._request_idle_surface()
