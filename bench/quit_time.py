"""How long quitting takes after Discard, measured in fresh processes (a table, not a test).

    python bench/quit_time.py [--runs 3]

Each run starts the window (offscreen unless you have a display), opens an example, presses
Train, optionally Stop (so the warm spare worker process is waiting), and closes the window
with the unsaved-changes question answered Discard. Reported, from ``close()``: the window's
close handler done (the worker stopped, background jobs cancelled), and the process gone
(``wait()`` in this parent, so Python's and Qt's teardown and the atexit ``discard_spare``
count). Issue 14.11 reported ~2 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import os, sys, time
sys.path.insert(0, os.environ["NC_ROOT"])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
import gui.app as app_module
import gui.window.main_window as mw

class Scripted(mw.MainWindow):
    def __init__(self):
        super().__init__()
        self.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
        self.io.open_example(int(os.environ["NC_EXAMPLE"]), ask=False)
        QTimer.singleShot(300, self.actionTrain.trigger)
        stop = int(os.environ["NC_STOP_MS"])
        if stop:
            QTimer.singleShot(stop, self.actionStop.trigger)
        QTimer.singleShot(int(os.environ["NC_QUIT_MS"]), self._quit)

    def _quit(self):
        t = time.time()
        print(f"CLOSE {t:.4f}", flush=True)
        self.close()
        print(f"CLOSED {time.time():.4f}", flush=True)

mw.MainWindow = Scripted
sys.exit(app_module.run([]))
"""

SCENARIOS = [("example 1, closed while training", 0, 0, 1800),
             ("example 1, stopped, spare worker waiting", 0, 1300, 2300),
             ("example 4 (33,793 parameters), closed while training", 3, 0, 1800),
             ("example 4, stopped, spare worker waiting", 3, 1300, 2300)]


def one(example: int, stop_ms: int, quit_ms: int) -> tuple[float, float]:
    env = dict(os.environ, NC_ROOT=ROOT, NC_EXAMPLE=str(example), NC_STOP_MS=str(stop_ms),
               NC_QUIT_MS=str(quit_ms))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    proc = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    marks = {}
    for line in proc.stdout:
        key, _, value = line.partition(" ")
        if key in ("CLOSE", "CLOSED"):
            marks[key] = float(value)
    proc.wait()
    gone = time.time()
    return marks["CLOSED"] - marks["CLOSE"], gone - marks["CLOSE"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    runs = ap.parse_args().runs
    print(f"{'scenario':58s} {'close()':>9s} {'exit':>9s}   (median of {runs}, seconds after close)")
    for name, example, stop_ms, quit_ms in SCENARIOS:
        got = [one(example, stop_ms, quit_ms) for _ in range(runs)]
        closed = statistics.median(g[0] for g in got)
        gone = statistics.median(g[1] for g in got)
        print(f"{name:58s} {closed:9.2f} {gone:9.2f}")


if __name__ == "__main__":
    main()
