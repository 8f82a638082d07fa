"""The window with bad inputs (issue 10): special files never hang the import view, a damaged
project opened through File → Open shows one message and keeps the old project, and a project's
data outside its folder is read only after the person agrees. Acts as a person; waits on signals."""
import os
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from gui_data_helpers import open_import

# -- 5 -------------------------------------------------------------------------------------------------
def test_importing_a_fifo_says_why_and_closes_at_once(qtbot, data_window, monkeypatch, tmp_path):
    window = data_window
    fifo = tmp_path / "live.csv"
    os.mkfifo(fifo)
    dlg = open_import(qtbot, window, monkeypatch, fifo)
    assert not dlg.ok_button.isEnabled()
    assert "is a pipe" in dlg.blocked_reason()
    t0 = time.perf_counter()
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert not dlg.isVisible()
    assert time.perf_counter() - t0 < 2.0          # no reader thread left waiting for a writer
