"""The heavy array work of :func:`engine.data.build_dataset`: the feature matrix
assembled block by block (on all cores for big files), standardized in place,
and NumPy's huge-page hint turned off while a build runs.

Pure NumPy; never imports Qt.
"""
from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__: list[str] = []      # private helpers of engine.data


def _standardize(A: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (never 0) of A's columns; A and others standardized in place.

    No temporary copies of A: the arrays can be hundreds of megabytes."""
    mean = A.mean(axis=0) if len(A) else np.zeros(A.shape[1])
    A -= mean
    var = np.einsum("ij,ij->j", A, A) / max(1, len(A))
    std = np.sqrt(var)
    std = np.where(_constant(mean, std), 1.0, std)
    A /= std
    for B in others:
        B -= mean
        B /= std
    return mean, std


def _constant(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Which columns are constant: a spread below 1e-12 of the column's own size (rounding
    noise), judged relative to it, so a feature of values around 1e-13 is not constant.
    Its std is then taken as 1 (the column is only shifted)."""
    return ~np.isfinite(std) | (std <= np.maximum(1e-12 * np.abs(mean), np.finfo(np.float64).tiny * 1e4))


_BLOCK_ROWS = 8192      # rows gathered per block in _assemble (the block stays in cache)


def _assemble(sel: np.ndarray, fill, F: int, n_train: int,
              standardize: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The feature matrix of the examples ``sel`` (training rows first), built once.

    ``fill(buf, s)`` writes the F features of rows ``s`` into ``buf`` (F, len(s)).
    Rows are gathered a cache-sized block at a time and written straight into
    one C-ordered array, so there is no intermediate full-size copy; the
    training rows' mean and variance are accumulated from each block while it
    is in cache, and one in-place pass standardizes. Values are shifted by the
    first training row in float64 before they are stored, so a column far from 0
    relative to its spread (decimal years, timestamps) keeps its precision. Standardized features are float32 — what the
    trainer uses by default, and values of order 1 lose nothing that matters —
    raw features (``standardize=False``) stay float64.

    Returns (X, mean, std); std is never 0 (1.0 for a constant column).
    """
    n = len(sel)
    X = np.empty((n, F), np.float32 if standardize else np.float64)
    shift = None
    if standardize and n_train:             # the first training row (training rows come first)
        first = np.empty((F, 1))
        fill(first, sel[:1])
        shift = first[:, 0].copy()
    sums: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def gather(starts: list[int]) -> None:
        buf = np.empty((F, min(_BLOCK_ROWS, max(n, 1))))
        for start in starts:
            s = sel[start:start + _BLOCK_ROWS]
            b = buf[:, :len(s)]
            fill(b, s)
            if shift is not None:
                b -= shift[:, None]         # in float64: X holds x - shift, so large offsets such
                if start < n_train:         # as decimal years (2012.0027) keep their digits
                    d = b[:, :n_train - start]
                    sums[start] = (d.sum(axis=1), np.einsum("ij,ij->i", d, d))
            X[start:start + len(s)] = b.T

    _on_threads(gather, list(range(0, n, _BLOCK_ROWS)), n * F)
    if shift is None:
        return X, np.zeros(F), np.ones(F)
    s1, s2 = np.zeros(F), np.zeros(F)
    for start in sorted(sums):              # in row order, whatever thread did which block:
        s1 += sums[start][0]                # the same sums on any number of cores
        s2 += sums[start][1]
    m1 = s1 / n_train
    mean = shift + m1
    std = np.sqrt(np.maximum(s2 / n_train - m1 * m1, 0.0))
    std = np.where(_constant(mean, std), 1.0, std)
    m32, inv32 = m1.astype(np.float32), (1.0 / std).astype(np.float32)     # X holds x - shift
    step = 1 << 16

    def scale(starts: list[int]) -> None:   # block by block: one pass over memory
        for start in starts:
            blk = X[start:start + step]
            blk -= m32
            blk *= inv32

    _on_threads(scale, list(range(0, n, step)), n * F)
    return X, mean, std


_THREADED_CELLS = 2_000_000     # below this many cells one thread is quicker than several


def _on_threads(work, starts: list[int], cells: int) -> None:
    """``work(part)`` over consecutive runs of ``starts``, on all cores for big arrays
    (NumPy's gathers and arithmetic release the GIL). The parts write disjoint rows."""
    workers = min(os.cpu_count() or 1, 8, len(starts))
    if workers < 2 or cells < _THREADED_CELLS:
        work(starts)
        return
    size = -(-len(starts) // workers)
    parts = [starts[i:i + size] for i in range(0, len(starts), size)]
    with ThreadPoolExecutor(len(parts), thread_name_prefix="assemble") as pool:
        for f in [pool.submit(work, part) for part in parts]:
            f.result()


_pages_lock = threading.Lock()
_pages_users = 0
_pages_before = True


@contextlib.contextmanager
def _small_pages():
    """NumPy's new arrays of 4 MB and more without its "huge pages, please" hint,
    while any build runs. The build's arrays are written once, right after
    they are allocated; on this kind of machine a huge-page fault on fresh
    memory costs more than the 4 KB faults it saves (``python bench/csv_load.py``:
    a 1,000,000-row build took 0.10-0.29 s with the hint, 0.12-0.16 s without)."""
    global _pages_users, _pages_before
    setter = getattr(getattr(np, "_core", None), "multiarray", None)
    setter = getattr(setter, "_set_madvise_hugepage", None)
    if setter is None:
        yield
        return
    with _pages_lock:
        if _pages_users == 0:
            _pages_before = setter(False)
        _pages_users += 1
    try:
        yield
    finally:
        with _pages_lock:
            _pages_users -= 1
            if _pages_users == 0:
                setter(_pages_before)
