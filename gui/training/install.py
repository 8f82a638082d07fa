"""Putting training into a window: the controller, its panel and plots in the window's
docks, its actions in the Train menu, and a stop when the window really closes."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer

from gui.training.baselines_view import BaselineWatch
from gui.training.controller import TrainingController
from gui.training.weights_source import WeightsSource

__all__ = ["install_training"]


class _CloseWatcher(QObject):
    """Stops training once the window has really closed (a vetoed close changes nothing)."""

    def __init__(self, window, controller: TrainingController) -> None:
        super().__init__(window)
        self.window, self.controller = window, controller

    def eventFilter(self, obj, event) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close:
            QTimer.singleShot(0, self._check)
        return False

    def _check(self) -> None:
        try:
            visible = self.window.isVisible()
        except RuntimeError:          # already deleted
            visible = False
        if not visible:
            self.controller.shutdown()


def install_training(window) -> TrainingController:
    """Add the training panel and the four plots to ``window`` and wire its actions.

    Returns the controller; call ``controller.shutdown()`` from the window's
    ``closeEvent`` once the close is accepted (an event filter does it too, one
    event-loop turn later).
    """
    canvas = getattr(window, "canvas_view", None)
    highlight = getattr(canvas, "highlight_nodes", None)
    ctl = TrainingController(window.document, window=window, highlight=highlight)
    window.training = ctl
    if hasattr(window, "add_panel_dock"):
        window.add_panel_dock(ctl.panel, "Training")
    if hasattr(window, "add_plot"):
        for plot, title in ((ctl.loss_plot, "Loss"), (ctl.fit_plot, "Fit"), (ctl.units_plot, "Units"),
                            (ctl.surface_plot, "Error surface")):
            window.add_plot(plot, title)
    menus = getattr(window, "menus", None) or {}
    menu = menus.get("train")
    if menu is not None:
        present = set(menu.actions())
        for key in ("train", "pause", "step", "step_epoch", "stop", "reset"):
            if ctl.actions[key] not in present:
                menu.addAction(ctl.actions[key])
    ctl.baselines = BaselineWatch(window.document, ctl.panel, parent=ctl)   # issue 12: the yardsticks
    if hasattr(window, "addDockWidget"):                                   # ... and "why this answer"
        from gui.explain.install import install_explain, install_residuals
        ctl.importance_view = install_explain(window, ctl)
        from gui.training.runs_recorder import install_runs          # ... and the runs table
        ctl.runs_view = install_runs(window, ctl)
        ctl.residuals_view = install_residuals(window, ctl)                 # ... and "pattern left?"
    from gui.training.starts_dialog import install_starts
    ctl.starts_action = install_starts(window, ctl)                        # issue 11: local minima
    ctl.weights_source = WeightsSource(window.document, ctl, parent=ctl)   # weights set by hand:
    attach = getattr(getattr(window, "properties", None), "attach_weights", None)   # typed in the
    if attach is not None:                                                 # properties panel, and
        attach(ctl.weights_source)                                         # the unit explorer
    if hasattr(window, "addDockWidget"):
        from gui.plots.explorer_install import install_explorer
        install_explorer(window, ctl, ctl.weights_source)
    window.installEventFilter(_CloseWatcher(window, ctl))
    bar = window.statusBar() if hasattr(window, "statusBar") else None
    if bar is not None:                     # "N examples, B per batch → U updates per epoch", always in view
        bar.addPermanentWidget(ctl.panel.make_summary_badge())
    blocked = getattr(window, "train_blocked_changed", None)
    if blocked is not None:                 # e.g. "no data yet" set by the data part
        blocked.connect(lambda _reason: ctl._refresh())
    return ctl
