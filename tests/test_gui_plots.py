"""The four training plots on their own: fed from a model through the worker's pure
functions (engine.views), without a training worker."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from engine.data import DataSpec, build_dataset, read_csv
from engine.graph import sequential
from engine.landscape import default_pair
from engine.model import Model
from engine.trainer import ArrayData, TrainConfig, Trainer
import gui.common.plot_style as style
from gui.plots.fit_plot import FitPlot
from gui.plots.loss_plot import LossPlot
from gui.plots.surface_plot import SurfacePlot
from gui.plots.units_plot import UnitsPlot
from engine.views import compute_views, make_context, peak_decimate
from engine.train_loop import compute_surface
from tests.conftest import DATASETS


@pytest.fixture(scope="module")
def table():
    return read_csv(DATASETS / "seattle_weather.csv")


def shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(600, 360)
    widget.show()
    return widget


def test_loss_plot_grows_to_a_million_updates(qtbot):
    p = shown(qtbot, LossPlot())
    assert p.objectName() == "lossPlot" and p.log_box.isChecked()
    rng = np.random.default_rng(0)
    total = 0
    for k in range(10):
        chunk = rng.random(100_000) + 0.01
        epochs = [{"epoch": k + 1, "updates": total + 100_000, "train_loss": 0.5, "val_loss": 0.6}]
        p.append(total, chunk, epochs)
        total += 100_000
    assert p.update_count() == 1_000_000 and p.epoch_count() == 10
    x, y = p.update_curve.getData()
    assert len(x) <= 2 * 2500 + 10              # decimated for drawing
    assert np.isclose(10 ** y.max(), 1.01, atol=0.02)      # spikes kept (log axis)
    # a resend that overlaps (after a restart) replaces the tail
    p.append(999_990, np.full(5, 0.5), [])
    assert p.update_count() == 999_995
    p.log_box.setChecked(False)
    assert not p.plot.getPlotItem().ctrl.logYCheck.isChecked()
    p.clear()
    assert p.update_count() == 0 and p.epoch_count() == 0


def test_peak_decimate_keeps_extremes():
    x = np.arange(100_000, dtype=float)
    y = np.zeros(100_000)
    y[12345] = 9.0
    y[54321] = -4.0
    xs, ys = peak_decimate(x, y, 1000)
    assert len(xs) <= 2000 + 100 and ys.max() == 9.0 and ys.min() == -4.0
    assert np.all(np.diff(xs) >= 0)


def _trained(graph, ds, epochs=2, **cfg):
    tr = Trainer(graph, ds, TrainConfig(epochs=epochs, lr=0.05, batch_size=16, **cfg))
    tr.run()
    return tr


def test_fit_plot_modes(qtbot, table):
    series = build_dataset(table, DataSpec(target="temp_max", series="temp_max", lags=3, split="chronological",
                                           time_column="date"))
    xy = build_dataset(table, DataSpec(target="temp_max", features=["temp_min"]))
    multi = build_dataset(table, DataSpec(target="temp_max", features=["temp_min", "wind"]))
    for ds, mode, F in ((series, "series", 3), (xy, "xy", 1), (multi, "parity", 2)):
        tr = _trained(sequential(F, [(4, "tanh")]), ds)
        ctx = make_context(ds, tr.model.dtype)
        assert ctx.mode == mode
        p = shown(qtbot, FitPlot())
        p.set_context(ctx)
        p.show_view(compute_views(tr.model, ctx)["fit"])
        if mode == "parity":
            x, y = p.train_items.getData()
            assert len(x) == len(ds.X_train)
        else:
            x, y = p.pred_curve.xData, p.pred_curve.yData
            assert len(x) == len(ctx.x_eval) and np.all(np.isfinite(y))
        if mode == "series":
            assert ctx.x_is_date and ctx.boundary is not None
            assert ctx.boundary == pytest.approx(ctx.x_val.min())


def test_fit_plot_prediction_is_in_target_units(qtbot, table):
    ds = build_dataset(table, DataSpec(target="temp_max", features=["temp_min"]))
    tr = _trained(sequential(1, [(4, "sigmoid")]), ds)
    ctx = make_context(ds, tr.model.dtype)
    view = compute_views(tr.model, ctx)["fit"]
    X = ds.transform_X(view["x"][:, None])
    assert np.allclose(view["pred"], ds.inverse_y(tr.model.predict(X))[:, 0], rtol=1e-4, atol=1e-4)


def _y_span(widget):
    return widget.getPlotItem().vb.viewRange()[1]


def test_units_sum_is_the_fit_and_hover_names_the_unit(qtbot, table):
    ds = build_dataset(table, DataSpec(target="temp_max", features=["temp_min"]))
    tr = _trained(sequential(1, [(5, "sigmoid")]), ds)
    ctx = make_context(ds, tr.model.dtype)
    views = compute_views(tr.model, ctx)
    u = views["units"]
    assert u["contrib"].shape == (5, len(ctx.x_eval))
    assert np.allclose(u["contrib"].sum(axis=0) + u["const"], views["fit"]["pred"], rtol=1e-4, atol=1e-4)
    hits = []
    p = shown(qtbot, UnitsPlot(highlight=hits.append))
    p.set_context(ctx)
    p.show_view(u)
    # what is drawn adds up: the curves below plus the dashed constant above are the black fit above
    drawn = np.array([c.getData()[1] for c in p.unit_curves])
    assert np.allclose(drawn, u["contrib"])
    sx, sy = p.sum_curve.getData()
    assert np.allclose(sx, views["fit"]["x"])
    assert np.allclose(drawn.sum(axis=0) + p.const_line.value(), sy, atol=1e-6)
    assert np.allclose(sy, views["fit"]["pred"], rtol=1e-4, atol=1e-4)
    # the curves sit in their own pane (around zero), the fit and b in the pane above, x shared
    assert all(c.getViewBox() is p.plot.getPlotItem().vb for c in p.unit_curves)
    assert p.sum_curve.getViewBox() is p.sum_plot.getPlotItem().vb
    assert p.const_line.getViewBox() is p.sum_plot.getPlotItem().vb
    assert p.sum_plot.getPlotItem().vb.linkedView(0) is p.plot.getPlotItem().vb
    assert p.sum_plot.getPlotItem().vb.viewRange()[0] == pytest.approx(p.plot.getPlotItem().vb.viewRange()[0])
    assert len(p.data_items) == 2                   # training and validation dots above
    lo, hi = _y_span(p.plot)
    clo, chi = min(u["contrib"].min(), 0.0), max(u["contrib"].max(), 0.0)
    assert lo <= clo and chi <= hi and (hi - lo) <= 1.3 * (chi - clo)      # the curves fill their pane
    tlo, thi = _y_span(p.sum_plot)
    assert tlo <= min(sy.min(), u["const"]) and max(sy.max(), u["const"]) <= thi

    vb = p.plot.getPlotItem().vb
    i = len(u["x"]) // 3
    k = int(np.argmax(np.abs(u["contrib"][:, i])))
    assert p.unit_at(u["x"][i], u["contrib"][k, i]) == k
    p._on_mouse_moved((vb.mapViewToScene(QPointF(u["x"][i], u["contrib"][k, i])),))
    assert hits[-1] == ["sigmoid1"] and p.hovered_unit() == k
    assert f"unit {k + 1}" in p.readout.text() and "c =" in p.readout.text()
    # the hovered unit's share: the fit without it, dashed in the pane above
    assert p.without_curve.isVisible()
    _, wy = p.without_curve.getData()
    assert np.allclose(wy, u["sum"] - u["contrib"][k])
    # a new frame while hovering keeps the highlight and its dashed curve up to date
    u2 = dict(u, contrib=u["contrib"] * 0.5, sum=u["contrib"].sum(axis=0) * 0.5 + u["const"])
    p.show_view(u2)
    assert np.allclose(p.without_curve.getData()[1], u2["sum"] - u2["contrib"][k])
    # moving off the curves ends the highlight
    p._on_mouse_moved((vb.mapViewToScene(QPointF(u["x"][i], u2["contrib"][:, i].max() + 50 * vb.viewPixelSize()[1])),))
    assert p.hovered_unit() is None and hits[-1] == [] and not p.without_curve.isVisible()
    # hovering the pane above reads the sum there: b + Σ terms = the fit
    tvb = p.sum_plot.getPlotItem().vb
    p._on_top_mouse_moved((tvb.mapViewToScene(QPointF(u["x"][i], u2["sum"][i])),))
    assert "the fit here" in p.readout.text() and style.fmt(u2["sum"][i]) in p.readout.text()


def test_units_plot_series_linear_model_and_window(qtbot, table):
    """A linear model on a series: the "units" are the lags' terms wⱼ·xⱼ; both panes follow
    the window of time the fit plot picks, and only that part is drawn."""
    ds = build_dataset(table, DataSpec(target="temp_max", series="temp_max", lags=7, split="chronological",
                                       time_column="date"))
    tr = _trained(sequential(7, []), ds)
    ctx = make_context(ds, tr.model.dtype)
    views = compute_views(tr.model, ctx)
    u = views["units"]
    assert u["is_input"] and u["contrib"].shape == (7, len(ctx.x_eval[::ctx.units_stride]))
    p = shown(qtbot, UnitsPlot())
    p.set_context(ctx)
    p.show_view(u)
    assert "7 inputs" in p.legend.text()
    assert np.allclose(p.sum_curve.getData()[1], views["fit"]["pred"][:len(u["x"])], rtol=1e-4, atol=1e-4)
    x = u["x"]
    a, b = float(x[len(x) // 2]), float(x[len(x) // 2 + 60])
    p.plot.getPlotItem().vb.setXRange(a, b, padding=0.0)        # what the fit plot's picker does
    assert p.sum_plot.getPlotItem().vb.viewRange()[0] == pytest.approx([a, b])
    ux, _ = p.unit_curves[0].getData()
    sx, sy = p.sum_curve.getData()
    assert 60 <= len(ux) < len(x) and np.array_equal(ux, sx)
    assert ux[0] <= a and ux[-1] >= b
    drawn = np.array([c.getData()[1] for c in p.unit_curves])
    assert np.allclose(drawn.sum(axis=0) + p.const_line.value(), sy, atol=1e-6)
    # each pane's y range follows what is in view: the terms' span below, the data and fit above
    inside = (x >= a) & (x <= b)
    lo, hi = _y_span(p.plot)
    assert lo <= min(u["contrib"][:, inside].min(), 0) and max(u["contrib"][:, inside].max(), 0) <= hi
    tlo, thi = _y_span(p.sum_plot)
    assert tlo <= u["sum"][inside].min() and u["sum"][inside].max() <= thi
    j = int(np.argmax(inside)) + 30
    k = int(np.argmax(np.abs(u["contrib"][:, j])))
    vb = p.plot.getPlotItem().vb
    p._on_mouse_moved((vb.mapViewToScene(QPointF(x[j], u["contrib"][k, j])),))
    assert p.hovered_unit() == k and u["labels"][k] in p.readout.text()


def test_units_plot_explains_why_it_is_empty(qtbot, table):
    ds = build_dataset(table, DataSpec(target="temp_max", features=["temp_min", "wind"]))
    tr = _trained(sequential(2, [(3, "relu")]), ds, epochs=1)
    ctx = make_context(ds, tr.model.dtype)
    p = shown(qtbot, UnitsPlot())
    p.set_context(ctx)
    p.show_view(compute_views(tr.model, ctx)["units"])
    # one sentence in place of the panes (not a note over empty axes and a full legend)
    assert "one input or a series" in p.note_label.text() and "2 inputs" in p.note_label.text()
    assert p.note_label.isVisible() and not p.plot.isVisible() and not p.readout.isVisible()


def test_surface_plot_shows_grid_and_path(qtbot):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 1))
    y = 2 * X + 0.5
    graph = sequential(1, [])
    model = Model(graph)
    pair = default_pair(model)
    tr = Trainer(graph, ArrayData(X, y), TrainConfig(epochs=3, lr=0.05, batch_size=10, track=list(pair)))
    tr.run()
    surf = compute_surface(tr.model, tr.loss, tr.X, tr.y, pair, tr.trajectory.view())
    p = shown(qtbot, SurfacePlot())
    p.set_parameters(tr.model.scalar_names(), pair)
    assert p.pair() == pair and p.combo_a.names() == tr.model.scalar_names()
    # grouped by layer: a header row, then the layer's parameters
    assert p.combo_a.count() == len(tr.model.scalar_names()) + 1
    assert p.combo_a.itemText(0).startswith("dense1")
    p.append_path(0, tr.trajectory.view(), pair)
    p.show_surface(surf)
    assert p.image.image is not None and p.image.image.ndim == 2
    assert np.allclose(p.path()[-1], [tr.model.get_scalar(pair[0]), tr.model.get_scalar(pair[1])])
    # the grid covers the whole path
    path = p.path()
    assert surf.a[0] <= path[:, 0].min() and path[:, 0].max() <= surf.a[-1]
    # the minimum of y = 2x + 0.5 under MSE is near (b, w) = (0.5, 2)
    j, i = np.unravel_index(np.argmin(surf.loss), surf.loss.shape)
    assert surf.a[i] == pytest.approx(0.5, abs=0.3) and surf.b[j] == pytest.approx(2.0, abs=0.3)
    requested = []
    p.surface_requested.connect(requested.append)
    p.recompute_button.click()
    assert requested == [pair]


def test_trainer_state_round_trip_continues_exactly(table):
    ds = build_dataset(table, DataSpec(target="temp_max", series="temp_max", lags=3, split="chronological"))
    g = sequential(3, [(4, "tanh")])
    cfg = dict(epochs=0, lr=0.01, batch_size=16, optimizer="adam")
    a = Trainer(g, ds, TrainConfig(**cfg))
    a.run(max_updates=30)          # mid-epoch
    b = Trainer(g, ds, TrainConfig(**cfg))
    b.load_state_dict(a.state_dict())
    a.run(max_updates=100)
    b.run(max_updates=100)
    assert np.array_equal(a.model.flat_params, b.model.flat_params)
    assert a.updates == b.updates == 130 and np.array_equal(a.update_loss.view(), b.update_loss.view())


def test_surface_colour_bar_reads_in_loss_values_and_its_label_never_clips(qtbot):
    """The bar was labelled "log₁₀ loss" with ticks −0.8 … −0.2, and a short plot clipped the label
    to "log₁₀ los": now its ticks are losses (0.2, 0.5, 1 …), its label is the loss's name, and
    a label that does not fit along the bar is hidden rather than cut."""
    from types import SimpleNamespace
    from gui.plots.surface_plot import log_ticks
    assert [t for _x, t in log_ticks(np.log10(0.14), np.log10(0.63))] == ["0.2", "0.5"]
    assert [t for _x, t in log_ticks(-1, 1)] == ["0.1", "0.2", "0.5", "1", "2", "5", "10"]
    assert len(log_ticks(np.log10(0.31), np.log10(0.48))) >= 2          # under a factor of 2 as well
    a = b = np.linspace(-1, 1, 21)
    A, B = np.meshgrid(a, b)
    surf = SimpleNamespace(names=("w", "b"), a=a, b=b, loss=0.1 * 10 ** (A ** 2 + B ** 2), updates=5)
    p = shown(qtbot, SurfacePlot())
    p.set_parameters(["w", "b"], ("w", "b"))
    p.set_loss_name("MSE")
    p.show_surface(surf)
    axis = p.colorbar.axis
    ticks = axis._tickLevels[0]
    assert [t for _x, t in ticks][:3] == ["0.1", "0.2", "0.5"]
    assert all(x == pytest.approx(np.log10(float(t))) for x, t in ticks)
    assert axis.labelText == "MSE" and axis.label.isVisible()
    # a long name on a short plot: hidden, not clipped; room again: shown
    p.set_loss_name("cross-entropy")
    p.resize(320, 150)
    qtbot.waitUntil(lambda: not axis.label.isVisible(), timeout=3000)
    assert axis.geometry().height() < 80
    p.resize(600, 420)
    qtbot.waitUntil(lambda: axis.label.isVisible(), timeout=3000)
    assert axis.geometry().height() >= 80
    # a bowl without decades: a linear bar, the automatic ticks again
    p.show_surface(SimpleNamespace(names=("w", "b"), a=a, b=b, loss=2 + A ** 2 + B ** 2, updates=5))
    assert axis._tickLevels is None and axis.labelText == "cross-entropy"


def test_loss_plot_clear_forgets_the_last_runs_axes(qtbot):
    p = shown(qtbot, LossPlot())
    vb = p.plot.getPlotItem().getViewBox()
    p.set_loss_name("mean squared error", "MSE")
    p.set_run(37, 300 * 37)
    p.append(0, np.linspace(5, 0.1, 5000), [])
    assert vb.viewRange()[0][1] >= 300 * 37 * 0.99
    p.clear()
    p.set_run(10, 20 * 10)                        # the next project's run
    assert p.update_count() == 0 and vb.viewRange()[0] == pytest.approx([0, 200])
    p.set_loss_name("mean absolute error", "MAE")
    assert p.loss_name() == "MAE"
