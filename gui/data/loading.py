"""Loading a CSV file off the GUI thread: a preview first, then the whole table,
then datasets built from it on request.

The work itself is plain functions of the engine (``sniff_csv``, ``read_csv``,
``build_dataset``) plus :func:`profile_table`; :class:`CsvLoader` runs them in
Python threads and hands their results to the GUI thread through queued Qt
signals. Every job carries a ticket; a result whose ticket is no longer the
current one is dropped, so starting a new load (or a new build) silently
supersedes the previous one, and :meth:`CsvLoader.cancel` really stops a read
between two chunks (``read_csv``'s ``cancel`` callback).

Signals, in the order a person sees them for one load::

    load_started(path) → preview_ready(dict) → columns_guessed(list) → progress_changed(float)* →
    table_read(Table) → table_loaded(LoadedTable) | load_failed(str) | load_cancelled()

``columns_guessed`` carries the columns typed from the preview rows by the engine's rules
(:func:`engine.table.type_rows`, a second for 1,000 columns: computed here, not in the view).

``table_read`` comes as soon as the file is parsed (a dataset can be built
from it at once); ``table_loaded`` follows when the column charts (profiles)
are computed. The preview dict carries ``has_header``: the header setting
used (given, or detected: a first line of numbers only is data).

and for a build::

    build_started() → dataset_built(Dataset) | build_failed(str)
"""
from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.data import Cancelled, DataError, DataSpec, Table, build_dataset, is_number, read_csv, sniff_csv
from engine.table import type_rows

from gui.common.gui_call import call_in_gui, ensure_gui_caller

__all__ = ["ColumnProfile", "LoadedTable", "CsvLoader", "guess_columns", "profile_table"]

HIST_BINS = 20
SPARK_POINTS = 120
TOP_CATEGORIES = 12


@dataclass
class ColumnProfile:
    """What the import view shows for one column, computed off the GUI thread.

    ``hist`` holds bar heights: a histogram of the values for a number column
    (``HIST_BINS`` bins from ``low`` to ``high``), or the counts of the most
    frequent values for a text column (``labels`` names them, most frequent first).
    A date column's histogram is over its decimal years (one bar per year when
    the dates are whole years that fit in ``HIST_BINS``); ``labels`` holds its
    earliest and latest text, ``low``/``high`` the decimal years.
    ``spark`` is the column over the rows, averaged down to ``SPARK_POINTS``
    values (NaN where a block has no value); None for text.
    """

    name: str
    kind: str                  # "number" | "text" | "date"
    missing: int
    n_unique: int
    hist: np.ndarray
    labels: list[str]
    low: float = float("nan")
    high: float = float("nan")
    mean: float = float("nan")
    spark: np.ndarray | None = None
    date_format: str | None = None
    whole_years: bool = False  # a date column whose every value is a 1 January

    def describe(self) -> str:
        """One short line, e.g. ``8 … 46.6, mean 23.5``, ``3 values: USA, Japan, Europe``
        or, for dates, ``1970 … 1982, 12 dates`` / ``2012/01/01 … 2015/12/31, 1,461 dates``."""
        if self.kind == "date":
            if not np.isfinite(self.low):
                return "no dates"
            if self.whole_years:
                span = f"{int(self.low)} … {int(self.high)}"
            else:
                span = f"{self.labels[0]} … {self.labels[1]}"
            return f"{span}, {self.n_unique:,} date{'s' if self.n_unique != 1 else ''}"
        if self.kind == "number":
            if not np.isfinite(self.low):
                return "no values"
            return f"{_num(self.low)} … {_num(self.high)}, mean {_num(self.mean)}"
        shown = ", ".join(self.labels[:4])
        more = "…" if self.n_unique > 4 else ""
        return f"{self.n_unique} value{'s' if self.n_unique != 1 else ''}: {shown}{more}"


def _num(v: float) -> str:
    return f"{v:.4g}"


@dataclass
class LoadedTable:
    table: Table
    profiles: list[ColumnProfile]
    seconds: float = 0.0


def profile_table(table: Table) -> list[ColumnProfile]:
    """Histograms, value counts and sparklines of every column (vectorized, columns
    in parallel threads: numpy releases the GIL; ~5 ms per million-value column)."""
    cols = table.columns
    if table.n_rows >= 100_000 and len(cols) > 1:
        with ThreadPoolExecutor(min(len(cols), os.cpu_count() or 1, 8)) as pool:
            return list(pool.map(lambda c: _profile(table, c), cols))
    return [_profile(table, c) for c in cols]


def _profile(table: Table, col) -> ColumnProfile:
    s = table.frame[col.name]
    n = table.n_rows
    if col.kind == "date":
        return _date_profile(table, col)
    if col.kind != "number":
        counts = s.value_counts(dropna=True)
        top = counts.iloc[:TOP_CATEGORIES]
        return ColumnProfile(col.name, "text", col.missing, col.n_unique,
                             top.to_numpy(np.int64), [str(v) for v in top.index])
    a = s.to_numpy(dtype=np.float64, copy=False)
    lo = hi = float("nan")
    if col.missing == 0 and n:
        lo, hi = float(a.min()), float(a.max())
    finite = a if np.isfinite(lo) and np.isfinite(hi) else a[np.isfinite(a)]
    if len(finite):
        lo, hi = float(finite.min()), float(finite.max())
        hist, _ = np.histogram(finite, bins=HIST_BINS, range=(lo, hi if hi > lo else lo + 1))
        mean = float(finite.mean())
    else:
        lo = hi = mean = float("nan")
        hist = np.zeros(HIST_BINS, np.int64)
    spark = _sparkline(a, n, all_finite=finite is a)
    return ColumnProfile(col.name, "number", col.missing, col.n_unique, hist, [], lo, hi, mean, spark)


def _date_profile(table: Table, col) -> ColumnProfile:
    years = table.dates[col.name]
    ok = np.isfinite(years)
    hist = np.zeros(HIST_BINS, np.int64)
    lo = hi = mean = float("nan")
    labels: list[str] = []
    whole = False
    if ok.any():
        finite = years[ok]
        i_lo, i_hi = int(np.nanargmin(years)), int(np.nanargmax(years))
        lo, hi, mean = float(years[i_lo]), float(years[i_hi]), float(finite.mean())
        text = table.frame[col.name]
        labels = [str(text.iloc[i_lo]), str(text.iloc[i_hi])]
        whole = bool(np.all(finite == np.round(finite)))
        if whole and hi - lo + 1 <= HIST_BINS:         # one bar per year
            hist, _ = np.histogram(finite, bins=int(hi - lo) + 1, range=(lo - 0.5, hi + 0.5))
        else:
            hist, _ = np.histogram(finite, bins=HIST_BINS, range=(lo, hi if hi > lo else lo + 1))
    return ColumnProfile(col.name, "date", col.missing, col.n_unique, hist, labels, lo, hi, mean,
                         _sparkline(years, table.n_rows, all_finite=bool(ok.all())),
                         getattr(col, "date_format", None), whole)


def guess_columns(preview: dict) -> list:
    """Columns typed from the preview rows alone, by the engine's rules (so the types
    shown while the file is read are the ones it will have)."""
    return type_rows(preview["header"], preview["rows"], preview.get("delimiter", ","))


def _resplit(preview: dict, path: str, delimiter: str, header: bool) -> dict:
    """The preview's rows split with a delimiter the person chose (not the detected one)."""
    import csv
    with open(path, encoding=preview["encoding"], errors="replace", newline="") as f:
        rows = []
        for rec in csv.reader(f, delimiter=delimiter):
            if rec and any(c.strip() for c in rec):
                rows.append(rec)
            if len(rows) > 50:
                break
    if header:
        names = [h.strip() for h in rows[0]] if rows else []
        rows = rows[1:]
    else:
        names = [f"column {i + 1}" for i in range(len(rows[0]) if rows else 0)]
    return dict(preview, delimiter=delimiter, header=names, rows=rows[:50])


def _sparkline(a: np.ndarray, n: int, all_finite: bool = False) -> np.ndarray | None:
    if n == 0:
        return None
    points = min(SPARK_POINTS, n)
    edges = np.linspace(0, n, points + 1).astype(np.int64)
    if all_finite:
        return np.add.reduceat(a, edges[:-1]) / np.diff(edges)
    finite = np.isfinite(a)
    sums = np.add.reduceat(np.where(finite, a, 0.0), edges[:-1])
    counts = np.add.reduceat(finite.astype(np.int64), edges[:-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


BUILD_FIRST_WAIT = 0.25    # s: how long the charts wait for the view to ask for a dataset
BUILD_FIRST_MAX = 5.0      # s: ... and at most this long for that build to finish


def _wait(event: threading.Event, seconds: float, stop: threading.Event) -> bool:
    """Wait for ``event`` at most ``seconds``, giving up at once when ``stop`` is set."""
    deadline = time.monotonic() + seconds
    while not event.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
        if stop.is_set() or time.monotonic() >= deadline:
            return False
    return True


class CsvLoader(QObject):
    """Runs CSV reads and dataset builds in background threads; results arrive as signals.

    ``load()`` starts a read (cancelling any read in progress); ``build()``
    asks for a dataset from a loaded table — only the latest request counts,
    and at most one build runs at a time. ``shutdown()`` stops and joins every
    thread (call it before the owner goes away).
    """

    load_started = Signal(str)
    preview_ready = Signal(object)          # sniff_csv's dict + "has_header"
    columns_guessed = Signal(object)        # list[Column] typed from the preview rows
    table_read = Signal(object)             # engine.data.Table, before its profiles
    progress_changed = Signal(float)        # 0 … 1
    table_loaded = Signal(object)           # LoadedTable
    load_failed = Signal(str)
    load_cancelled = Signal()
    build_started = Signal()
    dataset_built = Signal(object)          # engine.data.Dataset
    build_failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        ensure_gui_caller()
        self._load_ticket = 0
        self._load_stop: threading.Event | None = None
        self._threads: list[threading.Thread] = []
        self._build_ticket = 0
        self._build_lock = threading.Lock()
        self._build_pending: tuple[int, Table, DataSpec] | None = None
        self._build_thread: threading.Thread | None = None
        # the column charts wait for the first build: "ready to train" comes first
        self._build_asked = threading.Event()
        self._build_idle = threading.Event()
        self._build_idle.set()
        self.loading = False
        self.building = False
        self.last_error: DataError | None = None    # why the last load failed

    # -- reading ---------------------------------------------------------------------
    def load(self, path: str, delimiter: str | None = None, encoding: str | None = None,
             header: bool | None = None, skip_bad_lines: bool = False) -> int:
        """Read ``path`` in the background; returns the job's ticket.

        ``header`` None: detect (a first line made only of numbers is data).
        ``skip_bad_lines``: rows with the wrong number of fields are kept empty and
        counted (``Table.bad_lines``) instead of failing the read. After
        ``load_failed``, :attr:`last_error` holds the DataError (e.g. a
        :class:`~engine.data.RaggedRowsError` naming the line)."""
        self.cancel()
        self.last_error = None
        self._load_ticket += 1
        ticket = self._load_ticket
        stop = threading.Event()
        self._load_stop = stop
        self._build_asked.clear()
        self.loading = True
        self.load_started.emit(str(path))
        self._start(self._run_load, ticket, str(path), delimiter, encoding, header, bool(skip_bad_lines), stop)
        return ticket

    def cancel(self) -> None:
        """Stop the read in progress (if any); ``load_cancelled`` follows once it stopped."""
        if self._load_stop is not None:
            self._load_stop.set()

    def _safe(self, handler):
        """A reporter for worker threads: ``handler`` runs on the GUI thread (no Qt call in
        the thread, see gui.common.gui_call), and not at all once this loader is gone."""
        def report(*args) -> None:
            call_in_gui(handler, *args, owner=self)
        return report

    def _run_load(self, ticket: int, path: str, delimiter, encoding, header, skip_bad_lines: bool,
                  stop: threading.Event) -> None:
        emit = self._safe(self._on_load_event)
        t0 = time.perf_counter()
        try:
            preview = sniff_csv(path, n_lines=50, encoding=encoding)
            if header is None:
                header = not (preview["header"] and all(is_number(h) for h in preview["header"]))
            if not header:
                preview = sniff_csv(path, n_lines=50, encoding=encoding, header=False)
            if delimiter and delimiter != preview["delimiter"]:
                preview = _resplit(preview, path, delimiter, header)
            preview["has_header"] = header
            emit(ticket, "preview", preview)
            if preview["header"]:
                emit(ticket, "guessed", guess_columns(preview))
            shown = [-1]

            def progress(fraction: float) -> None:
                pct = int(fraction * 100)
                if pct != shown[0]:         # only when the shown value changes
                    shown[0] = pct
                    emit(ticket, "progress", fraction)

            table = read_csv(path, delimiter=delimiter, encoding=encoding, progress=progress,
                             cancel=stop.is_set, header=header, skip_bad_lines=skip_bad_lines)
            if stop.is_set():
                raise Cancelled("cancelled")
            emit(ticket, "table", table)
            # the view asks for a dataset at once: let that build have the cores first
            if _wait(self._build_asked, BUILD_FIRST_WAIT, stop):
                _wait(self._build_idle, BUILD_FIRST_MAX, stop)
            if stop.is_set():
                raise Cancelled("cancelled")
            profiles = profile_table(table)
            emit(ticket, "loaded", LoadedTable(table, profiles, time.perf_counter() - t0))
        except Cancelled:
            emit(ticket, "cancelled", None)
        except DataError as exc:
            emit(ticket, "failed", exc)
        except MemoryError:
            emit(ticket, "failed", f"{path} is too large to load into memory")
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die silently
            emit(ticket, "failed", f"could not read {path}: {type(exc).__name__}: {exc}")

    def _on_load_event(self, ticket: int, event: str, payload) -> None:
        if ticket != self._load_ticket:
            return                          # a superseded job
        if event == "preview":
            self.preview_ready.emit(payload)
        elif event == "guessed":
            self.columns_guessed.emit(payload)
        elif event == "table":
            self.table_read.emit(payload)
        elif event == "progress":
            self.progress_changed.emit(float(payload))
        else:
            self.loading = False
            self._load_stop = None
            if event == "loaded":
                self.table_loaded.emit(payload)
            elif event == "cancelled":
                self.load_cancelled.emit()
            else:
                self.last_error = payload if isinstance(payload, DataError) else None
                self.load_failed.emit(str(payload))

    # -- building --------------------------------------------------------------------
    def build(self, table: Table, spec: DataSpec) -> int:
        """Build a dataset in the background; supersedes any earlier request."""
        self._build_ticket += 1
        ticket = self._build_ticket
        self.building = True
        self.build_started.emit()
        self._build_asked.set()
        with self._build_lock:
            self._build_idle.clear()
            self._build_pending = (ticket, table, spec)
            running = self._build_thread is not None and self._build_thread.is_alive()
            if not running:
                self._build_thread = self._start(self._run_builds)
        return ticket

    def forget_builds(self) -> None:
        """Drop any build in flight (its result will be ignored)."""
        self._build_ticket += 1
        self.building = False
        with self._build_lock:
            self._build_pending = None

    def _run_builds(self) -> None:
        while True:
            with self._build_lock:
                job = self._build_pending
                self._build_pending = None
                if job is None:
                    self._build_thread = None
                    self._build_idle.set()
                    return
            ticket, table, spec = job
            if ticket != self._build_ticket:
                continue
            emit = self._safe(self._on_build_event)
            try:
                dataset = build_dataset(table, spec)
            except DataError as exc:
                emit(ticket, "failed", str(exc))
            except MemoryError:
                emit(ticket, "failed", "not enough memory to build the dataset")
            except Exception as exc:  # noqa: BLE001 - shown to the person, never a traceback
                emit(ticket, "failed", f"{type(exc).__name__}: {exc}")
            else:
                emit(ticket, "built", dataset)

    def _on_build_event(self, ticket: int, event: str, payload) -> None:
        if ticket != self._build_ticket:
            return
        self.building = False
        if event == "built":
            self.dataset_built.emit(payload)
        else:
            self.build_failed.emit(payload)

    # -- threads ---------------------------------------------------------------------
    def _start(self, fn, *args) -> threading.Thread:
        self._threads = [t for t in self._threads if t.is_alive()]
        t = threading.Thread(target=fn, args=args, name="csv-loader", daemon=True)
        self._threads.append(t)
        t.start()
        return t

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel everything and wait for the threads; later results are ignored."""
        self.cancel()
        self._load_ticket += 1
        self.forget_builds()
        self.loading = False
        for t in self._threads:
            t.join(timeout)
        self._threads = [t for t in self._threads if t.is_alive()]
