"""Regression test for PySide6-Essentials 6.12.0 on Python 3.11: every Signal.emit()
lowered the reference count of True until the interpreter aborted with
"bool_dealloc: deallocating True or False". A bad upgrade fails (or crashes) here."""
import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    number = Signal(float)
    flag = Signal(bool)
    text = Signal(str)


def test_ten_thousand_emits_keep_true_alive(qapp):
    e = Emitter()
    got = {"n": 0, "flags": 0, "text": 0}
    e.number.connect(lambda v: got.__setitem__("n", got["n"] + 1))
    e.flag.connect(lambda v: got.__setitem__("flags", got["flags"] + (v is True)))
    e.text.connect(lambda s: got.__setitem__("text", got["text"] + 1))
    before = sys.getrefcount(True)
    for i in range(10_000):
        e.number.emit(float(i))
        e.flag.emit(True)
        e.text.emit("x")
    after = sys.getrefcount(True)
    assert got == {"n": 10_000, "flags": 10_000, "text": 10_000}
    # the bug lost one reference per emit; allow small unrelated drift
    assert after >= before - 100, f"refcount of True fell from {before} to {after}"
