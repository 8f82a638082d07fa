"""Issue 14, what a newcomer found: each test acts as a person (File → Import CSV, clicks on the
training controls, the example menu) and checks what the window then shows."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

import gui.common.plot_style as style
from gui.plots.fit_plot import FitPlot
from gui.plots.surface_plot import SurfacePlot
from gui.plots.units_plot import UnitsPlot
from tests import test_gui_data
from tests.test_gui_data import TIMEOUT, confirm, open_import

window = test_gui_data.window          # the same window fixture: File → Import with the dialog patched


def _write(tmp_path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def _yearly_csv(tmp_path) -> str:
    """A yearly series whose time column holds years as numbers (1700.5, 1701.5, …), the way
    yearly sunspot tables are published; the values are made here (an 11-year cycle)."""
    years = 1700.5 + np.arange(120)
    values = 80 + 60 * np.sin(2 * np.pi * np.arange(120) / 11.0)
    return _write(tmp_path, "yearly.csv",
                  "year,spots\n" + "".join(f"{t},{v:.1f}\n" for t, v in zip(years, values)))


# ------------------------------------------------------------------ 1. a number time column
def test_a_number_time_column_is_a_number_axis_not_epoch_seconds(qtbot, window, monkeypatch, tmp_path):
    dlg = open_import(qtbot, window, monkeypatch, _yearly_csv(tmp_path))
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.mode_series, Qt.MouseButton.LeftButton)
    assert dlg.time_combo.currentData() == "year"
    confirm(qtbot, window, dlg)
    fit = window.findChild(FitPlot, "fitPlot")
    units = window.findChild(UnitsPlot, "unitsPlot")
    qtbot.waitUntil(lambda: fit.ctx is not None and fit.ctx.mode == "series", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: units.ctx is not None and units.ctx.mode == "series", timeout=TIMEOUT)
    assert not fit.ctx.x_is_date
    for plot in (fit.plot, units.plot, units.sum_plot):
        axis = plot.getPlotItem().getAxis("bottom")
        assert not isinstance(axis, style.DateAxis)
        lo, hi = plot.getPlotItem().getViewBox().viewRange()[0]
        assert 1690 < lo < 1720 and 1800 < hi < 1830, (lo, hi)      # the years, not one vertical line
        ticks = [s for level in axis.tickValues(lo, hi, 400) for s in axis.tickStrings(level[1], 1, level[0])]
        assert ticks and not any(":" in t for t in ticks), ticks
        assert any(t.startswith("17") or t.startswith("18") for t in ticks), ticks


# ------------------------------------------------------------------ 2. divergence on the surface
def _set_lr(qtbot, win, text: str) -> None:
    edit = win.training.panel.lr_edit
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert win.document.train_config.lr == float(text)


@pytest.mark.parametrize("lr", ["1", "0.4"])
def test_a_diverged_run_shows_its_first_steps_leaving_the_valley(qtbot, window, lr):
    """The 7-day linear example with η too large: the surface is drawn around where the run
    started, on a range of a few valley widths (not ±1e17), names the divergence, and the
    path's first step is inside the window before it runs off."""
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)
    _set_lr(qtbot, window, lr)
    ctl, surf = window.training, window.findChild(SurfacePlot, "surfacePlot")
    with qtbot.waitSignal(ctl.training_finished, timeout=TIMEOUT) as done:
        qtbot.mouseClick(ctl.panel.train_button, Qt.MouseButton.LeftButton)
    assert done.args == ["diverged"]
    qtbot.waitUntil(lambda: "diverged at update" in surf.info.text(), timeout=TIMEOUT)
    text = surf.info.text()
    assert f"diverged at update {ctl.trainer.diverged_at:,}" in text and "too large" in text
    s = surf.surface
    assert max(abs(s.a[0]), abs(s.a[-1]), abs(s.b[0]), abs(s.b[-1])) < 100          # a sensible range
    assert np.isfinite(s.loss).all()
    lo_x, hi_x = surf.plot.getPlotItem().getViewBox().viewRange()[0]
    assert hi_x - lo_x < 100
    path = surf.path()
    assert len(path) > 3 and np.abs(path[-1]).max() > 1e6                            # it flew out
    inside = (s.a[0] <= path[:, 0]) & (path[:, 0] <= s.a[-1]) & (s.b[0] <= path[:, 1]) & (path[:, 1] <= s.b[-1])
    assert inside[0] and inside[1] and not inside.all()                                 # start, first step


# ------------------------------------------------------------------ 7. the minimum inside the window
def test_the_start_up_surface_contains_the_minimum_it_reports(qtbot, window):
    """The window opens on the 7-day example; its surface's lowest point is inside the plotted
    range, not on the edge where the window cuts the valley off."""
    surf = window.findChild(SurfacePlot, "surfacePlot")
    qtbot.waitUntil(lambda: surf.surface is not None and "lowest" in surf.info.text(), timeout=TIMEOUT)
    s = surf.surface
    Z = np.where(np.isfinite(s.loss), s.loss, np.inf)
    j, i = np.unravel_index(np.argmin(Z), Z.shape)
    assert 0 < i < len(s.a) - 1 and 0 < j < len(s.b) - 1, (s.a[[0, -1]], s.b[[0, -1]], i, j)
    lo_y, hi_y = surf.plot.getPlotItem().getViewBox().viewRange()[1]
    assert lo_y < s.b[j] < hi_y


# ------------------------------------------------------------------ 5. Stop is not Pause
def test_after_stop_the_button_reads_train_and_train_goes_on_from_the_weights(qtbot, window):
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)
    ctl, panel = window.training, window.training.panel
    snaps = []
    ctl.snapshot_received.connect(snaps.append)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].updates > 5, timeout=TIMEOUT)
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl.state == "paused", timeout=TIMEOUT)
    assert panel.train_button.text().replace("&", "") == "Resume"           # a paused run resumes
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl.state == "stopped", timeout=TIMEOUT)
    assert panel.train_button.text().replace("&", "") == "Train"            # Stop ended the run
    assert "Train goes on from these weights" in panel.state_label.text()
    reached = ctl.trainer.updates
    snaps.clear()
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(snaps), timeout=TIMEOUT)
    assert snaps[0].updates >= reached                                    # from the weights it reached
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl.state == "stopped", timeout=TIMEOUT)


def test_the_run_table_says_resume_only_for_a_paused_run():
    from gui.training.state import RunState, controls
    assert controls(RunState.STOPPED, None, True).train_label == "&Train"
    assert controls(RunState.STOPPED, None, True, looks_paused=True).train_label == "&Resume"
    assert controls(RunState.PAUSED, None, True).train_label == "&Resume"


# ------------------------------------------------------------------ 4. the default target
def test_a_penguins_table_defaults_to_species_not_year_and_says_why(qtbot, window, monkeypatch, tmp_path):
    """Columns as in palmerpenguins (species … sex, year last); the values are made here."""
    rng = np.random.default_rng(0)
    rows = "".join(f"{['Adelie', 'Gentoo', 'Chinstrap'][i % 3]},{['Biscoe', 'Dream'][i % 2]},"
                   f"{38 + rng.random() * 10:.1f},{17 + rng.random() * 3:.1f},{180 + i % 30},{3500 + 7 * i},"
                   f"{['male', 'female'][i % 2]},{2007 + i % 3}\n" for i in range(90))
    path = _write(tmp_path, "penguins.csv", "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,"
                                            "body_mass_g,sex,year\n" + rows)
    dlg = open_import(qtbot, window, monkeypatch, path)
    assert dlg.role_of("species") == "target" and dlg.role_of("year") != "target"
    assert "its name says it is the target" in dlg.summary_label.text()


def test_a_travel_mode_table_avoids_a_size_code_after_choice_and_id_columns(qtbot, window, monkeypatch, tmp_path):
    """Columns as in the TravelMode table (individual, mode, choice, …, size last)."""
    rows = "".join(f"{i // 4 + 1},{['air', 'train', 'bus', 'car'][i % 4]},{'yes' if i % 4 == (i // 4) % 4 else 'no'},"
                   f"{(i * 7) % 90},{(i * 13) % 120},{1 + i % 6}\n" for i in range(120))
    path = _write(tmp_path, "travel.csv", "individual,mode,choice,wait,vcost,psize\n" + rows)
    dlg = open_import(qtbot, window, monkeypatch, path)
    assert dlg.role_of("choice") == "target"
    assert "its name says it is the target" in dlg.summary_label.text()


def test_a_trailing_year_column_is_skipped_with_the_reason(qtbot, window, monkeypatch, tmp_path):
    rows = "".join(f"{i % 9},{(i * 3) % 11},{2 * i + 1},{2000 + i % 5}\n" for i in range(60))
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "t.csv", "a,b,amount,year\n" + rows))
    assert dlg.role_of("amount") == "target"
    assert "year looks like one" in dlg.summary_label.text()


# ------------------------------------------------------------------ 3. stale views
def test_file_new_clears_the_last_projects_surface_axes_and_colour_bar(qtbot, window):
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)
    _set_lr(qtbot, window, "1")
    ctl, surf = window.training, window.findChild(SurfacePlot, "surfacePlot")
    with qtbot.waitSignal(ctl.training_finished, timeout=TIMEOUT):
        qtbot.mouseClick(ctl.panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "diverged" in surf.info.text(), timeout=TIMEOUT)
    window.actionNew.trigger()
    assert surf.surface is None and "lowest" not in surf.info.text()
    assert not surf.colorbar.isVisible()
    (x0, x1), (y0, y1) = surf.plot.getPlotItem().getViewBox().viewRange()
    assert max(abs(x0), abs(x1), abs(y0), abs(y1)) < 10


def test_a_step_while_paused_redraws_loss_here_as_of_the_new_update(qtbot, window):
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)
    ctl, panel, surf = window.training, window.training.panel, window.findChild(SurfacePlot, "surfacePlot")
    qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)          # a paused run, one update
    qtbot.waitUntil(lambda: ctl.state == "paused" and "as of update 1" in surf.info.text(), timeout=TIMEOUT)
    with qtbot.waitSignal(ctl.surface_updated, timeout=TIMEOUT):
        qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "as of update 2" in surf.info.text(), timeout=TIMEOUT)
    assert surf.surface.updates == 2 == ctl.trainer.updates


def test_a_surface_behind_the_run_says_so(qtbot, window):
    from tests.gui_data_helpers import choose
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)
    ctl, panel, surf = window.training, window.training.panel, window.findChild(SurfacePlot, "surfacePlot")
    choose(panel.findChild(type(panel.speed_combo), "speedCombo"), qtbot, 0)          # full speed
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "updates behind" in surf.info.text(), timeout=TIMEOUT)
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl.state in ("stopped", "finished"), timeout=TIMEOUT)


def test_the_title_drops_the_examples_name_after_importing_another_file(qtbot, window, monkeypatch, tmp_path):
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)
    example = window.document.name
    assert example in window.windowTitle()
    dlg = open_import(qtbot, window, monkeypatch, _yearly_csv(tmp_path))
    confirm(qtbot, window, dlg)
    assert example not in window.windowTitle() and "yearly.csv" in window.windowTitle()


# ------------------------------------------------------------------ 11. no "A" button in plot corners
def test_no_auto_range_button_appears_when_the_mouse_is_over_a_zoomed_plot(qtbot, window):
    from pyqtgraph import PlotWidget
    qtbot.mouseClick(window.training.panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "paused", timeout=TIMEOUT)
    plots = [w for w in window.findChildren(PlotWidget) if w.isVisible()]
    assert len(plots) >= 4
    for w in plots:
        item = w.getPlotItem()
        item.getViewBox().scaleBy((0.5, 0.5))              # zoomed: auto-range is off
        qtbot.mouseMove(w.viewport(), w.viewport().rect().center())
        qtbot.mouseMove(w.viewport(), w.viewport().rect().bottomLeft() + type(w.pos())(8, -8))
        assert not item.autoBtn.isVisible(), w.parent().objectName()


# ------------------------------------------------------------------ 12. the README
def test_the_readme_says_how_to_set_up_and_its_train_command_runs(tmp_path):
    import json
    import re
    import shlex
    import subprocess
    import sys

    from tests.conftest import ROOT
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text[text.index("## Set up"):text.index("## Using the window")]
    assert "python3 -m venv .venv" in setup and "externally-managed-environment" in setup
    assert "needs a display" in setup
    for lib in ("libxcb-cursor0", "libegl1", "libxkbcommon-x11-0"):
        assert lib in setup
    assert (ROOT / "resources" / "screenshot.png").stat().st_size > 50_000
    block = re.search(r"## Train without a window\s+```\n(.*?)```", text, re.S).group(1)
    args = shlex.split(block.replace("\\\n", " "))
    assert args[:3] == ["python", "main.py", "train"]
    args = [str(tmp_path / a) if a in ("metrics.json", "model.onnx") else a for a in args[3:]]
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["epochs"] == 40 and metrics["val_r2"] > 0.7
    assert (tmp_path / "model.onnx").stat().st_size > 0


# ------------------------------------------------------------------ 9. an example's page on top
def test_opening_an_example_shows_its_description_whatever_tab_was_on_top(qtbot, sigmoid_example_window):
    """Issue 14.9: the side panel stayed on its last tab (Training), so the example's
    description was not in view after Help → Examples."""
    from PySide6.QtWidgets import QTabBar
    win = sigmoid_example_window

    def side_tabs() -> QTabBar:
        return next(b for b in win.findChildren(QTabBar)
                    if {b.tabText(i) for i in range(b.count())} >= {"Properties", "Training"})
    bar = side_tabs()
    training = next(i for i in range(bar.count()) if bar.tabText(i) == "Training")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(training).center())
    assert bar.tabText(bar.currentIndex()) == "Training"
    win.findChild(type(win.actionTrain), "actionExample1").trigger()
    qtbot.waitUntil(lambda: side_tabs().tabText(side_tabs().currentIndex()) == "Properties", timeout=5000)


def test_switching_examples_after_training_says_the_trained_weights_are_what_is_lost(qtbot, sigmoid_example_window):
    """Issue 14.9: after any run, every example switch asked "has changes that are not saved"
    about an example nobody edited; the question now says what Discard loses."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    from gui.window.main_window import MainWindow
    win = sigmoid_example_window
    win.ask_unsaved = lambda: MainWindow.ask_unsaved(win)       # the real question, answered below
    ctl = win.training
    ctl.set_speed(0)
    panel = ctl.panel
    panel.epochs_edit.selectAll()
    qtbot.keyClicks(panel.epochs_edit, "1")
    win.document.mark_saved()                                   # the epochs edit is not what we ask about
    with qtbot.waitSignal(ctl.training_finished, timeout=30_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    n = len(win.document.history["update_loss"])
    seen = []

    def answer():
        box = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None)
        if box is None:
            QTimer.singleShot(20, answer)
            return
        seen.append(box.text())
        box.button(QMessageBox.StandardButton.Discard).click()
    QTimer.singleShot(0, answer)
    win.findChild(type(win.actionTrain), "actionExample1").trigger()
    assert seen and f"{n:,} updates of training" in seen[0] and "loses the trained weights" in seen[0]
    assert win.document.name.startswith("1") or win.document.history is None    # switched


# ------------------------------------------------------------------ 8. cut-off text
def _diverge(qtbot, win):
    assert win.io.open_example("1_linear_7_days.ncproj", ask=False)
    _set_lr(qtbot, win, "1")
    ctl = win.training
    with qtbot.waitSignal(ctl.training_finished, timeout=TIMEOUT) as done:
        qtbot.mouseClick(ctl.panel.train_button, Qt.MouseButton.LeftButton)
    assert done.args == ["diverged"]
    return ctl


def test_a_diverged_runs_output_card_and_units_axis_show_whole_numbers(qtbot, window):
    from PySide6.QtGui import QImage, QPainter
    from tests.test_canvas_insight import settle
    _diverge(qtbot, window)
    insight = window.scene.insight
    settle(insight, qtbot)
    out = window.scene.nodes[window.document.graph.output_node()]
    words = [t for t, *_ in out.band.text_layout()]
    assert words and words[0].startswith("ŷ ") and not any("…" in t for t in words), words
    assert all(len(t) <= 9 for t in words), words                        # "ŷ 1e+19", "y 23.45", "ŷ —"
    # the units plot's ticks (a diverged run's ±1e19) leave room for its axis title
    units = window.findChild(UnitsPlot, "unitsPlot")
    qtbot.waitUntil(lambda: units.last_view is not None, timeout=TIMEOUT)
    for pane in (units.plot, units.sum_plot):
        axis = pane.getPlotItem().getAxis("left")
        image = QImage(200, 200, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            _, _, texts = axis.generateDrawSpecs(painter)       # what the axis paints: (rect, flags, text)
        finally:
            painter.end()
        assert texts and not any("e+" in t for _, _, t in texts), [t for *_, t in texts]
        if axis.label.isVisible():
            title = axis.label.mapRectToParent(axis.label.boundingRect())
            # the rotated title's glyphs stop a few pixels before its box's right edge (its margin)
            assert all(r.left() >= title.right() - 4 for r, _, _ in texts), \
                ([(r.left(), t) for r, _, t in texts], title)


def test_the_loss_axis_title_fits_and_its_tooltip_has_the_full_name(qtbot, window):
    from gui.plots.loss_plot import LossPlot
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)
    loss = window.findChild(LossPlot)
    axis = loss.plot.getPlotItem().getAxis("left")
    assert loss.loss_name() == "MSE (std.)"
    assert "standardized" in axis.toolTip()
    qtbot.waitUntil(lambda: axis.geometry().height() > 0, timeout=TIMEOUT)
    if axis.label.isVisible():                       # shown only whole
        assert axis.label.boundingRect().width() <= axis.geometry().height()


def test_after_reset_the_press_train_hint_does_not_cover_the_runs_kept_curves(qtbot, window):
    from gui.plots.loss_plot import LossPlot
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)
    ctl = window.training
    loss = window.findChild(LossPlot)
    assert "Press Train" in loss.readout.text() and loss.readout.isVisible()
    panel = ctl.panel
    panel.epochs_edit.selectAll()
    qtbot.keyClicks(panel.epochs_edit, "3")
    qtbot.keyClick(panel.epochs_edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(ctl.training_finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    window.actionReset.trigger()
    qtbot.waitUntil(lambda: ctl.state == "idle", timeout=TIMEOUT)
    assert loss.previous() is not None                  # the run before Reset, faded
    assert not loss.readout.isVisible() or "Press Train" not in loss.readout.text()


def test_a_cards_problem_is_readable_whole_in_its_tooltip_and_the_properties(qtbot, window):
    from tests.test_change_kind import click_card
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)
    doc = window.document
    dense = next(n for n in doc.graph.nodes if doc.graph.nodes[n].kind == "dense")
    for e in [e for e in doc.graph.edges if e.dst == dense]:
        window.scene.edges[e].setSelected(True)
    qtbot.keyClick(window.canvas_view.viewport(), Qt.Key.Key_Delete)
    problems = [i.message for i in doc.issues() if i.node == dense]
    assert problems
    card = window.scene.nodes[dense]
    click_card(window, qtbot, dense)
    for message in problems:
        assert message.replace("<", "&lt;") in card.toolTip() or message in card.toolTip()
        assert message in window.properties.error_label.text()


# ------------------------------------------------------------------ 10. many units
def test_sixteen_units_draw_the_eight_that_move_the_fit_most_and_show_all_draws_every_one(qtbot, window):
    from gui.plots.units_plot import SHOWN_UNITS
    assert window.io.open_example("2_sigmoid_hidden_layer.ncproj", ask=False)                  # 16 sigmoid units
    units = window.findChild(UnitsPlot, "unitsPlot")
    qtbot.mouseClick(window.training.panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: units.full_view is not None and units.full_view["n_units"] == 16, timeout=TIMEOUT)
    full = units.full_view
    drawn = [c for c in units.unit_curves if c.xData is not None and len(c.xData)]
    assert len(drawn) == SHOWN_UNITS == 8
    spread = np.ptp(full["contrib"], axis=1)
    assert set(units.last_view["index"]) == set(np.asarray(full["index"])[np.argsort(-spread)[:8]])
    assert "+ 8 more" in units.legend.text()
    assert units.last_view["sum"] is full["sum"]                  # the fit is still the sum of every term
    box = units.all_box
    assert box.isVisible() and not box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().center())
    assert box.isChecked()
    drawn = [c for c in units.unit_curves if c.xData is not None and len(c.xData)]
    assert len(drawn) == 16 and "more" not in units.legend.text()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().center())
    assert len(units.unit_curves) == 8


def test_a_network_with_few_units_offers_no_show_all(qtbot, window):
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)                  # 7 inputs of a linear model
    units = window.findChild(UnitsPlot, "unitsPlot")
    qtbot.mouseClick(window.training.panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: units.full_view is not None, timeout=TIMEOUT)
    assert len(units.unit_curves) == len(units.full_view["contrib"]) == 7
    assert not units.all_box.isVisible() and "more" not in units.legend.text()


# ------------------------------------------------------------------ 11. one number format
def test_small_losses_read_alike_in_the_panel_the_surface_header_and_the_loss_readout(
        qtbot, window, monkeypatch, tmp_path):
    """A line the network can fit almost exactly: its losses fall below 0.001, where the panel
    said 0.0007 and the surface 7.00e-04."""
    import re

    from gui.plots.loss_plot import LossPlot
    x = np.linspace(0, 1, 200)
    noise = 0.02 * np.sin(37 * x)
    path = _write(tmp_path, "line.csv", "x,y\n" + "".join(f"{a:.5f},{2 * a + 1 + n:.5f}\n" for a, n in zip(x, noise)))
    assert window.io.open_example("1_linear_7_days.ncproj", ask=False)     # its MSE and learning rate
    dlg = open_import(qtbot, window, monkeypatch, path)
    confirm(qtbot, window, dlg)
    ctl, panel = window.training, window.training.panel
    surf = window.findChild(SurfacePlot, "surfacePlot")
    panel.epochs_edit.selectAll()
    qtbot.keyClicks(panel.epochs_edit, "40")
    qtbot.keyClick(panel.epochs_edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(ctl.training_finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "lowest" in surf.info.text(), timeout=TIMEOUT)
    loss = window.findChild(LossPlot)
    vp = loss.plot.viewport()
    for dx in (0.9, 0.95):
        qtbot.mouseMove(vp, type(vp.rect().center())(int(vp.width() * dx), vp.height() // 2))
    qtbot.waitUntil(lambda: "validation" in loss.readout.text(), timeout=TIMEOUT)
    texts = {"panel": re.sub("<[^>]+>", " ", panel.metrics_label.text()), "surface": surf.info.text(),
             "readout": loss.readout.text()}
    numbers = {k: re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]\d+)?", t.replace("&nbsp;", " "))
               for k, t in texts.items()}
    small = [n for ns in numbers.values() for n in ns if 0 < abs(float(n)) < 1e-3]
    assert small, texts                                        # the run reached losses below 0.001
    for n in small:                                            # one rule: 0.0007 everywhere, 7e-05 below 1e-4
        assert ("e" in n) == (abs(float(n)) < 1e-4), (n, texts)
        assert not re.search(r"\.\d*0e", n), (n, texts)       # no "7.00e-04"
