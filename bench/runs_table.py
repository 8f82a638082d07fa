"""What the runs table costs the GUI thread. Prints one table.

    python bench/runs_table.py                  # runs of 1,000 / 10,000 / 100,000 epochs
    python bench/runs_table.py --repeat 9

Rows: building a row when a run ends (engine.runs.make_record: the epochs scanned, the curve
thinned, a series fit thinned, weights copied at the largest kept size), one row to and from the
project's JSON, and a full table (MAX_RUNS rows, each with the largest kept weights) to and from
JSON as Save and Open do. Medians of --repeat runs; the GUI thread's budget is 50 ms (a row is built in a
background job; the GUI thread copies the epoch list and the weights; Save and Open run on the GUI
thread for the whole project).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.graph import sequential  # noqa: E402
from engine.runs import MAX_KEPT_PARAMS, MAX_RUNS, decimate_fit, make_record, runs_from_json  # noqa: E402
from engine.runs import add_run, runs_to_json  # noqa: E402
from engine.trainer import TrainConfig  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    g = sequential(4, [(128, "relu")] * 3)                           # 33,793 parameters
    units = (MAX_KEPT_PARAMS - 1) // 6                              # 4 → units → 1: weights at the limit
    weights = {"dense1.W": rng.standard_normal((4, units)).astype(np.float32),
               "dense1.b": rng.standard_normal(units).astype(np.float32),
               "dense2.W": rng.standard_normal((units, 1)).astype(np.float32),
               "dense2.b": rng.standard_normal(1).astype(np.float32)}
    params = sum(w.size for w in weights.values())
    view = {"mode": "series", "x": np.arange(3000.0), "pred": rng.standard_normal(3000)}
    cfg = TrainConfig()
    rows = []
    print(f"{'what':76} {'median ms':>10}")
    for n_epochs in (1_000, 10_000, 100_000):
        epochs = [{"epoch": i + 1, "updates": 37 * (i + 1), "train_loss": float(v), "val_loss": float(v) * 1.1,
                   "val_r2": 0.8, "val_mae": 2.0} for i, v in enumerate(rng.random(n_epochs))]

        def build(epochs=epochs, n_epochs=n_epochs):
            return make_record(1, graph=g, data_spec={"series": "t", "lags": 4}, n_inputs=4, config=cfg,
                               epochs=epochs, epoch=n_epochs, updates=37 * n_epochs, seconds=1.0,
                               stop_reason="epochs", weights=weights, params=params,
                               fit=decimate_fit(view, "t", "date", 2400.0), baseline={})
        rows.append((f"a row at a run's end, {n_epochs:,} epochs, {params:,} weights (off the GUI thread)",
                     median_ms(build, args.repeat)))
        rows.append(("  its GUI thread share: the epoch list and the weights copied",
                     median_ms(lambda epochs=epochs: (list(epochs), {k: v.copy() for k, v in weights.items()}),
                               args.repeat)))
    rec = build()
    rows.append(("one row to JSON and back", median_ms(lambda: runs_from_json(json.loads(
        json.dumps(runs_to_json([rec])))), args.repeat)))
    table = []
    for i in range(MAX_RUNS):            # every run keeps its weights; the table keeps the newest ones'
        table = add_run(table, make_record(i + 1, graph=g, data_spec=None, n_inputs=4, config=cfg,
                                           epochs=epochs[:1000], epoch=1000, updates=37000, seconds=1.0,
                                           stop_reason="epochs", weights=weights, params=params))[0]
    text = json.dumps(runs_to_json(table))
    rows.append((f"{MAX_RUNS} rows to JSON (Save), {len(text) / 1e6:.1f} MB",
                 median_ms(lambda: json.dumps(runs_to_json(table)), args.repeat)))
    rows.append((f"{MAX_RUNS} rows from JSON (Open)", median_ms(lambda: runs_from_json(json.loads(text)), args.repeat)))
    for what, ms in rows:
        print(f"{what:76} {ms:10.1f}")


if __name__ == "__main__":
    main()
