"""The built-in example projects (Help → Examples), defined once as data.

``resources/examples/make_examples.py`` writes them as project files;
``build_example(i)`` builds the same project in memory (used when the file
is missing). No Qt here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from engine.graph import sequential
from engine.project import Project
from engine.trainer import TrainConfig

from engine.layout import auto_layout

__all__ = ["Example", "EXAMPLES", "EXAMPLES_DIR", "DATASETS_DIR", "example_path", "example_index", "build_example"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES_DIR = os.path.join(ROOT, "resources", "examples")
DATASETS_DIR = os.path.join(ROOT, "resources", "datasets")


def _series_spec(lags: int = 7, val_fraction: float = 0.2, normalize: str = "standard") -> dict:
    return {"target": "temp_max", "features": None, "series": "temp_max", "lags": lags,
            "time_column": "date", "task": "regression", "split": "chronological",
            "val_fraction": val_fraction, "seed": 0, "normalize": normalize}


def _curve_spec(feature: str, time_column: str) -> dict:
    """One input column against temp_max, validation rows drawn at random from every season."""
    return {"target": "temp_max", "features": [feature], "series": None, "lags": 7,
            "time_column": time_column, "task": "regression", "split": "random",
            "val_fraction": 0.2, "seed": 0, "normalize": "standard"}


@dataclass(frozen=True)
class Example:
    file: str
    name: str
    description: str
    features: int
    hidden: list
    csv: str
    data_spec: dict
    config: dict = field(default_factory=dict)
    task: str = "regression"
    outputs: int = 1


# Every number in these texts is what a headless run shows (tests/test_examples_lecture.py).
LINEAR_TODAY_TEXT = (
    "The lecture's first model, y = b + w·x₁: tomorrow's maximum temperature in Seattle (2012–2015) "
    "from today's alone. Two parameters, MAE loss, plain gradient descent. Press Train: after 2 epochs "
    "the MAE is within 1 % of the best any line can do, 2.18 °C (b = 0.89, w = 0.95, the least absolute "
    "deviations line); after 50 epochs b ≈ 0.09 and w ≈ 0.99 (the lecture found b = 0.1k, w = 0.97) and "
    "the MAE is 2.20 °C. The temperatures stay in °C, not standardized, on purpose: b and w keep their "
    "meaning (tomorrow ≈ 0.99 × today + 0.09 °C), and the error surface shows what raw units do: its "
    "valley is about 15 times longer along b than along w (standardized, it would be round), so "
    "gradient descent drops quickly to the valley floor and then creeps along it; the loss is nearly "
    "the best while b is still far from 0.89. The fit plot shows the line through the scatter of "
    "(today, tomorrow); the buttons in its header switch to ŷ against time.")
SUM_OF_SIGMOIDS_TEXT = (
    "Seattle's maximum temperature against the day of the year (2012–2015, one dot a day): a curve "
    "no line can follow (the best straight line misses by 6.0 °C on average on the validation days). "
    "y = b + Σᵢ cᵢ·sigmoid(bᵢ + wᵢ·x) with three sigmoids: each is a smooth step; wᵢ sets its "
    "steepness and direction, bᵢ where it sits, cᵢ its height. Press Train and watch the units plot, "
    "which draws each cᵢ·sigmoid(bᵢ + wᵢ·x) over the day of the year and their sum: the steps settle "
    "as one up by about 16 °C around day 104 (14 April), one up by about 5 °C around day 175 (24 June) "
    "and one down by about 22 °C around day 283 (10 October). Together they miss by 2.9 °C on average "
    "on the validation days.")
HARD_SIGMOID_TEXT = (
    "A ReLU is a ramp, max(0, bᵢ + wᵢ·x); two make a hard sigmoid: one ramp starts climbing, and "
    "where the other starts, its slope cancels the first one's. The data: Seattle's maximum "
    "temperature week by week from 1 December (week 0) to mid-September, 2012–2015, each dot the "
    "mean of a week's seven days (163 weeks): flat in winter, a climb in spring, level in summer. "
    "Press Train and watch the units plot: one ReLU starts rising at week 10 (about 9 February) by "
    "about 0.8 °C a week, the other starts at week 32 (about 11 July) with about the same slope "
    "down. Their sum is the hard sigmoid: about 8.6 °C until February, a straight climb to about "
    "26 °C in July, then level. It misses by 2.0 °C on average on the validation weeks, the best "
    "straight line by 2.4 °C.")

# example 4's network and data (example 6 is the same with an L2 penalty)
_DEEP = (4, [(128, "relu"), (128, "relu"), (128, "relu")], "seattle_weather.csv", _series_spec(4, val_fraction=0.85))
_DEEP_CONFIG = {"loss": "mse", "optimizer": "adam", "lr": 0.0003, "batch_size": 32, "epochs": 900,
                "early_stopping": 0}

EXAMPLES: list[Example] = [
    Example(
        "linear_today.ncproj", "The first model: tomorrow from today",
        LINEAR_TODAY_TEXT,
        1, [], "seattle_weather.csv", _series_spec(1, normalize="none"),
        {"loss": "mae", "optimizer": "sgd", "lr": 0.001, "batch_size": 32, "epochs": 50,
         "track": ["dense1.b[0]", "dense1.W[0,0]"]}),
    Example(
        "1_linear_7_days.ncproj", "Linear model: tomorrow from the previous 7 days",
        "The lecture's next model, y = b + Σ wⱼ·xⱼ: tomorrow's maximum temperature in Seattle "
        "(2012–2015) from the previous 7 days. Eight parameters, plain gradient descent. "
        "Press Train and watch the loss fall; pick two parameters to see the error surface.",
        7, [], "seattle_weather.csv", _series_spec(7),
        {"loss": "mse", "optimizer": "sgd", "lr": 0.05, "batch_size": 32, "epochs": 60,
         "track": ["dense1.b[0]", "dense1.W[6,0]"]}),
    Example(
        "2_sigmoid_hidden_layer.ncproj", "One hidden layer of sigmoids",
        "y = b + Σᵢ cᵢ·sigmoid(bᵢ + Σⱼ wᵢⱼ·xⱼ): a constant plus a sum of 16 sigmoid curves, "
        "each one a hidden unit. Watch each unit's contribution in the units plot.",
        7, [(16, "sigmoid")], "seattle_weather.csv", _series_spec(7),
        {"loss": "mse", "optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 80}),
    Example(
        "3_relu_hidden_layer.ncproj", "The ReLU version",
        "The same network with ReLU units, a = max(0, r): two ReLUs make one hard sigmoid, so "
        "a sum of ReLUs is a piecewise-linear curve.",
        7, [(16, "relu")], "seattle_weather.csv", _series_spec(7),
        {"loss": "mse", "optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 80}),
    Example(
        "sum_of_sigmoids.ncproj", "A curve as a sum of sigmoids",
        SUM_OF_SIGMOIDS_TEXT,
        1, [(3, "sigmoid")], "seattle_day_of_year.csv", _curve_spec("day_of_year", "date"),
        {"loss": "mse", "optimizer": "adam", "lr": 0.05, "batch_size": 32, "epochs": 100, "seed": 2}),
    Example(
        "hard_sigmoid_two_relus.ncproj", "A hard sigmoid is two ReLUs",
        HARD_SIGMOID_TEXT,
        1, [(2, "relu")], "seattle_winter_to_summer.csv", _curve_spec("week", "week_start"),
        {"loss": "mse", "optimizer": "adam", "lr": 0.05, "batch_size": 8, "epochs": 150, "seed": 1}),
    Example(
        "4_deep_overfits.ncproj", "A deeper net that overfits",
        "Three hidden layers of 128 ReLUs (33,793 parameters) predict tomorrow's maximum "
        "temperature from the previous 4 days, but learn from only 218 days (January to August "
        "2012); the 1,239 days after them are for validation. Press Train and watch the loss "
        "plot: the training loss keeps falling, from about 0.5 to below 0.03, while the "
        "validation loss is lowest around epoch 13 (about 0.18) and then climbs to about 0.40 "
        "by epoch 900, more than twice as high; the typical miss on unseen days (RMSE) grows "
        "from 2.9 °C to 4.3 °C. The network memorizes its few training days instead of "
        "learning the rule: overfitting. Early stopping (a patience, e.g. 20 epochs, in the "
        "Training panel) would stop soon after the minimum and keep the best weights; it is "
        "off here so that you can watch the rise.",
        *_DEEP, _DEEP_CONFIG),
    Example(
        "5_iris_classifier.ncproj", "Iris classifier",
        "Three species of iris from four flower measurements: a hidden layer of 8 tanh units and "
        "a softmax over 3 classes, trained with cross-entropy. Accuracy is the score to watch.",
        4, [(8, "tanh")], "iris.csv",
        {"target": "species", "features": None, "series": None, "lags": 7, "time_column": None,
         "task": "classification", "split": "random", "val_fraction": 0.3, "seed": 0,
         "normalize": "standard"},
        {"loss": "ce", "optimizer": "adam", "lr": 0.02, "batch_size": 16, "epochs": 100},
        task="multiclass", outputs=3),
    Example(
        "6_deep_with_l2.ncproj", "The deeper net, cured with L2",
        "Example 4's network, data and settings with one change: an L2 penalty λ₂ = 0.01 "
        "(Training panel → Regularization & schedule) adds λ₂·Σw² over the weights to the loss, so "
        "a weight must earn its size. Press Train: the validation loss falls to about 0.17 and "
        "no longer climbs (about 0.17 at epoch 900, against about 0.40 without the penalty); the "
        "training loss stays near it, about 0.17, instead of falling below 0.03 — the network "
        "cannot memorize its 218 training days; the penalty, drawn apart from the data loss, "
        "ends at about 0.13; the typical miss on unseen days (RMSE) ends at about 2.8 °C instead "
        "of 4.3 °C.",
        *_DEEP, {**_DEEP_CONFIG, "l2": 0.01}),
    Example(
        "local_minima.ncproj", "Local minima: try several starts",
        "Miles per gallon from the number of cylinders alone (the auto MPG data: 3 to 8 cylinders), "
        "y = b + Σᵢ cᵢ·sigmoid(bᵢ + wᵢ·x) with 3 sigmoid units, MSE, Adam. The input is left in raw "
        "units on purpose (not standardized). Press Train: this start fits, training MSE about 21.9 "
        "(mpg²), a little better than the best straight line (22.8). Then Train → Try several starts… "
        "with 8 starts: half of them end there (validation MSE about 27.5), the other half stop at "
        "about 57.9, the variance of mpg itself (validation about 72.9): they predict the average car "
        "for every car. Their sigmoids began on a flat part (b + w·x is far from 0 when x is 3 to 8), "
        "where the gradient is about 0, so gradient descent never leaves: where it ends depends on "
        "where it starts. Double-click a start in the list to load its weights; Edit → Undo goes back.",
        1, [(3, "sigmoid")], "auto_mpg.csv",
        {"target": "Miles_per_Gallon", "features": ["Cylinders"], "series": None, "lags": 7,
         "time_column": None, "task": "regression", "split": "random", "val_fraction": 0.2, "seed": 0,
         "normalize": "none"},
        {"loss": "mse", "optimizer": "adam", "lr": 0.05, "batch_size": 16, "epochs": 100}),
]


def example_index(which: int | str) -> int:
    """An example's place in the menu, from its place or its file name ("2_sigmoid_hidden_layer.ncproj")."""
    if isinstance(which, str):
        for i, ex in enumerate(EXAMPLES):
            if ex.file == which:
                return i
        raise KeyError(f"no example file {which!r}")
    return which


def example_path(index: int | str) -> str:
    return os.path.join(EXAMPLES_DIR, EXAMPLES[example_index(index)].file)


def build_example(index: int | str) -> Project:
    """The example as a Project in memory (data_path absolute)."""
    ex = EXAMPLES[example_index(index)]
    graph = sequential(ex.features, list(ex.hidden), task=ex.task, outputs=ex.outputs)
    positions = auto_layout(graph)
    config = TrainConfig.from_dict(ex.config)
    return Project(graph=graph, positions=positions, data_path=os.path.join(DATASETS_DIR, ex.csv),
                   data_spec=dict(ex.data_spec), train_config=config, name=ex.name,
                   notes=ex.description)
