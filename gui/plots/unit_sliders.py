"""One of the unit explorer's numbers: a slider, its value as a number, and what it does in words.

Moving the slider (mouse or keyboard) reports each new value live (``moved``); letting go —
the mouse button released, the key released, the wheel resting — reports it once
(``settled``), which the explorer turns into one undoable step. Typing a number and
pressing Enter settles at once. The slider spans ``[-R, R]`` in ``TICKS`` steps, with ``R``
a round number that holds the value (it grows when a value outside it arrives).
"""
from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QSlider, QWidget

__all__ = ["ParamSlider", "TICKS", "nice_span"]

TICKS = 1000             # slider positions over [-R, R]: one arrow key moves R/500
WHEEL_REST_MS = 400      # the wheel has rested this long: the value is settled


def nice_span(v: float, least: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ (at least ``least``) that holds ``|v|`` with a margin."""
    need = max(least, 1.25 * abs(v))
    e = 10 ** math.floor(math.log10(need))
    for m in (1, 2, 5, 10):
        if m * e >= need:
            return m * e
    return 10 * e


class ParamSlider(QWidget):
    moved = Signal(float)            # a new value while moving
    settled = Signal(float)          # let go: the value to keep

    def __init__(self, symbol: str, help_text: str, least_span: float, parent=None) -> None:
        super().__init__(parent)
        self.least_span = least_span
        self.span = least_span
        self._pending = False
        self._last = 0.0                 # the value as moved (the number box shows it rounded)
        self._origin = (0.0, 0)          # (value, slider position) last shown: moves step from there
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(0)
        self.label = QLabel(symbol)
        self.label.setMinimumWidth(26)
        self.label.setStyleSheet("font-weight: 600;")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(-TICKS // 2, TICKS // 2)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(50)
        self.slider.setMinimumWidth(90)
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(4)
        self.spin.setRange(-1e6, 1e6)
        self.spin.setSingleStep(0.1)
        self.spin.setKeyboardTracking(False)
        self.spin.setButtonSymbols(QDoubleSpinBox.ButtonSymbols.NoButtons)
        self.spin.setFixedWidth(72)
        self.help = QLabel(help_text)
        self.help.setWordWrap(True)
        self.help.setStyleSheet("color: #6b7280; font-size: 8.5pt;")
        grid.addWidget(self.label, 0, 0)
        grid.addWidget(self.slider, 0, 1)
        grid.addWidget(self.spin, 0, 2)
        grid.addWidget(self.help, 1, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        self._wheel = QTimer(self)
        self._wheel.setSingleShot(True)
        self._wheel.setInterval(WHEEL_REST_MS)
        self._wheel.timeout.connect(self._settle)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.slider.installEventFilter(self)
        self.spin.valueChanged.connect(self._on_spin_value_changed)

    # -- public ------------------------------------------------------------------------------
    def value(self) -> float:
        return self._last

    def pending(self) -> bool:
        """Moved and not yet let go."""
        return self._pending or self.slider.isSliderDown()

    def set_value(self, v: float) -> None:
        """Show ``v`` (from the document): no signal; the span grows to hold it."""
        if abs(v) > self.span or self.span > nice_span(v, self.least_span) * 4:
            self.span = nice_span(v, self.least_span)
        with QSignalBlocker(self.slider), QSignalBlocker(self.spin):
            self.spin.setValue(v)
            self.slider.setValue(self._tick(v))
        self._pending = False
        self._last = float(v)
        self._origin = (float(v), self.slider.value())

    def value_at(self, tick: int) -> float:
        """The value at slider position ``tick``: steps of R/500 from the value last shown (no jump
        to the slider's grid when a move starts), the ends exactly ±R."""
        half = TICKS // 2
        if abs(tick) == half:
            return tick * self.span / half
        v0, t0 = self._origin
        return v0 + (tick - t0) * self.span / half

    # -- internals ----------------------------------------------------------------------------
    def _tick(self, v: float) -> int:
        return int(round(max(-1.0, min(1.0, v / self.span)) * (TICKS // 2)))

    def _on_slider_value_changed(self, tick: int) -> None:
        v = self.value_at(tick)
        with QSignalBlocker(self.spin):
            self.spin.setValue(v)
        self._last = v
        self._pending = True
        self.moved.emit(v)

    def _on_spin_value_changed(self, v: float) -> None:
        if abs(v) > self.span:
            self.span = nice_span(v, self.least_span)
        with QSignalBlocker(self.slider):
            self.slider.setValue(self._tick(v))
        self._last = float(v)
        self._origin = (float(v), self.slider.value())
        self.moved.emit(v)
        self._pending = True
        self._settle()

    def _settle(self) -> None:
        if self._pending and not self.slider.isSliderDown():
            self._pending = False
            self.settled.emit(self.value())

    def eventFilter(self, obj, event) -> bool:
        t = event.type()
        if t == QEvent.Type.MouseButtonRelease or (t == QEvent.Type.KeyRelease and not event.isAutoRepeat()):
            QTimer.singleShot(0, self, self._settle)      # once the slider has taken the event
        elif t == QEvent.Type.Wheel:
            self._wheel.start()
        return False
