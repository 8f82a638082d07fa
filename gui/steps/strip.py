"""The three steps of the lecture in a slim strip across the top of the canvas: ① Model · ② Loss ·
③ Optimization, each one line (its formula and numbers, cut to fit with "…"); a click on a step,
or the ▾ button, shows all three in full underneath.

The strip follows the document (graph, data, training settings, results) and the training run
(its update count). It only formats text the engine wrote (``gui/steps/content.py``); a refresh
is coalesced and runs at most four times a second while training, so the GUI thread pays
almost nothing for it.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFontMetrics
from PySide6.QtWidgets import (QFrame, QGraphicsDropShadowEffect, QHBoxLayout, QLabel, QScrollArea,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from gui.common.style import ACCENT, TEXT_MUTED, ui_font
from gui.steps.content import Progress, StepText, loss_step, model_step, optimization_step

__all__ = ["StepCell", "ThreeStepsStrip", "install_three_steps"]

LIVE_INTERVAL_MS = 250      # a running training refreshes the numbers at most this often
EDIT_DELAY_MS = 30          # edits in a burst (a paste, an undo of many) refresh once
EXPANDED_SHARE = 0.3        # of the window's height, at most, for the steps in full (they scroll)
_NUMBERS = ("①", "②", "③")
_SETTING = "threeSteps/expanded"


class StepCell(QFrame):
    """One step: its one-line header; its formula in full is ``detail`` (in the sheet)."""
    clicked = Signal()

    def __init__(self, number: int, name: str, parent=None) -> None:
        super().__init__(parent)
        self.number = number
        self.setObjectName(f"step{name}")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        left = "border-left: 1px solid #e5e7eb;" if number > 1 else ""
        self.setStyleSheet(f"QFrame#step{name} {{ border: none; {left} }}"
                           f"QFrame#step{name}:hover {{ background: #f1f5f9; }}")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(7, 3, 6, 3)
        lay.setSpacing(0)
        self.header = QLabel()
        self.header.setObjectName(f"step{name}Header")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.header.setMinimumWidth(60)
        lay.addWidget(self.header)
        self.formula = QLabel()                 # plain text: the formula, cut to fit
        self.formula.setObjectName(f"step{name}Formula")
        self.formula.setTextFormat(Qt.TextFormat.PlainText)
        self.formula.setFont(ui_font(10))
        self.formula.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.formula.setMinimumWidth(60)
        lay.addWidget(self.formula)
        self.detail = QLabel()                  # shown in the sheet under the strip
        self.detail.setObjectName(f"step{name}Detail")
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text = StepText("", "")

    def set_text(self, text: StepText) -> None:
        if text == self.text:
            return
        self.text = text
        self._fit()
        detail = "<br>".join(f"<span style='font-size:10.5pt'>{escape(s)}</span>" for s in text.lines)
        notes = "<br>".join(escape(s) for s in text.notes)
        html = f"{detail}<br><span style='color:{TEXT_MUTED.name()}'>{notes}</span>" if notes else detail
        self.detail.setText(html)
        title = f"{_NUMBERS[self.number - 1]} {text.title}" + (f" · {text.badge}" if text.badge else "")
        self.setToolTip("\n".join((title,) + text.lines + text.notes))

    def natural_width(self) -> int:
        """The width of its whole formula or its name, the wider (and no facts)."""
        t = self.text
        title = QFontMetrics(self.header.font()).horizontalAdvance(f"{_NUMBERS[self.number - 1]}  · {t.badge}") \
            + QFontMetrics(ui_font(bold=True)).horizontalAdvance(t.title)
        return max(QFontMetrics(self.formula.font()).horizontalAdvance(t.formula), title) + 20

    def plain_header(self) -> str:
        """What the header shows now, as plain text."""
        return self.header.property("plain") or ""

    def _fit(self) -> None:
        """Line 1: the step's name, its live badge and as many facts as fit; line 2: the
        formula, cut with "…" when it does not fit."""
        t = self.text
        fm, bold = QFontMetrics(self.header.font()), QFontMetrics(ui_font(bold=True))
        prefix = f"{_NUMBERS[self.number - 1]} "
        badge = f" · {t.badge}" if t.badge else ""
        m = self.layout().contentsMargins()
        width = self.width() - m.left() - m.right() - 4      # the labels may not have their new width yet
        used = fm.horizontalAdvance(prefix + badge) + bold.horizontalAdvance(t.title)
        facts = []
        for fact in t.facts:
            w = fm.horizontalAdvance(f"  ·  {fact}")
            if used + w > width:
                break
            facts.append(fact)
            used += w
        formula = t.formula
        ffm = QFontMetrics(self.formula.font())
        if ffm.horizontalAdvance(formula) > width:
            formula = ffm.elidedText(formula, Qt.TextElideMode.ElideRight, max(width, 0))
        muted = "".join(f"&nbsp;&nbsp;·&nbsp;&nbsp;{escape(f)}" for f in facts)
        html = (f"<span style='color:{ACCENT.name()}; font-weight:600'>{prefix}</span>"
                f"<b>{escape(t.title)}</b><span style='color:{ACCENT.name()}'>{escape(badge)}</span>"
                f"<span style='color:{TEXT_MUTED.name()}'>{muted}</span>")
        self.header.setProperty("plain", "  ·  ".join([f"{prefix}{t.title}{badge}  {formula}"] + facts))
        if html != self.header.text():
            self.header.setText(html)
        if formula != self.formula.text():
            self.formula.setText(formula)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class StepsSheet(QFrame):
    """The three steps in full, laid over the window right under the strip, each column under
    its step (the window's layout stays: a 700 px high window has no room to give). At most
    EXPANDED_SHARE of the window's height; a longer text scrolls."""

    def __init__(self, strip: "ThreeStepsStrip") -> None:
        super().__init__(strip.window())
        self.strip = strip
        self.setObjectName("threeStepsSheet")
        self.setStyleSheet("QFrame#threeStepsSheet { background: #ffffff; border: 1px solid #e5e7eb;"
                           " border-top: none; border-radius: 0 0 6px 6px; }")
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(14)
        shadow.setOffset(0, 3)
        shadow.setColor(QColor(15, 23, 42, 60))
        self.setGraphicsEffect(shadow)
        self.columns = []
        for cell in strip.cells:
            area = QScrollArea(self)
            area.setObjectName(f"{cell.objectName()}Scroll")
            area.setWidget(cell.detail)
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            area.setStyleSheet("QScrollArea, QScrollArea > QWidget > QWidget { background: transparent; }")
            self.columns.append((cell, area))
        self.hide()
        strip.window().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.parentWidget():
            QTimer.singleShot(0, self.place)       # its share of the new height
        return False

    def place(self) -> None:
        """Under the strip, as wide as it, each column under its step; as tall as the longest
        text needs, up to its share of the window."""
        strip, win = self.strip, self.parentWidget()
        if not self.isVisible() or win is None:
            return
        top_left = strip.mapTo(win, QPoint(0, strip.height()))
        bar = 14          # room for a scroll bar, so the text wraps as it will be shown
        need = 0
        for cell, area in self.columns:
            x = cell.mapTo(strip, QPoint(0, 0)).x()
            w = cell.width() if cell is not strip.cells[-1] else strip.width() - x
            area.setGeometry(x + 8, 6, max(w - 12, 40), 10)
            need = max(need, cell.detail.heightForWidth(max(w - 12 - bar, 40)) + 4)
        height = min(need, max(80, int(win.height() * EXPANDED_SHARE))) + 10
        for _cell, area in self.columns:
            area.resize(area.width(), height - 10)
        self.setGeometry(top_left.x(), top_left.y(), strip.width(), height)
        self.raise_()


class ThreeStepsStrip(QFrame):
    """① Model · ② Loss · ③ Optimization for the document and its training run."""
    refreshed = Signal()

    def __init__(self, document, training=None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("threeSteps")
        self.setStyleSheet("QFrame#threeSteps { background: #ffffff; border: none;"
                           " border-bottom: 1px solid #e5e7eb; }")
        self.document, self.training = document, training
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(200)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.model_cell = StepCell(1, "Model")
        self.loss_cell = StepCell(2, "Loss")
        self.optimization_cell = StepCell(3, "Optimization")
        self.cells = (self.model_cell, self.loss_cell, self.optimization_cell)
        for cell in self.cells:
            lay.addWidget(cell, 1)
            cell.clicked.connect(self.toggle)
        self.expand_button = QToolButton()
        self.expand_button.setObjectName("threeStepsExpand")
        self.expand_button.setAutoRaise(True)
        self.expand_button.clicked.connect(self.toggle)
        lay.addWidget(self.expand_button, 0, Qt.AlignmentFlag.AlignTop)
        self._progress: Progress | None = None
        self._want_sheet = False
        self._model_dirty = True
        self.sheet = StepsSheet(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        self._connect()
        self.set_expanded(QSettings().value(_SETTING, False, type=bool), remember=False)
        self.refresh()

    # -- wiring ------------------------------------------------------------------------------
    def _connect(self) -> None:
        d = self.document
        for sig in (d.graph_changed, d.dataset_changed, d.replaced):
            sig.connect(self._model_changed)
        d.config_changed.connect(self._soon)
        d.results_changed.connect(self._on_results)
        if self.training is not None:
            self.training.snapshot_received.connect(self._on_snapshot)
            self.training.state_changed.connect(self._on_results)

    def _model_changed(self, *_) -> None:
        self._model_dirty = True          # the formula is written again only after these
        self._soon()

    def _soon(self, *_) -> None:
        if not self._timer.isActive():
            self._timer.start(EDIT_DELAY_MS)

    def _on_snapshot(self, snap) -> None:
        """Keep the newest counts; the text follows at most every LIVE_INTERVAL_MS."""
        record = snap.epochs_new[-1] if snap.epochs_new else (self._progress.record if self._progress else {})
        goal = getattr(self.training.trainer, "epoch_goal", 0) if self.training.trainer is not None else 0
        self._progress = Progress(snap.updates, snap.epoch, goal or 0, snap.state == "running", dict(record))
        if not self._timer.isActive():
            self._timer.start(LIVE_INTERVAL_MS)

    def _on_results(self, *_) -> None:
        """Results or the run's state changed: the counts from the trainer or the saved history."""
        self._progress = self._progress_now()
        self._soon()

    def _progress_now(self) -> Progress | None:
        ctl = self.training
        tr = ctl.current_trainer() if ctl is not None else None
        if tr is not None and tr.updates:
            return Progress(tr.updates, tr.epoch, tr.epoch_goal or 0, ctl.state == "running",
                            dict(tr.epochs[-1]) if tr.epochs else {})
        history = self.document.history or {}
        epochs = history.get("epochs") or []
        updates = len(history.get("update_loss") or [])
        if not updates or self.document.weights is None:
            return None
        return Progress(updates, int(epochs[-1].get("epoch", len(epochs))) if epochs else 0, 0, False,
                        dict(epochs[-1]) if epochs else {})

    # -- showing -----------------------------------------------------------------------------
    def refresh(self) -> None:
        d = self.document
        ds, g = d.dataset, d.graph
        out = g.nodes.get(g.output_node() or "")
        task = out.params["task"] if out is not None else None
        outputs = out.params["units"] if out is not None else 1
        if self._model_dirty:
            self._model_dirty = False
            names = list(ds.feature_names) if ds is not None else None
            counts = {nid: c[0] for nid in g.nodes if (c := d.cost_of(nid)) is not None}
            self.model_cell.set_text(model_step(g, names, counts))
        self.loss_cell.set_text(loss_step(d.train_config, task, outputs, ds, d.data_path, self._progress))
        self.optimization_cell.set_text(optimization_step(d.train_config, ds.n_train if ds is not None else None,
                                                          self._progress))
        for i, cell in enumerate(self.cells):     # a longer step gets a wider part
            self.layout().setStretch(i, max(cell.natural_width(), 1))
        self.sheet.place()
        self.refreshed.emit()

    def expanded(self) -> bool:
        return self.sheet.isVisible()

    def set_expanded(self, on: bool, remember: bool = True) -> None:
        self.sheet.setVisible(on and self.isVisible())
        self._want_sheet = on
        if on:
            self.sheet.place()
        self.expand_button.setText("▴" if on else "▾")
        self.expand_button.setToolTip("Show one line per step" if on else
                                      "Show the three steps in full: the formulas and what each letter is")
        if remember:
            QSettings().setValue(_SETTING, on)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._want_sheet:
            QTimer.singleShot(0, lambda: self.set_expanded(self._want_sheet, remember=False))

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.sheet.hide()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.sheet.place()

    def moveEvent(self, event) -> None:
        super().moveEvent(event)
        self.sheet.place()

    def toggle(self) -> None:
        self.set_expanded(not self.expanded())


def install_three_steps(window) -> ThreeStepsStrip:
    """The strip across the top of the canvas (the window's central widget becomes the strip over
    the canvas: the right-hand panels, not the canvas, set a small window's height, so the strip
    costs the window no height); View → Panels → The Three Steps shows or hides it."""
    canvas = window.takeCentralWidget()
    area = QWidget()
    area.setObjectName("canvasArea")
    lay = QVBoxLayout(area)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(0)
    window.setCentralWidget(area)
    strip = ThreeStepsStrip(window.document, window.training, area)
    lay.addWidget(strip)
    lay.addWidget(canvas, 1)
    act = QAction("The Three Steps", window)
    act.setObjectName("actionThreeSteps")
    act.setCheckable(True)
    act.setChecked(True)
    act.setStatusTip("Model, loss and optimization in the lecture's notation, over the canvas")
    act.toggled.connect(strip.setVisible)
    window.panels_menu.addAction(act)
    window.three_steps = strip
    return strip
