"""K starts batched (engine.multistart) against the same K runs one after another. Prints one table.

    python bench/multistart.py                  # K = 8, 5 repetitions
    python bench/multistart.py --starts 16 --repeat 3 --optimizer adam

The lecture case: N = 10,000 rows, 7 → 32 sigmoid → 1, MSE, SGD lr 0.01, B = 10, float32, two
epochs (2,000 updates per start; ``--epochs``). "Sequential" is K ``Trainer`` runs (seeds 0 … K−1);
"batched" is one ``MultiStart`` of K starts; both evaluate the training and validation sets after
each epoch, as Train does. A start-update is one update of one start; the rates are medians over repeats,
which interleave so that machine load hits both alike. OpenBLAS runs one thread unless
OPENBLAS_NUM_THREADS says otherwise. This is a measurement, not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# One BLAS thread unless told otherwise (before NumPy loads): on this shared 2-core machine a
# threaded OpenBLAS made one evaluation of 10,000 rows take ~27 ms instead of ~1 ms, in both
# contenders, and the table measured the machine's load instead of the code.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.graph import sequential  # noqa: E402
from engine.multistart import MultiStart  # noqa: E402
from engine.trainer import ArrayData, TrainConfig, Trainer  # noqa: E402


def lecture_data(n: int = 10_000, features: int = 7) -> ArrayData:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n + n // 5, features))
    y = np.tanh(X @ rng.normal(size=features)) + 0.1 * rng.normal(size=len(X))
    return ArrayData(X[:n], y[:n], X[n:], y[n:])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--optimizer", default="sgd")
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args(argv)
    K = args.starts
    data = lecture_data()
    graph = sequential(7, [(32, "sigmoid")])
    cfg = TrainConfig(loss="mse", optimizer=args.optimizer, lr=0.01, batch_size=10, epochs=args.epochs,
                      dtype="float32")
    upe = -(-len(data.X_train) // cfg.batch_size) * args.epochs
    print(f"lecture case: N={len(data.X_train)}, 7 → 32 sigmoid → 1, MSE, {args.optimizer} lr 0.01, B=10, "
          f"float32, {args.epochs} epoch(s) = {upe} updates per start; K = {K} starts; {args.repeat} repeats; "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    seq, bat = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for k in range(K):
            c = TrainConfig(**{**cfg.to_dict(), "seed": k})
            t = Trainer(graph, data, c)
            t.run()
        seq.append(K * upe / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        ms = MultiStart(graph, data, cfg, starts=K)
        ms.run()
        bat.append(K * upe / (time.perf_counter() - t0))
    s, b = statistics.median(seq), statistics.median(bat)
    paired = statistics.median(y / x for x, y in zip(seq, bat))   # each repeat ran both, back to back
    print()
    print(f"{'':34}{'sequential':>14}{'batched':>14}{'ratio':>9}")
    print(f"{'start-updates per second (median)':34}{s:>14,.0f}{b:>14,.0f}{b / s:>8.1f}×")
    print(f"{'median of each repeat’s ratio':34}{'':28}{paired:>8.1f}×")
    print(f"{'seconds for all K starts (median)':34}{K * upe / s:>14.3f}{K * upe / b:>14.3f}")
    lo_hi = f"{min(seq):>7,.0f}–{max(seq):<6,.0f}{min(bat):>7,.0f}–{max(bat):<6,.0f}"
    print(f"{'range of start-updates per second':34}{lo_hi}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
