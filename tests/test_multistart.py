"""Several starts trained as one batched computation (engine/multistart.py) equal the same starts
trained one after another by Trainer; what cannot be batched is refused with a clear message; and
the local-minima example's starts end where its description says."""
import copy
import re

import numpy as np
import pytest

from engine.data import load_dataset
from engine.graph import sequential
from engine.multistart import MultiStart, MultiStartError
from engine.project import load_project
from engine.trainer import ArrayData, TrainConfig, Trainer
from gui.window.examples import EXAMPLES, example_index, example_path


def _data(task="regression", n=203, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.sin(X[:, 0]) + 0.3 * X[:, 1] ** 2
    if task == "binary":
        y = (y > np.median(y)).astype(np.int64)
    elif task == "multiclass":
        y = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    return ArrayData(X[:150], y[:150], X[150:], y[150:], task=task)


def _sequential_run(graph, data, cfg, ms, k):
    """Start k as a plain Trainer: the seed of its initial weights, the batched run's data order."""
    c = copy.deepcopy(cfg)
    c.seed = ms.seeds[k]
    t = Trainer(graph, data, c)
    t.rng.bit_generator.state = copy.deepcopy(ms.order_state)
    t.run()
    return t


CASES = {
    "sgd-mse-sigmoid": ([(6, "sigmoid")], "regression", 1,
                        dict(loss="mse", optimizer="sgd", lr=0.1, batch_size=16, epochs=12)),
    "adam-mae-two-layers": ([(5, "tanh"), (4, "relu")], "regression", 1,
                            dict(loss="mae", optimizer="adam", lr=0.02, batch_size=10, epochs=10)),
    "momentum-huber-regularized": ([(6, "hard_sigmoid")], "regression", 1,
                                   dict(loss="huber", optimizer="momentum", lr=0.05, batch_size=16, epochs=30,
                                        l2=0.01, l1=0.002, clip_norm=0.5, lr_schedule="cosine", warmup=5,
                                        early_stopping=3)),
    "rmsprop-bce": ([(4, "softplus")], "binary", 1,
                    dict(loss="bce", optimizer="rmsprop", lr=0.01, batch_size=32, epochs=8)),
    # 21,001 parameters: the optimizer updates the starts in blocks of one (engine: cache-sized blocks)
    "adam-wide-in-blocks": ([(200, "relu"), (100, "tanh")], "regression", 1,
                            dict(loss="mse", optimizer="adam", lr=0.003, batch_size=32, epochs=3, l2=0.001)),
    "adagrad-ce-leaky": ([(5, "leaky_relu")], "multiclass", 3,
                         dict(loss="ce", optimizer="adagrad", lr=0.1, batch_size=7, epochs=6, lr_schedule="step",
                              lr_step_epochs=2)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_batched_starts_equal_sequential_runs(name):
    hidden, task, outputs, settings = CASES[name]
    data = _data(task)
    graph = sequential(3, hidden, task=task, outputs=outputs)
    cfg = TrainConfig(dtype="float64", seed=3, **settings)
    ms = MultiStart(graph, data, cfg, starts=5)
    assert len(ms._groups[0]) == (5 if name == "adam-wide-in-blocks" else 1)
    ms.run()
    assert ms.finished
    results = ms.results()
    finals = []
    for k in range(5):
        t = _sequential_run(graph, data, cfg, ms, k)
        w = t.model.get_weights()
        assert set(w) == set(results[k].weights)
        for key in w:
            np.testing.assert_allclose(results[k].weights[key], w[key], rtol=1e-9, atol=1e-12)
        assert results[k].stop_reason == t.stop_reason
        assert results[k].epochs == t.epoch
        # the per-epoch losses too, and the final scores the list shows
        for mine, key in ((ms.train_loss, "train_loss"), (ms.val_loss, "val_loss")):
            np.testing.assert_allclose([r[k] for r in mine[:t.epoch]], [e[key] for e in t.epochs], rtol=1e-9)
        expected_val = t.epochs[-1]["val_loss"] if t.stop_reason == "epochs" else None
        if expected_val is not None:
            assert results[k].val["loss"] == pytest.approx(expected_val, rel=1e-9)
        finals.append(results[k].val["loss"])
    assert results[0].seed == 3 and results[4].seed == 7
    assert len({round(v, 9) for v in finals}) > 1          # the starts really differ


def test_start_zero_is_the_run_train_makes():
    data, graph = _data(), sequential(3, [(4, "sigmoid")])
    cfg = TrainConfig(loss="mse", optimizer="adam", lr=0.01, batch_size=16, epochs=5)   # float32, as Train
    ms = MultiStart(graph, data, cfg, starts=3)
    ms.run()
    t = Trainer(graph, data, cfg)             # no generator set: exactly what Train does
    t.run()
    for key, w in t.model.get_weights().items():
        np.testing.assert_allclose(ms.results()[0].weights[key], w, rtol=2e-4, atol=2e-6)


def test_a_start_that_diverges_stops_alone_with_its_last_finite_weights():
    data = _data()
    graph = sequential(3, [(8, "relu")])
    cfg = TrainConfig(loss="mse", optimizer="sgd", lr=0.3, batch_size=4, epochs=6, dtype="float64")
    ms = MultiStart(graph, data, cfg, starts=6)
    ms.run()
    reasons = [r.stop_reason for r in ms.results()]
    assert "diverged" in reasons and "epochs" in reasons      # one start flew off, the others trained on
    for k in range(6):
        t = _sequential_run(graph, data, cfg, ms, k)
        assert reasons[k] == t.stop_reason
        assert ms.results()[k].epochs == t.epoch
        for key, w in t.model.get_weights().items():
            assert np.all(np.isfinite(ms.results()[k].weights[key]))
            np.testing.assert_allclose(ms.results()[k].weights[key], w, rtol=1e-9, atol=1e-12)


def test_cancel_and_progress():
    ms = MultiStart(sequential(3, [(4, "sigmoid")]), _data(), TrainConfig(batch_size=8, epochs=50), starts=4)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) >= 3

    done = ms.run(cancelled=cancelled)
    assert 0 < done < ms.total_updates and not ms.finished
    assert 0 < ms.progress() < 1
    assert ms.results()[0].stop_reason == "cancelled"


@pytest.mark.parametrize("change, words", [
    (dict(starts=1), "from 2 to"),
    (dict(starts=65), "from 2 to"),
    (dict(epochs=0), "number of epochs"),
    (dict(optimizer="adamw", weight_decay=0.01), "weight decay"),
    (dict(dropout=True), "Dropout"),
    (dict(width=5), "features"),
])
def test_what_cannot_be_batched_is_refused_clearly(change, words):
    change = dict(change)
    starts = change.pop("starts", 4)
    hidden = [(4, "sigmoid"), ("dropout", 0.3)] if change.pop("dropout", False) else [(4, "sigmoid")]
    graph = sequential(change.pop("width", 3), [h for h in hidden if h[0] != "dropout"])
    if hidden[-1][0] == "dropout":
        graph = _with_dropout(graph)
    cfg = TrainConfig(batch_size=8, epochs=change.pop("epochs", 3), **change)
    with pytest.raises(MultiStartError, match=words):
        MultiStart(graph, _data(), cfg, starts=starts)


def _with_dropout(graph):
    """The graph with a Dropout between its hidden activation and the last Dense."""
    out_dense = graph.inputs_of(graph.output_node())[0]
    act = graph.inputs_of(out_dense)[0]
    nid = graph.add_node("dropout", {"rate": 0.3})
    for e in list(graph.edges):
        if e.src == act and e.dst == out_dense:
            graph.disconnect(e)
    graph.connect(act, nid)
    graph.connect(nid, out_dense)
    return graph


# -- the local-minima example ------------------------------------------------------------------

def test_local_minima_example_starts_end_at_clearly_different_losses():
    name = "local_minima.ncproj"
    assert example_index(name) == len(EXAMPLES) - 1            # appended at the end
    project = load_project(example_path(name))
    data = load_dataset(project.data_path, project.data_spec)
    assert project.graph.nodes[project.graph.input_node()].params["features"] == 1
    ms = MultiStart(project.graph, data, project.train_config, starts=8)
    ms.run()
    res = ms.results()
    train = np.array([r.train["loss"] for r in res])
    val = np.array([r.val["loss"] for r in res])
    y = np.asarray(data.y_train, np.float64).ravel()
    X = np.c_[np.ones(len(y)), np.asarray(data.X_train, np.float64)]
    line = float(np.mean((X @ np.linalg.lstsq(X, y, rcond=None)[0] - y) ** 2))   # the best straight line
    good, stuck = train < 30, train > 50
    text = EXAMPLES[-1].description
    # "half of them end there", "the other half stop at about 57.9, the variance of mpg itself"
    assert good.sum() == 4 and stuck.sum() == 4
    assert train[good].max() * 2 < train[stuck].min()           # clearly different ends
    # start 0 (what Train makes) fits: "training MSE about 21.9, a little better than the best straight line (22.8)"
    assert good[0] and abs(train[0] - 21.9) < 0.1 and train[0] < line
    plain = Trainer(project.graph, data, project.train_config)        # what pressing Train does
    plain.run()
    assert plain.epochs[-1]["train_loss"] == pytest.approx(train[0], rel=1e-3)
    assert abs(line - 22.8) < 0.05 and "22.8" in text and "21.9" in text
    assert np.all(np.abs(train[good] - 21.9) < 0.2)
    assert np.all(np.abs(val[good] - 27.5) < 0.5) and "27.5" in text
    assert np.all(np.abs(train[stuck] - y.var()) < 0.01 * y.var()) and abs(y.var() - 57.9) < 0.05 and "57.9" in text
    assert np.all(np.abs(val[stuck] - 72.9) < 0.2) and "72.9" in text
    assert "8 starts" in text and re.search(r"3 sigmoid", text)
