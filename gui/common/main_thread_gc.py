"""Python's cyclic garbage collector, run on the GUI thread only.

Left automatic, the collector runs in whichever thread happens to allocate: a training
worker's reader thread, a background job. When it frees a Qt object's Python wrapper there
(a pyqtgraph plot's menu, an old window's widgets), shiboken defers the C++ deletion to the
GUI thread, and that deferred deletion can run inside another widget's destruction and
deadlock on Qt's object mutex (seen as a test suite that hung in a deferred delete, the GUI
thread in ``QObject::~QObject`` waiting on a mutex). pyqtgraph's ``GarbageCollector`` turns
the automatic collector off and collects on a timer in the GUI thread instead.
"""
from __future__ import annotations

from pyqtgraph.util.garbage_collector import GarbageCollector

__all__ = ["collect_on_gui_thread"]

_COLLECTOR: list = []


def collect_on_gui_thread(interval: float = 0.5) -> None:
    """From now on, collect cyclic garbage only on the GUI thread (every ``interval`` seconds,
    generation by generation as Python's thresholds say). Call once, after the QApplication
    exists; later calls do nothing."""
    if not _COLLECTOR:
        _COLLECTOR.append(GarbageCollector(interval=interval))
