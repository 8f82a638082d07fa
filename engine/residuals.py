"""Is there pattern left? A regression model's residuals (actual − prediction, in the target's
own units) on the validation rows (or the training rows), and what they say.

- a series: the residuals against time, their histogram, and their autocorrelation r(k) with
  95 % bounds ±1.96/√n_k (n_k: the pairs of rows k apart, N − k for consecutive rows); the
  Ljung–Box test over the first lags says whether the residuals as a whole look like noise, and
  the lag that stands out most is named ("lag 7: a weekly pattern the model did not learn");
- otherwise: the residuals against the prediction and their histogram; a bias (the mean residual
  away from 0) or a trend or a bend against the prediction is said in words.

Rows with gaps (a random split of a series) are paired by their data row: r(k) uses only the
pairs that are k rows apart. Pure NumPy (SciPy for the χ² tail); never imports Qt.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dataset import Dataset
from .views import _time_axis

__all__ = ["Residuals", "autocorrelation", "compute_residuals", "ljung_box", "lag_meaning",
           "MAX_POINTS", "Z95"]

Z95 = 1.959963984540054      # the normal's 97.5 % point: the 95 % bounds
MAX_POINTS = 2000            # residuals drawn as points (more are subsampled, evenly)
MIN_LAGS = 30                # lags shown at least (fewer when there are few residuals)
MAX_LAGS = 400               # lags shown at most (a yearly period of hourly rows is 8,760)
CHUNK = 65536                # rows per forward pass
_PERIOD_NAMES = {            # a step (in days) → {lag: the pattern's name}
    1 / 1440: {60: "hourly", 1440: "daily"},
    1 / 24: {24: "daily", 168: "weekly"},
    1.0: {7: "weekly", 14: "fortnightly", 28: "monthly", 30: "monthly", 31: "monthly", 365: "yearly",
          366: "yearly"},
    7.0: {4: "monthly", 13: "quarterly", 52: "yearly"},
    30.4: {3: "quarterly", 12: "yearly"},
    91.3: {4: "yearly"},
}
_GUESSES = {7: "weekly, if the rows are days", 12: "yearly, if the rows are months",
            24: "daily, if the rows are hours", 52: "yearly, if the rows are weeks",
            365: "yearly, if the rows are days", 4: "yearly, if the rows are quarters"}


@dataclass(frozen=True)
class Residuals:
    """What the residual views show (arrays are float64)."""

    which: str                      # "val" | "train"
    series: bool                    # against time, with the autocorrelation
    target: str
    n: int                          # residuals computed
    residuals: np.ndarray           # (n,) actual − prediction; a series: in data-row order
    predicted: np.ndarray           # (n,)
    rows: np.ndarray                # (n,) the data row of each
    x: np.ndarray                   # (n,) time (a series) or the prediction
    x_label: str
    x_is_date: bool
    shown: np.ndarray               # indices of the residuals drawn as points (≤ MAX_POINTS)
    hist_counts: np.ndarray
    hist_edges: np.ndarray
    mean: float
    std: float
    lags: np.ndarray | None = None      # 1 … L
    acf: np.ndarray | None = None       # r(k) (NaN: no pairs k apart)
    bounds: np.ndarray | None = None    # 1.96/√n_k
    q: float | None = None              # Ljung–Box (Box–Pierce with gaps) over the first h lags
    q_lags: int | None = None
    p_value: float | None = None
    verdict: str = ""                   # "is there pattern left?" in words


# --------------------------------------------------------------------------- statistics

def autocorrelation(values, rows=None, max_lag: int = MIN_LAGS) -> tuple[np.ndarray, np.ndarray]:
    """r(k) for k = 1 … max_lag of ``values`` observed at integer positions ``rows`` (None:
    0, 1, 2, …) and the number of pairs n_k behind each: r(k) = (Σ over pairs k apart of
    (e_t − ē)(e_{t+k} − ē) / n_k) / (Σ (e − ē)² / N). NaN where no pair is k apart."""
    e = np.asarray(values, np.float64)
    n = len(e)
    pos = np.arange(n) if rows is None else np.asarray(rows, np.int64) - int(np.min(rows))
    span = int(pos.max()) + 1 if n else 0
    max_lag = max(0, min(int(max_lag), span - 1))
    x = np.zeros(span)
    m = np.zeros(span)
    x[pos] = e - e.mean() if n else 0.0
    m[pos] = 1.0
    size = 1 << int(2 * span - 1).bit_length() if span else 1

    def lagged_sums(a):          # Σ_t a_t a_{t+k}, k = 0 … max_lag
        f = np.fft.rfft(a, size)
        return np.fft.irfft(f * np.conj(f), size)[:max_lag + 1]
    s = lagged_sums(x)
    pairs = np.rint(lagged_sums(m)).astype(np.int64)
    var = s[0] / n if n else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(pairs[1:] > 0, s[1:] / np.maximum(pairs[1:], 1), np.nan) / var if var > 0 \
            else np.full(max_lag, np.nan)
    return r, pairs[1:]


def ljung_box(r: np.ndarray, pairs: np.ndarray, n: int, h: int) -> tuple[float, float]:
    """(Q, p) over lags 1 … h of :func:`autocorrelation`'s ``r`` and ``pairs``. Consecutive rows:
    Ljung–Box Q = N(N+2) Σ ρ_k² / (N − k) with the usual ρ_k = r_k (N − k) / N (its sums divided
    by N); with gaps (n_k below N − k), Box–Pierce Q = Σ n_k r_k². p: the χ² tail beyond Q."""
    from scipy.special import chdtrc
    r, pairs = np.asarray(r[:h], np.float64), np.asarray(pairs[:h])
    ok = np.isfinite(r) & (pairs > 0)
    k = np.arange(1, len(r) + 1)
    if np.array_equal(pairs, n - k):
        rho = r * (n - k) / n
        q = float(n * (n + 2) * np.sum(rho[ok] ** 2 / (n - k[ok])))
    else:
        q = float(np.sum(pairs[ok] * r[ok] ** 2))
    dof = int(ok.sum())
    return q, (float(chdtrc(dof, q)) if dof else float("nan"))


def time_step_days(x: np.ndarray, is_date: bool) -> float | None:
    """The typical step between rows in days (dates only), or None."""
    if not is_date or len(x) < 3:
        return None
    d = np.diff(np.asarray(x, np.float64))
    d = d[np.isfinite(d) & (d > 0)]
    return float(np.median(d)) / 86400.0 if len(d) else None


def lag_meaning(lag: int, step_days: float | None, period: int | None = None) -> str:
    """What a pattern every ``lag`` rows is called ("a weekly pattern"), as far as it is known."""
    if step_days is not None:
        unit = min(_PERIOD_NAMES, key=lambda u: abs(math.log(step_days / u)))
        if abs(math.log(step_days / unit)) < 0.25:
            names = _PERIOD_NAMES[unit]
            name = names.get(lag) or next((names[b] for b in sorted(names) if b > 1 and lag % b == 0), None)
            if name:
                return f"a {name} pattern"
    if period and period > 1 and lag % period == 0:
        return f"a pattern every {period} rows (the seasonal period)"
    guess = _GUESSES.get(lag) if step_days is None else None
    return f"a pattern every {lag} rows" + (f" ({guess})" if guess else "")


def _verdict_series(lags, r, bounds, q_lags, p, n, step_days, period) -> str:
    if n < 10 or p is None or not math.isfinite(p):
        return f"Too few residuals ({n}) to judge whether there is pattern left."
    out = np.isfinite(r) & (np.abs(r) > bounds)
    test = f"Ljung–Box over lags 1–{q_lags}: " + (f"p = {p:.2g}" if p >= 0.001 else "p < 0.001")
    if p >= 0.05:
        extra = (f"; {int(out.sum())} of {len(r)} lags beyond the bounds, where chance alone puts about 1 in 20"
                 if out.any() else "; every lag within the bounds")
        return f"No pattern left: the residuals look like noise ({test}{extra})."
    if not out.any():
        return (f"A little pattern left ({test}): small correlations add up, though no single lag "
                f"is beyond the bounds.")
    left = "Pattern left" if p < 0.01 else "Perhaps some pattern left"     # 1–5 %: chance is not far off
    above = np.isfinite(r) & (r > bounds)
    below = np.isfinite(r) & (r < -bounds)
    if above.mean() >= 0.4 and not below.any():      # a slow drift: no swing to the other side
        return (f"{left} ({test}): the residuals drift — {int(above.sum())} of {len(r)} lags are above "
                f"the bounds, so the model is too low, or too high, for long stretches: a slow change (a "
                f"season, a trend) it did not learn; inputs that carry it, or more lags, may help.")
    score = np.where(out, np.abs(r) / bounds, 0.0)
    k = int(lags[int(np.argmax(score))])
    rk = float(r[k - 1])
    if k == 1 and rk > 0:
        what = ("each error is like the one before: the model reacts too slowly to the series "
                "(more lags, more training or a richer model may help)")
    elif k == 1:
        what = "the errors flip sign from one row to the next: the model over-reacts to the last value"
    else:
        what = f"{lag_meaning(k, step_days, period)} the model did not learn"
    others = [int(v) for v in lags[out] if v != k][:5]
    also = f" Also beyond the bounds: lag{'s' if len(others) > 1 else ''} " \
           f"{', '.join(map(str, others))}." if others else ""
    return f"{left} ({test}): lag {k} stands out (r = {rk:+.2f}): {what}.{also}"


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    d = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / d if d > 0 else 0.0


def _verdict_plain(e: np.ndarray, pred: np.ndarray) -> str:
    n = len(e)
    if n < 10:
        return f"Too few residuals ({n}) to judge whether there is pattern left."
    bound = Z95 / math.sqrt(n)
    mean, sd = float(e.mean()), float(e.std())
    parts = []
    if sd > 0 and abs(mean) > Z95 * sd / math.sqrt(n):
        parts.append(f"Biased: the answers are {abs(mean):.3g} too {'low' if mean > 0 else 'high'} on average.")
    else:
        parts.append("Centred: the mean residual is within chance of 0.")
    trend = _corr(e, pred)
    centred = pred - pred.mean()
    bend = _corr(e, centred ** 2)
    if abs(trend) > bound:
        parts.append(f"A trend against the prediction (r = {trend:+.2f}): "
                     + ("high answers are too low and low ones too high — the model is too flat."
                        if trend > 0 else "high answers are too high and low ones too low — the model is too steep."))
    if abs(bend) > bound:
        parts.append(f"A bend against the prediction (r = {bend:+.2f}): a curve the model did not learn "
                     "(a hidden layer, or more training, may help).")
    spread = _corr(np.abs(e - mean), pred)
    if abs(spread) > bound:
        parts.append(f"The spread {'grows' if spread > 0 else 'shrinks'} with the prediction (r = {spread:+.2f}): "
                     f"{'high' if spread > 0 else 'low'} answers are the less certain ones.")
    if len(parts) == 1 and parts[0].startswith("Centred"):
        parts.append(f"No clear trend, bend or change of spread against the prediction (a weak one may need "
                     f"more than {n} rows to show).")
    return " ".join(parts)


# --------------------------------------------------------------------------- the residuals

def _predict(model, X: np.ndarray, cancelled) -> np.ndarray:
    out = np.empty(len(X))
    for i in range(0, len(X), CHUNK):
        if cancelled is not None and cancelled():
            raise InterruptedError("cancelled")
        out[i:i + CHUNK] = np.asarray(model.predict(X[i:i + CHUNK]), np.float64)[:, 0]
    return out


def max_lag_for(n: int, period: int | None) -> int:
    """Lags shown: at least MIN_LAGS (and one and a half periods), at most half the residuals
    and MAX_LAGS."""
    want = min(MAX_LAGS, max(MIN_LAGS, (3 * period) // 2 if period else 0))
    return max(1, min(want, n // 2))


def compute_residuals(model, ds: Dataset, which: str = "val", cancelled=None) -> Residuals:
    """The residuals of ``model`` (an :class:`engine.model.Model` fitted to ``ds``) on the
    validation (``"val"``) or training rows of a regression dataset; the first target."""
    if ds.task != "regression":
        raise ValueError("residuals apply to regression")
    X = ds.X_val if which == "val" else ds.X_train
    rows = np.asarray(ds.index_val if which == "val" else ds.index_train, np.int64)
    if len(X) == 0:
        raise ValueError("there are no validation rows" if which == "val" else "there are no training rows")
    pred = ds.y_mean[0] + ds.y_std[0] * _predict(model, X, cancelled)
    actual = ds.y_raw(which)[:, 0]
    e = actual - pred
    series = bool(ds.spec.series)
    if series:
        order = np.argsort(rows, kind="stable")
        e, pred, actual, rows = e[order], pred[order], actual[order], rows[order]
        x, x_label, is_date = _time_axis(ds, rows)
    else:
        x, x_label, is_date = pred, "prediction", False
    ok = np.isfinite(e)
    n = int(ok.sum())
    shown = np.flatnonzero(ok)
    if len(shown) > MAX_POINTS:
        shown = shown[np.linspace(0, len(shown) - 1, MAX_POINTS).round().astype(np.int64)]
    ef = e[ok]
    edges = np.histogram_bin_edges(ef, bins="fd") if n > 1 else np.array([-0.5, 0.5])
    if len(edges) > 61 or len(edges) < 6:
        edges = np.histogram_bin_edges(ef, bins=int(np.clip(math.sqrt(max(n, 1)), 5, 60)))
    counts, edges = np.histogram(ef, bins=edges)
    common = dict(which=which, series=series, target=ds.target_name, n=n, residuals=e, predicted=pred,
                  rows=rows, x=np.asarray(x, np.float64), x_label=x_label, x_is_date=is_date, shown=shown,
                  hist_counts=counts, hist_edges=edges, mean=float(ef.mean()) if n else float("nan"),
                  std=float(ef.std()) if n else float("nan"))
    if not series:
        return Residuals(**common, verdict=_verdict_plain(ef, pred[ok]))
    period = ds.spec.period or None
    L = max_lag_for(n, period)
    r, pairs = autocorrelation(ef, rows[ok], L)
    lags = np.arange(1, len(r) + 1)
    with np.errstate(divide="ignore"):
        bounds = Z95 / np.sqrt(np.maximum(pairs, 1))
    h = max(1, min(2 * period if period else 10, n // 5, len(r)))
    q, p = ljung_box(r, pairs, n, h) if len(r) else (float("nan"), float("nan"))
    step = time_step_days(common["x"], is_date)
    return Residuals(**common, lags=lags, acf=r, bounds=bounds, q=q, q_lags=h, p_value=p,
                     verdict=_verdict_series(lags, r, bounds, h, p, n, step, period))
