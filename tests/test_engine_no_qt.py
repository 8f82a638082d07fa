"""The engine is plain NumPy: it imports and trains with Qt made unimportable."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"
FORBIDDEN = ("PySide6", "PySide2", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6", "qtpy")

SCRIPT = r"""
import importlib, pkgutil, sys
for name in {forbidden!r}:
    sys.modules[name] = None            # any import of it now raises ImportError
import numpy as np
import engine
loaded = []
for info in pkgutil.iter_modules(engine.__path__):
    importlib.import_module("engine." + info.name)
    loaded.append(info.name)
from engine.graph import sequential
from engine.trainer import ArrayData, TrainConfig, Trainer
rng = np.random.default_rng(0)
X = rng.normal(size=(64, 2))
y = X[:, 0] - 2 * X[:, 1]
tr = Trainer(sequential(2, [(4, "tanh")]), ArrayData(X, y), TrainConfig(optimizer="adam", lr=0.05,
             batch_size=16, epochs=5))
tr.run()
assert tr.updates == 20 and tr.stop_reason == "epochs", tr.metrics()
assert tr.epochs[-1]["train_loss"] < tr.epochs[0]["train_loss"]
qt = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r} and sys.modules[m] is not None)
assert not qt, qt
print("OK", " ".join(sorted(loaded)))
"""


def test_engine_imports_and_trains_without_qt():
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(forbidden=FORBIDDEN)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split()
    assert out[0] == "OK"
    expected = sorted([p.stem for p in ENGINE.glob("*.py") if p.stem != "__init__"]
                      + [p.parent.name for p in ENGINE.glob("*/__init__.py")])     # engine.torch_export
    assert out[1:] == expected


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) \
                in ("import_module", "__import__") and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            names.add(node.args[0].value)
    return names


def test_no_engine_file_imports_qt_or_the_gui():
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) >= 8
    offenders = {}
    for path in files:
        bad = {m for m in _imported_modules(path)
               if m.split(".")[0] in FORBIDDEN or m.split(".")[0] == "gui"}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_static_check_would_see_a_qt_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom PySide6.QtCore import QObject\n"
                      "import importlib\nimportlib.import_module('pyqtgraph')\n")
    assert {"PySide6.QtCore", "pyqtgraph"} <= _imported_modules(sample)
