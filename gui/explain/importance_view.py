""""Why this answer, and can noise fool it?" — the lecture's explainable AI and model attack.

:class:`ImportanceView` (objectName ``importancePlot``) shows, for the current weights:

- each input's permutation importance on the validation rows as bars (``Compute importance``:
  a background job with progress and Cancel, :func:`engine.explain.permutation_importance`);
- for one validation example, gradient × input per input (:func:`engine.explain.gradient_x_input`)
  and, for a classifier, the smallest FGSM step that changes its class, the perturbed input
  beside the original (:func:`engine.explain.fgsm_flip`).

All computing runs off the GUI thread on a copy of the model. ``model_source()`` gives
``(ExplainInputs, None)`` or ``(None, why not)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

import gui.common.plot_style as style
from engine.explain import fgsm_flip, gradient_x_input, input_groups, permutation_importance
from gui.common.gui_call import call_in_gui
from gui.common.jobs import BackgroundJob

__all__ = ["ExplainInputs", "ImportanceView", "MAX_BARS"]

MAX_BARS = 20           # the most important inputs shown (a 1,000-column one-hot file stays readable)


@dataclass(frozen=True)
class ExplainInputs:
    """What the view explains: a private copy of the model, its loss and the dataset."""

    model: object          # engine.model.Model
    loss: object           # engine.losses.Loss
    dataset: object        # engine.dataset.Dataset


def _bars(plot: pg.PlotWidget, item: pg.BarGraphItem | None, values: dict[str, float],
          signed: bool) -> pg.BarGraphItem:
    """Horizontal bars, the largest (by size) on top; at most MAX_BARS."""
    if item is not None:
        plot.removeItem(item)
    ranked = sorted(values.items(), key=lambda kv: -abs(kv[1]) if signed else -kv[1])[:MAX_BARS]
    n = len(ranked)
    ys = np.arange(n)[::-1].astype(float)
    widths = np.array([v for _, v in ranked], float)
    widths = np.where(np.isfinite(widths), widths, 0.0)
    brushes = [pg.mkBrush(style.POSITIVE if w >= 0 else style.NEGATIVE) for w in widths]
    item = pg.BarGraphItem(x0=np.minimum(widths, 0), y=ys, height=0.65, width=np.abs(widths), brushes=brushes,
                           pen=pg.mkPen(None))
    plot.addItem(item)
    plot.getPlotItem().getAxis("left").setTicks([[(float(y), name) for y, (name, _) in zip(ys, ranked)]])
    plot.getPlotItem().enableAutoRange()
    return item


class ImportanceView(QWidget):
    """Permutation importance, gradient × input and the FGSM attack for the current weights."""

    importance_computed = Signal(object)    # {input: increase in validation loss}, in input order
    example_explained = Signal(object)      # (Attribution, FgsmResult | None)
    progress_changed = Signal(int)          # percent of the importance job

    def __init__(self, model_source, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importancePlot")
        self.setAccessibleName("Input importance and attack")
        self.model_source = model_source
        self.importance: dict[str, float] | None = None
        self.attribution = None
        self.attack = None
        self._job: BackgroundJob | None = None
        self._example_job: BackgroundJob | None = None
        self._percent = -1

        self.compute_button = QPushButton("Compute importance")
        self.compute_button.setObjectName("importanceButton")
        self.compute_button.setToolTip("Shuffle each input's values among the validation rows and measure how "
                                       "much the validation loss rises: the inputs the model relies on rise most")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("importanceCancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setObjectName("importanceProgress")
        self.progress.setRange(0, 100)
        self.progress.setMaximumHeight(14)
        self.progress.hide()
        self.status_label = QLabel("Which inputs matter? Press Compute importance.")
        self.status_label.setWordWrap(True)
        self.status_label.setObjectName("importanceStatus")
        self.plot = style.make_plot_widget("increase in validation loss", "")
        self.plot.setObjectName("importanceBars")
        self.plot.getPlotItem().hideButtons()
        self._bar_item = None

        self.example_spin = QSpinBox()
        self.example_spin.setObjectName("exampleSpin")
        self.example_spin.setToolTip("A validation example (its position among the validation rows)")
        self.explain_button = QPushButton("Explain example")
        self.explain_button.setObjectName("explainButton")
        self.explain_button.setToolTip("Gradient × input: how much each input pushed this answer (to first order), "
                                       "and for a classifier the smallest FGSM step that changes its class")
        self.example_label = QLabel("")
        self.example_label.setObjectName("exampleLabel")
        self.example_label.setWordWrap(True)
        self.example_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.attr_plot = style.make_plot_widget("gradient × input", "")
        self.attr_plot.setObjectName("attributionBars")
        self.attr_plot.getPlotItem().hideButtons()
        self._attr_item = None
        self.attack_table = QTableWidget(0, 3)
        self.attack_table.setObjectName("attackTable")
        self.attack_table.setHorizontalHeaderLabels(["input", "original", "perturbed"])
        self.attack_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.attack_table.verticalHeader().hide()
        self.attack_table.hide()

        left = QVBoxLayout()
        row = QHBoxLayout()
        row.addWidget(self.compute_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        left.addLayout(row)
        left.addWidget(self.status_label)
        left.addWidget(self.plot, 1)
        right = QVBoxLayout()
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Validation example"))
        row2.addWidget(self.example_spin)
        row2.addWidget(self.explain_button)
        row2.addStretch(1)
        right.addLayout(row2)
        right.addWidget(self.example_label)
        body = QHBoxLayout()
        body.addWidget(self.attr_plot, 1)
        body.addWidget(self.attack_table, 1)
        right.addLayout(body, 1)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(left, 1)
        lay.addLayout(right, 1)

        self.compute_button.clicked.connect(self.compute_importance)
        self.cancel_button.clicked.connect(self.cancel)
        self.explain_button.clicked.connect(self.explain_example)

    # -- permutation importance ---------------------------------------------------------
    def _inputs(self) -> ExplainInputs | None:
        inputs, why = self.model_source()
        if inputs is None:
            self.status_label.setText(why)
            return None
        ds = inputs.dataset
        self.example_spin.setRange(0, max(ds.n_val - 1, 0))
        if ds.n_val == 0:
            self.status_label.setText("There are no validation rows to measure on; choose a validation "
                                      "fraction above 0 in the import view.")
            return None
        return inputs

    def compute_importance(self) -> None:
        """Start the importance job (a running one is cancelled first)."""
        self.cancel()
        inputs = self._inputs()
        if inputs is None:
            return
        ds = inputs.dataset
        groups = input_groups(ds.feature_names, ds.onehot)
        X, y = ds.X_val, ds.y_val
        self._percent = -1

        def progress(done: int, total: int) -> None:
            pct = int(100 * done / total)
            if pct != self._percent:            # only when the shown value changes
                self._percent = pct
                call_in_gui(self._on_job_progress, pct, owner=self)

        def work(cancelled):
            return permutation_importance(inputs.model, inputs.loss, X, y, groups, seed=ds.spec.seed,
                                          progress=progress, cancelled=cancelled)
        job = BackgroundJob(work, name="netcanvas-importance", parent=self)
        job.done.connect(self._on_job_done)
        job.failed.connect(self._on_job_failed)
        self._job = job
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.compute_button.setEnabled(False)
        self.status_label.setText(f"Shuffling {len(groups)} input{'s' if len(groups) != 1 else ''} over "
                                  f"{len(X):,} validation rows…")
        job.start()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None
            self.status_label.setText("Cancelled.")
        self._idle()

    def _idle(self) -> None:
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.compute_button.setEnabled(True)

    def _on_job_progress(self, pct: int) -> None:
        if self._job is not None:
            self.progress.setValue(pct)
            self.progress_changed.emit(pct)

    def _on_job_done(self, importance: dict) -> None:
        self._job = None
        self._idle()
        self.show_importance(importance)

    def _on_job_failed(self, message: str) -> None:
        self._job = None
        self._idle()
        self.status_label.setText(f"Could not compute the importance: {message}")

    def show_importance(self, importance: dict[str, float]) -> None:
        self.importance = dict(importance)
        self._bar_item = _bars(self.plot, self._bar_item, importance, signed=False)
        top = max(importance, key=importance.get) if importance else None
        self.status_label.setText(
            f"Shuffling “{top}” raises the validation loss most (+{importance[top]:.3g}); a bar near 0 is an "
            f"input the model ignores." if top is not None else "No inputs.")
        self.importance_computed.emit(self.importance)

    # -- one example: gradient × input and FGSM -------------------------------------------
    def explain_example(self) -> None:
        inputs = self._inputs()
        if inputs is None:
            return
        if self._example_job is not None:
            self._example_job.cancel()
        ds, model, i = inputs.dataset, inputs.model, self.example_spin.value()
        groups = input_groups(ds.feature_names, ds.onehot)
        x = np.asarray(ds.X_val[i], np.float64)
        y_std = float(ds.y_std[0]) if ds.task == "regression" else 1.0

        def work(cancelled):
            att = gradient_x_input(model, x, groups, y_std=y_std, class_names=ds.classes)
            return att, (fgsm_flip(model, x) if ds.task != "regression" else None)
        job = BackgroundJob(work, name="netcanvas-explain", parent=self)
        job.done.connect(lambda result, d=ds, row=i: self._on_example_done(d, row, *result))
        job.failed.connect(lambda msg: self.example_label.setText(f"Could not explain it: {msg}"))
        self._example_job = job.start()

    def _on_example_done(self, ds, i: int, att, attack) -> None:
        self._example_job = None
        self.attribution, self.attack = att, attack
        self._attr_item = _bars(self.attr_plot, self._attr_item, att.values, signed=True)
        truth = (f"{float(ds.y_raw('val')[i, 0]):.4g}" if ds.task == "regression"
                 else ds.classes[int(ds.y_val[i])])
        text = f"Example {i}: {att.what} {att.output:.4g} (true {truth}); bars: input × gradient, summed per input."
        if ds.task != "regression":
            text += " " + self._attack_text(ds, attack)
        self.example_label.setText(text)
        self._fill_attack_table(ds, attack)
        self.example_explained.emit((att, attack))

    @staticmethod
    def _attack_text(ds, attack) -> str:
        if attack is None:
            return "No FGSM step up to ε = 10 standard deviations changes its class."
        return (f"FGSM: a step of ε = {attack.eps:.3g} standard deviations on every input along the sign of "
                f"the gradient turns “{ds.classes[attack.before]}” (p {attack.p_before:.2f}) into "
                f"“{ds.classes[attack.after]}” (p {attack.p_after:.2f}).")

    def _fill_attack_table(self, ds, attack) -> None:
        if attack is None:
            self.attack_table.hide()
            return
        raw, raw_adv = attack.x * ds.x_std + ds.x_mean, attack.x_adv * ds.x_std + ds.x_mean
        self.attack_table.setRowCount(len(ds.feature_names))
        for r, name in enumerate(ds.feature_names):
            for c, text in enumerate((name, f"{raw[r]:.4g}", f"{raw_adv[r]:.4g}")):
                self.attack_table.setItem(r, c, QTableWidgetItem(text))
        self.attack_table.resizeColumnsToContents()
        header = self.attack_table.horizontalHeader()
        for c in (1, 2):            # the numbers always in view; a long input name is elided
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.attack_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.attack_table.show()

    def shutdown(self) -> None:
        for job in (self._job, self._example_job):
            if job is not None:
                job.cancel()
                job.wait(2.0)
