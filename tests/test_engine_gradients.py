"""Backpropagation against central finite differences, in float64, for every op and loss.

Each check compiles a small graph, computes ``model.grads`` with one
forward/backward pass, and compares every parameter's gradient with
``(L(θ + ε·e_k) − L(θ − ε·e_k)) / 2ε`` over ``model.flat_params``.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.graph import Graph
from engine.layers import Dropout
from engine.losses import LOSSES, make_loss
from engine.model import Model

EPS = 1e-6
FAST = settings(max_examples=10, deadline=None)

sizes = st.fixed_dictionaries({
    "batch": st.integers(1, 7),
    "features": st.integers(1, 4),
    "hidden": st.integers(1, 5),
    "seed": st.integers(0, 2**16),
})


# -- helpers ----------------------------------------------------------------------

def _build(edges, nodes) -> Graph:
    g = Graph()
    for nid, kind, params in nodes:
        g.add_node(kind, params, nid)
    for s, d in edges:
        g.connect(s, d)
    assert g.validate() == []
    return g


def _through(op_kind, features, hidden, outputs=1, task="regression", params=None, bias=True):
    """input → dense1 → <op> → dense2 → output."""
    return _build(
        [("input", "dense1"), ("dense1", "op"), ("op", "dense2"), ("dense2", "output")],
        [("input", "input", {"features": features}),
         ("dense1", "dense", {"units": hidden, "bias": bias}),
         ("op", op_kind, params or {}),
         ("dense2", "dense", {"units": outputs, "bias": bias}),
         ("output", "output", {"task": task, "units": outputs})])


def _model(graph, seed, bias_scale=0.5):
    """A float64 model with non-zero biases (zero biases would hide bias-gradient bugs)."""
    m = Model(graph, dtype="float64", seed=seed)
    rng = np.random.default_rng(seed + 1)
    for name, p in m.params.items():
        if name.endswith(".b"):
            p[...] = rng.normal(0, bias_scale, p.shape)
    return m


def _loss_fn(model, loss, X, y, training):
    dropouts = [op for op in model.ops.values() if isinstance(op, Dropout)]

    def f():
        for op in dropouts:                      # the same mask on every evaluation
            op.rng = np.random.default_rng(1234)
        return loss.value(model.forward(X, training), y)
    return f, dropouts


def _check(model, loss, X, y, training=False, rtol=1e-5, atol=1e-8):
    """Compare model.grads with central differences; returns the numeric gradient."""
    f, dropouts = _loss_fn(model, loss, X, y, training)
    for op in dropouts:
        op.rng = np.random.default_rng(1234)
    pred = model.forward(X, training)
    value, dpred = loss.value_and_grad(pred, y)
    assert value == pytest.approx(f(), rel=1e-12)
    model.flat_grads[...] = np.nan                # every entry must be written by backward
    model.backward(dpred)

    P = model.flat_params
    theta = P.copy()
    numeric = np.empty_like(theta)
    for k in range(P.size):
        P[k] = theta[k] + EPS
        up = f()
        P[k] = theta[k] - EPS
        down = f()
        P[k] = theta[k]
        numeric[k] = (up - down) / (2 * EPS)
    assert np.array_equal(P, theta)
    for name, g in model.grads.items():
        off = model.offsets[name]
        expected = numeric[off:off + g.size].reshape(g.shape)
        np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol, err_msg=name)
    return numeric


def _regression_data(model, batch, seed, outputs=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, model.n_inputs))
    y = rng.normal(size=(batch, outputs))
    return X, y


def _pre_activation(model, X):
    return model.activations(X)["dense1"]


# -- ops --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["identity", "sigmoid", "tanh", "softplus"])
@FAST
@given(s=sizes)
def test_smooth_activation_gradients(kind, s):
    m = _model(_through(kind, s["features"], s["hidden"]), s["seed"])
    X, y = _regression_data(m, s["batch"], s["seed"])
    _check(m, make_loss("mse", "regression"), X, y)


@pytest.mark.parametrize("kind, params, kinks", [
    ("relu", {}, (0.0,)),
    ("leaky_relu", {"alpha": 0.1}, (0.0,)),
    ("hard_sigmoid", {}, (-2.5, 2.5)),
])
@FAST
@given(s=sizes)
def test_kinked_activation_gradients_away_from_kinks(kind, params, kinks, s):
    m = _model(_through(kind, s["features"], s["hidden"], params=params), s["seed"], bias_scale=1.0)
    m.params["dense1.W"] *= 3                     # spread r over all the pieces
    X, y = _regression_data(m, s["batch"], s["seed"])
    r = _pre_activation(m, X)
    assume(all(np.abs(r - k).min() > 1e-3 for k in kinks))
    _check(m, make_loss("mse", "regression"), X, y)


@pytest.mark.parametrize("kind, params, kinks, pieces", [
    ("relu", {}, (0.0,), (-np.inf, 0.0, np.inf)),
    ("leaky_relu", {"alpha": 0.1}, (0.0,), (-np.inf, 0.0, np.inf)),
    ("hard_sigmoid", {}, (-2.5, 2.5), (-np.inf, -2.5, 2.5, np.inf)),
])
def test_kinked_activation_gradients_cover_every_piece(kind, params, kinks, pieces):
    """A fixed case where every linear piece of the activation is visited."""
    m = _model(_through(kind, 3, 6, params=params), seed=6, bias_scale=1.0)
    m.params["dense1.W"] *= 4
    X, y = _regression_data(m, 24, seed=7)
    r = _pre_activation(m, X)
    assert all(np.abs(r - k).min() > 1e-3 for k in kinks)
    counts = np.histogram(r, bins=pieces)[0]
    assert (counts > 0).all(), counts
    numeric = _check(m, make_loss("mse", "regression"), X, y)
    assert np.abs(numeric).max() > 1e-3          # the check is not comparing zeros


@pytest.mark.parametrize("bias", [True, False])
@FAST
@given(s=sizes, outputs=st.integers(1, 3))
def test_dense_gradients_with_and_without_bias(bias, s, outputs):
    m = _model(_through("tanh", s["features"], s["hidden"], outputs=outputs, bias=bias), s["seed"])
    assert ("dense1.b" in m.params) is bias
    X, y = _regression_data(m, s["batch"], s["seed"], outputs)
    _check(m, make_loss("mse", "regression"), X, y)


@FAST
@given(s=sizes, rate=st.sampled_from([0.2, 0.5, 0.8]))
def test_dropout_gradient_with_fixed_mask_in_training_mode(s, rate):
    m = _model(_through("dropout", s["features"], s["hidden"], params={"rate": rate}), s["seed"])
    X, y = _regression_data(m, s["batch"], s["seed"])
    _check(m, make_loss("mse", "regression"), X, y, training=True)


def test_dropout_masks_and_scales_in_training_and_is_identity_in_inference():
    m = _model(_through("dropout", 3, 200, params={"rate": 0.5}), seed=0)
    X = np.random.default_rng(0).normal(size=(50, 3))
    acts = m.activations(X)
    np.testing.assert_array_equal(acts["op"], acts["dense1"])      # inference: identity
    m.forward(X, training=True)
    dense1, dropped = m._vals[m.order.index("dense1")], m._vals[m.order.index("op")]
    kept = dropped != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(dropped[kept], 2.0 * dense1[kept])
    numeric = _check(m, make_loss("mse", "regression"), X[:4], np.ones((4, 1)), training=True)
    assert np.isfinite(numeric).all()


def _add_graph(features, hidden, merge):
    """input → a → sigmoid → merge; input → b → merge; merge → head → output."""
    b_units = hidden if merge == "add" else hidden + 2
    return _build(
        [("input", "a"), ("a", "sig"), ("input", "b"), ("sig", "merge"), ("b", "merge"),
         ("merge", "head"), ("head", "output")],
        [("input", "input", {"features": features}),
         ("a", "dense", {"units": hidden}), ("sig", "sigmoid", {}),
         ("b", "dense", {"units": b_units}),
         ("merge", merge, {}),
         ("head", "dense", {"units": 2}),
         ("output", "output", {"units": 2})])


@pytest.mark.parametrize("merge", ["add", "concat"])
@FAST
@given(s=sizes)
def test_add_and_concat_gradients(merge, s):
    m = _model(_add_graph(s["features"], s["hidden"], merge), s["seed"])
    X, y = _regression_data(m, s["batch"], s["seed"], outputs=2)
    _check(m, make_loss("mse", "regression"), X, y)


@FAST
@given(s=sizes)
def test_fan_out_gradient_accumulates_over_branches(s):
    """dense1 → tanh feeds two branches (sigmoid, softplus) merged by Add, plus a skip into a Concat."""
    g = _build(
        [("input", "dense1"), ("dense1", "t"), ("t", "l"), ("t", "r"), ("l", "sl"), ("r", "sr"),
         ("sl", "add"), ("sr", "add"), ("add", "cat"), ("t", "cat"), ("cat", "head"), ("head", "output")],
        [("input", "input", {"features": s["features"]}),
         ("dense1", "dense", {"units": s["hidden"]}), ("t", "tanh", {}),
         ("l", "dense", {"units": 3}), ("r", "dense", {"units": 3}),
         ("sl", "sigmoid", {}), ("sr", "softplus", {}),
         ("add", "add", {}), ("cat", "concat", {}),
         ("head", "dense", {"units": 1}), ("output", "output", {})])
    m = _model(g, s["seed"])
    X, y = _regression_data(m, s["batch"], s["seed"])
    _check(m, make_loss("mse", "regression"), X, y)


# -- losses -----------------------------------------------------------------------

def _residual_targets(model, X, rng, low, high, outputs):
    """Targets whose residuals |ŷ − y| lie in [low, high], with random signs."""
    pred = model.forward(X)
    mag = rng.uniform(low, high, size=pred.shape)
    sign = rng.choice([-1.0, 1.0], size=pred.shape)
    return pred - sign * mag


@pytest.mark.parametrize("name, bands", [
    ("mse", [(0.0, 3.0)]),
    ("mae", [(0.1, 3.0)]),                      # away from the kink at 0
    ("huber", [(0.05, 0.9), (1.1, 4.0)]),      # both regimes, away from |e| = δ = 1
])
@FAST
@given(s=sizes, outputs=st.integers(1, 3))
def test_regression_loss_gradients(name, bands, s, outputs):
    m = _model(_through("tanh", s["features"], s["hidden"], outputs=outputs), s["seed"])
    rng = np.random.default_rng(s["seed"])
    X = rng.normal(size=(s["batch"], s["features"]))
    parts = [_residual_targets(m, X, rng, lo, hi, outputs) for lo, hi in bands]
    pick = rng.integers(0, len(bands), size=parts[0].shape)
    y = np.choose(pick, parts)
    _check(m, make_loss(name, "regression"), X, y)


def test_huber_regimes_match_the_formula():
    loss = make_loss("huber", "regression")
    pred = np.array([[0.5], [-3.0]])
    y = np.zeros((2, 1))
    assert loss.value(pred, y) == pytest.approx((0.5 * 0.25 + (3.0 - 0.5)) / 2)
    np.testing.assert_allclose(loss.grad(pred, y), [[0.25], [-0.5]])


@FAST
@given(s=sizes)
def test_binary_cross_entropy_gradient(s):
    m = _model(_through("tanh", s["features"], s["hidden"], task="binary"), s["seed"])
    rng = np.random.default_rng(s["seed"])
    X = rng.normal(size=(s["batch"], s["features"])) * 2
    y = rng.integers(0, 2, size=s["batch"])
    _check(m, make_loss("bce", "binary"), X, y)


@FAST
@given(s=sizes, classes=st.integers(2, 5))
def test_softmax_cross_entropy_gradient(s, classes):
    m = _model(_through("tanh", s["features"], s["hidden"], outputs=classes, task="multiclass"), s["seed"])
    rng = np.random.default_rng(s["seed"])
    X = rng.normal(size=(s["batch"], s["features"])) * 2
    y = rng.integers(0, classes, size=s["batch"])
    _check(m, make_loss("ce", "multiclass"), X, y)


def test_cross_entropies_match_direct_formulas_and_stay_finite_for_large_logits():
    z = np.array([[800.0], [-800.0], [0.3]])
    y = np.array([0, 0, 1])
    bce = make_loss("bce", "binary")
    expected = np.mean([800.0, 0.0, np.log1p(np.exp(-0.3))])
    assert bce.value(z, y) == pytest.approx(expected)
    assert np.isfinite(bce.grad(z, y)).all()

    ce = make_loss("ce", "multiclass")
    Z = np.array([[1000.0, 0.0, -1000.0], [0.1, 0.2, 0.3]])
    yc = np.array([1, 2])
    p = np.exp(Z[1] - Z[1].max()) / np.exp(Z[1] - Z[1].max()).sum()
    assert ce.value(Z, yc) == pytest.approx((1000.0 - np.log(p[2])) / 2)
    assert np.isfinite(ce.grad(Z, yc)).all()


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_value_and_grad_agrees_with_value_and_grad_separately(name):
    rng = np.random.default_rng(3)
    task = LOSSES[name].tasks[0]
    pred = rng.normal(size=(9, 3 if task == "multiclass" else 1))
    y = (rng.normal(size=pred.shape) if task == "regression"
         else rng.integers(0, pred.shape[1] if task == "multiclass" else 2, size=9))
    loss = make_loss(name, task)
    before = pred.copy()
    v, g = loss.value_and_grad(pred, y)
    assert v == pytest.approx(loss.value(pred, y), rel=1e-12)
    np.testing.assert_allclose(g, loss.grad(pred, y), rtol=1e-12)
    np.testing.assert_array_equal(pred, before)       # the prediction is not modified


def test_one_sigmoid_never_overflows_and_keeps_tiny_values_precise():
    """engine.layers.sigmoid serves the Sigmoid op, Softplus's derivative, the cross-entropy's
    gradient, Model.predict and the export's reference: no overflow for any input, 0 and 1 at ∓inf
    (to within the smallest normal number), σ(−z) = 1 − σ(z), and a tiny σ to ~1e-14 relative
    (the tanh form rounded σ(−40) to 0)."""
    from engine.layers import sigmoid
    z = np.linspace(-1000.0, 1000.0, 20001)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(z)
        for dtype in (np.float32, np.float64):
            lo, hi = sigmoid(np.array([-np.inf, np.inf], dtype))
            assert 0 <= lo < np.finfo(dtype).tiny and hi == 1
        assert sigmoid(np.float32(-1e4)) < 1e-38 and sigmoid(3) == pytest.approx(1 / (1 + np.exp(-3)))
    assert np.all((s >= 0) & (s <= 1)) and np.all(np.diff(s) >= 0)
    np.testing.assert_allclose(sigmoid(-z) + s, 1.0, rtol=0, atol=1e-15)
    tiny = np.array([-40.0, -100.0, -700.0])
    np.testing.assert_allclose(sigmoid(tiny), np.exp(tiny) / (1 + np.exp(tiny)), rtol=1e-14)
    assert sigmoid(np.zeros(3, np.float32)).dtype == np.float32
    r = np.linspace(-8, 8, 33, dtype=np.float32)
    model = Model(Graph.from_dict({"nodes": [{"id": "i", "kind": "input", "params": {"features": 33}},
                                             {"id": "s", "kind": "sigmoid"},
                                             {"id": "o", "kind": "output", "params": {"units": 33}}],
                                   "edges": [["i", "s"], ["s", "o"]]}), dtype="float32")
    np.testing.assert_array_equal(model.forward(r[None, :])[0], sigmoid(r))
