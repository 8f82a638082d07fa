"""Training settings, the run controls and the live numbers.

Every setting is checked as it is typed: a value that cannot be used turns
red and says why, and is not applied; a good one goes straight into the
document (``Document.set_train_config``). The line "N examples, B per batch
→ U updates per epoch" is always visible. The validation fraction and split
belong to the data settings and are shown here read-only (they are edited in
the Data panel, because changing them rebuilds the dataset).

The speed (updates per second, so a person can watch the loss fall; "full
speed" for benchmarks and long runs) is a preference of this computer, kept in
QSettings, not a project setting; it can be changed while training runs.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QSizePolicy, QToolButton, QToolTip, QVBoxLayout, QWidget)

from engine.losses import LOSSES, losses_for_task
from engine.optimizers import OPTIMIZERS
from engine.regularization import config_lr_at, is_scheduled
from engine.trainer import ConfigError, TrainConfig, updates_per_epoch

from gui.document.commands import SetTrainConfigCommand
from gui.training.score_line import score_line
from gui.training.regularization_box import FitScrollArea, RegularizationBox

__all__ = ["TrainingPanel", "StepButton", "fmt_r2", "divergence_word", "SPEEDS", "DEFAULT_SPEED", "SPEED_KEY",
           "SCORE_TIPS", "AUTO", "auto_rate", "count"]

from gui.training.panel_text import (  # noqa: F401  (names the panel's users import from here)
    _BAD, _MOMENTUM_OFF_TIP, _MOMENTUM_TIP, _OPTIMIZER_TIPS, AUTO, AUTO_EPOCH_SECONDS, AUTO_MIN_RATE,
    DEFAULT_SPEED, SCORE_TIPS, SPEED_KEY, SPEEDS, _parse_float, _parse_int, auto_rate, count, divergence_word,
    fmt_r2)


class StepButton(QToolButton):
    """A button that remembers whether Shift was held (Shift-click = one epoch)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText(text)
        self.shift = False

    def mouseReleaseEvent(self, event) -> None:
        self.shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        super().mouseReleaseEvent(event)


class TrainingPanel(QWidget):
    """Settings + controls + live numbers. ``step_requested(bool epoch)`` comes from the Step button."""

    step_requested = Signal(bool)
    speed_changed = Signal(float)           # updates per second; 0 = full speed

    def __init__(self, document, actions: dict[str, QAction] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.setAccessibleName("Training settings and controls")
        self.document = document
        self._task = "regression"
        self._loading = False
        self._errors: dict[str, str] = {}
        self._badges: list[QLabel] = []

        # -- settings ---------------------------------------------------------------
        self.loss_combo = QComboBox()
        self.loss_combo.setObjectName("lossCombo")
        self.optimizer_combo = QComboBox()
        self.optimizer_combo.setObjectName("optimizerCombo")
        for name, cls in OPTIMIZERS.items():
            self.optimizer_combo.addItem(cls.title, name)
            self.optimizer_combo.setItemData(self.optimizer_combo.count() - 1, _OPTIMIZER_TIPS.get(name, ""),
                                             Qt.ItemDataRole.ToolTipRole)
        self.momentum_edit = self._edit("momentumEdit", _MOMENTUM_TIP)
        self.lr_edit = self._edit("lrEdit", "η, the learning rate: θ ← θ − η·g. Too large and the loss explodes.")
        self.batch_edit = self._edit("batchEdit", "B, examples per update (one batch → one update)")
        self.epochs_edit = self._edit("epochsEdit", "Epochs to train (each example once per epoch); 0 = until stopped")
        self.seed_edit = self._edit("seedEdit", "Seed for the initial weights and the batch order: "
                                    "the same seed gives the same run")
        self.patience_edit = self._edit("patienceEdit", "Stop when the validation loss has not improved for "
                                        "this many epochs (and keep the best weights); 0 = off")
        self.dtype_combo = QComboBox()
        self.dtype_combo.setObjectName("dtypeCombo")
        self.dtype_combo.addItem("float32 (faster)", "float32")
        self.dtype_combo.addItem("float64 (exact)", "float64")
        self.split_label = QLabel("Validation: –")
        self.split_label.setObjectName("splitLabel")
        self.split_label.setToolTip("Validation rows are chosen in the Dataset panel "
                                    "(changing them rebuilds the dataset)")
        self.split_label.setWordWrap(True)
        self.split_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.split_label.setMinimumWidth(40)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Loss", self.loss_combo)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Momentum μ", self.momentum_edit)
        self.momentum_label = form.labelForField(self.momentum_edit)
        form.addRow("Learning rate η", self.lr_edit)
        form.addRow("Batch size B", self.batch_edit)
        form.addRow("Epochs", self.epochs_edit)
        form.addRow("Early stopping", self.patience_edit)
        form.addRow("Seed", self.seed_edit)
        form.addRow("Precision", self.dtype_combo)
        self.form = form
        self.error_label = QLabel("")
        self.error_label.setObjectName("trainingSettingsError")
        self.error_label.setStyleSheet("color: #c5221f;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.summary_label = QLabel("")
        self.summary_label.setObjectName("updatesPerEpoch")
        self.summary_label.setStyleSheet("font-weight: 600; color: #1a4f8b; padding: 4px 0;")
        self.summary_label.setWordWrap(True)
        self.summary_label.setToolTip("One update per batch; one epoch = every training example once")
        settings = QGroupBox("Settings")
        sl = QVBoxLayout(settings)
        sl.setContentsMargins(6, 6, 6, 6)        # a narrow dock (230 px) keeps its width for the fields
        sl.addLayout(form)
        self.reg_box = RegularizationBox()          # collapsed: the panel fits 1024×700
        self.reg_box.edited.connect(self._apply)
        sl.addWidget(self.reg_box)
        # under the form, across the box: "Validation: 291 rows (20%, chronological)" wraps here
        # (a wrapped label in a form row was given one line and cut off)
        sl.addWidget(self.split_label)
        sl.addWidget(self.error_label)
        self.settings_box = settings

        # -- controls ---------------------------------------------------------------
        self.train_button = QToolButton()
        self.train_button.setObjectName("trainButton")
        self.pause_button = QToolButton()
        self.pause_button.setObjectName("pauseButton")
        self.step_button = StepButton("Step")
        self.step_button.setObjectName("stepButton")
        self.step_button.setToolTip("One update (one batch). Shift-click: one epoch.")
        self.stop_button = QToolButton()
        self.stop_button.setObjectName("stopButton")
        self.reset_button = QToolButton()
        self.reset_button.setObjectName("resetButton")
        buttons = QGridLayout()           # two rows, so the labels fit a narrow dock
        buttons.setSpacing(4)
        for i, b in enumerate((self.train_button, self.pause_button, self.step_button, self.stop_button,
                               self.reset_button)):
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            if i < 3:
                buttons.addWidget(b, 0, 2 * i, 1, 2)
            elif b is self.stop_button:             # "Stop" is short, "Reset Weights" is not
                buttons.addWidget(b, 1, 0, 1, 2)
            else:
                buttons.addWidget(b, 1, 2, 1, 4)
        self.step_button.clicked.connect(lambda: self.step_requested.emit(self.step_button.shift))
        self.speed_combo = QComboBox()
        self.speed_combo.setObjectName("speedCombo")
        self.speed_combo.setAccessibleName("Training speed")
        for rate, text in SPEEDS:
            self.speed_combo.addItem(text, rate)
        self.speed_combo.setToolTip("How fast training runs, so you can watch it: the loss, the fit and the "
                                    "optimizer's path move at this many updates (batches) per second. "
                                    "“Auto” is 300 updates/s, or faster when an epoch has so many updates "
                                    "that it would take more than 2 seconds (big data). "
                                    "“Full speed” trains as fast as this computer can. "
                                    "It can be changed while training; Pause, Step and Stop work at any speed.")
        self.speed_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        speed_label = QLabel("Speed")
        speed_label.setBuddy(self.speed_combo)
        speed_row = QHBoxLayout()
        speed_row.addWidget(speed_label)
        speed_row.addWidget(self.speed_combo, 1)
        self.set_speed(self._stored_speed(), remember=False)
        self.speed_combo.activated.connect(self._on_speed_picked)
        if actions:
            self.bind_actions(actions)

        # -- live -------------------------------------------------------------------
        self.state_label = QLabel("Ready")
        self.state_label.setObjectName("trainingState")
        self.state_label.setStyleSheet("font-weight: 600;")
        self.state_label.setWordWrap(True)          # "Not ready: <a long reason>" must not widen the window
        self.state_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state_label.setMinimumWidth(60)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("trainingProgress")
        self.metrics_label = QLabel("")
        self.metrics_label.setObjectName("trainingMetrics")
        self.metrics_label.setTextFormat(Qt.TextFormat.RichText)
        for lab in (self.progress_label, self.metrics_label):
            lab.setWordWrap(True)
            lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            lab.setMinimumWidth(60)
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # each score's name is a link only so that hovering (or clicking) it can show its own sentence
        self.metrics_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                   | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.metrics_label.setOpenExternalLinks(False)
        self.metrics_label.linkHovered.connect(self._on_metrics_link_hovered)
        self.metrics_label.linkActivated.connect(self._on_metrics_link_activated)
        self._score_tips: dict[str, str] = {}
        self._all_score_tips = ""
        self._hovered_score = ""
        self._baselines = None                  # engine.baselines.Baselines of the data, set by BaselineWatch
        self._shown: tuple | None = None        # show_metrics' last arguments
        self.message_label = QLabel("")
        self.message_label.setObjectName("trainingMessage")
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        live = QFrame()
        live.setFrameShape(QFrame.Shape.StyledPanel)
        ll = QGridLayout(live)
        ll.addWidget(self.state_label, 0, 0)
        ll.addWidget(self.progress_label, 1, 0)
        ll.addWidget(self.metrics_label, 2, 0)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        # the settings scroll when the window is short (the regularization group open at 1024×700)
        self.settings_scroll = FitScrollArea(settings)
        self.settings_scroll.shrinkable = self.reg_box.body
        self.reg_box.toggle.toggled.connect(lambda _on: self.settings_scroll.reveal(self.reg_box))
        lay.addWidget(self.settings_scroll)
        lay.addWidget(self.summary_label)
        lay.addLayout(buttons)
        lay.addLayout(speed_row)
        lay.addWidget(live)
        lay.addWidget(self.message_label)
        lay.addStretch(1)

        self.loss_combo.activated.connect(lambda _i: self._apply())
        self.optimizer_combo.activated.connect(lambda _i: self._apply())
        self.dtype_combo.activated.connect(lambda _i: self._apply())
        for e in (self.momentum_edit, self.lr_edit, self.batch_edit, self.epochs_edit, self.seed_edit,
                  self.patience_edit):
            e.textEdited.connect(lambda _t: self._apply())
        document.config_changed.connect(self.load_config)
        document.dataset_changed.connect(self.refresh_summary)
        document.graph_changed.connect(self._on_graph_changed)
        document.replaced.connect(self.load_config)
        self._on_graph_changed()
        self.load_config()

    def _edit(self, name: str, tip: str) -> QLineEdit:
        e = QLineEdit()
        e.setObjectName(name)
        e.setToolTip(tip)
        e.setAccessibleDescription(tip)
        return e

    def bind_actions(self, actions: dict[str, QAction]) -> None:
        """Mirror the window's actions: the buttons trigger them and follow their enabled state."""
        for key, button in (("train", self.train_button), ("pause", self.pause_button),
                            ("stop", self.stop_button), ("reset", self.reset_button)):
            if key in actions:
                button.setDefaultAction(actions[key])
        step = actions.get("step")
        if step is not None:
            self.step_button.setIcon(step.icon())
            step.changed.connect(lambda: self.step_button.setEnabled(step.isEnabled()))
            self.step_button.setEnabled(step.isEnabled())

    # -- settings -------------------------------------------------------------------
    def task(self) -> str:
        ds = self.document.dataset
        if ds is not None:
            return ds.task
        g = self.document.graph
        out = g.output_node() if hasattr(g, "output_node") else None
        return g.nodes[out].params.get("task", "regression") if out else "regression"

    def _on_graph_changed(self) -> None:
        task = self.task()
        if task != self._task or self.loss_combo.count() == 0:
            self._task = task
            self.load_config()

    def load_config(self) -> None:
        """Show the document's settings (they may come from a file or an undo)."""
        cfg = self.document.train_config
        self._loading = True
        try:
            self._task = self.task()
            self.loss_combo.clear()
            for name in losses_for_task(self._task):
                cls = LOSSES[name]
                self.loss_combo.addItem(cls.title, name)
                self.loss_combo.setItemData(self.loss_combo.count() - 1, getattr(cls, "formula", ""),
                                            Qt.ItemDataRole.ToolTipRole)
            i = self.loss_combo.findData(cfg.loss)
            if i < 0:
                self.loss_combo.insertItem(0, f"{cfg.loss} (does not fit a {self._task} task)", cfg.loss)
                i = 0
            self.loss_combo.setCurrentIndex(i)
            self.optimizer_combo.setCurrentIndex(max(0, self.optimizer_combo.findData(cfg.optimizer)))
            self.dtype_combo.setCurrentIndex(max(0, self.dtype_combo.findData(cfg.dtype)))
            for edit, value in ((self.momentum_edit, cfg.momentum), (self.lr_edit, cfg.lr),
                                (self.batch_edit, cfg.batch_size), (self.epochs_edit, cfg.epochs),
                                (self.seed_edit, cfg.seed), (self.patience_edit, cfg.early_stopping)):
                if edit.objectName() not in self._errors:
                    edit.setText(f"{value:g}" if isinstance(value, float) else str(value))
            self.reg_box.load(cfg, self._errors)
        finally:
            self._loading = False
        self._sync_momentum()
        self.refresh_summary()

    def _read(self) -> TrainConfig:
        """The settings as typed; records the problems in ``self._errors``."""
        errors: dict[str, str] = {}
        cfg = self.document.train_config
        values = {}

        def take(edit, key, parse):
            try:
                values[key] = parse(edit.text())
            except ConfigError as exc:
                errors[edit.objectName()] = str(exc)

        take(self.lr_edit, "lr", lambda t: _parse_float(t, "learning rate η", 0, lo_open=True))
        if (self.optimizer_combo.currentData() or cfg.optimizer) == "momentum":   # the others ignore μ
            take(self.momentum_edit, "momentum", lambda t: _parse_float(t, "momentum μ", 0, 1, hi_open=True))
        elif self.momentum_edit.text() != f"{cfg.momentum:g}":
            self.momentum_edit.setText(f"{cfg.momentum:g}")     # a half-typed μ: back to the setting
        take(self.batch_edit, "batch_size", lambda t: _parse_int(t, "batch size", 1))
        take(self.epochs_edit, "epochs", lambda t: _parse_int(t, "epochs", 0))
        take(self.seed_edit, "seed", lambda t: _parse_int(t, "seed", 0))
        take(self.patience_edit, "early_stopping", lambda t: _parse_int(t, "early stopping patience", 0))
        self.reg_box.read(values, errors)
        values["loss"] = self.loss_combo.currentData() or cfg.loss
        values["optimizer"] = self.optimizer_combo.currentData() or cfg.optimizer
        values["dtype"] = self.dtype_combo.currentData() or cfg.dtype
        self._errors = errors
        return replace(cfg, **values, track=list(cfg.track))

    def _apply(self) -> None:
        if self._loading:
            return
        new = self._read()
        for e in (self.momentum_edit, self.lr_edit, self.batch_edit, self.epochs_edit, self.seed_edit,
                  self.patience_edit, *self.reg_box.edits.values()):
            bad = e.objectName() in self._errors
            e.setStyleSheet(_BAD if bad else "")
            e.setToolTip(self._errors[e.objectName()] if bad else e.accessibleDescription())
        if self._errors:
            self.error_label.setText("Not applied: " + "; ".join(self._errors.values()) + ".")
            self.error_label.show()
        else:
            try:
                new.validate()
            except ConfigError as exc:
                self.error_label.setText(f"Not applied: {exc}.")
                self.error_label.show()
                return
            self.error_label.hide()
            if new != self.document.train_config:          # one undoable step per field typed in
                self.document.undo_stack.push(SetTrainConfigCommand(self.document, new))
        self._sync_momentum()
        self.refresh_summary()

    def has_errors(self) -> bool:
        return bool(self._errors)

    def set_settings_enabled(self, enabled: bool) -> None:
        self.settings_box.setEnabled(enabled)
        self._sync_momentum()

    def _sync_momentum(self) -> None:
        """μ is editable only with the Momentum optimizer (the others ignore it); its tooltip says so."""
        uses = self.optimizer_combo.currentData() == "momentum"
        self.reg_box.sync(self.optimizer_combo.currentData() or "")
        self.momentum_edit.setEnabled(uses and self.settings_box.isEnabled())
        if self.momentum_label is not None:
            self.momentum_label.setEnabled(uses)
        if "momentumEdit" in self._errors:
            return                    # the red field keeps its error as the tooltip
        title = OPTIMIZERS["momentum"].title if "momentum" in OPTIMIZERS else "Momentum"
        tip = _MOMENTUM_TIP if uses else _MOMENTUM_OFF_TIP.format(title=title)
        self.momentum_edit.setToolTip(tip)
        if self.momentum_label is not None:
            self.momentum_label.setToolTip(tip)

    # -- speed (a preference of this computer, not of the project) -----------------------------
    @staticmethod
    def _stored_speed() -> float:
        try:
            value = float(QSettings().value(SPEED_KEY, DEFAULT_SPEED))
        except (TypeError, ValueError):
            return DEFAULT_SPEED
        return value if value in [r for r, _t in SPEEDS] else DEFAULT_SPEED

    def speed(self) -> float:
        """The chosen speed in updates per second; 0 = full speed, AUTO (−1) = see auto_rate."""
        rate = self.speed_combo.currentData()
        return float(rate) if rate else 0.0

    def set_speed(self, rate: float, remember: bool = True) -> None:
        """Pick the speed (updates per second, 0 = full, AUTO); ``remember`` keeps it for the next session."""
        rate = float(rate or 0)
        i = next((k for k in range(self.speed_combo.count())
                  if float(self.speed_combo.itemData(k) or 0) == rate), -1)
        if i < 0:                         # not one of the choices: a custom entry
            self.speed_combo.addItem(f"{rate:g} updates/s" if rate else "full speed", rate)
            i = self.speed_combo.count() - 1
        changed = i != self.speed_combo.currentIndex()
        self.speed_combo.setCurrentIndex(i)
        if remember:
            QSettings().setValue(SPEED_KEY, rate)
        if changed:
            self.speed_changed.emit(self.speed())

    def _on_speed_picked(self, _index: int) -> None:
        QSettings().setValue(SPEED_KEY, self.speed_combo.currentData())
        self.speed_changed.emit(self.speed())

    def _set_summary(self, text: str) -> None:
        self.summary_label.setText(text)
        for badge in self._badges:
            try:
                badge.setText(text)
            except RuntimeError:       # the status bar went away
                pass

    def refresh_summary(self) -> None:
        ds = self.document.dataset
        cfg = self.document.train_config
        if ds is None:
            self._set_summary(f"No data loaded yet · {cfg.batch_size} per batch")
            self.split_label.setText("Validation: –")
            return
        n = len(ds.X_train)
        b = min(cfg.batch_size, n) if n else cfg.batch_size
        u = updates_per_epoch(n, cfg.batch_size)
        self._set_summary(f"{count(n, 'example')}, {b:,} per batch → {count(u, 'update')} per epoch")
        spec = getattr(ds, "spec", None)
        nv = len(ds.X_val)
        if spec is not None:
            self.split_label.setText(f"Validation: {count(nv, 'row')} ({spec.val_fraction:.0%}, {spec.split})")
        else:
            self.split_label.setText(f"Validation: {count(nv, 'row')}")

    def make_summary_badge(self) -> QLabel:
        """A second view of the summary line for the status bar (so it is in view whatever panel
        is on top); it follows the panel's line."""
        badge = QLabel(self.summary_label.text())
        badge.setObjectName("updatesPerEpochStatus")
        badge.setToolTip(self.summary_label.toolTip())
        badge.setStyleSheet("color: #1a4f8b; padding: 0 8px;")
        self._badges.append(badge)
        return badge

    # -- live -------------------------------------------------------------------------
    def show_state(self, text: str) -> None:
        self.state_label.setText(text)

    def show_progress(self, snap, epochs_target: int) -> None:
        """"Epoch e / E · update u (k of U in this epoch)": the epoch and batch of the last update,
        counted as the loss plot's readout counts them (update 37 of 37 is the end of epoch 1)."""
        u, upe = snap.updates, max(snap.updates_per_epoch, 1)
        of = f" / {epochs_target}" if epochs_target else ""
        rate = f" · {snap.updates_per_s:,.0f} updates/s" if snap.updates_per_s > 0 else ""
        if snap.stop_reason == "diverged" and snap.diverged_at is not None:
            d = snap.diverged_at
            text = (f"Epoch {(d - 1) // upe + 1}{of} · stopped at update {d:,}: its loss was "
                    f"{divergence_word(snap.message)}; {u:,} update{'s' if u != 1 else ''} done")
        elif snap.finished:
            text = f"Epoch {snap.epoch}{of} · {count(u, 'update')} · done"
        elif u == 0:
            text = f"Epoch 1{of} · no update yet ({upe:,} per epoch)"
        else:
            ep, k = divmod(u - 1, upe)
            text = f"Epoch {ep + 1}{of} · update {u:,} ({k + 1:,} of {upe:,} in this epoch){rate}"
        cfg = self.document.train_config
        if is_scheduled(cfg):         # the η of the last update (the schedule's, live)
            text += f" · η {config_lr_at(cfg, max(u - 1, 0), upe, epochs_target * upe):.4g}"
        self.progress_label.setText(text)

    def _unit(self) -> str:
        """What MAE and RMSE are measured in: the target's name (as on the fit plot's axis)."""
        ds = self.document.dataset
        name = getattr(ds, "target_name", "") if ds is not None and ds.task == "regression" else ""
        return name if name and getattr(ds, "n_outputs", 1) == 1 else ""

    def target_scale(self) -> float | None:
        """The target's standard deviation when the loss is measured on the standardized target
        (a regression with standard normalization), else None (the loss is in the target's units,
        or a classification's)."""
        ds = self.document.dataset
        spec = getattr(ds, "spec", None) if ds is not None else None
        if ds is None or ds.task != "regression" or getattr(spec, "normalize", "none") != "standard":
            return None
        y_std = np.ravel(getattr(ds, "y_std", [1.0]))
        return float(y_std[0]) if len(y_std) == 1 else None

    def show_metrics(self, last: dict | None, current_loss: float | None) -> None:
        """The last batch's loss and the last epoch's losses and scores (an epoch record of the
        trainer; see :func:`gui.training.score_line.score_line`). Each score's name carries its
        one-sentence tooltip."""
        self._shown = (last, current_loss)
        html, tips, all_tips = score_line(last, current_loss, self._unit(), self.target_scale(), self._baselines)
        self.metrics_label.setText(html)
        self._score_tips = tips
        self._all_score_tips = all_tips
        self.metrics_label.setAccessibleDescription(all_tips)
        self.metrics_label.setToolTip(self._score_tip())      # the numbers change under a resting mouse

    def set_baselines(self, baselines) -> None:
        """The data's baselines (or None), shown beside the scores (:func:`baseline_scores`)."""
        self._baselines = baselines
        if self._shown is not None:
            self.show_metrics(*self._shown)

    def _score_tip(self) -> str:
        """Over a score's name its own sentence; elsewhere on the lines, all of them."""
        return self._score_tips.get(self._hovered_score) or self._all_score_tips

    def _on_metrics_link_hovered(self, key: str) -> None:
        self._hovered_score = key
        tip = self._score_tip()
        self.metrics_label.setToolTip(tip)
        if QToolTip.isVisible():
            QToolTip.showText(QCursor.pos(), tip, self.metrics_label)

    def _on_metrics_link_activated(self, key: str) -> None:
        """A click on a score's name shows its sentence at once (the names look like plain text)."""
        if key in self._score_tips:
            QToolTip.showText(QCursor.pos(), self._score_tips[key], self.metrics_label)

    def show_message(self, text: str, kind: str = "info") -> None:
        """kind: info | error | done."""
        if not text:
            self.message_label.hide()
            return
        color = {"error": "#b3261e", "done": "#1e6b35"}.get(kind, "#333")
        bg = {"error": "#fdecea", "done": "#e6f4ea"}.get(kind, "#f1f3f4")
        self.message_label.setStyleSheet(f"color: {color}; background: {bg}; padding: 6px; border-radius: 4px;")
        self.message_label.setText(text)
        self.message_label.show()

    def clear_live(self) -> None:
        self.progress_label.setText("")
        self._shown = None
        self.metrics_label.setText("")
        self.metrics_label.setToolTip("")
        self._score_tips = {}
        self._all_score_tips = ""
        self.show_message("")
