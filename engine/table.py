"""CSV file → :class:`Table`: typed columns, read fast, with progress and Cancel.

Pure NumPy/pandas; never imports Qt. :mod:`engine.data` turns a table into
training arrays.

    table = read_csv("weather.csv")          # delimiter, encoding and header detected

Every problem a user can cause (missing, empty, binary or non-UTF-8 file,
ragged rows, no header) raises :class:`DataError` with one specific line of
text, fit for a status bar or the CLI's stderr.

Column types: "number" (float64), "text" and "date": a text column whose
values read as dates in one consistent format (e.g. 1970-01-01, 2012/01/31,
5 Mar 2012 13:45). A date column keeps its text in ``Table.frame`` and its
values as decimal years in ``Table.dates`` (1970-01-01 → 1970.0,
2012-07-02 → 2012.5). Cells that are missing or do not read as a date in the
column's format count as missing values.

Placeholders for a missing number: a column whose cells are all numbers except
some written as a placeholder — a cell of punctuation only (``?``, ``-``,
``--``, ``.``, ``*``, ``***``, ``—``) or one of the words in
:data:`PLACEHOLDER_WORDS` (``na``, ``n.a.``, ``missing``, ``unknown``, ``#VALUE!``,
… in any case) — is a number column with those cells missing. The column says
so (``Column.placeholders``, counted in ``Column.missing``) and
:meth:`Table.placeholder_note` words it for a person ("'?' read as missing in
horsepower (6 cells)"). A column with any other word in it stays text. The
UCI Auto-MPG file writes its missing horsepower as ``?``.

Rows with the wrong number of fields: ``read_csv(..., skip_bad_lines=True)``
reads the file without them and keeps each as a row whose every cell is
missing (so a series keeps its spacing); ``Table.bad_rows`` / ``Table.bad_lines``
name them and :func:`engine.data.build_dataset` drops them, counted with
their line numbers. Without it such a file raises :class:`RaggedRowsError`.

The file itself is read by :mod:`engine.csv_read` (delimiter, encoding,
ragged rows, big files in pieces on all cores with progress and Cancel).
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .csv_read import NA_VALUES, Cancelled, DataError, RaggedRowsError, is_number, read_raw, sniff_csv

__all__ = [
    "Cancelled", "Column", "DataError", "RaggedRowsError", "Table", "NA_VALUES", "PLACEHOLDER_WORDS",
    "decimal_years", "guess_date_format", "is_number", "is_placeholder", "placeholder_note", "plural",
    "read_csv", "sniff_csv", "type_rows",
]

# Words that stand for a missing number in a column of numbers (compared in lower
# case, after stripping); a cell of punctuation only (?, -, --, ., *, #, —) is one too.
PLACEHOLDER_WORDS = frozenset({
    "na", "n/a", "n.a.", "n.a", "nan", "null", "none", "nil", "missing", "unknown", "empty",
    "#n/a", "#na", "#value!", "#div/0!", "#num!", "#ref!", "#null!", "#name?",
    # how C libraries and spreadsheets print a NaN ("-nan" on Linux, "nan(ind)" and "1.#IND" on Windows)
    "-nan", "+nan", "nan(ind)", "-nan(ind)", "nan(snan)", "-nan(snan)", "1.#ind", "-1.#ind", "1.#qnan",
    "-1.#qnan", "1.#snan", "-1.#snan",
})
# how they print an infinity that float() does not read: a number column keeps them as ±inf
INF_SPELLINGS = {"1.#inf": np.inf, "+1.#inf": np.inf, "-1.#inf": -np.inf, "1.#inf00": np.inf,
                 "-1.#inf00": -np.inf, "#inf": np.inf, "-#inf": -np.inf}
_PUNCTUATION = re.compile(r"[^\w\s]+")     # no letter, digit, underscore or space
_PLACEHOLDER_SAMPLE = 200                   # values that decide whether a text column is worth a look
DATE_SAMPLE = 500              # values of a text column that decide whether it holds dates
MAX_NOT_DATES = 0.05           # a date column may have at most this share of cells that do not parse
_HAS_STR_DTYPE = int(pd.__version__.split(".")[0]) >= 3   # pandas 3: text is "str"


# --------------------------------------------------------------------------- table

@dataclass
class Column:
    name: str
    kind: str          # "number" | "text" | "date"
    missing: int       # cells read as missing (for a date: also cells that are not a date)
    distinct: int | None = None       # distinct non-missing values; None: count on first use
    date_format: str | None = None    # "date": the strptime format its values were read with
    not_dates: int = 0                # "date": cells with text that is not a date (in `missing`)
    placeholders: dict[str, int] = field(default_factory=dict)   # "number": "?" -> cells (in `missing`)
    values: np.ndarray | None = field(default=None, repr=False, compare=False)   # numbers to count

    @property
    def n_unique(self) -> int:
        """Distinct non-missing values. A number column counts them when first asked
        (a sort: most columns of a big file are never asked, so reading skips it)."""
        if self.distinct is None:
            self.distinct = _n_distinct(self.values) if self.values is not None else 0
        return self.distinct


def _names_text(names: list[str], most: int = 12, width: int = 30) -> str:
    """Column names for a message: at most ``most``, each cut at ``width`` characters, so that a
    file that is not a table (a password file's first line) is not echoed whole."""
    shown = [n if len(n) <= width else n[:width - 1] + "…" for n in names[:most]]
    return ", ".join(shown) + (f", … ({len(names)} in all)" if len(names) > most else "")


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
    bad_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))   # rows kept empty
    bad_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # their 1-based lines

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def placeholders(self) -> dict[str, dict[str, int]]:
        """Number columns that had placeholders → {"?": cells read as missing}."""
        return {c.name: dict(c.placeholders) for c in self.columns if c.placeholders}

    def placeholder_note(self) -> str:
        """"'?' read as missing in a (12 cells), c (3 cells)"; "" when no column had any."""
        return placeholder_note(self.placeholders)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        if len(self.names) == 1:        # not a table, or another delimiter: its first line is no name
            raise DataError(f"unknown column {name!r:.60}: the file has a single column "
                            f"(is it a CSV file, with , ; or tab between fields?)")
        raise DataError(f"unknown column {name!r:.60}; available: {_names_text(self.names)}")

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
        placeholders: dict[str, dict[str, int]] = {}
        frame = _normalize_frame(frame.copy(), placeholders=placeholders)
        dates = _find_dates(frame)
        return cls(None if path is None else str(path), frame, _describe(frame, dates, placeholders),
                   delimiter, encoding, {n: d[0] for n, d in dates.items()})


def type_rows(header: list[str], rows: list[list[str]], delimiter: str = ",") -> list[Column]:
    """Columns typed from a few rows of cell texts (as :func:`sniff_csv` gives them) by
    the rules :func:`read_csv` types a whole file with — numbers with a decimal comma
    (a ;-separated file) or thousands separators, placeholders, dates, text — so a
    preview shows the types the file will have. Cells a short row lacks are missing."""
    width = len(header)
    cells = [[r[j] if j < len(r) else "" for j in range(width)] for r in rows]
    frame = pd.DataFrame(cells, columns=[f"c{j}" for j in range(width)], dtype=object)
    placeholders: dict[str, dict[str, int]] = {}
    frame = _normalize_frame(frame, decimal_comma=delimiter == ";", placeholders=placeholders)
    columns = _describe(frame, _find_dates(frame), placeholders)
    for name, c in zip(header, columns):
        c.name = name
    return columns


def plural(n: int, word: str) -> str:
    """"1 example", "2 examples", "1,461 rows"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def placeholder_note(placeholders: dict[str, dict[str, int]]) -> str:
    """{"a": {"?": 12}, "c": {"?": 3, "-": 1}} → "'?' read as missing in a (12 cells), c (3 cells);
    '-' read as missing in c (1 cell)": one clause per spelling; "" for none."""
    by_token: dict[str, list[str]] = {}
    for name, counts in placeholders.items():
        for token, n in counts.items():
            by_token.setdefault(token, []).append(f"{name} ({plural(n, 'cell')})")
    return "; ".join(f"{token!r} read as missing in {', '.join(where)}" for token, where in by_token.items())


def is_placeholder(text: str) -> bool:
    """Whether a cell's text stands for a missing number: punctuation only
    (``?``, ``-``, ``--``, ``.``, ``*``) or a word of :data:`PLACEHOLDER_WORDS`, any case."""
    t = text.strip()
    return bool(t) and (t.lower() in PLACEHOLDER_WORDS or _PUNCTUATION.fullmatch(t) is not None)


def _number_like(text: str, decimal_comma: bool) -> bool:
    return (is_number(text) or text.lower() in INF_SPELLINGS or (decimal_comma and is_number(text.replace(",", ".")))
            or _GROUPED[decimal_comma].fullmatch(text) is not None)


def _as_numbers(text: pd.Series, decimal_comma: bool) -> pd.Series | None:
    """Stripped text (NA already missing) as float64 when every value is a number —
    plain, with a decimal comma (``decimal_comma``) or with thousands separators; else None."""
    candidates = [text]
    if decimal_comma:
        candidates.append(text.str.replace(",", ".", regex=False))
    for c in candidates:
        try:
            return pd.to_numeric(c).astype(np.float64)
        except (ValueError, TypeError, OverflowError):
            pass
    wide = _beyond_pandas(text)
    return wide if wide is not None else _without_thousands(text, decimal_comma)


def _beyond_pandas(text: pd.Series) -> pd.Series | None:
    """``text`` as float64 when every value is a number that pandas gives up on: an integer
    too long for it ("9" * 400, beyond float64: inf) or an infinity written "1.#INF"; else None.
    Stops at the first value that is not a number (a text column costs one look)."""
    values = text.dropna()
    if values.empty:
        return None
    out = np.empty(len(values))
    for i, v in enumerate(values.tolist()):
        x = INF_SPELLINGS.get(v.lower())
        if x is None:
            try:
                x = float(v)
            except (ValueError, TypeError):
                return None
        out[i] = x
    numbers = pd.Series(np.nan, index=text.index)
    numbers[values.index] = out
    return numbers


def _without_placeholders(text: pd.Series, decimal_comma: bool) -> tuple[pd.Series, dict[str, int]] | None:
    """A text column of numbers and placeholders (see :func:`is_placeholder`) as
    float64 with the placeholders missing, and the count of each placeholder
    spelling; None when any other text is in it (a real text column).

    A real text column costs a look at its first values: it stops at the first word."""
    present = text.dropna()
    if present.empty or not all(is_placeholder(v) or _number_like(v, decimal_comma)
                                for v in present.iloc[:_PLACEHOLDER_SAMPLE]):
        return None
    plain = present.str.replace(",", ".", regex=False) if decimal_comma else present
    odd = present[pd.to_numeric(plain, errors="coerce").isna().to_numpy()]   # grouped numbers too
    marked = odd.str.fullmatch(_PUNCTUATION.pattern) | odd.str.lower().isin(PLACEHOLDER_WORDS)
    counts = odd[marked.to_numpy(dtype=bool)].value_counts()
    if counts.empty or int(counts.sum()) == len(present):       # no placeholder, or no number
        return None
    numbers = _as_numbers(text.where(~text.isin(counts.index)), decimal_comma)
    if numbers is None:
        return None
    return numbers, {str(k): int(v) for k, v in counts.items()}


def _normalize_frame(frame: pd.DataFrame, decimal_comma: bool = False,
                     placeholders: dict[str, dict[str, int]] | None = None) -> pd.DataFrame:
    """Numbers → float64; text → stripped str with NA texts as missing; bools → text.

    With ``decimal_comma`` (a ;-separated file) text like "1,5" is read as 1.5.
    A column of numbers and placeholders ("?", "-", "n.a.") becomes numbers; the
    placeholders it had are put in ``placeholders[column]`` ({"?": 6})."""
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
            numbers = _as_numbers(text, decimal_comma)    # e.g. " NA" made a number column look like text
            if numbers is None:
                found = _without_placeholders(text, decimal_comma)
                if found is not None:
                    numbers, counts = found
                    if placeholders is not None:
                        placeholders[name] = counts
            frame[name] = text if numbers is None else numbers
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


def _describe(frame: pd.DataFrame, dates: dict | None = None,
              placeholders: dict[str, dict[str, int]] | None = None) -> list[Column]:
    cols = []
    for name in frame.columns:
        s = frame[name]
        if s.dtype == np.float64:
            a = s.to_numpy()
            cols.append(Column(name, "number", int(np.count_nonzero(np.isnan(a))), values=a,
                               placeholders=(placeholders or {}).get(name, {})))
        elif dates and name in dates:
            years, fmt, n_bad = dates[name]
            cols.append(Column(name, "date", int(np.count_nonzero(np.isnan(years))),
                               int(s.nunique()), fmt, n_bad))
        else:
            cols.append(Column(name, "text", int(s.isna().sum()), int(s.nunique())))
    return cols


def read_csv(path, delimiter: str | None = None, encoding: str | None = None,
             progress: Callable[[float], object] | None = None,
             cancel: Callable[[], bool] | None = None, header: bool = True,
             skip_bad_lines: bool = False) -> Table:
    """Read a CSV file with a header row into a typed :class:`Table`.

    ``header=False`` reads a file whose first line is already data; its
    columns are named ``column 1``, ``column 2``, ….

    The delimiter (, ; tab) and encoding (UTF-8 with or without BOM) are detected
    unless given. Empty cells and NA/N/A/NaN/null/None are missing; so are
    placeholders such as "?" in a column of numbers (see the module docstring).
    A text column whose values read as dates in one format becomes a "date"
    column (only text columns are checked: numbers cost nothing). The file is
    parsed in one pandas C-engine read; ``progress(fraction)`` is called as it
    goes and ``cancel() -> bool`` stops it (:class:`Cancelled`).

    A row with more or fewer fields than the header raises :class:`RaggedRowsError`
    naming its line — unless ``skip_bad_lines``: then every such row is kept as a
    row of missing cells, listed in ``Table.bad_rows`` and ``Table.bad_lines``
    (the file is read once more, by Python's csv module, only when it has such rows).
    """
    path = Path(path)
    raw = read_raw(path, delimiter, encoding, progress, cancel, header, skip_bad_lines)
    placeholders: dict[str, dict[str, int]] = {}
    frame = _normalize_frame(raw.frame, decimal_comma=raw.delimiter == ";", placeholders=placeholders)
    dates = _find_dates(frame)
    table = Table(str(path), frame, _describe(frame, dates, placeholders), raw.delimiter, raw.encoding,
                  {n: d[0] for n, d in dates.items()}, raw.bad_rows, raw.bad_lines)
    if progress is not None:
        progress(1.0)
    return table
