"""A :class:`~engine.table.Table` → :class:`Dataset`: roles, lags, split, normalization.

Pure NumPy/pandas; never imports Qt.

    table = read_csv("weather.csv")                     # engine.table: typed columns
    spec = DataSpec(target="temp_max", series="temp_max", lags=7, split="chronological")
    ds = build_dataset(table, spec)                     # X_train (N, F), y_train (N, 1), ...

Every problem a user can cause (unknown column, nothing left to train on)
raises :class:`DataError` with one specific line of text.

A text feature is one-hot encoded; so is a number column named in
``DataSpec.categorical`` (codes such as cylinders 3, 4, 6, 8: features
``"Cylinders=3"`` …, in numeric order), which as the target means
classification. A date feature is ONE number, the decimal year, named
``"<column> (year)"`` — an exported model takes that number. A
date column is never a target. A row whose target or a feature is missing (or
not a date) is dropped and counted under its reason, e.g. "missing value in
<column>" or "not a date in <column>"; a row the table kept empty because it had
the wrong number of fields (``DataSpec.skip_bad_lines``) under "wrong number of
fields (lines 3, 17, …)".

A dataset a network cannot learn from is refused with a DataError saying what to
change: fewer than 2 training examples, no validation example while the
validation fraction is above 0 (e.g. lags K that leave one window), or a
constant target.
"""
from __future__ import annotations

import codecs
import contextlib
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from .table import (NA_VALUES, PLACEHOLDER_WORDS, Cancelled, Column, DataError, RaggedRowsError, Table,
                    decimal_years, guess_date_format, is_number, is_placeholder, placeholder_note, plural,
                    read_csv, sniff_csv)

__all__ = [
    "Cancelled", "Column", "DataError", "DataSpec", "Dataset", "RaggedRowsError", "Table", "NA_VALUES",
    "PLACEHOLDER_WORDS", "build_dataset", "category_label", "decimal_years", "guess_date_format",
    "infer_task", "is_number", "is_placeholder", "load_dataset", "max_lags", "min_examples", "placeholder_note",
    "plural", "read_csv", "sniff_csv",
]

MAX_CLASSES_AUTO = 10          # infer_task: at most this many integer values → classes
MAX_AUTO_CATEGORIES = 50       # features=None skips text columns with more distinct values
MAX_CATEGORIES = 1000          # one-hot limit for explicitly chosen text features


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
    categorical: list[str] = field(default_factory=list)   # number columns read as categories
    skip_bad_lines: bool = False         # rows with the wrong number of fields: skipped (counted), not an error

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
        cats = [] if self.categorical is None else self.categorical
        if isinstance(cats, str) or not isinstance(cats, (list, tuple)) or \
                not all(isinstance(c, str) and c for c in cats):
            raise DataError("data setting 'categorical' must be a list of column names")
        self.categorical = list(cats)
        dup = sorted({c for c in self.categorical if self.categorical.count(c) > 1})
        if dup:
            raise DataError(f"categorical column {dup[0]!r} is listed twice")
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
        for name in ("header", "skip_bad_lines"):
            if not isinstance(getattr(self, name), bool):
                raise DataError(f"{name} must be true or false, not {getattr(self, name)!r}")
        vf = self.val_fraction
        if isinstance(vf, bool) or not isinstance(vf, (int, float)) or not 0 <= vf < 1:
            raise DataError(f"val_fraction must be at least 0 and below 1, not {vf!r}")
        self.val_fraction = float(vf)

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["features"] is not None:
            d["features"] = list(d["features"])
        d["categorical"] = list(d["categorical"])
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
    onehot: dict[str, list[str]]   # text or categorical feature column -> categories, in one-hot order
    skipped_columns: dict[str, str] = field(default_factory=dict)  # column -> why not a feature
    date_features: list[str] = field(default_factory=list)  # date columns fed as decimal years
    placeholders: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> {"?": cells read as missing}
    bad_lines: list[int] = field(default_factory=list)   # 1-based lines of rows skipped for their field count

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
        note = placeholder_note(self.placeholders)
        if note:
            lines.append(note)
        if n_dropped:
            lines.append(f"Dropped: {plural(n_dropped, 'example' if s.series else 'row')}")
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


def infer_task(table: Table, target: str, categorical=()) -> str:
    """"classification" for a text target, a target named in ``categorical``, or a
    number target with at most 10 distinct whole values each seen 3+ times on
    average; otherwise "regression"."""
    col = table.column(target)
    if col.kind == "text" or target in categorical:
        return "classification"
    values = table.frame[target].to_numpy()
    values = values[~np.isnan(values)]
    if not np.all(values == np.round(values)):      # cheap, and settles most real targets
        return "regression"
    if 0 < col.n_unique <= MAX_CLASSES_AUTO and len(values) >= 3 * col.n_unique:
        return "classification"
    return "regression"


def category_label(v: float) -> str:
    """A number as a class or category name: 4.0 → "4", 2.5 → "2.5"."""
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


MIN_TRAIN = 2            # fewer training examples cannot be trained on (nor standardized)


def min_examples(val_fraction: float) -> int:
    """The fewest examples that leave MIN_TRAIN to train on and, when
    ``val_fraction`` > 0, at least one to validate on (3 for 20 %, 20 for 90 %)."""
    m = MIN_TRAIN
    while True:
        n_val = _n_val(m, val_fraction)
        if m - n_val >= MIN_TRAIN and (val_fraction == 0 or n_val >= 1):
            return m
        m += 1


def _need_text(val_fraction: float) -> str:
    if val_fraction == 0:
        return f"at least {MIN_TRAIN} are needed to train"
    return (f"with {val_fraction * 100:.0f} % validation at least {min_examples(val_fraction)} are needed "
            f"({MIN_TRAIN} or more to train, 1 or more to validate)")


def _lines_text(lines) -> str:
    """[3, 17] → "lines 3, 17"; at most 5 shown, then "…"."""
    lines = [int(v) for v in lines]
    shown = ", ".join(str(v) for v in lines[:5]) + (", …" if len(lines) > 5 else "")
    return f"line{'s' if len(lines) != 1 else ''} {shown}"


def _split(n: int, spec: DataSpec, y_class: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Positions (train, val) into the n examples, each ascending."""
    n_val = _n_val(n, spec.val_fraction)
    if spec.split == "chronological":
        return np.arange(n - n_val), np.arange(n - n_val, n)
    rng = np.random.default_rng(spec.seed)
    if y_class is None:
        is_val = np.zeros(n, bool)          # the same rows as sorting the two halves of the
        is_val[rng.permutation(n)[:n_val]] = True      # permutation, without the sorts
        return np.flatnonzero(~is_val), np.flatnonzero(is_val)
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
    tiny = ~np.isfinite(std) | (std <= 1e-12 * np.maximum(1.0, np.abs(mean)))
    std = np.where(tiny, 1.0, std)
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


def _check_columns(table: Table, names) -> None:
    for name in names:
        if name is not None:
            table.column(name)      # DataError naming it and the available columns


def _number_bads(table: Table, name: str, what: str) -> list[tuple[str, np.ndarray]]:
    a = table.frame[name].to_numpy()
    finite = np.isfinite(a)
    if finite.all():                    # the usual case: one pass, nothing to drop
        return []
    nan = np.isnan(a)
    out = [(f"missing value in {what}", nan)]
    inf = ~(finite | nan)
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
    """Plain mode: one row → one example; text and categorical number features
    one-hot encoded, a date as its decimal year. ``used`` receives the feature columns."""
    marked = set(spec.categorical)          # number columns to one-hot encode (text always is)
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
    for name in (f for f in features if f in marked):    # the person's choice, in both modes
        c = table.column(name)
        if c.kind == "number" and c.n_unique > MAX_CATEGORIES:
            raise DataError(f"column {name!r} has {c.n_unique} distinct values, too many to "
                            f"one-hot encode (at most {MAX_CATEGORIES}); use it as a number")
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
            if kind == "number" and name in marked:
                values = np.unique(a[kept_rows])           # numeric order: 9 before 10
                labels = [category_label(v) for v in values]
                onehot[name] = labels
                layout.append((np.searchsorted(values, a), len(values)))   # kept rows: exact
                names += [f"{name}={c}" for c in labels]
            elif kind == "number":
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
        if kind == "number" and name in spec.categorical:
            raise DataError(f"column {name!r} is marked as a category; lagged values need a "
                            "number column (use it as a number, or one row → one example)")
    if K < 1:
        raise DataError(f"lags K={K} must be at least 1")
    if K >= n:
        best = max_lags(table, spec)
        raise DataError(f"lags K={K} is larger than the series ({n} values); "
                        + (f"use at most {best}" if best else
                           f"{_need_text(spec.val_fraction)}, and {_too_short()}"))
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


def _series_usable(table: Table, spec: DataSpec):
    """``usable(K)``: how many examples lags K leave in series mode — windows with no
    missing value and no skipped row, whose target is there (O(rows) per call)."""
    n = table.n_rows
    lagged = [spec.series] + [f for f in (spec.features or []) if f != spec.series]
    gap = np.zeros(n, bool)
    gap[table.bad_rows] = True
    target_ok = ~(_missing(table, spec.target) | gap)
    for name in lagged:
        gap |= ~np.isfinite(table.numbers(name))
    gaps = np.concatenate([[0], np.cumsum(gap)])

    def usable(K: int) -> int:
        if K < 1 or K >= n:
            return 0
        t = np.arange(K, n)
        return int(np.count_nonzero(target_ok[K:] & (gaps[t] == gaps[t - K])))
    return usable


def max_lags(table: Table, spec: DataSpec) -> int | None:
    """The largest K that leaves a dataset to train on in series mode (see
    :func:`min_examples`), or None when even K = 1 does not. Fewer lags never
    leave fewer examples, so a binary search finds it."""
    usable = _series_usable(table, spec)
    need = min_examples(spec.val_fraction)
    lo, hi = 1, table.n_rows - 1
    if hi < 1 or usable(1) < need:
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if usable(mid) >= need:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _too_short() -> str:
    return "even K=1 leaves too few; use a longer series (or one with fewer gaps)"


def _check_enough(table: Table, spec: DataSpec, n_examples: int, dropped: dict[str, int]) -> None:
    """DataError saying what to change when ``n_examples`` leave fewer than MIN_TRAIN
    training examples, or none to validate on while the validation fraction is > 0."""
    vf = spec.val_fraction
    n_val = _n_val(n_examples, vf)
    if n_examples - n_val >= MIN_TRAIN and (vf == 0 or n_val >= 1):
        return
    left = plural(n_examples, "example")
    lost = "; ".join(f"{r}: {c:,}" for r, c in dropped.items())
    if spec.series is not None:
        K = spec.lags
        how = f"{table.n_rows:,} values − {K:,}" + (f", then {sum(dropped.values()):,} dropped: {lost}"
                                                  if dropped else "")
        best = max_lags(table, spec)
        fix = f"use K at most {best}" if best else _too_short()
        raise DataError(f"lags K={K} leave {left} ({how}); {_need_text(vf)}: {fix}")
    how = f"{plural(table.n_rows, 'row')} read" + (f", {sum(dropped.values()):,} dropped: {lost}"
                                                   if dropped else "")
    fix = "use a file with more rows"
    if vf > 0 and n_examples > MIN_TRAIN:       # ceil(m·f) ≤ m − 2 keeps two to train
        fix = f"set validation to {math.floor(100 * (n_examples - MIN_TRAIN) / n_examples)} % or less, or {fix}"
    elif vf > 0 and n_examples == MIN_TRAIN:
        fix = f"set validation to 0 %, or {fix}"
    raise DataError(f"only {left} left ({how}); {_need_text(vf)}: {fix}")


def _bad_field_rows(table: Table, spec: DataSpec, rows: np.ndarray) -> np.ndarray | None:
    """Which examples ``rows`` touch a row the table kept empty for its field count
    (series mode: in the window or as the target); None when the file had none."""
    if not len(table.bad_rows):
        return None
    mark = np.zeros(table.n_rows, bool)
    mark[table.bad_rows] = True
    if spec.series is None:
        return mark[rows]
    K = spec.lags
    marks = np.concatenate([[0], np.cumsum(mark)])
    return mark[rows] | (marks[rows] != marks[rows - K])


def _constant_target(table: Table, spec: DataSpec, target: np.ndarray) -> None:
    first = target[0]
    if table.column(spec.target).kind == "number":
        same = bool(np.all(target == first))
        shown = category_label(first)
    else:
        same = len(pd.unique(target)) == 1
        shown = repr(first)
    if same:
        raise DataError(f"target {spec.target!r} is constant (every value is {shown}): "
                        "there is nothing to predict")


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


def build_dataset(table: Table, spec: DataSpec) -> Dataset:
    """Turn a table and a person's settings into normalized train/val arrays."""
    with _small_pages():
        return _build(table, spec)


def _build(table: Table, spec: DataSpec) -> Dataset:
    if isinstance(spec, dict):
        spec = DataSpec.from_dict(spec)
    spec = DataSpec.from_dict(spec.to_dict())           # validate (fields may be mutated)
    n = table.n_rows
    _check_columns(table, [spec.target, spec.series, spec.time_column, *(spec.features or []),
                           *spec.categorical])
    for name in spec.categorical:           # text already is categorical; a date is one number
        if table.column(name).kind == "date":
            raise DataError(f"column {name!r} is a date; only number columns can be marked as "
                            "categories")
    if spec.time_column is not None and spec.time_column in (spec.features or []):
        raise DataError(f"time column {spec.time_column!r} cannot also be a feature")
    if spec.time_column is not None and spec.time_column in (spec.target, spec.series):
        raise DataError(f"time column {spec.time_column!r} cannot be the target or the series")

    target_col = table.column(spec.target)
    if target_col.kind == "date":
        raise DataError(f"{spec.target!r} is a date column; choose a number or text column "
                        "as the target")
    task = spec.task if spec.task != "auto" else infer_task(table, spec.target, spec.categorical)
    if task == "regression" and target_col.kind == "text":
        raise DataError(f"target {spec.target!r} is text; choose task classification")
    if task == "regression" and spec.target in spec.categorical:
        raise DataError(f"target {spec.target!r} is marked as a category; choose task "
                        "classification, or use it as a number")

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
    skipped_rows = _bad_field_rows(table, spec, rows)
    if skipped_rows is not None:            # first: their cells are all missing
        _drop(keep, skipped_rows, f"wrong number of fields ({_lines_text(table.bad_lines)})", dropped)
    _drop(keep, _missing(table, spec.target)[rows], "missing target", dropped)
    for reason, bad in bads:
        _drop(keep, bad, reason, dropped)
    if not keep.any():
        why = "; ".join(f"{r}: {c}" for r, c in dropped.items())
        raise DataError(f"no examples left to train on: all {len(rows)} dropped ({why})")
    rows = rows[keep] if not keep.all() else rows
    _check_enough(table, spec, len(rows), dropped)
    target = table.frame[spec.target].to_numpy()[rows]
    _constant_target(table, spec, target)
    names, onehot, fill = encoder(rows)

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
            classes = [category_label(v) for v in values]
            y = np.searchsorted(values, target.astype(np.float64)).astype(np.int64)
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
        date_features=[f for f in used if table.column(f).kind == "date"],
        placeholders=table.placeholders, bad_lines=[int(v) for v in table.bad_lines])


def load_dataset(path, spec) -> Dataset:
    """read_csv (with the spec's delimiter, encoding, header and skip_bad_lines) + build_dataset."""
    if isinstance(spec, dict):
        spec = DataSpec.from_dict(spec)
    table = read_csv(path, delimiter=spec.delimiter, encoding=spec.encoding, header=spec.header,
                     skip_bad_lines=spec.skip_bad_lines)
    return build_dataset(table, spec)
