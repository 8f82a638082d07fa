"""Closing the window quits the program, cleanly, even after copying nodes.

Two bugs this caught: a reused label taken out of its layout became a
top-level window of its own, so closing the main window left the process
running; and Qt freed a Python-made clipboard object after the interpreter had
gone (a segfault at exit)."""
import os
import subprocess
import sys
import textwrap

from conftest import ROOT

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    import gui.app as app_module
    from gui.window.main_window import MainWindow

    def copy_and_quit(w):
        w.actionSelectAll.trigger()
        w.actionCopy.trigger()
        if w.editor.clipboard_payload() is None:
            sys.exit("nothing was copied")
        w.document.mark_saved()                 # no Save/Discard question
        w.close()

    class Scripted(MainWindow):
        def __init__(self):
            super().__init__()
            QTimer.singleShot(100, lambda: copy_and_quit(self))

    import gui.window.main_window
    gui.window.main_window.MainWindow = Scripted
    sys.exit(app_module.run([]))
""")


def test_quit_after_copy_exits_cleanly(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               XDG_CONFIG_HOME=str(tmp_path))          # a fresh QSettings file
    r = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
