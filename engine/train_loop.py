"""The training loop that runs off the GUI thread — plain Python, no Qt.

:class:`TrainLoop` drives an engine :class:`~engine.trainer.Trainer` in
~20 ms chunks, handles requests (pause, step, step an epoch, resume, stop,
recompute the error surface) between chunks and posts a :class:`Snapshot`
at most every ``publish_interval`` seconds through a ``post`` callback.
Predictions for the fit and units plots and the error surface are computed
here, never on the GUI thread.

A speed limit (``max_rate`` updates per second, ``set_speed``; None = as fast
as possible) lets a person watch the loss fall: the loop trains a few updates
at a time and waits on its request condition in between, so Pause, Step and
Stop still take effect at once.

It runs either in a thread of the GUI process or — the default, see
``bench/gui_latency.py`` — in a worker process (:func:`child_main`), so the
training loop never competes with the GUI thread for the GIL. Between
processes the trainer's whole state travels with ``Trainer.state_dict()`` /
``load_state_dict()``, so Stop followed by Train continues the same run.
"""
from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np

from engine.landscape import auto_ranges, flew_out, runaway_ranges, surface_with_minimum

from engine.views import compute_views

SURFACE_REFRESH = 2.0     # seconds between error-surface refreshes while training runs
SURFACE_OUTSIDE = 0.25    # ... or this soon once the path has left the surface's grid

__all__ = ["Snapshot", "Mailbox", "TrainLoop", "retrack", "compute_surface", "surface_plan", "runaway_surface",
           "surface_inputs",
           "child_main"]


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
    weights: dict | None = None        # on pause / step / finish: model.get_weights()
    history: dict | None = None        # on finish: trainer.history()
    track: tuple = ()
    diverged_at: int | None = None
    trainer_state: dict | None = None  # when the worker ends (process mode): trainer.state_dict()

    def apply_to(self, trainer) -> None:
        """Bring ``trainer`` (the window's mirror of the worker's) in step with this snapshot:
        the whole state when the worker ended, else the parameters, counters and history."""
        if self.trainer_state is not None:
            trainer.load_state_dict(self.trainer_state)
            return
        trainer.follow(params=self.params, updates=self.updates, epoch=self.epoch,
                       loss_start=self.loss_start, loss_new=self.loss_new, epochs_start=self.epochs_start,
                       epochs_new=self.epochs_new, path_start=self.path_start, path_new=self.path_new,
                       track=self.track, finished=self.finished, stop_reason=self.stop_reason,
                       message=self.message, diverged_at=self.diverged_at)

    def merged(self, newer: "Snapshot") -> "Snapshot":
        """This (older, not yet taken) snapshot followed by ``newer``."""
        if newer.state == "error" and newer.params is None and not len(newer.loss_new):
            # an error said by the window's side (a lost worker): its counters are the mirror's,
            # older than this snapshot's, so this snapshot's progress stands, ending in the error
            return replace(self, state="error", message=newer.message)
        restarted = newer.path_start < self.path_start + len(self.path_new) and newer.path_start == 0
        return replace(
            newer,
            loss_start=self.loss_start, loss_new=np.concatenate([self.loss_new, newer.loss_new]),
            epochs_start=self.epochs_start, epochs_new=self.epochs_new + newer.epochs_new,
            path_start=newer.path_start if restarted else self.path_start,
            path_new=newer.path_new if restarted else np.concatenate([self.path_new, newer.path_new]),
            views=newer.views if newer.views is not None else self.views,
            surface=newer.surface if newer.surface is not None else self.surface,
            weights=newer.weights if newer.weights is not None else self.weights,
            history=newer.history if newer.history is not None else self.history,
            trainer_state=newer.trainer_state if newer.trainer_state is not None else self.trainer_state)


class Mailbox:
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


def _speed_limit(max_rate) -> float | None:
    """A speed limit in updates per second; None (or 0, or nonsense) means as fast as possible."""
    try:
        r = float(max_rate) if max_rate is not None else 0.0
    except (TypeError, ValueError):
        return None
    return r if r > 0 and r == r and r != float("inf") else None


# -- trainer helpers ------------------------------------------------------------------
def retrack(trainer, names) -> None:
    """Record the path of another parameter pair from now on (the path restarts here)."""
    if list(trainer.config.track) != list(names):
        trainer.set_track(list(names))


SURFACE_MACS = 4e9       # multiply-adds one error surface may cost (about a second of NumPy)
SURFACE_MAX_ROWS = 1500


def surface_plan(n_params: int, n_rows: int) -> tuple[int, int]:
    """(grid steps per axis, example rows) for an error surface of a network with ``n_params``
    parameters (≈ multiply-adds per example): 41 × 41 on up to 1,500 rows for the lecture's
    networks; a coarser grid on fewer rows as the network grows, so one surface costs at most
    about :data:`SURFACE_MACS` (a 1,000,000-parameter network took 87 s, example 4 ~10 s)."""
    per_row = max(int(n_params), 1)
    for steps in (41, 31, 21):
        rows = int(SURFACE_MACS // (steps * steps * per_row))
        if rows >= 200:
            break
    return steps, max(16, min(SURFACE_MAX_ROWS, int(n_rows), rows))


def compute_surface(model, loss, X, y, names, path=None, steps: int | None = None, cancel=None):
    """The loss over a grid around the current values of ``names`` covering ``path`` and
    wide enough that the loss visibly rises towards the edges (``auto_ranges``); its size
    from :func:`surface_plan` unless ``steps`` is given."""
    planned, rows = surface_plan(len(model.flat_params), len(X))
    ranges = auto_ranges(model, loss, X, y, tuple(names), path, max_rows=rows)
    return surface_with_minimum(model, loss, X, y, tuple(names), ranges, steps=steps or planned, max_rows=rows,
                                cancel=cancel)


def runaway_surface(tr, names, cancel=None):
    """For a run that flew out of its valley (``flew_out``): the surface around where the run
    started, every other parameter as it was then, with the path's first steps inside it;
    None for a run that did not."""
    losses = tr.update_loss.view()[tr.run_start_update:]
    if tr.trajectory.n <= tr.run_start_row + 1 or not flew_out(losses, tr.stop_reason == "diverged"):
        return None
    P = tr.model.flat_params
    now = P.copy()
    np.copyto(P, tr.run_start)
    steps, rows = surface_plan(len(P), len(tr.X))
    try:
        path = tr.trajectory.view()[tr.run_start_row:]
        ranges, inside = runaway_ranges(tr.model, tr.loss, tr.X, tr.y, tuple(names), path, max_rows=rows)
        surface = surface_with_minimum(tr.model, tr.loss, tr.X, tr.y, tuple(names), ranges, steps=steps,
                                       max_rows=rows, cancel=cancel)
    finally:
        np.copyto(P, now)
    if surface is not None:
        surface.updates = tr.run_start_update
        what = (f"diverged at update {tr.diverged_at:,}" if tr.stop_reason == "diverged"
                else "the loss is running away")
        steps = "its first step" if inside == 1 else f"its first {inside} steps"
        surface.runaway = (f"{what}: η = {tr.config.lr:g} is too large, every step overshoots the valley "
                           f"({steps} shown, then the path runs off this window)")
    return surface


class _Still:
    """A copied history with the two things the surface reads of a growable one: ``n``, ``view()``."""

    def __init__(self, values: np.ndarray) -> None:
        self._values = values
        self.n = len(values)

    def view(self) -> np.ndarray:
        return self._values


def surface_inputs(tr) -> SimpleNamespace:
    """What :func:`runaway_surface` and :func:`compute_surface` read of a trainer, copied, so a
    job in another thread can draw a surface while the trainer is used (and changed) meanwhile."""
    m = tr.model.copy()
    return SimpleNamespace(model=m, loss=tr.loss, X=tr.X, y=tr.y, config=tr.config, updates=tr.updates,
                           update_loss=_Still(tr.update_loss.view().copy()),
                           trajectory=_Still(tr.trajectory.view().copy()),
                           run_start=tr.run_start.copy(), run_start_row=tr.run_start_row,
                           run_start_update=tr.run_start_update, stop_reason=tr.stop_reason,
                           diverged_at=tr.diverged_at)


# -- the loop ------------------------------------------------------------------------------
class TrainLoop:
    """Runs one trainer; the request methods may be called from any thread."""

    def __init__(self, trainer, context=None, post=None, surface_names=None, publish_interval: float = 0.04,
                 chunk_seconds: float = 0.02, send_state: bool = False, max_rate: float | None = None) -> None:
        self.trainer = trainer
        self.context = context
        self.post = post or (lambda snap: None)
        self.publish_interval = publish_interval
        self.chunk_seconds = chunk_seconds
        self.send_state = send_state
        self._cv = threading.Condition()
        self._running = False
        self._stop = False
        self._steps = 0
        self._epoch = False
        self._pause_note = False
        self._views_req = False
        self._surface_req = tuple(surface_names) if surface_names else None
        self._loss_sent = trainer.update_loss.n
        self._epochs_sent = len(trainer.epochs)
        self._path_sent = 0          # the first snapshot carries the whole path so far
        self._rate = 0.0
        self._per_update = 1e-4
        self._view_cost = 0.0
        self._surface_at = time.perf_counter()
        self._surface_cost = 0.0
        self._surface_box = None     # (a0, a1, b0, b1) of the last surface sent
        self._max_rate = _speed_limit(max_rate)
        self._pace_reset = False

    # -- requests ---------------------------------------------------------------------
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

    def stop(self) -> None:
        self._request(_stop=True, _running=False)

    def set_speed(self, max_rate: float | None) -> None:
        """At most ``max_rate`` updates per second from now on (None or 0: as fast as possible)."""
        self._request(_max_rate=_speed_limit(max_rate), _pace_reset=True)

    def _wake(self) -> bool:
        """Something to do other than the next chunk (call with ``_cv`` held)."""
        return bool(self._stop or not self._running or self._steps or self._epoch or self._surface_req
                    or self._views_req or self._pause_note or self._pace_reset)

    @property
    def running(self) -> bool:
        return self._running

    # -- the loop -----------------------------------------------------------------------
    def run(self, paused: bool = False, steps: int = 0, epoch: bool = False) -> None:
        """Train until stopped or finished (blocks; call it in the worker thread or process)."""
        tr = self.trainer
        self._running, self._steps, self._epoch = not paused, steps, epoch
        try:
            if not (steps or epoch):      # a first Step publishes its own snapshot
                self._publish("running" if self._running else "paused", views=True)
            last_pub = last_views = rate_t = time.perf_counter()
            rate_u = tr.updates
            pace_t, pace_u = None, 0      # the speed limit counts updates since (time, updates)
            while True:
                with self._cv:
                    while not (self._stop or self._running or self._steps or self._epoch
                               or self._surface_req or self._views_req or self._pause_note):
                        self._cv.wait()
                    if self._stop:
                        break
                    steps, self._steps = self._steps, 0
                    epoch, self._epoch = self._epoch, False
                    surface, self._surface_req = self._surface_req, None
                    views, self._views_req = self._views_req, False
                    pause_note, self._pause_note = self._pause_note, False
                    running = self._running
                    max_rate = self._max_rate
                    if self._pace_reset or not running:
                        self._pace_reset, pace_t = False, None
                if steps or epoch or pause_note or views:
                    for _ in range(steps):
                        tr.step()
                    if epoch:
                        tr.run_epoch()
                    if not tr.finished:
                        # paused: a Step moves every parameter, so "loss here" is drawn anew
                        fresh = pause_note or (not running and (steps or epoch))
                        surf = self._surface(tuple(tr.config.track)) if fresh else None
                        self._publish(self._state(), views=True, surface=surf,
                                      weights=pause_note or bool(steps or epoch))
                if surface:
                    retrack(tr, surface)
                    self._publish(self._state(), surface=self._surface(surface))
                if running and not (steps or epoch or pause_note or views):
                    n = max(1, int(self.chunk_seconds / max(self._per_update, 1e-7)))
                    need = 1
                    if max_rate:
                        now = time.perf_counter()
                        # a few updates at a time (one chunk_seconds' worth, at least one)
                        need = max(1, int(max_rate * self.chunk_seconds))
                        if pace_t is None:
                            pace_t, pace_u = now - need / max_rate, tr.updates
                        allowed = int((now - pace_t) * max_rate) - (tr.updates - pace_u)
                        if allowed > 2 * need:        # fell behind (a surface, a slow chunk): no burst
                            pace_t, pace_u, allowed = now - need / max_rate, tr.updates, need
                        if allowed < need:
                            # wait for the next chunk's turn on the request condition: a pause,
                            # step or stop request wakes it at once
                            with self._cv:
                                if not self._wake():
                                    self._cv.wait((need - allowed) / max_rate)
                            continue
                        n = min(n, allowed)
                    t0 = time.perf_counter()
                    done = tr.run(max_updates=n, max_seconds=self.chunk_seconds)
                    now = time.perf_counter()
                    if done:
                        self._per_update = 0.8 * self._per_update + 0.2 * (now - t0) / done
                    # at a slow speed every chunk is news: the loop is about to wait for its next turn
                    slow = bool(max_rate) and need / max_rate >= self.publish_interval
                    if (slow or now - last_pub >= self.publish_interval) and not tr.finished:
                        if now - rate_t > 0.25:
                            inst = (tr.updates - rate_u) / (now - rate_t)
                            self._rate = inst if self._rate == 0 else 0.5 * self._rate + 0.5 * inst
                            rate_t, rate_u = now, tr.updates
                        # predictions cost at most ~5 % of the worker's time
                        want_views = now - last_views >= max(0.1, 20 * self._view_cost)
                        # the surface goes stale as the other parameters move: refresh it now and
                        # then (at most ~5 % of the worker's time)
                        surf = None
                        every = SURFACE_OUTSIDE if self._path_left_surface() else SURFACE_REFRESH
                        if now - self._surface_at >= max(every, 20 * self._surface_cost):
                            surf = self._surface(tuple(tr.config.track))
                        self._publish("running", views=want_views, surface=surf)
                        last_pub = now
                        if want_views:
                            last_views = now
                if tr.finished:
                    # no surface here: the run's end is not delayed by it (the window draws the
                    # final surface off its GUI thread once the run is over)
                    self._publish("finished", views=True, weights=True, history=True, final=True)
                    return
            self._publish("stopped", views=True, weights=True, final=True)
        except Exception as exc:     # shown to the user; the GUI stays alive
            line = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self._publish("error", message=f"Training failed: {line}", final=True)
        finally:
            with self._cv:
                self._running = False

    def _state(self) -> str:
        return "finished" if self.trainer.finished else ("running" if self._running else "paused")

    def _path_left_surface(self) -> bool:
        box, tr = self._surface_box, self.trainer
        if box is None or tr.trajectory.n == 0:
            return False
        a, b = tr.trajectory.buf[tr.trajectory.n - 1]
        return not (box[0] <= a <= box[1] and box[2] <= b <= box[3])

    def _cancelled(self) -> bool:
        return self._stop

    def _surface(self, names):
        tr = self.trainer
        if len(names) != 2:
            return None
        t0 = time.perf_counter()
        surface = runaway_surface(tr, names, cancel=self._cancelled)
        if surface is None:
            surface = compute_surface(tr.model, tr.loss, tr.X, tr.y, names, tr.trajectory.view(),
                                      cancel=self._cancelled)
            if surface is not None:
                surface.updates = tr.updates      # "as of update N", shown by the plot
        self._surface_at = time.perf_counter()
        self._surface_cost = self._surface_at - t0
        if surface is not None:
            self._surface_box = (surface.a[0], surface.a[-1], surface.b[0], surface.b[-1])
        return surface

    def _publish(self, state: str, views: bool = False, surface=None, weights: bool = False,
                 history: bool = False, message: str = "", final: bool = False) -> None:
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
            history=tr.history() if history else None, track=tuple(tr.config.track),
            diverged_at=tr.diverged_at,
            trainer_state=tr.state_dict() if final and self.send_state else None)
        self._loss_sent, self._epochs_sent, self._path_sent = n_loss, n_ep, n_path
        self.post(snap)


# -- the worker process ---------------------------------------------------------------------
def recipe(trainer, context, surface_names, paused: bool, steps: int, epoch: bool,
           publish_interval: float, chunk_seconds: float, max_rate: float | None = None) -> dict:
    """What a worker process needs to rebuild ``trainer`` exactly (picklable, no Qt)."""
    return {
        "graph": trainer.model.graph.to_dict(),
        "data": {"X_train": trainer.X, "y_train": trainer.y, "X_val": trainer.Xv, "y_val": trainer.yv,
                 "task": trainer.task, "y_std": trainer.y_std},
        "config": trainer.config.to_dict(), "state": trainer.state_dict(), "context": context,
        "surface": tuple(surface_names or ()), "paused": paused, "steps": steps, "epoch": epoch,
        "publish_interval": publish_interval, "chunk_seconds": chunk_seconds, "max_rate": max_rate,
    }


def child_main(conn, job: dict | None = None) -> None:
    """Entry point of the worker process: train, send snapshots, obey commands, send None at the end."""
    from engine.graph import Graph
    from engine.trainer import ArrayData, TrainConfig, Trainer
    if job is None:
        try:
            job = conn.recv()
        except (EOFError, OSError):       # a warm spare that was never used: the window closed
            return
    loop = None

    def send(snap) -> None:
        try:
            conn.send(snap)
        except (OSError, EOFError):       # the GUI is gone (it crashed or was killed): end quietly
            if loop is not None:
                loop.stop()

    try:
        tr = Trainer(Graph.from_dict(job["graph"]), ArrayData(**job["data"]), TrainConfig.from_dict(job["config"]))
        tr.load_state_dict(job["state"])
        loop = TrainLoop(tr, job["context"], send, job["surface"], job["publish_interval"],
                         job["chunk_seconds"], send_state=True, max_rate=job.get("max_rate"))
    except Exception as exc:
        line = traceback.format_exception_only(type(exc), exc)[-1].strip()
        conn.send(("error", f"Training could not start: {line}"))
        conn.send(None)
        return

    def commands() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                loop.stop()
                return
            if msg is None:
                return
            name, args = msg
            getattr(loop, name)(*args)

    threading.Thread(target=commands, name="commands", daemon=True).start()
    loop.run(job["paused"], job["steps"], job["epoch"])
    try:
        conn.send(None)
    except (OSError, EOFError):
        pass



if __name__ == "__main__":          # python -m engine.train_loop <socket fd>  (started by gui.training.workers)
    import sys
    from multiprocessing.connection import Connection

    from engine.train_loop import child_main as _child_main   # the importable module, so pickles name it
    _conn = Connection(int(sys.argv[1]))
    try:
        _child_main(_conn)
    finally:
        _conn.close()
