"""Baselines, MASE, permutation importance, gradient × input and FGSM, each checked against
values computed independently here (issue 12, items 1, 4 and 5)."""
import math

import numpy as np
import pytest

from engine.baselines import compute_baselines, detect_period, least_squares
from engine.data import DataSpec, load_dataset
from engine.explain import fgsm_flip, gradient_x_input, input_groups, permutation_importance
from engine.graph import sequential
from engine.losses import make_loss
from engine.model import Model
from engine.table import Cancelled

PATTERN = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0]


def write_csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(f"{v!r}" if isinstance(v, float) else str(v)
                                                                 for v in r) for r in rows) + "\n")
    return str(path)


@pytest.fixture
def weekly(tmp_path):
    """140 daily values: a weekly pattern plus a trend of 0.01 a day."""
    v = [PATTERN[t % 7] + 0.01 * t for t in range(140)]
    path = write_csv(tmp_path / "weekly.csv", ["day", "v"], [(t, v[t]) for t in range(140)])
    return path, np.array(v)


def test_series_baselines_match_a_hand_computation(weekly):
    path, v = weekly
    K = 3
    ds = load_dataset(path, DataSpec(target="v", series="v", lags=K, split="chronological", val_fraction=0.2))
    # examples are rows K..139; the last 20 % (ceil) validate
    rows = np.arange(K, 140)
    n_val = math.ceil(len(rows) * 0.2)
    tr, va = rows[:-n_val], rows[-n_val:]
    persistence = np.mean(np.abs(v[va] - v[va - 1]))
    seasonal = np.mean(np.abs(v[va] - v[va - 7]))          # exactly 7 × 0.01
    scale = np.mean(np.abs(v[tr] - v[tr - 1]))
    mean_mae = np.mean(np.abs(v[va] - v[tr].mean()))

    b = compute_baselines(ds)
    assert b.period == 7
    assert b.persistence_val_mae == pytest.approx(persistence, rel=1e-6)
    assert b.seasonal_val_mae == pytest.approx(0.07, rel=1e-5)
    assert b.seasonal_val_mae == pytest.approx(seasonal, rel=1e-6)
    assert b.mase_scale == pytest.approx(scale, rel=1e-6)
    assert b.mean_val_mae == pytest.approx(mean_mae, rel=1e-9)
    assert b.mase(1.5) == pytest.approx(1.5 / scale, rel=1e-6)

    X = np.stack([v[tr - j] for j in range(K, 0, -1)], axis=1)
    A = np.column_stack([X, np.ones(len(tr))])
    w = np.linalg.lstsq(A, v[tr], rcond=None)[0]
    Xv = np.column_stack([np.stack([v[va - j] for j in range(K, 0, -1)], axis=1), np.ones(len(va))])
    assert b.linear_val_mae == pytest.approx(np.mean(np.abs(Xv @ w - v[va])), rel=1e-4, abs=1e-6)

    m = b.metrics(val_mae=0.5)
    assert m["baseline_val_mae"] == b.persistence_val_mae
    assert m["linear_val_mae"] == b.linear_val_mae
    assert m["val_mase"] == pytest.approx(0.5 / scale)
    assert m["seasonal_period"] == 7
    # a period given (0: none) wins over the detected one
    assert compute_baselines(ds, period=0).seasonal_val_mae is None
    assert compute_baselines(ds, period=14).seasonal_val_mae == pytest.approx(
        np.mean(np.abs(v[va] - v[va - 14])), rel=1e-6)


def test_period_detection_says_none_for_a_random_walk_and_finds_a_year():
    rng = np.random.default_rng(0)
    assert detect_period(np.cumsum(rng.normal(size=2000))) is None
    ar = np.zeros(2000)
    for t in range(1, 2000):
        ar[t] = 0.9 * ar[t - 1] + rng.normal()
    assert detect_period(ar) is None
    t = np.arange(4 * 365)
    assert detect_period(10 * np.sin(2 * np.pi * t / 365) + rng.normal(size=len(t))) == 365
    assert detect_period(np.tile(PATTERN, 30) + 0.1 * rng.normal(size=210)) == 7


def test_regression_and_classification_baselines(tmp_path):
    rng = np.random.default_rng(1)
    n = 200
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = 2 * x1 - 3 * x2 + 1 + 0.1 * rng.normal(size=n)
    label = np.where(rng.random(n) < 0.7, "a", "b")
    path = write_csv(tmp_path / "r.csv", ["x1", "x2", "y", "label"],
                     [(float(a), float(b), float(c), d) for a, b, c, d in zip(x1, x2, y, label)])
    ds = load_dataset(path, DataSpec(target="y", features=["x1", "x2"], seed=3))
    b = compute_baselines(ds)
    tr, va = ds.index_train, ds.index_val
    A = np.column_stack([x1[tr], x2[tr], np.ones(len(tr))])
    w = np.linalg.lstsq(A, y[tr], rcond=None)[0]
    lin = np.mean(np.abs(np.column_stack([x1[va], x2[va], np.ones(len(va))]) @ w - y[va]))
    assert b.linear_val_mae == pytest.approx(lin, rel=1e-4)
    assert b.mean_val_mae == pytest.approx(np.mean(np.abs(y[va] - y[tr].mean())), rel=1e-9)
    assert b.persistence_val_mae is None and b.baseline_val_mae == b.mean_val_mae
    assert "val_mase" not in b.metrics(0.1)

    dc = load_dataset(path, DataSpec(target="label", features=["x1", "x2"], seed=3))
    bc = compute_baselines(dc)
    counts = {c: int(np.sum(label[dc.index_train] == c)) for c in ("a", "b")}
    major = max(counts, key=counts.get)
    assert bc.majority_class == major
    assert bc.metrics()["baseline_val_accuracy"] == pytest.approx(np.mean(label[dc.index_val] == major))


def test_least_squares_in_chunks_equals_one_solve():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1000, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + 3 + rng.normal(size=1000) * 0.01
    w = least_squares(X, y, chunk=77)
    ref = np.linalg.lstsq(np.column_stack([X, np.ones(1000)]), y, rcond=None)[0]
    assert np.allclose(w[:, 0], ref, atol=1e-10)


def test_input_groups_join_one_hot_columns():
    names = ["a", "origin=EU", "origin=US", "b[t-1]"]
    assert input_groups(names, {"origin": ["EU", "US"]}) == [("a", [0]), ("origin", [1, 2]), ("b[t-1]", [3])]


def _linear_model(W, b, task="regression", dtype="float64"):
    W = np.asarray(W, float).reshape(len(W), -1)
    m = Model(sequential(W.shape[0], [], task=task, outputs=W.shape[1]), dtype=dtype)
    dense = [k for k in m.params if k.endswith(".W")][0]
    m.set_weights({dense: W, dense[:-2] + ".b": np.atleast_1d(np.asarray(b, float))})
    return m


def test_permutation_importance_ranks_the_one_input_that_matters_first():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 4))
    y = (2.0 * X[:, 2] + 0.05 * rng.normal(size=3000)).reshape(-1, 1)
    w = least_squares(X, y)
    model = _linear_model(w[:-1], w[-1])
    groups = input_groups(["a", "b", "c", "d"])
    seen = []
    imp = permutation_importance(model, make_loss("mse", "regression"), X, y, groups, chunk=500,
                                 progress=lambda done, total: seen.append((done, total)))
    assert max(imp, key=imp.get) == "c"
    assert imp["c"] == pytest.approx(8.0, rel=0.1)       # E[(2·(x − x'))²] = 4·2
    assert imp["c"] > 100 * max(abs(imp[k]) for k in "abd")
    assert seen[-1] == (30, 30) and len(seen) == 30        # 6 chunks × (base + 4 inputs)
    with pytest.raises(Cancelled):
        permutation_importance(model, make_loss("mse", "regression"), X, y, groups, chunk=500,
                               cancelled=lambda: True)


def test_gradient_x_input_of_a_linear_model_is_weight_times_value():
    model = _linear_model([[2.0], [-1.0], [0.5]], 0.3)
    x = np.array([1.0, 2.0, -4.0])
    att = gradient_x_input(model, x, input_groups(["p", "q", "r"]), y_std=10.0)
    assert att.values == pytest.approx({"p": 20.0, "q": -20.0, "r": -20.0})
    assert att.output == pytest.approx(10 * (2 - 2 - 2 + 0.3))


def test_fgsm_flips_a_linear_classifier_at_the_analytic_distance():
    """A linearly separable toy problem: class 1 iff 3·x1 − x2 + 0.5 > 0. One FGSM step of ε
    moves the logit by ε·‖w‖₁ = 4ε toward the boundary, so the class flips at ε* = |z| / 4."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 2))
    labels = (X @ [3.0, -1.0] + 0.5 > 0).astype(int)
    model = _linear_model([[3.0], [-1.0]], 0.5, task="binary")
    z = model.forward(X)[:, 0]
    assert np.array_equal((z > 0).astype(int), labels)     # separates the toy data perfectly
    for i in range(5):
        r = fgsm_flip(model, X[i])
        assert r is not None
        assert r.eps == pytest.approx(abs(z[i]) / 4.0, abs=1e-5)
        assert r.before == labels[i] and r.after == 1 - labels[i]
        assert np.array_equal(r.direction, -np.sign([3.0, -1.0]) * (1 if labels[i] else -1))
        assert np.allclose(r.x_adv, X[i] + r.eps * r.direction)


def test_fgsm_multiclass_finds_the_smallest_step_and_says_none_for_regression():
    model = _linear_model([[1.0, 0.0, -1.0], [0.0, 1.0, 0.5]], [0.0, 0.0, 0.0], task="multiclass")
    x = np.array([1.0, 0.2])
    r = fgsm_flip(model, x)
    assert r is not None and r.before == 0 and r.after != 0
    from engine.explain import _classes
    for eps in np.linspace(0, r.eps - 1e-4, 50):           # no smaller step along the line flips it
        assert _classes(model, (x + eps * r.direction)[None, :])[0] == 0
    assert fgsm_flip(_linear_model([[1.0]], 0.0), np.array([1.0])) is None


# ---------------------------------------------------------------------------- the CLI

def test_cli_writes_baselines_and_importance(tmp_path, capsys):
    import json

    from engine.cli import main
    rng = np.random.default_rng(5)
    n = 300
    X = rng.normal(size=(n, 3))
    y = 4 * X[:, 1] + 0.1 * rng.normal(size=n)
    path = write_csv(tmp_path / "one.csv", ["a", "b", "c", "y"], [(*map(float, r), float(t)) for r, t in zip(X, y)])
    metrics, imp = tmp_path / "m.json", tmp_path / "imp.json"
    code = main(["--csv", path, "--target", "y", "--hidden", "", "--epochs", "30", "--lr", "0.05",
                 "--metrics", str(metrics), "--importance", str(imp), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    m = json.loads(metrics.read_text())
    ds = load_dataset(path, DataSpec(target="y"))
    b = compute_baselines(ds)
    assert m["baseline_val_mae"] == pytest.approx(b.mean_val_mae)
    assert m["linear_val_mae"] == pytest.approx(b.linear_val_mae) and m["linear_val_mae"] < 0.2
    assert "val_mase" not in m and json.loads(out)["baseline_val_mae"] == m["baseline_val_mae"]
    importance = json.loads(imp.read_text())
    assert set(importance) == {"a", "b", "c"}
    assert importance["b"] > 50 * max(abs(importance["a"]), abs(importance["c"]))


def test_cli_series_metrics_have_mase_and_the_period_flag(weekly, tmp_path, capsys):
    import json

    from engine.cli import main
    path, _ = weekly
    metrics = tmp_path / "m.json"
    code = main(["--csv", path, "--series", "v", "--lags", "3", "--hidden", "", "--epochs", "5",
                 "--metrics", str(metrics), "--period", "7"])
    err = capsys.readouterr().err
    assert code == 0, err
    m = json.loads(metrics.read_text())
    b = compute_baselines(load_dataset(path, DataSpec(target="v", series="v", lags=3, split="chronological")))
    assert m["baseline_val_mae"] == pytest.approx(b.persistence_val_mae)
    assert m["val_mase"] == pytest.approx(m["val_mae"] / b.mase_scale)
    assert m["seasonal_period"] == 7 and "seasonal naive (period 7)" in err
    assert main(["--csv", path, "--target", "v", "--period", "7"]) == 2
    assert "--period only applies with --series" in capsys.readouterr().err
