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

import atexit
import os
import queue
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

__all__ = ["Snapshot", "TrainingWorker", "ProcessTrainingWorker", "make_worker", "prewarm", "discard_spare",
           "spare_process",
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


def _spawn() -> tuple[subprocess.Popen, socket.socket]:
    """A worker process that has imported NumPy and the engine and waits for its job."""
    parent_sock, child_sock = socket.socketpair()
    env = dict(os.environ)
    env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"        # tiny matrices: spinning BLAS threads would only steal the GUI's core
    # a fresh interpreter that imports only NumPy and the engine (never the caller's __main__ or Qt)
    proc = subprocess.Popen([sys.executable, "-m", "engine.train_loop", str(child_sock.fileno())],
                            pass_fds=[child_sock.fileno()], env=env, cwd=_ROOT, stdin=subprocess.DEVNULL)
    child_sock.close()
    return proc, parent_sock


_SPARE: list = []          # at most one (process, socket): a warm worker waiting for the next run


def prewarm() -> None:
    """Start a worker process now, so that the next run does not wait for Python, NumPy and
    the engine to start (~0.2–0.5 s). At most one waits; it is not a live worker until taken."""
    if _SPARE and _SPARE[0][0].poll() is None:
        return
    discard_spare()
    _SPARE.append(_spawn())


def spare_process() -> subprocess.Popen | None:
    """The waiting worker process, if any (tests)."""
    return _SPARE[0][0] if _SPARE else None


def discard_spare() -> None:
    """End the waiting worker (its socket closes: it exits without a job)."""
    while _SPARE:
        proc, sock = _SPARE.pop()
        try:
            sock.close()
        except OSError:
            pass
        _reap(proc, None, wait=1.0)


def _take_spare() -> tuple[subprocess.Popen, socket.socket]:
    if _SPARE:
        proc, sock = _SPARE.pop()
        if proc.poll() is None:
            return proc, sock
        sock.close()
    return _spawn()


def _reap(proc: subprocess.Popen, conn, wait: float = 10.0) -> None:
    """Wait for a worker process to exit (killing it when it does not) and close its pipe."""
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:      # stopped (SIGSTOP) or stuck: end it
        proc.kill()
        try:
            proc.wait(2.0)
        except subprocess.TimeoutExpired:
            pass
    if conn is not None:
        try:
            conn.close()
        except OSError:
            pass
    _LIVE.discard(proc)


_REAP_QUEUE: "queue.Queue" = queue.Queue()
_REAPER: list = []


def _reaper_main() -> None:
    while True:
        proc, conn, wait = _REAP_QUEUE.get()
        _reap(proc, conn, wait)


def _reap_later(proc: subprocess.Popen, conn, wait: float) -> None:
    """Reap in the one reaper thread (started once: starting a thread per Stop made the GUI
    thread wait until it ran)."""
    if not _REAPER or not _REAPER[0].is_alive():
        _REAPER[:] = [threading.Thread(target=_reaper_main, name="netcanvas-reaper", daemon=True)]
        _REAPER[0].start()
    _REAP_QUEUE.put((proc, conn, wait))


atexit.register(discard_spare)


class ProcessTrainingWorker(_WorkerBase):
    """The loop in a worker process; commands go down a pipe, snapshots come back up it.

    The process is the warm spare when there is one (:func:`prewarm`). The job (the data,
    the trainer's state) is pickled and sent by the reader thread, not the GUI thread;
    commands wait for it (the send lock is held until the job is out). When the process
    ends without its final message (killed, crashed), an error snapshot says so. Stop does
    not wait for the interpreter to exit: a reaper thread does, and kills a process that
    does not end."""

    def start(self, paused: bool = False, steps: int = 0, epoch: bool = False) -> None:
        proc, sock = _take_spare()
        self._process = proc
        _LIVE.add(proc)
        self._conn = Connection(os.dup(sock.fileno()))
        sock.close()
        self._send_lock = threading.Lock()
        self._send_lock.acquire()             # released by the reader once the job is sent
        self._stopping = False
        self._ended = False
        job = recipe(self.trainer, self.context, self.surface_names, paused, steps, epoch,
                     self.publish_interval, self.chunk_seconds, self.max_rate)
        self._reader = threading.Thread(target=self._read, args=(job,), name=THREAD_NAME, daemon=True)
        self._reader.start()

    def _error_snapshot(self, text: str) -> Snapshot:
        tr = self.trainer
        return Snapshot("error", tr.updates, tr.epoch, tr.updates_per_epoch, tr.n_train, tr.batch_size,
                        0.0, tr.update_loss.n, np.zeros(0), len(tr.epochs), [], tr.trajectory.n,
                        np.zeros((0, 2)), message=text)

    def _read(self, job: dict) -> None:
        """Reader thread: send the job, then snapshots from the pipe into the mailbox (blocks in
        the OS, not on the GIL)."""
        try:
            self._conn.send(job)
        except (OSError, EOFError, ValueError) as exc:
            self._send_lock.release()
            self._post(self._error_snapshot(f"The training worker could not start: {exc}"))
            return
        self._send_lock.release()
        del job
        while True:
            try:
                msg = self._conn.recv()
            except (EOFError, OSError):
                if not (self._ended or self._stopping):      # killed or crashed: say so
                    try:
                        code = self._process.wait(1.0)     # the reader's thread, not the GUI's
                    except subprocess.TimeoutExpired:
                        code = None
                    how = (f"was killed (signal {-code})" if code is not None and code < 0
                           else f"exited (status {code})" if code is not None else "stopped answering")
                    self._post(self._error_snapshot(
                        f"The training worker {how}. The weights and history as of its last update are "
                        "kept; Train starts it again."))
                return
            except Exception as exc:           # an unreadable message: say so rather than hang
                self._post(self._error_snapshot(f"Lost the training worker: {exc}"))
                return
            if msg is None:
                self._ended = True
                return
            if isinstance(msg, tuple):            # ("error", text) before the loop existed
                msg = self._error_snapshot(msg[1])
            elif msg.state in ("finished", "stopped", "error"):
                self._ended = True
            self._post(msg)

    def _send(self, name: str, *args) -> None:
        try:
            with self._send_lock:
                self._conn.send((name, args))
        except (OSError, EOFError, AttributeError, ValueError):
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
        return p is not None and not self._ended and (p.poll() is None or self._reader.is_alive())

    def stop(self, timeout: float = 1.0) -> bool:
        """Ask the loop to stop and wait up to ``timeout`` for its last snapshot (the loop
        answers between two chunks of ~20 ms); the process itself is reaped in the background."""
        p = getattr(self, "_process", None)
        if p is None:
            return True
        self._stopping = True
        if not self._ended:
            self._send("stop")
            self._reader.join(timeout)
        # a process that did not answer (stopped with SIGSTOP, stuck) is killed at once
        wait = 0.2 if self._reader.is_alive() else 10.0
        _reap_later(p, self._conn, wait)
        return True

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
