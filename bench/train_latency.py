"""From the press of Train to the last redraw: the GUI thread's stalls and the time a run takes
in the window, for every built-in example and a 1,000,000-parameter network, next to the same
run headless (the engine's Trainer in this process, as the CLI runs it).

A 10 ms precise QTimer on the GUI thread of the real MainWindow records the gaps between its
ticks from the moment Train is pressed until the run has finished and the plots have drawn
its end (the window goes quiet for 0.4 s); the worst gap and the 99th percentile are the
stalls a person feels. The window trains at full speed.

    QT_QPA_PLATFORM=offscreen python bench/train_latency.py [--repeat 3] [--examples 1,2,3,4,5] [--no-big]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from engine.graph import sequential  # noqa: E402
from engine.trainer import TrainConfig, Trainer  # noqa: E402


class GapClock:
    """Gaps between the ticks of a 10 ms precise timer on the GUI thread."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.gaps.append(self.clock.nsecsElapsed() / 1e6)
        self.clock.restart()

    def start(self) -> None:
        self.gaps.clear()
        self.clock.start()
        self.timer.start()

    def stop(self) -> np.ndarray:
        self.gaps.append(self.clock.nsecsElapsed() / 1e6)    # the gap still open
        self.timer.stop()
        return np.array(self.gaps or [0.0])


def pump(app, seconds: float) -> None:
    """Run the event loop for ``seconds`` (blocking in Qt, not spinning: the GUI thread is idle
    between events, as in the real program)."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def wait_quiet(app, ctl, quiet: float = 0.4, limit: float = 30.0) -> None:
    """Until nothing was drawn for ``quiet`` seconds (the end of the run's redraws)."""
    last = [time.perf_counter()]
    loop = QEventLoop()

    def seen(*_):
        last[0] = time.perf_counter()

    def check():
        if time.perf_counter() - last[0] >= quiet or time.perf_counter() > end:
            loop.quit()
    sigs = (ctl.views_updated, ctl.surface_updated, ctl.snapshot_received, ctl.state_changed)
    for sig in sigs:
        sig.connect(seen)
    end = time.perf_counter() + limit
    poll = QTimer()
    poll.setInterval(50)
    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    for sig in sigs:
        sig.disconnect(seen)


def window_run(app, win, settle: float = 1.0) -> dict:
    """Press Train on the window's document; the stalls until the last redraw, the time to finish."""
    ctl = win.training
    ctl.set_speed(0)
    pump(app, settle)                         # the idle preview and surface of a freshly opened project
    wait_quiet(app, ctl)
    done = []
    loop = QEventLoop()

    def finished(reason):
        done.append(reason)
        loop.quit()
    ctl.training_finished.connect(finished)
    clock = GapClock()
    clock.start()
    t0 = time.perf_counter()
    win.actionTrain.trigger()
    if not done:
        loop.exec()
    t_finish = time.perf_counter() - t0
    wait_quiet(app, ctl)
    gaps = clock.stop()
    ctl.training_finished.disconnect(finished)
    return {"finish": t_finish, "max": float(gaps.max()), "p99": float(np.percentile(gaps, 99)),
            "reason": done[0], "updates": ctl.trainer.updates if ctl.trainer is not None else 0}


def headless_seconds(doc) -> float:
    """The same run in this process, as the CLI trains (no window, no worker process)."""
    t0 = time.perf_counter()
    tr = Trainer(doc.graph, doc.dataset, doc.train_config)
    while not tr.finished:
        tr.run(max_updates=1 << 30)
    return time.perf_counter() - t0


def big_project(win) -> None:
    """A network of about 1,000,000 parameters (7 → 1000 → 1000 relu → 1) on example 1's data."""
    doc = win.document
    g = sequential(doc.dataset.n_features, [(1000, "relu"), (1000, "relu")])
    ds = doc.dataset
    doc.replace(g, {n: (i * 200.0, 0.0) for i, n in enumerate(g.nodes)}, name="big",
                data_path=doc.data_path, data_spec=ds.spec, dataset=ds,
                train_config=TrainConfig(loss="mse", optimizer="adam", lr=1e-4, batch_size=256, epochs=1, seed=0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--examples", default="1,2,3,4,5")
    ap.add_argument("--no-big", action="store_true", help="skip the 1,000,000-parameter network")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName("NetCanvasBench")
    app.setApplicationName("NetCanvasBench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    from gui.window.examples import EXAMPLES
    from gui.window.main_window import MainWindow
    win = MainWindow()
    win.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    win.show()
    pump(app, 0.5)
    cases = [(int(i) - 1, f"{i}. {EXAMPLES[int(i) - 1].name}") for i in args.examples.split(",") if i.strip()]
    if not args.no_big:
        cases.append((-1, "1,000,000 parameters"))
    print(f"{'case':<34}{'worst stall':>12}{'p99':>8}{'window':>9}{'headless':>10}{'ratio':>7}  (medians of "
          f"{args.repeat}; seconds from Train to finished)")
    for index, title in cases:
        rows, heads = [], []
        for _ in range(args.repeat):
            win.io.open_example("1_linear_7_days.ncproj" if index < 0 else index, ask=False)   # big: 7 inputs
            pump(app, 0.3)
            while win.document.dataset is None:
                pump(app, 0.05)
            if index < 0:
                big_project(win)
            heads.append(headless_seconds(win.document))
            rows.append(window_run(app, win))
            win.document.mark_saved()
        worst = np.median([r["max"] for r in rows])
        p99 = np.median([r["p99"] for r in rows])
        fin, head = np.median([r["finish"] for r in rows]), np.median(heads)
        mark = "✓" if max(r["max"] for r in rows) <= 50 else " "
        print(f"{title[:33]:<34}{worst:>10.1f}ms{mark}{p99:>6.1f}ms{fin:>8.2f}s{head:>9.2f}s{fin / head:>6.2f}x"
              f"   worst of all runs {max(r['max'] for r in rows):.1f} ms")
    win.training.shutdown()
    win.document.mark_saved()
    win.close()


if __name__ == "__main__":
    main()
