"""Test configuration: Qt runs offscreen, set before anything imports Qt."""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATASETS = ROOT / "resources" / "datasets"


def pytest_sessionfinish(session, exitstatus):
    """Empty the clipboard while Python still runs: Qt would otherwise free a
    Python-made QMimeData (from copy/paste tests) after the interpreter is gone."""
    if "PySide6.QtGui" not in sys.modules:
        return
    from PySide6.QtGui import QGuiApplication
    app = QGuiApplication.instance()
    if app is not None:
        app.clipboard().clear()


# -- shared GUI fixtures ---------------------------------------------------------------------------
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _gc_on_gui_thread(request):
    """As in the program (gui/app.py): cyclic garbage is collected on the GUI thread only, so a
    Qt wrapper freed by a background thread cannot deadlock a widget's destruction."""
    if "qapp" in request.fixturenames or "qtbot" in request.fixturenames:
        request.getfixturevalue("qapp")
        from gui.common.main_thread_gc import collect_on_gui_thread
        collect_on_gui_thread()
    yield
    import gc
    if not gc.isenabled():          # the young generations, on this (the main) thread
        gc.collect(1)


@pytest.fixture
def isolated_settings(tmp_path, qapp):
    """QSettings in a temporary folder, so tests neither read nor write the user's (the speed
    preference, the window's geometry); modules use it with ``pytestmark``."""
    from PySide6.QtCore import QCoreApplication, QSettings
    QCoreApplication.setOrganizationName("NetCanvasTests")
    QCoreApplication.setApplicationName("NetCanvasTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    yield


SIGMOID_EXAMPLE = "2_sigmoid_hidden_layer.ncproj"   # input → dense1 → sigmoid1 → dense2 → output


@pytest.fixture
def sigmoid_example_window(qtbot, isolated_settings):
    """The main window on example 2, shown, without modal dialogs; errors collect in ``errors``."""
    from PySide6.QtWidgets import QMessageBox

    from gui.window.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    w.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    w.show_error = lambda title, text: w.errors.append(text)
    w.errors = []
    w.show()
    qtbot.waitExposed(w)
    assert w.io.open_example(SIGMOID_EXAMPLE, ask=False)
    assert w.document.dataset is not None and w.actionTrain.isEnabled()
    yield w
    w.training.shutdown()
    w.document.undo_stack.setClean()
    w.document._extra_dirty = False


@pytest.fixture
def data_window(qtbot, qapp, tmp_path):
    """The main window for the data tests (settings isolated, no modal dialogs; errors collect in
    ``errors``), shown; its data part shut down afterwards."""
    from gui_data_helpers import isolate_settings, make_window
    isolate_settings(tmp_path)
    win = make_window()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.data_controller.shutdown()
    win.document.undo_stack.setClean()
    win.document._extra_dirty = False
