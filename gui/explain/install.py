"""Putting "Why this answer" and "Residuals" into a window: the importance and attack view and
the residual views, each in a dock tabbed with the plots, fed with a copy of the current weights."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from engine.losses import make_loss
from engine.model import Model, ModelError, weights_match
from gui.explain.importance_view import ExplainInputs, ImportanceView
from gui.explain.residuals_view import ResidualsView

__all__ = ["current_model", "install_explain", "install_residuals"]


def current_model(document, controller) -> tuple[ExplainInputs | None, str | None]:
    """A private copy of the weights to explain: the training run's (the worker's last snapshot)
    if it is of the document as it is now, else the project's saved weights; or why there are none."""
    ds = document.dataset
    if ds is None:
        return None, "Load data first (File → Import CSV)."
    tr = controller.current_trainer() if controller is not None else None
    try:
        if tr is not None:
            return ExplainInputs(tr.model.copy(), tr.loss, ds), None
        model = Model(document.graph)
    except ModelError as exc:
        return None, f"The network cannot run: {exc}"
    if not weights_match(model, document.weights):
        return None, "Train the model first: there are no weights to explain yet."
    model.set_weights(document.weights)
    try:
        loss = make_loss(document.train_config.loss, ds.task)
    except Exception as exc:           # a loss that does not fit the task: say so, do not guess
        return None, f"The loss does not fit the data: {exc}"
    return ExplainInputs(model, loss, ds), None


def _tab_dock(window, widget, title: str, name: str) -> QDockWidget:
    """``widget`` in a bottom dock ``title``, a tab beside the plots (the plots stay in front),
    listed in the Panels menu."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    plots = getattr(window, "plots_dock", None)
    if plots is not None:
        window.tabifyDockWidget(plots, dock)
        plots.raise_()
    menu = getattr(window, "panels_menu", None)
    if menu is not None:
        menu.addAction(dock.toggleViewAction())
    return dock


def install_explain(window, controller) -> ImportanceView:
    """The view in a bottom dock "Why this answer", a tab beside the plots (shown: the plots)."""
    view = ImportanceView(lambda: current_model(window.document, controller))
    _tab_dock(window, view, "Why this answer", "importanceDock")
    window.importance_view = view
    return view


def install_residuals(window, controller) -> ResidualsView:
    """The residuals in a bottom dock "Residuals", a tab beside the plots; it computes when in
    sight and the weights, the network or the data changed."""
    view = ResidualsView(lambda: current_model(window.document, controller), window.document)
    dock = _tab_dock(window, view, "Residuals", "residualsDock")
    view.set_in_sight(False)                   # behind the plots' tab until a person picks it
    dock.visibilityChanged.connect(view.set_in_sight)
    window.residuals_view = view
    return view
