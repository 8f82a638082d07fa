"""The trainer: convergence, fitting, optimizers, determinism, counting, divergence,
early stopping, classification, dtypes, reset, the error surface and settings."""
import math

import numpy as np
import pytest

from engine.graph import Graph, sequential
from engine.landscape import auto_ranges, default_pair, grid_around, loss_surface, visible_half_widths
from engine.model import Model
from engine.optimizers import OPTIMIZERS, make_optimizer
from engine.trainer import ArrayData, ConfigError, TrainConfig, Trainer, evaluate


def _linear_data(n=200, f=3, seed=0, noise=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, f))
    w = rng.normal(size=f) * 2
    y = X @ w + 1.5 + noise * rng.normal(size=n)
    return X, y


def _zigzag(n=240):
    """A piecewise-linear curve with four pieces: what a sum of hard sigmoids can draw exactly."""
    x = np.linspace(-3, 3, n)[:, None]
    y = np.interp(x[:, 0], [-3, -1.5, 0, 1.5, 3], [-1, 1, -1, 1, -1])[:, None]
    return x, y


def _blobs(classes, n_per=60, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0], [3.0, 3.0]])[:classes]
    X = np.concatenate([c + 0.6 * rng.normal(size=(n_per, 2)) for c in centers])
    y = np.repeat(np.arange(classes), n_per)
    return X, y


def _trainer(graph, X, y, **cfg):
    return Trainer(graph, ArrayData(np.asarray(X), np.asarray(y)), TrainConfig(**cfg))


# (a) gradient descent reaches the least-squares solution ------------------------------

def test_full_batch_gradient_descent_reaches_least_squares_solution():
    X, y = _linear_data()
    A = np.hstack([X, np.ones((len(X), 1))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    tr = _trainer(sequential(3, []), X, y, optimizer="sgd", lr=0.1, batch_size=len(X),
                  epochs=400, dtype="float64")
    assert tr.updates_per_epoch == 1
    tr.run()
    assert tr.stop_reason == "epochs" and tr.updates == 400
    np.testing.assert_allclose(tr.model.params["dense1.W"][:, 0], coef[:3], atol=1e-4)
    np.testing.assert_allclose(tr.model.params["dense1.b"], coef[3:], atol=1e-4)
    best = float(np.mean((A @ coef - y) ** 2))
    assert tr.epochs[-1]["train_loss"] == pytest.approx(best, rel=1e-6)


# (b) hidden units fit a piecewise-linear curve -----------------------------------------

@pytest.mark.parametrize("activation, lr", [("sigmoid", 0.05), ("relu", 0.02), ("hard_sigmoid", 0.05)])
def test_one_hidden_layer_fits_zigzag_far_better_than_linear_model(activation, lr):
    x, y = _zigzag()
    A = np.hstack([x, np.ones_like(x)])
    linear_mse = float(np.mean((A @ np.linalg.lstsq(A, y, rcond=None)[0] - y) ** 2))
    lin = _trainer(sequential(1, []), x, y, optimizer="adam", lr=0.02, batch_size=16, epochs=100)
    lin.run()
    # the engine's own linear model cannot do better than least squares
    assert lin.epochs[-1]["train_loss"] >= linear_mse * 0.999

    tr = _trainer(sequential(1, [(16, activation)]), x, y, optimizer="adam", lr=lr,
                  batch_size=16, epochs=250)
    tr.run()
    assert tr.epochs[-1]["train_loss"] < linear_mse / 5
    assert tr.epochs[-1]["train_r2"] > 0.9


# (c) every optimizer lowers the loss ------------------------------------------------------

@pytest.mark.parametrize("name, lr", [("sgd", 0.05), ("momentum", 0.02), ("adam", 0.05),
                                      ("rmsprop", 0.02), ("adagrad", 0.3)])
def test_every_optimizer_lowers_the_loss(name, lr):
    X, y = _linear_data(n=128)
    tr = _trainer(sequential(3, [(8, "tanh")]), X, y, optimizer=name, lr=lr, batch_size=16, epochs=15)
    start = evaluate(tr.model, tr.loss, tr.X, tr.y)["loss"]
    tr.run()
    losses = [r["train_loss"] for r in tr.epochs]
    assert losses[-1] < 0.2 * start, (start, losses)
    assert tr.optimizer.name == name and tr.optimizer.t == tr.updates


def test_optimizer_update_rules_match_their_formulas():
    g = np.array([0.5, -2.0, 0.0])

    def one(name, steps=1, **hyper):
        opt = make_optimizer(name, 0.1, **hyper)
        p = np.array([1.0, 1.0, 1.0])
        for _ in range(steps):
            opt.step({"p": p}, {"p": g})
        return p

    np.testing.assert_allclose(one("sgd"), 1 - 0.1 * g)
    # momentum: v1 = −ηg, v2 = μ·v1 − ηg
    np.testing.assert_allclose(one("momentum", 2), 1 - 0.1 * g - (0.9 * 0.1 * g + 0.1 * g))
    # Adam's bias-corrected first step is η·sign(g) (up to ε)
    np.testing.assert_allclose(one("adam"), 1 - 0.1 * np.sign(g), atol=1e-6)
    np.testing.assert_allclose(one("rmsprop"), 1 - 0.1 * g / (np.sqrt(0.1 * g * g) + 1e-8))
    np.testing.assert_allclose(one("adagrad"), 1 - 0.1 * np.sign(g), atol=1e-6)
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        make_optimizer("adam", 0.0)
    with pytest.raises(ValueError, match="Adam has no setting rho"):
        make_optimizer("adam", 0.1, rho=0.5)
    assert set(OPTIMIZERS) == {"sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad"}


# (d) determinism -------------------------------------------------------------------------

def _dropout_graph(features):
    g = sequential(features, [(8, "relu")])
    g.add_node("dropout", {"rate": 0.3}, "drop")
    g.disconnect(next(e for e in g.edges if e.src == "relu1"))
    g.connect("relu1", "drop")
    g.connect("drop", "dense2")
    assert g.validate() == []
    return g


def _run_once(seed):
    X, y = _linear_data(n=100)
    tr = _trainer(_dropout_graph(3), X, y, optimizer="adam", lr=0.01, batch_size=16, epochs=4, seed=seed)
    tr.run()
    return tr.model.flat_params.copy(), tr.update_loss.view().copy()


def test_same_seed_gives_bit_identical_weights_and_history():
    w1, h1 = _run_once(7)
    w2, h2 = _run_once(7)
    assert len(h1) == 4 * 7
    assert np.array_equal(w1, w2)
    assert np.array_equal(h1, h2)


def test_different_seed_gives_different_weights_and_history():
    w1, h1 = _run_once(7)
    w2, h2 = _run_once(8)
    assert not np.array_equal(w1, w2)
    assert not np.array_equal(h1, h2)


# (e) counting updates and epochs ------------------------------------------------------------

def test_update_and_epoch_counts_include_the_last_partial_batch():
    n = 1000
    X = np.arange(n, dtype=float)[:, None] / n
    tr = _trainer(sequential(1, []), X, np.zeros(n), batch_size=32, epochs=3)
    assert tr.updates_per_epoch == 32
    assert tr.summary() == "1000 examples, 32 per batch → 32 updates per epoch"

    seen = []
    forward = tr.model.forward

    def recording_forward(xb, training=False):
        if training:
            seen.append(xb[:, 0].copy())
        return forward(xb, training)

    tr.model.forward = recording_forward
    assert tr.run() == 96
    assert tr.updates == 96 and tr.epoch == 3 and len(tr.epochs) == 3
    assert [r["updates"] for r in tr.epochs] == [32, 64, 96]
    assert [r["epoch"] for r in tr.epochs] == [1, 2, 3]
    assert len(tr.update_loss.view()) == 96
    assert [len(b) for b in seen] == ([32] * 31 + [8]) * 3
    for e in range(3):                       # every example exactly once per epoch, reshuffled
        rows = np.concatenate(seen[32 * e:32 * (e + 1)])
        np.testing.assert_array_equal(np.sort(np.rint(rows * n)), np.arange(n))
    assert not np.array_equal(seen[0], seen[32])
    assert tr.finished and tr.stop_reason == "epochs"
    assert tr.step() is False and tr.run() == 0 and tr.updates == 96
    m = tr.metrics()
    assert (m["updates"], m["epochs"], m["stop_reason"]) == (96, 3, "epochs")
    assert "train_loss" in m and "val_loss" in m


def test_step_run_and_run_epoch_move_by_the_promised_amounts():
    X, y = _linear_data(n=100)
    tr = _trainer(sequential(3, []), X, y, batch_size=30, epochs=0)   # 0 = until stopped
    assert tr.updates_per_epoch == 4
    assert tr.step() is True and tr.updates == 1
    assert tr.run(max_updates=2) == 2 and tr.updates == 3 and tr.epoch == 0
    assert tr.run_epoch() == 1 and tr.epoch == 1
    assert tr.run_epoch() == 4 and tr.epoch == 2
    assert tr.run(max_updates=10) == 10 and tr.updates == 18
    assert not tr.finished


def test_batch_larger_than_data_is_one_full_batch():
    X, y = _linear_data(n=10)
    tr = _trainer(sequential(3, []), X, y, batch_size=64, epochs=2)
    assert tr.batch_size == 10 and tr.updates_per_epoch == 1
    assert tr.summary() == "10 examples, 10 per batch → 1 update per epoch"


def test_lecture_counts():
    X = np.zeros((10000, 7))
    tr = _trainer(sequential(7, [(32, "sigmoid")]), X, np.zeros(10000), batch_size=10)
    assert tr.updates_per_epoch == 1000


# (f) divergence ------------------------------------------------------------------------------

def test_divergence_stops_and_keeps_the_last_finite_weights():
    X, y = _linear_data(n=64)
    tr = _trainer(sequential(3, [(8, "relu")]), X, y * 100, optimizer="sgd", lr=1e6, batch_size=16,
                  epochs=50)
    before = []                                  # weights before update k are before[k − 1]
    while not tr.finished:
        before.append(tr.model.flat_params.copy())
        tr.step()
    assert tr.stop_reason == "diverged"
    k = tr.diverged_at
    assert k is not None and k == tr.updates + 1 and k >= 2
    assert f"at update {k}" in tr.message
    assert "smaller learning rate" in tr.message and "1e+06" in tr.message
    P = tr.model.flat_params
    assert np.isfinite(P).all()
    # the weights that gave the last finite loss: those before update k − 1, the step that blew up
    np.testing.assert_array_equal(P, before[k - 2])
    assert np.isfinite(tr.update_loss.view()).all() and len(tr.update_loss.view()) == k - 1
    assert tr.metrics()["diverged_at"] == k
    assert tr.step() is False


# (g) early stopping ----------------------------------------------------------------------------

def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 1))
    Xv = rng.normal(size=(100, 1))
    # training pulls w towards 2, validation is best at w = 1: the validation loss
    # falls, bottoms out, then rises
    data = ArrayData(X, 2 * X[:, 0], Xv, Xv[:, 0])
    start = {"dense1.W": np.array([[-1.0]]), "dense1.b": np.zeros(1)}

    def make(patience):
        tr = Trainer(sequential(1, []), data, TrainConfig(lr=0.02, batch_size=10, epochs=30,
                                                          early_stopping=patience))
        tr.model.set_weights(start)
        return tr

    free = make(0)
    after_epoch = []
    while not free.finished:
        free.run_epoch()
        after_epoch.append(free.model.flat_params.copy())
    assert free.stop_reason == "epochs" and free.epoch == 30
    val = [r["val_loss"] for r in free.epochs]
    best = int(np.argmin(val))
    assert 0 < best < 25                           # a real minimum in the middle

    tr = make(3)
    tr.run()
    assert tr.stop_reason == "early_stopping"
    assert tr.epoch == best + 1 + 3
    assert [r["val_loss"] for r in tr.epochs] == val[:tr.epoch]
    np.testing.assert_array_equal(tr.model.flat_params, after_epoch[best])
    assert not np.array_equal(tr.model.flat_params, after_epoch[tr.epoch - 1])
    assert f"(epoch {best + 1})" in tr.message
    assert evaluate(tr.model, tr.loss, tr.Xv, tr.yv)["loss"] == pytest.approx(val[best])


# (h) classification -------------------------------------------------------------------------

def test_binary_classification_on_separable_blobs():
    X, y = _blobs(2)
    data = ArrayData(X, y, X[::3], y[::3], task="binary")
    tr = Trainer(sequential(2, [(8, "tanh")], task="binary"), data,
                 TrainConfig(loss="bce", optimizer="adam", lr=0.05, batch_size=16, epochs=20))
    tr.run()
    assert tr.epochs[-1]["train_accuracy"] >= 0.98
    assert tr.epochs[-1]["val_accuracy"] >= 0.98
    p = tr.model.predict(X)
    assert p.shape == (len(X), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    assert (p >= 0).all()
    assert np.mean(p.argmax(axis=1) == y) >= 0.98


def test_multiclass_classification_on_separable_blobs():
    X, y = _blobs(4)
    data = ArrayData(X, y, task="multiclass")
    tr = Trainer(sequential(2, [(16, "relu")], task="multiclass", outputs=4), data,
                 TrainConfig(loss="ce", optimizer="adam", lr=0.02, batch_size=16, epochs=20))
    tr.run()
    assert tr.epochs[-1]["train_accuracy"] >= 0.98
    assert math.isnan(tr.epochs[-1]["val_accuracy"])   # no validation rows
    p = tr.model.predict(X)
    assert p.shape == (len(X), 4)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    assert np.mean(p.argmax(axis=1) == y) >= 0.98


# (i) dtypes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
def test_float32_by_default_and_float64_on_request(dtype):
    X, y = _linear_data(n=40)
    cfg = {} if dtype is None else {"dtype": dtype}
    tr = _trainer(sequential(3, [(4, "sigmoid")]), X, y, epochs=1, **cfg)
    want = np.dtype(dtype or "float32")
    assert tr.model.dtype == want
    assert tr.model.flat_params.dtype == want and tr.model.params["dense1.W"].dtype == want
    assert tr.X.dtype == want and tr.y.dtype == want
    tr.run()
    assert tr.model.flat_params.dtype == want
    assert tr.model.predict(X).dtype == want
    assert Model(sequential(3, [])).dtype == np.float32


# (j) reset -----------------------------------------------------------------------------------------

def test_reset_reproduces_the_first_run_exactly():
    X, y = _linear_data(n=100)
    tr = _trainer(_dropout_graph(3), X, y, optimizer="momentum", lr=0.01, batch_size=16, epochs=3,
                  seed=3, track=["dense2.b[0]", "dense2.W[0,0]"])
    w0 = tr.model.flat_params.copy()
    tr.run()
    w1, h1 = tr.model.flat_params.copy(), tr.history()
    assert not np.array_equal(w0, w1)

    tr.reset()
    assert tr.updates == 0 and tr.epoch == 0 and tr.epochs == [] and not tr.finished
    assert len(tr.update_loss.view()) == 0 and len(tr.trajectory.view()) == 1
    np.testing.assert_array_equal(tr.model.flat_params, w0)
    tr.run()
    np.testing.assert_array_equal(tr.model.flat_params, w1)
    assert tr.history() == h1


# (k) the error surface and the optimizer's path ------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loss_surface_and_trajectory(dtype):
    x, y = _zigzag(200)
    g = sequential(1, [(4, "sigmoid")])
    names = default_pair(Model(g))
    assert names == ("dense2.b[0]", "dense2.W[0,0]")
    tr = _trainer(g, x, y, optimizer="adam", lr=0.05, batch_size=20, epochs=0, dtype=dtype,
                  track=list(names))
    tr.run(max_updates=37)
    model = tr.model

    path = tr.trajectory.view()
    assert path.shape == (tr.updates + 1, 2) == (38, 2)
    assert path[0].tolist() == [0.0, path[0, 1]]           # biases start at zero
    assert path[-1].tolist() == [model.get_scalar(n) for n in names]

    saved = model.flat_params.copy()
    current = evaluate(model, tr.loss, tr.X, tr.y)["loss"]
    surf = loss_surface(model, tr.loss, tr.X, tr.y, names, steps=41)
    np.testing.assert_array_equal(model.flat_params, saved)
    assert surf.center == (model.get_scalar(names[0]), model.get_scalar(names[1]))
    assert surf.loss.shape == (41, 41)
    assert surf.a[20] == pytest.approx(surf.center[0], abs=1e-12)
    assert surf.b[20] == pytest.approx(surf.center[1], abs=1e-12)
    tol = 1e-5 if dtype == "float32" else 1e-10
    assert surf.loss[20, 20] == pytest.approx(current, rel=tol)

    # loss[j, i] is the loss at (a[i], b[j])
    i, j = 3, 33
    model.set_scalar(names[0], surf.a[i])
    model.set_scalar(names[1], surf.b[j])
    off_center = evaluate(model, tr.loss, tr.X, tr.y)["loss"]
    model.flat_params[...] = saved
    assert surf.loss[j, i] == pytest.approx(off_center, rel=tol)
    assert surf.loss[j, i] != pytest.approx(current, rel=1e-3)

    # a window around the path contains every point of it
    (alo, ahi), (blo, bhi) = grid_around(surf.center, path)
    assert (path[:, 0] >= alo).all() and (path[:, 0] <= ahi).all()
    assert (path[:, 1] >= blo).all() and (path[:, 1] <= bhi).all()


@pytest.mark.parametrize("scale", [0.05, 1.0, 20.0])
def test_surface_window_shows_the_path_and_a_visible_rise(scale):
    """The window covers the whole path, and on each axis reaches where the loss has visibly
    risen — whether the bowl is much narrower or much wider than the old fixed ±1."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 1)) * scale         # the weight's curvature grows with scale²
    y = 2.0 * x / scale + 0.5 + 0.1 * rng.normal(size=(300, 1))
    g = sequential(1, [])
    names = default_pair(Model(g))
    tr = _trainer(g, x, y, optimizer="sgd", lr=0.2 / max(1.0, scale ** 2), batch_size=30, epochs=3,
                  dtype="float64", track=list(names))
    tr.run()
    model, path = tr.model, tr.trajectory.view()
    saved = model.flat_params.copy()
    half = visible_half_widths(model, tr.loss, tr.X, tr.y, names, rise=0.5)
    np.testing.assert_array_equal(model.flat_params, saved)
    ranges = auto_ranges(model, tr.loss, tr.X, tr.y, names, path)
    np.testing.assert_array_equal(model.flat_params, saved)
    for k in range(2):
        assert ranges[k][0] <= path[:, k].min() and path[:, k].max() <= ranges[k][1]
    center = [model.get_scalar(n) for n in names]
    low = evaluate(model, tr.loss, tr.X, tr.y)["loss"]
    for k, name in enumerate(names):
        assert 2.0 ** -9 <= half[k] <= 16.0
        for edge in (center[k] - half[k], center[k] + half[k]):
            model.set_scalar(name, edge)
            low = min(low, evaluate(model, tr.loss, tr.X, tr.y)["loss"])
        rises = []
        for edge in ranges[k]:           # the window's edges on this axis
            model.set_scalar(name, edge)
            rises.append(evaluate(model, tr.loss, tr.X, tr.y)["loss"])
        model.flat_params[...] = saved
        assert max(rises) >= 1.4 * low, (name, rises, low)
    # the weight's half-width follows the curvature: narrow for wide inputs, wide for narrow ones
    if scale == 20.0:
        assert half[1] < 0.1
    if scale == 0.05:
        assert half[1] > 2.0
    # without a path the window is centred on the current values (the surface's middle sample)
    surf = loss_surface(model, tr.loss, tr.X, tr.y, names, steps=21)
    assert surf.a[10] == pytest.approx(center[0]) and surf.b[10] == pytest.approx(center[1])
    assert surf.a[-1] - surf.a[10] == pytest.approx(half[0], rel=1e-6)
    assert surf.loss.max() >= 1.4 * surf.loss.min()


def test_surface_window_for_a_parameter_that_does_not_matter():
    """A weight whose input is always zero never changes the loss: the window falls back to ±1."""
    x = np.zeros((50, 1))
    y = np.linspace(-1, 1, 50)[:, None]
    g = sequential(1, [])
    model = Model(g)
    names = default_pair(model)
    tr = _trainer(g, x, y, dtype="float64")
    half = visible_half_widths(model, tr.loss, tr.X, tr.y, names)
    assert half[1] == 1.0 and 0 < half[0] < 16


def test_loss_surface_cancel_restores_weights():
    x, y = _zigzag(50)
    model = Model(sequential(1, [(3, "tanh")]))
    tr = _trainer(sequential(1, [(3, "tanh")]), x, y)
    saved = model.flat_params.copy()
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2

    assert loss_surface(model, tr.loss, tr.X, tr.y, default_pair(model), steps=9, cancel=cancel) is None
    np.testing.assert_array_equal(model.flat_params, saved)


# (l) settings and their messages ------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"lr": 0}, "learning rate must be a positive number, not 0"),
    ({"lr": float("nan")}, "learning rate must be a positive number"),
    ({"batch_size": 0}, "batch size must be a whole number ≥ 1, not 0"),
    ({"epochs": -1}, "epochs must be a whole number ≥ 0"),
    ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'; choose from sgd, momentum, adam, adamw, rmsprop, adagrad"),
    ({"track": ["dense1.W[0,0]"]}, "track must name two parameter scalars"),
    ({"dtype": "float16"}, "dtype must be float32 or float64"),
    ({"momentum": 1.0}, "momentum must be at least 0 and below 1"),
])
def test_train_config_validation_messages(change, message):
    cfg = TrainConfig(**change)
    with pytest.raises(ConfigError) as exc:
        cfg.validate()
    assert message in str(exc.value)
    X, y = _linear_data(n=10)
    with pytest.raises(ConfigError):
        Trainer(sequential(3, []), ArrayData(X, y), cfg)


def test_train_config_round_trip():
    cfg = TrainConfig(loss="huber", optimizer="rmsprop", lr=0.003, batch_size=7, epochs=12, seed=5,
                      early_stopping=4, dtype="float64", track=["dense1.b[0]", "dense1.W[1,0]"])
    cfg.validate()
    data = cfg.to_dict()
    back = TrainConfig.from_dict(data)
    assert back == cfg and back.to_dict() == data
    assert back.track is not cfg.track
    with pytest.raises(ConfigError, match="unknown training setting colour"):
        TrainConfig.from_dict({**data, "colour": "red"})
    with pytest.raises(ConfigError, match="must be an object"):
        TrainConfig.from_dict([1, 2])


def test_data_width_must_match_the_input_node():
    X, y = _linear_data(n=20, f=2)
    with pytest.raises(ConfigError, match="the Input node has 3 features but the data has 2"):
        _trainer(sequential(3, []), X, y)


def test_loss_must_fit_the_task():
    X, y = _linear_data(n=20)
    with pytest.raises(ConfigError, match="loss 'bce' does not fit a regression task; use mse or mae or huber"):
        _trainer(sequential(3, []), X, y, loss="bce")
    Xb, yb = _blobs(2)
    with pytest.raises(ConfigError, match="loss 'mse' does not fit a binary task; use bce"):
        Trainer(sequential(2, [], task="binary"), ArrayData(Xb, yb, task="binary"), TrainConfig(loss="mse"))
    with pytest.raises(ConfigError, match="the data is a regression task but the Output node says binary"):
        Trainer(sequential(2, [], task="binary"), ArrayData(Xb, yb), TrainConfig(loss="bce"))
    with pytest.raises(ConfigError, match="the data has 4 classes but the Output node has width 3"):
        Xm, ym = _blobs(4)
        Trainer(sequential(2, [], task="multiclass", outputs=3), ArrayData(Xm, ym, task="multiclass"),
                TrainConfig(loss="ce"))


def test_graph_that_does_not_validate_cannot_be_trained():
    g = Graph()
    g.add_node("input", {"features": 1}, "input")
    X, y = _linear_data(n=5, f=1)
    with pytest.raises(ValueError, match="Output"):
        _trainer(g, X, y)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_state_dict_continues_the_same_run_elsewhere(optimizer):
    """Half a run, moved to a fresh trainer mid-epoch, ends bit-identical to one uninterrupted run."""
    X, y = _linear_data(n=300)
    g = sequential(3, [(6, "tanh")])
    settings = dict(optimizer=optimizer, lr=0.01, batch_size=16, epochs=4, seed=3,
                    track=["dense2.b[0]", "dense2.W[0,0]"])
    whole = _trainer(g, X, y, **settings)
    whole.run()
    first = _trainer(g, X, y, **settings)
    first.run(max_updates=30)                     # 19 updates per epoch: stops inside epoch 2
    second = _trainer(g, X, y, **settings)
    second.load_state_dict(first.state_dict())
    second.run()
    np.testing.assert_array_equal(second.model.flat_params, whole.model.flat_params)
    np.testing.assert_array_equal(second.update_loss.view(), whole.update_loss.view())
    np.testing.assert_array_equal(second.trajectory.view(), whole.trajectory.view())
    assert second.epochs == whole.epochs


def test_set_track_restarts_the_path_at_the_current_point():
    X, y = _linear_data()
    tr = _trainer(sequential(3, []), X, y, lr=0.05, epochs=2)
    tr.run(max_updates=5)
    tr.set_track(["dense1.W[1,0]", "dense1.b[0]"])
    tr.run(max_updates=3)
    path = tr.trajectory.view()
    assert len(path) == 4
    np.testing.assert_array_equal(path[-1], [tr.model.get_scalar("dense1.W[1,0]"),
                                             tr.model.get_scalar("dense1.b[0]")])
    with pytest.raises(ConfigError, match="no parameter 'dense9.W'"):
        tr.set_track(["dense9.W[0,0]", "dense1.b[0]"])


# going on: after a finished run, with new settings, from a saved history -----------------

def test_a_finished_run_goes_on_for_the_same_number_of_epochs_more():
    X, y = _linear_data(n=100)
    tr = _trainer(sequential(3, []), X, y, lr=0.02, batch_size=10, epochs=3, seed=1)
    tr.run()
    assert tr.finished and tr.epoch == 3 and tr.updates == 30
    losses = tr.update_loss.view().copy()
    tr.continue_run()
    assert not tr.finished and tr.epoch_goal == 6
    tr.run()
    assert tr.finished and tr.stop_reason == "epochs" and tr.epoch == 6 and tr.updates == 60
    np.testing.assert_array_equal(tr.update_loss.view()[:30], losses)      # the history goes on
    assert [r["epoch"] for r in tr.epochs] == [1, 2, 3, 4, 5, 6]
    assert tr.message.startswith("finished 6 epochs")


def test_new_settings_mid_run_keep_history_batch_order_and_optimizer_state():
    """A new learning rate at update 30 of an Adam run: the same batches and moments go on
    (the run equals one that switched its learning rate in place), the plan is kept."""
    X, y = _linear_data(n=300)
    g = sequential(3, [(6, "tanh")])
    settings = dict(optimizer="adam", lr=0.01, batch_size=16, epochs=4, seed=3,
                    track=["dense2.b[0]", "dense2.W[0,0]"])
    first = _trainer(g, X, y, **settings)
    first.run(max_updates=30)
    same = _trainer(g, X, y, **settings)
    same.load_state_dict(first.state_dict())
    same.optimizer.lr = 0.002                   # the reference: the rate switched in place
    same.run()
    second = _trainer(g, X, y, **{**settings, "lr": 0.002})
    second.continue_from(first)
    assert second.updates == 30 and second.epoch == 1 and second.epoch_goal == 4
    second.run()
    np.testing.assert_array_equal(second.model.flat_params, same.model.flat_params)
    np.testing.assert_array_equal(second.update_loss.view(), same.update_loss.view())
    np.testing.assert_array_equal(second.trajectory.view(), same.trajectory.view())
    assert second.epochs == same.epochs and second.updates == 4 * 19


def test_a_new_batch_size_or_optimizer_starts_their_state_afresh_but_keeps_the_history():
    X, y = _linear_data(n=100)
    g = sequential(3, [])
    first = _trainer(g, X, y, optimizer="adam", lr=0.01, batch_size=10, epochs=2, seed=0)
    first.run()
    second = _trainer(g, X, y, optimizer="sgd", lr=0.01, batch_size=25, epochs=2, seed=0)
    second.continue_from(first)
    assert second.optimizer.state == {} and second._Xs is None
    np.testing.assert_array_equal(second.model.flat_params, first.model.flat_params)
    assert second.epoch_goal == 4                  # the planned 2 were done: 2 more
    second.run()
    assert second.updates == 20 + 2 * 4 and [r["updates"] for r in second.epochs] == [10, 20, 24, 28]


def test_a_saved_history_is_adopted_and_the_run_goes_on_from_it():
    X, y = _linear_data(n=100)
    g = sequential(3, [])
    track = ["dense1.b[0]", "dense1.W[0,0]"]
    done = _trainer(g, X, y, lr=0.02, batch_size=10, epochs=5, seed=2, track=track)
    done.run(max_updates=35)                        # stopped in epoch 4
    saved_weights, saved = done.model.get_weights(), done.history()
    reopened = _trainer(g, X, y, lr=0.02, batch_size=10, epochs=5, seed=2, track=track)
    reopened.set_weights(saved_weights)
    reopened.adopt_history(saved)
    assert (reopened.updates, reopened.epoch, reopened.epoch_goal) == (35, 3, 5)
    np.testing.assert_array_equal(reopened.trajectory.view(), done.trajectory.view())
    reopened.run()
    assert reopened.epoch == 5 and reopened.updates == 35 + 20   # two whole epochs from a fresh order
    np.testing.assert_array_equal(reopened.update_loss.view()[:35], saved["update_loss"])
    assert reopened.epochs[:3] == saved["epochs"]
    # another pair, or a path that does not end at the weights: the path restarts here
    other = _trainer(g, X, y, lr=0.02, batch_size=10, epochs=5, seed=2, track=track[::-1])
    other.set_weights(saved_weights)
    other.adopt_history(saved)
    assert other.trajectory.n == 1 and other.updates == 35


def test_growable_put_overwrites_from_a_position_and_grows():
    from engine.trainer import _Growable
    g = _Growable()
    g.put(0, np.arange(5.0))
    g.put(3, [10.0, 11.0, 12.0])
    np.testing.assert_array_equal(g.view(), [0, 1, 2, 10, 11, 12])
    g.put(6, np.ones(10_000))
    assert g.n == 10_006 and g.view()[5] == 12.0
    p = _Growable(2)
    p.put(0, [[1.0, 2.0], [3.0, 4.0]])
    p.put(1, [[5.0, 6.0]])
    np.testing.assert_array_equal(p.view(), [[1, 2], [5, 6]])
