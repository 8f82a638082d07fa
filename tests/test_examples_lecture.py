"""The lecture's one-input examples teach what their descriptions say.

Each is trained headless exactly as the window trains it (project file → dataset → Trainer with
the saved settings and seed), and every number in its description is compared with the run and
with references computed here independently: the best line by least absolute deviations (an exact
linear program), the least-squares line, the units read from the trained weights.
"""
import dataclasses
import datetime as dt
import json
import re

import numpy as np
import pytest

from engine.data import load_dataset
from engine.landscape import visible_half_widths
from engine.project import load_project
from engine.train_loop import compute_surface
from engine.trainer import Trainer
from gui.window.examples import EXAMPLES, EXAMPLES_DIR, example_index, example_path

scipy_optimize = pytest.importorskip("scipy.optimize")

FIRST = "linear_today.ncproj"
SIGMOIDS = "sum_of_sigmoids.ncproj"
RELUS = "hard_sigmoid_two_relus.ncproj"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def _trained(file, **changes):
    project = load_project(example_path(file))
    dataset = load_dataset(project.data_path, project.data_spec)
    trainer = Trainer(project.graph, dataset, dataclasses.replace(project.train_config, **changes))
    trainer.run()
    return project, dataset, trainer


def _text(file):
    return EXAMPLES[example_index(file)].description


def _num(pattern, text, group=1):
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in the description"
    return float(m.group(group))


def _lad(x, y):
    """The least-absolute-deviations line (b, w, mean |error|) as a linear program:
    minimise Σ(uₙ + vₙ) subject to b + w·xₙ + uₙ − vₙ = yₙ, u, v ≥ 0 (an exact vertex solution)."""
    n = len(x)
    eye = np.eye(n)
    A = np.hstack([np.ones((n, 1)), x[:, None], eye, -eye])
    res = scipy_optimize.linprog(np.r_[0.0, 0.0, np.ones(2 * n)], A_eq=A, b_eq=y,
                                 bounds=[(None, None)] * 2 + [(0, None)] * (2 * n), method="highs")
    assert res.status == 0
    b, w = res.x[:2]
    return b, w, float(np.mean(np.abs(y - b - w * x)))


def _ls_line_val_mae(dataset):
    x, y = dataset.X_raw("train")[:, 0], dataset.y_raw("train")[:, 0]
    coef = np.linalg.lstsq(np.c_[np.ones_like(x), x], y, rcond=None)[0]
    xv, yv = dataset.X_raw("val")[:, 0], dataset.y_raw("val")[:, 0]
    return float(np.mean(np.abs(yv - coef[0] - coef[1] * xv)))


def _units(dataset, trainer):
    """Each hidden unit as (where its step or kink sits in raw x, its slope wᵢ per raw x unit,
    its cᵢ in the target's units), and the output's constant in the target's units."""
    P = trainer.model.params
    w, b = np.asarray(P["dense1.W"], np.float64)[0], np.asarray(P["dense1.b"], np.float64)
    c, b_out = np.asarray(P["dense2.W"], np.float64)[:, 0], float(P["dense2.b"][0])
    xm, xs = float(dataset.x_mean[0]), float(dataset.x_std[0])
    ym, ys = float(dataset.y_mean[0]), float(dataset.y_std[0])
    # b + w·(x − xm)/xs = 0  ⇔  x = xm − b·xs/w
    return xm - b * xs / w, w / xs, c * ys, b_out * ys + ym


@pytest.fixture(scope="module")
def first_run():
    return _trained(FIRST)


# -- the first example ----------------------------------------------------------------------


def test_first_example_is_the_one_input_linear_model_with_mae_and_plain_gradient_descent():
    with open(f"{EXAMPLES_DIR}/index.json", encoding="utf-8") as f:
        assert json.load(f)[0]["file"] == FIRST
    project = load_project(example_path(FIRST))
    g = project.graph
    kinds = sorted(n.kind for n in g.nodes.values())
    assert kinds == ["dense", "input", "output"]
    assert g.nodes["input"].params["features"] == 1
    assert [n.params["units"] for n in g.nodes.values() if n.kind == "dense"] == [1]
    cfg = project.train_config
    assert cfg.loss == "mae" and cfg.optimizer == "sgd"
    assert cfg.track == ["dense1.b[0]", "dense1.W[0,0]"]
    assert project.data_spec["lags"] == 1 and project.data_spec["series"] == "temp_max"
    assert project.data_spec["normalize"] == "none"          # raw °C, as the description says
    text = _text(FIRST)
    assert "y = b + w·x₁" in text and "MAE loss" in text and "plain gradient descent" in text
    assert "Two parameters" in text


def test_first_example_reaches_the_best_line_within_one_percent_as_described(first_run):
    project, dataset, trainer = first_run
    text = _text(FIRST)
    x, y = dataset.X_train[:, 0].astype(np.float64), dataset.y_train[:, 0].astype(np.float64)
    b_best, w_best, mae_best = _lad(x, y)
    mae = np.array([e["train_mae"] for e in trainer.epochs])
    assert trainer.stop_reason == "epochs" and len(mae) == project.train_config.epochs
    # within 1 % of the exact optimum inside the example's epochs, and first at the stated epoch
    assert mae[-1] <= 1.01 * mae_best
    first_within = int(np.argmax(mae <= 1.01 * mae_best)) + 1
    assert _num(r"after (\d+) epochs the MAE is within 1 %", text) == first_within
    assert _num(r"best any line can do, ([\d.]+) °C", text) == pytest.approx(mae_best, abs=0.005)
    assert _num(r"\(b = ([\d.]+), w = [\d.]+, the least absolute", text) == pytest.approx(b_best, abs=0.005)
    assert _num(r"\(b = [\d.]+, w = ([\d.]+), the least absolute", text) == pytest.approx(w_best, abs=0.005)
    # where the run ends
    assert _num(r"after (\d+) epochs b ≈", text) == project.train_config.epochs
    b_end = float(trainer.model.params["dense1.b"][0])
    w_end = float(trainer.model.params["dense1.W"][0, 0])
    assert _num(r"b ≈ ([\d.]+) and w ≈", text) == pytest.approx(b_end, abs=0.005)
    assert _num(r"and w ≈ ([\d.]+) \(the lecture", text) == pytest.approx(w_end, abs=0.005)
    assert _num(r"and the MAE is ([\d.]+) °C", text) == pytest.approx(mae[-1], abs=0.005)
    assert f"tomorrow ≈ {w_end:.2f} × today + {b_end:.2f} °C" in text
    # "b is still far from 0.89": less than a fifth of the way there
    assert b_end < 0.2 * b_best and "still far from 0.89" in text


def test_first_example_valley_is_long_along_b_in_raw_units_and_round_when_standardized(first_run):
    project, dataset, trainer = first_run
    names = tuple(project.train_config.track)
    raw = visible_half_widths(trainer.model, trainer.loss, trainer.X, trainer.y, names, rise=0.5)
    ratio = raw[0] / raw[1]
    stated = _num(r"about (\d+) times longer along b than along w", _text(FIRST))
    assert abs(ratio - stated) <= 1.5, ratio
    std = load_dataset(project.data_path, {**project.data_spec, "normalize": "standard"})
    tr = Trainer(project.graph, std, dataclasses.replace(project.train_config, lr=0.01))
    tr.run()
    round_ = visible_half_widths(tr.model, tr.loss, tr.X, tr.y, names, rise=0.5)
    assert 0.67 < round_[0] / round_[1] < 1.5, round_


def test_first_example_error_surface_holds_the_minimum_and_the_whole_path(first_run):
    """The window's surface (the same function the worker calls) after one update, one epoch and
    the whole run: the exact best (b, w) and every step of the path lie inside, the grid's lowest
    point is not on its edge."""
    project, dataset, _ = first_run
    names = tuple(project.train_config.track)
    x, y = dataset.X_train[:, 0].astype(np.float64), dataset.y_train[:, 0].astype(np.float64)
    b_best, w_best, _ = _lad(x, y)
    trainer = Trainer(project.graph, dataset, project.train_config)
    for stop in (1, trainer.updates_per_epoch, None):
        trainer.run(max_updates=None if stop is None else stop - trainer.updates)
        path = trainer.trajectory.view()
        surface = compute_surface(trainer.model, trainer.loss, trainer.X, trainer.y, names, path)
        assert surface.names == names
        a, b = surface.a, surface.b
        da, db = a[1] - a[0], b[1] - b[0]
        assert a[0] + da < b_best < a[-1] - da and b[0] + db < w_best < b[-1] - db, (stop, a[[0, -1]], b[[0, -1]])
        assert (a[0] <= path[:, 0]).all() and (path[:, 0] <= a[-1]).all()
        assert (b[0] <= path[:, 1]).all() and (path[:, 1] <= b[-1]).all()
        j, i = np.unravel_index(np.argmin(surface.loss), surface.loss.shape)
        assert 0 < i < len(a) - 1 and 0 < j < len(b) - 1, (stop, i, j)
        # the grid's lowest point is the exact best up to the grid's spacing
        assert abs(a[i] - b_best) <= 2 * da + 0.05 and abs(b[j] - w_best) <= 2 * db


# -- a curve as a sum of sigmoids ------------------------------------------------------------


def test_sum_of_sigmoids_example_steps_and_errors_are_as_described():
    project, dataset, trainer = _trained(SIGMOIDS)
    text = _text(SIGMOIDS)
    g = project.graph
    assert g.nodes["input"].params["features"] == 1 and dataset.feature_names == ["day_of_year"]
    assert [n.kind for n in g.nodes.values() if n.kind not in ("input", "output", "dense")] == ["sigmoid"]
    assert "three sigmoids" in text and [n.params["units"] for n in g.nodes.values() if n.kind == "dense"] == [3, 1]
    # not a line: the least-squares line's validation error, as stated, and far above the network's
    line = _ls_line_val_mae(dataset)
    assert _num(r"best straight line misses by ([\d.]+) °C", text) == pytest.approx(line, abs=0.05)
    net = trainer.epochs[-1]["val_mae"]
    assert _num(r"Together they miss by ([\d.]+) °C", text) == pytest.approx(net, abs=0.05)
    assert net < 0.6 * line
    # each stated step: its direction, height, day and date
    centre, slope, c, _ = _units(dataset, trainer)
    steps = re.findall(r"one (up|down) by about (\d+) °C around day (\d+) \((\d+) (\w+)\)", text)
    assert len(steps) == 3
    unused = set(range(3))
    for direction, height, day, dom, month in steps:
        k = min(unused, key=lambda i: abs(centre[i] - float(day)))
        unused.discard(k)
        assert abs(centre[k] - float(day)) <= 3, (day, centre)
        assert abs(abs(c[k]) - float(height)) <= 1.0, (height, c)
        assert ("up" if c[k] * slope[k] > 0 else "down") == direction
        assert dt.date(2013, 1, 1) + dt.timedelta(days=int(day) - 1) == dt.date(2013, MONTHS.index(month) + 1, int(dom))


# -- a hard sigmoid is two ReLUs -------------------------------------------------------------


def test_hard_sigmoid_example_two_ramps_add_up_as_described():
    project, dataset, trainer = _trained(RELUS)
    text = _text(RELUS)
    g = project.graph
    assert [n.kind for n in g.nodes.values() if n.kind not in ("input", "output", "dense")] == ["relu"]
    assert [n.params["units"] for n in g.nodes.values() if n.kind == "dense"] == [2, 1]
    assert dataset.n_train + dataset.n_val == _num(r"\((\d+) weeks\)", text)
    kink, w, c, b_out = _units(dataset, trainer)
    assert (w > 0).all(), "both ramps rise to the right: each is zero left of its kink"
    order = np.argsort(kink)
    (k1, k2), ramp = kink[order], (c * w)[order]         # each unit's slope in °C per week once it is on
    x = np.concatenate([dataset.X_raw("train")[:, 0], dataset.X_raw("val")[:, 0]])
    assert x.min() < k1 < k2 < x.max()
    m = re.search(r"starts rising at week (\d+) \(about (\d+) (\w+)\) by about ([\d.]+) °C a week, the other "
                  r"starts at week (\d+) \(about (\d+) (\w+)\) with about the same slope down", text)
    assert m, text
    for kink_x, week, dom, month in ((k1, m[1], m[2], m[3]), (k2, m[5], m[6], m[7])):
        assert abs(kink_x - int(week)) <= 0.6
        when = dt.date(2012, 12, 1) + dt.timedelta(days=7 * float(kink_x))
        assert abs((when - dt.date(2013, MONTHS.index(month) + 1, int(dom))).days) <= 1
    assert ramp[0] > 0 and ramp[0] == pytest.approx(float(m[4]), abs=0.05)
    assert ramp[1] < 0 and 0.8 < -ramp[1] / ramp[0] < 1.25          # "about the same slope down"
    # the sum: level (b) before the first kink, a straight climb between, level again after
    assert _num(r"about ([\d.]+) °C until February", text) == pytest.approx(b_out, abs=0.05)
    top = b_out + ramp[0] * (k2 - k1)
    assert _num(r"a straight climb to about (\d+) °C in July", text) == pytest.approx(top, abs=0.5)
    assert abs(ramp.sum()) < 0.1 * ramp[0], "after the second kink the slopes cancel: level"
    net, line = trainer.epochs[-1]["val_mae"], _ls_line_val_mae(dataset)
    assert _num(r"misses by ([\d.]+) °C on average on the validation weeks", text) == pytest.approx(net, abs=0.05)
    assert _num(r"the best straight line by ([\d.]+) °C", text) == pytest.approx(line, abs=0.05)
    assert net < line
