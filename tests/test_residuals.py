"""Residuals (issue 12, item 3) and the seasonal period setting (item 1), checked against values
computed independently here: an AR(1) series' autocorrelation, white noise within its bounds about
as often as 95 % promises, the Ljung–Box statistic by its textbook formula, residuals of hand-set
and least-squares models, and the period kept in the data settings, the baselines and the CLI."""
from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from scipy.stats import chi2

from engine.baselines import compute_baselines
from engine.data import DataError, DataSpec, load_dataset
from engine.graph import sequential
from engine.model import Model
from engine.project import load_project
from engine.residuals import autocorrelation, compute_residuals, lag_meaning, ljung_box


def ar1(n: int, phi: float, rng) -> np.ndarray:
    e = np.zeros(n)
    w = rng.normal(size=n)
    e[0] = w[0] / math.sqrt(1 - phi ** 2)
    for t in range(1, n):
        e[t] = phi * e[t - 1] + w[t]
    return e


def acf_by_pairs(values, rows, max_lag):
    """r(k) the slow way: every pair of observations exactly k rows apart."""
    pos = {int(r): float(v) for r, v in zip(rows, values)}
    mean = np.mean(values)
    var = np.mean((np.asarray(values) - mean) ** 2)
    out = []
    for k in range(1, max_lag + 1):
        prods = [(pos[t] - mean) * (pos[t + k] - mean) for t in pos if t + k in pos]
        out.append(np.mean(prods) / var if prods else np.nan)
    return np.array(out)


# -------------------------------------------------------------------------- autocorrelation
def test_an_ar1_series_has_the_autocorrelation_phi_to_the_k():
    rng = np.random.default_rng(3)
    phi, n = 0.7, 20_000
    e = ar1(n, phi, rng)
    r, pairs = autocorrelation(e, None, 8)
    assert list(pairs) == [n - k for k in range(1, 9)]
    assert r == pytest.approx(acf_by_pairs(e[:3000], np.arange(3000), 8), abs=0.05)   # same estimator
    np.testing.assert_allclose(r, phi ** np.arange(1, 9), atol=4 / math.sqrt(n) * 3)
    small = e[:400]
    np.testing.assert_allclose(autocorrelation(small, None, 12)[0], acf_by_pairs(small, np.arange(400), 12),
                               rtol=1e-9, atol=1e-12)


def test_gaps_pair_only_rows_k_apart():
    rng = np.random.default_rng(5)
    e = ar1(3000, 0.6, rng)
    keep = np.sort(rng.choice(3000, 1500, replace=False))          # a random split's rows
    r, pairs = autocorrelation(e[keep], keep + 40, 6)                # rows need not start at 0
    np.testing.assert_allclose(r, acf_by_pairs(e[keep], keep, 6), rtol=1e-9)
    assert list(pairs) == [int(np.isin(keep + k, keep).sum()) for k in range(1, 7)]
    np.testing.assert_allclose(r, 0.6 ** np.arange(1, 7), atol=0.12)


def test_white_noise_stays_within_the_95_percent_bounds_as_often_as_promised():
    outside, rejected, trials, lags, n = 0, 0, 300, 20, 400
    for seed in range(trials):
        e = np.random.default_rng(seed).normal(size=n)
        r, pairs = autocorrelation(e, None, lags)
        outside += int(np.sum(np.abs(r) > 1.959964 / np.sqrt(pairs)))
        rejected += ljung_box(r, pairs, n, 10)[1] < 0.05
    assert 0.035 < outside / (trials * lags) < 0.065
    assert 0.02 < rejected / trials < 0.09


def test_ljung_box_follows_its_textbook_formula():
    rng = np.random.default_rng(11)
    e = ar1(300, 0.3, rng)
    r, pairs = autocorrelation(e, None, 10)
    d = e - e.mean()
    rho = np.array([np.sum(d[:-k] * d[k:]) / np.sum(d * d) for k in range(1, 11)])   # the usual ACF
    q_hand = 300 * 302 * np.sum(rho ** 2 / (300 - np.arange(1, 11)))
    q, p = ljung_box(r, pairs, 300, 10)
    assert q == pytest.approx(q_hand, rel=1e-9)
    assert p == pytest.approx(chi2.sf(q_hand, 10), rel=1e-9)
    assert p < 0.01                                   # φ = 0.3 over 300 rows is plain to see


def test_lags_are_named_by_the_time_step():
    assert lag_meaning(7, 1.0) == "a weekly pattern"
    assert lag_meaning(21, 1.0) == "a weekly pattern"
    assert lag_meaning(24, 1 / 24) == "a daily pattern"
    assert lag_meaning(12, 30.0) == "a yearly pattern"
    assert lag_meaning(7, None) == "a pattern every 7 rows (weekly, if the rows are days)"
    assert lag_meaning(10, None, period=5) == "a pattern every 5 rows (the seasonal period)"


# -------------------------------------------------------------------------- residuals of a model
def write_csv(path, header, rows) -> str:
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(str(v) for v in r) for r in rows) + "\n")
    return str(path)


@pytest.fixture
def weekly_days(tmp_path):
    """400 days: a strong weekly pattern plus noise, with dates."""
    rng = np.random.default_rng(2)
    t = np.arange(400)
    v = 10 + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.5, size=400)
    start = dt.date(2020, 1, 1)
    path = write_csv(tmp_path / "weekly.csv", ["date", "v"],
                     [((start + dt.timedelta(days=int(i))).isoformat(), f"{v[i]:.6f}") for i in t])
    return path, np.round(v, 6)


def test_a_model_that_ignores_the_week_leaves_a_weekly_pattern(weekly_days):
    path, v = weekly_days
    K = 3
    ds = load_dataset(path, DataSpec(target="v", series="v", lags=K, time_column="date", split="chronological"))
    model = Model(sequential(K, []))
    model.set_weights({"dense1.W": np.zeros((K, 1)), "dense1.b": np.zeros(1)})   # ŷ = the training mean
    res = compute_residuals(model, ds, "val")
    rows = np.arange(K, 400)
    n_val = math.ceil(len(rows) * 0.2)
    tr, va = rows[:-n_val], rows[-n_val:]
    expected = v[va] - v[tr].mean()
    np.testing.assert_allclose(res.residuals, expected, rtol=1e-9, atol=1e-9)
    assert list(res.rows) == list(va) and res.x_is_date and res.series
    assert res.hist_counts.sum() == n_val and res.hist_edges[0] <= expected.min()
    np.testing.assert_allclose(res.acf, acf_by_pairs(expected, va, len(res.acf)), rtol=1e-9, atol=1e-12)
    assert res.lags[0] == 1 and len(res.lags) == min(30, n_val // 2)
    np.testing.assert_allclose(res.bounds, 1.959964 / np.sqrt(n_val - res.lags), rtol=1e-6)
    assert res.p_value < 1e-6
    assert "lag 7 stands out" in res.verdict and "a weekly pattern the model did not learn" in res.verdict

    train = compute_residuals(model, ds, "train")
    assert train.n == len(tr) and abs(train.mean) < 1e-9            # the training mean's residuals


def test_the_true_model_of_an_ar1_series_leaves_noise(tmp_path):
    rng = np.random.default_rng(8)
    v = np.round(10 + ar1(500, 0.8, rng), 6)
    path = write_csv(tmp_path / "ar1.csv", ["v"], [(f"{a:.6f}",) for a in v])
    K = 3
    ds = load_dataset(path, DataSpec(target="v", series="v", lags=K, split="chronological"))
    # ŷ = 10 + 0.8 (v[t-1] − 10), in standardized units (v[t-1] is the last feature)
    model = Model(sequential(K, []))
    W = np.zeros((K, 1))
    W[-1, 0] = 0.8 * ds.x_std[-1] / ds.y_std[0]
    b = (10 + 0.8 * (ds.x_mean[-1] - 10) - ds.y_mean[0]) / ds.y_std[0]
    model.set_weights({"dense1.W": W, "dense1.b": np.array([b])})
    res = compute_residuals(model, ds, "val")
    va = ds.index_val
    np.testing.assert_allclose(res.residuals, v[va] - (10 + 0.8 * (v[va - 1] - 10)), rtol=1e-5, atol=1e-5)
    assert res.p_value > 0.05 and res.verdict.startswith("No pattern left")
    assert res.x_label == "row" and not res.x_is_date


def test_residuals_against_the_prediction_name_a_bend(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.uniform(-2, 2, 600)
    y = x ** 2 + rng.normal(0, 0.1, 600)
    path = write_csv(tmp_path / "bend.csv", ["x", "y"], [(f"{a:.6f}", f"{b:.6f}") for a, b in zip(x, y)])
    ds = load_dataset(path, DataSpec(target="y", features=["x"]))
    xr, yr = ds.X_raw("train")[:, 0], ds.y_raw("train")[:, 0]
    slope, icept = np.polyfit(xr, yr, 1)                  # the best straight line, by least squares
    model = line_model(ds, slope, icept)
    res = compute_residuals(model, ds, "val")
    xv, yv = ds.X_raw("val")[:, 0], ds.y_raw("val")[:, 0]
    np.testing.assert_allclose(res.predicted, icept + slope * xv, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(res.residuals, yv - (icept + slope * xv), rtol=1e-4, atol=1e-4)
    assert not res.series and res.acf is None and res.x_label == "prediction"
    assert "A bend against the prediction" in res.verdict

    model.set_weights({"dense1.W": np.zeros((1, 1)), "dense1.b": np.array([1.0])})   # ŷ = mean + 1 std
    res = compute_residuals(model, ds, "val")
    assert res.verdict.startswith(f"Biased: the answers are {abs(np.mean(yv) - ds.y_mean[0] - ds.y_std[0]):.3g} "
                                  "too high")


def line_model(ds, slope: float, icept: float) -> Model:
    """ŷ = icept + slope·x in the data's own units, as a Dense layer on standardized x and y."""
    model = Model(sequential(1, []))
    model.set_weights({"dense1.W": np.array([[slope * ds.x_std[0] / ds.y_std[0]]]),
                       "dense1.b": np.array([(icept + slope * ds.x_mean[0] - ds.y_mean[0]) / ds.y_std[0]])})
    return model


def test_a_spread_that_grows_is_named_and_plain_noise_is_not(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 4, 2000)
    for name, noise, words in (("wider", rng.normal(size=2000) * 0.5 * x, "The spread grows with the prediction"),
                               ("even", rng.normal(size=2000), "No clear trend, bend or change of spread")):
        y = 1 + 2 * x + noise
        path = write_csv(tmp_path / f"{name}.csv", ["x", "y"], [(f"{a:.6f}", f"{b:.6f}") for a, b in zip(x, y)])
        ds = load_dataset(path, DataSpec(target="y", features=["x"]))
        res = compute_residuals(line_model(ds, 2.0, 1.0), ds, "train")     # the true line
        yt, xt = ds.y_raw("train")[:, 0], ds.X_raw("train")[:, 0]
        np.testing.assert_allclose(res.residuals, yt - (1 + 2 * xt), rtol=1e-4, atol=1e-4)
        assert words in res.verdict and res.verdict.startswith("Centred")


def test_classification_has_no_residuals():
    ds = load_dataset("resources/datasets/iris.csv", DataSpec(target="species"))
    with pytest.raises(ValueError, match="regression"):
        compute_residuals(Model(sequential(4, [], task="multiclass", outputs=3)), ds)


# -------------------------------------------------------------------------- the seasonal period
def test_the_period_is_a_data_setting_checked_and_kept(weekly_days, tmp_path):
    path, v = weekly_days
    spec = DataSpec(target="v", series="v", lags=3, split="chronological", period=14)
    assert DataSpec.from_dict(spec.to_dict()).period == 14
    assert DataSpec.from_dict({"target": "v", "series": "v"}).period is None        # an older project
    ds = load_dataset(path, spec)
    va = ds.index_val
    b = compute_baselines(ds)
    assert b.period == 14
    assert b.seasonal_val_mae == pytest.approx(np.mean(np.abs(v[va] - v[va - 14])), rel=1e-6)
    assert compute_baselines(load_dataset(path, DataSpec(target="v", series="v", lags=3, period=0))).period is None
    for bad, words in ((-1, "whole number of rows"), (2.5, "whole number of rows"), (True, "whole number")):
        with pytest.raises(DataError, match=words):
            DataSpec(target="v", series="v", period=bad)
    with pytest.raises(DataError, match="only to a series"):
        DataSpec(target="v", features=["date"], period=7)
    n_train = len(ds.index_train)
    with pytest.raises(DataError, match=f"smaller than the {n_train} training examples"):
        load_dataset(path, DataSpec(target="v", series="v", lags=3, split="chronological", period=n_train))


def test_the_cli_keeps_the_period_in_the_project(weekly_days, tmp_path, capsys):
    from engine.cli import main
    path, v = weekly_days
    project = tmp_path / "p.ncproj"
    metrics = tmp_path / "m.json"
    assert main(["--csv", path, "--series", "v", "--lags", "3", "--hidden", "", "--epochs", "2",
                 "--period", "14", "--save-project", str(project)]) == 0
    assert load_project(str(project)).data_spec["period"] == 14
    assert main(["--project", str(project), "--epochs", "1", "--metrics", str(metrics)]) == 0
    m = json.loads(metrics.read_text())
    ds = load_dataset(path, DataSpec(target="v", series="v", lags=3, split="chronological"))
    va = ds.index_val
    assert m["seasonal_period"] == 14
    assert m["seasonal_val_mae"] == pytest.approx(np.mean(np.abs(v[va] - v[va - 14])), rel=1e-6)
    capsys.readouterr()
    assert main(["--csv", path, "--series", "v", "--period", "5000"]) == 2
    assert "seasonal period (5,000 rows) must be smaller than the 314" in capsys.readouterr().err
