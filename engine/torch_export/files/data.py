"""Prepare a CSV file exactly as NetCanvas prepared the project's data (spec.json, "data").

Reads the file with pandas; picks the feature columns (or the series' lag windows) in the project's
order; one-hot encodes text and category columns with the categories NetCanvas saw (in the same
order); reads dates as decimal years; drops the rows NetCanvas drops (a missing target or feature,
a placeholder such as ``?`` in a number column, a window with a gap); splits training and
validation rows as the project does (its seed and fraction; chronological for a series); and
standardizes with the statistics NetCanvas fitted on its training rows (spec.json,
"normalization": never recomputed), so a new, larger file of the same shape is prepared the same way.

A file that does not fit (a missing column, an unseen category or class, text in a number column)
raises :class:`DataMismatch` with one line.

    python data.py FILE.csv      # prints what it would train on
"""
from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["DataMismatch", "Prepared", "load_spec", "prepare", "read_columns", "feature_matrix", "decimal_years"]

HERE = os.path.dirname(os.path.abspath(__file__))
# "1,234,567.5" (a comma file, quoted) or "1.234.567,5" (a ;-file): numbers with thousands separators
_GROUPED = {False: r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", True: r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?"}


class DataMismatch(ValueError):
    """The file does not fit the project's data; the message is one line."""


def load_spec(path: str | None = None) -> dict:
    with open(path or os.path.join(HERE, "spec.json"), encoding="utf-8") as f:
        return json.load(f)


@dataclass
class Prepared:
    """Arrays ready to train on: X float32 standardized ``(N, F)``; y ``(N, T)`` float64 standardized
    (regression) or ``(N,)`` int64 class indices; ``X_raw`` the features before standardizing."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_raw: np.ndarray
    n_rows: int
    dropped: dict[str, int] = field(default_factory=dict)


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


# -- reading ---------------------------------------------------------------------------------------
def read_columns(path: str, data: dict) -> pd.DataFrame:
    """The columns the project uses, as stripped text (missing cells are NaN)."""
    f = data["file"]
    kw = dict(sep=f["delimiter"], encoding=f["encoding"], dtype=str, keep_default_na=False,
              na_values=data["missing_texts"], skip_blank_lines=True)
    if not f["header"]:
        kw.update(header=None)
    if f["skip_bad_lines"]:
        kw.update(on_bad_lines="skip")
    try:
        frame = pd.read_csv(path, **kw)
    except FileNotFoundError:
        raise DataMismatch(f"{path}: no such file") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataMismatch(f"{path}: cannot read it as the project's CSV ({str(exc).splitlines()[0]})") from None
    if f["header"]:
        frame.columns = [str(c).lstrip("\ufeff").strip() for c in frame.columns]
    else:
        frame.columns = [f"column {i + 1}" for i in range(frame.shape[1])]
    needed = list(data["columns"])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataMismatch(f"{os.path.basename(path)} has no column {missing[0]!r} (the project needs "
                           f"{', '.join(repr(c) for c in needed)})")
    out = frame[needed].copy()
    for name in needed:
        text = out[name].str.strip()
        out[name] = text.where(~(text.isna() | text.isin(data["missing_texts"])))
    return out


def _numbers(name: str, text: pd.Series, data: dict) -> np.ndarray:
    """A number column: float64, NaN for missing cells and placeholders (``?``, ``n/a``, …)."""
    comma = data["file"]["decimal_comma"]
    placeholder = text.str.lower().isin(data["placeholder_words"]) | text.str.fullmatch(r"[^\w\s]+")
    t = text.where(~placeholder.fillna(False).astype(bool))
    grouped = t.str.fullmatch(_GROUPED[comma]).fillna(False).astype(bool)
    if grouped.any():
        t = t.where(~grouped, t.str.replace("." if comma else ",", "", regex=False))
    if comma:
        t = t.str.replace(",", ".", regex=False)
    values = pd.to_numeric(t, errors="coerce")
    bad = values.isna() & t.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataMismatch(f"column {name!r} holds {text.iloc[i]!r} (data row {i + 1}), which is not a number")
    return values.to_numpy(np.float64)


def _years(text: pd.Series, fmt: str) -> np.ndarray:
    try:
        dt = pd.to_datetime(text, format=fmt, errors="coerce")
    except ValueError:                  # mixed UTC offsets
        dt = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    if getattr(dt.dtype, "tz", None) is not None:
        dt = dt.dt.tz_localize(None)
    return decimal_years(dt.to_numpy(dtype="datetime64[s]"))


def _codes(name: str, values, categories: list, keep: np.ndarray) -> np.ndarray:
    """Category indices; DataMismatch naming a value of a kept row that NetCanvas never saw."""
    lookup = {c: i for i, c in enumerate(categories)}
    codes = np.array([lookup.get(v, -1) for v in values], np.int64)
    unseen = keep & (codes < 0)
    if unseen.any():
        v = values[int(np.flatnonzero(unseen)[0])]
        shown = repr(v) if isinstance(v, str) else repr(float(v)).removesuffix(".0")
        raise DataMismatch(f"column {name!r} has the value {shown}, which the project never saw "
                           f"(known: {', '.join(map(str, categories[:10]))}{', …' if len(categories) > 10 else ''})")
    return codes


# -- the feature matrix ----------------------------------------------------------------------------
def feature_matrix(frame: pd.DataFrame, data: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """``(X_raw (N, F) float64, y (N,) target values or class indices, row positions, dropped)``
    for the examples of ``frame`` NetCanvas would keep, in file order."""
    cols = data["columns"]
    n = len(frame)
    dropped: dict[str, int] = {}

    def drop(keep, bad, reason):
        k = int(np.count_nonzero(bad & keep))
        if k:
            dropped[reason] = dropped.get(reason, 0) + k
            keep &= ~bad

    def numeric(name):             # a number column, or a date column's decimal years
        info = cols[name]
        if info["kind"] == "date":
            return _years(frame[name], info["format"])
        return _numbers(name, frame[name], data)

    target = data["target"]
    y_text = frame[target]
    y_values = numeric(target) if cols[target]["kind"] == "number" else None
    y_missing = y_text.isna().to_numpy() if y_values is None else np.isnan(y_values)
    if data["series"] is not None:
        K = data["lags"]
        if n <= K:
            raise DataMismatch(f"the file has {n} rows; lags K={K} need more than {K}")
        rows = np.arange(K, n)
        keep = np.ones(len(rows), bool)
        drop(keep, y_missing[rows], "missing target")
        windows, bad = [], np.zeros(len(rows), bool)
        for name in data["lagged"]:
            W = np.lib.stride_tricks.sliding_window_view(numeric(name), K)[: n - K]
            bad |= ~np.isfinite(W).all(axis=1)
            windows.append(W)
        drop(keep, bad, "window contains a missing value")
        X = np.concatenate([W[keep] for W in windows], axis=1)
    else:
        rows = np.arange(n)
        keep = np.ones(n, bool)
        drop(keep, y_missing, "missing target")
        parts = []
        for name in data["feature_columns"]:
            info = cols[name]
            if info["kind"] == "text":
                values = frame[name].to_numpy(dtype=object)
                drop(keep, frame[name].isna().to_numpy(), f"missing value in {name}")
                parts.append(("onehot", name, values, info["categories"]))
                continue
            a = numeric(name)
            if info["kind"] == "date":
                drop(keep, frame[name].isna().to_numpy(), f"missing value in {name}")
                drop(keep, np.isnan(a), f"not a date in {name}")
            else:
                drop(keep, np.isnan(a), f"missing value in {name}")
                drop(keep, np.isinf(a), f"infinite value in {name}")
            parts.append(("onehot", name, a, info["categories"]) if "categories" in info else ("value", name, a, None))
        blocks = []
        for how, name, values, cats in parts:
            if how == "value":
                blocks.append(values[keep][:, None])
            else:
                codes = _codes(name, values, cats, keep)[keep]
                blocks.append((codes[:, None] == np.arange(len(cats))[None, :]).astype(np.float64))
        X = np.concatenate(blocks, axis=1)
    rows = rows[keep]
    if data["task"] == "regression":
        y = y_values[rows].astype(np.float64)
    elif y_values is not None:
        y = _codes(target, y_values[rows], data["class_values"], np.ones(len(rows), bool))
    else:
        y = _codes(target, y_text.to_numpy(dtype=object)[rows], data["classes"], np.ones(len(rows), bool))
    return X, y, rows, dropped


def _n_val(n: int, fraction: float) -> int:
    return min(max(n - 1, 0), math.ceil(n * fraction - 1e-9))


def split(n: int, data: dict, y_class: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Positions (train, val), each ascending: NetCanvas's split (stratified for classes)."""
    n_val = _n_val(n, data["val_fraction"])
    if data["split"] == "chronological":
        return np.arange(n - n_val), np.arange(n - n_val, n)
    rng = np.random.default_rng(data["seed"])
    if y_class is None:
        is_val = np.zeros(n, bool)
        is_val[rng.permutation(n)[:n_val]] = True
        return np.flatnonzero(~is_val), np.flatnonzero(is_val)
    counts = np.bincount(y_class)
    quota = counts * (n_val / n)
    take = np.floor(quota).astype(np.int64)
    for k in np.argsort(-(quota - take), kind="stable")[: n_val - int(take.sum())]:
        take[k] += 1
    val = [np.flatnonzero(y_class == k)[rng.permutation(int(counts[k]))[:m]] for k, m in enumerate(take)]
    val = np.sort(np.concatenate(val)) if val else np.zeros(0, np.int64)
    is_val = np.zeros(n, bool)
    is_val[val] = True
    return np.flatnonzero(~is_val), val


def prepare(path: str, spec: dict | None = None) -> Prepared:
    """The CSV file at ``path`` prepared as NetCanvas prepared the project's data."""
    spec = spec or load_spec()
    data, norm = spec["data"], spec["normalization"]
    frame = read_columns(path, data)
    X_raw, y, _, dropped = feature_matrix(frame, data)
    n = len(X_raw)
    if n - _n_val(n, data["val_fraction"]) < 2:
        why = "; ".join(f"{r}: {c}" for r, c in dropped.items()) or "nothing dropped"
        raise DataMismatch(f"{os.path.basename(path)} leaves {n} examples ({why}); at least 2 are needed to train")
    classes = data["task"] != "regression"
    tr, va = split(n, data, y if classes and data["split"] == "random" else None)
    X = ((X_raw - np.asarray(norm["x_mean"])) / np.asarray(norm["x_std"])).astype(np.float32)
    if classes:
        y = y.astype(np.int64)
    else:
        y = ((y[:, None] - np.asarray(norm["y_mean"])) / np.asarray(norm["y_std"]))
    return Prepared(X[tr], y[tr], X[va], y[va], X_raw, len(frame), dropped)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python data.py FILE.csv", file=sys.stderr)
        return 2
    try:
        p = prepare(argv[0])
    except DataMismatch as exc:
        print(f"data.py: error: {exc}", file=sys.stderr)
        return 2
    dropped = "; ".join(f"{r}: {c}" for r, c in p.dropped.items())
    print(f"{p.n_rows} rows → {len(p.X_train)} training and {len(p.X_val)} validation examples, "
          f"{p.X_train.shape[1]} features" + (f" (dropped: {dropped})" if dropped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
