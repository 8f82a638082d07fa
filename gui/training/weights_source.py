"""The network's weights as numbers, for the views that show and set them by hand (the
properties panel's weights table, the unit explorer).

:class:`WeightsSource` answers ``weights()`` with the controller's ``current_weights()``
(a run's, else the document's) when they fit the graph as it is now, else with the fresh
ones the seed gives — the weights Train would start from — drawn in a background job
(a large layer's draw must not stall the GUI thread). ``changed`` says when to read again:
at once after an edit, an undo, a pause or a stop; while a run goes at most every
``LIVE_INTERVAL_MS`` (never per snapshot), and a view that is hidden need not read at all.
Setting weights goes through ``TrainingController.set_weights`` (one undoable step).
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from engine.model import Model
from engine.project import expected_param_shapes
from gui.common.jobs import BackgroundJob

__all__ = ["WeightsSource", "LIVE_INTERVAL_MS", "fits_graph"]

LIVE_INTERVAL_MS = 500          # while training: the shown numbers follow twice a second


def fits_graph(weights: dict | None, graph) -> bool:
    """Whether ``weights`` are exactly the parameters of ``graph`` with their shapes."""
    if weights is None:
        return False
    expected = expected_param_shapes(graph)
    if set(expected) != set(weights):
        return False
    return all(len(s) == weights[k].ndim and all(e is None or e == g for e, g in zip(s, weights[k].shape))
               for k, s in expected.items())


class WeightsSource(QObject):
    changed = Signal()           # read ``weights()`` again (they may differ)

    def __init__(self, document, controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.controller = controller
        self._cache: dict | None = None
        self._fresh = False              # _cache is of the state now
        self._seeded = False             # _cache came from the seed
        self._job: BackgroundJob | None = None
        self._live = QTimer(self)        # snapshots come ~30 times a second: the numbers follow slower
        self._live.setSingleShot(True)
        self._live.setInterval(LIVE_INTERVAL_MS)
        self._live.timeout.connect(self._invalidate)
        self._emit = QTimer(self)        # several changes in one turn of the event loop: one ``changed``
        self._emit.setSingleShot(True)
        self._emit.setInterval(0)
        self._emit.timeout.connect(self.changed)
        for sig in (document.results_changed, document.graph_changed, document.replaced,
                    document.config_changed):
            sig.connect(self._invalidate)
        controller.state_changed.connect(self._invalidate)
        controller.snapshot_received.connect(self._on_controller_snapshot)

    # -- public ----------------------------------------------------------------------------
    def weights(self) -> dict | None:
        """The weights now (a private copy, never changed later), or None while the seed's are
        being drawn (``changed`` follows) or when the network cannot be built."""
        if self._fresh:
            return self._cache
        w = self.controller.current_weights()
        if fits_graph(w, self.document.graph):
            self._cache, self._fresh, self._seeded = w, True, False
            return w
        if self._job is None:
            self._draw_seed()
        return self._cache if self._seeded and fits_graph(self._cache, self.document.graph) else None

    def set_weights(self, weights: dict, text: str) -> None:
        """One undoable step (``text``: "Set dense1.W[2,0]"); a run under way stops first."""
        self.controller.set_weights(weights, text)

    # -- slots -------------------------------------------------------------------------------
    def _invalidate(self, *_args) -> None:
        self._fresh = False
        if self._job is not None:
            self._job.cancel()
            self._job = None
        self._emit.start()

    def _on_controller_snapshot(self, _snap) -> None:
        if not self._live.isActive():
            self._live.start()

    def _draw_seed(self) -> None:
        doc = self.document
        graph, cfg = doc.graph.copy(), doc.train_config

        def draw(cancelled):
            return Model(graph, dtype=cfg.dtype, seed=cfg.seed).get_weights()

        job = BackgroundJob(draw, parent=self)
        job.done.connect(lambda w, j=job: self._on_seed_drawn(j, w))
        job.failed.connect(lambda _msg, j=job: self._on_seed_failed(j))
        self._job = job
        job.start()

    def _on_seed_drawn(self, job, weights: dict) -> None:
        if job is not self._job:
            return
        self._job = None
        self._cache, self._fresh, self._seeded = weights, True, True
        self.changed.emit()

    def _on_seed_failed(self, job) -> None:
        if job is self._job:
            self._job = None
            self._cache, self._fresh, self._seeded = None, True, False
            self.changed.emit()
