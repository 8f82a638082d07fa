"""Train → "Try several starts…": K random starts of the network, trained together off the GUI thread.

The dialog asks for K (default 8), trains the K starts with the project's settings as one batched
computation (``engine.multistart`` in a ``BackgroundJob``; progress, Cancel), lists each start's
final training and validation loss (sorted by the validation loss), marks the end points on the
error surface (``SurfacePlot.show_starts``) and loads the start a person picks as the network's
weights (``TrainingController.set_weights``: one undoable step, "Use start k").
"""
from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from engine.landscape import default_pair
from engine.model import parse_scalar_name
from engine.multistart import DEFAULT_STARTS, MAX_STARTS, MultiStart, MultiStartError
from engine.trainer import ConfigError
from gui.common.jobs import BackgroundJob

__all__ = ["StartsDialog", "install_starts"]

_ENDED = {"epochs": "{e} epochs", "early_stopping": "early stop, epoch {e}", "diverged": "diverged",
          "cancelled": "cancelled, epoch {e}"}


def _num(v: float) -> str:
    """Four significant digits, trailing zeros kept so that a column's numbers line up (21.90, 57.93)."""
    if not math.isfinite(v):
        return "—"
    return np.format_float_positional(v, precision=4, unique=False, fractional=False, trim="k").rstrip(".")


class _Run:
    """What the background job shares with the dialog's progress timer."""

    def __init__(self) -> None:
        self.ms: MultiStart | None = None


def train_starts(graph, dataset, config, k: int, run: _Run, cancelled) -> tuple:
    """The job: ``("done", results, seconds, names, pair)`` (the network's scalar names and the pair
    the surface would show: the project's tracked pair, else the lecture's b and w), or
    ``("refused", message)``; bad settings never raise."""
    t0 = time.perf_counter()
    try:
        run.ms = ms = MultiStart(graph, dataset, config, starts=k)
    except (MultiStartError, ConfigError) as exc:
        return ("refused", str(exc))
    ms.run(cancelled=cancelled)
    if cancelled():
        return None
    names = ms.base.model.scalar_names()
    track = tuple(config.track)
    pair = track if len(track) == 2 and all(t in names for t in track) else default_pair(ms.base.model)
    return ("done", ms.results(), time.perf_counter() - t0, names, pair)


class StartsDialog(QDialog):
    """Several starts: K, Run, progress and Cancel, the results table, Use this start."""

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.document = controller.document
        self.setObjectName("startsDialog")
        self.setWindowTitle("Try several starts")
        intro = QLabel("Gradient descent ends where its start leads it. Train the network from several random "
                       "starts (seeds) at once, with this project's settings, and compare where they end. "
                       "Start 0 is the run Train makes after Reset weights.")
        intro.setWordWrap(True)
        self.count = QSpinBox()
        self.count.setObjectName("startsCount")
        self.count.setAccessibleName("Number of starts")
        self.count.setRange(2, MAX_STARTS)
        self.count.setValue(DEFAULT_STARTS)
        self.count.setToolTip(f"How many random starts to train together (2 to {MAX_STARTS})")
        count_label = QLabel("&Starts")
        count_label.setBuddy(self.count)
        self.run_button = QPushButton("&Run")
        self.run_button.setObjectName("startsRun")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("startsCancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setObjectName("startsProgress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        top = QHBoxLayout()
        top.addWidget(count_label)
        top.addWidget(self.count)
        top.addWidget(self.run_button)
        top.addWidget(self.progress, 1)
        top.addWidget(self.cancel_button)
        self.status = QLabel("")
        self.status.setObjectName("startsStatus")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("startsTable")
        self.table.setHorizontalHeaderLabels(["Start", "Training loss", "Validation loss", "Ended"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Each start's loss at its end, best validation loss first. "
                              "Double-click a start (or select it and press Use this start) to load its weights.")
        self.use_button = QPushButton("&Use this start")
        self.use_button.setObjectName("startsUse")
        self.use_button.setEnabled(False)
        self.use_button.setToolTip("Load the selected start's weights into the network (Edit → Undo brings "
                                   "back the weights before)")
        bottom = QDialogButtonBox()
        bottom.addButton(self.use_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = bottom.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        bottom.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 1)
        lay.addWidget(bottom)
        self.resize(470, 440)

        self.results: list = []          # StartResult, in the table's order
        self.chosen: int | None = None   # the start loaded last
        self._job: BackgroundJob | None = None
        self._run: _Run | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._show_progress)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button.clicked.connect(self.use_selected)
        self.table.itemSelectionChanged.connect(
            lambda: self.use_button.setEnabled(bool(self.results) and bool(self.table.selectedItems())))
        self.table.cellDoubleClicked.connect(lambda row, _col: self.use_row(row))
        doc = self.document
        for sig in (doc.graph_changed, doc.dataset_changed, doc.replaced):
            sig.connect(self._forget)
        # the surface's pair changes when a person picks one, by Undo of that pick, or when a preview
        # picks the default: every new surface redraws the points in its pair
        controller.surface_updated.connect(self._draw_points)
        if parent is not None:                 # the window closing ends a run under way (quitting waits on it)
            parent.installEventFilter(self)

    # -- running ---------------------------------------------------------------------------
    def running(self) -> bool:
        return self._job is not None

    def start(self) -> None:
        if self._job is not None:
            return
        blocked = self.controller.blocked()
        if blocked or self.document.dataset is None:
            self.status.setText(f"Cannot train yet: {blocked or 'load data first (File → Import CSV)'}")
            return
        k = self.count.value()
        doc = self.document
        run = self._run = _Run()
        graph, data, config = doc.graph.copy(), doc.dataset, doc.train_config
        job = self._job = BackgroundJob(lambda cancelled: train_starts(graph, data, config, k, run, cancelled),
                                        name="several-starts", parent=self)
        job.done.connect(self._on_done)
        job.failed.connect(self._on_failed)
        self._set_running(True)
        self.status.setText(f"Training {k} starts…")
        job.start()

    def cancel(self) -> None:
        if self._job is None:
            return
        self._job.cancel()
        self._job = None
        self._set_running(False)
        self.status.setText("Cancelled; nothing changed.")

    def _set_running(self, on: bool) -> None:
        self.run_button.setEnabled(not on)
        self.count.setEnabled(not on)
        self.cancel_button.setEnabled(on)
        self.progress.setValue(0)
        if on:
            self._timer.start()
        else:
            self._timer.stop()

    def _show_progress(self) -> None:
        ms = self._run.ms if self._run is not None else None
        if ms is not None:
            self.progress.setValue(int(1000 * ms.progress()))

    def _on_failed(self, message: str) -> None:
        self._job = None
        self._set_running(False)
        self.status.setText(f"The starts could not be trained: {message.split(': ', 1)[-1]}")

    def _on_done(self, outcome) -> None:
        self._job = None
        self._set_running(False)
        if outcome[0] == "refused":
            self.status.setText(f"Cannot train several starts: {outcome[1]}")
            return
        _, results, seconds, names, pair = outcome
        surface = self.controller.surface_plot
        if not all(surface.pair()):                # no surface yet: name the pair the points are drawn in
            surface.set_parameters(names, pair)
        self.progress.setValue(1000)
        self.results = sorted(results, key=lambda r: (not math.isfinite(r.val_loss), r.val_loss, r.index))
        self.chosen = None
        self._fill_table()
        val = [r.val_loss for r in results if math.isfinite(r.val_loss)]
        spread = f"; validation losses from {_num(min(val))} to {_num(max(val))}" if val else ""
        self.status.setText(f"{len(results)} starts trained in {seconds:.1f} s{spread}. "
                            f"Double-click a start to use its weights.")
        self._draw_points()

    # -- results ---------------------------------------------------------------------------
    def _fill_table(self) -> None:
        t = self.table
        t.setRowCount(len(self.results))
        for row, r in enumerate(self.results):
            cells = [f"Start {r.index}", _num(r.train.get("loss", math.nan)), _num(r.val.get("loss", math.nan)),
                     _ENDED.get(r.stop_reason, r.stop_reason).format(e=r.epochs)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(f"Start {r.index}: initial weights from seed {r.seed}"
                                + (f"; {r.message}" if r.message else ""))
                t.setItem(row, col, item)

    def _draw_points(self) -> None:
        surface = self.controller.surface_plot
        overlay = getattr(surface, "starts_overlay", None)
        if not self.results and (overlay is None or not overlay.count()):
            return                                     # nothing drawn, nothing to draw
        pair = surface.pair()
        if not self.results or len(pair) != 2 or not all(pair):
            surface.show_starts(np.empty((0, 2)))
            return
        pts, labels = [], []
        try:
            for r in self.results:
                xy = []
                for name in pair:
                    key, idx = parse_scalar_name(name)
                    xy.append(float(r.weights[key][idx]))
                pts.append(xy)
                labels.append(f"Start {r.index}: validation loss {_num(r.val_loss)}")
        except (KeyError, IndexError, ValueError):
            surface.show_starts(np.empty((0, 2)))
            return
        chosen = next((i for i, r in enumerate(self.results) if r.index == self.chosen), None)
        surface.show_starts(np.array(pts), labels, chosen, [r.val_loss for r in self.results])

    def use_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if rows:
            self.use_row(min(rows))

    def use_row(self, row: int) -> None:
        if not 0 <= row < len(self.results):
            return
        r = self.results[row]
        self.chosen = r.index
        self.controller.set_weights(r.weights, f"Use start {r.index}")
        for i in range(self.table.rowCount()):          # the start in use, in bold
            for col in range(self.table.columnCount()):
                item = self.table.item(i, col)
                font = item.font()
                font.setBold(i == row)
                item.setFont(font)
        self.status.setText(f"Loaded start {r.index}'s weights (Edit → Undo brings back the ones before).")
        self._draw_points()

    def _forget(self) -> None:
        """The network or the data changed: the starts no longer fit it."""
        if self._job is not None:
            self.cancel()
        if self.results:
            self.results = []
            self.table.setRowCount(0)
            self.use_button.setEnabled(False)
            self.status.setText("The network or the data changed; run the starts again.")
            self.controller.surface_plot.show_starts(np.empty((0, 2)))

    def eventFilter(self, obj, event) -> bool:
        if obj is self.parent() and event.type() == QEvent.Type.Close and self._job is not None:
            QTimer.singleShot(0, self._after_window_close)
        return False

    def _after_window_close(self) -> None:
        """A close that was not vetoed (the window is gone or hidden) cancels the run."""
        job = self._job
        try:
            if self.parent().isVisible():
                return
        except RuntimeError:                   # the window, and this dialog, already deleted
            pass
        if job is not None:
            job.cancel()
        try:
            self.cancel()
        except RuntimeError:
            pass

    def closeEvent(self, event) -> None:
        self.cancel()
        super().closeEvent(event)


def install_starts(window, controller) -> QAction:
    """The "Try several starts…" action, in the Train menu (the training panel has no room for
    another row of buttons at 1024×700 with its Regularization group open)."""
    act = QAction("Try several &starts…", window)
    act.setObjectName("actionSeveralStarts")
    tip = "Train the network from several random starts at once and compare where they end (local minima)"
    act.setToolTip(tip)
    act.setStatusTip(tip)

    def show() -> None:
        dlg = getattr(controller, "starts_dialog", None)
        if dlg is None:
            dlg = controller.starts_dialog = StartsDialog(controller, window)
        dlg.show()
        dlg.raise_()
        dlg.activateWindow()

    act.triggered.connect(show)
    menu = (getattr(window, "menus", None) or {}).get("train")
    if menu is not None:
        menu.addSeparator()
        menu.addAction(act)
    return act
