"""The runs table: one row per run (engine/runs.py records in ``document.runs``), each in the
colour its curves get on the plots.

Selecting rows draws their loss curves on the loss plot and their validation fits on the fit
plot; "Restore weights" puts a row's weights back into the network (one undoable step through
``TrainingController.set_weights``); rows are deleted (Delete key or button) and renamed (the
Note column) by undoable commands; "Export CSV…" writes the table off the GUI thread.
:func:`gui.training.runs_recorder.install_runs` puts it into the window.
"""
from __future__ import annotations

import math
import os

from PySide6.QtCore import (QAbstractTableModel, QEvent, QItemSelection, QItemSelectionModel, QModelIndex, Qt,
                            Signal)
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

import gui.common.plot_style as plot_style
from engine.project import expected_param_shapes
from engine.runs import MAX_NOTE, RunRecord, describe_data, describe_graph, runs_to_csv
from gui.common.jobs import BackgroundJob
from gui.document.commands import DeleteRunsCommand, SetRunNoteCommand
from gui.plots.run_overlays import run_color

__all__ = ["RunsModel", "RunsView", "COLUMNS"]

_END = {"epochs": "finished", "early_stopping": "early stop", "diverged": "diverged", "stopped": "stopped",
        "error": "error"}


def _f(v) -> str:
    return plot_style.fmt(v) if isinstance(v, (int, float)) and math.isfinite(v) else "–"


def _score(r: RunRecord) -> str:
    s = r.scores
    if s.get("val_r2") is not None:
        return plot_style.fmt(s["val_r2"], 3)
    if s.get("val_accuracy") is not None:
        return f"{s['val_accuracy']:.1%}"
    return "–"


def _second(r: RunRecord) -> str:
    s = r.scores
    if s.get("val_mae") is not None:
        return _f(s["val_mae"])
    return f"{s['val_f1']:.3f}" if s.get("val_f1") is not None else "–"


def _baseline(r: RunRecord) -> str:
    b = r.baseline
    if not b.get("name"):
        return "–"
    if b.get("val_accuracy") is not None:
        return f"{b['name']} {b['val_accuracy']:.1%}"
    text = f"{b['name']} {_f(b.get('val_mae'))}"
    return text + (f" · MASE {b['mase']:.2f}" if b.get("mase") is not None else "")


# (header, header tooltip, the cell's text)
COLUMNS = (
    ("#", "The run's number; its colour is the colour of its curves on the plots", lambda r: str(r.number)),
    ("Note", "Your name for the run: double-click (or F2) to edit", lambda r: r.note),
    ("Network", "The network: the input's width, each Dense layer's units and activation (σ: sigmoid)",
     lambda r: r.graph),
    ("Data", "What the network learned from: a series' previous values (lags) or the features", lambda r: r.data),
    ("Epochs", "Epochs the weights have been trained", lambda r: f"{r.epochs:,}"),
    ("Train", "Training loss after the last epoch (the loss the network was trained on)",
     lambda r: _f(r.last_train)),
    ("Val", "Validation loss after the last epoch: the loss on rows the network never learned from",
     lambda r: _f(r.last_val)),
    ("Best train", "Lowest training loss over the epochs", lambda r: _f(r.best_train)),
    ("Best val", "Lowest validation loss over the epochs", lambda r: _f(r.best_val)),
    ("R² / acc.", "Validation R² (regression) or accuracy (classification) after the last epoch", _score),
    ("MAE / F1", "Validation MAE in the target's units (regression) or macro F1 (classification)", _second),
    ("Baseline", "The yardstick on the same validation rows: persistence (a series; MASE below 1 beats it), "
                 "least squares, or the majority class", _baseline),
    ("Optimizer", "Optimizer, learning rate η and batch size B",
     lambda r: f"{r.optimizer} η {r.lr:g} B {r.batch_size}"),
    ("Seconds", "Training time of the run's weights", lambda r: plot_style.fmt(r.seconds, 3)),
    ("Weights", "Whether the row keeps its weights (for Restore weights)",
     lambda r: "kept" if r.weights is not None else "not kept"),
    ("End", "How the run ended", lambda r: _END.get(r.stop_reason, r.stop_reason)),
)
NOTE_COLUMN = 1
_NUMERIC = {"#", "Epochs", "Train", "Val", "Best train", "Best val", "R² / acc.", "MAE / F1", "Seconds"}


class RunsModel(QAbstractTableModel):
    """``document.runs`` as a table; an edited note comes out as ``note_edited`` (the view makes it
    an undoable command)."""

    note_edited = Signal(int, str)          # run number, new note

    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self._icons: dict[int, QIcon] = {}
        document.runs_changed.connect(self._reset)

    def _reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def run_at(self, row: int) -> RunRecord:
        return self.document.runs[row]

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.document.runs)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section][1]
        return None

    def _icon(self, number: int) -> QIcon:
        icon = self._icons.get(number)
        if icon is None:
            pm = QPixmap(10, 10)
            pm.fill(QColor(run_color(number)))
            icon = self._icons[number] = QIcon(pm)
        return icon

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.document.runs):
            return None
        r, col = self.document.runs[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return COLUMNS[col][2](r)
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return self._icon(r.number)
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[col][0] in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if COLUMNS[col][0] == "Weights" and r.weights is None:
                return f"Run {r.number}'s weights are {r.weights_note or 'not kept'}"
            return (f"Run {r.number}: {r.graph}, {r.data}; {r.optimizer} η {r.lr:g}, batch {r.batch_size}; "
                    f"{r.epochs:,} epochs ({r.updates:,} updates); {r.loss.upper()} training {_f(r.last_train)}, "
                    f"validation {_f(r.last_val)}")
        return None

    def flags(self, index):
        f = super().flags(index)
        return f | Qt.ItemFlag.ItemIsEditable if index.column() == NOTE_COLUMN else f

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != NOTE_COLUMN or not index.isValid():
            return False
        r = self.document.runs[index.row()]
        text = " ".join(str(value).split())
        if text != r.note:
            self.note_edited.emit(r.number, text)
        return True


class RunsView(QWidget):
    """The table with its buttons and a line that says what the last action did.

    ``controller`` is the :class:`~gui.training.controller.TrainingController` (its loss and fit
    plots, ``set_weights``); ``show_plots`` raises the plots (a tab beside this one)."""

    overlays_changed = Signal()

    def __init__(self, document, controller, show_plots=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsView")
        self.document, self.controller, self._show_plots = document, controller, show_plots
        self.model = RunsModel(document, self)
        self.model.note_edited.connect(self._on_note_edited)
        self.table = QTableView()
        self.table.setObjectName("runsTable")
        self.table.setAccessibleName("Runs table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        head.setStretchLastSection(True)
        self.table.setStyleSheet("QTableView { font-size: 8.5pt; } QHeaderView::section { font-size: 8.5pt; }")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._on_selection())
        self._keep: list[int] = []                # the selected runs' numbers across a reset
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._on_rows_changed)

        def button(text, name, tip, slot):
            b = QPushButton(text)
            b.setObjectName(name)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b
        self.restore_button = button("Restore weights", "runsRestore",
                                     "Put the selected run's weights back into the network (Edit → Undo "
                                     "takes them out again); the network and data must be the run's", self.restore)
        self.delete_button = button("Delete", "runsDelete", "Delete the selected rows (Edit → Undo brings them back)",
                                    self.delete_selected)
        self.plots_button = button("Show plots", "runsShowPlots",
                                   "The selected runs' curves are drawn on the Loss and Fit plots", self._raise_plots)
        self.export_button = button("Export CSV…", "runsExport", "Save the table as a CSV file", self.export_dialog)
        self.message = QLabel()
        self.message.setObjectName("runsMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #555; font-size: 8.5pt;")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for b in (self.restore_button, self.delete_button, self.plots_button, self.export_button):
            b.setStyleSheet("font-size: 8.5pt; padding: 2px 8px;")
            bar.addWidget(b)
        bar.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(3)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(self.table, 1)
        self.table.installEventFilter(self)           # Delete in the table deletes rows, not canvas nodes
        self._job: BackgroundJob | None = None
        controller.fit_plot.plot_rebuilt.connect(self._draw_fits)      # new data: the fits follow
        self._on_rows_changed()

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if obj is self.table and kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) \
                and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) \
                and self.table.state() != QAbstractItemView.State.EditingState:
            event.accept()
            if kind == QEvent.Type.KeyPress:
                self.delete_selected()
            return True
        return False

    # -- queries -----------------------------------------------------------------------
    def selected_runs(self) -> list[RunRecord]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.run_at(r) for r in rows if r < self.model.rowCount()]

    def say(self, text: str) -> None:
        self.message.setText(text)

    # -- rows ---------------------------------------------------------------------------
    def _remember_selection(self) -> None:
        self._keep = [r.number for r in self.selected_runs()]

    def _on_rows_changed(self) -> None:
        """Rows added, deleted or renamed: the runs that were selected stay selected."""
        n = self.model.rowCount()
        keep, self._keep = set(self._keep), []
        sel = QItemSelection()
        for row, r in enumerate(self.document.runs):
            if r.number in keep:
                sel.select(self.model.index(row, 0), self.model.index(row, self.model.columnCount() - 1))
        if not sel.isEmpty():
            self.table.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.table.resizeColumnsToContents()
        for col in range(self.model.columnCount()):          # long networks stay readable, not huge
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), 220))
        self.table.setColumnWidth(NOTE_COLUMN, max(self.table.columnWidth(NOTE_COLUMN), 90))
        self.export_button.setEnabled(n > 0)
        if n == 0:
            self.say("Each run (Train … until it stops or finishes) becomes a row here. Select rows to compare "
                     "their curves on the Loss and Fit plots.")
        self._on_selection()

    def _on_selection(self) -> None:
        runs = self.selected_runs()
        self.restore_button.setEnabled(len(runs) == 1)
        self.delete_button.setEnabled(bool(runs))
        self.plots_button.setEnabled(bool(runs))
        self._draw_losses(runs)
        skipped = self._draw_fits()
        if runs:
            def names(rs):
                return f"run{'s' if len(rs) > 1 else ''} {', '.join(str(r.number) for r in rs)}"
            text = f"{names(runs).capitalize()} on the Loss plot (solid: validation, dashed: training)"
            drawn = [r for r in runs if r.number not in skipped]
            why = "; ".join(f"run {r.number} " + ("has no fit curve (a classifier)" if r.fit is None
                                                   else "is of other data") for r in runs if r.number in skipped)
            if not skipped:
                text += " and the Fit plot."
            elif not drawn:
                text += f". Not on the Fit plot: {why}."
            else:
                text += f"; on the Fit plot: {names(drawn)} ({why})."
            self.say(text)
        self.overlays_changed.emit()

    def _draw_losses(self, runs: list[RunRecord]) -> None:
        curves = []
        for r in runs:
            c, cur = run_color(r.number), r.curve
            curves.append({"x": cur["updates"], "y": [math.nan if v is None else v for v in cur["val"]],
                           "color": c, "label": r.label})
            curves.append({"x": cur["updates"], "y": [math.nan if v is None else v for v in cur["train"]],
                           "color": c, "dash": True, "label": f"{r.label}: training", "legend": False})
        self.controller.loss_plot.set_overlays(curves)

    def _draw_fits(self) -> list[int]:
        """The selected runs' fits that are of the data shown; returns the numbers of the others."""
        fp = self.controller.fit_plot
        ctx = fp.ctx
        curves, skipped = [], []
        for r in self.selected_runs():
            f = r.fit
            if f is None or ctx is None or f["mode"] != fp.mode or f["target"] != ctx.target_name \
                    or f["x_label"] != ctx.x_label:
                skipped.append(r.number)
                continue
            parity = f["mode"] == "parity"
            curves.append({"x": f["y"] if parity else f["x"], "y": f["pred"], "color": run_color(r.number),
                           "dots": parity, "label": r.label})
        fp.set_overlays(curves)
        return skipped

    def _raise_plots(self) -> None:
        if self._show_plots is not None:
            self._show_plots()

    def _on_note_edited(self, number: int, note: str) -> None:
        if len(note) > MAX_NOTE:
            note = note[:MAX_NOTE]
            self.say(f"A note keeps at most {MAX_NOTE} characters; the rest was cut.")
        self.document.undo_stack.push(SetRunNoteCommand(self.document, number, note))

    def delete_selected(self) -> None:
        runs = self.selected_runs()
        if not runs:
            return
        numbers = [r.number for r in runs]
        self.document.undo_stack.push(DeleteRunsCommand(self.document, numbers))
        self.say(f"Deleted run{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))} "
                 "(Edit → Undo brings them back).")

    # -- restore --------------------------------------------------------------------------
    def restore(self) -> None:
        runs = self.selected_runs()
        if len(runs) != 1:
            self.say("Select one run to restore its weights.")
            return
        r = runs[0]
        if r.weights is None:
            self.say(f"Run {r.number}'s weights are {r.weights_note or 'not kept'}, so it cannot be restored.")
            return
        doc = self.document
        now = describe_graph(doc.graph)
        if not _shapes_fit(doc.graph, r.weights):
            self.say(f"Run {r.number} was trained on {r.graph} ({r.data}); the network now is {now}. Make it the "
                     f"same network (for a series, the same lags: Data → Edit import) to restore run {r.number}.")
            return
        if self.controller.training_active():
            self.controller.stop()             # the run under way ends as a row of its own first
        self.controller.set_weights(r.weights, f"Restore run {r.number}")
        ds = doc.dataset
        data_now = describe_data(_spec_dict(doc.data_spec), ds.X_train.shape[1] if ds is not None else None)
        text = f"Run {r.number}'s weights restored (Edit → Undo takes them out again); Train goes on from them."
        if data_now != r.data:
            text += f" Note: run {r.number} learned from {r.data}, the data now is {data_now}."
        self.say(text)

    # -- export ---------------------------------------------------------------------------
    def export_dialog(self) -> None:
        doc = self.document
        folder = os.path.dirname(doc.path) if doc.path else os.path.expanduser("~")
        name = f"{doc.name or 'runs'} runs.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export the runs table", os.path.join(folder, name),
                                              "CSV files (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> BackgroundJob:
        """Write the table to ``path`` (atomically, off the GUI thread); ``job.done`` when written."""
        from engine.safe_io import atomic_files
        text = runs_to_csv(list(self.document.runs))

        def write(_cancelled):
            try:
                with atomic_files([path]) as (f,):
                    f.write(text)
            except OSError as exc:
                raise OSError(f"cannot write {path}: {exc.strerror or exc}") from None
            return path
        job = BackgroundJob(write, name="netcanvas-runs-csv", parent=self)
        job.done.connect(lambda p: self.say(f"Saved the runs table to {p}"))
        job.failed.connect(lambda msg: self.say(f"Cannot save the runs table: {msg.split(': ', 1)[-1]}"))
        self._job = job.start()
        return job


def _spec_dict(spec):
    """A DataSpec (or its dict, or None) as a dict."""
    if spec is None or isinstance(spec, dict):
        return spec
    return spec.to_dict()


def _shapes_fit(graph, weights: dict) -> bool:
    """Whether ``weights`` are exactly the parameters ``graph`` has (names and shapes)."""
    expected = expected_param_shapes(graph)
    if set(expected) != set(weights):
        return False
    return all(len(s) == weights[k].ndim and all(e is None or e == g for e, g in zip(s, weights[k].shape))
               for k, s in expected.items())
