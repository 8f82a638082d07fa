"""The built-in examples teach what they say they teach.

Example 4 ("A deeper net that overfits") is trained headless exactly as the app
trains it (project file → dataset → Trainer with the saved settings and seed):
the validation loss must fall to a minimum early and then rise clearly while the
training loss keeps falling, within a run a person watches at the "auto" speed;
and every number its description states must be what that run shows. The other
examples' descriptions are checked against their settings, and the project files
and index against ``gui/window/examples.py`` (run ``resources/examples/make_examples.py``
after changing an example).
"""
import dataclasses
import json
import re

import numpy as np
import pytest

from engine.data import load_dataset
from engine.model import Model
from engine.project import load_project
from engine.trainer import Trainer
from gui.window.examples import EXAMPLES, EXAMPLES_DIR, build_example, example_index, example_path

DEEP = "4_deep_overfits.ncproj"       # "A deeper net that overfits"
AUTO_RATE = 300              # updates per second at the app's default "auto" speed (small epochs)


def _example(i):
    project = load_project(example_path(i))
    return project, load_dataset(project.data_path, project.data_spec)


def _n_params(graph) -> int:
    return int(Model(graph).flat_params.size)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.fixture(scope="module")
def deep_run():
    """Example 4 trained to the end with its saved settings (about 3 s of CPU)."""
    project, dataset = _example(DEEP)
    trainer = Trainer(project.graph, dataset, project.train_config)
    trainer.run()
    return project, dataset, trainer


def _curves(trainer):
    val = np.array([e["val_loss"] for e in trainer.epochs])
    train = np.array([e["train_loss"] for e in trainer.epochs])
    return val, train


# -- example 4 overfits, visibly --------------------------------------------------------


@pytest.mark.slow
def test_deep_example_validation_loss_turns_back_up_while_training_loss_falls(deep_run):
    project, _, trainer = deep_run
    cfg = project.train_config
    assert cfg.early_stopping == 0, "early stopping would hide the rise"
    assert trainer.stop_reason == "epochs" and trainer.epoch == cfg.epochs
    val, train = _curves(trainer)
    best = int(val.argmin())
    # the minimum comes early (in the first tenth), and the end is far above it
    assert best < len(val) / 10
    assert val[0] > 1.5 * val[best], "the validation loss first falls"
    assert val[-1] >= 1.6 * val[best], (val[best], val[-1])
    # after the valley the validation loss climbs fifth by fifth; the training loss falls throughout
    val_fifths = [part.mean() for part in np.array_split(val, 5)]
    train_fifths = [part.mean() for part in np.array_split(train, 5)]
    assert all(b > a for a, b in zip(val_fifths, val_fifths[1:])), val_fifths
    assert all(b < a for a, b in zip(train_fifths, train_fifths[1:])), train_fifths
    assert train[-1] < train[best] / 3
    # a person sees all of it at the default speed: a run of 20-40 s, the minimum within seconds
    seconds = trainer.updates / AUTO_RATE
    assert 15 <= seconds <= 40, seconds
    assert (best + 1) * trainer.updates_per_epoch / AUTO_RATE < 3


@pytest.mark.slow
def test_deep_example_early_stopping_would_stop_at_the_minimum(deep_run):
    project, dataset, full = deep_run
    val, _ = _curves(full)
    patience = 20                                   # the value the description suggests
    cfg = dataclasses.replace(project.train_config, early_stopping=patience)
    trainer = Trainer(project.graph, dataset, cfg)
    trainer.run()
    assert trainer.stop_reason == "early_stopping"
    kept = trainer.epoch - patience                 # the epoch whose weights were kept
    assert kept == int(val[:trainer.epoch].argmin()) + 1
    assert trainer.epoch < len(val) / 5
    assert val[kept - 1] <= 1.05 * val.min()


@pytest.mark.slow
def test_deep_example_description_states_what_the_run_shows(deep_run):
    project, dataset, trainer = deep_run
    ex = EXAMPLES[example_index(DEEP)]
    text = ex.description
    assert project.notes == text
    val, train = _curves(trainer)
    best = int(val.argmin())

    # the network and the data
    hidden = [(n.params["units"]) for n in project.graph.nodes.values() if n.kind == "dense"][:-1]
    assert text.startswith(f"Three hidden layers of {hidden[0]} ReLUs") and hidden == [hidden[0]] * 3
    assert _number(re.search(r"\(([\d,]+) parameters\)", text).group(1)) == _n_params(project.graph)
    assert int(re.search(r"previous (\d+) days", text).group(1)) == project.data_spec["lags"]
    assert _number(re.search(r"only ([\d,]+) days", text).group(1)) == dataset.n_train
    assert _number(re.search(r"the ([\d,]+) days after them are for validation", text).group(1)) == dataset.n_val
    first = dataset.time_values[dataset.index_train[0]]
    last = dataset.time_values[dataset.index_train[-1]]
    assert str(first).startswith("2012/01") and str(last).startswith("2012/08")
    assert "(January to August 2012)" in text
    assert str(dataset.time_values[dataset.index_val[0]]) > str(last)      # validation comes after

    # the curves
    start, below = (float(x) for x in re.search(r"from about ([\d.]+) to below ([\d.]+)", text).groups())
    assert train[0] == pytest.approx(start, abs=0.1) and train[-1] < below
    m = re.search(r"lowest around epoch (\d+) \(about ([\d.]+)\) and then climbs to about ([\d.]+) "
                  r"by epoch (\d+), more than twice as high", text)
    assert m, text
    epoch, lowest, end, last_epoch = int(m[1]), float(m[2]), float(m[3]), int(m[4])
    assert abs((best + 1) - epoch) <= 8                 # the valley is flat; other BLAS builds may differ
    assert val[best] == pytest.approx(lowest, abs=0.01)
    assert val[-1] == pytest.approx(end, abs=0.04)
    assert last_epoch == project.train_config.epochs == len(val)
    assert val[-1] > 2 * val[best]
    rmse_lo, rmse_hi = (float(x) for x in re.search(r"grows from ([\d.]+) °C to ([\d.]+) °C", text).groups())
    assert trainer.epochs[best]["val_rmse"] == pytest.approx(rmse_lo, abs=0.1)
    assert trainer.epochs[-1]["val_rmse"] == pytest.approx(rmse_hi, abs=0.2)
    assert "Early stopping" in text and "off here" in text
    assert project.train_config.early_stopping == 0


# -- example 6: the same network with L2 no longer overfits ---------------------------------
CURED = "6_deep_with_l2.ncproj"       # "The deeper net, cured with L2"


@pytest.mark.slow
def test_l2_example_validation_loss_no_longer_climbs_and_its_description_is_true(deep_run):
    project, dataset = _example(CURED)
    deep = deep_run[0]
    text = EXAMPLES[example_index(CURED)].description
    assert project.notes == text
    # the same network, data and settings as example 4 but for the penalty
    assert project.graph.to_dict() == deep.graph.to_dict() and project.data_spec == deep.data_spec
    assert dataclasses.replace(project.train_config, l2=0.0) == deep.train_config
    assert f"λ₂ = {project.train_config.l2:g}" in text
    trainer = Trainer(project.graph, dataset, project.train_config)
    trainer.run()
    val, train = _curves(trainer)
    best = int(val.argmin())
    assert val[-1] <= 1.1 * val[best] and best > len(val) / 5       # no climb after an early minimum
    m = re.search(r"falls to about ([\d.]+) and no longer climbs \(about ([\d.]+) at epoch (\d+), against "
                  r"about ([\d.]+) without the penalty\)", text)
    assert m, text
    assert val[best] == pytest.approx(float(m[1]), abs=0.015)
    assert val[-1] == pytest.approx(float(m[2]), abs=0.015) and int(m[3]) == len(val)
    assert deep_run[2].epochs[-1]["val_loss"] == pytest.approx(float(m[4]), abs=0.04)
    near = re.search(r"training loss stays near it, about ([\d.]+), instead of falling below ([\d.]+)", text)
    assert train[-1] == pytest.approx(float(near[1]), abs=0.02)
    assert deep_run[2].epochs[-1]["train_loss"] < float(near[2])
    assert trainer.epochs[-1]["penalty"] == pytest.approx(float(re.search(r"ends at about ([\d.]+);", text)[1]),
                                                          abs=0.02)
    rmse, without = (float(x) for x in re.search(r"ends at about ([\d.]+) °C instead of ([\d.]+) °C", text).groups())
    assert trainer.epochs[-1]["val_rmse"] == pytest.approx(rmse, abs=0.1)
    assert deep_run[2].epochs[-1]["val_rmse"] == pytest.approx(without, abs=0.2)
    assert f"its {dataset.n_train} training days" in text


# -- the other examples say what they are ------------------------------------------------


def _hidden(graph):
    dense = [n for n in graph.nodes.values() if n.kind == "dense"]
    acts = [n.kind for n in graph.nodes.values() if n.kind not in ("input", "output", "dense")]
    return [(n.params["units"], a) for n, a in zip(dense[:-1], acts)]


def test_examples_descriptions_match_their_settings():
    files = ("1_linear_7_days.ncproj", "2_sigmoid_hidden_layer.ncproj", "3_relu_hidden_layer.ncproj",
             "4_deep_overfits.ncproj", "5_iris_classifier.ncproj")
    lin, sig, relu, deep, iris = (load_project(example_path(f)) for f in files)
    text = {f: EXAMPLES[example_index(f)].description for f in files}
    # 1: the linear model on 7 days, eight parameters, plain gradient descent
    assert "previous 7 days" in text["1_linear_7_days.ncproj"] and lin.data_spec["lags"] == 7
    assert _hidden(lin.graph) == [] and _n_params(lin.graph) == 8
    assert "Eight parameters" in text["1_linear_7_days.ncproj"] and lin.train_config.optimizer == "sgd"
    # 2 and 3: 16 sigmoids, then the same network with ReLUs
    assert "16 sigmoid curves" in text["2_sigmoid_hidden_layer.ncproj"] and _hidden(sig.graph) == [(16, "sigmoid")]
    assert "same network with ReLU" in text["3_relu_hidden_layer.ncproj"] and _hidden(relu.graph) == [(16, "relu")]
    assert relu.data_spec == sig.data_spec and relu.train_config == sig.train_config
    # 4: three layers of 128 ReLUs, no early stopping
    assert _hidden(deep.graph) == [(128, "relu")] * 3 and deep.train_config.early_stopping == 0
    # 5: four measurements, 8 tanh units, softmax over 3 classes with cross-entropy
    assert "four flower measurements" in text["5_iris_classifier.ncproj"]
    assert iris.graph.nodes["input"].params["features"] == 4
    assert _hidden(iris.graph) == [(8, "tanh")] and iris.train_config.loss == "ce"
    assert "3 classes" in text["5_iris_classifier.ncproj"]


def test_example_files_and_index_are_up_to_date():
    """The .ncproj files and index.json are what make_examples.py writes from gui/window/examples.py."""
    with open(f"{EXAMPLES_DIR}/index.json", encoding="utf-8") as f:
        index = json.load(f)
    assert index == [{"file": e.file, "name": e.name, "description": e.description} for e in EXAMPLES]
    for i, ex in enumerate(EXAMPLES):
        saved, built = load_project(example_path(i)), build_example(i)
        assert saved.name == ex.name and saved.notes == ex.description
        assert saved.data_spec == built.data_spec, ex.file
        assert saved.train_config == built.train_config, ex.file
        assert saved.graph.to_dict() == built.graph.to_dict(), ex.file
        assert not saved.weights and not saved.history, f"{ex.file} ships untrained"
