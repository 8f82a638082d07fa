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
