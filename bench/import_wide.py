"""Does the import view stay responsive on a wide CSV (many columns, few rows)?

    QT_QPA_PLATFORM=offscreen python bench/import_wide.py              # 100, 1,000, 5,000 columns
    QT_QPA_PLATFORM=offscreen python bench/import_wide.py --cols 200 20000

For each width, writes a file of 50 rows of random numbers (columns c0 … cN-1),
opens :class:`ImportDialog` on it (shown, offscreen) and reports side by side:
the time until OK is enabled (the summary's dataset built: "ready"), until the
column charts are shown, and the GUI thread's worst stall meanwhile (the
largest gap between two ticks of a 10 ms precise timer, from opening the view
until both ready and charts). Issue 10 item 6 asks for a stall under 100 ms.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def make_wide_csv(path: Path, cols: int, rows: int = 50, seed: int = 0) -> None:
    """``rows`` rows of random numbers under the header c0,c1,…,c{cols-1}."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, cols)) * 100
    with open(path, "w") as f:
        f.write(",".join(f"c{j}" for j in range(cols)) + "\n")
        for row in X:
            f.write(",".join(f"{v:.6g}" for v in row) + "\n")


def open_view(path: str, limit_s: float = 600.0) -> dict:
    """Open the import view on ``path``; seconds to ready and to charts, the worst stall."""
    from gui.data.import_dialog import ImportDialog
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
    timer = QTimer(interval=10)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    marks: dict[str, float] = {}
    loop = QEventLoop()
    t0 = time.perf_counter()
    timer.start()
    dlg = ImportDialog(path)

    def check(key: str) -> None:
        marks.setdefault(key, time.perf_counter() - t0)
        if "ready" in marks and "charts" in marks:
            loop.quit()
    dlg.summary_updated.connect(lambda: check("ready") if dlg.ok_button.isEnabled() else None)
    dlg.loader.table_loaded.connect(lambda _t: QTimer.singleShot(0, lambda: check("charts")))
    QTimer.singleShot(int(limit_s * 1000), loop.quit)
    dlg.show()
    loop.exec()
    tick()
    timer.stop()
    marks["max_stall"] = max(gaps)
    marks["ok"] = dlg.ok_button.isEnabled()
    dlg.done(0)
    dlg.deleteLater()
    return marks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cols", type=int, nargs="+", default=[100, 1_000, 5_000])
    ap.add_argument("--rows", type=int, default=50)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])  # noqa: F841
    print(f"# import view, {args.rows} rows of random numbers; worst GUI-thread stall (10 ms timer)")
    print(f"{'columns':>8} {'ready s':>9} {'charts s':>9} {'worst stall ms':>15}  OK")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.cols:
            path = Path(tmp) / f"wide{n}.csv"
            make_wide_csv(path, n, args.rows)
            m = open_view(str(path))
            print(f"{n:>8,} {m.get('ready', float('nan')):9.2f} {m.get('charts', float('nan')):9.2f} "
                  f"{1000 * m['max_stall']:15.0f}  {m['ok']}", flush=True)


if __name__ == "__main__":
    main()
