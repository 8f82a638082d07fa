"""The training panel's "Regularization & schedule" group: L2/L1 penalties, AdamW's weight decay,
the learning-rate schedule with its warm-up, and gradient clipping.

Collapsed by default (the panel must fit a 1024×700 window); its header says what is on
("L2 0.001 · cosine"), so a project that uses them shows it without opening the group. The
panel owns the apply/undo logic: this box only shows settings (:meth:`load`) and reads what is
typed (:meth:`read`); ``edited`` says something changed.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QLabel, QLineEdit, QScrollArea, QSizePolicy,
                               QToolButton, QVBoxLayout, QWidget)

from engine.regularization import SCHEDULES
from engine.trainer import ConfigError, TrainConfig

from gui.training.panel_text import _parse_float, _parse_int

__all__ = ["RegularizationBox", "FitScrollArea", "REG_TIPS"]

REG_TIPS = {
    "l2": "L2 penalty λ₂: adds λ₂·Σw² over the Dense layers' weights (never the biases) to the loss, "
          "pulling every weight towards 0 — big weights must earn their keep. The loss plot shows this "
          "penalty apart from the data loss; the scores are on the data loss. A Dense node can set its own "
          "λ in its properties. 0 = off.",
    "l1": "L1 penalty λ₁: adds λ₁·Σ|w| over the Dense weights; it pushes small weights to exactly 0 "
          "(a sparse network). 0 = off.",
    "weight_decay": "AdamW's decoupled weight decay wd: after each Adam step, w ← w − η·wd·w. Unlike an L2 "
                    "penalty, whose gradient 2·λ·w Adam rescales per weight (so weights with large "
                    "gradients are hardly held back), decay shrinks every weight by the same fraction. "
                    "Only the AdamW optimizer uses it.",
    "lr_schedule": "How η changes over the run: constant; step (η×γ every K epochs); cosine "
                   "(η_t = η·½(1 + cos(π·t/T)), from η down to 0 at the run's last update T).",
    "lr_step_epochs": "Step schedule: multiply η by γ every this many epochs.",
    "lr_gamma": "Step schedule: the factor γ applied every K epochs (0.5 halves η).",
    "warmup": "Linear warm-up: η grows from η/n to η over the first n updates (steadier first steps, "
              "above all with Adam). 0 = none.",
    "clip_norm": "Gradient clipping: when the whole gradient's length ‖g‖ exceeds this, it is scaled down "
                 "to it (same direction, shorter step); the number of clipped updates is reported. 0 = off.",
}
_LABELS = {"l2": "L2 λ₂", "l1": "L1 λ₁", "weight_decay": "Decay wd", "lr_schedule": "η schedule",
           "lr_step_epochs": "Every K ep.", "lr_gamma": "Factor γ", "warmup": "Warm-up",
           "clip_norm": "Clip ‖g‖"}
_SCHEDULE_TITLES = {"constant": "constant", "step": "step (×γ)", "cosine": "cosine"}


def summary(cfg: TrainConfig) -> str:
    """What is on, in a few words: "L2 0.001 · cosine · clip 1", or "off"."""
    parts = [f"{label} {getattr(cfg, key):g}" for key, label in (("l2", "L2"), ("l1", "L1")) if getattr(cfg, key)]
    if cfg.optimizer == "adamw" and cfg.weight_decay:
        parts.append(f"decay {cfg.weight_decay:g}")
    if cfg.lr_schedule != "constant":
        parts.append(cfg.lr_schedule)
    if cfg.warmup:
        parts.append(f"warm-up {cfg.warmup}")
    if cfg.clip_norm:
        parts.append(f"clip {cfg.clip_norm:g}")
    return " · ".join(parts) or "off"


class FitScrollArea(QScrollArea):
    """Shows its widget whole when there is room (its size hint is the widget's) and scrolls
    when the window is short (a 1024×700 window with the regularization group open), instead
    of making the window taller."""

    MIN_HEIGHT = 120

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # never wider than the view: the content wraps and squeezes to the panel's width (as the
        # panel's own fields did before they scrolled) instead of being cut off on the right
        widget.setMinimumWidth(1)
        self.setWidget(widget)
        self.shrinkable: QWidget | None = None

    def sizeHint(self) -> QSize:
        hint = self.widget().sizeHint()
        return QSize(hint.width() + self.verticalScrollBar().sizeHint().width(), hint.height())

    def minimumSizeHint(self) -> QSize:
        """Only ``shrinkable`` (the open regularization form) may scroll out of view: with it
        closed the panel needs its whole height, as it did before the settings could scroll."""
        full = self.widget().sizeHint().height()
        part = self.shrinkable
        if part is not None and not part.isHidden():
            return QSize(40, max(min(self.MIN_HEIGHT, full), full - part.sizeHint().height()))
        return QSize(40, full)

    def reveal(self, child: QWidget) -> None:
        """After a layout change: the new size, and ``child`` scrolled into view."""
        self.updateGeometry()
        def show():
            top = child.mapTo(self.widget(), QPoint(0, 0)).y()
            bar = self.verticalScrollBar()
            if top + child.height() > bar.value() + self.viewport().height():
                bar.setValue(min(top, top + child.height() - self.viewport().height()))
        QTimer.singleShot(0, show)


class RegularizationBox(QWidget):
    """A header button that opens and closes a form of the regularization settings."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("regularizationBox")
        self.toggle = QToolButton()
        self.toggle.setObjectName("regularizationToggle")
        self.toggle.setAccessibleName("Regularization & schedule")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setStyleSheet("QToolButton { border: none; font-weight: 600; }")
        self.toggle.setToolTip("Penalties against overfitting (L2, L1, AdamW's weight decay), a learning-rate "
                               "schedule and gradient clipping")
        self.toggle.setText("Regularization && schedule")        # && : a literal &
        self.toggle.toggled.connect(self._on_toggled)
        self.summary_label = QLabel("off")
        self.summary_label.setObjectName("regularizationSummary")
        self.summary_label.setStyleSheet("color: #6b7280; padding-left: 18px;")
        self.summary_label.setWordWrap(True)
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary_label.setMinimumWidth(40)
        self.body = QWidget()
        self.body.setObjectName("regularizationForm")
        form = QFormLayout(self.body)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.edits: dict[str, QLineEdit] = {}
        self.schedule_combo = QComboBox()
        self.schedule_combo.setMinimumContentsLength(6)
        self.schedule_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.schedule_combo.setObjectName("lrScheduleCombo")
        self.schedule_combo.setToolTip(REG_TIPS["lr_schedule"])
        for name in SCHEDULES:
            self.schedule_combo.addItem(_SCHEDULE_TITLES[name], name)
        for key in ("l2", "l1", "weight_decay", "lr_schedule", "lr_step_epochs", "lr_gamma", "warmup", "clip_norm"):
            if key == "lr_schedule":
                form.addRow(_LABELS[key], self.schedule_combo)
                continue
            e = QLineEdit()
            e.setMinimumWidth(40)
            e.setObjectName(f"{key.replace('_', '')}Edit")       # l2Edit, weightdecayEdit, clipnormEdit, ...
            e.setToolTip(REG_TIPS[key])
            e.setAccessibleName(_LABELS[key])
            e.setAccessibleDescription(REG_TIPS[key])
            e.textEdited.connect(lambda _t: self.edited.emit())
            self.edits[key] = e
            form.addRow(_LABELS[key], e)
        self.labels = {key: form.labelForField(w) for key, w in
                       [*self.edits.items(), ("lr_schedule", self.schedule_combo)]}
        self.schedule_combo.activated.connect(lambda _i: self.edited.emit())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.toggle)
        lay.addWidget(self.summary_label)
        lay.addWidget(self.body)
        self.body.hide()
        self._summary = "off"
        self._set_title()

    # -- showing -------------------------------------------------------------------
    def _on_toggled(self, on: bool) -> None:
        self.body.setVisible(on)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def _set_title(self) -> None:
        self.summary_label.setText(self._summary)

    def load(self, cfg: TrainConfig, errors: dict[str, str]) -> None:
        """Show ``cfg`` (fields with an error being typed keep their text)."""
        for key, e in self.edits.items():
            if e.objectName() not in errors:
                v = getattr(cfg, key)
                e.setText(f"{v:g}" if isinstance(v, float) else str(v))
        self.schedule_combo.setCurrentIndex(max(0, self.schedule_combo.findData(cfg.lr_schedule)))
        self._summary = summary(cfg)
        self._set_title()
        self.sync(cfg.optimizer)

    def sync(self, optimizer: str) -> None:
        """Fields that do nothing under the current choices are disabled (their tooltip says why)."""
        step = self.schedule_combo.currentData() == "step"
        for key, on in (("weight_decay", optimizer == "adamw"), ("lr_step_epochs", step), ("lr_gamma", step)):
            self.edits[key].setEnabled(on)
            if self.labels[key] is not None:
                self.labels[key].setEnabled(on)

    # -- reading -------------------------------------------------------------------
    def read(self, values: dict, errors: dict[str, str]) -> None:
        """Add the typed settings to ``values`` and their problems to ``errors`` (by objectName)."""
        checks = {"l2": lambda t: _parse_float(t, "L2 λ₂", 0), "l1": lambda t: _parse_float(t, "L1 λ₁", 0),
                  "weight_decay": lambda t: _parse_float(t, "weight decay", 0),
                  "lr_step_epochs": lambda t: _parse_int(t, "step every K epochs", 1),
                  "lr_gamma": lambda t: _parse_float(t, "step factor γ", 0, lo_open=True),
                  "warmup": lambda t: _parse_int(t, "warm-up updates", 0),
                  "clip_norm": lambda t: _parse_float(t, "clip gradient norm", 0)}
        for key, parse in checks.items():
            e = self.edits[key]
            try:
                values[key] = parse(e.text())
            except ConfigError as exc:
                errors[e.objectName()] = str(exc)
        values["lr_schedule"] = self.schedule_combo.currentData() or "constant"
