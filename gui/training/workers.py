"""Background work off the GUI thread: the training worker and one-shot jobs.

The training loop itself (:class:`engine.train_loop.TrainLoop`, no Qt) runs in a
**worker process** by default (:class:`ProcessTrainingWorker`), or in a thread
of this process (:class:`TrainingWorker`). ``bench/gui_latency.py`` decided
it: with four live pyqtgraph plots, painting makes hundreds of
Python↔C++ transitions per frame, and each one waits for the GIL while a
training thread holds it — the GUI thread stalled for 0.5–1.8 s and training
kept only 27–50 % of its headless speed whatever the GIL switch interval. A
process shares no GIL: see the numbers in the benchmark's output.

Either worker posts :class:`~engine.train_loop.Snapshot` objects into a one-slot
mailbox and emits a queued ``snapshot_posted`` only when the slot was empty,
so at most one delivery waits in the GUI's event queue however fast training
goes; snapshots that pile up are merged. The GUI keeps a *mirror* trainer
(``worker.trainer``) that :meth:`take` keeps in step (parameters and
counters each snapshot, the whole state when the worker ends), so the
controller can read weights, history and the path after Stop and continue the
same run later.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import weakref
from multiprocessing.connection import Connection

import numpy as np
from PySide6.QtCore import QObject, Signal

from gui.common.gui_call import call_in_gui, ensure_gui_caller
from engine.train_loop import Mailbox, Snapshot, TrainLoop, compute_surface, recipe, retrack

__all__ = ["Snapshot", "TrainingWorker", "ProcessTrainingWorker", "make_worker",
           "compute_surface", "retrack", "THREAD_NAME", "WORKER_KIND", "live_worker_processes"]

THREAD_NAME = "netcanvas-training"
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LIVE: "weakref.WeakSet[subprocess.Popen]" = weakref.WeakSet()


def live_worker_processes() -> list:
    """Worker processes that have not exited (tests check that none is left)."""
    return [p for p in list(_LIVE) if p.poll() is None]
WORKER_KIND = "process"          # "process" | "thread"
GIL_SWITCH_INTERVAL = None       # thread mode only: e.g. 5e-4 to lower Python's 5 ms default


class _WorkerBase(QObject):
    snapshot_posted = Signal()

    def __init__(self, trainer, context=None, surface_names=None, publish_interval: float = 0.04,
                 chunk_seconds: float = 0.02, parent: QObject | None = None,
                 max_rate: float | None = None) -> None:
        super().__init__(parent)
        self.trainer = trainer            # the GUI's copy; never touched by the worker in process mode
        self.context = context
        self.surface_names = tuple(surface_names or ())
        self.publish_interval = publish_interval
        self.chunk_seconds = chunk_seconds
        self.max_rate = max_rate          # updates per second; None = as fast as possible
        self._mailbox = Mailbox()
        ensure_gui_caller()

    def _post(self, snap: Snapshot) -> None:
        """Worker thread: leave ``snap`` in the mailbox; wake the GUI only if the slot was empty."""
        if self._mailbox.post(snap):
            call_in_gui(self._wake, owner=self)

    def _wake(self) -> None:
        self.snapshot_posted.emit()

    def take(self) -> Snapshot | None:
        return self._mailbox.take()


class TrainingWorker(_WorkerBase):
    """The loop in a thread of this process (shares the trainer object)."""

    def start(self, paused: bool = False, steps: int = 0, epoch: bool = False) -> None:
        self.loop = TrainLoop(self.trainer, self.context, self._post, self.surface_names,
                              self.publish_interval, self.chunk_seconds, max_rate=self.max_rate)
        self._old_switch = sys.getswitchinterval()
        if GIL_SWITCH_INTERVAL:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        self._thread = threading.Thread(target=self.loop.run, args=(paused, steps, epoch),
                                        name=THREAD_NAME, daemon=True)
        self._thread.start()

    def resume(self) -> None:
        self.loop.resume()

    def pause(self) -> None:
        self.loop.pause()

    def step(self, count: int = 1) -> None:
        self.loop.step(count)

    def step_epoch(self) -> None:
        self.loop.step_epoch()

    def request_surface(self, names) -> None:
        self.loop.request_surface(names)

    def request_views(self) -> None:
        self.loop.request_views()

    def set_speed(self, max_rate: float | None) -> None:
        self.max_rate = max_rate
        self.loop.set_speed(max_rate)

    def is_alive(self) -> bool:
        return getattr(self, "_thread", None) is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> bool:
        if getattr(self, "_thread", None) is None:
            return True
        self.loop.stop()
        self._thread.join(timeout)
        sys.setswitchinterval(self._old_switch)
        return not self._thread.is_alive()


class ProcessTrainingWorker(_WorkerBase):
    """The loop in a worker process; commands go down a pipe, snapshots come back up it."""

    def start(self, paused: bool = False, steps: int = 0, epoch: bool = False) -> None:
        parent_sock, child_sock = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"        # tiny matrices: spinning BLAS threads would only steal the GUI's core
        # a fresh interpreter that imports only NumPy and the engine (never the caller's __main__ or Qt)
        self._process = subprocess.Popen([sys.executable, "-m", "engine.train_loop", str(child_sock.fileno())],
                                         pass_fds=[child_sock.fileno()], env=env, cwd=_ROOT,
                                         stdin=subprocess.DEVNULL)
        _LIVE.add(self._process)
        child_sock.close()
        self._sock = parent_sock
        self._conn = Connection(os.dup(parent_sock.fileno()))
        parent_sock.close()
        self._send_lock = threading.Lock()
        job = recipe(self.trainer, self.context, self.surface_names, paused, steps, epoch,
                     self.publish_interval, self.chunk_seconds, self.max_rate)
        self._conn.send(job)
        self._reader = threading.Thread(target=self._read, name=THREAD_NAME, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """Reader thread: snapshots from the pipe into the mailbox (blocks in the OS, not on the GIL)."""
        while True:
            try:
                msg = self._conn.recv()
            except (EOFError, OSError):
                return
            except Exception as exc:           # an unreadable message: say so rather than hang
                msg = ("error", f"Lost the training worker: {exc}")
                self._conn_broken = True
            if msg is None:
                return
            if isinstance(msg, tuple):            # ("error", text) before the loop existed
                tr = self.trainer
                msg = Snapshot("error", tr.updates, tr.epoch, tr.updates_per_epoch, tr.n_train, tr.batch_size,
                               0.0, tr.update_loss.n, np.zeros(0), len(tr.epochs), [], tr.trajectory.n,
                               np.zeros((0, 2)), message=msg[1])
            self._post(msg)
            if getattr(self, "_conn_broken", False):
                return

    def _send(self, name: str, *args) -> None:
        try:
            with self._send_lock:
                self._conn.send((name, args))
        except (OSError, EOFError, AttributeError):
            pass

    def resume(self) -> None:
        self._send("resume")

    def pause(self) -> None:
        self._send("pause")

    def step(self, count: int = 1) -> None:
        self._send("step", count)

    def step_epoch(self) -> None:
        self._send("step_epoch")

    def request_surface(self, names) -> None:
        self._send("request_surface", tuple(names))

    def request_views(self) -> None:
        self._send("request_views")

    def set_speed(self, max_rate: float | None) -> None:
        self.max_rate = max_rate
        self._send("set_speed", max_rate)

    def is_alive(self) -> bool:
        p = getattr(self, "_process", None)
        return p is not None and (p.poll() is None or self._reader.is_alive())

    def stop(self, timeout: float = 10.0) -> bool:
        p = getattr(self, "_process", None)
        if p is None:
            return True
        self._send("stop")
        self._reader.join(timeout)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:    # it did not answer: end it (the mirror keeps the last state)
            p.kill()
            p.wait(2.0)
        try:
            self._conn.close()
        except OSError:
            pass
        self._reader.join(1.0)
        _LIVE.discard(p)
        return not self.is_alive()

    def take(self) -> Snapshot | None:
        snap = self._mailbox.take()
        if snap is not None:
            self._sync(snap)
        return snap

    def _sync(self, snap: Snapshot) -> None:
        """Keep the GUI's mirror trainer in step with the worker's."""
        snap.apply_to(self.trainer)


def make_worker(kind: str | None = None, *args, **kwargs) -> _WorkerBase:
    return (ProcessTrainingWorker if (kind or WORKER_KIND) == "process" else TrainingWorker)(*args, **kwargs)
