"""The error surface: the loss over two parameters, with the optimizer's path on top.

The grid is computed in the worker (``engine.landscape.loss_surface``); this
widget shows it as filled contours (an image through a colour map, log-scaled,
plus isocurves), draws the path of the two parameters and extends it live.
The pickers list every scalar parameter; choosing one, pressing "Recompute
surface", or training pausing or ending asks for a new grid
(``surface_requested``).
"""
from __future__ import annotations

import bisect
import re
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractListModel, QModelIndex, QRectF, QStringListModel, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (QComboBox, QCompleter, QGraphicsItem, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

import gui.common.plot_style as style
from engine.model import ScalarNames
from gui.plots.starts_overlay import StartsOverlay

__all__ = ["SurfacePlot", "ParamPicker"]

N_LEVELS = 12          # colour bands: filled contours over the shown range of the loss
BEHIND_AT_LEAST = 200     # updates: "… (N updates behind)" once the surface lags this far
LOG_RATIO = 4.0        # a log colour scale only when the loss spans more than this factor
UPSAMPLE = 4           # bilinear refinement of the grid, so band edges are smooth
MAX_PATH_POINTS = 4000     # a long path is thinned to this many points for drawing
SMOOTH_PATH_POINTS = 1500  # antialiased only up to this many (a long jittery path stroked
                           # antialiased over the whole plot costs 100+ ms per frame)
HINT = "The loss over two parameters; red: the optimizer's path"
COMPLETION_LIMIT = 50_000     # names the completer lists (it scans them all on each key)
MIN_CHARS, MAX_CHARS = 9, 14   # a picker's width in characters: its longest name, within these


def _banded(cmap: pg.ColorMap, n: int) -> pg.ColorMap:
    """``cmap`` as ``n`` flat bands (a filled-contour look without computing isocurves)."""
    colors = cmap.map(np.linspace(0, 1, n), mode="byte")
    edges = np.linspace(0, 1, n + 1)
    pos = np.empty(2 * n)
    pos[0::2], pos[1::2] = edges[:-1], edges[1:] - 1e-6      # each colour flat across its band
    return pg.ColorMap(pos, np.repeat(colors, 2, axis=0))


def log_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Ticks for a colour bar whose values are log₁₀(loss): at 1, 2, 5 × 10ᵏ, labelled with the loss
    itself (0.2, 0.5, 1), not its logarithm; every k × 10ᵏ when the range is under a factor of ~3."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return []
    for mantissas in ((1, 2, 5), tuple(range(1, 10)), tuple(np.arange(1, 10, 0.5))):
        out = []
        for k in range(math.floor(lo) - 1, math.ceil(hi) + 1):
            for m in mantissas:
                v = m * 10.0 ** k
                x = math.log10(v)
                if lo - 1e-9 <= x <= hi + 1e-9:
                    out.append((x, f"{v:.3g}"))
        if len(out) >= 2:
            return out
    return out


def _upsample(Z: np.ndarray, k: int) -> np.ndarray:
    """Bilinear ``k``× refinement of a grid (rows, cols)."""
    r = np.linspace(0, Z.shape[0] - 1, (Z.shape[0] - 1) * k + 1)
    c = np.linspace(0, Z.shape[1] - 1, (Z.shape[1] - 1) * k + 1)
    rows = np.array([np.interp(c, np.arange(Z.shape[1]), z) for z in Z])
    return np.array([np.interp(r, np.arange(Z.shape[0]), col) for col in rows.T]).T


def _num(v: float) -> str:
    """A loss in the header: the readouts' one format (:func:`style.fmt`), three digits."""
    return style.fmt(v, 3)


def _at(a: np.ndarray, b: np.ndarray, Z: np.ndarray, point) -> float:
    """``Z`` (rows along ``b``, columns along ``a``) read at ``point`` = (a, b), bilinearly."""
    x, y = float(point[0]), float(point[1])
    if len(a) < 2 or len(b) < 2 or not (a[0] <= x <= a[-1] and b[0] <= y <= b[-1]):
        return float("nan")
    fi = np.interp(x, a, np.arange(len(a)))
    fj = np.interp(y, b, np.arange(len(b)))
    i0, j0 = min(int(fi), len(a) - 2), min(int(fj), len(b) - 2)
    ti, tj = fi - i0, fj - j0
    top = Z[j0, i0] * (1 - ti) + Z[j0, i0 + 1] * ti
    bottom = Z[j0 + 1, i0] * (1 - ti) + Z[j0 + 1, i0 + 1] * ti
    return float(top * (1 - tj) + bottom * tj)


NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class _ParamListModel(QAbstractListModel):
    """Rows for :class:`ParamPicker`, answered on demand: a bold header per layer
    ("dense2  (16,512 parameters)", not selectable), then "   dense2.W[0,3]" … . Nothing
    per parameter is built: a row's name comes from :class:`engine.model.ScalarNames`, so a
    network of a million parameters fills the picker in no time."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._names = ScalarNames([])
        self._headers: list[int] = []          # the row of each layer's header
        self._layers: list[tuple[str, int, int]] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_names(self, names) -> None:
        """Replace the rows (a ScalarNames, or any sequence of names: grouped by layer)."""
        if not isinstance(names, ScalarNames):
            names = _ListNames(names)
        layers = names.layers()
        self.beginResetModel()
        self._names, self._layers = names, layers
        self._headers = [start + g for g, (_node, start, _count) in enumerate(layers)]
        self.endResetModel()

    def row_of(self, name: str) -> int | None:
        """The row of parameter ``name`` (None when it is not one)."""
        try:
            i = self._names.index(name)
        except ValueError:
            return None
        return i + bisect.bisect_right([start for _n, start, _c in self._layers], i)

    def _entry(self, row: int) -> tuple[str, str | None]:
        g = bisect.bisect_right(self._headers, row) - 1
        if g < 0:
            return "", None
        node, start, count = self._layers[g]
        if row == self._headers[g]:
            return f"{node}  ({count:,} parameters)", None
        name = self._names[start + row - self._headers[g] - 1]
        return "   " + name, name

    def header_texts(self) -> list[str]:
        return [f"{node}  ({count:,} parameters)" for node, _s, count in self._layers]

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._names) + len(self._layers)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        text, name = self._entry(index.row())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return text
        if role == NAME_ROLE or role == Qt.ItemDataRole.ToolTipRole:
            return name
        if role == Qt.ItemDataRole.FontRole and name is None:
            return self._bold
        return None

    def flags(self, index):
        if index.isValid() and 0 <= index.row() < self.rowCount() and self._entry(index.row())[1] is not None:
            return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        return Qt.ItemFlag.ItemNeverHasChildren


def _canonical(text: str) -> str:
    """A typed parameter name in the model's spelling: node id in lower case, ``W``/``b``,
    indices without spaces."""
    m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z]+)\s*\[([\d\s,]+)\]\s*$", text)
    if not m:
        return text.strip()
    node, param, idx = m.groups()
    param = {"w": "W", "b": "b"}.get(param.lower(), param)
    return f"{node.lower()}.{param}[{','.join(p.strip() for p in idx.split(','))}]"


class _ListNames(list):
    """A plain list of names with :class:`ScalarNames`' ``layers``/``longest`` (small lists only)."""

    def layers(self) -> list[tuple[str, int, int]]:
        out: list[list] = []
        for i, n in enumerate(self):
            node = n.split(".", 1)[0]
            if out and out[-1][0] == node:
                out[-1][2] += 1
            else:
                out.append([node, i, 1])
        return [tuple(r) for r in out]

    def longest(self, k: int = 3) -> list[str]:
        return sorted(self, key=len)[-k:]


class ParamPicker(QComboBox):
    """Every scalar parameter, grouped by layer under a header, with type-to-filter.

    A big network has thousands of scalars: type part of a name ("dense2.W",
    "b[0]") and the completer lists the matches. ``picked(name)`` is emitted
    when a person chooses one (from the list, the completer, or by typing a
    whole name and pressing Enter).
    """

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(24)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(MIN_CHARS)
        # the two pickers share the row's width: a whole "dense1.W[6,3]" shows, not "ense1.W[6,3]"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._model = _ParamListModel(self)
        self.setModel(self._model)
        self.view().setUniformItemSizes(True)     # thousands of rows: lay out without asking each
        self._names = _ListNames()
        # the completer searches a plain list kept in C++: it scans every row on each
        # change, and asking a Python model 37,000 times took 0.2 s per scan
        self._completions = QStringListModel(self)
        comp = QCompleter(self._completions, self)
        comp.setFilterMode(Qt.MatchFlag.MatchContains)
        comp.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        comp.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        comp.setMaxVisibleItems(16)
        self.setCompleter(comp)
        comp.activated[str].connect(self.choose)
        self.activated.connect(self._on_activated)
        self.lineEdit().editingFinished.connect(lambda: self.choose(self.lineEdit().text()))
        self._current = ""

    def set_names(self, names) -> None:
        """Fill the list: one header per layer, then its scalars (rows answered on demand:
        example 4's net has 37,000 scalars, a 1000 × 1000 layer a million; a QStandardItem
        each, appended one by one, froze the window for minutes)."""
        self.blockSignals(True)
        try:
            self._names = names if isinstance(names, ScalarNames) else _ListNames(names)
            self._model.set_names(self._names)
            # the completer searches a plain list kept in C++; past COMPLETION_LIMIT names,
            # building it would stall the window, so a whole typed name + Enter picks instead
            small = len(self._names) <= COMPLETION_LIMIT
            self._completions.setStringList(list(self._names) if small else [])
            longest = max((len(n) for n in self._names.longest(1)), default=0)
            self.setMinimumContentsLength(min(max(longest, MIN_CHARS), MAX_CHARS))
            self._fit_popup()
            self._current = ""
            self.setCurrentIndex(-1)
        finally:
            self.blockSignals(False)

    def _fit_popup(self) -> None:
        """The list at least as wide as its longest row, so "dense2  (17 parameters)" is not cut
        to "dense2 …meters)" (the popup is otherwise as narrow as the picker)."""
        rows = self._model.header_texts() + self._names.longest(3)
        bold = QFont(self.view().font())
        bold.setBold(True)
        fm = QFontMetrics(bold)
        need = max((fm.horizontalAdvance("   " + t) for t in rows), default=0)
        self.view().setMinimumWidth(need + 2 * self.view().frameWidth() + 28)     # + a scroll bar

    def names(self):
        """The names listed (a sequence; a ScalarNames for a model's parameters)."""
        return self._names

    def name(self) -> str:
        return self._current

    def set_name(self, name: str) -> None:
        """Select ``name`` without emitting ``picked``."""
        row = self._model.row_of(name)
        if row is None:
            return
        self.blockSignals(True)
        self.setCurrentIndex(row)
        self.setEditText(name)
        self.blockSignals(False)
        self._current = name

    def choose(self, text: str) -> None:
        """A person's choice (also used by tests): select and emit ``picked`` if it is a name."""
        name = text.strip()
        if self._model.row_of(name) is None:
            name = _canonical(name)                  # "DENSE1.w[0, 2]" → "dense1.W[0,2]"
            if self._model.row_of(name) is None:
                self.setEditText(self._current)      # not a parameter: back to the current one
                return
        changed = name != self._current
        self.set_name(name)
        if changed:
            self.picked.emit(name)

    def _on_activated(self, row: int) -> None:
        name = self.itemData(row, NAME_ROLE)
        if name:
            self.choose(name)
        else:
            self.set_name(self._current)


class SurfacePlot(QWidget):
    surface_requested = Signal(tuple)      # (name_a, name_b)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("surfacePlot")
        self.setAccessibleName("Error surface: loss over two parameters with the optimizer's path")
        self.combo_a = ParamPicker()
        self.combo_a.setObjectName("surfaceParamA")
        self.combo_a.setAccessibleName("Parameter on the horizontal axis")
        self.combo_a.setToolTip("Parameter on the horizontal axis: pick one, or type part of its name")
        self.combo_b = ParamPicker()
        self.combo_b.setObjectName("surfaceParamB")
        self.combo_b.setAccessibleName("Parameter on the vertical axis")
        self.combo_b.setToolTip("Parameter on the vertical axis: pick one, or type part of its name")
        for c in (self.combo_a, self.combo_b):
            c.setStyleSheet("font-size: 8.5pt;")
        self.recompute_button = QPushButton("↻")
        self.recompute_button.setObjectName("recomputeSurface")
        self.recompute_button.setAccessibleName("Recompute surface")
        self.recompute_button.setFixedWidth(28)
        self.recompute_button.setToolTip("Recompute the surface around the current parameter values "
                                         "(every other parameter held at its current value)")
        self.info = QLabel("")
        self.info.setObjectName("surfaceInfo")
        self.info.setWordWrap(True)
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.info.setStyleSheet("color: #555; font-size: 8.5pt; padding: 0 4px;")
        top = QHBoxLayout()
        top.setContentsMargins(2, 0, 2, 0)
        top.setSpacing(3)
        for w in (QLabel("x"), self.combo_a, QLabel("y"), self.combo_b, self.recompute_button):
            if isinstance(w, QLabel):
                w.setStyleSheet("font-size: 8.5pt; color: #555;")
            top.addWidget(w, 1 if isinstance(w, ParamPicker) else 0)
        self.plot = style.make_plot_widget("", "", grid=False)
        p = self.plot.getPlotItem()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self.info)
        lay.addWidget(self.plot, 1)
        self.readout = style.Readout(self)
        self.readout.attach(self.plot)

        self.cmap = _banded(pg.colormap.get("viridis"), N_LEVELS)
        self.image = pg.ImageItem()
        self.image.setColorMap(self.cmap)
        self.image.setZValue(-20)
        self.image.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        p.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self.cmap, interactive=False, width=10,
                                        pen=style.AXIS)
        self.colorbar.setImageItem(self.image, insert_in=p)
        self.colorbar.axis.setTickFont(self.plot.getPlotItem().getAxis("left").style.get("tickFont")
                                       or self.plot.font())
        self.colorbar.axis.enableAutoSIPrefix(False)
        self.colorbar.axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._log_scale = True
        self._loss_name = "loss"
        self.path_curve = pg.PlotCurveItem(pen=pg.mkPen("#ff4d4d", width=2), antialias=True)
        self.path_curve.setZValue(5)
        p.addItem(self.path_curve)
        self.start_marker = pg.ScatterPlotItem(size=8, brush=pg.mkBrush("w"), pen=pg.mkPen("#222", width=1.5))
        self.end_marker = pg.ScatterPlotItem(size=10, brush=pg.mkBrush("#ff2d2d"), pen=pg.mkPen("w", width=2))
        for m in (self.start_marker, self.end_marker):
            m.setZValue(6)
            p.addItem(m)
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)

        self.surface = None
        self._path = np.empty((4096, 2))
        self._n = 0
        self._names: list[str] = []
        self._updating = False
        self.combo_a.picked.connect(self._on_pair_changed)
        self.combo_b.picked.connect(self._on_pair_changed)
        self.recompute_button.clicked.connect(self._on_recompute_clicked)
        self.info.setText(HINT)
        self._info_base = HINT

    def show_starts(self, points, labels=(), chosen: int | None = None, losses=None) -> None:
        """Mark the end points of several starts (``(K, 2)`` in this pair's values; none clears)."""
        if getattr(self, "starts_overlay", None) is None:
            self.starts_overlay = StartsOverlay(self.plot.getPlotItem())
        self.starts_overlay.show(points, labels, chosen, losses)

    def set_loss_name(self, short: str) -> None:
        """The loss's short name ("MSE"), as the loss plot's axis shows it: the colour bar's label."""
        self._loss_name = short or "loss"
        self._label_colorbar()

    def _label_colorbar(self) -> None:
        self.colorbar.axis.setLabel(self._loss_name, color=style.AXIS, **{"font-size": style.LABEL_FONT_PT})
        style.fit_label(self.colorbar.axis)      # shown only while it fits along the bar

    # -- parameters ------------------------------------------------------------
    def set_parameters(self, names: list[str], pair: tuple[str, str]) -> None:
        """Fill the pickers (without asking for a surface)."""
        self._updating = True
        try:
            if not (names is self._names or names == self._names):
                self._names = names if isinstance(names, ScalarNames) else _ListNames(names)
                for c in (self.combo_a, self.combo_b):
                    c.set_names(self._names)
            if pair[0] in names:
                self.combo_a.set_name(pair[0])
            if pair[1] in names:
                self.combo_b.set_name(pair[1])
        finally:
            self._updating = False
        style.set_labels(self.plot, *self.pair())

    def pair(self) -> tuple[str, str]:
        return self.combo_a.name(), self.combo_b.name()

    def show_pair(self, pair: tuple[str, str]) -> None:
        """Pick ``pair`` among the names the pickers list (without asking for a surface)."""
        self.set_parameters(self._names, pair)

    def _on_pair_changed(self, _text: str = "") -> None:
        if self._updating or not self.combo_a.name() or not self.combo_b.name():
            return
        style.set_labels(self.plot, *self.pair())
        self.clear_path()
        self.info.setText("Computing the error surface…")
        self.surface_requested.emit(self.pair())

    def _on_recompute_clicked(self) -> None:
        if self.combo_a.name():
            self.info.setText("Computing the error surface…")
            self.surface_requested.emit(self.pair())

    # -- data ------------------------------------------------------------------
    def clear(self) -> None:
        """No surface: not the last project's "lowest … at …", its ±1e17 axes or its colour bar."""
        self.surface = None
        self._info_base = HINT
        self.image.clear()
        self.clear_path()
        self.info.setText(HINT)
        self.info.setToolTip("")
        self.colorbar.setVisible(False)
        self.colorbar.setLevels((0.0, 1.0))
        self.colorbar.axis.setTicks(None)
        self.plot.getPlotItem().setRange(xRange=(-1.0, 1.0), yRange=(-1.0, 1.0), padding=0.0)

    def note_progress(self, updates: int) -> None:
        """Say when the shown surface is behind the run (it is redrawn every few seconds, and
        every other parameter has moved since): "… · as of update 1,200 (3,400 behind)"."""
        s = self.surface
        done = getattr(s, "updates", None)
        if s is None or done is None or getattr(s, "runaway", ""):
            return
        behind = updates - done
        text = self._info_base
        if behind >= max(BEHIND_AT_LEAST, 0.02 * updates):
            text += f" ({behind:,} updates behind; redrawn every few seconds)"
        if text != self.info.text():
            self.info.setText(text)

    def clear_path(self) -> None:
        self._n = 0
        self.path_curve.setData([], [])
        self.start_marker.setData([], [])
        self.end_marker.setData([], [])

    def path(self) -> np.ndarray:
        """The optimizer's path so far, rows ``(a, b)``."""
        return self._path[:self._n]

    def append_path(self, start: int, rows: np.ndarray, track=(), draw: bool = True) -> None:
        """Add path rows (``rows[0]`` is point ``start``); restarts when ``start`` is 0."""
        if track and tuple(track) != self.pair():
            return
        if start < self._n:
            self._n = start
        if len(rows):
            need = self._n + len(rows)
            if need > len(self._path):
                new = np.empty((max(need, 2 * len(self._path)), 2))
                new[:self._n] = self._path[:self._n]
                self._path = new
            self._path[self._n:need] = rows
            self._n = need
        if draw:
            self._draw_path()

    def redraw_path(self) -> None:
        self._draw_path()

    def _draw_path(self) -> None:
        n = self._n
        if n == 0:
            return
        P = self._path[:n]
        if n > MAX_PATH_POINTS:    # thin a long path for drawing; keep its last point
            P = np.vstack([P[::-(-n // MAX_PATH_POINTS)], P[-1:]])
        self.path_curve.setData(P[:, 0], P[:, 1], antialias=len(P) <= SMOOTH_PATH_POINTS)
        self.start_marker.setData([self._path[0, 0]], [self._path[0, 1]])
        self.end_marker.setData([self._path[n - 1, 0]], [self._path[n - 1, 1]])

    def show_surface(self, surface) -> None:
        if surface is None:
            return
        if tuple(surface.names) != self.pair():
            return
        self.surface = surface
        a, b, Z = surface.a, surface.b, np.asarray(surface.loss, np.float64)
        finite = np.isfinite(Z) & (Z > 0)
        if not finite.any():
            return
        zlo, zhi = float(Z[finite].min()), float(Z[finite].max())
        # N_LEVELS bands over the shown range: linear (a bowl shows evenly spaced rings) unless
        # the loss spans decades, when a linear scale would paint everything but the rim one colour
        self._log_scale = zhi / zlo > LOG_RATIO
        if self._log_scale:
            L = np.where(finite, np.log10(np.where(finite, Z, 1.0)), np.nan)
            lo, hi = np.log10(zlo), np.log10(zhi)
        else:
            L = np.where(finite, Z, np.nan)
            lo, hi = zlo, zhi
        if hi - lo < 1e-12:
            hi = lo + 1e-12
        L = np.where(np.isnan(L), hi, L)
        img = _upsample(L, UPSAMPLE).T                   # ImageItem: image[x, y]
        self.image.setImage(img, autoLevels=False, levels=(lo, hi))
        self.image.setRect(QRectF(a[0], b[0], a[-1] - a[0], b[-1] - b[0]))
        self.colorbar.setLevels((lo, hi))
        # the bar reads in loss values either way (0.2, 0.5, 1 on a log scale, not −0.7, −0.3, 0)
        self.colorbar.axis.setTicks([log_ticks(lo, hi)] if self._log_scale else None)
        self._label_colorbar()
        self.plot.getPlotItem().setRange(xRange=(a[0], a[-1]), yRange=(b[0], b[-1]), padding=0.0)
        i, j = np.unravel_index(np.nanargmin(np.where(finite, Z, np.inf)), Z.shape)
        updates = getattr(surface, "updates", None)
        when = f"as of update {updates:,}" if updates is not None else "now"
        here = _at(a, b, Z, surface.center) if getattr(surface, "center", None) is not None else None
        text = f"loss here {_num(here)} · " if here is not None and math.isfinite(here) else ""
        text += f"lowest {_num(Z[i, j])} at ({style.fmt(a[j], 3)}, {style.fmt(b[i], 3)})"
        if updates is not None:
            text += f" · {when}"
        runaway = getattr(surface, "runaway", "")
        if runaway:         # drawn around the run's start: the loss there, and why the path leaves
            text = f"{runaway}. Around the start (update {updates:,}): lowest {_num(Z[i, j])}"
        self._info_base = text
        self.info.setText(text)
        self.colorbar.setVisible(True)
        self.info.setToolTip(f"The loss over {surface.names[0]} and {surface.names[1]}, every other parameter "
                             f"held at its value {when}; “here” is at their values then (the red dot), "
                             f"“lowest” the lowest point of this window. {N_LEVELS} colour bands over the shown "
                             f"range ({'log scale' if self._log_scale else 'linear'} colour scale), dark = low. "
                             "Red: the optimizer's path; white dot: where it started.")

    def _on_mouse_moved(self, event) -> None:
        s = self.surface
        pos = event[0]
        if s is None or not self.plot.getPlotItem().vb.sceneBoundingRect().contains(pos):
            self.readout.hover_ended()
            return
        pt = self.plot.getPlotItem().vb.mapSceneToView(pos)
        i = int(np.clip(np.round((pt.x() - s.a[0]) / ((s.a[-1] - s.a[0]) or 1) * (len(s.a) - 1)), 0, len(s.a) - 1))
        j = int(np.clip(np.round((pt.y() - s.b[0]) / ((s.b[-1] - s.b[0]) or 1) * (len(s.b) - 1)), 0, len(s.b) - 1))
        text = (f"{s.names[0]} = {style.fmt(pt.x())}, {s.names[1]} = {style.fmt(pt.y())}\n"
                f"{self._loss_name} ≈ {style.fmt(s.loss[j, i])}")
        if self._n:
            text += f" · now at ({style.fmt(self._path[self._n - 1, 0])}, {style.fmt(self._path[self._n - 1, 1])})"
        self.readout.show_text(text)
