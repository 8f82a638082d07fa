"""CSV file → a pandas frame of its cells, read fast, with progress and Cancel.

Pure NumPy/pandas; never imports Qt. :func:`engine.table.read_csv` types the
frame read here into a :class:`~engine.table.Table`.

Every problem a user can cause (missing, empty, binary or non-UTF-8 file,
ragged rows, no header) raises :class:`DataError` with one specific line of
text, fit for a status bar or the CLI's stderr.

Rows with the wrong number of fields: ``read_raw(..., skip_bad_lines=True)``
reads the file without them and keeps each as a row whose every cell is
missing (so a series keeps its spacing); ``RawCsv.bad_rows`` /
``RawCsv.bad_lines`` name them. Without it such a file raises :class:`RaggedRowsError`.

A big file is parsed as pieces on all cores, as ``pandas.read_csv`` does for
a path, but through watched reads that report progress and stop on Cancel
(see :func:`read_raw` and bench/csv_load.py). The first look at a file (its
encoding, delimiter and first rows) and the errors are :mod:`engine.csv_sniff`.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .csv_sniff import (NA_VALUES, Cancelled, DataError, RaggedRowsError, _blank, _display, _not_utf8, ascii_compatible,
                        check_encoding, check_unique_names, csv_error, is_binary, is_number, sniff_csv)

__all__ = ["NA_VALUES", "Cancelled", "DataError", "RaggedRowsError", "RawCsv", "is_number", "read_raw",
           "sniff_csv"]


def _ragged_line(path: Path, delimiter: str, encoding: str, n_cols: int,
                 last_row: int | None = None) -> tuple[int, int] | None:
    """First (line number, field count) whose record length differs from the header's.

    Slow (Python csv module); only runs when pandas hinted at a ragged row.
    Stops after data row ``last_row`` if given.
    """
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        start, data_row = 1, -1
        for rec in reader:
            if _blank(rec):
                start = reader.line_num + 1
                continue
            if len(rec) != n_cols and data_row >= 0:
                return start, len(rec)
            data_row += 1
            if last_row is not None and data_row > last_row:
                return None
            start = reader.line_num + 1
    return None


def _first_record(path: Path, delimiter: str, encoding: str) -> list[str]:
    try:
        with open(path, encoding=encoding, newline="") as f:
            for rec in csv.reader(f, delimiter=delimiter):
                if not _blank(rec):
                    return [h.strip() for h in rec]
    except UnicodeDecodeError:
        return []           # read_csv reports the encoding problem
    return []


def _header_width(path: Path, delimiter: str, encoding: str) -> int:
    return len(_first_record(path, delimiter, encoding))


def _ragged_error(path: Path, line: int, got: int, n_cols: int) -> RaggedRowsError:
    return RaggedRowsError(f"{_display(path)} line {line} has {got} fields but the header has "
                           f"{n_cols}; every row needs the same number of fields", line, got, n_cols)


PARALLEL_MIN_BYTES = 8 << 20    # smaller files are read in one piece (threads would cost more)
PART_BYTES = 4 << 20            # about this much per piece, at most MAX_PARTS pieces
MAX_PARTS = 16


class _Abandoned(Exception):
    """A piece gave up because another piece failed (the file is then read in one piece)."""


class _Watch:
    """Progress and Cancel shared by the pieces of one read (any thread may call it)."""

    def __init__(self, size: int, progress, cancel) -> None:
        self._size, self._progress, self._cancel = max(1, size), progress, cancel
        self._lock = threading.Lock()
        self._done = 0
        self._shown = -1.0
        self.stopped = False
        self.abandoned = False          # a piece failed: the others need not finish

    def check(self) -> None:
        if self.abandoned:
            raise _Abandoned()
        if self.stopped or (self._cancel is not None and self._cancel()):
            self.stopped = True
            raise Cancelled("cancelled")

    def restart(self) -> None:
        """Count from zero again (a second read after a failed one); what was shown stays."""
        with self._lock:
            self._done = 0
            self.abandoned = False

    def advance(self, n: int) -> None:
        if self._progress is None:
            return
        with self._lock:                       # one caller at a time: the fractions only rise
            self._done += n
            done = round(min(self._done / self._size, 0.99), 2)
            if done > self._shown:
                self._shown = done
                self._progress(done)


class _WatchedFile(io.RawIOBase):
    """Bytes ``[start, end)`` of a file; every ``read`` reports progress and may be cancelled.

    pandas' C parser pulls the file through ``read`` in blocks of about 256 KB,
    so a fast read still gets progress and a Cancel that stops it within a block."""

    def __init__(self, path: Path, start: int, end: int, watch: _Watch, text_bytes: bool = True) -> None:
        super().__init__()
        self._path = path
        self._text_bytes = text_bytes           # ASCII-compatible: a NUL byte means binary
        self._fh = open(path, "rb", buffering=0)
        self._fh.seek(start)
        self._left = end - start
        self._watch = watch

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        self._watch.check()
        if self._left <= 0:
            return 0
        n = self._fh.readinto(memoryview(b)[:self._left]) or 0
        if self._text_bytes and is_binary(memoryview(b)[:n].tobytes()):
            raise DataError(f"{_display(self._path)} is a binary file, not CSV text (a NUL byte)")
        self._left -= n
        self._watch.advance(n)
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _cut_points(path: Path, size: int, parts: int) -> list[int]:
    """Byte offsets that split the file into ``parts`` pieces, each ending after a newline."""
    cuts = [0]
    with open(path, "rb") as f:
        for i in range(1, parts):
            f.seek(size * i // parts)
            f.readline()                        # to the end of the line the offset fell in
            pos = f.tell()
            if cuts[-1] < pos < size:
                cuts.append(pos)
    cuts.append(size)
    return cuts


def _parse(path: Path, start: int, end: int, watch: _Watch, kw: dict) -> pd.DataFrame:
    with _WatchedFile(path, start, end, watch, ascii_compatible(kw.get("encoding") or "utf-8")) as raw:
        return pd.read_csv(io.BufferedReader(raw, 1 << 18), **kw)


def _parse_piece(path: Path, start: int, end: int, watch: _Watch, kw: dict) -> pd.DataFrame:
    """One piece; if it fails, the other pieces stop at their next block."""
    try:
        return _parse(path, start, end, watch, kw)
    except Cancelled:
        raise
    except Exception:
        watch.abandoned = True
        raise


def _read_parts(path: Path, size: int, kw: dict, watch: _Watch, workers: int) -> pd.DataFrame | None:
    """The file read as pieces on ``workers`` threads (pandas' parser releases the GIL),
    joined in order; None if the pieces cannot be trusted to equal one read (a quoted
    field spanning a cut, a ragged row, ...): the caller then reads it in one piece."""
    cuts = _cut_points(path, size, min(MAX_PARTS, max(2, size // PART_BYTES)))
    if len(cuts) < 3:
        return None
    try:
        names = list(pd.read_csv(path, nrows=0, **kw).columns)
    except Exception:  # noqa: BLE001 - the one-piece read reports it properly
        return None
    rest = {**kw, "header": None, "names": names}
    with ThreadPoolExecutor(min(workers, len(cuts) - 1), thread_name_prefix="csv-part") as pool:
        futures = [pool.submit(_parse_piece, path, a, b, watch, kw if i == 0 else rest)
                   for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:]))]
        parts, failed = [], False
        for fut in futures:
            try:
                parts.append(fut.result())
            except Cancelled:
                watch.stopped = True            # the other pieces stop at their next block
                for f in futures:
                    f.cancel()
                raise
            except Exception:  # noqa: BLE001 - judged by the one-piece read
                failed = True
    if failed or any(not (isinstance(p.index, pd.RangeIndex) and p.index.start == 0 and p.index.step == 1)
                     or list(p.columns) != names for p in parts):
        return None
    return _join(parts, names, workers)


def _join(parts: list[pd.DataFrame], names: list[str], workers: int) -> pd.DataFrame:
    """The pieces one under the other. All numbers (the big files): copied into one
    block by all threads at once — a fresh 160 MB block costs more in page faults
    than in copying, and ``pd.concat`` took 0.03–0.3 s on one thread."""
    if not all(p[c].dtype == np.float64 for p in parts for c in names):
        return pd.concat(parts, ignore_index=True)
    ends = np.cumsum([0] + [len(p) for p in parts])
    block = np.empty((len(names), int(ends[-1])))

    def copy(i: int) -> None:
        part = parts[i]
        for j, name in enumerate(names):
            block[j, ends[i]:ends[i + 1]] = part[name].to_numpy()
    with ThreadPoolExecutor(min(workers, len(parts)), thread_name_prefix="csv-join") as pool:
        for f in [pool.submit(copy, i) for i in range(len(parts))]:
            f.result()
    return pd.DataFrame(block.T, columns=names, copy=False)


def _read_frame(path: Path, kw: dict, progress, cancel) -> pd.DataFrame:
    """One pandas C-engine read of the whole file, through watched pieces.

    Files of PARALLEL_MIN_BYTES and more are read as pieces on all cores, as
    ``pandas.read_csv`` does for a path — but with progress and Cancel (see
    bench/csv_load.py); the pieces are cut after a newline, so a piece that
    starts inside a quoted field fails and the file is read in one piece."""
    size = path.stat().st_size
    workers = min(os.cpu_count() or 1, 8)
    watch = _Watch(size, progress, cancel)
    try:
        if size >= PARALLEL_MIN_BYTES and workers > 1 and ascii_compatible(kw["encoding"]):
            frame = _read_parts(path, size, kw, watch, workers)
            if frame is not None:
                return frame
            watch.restart()
        return _parse(path, 0, size, watch, kw)
    except Cancelled:
        raise Cancelled(f"loading {_display(path)} was cancelled") from None


def _mixed_columns(frame: pd.DataFrame) -> list[str]:
    """Object columns that hold more than text (pandas typed parts of them differently)."""
    out = []
    for name in frame.columns:
        s = frame[name]
        if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
            out.append(name)
    return out


@dataclass
class RawCsv:
    """A file's cells as pandas read them (not yet typed), how they were read, and
    the rows left empty for having the wrong number of fields."""

    frame: pd.DataFrame
    delimiter: str
    encoding: str
    bad_rows: np.ndarray        # rows kept empty (positions among the data rows)
    bad_lines: np.ndarray       # their 1-based lines


def read_raw(path, delimiter: str | None = None, encoding: str | None = None,
             progress: Callable[[float], object] | None = None,
             cancel: Callable[[], bool] | None = None, header: bool = True,
             skip_bad_lines: bool = False) -> RawCsv:
    """Read a CSV file's cells (see :func:`engine.table.read_csv`, which types them).

    The delimiter (, ; tab) and encoding (UTF-8 with or without BOM) are detected
    unless given; empty cells and :data:`NA_VALUES` are missing. ``progress(fraction)``
    is called as it goes (never 1.0: the caller says when it is done) and
    ``cancel() -> bool`` stops it (:class:`Cancelled`). A row with more or fewer
    fields than the header raises :class:`RaggedRowsError` unless ``skip_bad_lines``.
    """
    try:
        return _read_raw(Path(path), delimiter, encoding, progress, cancel, header, skip_bad_lines)
    except csv.Error as exc:            # "field larger than field limit", a NUL in a quoted field
        raise csv_error(Path(path), exc) from None


def _read_raw(path: Path, delimiter, encoding, progress, cancel, header: bool, skip_bad_lines: bool) -> RawCsv:
    if encoding is not None:
        check_encoding(encoding)
    preview = sniff_csv(path, n_lines=20, encoding=encoding, header=header)
    delimiter = delimiter or preview["delimiter"]
    if len(delimiter) != 1:
        raise DataError(f"delimiter must be one character, not {delimiter!r}")
    encoding = encoding or preview["encoding"]
    names = preview["header"] if delimiter == preview["delimiter"] else \
        _first_record(path, delimiter, encoding)
    if header and names and all(is_number(h) for h in names):
        raise DataError(f"{_display(path)} has no header row: its first line "
                        f"({', '.join(names[:5])}) looks like data; add a line of column names "
                        f"or read it without a header")
    if header:
        check_unique_names(path, names)
    if cancel is not None and cancel():
        raise Cancelled(f"loading {_display(path)} was cancelled")

    kw = dict(sep=delimiter, encoding=encoding, engine="c", keep_default_na=False,
              na_values=NA_VALUES, skip_blank_lines=True)
    if not header:
        width = _header_width(path, delimiter, encoding)
        kw.update(header=None, names=[f"column {i + 1}" for i in range(width)])
    rising = _rising(progress)
    bad_rows = bad_lines = np.zeros(0, np.int64)
    try:
        frame = _read_checked(path, path, kw, rising, cancel, header)
    except RaggedRowsError:
        if not skip_bad_lines:
            raise
        with tempfile.TemporaryDirectory(prefix="netcanvas-csv-") as tmp:
            clean = Path(tmp) / "rows.csv"
            try:
                bad_rows, bad_lines, n_good = _copy_good_records(path, clean, delimiter, encoding,
                                                                 header, cancel)
            except UnicodeDecodeError:
                raise _not_utf8(path) if codecs.lookup(encoding).name.startswith("utf-8") else \
                    DataError(f"{_display(path)} cannot be decoded as {encoding}") from None
            if n_good == 0:
                raise DataError(f"every data row of {_display(path)} has a different number of fields "
                                f"than the header; check the delimiter") from None
            frame = _read_checked(path, clean, dict(kw, encoding="utf-8"), rising, cancel, header)
        frame = _with_empty_rows(frame, bad_rows)
    return RawCsv(frame, delimiter, encoding, bad_rows, bad_lines)


def _rising(progress):
    """``progress`` called only with fractions above the last one (a second read
    after a ragged row is found does not make the bar go back)."""
    if progress is None:
        return None
    shown = [-1.0]

    def report(fraction: float) -> None:
        if fraction > shown[0]:
            shown[0] = fraction
            progress(fraction)
    return report


def _read_checked(path: Path, source: Path, kw: dict, progress, cancel, header: bool) -> pd.DataFrame:
    """The frame of ``source`` (``path`` itself, or a copy of it without its ragged
    rows), every record checked to have the header's number of fields.
    Messages name ``path``."""
    delimiter, encoding = kw["sep"], kw["encoding"]
    try:
        try:
            frame = _read_frame(source, kw, progress, cancel)
        except pd.errors.DtypeWarning:      # only when warnings are errors
            frame = pd.read_csv(source, low_memory=False, **kw)
        mixed = _mixed_columns(frame)
        if mixed:                           # re-read those columns as the text they are
            frame = pd.read_csv(source, dtype={m: str for m in mixed}, **kw)
    except Cancelled:
        raise Cancelled(f"loading {_display(path)} was cancelled") from None
    except UnicodeDecodeError:
        if codecs.lookup(encoding).name.startswith("utf-8"):
            raise _not_utf8(path) from None
        raise DataError(f"{_display(path)} cannot be decoded as {encoding}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{_display(path)} is empty") from None
    except pd.errors.ParserError as e:
        n_cols = _header_width(source, delimiter, encoding)
        found = _ragged_line(source, delimiter, encoding, n_cols)
        if found:
            raise _ragged_error(path, found[0], found[1], n_cols) from None
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m:
            raise _ragged_error(path, int(m[2]), int(m[3]), int(m[1])) from None
        raise DataError(f"{_display(path)} is not a valid CSV file: "
                        f"{str(e).splitlines()[-1]}") from None
    except OSError as e:
        raise DataError(f"cannot read {_display(path)}: {e.strerror or e}") from None

    n_cols = frame.shape[1]
    idx = frame.index
    if not (isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1):
        # pandas took a first column as the index: the first data row has an extra field
        found = _ragged_line(source, delimiter, encoding, n_cols)
        line, got = found if found else (2, n_cols + 1)
        raise _ragged_error(path, line, got, n_cols)
    if len(frame) == 0:
        raise DataError(f"{_display(path)} has a header row but no data rows")
    if n_cols > 1:
        # pandas fills short rows with missing cells; tell them apart from empty cells
        short = np.flatnonzero(frame.iloc[:, -1].isna().to_numpy())
        if len(short):
            found = _ragged_line(source, delimiter, encoding, n_cols,
                                 last_row=int(short[-1]) + (0 if header else 1))
            if found:
                raise _ragged_error(path, found[0], found[1], n_cols)
    return frame


def _copy_good_records(path: Path, dest: Path, delimiter: str, encoding: str, header: bool,
                       cancel) -> tuple[np.ndarray, np.ndarray, int]:
    """Copy ``path`` to ``dest`` (UTF-8) without the records whose number of fields
    differs from the first record's (the header, or the first data row).

    Returns (data-row positions of the left-out records, the 1-based line each
    starts on, how many data records were kept). Python's csv module reads the
    records, so a quoted field may span lines; blank lines are kept (pandas skips them).
    """
    bad_rows: list[int] = []
    bad_lines: list[int] = []
    with open(path, encoding=encoding, newline="") as src, \
            open(dest, "w", encoding="utf-8", newline="") as out:
        pending: list[str] = []

        def lines():
            for line in src:
                pending.append(line)
                yield line
        reader = csv.reader(lines(), delimiter=delimiter)
        n_cols, row, start, kept = None, 0, 1, 0
        for rec in reader:
            text = "".join(pending)
            pending.clear()
            if _blank(rec):
                out.write(text)
            elif n_cols is None:                    # the header, or the first data row
                n_cols = len(rec)
                out.write(text)
                if not header:
                    row, kept = 1, 1
            else:
                if len(rec) == n_cols:
                    out.write(text)
                    kept += 1
                else:
                    bad_rows.append(row)
                    bad_lines.append(start)
                row += 1
                if cancel is not None and row % 4096 == 0 and cancel():
                    raise Cancelled(f"loading {_display(path)} was cancelled")
            start = reader.line_num + 1
    return np.asarray(bad_rows, np.int64), np.asarray(bad_lines, np.int64), kept


def _with_empty_rows(frame: pd.DataFrame, bad_rows: np.ndarray) -> pd.DataFrame:
    """``frame`` with an all-missing row put back at each of ``bad_rows`` (positions in the file)."""
    n = len(frame) + len(bad_rows)
    good = np.ones(n, bool)
    good[bad_rows] = False
    frame.index = np.flatnonzero(good)
    return frame.reindex(pd.RangeIndex(n))
