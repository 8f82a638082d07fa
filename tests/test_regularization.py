"""Regularization and learning-rate schedules, each rule against an independent computation:
finite differences of the penalised loss, the schedules' η at chosen updates, AdamW against its
closed form, clipping against the global norm; saved with the project, reproducible by seed."""
import math

import numpy as np
import pytest

from engine.graph import sequential
from engine.optimizers import make_optimizer
from engine.regularization import Penalty, clip_global_norm, lr_at
from engine.trainer import ArrayData, ConfigError, TrainConfig, Trainer


def _data(n=64, f=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, f))
    y = np.sin(X @ rng.normal(size=f)) + 0.1 * rng.normal(size=n)
    return X, y


def _trainer(graph=None, n=64, **cfg):
    X, y = _data(n)
    cfg.setdefault("dtype", "float64")
    return Trainer(graph or sequential(3, [(5, "tanh")]), ArrayData(X, y), TrainConfig(**cfg))


def _penalised_loss(tr, X, y):
    return tr.loss.value_and_grad(tr.model.forward(X, False), y)[0] + tr.penalty_value()


@pytest.mark.parametrize("l2, l1", [(0.05, 0.0), (0.0, 0.03), (0.02, 0.01)])
def test_penalty_gradient_matches_finite_differences_of_the_penalised_loss(l2, l1):
    tr = _trainer(l2=l2, l1=l1)
    X, y = tr.X, tr.y
    P, G = tr.model.flat_params, tr.model.flat_grads
    P += 0.3        # keep every weight away from 0, where |w| has no derivative
    pred = tr.model.forward(X, True)
    _, dpred = tr.loss.value_and_grad(pred, y)
    tr.model.backward(dpred)
    tr.penalty.add_grad(P, G)
    analytic = G.copy()
    h = 1e-6
    for i in range(len(P)):
        keep = P[i]
        P[i] = keep + h
        up = _penalised_loss(tr, X, y)
        P[i] = keep - h
        down = _penalised_loss(tr, X, y)
        P[i] = keep
        assert analytic[i] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-7), i


def test_penalty_covers_dense_weights_only_and_nodes_override_the_project():
    g = sequential(3, [(4, "tanh")])
    g.set_params("dense1", {"l2": 0.5})          # its own λ₂; dense2 keeps the project's
    g.set_params("dense2", {"l1": 0.0})
    tr = _trainer(g, l2=0.1, l1=0.2)
    W1, W2 = tr.model.params["dense1.W"], tr.model.params["dense2.W"]
    expected = 0.5 * (W1 ** 2).sum() + 0.2 * np.abs(W1).sum() + 0.1 * (W2 ** 2).sum()
    assert tr.penalty_value() == pytest.approx(expected, rel=1e-12)
    G = np.zeros_like(tr.model.flat_params)
    tr.penalty.add_grad(tr.model.flat_params, G)
    for name, off in tr.model.offsets.items():
        part = G[off:off + tr.model.params[name].size]
        if name.endswith(".b"):
            assert not part.any(), name               # never the biases
    # L1's subgradient is 0 at 0
    pen = Penalty(tr.model, 0.0, 1.0)
    P = np.zeros_like(tr.model.flat_params)
    G = np.zeros_like(P)
    pen.add_grad(P, G)
    assert not G.any()


def test_scores_stay_on_the_data_loss_and_the_penalty_is_recorded_beside_them():
    plain = _trainer(epochs=1, batch_size=64)
    pen = _trainer(epochs=1, batch_size=64, l2=1e-9)      # a negligible λ: the same weights
    plain.run()
    pen.run()
    a, b = plain.epochs[-1], pen.epochs[-1]
    assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-6)
    assert "penalty" in b and "penalty" not in a
    assert b["penalty"] == pytest.approx(pen.penalty_value())


def test_l2_shrinks_the_weights():
    plain = _trainer(epochs=30, batch_size=16, lr=0.05)
    pen = _trainer(epochs=30, batch_size=16, lr=0.05, l2=0.05)
    plain.run()
    pen.run()
    norm = lambda t: float(np.linalg.norm(t.model.params["dense1.W"]))   # noqa: E731
    assert norm(pen) < 0.8 * norm(plain)


def test_schedules_give_their_learning_rate_at_chosen_updates():
    # constant, with and without warm-up (η·(t+1)/n for t < n)
    assert lr_at(0, 0.1) == 0.1 and lr_at(999, 0.1) == 0.1
    assert lr_at(0, 0.1, warmup=4) == pytest.approx(0.025)
    assert lr_at(2, 0.1, warmup=4) == pytest.approx(0.075)
    assert lr_at(4, 0.1, warmup=4) == pytest.approx(0.1)
    # step: ×γ every k epochs of U updates
    kw = dict(updates_per_epoch=5, step_epochs=2, gamma=0.5)
    assert [lr_at(t, 0.1, "step", **kw) for t in (0, 9, 10, 19, 20, 35)] == \
        pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125])
    # cosine: η·½(1 + cos(π·t/T))
    T = 100
    for t in (0, 25, 50, 75, 100):
        assert lr_at(t, 0.2, "cosine", total_updates=T) == pytest.approx(0.1 * (1 + math.cos(math.pi * t / T)))
    assert lr_at(50, 0.2, "cosine", total_updates=T) == pytest.approx(0.1)
    assert lr_at(3, 0.2, "cosine", total_updates=T, warmup=10) == \
        pytest.approx(0.4 * 0.1 * (1 + math.cos(math.pi * 3 / T)))


def test_the_trainer_steps_with_the_scheduled_learning_rate():
    tr = _trainer(optimizer="sgd", lr=0.1, lr_schedule="cosine", warmup=3, batch_size=16, epochs=4)
    assert tr.updates_per_epoch == 4
    seen = []
    step = tr.optimizer.step
    tr.optimizer.step = lambda p, g: (seen.append(tr.optimizer.lr), step(p, g))
    tr.run()
    T = 16
    want = [0.1 * 0.5 * (1 + math.cos(math.pi * t / T)) * min(1, (t + 1) / 3) for t in range(T)]
    assert seen == pytest.approx(want)
    assert tr.epochs[-1]["lr"] == pytest.approx(want[-1])


def test_adamw_matches_its_closed_form():
    g = np.array([0.5, -2.0, 0.0, 1.0])
    p = np.array([1.0, -1.0, 2.0, 0.5])
    w = p.copy()
    opt = make_optimizer("adamw", 0.1, weight_decay=0.3)
    m = v = np.zeros(4)
    b1, b2, eps, lr, wd = 0.9, 0.999, 1e-8, 0.1, 0.3
    for t in range(1, 4):
        opt.step({"w": w}, {"w": g})
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps / np.sqrt(1 - b2 ** t))
        p = p - lr * wd * p                            # decoupled: after the Adam step
    np.testing.assert_allclose(w, p, rtol=1e-10)
    # only the given slices decay (the trainer passes the Dense weights, never the biases)
    opt = make_optimizer("adamw", 0.1, weight_decay=0.5)
    opt.decay_only = {"w": [slice(0, 2)]}
    w = np.array([1.0, 1.0, 1.0, 1.0])
    opt.step({"w": w}, {"w": np.zeros(4)})
    np.testing.assert_allclose(w, [0.95, 0.95, 1.0, 1.0])


def test_adamw_is_not_l2_and_decays_no_bias():
    tr = _trainer(optimizer="adamw", weight_decay=0.5, lr=0.01, epochs=1)
    slices = tr.optimizer.decay_only["all"]
    W_names = [n for n in tr.model.offsets if n.endswith(".W")]
    assert [(s.start, s.stop) for s in slices] == \
        [(tr.model.offsets[n], tr.model.offsets[n] + tr.model.params[n].size) for n in W_names]
    adam = _trainer(optimizer="adam", lr=0.01, l2=0.5, epochs=1)
    tr.run()
    adam.run()
    assert not np.allclose(tr.model.flat_params, adam.model.flat_params)


def test_clipping_keeps_the_global_norm():
    rng = np.random.default_rng(1)
    G = rng.normal(size=50) * 10
    direction = G / np.linalg.norm(G)
    assert clip_global_norm(G, 2.5)
    assert np.linalg.norm(G) == pytest.approx(2.5)
    np.testing.assert_allclose(G / np.linalg.norm(G), direction)
    small = np.array([0.1, 0.2])
    assert not clip_global_norm(small, 2.5)
    np.testing.assert_array_equal(small, [0.1, 0.2])


def test_the_trainer_counts_clipped_updates():
    tr = _trainer(clip_norm=1e-3, batch_size=16, epochs=2)
    tr.run()
    assert tr.clipped == tr.updates == 8
    assert tr.epochs[-1]["clipped"] == 8 and tr.metrics()["clipped"] == 8
    loose = _trainer(clip_norm=1e6, batch_size=16, epochs=2)
    loose.run()
    assert loose.clipped == 0


def test_settings_round_trip_validate_and_default_to_nothing():
    cfg = TrainConfig(l2=0.01, l1=0.002, optimizer="adamw", weight_decay=0.1, lr_schedule="step",
                      lr_step_epochs=3, lr_gamma=0.3, warmup=5, clip_norm=1.5)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    old = {"loss": "mse", "optimizer": "sgd", "lr": 0.01}       # a project saved before these existed
    new = TrainConfig.from_dict(old)
    assert (new.l2, new.l1, new.weight_decay, new.lr_schedule, new.warmup, new.clip_norm) == \
        (0.0, 0.0, 0.0, "constant", 0, 0.0)
    for bad in ({"l2": -1}, {"lr_schedule": "linear"}, {"warmup": -2}, {"clip_norm": "x"},
                {"lr_step_epochs": 0}):
        with pytest.raises(ConfigError):
            TrainConfig(**bad).validate()


def test_a_regularized_scheduled_run_is_reproducible_by_seed():
    cfg = dict(l2=0.01, l1=0.001, optimizer="adamw", weight_decay=0.05, lr_schedule="cosine", warmup=4,
               clip_norm=0.5, epochs=3, batch_size=8, seed=7, dtype="float32")
    a, b = _trainer(**cfg), _trainer(**cfg)
    a.run()
    b.run()
    np.testing.assert_array_equal(a.model.flat_params, b.model.flat_params)
    assert a.history() == b.history()
