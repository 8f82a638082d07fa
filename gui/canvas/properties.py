"""Properties panel: edits the selected node; every change is one undoable command.

Settings are SetParamsCommands; an activation's Function combo is a SetKindCommand
(Sigmoid → ReLU in place: same position and links, an id of the new kind, ``relu1``; the new
kind's default settings). The page of the new kind is built after the combo's own signal has
returned (never under the widget that is emitting).

With nothing selected it shows the project (name, description, what to fix).
Editors are rebuilt when the selection changes and refreshed from the
document (signals blocked) when an undo changes the node underneath.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeySequence, QPalette
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QLabel, QLineEdit,
                               QScrollArea, QSpinBox, QStyle, QStyledItemDelegate, QVBoxLayout, QWidget)

from engine.graph import ACTIVATION_KINDS, INITIALIZERS, NODE_SPECS, TASKS, GraphError
from gui.document.commands import SetKindCommand, SetParamsCommand
from gui.canvas.weights_table import WeightsTable
from gui.common.icons import node_icon
from gui.common.style import TEXT_MUTED, category_color, mono_font

__all__ = ["PropertiesPanel"]

_LABELS = {"units": "Units", "features": "Features", "bias": "Bias b", "init": "Initializer",
           "rate": "Drop rate p", "alpha": "Slope α (r < 0)", "task": "Task", "l2": "L2 λ₂", "l1": "L1 λ₁"}
_HELP = {
    "units": "How many values this layer outputs (1–4096): the rows of W.",
    "features": "Width of each example; set by the dataset when one is loaded.",
    "bias": "Learn a constant b added to each output.",
    "init": "How W is drawn at the start: xavier for sigmoid/tanh, he for ReLU.",
    "rate": "While training, each value is zeroed with this probability (0 ≤ p < 1).",
    "alpha": "Leaky ReLU slope for negative inputs (0 ≤ α < 1).",
    "task": "regression: a number; binary: two classes; multiclass: one of several.",
    "l2": "This layer's own L2 penalty λ₂ (adds λ₂·Σw² of its W, never b, to the loss). Empty: the "
          "project's λ₂ (Training panel → Regularization & schedule). Press Enter to apply.",
    "l1": "This layer's own L1 penalty λ₁ (adds λ₁·Σ|w| of its W to the loss). Empty: the project's λ₁.",
}
_INIT_HELP = {"xavier": "Xavier/Glorot: for sigmoid, tanh", "he": "He: for ReLU",
              "uniform": "small uniform values"}


_FORMULA_ROLE = Qt.ItemDataRole.UserRole + 1


def _short_formula(kind: str) -> str:
    """The formula without its gloss, as on the node card: ``a = clip(0.2·r + 0.5, 0, 1)``."""
    return NODE_SPECS[kind].formula.split(":")[0]

# the most of a project's notes the panel shows: a QLabel lays out all of its text at once
# (1 MB of notes froze the window for 2.8 s, 10 MB for 20 s)
NOTES_SHOWN = 6000


class _KindDelegate(QStyledItemDelegate):
    """A row of the Function list: icon and name, then the formula in grey monospace."""

    GAP = 18

    def paint(self, painter, option, index) -> None:
        super().paint(painter, option, index)
        formula = index.data(_FORMULA_ROLE)
        if not formula:
            return
        painter.save()
        painter.setFont(mono_font(8.5))
        selected = option.state & QStyle.StateFlag.State_Selected
        painter.setPen(option.palette.color(QPalette.ColorRole.HighlightedText) if selected else TEXT_MUTED)
        r = option.rect.adjusted(0, 0, -8, 0)
        painter.drawText(r, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, formula)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:
        size = super().sizeHint(option, index)
        formula = index.data(_FORMULA_ROLE) or ""
        extra = QFontMetrics(mono_font(8.5)).horizontalAdvance(formula) + self.GAP + 8
        return QSize(size.width() + extra, max(size.height(), 26))


def _kind_combo(current: str) -> QComboBox:
    """Every activation the palette offers, with its icon, name and formula."""
    w = QComboBox()
    w.setObjectName("activationKindCombo")
    w.setAccessibleName("Function")
    w.setItemDelegate(_KindDelegate(w))
    w.setIconSize(QSize(18, 18))
    for kind in ACTIVATION_KINDS:
        spec = NODE_SPECS[kind]
        w.addItem(node_icon(kind), spec.title, kind)
        i = w.count() - 1
        w.setItemData(i, _short_formula(kind), _FORMULA_ROLE)
        w.setItemData(i, f"<b>{spec.title}</b><br><tt>{spec.formula}</tt>", Qt.ItemDataRole.ToolTipRole)
    w.setCurrentIndex(max(0, w.findData(current)))
    w.setToolTip("The function applied to each value: change it in place (links and position stay; "
                 "Ctrl+Z changes it back). It has no weights, so the other layers' weights are kept.")
    # the open list is wide enough for names and formulas, even when the panel is narrow
    names, formulas = QFontMetrics(w.view().font()), QFontMetrics(mono_font(8.5))
    widest = max(names.horizontalAdvance(NODE_SPECS[k].title) + formulas.horizontalAdvance(_short_formula(k))
                 for k in ACTIVATION_KINDS)
    w.view().setMinimumWidth(widest + w.iconSize().width() + _KindDelegate.GAP + 40)
    return w


class _GraphUndoKeys(QObject):
    """Lets Ctrl+Z / Ctrl+Shift+Z in an editor reach the window's Undo/Redo (the graph's history)
    instead of the spin box's own text undo: the value was already applied as a command."""

    KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and any(event.matches(k) for k in self.KEYS):
            event.ignore()
            return True
        return False


class PropertiesPanel(QScrollArea):
    page_built = Signal()               # the page was (re)built for the selection

    def __init__(self, document, scene, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("properties")
        self.setAccessibleName("properties")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.document = document
        self.scene = scene
        self.node_id: str | None = None
        self.editors: dict[str, QWidget] = {}
        self.kind_combo: QComboBox | None = None      # an activation's Function
        self._page_kind: str | None = None
        self._page_id: str | None = None
        self._in_kind_signal = False         # inside the Function combo's activated signal
        self._rebuild_pending = False
        self.cost_table: QLabel | None = None        # on the project page
        self.weights_source = None                   # set by attach_weights: a Dense page's W and b
        self.weights_table: WeightsTable | None = None
        self.locked = False
        self._undo_keys = _GraphUndoKeys(self)
        self._refusal = ""
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        self._layout.setContentsMargins(12, 10, 12, 10)
        self._layout.setSpacing(8)
        self.setWidget(self._body)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        scene.selectionChanged.connect(self._on_scene_selection_changed)
        document.graph_changed.connect(self._on_document_changed)
        document.node_renamed.connect(self._on_document_node_renamed)
        document.replaced.connect(self._on_scene_selection_changed)
        document.dataset_changed.connect(self._on_document_changed)
        self._rebuild()

    # -- public ------------------------------------------------------------------
    def set_locked(self, locked: bool) -> None:
        self.locked = locked
        for w in self._edit_widgets():
            w.setEnabled(not locked)
        if self.weights_table is not None:
            self.weights_table.set_locked(locked)

    def attach_weights(self, source) -> None:
        """Show a Dense node's W and b as numbers to read and set
        (``source``: a :class:`gui.training.weights_source.WeightsSource`)."""
        self.weights_source = source
        self._rebuild()

    # -- slots --------------------------------------------------------------------
    def _on_scene_selection_changed(self) -> None:
        try:
            ids = self.scene.selected_node_ids()
        except RuntimeError:            # scene already gone at shutdown
            return
        new = ids[0] if len(ids) == 1 else None
        if new != self.node_id or new is None:
            self.node_id = new
            self._rebuild()

    def _on_document_node_renamed(self, old: str, new: str) -> None:
        if self.node_id == old:
            self.node_id = new           # the same node; its page names it (graph_changed follows)

    def _on_document_changed(self) -> None:
        if self.node_id is not None and self.node_id not in self.document.graph.nodes:
            self.node_id = None
            self._rebuild()
            return
        if self.node_id is None:
            self._rebuild()
            return
        node = self.document.graph.nodes[self.node_id]
        if node.kind != self._page_kind or self.node_id != self._page_id \
                or set(node.params) != set(self.editors):
            self._rebuild_after_kind_signal()   # another kind (Sigmoid → ReLU, or its undo): its own page
            return
        for name, w in self.editors.items():
            with QSignalBlocker(w):
                _set_value(w, node.params[name])
        if self.kind_combo is not None:
            with QSignalBlocker(self.kind_combo):
                _set_value(self.kind_combo, node.kind)
        self._fill_info()

    # -- building -------------------------------------------------------------------
    def _edit_widgets(self) -> list[QWidget]:
        return ([self.kind_combo] if self.kind_combo is not None else []) + list(self.editors.values())

    def _clear(self) -> None:
        self.editors = {}
        self.kind_combo = None
        self._page_kind = self._page_id = None
        self.cost_table = None
        self.weights_table = None
        # the error label is reused: hide it but keep a parent (a parentless visible
        # label becomes a top-level window of its own, and the app would not quit)
        self._layout.removeWidget(self.error_label)
        self.error_label.hide()
        while self._layout.count():
            item = self._layout.takeAt(0)
            w = item.widget()
            if w is not None:
                w.hide()
                w.setParent(None)
                w.deleteLater()

    def _rebuild_after_kind_signal(self) -> None:
        """Rebuild now, or, inside the Function combo's own signal, once it has returned."""
        if not self._in_kind_signal:
            self._rebuild()
        elif not self._rebuild_pending:
            self._rebuild_pending = True
            QTimer.singleShot(0, self, self._rebuild_if_pending)

    def _rebuild_if_pending(self) -> None:
        if self._rebuild_pending:
            self._rebuild()

    def _rebuild(self) -> None:
        self._rebuild_pending = False
        # a kind picked from the keyboard rebuilds the page under the combo: keep the focus there
        refocus = self.kind_combo is not None and self.kind_combo.hasFocus()
        self._refusal = ""
        self._clear()
        self.error_label.clear()
        if self.node_id is None:
            self._build_project_page()
        else:
            self._build_node_page()
        self._layout.addStretch(1)
        if refocus and self.kind_combo is not None:
            self.kind_combo.setFocus(Qt.FocusReason.OtherFocusReason)
        self.page_built.emit()

    def _title(self, text: str, color=None, icon=None) -> None:
        row = QWidget()
        lay = QFormLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        t = QLabel(text)
        t.setObjectName("sectionTitle")
        t.setWordWrap(True)
        style = "font-size: 13pt; font-weight: 600;"
        if color is not None:
            style += f" color: {color.name()};"
        t.setStyleSheet(style)
        if icon is not None:
            ic = QLabel()
            ic.setPixmap(icon.pixmap(26, 26))
            lay.addRow(ic, t)
        else:
            lay.addRow(t)
        self._layout.addWidget(row)

    def _build_project_page(self) -> None:
        doc = self.document
        self._title(doc.name or "Untitled")
        if doc.notes:
            text = doc.notes
            if len(text) > NOTES_SHOWN:       # a label lays out all its text on the GUI thread
                text = text[:NOTES_SHOWN].rstrip() + f"\n… ({len(doc.notes) - NOTES_SHOWN:,} more characters)"
            notes = QLabel(text)
            notes.setWordWrap(True)
            notes.setTextFormat(Qt.TextFormat.PlainText)
            self._layout.addWidget(notes)
        g = doc.graph
        summary = QLabel(f"{len(g.nodes)} nodes · {len(g.edges)} connections")
        summary.setStyleSheet("color: #6b7280;")
        summary.setWordWrap(True)
        self._layout.addWidget(summary)
        self._layout.addWidget(self._cost_table())
        issues = doc.issues()
        if issues:
            self.error_label.setText("Cannot train yet:\n• " + "\n• ".join(i.message for i in issues[:6]))
            self._layout.addWidget(self.error_label)
            self.error_label.show()
        first_steps = ("Drag layers from the palette between Input and Output, then import a CSV "
                       "(File → Import CSV). " if len(g.nodes) <= 2 or doc.dataset is None else "")
        hint = QLabel(first_steps + "Select a node to edit its settings. Drag from an output port (right) "
                      "to an input port (left) to connect.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #6b7280;")
        self._layout.addWidget(hint)

    def _cost_table(self) -> QLabel:
        """Per-layer cost (parameters, multiply-adds per example) with the network's total."""
        doc = self.document
        rows = [(nid, *doc.cost_of(nid)) for nid in doc.graph.nodes if doc.cost_of(nid) is not None]
        total = doc.total_cost()
        cell = "padding: 1px 6px;"
        head = (f"<table cellspacing='0' style='margin-top:2px'><tr style='color:#6b7280'>"
                f"<td style='{cell}'>layer</td><td align='right' style='{cell}'>params</td>"
                f"<td align='right' style='{cell}'>mult-adds</td></tr>")
        html = [head]
        for nid, params, macs in rows:
            html.append(f"<tr><td style='{cell}'>{nid}</td><td align='right' style='{cell}'>{params:,}</td>"
                        f"<td align='right' style='{cell}'>{macs:,}</td></tr>")
        top = f"{cell} border-top: 1px solid #d1d5db;"
        html.append(f"<tr style='font-weight:600'><td style='{top}'>total</td>"
                    f"<td align='right' style='{top}'>{total[0]:,}</td>"
                    f"<td align='right' style='{top}'>{total[1]:,}</td></tr></table>")
        label = QLabel("".join(html))
        label.setObjectName("costTable")
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setToolTip("Learnable parameters (weights W and biases b) and multiply-adds for one "
                         "example's forward pass, per Dense layer; activations cost no parameters.")
        self.cost_table = label
        return label

    def _build_node_page(self) -> None:
        node = self.document.graph.nodes[self.node_id]
        spec = node.spec
        self._title(f"{spec.title}", category_color(spec.category), node_icon(node.kind))
        sub = QLabel(f"<span style='color:#6b7280'>{self.node_id} · {spec.category}</span><br>"
                     f"<tt>{spec.formula}</tt>")
        sub.setWordWrap(True)
        self._layout.addWidget(sub)
        form_w = QWidget()
        form = QFormLayout(form_w)
        form.setContentsMargins(0, 6, 0, 6)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._page_kind, self._page_id = node.kind, self.node_id
        if node.kind in ACTIVATION_KINDS:
            box = _kind_combo(node.kind)
            box.setEnabled(not self.locked)
            box.installEventFilter(self._undo_keys)
            box.activated.connect(lambda i, b=box: self._apply_kind(b.itemData(i)))
            self.kind_combo = box
            form.addRow("Function", box)
        for name, value in node.params.items():
            w = self._make_editor(name, value)
            w.setToolTip(_HELP.get(name, ""))
            w.setObjectName(f"param_{name}")
            w.setAccessibleName(_LABELS.get(name, name))
            w.setEnabled(not self.locked)
            w.installEventFilter(self._undo_keys)
            self.editors[name] = w
            form.addRow(_LABELS.get(name, name), w)
        if not node.params:
            text = ("It has no weights: nothing to learn." if self.kind_combo is not None
                    else "No settings: it has nothing to learn.")
            note = QLabel(f"<span style='color:#6b7280'>{text}</span>")
            note.setWordWrap(True)
            form.addRow(note)
        self._layout.addWidget(form_w)
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.info_label.setTextFormat(Qt.TextFormat.RichText)
        self._layout.addWidget(self.info_label)
        self._layout.addWidget(self.error_label)
        self.error_label.show()
        if node.kind == "dense" and self.weights_source is not None:
            self.weights_table = WeightsTable(self.weights_source, self.node_id)
            self.weights_table.set_locked(self.locked)
            self._layout.addWidget(self.weights_table)
        self._fill_info()

    def _fill_info(self) -> None:
        if self.node_id is None or self.node_id not in self.document.graph.nodes:
            return
        doc = self.document
        w_in, w_out = doc.input_width_of(self.node_id), doc.width_of(self.node_id)
        fmt = lambda w: "?" if w is None else str(w)   # noqa: E731
        lines = [f"Input shape: <tt>[N, {fmt(w_in)}]</tt>", f"Output shape: <tt>[N, {fmt(w_out)}]</tt>"]
        cost = doc.cost_of(self.node_id)
        if cost is not None:
            total = doc.total_cost()
            share = f" ({100 * cost[0] / total[0]:.0f}% of the network)" if total[0] else ""
            lines.append(f"Learnable parameters: <b>{cost[0]:,}</b>{share}")
            lines.append(f"Multiply-adds per example: <b>{cost[1]:,}</b>")
        self.info_label.setText("<br>".join(lines))
        problems = [i.message for i in doc.issues() if i.node == self.node_id]
        self.error_label.setText("\n".join(([self._refusal] if self._refusal else []) + problems))

    def _make_editor(self, name: str, value) -> QWidget:
        if name in ("units", "features"):
            w = QSpinBox()
            w.setRange(1, 4096)
            w.setKeyboardTracking(False)
            w.setValue(int(value))
            w.valueChanged.connect(lambda v, n=name: self._apply(n, int(v)))
        elif name in ("rate", "alpha"):
            w = QDoubleSpinBox()
            w.setDecimals(3)
            w.setRange(0.0, 0.999)
            w.setSingleStep(0.05 if name == "rate" else 0.01)
            w.setKeyboardTracking(False)
            w.setValue(float(value))
            w.valueChanged.connect(lambda v, n=name: self._apply(n, round(float(v), 3)))
        elif name == "bias":
            w = QCheckBox("learn a bias")
            w.setChecked(bool(value))
            w.toggled.connect(lambda v: self._apply("bias", bool(v)))
        elif name in ("init", "task"):
            w = QComboBox()
            choices = INITIALIZERS if name == "init" else TASKS
            for c in choices:
                w.addItem(c, c)
                if name == "init":
                    w.setItemData(w.count() - 1, _INIT_HELP.get(c, ""), Qt.ItemDataRole.ToolTipRole)
            w.setCurrentIndex(max(0, w.findData(value)))
            w.currentIndexChanged.connect(lambda i, n=name, box=w: self._apply(n, box.itemData(i)))
        elif name in ("l2", "l1"):        # empty = the project's λ
            w = QLineEdit("" if value is None else f"{value:g}")
            project = getattr(self.document.train_config, name)
            w.setPlaceholderText(f"project's ({project:g})")
            w.editingFinished.connect(lambda n=name, box=w: self._apply_penalty(n, box.text()))
        else:
            w = QLabel(str(value))
        return w

    def _apply_penalty(self, name: str, text: str) -> None:
        """A Dense node's own λ: a number ≥ 0, or empty for the project's."""
        text = text.strip().replace(",", ".")
        try:
            value = None if not text else float(text)
        except ValueError:
            self._refusal = f"Not accepted: {_LABELS[name]} '{text}' is not a number (empty: the project's)"
            self._on_document_changed()
            return
        self._apply(name, value)

    def _apply(self, name: str, value) -> None:
        self._push(lambda: SetParamsCommand(self.document, self.node_id, {name: value}), self._fill_info)

    def _apply_kind(self, kind: str) -> None:
        self._in_kind_signal = True
        try:
            self._push(lambda: SetKindCommand(self.document, self.node_id, kind))
        finally:
            self._in_kind_signal = False

    def _push(self, make_command, unchanged=None) -> None:
        """Push the edit ``make_command()`` builds; a refusal (locked, or the engine says no)
        puts the page back and shows why."""
        if self.node_id is None:
            return
        if self.locked:
            self._on_document_changed()
            return
        try:
            cmd = make_command()
        except GraphError as exc:
            self._refusal = f"Not accepted: {exc}"
            self._on_document_changed()
            return
        self._refusal = ""
        if not cmd.isObsolete():
            self.document.undo_stack.push(cmd)
        elif unchanged is not None:
            unchanged()


def _set_value(w: QWidget, value) -> None:
    if isinstance(w, QSpinBox):
        w.setValue(int(value))
    elif isinstance(w, QDoubleSpinBox):
        w.setValue(float(value))
    elif isinstance(w, QCheckBox):
        w.setChecked(bool(value))
    elif isinstance(w, QComboBox):
        w.setCurrentIndex(max(0, w.findData(value)))
    elif isinstance(w, QLineEdit):
        w.setText("" if value is None else f"{value:g}")
