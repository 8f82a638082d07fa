"""Every run becomes a row of the runs table: :class:`RunRecorder` follows the training
controller's state (a run starts when it goes to running or paused from anything else, and ends
when it goes to stopped or finished: Stop, the planned epochs, early stopping, divergence, an
error, a change made while paused) and adds an :class:`engine.runs.RunRecord` to the document.
A Reset or another project during a run discards it (no row).

:func:`install_runs` puts the table (:class:`gui.training.runs_table.RunsView`) into the window:
a "Runs" dock tabbed with the plots.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDockWidget

from engine.runs import MAX_KEPT_PARAMS, add_run, decimate_fit, make_record, next_number
from gui.common.jobs import BackgroundJob
from gui.training.runs_table import RunsView, _spec_dict
from gui.training.state import RunState

__all__ = ["RunRecorder", "install_runs"]


class RunRecorder(QObject):
    """Adds a row to ``document.runs`` when a run of ``controller`` ends; ``recorded`` comes with it."""

    recorded = Signal(object)          # engine.runs.RunRecord

    def __init__(self, controller, document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller, self.document = controller, document
        self._run: dict | None = None          # what the run started from (None: no run going)
        self._next = 1                         # numbers count on past deleted rows
        self._generation = 0                   # counts projects: a row built for the last one is dropped
        self._jobs: list[BackgroundJob] = []
        controller.state_changed.connect(self._on_state)
        controller.snapshot_received.connect(self._on_snapshot)
        document.replaced.connect(self._on_replaced)

    def _on_replaced(self) -> None:
        self._run = None
        self._next = 1
        self._generation += 1

    def _on_snapshot(self, snap) -> None:
        if self._run is not None and snap.views is not None and snap.views.get("fit") is not None:
            self._run["fit"] = snap.views["fit"]

    def _on_state(self, state: str) -> None:
        run = self._run
        if state in (RunState.RUNNING, RunState.PAUSED):
            if run is None:
                self._begin()
            run = self._run
            now = time.perf_counter()
            if state == RunState.RUNNING and run["since"] is None:
                run["since"] = now
            elif state == RunState.PAUSED and run["since"] is not None:
                run["wall"] += now - run["since"]
                run["since"] = None
        elif state in (RunState.STOPPED, RunState.FINISHED):
            if run is not None:
                self._run = None
                self._end(run, state)
        else:                                  # idle: Reset, another project — the run is discarded
            self._run = None

    def _begin(self) -> None:
        """What the run is of, taken as it starts (a change made while paused ends it later)."""
        ctl, doc = self.controller, self.document
        tr = ctl.trainer
        ds = doc.dataset
        baselines = getattr(getattr(ctl, "baselines", None), "baselines", None)
        self._run = {"trainer": tr, "updates": tr.updates if tr is not None else 0,
                     "seconds": tr.seconds if tr is not None else 0.0, "since": None, "wall": 0.0,
                     "graph": doc.graph.copy(), "spec": _spec_dict(doc.data_spec), "dataset": ds,
                     "n_inputs": ds.X_train.shape[1] if ds is not None else None, "ctx": ctl.ctx,
                     "baselines": baselines, "fit": None}

    def _end(self, run: dict, state: str) -> None:
        """The run's row, built off the GUI thread (its epochs are scanned and thinned: a long run
        has many), then added to the document unless another project came meanwhile."""
        tr = self.controller.trainer
        if tr is None or tr is not run["trainer"] or tr.updates <= run["updates"]:
            return                             # nothing was trained (a Stop straight after Train)
        if run["since"] is not None:
            run["wall"] += time.perf_counter() - run["since"]
        doc = self.document
        baselines = run["baselines"]
        if baselines is None and doc.dataset is run["dataset"]:       # computed while the run went
            baselines = getattr(getattr(self.controller, "baselines", None), "baselines", None)
        ctx, view = run["ctx"], run["fit"]
        params = int(tr.model.flat_params.size)
        stop = (tr.stop_reason or "epochs") if state == RunState.FINISHED else "stopped"
        if tr.diverged_at is not None:
            stop = "diverged"
        trained = tr.seconds - run["seconds"]
        epochs = list(tr.epochs)               # the records themselves are never changed later
        number = next_number(doc.runs, self._next)
        self._next = number + 1
        kw = dict(graph=run["graph"], data_spec=run["spec"], n_inputs=run["n_inputs"], config=tr.config,
                  epochs=epochs, epoch=tr.epoch, updates=tr.updates,
                  seconds=tr.seconds if trained > 0 else run["wall"], stop_reason=stop,
                  weights=tr.model.get_weights() if params <= MAX_KEPT_PARAMS else None, params=params,
                  baseline=baseline_of(baselines, epochs[-1] if epochs else {}))

        def build(_cancelled):
            fit = decimate_fit(view, ctx.target_name, ctx.x_label, ctx.boundary, ctx.y_val) if ctx else None
            return make_record(number, fit=fit, **kw)
        job = BackgroundJob(build, name="netcanvas-run-row", parent=self)
        job.done.connect(lambda rec, gen=self._generation: self._add(rec, gen))
        job.failed.connect(lambda msg: self.controller.status(f"The run could not become a row: {msg}"))
        self._jobs = [j for j in self._jobs if j.is_alive()] + [job.start()]

    def _add(self, rec, generation: int) -> None:
        if generation != self._generation:     # another project is open now
            return
        doc = self.document
        runs, dropped, unkept = add_run(doc.runs, rec)
        doc.set_runs(runs)                     # a training result, like the weights: no undo step
        text = f"Run {rec.number} is a row of the runs table"
        if dropped:
            text += f" (the oldest, run {dropped[0].number}, left it: it keeps {len(runs)} rows)"
        if unkept:
            text += f"; run {', '.join(str(r.number) for r in unkept)} no longer keeps its weights (room for newer)"
        self.controller.status(text)
        self.recorded.emit(rec)


def baseline_of(b, last: dict) -> dict:
    """The row's yardstick from an engine.baselines.Baselines (None: not known yet) and the run's
    last epoch record: a series' persistence MAE and the run's MASE, else least squares, or the
    majority class's accuracy."""
    if b is None:
        return {}
    if b.task != "regression":
        return {"name": "majority class", "val_accuracy": b.majority_val_accuracy}
    if b.persistence_val_mae is not None:
        return {"name": "persistence", "val_mae": b.persistence_val_mae, "mase": b.mase(last.get("val_mae"))}
    return {"name": "least squares", "val_mae": b.linear_val_mae}


def install_runs(window, controller) -> RunsView:
    """The runs table in a bottom dock "Runs", a tab beside the plots; the recorder that fills it."""
    plots = getattr(window, "plots_dock", None)

    def show_plots():
        if plots is not None:
            plots.show()
            plots.raise_()
    view = RunsView(window.document, controller, show_plots=show_plots)
    controller.runs_recorder = RunRecorder(controller, window.document, parent=controller)
    dock = QDockWidget("Runs", window)
    dock.setObjectName("runsDock")
    dock.setWidget(view)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    if plots is not None:
        window.tabifyDockWidget(plots, dock)
        plots.raise_()
    menu = getattr(window, "panels_menu", None)
    if menu is not None:
        menu.addAction(dock.toggleViewAction())
    window.runs_view, window.runs_dock = view, dock
    return view
