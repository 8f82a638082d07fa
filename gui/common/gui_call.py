"""Hand results from plain Python threads to the GUI thread without a Qt call in the thread.

Background threads (CSV reads, dataset builds, plot jobs, the training
worker's pipe reader) used to ``emit`` Qt signals themselves. A queued
emission from a Python thread runs Qt code while that thread holds the GIL;
if the GUI thread at that moment holds one of Qt's locks and needs the GIL
(deleting an object whose connections reference Python callables, say), the
two wait on each other for ever. That is rare, and it depends on timing —
exactly the hang nobody can reproduce.

Here a thread only appends to a deque and writes one byte to a socket; the
GUI thread's event loop wakes on that byte through a :class:`QSocketNotifier`
and runs the queued calls in order. The thread touches no Qt object at all.
"""
from __future__ import annotations

import atexit
import collections
import socket
import sys
import threading

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, QThread
from shiboken6 import isValid

__all__ = ["call_in_gui", "ensure_gui_caller"]


class _GuiCaller(QObject):
    def __init__(self) -> None:
        super().__init__()
        self._queue: collections.deque = collections.deque()
        self._recv, self._send = socket.socketpair()
        self._recv.setblocking(False)
        self._send.setblocking(False)
        self._notifier = QSocketNotifier(self._recv.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def call(self, fn, args: tuple, owner: QObject | None) -> None:
        """Any thread: queue ``fn(*args)`` for the GUI thread (skipped if ``owner`` is gone by then)."""
        self._queue.append((fn, args, owner))
        try:
            self._send.send(b"\0")
        except BlockingIOError:       # the socket is full of wake-ups already: one is enough
            pass
        except OSError:               # closed at exit: nobody is left to call
            pass

    def close(self) -> None:
        """At exit: let go of the socket pair (no calls are taken after this)."""
        self._recv.close()
        self._send.close()

    def _drain(self) -> None:
        try:
            while self._recv.recv(4096):
                pass
        except OSError:              # drained (BlockingIOError), or closed at exit
            pass
        # bytes are read before the queue is emptied, so a call queued after this
        # point has written a byte that wakes the next drain: nothing is left behind
        while self._queue:
            fn, args, owner = self._queue.popleft()
            if owner is not None and not isValid(owner):
                continue
            try:
                fn(*args)
            except Exception:          # report like a failing slot would, and keep draining
                sys.excepthook(*sys.exc_info())


_caller: _GuiCaller | None = None
_lock = threading.Lock()


def ensure_gui_caller() -> None:
    """Create the dispatcher; call once on the GUI thread (constructors of thread owners do)."""
    global _caller
    with _lock:
        if _caller is None:
            app = QCoreApplication.instance()
            if app is None or QThread.currentThread() is not app.thread():
                raise RuntimeError("ensure_gui_caller() must run on the GUI thread of a running QApplication")
            _caller = _GuiCaller()
            app.aboutToQuit.connect(_drain_at_quit)
            atexit.register(_caller.close)


def _drain_at_quit() -> None:
    if _caller is not None:
        _caller._queue.clear()


def call_in_gui(fn, *args, owner: QObject | None = None) -> None:
    """From any thread: run ``fn(*args)`` on the GUI thread soon, in the order of the calls.

    ``owner``: a QObject the call belongs to; if it has been deleted by the time
    the call runs, the call is dropped (a job finishing after its window closed)."""
    if _caller is None:
        raise RuntimeError("call_in_gui() before ensure_gui_caller()")
    _caller.call(fn, args, owner)
