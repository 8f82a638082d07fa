"""Training in the window: the controller between the document, the worker, the panel and the plots.

``install_training(window)`` (:mod:`gui.training.install`) builds everything and wires it to the window::

    controller = install_training(window)   # at the end of MainWindow.__init__
    ...
    controller.shutdown()                    # in MainWindow.closeEvent once the close is accepted

The window provides ``document``, ``canvas_view.highlight_nodes(ids)``, the
actions ``actionTrain``, ``actionPause``, ``actionStep``, ``actionStepEpoch``,
``actionStop``, ``actionReset``, ``menus["train"]``, ``add_panel_dock``,
``add_plot``, ``set_training_locked(locked, reason)``, ``statusBar()`` and
``blocked_reason()`` (see :class:`TrainingHost`). Whatever it lacks is skipped or
created here, so the controller also runs in a bare test harness. As a safety net
the controller also watches the window's Close event and ``QApplication.aboutToQuit``.

Its parts, each an object it owns and calls: the run's lifecycle
(:class:`gui.training.state.RunStateMachine`, Qt-free), the worker and its mirror
trainer (:class:`gui.training.session.TrainingSession`), what the plots show of a
run (:class:`gui.training.run_view.RunView`) and the work done while idle
(:class:`gui.training.idle_jobs.IdleJobs`). Which run Train starts is
:func:`gui.training.state.plan_start`.

Train always goes on from where the network is, history included: after a
finished run for another ``epochs`` epochs; after new settings (learning rate,
batch size, optimizer, …) with the same weights, batch order and optimizer
state where they still apply; after reopening a project from its saved weights
and history. Only Reset (or a new graph or data, or a diverged run) starts
the history afresh. While a run goes the project counts as modified, and Save
writes the weights and history as of the latest update.

The controller never edits the document through the back door: Reset and the
error surface's parameter pair are undo commands (:mod:`gui.document.commands`);
what it writes directly is what training produced (the weights and history).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from engine.landscape import default_pair
from engine.model import Model, weights_match
from engine.trainer import ConfigError, Trainer
from engine.views import make_context
from gui.document.commands import ResetWeightsCommand, SetTrainConfigCommand, SetWeightsCommand
from gui.training.actions import make_training_actions, shift_held
from gui.training.idle_jobs import IdleJobs
from gui.training.panel import TrainingPanel
from gui.training.panel_text import AUTO, auto_rate, diverged_message, finished_message
from gui.training.run_view import RunView
from gui.training.session import TrainingSession
from gui.training.state import RunKey, RunState, RunStateMachine, StartPlan, controls, plan_start, state_label

__all__ = ["TrainingController", "TrainingHost", "LOCK_REASON"]

LOCK_REASON = "Training is running — pause or stop to edit"


class TrainingHost(Protocol):
    """What the controller uses of its window (every part optional in a test harness)."""
    document: object

    def statusBar(self): ...
    def set_training_locked(self, locked: bool, reason: str) -> None: ...
    def blocked_reason(self) -> str | None: ...


class TrainingController(QObject):
    state_changed = Signal(str)             # a RunState (a str)
    snapshot_received = Signal(object)      # engine.train_loop.Snapshot
    training_finished = Signal(str)         # stop reason: epochs | early_stopping | diverged | error

    def __init__(self, document, window=None, actions: dict[str, QAction] | None = None,
                 highlight=None, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else window)
        self.document = document
        self.window = window
        self.machine = RunStateMachine()
        self.session = TrainingSession(self)
        self.session.snapshot_taken.connect(self._on_snapshot)
        self.trainer: Trainer | None = None
        self._key: RunKey | None = None   # what the trainer was built from
        self._shown_data = None           # the dataset the loss plot's run was trained on
        self._looks_paused = False        # stopped by a change made while paused: shown as paused
        self._track_seen: tuple = ()      # the surface pair setting last followed
        self.actions = make_training_actions(actions or {}, window, self)
        self.panel = TrainingPanel(document, self.actions)
        self.view = RunView(document, self.panel, highlight=highlight, parent=self)
        self.views_updated, self.surface_updated = self.view.views_updated, self.view.surface_updated
        self.loss_plot, self.fit_plot = self.view.loss_plot, self.view.fit_plot
        self.units_plot, self.surface_plot = self.view.units_plot, self.view.surface_plot
        self.plots = self.view.plots
        self.idle = IdleJobs(self, self.view, parent=self)

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
        document.results_restored.connect(self._on_results_restored)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(120)
        self._preview_timer.timeout.connect(self.idle.preview)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._on_dataset_changed()
        self._on_replaced()

    # -- public queries (also what IdleJobs reads) ----------------------------------------
    @property
    def state(self) -> RunState:
        return self.machine.state

    @property
    def worker(self):
        """The current worker (None when no run is going)."""
        return self.session.worker

    @property
    def ctx(self):
        return self.view.ctx

    def training_active(self) -> bool:
        return self.session.active

    def current_trainer(self) -> Trainer | None:
        """The trainer, if it was built from the document as it is now."""
        return self.trainer if self.trainer is not None and self._key == self._build_key() else None

    def same_data_trainer(self) -> Trainer | None:
        """The trainer, if it is of the document's network and data (its settings may differ)."""
        tr = self.trainer
        return tr if tr is not None and self._key is not None and self._key.same_data(self._build_key()) else None

    # -- helpers -------------------------------------------------------------------
    def status(self, text: str, ms: int = 6000) -> None:
        w = self.window
        if w is not None and hasattr(w, "statusBar"):
            try:
                w.statusBar().showMessage(text, ms)
            except RuntimeError:             # the window is being deleted
                pass

    def _lock(self, locked: bool) -> None:
        w = self.window
        if w is not None and hasattr(w, "set_training_locked"):
            w.set_training_locked(locked, LOCK_REASON if locked else "")
        self.panel.set_settings_enabled(not locked)

    def blocked(self) -> str | None:
        """Why Train cannot start (None when it can): the window's reason (the graph's first
        problem, then missing data), or the document's in a bare harness."""
        w = self.window
        if w is not None and hasattr(w, "blocked_reason"):
            return w.blocked_reason() or None
        return self.document.train_blocked_reason()

    def _goes_on(self) -> bool:
        """Whether Train would go on with the current run (same network and data, not over)."""
        tr = self.same_data_trainer()
        return tr is not None and tr.diverged_at is None and not tr.finished

    def _set_state(self, state: RunState | str, label: str | None = None) -> None:
        """Move to ``state`` (along the lifecycle's allowed transitions) and show it."""
        state = self.machine.go(state)
        if state != RunState.STOPPED:
            self._looks_paused = False
        if state == RunState.STOPPED and self._looks_paused and label is None:
            label = ("Paused — the change applies when you resume" if self._goes_on()
                     else "Paused — Train starts the changed network")
        blocked = self.blocked()
        c = controls(state, blocked, self._goes_on(), looks_paused=self._looks_paused)
        a = self.actions
        a["train"].setEnabled(c.train)
        a["train"].setText(c.train_label)
        a["pause"].setEnabled(c.pause)
        a["step"].setEnabled(c.step)
        a["step_epoch"].setEnabled(c.step)
        a["stop"].setEnabled(c.stop)
        a["reset"].setEnabled(c.reset)
        self._lock(c.locked)
        self.view.live = state == RunState.RUNNING
        diverged = self.trainer is not None and self.trainer.diverged_at is not None
        self.panel.show_state(label or state_label(state, blocked, diverged))
        self.state_changed.emit(state)

    def _refresh(self) -> None:
        """Show the controls again (the blocked reason or the document changed)."""
        self._set_state(self.state)

    def _build_key(self) -> RunKey:
        doc = self.document
        return RunKey.of(doc.graph.to_dict(), doc.dataset, doc.train_config.to_dict())

    def surface_pair(self, model: Model) -> tuple[str, str]:
        """The pair the person picked, else the project's ``track`` setting, else (b, w); the
        surface's pickers list ``model``'s parameters."""
        names = model.scalar_names()          # a lazy sequence: nothing per parameter is built
        track = tuple(self.document.train_config.track)
        for pair in (self.surface_plot.pair(), track):
            if len(pair) == 2 and pair[0] in names and pair[1] in names:
                break
        else:
            pair = default_pair(model)
        self.surface_plot.set_parameters(names, pair)
        return tuple(pair)

    def _new_trainer(self, weights: dict | None) -> Trainer:
        """A trainer on the document's graph and data; ``weights`` continue a run if they fit."""
        doc = self.document
        trainer = Trainer(doc.graph, doc.dataset, replace(doc.train_config, track=[]))
        if weights_match(trainer.model, weights):
            trainer.set_weights(weights)
        trainer.set_track(list(self.surface_pair(trainer.model)))
        self._key = self._build_key()
        return trainer

    def _max_rate(self) -> float | None:
        """The speed limit for the worker in updates per second (None: full speed)."""
        rate = self.panel.speed()
        if rate == AUTO:
            return auto_rate(self.trainer.updates_per_epoch if self.trainer is not None else 0)
        return rate or None

    def _on_speed_changed(self, _rate: float) -> None:
        self.session.set_speed(self._max_rate())

    def set_speed(self, rate: float, remember: bool = False) -> None:
        """Updates per second (0 = full speed) for this and later runs; ``remember`` saves it as the
        preference (benchmarks and tests leave the person's preference alone)."""
        self.panel.set_speed(rate, remember=remember)

    # -- commands ------------------------------------------------------------------
    def start(self) -> None:
        """Train (or resume)."""
        if self.state == RunState.RUNNING:
            return
        if self.session.alive() and self._key == self._build_key():
            self.session.resume()
            self._set_state(RunState.RUNNING)
            return
        if not self._ensure_trainer():
            return
        self._launch(paused=False)

    def _refuse(self) -> bool:
        """Say why Train cannot start now; False when it can."""
        blocked = self.blocked()
        if blocked:
            self.panel.show_message(f"Cannot train yet: {blocked}.", "error")
            self.status(f"Cannot train: {blocked}")
            return True
        if self.panel.has_errors():
            self.panel.show_message("Fix the settings marked in red first.", "error")
            return True
        return False

    def _ensure_trainer(self) -> bool:
        """A trainer ready to go on from where the network is (see :func:`plan_start`)."""
        if self._refuse():
            return False
        self._stop_session()
        old, old_key, key = self.trainer, self._key, self._build_key()
        if old is not None and old_key == key and old.diverged_at is None:
            if old.finished:       # the planned epochs are done (or early stopping): as many more
                old.continue_run()
                self.view.describe_run(old)
                self.status(f"Going on to epoch {old.epoch_goal:,} (Reset for fresh weights)")
            return True
        same_network = old is not None and key.same_network(old_key)
        weights = old.model.get_weights() if same_network else self.document.weights
        if old is not None and old.diverged_at is not None:
            weights = None          # the last finite weights of a diverged run are huge
        try:
            tr = self._new_trainer(None if key.same_data(old_key) and old is not None else weights)
        except (ConfigError, ValueError) as exc:
            self.trainer = None
            self.panel.show_message(f"Cannot train: {exc}", "error")
            self.status(f"Cannot train: {exc}")
            return False
        self.trainer = tr
        plan = plan_start(old_key if old is not None else None, key, has_trainer=old is not None,
                          diverged=old is not None and old.diverged_at is not None,
                          finished=old is not None and old.finished,
                          same_loss=old is not None and old.config.loss == tr.config.loss,
                          weights_fit=weights_match(tr.model, weights),
                          has_saved_history=bool(self.document.history))
        if plan is StartPlan.NEW_SETTINGS:
            tr.continue_from(old)
        elif plan is StartPlan.NEW_LOSS:
            tr.set_weights(weights)
        elif plan is StartPlan.ADOPT_SAVED:
            tr.adopt_history(self.document.history)
        going_on = plan in (StartPlan.NEW_SETTINGS, StartPlan.ADOPT_SAVED)
        if not going_on:           # a fresh history: the last run stays behind to compare with
            comparable = old is not None and old_key is not None and old_key.data_id == key.data_id \
                and old.config.loss == tr.config.loss
            if not (comparable and self.loss_plot.keep_as_previous(
                    "previous run" if same_network else "previous network")):
                if not comparable:
                    self.loss_plot.clear_previous()
        self.view.clear()
        self._shown_data = self.document.dataset
        self.view.describe_run(tr)
        if going_on:
            self.view.show_history(tr)
            self.status(f"Going on from update {tr.updates:,} (Reset for fresh weights)")
        elif plan in (StartPlan.NEW_LOSS, StartPlan.FROM_WEIGHTS):
            self.status("Continuing from the trained weights (Reset for fresh ones)")
        elif plan is StartPlan.AFTER_DIVERGED:
            self.status("The last run diverged: training starts again from fresh weights")
        return True

    def _on_about_to_save(self) -> None:
        """Save during a run: the weights and history as of the latest update go into the project."""
        if self.session.active and self.trainer is not None and self.machine.worker_expected:
            self._write_results()

    def _launch(self, paused: bool, steps: int = 0, epoch: bool = False) -> None:
        tr = self.trainer
        self.session.start(tr, self.ctx, surface_names=tuple(tr.config.track), max_rate=self._max_rate(),
                           paused=paused, steps=steps, epoch=epoch)
        self.panel.show_message("")
        self._set_state(RunState.PAUSED if paused else RunState.RUNNING)

    def pause(self) -> None:
        if self.session.active and self.state == RunState.RUNNING:
            self.session.pause()
            self._set_state(RunState.PAUSED)

    def step(self, epoch: bool = False) -> None:
        """One update (or the rest of the epoch) while paused; pauses a running worker first."""
        if not self.session.alive():
            if self.trainer is None or self.trainer.finished or self._key != self._build_key():
                if not self._ensure_trainer():
                    return
            elif self._refuse():
                return
            self._launch(paused=True, steps=0 if epoch else 1, epoch=epoch)
            return
        if self.state == RunState.RUNNING:
            self._set_state(RunState.PAUSED)
        if epoch:
            self.session.step_epoch()
        else:
            self.session.step(1)

    def stop(self) -> None:
        """End the worker; the weights so far go into the document."""
        if not self.session.active:
            return
        self._stop_session()
        self._write_results()
        self._looks_paused = False
        self._set_state(RunState.STOPPED)
        if self.trainer is not None:
            self.status(f"Stopped after {self.trainer.updates:,} updates; "
                        "Train starts the next run from these weights")
            self.idle.request_surface()

    def reset(self) -> None:
        """Fresh weights from the seed, empty history, empty plots; an undoable step when
        there was something trained (Edit → Undo brings it back)."""
        if self.session.active:            # a run under way: its latest weights are what Reset
            self._stop_session()           # discards and Undo brings back (a finished or stopped
            self._write_results()          # run is in the document already: nothing to mark)
        if self.document.weights is None and self.document.history is None:
            self._show_reset()             # nothing to lose: no undo step
            return
        self.document.undo_stack.push(ResetWeightsCommand(self.document))

    def current_weights(self) -> dict | None:
        """A copy of the network's weights now: the run's, else the document's (None: neither)."""
        if self.trainer is not None:
            return self.trainer.model.get_weights()
        return None if self.document.weights is None else {k: v.copy() for k, v in self.document.weights.items()}

    def set_weights(self, weights: dict, text: str = "Set weights") -> None:
        """Parameters set by hand: one undoable step (``text``); a run under way stops first and
        its weights are what Undo brings back."""
        if self.session.active:
            self._stop_session()
            self._write_results()
        self.document.undo_stack.push(SetWeightsCommand(self.document, weights, text))

    def _on_results_restored(self) -> None:
        """Reset, or its undo or redo, replaced the document's results."""
        if self.document.weights is None and self.document.history is None:
            self._show_reset()
        else:
            self._show_restored()

    def _show_reset(self) -> None:
        self._stop_session()
        self.idle.cancel()
        self.trainer = None
        self._key = None
        self.loss_plot.keep_as_previous("before Reset")
        self.view.clear()
        self._shown_data = self.document.dataset
        if self.blocked() is None:
            try:
                self.trainer = self._new_trainer(None)
                self.view.describe_run(self.trainer)
            except (ConfigError, ValueError) as exc:
                self.trainer = None
                self.panel.show_message(f"Cannot build the model: {exc}", "error")
        self._set_state(RunState.IDLE)
        if self.trainer is not None:
            tr = self.trainer
            self.surface_plot.append_path(0, tr.trajectory.view(), tuple(tr.config.track))
            self.idle.request_views(tr.model)
            self.idle.request_surface()
        self.status("Weights reset from the seed (Edit → Undo brings the trained ones back)")

    def _show_restored(self) -> None:
        """Undo of Reset: the trained weights and their history, shown as a reopened project's."""
        self._stop_session()
        self.idle.cancel()
        self.trainer = None
        self._key = None
        self.view.clear()
        self.loss_plot.clear_previous()
        self.view.show_document_results()
        self._set_state(RunState.IDLE)
        self.idle.surface_stale = True
        self._preview_timer.start()
        n = len((self.document.history or {}).get("update_loss") or [])
        self.status(f"Trained weights back ({n:,} updates); Train goes on from them")

    def shutdown(self) -> None:
        """Stop everything that runs in the background (window closing, app quitting)."""
        self._preview_timer.stop()
        if self.session.active:
            was_training = self.machine.worker_expected
            self._stop_session()
            if self.trainer is not None and was_training:
                self._write_results()
            if self.machine.can(RunState.STOPPED):
                self.machine.go(RunState.STOPPED)
        self.idle.cancel(wait=True)

    def _stop_session(self) -> None:
        """End the worker (if any) and show what it posted last."""
        snap = self.session.stop()
        if snap is not None:
            self._take_in(snap)

    def _write_results(self) -> None:
        tr = self.trainer
        if tr is None or not all(np.isfinite(tr.model.flat_params)):
            return
        self.document.set_results(tr.model.get_weights(), tr.history())

    # -- snapshots -----------------------------------------------------------------
    def _take_in(self, snap) -> None:
        """Show a snapshot; training's results go into the document (the project now differs
        from its file; a pause or step leaves its weights there for Save and Export)."""
        self.view.show_snapshot(snap, self.trainer.epoch_goal if self.trainer is not None else 0)
        if len(snap.loss_new) and snap.state == "running":
            self.document.mark_modified()
        if snap.weights is not None and snap.state == "paused":
            self.document.set_results(snap.weights, snap.history)
        self.snapshot_received.emit(snap)

    def _on_snapshot(self, snap) -> None:
        if not self.session.active:
            return
        self._take_in(snap)
        if snap.state in ("finished", "error"):
            self._on_worker_ended(snap)

    def _on_worker_ended(self, snap) -> None:
        self._stop_session()
        if snap.state == "error":
            self._write_results()              # the weights and history as of its last update
            self.panel.show_message(snap.message, "error")
            self.status(snap.message)
            self._set_state(RunState.STOPPED)
            self.training_finished.emit("error")
            return
        reason = snap.stop_reason or "epochs"
        if snap.weights is not None and all(np.all(np.isfinite(w)) for w in snap.weights.values()):
            self.document.set_results(snap.weights, snap.history)
        if reason == "diverged":
            lr = self.trainer.config.lr if self.trainer is not None else None
            self.panel.show_message(diverged_message(snap, lr), "error")
            self.status(f"Diverged at update {snap.diverged_at or snap.updates + 1:,}: try a smaller learning rate",
                        15000)
        else:
            text, short = finished_message(snap, self.view.epochs_seen[-1] if self.view.epochs_seen else {})
            self.panel.show_message(text, "done")
            self.status(short)
        self._set_state(RunState.FINISHED)
        self.idle.request_surface()            # the run's final surface, off the GUI thread
        self.view.when_drawn(lambda: self.training_finished.emit(reason))

    # -- the error surface's pair -----------------------------------------------------------
    def _on_surface_requested(self, pair) -> None:
        """The person picked a pair (or asked to recompute): the choice is a project setting,
        set by an undoable command; the surface follows the setting (``_on_config_changed``)."""
        cfg = self.document.train_config
        if list(cfg.track) != list(pair):
            self.document.undo_stack.push(SetTrainConfigCommand(self.document, replace(cfg, track=list(pair))))
        else:
            self._follow_pair(tuple(pair))

    def _follow_pair(self, pair: tuple) -> None:
        """Record and draw the surface of ``pair`` (an empty pair: the default one)."""
        if len(pair) != 2 or not pair[0]:
            tr = self.trainer
            if tr is None:                 # the preview picks the default for its model
                self.surface_plot.set_parameters([], ("", ""))
                self.idle.surface_stale = True
                self._preview_timer.start()
                return
            pair = tuple(default_pair(tr.model))
        if tuple(self.surface_plot.pair()) != pair:
            self.surface_plot.show_pair(pair)          # after an undo or redo
        if self.session.alive():
            self.session.request_surface(pair)
            return
        tr = self.current_trainer()
        if tr is not None and tuple(tr.config.track) != pair:
            tr.set_track(list(pair))
            self.surface_plot.clear_path()
            self.surface_plot.append_path(0, tr.trajectory.view(), pair)
        self.idle.request_surface(pair)

    # -- document events ---------------------------------------------------------------
    def _invalidate(self) -> None:
        """The graph, data or settings changed under a trainer that is not running."""
        if self.session.active and self.state != RunState.RUNNING:
            was_paused = self.state == RunState.PAUSED
            self._stop_session()
            self._write_results()
            self._looks_paused = was_paused     # to the person it is still paused, with a change
            self._set_state(RunState.STOPPED)

    def _on_graph_changed(self) -> None:
        self._invalidate()
        self.idle.surface_stale = True
        self._refresh()
        if self.state != RunState.RUNNING:
            self._preview_timer.start()

    def _on_dataset_changed(self) -> None:
        self._invalidate()
        ds = self.document.dataset
        self.idle.surface_stale = True
        shown = self._shown_data
        if not self.session.active and shown is not None and ds is not shown:
            # the curves, scores and surface were of other data: they go (the weights stay in the
            # document, and Train still starts from them when they fit)
            self.view.clear()
            self.loss_plot.clear_previous()
        self._shown_data = ds
        dtype = np.dtype(self.document.train_config.dtype)
        try:
            ctx = make_context(ds, dtype) if ds is not None else None
        except Exception as exc:       # a plot must never block loading data
            ctx = None
            self.status(f"Cannot plot this data: {exc}")
        self.view.set_context(ctx)
        if not self.session.active and self.loss_plot.update_count() == 0:
            self.view.describe_document()
        self._refresh()
        if self.state != RunState.RUNNING:
            self._preview_timer.start()

    def _on_config_changed(self) -> None:
        if self._key is not None and self._key != self._build_key():     # not for a new surface pair
            self._invalidate()
        if not self.session.active and self.loss_plot.update_count() == 0:   # nothing shown yet: the new loss
            self.view.describe_document()
        track = tuple(self.document.train_config.track)
        if track != self._track_seen:                 # a new surface pair (picked, undone, redone)
            self._track_seen = track
            self._follow_pair(track)
        if self.state != RunState.RUNNING:
            self._refresh()

    def _on_replaced(self) -> None:
        self._stop_session()
        self.idle.cancel()
        self.trainer = None
        self._key = None
        self.view.clear()
        self.loss_plot.clear_previous()                 # another project's run is no comparison
        self.surface_plot.set_parameters([], ("", ""))   # a new project: its own ``track`` setting picks
        self._shown_data = None                          # its data, when it has loaded, is the run's
        self._track_seen = tuple(self.document.train_config.track)
        self.view.show_document_results()
        self._set_state(RunState.IDLE)
