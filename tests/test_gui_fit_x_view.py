"""The window opens on the lecture's first model, and a one-input model's fit plot shows ŷ against x.

A person starts the program: the first example (tomorrow's maximum temperature from today's,
y = b + w·x₁) is open, its fit plot shows the scatter of (today, tomorrow) and the model's line,
and the error surface is over exactly b and w. The two buttons in the fit plot's header switch
between ŷ against x and ŷ against time. The sum-of-sigmoids example draws each unit over x.
Expected values are computed here from the CSV and the weights, not read from the views.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QToolButton

from engine.layers import sigmoid
from gui.plots.fit_plot import FitPlot
from gui.plots.surface_plot import SurfacePlot
from gui.plots.units_plot import UnitsPlot
from tests.conftest import ROOT

TIMEOUT = 30000


@pytest.fixture
def window(qtbot, isolated_settings):
    from gui.window.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    w.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    w.show_error = lambda title, text: None
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.document.dataset is not None, timeout=TIMEOUT)
    yield w
    w.training.shutdown()
    w.document.undo_stack.setClean()
    w.document._extra_dirty = False


def _today_tomorrow():
    """(today, tomorrow) maximum temperatures of consecutive days, from the CSV itself."""
    t = pd.read_csv(ROOT / "resources" / "datasets" / "seattle_weather.csv")["temp_max"].to_numpy(float)
    return t[:-1], t[1:]


def _step(qtbot, win):
    panel = win.training.panel
    with qtbot.waitSignal(win.training.snapshot_received, timeout=TIMEOUT):
        qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)


def _line_matches_weights(fit, win) -> bool:
    w = win.training.current_weights()
    if w is None or fit.last_view is None or fit.mode != "xy":
        return False
    x, y = fit.pred_curve.getData()
    if x is None or not len(x):
        return False
    expected = float(w["dense1.b"][0]) + float(w["dense1.W"][0, 0]) * x      # raw °C: no scaling
    return np.allclose(y, expected, rtol=1e-5, atol=1e-4)


def test_the_window_opens_on_the_first_model_with_the_line_through_today_against_tomorrow(qtbot, window):
    w = window
    assert w.document.name == "The first model: tomorrow from today"
    fit = w.findChild(FitPlot, "fitPlot")
    qtbot.waitUntil(lambda: fit.ctx is not None, timeout=TIMEOUT)
    to_x, to_t = fit.findChild(QToolButton, "fitAgainstX"), fit.findChild(QToolButton, "fitAgainstTime")
    assert to_x.isVisible() and to_t.isVisible() and to_x.isChecked() and not to_t.isChecked()
    assert fit.mode == "xy"
    # the dots: every (today, tomorrow) pair of the data, training and validation together
    today, tomorrow = _today_tomorrow()
    xs = np.concatenate([fit.train_items.getData()[0], fit.val_items.getData()[0]])
    ys = np.concatenate([fit.train_items.getData()[1], fit.val_items.getData()[1]])
    shown = sorted(zip(np.round(xs, 3), np.round(ys, 3)))
    assert shown == sorted(zip(np.round(today, 3), np.round(tomorrow, 3)))
    axis = fit.plot.getPlotItem().getAxis("bottom")
    assert axis.labelText == "temp_max[t-1]"
    # the error surface is over exactly b and w, named so on its axes
    surf = w.findChild(SurfacePlot, "surfacePlot")
    qtbot.waitUntil(lambda: surf.pair() != ("", ""), timeout=TIMEOUT)
    assert surf.pair() == ("dense1.b[0]", "dense1.W[0,0]")
    p = surf.plot.getPlotItem()
    assert (p.getAxis("bottom").labelText, p.getAxis("left").labelText) == ("dense1.b[0]", "dense1.W[0,0]")
    # one update later the line is b + w·x with the weights the run has now
    _step(qtbot, w)
    qtbot.waitUntil(lambda: _line_matches_weights(fit, w), timeout=TIMEOUT)


def test_the_header_buttons_switch_between_x_and_time_and_keep_the_prediction(qtbot, window):
    w = window
    fit = w.findChild(FitPlot, "fitPlot")
    units = w.findChild(UnitsPlot, "unitsPlot")
    _step(qtbot, w)
    qtbot.waitUntil(lambda: _line_matches_weights(fit, w), timeout=TIMEOUT)
    weights = w.training.current_weights()
    b, wt = float(weights["dense1.b"][0]), float(weights["dense1.W"][0, 0])

    to_t = fit.findChild(QToolButton, "fitAgainstTime")
    qtbot.mouseClick(to_t, Qt.MouseButton.LeftButton)
    assert fit.mode == "series" and to_t.isChecked()
    assert fit.window_combo.isVisible()
    # against time: each day's prediction is b + w·(the day before), drawn without waiting for a run
    assert fit.pred_curve.getData()[0] is not None and len(fit.pred_curve.getData()[0])
    py = fit.last_view["pred"]                         # the curve's data (it draws what is in view)
    today, tomorrow = _today_tomorrow()
    assert len(py) == len(today)
    assert np.allclose(np.sort(py), np.sort(b + wt * today), atol=1e-3)
    assert np.allclose(np.sort(fit.ctx.y_eval), np.sort(tomorrow))
    # the units plot shows the same stretch of time, and follows a pan of the fit plot
    fit_vb, units_vb = fit.plot.getPlotItem().getViewBox(), units.plot.getPlotItem().getViewBox()
    assert np.allclose(units_vb.viewRange()[0], fit_vb.viewRange()[0])
    lo, hi = fit_vb.viewRange()[0]
    fit_vb.setXRange(lo - 30 * 86400, hi - 30 * 86400, padding=0.0)
    assert np.allclose(units_vb.viewRange()[0], fit_vb.viewRange()[0])

    to_x = fit.findChild(QToolButton, "fitAgainstX")
    qtbot.mouseClick(to_x, Qt.MouseButton.LeftButton)
    assert fit.mode == "xy" and to_x.isChecked() and not fit.window_combo.isVisible()
    assert _line_matches_weights(fit, w)
    # the units plot keeps a window of time of its own, and panning it no longer reaches the fit plot
    span = units_vb.viewRange()[0]
    assert span[1] - span[0] > 30 * 86400
    units_vb.setXRange(span[0] - 86400, span[1] - 86400, padding=0.0)
    assert fit.mode == "xy"


def test_a_model_of_several_inputs_offers_no_x_view(qtbot, window):
    w = window
    fit = w.findChild(FitPlot, "fitPlot")
    with qtbot.waitSignal(w.data_controller.project_data_loaded, timeout=TIMEOUT):
        assert w.open_path(str(ROOT / "resources" / "examples" / "1_linear_7_days.ncproj"))
    qtbot.waitUntil(lambda: fit.ctx is not None and fit.mode == "series", timeout=TIMEOUT)
    assert not fit.findChild(QToolButton, "fitAgainstX").isVisible()


def test_sum_of_sigmoids_units_plot_draws_each_sigmoid_over_the_day_of_the_year(qtbot, window):
    w = window
    units = w.findChild(UnitsPlot, "unitsPlot")
    with qtbot.waitSignal(w.data_controller.project_data_loaded, timeout=TIMEOUT):
        assert w.open_path(str(ROOT / "resources" / "examples" / "sum_of_sigmoids.ncproj"))
    _step(qtbot, w)
    ds = w.document.dataset

    def drawn_as_weights_say() -> bool:
        v, weights = units.full_view, w.training.current_weights()
        if v is None or weights is None or v["mode"] != "xy" or v["n_units"] != 3:
            return False
        x = v["x"]                                     # days of the year
        z = (x - float(ds.x_mean[0])) / float(ds.x_std[0])
        W1, b1 = weights["dense1.W"][0].astype(float), weights["dense1.b"].astype(float)
        c = weights["dense2.W"][:, 0].astype(float) * float(ds.y_std[0])
        expected = c[:, None] * sigmoid(b1[:, None] + W1[:, None] * z[None, :])
        return np.allclose(v["contrib"], expected[v["index"]], rtol=1e-4, atol=1e-3)

    qtbot.waitUntil(drawn_as_weights_say, timeout=TIMEOUT)
    x = units.full_view["x"]
    assert -40 < x.min() <= 1 and 365 <= x.max() < 400          # the year, a margin either side
    drawn = [c for c in units.unit_curves if c.xData is not None and len(c.xData)]
    assert len(drawn) == 3
