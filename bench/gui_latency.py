"""Responsiveness while training: updates/s headless vs with the GUI, and GUI-thread stalls.

The lecture's case: N = 10000 training examples (a daily series, previous 7
days), B = 10 (1000 updates per epoch), 7 → 32 sigmoid → 1, plain gradient
descent; all four plots live (loss, fit, units, error surface). A 10 ms
QTimer on the GUI thread records the gaps between its ticks; the worst and
99th-percentile gap are the stalls a person would feel.

Runs each worker variant (GIL switch intervals) for a few seconds and prints
one table, plus the loss plot's redraw cost at 1,000,000 updates.

    QT_QPA_PLATFORM=offscreen python bench/gui_latency.py [--seconds 6]
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
import pandas as pd  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow, QSplitter, QWidget  # noqa: E402

from engine.data import DataSpec, Table, build_dataset  # noqa: E402
from engine.graph import sequential  # noqa: E402
from engine.trainer import TrainConfig, Trainer  # noqa: E402


def lecture_dataset(n_train: int = 10000, lags: int = 7):
    """A synthetic daily temperature-like series with exactly ``n_train`` training examples."""
    n_examples = int(round(n_train / 0.8))
    rows = n_examples + lags
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    temp = 15 + 10 * np.sin(2 * np.pi * t / 365.25) + np.cumsum(rng.normal(0, 0.6, rows)) * 0.1 \
        + rng.normal(0, 2.0, rows)
    frame = pd.DataFrame({"date": pd.date_range("1990-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
                          "temp": temp})
    ds = build_dataset(Table.from_frame(frame), DataSpec(target="temp", series="temp", lags=lags,
                                                         split="chronological", time_column="date",
                                                         val_fraction=0.2))
    return ds


CONFIG = dict(loss="mse", optimizer="sgd", lr=0.01, batch_size=10, epochs=0, seed=0)


def headless_rate(ds, seconds: float) -> float:
    tr = Trainer(sequential(7, [(32, "sigmoid")]), ds, TrainConfig(**CONFIG))
    tr.run(max_updates=2000)                      # warm up
    u0, t0 = tr.updates, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        tr.run(max_updates=1 << 40, max_seconds=0.05)
    return (tr.updates - u0) / (time.perf_counter() - t0)


class Window(QMainWindow):
    """Panel + the four plots, as the main window shows them."""

    def __init__(self, ds) -> None:
        super().__init__()
        from gui.document.document import Document
        from gui.training.controller import TrainingController
        self.document = Document(self)
        g = sequential(7, [(32, "sigmoid")])
        self.document.replace(g, {n: (0.0, 0.0) for n in g.nodes}, train_config=TrainConfig(**CONFIG))
        self.document.set_data(None, ds.spec, ds)
        self.training = TrainingController(self.document, window=self)
        self.training.set_speed(0)        # full speed (the GUI's default animates); the preference is left alone
        split = QSplitter()
        split.addWidget(self.training.panel)
        grid = QWidget()
        from PySide6.QtWidgets import QGridLayout
        lay = QGridLayout(grid)
        for i, p in enumerate(self.training.plots):
            lay.addWidget(p, i // 2, i % 2)
        split.addWidget(grid)
        self.setCentralWidget(split)
        self.resize(1600, 1000)


def pump(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def gui_run(app, ds, seconds: float, kind: str, switch: float | None) -> dict:
    import gui.training.workers as workers
    workers.GIL_SWITCH_INTERVAL = switch
    workers.WORKER_KIND = kind
    win = Window(ds)
    win.show()
    pump(app, 0.5)
    ctl = win.training
    gaps: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(10)

    def tick():
        gaps.append(clock.nsecsElapsed() / 1e6)
        clock.restart()
    timer.timeout.connect(tick)
    snaps = []
    ctl.snapshot_received.connect(lambda s: snaps.append(s.updates))
    ctl.start()
    pump(app, 1.0)                               # let the first surface and views settle
    pump(app, 0.0)
    u0 = snaps[-1] if snaps else 0
    t0 = time.perf_counter()
    clock.start()
    timer.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    elapsed = time.perf_counter() - t0
    u1 = snaps[-1]
    ctl.stop()
    frames = len(snaps)
    win.close()
    ctl.shutdown()
    win.deleteLater()
    pump(app, 0.2)
    g = np.array(gaps[1:]) if len(gaps) > 1 else np.array([0.0])
    return {"rate": (u1 - u0) / elapsed, "max": float(g.max()), "p99": float(np.percentile(g, 99)),
            "median": float(np.median(g)), "snapshots": frames / (elapsed + 1.0)}


def loss_plot_at(app, n: int) -> tuple[float, float]:
    """ms for one append of 40 ms worth of updates + repaint, with ``n`` updates already shown."""
    from gui.plots.loss_plot import LossPlot
    p = LossPlot()
    p.resize(700, 350)
    p.show()
    rng = np.random.default_rng(0)
    y = np.exp(-np.arange(n) / (n / 5)) + rng.random(n) * 0.1 + 0.01
    p.append(0, y, [{"epoch": i + 1, "updates": (i + 1) * 1000, "train_loss": y[(i + 1) * 1000 - 1],
                     "val_loss": y[(i + 1) * 1000 - 1] * 1.1} for i in range(n // 1000)])
    pump(app, 0.3)
    times = []
    start = n
    for _ in range(20):
        chunk = rng.random(400) * 0.1 + 0.01
        t0 = time.perf_counter()
        p.append(start, chunk, [])
        p.plot.repaint()
        app.processEvents()
        times.append((time.perf_counter() - t0) * 1000)
        start += 400
    p.close()
    return float(np.median(times)), float(np.max(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--variants", default="process,thread:default,thread:1e-3,thread:1e-4",
                    help="workers to compare: process, thread:<GIL switch interval or 'default' (5e-3)>")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    ds = lecture_dataset()
    tr = Trainer(sequential(7, [(32, "sigmoid")]), ds, TrainConfig(**CONFIG))
    print(f"lecture case: {tr.summary()}; 7 → 32 sigmoid → 1, SGD; {args.seconds:g} s per run")
    head = headless_rate(ds, args.seconds)
    print(f"headless: {head:,.0f} updates/s\n")
    print(f"{'worker':<30}{'updates/s':>11}{'of headless':>13}"
          f"{'stall max':>11}{'p99':>9}{'median':>9}{'snapshots/s':>13}")
    for variant in args.variants.split(","):
        kind, _, sw = variant.partition(":")
        switch = None if sw in ("", "default") else float(sw)
        r = gui_run(app, ds, args.seconds, kind, switch)
        label = ("process" if kind == "process" else
                 f"thread, GIL switch {'5e-3 (default)' if switch is None else f'{switch:g}'}")
        ok = "✓" if r["rate"] >= 0.8 * head and r["max"] <= 50 else " "
        print(f"{label:<30}{r['rate']:>11,.0f}{r['rate'] / head:>12.0%}{r['max']:>9.1f}ms"
              f"{r['p99']:>7.1f}ms{r['median']:>7.1f}ms{r['snapshots']:>13.1f} {ok}")
    print("\ntargets: ≥ 80 % of headless updates/s, worst GUI stall ≤ 50 ms (10 ms QTimer gaps)\n")
    for n in (10_000, 1_000_000):
        med, worst = loss_plot_at(app, n)
        print(f"loss plot with {n:>9,} updates: append + repaint {med:5.1f} ms median, {worst:5.1f} ms worst")
    os._exit(0)


if __name__ == "__main__":
    main()
