"""One-shot background jobs: a function run once in a thread, its result delivered on
the GUI thread (idle views and surfaces, the data loader's charts)."""
from __future__ import annotations

import concurrent.futures
import threading
import traceback

import numpy as np
from PySide6.QtCore import QObject, Signal

from gui.common.gui_call import call_in_gui, ensure_gui_caller

__all__ = ["BackgroundJob"]


_POOL: list = []      # one ThreadPoolExecutor, made on first use
POOL_THREADS = 4


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(concurrent.futures.ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="netcanvas-job"))
    return _POOL[0]


class BackgroundJob(QObject):
    """Runs ``fn(cancelled)`` once off the GUI thread; ``done(result)`` arrives on the GUI thread.

    Used while no training worker runs (after a Reset, when training has ended, for
    "Recompute surface", the canvas cards' insight). Jobs run on a small pool of
    threads that stay alive: starting a thread made the GUI thread wait until it ran
    (up to ~25 ms on a busy machine). ``cancel()`` asks ``fn`` to give up and suppresses
    its result; ``wait()`` waits until it has ended.
    """

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn, name: str = "netcanvas-job", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._cancel = False
        self.name = name
        self._ended = threading.Event()
        self._started = False
        ensure_gui_caller()

    def start(self) -> "BackgroundJob":
        self._started = True
        _pool().submit(self._main)
        return self

    def cancel(self) -> None:
        self._cancel = True

    def cancelled(self) -> bool:
        return self._cancel

    def wait(self, timeout: float = 10.0) -> bool:
        if self._started:
            self._ended.wait(timeout)
        return not self.is_alive()

    def is_alive(self) -> bool:
        return self._started and not self._ended.is_set()

    def _main(self) -> None:
        try:
            if self._cancel:
                return
            try:
                with np.errstate(all="ignore"):
                    result = self._fn(self.cancelled)
            except Exception as exc:
                if not self._cancel:
                    message = traceback.format_exception_only(type(exc), exc)[-1].strip()
                    call_in_gui(self._deliver, "failed", message, owner=self)
                return
            if not self._cancel and result is not None:
                call_in_gui(self._deliver, "done", result, owner=self)
        finally:
            self._ended.set()

    def _deliver(self, signal: str, value) -> None:
        """GUI thread: announce the result unless the job was cancelled meanwhile."""
        if not self._cancel:
            getattr(self, signal).emit(value)
