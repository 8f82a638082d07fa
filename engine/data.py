"""A :class:`~engine.table.Table` → :class:`Dataset`: roles, lags, split, normalization.

Pure NumPy/pandas; never imports Qt. The settings and the result,
:class:`DataSpec` and :class:`Dataset`, are defined in :mod:`engine.dataset`
(and importable from here); the heavy array work is in :mod:`engine.data_arrays`.

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

import math

import numpy as np
import pandas as pd

from .data_arrays import _assemble, _small_pages, _standardize
from .dataset import DataSpec, Dataset
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
MAX_CLASSES = 100        # a classification target with more distinct values is almost surely a number


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


def _target_bads(table: Table, name: str) -> list[tuple[str, np.ndarray]]:
    """Rows without a usable target, by reason: missing, or infinite (a number beyond float64)."""
    s = table.frame[name]
    if s.dtype != np.float64:
        return [("missing target", s.isna().to_numpy())]
    a = s.to_numpy()
    return [("missing target", np.isnan(a)), ("infinite target", np.isinf(a))]


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


F32_MAX = float(np.finfo(np.float32).max)


def _check_range(A: np.ndarray, mean: np.ndarray, std: np.ndarray, names: list[str], what: str = "feature") -> None:
    """DataError when a column holds values training cannot compute with: beyond float32 (the
    trainer's default), or so large that their squares overflow (1e308): the run would only
    "diverge" at any learning rate."""
    ok = np.isfinite(mean) & np.isfinite(std) & (np.abs(mean) <= F32_MAX) & (std <= F32_MAX)
    if ok.all():
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(A).all() and (A.dtype == np.float32 or np.abs(A).max(initial=0.0) <= F32_MAX):
                return
        peak = np.abs(A).max(axis=0)
        ok = np.isfinite(peak) & (peak <= F32_MAX)
    j = int(np.flatnonzero(~ok)[0]) if (~ok).any() else 0
    raise DataError(f"{what} {names[j]!r} has values too large to train with (beyond about 3.4e38, "
                    f"the largest float32 number, or squares that overflow); rescale the column, "
                    f"e.g. divide it by a power of ten")


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
    for reason, bad in _target_bads(table, spec.target):
        _drop(keep, bad[rows], reason, dropped)
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
    if spec.period and spec.period >= len(tr):
        raise DataError(f"the seasonal period ({plural(spec.period, 'row')}) must be smaller than the "
                        f"{plural(len(tr), 'training example')}: choose a shorter period, or auto")
    y_tr, y_va = y[tr], y[va]
    with np.errstate(over="ignore", invalid="ignore"):     # judged below, with the column's name
        X, x_mean, x_std = _assemble(np.concatenate([rows[tr], rows[va]]), fill, len(names),
                                     len(tr), spec.normalize == "standard")
        X_tr, X_va = X[:len(tr)], X[len(tr):]
        if task == "regression" and spec.normalize == "standard":
            y_mean, y_std = _standardize(y_tr, y_va)
        elif task == "regression":
            y_mean, y_std = np.zeros(y.shape[1]), np.ones(y.shape[1])
        else:
            y_mean, y_std = np.zeros(1), np.ones(1)
    _check_range(X, x_mean, x_std, names)
    if task == "regression":
        _check_range(y, y_mean, y_std, [spec.target], "target")

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
