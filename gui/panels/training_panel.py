"""Training settings, the run controls and the live numbers.

Every setting is checked as it is typed: a value that cannot be used turns
red and says why, and is not applied; a good one goes straight into the
document (``Document.set_train_config``). The line "N examples, B per batch
→ U updates per epoch" is always visible. The validation fraction and split
belong to the data settings and are shown here read-only (they are edited in
the Data panel, because changing them rebuilds the dataset).
"""
from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QGridLayout, QGroupBox, QLabel, QLineEdit,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from engine.losses import LOSSES, losses_for_task
from engine.optimizers import OPTIMIZERS
from engine.trainer import ConfigError, TrainConfig

__all__ = ["TrainingPanel", "StepButton", "fmt_r2"]

_BAD = "QLineEdit { border: 1.5px solid #d93025; background: #fdecea; }"
_OPTIMIZER_TIPS = {
    "sgd": "θ ← θ − η·g: plain gradient descent on each batch",
    "momentum": "v ← μ·v − η·g, θ ← θ + v: remembers the last steps' direction",
    "adam": "Adam: per-parameter step sizes from running means of g and g²",
    "rmsprop": "RMSProp: divides η by a running root-mean-square of g",
    "adagrad": "Adagrad: divides η by the root of the sum of all past g²",
}


class StepButton(QToolButton):
    """A button that remembers whether Shift was held (Shift-click = one epoch)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText(text)
        self.shift = False

    def mouseReleaseEvent(self, event) -> None:
        self.shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        super().mouseReleaseEvent(event)


def _parse_float(text: str, what: str, lo: float | None = None, hi: float | None = None,
                 lo_open: bool = False, hi_open: bool = False) -> float:
    try:
        v = float(text.strip().replace(",", "."))
    except ValueError:
        raise ConfigError(f"{what}: '{text}' is not a number") from None
    if not math.isfinite(v):
        raise ConfigError(f"{what} must be a finite number")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ConfigError(f"{what} must be {'above' if lo_open else 'at least'} {lo:g}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ConfigError(f"{what} must be {'below' if hi_open else 'at most'} {hi:g}")
    return v


def _parse_int(text: str, what: str, lo: int) -> int:
    t = text.strip()
    if not t.lstrip("+").isdigit():
        raise ConfigError(f"{what}: '{text}' is not a whole number")
    v = int(t)
    if v < lo:
        raise ConfigError(f"{what} must be at least {lo}")
    return v


def fmt_r2(v: float) -> str:
    """R² for people: three decimals near the useful range [−1, 1], a short number when a bad
    model drives it to −1e31 (not 33 digits)."""
    if v is None or not math.isfinite(v):
        return "–"
    return f"{v:.3f}" if abs(v) < 1000 else f"{v:.3g}"


class TrainingPanel(QWidget):
    """Settings + controls + live numbers. ``step_requested(bool epoch)`` comes from the Step button."""

    step_requested = Signal(bool)

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
        self.momentum_edit = self._edit("momentumEdit", "μ in v ← μ·v − η·g; at least 0 and below 1")
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
        self.split_label = QLabel("–")
        self.split_label.setObjectName("splitLabel")
        self.split_label.setToolTip("Validation rows are chosen in the Dataset panel "
                                    "(changing them rebuilds the dataset)")
        self.split_label.setWordWrap(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Loss", self.loss_combo)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Momentum μ", self.momentum_edit)
        form.addRow("Learning rate η", self.lr_edit)
        form.addRow("Batch size B", self.batch_edit)
        form.addRow("Epochs", self.epochs_edit)
        form.addRow("Early stopping", self.patience_edit)
        form.addRow("Seed", self.seed_edit)
        form.addRow("Precision", self.dtype_combo)
        form.addRow("Validation", self.split_label)
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
        sl.addLayout(form)
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
            else:
                buttons.addWidget(b, 1, 3 * (i - 3), 1, 3)
        self.step_button.clicked.connect(lambda: self.step_requested.emit(self.step_button.shift))
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
        lay.addWidget(settings)
        lay.addWidget(self.summary_label)
        lay.addLayout(buttons)
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
        finally:
            self._loading = False
        self.momentum_edit.setEnabled(cfg.optimizer == "momentum" and self.settings_box.isEnabled())
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
        take(self.momentum_edit, "momentum", lambda t: _parse_float(t, "momentum μ", 0, 1, hi_open=True))
        take(self.batch_edit, "batch_size", lambda t: _parse_int(t, "batch size", 1))
        take(self.epochs_edit, "epochs", lambda t: _parse_int(t, "epochs", 0))
        take(self.seed_edit, "seed", lambda t: _parse_int(t, "seed", 0))
        take(self.patience_edit, "early_stopping", lambda t: _parse_int(t, "early stopping patience", 0))
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
                  self.patience_edit):
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
            self.document.set_train_config(new)
        self.momentum_edit.setEnabled(self.optimizer_combo.currentData() == "momentum")
        self.refresh_summary()

    def has_errors(self) -> bool:
        return bool(self._errors)

    def set_settings_enabled(self, enabled: bool) -> None:
        self.settings_box.setEnabled(enabled)
        self.momentum_edit.setEnabled(enabled and self.optimizer_combo.currentData() == "momentum")

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
            self.split_label.setText("–")
            return
        n = len(ds.X_train)
        b = min(cfg.batch_size, n) if n else cfg.batch_size
        u = -(-n // b) if n else 0
        self._set_summary(f"{n:,} examples, {b:,} per batch → {u:,} updates per epoch")
        spec = getattr(ds, "spec", None)
        nv = len(ds.X_val)
        if spec is not None:
            self.split_label.setText(f"{nv:,} rows ({spec.val_fraction:.0%}, {spec.split})")
        else:
            self.split_label.setText(f"{nv:,} rows")

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
        ep = f"{snap.epoch}" + (f" / {epochs_target}" if epochs_target else "")
        in_epoch = snap.updates - snap.epoch * snap.updates_per_epoch
        rate = f" · {snap.updates_per_s:,.0f} updates/s" if snap.updates_per_s > 0 else ""
        self.progress_label.setText(f"Epoch {ep} · update {snap.updates:,} "
                                    f"({max(in_epoch, 0):,} of {snap.updates_per_epoch:,} in this epoch){rate}")

    def show_metrics(self, last: dict | None, current_loss: float | None) -> None:
        parts = []
        if current_loss is not None and math.isfinite(current_loss):
            parts.append(f"batch loss <b>{current_loss:.4g}</b>")
        if last:
            def num(key, fmt="{:.4g}"):
                v = last.get(key)
                return fmt.format(v) if v is not None and math.isfinite(v) else "–"
            parts.append(f"<span style='color:#2b7bba'>train loss <b>{num('train_loss')}</b></span>")
            parts.append(f"<span style='color:#c46a12'>validation loss <b>{num('val_loss')}</b></span>")
            if "val_r2" in last:
                v = last.get("val_r2")
                parts.append(f"validation R² <b>{fmt_r2(v) if v is not None else '–'}</b>")
                parts.append(f"validation MAE <b>{num('val_mae')}</b>")
            if "val_accuracy" in last:
                parts.append(f"train accuracy <b>{num('train_accuracy', '{:.1%}')}</b>")
                parts.append(f"validation accuracy <b>{num('val_accuracy', '{:.1%}')}</b>")
        self.metrics_label.setText(" · ".join(parts))

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
        self.metrics_label.setText("")
        self.show_message("")
