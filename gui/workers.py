"""Background work off the GUI thread: the training worker and one-shot jobs.

The training loop is a plain Python thread running the engine's steppable
:class:`~engine.trainer.Trainer` in chunks of ~20 ms (``Trainer.run(max_seconds=...)``).
Between chunks it checks the stop / pause / step requests and, at most every
``publish_interval`` seconds, posts a :class:`Snapshot` into a one-slot
mailbox. Only when the mailbox was empty does it emit a queued Qt signal, so
however fast training goes, at most one delivery waits in the GUI's event
queue; snapshots that pile up are merged (their loss and path tails are
concatenated). Predictions for the fit and units plots and the error surface
are computed here, in the worker, never on the GUI thread.

While the worker runs, the interpreter's GIL switch interval is lowered
(``GIL_SWITCH_INTERVAL``) so the GUI thread gets the GIL back quickly after
each Qt call that released it; see ``bench/gui_latency.py`` for the numbers
behind this choice.
"""
from __future__ import annotations

import math
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.landscape import grid_around, loss_surface

from .plots.views import compute_views

__all__ = ["Snapshot", "TrainingWorker", "BackgroundJob", "GIL_SWITCH_INTERVAL",
           "compute_surface", "retrack"]

GIL_SWITCH_INTERVAL = 5e-4     # seconds; Python's default is 5e-3
THREAD_NAME = "netcanvas-training"


@dataclass
class Snapshot:
    """What the GUI learns from the worker; increments (``*_new``) continue where the last ended."""
    state: str                         # "running" | "paused" | "finished" | "stopped" | "error"
    updates: int
    epoch: int
    updates_per_epoch: int
    n_train: int
    batch_size: int
    updates_per_s: float
    loss_start: int                    # index of loss_new[0] in the whole per-update history
    loss_new: np.ndarray               # (k,)
    epochs_start: int
    epochs_new: list                   # per-epoch records (dicts)
    path_start: int
    path_new: np.ndarray               # (m, 2) tracked parameter pair, rows in update order
    params: np.ndarray | None = None   # flat parameter copy
    views: dict | None = None          # compute_views(...) payload
    surface: object | None = None      # engine.landscape.Surface
    finished: bool = False
    stop_reason: str | None = None
    message: str = ""
    weights: dict | None = None        # on pause / finish: model.get_weights()
    history: dict | None = None        # on finish: trainer.history()
    track: tuple = ()

    def merged(self, newer: "Snapshot") -> "Snapshot":
        """This (older, not yet taken) snapshot followed by ``newer``."""
        return replace(
            newer,
            loss_start=self.loss_start, loss_new=np.concatenate([self.loss_new, newer.loss_new]),
            epochs_start=self.epochs_start, epochs_new=self.epochs_new + newer.epochs_new,
            path_start=self.path_start if newer.path_start >= self.path_start else newer.path_start,
            path_new=(np.concatenate([self.path_new, newer.path_new])
                      if newer.path_start >= self.path_start else newer.path_new),
            views=newer.views if newer.views is not None else self.views,
            surface=newer.surface if newer.surface is not None else self.surface,
            weights=newer.weights if newer.weights is not None else self.weights,
            history=newer.history if newer.history is not None else self.history)


class _Mailbox:
    """One slot; ``post`` merges into an untaken snapshot and says whether the slot was empty."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._item: Snapshot | None = None

    def post(self, snap: Snapshot) -> bool:
        with self._lock:
            if self._item is None:
                self._item = snap
                return True
            self._item = self._item.merged(snap)
            return False

    def take(self) -> Snapshot | None:
        with self._lock:
            item, self._item = self._item, None
            return item


def retrack(trainer, names) -> None:
    """Record the path of another parameter pair from now on (the path restarts here)."""
    names = list(names)
    if list(trainer.config.track) == names:
        return
    model = trainer.model
    trainer.config.track = names
    trainer._track_idx = [model.flat_index(n) for n in names]   # the trainer's tracking index
    trainer.trajectory.clear()
    trainer.trajectory.append(model.flat_params[trainer._track_idx])


def compute_surface(model, loss, X, y, names, path=None, steps: int = 41, cancel=None):
    """The loss over a grid around the current values of ``names`` covering ``path``."""
    center = (model.get_scalar(names[0]), model.get_scalar(names[1]))
    ranges = grid_around(center, path)
    return loss_surface(model, loss, X, y, tuple(names), ranges, steps=steps, max_rows=1500,
                        cancel=cancel)


class TrainingWorker(QObject):
    """Runs one trainer in a background thread; controlled from the GUI thread.

    ``start(paused)`` launches the thread; ``resume``, ``pause``, ``step(n)``,
    ``step_epoch``, ``request_surface(names)``, ``request_views`` queue requests
    it handles between chunks; ``stop()`` ends and joins the thread. Snapshots
    arrive through :meth:`take` after ``snapshot_posted`` (queued to the GUI).
    """

    snapshot_posted = Signal()

    def __init__(self, trainer, context=None, surface_names=None, publish_interval: float = 0.04,
                 chunk_seconds: float = 0.02, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.trainer = trainer
        self.context = context
        self.publish_interval = publish_interval
        self.chunk_seconds = chunk_seconds
        self._cv = threading.Condition()
        self._running = False
        self._stop = False
        self._steps = 0
        self._epoch = False
        self._pause_note = False
        self._views_req = False
        self._surface_req = tuple(surface_names) if surface_names else None
        self._mailbox = _Mailbox()
        self._thread: threading.Thread | None = None
        self._loss_sent = trainer.update_loss.n
        self._epochs_sent = len(trainer.epochs)
        self._path_sent = 0          # first publish sends the whole path so far
        self._rate = 0.0
        self._per_update = 1e-4
        self._view_cost = 0.0
        self._old_switch = None

    # -- control (GUI thread) --------------------------------------------------
    def start(self, paused: bool = False, steps: int = 0, epoch: bool = False) -> None:
        """Launch the thread: training, or paused (then ``steps`` updates or one ``epoch`` first)."""
        self._running = not paused
        self._steps, self._epoch = steps, epoch
        self._thread = threading.Thread(target=self._main, name=THREAD_NAME, daemon=True)
        self._old_switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._old_switch, GIL_SWITCH_INTERVAL))
        self._thread.start()

    def _request(self, **changes) -> None:
        with self._cv:
            for k, v in changes.items():
                setattr(self, k, v)
            self._cv.notify()

    def resume(self) -> None:
        self._request(_running=True)

    def pause(self) -> None:
        with self._cv:
            if self._running:
                self._running = False
                self._pause_note = True
            self._cv.notify()

    def step(self, count: int = 1) -> None:
        with self._cv:
            self._running = False
            self._steps += count
            self._cv.notify()

    def step_epoch(self) -> None:
        self._request(_running=False, _epoch=True)

    def request_surface(self, names) -> None:
        self._request(_surface_req=tuple(names))

    def request_views(self) -> None:
        self._request(_views_req=True)

    def is_running(self) -> bool:
        """Training continuously (not paused, not ended)."""
        return self._running and self.is_alive()

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> bool:
        """End the thread and wait for it; True when it is gone."""
        self._request(_stop=True, _running=False)
        if self._thread is not None:
            self._thread.join(timeout)
        self._restore_switch()
        return not self.is_alive()

    def take(self) -> Snapshot | None:
        return self._mailbox.take()

    def _restore_switch(self) -> None:
        if self._old_switch is not None:
            sys.setswitchinterval(self._old_switch)
            self._old_switch = None

    # -- the loop (worker thread) ------------------------------------------------
    def _main(self) -> None:
        tr = self.trainer
        try:
            if not (self._steps or self._epoch):     # a first Step publishes its own snapshot
                self._publish("running" if self._running else "paused", views=True)
            last_pub = time.perf_counter()
            last_views = last_pub
            rate_t, rate_u = last_pub, tr.updates
            while True:
                with self._cv:
                    while not (self._stop or self._running or self._steps or self._epoch
                               or self._surface_req or self._views_req or self._pause_note):
                        self._cv.wait()
                    if self._stop:
                        self._publish("stopped", views=True)     # the last updates, for the plots
                        break
                    steps, self._steps = self._steps, 0
                    epoch, self._epoch = self._epoch, False
                    surface, self._surface_req = self._surface_req, None
                    views, self._views_req = self._views_req, False
                    pause_note, self._pause_note = self._pause_note, False
                    running = self._running
                if steps or epoch or pause_note or views:
                    for _ in range(steps):
                        tr.step()
                    if epoch:
                        tr.run_epoch()
                    if not tr.finished:
                        surf = self._surface(tuple(tr.config.track)) if pause_note else None
                        self._publish(self._state(), views=True, surface=surf,
                                      weights=pause_note or bool(steps or epoch))
                if surface:
                    retrack(tr, surface)
                    self._publish(self._state(), surface=self._surface(surface))
                if running and not (steps or epoch or pause_note or views):
                    n = max(1, int(self.chunk_seconds / max(self._per_update, 1e-7)))
                    t0 = time.perf_counter()
                    done = tr.run(max_updates=n, max_seconds=self.chunk_seconds)
                    now = time.perf_counter()
                    if done:
                        self._per_update = 0.8 * self._per_update + 0.2 * (now - t0) / done
                    if now - last_pub >= self.publish_interval and not tr.finished:
                        dt = now - rate_t
                        if dt > 0.25:
                            inst = (tr.updates - rate_u) / dt
                            self._rate = inst if self._rate == 0 else 0.5 * self._rate + 0.5 * inst
                            rate_t, rate_u = now, tr.updates
                        # predictions cost at most ~10 % of the worker's time
                        want_views = now - last_views >= max(0.1, 10 * self._view_cost)
                        self._publish("running", views=want_views)
                        last_pub = now
                        if want_views:
                            last_views = now
                if tr.finished:
                    state = "finished"
                    surf = self._surface(tuple(tr.config.track))
                    self._publish(state, views=True, surface=surf, weights=True, history=True)
                    with self._cv:
                        self._running = False
                    break
        except Exception as exc:     # shown to the user; the GUI stays alive
            line = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self._publish("error", message=f"Training failed: {line}")
            with self._cv:
                self._running = False

    def _state(self) -> str:
        return "finished" if self.trainer.finished else ("running" if self._running else "paused")

    def _cancelled(self) -> bool:
        return self._stop

    def _surface(self, names):
        tr = self.trainer
        if len(names) != 2:
            return None
        return compute_surface(tr.model, tr.loss, tr.X, tr.y, names, tr.trajectory.view(),
                               cancel=self._cancelled)

    def _publish(self, state: str, views: bool = False, surface=None, weights: bool = False,
                 history: bool = False, message: str = "") -> None:
        tr = self.trainer
        payload = None
        if views and self.context is not None:
            t0 = time.perf_counter()
            payload = compute_views(tr.model, self.context)
            self._view_cost = time.perf_counter() - t0
        n_loss, n_ep, n_path = tr.update_loss.n, len(tr.epochs), tr.trajectory.n
        if n_path < self._path_sent:       # the path was restarted (another pair)
            self._path_sent = 0
        snap = Snapshot(
            state=state, updates=tr.updates, epoch=tr.epoch, updates_per_epoch=tr.updates_per_epoch,
            n_train=tr.n_train, batch_size=tr.batch_size, updates_per_s=self._rate,
            loss_start=self._loss_sent, loss_new=tr.update_loss.buf[self._loss_sent:n_loss].copy(),
            epochs_start=self._epochs_sent, epochs_new=[dict(r) for r in tr.epochs[self._epochs_sent:n_ep]],
            path_start=self._path_sent, path_new=tr.trajectory.buf[self._path_sent:n_path].copy(),
            params=tr.model.flat_params.copy(), views=payload, surface=surface,
            finished=tr.finished, stop_reason=tr.stop_reason, message=message or tr.message,
            weights=tr.model.get_weights() if weights else None,
            history=tr.history() if history else None, track=tuple(tr.config.track))
        self._loss_sent, self._epochs_sent, self._path_sent = n_loss, n_ep, n_path
        if self._mailbox.post(snap):
            self.snapshot_posted.emit()


class BackgroundJob(QObject):
    """Runs ``fn(cancelled)`` once in a thread; ``done(result)`` arrives on the GUI thread.

    Used while no training thread exists (after a Reset, when training has
    ended, for "Recompute surface"). ``cancel()`` asks ``fn`` to give up and
    suppresses its result; ``wait()`` joins the thread.
    """

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn, name: str = "netcanvas-job", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._cancel = False
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self) -> "BackgroundJob":
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancel = True

    def cancelled(self) -> bool:
        return self._cancel

    def wait(self, timeout: float = 10.0) -> bool:
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _main(self) -> None:
        try:
            with np.errstate(all="ignore"):
                result = self._fn(self.cancelled)
        except Exception as exc:
            if not self._cancel:
                self.failed.emit(traceback.format_exception_only(type(exc), exc)[-1].strip())
            return
        if not self._cancel and result is not None:
            self.done.emit(result)


def finite(x: float) -> bool:
    return x is not None and math.isfinite(x)
