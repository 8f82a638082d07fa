"""One-shot background jobs: a function run once in a thread, its result delivered on
the GUI thread (idle views and surfaces, the data loader's charts)."""
from __future__ import annotations

import threading
import traceback

import numpy as np
from PySide6.QtCore import QObject, Signal

from gui.common.gui_call import call_in_gui, ensure_gui_caller

__all__ = ["BackgroundJob"]


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
        ensure_gui_caller()

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
                message = traceback.format_exception_only(type(exc), exc)[-1].strip()
                call_in_gui(self._deliver, "failed", message, owner=self)
            return
        if not self._cancel and result is not None:
            call_in_gui(self._deliver, "done", result, owner=self)

    def _deliver(self, signal: str, value) -> None:
        """GUI thread: announce the result unless the job was cancelled meanwhile."""
        if not self._cancel:
            getattr(self, signal).emit(value)
