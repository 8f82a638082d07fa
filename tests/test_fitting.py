"""engine.fitting: the one rule by which a network follows new data (the window's import and
the CLI's --project with another --csv both use it)."""
import numpy as np
import pandas as pd

from engine.data import DataSpec, Table, build_dataset
from engine.fitting import fit_graph_to_data, last_dense
from engine.graph import sequential
from engine.trainer import TrainConfig, Trainer


def regression_data(n_features=2):
    rng = np.random.default_rng(0)
    cols = {f"x{j}": rng.standard_normal(60) for j in range(n_features)}
    cols["y"] = sum(cols.values()) + 0.1 * rng.standard_normal(60)
    return build_dataset(Table.from_frame(pd.DataFrame(cols)), DataSpec(target="y"))


def three_class_data():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.standard_normal(90), "b": rng.standard_normal(90),
                          "c": rng.standard_normal(90), "k": ["p", "q", "r"] * 30})
    return build_dataset(Table.from_frame(frame), DataSpec(target="k"))


def test_a_classifier_follows_regression_data_input_output_last_dense_and_loss():
    g = sequential(4, [(8, "tanh")], task="multiclass", outputs=3)
    ds = regression_data()
    fit = fit_graph_to_data(g, ds, "ce")
    assert g.nodes["dense2"].params["units"] == 3            # only planned, nothing changed yet
    assert fit.loss == "mse" and fit.old_loss == "ce" and fit.loss_changed
    assert fit.changes == ["input: features 4 → 2", "output: task multiclass → regression, units 3 → 1",
                           "dense2: units 3 → 1", "loss ce → mse"]
    fit.apply(g)
    assert g.validate() == []
    assert g.nodes["input"].params["features"] == 2 and g.nodes["dense2"].params["units"] == 1
    assert g.nodes["output"].params == {"task": "regression", "units": 1}
    Trainer(g, ds, TrainConfig(loss=fit.loss, epochs=1)).run(max_updates=3)    # trains as it is


def test_a_regression_network_follows_three_classes():
    g = sequential(2, [(4, "relu")])
    fit = fit_graph_to_data(g, three_class_data(), "mae")
    fit.apply(g)
    assert g.validate() == [] and fit.loss == "ce"
    assert g.nodes["dense2"].params["units"] == 3 and g.nodes["output"].params["units"] == 3


def test_a_network_that_already_fits_needs_no_change_and_keeps_its_loss():
    ds = regression_data(3)
    g = sequential(3, [(4, "sigmoid")])
    fit = fit_graph_to_data(g, ds, "huber")
    assert fit.params == [] and fit.changes == [] and fit.loss == "huber" and not fit.loss_changed


def test_the_last_dense_is_found_through_activations_and_dropout_only():
    g = sequential(2, [(4, "relu")])
    assert last_dense(g) == "dense2"
    d = g.add_node("dropout", {}, "drop")
    g.disconnect(next(e for e in g.edges if e.dst == "output"))
    g.connect("dense2", d)
    g.connect(d, "output")
    assert last_dense(g) == "dense2"
    g.connect("dense2", g.add_node("sigmoid", {}, "side"))      # it also feeds another node
    assert last_dense(g) is None
    fit = fit_graph_to_data(g, three_class_data(), "mse")
    assert "dense2" not in [c.node for c in fit.params]         # not resized under another reader


def test_no_last_dense_behind_a_concat():
    g = sequential(2, [])
    c = g.add_node("concat", {}, "join")
    g.disconnect(next(e for e in g.edges if e.dst == "output"))
    g.connect("dense1", c)
    g.connect(c, "output")
    assert last_dense(g) is None
