"""The training actions (Train, Pause, Step, Step one epoch, Stop, Reset weights),
taken from the window when it has them, else created, each with its icon,
shortcut and tips.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QApplication, QStyle

__all__ = ["make_training_actions", "shift_held"]

_ACTIONS = {
    "train": ("actionTrain", "&Train", "F5", QStyle.StandardPixmap.SP_MediaPlay,
              "Start training (or resume)"),
    "pause": ("actionPause", "&Pause", "F6", QStyle.StandardPixmap.SP_MediaPause, "Pause training"),
    "step": ("actionStep", "&Step", "F10", QStyle.StandardPixmap.SP_MediaSeekForward,
             "One update (one batch); Shift-click the Step button for one epoch"),
    "step_epoch": ("actionStepEpoch", "Step one &epoch", "Shift+F10", QStyle.StandardPixmap.SP_MediaSkipForward,
                   "Train until the end of the current epoch"),
    "stop": ("actionStop", "St&op", "Shift+F5", QStyle.StandardPixmap.SP_MediaStop,
             "Stop training (the weights so far are kept)"),
    "reset": ("actionReset", "&Reset weights", "", QStyle.StandardPixmap.SP_BrowserReload,
              "Fresh random weights from the seed; clears the plots"),
}



def make_training_actions(given: dict[str, QAction], window, owner) -> dict[str, QAction]:
    """key ("train", "pause", …) → its action: from ``given``, else the window's
    (``window.actionTrain``, …), else a new one (a child of ``window``, or of ``owner``
    without a window)."""
    style = QApplication.style()
    out = {}
    for key, (name, text, shortcut, icon, tip) in _ACTIONS.items():
        act = given.get(key)
        if act is None and window is not None:
            act = getattr(window, name, None)
        if act is None:
            act = QAction(text, window if window is not None else owner)
            act.setObjectName(name)
            if shortcut:
                act.setShortcut(shortcut)
        if act.icon().isNull() and style is not None:
            act.setIcon(style.standardIcon(icon))
        if not act.toolTip() or act.toolTip() == act.text().replace("&", ""):
            act.setToolTip(tip)
        act.setStatusTip(tip)
        out[key] = act
    return out


def shift_held() -> bool:
    """Whether Shift is down (a Shift-click on Step steps one epoch)."""
    return bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
