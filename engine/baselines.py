"""Yardsticks for a model's scores: what a model that learned nothing would score.

Regression: the training mean, and least squares on the same features (closed form, no
training). A series adds persistence (next = the last value) and, when the data has an
obvious period (weekly, yearly, …: :func:`detect_period`, or given), the seasonal naive
forecast (next = the value one period ago); its MASE is a MAE divided by the in-sample
persistence MAE on the training rows. Classification: the majority class of the training rows.

MAE and accuracy follow :func:`engine.scores.evaluate`: a MAE is in the target's own units
(averaged over the targets), an accuracy is the share of rows whose class is right.
Pure NumPy; never imports Qt.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dataset import Dataset

__all__ = ["Baselines", "PERIODS", "compute_baselines", "detect_period", "least_squares"]

# candidate periods, in steps: quarterly, weekly (daily data), monthly data's year,
# hourly data's day, weekly data's year, daily data's year
PERIODS = (4, 7, 12, 24, 52, 365)
MIN_DIP = 0.3        # the autocorrelation must fall by this much between half a period and a period


@dataclass(frozen=True)
class Baselines:
    """Baseline scores on the validation rows (None where a baseline does not apply)."""

    task: str
    mean_val_mae: float | None = None          # regression: always the training mean
    linear_val_mae: float | None = None        # regression: least squares on the features
    persistence_val_mae: float | None = None   # series: next = last value
    seasonal_val_mae: float | None = None      # series with a period: next = value one period ago
    period: int | None = None
    mase_scale: float | None = None            # series: in-sample persistence MAE on training rows
    majority_val_accuracy: float | None = None  # classification
    majority_class: str | None = None

    @property
    def baseline_val_mae(self) -> float | None:
        """The yardstick of the metrics JSON: persistence for a series, the training mean otherwise."""
        return self.persistence_val_mae if self.persistence_val_mae is not None else self.mean_val_mae

    def mase(self, val_mae: float | None) -> float | None:
        """A validation MAE as MASE (below 1: better than persistence was on the training rows)."""
        if val_mae is None or self.mase_scale is None or not math.isfinite(val_mae) or self.mase_scale <= 0:
            return None
        return float(val_mae / self.mase_scale)

    def metrics(self, val_mae: float | None = None) -> dict:
        """The metrics JSON's keys (``baseline_val_mae``, ``linear_val_mae``, ``val_mase`` for a
        series given the model's ``val_mae``; ``baseline_val_accuracy``), plus the single baselines."""
        if self.task != "regression":
            return {"baseline_val_accuracy": self.majority_val_accuracy,
                    "baseline_class": self.majority_class}
        out = {"baseline_val_mae": self.baseline_val_mae, "linear_val_mae": self.linear_val_mae,
               "mean_val_mae": self.mean_val_mae}
        if self.persistence_val_mae is not None:
            out["persistence_val_mae"] = self.persistence_val_mae
            out["val_mase"] = self.mase(val_mae)
            if self.period is not None:
                out["seasonal_period"] = self.period
                out["seasonal_val_mae"] = self.seasonal_val_mae
        return out


def _mae(pred: np.ndarray, y: np.ndarray) -> float | None:
    """MAE as ``evaluate`` reports it: per target, then averaged; rows with a NaN left out."""
    pred = np.asarray(pred, np.float64).reshape(len(y), -1)
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    ok = np.isfinite(pred).all(axis=1)
    if not ok.any():
        return None
    return float(np.mean(np.abs(pred[ok] - y[ok]).mean(axis=0)))


def least_squares(X: np.ndarray, y: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Weights ``(F + 1, T)`` (the last row the intercept) minimizing Σ(y − [X 1]·w)², from the
    normal equations summed in chunks (1,000,000 rows never become one float64 copy);
    collinear features (one-hot groups) get the minimum-norm solution."""
    n, F = X.shape
    y = np.asarray(y, np.float64).reshape(n, -1)
    A = np.zeros((F + 1, F + 1))
    B = np.zeros((F + 1, y.shape[1]))
    for i in range(0, n, chunk):
        Xc = np.empty((min(chunk, n - i), F + 1))
        Xc[:, :F] = X[i:i + chunk]
        Xc[:, F] = 1.0
        A += Xc.T @ Xc
        B += Xc.T @ y[i:i + chunk]
    return np.linalg.lstsq(A, B, rcond=None)[0]


def _linear_predict(X: np.ndarray, w: np.ndarray, chunk: int = 65536) -> np.ndarray:
    out = np.empty((len(X), w.shape[1]))
    for i in range(0, len(X), chunk):
        out[i:i + chunk] = np.asarray(X[i:i + chunk], np.float64) @ w[:-1] + w[-1]
    return out


def _autocorrelation(v: np.ndarray, max_lag: int) -> np.ndarray:
    """Unbiased autocorrelation r(0..max_lag) of a series after removing its straight-line trend."""
    n = len(v)
    t = np.arange(n, dtype=np.float64)
    slope, icept = np.polyfit(t, v, 1) if n > 1 else (0.0, float(v.mean()))
    x = v - (slope * t + icept)
    size = 1 << int(2 * n - 1).bit_length()
    f = np.fft.rfft(x, size)
    acov = np.fft.irfft(f * np.conj(f), size)[:max_lag + 1] / (n - np.arange(max_lag + 1))
    return acov / acov[0] if acov[0] > 0 else np.zeros(max_lag + 1)


def detect_period(values, candidates=PERIODS) -> int | None:
    """An obvious period of a series, or None: a candidate m (at least two cycles long) whose
    autocorrelation r(m) is at least 0.3, rises again by at least 0.3 from its lowest point
    between m/2 and m, and is within 0.05 of the highest value there (a peak, not a slow
    decay); of several, the one with the highest r(m). Missing values are filled with the mean."""
    v = np.asarray(values, np.float64)
    if not np.isfinite(v).any():
        return None
    v = np.where(np.isfinite(v), v, np.nanmean(v))
    fits = [m for m in candidates if len(v) >= 2 * m and m >= 2]
    if not fits:
        return None
    r = _autocorrelation(v, max(fits) + 1)
    best, best_r = None, -1.0
    for m in fits:
        window = r[max(1, m // 2):m + 2]
        if r[m] >= MIN_DIP and r[m] - window.min() >= MIN_DIP and r[m] >= window.max() - 0.05 \
                and r[m] > best_r:
            best, best_r = m, float(r[m])
    return best


def _series_values(ds: Dataset) -> np.ndarray | None:
    """The target's value at every data row (NaN where unknown), from the examples' targets and,
    when the target is one of the lagged columns, their lag features. None outside series mode."""
    spec = ds.spec
    if not spec.series or ds.task != "regression":
        return None
    vals = np.full(ds.n_rows_read, np.nan)
    K = spec.lags
    for which, index in (("train", ds.index_train), ("val", ds.index_val)):
        X = ds.X_train if which == "train" else ds.X_val
        for j in range(K, 0, -1):
            name = f"{ds.target_name}[t-{j}]"
            if name in ds.feature_names:
                col = ds.feature_names.index(name)
                vals[index - j] = X[:, col] * ds.x_std[col] + ds.x_mean[col]
    for which, index in (("train", ds.index_train), ("val", ds.index_val)):   # the targets are exact
        vals[index] = ds.y_raw(which)[:, 0]
    return vals


def _shifted(vals: np.ndarray, index: np.ndarray, lag: int) -> np.ndarray:
    rows = index - lag
    out = np.full(len(index), np.nan)
    ok = rows >= 0
    out[ok] = vals[rows[ok]]
    return out


def compute_baselines(ds: Dataset, period: int | None = None) -> Baselines:
    """Every baseline that applies to ``ds``. ``period``: the series' period in steps (None: the data
    settings' ``period``, else :func:`detect_period` on the training part; 0: no seasonal baseline)."""
    if ds.task != "regression":
        counts = np.bincount(np.asarray(ds.y_train, np.int64), minlength=max(len(ds.classes), 1))
        k = int(counts.argmax())
        acc = float(np.mean(np.asarray(ds.y_val) == k)) if ds.n_val else None
        return Baselines(task=ds.task, majority_val_accuracy=acc,
                         majority_class=ds.classes[k] if k < len(ds.classes) else str(k))
    if ds.n_val == 0:
        return Baselines(task=ds.task)
    y_tr, y_va = ds.y_raw("train"), ds.y_raw("val")
    mean_mae = _mae(np.broadcast_to(y_tr.mean(axis=0), y_va.shape), y_va)
    w = least_squares(ds.X_train, ds.y_train)
    linear_mae = _mae(ds.inverse_y(_linear_predict(ds.X_val, w)), y_va)
    vals = _series_values(ds)
    if vals is None:
        return Baselines(task=ds.task, mean_val_mae=mean_mae, linear_val_mae=linear_mae)
    y1 = y_va[:, 0]
    persistence = _mae(_shifted(vals, ds.index_val, 1), y1)
    scale = _mae(_shifted(vals, ds.index_train, 1), y_tr[:, 0])
    if period is None:
        period = getattr(ds.spec, "period", None)       # set in the import view (None: auto)
    if period is None:
        period = detect_period(vals[:int(ds.index_train.max()) + 1])
    seasonal = _mae(_shifted(vals, ds.index_val, period), y1) if period else None
    return Baselines(task=ds.task, mean_val_mae=mean_mae, linear_val_mae=linear_mae,
                     persistence_val_mae=persistence, seasonal_val_mae=seasonal,
                     period=(period or None) if seasonal is not None else None, mase_scale=scale)
