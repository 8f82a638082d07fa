"""The error surface: the loss over two parameters, with the optimizer's path on top.

The grid is computed in the worker (``engine.landscape.loss_surface``); this
widget shows it as filled contours (an image through a colour map, log-scaled,
plus isocurves), draws the path of the two parameters and extends it live.
The pickers list every scalar parameter; choosing one, pressing "Recompute
surface", or training pausing or ending asks for a new grid
(``surface_requested``).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from . import style

__all__ = ["SurfacePlot"]

N_LEVELS = 12          # colour bands: filled contours of log₁₀ loss
UPSAMPLE = 4           # bilinear refinement of the grid, so band edges are smooth
MAX_PATH_POINTS = 20000


def _banded(cmap: pg.ColorMap, n: int) -> pg.ColorMap:
    """``cmap`` as ``n`` flat bands (a filled-contour look without computing isocurves)."""
    colors = cmap.map(np.linspace(0, 1, n), mode="byte")
    edges = np.linspace(0, 1, n + 1)
    pos = np.empty(2 * n)
    pos[0::2], pos[1::2] = edges[:-1], edges[1:] - 1e-6      # each colour flat across its band
    return pg.ColorMap(pos, np.repeat(colors, 2, axis=0))


def _upsample(Z: np.ndarray, k: int) -> np.ndarray:
    """Bilinear ``k``× refinement of a grid (rows, cols)."""
    r = np.linspace(0, Z.shape[0] - 1, (Z.shape[0] - 1) * k + 1)
    c = np.linspace(0, Z.shape[1] - 1, (Z.shape[1] - 1) * k + 1)
    rows = np.array([np.interp(c, np.arange(Z.shape[1]), z) for z in Z])
    return np.array([np.interp(r, np.arange(Z.shape[0]), col) for col in rows.T]).T


class SurfacePlot(QWidget):
    surface_requested = Signal(tuple)      # (name_a, name_b)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("surfacePlot")
        self.setAccessibleName("Error surface: loss over two parameters with the optimizer's path")
        self.combo_a = QComboBox()
        self.combo_a.setObjectName("surfaceParamA")
        self.combo_a.setAccessibleName("Parameter on the horizontal axis")
        self.combo_b = QComboBox()
        self.combo_b.setObjectName("surfaceParamB")
        self.combo_b.setAccessibleName("Parameter on the vertical axis")
        for c in (self.combo_a, self.combo_b):
            c.setMaxVisibleItems(20)
            c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.recompute_button = QPushButton("Recompute surface")
        self.recompute_button.setObjectName("recomputeSurface")
        self.recompute_button.setToolTip("Compute the loss again around the current parameter values "
                                         "(every other parameter held at its current value)")
        self.readout = style.readout_label()
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 0)
        top.addWidget(QLabel("x:"))
        top.addWidget(self.combo_a)
        top.addWidget(QLabel("y:"))
        top.addWidget(self.combo_b)
        top.addWidget(self.recompute_button)
        top.addStretch(1)
        self.plot = style.make_plot_widget("", "")
        p = self.plot.getPlotItem()
        p.showGrid(x=False, y=False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self.readout)
        lay.addWidget(self.plot, 1)

        self.cmap = _banded(pg.colormap.get("viridis"), N_LEVELS)
        self.image = pg.ImageItem()
        self.image.setColorMap(self.cmap)
        self.image.setZValue(-20)
        p.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self.cmap, interactive=False, width=14,
                                        label="log₁₀ loss", pen=style.AXIS)
        self.colorbar.setImageItem(self.image, insert_in=p)
        self.path_curve = pg.PlotCurveItem(pen=pg.mkPen("#ff4d4d", width=2), antialias=True)
        self.path_curve.setZValue(5)
        p.addItem(self.path_curve)
        self.start_marker = pg.ScatterPlotItem(size=9, brush=pg.mkBrush("w"), pen=pg.mkPen("#222", width=1.5))
        self.end_marker = pg.ScatterPlotItem(size=13, brush=pg.mkBrush("#ff2d2d"), pen=pg.mkPen("w", width=2))
        for m in (self.start_marker, self.end_marker):
            m.setZValue(6)
            p.addItem(m)
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)

        self.surface = None
        self._path = np.empty((4096, 2))
        self._n = 0
        self._names: list[str] = []
        self._updating = False
        self.combo_a.currentTextChanged.connect(self._on_pair_changed)
        self.combo_b.currentTextChanged.connect(self._on_pair_changed)
        self.recompute_button.clicked.connect(self._on_recompute_clicked)
        self.readout.setText("Loss over two parameters; red: the optimizer's path")

    # -- parameters ------------------------------------------------------------
    def set_parameters(self, names: list[str], pair: tuple[str, str]) -> None:
        """Fill the pickers (without asking for a surface)."""
        self._updating = True
        try:
            if names != self._names:
                self._names = list(names)
                for c in (self.combo_a, self.combo_b):
                    c.clear()
                    c.addItems(self._names)
            if pair[0] in names:
                self.combo_a.setCurrentText(pair[0])
            if pair[1] in names:
                self.combo_b.setCurrentText(pair[1])
        finally:
            self._updating = False
        style.set_labels(self.plot, self.combo_a.currentText(), self.combo_b.currentText())

    def pair(self) -> tuple[str, str]:
        return self.combo_a.currentText(), self.combo_b.currentText()

    def _on_pair_changed(self, _text: str) -> None:
        if self._updating or not self.combo_a.currentText() or not self.combo_b.currentText():
            return
        style.set_labels(self.plot, self.combo_a.currentText(), self.combo_b.currentText())
        self.clear_path()
        self.surface_requested.emit(self.pair())

    def _on_recompute_clicked(self) -> None:
        if self.combo_a.currentText():
            self.readout.setText("Computing the error surface…")
            self.surface_requested.emit(self.pair())

    # -- data ------------------------------------------------------------------
    def clear(self) -> None:
        self.surface = None
        self.image.clear()
        self.clear_path()

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
        self.path_curve.setData(P[:, 0], P[:, 1])
        self.start_marker.setData([self._path[0, 0]], [self._path[0, 1]])
        self.end_marker.setData([self._path[n - 1, 0]], [self._path[n - 1, 1]])

    def set_current(self, a: float, b: float) -> None:
        """Without a recorded path: mark the current point only."""
        self.end_marker.setData([a], [b])

    def show_surface(self, surface) -> None:
        if surface is None:
            return
        if tuple(surface.names) != self.pair():
            return
        self.surface = surface
        a, b, Z = surface.a, surface.b, np.asarray(surface.loss, np.float64)
        finite = np.isfinite(Z) & (Z > 0)
        L = np.where(finite, np.log10(np.where(finite, Z, 1.0)), np.nan)
        if not finite.any():
            return
        lo, hi = float(np.nanmin(L)), float(np.nanmax(L))
        if hi - lo < 1e-9:
            hi = lo + 1e-9
        L = np.where(np.isnan(L), hi, L)
        img = _upsample(L, UPSAMPLE).T                   # ImageItem: image[x, y]
        self.image.setImage(img, autoLevels=False, levels=(lo, hi))
        self.image.setRect(QRectF(a[0], b[0], a[-1] - a[0], b[-1] - b[0]))
        self.colorbar.setLevels((lo, hi))
        self.plot.getPlotItem().setRange(xRange=(a[0], a[-1]), yRange=(b[0], b[-1]), padding=0.0)
        i, j = np.unravel_index(np.nanargmin(np.where(finite, Z, np.inf)), Z.shape)
        when = getattr(surface, "updates", None)
        when = f"after update {when:,}" if when else "now"
        self.readout.setText(f"loss with every other parameter as {when}; lowest here "
                             f"{style.fmt(Z[i, j])} at ({style.fmt(a[j])}, {style.fmt(b[i])})")

    def _on_mouse_moved(self, event) -> None:
        s = self.surface
        pos = event[0]
        if s is None or not self.plot.sceneBoundingRect().contains(pos):
            return
        pt = self.plot.getPlotItem().vb.mapSceneToView(pos)
        i = int(np.clip(np.round((pt.x() - s.a[0]) / ((s.a[-1] - s.a[0]) or 1) * (len(s.a) - 1)), 0, len(s.a) - 1))
        j = int(np.clip(np.round((pt.y() - s.b[0]) / ((s.b[-1] - s.b[0]) or 1) * (len(s.b) - 1)), 0, len(s.b) - 1))
        text = (f"{s.names[0]} = {style.fmt(pt.x())}, {s.names[1]} = {style.fmt(pt.y())}: "
                f"loss ≈ {style.fmt(s.loss[j, i])}")
        if self._n:
            text += f"   ·   now at ({style.fmt(self._path[self._n - 1, 0])}, {style.fmt(self._path[self._n - 1, 1])})"
        self.readout.setText(text)
