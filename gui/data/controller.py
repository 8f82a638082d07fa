"""Data in the window: the dataset panel, File → Import CSV, File → Export, and
the dataset of an opened project.

:func:`install_data` is called once by ``MainWindow.__init__``. It creates a
:class:`DataController` (kept as ``window.data_controller``) which

- docks the dataset panel (objectName ``datasetPanel``),
- connects ``window.actionImportCsv`` to the import view and
  ``window.actionExport`` to :class:`gui.data.export.ExportController`,
- sets ``window.csv_import_handler(path)`` (drop / open of a .csv) and
  ``window.project_data_loader(project)`` (an opened project's data).

Confirming the import view pushes one undoable :class:`SetDataCommand`, which also fits
the network and the loss to the data (:func:`engine.fitting.fit_graph_to_data`).
"""
from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QFileDialog

from engine.data import DataError, DataSpec, load_dataset, plural
from gui.document.commands import SetDataCommand
from gui.data.export import ExportController
from gui.data.export_torch import TorchExportController
from gui.data.loading import CsvLoader
from gui.data.dataset_panel import DatasetPanel
from gui.data.import_dialog import ImportDialog
from gui.window.protocols import WindowServices

__all__ = ["install_data", "DataController", "CSV_FILTER", "SYNC_LOAD_BYTES"]

CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"
SYNC_LOAD_BYTES = 1 << 20     # a project's data below this (a few ms to read) loads before open returns;
                              # anything larger loads in the background


class DataController(QObject):
    """Owns the import view, the dataset panel and the exporter of one window."""

    dialog_opened = Signal(object)          # the ImportDialog just shown
    data_applied = Signal()                 # an import was confirmed and pushed
    project_data_loaded = Signal(bool)      # a project's dataset: True = loaded, False = not

    def __init__(self, window: WindowServices) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.dialog: ImportDialog | None = None
        self.panel = DatasetPanel(self.document)
        self.panel.import_requested.connect(self.import_csv)
        self.panel.edit_requested.connect(self.edit_import)
        self.dock = window.add_panel_dock(self.panel, "Dataset")
        self.exporter = ExportController(window, self.document)
        self.torch_exporter = TorchExportController(window, self.document, self.exporter)
        self._project_loader: CsvLoader | None = None
        self._last_dir = os.path.expanduser("~")

    # ------------------------------------------------------------------ import
    def import_csv(self, path: str | None = None) -> ImportDialog | None:
        """Open the import view for ``path`` (asks for a file when None)."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.window, "Import CSV", self._start_dir(), CSV_FILTER)
            if not path:
                return None
        return self._open_dialog(path, None)

    def edit_import(self) -> ImportDialog | None:
        """Reopen the import view with the document's current file and settings."""
        doc = self.document
        if doc.data_path is None:
            return self.import_csv()
        path = doc.data_path
        if not os.path.exists(path):
            path = self._locate(path)
            if not path:
                return None
        return self._open_dialog(path, doc.data_spec)

    def _open_dialog(self, path: str, spec) -> ImportDialog:
        if self.dialog is not None:
            self.dialog.reject()
        self._last_dir = os.path.dirname(os.path.abspath(path))
        dlg = ImportDialog(path, spec, parent=self.window)
        dlg.accepted.connect(lambda d=dlg: self._on_dialog_accepted(d))
        dlg.finished.connect(lambda _r, d=dlg: self._on_dialog_finished(d))
        self.dialog = dlg
        dlg.open()
        self.dialog_opened.emit(dlg)
        return dlg

    def _on_dialog_accepted(self, dlg: ImportDialog) -> None:
        if dlg.result is None:
            return
        path, spec, dataset = dlg.result
        # one command: the data, and the network and the loss following it (engine.fitting)
        self.document.undo_stack.push(SetDataCommand(self.document, path, spec, dataset))
        self.panel.show_problem("")
        self.dock.raise_()
        self.window.add_recent(path)
        self._status(f"Using {os.path.basename(path)}: {plural(dataset.n_train + dataset.n_val, 'example')}, "
                     f"{plural(dataset.n_features, 'feature')}")
        self.data_applied.emit()

    def _on_dialog_finished(self, dlg: ImportDialog) -> None:
        if self.dialog is dlg:
            self.dialog = None
        dlg.deleteLater()

    # ------------------------------------------------------------------ projects
    def load_project_data(self, project) -> None:
        """Rebuild an opened project's dataset from its CSV and settings.

        The project stays open whatever happens: a moved file is asked for
        (cancel keeps the project without data), a problem is shown in the
        dataset panel and the status bar.
        """
        doc = self.document
        path, spec_dict = project.data_path, project.data_spec
        if not path:
            return
        try:
            spec = DataSpec.from_dict(spec_dict) if isinstance(spec_dict, dict) else spec_dict
        except DataError as exc:
            self._project_problem(f"The project's data settings cannot be used: {exc}")
            return
        if spec is None:
            self._project_problem("The project names a data file but no data settings; use Edit import…")
            doc.set_data(path, None, None)
            return
        if project.data_outside and not self.window.ask_outside_data(path):
            doc.set_data(path, spec, None)
            self._project_problem(f"The data file {path} lies outside the project's folder and was not "
                                  "read. Use Edit import… to pick the file.")
            self.project_data_loaded.emit(False)
            return
        if not os.path.exists(path):
            found = self._locate(path)
            if not found:
                doc.set_data(path, spec, None)
                self._project_problem(f"The data file {path} was not found; the project is open without "
                                      "its data. Use Edit import… to pick the file.")
                self.project_data_loaded.emit(False)
                return
            path = found
            doc.mark_modified()
        doc.set_data(path, spec, None)
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
        if size <= SYNC_LOAD_BYTES:
            try:
                dataset = load_dataset(path, spec)     # the spec's delimiter, encoding, header, skipping
            except DataError as exc:
                self._project_problem(f"The project's data could not be loaded: {exc}")
                self.project_data_loaded.emit(False)
                return
            except Exception as exc:  # noqa: BLE001 - shown to the person, never a traceback at start-up
                self._project_problem(f"The project's data could not be loaded: {type(exc).__name__}: {exc}")
                self.project_data_loaded.emit(False)
                return
            self._project_data_ready(path, spec, dataset)
            return
        self._load_project_data_async(path, spec)

    def _load_project_data_async(self, path: str, spec: DataSpec) -> None:
        if self._project_loader is not None:
            self._project_loader.shutdown()
            self._project_loader.deleteLater()
        loader = CsvLoader(self)
        self._project_loader = loader
        self._status(f"Reading {os.path.basename(path)}…")
        loader.progress_changed.connect(
            lambda f: self._status(f"Reading {os.path.basename(path)}… {round(f * 100)} %"))
        loader.table_read.connect(lambda table: loader.build(table, spec))
        loader.dataset_built.connect(lambda ds: self._project_data_ready(path, spec, ds))

        def failed(message: str) -> None:
            self._project_problem(f"The project's data could not be loaded: {message}")
            self.project_data_loaded.emit(False)
        loader.load_failed.connect(failed)
        loader.build_failed.connect(failed)
        loader.load(path, spec.delimiter, spec.encoding, spec.header, spec.skip_bad_lines)

    def _project_data_ready(self, path: str, spec: DataSpec, dataset) -> None:
        doc = self.document
        if doc.data_path != path:
            return                      # another project or import replaced it meanwhile
        doc.set_data(path, spec, dataset)
        self.panel.show_problem("")
        self._status(f"Loaded {os.path.basename(path)}: {plural(dataset.n_train + dataset.n_val, 'example')}")
        self.project_data_loaded.emit(True)

    def _project_problem(self, message: str) -> None:
        self.panel.show_problem(message)
        self._status(message)

    def _locate(self, missing: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, f"Locate {os.path.basename(missing)} (it is no longer at {os.path.dirname(missing)})",
            self._start_dir(), CSV_FILTER)
        return os.path.abspath(path) if path else None

    # ------------------------------------------------------------------ helpers
    def _start_dir(self) -> str:
        doc = self.document
        if doc.data_path:
            return os.path.dirname(doc.data_path)
        if doc.path:
            return os.path.dirname(doc.path)
        return self._last_dir

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10000)

    def shutdown(self) -> None:
        if self.dialog is not None:
            self.dialog.reject()
        if self._project_loader is not None:
            self._project_loader.shutdown()
        self.torch_exporter.shutdown()


def install_data(window: WindowServices) -> DataController:
    """Give ``window`` its data features; returns the controller (also ``window.data_controller``)."""
    ctl = DataController(window)
    window.data_controller = ctl
    window.actionImportCsv.triggered.connect(lambda _checked=False: ctl.import_csv())
    window.actionExport.triggered.connect(lambda _checked=False: ctl.exporter.export())
    window.actionExportTorch.triggered.connect(lambda _checked=False: ctl.torch_exporter.export())
    window.csv_import_handler = ctl.import_csv
    window.project_data_loader = ctl.load_project_data
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(ctl.shutdown)
    return ctl
