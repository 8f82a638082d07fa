"""Putting the unit explorer into a window: a dock "Unit explorer" tabbed with the plots, raised
on the unit a person clicks (a card's bar or heat-map column, a curve in the units plot)."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget

from gui.plots.unit_explorer import UnitExplorer

__all__ = ["install_explorer"]


def install_explorer(window, controller, source) -> UnitExplorer:
    """The explorer in a bottom dock beside the plots (shown: the plots), fed by ``source``
    (a :class:`gui.training.weights_source.WeightsSource`); resting while a run goes."""
    view = UnitExplorer(window.document, source)
    dock = QDockWidget("Unit explorer", window)
    dock.setObjectName("unitExplorerDock")
    dock.setWidget(view)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    plots = getattr(window, "plots_dock", None)
    if plots is not None:
        window.tabifyDockWidget(plots, dock)
        plots.raise_()
    menu = getattr(window, "panels_menu", None)
    if menu is not None:
        menu.addAction(dock.toggleViewAction())

    def show_unit(i: int) -> None:
        view.select_unit(i)
        dock.show()
        QTimer.singleShot(0, dock.raise_)     # after the click's own selection raised Properties

    def on_card_unit(node_id: str, i: int) -> None:
        lay = view.layout_
        if lay is not None and node_id in (lay.hidden, lay.act, lay.out):
            show_unit(i)

    controller.units_plot.unit_clicked.connect(lambda i: show_unit(i) if view.layout_ is not None else None)
    clicked = getattr(getattr(window, "canvas_view", None), "unit_clicked", None)   # (a test harness may lack it)
    if clicked is not None:
        clicked.connect(on_card_unit)
    controller.state_changed.connect(lambda state: view.set_locked(state == "running"))
    window.unit_explorer = view
    window.unit_explorer_dock = dock
    return view
