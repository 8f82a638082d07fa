"""Background threads hand their results to the GUI thread without calling Qt themselves."""
from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QObject, QThread

from gui.common.gui_call import call_in_gui, ensure_gui_caller


def test_calls_from_threads_run_on_the_gui_thread_in_order(qtbot, qapp):
    ensure_gui_caller()
    seen: list[tuple[int, bool]] = []
    gui_thread = qapp.thread()

    def record(i: int) -> None:
        seen.append((i, QThread.currentThread() is gui_thread))

    def worker() -> None:
        for i in range(500):
            call_in_gui(record, i)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == []                               # nothing ran inside the thread
    qtbot.waitUntil(lambda: len(seen) == 500, timeout=5000)
    assert [i for i, _ in seen] == list(range(500))
    assert all(on_gui for _, on_gui in seen)


def test_a_call_whose_owner_was_deleted_is_dropped(qtbot, qapp):
    ensure_gui_caller()
    owner, keeper = QObject(), QObject()
    ran: list[str] = []
    t = threading.Thread(target=lambda: (call_in_gui(ran.append, "gone", owner=owner),
                                         call_in_gui(ran.append, "kept", owner=keeper)))
    t.start()
    t.join()
    shiboken6.delete(owner)             # gone before the GUI thread gets to the calls
    qtbot.waitUntil(lambda: ran == ["kept"], timeout=5000)


def test_an_exception_in_one_call_is_reported_and_the_next_still_runs(qtbot, qapp):
    ensure_gui_caller()
    ran: list[int] = []

    def boom() -> None:
        raise ValueError("boom")

    with qtbot.captureExceptions() as exceptions:
        call_in_gui(boom)
        call_in_gui(ran.append, 1)
        qtbot.waitUntil(lambda: ran == [1], timeout=5000)
    assert len(exceptions) == 1 and "boom" in str(exceptions[0][1])
