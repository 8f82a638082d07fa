"""The Residuals tab on growing data: what runs off the GUI thread and what the GUI thread pays.

A daily series (previous 7 days → next, 7 → 32 sigmoid → 1) and the same rows as plain regression,
with 10,000 to 1,000,000 validation rows. Per size, the median of a few runs of

- the background job: :func:`engine.residuals.compute_residuals` (predictions, histogram,
  autocorrelation, Ljung–Box);
- the GUI thread: the model copy handed to the job (``current_model``), drawing the three views
  (``ResidualsView._on_done``) and painting the whole view once (``grab``): their sum is the most
  the GUI thread spends in one go for the tab (each part is its own event, so the worst stall is
  the largest part).

    QT_QPA_PLATFORM=offscreen python bench/residuals.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.gui_latency import lecture_dataset  # noqa: E402
from engine.graph import sequential  # noqa: E402
from engine.model import Model  # noqa: E402
from engine.residuals import compute_residuals  # noqa: E402


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    _app = QApplication.instance() or QApplication([])     # kept alive while the view exists
    from gui.explain.residuals_view import ResidualsView
    view = ResidualsView(lambda: (None, ""))
    view.resize(1000, 300)
    view.show()
    model = Model(sequential(7, [(32, "sigmoid")]), dtype="float32")
    print(f"{'rows (val)':>11} {'kind':>10} {'background job':>15} {'GUI: copy':>10} {'draw':>10} {'paint':>10} "
          f"{'GUI total':>10}")
    base = lecture_dataset(n_train=40_000)
    start = int(base.index_val[0])
    for n_val in (10_000, 100_000, 1_000_000):
        reps = -(-n_val // base.n_val)              # the validation rows repeated, one series
        dates = pd.date_range("1990-01-01", periods=start + n_val, freq="h").strftime("%Y-%m-%d %H:%M")
        ds = replace(base, X_val=np.tile(base.X_val, (reps, 1))[:n_val], y_val=np.tile(base.y_val, (reps, 1))[:n_val],
                     index_val=np.arange(start, start + n_val), time_values=dates.to_numpy(object))
        for kind in ("series", "regression"):
            d = ds if kind == "series" else replace(ds, spec=replace(ds.spec, series=None, time_column=None))
            compute_residuals(model, d, "val")             # warm up (SciPy's import, caches)
            job = median_ms(lambda d=d: compute_residuals(model, d, "val"), args.repeats)
            res = compute_residuals(model, d, "val")
            copy = median_ms(model.copy, args.repeats)

            view._on_done(res)
            view.grab()
            draw = median_ms(lambda res=res: view._on_done(res), args.repeats)
            paint = median_ms(view.grab, args.repeats)
            gui = copy + draw + paint
            print(f"{len(d.X_val):>11,} {kind:>10} {job:>12.0f} ms {copy:>7.2f} ms {draw:>7.1f} ms {paint:>7.1f} ms "
                  f"{gui:>7.1f} ms")


if __name__ == "__main__":
    main()
