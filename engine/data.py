"""CSV file → :class:`Table` → :class:`Dataset` (roles, lags, split, normalization).

Pure NumPy/pandas; never imports Qt.

    table = read_csv("weather.csv")                     # typed columns, one fast C read
    spec = DataSpec(target="temp_max", series="temp_max", lags=7, split="chronological")
    ds = build_dataset(table, spec)                     # X_train (N, F), y_train (N, 1), ...

Every problem a user can cause (bad file, unknown column, nothing left to train
on) raises :class:`DataError` with one specific line of text, fit for a status
bar or the CLI's stderr.

Column types: "number" (float64), "text" (one-hot encoded as a feature) and
"date": a text column whose values read as dates in one consistent format
(e.g. 1970-01-01, 2012/01/31, 5 Mar 2012 13:45). A date column keeps its text
in ``Table.frame`` (what plots show on a time axis, ``Dataset.time_values``);
as a feature it is ONE number, the decimal year (1970-01-01 → 1970.0,
2012-07-02 → 2012.5), named ``"<column> (year)"`` — an exported model takes
that number. A date column is never a target. Cells that are missing or do
not read as a date in the column's format count as missing values: a row
using the column is dropped and counted under "missing value in <column>" or
"not a date in <column>".
"""
from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "Cancelled", "Column", "DataError", "DataSpec", "Dataset", "Table",
    "build_dataset", "decimal_years", "guess_date_format", "infer_task", "load_dataset",
    "read_csv", "sniff_csv",
]

# Cell texts read as "missing" (plus whitespace-only cells in text columns).
NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "#N/A"]
DELIMITERS = (",", ";", "\t")
MAX_CLASSES_AUTO = 10          # infer_task: at most this many integer values → classes
MAX_AUTO_CATEGORIES = 50       # features=None skips text columns with more distinct values
MAX_CATEGORIES = 1000          # one-hot limit for explicitly chosen text features
_SNIFF_BYTES = 1 << 20         # preview reads at most this much
DATE_SAMPLE = 500              # values of a text column that decide whether it holds dates
MAX_NOT_DATES = 0.05           # a date column may have at most this share of cells that do not parse
_HAS_STR_DTYPE = int(pd.__version__.split(".")[0]) >= 3   # pandas 3: text is "str"
_MAGIC = {b"PK\x03\x04": "a zip archive or an Excel .xlsx workbook",
          b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
          b"%PDF": "a PDF document",
          b"\x89PNG": "a PNG image"}


class DataError(ValueError):
    """One clear, specific, single-line message for a user (no traceback text)."""


class Cancelled(DataError):
    """Loading was stopped by the caller's ``cancel()`` callback."""


# --------------------------------------------------------------------------- table

@dataclass
class Column:
    name: str
    kind: str          # "number" | "text" | "date"
    missing: int       # cells read as missing (for a date: also cells that are not a date)
    n_unique: int      # distinct non-missing values
    date_format: str | None = None    # "date": the strptime format its values were read with
    not_dates: int = 0                # "date": cells with text that is not a date (in `missing`)


@dataclass
class Table:
    """A CSV file as read: numeric columns float64, text and date columns str/object.

    ``dates`` holds each date column as decimal years (float64, NaN where missing
    or not a date); the frame keeps the date column's text."""

    path: str | None
    frame: pd.DataFrame
    columns: list[Column]
    delimiter: str = ","
    encoding: str = "utf-8"
    dates: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise DataError(f"unknown column {name!r}; available: {', '.join(self.names)}")

    def numbers(self, name: str) -> np.ndarray:
        """A number column's values, or a date column's decimal years (float64, NaN if missing)."""
        if name in self.dates:
            return self.dates[name]
        if self.column(name).kind != "number":
            raise DataError(f"column {name!r} is text, not numbers")
        return self.frame[name].to_numpy()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, path: str | None = None,
                   delimiter: str = ",", encoding: str = "utf-8") -> Table:
        """Type an in-memory frame the way :func:`read_csv` types a file."""
        frame = _normalize_frame(frame.copy())
        dates = _find_dates(frame)
        return cls(None if path is None else str(path), frame, _describe(frame, dates),
                   delimiter, encoding, {n: d[0] for n, d in dates.items()})


def _normalize_frame(frame: pd.DataFrame, decimal_comma: bool = False) -> pd.DataFrame:
    """Numbers → float64; text → stripped str with NA texts as missing; bools → text.

    With ``decimal_comma`` (a ;-separated file) text like "1,5" is read as 1.5."""
    names, seen = [], set()
    for c in frame.columns:
        base = name = str(c).lstrip("\ufeff").strip() or "Unnamed"
        k = 0
        while name in seen:         # "a" and " a" both strip to "a": keep both, as pandas does
            k += 1
            name = f"{base}.{k}"
        seen.add(name)
        names.append(name)
    frame.columns = names
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_bool_dtype(s.dtype):
            frame[name] = s.map({True: "True", False: "False"}).astype(object)
        elif pd.api.types.is_numeric_dtype(s.dtype):
            if s.dtype != np.float64:
                frame[name] = s.astype(np.float64)
        else:
            text = s.astype("str" if _HAS_STR_DTYPE else object).str.strip()
            text = text.where(~(text.isin(NA_VALUES) | text.isna()))
            frame[name] = text
            candidates = [text]         # e.g. " NA" made a number column look like text
            if decimal_comma:
                candidates.append(text.str.replace(",", ".", regex=False))
            for c in candidates:
                try:
                    frame[name] = pd.to_numeric(c).astype(np.float64)
                    break
                except (ValueError, TypeError):
                    pass
            else:
                grouped = _without_thousands(text, decimal_comma)
                if grouped is not None:
                    frame[name] = grouped
    return frame


# "1,234,567.5" in a comma file (quoted), "1.234.567,5" in a ;-file: a number column
# written with thousands separators, as spreadsheets export it
_GROUPED = {False: re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+-]?\d+(?:\.\d+)?"),
            True: re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?|[+-]?\d+(?:,\d+)?")}


def _without_thousands(text: pd.Series, decimal_comma: bool) -> pd.Series | None:
    """``text`` as float64 when every value is a number with thousands separators
    (at least one of them grouped); None otherwise."""
    sep = "." if decimal_comma else ","
    values = text.dropna()
    if values.empty or not any(sep in v for v in values.iloc[:1000]):
        return None
    pattern = _GROUPED[decimal_comma]
    if not pattern.fullmatch(values.iloc[0]) or not values.str.fullmatch(pattern).all():
        return None
    plain = text.str.replace(sep, "", regex=False)
    if decimal_comma:
        plain = plain.str.replace(",", ".", regex=False)
    try:
        return pd.to_numeric(plain).astype(np.float64)
    except (ValueError, TypeError):
        return None


def _n_distinct(a: np.ndarray) -> int:
    """Distinct non-NaN values of a float array (sort-based; releases the GIL)."""
    a = a[~np.isnan(a)]
    if len(a) == 0:
        return 0
    a = np.sort(a)
    return int(1 + np.count_nonzero(a[1:] != a[:-1]))


def guess_date_format(values) -> str | None:
    """The one strptime format (with a year) in which most of ``values`` read as
    dates, or None. ``values``: a few texts of a column (missing ones skipped).
    Ambiguous day/month orders are settled by the values (13/02/2012 → day first);
    when every value fits both, month first (pandas' default) wins."""
    from pandas.tseries.api import guess_datetime_format
    texts = [v for v in values if isinstance(v, str) and v.strip() and v not in NA_VALUES]
    if not texts:
        return None
    candidates: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for v in list(dict.fromkeys(texts[:40]))[:12]:     # a few distinct values name the formats
            for dayfirst in (False, True):
                try:
                    f = guess_datetime_format(v, dayfirst=dayfirst)
                except (ValueError, TypeError):
                    f = None
                if f and ("%Y" in f or "%y" in f) and f not in candidates:
                    candidates.append(f)
            if len(candidates) >= 4:
                break
        if not candidates:
            return None
        sample = pd.Series(texts, dtype=object)
        best, best_n = None, 0
        for f in candidates:
            try:
                n = int(_to_datetime(sample, f).notna().sum())
            except (ValueError, TypeError, OverflowError):
                continue
            if n > best_n:
                best, best_n = f, n
    return best if best_n >= (1 - MAX_NOT_DATES) * len(texts) else None


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    """Parse with one format (NaT where a cell does not fit); wall-clock time if zoned."""
    try:
        out = pd.to_datetime(text, format=fmt, errors="coerce")
    except ValueError:                   # mixed UTC offsets
        out = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    if getattr(out.dtype, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out


def decimal_years(dt) -> np.ndarray:
    """Datetimes → decimal years (1970-01-01 → 1970.0, 2012-07-02 → 2012.5); NaT → NaN."""
    v = np.asarray(dt, dtype="datetime64[s]")
    nat = np.isnat(v)
    y = v.astype("datetime64[Y]")
    start = y.astype("datetime64[s]")
    length = ((y + 1).astype("datetime64[s]") - start).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = y.astype(np.int64) + 1970 + (v - start).astype(np.float64) / length
    out[nat] = np.nan
    return out


def _date_sample(text: pd.Series) -> list[str]:
    """Up to DATE_SAMPLE non-missing values: the first ones and some spread over the column."""
    head = text.iloc[:DATE_SAMPLE // 2].dropna().tolist()
    n = len(text)
    if n > DATE_SAMPLE // 2:
        idx = np.linspace(DATE_SAMPLE // 2, n - 1, DATE_SAMPLE // 2).astype(np.int64)
        head += text.iloc[idx].dropna().tolist()
    return head


def _find_dates(frame: pd.DataFrame) -> dict[str, tuple[np.ndarray, str, int]]:
    """Text columns that hold dates → (decimal years, format, cells that are not dates).

    Only text columns are looked at (numbers never pay for this). The format is
    guessed from a sample; a column whose sample is not dates costs a few
    dozen guesses. A date column is parsed once, with that format (about 0.1 s
    per million cells), and kept when at most MAX_NOT_DATES of its values fail."""
    out = {}
    for name in frame.columns:
        s = frame[name]
        if s.dtype == np.float64:
            continue
        sample = _date_sample(s)
        if not sample:
            continue
        fmt = guess_date_format(sample)
        if fmt is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = _to_datetime(s, fmt)
            except (ValueError, TypeError, OverflowError):
                continue
        present = s.notna().to_numpy()
        bad = present & parsed.isna().to_numpy()
        n_bad, n_present = int(np.count_nonzero(bad)), int(np.count_nonzero(present))
        if n_bad > MAX_NOT_DATES * n_present:
            continue
        out[name] = (decimal_years(parsed.to_numpy(dtype="datetime64[s]")), fmt, n_bad)
    return out


def _describe(frame: pd.DataFrame, dates: dict | None = None) -> list[Column]:
    numeric = [name for name in frame.columns if frame[name].dtype == np.float64]
    arrays = [frame[name].to_numpy() for name in numeric]
    if len(frame) >= 100_000 and len(arrays) > 1:     # sorting dominates: use the cores
        with ThreadPoolExecutor(min(len(arrays), os.cpu_count() or 1, 8)) as pool:
            distinct = dict(zip(numeric, pool.map(_n_distinct, arrays)))
    else:
        distinct = {name: _n_distinct(a) for name, a in zip(numeric, arrays)}
    cols = []
    for name in frame.columns:
        s = frame[name]
        if name in distinct:
            n_missing = int(np.count_nonzero(np.isnan(s.to_numpy())))
            cols.append(Column(name, "number", n_missing, distinct[name]))
        elif dates and name in dates:
            years, fmt, n_bad = dates[name]
            cols.append(Column(name, "date", int(np.count_nonzero(np.isnan(years))),
                               int(s.nunique()), fmt, n_bad))
        else:
            cols.append(Column(name, "text", int(s.isna().sum()), int(s.nunique())))
    return cols


# --------------------------------------------------------------------------- reading

def _display(path: Path) -> str:
    return repr(path.name)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError(f"file not found: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a CSV file")


def _not_utf8(path: Path) -> DataError:
    """Find the first byte that is not UTF-8 (only called on the error path)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                data = e.object
                pos = offset - pending + e.start
                return DataError(f"{_display(path)} is not UTF-8 text (byte 0x{data[e.start]:02X} "
                                 f"at offset {pos}); save it as UTF-8")
            if not chunk:
                break
            offset += len(chunk)
    return DataError(f"{_display(path)} is not UTF-8 text; save it as UTF-8")


def _detect_delimiter(text: str) -> str:
    """Among , ; tab pick the one giving the header's field count on every line."""
    best, best_score = ",", None
    for d in DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=d) if not _blank(r)]
        if not rows:
            continue
        h = len(rows[0])
        agree = sum(len(r) == h for r in rows[1:]) / max(1, len(rows) - 1)
        score = (h > 1, agree, h)
        if best_score is None or score > best_score:
            best, best_score = d, score
    return best


def _blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def sniff_csv(path, n_lines: int = 50, encoding: str | None = None, header: bool = True) -> dict:
    """Preview the first ``n_lines`` data lines without reading the whole file.

    Returns ``{"delimiter", "encoding", "header": [names], "rows": [[cells]...]}``
    (cells as text). Raises DataError for a missing, empty, binary or non-UTF-8 file.
    ``encoding`` overrides the UTF-8 detection (e.g. "latin-1" for an old file).
    """
    path = Path(path)
    _check_file(path)
    raw = bytearray()
    with open(path, "rb") as f:
        lines = 0
        while lines <= n_lines and len(raw) < _SNIFF_BYTES:
            line = f.readline(_SNIFF_BYTES)
            if not line:
                break
            raw += line
            lines += 1
        at_end = not f.read(1)
    raw = bytes(raw)
    has_bom = raw.startswith(codecs.BOM_UTF8)
    forced = encoding is not None and not codecs.lookup(encoding).name.startswith("utf-8")
    if not forced:
        encoding = "utf-8-sig" if has_bom else "utf-8"
    body = raw[3:] if has_bom and not forced else raw
    if not body.strip():
        raise DataError(f"{_display(path)} is empty")
    for magic, what in _MAGIC.items():
        if body.startswith(magic):
            raise DataError(f"{_display(path)} is {what}, not CSV text; export it as CSV")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"{_display(path)} is UTF-16 text; save it as UTF-8")
    if b"\x00" in body:
        raise DataError(f"{_display(path)} is a binary file, not CSV text")
    try:
        text = body.decode(encoding if forced else "utf-8")
    except UnicodeDecodeError as e:
        if forced:
            raise DataError(f"{_display(path)} cannot be decoded as {encoding}") from None
        if at_end or e.end < len(body) - 4:     # not just a character cut at the sample's end
            skip = 3 if encoding == "utf-8-sig" else 0
            raise DataError(f"{_display(path)} is not UTF-8 text (byte 0x{body[e.start]:02X} at "
                            f"offset {skip + e.start}); save it as UTF-8") from None
        text = body[:e.start].decode("utf-8")
    delimiter = _detect_delimiter(text)
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if not _blank(r)]
    if not header:
        names = [f"column {i + 1}" for i in range(len(rows[0]) if rows else 0)]
        return {"delimiter": delimiter, "encoding": encoding, "header": names, "rows": rows[:n_lines]}
    names = [h.strip() for h in rows[0]] if rows else []
    return {"delimiter": delimiter, "encoding": encoding, "header": names,
            "rows": rows[1:n_lines + 1]}


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


def _ragged_error(path: Path, line: int, got: int, n_cols: int) -> DataError:
    return DataError(f"{_display(path)} line {line} has {got} fields but the header has "
                     f"{n_cols}; every row needs the same number of fields")


class _WatchedFile(io.RawIOBase):
    """A binary file whose every ``read`` reports the position and may be cancelled.

    pandas' C parser pulls the file through ``read`` in blocks of about 256 KB,
    so one fast, un-chunked read still gets progress and a Cancel that stops it
    within a block (no per-chunk frames to concatenate: no extra copy)."""

    def __init__(self, fh, size: int, progress, cancel) -> None:
        super().__init__()
        self._fh, self._size, self._progress, self._cancel = fh, size, progress, cancel
        self._shown = -1.0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._cancel is not None and self._cancel():
            raise Cancelled("cancelled")
        n = self._fh.readinto(b)
        if self._progress is not None:
            done = round(min(self._fh.tell() / self._size, 0.99), 2)
            if done != self._shown:
                self._shown = done
                self._progress(done)
        return n


def _read_frame(path: Path, kw: dict, progress, cancel) -> pd.DataFrame:
    # always through the watched file: measured faster and lighter than handing pandas
    # the path (bench/csv_load.py: peak 192 MB vs 320 MB for 1M x 20 numbers)
    size = max(1, path.stat().st_size)
    with open(path, "rb", buffering=0) as raw:
        watched = _WatchedFile(raw, size, progress, cancel)
        try:
            return pd.read_csv(io.BufferedReader(watched, 1 << 18), **kw)
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


def read_csv(path, delimiter: str | None = None, encoding: str | None = None,
             progress: Callable[[float], object] | None = None,
             cancel: Callable[[], bool] | None = None, header: bool = True) -> Table:
    """Read a CSV file with a header row into a typed :class:`Table`.

    ``header=False`` reads a file whose first line is already data; its
    columns are named ``column 1``, ``column 2``, ….

    The delimiter (, ; tab) and encoding (UTF-8 with or without BOM) are detected
    unless given. Empty cells and NA/N/A/NaN/null/None are missing. A text column
    whose values read as dates in one format becomes a "date" column (see the
    module docstring; only text columns are checked: numbers cost nothing). The file is
    parsed in one pandas C-engine read; ``progress(fraction)`` is called as it
    goes and ``cancel() -> bool`` stops it (:class:`Cancelled`).
    """
    path = Path(path)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise DataError(f"unknown text encoding {encoding!r}") from None
    preview = sniff_csv(path, n_lines=20, encoding=encoding)
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
    if cancel is not None and cancel():
        raise Cancelled(f"loading {_display(path)} was cancelled")

    kw = dict(sep=delimiter, encoding=encoding, engine="c", keep_default_na=False,
              na_values=NA_VALUES, skip_blank_lines=True)
    if not header:
        width = _header_width(path, delimiter, encoding)
        kw.update(header=None, names=[f"column {i + 1}" for i in range(width)])
    try:
        try:
            frame = _read_frame(path, kw, progress, cancel)
        except pd.errors.DtypeWarning:      # only when warnings are errors
            frame = pd.read_csv(path, low_memory=False, **kw)
        mixed = _mixed_columns(frame)
        if mixed:                           # re-read those columns as the text they are
            frame = pd.read_csv(path, dtype={m: str for m in mixed}, **kw)
    except UnicodeDecodeError:
        if codecs.lookup(encoding).name.startswith("utf-8"):
            raise _not_utf8(path) from None
        raise DataError(f"{_display(path)} cannot be decoded as {encoding}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{_display(path)} is empty") from None
    except pd.errors.ParserError as e:
        n_cols = _header_width(path, delimiter, encoding)
        found = _ragged_line(path, delimiter, encoding, n_cols)
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
        found = _ragged_line(path, delimiter, encoding, n_cols)
        line, got = found if found else (2, n_cols + 1)
        raise _ragged_error(path, line, got, n_cols)
    if len(frame) == 0:
        raise DataError(f"{_display(path)} has a header row but no data rows")
    if n_cols > 1:
        # pandas fills short rows with missing cells; tell them apart from empty cells
        short = np.flatnonzero(frame.iloc[:, -1].isna().to_numpy())
        if len(short):
            found = _ragged_line(path, delimiter, encoding, n_cols,
                                 last_row=int(short[-1]) + (0 if header else 1))
            if found:
                raise _ragged_error(path, found[0], found[1], n_cols)

    frame = _normalize_frame(frame, decimal_comma=delimiter == ";")
    dates = _find_dates(frame)
    table = Table(str(path), frame, _describe(frame, dates), delimiter, encoding,
                  {n: d[0] for n, d in dates.items()})
    if progress is not None:
        progress(1.0)
    return table


def is_number(text: str) -> bool:
    """Whether a cell's text reads as a number (``float`` accepts it)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- spec

_TASKS = ("auto", "regression", "classification")
_SPLITS = ("random", "chronological")
_NORMALIZE = ("standard", "none")


MAX_CLASSES = 100        # a classification target with more distinct values is almost surely a number


@dataclass
class DataSpec:
    """A person's data settings; plain and JSON-serializable."""

    target: str
    features: list[str] | None = None    # None: every other usable column (series mode: none)
    series: str | None = None            # series mode: features = previous `lags` values
    lags: int = 7
    time_column: str | None = None       # x-axis for plots; never a feature
    task: str = "auto"                   # "auto" | "regression" | "classification"
    split: str = "random"                # "random" | "chronological"
    val_fraction: float = 0.2
    seed: int = 0
    normalize: str = "standard"          # "standard" | "none"
    delimiter: str | None = None         # None: detected
    encoding: str | None = None          # None: UTF-8 (with or without BOM)
    header: bool = True                  # False: the first line is data

    def __post_init__(self):
        if not isinstance(self.target, str) or not self.target:
            raise DataError("data setting 'target' must be a column name")
        if self.features is not None:
            if isinstance(self.features, str) or not all(isinstance(f, str) for f in self.features):
                raise DataError("data setting 'features' must be a list of column names")
            self.features = list(self.features)
            dup = sorted({f for f in self.features if self.features.count(f) > 1})
            if dup:
                raise DataError(f"feature {dup[0]!r} is listed twice")
        for name in ("series", "time_column"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v):
                raise DataError(f"data setting {name!r} must be a column name or empty")
        for name in ("lags", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise DataError(f"data setting {name!r} must be a whole number, not {v!r}")
            setattr(self, name, int(v))
        if self.seed < 0:
            raise DataError(f"seed must be 0 or more, not {self.seed}")
        for name, allowed in (("task", _TASKS), ("split", _SPLITS), ("normalize", _NORMALIZE)):
            if getattr(self, name) not in allowed:
                raise DataError(f"{name} must be one of {', '.join(allowed)}, "
                                f"not {getattr(self, name)!r}")
        if self.delimiter is not None and (not isinstance(self.delimiter, str) or len(self.delimiter) != 1):
            raise DataError(f"delimiter must be one character, not {self.delimiter!r}")
        if self.encoding is not None:
            if not isinstance(self.encoding, str):
                raise DataError(f"encoding must be a name like 'latin-1', not {self.encoding!r}")
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise DataError(f"unknown text encoding {self.encoding!r}") from None
        if not isinstance(self.header, bool):
            raise DataError(f"header must be true or false, not {self.header!r}")
        vf = self.val_fraction
        if isinstance(vf, bool) or not isinstance(vf, (int, float)) or not 0 <= vf < 1:
            raise DataError(f"val_fraction must be at least 0 and below 1, not {vf!r}")
        self.val_fraction = float(vf)

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["features"] is not None:
            d["features"] = list(d["features"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DataSpec:
        if not isinstance(d, dict):
            raise DataError("data settings must be a mapping")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise DataError(f"unknown data setting {unknown[0]!r}")
        if "target" not in d:
            raise DataError("data settings need a 'target' column")
        try:
            return cls(**d)
        except TypeError as e:      # e.g. a list where a number belongs
            raise DataError(f"bad data settings: {e}") from None


# --------------------------------------------------------------------------- dataset

@dataclass
class Dataset:
    """Arrays ready to train on. Shapes: X (N, F); y (N, T) float64 for
    regression, (N,) int64 class indices otherwise. X and regression y are
    standardized with statistics of the training rows (identity if normalize="none").
    Standardized X is float32 (the trainer's default precision), raw X float64;
    X_train and X_val are views of one array (training rows first)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    feature_names: list[str]
    target_name: str
    task: str                      # "regression" | "binary" | "multiclass"
    classes: list[str]
    x_mean: np.ndarray             # (F,)
    x_std: np.ndarray              # (F,), never 0
    y_mean: np.ndarray             # (T,) regression; zeros(1) otherwise
    y_std: np.ndarray              # (T,) regression; ones(1) otherwise
    index_train: np.ndarray        # (N_train,) data row (0-based) of each example's target
    index_val: np.ndarray
    time_values: np.ndarray | None  # time column for ALL table rows, or None
    n_rows_read: int
    dropped: dict[str, int]        # reason -> rows dropped
    spec: DataSpec
    onehot: dict[str, list[str]]   # text feature column -> categories, in one-hot order
    skipped_columns: dict[str, str] = field(default_factory=dict)  # column -> why not a feature
    date_features: list[str] = field(default_factory=list)  # date columns fed as decimal years

    @property
    def n_train(self) -> int:
        return len(self.X_train)

    @property
    def n_val(self) -> int:
        return len(self.X_val)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        if self.task == "regression":
            return self.y_train.shape[1]
        return 1 if self.task == "binary" else len(self.classes)

    def transform_X(self, X_raw) -> np.ndarray:
        """Raw feature matrix (N, F), text already one-hot → normalized (N, F)."""
        X = np.asarray(X_raw, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise DataError(f"expected a feature matrix of shape (N, {self.n_features}), "
                            f"got {X.shape}")
        return (X - self.x_mean) / self.x_std

    def inverse_y(self, y_norm) -> np.ndarray:
        """Regression outputs (N, T) or (N,) back in the target's own units."""
        return np.asarray(y_norm, dtype=np.float64) * self.y_std + self.y_mean

    def X_raw(self, which: str = "train") -> np.ndarray:
        """Features before normalization, (N, F)."""
        return self._pick(which)[0] * self.x_std + self.x_mean

    def y_raw(self, which: str = "train") -> np.ndarray:
        """Targets in their own units (regression, (N, T)) or class indices ((N,))."""
        y = self._pick(which)[1]
        return self.inverse_y(y) if self.task == "regression" else y.copy()

    def _pick(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        if which == "train":
            return self.X_train, self.y_train
        if which == "val":
            return self.X_val, self.y_val
        raise DataError(f"which must be 'train' or 'val', not {which!r}")

    def summary(self) -> str:
        """Several lines of plain text for a person."""
        s = self.spec
        n_dropped = sum(self.dropped.values())
        lines = [f"Rows read: {self.n_rows_read}"]
        if n_dropped:
            lines.append(f"Dropped: {n_dropped} " + ("example" if s.series else "row")
                         + ("s" if n_dropped != 1 else ""))
            lines += [f"  {reason}: {n}" for reason, n in self.dropped.items()]
        for col, why in self.skipped_columns.items():
            lines.append(f"Not used: {col!r} ({why})")
        split = "chronological split" if s.split == "chronological" else f"random split, seed {s.seed}"
        lines.append(f"Examples: {self.n_train} train, {self.n_val} validation ({split})")
        names = self.feature_names
        shown = ", ".join(names[:8]) + (f", … ({len(names) - 8} more)" if len(names) > 8 else "")
        lines.append(f"Features: {self.n_features} ({shown})")
        for name in self.date_features:
            lines.append(f"Date: {name} as a number (decimal year, 1970-01-01 → 1970.0)")
        if s.series:
            lines.append(f"Series: previous {s.lags} values of {s.series!r}")
        if s.normalize == "standard":
            lines.append("Normalization: standardized with training-row mean and std")
        lines.append(f"Task: {self.task}, target {self.target_name!r}")
        if self.classes:
            tr = np.bincount(self.y_train, minlength=len(self.classes))
            va = np.bincount(self.y_val, minlength=len(self.classes))
            lines.append("Classes: " + ", ".join(
                f"{c} {a + b} ({a}/{b})" for c, a, b in zip(self.classes, tr, va))
                + " (train/validation)")
        return "\n".join(lines)


def infer_task(table: Table, target: str) -> str:
    """"classification" for a text target, or a number target with at most 10
    distinct whole values each seen 3+ times on average; otherwise "regression"."""
    col = table.column(target)
    if col.kind == "text":
        return "classification"
    values = table.frame[target].to_numpy()
    values = values[~np.isnan(values)]
    if (0 < col.n_unique <= MAX_CLASSES_AUTO and len(values) >= 3 * col.n_unique
            and np.all(values == np.round(values))):
        return "classification"
    return "regression"


def _class_label(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _missing(table: Table, name: str) -> np.ndarray:
    s = table.frame[name]
    if s.dtype == np.float64:
        return ~np.isfinite(s.to_numpy())
    return s.isna().to_numpy()


def _drop(keep: np.ndarray, bad: np.ndarray, reason: str, dropped: dict[str, int]) -> None:
    """keep &= ~bad, counting newly dropped rows under reason."""
    n = int(np.count_nonzero(bad & keep))
    if n:
        dropped[reason] = dropped.get(reason, 0) + n
        keep &= ~bad


def _n_val(n: int, fraction: float) -> int:
    return min(max(n - 1, 0), math.ceil(n * fraction - 1e-9))


def _split(n: int, spec: DataSpec, y_class: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Positions (train, val) into the n examples, each ascending."""
    n_val = _n_val(n, spec.val_fraction)
    if spec.split == "chronological":
        return np.arange(n - n_val), np.arange(n - n_val, n)
    rng = np.random.default_rng(spec.seed)
    if y_class is None:
        perm = rng.permutation(n)
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])
    # stratified: share n_val among classes by largest remainder
    counts = np.bincount(y_class)
    quota = counts * (n_val / n)
    take = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - take), kind="stable")
    for k in order[: n_val - int(take.sum())]:
        take[k] += 1
    val = []
    for k, m in enumerate(take):
        members = np.flatnonzero(y_class == k)
        val.append(members[rng.permutation(len(members))[:m]])
    val = np.sort(np.concatenate(val)) if val else np.zeros(0, np.int64)
    is_val = np.zeros(n, bool)
    is_val[val] = True
    return np.flatnonzero(~is_val), val


def _standardize(A: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (never 0) of A's columns; A and others standardized in place.

    No temporary copies of A: the arrays can be hundreds of megabytes."""
    mean = A.mean(axis=0) if len(A) else np.zeros(A.shape[1])
    A -= mean
    var = np.einsum("ij,ij->j", A, A) / max(1, len(A))
    std = np.sqrt(var)
    tiny = ~np.isfinite(std) | (std <= 1e-12 * np.maximum(1.0, np.abs(mean)))
    std = np.where(tiny, 1.0, std)
    A /= std
    for B in others:
        B -= mean
        B /= std
    return mean, std


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
    buf = np.empty((F, min(_BLOCK_ROWS, max(n, 1))))
    shift = s1 = s2 = None
    if standardize:
        s1, s2 = np.zeros(F), np.zeros(F)
    for start in range(0, n, _BLOCK_ROWS):
        s = sel[start:start + _BLOCK_ROWS]
        b = buf[:, :len(s)]
        fill(b, s)
        if standardize and n_train:
            if shift is None:           # the first training row (training rows come first)
                shift = b[:, 0].copy()
            b -= shift[:, None]         # in float64: X holds x - shift, so large offsets such
            if start < n_train:         # as decimal years (2012.0027) keep their digits
                d = b[:, :n_train - start]
                s1 += d.sum(axis=1)
                s2 += np.einsum("ij,ij->i", d, d)
        X[start:start + len(s)] = b.T
    if not standardize:
        return X, np.zeros(F), np.ones(F)
    if n_train == 0:
        return X, np.zeros(F), np.ones(F)
    m1 = s1 / n_train
    mean = shift + m1
    std = np.sqrt(np.maximum(s2 / n_train - m1 * m1, 0.0))
    tiny = ~np.isfinite(std) | (std <= 1e-12 * np.maximum(1.0, np.abs(mean)))
    std = np.where(tiny, 1.0, std)
    m32, inv32 = m1.astype(np.float32), (1.0 / std).astype(np.float32)     # X holds x - shift
    step = 1 << 16
    for start in range(0, n, step):         # block by block: one pass over memory
        blk = X[start:start + step]
        blk -= m32
        blk *= inv32
    return X, mean, std


def _check_columns(table: Table, names) -> None:
    for name in names:
        if name is not None:
            table.column(name)      # DataError naming it and the available columns


def _number_bads(table: Table, name: str, what: str) -> list[tuple[str, np.ndarray]]:
    a = table.frame[name].to_numpy()
    out = [(f"missing value in {what}", np.isnan(a))]
    inf = np.isinf(a)
    if inf.any():
        out.append((f"infinite value in {what}", inf))
    return out


def _date_bads(table: Table, name: str, what: str) -> list[tuple[str, np.ndarray]]:
    """Rows without a date: missing cells, then cells whose text is not a date."""
    missing = table.frame[name].isna().to_numpy()
    out = [(f"missing value in {what}", missing)]
    if table.column(name).not_dates:
        out.append((f"not a date in {what}", np.isnan(table.dates[name]) & ~missing))
    return out


def _column_features(table: Table, spec: DataSpec, skipped: dict[str, str], used: list[str]):
    """Plain mode: one row → one example; text features one-hot encoded, a date
    as its decimal year. ``used`` receives the feature columns."""
    if spec.features is None:
        features = []
        for c in table.columns:
            if c.name in (spec.target, spec.time_column):
                continue
            if c.missing == table.n_rows:
                skipped[c.name] = "no values"
            elif c.kind == "text" and c.n_unique > MAX_AUTO_CATEGORIES:
                skipped[c.name] = (f"text with {c.n_unique} distinct values; "
                                   "name it as a feature to one-hot encode it")
            else:
                features.append(c.name)
    else:
        features = list(spec.features)
        if spec.target in features:
            raise DataError(f"target {spec.target!r} cannot also be a feature")
        for name in features:
            c = table.column(name)
            if c.kind == "text" and c.n_unique > MAX_CATEGORIES:
                raise DataError(f"column {name!r} has {c.n_unique} distinct text values, too "
                                f"many to one-hot encode (at most {MAX_CATEGORIES})")
    used += features
    if not features:
        raise DataError(f"no feature columns: the table has only {', '.join(table.names)} "
                        f"besides the target {spec.target!r}")
    bads = []
    for name in features:
        kind = table.column(name).kind
        if kind == "number":
            bads += _number_bads(table, name, name)
        elif kind == "date":
            bads += _date_bads(table, name, name)
        else:
            bads.append((f"missing value in {name}", table.frame[name].isna().to_numpy()))

    def encoder(kept_rows):
        """Fix one-hot categories from the kept rows; return (names, onehot, fill)."""
        names, onehot, layout = [], {}, []
        for name in features:
            kind = table.column(name).kind
            if kind == "date":
                layout.append((table.dates[name], None))
                names.append(f"{name} (year)")
                continue
            a = table.frame[name].to_numpy()
            if kind == "number":
                layout.append((a, None))
                names.append(name)
            else:
                cats = sorted(set(a[kept_rows].tolist()))
                onehot[name] = cats
                layout.append((pd.Categorical(a, categories=cats).codes, len(cats)))
                names += [f"{name}={c}" for c in cats]

        def fill(buf, s):
            """Rows ``s`` of the features into ``buf`` (F, len(s)), one feature per row."""
            j = 0
            for a, width in layout:
                if width is None:
                    np.take(a, s, out=buf[j])
                    j += 1
                else:
                    buf[j:j + width] = a[s][None, :] == np.arange(width)[:, None]
                    j += width
        return names, onehot, fill

    return np.arange(table.n_rows), bads, encoder


def _series_features(table: Table, spec: DataSpec):
    """Series mode: example t has X = col[t-K..t-1] for the series (and any listed
    feature columns), y = target[t]."""
    K, n = spec.lags, table.n_rows
    lagged = [spec.series] + [f for f in (spec.features or []) if f != spec.series]
    for i, name in enumerate(lagged):
        kind = table.column(name).kind
        if kind == "text" or (kind == "date" and i == 0):
            raise DataError(f"column {name!r} is {kind}; lagged values need a number column")
    if K < 1:
        raise DataError(f"lags K={K} must be at least 1")
    if K >= n:
        raise DataError(f"lags K={K} is larger than the series ({n} values); "
                        f"use at most {n - 1}")
    windows, bad = [], np.zeros(n - K, bool)
    for name in lagged:
        a = table.numbers(name)         # a date column: its decimal years
        W = np.lib.stride_tricks.sliding_window_view(a, K)[: n - K]   # row t-K → a[t-K:t]
        bad |= ~np.isfinite(W).all(axis=1)
        windows.append(W)
    names = [f"{name}[t-{K - j}]" for name in lagged for j in range(K)]

    def encoder(kept_rows):
        def fill(buf, s):
            for i, W in enumerate(windows):
                buf[i * K:(i + 1) * K] = W[s - K].T
        return names, {}, fill

    return np.arange(K, n), [("window contains a missing value", bad)], encoder


def build_dataset(table: Table, spec: DataSpec) -> Dataset:
    """Turn a table and a person's settings into normalized train/val arrays."""
    if isinstance(spec, dict):
        spec = DataSpec.from_dict(spec)
    spec = DataSpec.from_dict(spec.to_dict())           # validate (fields may be mutated)
    n = table.n_rows
    _check_columns(table, [spec.target, spec.series, spec.time_column, *(spec.features or [])])
    if spec.time_column is not None and spec.time_column in (spec.features or []):
        raise DataError(f"time column {spec.time_column!r} cannot also be a feature")
    if spec.time_column is not None and spec.time_column in (spec.target, spec.series):
        raise DataError(f"time column {spec.time_column!r} cannot be the target or the series")

    target_col = table.column(spec.target)
    if target_col.kind == "date":
        raise DataError(f"{spec.target!r} is a date column; choose a number or text column "
                        "as the target")
    task = spec.task if spec.task != "auto" else infer_task(table, spec.target)
    if task == "regression" and target_col.kind == "text":
        raise DataError(f"target {spec.target!r} is text; choose task classification")

    skipped: dict[str, str] = {}
    used: list[str] = []                # the columns the features come from
    if spec.series is not None:
        rows, bads, encoder = _series_features(table, spec)
        used = [spec.series] + [f for f in (spec.features or []) if f != spec.series]
    else:
        rows, bads, encoder = _column_features(table, spec, skipped, used)

    # drop examples with gaps: target first, then each feature reason, each counted
    dropped: dict[str, int] = {}
    keep = np.ones(len(rows), bool)
    _drop(keep, _missing(table, spec.target)[rows], "missing target", dropped)
    for reason, bad in bads:
        _drop(keep, bad, reason, dropped)
    if not keep.any():
        why = "; ".join(f"{r}: {c}" for r, c in dropped.items())
        raise DataError(f"no examples left to train on: all {len(rows)} dropped ({why})")
    rows = rows[keep] if not keep.all() else rows
    names, onehot, fill = encoder(rows)

    target = table.frame[spec.target].to_numpy()[rows]
    classes: list[str] = []
    if task == "regression":
        y = target.astype(np.float64).reshape(-1, 1)
        y_class = None
    else:
        if target_col.kind == "text":
            classes = sorted(set(target.tolist()))
            lookup = {c: i for i, c in enumerate(classes)}
            y = np.fromiter((lookup[v] for v in target), np.int64, len(target))
        else:
            values = np.unique(target.astype(np.float64))
            classes = [_class_label(v) for v in values]
            y = np.searchsorted(values, target.astype(np.float64)).astype(np.int64)
        if len(classes) < 2:
            raise DataError(f"target {spec.target!r} has a single class {classes[0]!r}; "
                            "classification needs at least two")
        if len(classes) > MAX_CLASSES:
            hint = "; choose task regression" if target_col.kind == "number" else ""
            raise DataError(f"target {spec.target!r} has {len(classes)} distinct values: too many classes "
                            f"(at most {MAX_CLASSES}){hint}")
        task = "binary" if len(classes) == 2 else "multiclass"
        y_class = y

    tr, va = _split(len(rows), spec, y_class if spec.split == "random" else None)
    y_tr, y_va = y[tr], y[va]
    X, x_mean, x_std = _assemble(np.concatenate([rows[tr], rows[va]]), fill, len(names),
                                 len(tr), spec.normalize == "standard")
    X_tr, X_va = X[:len(tr)], X[len(tr):]
    if task == "regression" and spec.normalize == "standard":
        y_mean, y_std = _standardize(y_tr, y_va)
    elif task == "regression":
        y_mean, y_std = np.zeros(y.shape[1]), np.ones(y.shape[1])
    else:
        y_mean, y_std = np.zeros(1), np.ones(1)

    time_values = None
    if spec.time_column is not None:
        time_values = table.frame[spec.time_column].to_numpy(dtype=object, na_value=None)
    return Dataset(
        X_train=X_tr, y_train=np.ascontiguousarray(y_tr),
        X_val=X_va, y_val=np.ascontiguousarray(y_va),
        feature_names=names, target_name=spec.target, task=task, classes=classes,
        x_mean=x_mean, x_std=x_std, y_mean=y_mean, y_std=y_std,
        index_train=rows[tr].astype(np.int64), index_val=rows[va].astype(np.int64),
        time_values=time_values, n_rows_read=n, dropped=dropped, spec=spec,
        onehot=onehot, skipped_columns=skipped,
        date_features=[f for f in used if table.column(f).kind == "date"])


def load_dataset(path, spec) -> Dataset:
    """read_csv (with the spec's delimiter, encoding and header) + build_dataset."""
    if isinstance(spec, dict):
        spec = DataSpec.from_dict(spec)
    table = read_csv(path, delimiter=spec.delimiter, encoding=spec.encoding, header=spec.header)
    return build_dataset(table, spec)
