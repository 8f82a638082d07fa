"""Weights set by hand: the GUI thread's cost of the weights table and the unit explorer, small
layers beside large ones, in one run.

Weights table (properties panel, a Dense card selected), per layer size F × U:
  - refresh: new weights shown (one dataChanged; the view asks for the visible cells only);
  - paint: the table repainted;
  - type: a typed number committed (parse, copy of the weights, the undoable command, and the
    controller taking the new weights in).
Unit explorer (one input, k hidden units): a slider step (one unit's term and the fit over the
fixed grid) and a reload of every term (after new weights).

    QT_QPA_PLATFORM=offscreen python bench/hand_weights.py [--repeat 15]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from engine.graph import sequential  # noqa: E402
from engine.layout import auto_layout  # noqa: E402


def pump(app, seconds: float = 0.05) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def ms(f, repeat: int) -> float:
    """Median milliseconds of ``f()``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def wait_for(app, cond, timeout: float = 60.0) -> None:
    end = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > end:
            raise TimeoutError("the weights never arrived")
        pump(app, 0.02)


def table_row(app, win, F: int, U: int, repeat: int) -> tuple:
    g = sequential(F, [(U, "relu")])
    win.document.replace(g, auto_layout(g), name=f"{F}x{U}")
    pump(app, 1.0)                           # the cards' insight and the previews are done
    t0 = time.perf_counter()
    win.scene.select_nodes(["dense1"])
    select = (time.perf_counter() - t0) * 1000
    table = win.properties.weights_table
    wait_for(app, lambda: table.model.W is not None)
    refresh = ms(table.refresh, repeat)
    paint = ms(table.view.viewport().repaint, repeat)
    model = table.model
    values = iter(np.linspace(0.1, 0.9, repeat))

    def type_one():                          # and the refresh it brings, one event-loop turn later
        model.setData(model.index(0, 0), f"{next(values):.3f}")
        app.processEvents()
    typed = ms(type_one, repeat)
    pump(app, 0.2)
    return f"{F} × {U}", F * U, select, refresh, paint, typed


def explorer_row(app, win, k: int, repeat: int, project) -> tuple:
    from tests.test_hand_weights import one_input_project
    path = one_input_project(project, units=k)
    loaded = []
    win.data_controller.project_data_loaded.connect(loaded.append)
    win.open_path(path)
    wait_for(app, lambda: loaded)
    win.data_controller.project_data_loaded.disconnect(loaded.append)
    win.unit_explorer_dock.raise_()
    ex = win.unit_explorer
    wait_for(app, lambda: ex.isVisible() and ex.stack.currentIndex() == 1 and ex.terms is not None
             and ex.terms.shape[0] == k)
    s = ex.sliders["w"].slider
    step = ms(lambda: s.setValue(s.value() + 1), repeat)
    reload = ms(ex._load, repeat)
    return k, step, reload


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    from gui.main_window import MainWindow
    win = MainWindow()
    win.resize(1024, 700)
    win.show()
    win.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    pump(app, 0.5)
    print("Weights table (medians of", args.repeat, "runs, ms on the GUI thread)")
    print(f"{'layer':>13} {'weights':>10} {'select card':>12} {'refresh':>8} {'paint':>7} {'type+Enter':>11}")
    for F, U in ((1, 4), (64, 64), (1024, 1024)):
        name, n, select, refresh, paint, typed = table_row(app, win, F, U, args.repeat)
        print(f"{name:>13} {n:>10,} {select:>12.2f} {refresh:>8.3f} {paint:>7.2f} {typed:>11.2f}")
    import tempfile
    print("\nUnit explorer, one input (medians, ms on the GUI thread)")
    print(f"{'units k':>8} {'slider step':>12} {'reload all terms':>17}")
    with tempfile.TemporaryDirectory() as tmp:
        for k in (4, 64, 1024):
            kk, step, reload = explorer_row(app, win, k, args.repeat, os.path.join(tmp, f"k{k}.ncproj"))
            print(f"{kk:>8} {step:>12.3f} {reload:>17.2f}")
    win.training.shutdown()
    win.document.undo_stack.setClean()
    win.document._extra_dirty = False
    return 0


if __name__ == "__main__":
    sys.exit(main())
