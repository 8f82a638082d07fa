"""Training in the window: the controller between the document, the worker, the panel and the plots.

``install_training(window)`` builds everything and wires it to the window::

    controller = install_training(window)   # at the end of MainWindow.__init__
    ...
    controller.shutdown()                    # in MainWindow.closeEvent once the close is accepted

The window provides ``document``, ``canvas_view.highlight_nodes(ids)``, the
actions ``actionTrain``, ``actionPause``, ``actionStep``, ``actionStepEpoch``,
``actionStop``, ``actionReset``, ``menus["train"]``, ``add_panel_dock``,
``add_plot``, ``set_training_locked(locked, reason)``, ``statusBar()`` and
``blocked_reason()``. Whatever it lacks is skipped or created here, so the
controller also runs in a bare test harness. As a safety net the controller
also watches the window's Close event and ``QApplication.aboutToQuit``.

States: ``idle`` (no trainer yet, or after Reset), ``running``, ``paused``
(thread alive, waiting), ``stopped`` (thread gone; Train continues the same
run), ``finished`` (epochs done, early stop or divergence).

Train always goes on from where the network is, history included: after a
finished run for another ``epochs`` epochs; after new settings (learning rate,
batch size, optimizer, …) with the same weights, batch order and optimizer
state where they still apply; after reopening a project from its saved weights
and history. Only Reset (or a new graph or data, or a diverged run) starts
the history afresh. While a run goes the project counts as modified, and Save
writes the weights and history as of the latest update.

Its parts: the actions (:mod:`gui.training.actions`), what the plots show of a
run (:mod:`gui.training.run_view`) and the work done while idle
(:mod:`gui.training.idle_jobs`).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction, QUndoCommand
from PySide6.QtWidgets import QApplication

from engine.landscape import default_pair
from engine.model import Model
from engine.trainer import ConfigError, Trainer

from gui.plots.fit_plot import FitPlot
from gui.plots.loss_plot import LossPlot
from gui.plots.surface_plot import SurfacePlot
from gui.plots.units_plot import UnitsPlot
from engine.views import make_context
from gui.training.panel import AUTO, TrainingPanel, auto_rate, divergence_word, fmt_r2
import gui.training.workers as workers
from gui.training.actions import make_training_actions, shift_held
from gui.training.idle_jobs import IdleWorkMixin, weights_match
from gui.training.run_view import RunViewMixin
from gui.training.workers import BackgroundJob, make_worker, retrack

__all__ = ["TrainingController", "install_training", "LOCK_REASON"]

LOCK_REASON = "Training is running — pause or stop to edit"


class _ResetCommand(QUndoCommand):
    """Reset weights as an undoable step: undo brings the trained weights and their history back
    (Train then goes on from them, as after reopening a project)."""

    def __init__(self, controller: "TrainingController") -> None:
        super().__init__("Reset weights")
        self.controller = controller
        self.weights = self.history = None

    def redo(self) -> None:
        # what is discarded now (a redo after more training discards that training, and undo
        # brings that back, not the older state)
        self.weights, self.history = self.controller._results_now()
        self.controller._reset()

    def undo(self) -> None:
        self.controller._restore(self.weights, self.history)


class TrainingController(RunViewMixin, IdleWorkMixin, QObject):
    state_changed = Signal(str)
    snapshot_received = Signal(object)      # gui.training.workers.Snapshot
    training_finished = Signal(str)         # stop reason: epochs | early_stopping | diverged | error
    views_updated = Signal()
    surface_updated = Signal()

    def __init__(self, document, window=None, actions: dict[str, QAction] | None = None,
                 highlight=None, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else window)
        self.document = document
        self.window = window
        self.state = "idle"
        self.worker_kind = workers.WORKER_KIND
        self.trainer: Trainer | None = None
        self.worker = None                # a TrainingWorker or ProcessTrainingWorker
        self.ctx = None
        self._key = None                  # what the trainer was built from
        self._jobs: list[BackgroundJob] = []
        self._epochs_seen: list[dict] = []
        self._last_loss: float | None = None
        self._shown_data = None           # the dataset the loss plot's run was trained on
        self._looks_paused = False        # stopped by a change made while paused: shown as paused
        self._surface_stale = False       # the graph or data changed since the surface was drawn
        self._pending_surface_on_pause = False
        self.actions = make_training_actions(actions or {}, window, self)
        self.panel = TrainingPanel(document, self.actions)
        self.loss_plot = LossPlot()
        self.fit_plot = FitPlot()
        self.units_plot = UnitsPlot(highlight=highlight)
        self.surface_plot = SurfacePlot()
        self.plots = (self.loss_plot, self.fit_plot, self.units_plot, self.surface_plot)

        a = self.actions
        a["train"].triggered.connect(self.start)
        a["pause"].triggered.connect(self.pause)
        a["step"].triggered.connect(lambda: self.step(shift_held()))
        a["step_epoch"].triggered.connect(lambda: self.step(True))
        a["stop"].triggered.connect(self.stop)
        a["reset"].triggered.connect(self.reset)
        self.panel.step_requested.connect(self.step)
        self.panel.speed_changed.connect(self._on_speed_changed)
        self.surface_plot.surface_requested.connect(self._on_surface_requested)

        document.graph_changed.connect(self._on_graph_changed)
        document.dataset_changed.connect(self._on_dataset_changed)
        document.config_changed.connect(self._on_config_changed)
        document.replaced.connect(self._on_replaced)
        document.about_to_save.connect(self._on_about_to_save)
        self._pending: dict = {}
        self._frame_order = ("loss", "fit", "loss", "units", "loss", "path")
        self._frame_i = 0
        self._frame_timer = QTimer(self)
        self._frame_timer.setInterval(30)
        self._frame_timer.timeout.connect(self._on_frame)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(120)
        self._preview_timer.timeout.connect(self._preview)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._on_dataset_changed()
        self._on_replaced()

    # -- helpers -------------------------------------------------------------------
    def _status(self, text: str, ms: int = 6000) -> None:
        w = self.window
        if w is not None and hasattr(w, "statusBar"):
            try:
                w.statusBar().showMessage(text, ms)
            except Exception:
                pass

    def _lock(self, locked: bool) -> None:
        w = self.window
        if w is not None and hasattr(w, "set_training_locked"):
            w.set_training_locked(locked, LOCK_REASON if locked else "")
        self.panel.set_settings_enabled(not locked)

    def _blocked(self) -> str | None:
        w = self.window
        if w is not None and hasattr(w, "blocked_reason"):
            reason = w.blocked_reason()
            if reason:
                return reason
        issues = self.document.issues()
        if issues:
            return issues[0].message
        if self.document.dataset is None:
            return "Load data first (File → Import CSV)"
        return None

    def _goes_on(self) -> bool:
        """Whether Train would go on with the current run (same network and data, not over)."""
        tr = self.trainer
        return (tr is not None and self._key is not None and self._key[:2] == self._build_key()[:2]
                and tr.diverged_at is None and not tr.finished)

    def _set_state(self, state: str, label: str | None = None) -> None:
        if state != "stopped":
            self._looks_paused = False
        if state == "stopped" and self._looks_paused and label is None:
            label = ("Paused — the change applies when you resume" if self._goes_on()
                     else "Paused — Train starts the changed network")
        self.state = state
        a = self.actions
        blocked = self._blocked()
        running = state == "running"
        a["train"].setEnabled(not running and blocked is None)
        a["train"].setText("&Resume" if state in ("paused", "stopped") and self._goes_on() else "&Train")
        a["pause"].setEnabled(running)
        a["step"].setEnabled(blocked is None)
        a["step_epoch"].setEnabled(blocked is None)
        a["stop"].setEnabled(state in ("running", "paused"))
        a["reset"].setEnabled(True)
        self._lock(running)
        labels = {"idle": "Ready" if blocked is None else f"Not ready: {blocked}",
                  "running": "Training…", "paused": "Paused", "stopped": "Stopped",
                  "finished": "Diverged" if self.trainer is not None and self.trainer.diverged_at is not None
                  else "Finished"}
        self.panel.show_state(label or labels.get(state, state))
        self.state_changed.emit(state)

    def _build_key(self):
        cfg = self.document.train_config
        return (repr(self.document.graph.to_dict()), id(self.document.dataset),
                repr({k: v for k, v in cfg.to_dict().items() if k != "track"}))

    def _surface_pair(self, model: Model) -> tuple[str, str]:
        """The pair the person picked, else the project's ``track`` setting, else (b, w)."""
        names = set(model.scalar_names())
        track = tuple(self.document.train_config.track)
        for pair in (self.surface_plot.pair(), track):
            if len(pair) == 2 and pair[0] in names and pair[1] in names:
                break
        else:
            pair = default_pair(model)
        self.surface_plot.set_parameters(model.scalar_names(), pair)
        return tuple(pair)

    def _new_trainer(self, weights: dict | None) -> Trainer:
        """A trainer on the document's graph and data; ``weights`` continue a run if they fit."""
        doc = self.document
        cfg = replace(doc.train_config, track=[])
        trainer = Trainer(doc.graph, doc.dataset, cfg)
        if weights_match(trainer.model, weights):
            trainer.set_weights(weights)
        pair = self._surface_pair(trainer.model)
        self.surface_plot.set_parameters(trainer.model.scalar_names(), pair)
        retrack(trainer, pair)
        self._key = self._build_key()
        return trainer

    def _max_rate(self) -> float | None:
        """The speed limit for the worker in updates per second (None: full speed)."""
        rate = self.panel.speed()
        if rate == AUTO:
            upe = self.trainer.updates_per_epoch if self.trainer is not None else 0
            return auto_rate(upe)
        return rate or None

    def _on_speed_changed(self, _rate: float) -> None:
        if self.worker is not None and self.worker.is_alive():
            self.worker.set_speed(self._max_rate())

    def set_speed(self, rate: float, remember: bool = False) -> None:
        """Updates per second (0 = full speed) for this and later runs; ``remember`` saves it as the
        preference (benchmarks and tests leave the person's preference alone)."""
        self.panel.set_speed(rate, remember=remember)

    # -- commands ------------------------------------------------------------------
    def start(self) -> None:
        """Train (or resume)."""
        if self.state == "running":
            return
        if self.worker is not None and self.worker.is_alive() and self._key == self._build_key():
            self.worker.resume()
            self._set_state("running")
            return
        if not self._ensure_trainer():
            return
        self._launch(paused=False)

    def _ensure_trainer(self) -> bool:
        """A trainer ready to go on from where the network is (see the module docstring)."""
        blocked = self._blocked()
        if blocked:
            self.panel.show_message(f"Cannot train yet: {blocked}.", "error")
            self._status(f"Cannot train: {blocked}")
            return False
        if self.panel.has_errors():
            self.panel.show_message("Fix the settings marked in red first.", "error")
            return False
        if self.worker is not None:
            self._stop_worker()
        old, key = self.trainer, self._build_key()
        diverged = old is not None and old.diverged_at is not None
        if old is not None and self._key == key and not diverged:
            if old.finished:       # the planned epochs are done (or early stopping): as many more
                old.continue_run()
                self._describe_run(old)
                self._status(f"Going on to epoch {old.epoch_goal:,} (Reset for fresh weights)")
            return True
        same_graph = old is not None and self._key is not None and self._key[0] == key[0]
        same_data = same_graph and self._key[1] == key[1]
        weights = old.model.get_weights() if same_graph else self.document.weights
        if diverged:               # the last finite weights of a diverged run are huge: start afresh
            weights = None
        try:
            self.trainer = tr = self._new_trainer(None if same_data else weights)
        except (ConfigError, ValueError) as exc:
            self.trainer = None
            self.panel.show_message(f"Cannot train: {exc}", "error")
            self._status(f"Cannot train: {exc}")
            return False
        going_on = False
        if same_data and not diverged:             # new settings: the same run goes on
            if old.config.loss == tr.config.loss:
                tr.continue_from(old)
                going_on = True
            else:                                  # another loss: its curve starts afresh
                tr.set_weights(weights)
        elif old is None and weights is not None and weights_match(tr.model, weights) \
                and self.document.history:        # a reopened project: its saved run goes on
            tr.adopt_history(self.document.history)
            going_on = True
        if not going_on:           # a fresh history: the last run stays behind to compare with
            comparable = old is not None and self._key is not None and self._key[1] == key[1] \
                and old.config.loss == tr.config.loss
            if not (comparable and self.loss_plot.keep_as_previous(
                    "previous run" if same_graph else "previous network")):
                if not comparable:
                    self.loss_plot.clear_previous()
        self._clear_plots()
        self._shown_data = self.document.dataset
        self._describe_run(tr)
        if going_on:
            self._show_history(tr)
            self._status(f"Going on from update {tr.updates:,} (Reset for fresh weights)")
        elif weights_match(tr.model, weights):
            self._status("Continuing from the trained weights (Reset for fresh ones)")
        elif diverged:
            self._status("The last run diverged: training starts again from fresh weights")
        return True

    def _on_about_to_save(self) -> None:
        """Save during a run: the weights and history as of the latest update go into the project."""
        if self.worker is not None and self.trainer is not None and self.state in ("running", "paused"):
            self._write_results()

    def _launch(self, paused: bool, steps: int = 0, epoch: bool = False) -> None:
        tr = self.trainer
        self.worker = make_worker(self.worker_kind, tr, self.ctx, surface_names=tuple(tr.config.track), parent=self,
                                  max_rate=self._max_rate())
        self.worker.snapshot_posted.connect(self._on_snapshot_posted)
        self.panel.show_message("")
        self.worker.start(paused=paused, steps=steps, epoch=epoch)
        self._set_state("paused" if paused else "running")

    def pause(self) -> None:
        if self.worker is not None and self.state == "running":
            self.worker.pause()
            self._set_state("paused")

    def step(self, epoch: bool = False) -> None:
        """One update (or the rest of the epoch) while paused; pauses a running worker first."""
        if self.worker is None or not self.worker.is_alive():
            if self.trainer is None or self.trainer.finished or self._key != self._build_key():
                if not self._ensure_trainer():
                    return
            self._launch(paused=True, steps=0 if epoch else 1, epoch=epoch)
            return
        if self.state == "running":
            self._set_state("paused")
        if epoch:
            self.worker.step_epoch()
        else:
            self.worker.step(1)

    def stop(self) -> None:
        """End the worker thread; the weights so far go into the document."""
        if self.worker is None:
            return
        self._stop_worker()
        self._drain()
        self._write_results()
        self._looks_paused = False
        self._set_state("stopped")
        if self.trainer is not None:
            self._status(f"Stopped after {self.trainer.updates:,} updates; Train continues")
            self._request_idle_surface()

    def reset(self) -> None:
        """Fresh weights from the seed, empty history, empty plots; an undoable step when
        there was something trained (Edit → Undo brings it back)."""
        weights, history = self._results_now()
        if weights is None and history is None:
            self._reset()                       # nothing to lose: no undo step
            return
        self.document.undo_stack.push(_ResetCommand(self))

    def _results_now(self) -> tuple[dict | None, dict | None]:
        """The trained weights and history as of now (a run is stopped and written first)."""
        self._stop_worker()
        tr = self.trainer
        if tr is not None and tr.updates and self._key == self._build_key():
            self._write_results()
        return self.document.weights, self.document.history

    def _reset(self) -> None:
        self._stop_worker()
        self._cancel_jobs()
        self.trainer = None
        self._key = None
        self.loss_plot.keep_as_previous("before Reset")
        self._clear_plots()
        self._shown_data = self.document.dataset
        if self.document.weights is not None or self.document.history is not None:
            self.document.set_results(None, None, mark=False)
        if self._blocked() is None:
            try:
                self.trainer = self._new_trainer(None)
                self._describe_run(self.trainer)
            except (ConfigError, ValueError) as exc:
                self.trainer = None
                self.panel.show_message(f"Cannot build the model: {exc}", "error")
        self._set_state("idle")
        if self.trainer is not None:
            tr = self.trainer
            self.surface_plot.append_path(0, tr.trajectory.view(), tuple(tr.config.track))
            self._request_idle_views(tr.model)
            self._request_idle_surface()
        self._status("Weights reset from the seed (Edit → Undo brings the trained ones back)")

    def _restore(self, weights: dict | None, history: dict | None) -> None:
        """Undo of Reset: the trained weights and their history, shown as a reopened project's."""
        self._stop_worker()
        self._cancel_jobs()
        self.trainer = None
        self._key = None
        self._clear_plots()
        self.loss_plot.clear_previous()
        self.document.set_results(weights, history, mark=False)
        self._show_document_results()
        self._set_state("idle")
        self._surface_stale = True
        self._preview_timer.start()
        n = len((history or {}).get("update_loss") or [])
        self._status(f"Trained weights back ({n:,} updates); Train goes on from them")

    def shutdown(self) -> None:
        """Stop everything that runs in the background (window closing, app quitting)."""
        self._preview_timer.stop()
        if self.worker is not None:
            self._stop_worker()
            if self.trainer is not None and self.state in ("running", "paused"):
                self._write_results()
            self.state = "stopped"
        self._cancel_jobs(wait=True)

    def _stop_worker(self) -> None:
        w = self.worker
        if w is None:
            return
        w.stop()
        try:
            w.snapshot_posted.disconnect(self._on_snapshot_posted)
        except (RuntimeError, TypeError):
            pass
        self._drain(w)
        self.worker = None

    def _drain(self, worker=None) -> None:
        """Show what the worker posted last (after it ended)."""
        w = worker or self.worker
        if w is not None:
            snap = w.take()
            if snap is not None:
                self._show_snapshot(snap)

    def _write_results(self) -> None:
        tr = self.trainer
        if tr is None:
            return
        if not all(np.isfinite(tr.model.flat_params)):
            return
        self.document.set_results(tr.model.get_weights(), tr.history())

    # -- snapshots -----------------------------------------------------------------
    def _on_snapshot_posted(self) -> None:
        if self.worker is None:
            return
        snap = self.worker.take()
        if snap is None:
            return
        self._show_snapshot(snap)
        if snap.state in ("finished", "error"):
            self._on_worker_ended(snap)

    def _on_worker_ended(self, snap) -> None:
        self._stop_worker()
        if snap.state == "error":
            self.panel.show_message(snap.message, "error")
            self._status(snap.message)
            self._set_state("stopped")
            self.training_finished.emit("error")
            return
        reason = snap.stop_reason or "epochs"
        if snap.weights is not None and all(np.all(np.isfinite(w)) for w in snap.weights.values()):
            self.document.set_results(snap.weights, snap.history)
        msg = snap.message[:1].upper() + snap.message[1:] if snap.message else "Finished."
        if reason == "epochs":
            msg = f"Finished {snap.epoch:,} epoch{'s' if snap.epoch != 1 else ''} ({snap.updates:,} updates)."
        if reason == "diverged":
            # the same numbers as the progress line: update d failed, d − 1 were done
            d, done = snap.diverged_at or snap.updates + 1, snap.updates
            upe = max(snap.updates_per_epoch, 1)
            lr = self.trainer.config.lr if self.trainer is not None else None
            kept = (f"the weights after update {done:,} are kept" if done else "the starting weights are kept")
            self.panel.show_message(
                f"Training diverged: stopped at update {d:,} (epoch {(d - 1) // upe + 1}): its loss was "
                f"{divergence_word(snap.message)}. {done:,} update{'s' if done != 1 else ''} done; {kept}. "
                + (f"Try a smaller learning rate than {lr:g}. " if lr else "Try a smaller learning rate. ")
                + "Train starts again from fresh weights.", "error")
            self._status(f"Diverged at update {d:,}: try a smaller learning rate", 15000)
        else:
            last = self._epochs_seen[-1] if self._epochs_seen else {}
            extra = ""
            if "val_r2" in last and math.isfinite(last.get("val_r2", math.nan)):
                extra = f" Validation R² {fmt_r2(last['val_r2'])}, MAE {last['val_mae']:.4g}."
            elif "val_accuracy" in last and math.isfinite(last.get("val_accuracy", math.nan)):
                extra = f" Validation accuracy {last['val_accuracy']:.1%}."
            self.panel.show_message(msg + extra, "done")
            self._status(msg)
        self._set_state("finished")
        self.training_finished.emit(reason)

    # -- document events ---------------------------------------------------------------
    def _invalidate(self) -> None:
        """The graph, data or settings changed under a trainer that is not running."""
        if self.worker is not None and self.state != "running":
            was_paused = self.state == "paused"
            self._stop_worker()
            self._write_results()
            self._looks_paused = was_paused     # to the person it is still paused, with a change
            self._set_state("stopped")

    def _on_graph_changed(self) -> None:
        self._invalidate()
        self._surface_stale = True
        self._set_state(self.state)
        if self.state != "running":
            self._preview_timer.start()

    def _on_dataset_changed(self) -> None:
        self._invalidate()
        ds = self.document.dataset
        self._surface_stale = True
        shown = self._shown_data
        if self.worker is None and shown is not None and ds is not shown:
            # the curves, scores and surface were of other data: they go (the weights stay in the
            # document, and Train still starts from them when they fit)
            self._clear_plots()
            self.loss_plot.clear_previous()
        self._shown_data = ds
        dtype = np.dtype(self.document.train_config.dtype)
        try:
            self.ctx = make_context(ds, dtype) if ds is not None else None
        except Exception as exc:       # a plot must never block loading data
            self.ctx = None
            self._status(f"Cannot plot this data: {exc}")
        for p in (self.fit_plot, self.units_plot):
            p.set_context(self.ctx)
        self._link_plots()
        if self.worker is None and self.loss_plot.update_count() == 0:
            self._describe_document()
        self._set_state(self.state)
        if self.state != "running":
            self._preview_timer.start()

    def _on_config_changed(self) -> None:
        if self._key is not None and self._key != self._build_key():     # not for a new surface pair
            self._invalidate()
        if self.worker is None and self.loss_plot.update_count() == 0:   # nothing shown yet: the new loss
            self._describe_document()
        if self.state != "running":
            self._set_state(self.state)

    def _on_replaced(self) -> None:
        self._stop_worker()
        self._cancel_jobs()
        self.trainer = None
        self._key = None
        self._clear_plots()
        self.loss_plot.clear_previous()                 # another project's run is no comparison
        self.surface_plot.set_parameters([], ("", ""))   # a new project: its own ``track`` setting picks
        self._shown_data = None                          # its data, when it has loaded, is the run's
        self._show_document_results()
        self._set_state("idle")

class _CloseWatcher(QObject):
    """Stops training once the window has really closed (a vetoed close changes nothing)."""

    def __init__(self, window, controller: TrainingController) -> None:
        super().__init__(window)
        self.window, self.controller = window, controller

    def eventFilter(self, obj, event) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close:
            QTimer.singleShot(0, self._check)
        return False

    def _check(self) -> None:
        try:
            visible = self.window.isVisible()
        except RuntimeError:          # already deleted
            visible = False
        if not visible:
            self.controller.shutdown()


def install_training(window) -> TrainingController:
    """Add the training panel and the four plots to ``window`` and wire its actions.

    Returns the controller; call ``controller.shutdown()`` from the window's
    ``closeEvent`` once the close is accepted (an event filter does it too, one
    event-loop turn later).
    """
    canvas = getattr(window, "canvas_view", None)
    highlight = getattr(canvas, "highlight_nodes", None)
    ctl = TrainingController(window.document, window=window, highlight=highlight)
    window.training = ctl
    if hasattr(window, "add_panel_dock"):
        window.add_panel_dock(ctl.panel, "Training")
    if hasattr(window, "add_plot"):
        for plot, title in ((ctl.loss_plot, "Loss"), (ctl.fit_plot, "Fit"), (ctl.units_plot, "Units"),
                            (ctl.surface_plot, "Error surface")):
            window.add_plot(plot, title)
    menus = getattr(window, "menus", None) or {}
    menu = menus.get("train")
    if menu is not None:
        present = set(menu.actions())
        for key in ("train", "pause", "step", "step_epoch", "stop", "reset"):
            if ctl.actions[key] not in present:
                menu.addAction(ctl.actions[key])
    window.installEventFilter(_CloseWatcher(window, ctl))
    bar = window.statusBar() if hasattr(window, "statusBar") else None
    if bar is not None:                     # "N examples, B per batch → U updates per epoch", always in view
        bar.addPermanentWidget(ctl.panel.make_summary_badge())
    blocked = getattr(window, "train_blocked_changed", None)
    if blocked is not None:                 # e.g. "no data yet" set by the data part
        blocked.connect(lambda _reason: ctl._set_state(ctl.state))
    return ctl
