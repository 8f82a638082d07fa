"""Polish a person notices at once: disabled controls look disabled, the toolbar's buttons stay
put when Train turns into Resume, a small window stays usable, and the plots' labels read well."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from gui.plots.surface_plot import NAME_ROLE
from gui.common.style import apply_style

B = QMessageBox.StandardButton


@pytest.fixture
def styled(qapp):
    """The application's own look (gui.app.make_app applies it), undone after the test."""
    style, palette, sheet = qapp.style().name(), QPalette(qapp.palette()), qapp.styleSheet()
    apply_style(qapp)
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)


@pytest.fixture
def window(qtbot, isolated_settings):
    from gui.window.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    w.ask_unsaved = lambda: B.Discard
    w.show_error = lambda title, text: None
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.training is not None:
        w.training.shutdown()
    w.document.undo_stack.setClean()
    w.document._extra_dirty = False


def _darkest_text_pixel(edit: QLineEdit) -> int:
    """The lowest grey level inside the field (its text), away from the frame."""
    img = edit.grab().toImage()
    r = edit.rect().adjusted(5, 4, -5, -4)
    return min(QColor(img.pixel(x, y)).lightness() for x in range(r.left(), r.right())
               for y in range(r.top(), r.bottom()))


def test_disabled_controls_are_greyed(styled, qtbot):
    pal = QApplication.palette()
    G, R = QPalette.ColorGroup, QPalette.ColorRole
    for role in (R.Text, R.WindowText, R.ButtonText):
        assert pal.color(G.Disabled, role) != pal.color(G.Active, role)
        assert pal.color(G.Disabled, role).lightness() > pal.color(G.Active, role).lightness() + 60
    assert pal.color(G.Disabled, R.Base) != pal.color(G.Active, R.Base)
    on, off = QLineEdit("0.9"), QLineEdit("0.9")
    off.setEnabled(False)
    for e in (on, off):
        qtbot.addWidget(e)
        e.resize(120, 26)
        e.show()
    qtbot.waitExposed(off)
    assert _darkest_text_pixel(off) > _darkest_text_pixel(on) + 60


def test_toolbar_buttons_stay_put_when_train_becomes_resume(window, qtbot):
    """Train → Pause: the Train button now reads "Resume", and Pause and Step have not moved, so a
    second click lands where the first one did."""
    w = window
    train, pause = w.toolbar.widgetForAction(w.actionTrain), w.toolbar.widgetForAction(w.actionPause)
    step = w.toolbar.widgetForAction(w.actionStep)
    assert train.text() == "Train"
    xs = (pause.x(), step.x())
    with qtbot.waitSignal(w.training.state_changed, check_params_cb=lambda s: s == "running"):
        qtbot.mouseClick(train, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(pause.isEnabled)
    with qtbot.waitSignal(w.training.state_changed, check_params_cb=lambda s: s == "paused"):
        qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    assert train.text() == "Resume"
    QApplication.processEvents()
    w.toolbar.layout().activate()
    assert (pause.x(), step.x()) == xs
    assert train.fontMetrics().horizontalAdvance("Resume") + train.iconSize().width() < train.width()


def _axis_texts(axis) -> list[str]:
    """The tick labels an axis draws now."""
    img = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(img)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [t[2] for t in specs[2]] if specs else []


def test_a_1024_by_700_window_stays_usable(styled, window, qtbot):
    """A small laptop window: narrower side panels give the canvas a readable zoom, the plots keep
    their month labels and the error surface's pickers show whole parameter names."""
    from gui.window.main_window import PANELS_WIDTH, PANELS_WIDTH_SMALL
    w = window
    w.resize(1024, 700)
    w.reset_layout()
    qtbot.waitUntil(lambda: w.properties_dock.width() <= PANELS_WIDTH_SMALL + 10)
    assert w.palette_dock.width() <= 140
    ctl = w.training
    w.io.open_example("2_sigmoid_hidden_layer.ncproj", ask=False)   # a 5-node chain
    qtbot.waitUntil(lambda: ctl.fit_plot.mode == "series" and ctl.surface_plot.combo_a.name() != "")
    qtbot.waitUntil(lambda: w.canvas_view.zoom() >= 0.58)    # was 0.52 with the 1400 px panels
    view = w.canvas_view
    assert view.mapToScene(view.viewport().rect()).boundingRect().contains(w.scene.nodes_rect())
    fit_axis = ctl.fit_plot.plot.getPlotItem().getAxis("bottom")
    assert ctl.fit_plot.plot.width() < 360
    months = [t for t in _axis_texts(fit_axis) if t.isalpha()]
    assert len(months) >= 3, months                 # a year of days, still named by its months
    picker = ctl.surface_plot.combo_a
    edit = picker.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, "dense1.W[6,3]")
    with qtbot.waitSignal(picker.picked):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert edit.text() == "dense1.W[6,3]"
    assert edit.fontMetrics().horizontalAdvance(edit.text()) <= edit.contentsRect().width() - 4
    assert picker.minimumContentsLength() >= len("dense1.W[6,3]")     # never squeezed below a name
    w.resize(1400, 900)                       # and back: the large window's layout as it was
    w.reset_layout()
    qtbot.waitUntil(lambda: abs(w.properties_dock.width() - PANELS_WIDTH) <= 10)


def test_confusion_matrix_fills_its_plot_with_readable_class_names(window, qtbot):
    """Iris: three names under three columns that do not run into each other, a matrix as wide as
    the plot, and hovering a cell says what it counts."""
    w = window
    fit = w.training.fit_plot
    w.io.open_example("5_iris_classifier.ncproj", ask=False)           # 5. Iris classifier
    qtbot.waitUntil(lambda: fit.mode == "classes")
    p = fit.plot.getPlotItem()
    vb = p.getViewBox()
    qtbot.waitUntil(lambda: fit.plot.isVisible() and vb.width() > 200)
    image = fit.image.mapRectToScene(fit.image.boundingRect())
    assert image.width() >= 0.95 * vb.sceneBoundingRect().width()       # not a small square
    img = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(img)
    try:
        texts = p.getAxis("bottom").generateDrawSpecs(painter)[2]
    finally:
        painter.end()
    assert [t[2] for t in texts] == ["setosa", "versicolor", "virginica"]
    rects = [t[0] for t in texts]
    assert all(not a.intersects(b) for a, b in zip(rects, rects[1:]))
    cell = vb.mapViewToScene(QPointF(2.5, 1.5))          # predicted virginica, actual versicolor
    pos = fit.plot.mapFromScene(cell)
    qtbot.mouseMove(fit.plot.viewport(), pos - QPoint(20, 0))        # arrive from the left
    qtbot.mouseMove(fit.plot.viewport(), pos)
    qtbot.waitUntil(fit.readout.isVisible)
    assert fit.readout.text().startswith("actual versicolor, predicted virginica")


def _raise_dock_of(widget) -> None:
    from PySide6.QtWidgets import QDockWidget
    dock = widget.parentWidget()
    while not isinstance(dock, QDockWidget):
        dock = dock.parentWidget()
    dock.raise_()


def test_words_say_what_the_numbers_are(window, qtbot):
    """Example 1 (temperatures, standardized target): the surface's header reads "loss here … ·
    lowest … at (…)", the parameter list's layer headers are not cut, the losses carry
    "(standardized)" with a tooltip that gives the scale, and one update per epoch is "1 update"."""
    import re
    from gui.training.panel import count
    w = window
    ctl, panel, sp = w.training, w.training.panel, w.training.surface_plot
    assert w.io.open_example("1_linear_7_days.ncproj", ask=False)
    qtbot.waitUntil(lambda: w.document.dataset is not None, timeout=30000)
    qtbot.waitUntil(lambda: sp.surface is not None and "lowest" in sp.info.text(), timeout=30000)
    assert re.fullmatch(r"loss here \d+\.\d+ · lowest \d+\.\d+ at \(-?[\d.]+, -?[\d.]+\)( · .*)?",
                        sp.info.text()), sp.info.text()
    here, lowest = (float(v) for v in re.findall(r"(?:here|lowest) (\d+\.\d+)", sp.info.text()))
    assert lowest <= here * 1.001
    picker = sp.combo_a
    bold = QFont(picker.view().font())
    bold.setBold(True)
    headers = [picker.itemText(i) for i in range(picker.count()) if picker.itemData(i, NAME_ROLE) is None]
    assert headers and all(QFontMetrics(bold).horizontalAdvance(h) < picker.view().minimumWidth() - 20
                           for h in headers)

    _raise_dock_of(panel)
    qtbot.waitUntil(panel.step_button.isVisible)
    with qtbot.waitSignal(ctl.snapshot_received, timeout=20000):
        qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: "train" in panel.metrics_label.text())
    assert "(standardized)" in panel.metrics_label.text()
    sd = float(w.document.dataset.y_std[0])
    panel._on_metrics_link_hovered("train_loss")          # what hovering "train loss" shows
    assert f"standardized target (1 = {sd:.4g} temp_max" in panel.metrics_label.toolTip()
    assert "MAE and RMSE are in temp_max" in panel.metrics_label.toolTip()

    with qtbot.waitSignal(ctl.state_changed, timeout=10000):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    edit = panel.batch_edit
    qtbot.waitUntil(edit.isEnabled)
    edit.selectAll()
    qtbot.keyClicks(edit, "5000")                  # more than the 1,163 examples: one batch
    assert panel.summary_label.text() == "1,163 examples, 1,163 per batch → 1 update per epoch"
    assert (count(1, "example"), count(2, "row"), count(1163, "update")) == \
        ("1 example", "2 rows", "1,163 updates")


def test_units_plot_says_in_one_sentence_why_it_is_empty(window, qtbot):
    """Iris is a classification: no empty axes and legend, one sentence saying what the plot is for."""
    w = window
    units = w.training.units_plot
    w.io.open_example("5_iris_classifier.ncproj", ask=False)
    qtbot.waitUntil(lambda: units.ctx is not None and units.ctx.mode == "classes")
    qtbot.waitUntil(units.note_label.isVisible)
    assert not units.plot.isVisible() and not units.sum_plot.isVisible() and not units.legend.isVisible()
    note = units.note_label.text()
    assert "b + Σ cᵢ·aᵢ(x)" in note and "classification" in note and "3 classes" in note
    w.io.open_example("1_linear_7_days.ncproj", ask=False)               # a series again: the panes come back
    qtbot.waitUntil(lambda: units.ctx is not None and units.ctx.mode == "series")
    qtbot.waitUntil(units.plot.isVisible)
    assert not units.note_label.isVisible() and units.legend.isVisible()
