"""File → Export PyTorch Training Package (folder): ``engine.torch_export`` in a background job.

The package is written by :func:`engine.torch_export.export_torch_package` (the command line's
``export-torch``) off the GUI thread: reading the data and writing the weights grow with the
network and the file. The folder is written next to its target and renamed into place; a folder
that exists and is not empty is replaced only after the person confirms. The result is reported
as the other exports are (a message box, the status bar, ``ExportController.export_finished``).
"""
from __future__ import annotations

import copy
import os

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.project import Project
from engine.torch_export import TorchExportError, check_target, export_torch_package
from gui.common.jobs import BackgroundJob

__all__ = ["TorchExportController"]


class TorchExportController(QObject):
    """Carries out the PyTorch package export for a window; reports through ``exporter.report``."""

    def __init__(self, window, document, exporter) -> None:
        super().__init__(window)
        self.window, self.document, self.exporter = window, document, exporter
        self.job: BackgroundJob | None = None

    def ask_folder(self) -> str | None:
        doc = self.document
        start = os.path.dirname(doc.path) if doc.path else os.path.expanduser("~")
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in (doc.name or "model")).strip("_") or "model"
        path, _ = QFileDialog.getSaveFileName(self.window, "Export PyTorch training package (folder)",
                                              os.path.join(start, f"{stem}_torch"), "Folder (*)")
        return path or None

    def _snapshot(self) -> Project:
        doc = self.document
        spec = doc.data_spec.to_dict() if hasattr(doc.data_spec, "to_dict") else copy.deepcopy(doc.data_spec)
        weights = None if doc.weights is None else {k: v.copy() for k, v in doc.weights.items()}
        return Project(graph=doc.graph.copy(), data_path=doc.data_path, data_spec=spec,
                       train_config=copy.deepcopy(doc.train_config), weights=weights, name=doc.name or "")

    def export(self, path: str | None = None, force: bool | None = None) -> bool:
        """Start the export; False when refused or cancelled (the result arrives by ``export_finished``)."""
        reason = self.exporter.refusal()
        if not reason and (self.document.dataset is None or not self.document.data_path):
            reason = "the package prepares data as the project does; import a CSV file first"
        if reason:
            return self.exporter.report(False, f"Cannot export: {reason}.", title="Export refused")
        if self.job is not None and self.job.is_alive():
            return self.exporter.report(False, "A PyTorch package is already being written.")
        if path is None:
            path = self.ask_folder()
            if path is None:
                return False
        if force is None:
            force = False
            if os.path.isdir(path) and os.listdir(path):
                answer = QMessageBox.question(
                    self.window, "Replace the folder?",
                    f"{path} exists and is not empty. Replace it with the PyTorch package?",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
                if answer != QMessageBox.StandardButton.Yes:
                    return False
                force = True
        try:
            check_target(path, force)
        except TorchExportError as exc:
            return self.exporter.report(False, f"Export failed: {exc}")
        project = self._snapshot()
        self.job = BackgroundJob(lambda cancelled: export_torch_package(project, path, force=force),
                                 name="netcanvas-export-torch", parent=self)
        self.job.done.connect(self._on_job_done)
        self.job.failed.connect(self._on_job_failed)
        self.window.statusBar().showMessage(f"Writing the PyTorch package {path}…")
        self.job.start()
        return True

    def _on_job_done(self, info) -> None:
        weights = "the trained weights" if info.trained else "the fresh weights (the network is not trained yet)"
        self.exporter.report(True, f"Wrote the PyTorch training package {info.path} with {weights}. "
                                   f"Check it with: python verify.py; train with: torchrun "
                                   f"--nproc_per_node=N train.py --csv FILE (see its README.md).")

    def _on_job_failed(self, message: str) -> None:
        self.exporter.report(False, f"Export failed: {message.split(': ', 1)[-1]}")

    def shutdown(self) -> None:
        if self.job is not None:
            self.job.wait(30)
