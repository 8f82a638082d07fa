"""The dataset panel: which file feeds the network and what came out of it.

Shows the file (relative to the project file when it has one), N train /
validation, F, the target, the task, and how many rows were dropped and why.
It only listens to the document; its two buttons ask for intent
(``import_requested``, ``edit_requested``) that ``gui/data/controller.py`` carries out.
"""
from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

__all__ = ["DatasetPanel"]


class DatasetPanel(QWidget):
    import_requested = Signal()
    edit_requested = Signal()

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("datasetPanel")
        self.setAccessibleName("Dataset")
        self.document = document
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for key, title in (("file", "File"), ("examples", "Examples"), ("features", "Features F"),
                           ("target", "Target"), ("task", "Task"), ("split", "Split"),
                           ("dropped", "Dropped")):
            label = QLabel(objectName=f"dataset_{key}")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{title}:", label)
            self.fields[key] = label
        lay.addLayout(form)
        self.problem_label = QLabel(objectName="datasetProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b91c1c;")
        self.problem_label.hide()
        lay.addWidget(self.problem_label)
        buttons = QHBoxLayout()
        self.import_button = QPushButton("Import CSV…", objectName="datasetImportButton")
        self.edit_button = QPushButton("Edit import…", objectName="datasetEditButton")
        self.edit_button.setToolTip("Reopen the import view with the current settings")
        self.import_button.clicked.connect(self.import_requested)
        self.edit_button.clicked.connect(self.edit_requested)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        lay.addStretch(1)
        document.dataset_changed.connect(self.refresh)
        document.path_changed.connect(self.refresh)
        self.refresh()

    def show_problem(self, message: str) -> None:
        """A data problem that is not part of the document (e.g. the file moved)."""
        self.problem_label.setText(message)
        self.problem_label.setVisible(bool(message))

    def display_path(self) -> str:
        """The data file relative to the project file's folder when that is shorter."""
        path = self.document.data_path
        if not path:
            return ""
        base = os.path.dirname(self.document.path) if self.document.path else None
        if base:
            try:
                rel = os.path.relpath(path, base)
                if not rel.startswith(".." + os.sep + ".."):
                    return rel
            except ValueError:
                pass
        return path

    def refresh(self, *_args) -> None:
        doc = self.document
        ds = doc.dataset
        f = self.fields
        self.edit_button.setEnabled(doc.data_path is not None and os.path.exists(doc.data_path))
        if doc.data_path is None:
            for label in f.values():
                label.setText("")
            f["file"].setText("<i>no data yet</i> — File → Import CSV…, or drop a .csv on the window")
            return
        shown = self.display_path()
        folder, name = os.path.split(shown)
        f["file"].setText(f"<b>{_esc(name)}</b>" + (f"<br><span style='color:#6b7280'>{_esc(folder)}</span>"
                                                   if folder else ""))
        f["file"].setToolTip(doc.data_path)
        if ds is None:
            for key in ("examples", "features", "target", "task", "split", "dropped"):
                f[key].setText("")
            f["examples"].setText("<i>not loaded</i>")
            return
        self.show_problem("")
        s = ds.spec
        f["examples"].setText(f"{ds.n_train:,} train / {ds.n_val:,} validation"
                              f" <span style='color:#6b7280'>of {ds.n_rows_read:,} rows read</span>")
        onehot = getattr(ds, "onehot", None) or {}
        detail = (f" (previous {s.lags} of {s.series})" if s.series else
                  " <span style='color:#6b7280'>(one-hot: " + ", ".join(
                      f"{_esc(k)} → {len(v)}" for k, v in onehot.items()) + ")</span>" if onehot else "")
        f["features"].setText(f"{ds.n_features}{detail}")
        f["features"].setToolTip(", ".join(ds.feature_names))
        f["target"].setText(ds.target_name)
        task = {"regression": "regression", "binary": "classification (2 classes)",
                "multiclass": f"classification ({len(ds.classes)} classes)"}[ds.task]
        f["task"].setText(task)
        if ds.classes:
            f["task"].setToolTip("Classes: " + ", ".join(ds.classes))
        split = "chronological" if s.split == "chronological" else f"random, seed {s.seed}"
        f["split"].setText(f"{split}; {round(s.val_fraction * 100)} % validation; "
                           + ("standardized" if s.normalize == "standard" else "not normalized"))
        n = sum(ds.dropped.values())
        if n:
            f["dropped"].setText(f"{n:,}: " + "; ".join(f"{r} ({c:,})" for r, c in ds.dropped.items()))
        else:
            f["dropped"].setText("none")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
