"""How fast does a CSV become training arrays? Prints one table.

    python bench/csv_load.py            # 1,000,000 rows x 20 numeric columns
    python bench/csv_load.py --rows 100000

Each contender reads the same generated file (in a temporary folder) and the
median of --repeat interleaved runs is shown, with peak Python-heap allocation measured
in a separate run under tracemalloc (numpy and pandas report their buffers to it).
numpy.loadtxt is timed on a subset and scaled linearly to the full row count.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.data import DataSpec, build_dataset, read_csv  # noqa: E402


def make_csv(path: Path, rows: int, cols: int, seed: int = 0) -> None:
    """Write rows x cols random numbers with 6 significant digits, in blocks."""
    rng = np.random.default_rng(seed)
    header = ",".join(f"x{j}" for j in range(cols - 1)) + ",y"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "\n")
        block = 100_000
        for start in range(0, rows, block):
            A = rng.standard_normal((min(block, rows - start), cols)) * 100
            np.savetxt(f, A, fmt="%.6g", delimiter=",")


class Waited(float):
    """Seconds a contender measured itself (it cleans up after the clock stopped)."""


def timed_round_robin(fns, repeat: int) -> list[float]:
    """Median seconds of each function; runs interleave so machine load hits all alike."""
    times = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            out = fn()
            elapsed = time.perf_counter() - t
            times[i].append(out if isinstance(out, Waited) else elapsed)
    return [statistics.median(t) for t in times]


def peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def import_view_load(path: Path, spec: DataSpec):
    """What the import view does: CsvLoader reads in its thread (progress, Cancel), the
    build starts when the table is read, while the column charts are still being drawn;
    returns the seconds until the dataset is ready to train (the time a person waits
    for OK); the charts' threads are joined after that, off the clock."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from gui.data.loading import CsvLoader
    QCoreApplication.instance() or QCoreApplication([])
    loader = CsvLoader()
    loop = QEventLoop()
    out = {}
    loader.table_read.connect(lambda table: loader.build(table, spec))
    loader.dataset_built.connect(lambda ds: (out.setdefault("ds", ds), loop.quit()))
    loader.load_failed.connect(lambda msg: (out.setdefault("error", msg), loop.quit()))
    loader.build_failed.connect(lambda msg: (out.setdefault("error", msg), loop.quit()))
    t0 = time.perf_counter()
    QTimer.singleShot(0, lambda: loader.load(str(path)))
    loop.exec()
    waited = Waited(time.perf_counter() - t0)
    loader.shutdown()                       # the charts may still be drawing: off the clock
    if "error" in out:
        raise RuntimeError(out["error"])
    return waited


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--loadtxt-rows", type=int, default=100_000)
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        sub = Path(tmp) / "subset.csv"
        t = time.perf_counter()
        make_csv(path, args.rows, args.cols)
        sub_rows = min(args.loadtxt_rows, args.rows)
        with open(path, encoding="utf-8") as src, open(sub, "w", encoding="utf-8") as dst:
            for _ in range(sub_rows + 1):
                dst.write(src.readline())
        size_mb = path.stat().st_size / 1e6
        print(f"file: {args.rows:,} rows x {args.cols} numeric columns, {size_mb:.0f} MB "
              f"(written in {time.perf_counter() - t:.1f} s); median of {args.repeat} runs")

        spec = DataSpec(target="y", val_fraction=0.2)
        scale = args.rows / sub_rows
        contenders = [
            ("pandas.read_csv (bare)", lambda: pd.read_csv(path), 1.0),
            ("pandas.read_csv float32", lambda: pd.read_csv(path, dtype=np.float32), 1.0),
            (f"numpy.loadtxt ({sub_rows:,} rows, x{scale:g})",
             lambda: np.loadtxt(sub, delimiter=",", skiprows=1), scale),
            ("engine read_csv", lambda: read_csv(path), 1.0),
            ("engine read_csv (progress + cancel)",
             lambda: read_csv(path, progress=lambda f: None, cancel=lambda: False), 1.0),
            ("engine read_csv + build_dataset", lambda: build_dataset(read_csv(path), spec), 1.0),
            ("engine read_csv + build (progress + cancel)",
             lambda: build_dataset(read_csv(path, progress=lambda f: None, cancel=lambda: False), spec),
             1.0),
            ("import view: CsvLoader until ready to train", lambda: import_view_load(path, spec), 1.0),
        ]
        medians = timed_round_robin([fn for _, fn, _ in contenders], args.repeat)
        results = []
        for (name, fn, factor), seconds in zip(contenders, medians):
            mem = None if args.no_memory or factor != 1.0 else peak_mb(fn)
            results.append((name, seconds * factor, mem))

    base = results[0][1]
    print(f"{'what':<44}{'seconds':>9}{'x pandas':>10}{'peak MB':>10}")
    for name, seconds, mem in results:
        mem_s = "-" if mem is None else f"{mem:.0f}"
        print(f"{name:<44}{seconds:>9.3f}{seconds / base:>10.2f}{mem_s:>10}")
    ready = results[-1][1]
    data_mb = args.rows * args.cols * 8 / 1e6
    print(f"target (issue 5, the import view's row): ready to train < 1.5 s and <= 1.5x pandas -> {ready:.2f} s, "
          f"{ready / base:.2f}x; one float64 copy of the data is {data_mb:.0f} MB")


if __name__ == "__main__":
    main()
