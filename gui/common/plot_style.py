"""One palette and one look for every training plot.

Colours follow TensorFlow Playground where it has a convention (blue
positive, orange negative) and keep one meaning everywhere: blue is the
training data, orange the validation data, near-black the model's output.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.DateAxisItem import MONTH_SPACING, TickSpec, ZoomLevel
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QGraphicsItem, QLabel, QSizePolicy, QWidget

TRAIN = "#2b7bba"          # training data / training loss
TRAIN_LIGHT = "#9cc3e6"    # per-update training loss (thin)
VAL = "#f28e2b"            # validation data / validation loss
VAL_LIGHT = "#f8c99a"      # validation data as a thin line
MODEL = "#1d1d1f"          # the model's prediction, the sum of units
POSITIVE = "#0877bd"       # unit with c > 0 (Playground blue)
NEGATIVE = "#e8710a"       # unit with c < 0 (Playground orange)
CONSTANT = "#7a7a7a"       # the constant b
GRID_ALPHA = 0.18
AXIS = "#444444"
BACKGROUND = "w"


TICK_FONT_PT = 8
LABEL_FONT_PT = "8.5pt"


def make_plot_widget(x_label: str = "", y_label: str = "", axis_items=None, grid: bool = True) -> pg.PlotWidget:
    """A white PlotWidget with compact labelled axes and a light grid.

    The axes (which also draw the grid) are cached as device pixmaps: redrawing
    a curve then blits them instead of replaying every tick, grid line and
    label — most of a plot's paint time (see ``bench/gui_latency.py``). The
    cache is rebuilt only when an axis range changes, so the plots keep their
    ranges steady while training (see :class:`StableRange`).
    """
    w = pg.PlotWidget(background=BACKGROUND, axisItems=axis_items)
    p = w.getPlotItem()
    font = w.font()
    font.setPointSize(TICK_FONT_PT)
    for name in ("left", "bottom"):
        ax = p.getAxis(name)
        ax.setPen(pg.mkPen(AXIS))
        ax.setTextPen(pg.mkPen(AXIS))
        ax.setTickFont(font)
        ax.enableAutoSIPrefix(False)      # "(x0.001)" in a label confuses more than it helps
        ax.setStyle(tickTextOffset=3, tickLength=-4)
        ax.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    p.getAxis("bottom").setHeight(None)
    if grid:
        p.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    p.layout.setContentsMargins(2, 2, 6, 2)
    set_labels(w, x_label, y_label)
    p.setMenuEnabled(True)
    p.hideButtons()                # no pyqtgraph "A" (auto-range) popping up in a corner on hover
    w.setMinimumSize(160, 80)      # with its legend above it still fits a 700 px high window
    return w


def set_labels(w: pg.PlotWidget, x_label: str, y_label: str) -> None:
    """Short axis labels ("update", "MSE", "temp_max"): they must fit a 150 px high plot."""
    p = w.getPlotItem()
    style = {"color": AXIS, "font-size": LABEL_FONT_PT}
    p.setLabel("bottom", x_label, **style)
    p.setLabel("left", y_label, **style)
    fit_label(p.getAxis("bottom"))
    fit_label(p.getAxis("left"))


def _label_font() -> QFont:
    font = QFont()
    font.setPointSizeF(float(LABEL_FONT_PT.rstrip("pt")))
    return font


def _refit_label(axis: pg.AxisItem) -> None:
    text = axis.labelText or ""
    rect = axis.geometry()
    length = rect.height() if axis.orientation in ("left", "right") else rect.width()
    # the label as laid out (its HTML font), or the metric of its font size before that
    laid = axis.label.boundingRect().width() if axis.label.toPlainText() else 0.0
    need = max(laid, QFontMetrics(_label_font()).horizontalAdvance(text) + 6)
    show = bool(text) and (length <= 0 or need <= length)    # not laid out yet: show it
    if axis.label.isVisible() != show:
        axis.showLabel(show)


def fit_label(axis: pg.AxisItem) -> None:
    """Show ``axis``'s label only while it fits along the axis, now and whenever the axis is
    resized: a small plot drops its label rather than show a clipped "log₁₀ los"."""
    if not getattr(axis, "_fits_label", False):
        axis._fits_label = True
        axis.geometryChanged.connect(lambda a=axis: _refit_label(a))
    _refit_label(axis)


class StableRange:
    """An axis range that moves only when the data leaves it or shrinks to a small part of it.

    Every range change repaints (and re-caches) both axes with their grid, so
    while training the plots keep their ranges steady instead of autoranging on
    every frame. ``fit(lo, hi)`` returns the range to show, or None to keep it.
    """

    def __init__(self, pad: float = 0.08, shrink: float = 0.45) -> None:
        self.pad, self.shrink = pad, shrink
        self.range: tuple[float, float] | None = None

    def reset(self) -> None:
        self.range = None

    def fit(self, lo: float, hi: float) -> tuple[float, float] | None:
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return None
        span = hi - lo
        if span <= 0:
            span = abs(hi) * 0.1 or 1.0
            lo, hi = lo - span / 2, hi + span / 2
        r = self.range
        if r is not None and r[0] <= lo and hi <= r[1] and (hi - lo) >= self.shrink * (r[1] - r[0]):
            return None
        self.range = (lo - self.pad * span, hi + self.pad * span)
        return self.range


class Readout(QLabel):
    """A hover readout drawn over the top-left corner of a plot (it takes no layout space).

    ``show_text(text)`` shows it while the mouse is over the plot; ``note(text)``
    shows a message that stays until replaced. Leaving the plot hides hover text.
    """

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.setObjectName("plotReadout")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("QLabel { color: #222; background: rgba(255,255,255,230); border: 1px solid #d0d0d0;"
                           " border-radius: 3px; padding: 1px 5px; font-size: 8.5pt; }")
        self._sticky = False
        self._anchor: QWidget | None = None
        self._filter = _Follow(self)
        owner.installEventFilter(self._filter)
        self.hide()

    def attach(self, plot: QWidget) -> None:
        """Place over ``plot`` (a widget inside the owner) and hide hover text when the mouse leaves it."""
        self._anchor = plot
        plot.installEventFilter(self._filter)
        self.place()

    def place(self) -> None:
        a = self._anchor
        if a is None:
            return
        g = a.geometry()
        x = g.x() + 52
        self.setMaximumWidth(max(120, g.width() - 60))
        self.adjustSize()
        self.move(x, g.y() + 4)
        self.raise_()

    def show_text(self, text: str) -> None:
        self._sticky = False
        self._set(text)

    def note(self, text: str) -> None:
        self._sticky = bool(text)
        self._set(text)

    def _set(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text.strip()))
        self.place()

    def hover_ended(self) -> None:
        if not self._sticky:
            self.hide()


class _Follow(QObject):
    def __init__(self, readout: Readout) -> None:
        super().__init__(readout)
        self.readout = readout

    def eventFilter(self, obj, event) -> bool:
        t = event.type()
        if t in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show):
            self.readout.place()
        elif t == QEvent.Type.Leave and obj is self.readout._anchor:
            self.readout.hover_ended()
        return False


def compact_tick(v: float, spacing: float) -> str:
    """A tick for a narrow axis: ``0.25``, ``1200``, ``−2e19`` (a diverged run's scale)."""
    a = abs(v)
    if a >= 1e5 or (0 < a < 1e-3 and spacing < 1e-3):
        mant, exp = f"{v:.1e}".split("e")
        mant = mant.rstrip("0").rstrip(".")
        s = f"{mant}e{int(exp)}"
    else:
        s = f"{v:.6g}" if a > 1e-12 * max(spacing, 1e-300) else "0"
    return s.replace("-", "−")


class CompactAxis(pg.AxisItem):
    """An axis whose tick labels stay short (``−2e19``, not ``-2e+19``), so they leave room for
    the axis title on a fixed-width axis."""

    def tickStrings(self, values, scale, spacing):
        if self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [compact_tick(v * scale, spacing * scale) for v in values]


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


def _month_stepper(val, n: int, first: bool) -> float:
    """Month ticks every ``n`` months, on quarter / half-year boundaries (Jan, Apr, Jul, Oct)."""
    if not _MIN_TIME <= val <= _MAX_TIME:
        return np.inf
    d = datetime.fromtimestamp(val, timezone.utc)
    m = d.year * 12 + d.month - 1 + (1 if first else n)       # months since year 0, 0-based
    if first:
        m += -m % n
    return datetime(m // 12, m % 12 + 1, 1, tzinfo=timezone.utc).timestamp()


_MIN_TIME = datetime(1, 1, 1, tzinfo=timezone.utc).timestamp()
_MAX_TIME = datetime(9998, 1, 1, tzinfo=timezone.utc).timestamp()


class DateAxis(pg.DateAxisItem):
    """Dates along x that stay labelled in a narrow plot: at the year/month zoom the months thin
    out to every 2nd, 3rd, 6th or 12th (pyqtgraph's own axis shows all twelve or, when they do not fit,
    none at all — a 300 px plot of one year lost its month names)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        years = self.zoomLevels[np.inf].tickSpecs[0]
        self.zoomLevels[np.inf] = ZoomLevel(
            [years, TickSpec(MONTH_SPACING, _month_stepper, "%b", autoSkip=[1, 2, 3, 6, 12])], "Mar")


def legend_html(entries) -> str:
    glyph = {"line": "━", "thick": "━━", "dash": "╌╌", "dot": "●", "square": "■", "ring": "○"}
    parts = [f"<span style='white-space:nowrap'><span style='color:{c}; font-weight:900'>{glyph.get(k, k)}"
             f"</span>&nbsp;{t}</span>" for c, k, t in entries]
    return "&nbsp;&nbsp; ".join(parts)


def legend_strip(entries) -> QLabel:
    """A legend as one line of text above the plot (it never hides data; it may wrap to two).

    ``entries``: ``(color, kind, text)`` with kind ``line`` | ``thick`` | ``dash`` | ``dot`` | ``square``.
    """
    lab = QLabel(legend_html(entries))
    lab.setTextFormat(Qt.TextFormat.RichText)
    lab.setWordWrap(True)
    lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    lab.setMinimumWidth(40)
    lab.setStyleSheet("color: #333; padding: 0 4px; font-size: 8.5pt;")
    return lab


def fmt(v: float, digits: int = 4) -> str:
    """The one number format of the readouts, the training panel's scores and the surface's
    header: ``digits`` significant digits, plain decimals from 0.0001 up (``0.15``, ``0.0007``,
    ``1234``), powers of ten beyond (``7e-05``, ``1.235e+05``); "–" for none or NaN."""
    if v is None:
        return "–"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if v != v:
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == 0:
        return "0"
    return f"{v:.{digits}g}"


class RangeKeeper:
    """Keeps a plot's ranges steady while data streams in (see :class:`StableRange`).

    Starts in "auto" mode; a person's zoom or pan (mouse wheel, drag) hands the
    ranges over to them until they press the plot's "A" button (or "View all").
    """

    def __init__(self, plot: pg.PlotWidget, pad_x: float = 0.02, pad_y: float = 0.08) -> None:
        self.vb = plot.getPlotItem().getViewBox()
        self.auto = True
        self.xr, self.yr = StableRange(pad_x), StableRange(pad_y)
        self.vb.disableAutoRange()
        self.vb.sigRangeChangedManually.connect(self._manual)

    def _manual(self, *_args) -> None:
        self.auto = False

    def reset(self) -> None:
        self.auto = True
        self.xr.reset()
        self.yr.reset()

    def check(self) -> bool:
        """True while the plot picks its own ranges ("A" pressed again → back to auto)."""
        if any(self.vb.autoRangeEnabled()):
            self.reset()
            self.vb.disableAutoRange()
        return self.auto

    def update(self, xb=None, yb=None) -> None:
        if not self.check():
            return
        nx = self.xr.fit(*xb) if xb is not None else None
        ny = self.yr.fit(*yb) if yb is not None else None
        if nx is not None or ny is not None:
            self.vb.setRange(xRange=nx, yRange=ny, padding=0.0)


def bounds(*arrays) -> tuple[float, float] | None:
    """(min, max) over the finite values of ``arrays``, or None."""
    lo, hi = np.inf, -np.inf
    for a in arrays:
        if a is None:
            continue
        a = np.asarray(a, np.float64)
        if a.size:
            f = a[np.isfinite(a)]
            if f.size:
                lo, hi = min(lo, float(f.min())), max(hi, float(f.max()))
    return (lo, hi) if lo <= hi else None
