"""One training session: the worker (a process by default, or a thread) and the
mirror trainer it keeps in step, behind one small interface.

The controller starts a session for a trainer, sends it requests (pause,
resume, step, speed, surface) and receives each snapshot through
``snapshot_taken`` after the mirror has applied it; :meth:`stop` ends the worker
and hands back what it posted last. Nothing here decides *what* to train —
that is :func:`gui.training.state.plan_start` and the controller.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from engine.train_loop import Snapshot
from gui.training import workers

__all__ = ["TrainingSession"]


class TrainingSession(QObject):
    """The worker of the current run (at most one) and its mirror trainer."""

    snapshot_taken = Signal(object)        # engine.train_loop.Snapshot, the mirror already in step

    PREWARM_DELAY_MS = 400       # after start-up or a run: not while the window or a run starts

    def __init__(self, parent: QObject | None = None, kind: str | None = None) -> None:
        super().__init__(parent)
        self.kind = kind or workers.WORKER_KIND
        self.worker = None
        self._prewarm_timer = QTimer(self)
        self._prewarm_timer.setSingleShot(True)
        self._prewarm_timer.setInterval(self.PREWARM_DELAY_MS)
        self._prewarm_timer.timeout.connect(self._prewarm)
        self._prewarm_timer.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(workers.discard_spare)

    def _prewarm(self) -> None:
        """A worker process waits for the next run (process workers only, never during a run)."""
        if self.kind == "process" and self.worker is None:
            workers.prewarm()

    # -- queries -----------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """A worker exists (running, paused, or ended but not yet collected)."""
        return self.worker is not None

    def alive(self) -> bool:
        return self.worker is not None and self.worker.is_alive()

    @property
    def trainer(self):
        """The mirror trainer (None without a worker)."""
        return self.worker.trainer if self.worker is not None else None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, trainer, context, *, surface_names=(), max_rate: float | None = None,
              paused: bool = False, steps: int = 0, epoch: bool = False) -> None:
        """A worker for ``trainer`` (which becomes the mirror); any previous one is stopped first."""
        self.stop()
        self.worker = workers.make_worker(self.kind, trainer, context, surface_names=tuple(surface_names),
                                          parent=self, max_rate=max_rate)
        self.worker.snapshot_posted.connect(self._on_posted)
        self.worker.start(paused=paused, steps=steps, epoch=epoch)
        self._prewarm_timer.stop()

    def stop(self) -> Snapshot | None:
        """End the worker (if any); returns the snapshot it posted last and nobody took yet."""
        w = self.worker
        if w is None:
            return None
        self.worker = None
        w.stop()
        try:
            w.snapshot_posted.disconnect(self._on_posted)
        except (RuntimeError, TypeError):
            pass
        self._prewarm_timer.start()
        return w.take()

    def take(self) -> Snapshot | None:
        return self.worker.take() if self.worker is not None else None

    def _on_posted(self) -> None:
        snap = self.take()
        if snap is not None:
            self.snapshot_taken.emit(snap)

    # -- requests (no-ops without a live worker) ---------------------------------------------
    def _ask(self, name: str, *args) -> None:
        if self.worker is not None:
            getattr(self.worker, name)(*args)

    def resume(self) -> None:
        self._ask("resume")

    def pause(self) -> None:
        self._ask("pause")

    def step(self, count: int = 1) -> None:
        self._ask("step", count)

    def step_epoch(self) -> None:
        self._ask("step_epoch")

    def request_surface(self, pair) -> None:
        self._ask("request_surface", tuple(pair))

    def set_speed(self, max_rate: float | None) -> None:
        if self.alive():
            self.worker.set_speed(max_rate)
