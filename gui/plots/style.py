"""One palette and one look for every training plot.

Colours follow TensorFlow Playground where it has a convention (blue
positive, orange negative) and keep one meaning everywhere: blue is the
training data, orange the validation data, near-black the model's output.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy

TRAIN = "#2b7bba"          # training data / training loss
TRAIN_LIGHT = "#9cc3e6"    # per-update training loss (thin)
VAL = "#f28e2b"            # validation data / validation loss
MODEL = "#1d1d1f"          # the model's prediction, the sum of units
POSITIVE = "#0877bd"       # unit with c > 0 (Playground blue)
NEGATIVE = "#e8710a"       # unit with c < 0 (Playground orange)
CONSTANT = "#7a7a7a"       # the constant b
GRID_ALPHA = 0.18
AXIS = "#444444"
BACKGROUND = "w"


def make_plot_widget(x_label: str = "", y_label: str = "", axis_items=None) -> pg.PlotWidget:
    """A white PlotWidget with labelled, legible axes and a light grid."""
    w = pg.PlotWidget(background=BACKGROUND, axisItems=axis_items)
    p = w.getPlotItem()
    for name in ("left", "bottom"):
        ax = p.getAxis(name)
        ax.setPen(pg.mkPen(AXIS))
        ax.setTextPen(pg.mkPen(AXIS))
        ax.enableAutoSIPrefix(False)      # "(x0.001)" in a label confuses more than it helps
    p.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    set_labels(w, x_label, y_label)
    p.setMenuEnabled(True)
    w.setMinimumSize(260, 180)
    return w


def set_labels(w: pg.PlotWidget, x_label: str, y_label: str) -> None:
    p = w.getPlotItem()
    style = {"color": AXIS, "font-size": "10pt"}
    p.setLabel("bottom", x_label, **style)
    p.setLabel("left", y_label, **style)


def add_legend(w: pg.PlotWidget, offset=(-10, 10), columns: int = 1) -> pg.LegendItem:
    """A legend on a translucent white card; ``columns`` > 1 lays it out in a row."""
    legend = w.getPlotItem().addLegend(offset=offset, labelTextColor=AXIS, labelTextSize="9pt",
                                       brush=pg.mkBrush(255, 255, 255, 215), pen=pg.mkPen("#cccccc"),
                                       colCount=columns)
    return legend


class LogAxis(pg.AxisItem):
    """A log axis that labels only 1, 2 and 5 × 10ᵏ, so less than a decade stays legible."""

    def tickStrings(self, values, scale, spacing):
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        out = []
        for v in values:
            real = 10.0 ** v
            mant = real / 10.0 ** math.floor(math.log10(real)) if real > 0 else 0
            out.append(f"{real:g}" if any(abs(mant - m) < 1e-6 for m in (1, 2, 5)) else "")
        return out


def _clip(lab: QLabel) -> None:
    """One line that may be cut at the right instead of widening the plot; full text in the tooltip."""
    lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    lab.setMinimumWidth(40)


def legend_html(entries) -> str:
    glyph = {"line": "━", "thick": "━━", "dash": "╌╌", "dot": "●", "square": "■", "ring": "○"}
    parts = [f"<span style='color:{c}; font-weight:900'>{glyph.get(k, k)}</span>&nbsp;{t}"
             for c, k, t in entries]
    return "&nbsp;&nbsp;&nbsp; ".join(parts)


def legend_strip(entries) -> QLabel:
    """A legend as one line of text above the plot (it never hides data).

    ``entries``: ``(color, kind, text)`` with kind ``line`` | ``thick`` | ``dash`` | ``dot`` | ``square``.
    """
    lab = QLabel(legend_html(entries))
    lab.setTextFormat(Qt.TextFormat.RichText)
    _clip(lab)
    lab.setStyleSheet("color: #333; padding: 0 4px; font-size: 9pt;")
    return lab


def readout_label() -> QLabel:
    """The one-line hover readout above a plot."""
    lab = QLabel(" ")
    lab.setTextFormat(Qt.TextFormat.PlainText)
    lab.setStyleSheet("color: #555; padding: 1px 4px; font-size: 9pt;")
    _clip(lab)
    return lab


def fmt(v: float, digits: int = 4) -> str:
    """A compact number for readouts."""
    if v is None:
        return "–"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if v != v:
        return "–"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}"
