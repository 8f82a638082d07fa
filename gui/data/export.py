"""File → Export: the trained model as ONNX (checked with onnxruntime) or NumPy + JSON.

The export is refused, with the reason, when the graph is invalid or does not
fit the loaded data; an untrained model is exported only after the person
confirms. An ONNX file is exported as the command line exports it, by
:func:`engine.export.export_onnx_checked`: written next to the target, run with
onnxruntime on the validation rows, and put in place only when its largest
relative difference from the engine is within :data:`TOLERANCE`
(``engine.export.ONNX_TOLERANCE``, the design's promise of 1e-5 relative);
otherwise the message says the file was not written and why, and an earlier
file of that name is left as it was. The difference is reported with the
success message. Every failure is one line in a message box and the status
bar, never a traceback.
"""
from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.export import ONNX_TOLERANCE as TOLERANCE
from engine.export import ExportError, Preprocessing, export_onnx_checked
from engine.export_npz import export_npz
from engine.model import Model, ModelError
from gui.window.protocols import WindowServices

__all__ = ["ExportController", "TOLERANCE", "ONNX_FILTER", "NPZ_FILTER"]

ONNX_FILTER = "ONNX model (*.onnx)"
NPZ_FILTER = "NumPy weights + JSON (*.npz)"
VERIFY_ROWS = 10_000


class ExportController(QObject):
    """Carries out File → Export for a window; ``export_finished(ok, message)`` reports."""

    export_finished = Signal(bool, str)

    def __init__(self, window: WindowServices, document) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.last_result: tuple[bool, str] | None = None
        self.last_box: QMessageBox | None = None
        self._last_dir = os.path.expanduser("~")

    # ------------------------------------------------------------------ checks
    def refusal(self) -> str:
        """Why the model cannot be exported now ('' if it can)."""
        doc = self.document
        issues = doc.issues()
        if issues:
            first = issues[0]
            where = f" (node {first.node})" if getattr(first, "node", None) else ""
            more = f"; and {len(issues) - 1} more problem{'s' if len(issues) > 2 else ''}" if len(issues) > 1 else ""
            return f"the network is not valid: {first.message}{where}{more}"
        ds = doc.dataset
        if ds is not None:
            inp = doc.graph.nodes[doc.graph.input_node()].params["features"]
            if inp != ds.n_features:
                return (f"the Input node takes {inp} features but the data has {ds.n_features}; "
                        "set the Input width or import the data again")
            out = doc.graph.nodes[doc.graph.output_node()].params
            if out["task"] != ds.task:
                return f"the Output node says {out['task']} but the data is a {ds.task} task"
        return ""

    def _build_model(self) -> Model:
        doc = self.document
        model = Model(doc.graph, dtype=doc.train_config.dtype, seed=doc.train_config.seed)
        if doc.weights is not None:
            try:
                model.set_weights(doc.weights)
            except (ModelError, ValueError, KeyError) as exc:
                raise ExportError(f"the trained weights no longer fit the network ({exc}); "
                                  "train again before exporting") from None
        return model

    def _preprocessing(self, model: Model) -> Preprocessing:
        ds = self.document.dataset
        if ds is not None:
            return Preprocessing.from_dataset(ds)
        return Preprocessing.identity(model.n_inputs, model.task,
                                      n_targets=model.n_outputs if model.task == "regression" else 1)

    def _check_rows(self, model: Model) -> tuple[np.ndarray, str]:
        ds = self.document.dataset
        if ds is not None and ds.n_val:
            X = ds.X_raw("val")
            return X[:VERIFY_ROWS], f"the {min(len(X), VERIFY_ROWS):,} validation rows"
        if ds is not None:
            X = ds.X_raw("train")
            return X[:VERIFY_ROWS], f"{min(len(X), VERIFY_ROWS):,} training rows (no validation rows)"
        rng = np.random.default_rng(0)
        return rng.standard_normal((256, model.n_inputs)), "256 random rows (no data loaded)"

    # ------------------------------------------------------------------ the action
    def ask_path(self) -> tuple[str, str] | None:
        """(path, 'onnx' | 'npz') from a save dialog, or None when cancelled."""
        doc = self.document
        stem = _safe_stem(doc.name)
        start = os.path.dirname(doc.path) if doc.path else self._last_dir
        path, chosen = QFileDialog.getSaveFileName(
            self.window, "Export model", os.path.join(start, stem + ".onnx"),
            f"{ONNX_FILTER};;{NPZ_FILTER}")
        if not path:
            return None
        ext = os.path.splitext(path)[1].lower()
        if ext == ".onnx":
            fmt = "onnx"
        elif ext == ".npz":
            fmt = "npz"
        else:
            fmt = "npz" if chosen == NPZ_FILTER else "onnx"
            path += "." + fmt
        return path, fmt

    def export(self, path: str | None = None, fmt: str | None = None) -> bool:
        """Run the whole export with its questions; True when a file was written and checked."""
        reason = self.refusal()
        if reason:
            return self.report(False, f"Cannot export: {reason}.", title="Export refused")
        if self.document.weights is None:
            answer = QMessageBox.question(
                self.window, "Export an untrained model?",
                "This network has not been trained: its weights are still the random starting "
                "values, so its predictions mean nothing yet.\n\nExport it anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                self._status("Export cancelled: the model is untrained")
                return False
        try:
            model = self._build_model()
            pre = self._preprocessing(model)
            pre.check(model)
        except (ExportError, ModelError, ValueError) as exc:
            return self.report(False, f"Cannot export: {exc}", title="Export refused")
        if path is None:
            chosen = self.ask_path()
            if chosen is None:
                return False
            path, fmt = chosen
        fmt = fmt or ("npz" if path.lower().endswith(".npz") else "onnx")
        self._last_dir = os.path.dirname(os.path.abspath(path))
        try:
            if fmt == "npz":
                info = export_npz(model, pre, path)
                return self.report(True, f"Exported the weights to {os.path.basename(info['path'])} "
                                          f"and their description to {os.path.basename(info['json'])} "
                                          f"in {os.path.dirname(info['path'])}.")
            X, what = self._check_rows(model)
            existed = os.path.exists(path)
            check = export_onnx_checked(model, pre, path, X)
        except (ExportError, ModelError, OSError, ValueError) as exc:
            return self.report(False, f"Export failed: {exc}")
        name = os.path.basename(check.path)
        if not check.written:
            kept = f"; {name} is as it was" if existed else ""
            return self.report(False, f"{name} was not written: onnxruntime disagrees with the engine on "
                                       f"{what}: largest relative difference {check.diff:.2e} "
                                       f"(more than the {_sci(TOLERANCE)} allowed){kept}.")
        return self.report(True, f"Exported {name} ({_size(check.bytes)}). Checked with onnxruntime on "
                                  f"{what}: largest relative difference from the engine {check.diff:.1e} "
                                  f"(at most {_sci(TOLERANCE)} allowed).")

    # ------------------------------------------------------------------ reporting
    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 15000)

    def report(self, ok: bool, message: str, title: str | None = None) -> bool:
        self.last_result = (ok, message)
        self._status(message)
        box = QMessageBox(QMessageBox.Icon.Information if ok else QMessageBox.Icon.Warning,
                          title or ("Export finished" if ok else "Export failed"), message,
                          QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("exportMessage")
        if self.last_box is not None:
            try:
                self.last_box.close()
            except RuntimeError:
                pass
        self.last_box = box
        box.open()
        self.export_finished.emit(ok, message)
        return ok


def _safe_stem(name: str | None) -> str:
    """A file name from the project name: letters, digits, space, - and _ only (a name like
    "Linear model: tomorrow…" must not put a ':' or '/' into the suggested file)."""
    keep = "".join(c if c.isalnum() or c in " -_" else "_" for c in (name or ""))
    return keep.strip()[:60] or "model"


def _sci(x: float) -> str:
    """1e-05 → '1e-5'."""
    mantissa, exponent = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MB"
