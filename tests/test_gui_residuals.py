"""Issue 12 in the window, used as a person does: the Residuals tab fills after a little training
with values an independent computation from the document's model agrees with, follows weights set
by hand (and their undo), shows the training rows on request and says when it does not apply; the
import view's seasonal period, typed on the keyboard, changes the seasonal baseline shown."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from engine.model import Model
from gui.explain.residuals_view import ResidualsView
from tests.gui_data_helpers import choose, dataset_path
from tests.test_gui_explain import click_tab
from tests.test_metrics_display import open_example, tooltips_under_the_mouse, train_a_little
from tests.test_residuals import acf_by_pairs
import tests.test_metrics_display as metrics_display

TIMEOUT = 30_000
window = metrics_display.window          # the same window fixture


def residuals_of(document, which: str = "val") -> tuple[np.ndarray, np.ndarray]:
    """Actual − prediction of the document's own weights, in data-row order, and the rows."""
    ds = document.dataset
    model = Model(document.graph)
    model.set_weights(document.weights)
    X = ds.X_val if which == "val" else ds.X_train
    rows = ds.index_val if which == "val" else ds.index_train
    pred = model.predict(X)[:, 0].astype(np.float64) * ds.y_std[0] + ds.y_mean[0]
    e = ds.y_raw(which)[:, 0] - pred
    order = np.argsort(rows)
    return e[order], rows[order]


def bars(plot: pg.PlotWidget) -> list[pg.BarGraphItem]:
    return [i for i in plot.getPlotItem().items if isinstance(i, pg.BarGraphItem)]


def open_residuals(qtbot, win) -> ResidualsView:
    view = win.findChild(ResidualsView, "residualsPlot")
    assert view is not None and view is win.residuals_view
    with qtbot.waitSignal(view.computed, timeout=TIMEOUT):
        click_tab(qtbot, win, "Residuals")
    return view


def test_the_residuals_tab_fills_with_what_the_model_leaves(qtbot, window):
    open_example(qtbot, window, "1_linear_7_days.ncproj")
    train_a_little(qtbot, window, epochs=3)
    view = open_residuals(qtbot, window)
    res = view.result
    e, rows = residuals_of(window.document)
    np.testing.assert_allclose(res.residuals, e, rtol=1e-4, atol=1e-3)
    assert list(res.rows) == list(rows) and res.series and res.x_is_date and res.which == "val"
    # the three views: points over time, the histogram's bars, the autocorrelation's bars and bounds
    points = [i for i in view.time_plot.getPlotItem().listDataItems() if i.opts.get("symbol")]
    assert len(points) == 1 and len(points[0].getData()[1]) == len(e)
    np.testing.assert_allclose(points[0].getData()[1], e, rtol=1e-4, atol=1e-3)
    (hist,) = bars(view.hist_plot)
    np.testing.assert_array_equal(hist.opts["height"], np.histogram(e, bins=res.hist_edges)[0])
    assert int(np.sum(hist.opts["height"])) == len(e)
    (acf,) = bars(view.acf_plot)
    expected = acf_by_pairs(e, rows, len(res.lags))
    np.testing.assert_allclose(acf.opts["height"], expected, rtol=1e-3, atol=1e-3)
    bounds = [i.getData()[1] for i in view.acf_plot.getPlotItem().listDataItems() if isinstance(i, pg.PlotDataItem)]
    np.testing.assert_allclose(sorted(b[0] for b in bounds), [-1.96 / math.sqrt(len(e) - 1),
                                                               1.96 / math.sqrt(len(e) - 1)], rtol=1e-3)
    assert view.acf_box.isVisible() and view.hist_plot.isVisible() and view.time_plot.isVisible()
    assert view.verdict_label.text() == res.verdict
    assert ("No pattern left" in res.verdict) == (res.p_value >= 0.05)
    assert f"{len(e):,} validation rows" in view.summary_label.text()

    # the training rows, chosen as a person does
    with qtbot.waitSignal(view.computed, timeout=TIMEOUT) as done:
        choose(view.rows_combo, qtbot, "train")
    e_train, _ = residuals_of(window.document, "train")
    assert done.args[0].which == "train"
    np.testing.assert_allclose(done.args[0].residuals, e_train, rtol=1e-4, atol=1e-3)
    assert f"{len(e_train):,} training rows" in view.summary_label.text()


def test_weights_set_by_hand_and_their_undo_are_followed(qtbot, window):
    open_example(qtbot, window, "1_linear_7_days.ncproj")
    train_a_little(qtbot, window, epochs=2)
    view = open_residuals(qtbot, window)
    before = view.result.residuals.copy()
    halved = {k: v * 0.5 for k, v in window.training.current_weights().items()}
    with qtbot.waitSignal(view.computed, timeout=TIMEOUT) as done:
        window.training.set_weights(halved, "Halve the weights")
    e, _ = residuals_of(window.document)
    np.testing.assert_allclose(done.args[0].residuals, e, rtol=1e-4, atol=1e-3)
    assert np.max(np.abs(e - before)) > 0.1
    with qtbot.waitSignal(view.computed, timeout=TIMEOUT) as undone:
        window.actionUndo.trigger()
    np.testing.assert_allclose(undone.args[0].residuals, before, rtol=1e-6, atol=1e-6)


def test_a_classifier_is_told_residuals_apply_to_regression(qtbot, window):
    open_example(qtbot, window, "5_iris_classifier.ncproj")
    train_a_little(qtbot, window, epochs=2)
    click_tab(qtbot, window, "Residuals")
    view = window.residuals_view
    qtbot.waitUntil(lambda: "apply to regression" in view.verdict_label.text(), timeout=TIMEOUT)
    assert view.result is None and all(len(b.opts["height"]) == 0 for b in bars(view.hist_plot))


def test_the_period_typed_in_the_import_view_changes_the_seasonal_baseline(qtbot, window):
    open_example(qtbot, window, "1_linear_7_days.ncproj")
    watch = window.training.baselines
    qtbot.waitUntil(lambda: watch.baselines is not None and watch.baselines.period == 365, timeout=TIMEOUT)
    ctl = window.data_controller
    with qtbot.waitSignal(ctl.dialog_opened, timeout=TIMEOUT) as opened:
        qtbot.mouseClick(ctl.panel.edit_button, Qt.MouseButton.LeftButton)
    dlg = opened.args[0]
    qtbot.waitUntil(lambda: dlg.ok_button.isEnabled(), timeout=TIMEOUT)
    assert dlg.period_spin.isVisible() and dlg.period_spin.text() == "auto"
    assert "Seasonal period:</b> auto" in dlg.summary_label.text()
    # too long a period: a clear message, OK blocked
    dlg.period_spin.selectAll()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.keyClicks(dlg.period_spin, "5000")
    n_train = window.document.dataset.n_train
    assert not dlg.ok_button.isEnabled()
    assert f"must be smaller than the {n_train:,} training examples" in dlg.message_label.text()
    dlg.period_spin.selectAll()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.keyClicks(dlg.period_spin, "7")
    assert dlg.ok_button.isEnabled() and "Seasonal period:</b> 7 rows" in dlg.summary_label.text()
    with qtbot.waitSignal(watch.computed, timeout=TIMEOUT) as computed:
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert computed.args[0].period == 7 and window.document.data_spec.period == 7

    # the seasonal naive forecast, by hand from the file: next = the value 7 days before
    v = pd.read_csv(dataset_path("seattle_weather.csv"))["temp_max"].to_numpy(np.float64)
    examples = np.arange(7, len(v))
    va = examples[-math.ceil(len(examples) * 0.2):]
    seasonal = float(np.mean(np.abs(v[va] - v[va - 7])))
    assert computed.args[0].seasonal_val_mae == pytest.approx(seasonal, rel=1e-9)
    train_a_little(qtbot, window, epochs=1)
    seen = tooltips_under_the_mouse(qtbot, window.training.panel.metrics_label)
    assert any(f"seasonal naive (period 7) {seasonal:.4g}" in t for t in seen)

    # kept: Edit import… shows it again
    with qtbot.waitSignal(ctl.dialog_opened, timeout=TIMEOUT) as opened:
        qtbot.mouseClick(ctl.panel.edit_button, Qt.MouseButton.LeftButton)
    again = opened.args[0]
    qtbot.waitUntil(lambda: again.ok_button.isEnabled(), timeout=TIMEOUT)
    assert again.period_spin.value() == 7 and again.current_spec().period == 7
    again.done(0)
