"""How long does the import view take on a large CSV, and does the GUI thread stay free?

    python bench/import_view.py                 # 1,000,000 rows x 20 numeric columns
    python bench/import_view.py --rows 300000

Opens ImportDialog offscreen on a generated file and reports, side by side with
a bare ``pandas.read_csv`` of the same file: the time until the first rows are
shown (preview), until the table is read and profiled (histograms), until the
summary's dataset is built and OK is enabled, and the longest stall of the GUI
thread meanwhile (a 5 ms timer's largest gap between two ticks).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def make_csv(path: Path, rows: int, cols: int) -> None:
    rng = np.random.default_rng(0)
    block = rng.normal(size=(10_000, cols)) * 100
    text = "".join(",".join(f"{v:.6g}" for v in row) + "\n" for row in block).encode()
    with open(path, "wb") as f:
        f.write((",".join(f"c{j}" for j in range(cols)) + "\n").encode())
        for _ in range(rows // 10_000):
            f.write(text)


def run_dialog(path: str) -> dict:
    from gui.data.import_dialog import ImportDialog
    marks: dict[str, float] = {}
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
    timer = QTimer(interval=5)
    timer.timeout.connect(tick)
    t0 = time.perf_counter()
    timer.start()
    dlg = ImportDialog(path)
    dlg.loader.preview_ready.connect(lambda _p: marks.setdefault("preview", time.perf_counter() - t0))
    dlg.loader.table_read.connect(lambda _t: marks.setdefault("read", time.perf_counter() - t0))
    loop = QEventLoop()

    def ready() -> None:
        marks.setdefault("ready", time.perf_counter() - t0)
        if "table" in marks:
            loop.quit()

    def charts(_t) -> None:
        marks.setdefault("table", time.perf_counter() - t0)
        if "ready" in marks:            # the charts wait for the first build: usually after it
            loop.quit()
    dlg.summary_updated.connect(ready)
    dlg.loader.table_loaded.connect(charts)
    QTimer.singleShot(120_000, loop.quit)
    dlg.show()
    loop.exec()
    timer.stop()
    marks["ok"] = dlg.ok_button.isEnabled()
    marks["max_stall"] = max(gaps) if gaps else 0.0
    dlg.done(0)
    return marks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])  # noqa: F841
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        make_csv(path, args.rows, args.cols)
        size_mb = path.stat().st_size / 1e6
        bare, runs = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            pd.read_csv(path)
            bare.append(time.perf_counter() - t)
            runs.append(run_dialog(str(path)))
        med = {k: statistics.median(r[k] for r in runs) for k in ("preview", "read", "table", "ready", "max_stall")}
        print(f"# import view, {args.rows:,} rows x {args.cols} columns ({size_mb:.0f} MB), "
              f"median of {args.repeat}")
        print(f"{'step':<44} {'seconds':>8}")
        print(f"{'pandas.read_csv (bare, for comparison)':<44} {statistics.median(bare):8.3f}")
        print(f"{'first rows shown (preview)':<44} {med['preview']:8.3f}")
        print(f"{'table read (progress, cancellable); build starts':<44} {med['read']:8.3f}")
        bare_med = statistics.median(bare)
        print(f"{'summary built, OK enabled (ready to train)':<44} {med['ready']:8.3f}"
              f"   {med['ready'] / bare_med:.2f}x pandas")
        print(f"{'column charts computed (after the build)':<44} {med['table']:8.3f}")
        print(f"{'longest GUI-thread stall meanwhile':<44} {med['max_stall']:8.3f}")
        print(f"OK enabled in every run: {all(r['ok'] for r in runs)}")


if __name__ == "__main__":
    main()
