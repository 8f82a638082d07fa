"""Startup time of the NetCanvas window, measured in fresh processes (a table, not a test).

    python bench/startup.py [--runs 5]

Each run starts a new Python process with QT_QPA_PLATFORM=offscreen (or the
display you have) and reports, from process start: Qt and the program
imported, the MainWindow built (example 1 loaded, its CSV read), and the first
frame painted with the event loop idle — the moment a person can use it.
Target: under 2 seconds to a usable window.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, os, sys, time
t0 = float(os.environ["NC_T0"])
sys.path.insert(0, os.environ["NC_ROOT"])
marks = {"python_ready": time.time() - t0}
from PySide6.QtCore import QTimer, QSettings
from gui.app import make_app
app = make_app()
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, os.environ["NC_SETTINGS"])
from gui.window.main_window import MainWindow
marks["imported"] = time.time() - t0
w = MainWindow()
marks["window_built"] = time.time() - t0
w.show()
def done():
    marks["first_frame_idle"] = time.time() - t0
    print(json.dumps(marks))
    os._exit(0)
QTimer.singleShot(0, lambda: (w.canvas_view.viewport().repaint(), QTimer.singleShot(0, done)))
app.exec()
"""


def run_once(settings_dir: str) -> dict:
    env = dict(os.environ, NC_ROOT=ROOT, NC_SETTINGS=settings_dir)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["NC_T0"] = repr(time.time())
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"startup run failed:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        runs = [run_once(tmp) for _ in range(args.runs)]
    keys = ["python_ready", "imported", "window_built", "first_frame_idle"]
    print(f"NetCanvas startup, {args.runs} fresh processes, platform "
          f"{os.environ.get('QT_QPA_PLATFORM', 'offscreen')} (seconds from process start)")
    print(f"{'stage':<20}{'median':>9}{'min':>9}{'max':>9}")
    for k in keys:
        v = [r[k] for r in runs]
        print(f"{k:<20}{statistics.median(v):>9.3f}{min(v):>9.3f}{max(v):>9.3f}")
    usable = statistics.median(r["first_frame_idle"] for r in runs)
    print(f"\nusable window after {usable:.2f} s (median); target < 2 s: {'met' if usable < 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
