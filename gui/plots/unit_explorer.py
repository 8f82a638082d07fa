"""The unit explorer: one hidden unit of a one-input network, by hand.

For ``ŷ = b + Σᵢ cᵢ·aᵢ(x)``, ``aᵢ = act(bᵢ + wᵢ·x′)`` (``x′`` the input as the network sees it,
standardized when the data are), the person picks a unit (its bar or cell on a card, its
curve in the units plot, or the Unit box here) and moves three sliders: ``wᵢ`` (the slope),
``bᵢ`` (the shift) and ``cᵢ`` (the height). Two panes share the x axis, in the data's units:

- **top**: the data (light), the fit ``b + Σ cᵢ·aᵢ`` (black) and, dashed, the fit as the
  document has it (what the slider has changed so far);
- **bottom**: the picked unit's term ``cᵢ·aᵢ(x)`` (thick, blue for cᵢ > 0, orange below 0)
  over the other units' terms (faint), around zero.

The curves are over a fixed grid of ``GRID`` points: moving a slider recomputes one unit's
term there (constant cost, on the GUI thread); the data's range and the points shown are
found once per dataset in a background job. Letting go of a slider is one undoable step
("Set unit 3's w") through ``TrainingController.set_weights``; the fit and units plots
then follow off the GUI thread, as after any change of the weights.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QStackedWidget, QVBoxLayout, QWidget

import gui.common.plot_style as style
from engine.losses import make_loss
from engine.model import Model
from engine.scores import evaluate
from engine.unit_explorer import activate, constant, unit_layout, unit_terms, unit_values, with_unit
from gui.common.jobs import BackgroundJob
from gui.plots.unit_sliders import ParamSlider

__all__ = ["UnitExplorer", "GRID", "explorer_data", "training_scores"]

GRID = 200                 # points of x the curves are drawn over
MAX_DOTS = 2000            # data points shown (a fixed subset of a large table)
MAX_OTHERS = 32            # the other units' terms drawn faint (those that span most)
_ACT_NAME = {"sigmoid": "σ", "hard_sigmoid": "hard σ", "relu": "ReLU", "leaky_relu": "leaky ReLU",
             "tanh": "tanh", "softplus": "softplus", "identity": ""}
_HELP = {
    "w": "w — the slope: how steeply the unit's curve rises; negative turns it round.",
    "b": "b — the shift: slides the curve along x (its bend sits where b + w·x′ = 0).",
    "c": "c — the height: how much this unit adds to ŷ; negative: it takes away.",
}


def explorer_data(ds) -> dict | None:
    """What the explorer needs of a one-input regression dataset (off the GUI thread): the grid
    in raw and standardized x, the scaling, and at most ``MAX_DOTS`` points to show."""
    if ds is None or ds.task != "regression" or ds.n_features != 1:
        return None
    x_mean, x_std = float(np.ravel(ds.x_mean)[0]), float(np.ravel(ds.x_std)[0])
    y_mean, y_std = float(np.ravel(ds.y_mean)[0]), float(np.ravel(ds.y_std)[0])
    X = np.concatenate([np.asarray(ds.X_train, np.float64)[:, 0], np.asarray(ds.X_val, np.float64)[:, 0]])
    Y = np.concatenate([np.asarray(ds.y_train, np.float64)[:, 0], np.asarray(ds.y_val, np.float64)[:, 0]])
    x, y = X * x_std + x_mean, Y * y_std + y_mean
    lo, hi = float(np.min(x)), float(np.max(x))
    pad = 0.05 * (hi - lo or 1.0)
    grid = np.linspace(lo - pad, hi + pad, GRID)
    if len(x) > MAX_DOTS:
        keep = np.sort(np.random.default_rng(0).choice(len(x), MAX_DOTS, replace=False))
        x, y = x[keep], y[keep]
    return {"grid": grid, "grid_norm": (grid - x_mean) / x_std, "x": x, "y": y, "x_mean": x_mean,
            "x_std": x_std, "y_mean": y_mean, "y_std": y_std, "x_name": ds.feature_names[0],
            "y_name": ds.target_name, "standardized": (x_mean, x_std) != (0.0, 1.0)}


def training_scores(graph, config, ds, weights: dict) -> dict:
    """The loss and MAE of ``weights`` on the training rows (off the GUI thread: a pass over the data)."""
    model = Model(graph, dtype=config.dtype, init=False)
    model.set_weights(weights)
    return evaluate(model, make_loss(config.loss, ds.task), ds.X_train, ds.y_train, y_std=ds.y_std)


class UnitExplorer(QWidget):
    curves_changed = Signal()          # the curves were redrawn (a slider moved, new weights)

    def __init__(self, document, source, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("unitExplorer")
        self.setAccessibleName("Unit explorer: one hidden unit's w, b and c by hand")
        self.document, self.source = document, source
        self.layout_ = None                   # engine.unit_explorer.UnitLayout of the graph
        self.data: dict | None = None         # explorer_data(...) of the document's dataset
        self.unit = 0                         # the picked unit (0-based)
        self.wbc = (0.0, 0.0, 0.0)            # its numbers as shown (moved, maybe not yet kept)
        self.weights: dict | None = None      # the weights the curves start from
        self.terms: np.ndarray | None = None  # (k, GRID) every unit's term, model units
        self.locked = False
        self._job: BackgroundJob | None = None
        self._score_job: BackgroundJob | None = None
        self.scores: dict | None = None       # training_scores of the weights shown
        self._scored = None                   # the weights they are of (asked for)
        self._own_change = False              # the next new weights are the explorer's own edit
        self._scores_before: dict | None = None   # ... before the explorer's last change
        self._build()
        source.changed.connect(self._on_source_changed)
        document.graph_changed.connect(self._on_document_graph_changed)
        document.dataset_changed.connect(self._on_document_dataset_changed)
        document.replaced.connect(self._on_document_dataset_changed)
        self._on_document_graph_changed()
        self._on_document_dataset_changed()

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)
        self.note = QLabel()
        self.note.setObjectName("explorerNote")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setStyleSheet("color: #555; font-size: 9pt; padding: 8px 24px;")
        self.stack.addWidget(self.note)
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(4, 2, 6, 2)
        panes = QVBoxLayout()
        panes.setSpacing(0)
        self.legend = style.legend_strip([
            (style.TRAIN, "dot", "data"), (style.MODEL, "thick", "fit b + Σ c<sub>i</sub>·a<sub>i</sub>"),
            (style.CONSTANT, "dash", "before"), (style.POSITIVE, "thick", "this unit's c<sub>i</sub>·a<sub>i</sub>")])
        panes.addWidget(self.legend)
        self.sum_plot = style.make_plot_widget()
        self.sum_plot.setObjectName("explorerSumPane")
        self.unit_plot = style.make_plot_widget()
        self.unit_plot.setObjectName("explorerUnitPane")
        for w in (self.sum_plot, self.unit_plot):
            w.setMinimumSize(200, 60)
            w.getPlotItem().getAxis("left").setWidth(44)
            w.getPlotItem().setMouseEnabled(x=False, y=False)
        self.sum_plot.getPlotItem().getAxis("bottom").setStyle(showValues=False)
        self.sum_plot.getPlotItem().getAxis("bottom").setHeight(4)
        self.sum_plot.getPlotItem().getViewBox().setXLink(self.unit_plot.getPlotItem().getViewBox())
        panes.addWidget(self.sum_plot, 1)
        panes.addWidget(self.unit_plot, 1)
        row.addLayout(panes, 3)
        side = QVBoxLayout()
        side.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(QLabel("Unit"))
        self.unit_box = QSpinBox()
        self.unit_box.setObjectName("explorerUnit")
        self.unit_box.setToolTip("Which hidden unit (also: click its bar on a card or its curve in the units plot)")
        self.unit_box.valueChanged.connect(lambda v: self.select_unit(v - 1))
        head.addWidget(self.unit_box)
        self.title = QLabel()
        self.title.setWordWrap(True)
        head.addWidget(self.title, 1)
        side.addLayout(head)
        self.formula = QLabel()
        self.formula.setObjectName("explorerFormula")
        self.formula.setWordWrap(True)
        self.formula.setTextFormat(Qt.TextFormat.RichText)
        side.addWidget(self.formula)
        self.sliders = {}
        for key, least in (("w", 5.0), ("b", 5.0), ("c", 2.0)):
            s = ParamSlider(f"{key}", _HELP[key], least)
            s.setObjectName(f"explorer_{key}")
            s.slider.setObjectName(f"explorerSlider_{key}")
            s.slider.setAccessibleName(f"unit's {key}")
            s.moved.connect(lambda v, k=key: self._on_slider_moved(k, v))
            s.settled.connect(lambda v, k=key: self._on_slider_settled(k, v))
            self.sliders[key] = s
            side.addWidget(s)
        self.score_label = QLabel()
        self.score_label.setObjectName("explorerScores")
        self.score_label.setWordWrap(True)
        self.score_label.setTextFormat(Qt.TextFormat.RichText)
        side.addWidget(self.score_label)
        self.status = QLabel()
        self.status.setObjectName("explorerStatus")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #6b7280; font-size: 8.5pt;")
        side.addWidget(self.status)
        side.addStretch(1)
        row.addLayout(side, 2)
        self.stack.addWidget(page)
        self._add_items()

    def _add_items(self) -> None:
        top, bottom = self.sum_plot.getPlotItem(), self.unit_plot.getPlotItem()
        self.dots = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(style.TRAIN + "55"))
        self.dots.setZValue(-5)
        top.addItem(self.dots)
        self.before_curve = pg.PlotCurveItem(pen=pg.mkPen(style.CONSTANT, width=1.5, style=Qt.PenStyle.DashLine))
        top.addItem(self.before_curve)
        self.sum_curve = pg.PlotCurveItem(pen=pg.mkPen(style.MODEL, width=3))
        self.sum_curve.setZValue(10)
        top.addItem(self.sum_curve)
        bottom.addItem(pg.InfiniteLine(0, angle=0, movable=False, pen=pg.mkPen("#9a9a9a", width=1)),
                       ignoreBounds=True)
        self.others = pg.PlotCurveItem(pen=pg.mkPen((150, 150, 150, 90), width=1), connect="finite")
        bottom.addItem(self.others)
        self.unit_curve = pg.PlotCurveItem(pen=pg.mkPen(style.POSITIVE, width=3))
        self.unit_curve.setZValue(10)
        bottom.addItem(self.unit_curve)

    # -- public ----------------------------------------------------------------------------------
    def select_unit(self, i: int) -> None:
        """Show hidden unit ``i`` (0-based)."""
        lay = self.layout_
        if lay is None or not 0 <= i < lay.units:
            return
        self.unit = i
        with QSignalBlocker(self.unit_box):
            self.unit_box.setValue(i + 1)
        self._load()

    def set_locked(self, locked: bool) -> None:
        """While training runs the numbers follow the run and the sliders rest."""
        self.locked = locked
        for s in self.sliders.values():
            s.setEnabled(not locked and (s is not self.sliders["b"] or self._has_bias()))
        self._say()

    def unit_curve_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The picked unit's drawn term: x (data units), cᵢ·aᵢ(x) (target units)."""
        x, y = self.unit_curve.getData()
        return np.asarray(x), np.asarray(y)

    def sum_curve_data(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.sum_curve.getData()
        return np.asarray(x), np.asarray(y)

    # -- document and weights ----------------------------------------------------------------------
    def _has_bias(self) -> bool:
        return self.layout_ is not None and self.layout_.hidden_bias

    def _on_document_graph_changed(self) -> None:
        lay, why = unit_layout(self.document.graph)
        self.layout_ = lay
        if lay is None:
            self._show_note(why)
            return
        with QSignalBlocker(self.unit_box):
            self.unit_box.setRange(1, lay.units)
        self.unit = min(self.unit, lay.units - 1)
        self._load()

    def _on_document_dataset_changed(self) -> None:
        if self._job is not None:
            self._job.cancel()
        self.data = None
        ds = self.document.dataset
        if ds is None:
            self._load()
            return
        job = BackgroundJob(lambda cancelled: explorer_data(ds) or {}, parent=self)
        job.done.connect(lambda d, j=job: self._on_data_ready(j, d))
        self._job = job
        job.start()

    def _on_data_ready(self, job, data: dict) -> None:
        if job is not self._job:
            return
        self._job = None
        self.data = data or None
        if self.data is not None:
            d = self.data
            self.dots.setData(d["x"], d["y"])
            style.set_labels(self.unit_plot, d["x_name"], "cᵢ·aᵢ")
            style.set_labels(self.sum_plot, "", d["y_name"])
        self._load()

    def _on_source_changed(self) -> None:
        if not any(s.pending() for s in self.sliders.values()):
            self._load()

    def _show_note(self, text: str) -> None:
        self.note.setText(text)
        self.stack.setCurrentIndex(0)

    def _load(self) -> None:
        """The picked unit's numbers and every term from the weights now."""
        lay = self.layout_
        if lay is None:
            return
        if self.document.dataset is None:
            self._show_note("Load data with one number to predict from (File → Import CSV) to explore the units.")
            return
        if self.document.dataset.n_features != 1 or self.document.dataset.task != "regression":
            self._show_note("The unit explorer draws cᵢ·aᵢ over x: it needs data with one input feature "
                            "and a number to predict.")
            return
        if self.data is None or not self.isVisible():
            return                      # the data's grid is on its way; or shown when visible
        w = self.source.weights()
        if w is None:
            self._show_note("Drawing the weights from the seed…")
            return
        self.stack.setCurrentIndex(1)
        self.weights = w
        self.terms = unit_terms(w, lay, self.data["grid_norm"])
        self.wbc = unit_values(w, lay, self.unit)
        for key, v in zip("wbc", self.wbc):
            self.sliders[key].set_value(v)
        self.set_locked(self.locked)
        self._describe()
        self._draw_still()
        self._draw()
        if w is not self._scored:
            if not self._own_change:          # trained, undone, typed elsewhere: no "before"
                self._scores_before = None
            self._own_change = False
            self._score(w)

    def _score(self, weights: dict) -> None:
        """The training loss at ``weights``, off the GUI thread (it goes over the data)."""
        if self._score_job is not None:
            self._score_job.cancel()
        self._scored = weights
        doc = self.document
        graph, cfg, ds = doc.graph.copy(), doc.train_config, doc.dataset
        job = BackgroundJob(lambda cancelled: training_scores(graph, cfg, ds, weights), parent=self)
        job.done.connect(lambda r, j=job: self._on_scores(j, r))
        job.failed.connect(lambda _m, j=job: self._on_scores(j, None))
        self._score_job = job
        job.start()

    def _on_scores(self, job, scores: dict | None) -> None:
        if job is not self._score_job:
            return
        self._score_job = None
        self.scores = scores
        if scores is None:
            self.score_label.setText("")
            return
        d, cfg = self.data, self.document.train_config
        unit = f" {d['y_name']}" if d else ""
        std = " (std.)" if d and d["y_std"] != 1.0 else ""
        text = (f"Training loss here: <b>{cfg.loss.upper()}{std} {style.fmt(scores['loss'])}</b>, "
                f"MAE {style.fmt(scores['mae'])}{unit}")
        was = self._scores_before
        if was is not None:
            better = "lower" if scores["loss"] < was["loss"] else "higher"
            text += (f"<br><span style='color:#6b7280'>before your change {style.fmt(was['loss'])}: "
                     f"{better} now</span>")
        self.score_label.setText(text)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._load()

    # -- drawing -----------------------------------------------------------------------------------
    def _term(self, w: float, b: float, c: float) -> np.ndarray:
        """cᵢ·act(bᵢ + wᵢ·x′) over the grid, model units."""
        with np.errstate(all="ignore"):
            return c * activate(self.layout_, b + w * self.data["grid_norm"])

    def _draw_still(self) -> None:
        """What a slider does not move: the fit as the document has it (dashed), the other units'
        terms (faint: the ``MAX_OTHERS`` that span most), and the fit without the picked unit."""
        d, lay, i = self.data, self.layout_, self.unit
        ys, ym = d["y_std"], d["y_mean"]
        before = constant(self.weights, lay) + self.terms.sum(axis=0)
        self._without = before - self.terms[i]
        self.before_curve.setData(d["grid"], before * ys + ym)
        others = np.delete(self.terms, i, axis=0)
        if len(others) > MAX_OTHERS:
            others = others[np.argsort(-np.ptp(others, axis=1))[:MAX_OTHERS]]
        if len(others):                 # one path with gaps: NaN between the units
            xs = np.tile(np.append(d["grid"], np.nan), len(others))
            self.others.setData(xs, np.hstack([others * ys, np.full((len(others), 1), np.nan)]).ravel())
        else:
            self.others.setData([], [])

    def _draw(self) -> None:
        """The picked unit's term and the fit with it: ``GRID`` points, whatever the network."""
        d = self.data
        if d is None or self.terms is None or self.layout_ is None:
            return
        term = self._term(*self.wbc)
        ys, ym = d["y_std"], d["y_mean"]
        self.sum_curve.setData(d["grid"], (self._without + term) * ys + ym)
        self.unit_curve.setPen(pg.mkPen(style.POSITIVE if self.wbc[2] >= 0 else style.NEGATIVE, width=3))
        self.unit_curve.setData(d["grid"], term * ys)
        self.curves_changed.emit()

    def _describe(self) -> None:
        lay, d, i = self.layout_, self.data, self.unit
        act = _ACT_NAME.get(lay.kind, lay.kind)
        n = i + 1
        xp = "x′ = x"
        if d is not None and d["standardized"]:
            xp = f"x′ = (x − {style.fmt(d['x_mean'])}) / {style.fmt(d['x_std'])}"
        self.title.setText(f"of {lay.units} in <b>{lay.hidden}</b> → {lay.act}")
        self.formula.setText(f"term {n} = c<sub>{n}</sub>·{act}(b<sub>{n}</sub> + w<sub>{n}</sub>·x′)"
                             f"<br><span style='color:#6b7280'>{xp}; {self._scale_text()}</span>")
        for key, name in (("w", lay.w_name(i)), ("b", lay.b_name(i)), ("c", lay.c_name(i))):
            s = self.sliders[key]
            s.label.setText(f"{key}<sub>{n}</sub>")
            s.label.setToolTip(name if key != "b" or lay.hidden_bias else f"{lay.hidden} learns no bias")
        self._say()

    def _scale_text(self) -> str:
        d = self.data
        if d is None or (d["y_mean"], d["y_std"]) == (0.0, 1.0):
            return "ŷ = b + Σ cᵢ·aᵢ"
        return (f"{d['y_name']} = {style.fmt(d['y_mean'])} + {style.fmt(d['y_std'])}·(b + Σ cᵢ·aᵢ): "
                "the curves are in its units")

    def _say(self) -> None:
        if self.layout_ is None:
            return
        w, b, c = self.wbc
        text = (f"w = {style.fmt(w)}, b = {style.fmt(b)}, c = {style.fmt(c)}. "
                "Let go of a slider to keep the change (Edit → Undo takes it back).")
        if self.locked:
            text = "Training is running: the numbers follow it. Pause or stop to move the sliders."
        self.status.setText(text)

    # -- sliders -------------------------------------------------------------------------------------
    def _on_slider_moved(self, key: str, v: float) -> None:
        w, b, c = self.wbc
        self.wbc = (v if key == "w" else w, v if key == "b" else b, v if key == "c" else c)
        self._draw()
        self._say()

    def _on_slider_settled(self, key: str, v: float) -> None:
        self._on_slider_moved(key, v)
        lay, base = self.layout_, self.source.weights()
        if lay is None or base is None or self.locked:
            return
        new = with_unit(base, lay, self.unit, *self.wbc)
        if all(np.array_equal(new[k], base[k]) for k in (f"{lay.hidden}.W", f"{lay.hidden}.b", f"{lay.out}.W")
               if k in base):
            return                      # back where it was (in the weights' precision)
        self._scores_before, self._own_change = self.scores, True
        self.source.set_weights(new, f"Set unit {self.unit + 1}'s {key}")
