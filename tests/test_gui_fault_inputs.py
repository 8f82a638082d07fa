"""The window with bad inputs (issue 10): special files never hang the import view, a damaged
project opened through File → Open shows one message and keeps the old project, and a project's
data outside its folder is read only after the person agrees. Acts as a person; waits on signals."""
import os
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

from gui_data_helpers import isolate_settings, make_window

TIMEOUT = 15_000


@pytest.fixture
def window(qtbot, qapp, tmp_path):
    isolate_settings(tmp_path)
    win = make_window()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.data_controller.shutdown()
    win.document.undo_stack.setClean()
    win.document._extra_dirty = False


def open_import(qtbot, window, monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "CSV files (*.csv)"))
    with qtbot.waitSignal(window.data_controller.dialog_opened, timeout=TIMEOUT) as opened:
        window.actionImportCsv.trigger()
    dlg = opened.args[0]
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        pass
    return dlg


# -- 5 -------------------------------------------------------------------------------------------------
def test_importing_a_fifo_says_why_and_closes_at_once(qtbot, window, monkeypatch, tmp_path):
    fifo = tmp_path / "live.csv"
    os.mkfifo(fifo)
    dlg = open_import(qtbot, window, monkeypatch, fifo)
    assert not dlg.ok_button.isEnabled()
    assert "is a pipe" in dlg.blocked_reason()
    t0 = time.perf_counter()
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert not dlg.isVisible()
    assert time.perf_counter() - t0 < 2.0          # no reader thread left waiting for a writer
