"""Polish a person notices at once: disabled controls look disabled, the toolbar's buttons stay
put when Train turns into Resume, a small window stays usable, and the plots' labels read well."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from gui.style import apply_style

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
def isolated_settings(tmp_path, qapp):
    QCoreApplication.setOrganizationName("NetCanvasTests")
    QCoreApplication.setApplicationName("NetCanvasTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture
def window(qtbot, isolated_settings):
    from gui.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    w._ask_unsaved = lambda: B.Discard
    w._show_error = lambda title, text: None
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
