"""The main window's actions, menus and toolbar, built in one place.

Every action is an attribute of the window (``window.actionSave``) with the
objectName other parts and tests look for. Train, Import and Export actions
are created here but wired by ``install_training`` / ``install_data``.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar, QToolButton

from gui.common.icons import action_icon

__all__ = ["create_actions", "create_menus", "create_toolbar", "ACTION_NAMES", "TRAIN_LABELS"]

TRAIN_LABELS = ("Train", "Resume")       # the texts the Train action takes (gui/training/controller.py)

K = QKeySequence.StandardKey

# name, text, icon, shortcuts, status tip
_SPECS = [
    ("actionNew", "&New", "new", [K.New], "Start a new network"),
    ("actionOpen", "&Open…", "open", [K.Open], "Open a project or a CSV file"),
    ("actionSave", "&Save", "save", [K.Save], "Save the project"),
    ("actionSaveAs", "Save &As…", None, ["Ctrl+Shift+S"], "Save the project under a new name"),
    ("actionImportCsv", "&Import CSV…", "import", ["Ctrl+I"], "Load a CSV file as the training data"),
    ("actionExport", "&Export Model…", "export", ["Ctrl+E"], "Export the trained model as ONNX or NumPy"),
    ("actionExportTorch", "Export PyTorch &Training Package (folder)…", None, [],
     "Write a standalone PyTorch package that trains this network on many processes with torchrun"),
    ("actionQuit", "&Quit", None, [K.Quit, "Ctrl+Q"], "Quit NetCanvas"),
    ("actionUndo", "&Undo", "undo", [K.Undo], "Undo the last edit"),
    ("actionRedo", "&Redo", "redo", ["Ctrl+Shift+Z", K.Redo], "Redo the edit undone last"),
    ("actionCut", "Cu&t", None, [K.Cut], "Cut the selected nodes"),
    ("actionCopy", "&Copy", None, [K.Copy], "Copy the selected nodes with their connections"),
    ("actionPaste", "&Paste", None, [K.Paste], "Paste copied nodes"),
    ("actionDelete", "&Delete", "delete", [K.Delete], "Delete the selected nodes and connections"),
    ("actionDeleteKeepLinks", "Delete, &Keep Links", None, ["Backspace"],
     "Delete the selected nodes and connect their input to their outputs"),
    ("actionSelectAll", "Select &All", None, [K.SelectAll], "Select every node and connection"),
    ("actionArrange", "&Arrange Nodes", "arrange", ["Ctrl+L"], "Lay the network out left to right"),
    ("actionZoomIn", "Zoom &In", "zoom_in", [K.ZoomIn, "Ctrl+="], "Zoom in"),
    ("actionZoomOut", "Zoom &Out", "zoom_out", [K.ZoomOut], "Zoom out"),
    ("actionZoomFit", "&Fit to Window", "zoom_fit", ["Ctrl+0"], "Show the whole network"),
    ("actionResetLayout", "&Reset Window Layout", None, [], "Put every panel back where it started"),
    ("actionTrain", "&Train", "train", ["F5", "Ctrl+Return"], "Start or resume training"),
    ("actionPause", "&Pause", "pause", ["F6"], "Pause training"),
    ("actionStep", "&Step One Update", "step", ["F10"], "Train on one batch, then pause"),
    ("actionStepEpoch", "Step One &Epoch", "step_epoch", ["Shift+F10"], "Train one epoch, then pause"),
    ("actionStop", "St&op", "stop", ["Shift+F5"], "Stop training"),
    ("actionReset", "&Reset Weights", "reset", ["Ctrl+R"], "Draw new random weights and clear the history"),
    ("actionAbout", "&About NetCanvas", "about", ["F1"], "About NetCanvas"),
]

ACTION_NAMES = [s[0] for s in _SPECS]


def create_actions(window) -> None:
    for name, text, icon, keys, tip in _SPECS:
        act = QAction(text, window)
        act.setObjectName(name)
        if icon:
            act.setIcon(action_icon(icon))
        seqs = []
        for k in keys:
            seqs += QKeySequence.keyBindings(k) if isinstance(k, QKeySequence.StandardKey) else [QKeySequence(k)]
        unique = []
        for s in seqs:
            if not s.isEmpty() and s not in unique:
                unique.append(s)
        if unique:
            act.setShortcuts(unique)
            shortcut_text = unique[0].toString(QKeySequence.SequenceFormat.NativeText)
            act.setToolTip(f"{text.replace('&', '').rstrip('…')} ({shortcut_text})")
        act.setStatusTip(tip)
        setattr(window, name, act)
    window.actionQuit.setMenuRole(QAction.MenuRole.QuitRole)
    window.actionAbout.setMenuRole(QAction.MenuRole.AboutRole)


def create_menus(window) -> dict:
    bar = window.menuBar()
    w = window
    menus = {}
    m = menus["file"] = bar.addMenu("&File")
    m.addActions([w.actionNew, w.actionOpen])
    w.recent_menu = m.addMenu("Open &Recent")
    w.recent_menu.setObjectName("menuRecent")
    m.addSeparator()
    m.addActions([w.actionSave, w.actionSaveAs])
    m.addSeparator()
    m.addActions([w.actionImportCsv, w.actionExport, w.actionExportTorch])
    m.addSeparator()
    m.addAction(w.actionQuit)
    m = menus["edit"] = bar.addMenu("&Edit")
    m.addActions([w.actionUndo, w.actionRedo])
    m.addSeparator()
    m.addActions([w.actionCut, w.actionCopy, w.actionPaste, w.actionDelete, w.actionDeleteKeepLinks])
    m.addSeparator()
    m.addActions([w.actionSelectAll, w.actionArrange])
    m = menus["view"] = bar.addMenu("&View")
    m.addActions([w.actionZoomIn, w.actionZoomOut, w.actionZoomFit])
    m.addSeparator()
    w.panels_menu = m.addMenu("&Panels")
    m.addAction(w.actionResetLayout)
    m = menus["train"] = bar.addMenu("&Train")
    m.addActions([w.actionTrain, w.actionPause, w.actionStep, w.actionStepEpoch, w.actionStop])
    m.addSeparator()
    m.addAction(w.actionReset)
    m = menus["help"] = bar.addMenu("&Help")
    w.examples_menu = m.addMenu("&Examples")
    w.examples_menu.setObjectName("menuExamples")
    w.examples_menu.setToolTipsVisible(True)
    m.addSeparator()
    m.addAction(w.actionAbout)
    for key, menu in menus.items():
        menu.setObjectName(f"menu{key.capitalize()}")
        menu.setToolTipsVisible(True)
    return menus


def create_toolbar(window) -> QToolBar:
    w = window
    tb = QToolBar("Main", window)
    tb.setObjectName("mainToolBar")
    tb.setMovable(False)
    tb.setIconSize(QSize(20, 20))
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    tb.addActions([w.actionNew, w.actionOpen, w.actionSave])
    tb.addSeparator()
    tb.addActions([w.actionImportCsv, w.actionExport])
    tb.addSeparator()
    tb.addActions([w.actionUndo, w.actionRedo, w.actionDelete])
    tb.addSeparator()
    tb.addActions([w.actionZoomIn, w.actionZoomOut, w.actionZoomFit, w.actionArrange])
    tb.addSeparator()
    tb.addActions([w.actionTrain, w.actionPause, w.actionStep, w.actionStepEpoch, w.actionStop, w.actionReset])
    for act in (w.actionTrain, w.actionStop):
        btn = tb.widgetForAction(act)
        if btn is not None:
            btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    train = tb.widgetForAction(w.actionTrain)
    if train is not None:
        # Train turns into Resume: a button as wide as the wider label keeps Pause and Step in place
        train.setFixedWidth(_width_for_labels(train, TRAIN_LABELS))
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
    return tb


def _width_for_labels(button: QToolButton, labels) -> int:
    """The button's width with its widest label: its size hint for the current text plus the
    difference in text advance (font metrics) to the widest of ``labels``."""
    button.ensurePolished()
    fm = button.fontMetrics()
    shown = button.text().replace("&", "")
    widest = max(fm.horizontalAdvance(t) for t in labels)
    return button.sizeHint().width() + max(0, widest - fm.horizontalAdvance(shown))
