"""The CSV import view: preview the file, give each column a role, see what the
dataset will be before saying OK.

Like Orange's File widget, every column is listed with its type (number /
text / date), missing count, a small chart of its values and a role (feature /
target / ignore). A number column's type can be switched to "category": codes
such as Cylinders (3, 4, 5, 6, 8) are then one-hot encoded like text (and as
the target mean classification); whole-number columns with few values get a hint. A date column is a feature as one number, its decimal year
(1970-01-01 → 1970.0), never the target; in series mode it can be the time
column (the plots' x-axis).
Series mode turns one number column into "previous K values → next value".
A column of numbers with placeholders for missing values ("?", "-", "n.a.") is
read as numbers; the summary says which cells were read as missing. A file
whose rows have the wrong number of fields names the first such line and offers
“Skip rows with the wrong number of fields”; the summary's Dropped section then
lists them with their line numbers.
Reading and building run in :class:`gui.loading.CsvLoader` threads; a change
of any setting rebuilds the summary after a short pause (debounced), and OK is
enabled only when the dataset shown in the summary was built from exactly the
settings on screen. When OK is disabled, the reason is written under the
summary and in OK's tooltip.

After ``accepted``, :attr:`result` is ``(path, DataSpec, Dataset)``.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
    QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
    QProgressBar, QPushButton, QRadioButton, QSizePolicy, QSpinBox, QSplitter, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget, QCheckBox,
)

import numpy as np
import pandas as pd

from engine.data import (NA_VALUES, Column, DataError, DataSpec, RaggedRowsError, category_label,
                         guess_date_format, is_number, is_placeholder, plural)
from gui.loading import TOP_CATEGORIES, ColumnProfile, CsvLoader, LoadedTable
from gui.panels.column_chart import PROFILE_ROLE, SPARK_ROLE, ColumnChartDelegate, kind_color

__all__ = ["ImportDialog", "ROLES", "NUMBER_TYPES", "DELIMITERS", "ENCODINGS"]

ROLES = ("feature", "target", "ignore")
NUMBER_TYPES = ("number", "category")     # a number column's type: as it is, or one-hot codes
CATEGORY_HINT_VALUES = 12                 # whole-number columns with at most this many values: a hint
DATE_ROLES = ("feature", "ignore")        # a date is never the target ("time" too in series mode)
DELIMITERS = [("Comma  ,", ","), ("Semicolon  ;", ";"), ("Tab", "\t")]
ENCODINGS = [("UTF-8", "utf-8"), ("UTF-8 with BOM", "utf-8-sig"), ("UTF-16", "utf-16"),
             ("Latin-1 (ISO-8859-1)", "latin-1"), ("Windows-1252", "cp1252")]
TASKS = [("Auto", "auto"), ("Regression", "regression"), ("Classification", "classification")]
DEBOUNCE_MS = 150
AUTO_IGNORE_TEXT_VALUES = 50     # text columns with more distinct values start as "ignore"
_TIME_HINTS = ("date", "time", "day", "timestamp", "datetime", "year", "month")
_ERROR_STYLE = "color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; border-radius: 4px; padding: 6px;"
_INFO_STYLE = "color: #374151; background: #f3f4f6; border: 1px solid #e5e7eb; border-radius: 4px; padding: 6px;"
_C_NAME, _C_TYPE, _C_ROLE, _C_MISSING, _C_CHART, _C_VALUES = range(6)


class ImportDialog(QDialog):
    """Import a CSV file. ``summary_updated`` fires after every refresh of the
    summary or of the message explaining why OK is disabled."""

    summary_updated = Signal()

    def __init__(self, path: str, spec: DataSpec | dict | None = None, parent: QWidget | None = None,
                 loader: CsvLoader | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setAccessibleName("Import CSV")
        self.setWindowTitle("Import CSV")
        self.setSizeGripEnabled(True)
        self.resize(1120, 760)
        self.path = os.path.abspath(path)
        try:
            self._initial_spec = DataSpec.from_dict(spec) if isinstance(spec, dict) else spec
        except DataError:               # settings from an old or edited project: start from defaults
            self._initial_spec = None
        self.loader = loader or CsvLoader(self)
        self.loaded: LoadedTable | None = None
        self.dataset = None
        self.result: tuple[str, DataSpec, object] | None = None
        self._built_spec: DataSpec | None = None
        self._pending_spec: DataSpec | None = None
        self._reason = "Reading the file…"
        self._role_boxes: dict[str, QComboBox] = {}
        self._cols: dict[str, object] = {}      # name -> Column / ColumnProfile / preview guess
        self._n_rows_known = 0                  # rows behind self._cols (preview rows until read)
        self._user_roles: dict[str, str] = {}   # roles the person chose (kept when the table arrives)
        self._type_boxes: dict[str, QComboBox] = {}     # number columns: "number" | "category"
        self._user_types: dict[str, str] = {}   # types the person chose (kept when the table arrives)
        self._category_profiles: dict[str, ColumnProfile] = {}  # charts of columns shown as categories
        self._few_values: dict[str, list[str]] = {}     # whole-number columns with few values
        self._rows: dict[str, int] = {}                 # column name -> row in the columns table
        self._target_is_default = False
        self._user_delimiter = self._user_encoding = self._user_header = None
        self._user_skip = False                 # skip rows with the wrong number of fields
        self._header_used = True
        if self._initial_spec is not None:      # Edit import…: read the file as it was read
            self._user_delimiter = self._initial_spec.delimiter
            self._user_encoding = self._initial_spec.encoding
            self._user_header = self._initial_spec.header
            self._user_skip = self._initial_spec.skip_bad_lines

        self._build_ui()
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._start_build)
        lo = self.loader
        lo.load_started.connect(self._on_loader_load_started)
        lo.preview_ready.connect(self._on_loader_preview_ready)
        lo.progress_changed.connect(self._on_loader_progress_changed)
        lo.table_read.connect(self._on_loader_table_read)
        lo.table_loaded.connect(self._on_loader_table_loaded)
        lo.load_failed.connect(self._on_loader_load_failed)
        lo.load_cancelled.connect(self._on_loader_load_cancelled)
        lo.dataset_built.connect(self._on_loader_dataset_built)
        lo.build_failed.connect(self._on_loader_build_failed)
        self._reload()

    # ------------------------------------------------------------------ layout
    def _build_ui(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 10, 10, 10)

        # file and reading options
        top = QGridLayout()
        self.file_label = QLabel(objectName="importFile")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        f = self.file_label.font()
        f.setBold(True)
        self.file_label.setFont(f)
        self.browse_button = QPushButton("Browse…", objectName="browseButton")
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.reload_button = QPushButton("Reload", objectName="reloadButton")
        self.reload_button.setToolTip("Read the file again (after it changed on disk, or after a cancel)")
        self.reload_button.clicked.connect(self._reload)
        self.delimiter_combo = QComboBox(objectName="delimiterCombo")
        for text, d in DELIMITERS:
            self.delimiter_combo.addItem(text, d)
        self.delimiter_combo.activated.connect(self._on_delimiter_chosen)
        self.encoding_combo = QComboBox(objectName="encodingCombo")
        for text, e in ENCODINGS:
            self.encoding_combo.addItem(text, e)
        self.encoding_combo.activated.connect(self._on_encoding_chosen)
        self.header_check = QCheckBox("First row holds the column names", objectName="headerCheck")
        self.header_check.setChecked(True)
        self.header_check.setToolTip("Checked: the first line names the columns. Unchecked: the first "
                                     "line is already data; columns are named “column 1”, “column 2”, …\n"
                                     "Detected when the file is opened (a first line of numbers only is data).")
        self.header_check.clicked.connect(self._on_header_clicked)
        self.skip_check = QCheckBox("Skip rows with the wrong number of fields", objectName="skipBadLinesCheck")
        self.skip_check.setToolTip("Read the file without the rows that have more or fewer fields than the "
                                   "header; the summary lists them (count and line numbers) under Dropped")
        self.skip_check.setVisible(False)       # offered when a row has the wrong number of fields
        self.skip_check.clicked.connect(self._on_skip_clicked)
        self.file_info = QLabel(objectName="importFileInfo")
        self.file_info.setStyleSheet("color: #6b7280;")
        top.addWidget(QLabel("File:"), 0, 0)
        top.addWidget(self.file_label, 0, 1, 1, 5)
        top.addWidget(self.browse_button, 0, 6)
        top.addWidget(self.reload_button, 0, 7)
        top.addWidget(QLabel("Delimiter:"), 1, 0)
        top.addWidget(self.delimiter_combo, 1, 1)
        top.addWidget(QLabel("Encoding:"), 1, 2)
        top.addWidget(self.encoding_combo, 1, 3)
        top.addWidget(self.header_check, 1, 4)
        top.addWidget(self.file_info, 1, 5, 1, 3, Qt.AlignmentFlag.AlignRight)
        top.addWidget(self.skip_check, 2, 4, 1, 2)
        top.setColumnStretch(5, 1)
        outer.addLayout(top)

        # progress while reading
        row = QHBoxLayout()
        self.progress = QProgressBar(objectName="importProgress")
        self.progress.setRange(0, 100)
        self.progress.setFormat("Reading… %p%")
        self.cancel_load_button = QPushButton("Cancel loading", objectName="cancelLoadButton")
        self.cancel_load_button.clicked.connect(self.loader_cancel)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_load_button)
        self.progress_row = QWidget()
        self.progress_row.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.progress_row)

        split = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(split, 1)

        # left: columns + preview
        self.columns_table = QTableWidget(0, 6, objectName="columnsTable")
        self.columns_table.setHorizontalHeaderLabels(["Column", "Type", "Role", "Missing", "Distribution", "Range / values"])
        self.columns_table.verticalHeader().setVisible(False)
        self.columns_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.columns_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.columns_table.setAlternatingRowColors(True)
        self.columns_table.verticalHeader().setDefaultSectionSize(30)
        self._chart = ColumnChartDelegate(self.columns_table)
        self.columns_table.setItemDelegateForColumn(_C_CHART, self._chart)
        h = self.columns_table.horizontalHeader()
        h.setSectionResizeMode(_C_NAME, QHeaderView.ResizeMode.Interactive)
        h.setSectionResizeMode(_C_VALUES, QHeaderView.ResizeMode.Stretch)
        self.columns_table.setColumnWidth(_C_NAME, 150)
        self.columns_table.setColumnWidth(_C_TYPE, 96)
        self.columns_table.setColumnWidth(_C_ROLE, 96)
        self.columns_table.setColumnWidth(_C_MISSING, 64)
        self.columns_table.setColumnWidth(_C_CHART, 120)
        self.columns_table.horizontalHeaderItem(_C_CHART).setToolTip(
            "Histogram of a number column; most frequent values of a text or category column; "
            "in series mode, the column over the rows")
        self.columns_table.horizontalHeaderItem(_C_TYPE).setToolTip(
            "number, text or date, as read; a number column can be switched to “category”: "
            "each value becomes its own input (one-hot), as for text")
        self.preview_table = QTableWidget(0, 0, objectName="previewTable")
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setAlternatingRowColors(True)
        self.preview_table.verticalHeader().setDefaultSectionSize(22)
        self.columns_table.setWordWrap(False)
        self.columns_table.setTextElideMode(Qt.TextElideMode.ElideRight)
        left = QSplitter(Qt.Orientation.Vertical, objectName="importLeft")
        left.addWidget(_titled("Columns", self.columns_table))
        self.preview_title = QLabel("First rows")
        left.addWidget(_titled(self.preview_title, self.preview_table))
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)
        left.setChildrenCollapsible(False)
        split.addWidget(left)

        # right: settings and summary
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)

        mode_box = self.mode_box = QGroupBox("Examples")
        ml = QFormLayout(mode_box)
        self.mode_columns = QRadioButton("One row → one example", objectName="modeColumns")
        self.mode_series = QRadioButton("Series: previous K values → next value", objectName="modeSeries")
        self.mode_columns.setChecked(True)
        self._mode_group = QButtonGroup(self)
        self._mode_group.addButton(self.mode_columns)
        self._mode_group.addButton(self.mode_series)
        self.mode_series.toggled.connect(self._on_mode_toggled)
        ml.addRow(self.mode_columns)
        ml.addRow(self.mode_series)
        self.series_combo = QComboBox(objectName="seriesCombo")
        self.series_combo.activated.connect(self._on_series_changed)
        self.time_combo = QComboBox(objectName="timeCombo")
        self.time_combo.activated.connect(self._on_time_changed)
        self.lags_spin = QSpinBox(objectName="lagsSpin", minimum=1, maximum=10_000, value=7)
        self.lags_spin.setToolTip("K: how many previous values of the series make one example")
        self.lags_spin.valueChanged.connect(self._schedule_build)
        self.series_label, self.time_label, self.lags_label = QLabel("Series:"), QLabel("Time (x-axis):"), QLabel("Lags K:")
        ml.addRow(self.series_label, self.series_combo)
        ml.addRow(self.time_label, self.time_combo)
        ml.addRow(self.lags_label, self.lags_spin)
        self._mode_form = ml
        rl.addWidget(mode_box)

        train_box = self.train_box = QGroupBox("Task and split")
        tl = QFormLayout(train_box)
        self.task_combo = QComboBox(objectName="taskCombo")
        for text, t in TASKS:
            self.task_combo.addItem(text, t)
        self.task_combo.activated.connect(self._schedule_build)
        tl.addRow("Task:", self.task_combo)
        split_row = QHBoxLayout()
        self.split_random = QRadioButton("Random", objectName="splitRandom")
        self.split_chrono = QRadioButton("Chronological", objectName="splitChronological")
        self.split_random.setChecked(True)
        self.split_random.setToolTip("Validation rows drawn at random (stratified by class)")
        self.split_chrono.setToolTip("The last rows are the validation rows: no peeking into the future")
        g = QButtonGroup(self)
        g.addButton(self.split_random)
        g.addButton(self.split_chrono)
        self.split_random.toggled.connect(self._on_split_toggled)
        split_row.addWidget(self.split_random)
        split_row.addWidget(self.split_chrono)
        split_row.addStretch(1)
        tl.addRow("Split:", split_row)
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1)
        self.seed_spin.valueChanged.connect(self._schedule_build)
        tl.addRow("Seed:", self.seed_spin)
        self.val_spin = QDoubleSpinBox(objectName="valFractionSpin", minimum=0.0, maximum=90.0,
                                       singleStep=5.0, decimals=0, value=20.0, suffix=" %")
        self.val_spin.setToolTip("Share of the examples held out to measure the loss on unseen data")
        self.val_spin.valueChanged.connect(self._schedule_build)
        tl.addRow("Validation:", self.val_spin)
        self.normalize_check = QCheckBox("Standardize (mean 0, std 1; fitted on training rows)",
                                         objectName="normalizeCheck")
        self.normalize_check.setChecked(True)
        self.normalize_check.toggled.connect(self._schedule_build)
        tl.addRow(self.normalize_check)
        rl.addWidget(train_box)

        sum_box = QGroupBox("Summary")
        sl = QVBoxLayout(sum_box)
        self.summary_label = QLabel(objectName="importSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setWordWrap(True)
        self.summary_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        sl.addWidget(self.summary_label, 1)
        rl.addWidget(sum_box, 1)
        right.setMinimumWidth(330)
        right.setMaximumWidth(420)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        self.message_label = QLabel(objectName="importMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.message_label)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this data")
        self.ok_button.setObjectName("importOk")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self._update_mode_widgets()
        self._set_blocked("Reading the file…", error=False)

    # ------------------------------------------------------------------ reading
    def _reload(self) -> None:
        self.file_label.setText(self.path)
        self.file_label.setToolTip(self.path)
        self.setWindowTitle(f"Import CSV — {os.path.basename(self.path)}")
        self.loader.forget_builds()
        with QSignalBlocker(self.skip_check):
            self.skip_check.setChecked(self._user_skip)
        self.loader.load(self.path, self._user_delimiter, self._user_encoding, self._user_header,
                         self._user_skip)

    def loader_cancel(self) -> None:
        self.loader.cancel()

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import CSV", os.path.dirname(self.path),
                                              "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.path = os.path.abspath(path)
            self._user_delimiter = self._user_encoding = self._user_header = None
            self._user_skip = False
            self._user_roles.clear()
            self._user_types.clear()
            self._reload()

    def _on_delimiter_chosen(self) -> None:
        self._user_delimiter = self.delimiter_combo.currentData()
        self._user_roles.clear()                # the columns may be different ones now
        self._user_types.clear()
        self._reload()

    def _on_encoding_chosen(self) -> None:
        """Only the encoding is the person's choice: the delimiter is still detected."""
        self._user_encoding = self.encoding_combo.currentData()
        self._user_roles.clear()
        self._user_types.clear()
        self._reload()

    def _on_skip_clicked(self, checked: bool) -> None:
        """Same columns either way: the roles the person chose stay."""
        self._user_skip = bool(checked)
        self._reload()

    def _on_header_clicked(self, checked: bool) -> None:
        self._user_header = bool(checked)
        self._user_roles.clear()
        self._user_types.clear()
        self._reload()

    def _on_loader_load_started(self, path: str) -> None:
        self.loaded = None
        self.dataset = None
        self.progress.setValue(0)
        self.progress_row.setVisible(True)
        self.cancel_load_button.setEnabled(True)
        self.columns_table.setRowCount(0)
        self._role_boxes.clear()
        self._type_boxes.clear()
        self._category_profiles.clear()
        self._few_values.clear()
        self._cols.clear()
        self.mode_box.setEnabled(False)
        self.train_box.setEnabled(False)
        self.summary_label.setText("")
        self._fill_preview([], [])              # never the previous file's rows under a new error
        self.skip_check.setVisible(self._user_skip)
        self._reset_auto_task()
        try:
            size = os.path.getsize(path)
            self.file_info.setText(_size_text(size))
        except OSError:
            self.file_info.setText("")
        self._set_blocked("Reading the file…", error=False)

    def _on_loader_preview_ready(self, preview: dict) -> None:
        with QSignalBlocker(self.delimiter_combo), QSignalBlocker(self.encoding_combo):
            _select_data(self.delimiter_combo, self._user_delimiter or preview["delimiter"])
            _select_data(self.encoding_combo, self._user_encoding or preview["encoding"])
        self._header_used = bool(preview.get("has_header", True))
        with QSignalBlocker(self.header_check):
            self.header_check.setChecked(self._header_used)
        self._fill_preview(preview["header"], preview["rows"])
        if self.loaded is None and preview["header"]:
            self._fill_columns(_guess_columns(preview), len(preview["rows"]), guessed=True)
            self._apply_spec(self._initial_spec)
            self._apply_types()
            self._apply_user_roles()

    def _fill_preview(self, header: list[str], rows: list[list[str]]) -> None:
        t = self.preview_table
        t.clear()
        n_cols = max([len(header)] + [len(r) for r in rows]) if (header or rows) else 0
        t.setColumnCount(n_cols)
        t.setRowCount(len(rows))
        t.setHorizontalHeaderLabels(header + [f"(extra {i + 1})" for i in range(n_cols - len(header))])
        missing = set(NA_VALUES)
        grey = QColor("#9ca3af")
        ragged = QColor("#fee2e2")
        for i, r in enumerate(rows):
            if header and len(r) != len(header):
                for j in range(n_cols):
                    item = QTableWidgetItem("" if j >= len(r) else r[j].strip())
                    item.setBackground(ragged)
                    item.setToolTip(f"this row has {len(r)} fields; the header has {len(header)}"
                                    + ("; skipped" if self._user_skip else ""))
                    t.setItem(i, j, item)
                continue
            for j, cell in enumerate(r):
                shown = cell.strip()
                item = QTableWidgetItem("?" if shown in missing else shown)
                if shown in missing:
                    item.setForeground(grey)
                    item.setToolTip("missing value")
                t.setItem(i, j, item)
        self.preview_title.setText(f"First {plural(len(rows), 'row')}" if rows else "First rows")
        t.resizeColumnsToContents()
        for j in range(n_cols):
            t.setColumnWidth(j, min(t.columnWidth(j), 220))

    def _mark_preview_placeholders(self, table) -> None:
        """Cells of the preview that the whole read took as missing placeholders ("?" in
        a number column) look like the other missing cells: grey, with a tooltip."""
        t = self.preview_table
        headers = [t.horizontalHeaderItem(j).text() if t.horizontalHeaderItem(j) else "" for j in range(t.columnCount())]
        grey = QColor("#9ca3af")
        for j, name in enumerate(headers):
            try:
                col = table.column(name)
            except DataError:
                continue
            if not col.placeholders:
                continue
            for i in range(t.rowCount()):
                item = t.item(i, j)
                if item is not None and item.text() in col.placeholders:
                    item.setForeground(grey)
                    item.setToolTip(f"read as missing: {name} holds numbers, and {item.text()!r} stands "
                                    "for a missing one")

    def _reset_auto_task(self) -> None:
        """"Auto" again: the "(regression)" / "(classification)" it showed was for a
        dataset that is no longer there."""
        with QSignalBlocker(self.task_combo):
            self.task_combo.setItemText(0, "Auto")

    def _on_loader_progress_changed(self, fraction: float) -> None:
        self.progress.setValue(int(round(fraction * 100)))

    def _on_loader_load_failed(self, message: str) -> None:
        self.progress_row.setVisible(False)
        if "not UTF-8" in message and self._user_encoding in (None, "utf-8", "utf-8-sig"):
            message += " — or choose the file's encoding (e.g. Latin-1) under Encoding above"
        if "no header row" in message:
            message += " — uncheck “First row holds the column names” above"
        if isinstance(self.loader.last_error, RaggedRowsError):
            self.skip_check.setVisible(True)
            message += (" — or check “Skip rows with the wrong number of fields” above to read the file "
                        "without them (they are counted under Dropped)")
        self._mark_unread()
        self._set_blocked(message)

    def _mark_unread(self) -> None:
        """Columns guessed from the first rows stay listed, but say they were never read."""
        if self.loaded is not None:
            return
        for i in range(self.columns_table.rowCount()):
            item = self.columns_table.item(i, _C_VALUES)
            if item is not None:
                item.setText("not read")
                item.setToolTip("the file could not be read to the end; see the message below")

    def _on_loader_load_cancelled(self) -> None:
        self.progress_row.setVisible(False)
        self._mark_unread()
        self._set_blocked("Loading was cancelled; press Reload to read the file again", error=False)

    def _on_loader_table_read(self, table) -> None:
        """The whole file is parsed: exact types and missing counts; build at once
        (the charts follow in ``table_loaded``)."""
        self.progress_row.setVisible(False)
        self.loaded = LoadedTable(table, [], 0.0)
        self._size_text = self.file_info.text()
        self.file_info.setText(f"{table.n_rows:,} rows × {len(table.columns)} columns · {self._size_text}")
        self._fill_columns(table.columns, table.n_rows)
        self._apply_spec(self._initial_spec)
        self._apply_types()
        self._apply_user_roles()
        self.skip_check.setVisible(self._user_skip or len(table.bad_rows) > 0)
        self._mark_preview_placeholders(table)
        self.mode_box.setEnabled(True)
        self.train_box.setEnabled(True)
        self._set_blocked("Building the dataset…", error=False)
        self._start_build()             # the first build needs no debounce

    def _on_loader_table_loaded(self, loaded: LoadedTable) -> None:
        if self.loaded is None or self.loaded.table is not loaded.table:
            self._on_loader_table_read(loaded.table)
        self.loaded = loaded
        t = loaded.table
        self.file_info.setText(f"{t.n_rows:,} rows × {len(t.columns)} columns · "
                               f"{self._size_text} · read in {loaded.seconds:.2f} s")
        for p in loaded.profiles:
            self._cols[p.name] = p
            if p.kind == "number" and 2 <= p.n_unique <= CATEGORY_HINT_VALUES:
                labels = _whole_values(t, p.name)
                if labels:
                    self._few_values[p.name] = labels
        for i in range(self.columns_table.rowCount()):
            self._show_chart(i)
        for name in self._type_boxes:
            self._style_type_box(name)              # with the few-values hint
        self._refresh_role_look()
        if self.dataset is not None and (getattr(self.dataset, "date_features", None) or self._few_values):
            self.summary_label.setText(self._summary_html(self.dataset))    # dates' span, hints

    # ------------------------------------------------------------------ columns
    def _fill_columns(self, cols, n_rows: int, guessed: bool = False) -> None:
        """One row per column: name, type, role, missing, chart, values.

        ``guessed``: types and missing counts come from the preview rows (the
        file is still being read); they are shown in italics and replaced when
        the table arrives."""
        t = self.columns_table
        t.setRowCount(len(cols))
        self._role_boxes.clear()
        self._type_boxes.clear()
        self._cols = {c.name: c for c in cols}
        self._rows = {c.name: i for i, c in enumerate(cols)}
        self._n_rows_known = n_rows
        grey = QColor("#9ca3af")
        for i, p in enumerate(cols):
            name = QTableWidgetItem(p.name)
            name.setToolTip(p.name)
            t.setItem(i, _C_NAME, name)
            kind = QTableWidgetItem(p.kind if p.kind in ("number", "date") else "text")
            kind.setForeground(kind_color(p.kind))
            if p.kind == "date" and not guessed:
                fmt = getattr(p, "date_format", None)
                kind.setToolTip("dates" + (f" written as {_readable_format(fmt)}" if fmt else "")
                                + "; as a feature one number: the decimal year (1970-01-01 → 1970.0, "
                                  "mid-year → .5); never the target; in series mode, the time axis")
            share = 100 * p.missing / max(1, n_rows)
            if guessed:
                f = kind.font()
                f.setItalic(True)
                kind.setFont(f)
                kind.setToolTip(f"guessed from the first {n_rows} rows; checked when the whole file is read")
                miss = QTableWidgetItem(f"{p.missing} of {n_rows}" if p.missing else "–")
            else:
                miss = QTableWidgetItem((f"{p.missing:,} ({share:.0f} %)" if share >= 1 else f"{p.missing:,}")
                                        if p.missing else "–")
            t.setItem(i, _C_TYPE, kind)
            if p.kind == "number":
                self._add_type_box(i, p.name, guessed)
            else:
                t.removeCellWidget(i, _C_TYPE)      # a guessed number that turned out text
            miss.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if p.missing:
                miss.setForeground(QColor("#b45309"))
                bad = getattr(p, "not_dates", 0)
                written = getattr(p, "placeholders", None) or {}
                skipped = len(self.loaded.table.bad_rows) if self.loaded is not None and not guessed else 0
                miss.setToolTip(f"{p.missing:,} of {n_rows:,} cells are missing ({share:.1f} %)"
                                + (f", {bad:,} of them text that is not a date" if bad else "")
                                + "".join(f", {n:,} written as {tok!r}" for tok, n in written.items())
                                + (f", {skipped:,} in rows skipped for their number of fields" if skipped else "")
                                + "; rows missing a used value are dropped"
                                + (" (in the first rows; the whole file is still being read)" if guessed else ""))
            t.setItem(i, _C_MISSING, miss)
            chart = QTableWidgetItem()
            t.setItem(i, _C_CHART, chart)
            values = QTableWidgetItem("reading…" if guessed else "computing charts…")
            values.setForeground(grey)
            t.setItem(i, _C_VALUES, values)
            box = QComboBox(objectName=f"role:{p.name}")
            box.setAccessibleName(f"Role of {p.name}")
            for r in (DATE_ROLES if p.kind == "date" else ROLES):
                box.addItem(r, r)
            box.activated.connect(lambda _=0, col=p.name: self._on_role_changed(col))
            t.setCellWidget(i, _C_ROLE, box)
            self._role_boxes[p.name] = box
        names = [p.name for p in cols]
        numbers = [p.name for p in cols if p.kind == "number"]
        with QSignalBlocker(self.series_combo), QSignalBlocker(self.time_combo):
            self.series_combo.clear()
            for n in numbers:
                self.series_combo.addItem(n, n)
            self.time_combo.clear()
            self.time_combo.addItem("(row number)", None)
            for n in names:
                self.time_combo.addItem(n, n)

    def _apply_user_roles(self) -> None:
        """Roles the person chose while the file was read win over the defaults."""
        if not self._user_roles or self.mode_series.isChecked():
            return
        for name, role in self._user_roles.items():
            if name in self._role_boxes:
                if role == "target":
                    for other, box in self._role_boxes.items():
                        if other != name and box.currentData() == "target":
                            self._set_role_quiet(other, self._default_role(other))
                    self._target_is_default = False
                self._set_role_quiet(name, role)
        self._refresh_role_look()

    def _profile(self, name: str):
        return self._cols[name]

    def role_of(self, name: str) -> str:
        return self._role_boxes[name].currentData()

    def set_role(self, name: str, role: str) -> None:
        """Programmatic twin of choosing ``role`` in the column's combo."""
        _select_data(self._role_boxes[name], role)
        self._on_role_changed(name)

    def _set_role_quiet(self, name: str, role: str) -> None:
        box = self._role_boxes[name]
        with QSignalBlocker(box):
            if box.findData(role) < 0:
                box.addItem(role, role)
            _select_data(box, role)

    def _on_role_changed(self, name: str) -> None:
        if self.role_of(name) == "time":          # series mode: a date column as the x-axis
            with QSignalBlocker(self.time_combo):
                _select_data(self.time_combo, name)
            self._on_time_changed()
            return
        self._user_roles[name] = self.role_of(name)
        if self.role_of(name) == "target":
            self._target_is_default = False   # only one target: the previous one becomes a feature
            for other, box in self._role_boxes.items():
                if other != name and box.currentData() == "target":
                    self._set_role_quiet(other, "feature" if self._default_role(other) == "feature"
                                         else "ignore")
        self._refresh_role_look()
        self._schedule_build()

    def _default_role(self, name: str) -> str:
        p = self._profile(name)
        if p.missing == self._n_rows_known:
            return "ignore"
        if p.kind == "text" and p.n_unique > AUTO_IGNORE_TEXT_VALUES:
            return "ignore"
        return "feature"

    def _refresh_role_look(self) -> None:
        """Bold name for the target; series/time rows locked in series mode."""
        series = self.mode_series.isChecked()
        s_name = self.series_combo.currentData() if series else None
        t_name = self.time_combo.currentData() if series else None
        for i in range(self.columns_table.rowCount()):
            item = self.columns_table.item(i, _C_NAME)
            name = item.text()
            box = self._role_boxes[name]
            locked = name in (s_name, t_name)
            if locked:
                self._set_role_quiet(name, "series" if name == s_name else "time")
            else:
                offer_time = series and self._profile(name).kind == "date"
                for extra in ("series", "time"):
                    k = box.findData(extra)
                    if k >= 0:
                        if box.currentIndex() == k:
                            with QSignalBlocker(box):
                                box.setCurrentIndex(box.findData("ignore"))
                        if not (extra == "time" and offer_time):
                            box.removeItem(k)
                if offer_time and box.findData("time") < 0:
                    box.addItem("time", "time")
            box.setEnabled(not locked)
            f = item.font()
            f.setBold(box.currentData() in ("target", "series"))
            item.setFont(f)
            chart = self.columns_table.item(i, _C_CHART)
            if chart is not None:
                chart.setData(SPARK_ROLE, bool(series and self._profile(name).kind == "number"))
            if series and name != s_name and box.currentData() == "feature":
                box.setToolTip("feature: its previous K values are inputs too")
            elif self._profile(name).kind == "date":
                box.setToolTip("feature: one input, the decimal year (1970-01-01 → 1970.0) · "
                               "ignore: not used" + (" · time: the plots' x-axis" if series else "")
                               + "\na date cannot be the target")
            elif self.type_of(name) == "category":
                box.setToolTip("feature: one input per value (one-hot) · target: one class per value · "
                               "ignore: not used")
            else:
                box.setToolTip("feature: an input · target: what to predict · ignore: not used")

    # ------------------------------------------------------------------ types
    def _add_type_box(self, row: int, name: str, guessed: bool) -> None:
        """A number column's type cell: a small combo, "number" or "category"."""
        box = QComboBox(objectName=f"type:{name}")
        box.setAccessibleName(f"Type of {name}")
        for ty in NUMBER_TYPES:
            box.addItem(ty, ty)
        if guessed:
            f = box.font()
            f.setItalic(True)
            box.setFont(f)
        box.activated.connect(lambda _=0, col=name: self._on_type_changed(col))
        self.columns_table.setCellWidget(row, _C_TYPE, box)
        self._type_boxes[name] = box
        self._style_type_box(name)

    def type_of(self, name: str) -> str:
        """"number", "category", "text" or "date"."""
        box = self._type_boxes.get(name)
        return box.currentData() if box is not None else self._profile(name).kind

    def set_type(self, name: str, ty: str) -> None:
        """Programmatic twin of choosing ``ty`` in a number column's type combo."""
        _select_data(self._type_boxes[name], ty)
        self._on_type_changed(name)

    def _on_type_changed(self, name: str) -> None:
        self._user_types[name] = self.type_of(name)
        self._style_type_box(name)
        self._show_chart(self._row_of(name))
        self._refresh_role_look()
        self._schedule_build()

    def _apply_types(self) -> None:
        """Types from the settings being edited, then the person's own choices."""
        spec = self._initial_spec
        marked = set(spec.categorical) if spec is not None else set()
        for name, box in self._type_boxes.items():
            with QSignalBlocker(box):
                _select_data(box, self._user_types.get(name, "category" if name in marked else "number"))
            self._style_type_box(name)
            self._show_chart(self._row_of(name))

    def _style_type_box(self, name: str) -> None:
        box = self._type_boxes[name]
        ty = box.currentData()
        pal = box.palette()                 # the palette, not a style sheet: the combo keeps its look
        for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text):
            pal.setColor(role, kind_color(ty))
        box.setPalette(pal)
        item = self.columns_table.item(self._row_of(name), _C_TYPE)
        if item is not None:
            item.setText(ty)
        if box.font().italic():
            box.setToolTip(f"guessed from the first {self._n_rows_known} rows; checked when the whole "
                           "file is read")
            return
        tip = ("number: one input, the value itself\n"
               "category: one input per value (one-hot), as for text; as the target, one class per value")
        few = self._few_values.get(name)
        if few and ty == "number":
            tip += (f"\n\n{name} holds {len(few)} whole values ({', '.join(few)}): if they are codes "
                    "or groups rather than amounts, choose “category”")
        box.setToolTip(tip)

    def _row_of(self, name: str) -> int:
        return self._rows.get(name, -1)

    def _show_chart(self, row: int) -> None:
        """The row's chart and values cell for its type: a histogram of a number
        column, bars per value of a category column."""
        t = self.columns_table
        if row < 0 or self.loaded is None or t.item(row, _C_CHART) is None:
            return                      # still reading: the cells say so
        name = t.item(row, _C_NAME).text()
        p = self._cols[name]
        if self.type_of(name) == "category":
            p = self._category_profile(name)
        chart, values = t.item(row, _C_CHART), t.item(row, _C_VALUES)
        if not isinstance(p, ColumnProfile):                # charts not computed yet
            chart.setData(PROFILE_ROLE, None)
            chart.setToolTip("")
            values.setText("computing charts…")
            values.setForeground(QColor("#9ca3af"))
            values.setToolTip("")
            return
        chart.setData(PROFILE_ROLE, p)
        chart.setToolTip(_chart_tooltip(p))
        values.setText(_describe_category(p) if p.kind == "category" else p.describe())
        values.setForeground(self.palette().text())
        values.setToolTip(_chart_tooltip(p))

    def _category_profile(self, name: str) -> ColumnProfile:
        """Counts of a number column's values, as the chart of a category column:
        the ``TOP_CATEGORIES`` most frequent, in numeric order (cached per load)."""
        p = self._category_profiles.get(name)
        if p is None:
            a = self.loaded.table.frame[name].to_numpy()
            values, counts = np.unique(a[np.isfinite(a)], return_counts=True)
            n = len(values)
            if n > TOP_CATEGORIES:
                keep = np.sort(np.argsort(-counts, kind="stable")[:TOP_CATEGORIES])
                values, counts = values[keep], counts[keep]
            p = ColumnProfile(name, "category", self.loaded.table.column(name).missing, n,
                              counts.astype(np.int64), [category_label(v) for v in values])
            self._category_profiles[name] = p
        return p

    def _category_hint(self, ds) -> str:
        """A grey line naming feature columns of few whole numbers still used as numbers."""
        if ds.spec.series:
            return ""
        few = [n for n in self._few_values if n in self._role_boxes and self.role_of(n) == "feature"
               and self.type_of(n) == "number"]
        if not few:
            return ""
        named = [f"{_esc(n)} ({', '.join(self._few_values[n])})" for n in few]
        if len(few) == 1:
            said = f"{named[0]} holds few whole values: if they are codes or groups, set its type"
        else:
            said = (f"{', '.join(named[:-1])} and {named[-1]} hold few whole values: if they are codes "
                    "or groups, set their type")
        return f"<span style='color:#6b7280'>{said} to “category” (one input per value)</span>"

    # ------------------------------------------------------------------ settings ↔ spec
    def _apply_spec(self, spec: DataSpec | None) -> None:
        """Set every control from ``spec`` (Edit import…) or from defaults."""
        names = list(self._cols)
        if not names:
            return
        known = spec is not None and spec.target in names and all(
            c in names for c in [spec.series, spec.time_column, *(spec.features or [])] if c)
        for n in names:
            self._set_role_quiet(n, self._default_role(n))
        if not known:
            spec = None
        if spec is None:
            target = self.default_target()
            self._target_is_default = len(names) > 1
            self._set_role_quiet(target, "target")  # a single column too: nothing is left to be a feature
            with QSignalBlocker(self.mode_columns), QSignalBlocker(self.mode_series):
                self.mode_columns.setChecked(True)
            self._refresh_role_look()
            self._update_mode_widgets()
            return
        with QSignalBlocker(self.mode_columns), QSignalBlocker(self.mode_series):
            (self.mode_series if spec.series else self.mode_columns).setChecked(True)
        if spec.series:
            for n in names:
                self._set_role_quiet(n, "ignore")
            for f in spec.features or []:
                self._set_role_quiet(f, "feature")
            if spec.target != spec.series:
                self._set_role_quiet(spec.target, "target")
            with QSignalBlocker(self.series_combo), QSignalBlocker(self.time_combo), QSignalBlocker(self.lags_spin):
                _select_data(self.series_combo, spec.series)
                _select_data(self.time_combo, spec.time_column)
                self.lags_spin.setValue(spec.lags)
        else:
            if spec.features is not None:
                for n in names:
                    self._set_role_quiet(n, "feature" if n in spec.features else "ignore")
            self._set_role_quiet(spec.target, "target")
        with QSignalBlocker(self.task_combo), QSignalBlocker(self.split_random), \
                QSignalBlocker(self.split_chrono), QSignalBlocker(self.seed_spin), \
                QSignalBlocker(self.val_spin), QSignalBlocker(self.normalize_check):
            _select_data(self.task_combo, spec.task)
            (self.split_chrono if spec.split == "chronological" else self.split_random).setChecked(True)
            self.seed_spin.setValue(spec.seed)
            self.val_spin.setValue(round(spec.val_fraction * 100))
            self.normalize_check.setChecked(spec.normalize == "standard")
        self._refresh_role_look()
        self._update_mode_widgets()

    def default_target(self) -> str:
        """The last column, as in Orange (and UCI, Weka, scikit-learn's files) — unless
        it would not start as a feature (no values, or an id-like text column) or is
        a date: then the last column that would."""
        names = list(self._cols)
        usable = [n for n in names if self._default_role(n) == "feature"
                  and self._profile(n).kind != "date"]
        return usable[-1] if usable else names[-1]

    def current_spec(self) -> DataSpec:
        """The settings on screen as a DataSpec; DataError says what is missing."""
        if self.loaded is None:
            raise DataError("the file is not read yet")
        roles = {n: b.currentData() for n, b in self._role_boxes.items()}
        targets = [n for n, r in roles.items() if r == "target"]
        features = [n for n, r in roles.items() if r == "feature"]
        t = self.loaded.table
        common = dict(task=self.task_combo.currentData(),
                      delimiter=t.delimiter, header=self._header_used, skip_bad_lines=self._user_skip,
                      encoding=None if t.encoding.replace("_", "-").lower().startswith("utf-8") else t.encoding,
                      split="chronological" if self.split_chrono.isChecked() else "random",
                      val_fraction=self.val_spin.value() / 100.0, seed=self.seed_spin.value(),
                      normalize="standard" if self.normalize_check.isChecked() else "none",
                      categorical=[n for n, b in self._type_boxes.items() if b.currentData() == "category"])
        if self.mode_series.isChecked():
            series = self.series_combo.currentData()
            if series is None:
                raise DataError("series mode needs a number column; this file has none")
            return DataSpec(target=targets[0] if targets else series, features=features or None,
                            series=series, lags=self.lags_spin.value(),
                            time_column=self.time_combo.currentData(), **common)
        if len(roles) == 1:
            only = next(iter(roles))
            raise DataError(f"the file has a single column {only!r}: nothing is left to be a feature; "
                            "use series mode to predict it from its previous values")
        if not targets:
            raise DataError("choose a target: set one column's role to “target”")
        if not features:
            raise DataError("choose at least one feature: set a column's role to “feature”")
        return DataSpec(target=targets[0], features=features, **common)

    # ------------------------------------------------------------------ mode
    def _on_mode_toggled(self, series: bool) -> None:
        if self.loaded is not None and series:
            names = list(self._cols)
            targets = [n for n in names if self.role_of(n) == "target"]
            numbers = sorted((n for n, p in self._cols.items() if p.kind == "number"),
                             key=lambda n: self.type_of(n) == "category")   # categories last
            plain = [n for n in numbers if self.type_of(n) != "category"]    # lagged values are numbers
            pick = targets[0] if targets and targets[0] in plain else (numbers[0] if numbers else None)
            with QSignalBlocker(self.series_combo), QSignalBlocker(self.time_combo):
                if pick:
                    _select_data(self.series_combo, pick)
                dates = [n for n in names if self._cols[n].kind == "date"]
                hint = next((n for n in dates + names if n.strip().lower() in _TIME_HINTS),
                            dates[0] if dates else None)
                _select_data(self.time_combo, hint)
            for n in names:
                self._set_role_quiet(n, "ignore")
            with QSignalBlocker(self.split_chrono), QSignalBlocker(self.split_random):
                self.split_chrono.setChecked(True)
        elif self.loaded is not None:
            self._apply_spec(None)
        self._refresh_role_look()
        self._update_mode_widgets()
        self._schedule_build()

    def _update_mode_widgets(self) -> None:
        series = self.mode_series.isChecked()
        for w in (self.series_combo, self.time_combo, self.lags_spin):
            self._mode_form.setRowVisible(w, series)
        self.seed_spin.setEnabled(self.split_random.isChecked())

    def _on_series_changed(self) -> None:
        if self.series_combo.currentData() == self.time_combo.currentData():
            with QSignalBlocker(self.time_combo):
                _select_data(self.time_combo, None)
        self._refresh_role_look()
        self._schedule_build()

    def _on_time_changed(self) -> None:
        if self.time_combo.currentData() == self.series_combo.currentData():
            with QSignalBlocker(self.time_combo):
                _select_data(self.time_combo, None)
        self._refresh_role_look()
        self._schedule_build()

    def _on_split_toggled(self, _checked: bool) -> None:
        self._update_mode_widgets()
        self._schedule_build()

    # ------------------------------------------------------------------ building
    def _schedule_build(self, *_args) -> None:
        if self.loaded is None:
            return
        self.dataset = None
        self._set_blocked("Updating the summary…", error=False, keep_summary=True)
        self._debounce.start()

    def _start_build(self) -> None:
        try:
            spec = self.current_spec()
        except DataError as exc:
            self.loader.forget_builds()
            self._reset_auto_task()
            self.summary_label.setText(self._summary_header())
            self._set_blocked(str(exc))
            return
        self._pending_spec = spec
        self.loader.build(self.loaded.table, spec)

    def _on_loader_dataset_built(self, dataset) -> None:
        self.dataset = dataset
        self._built_spec = self._pending_spec
        self.summary_label.setText(self._summary_html(dataset))
        if dataset.spec.task == "auto":
            with QSignalBlocker(self.task_combo):
                self.task_combo.setItemText(0, f"Auto ({'regression' if dataset.task == 'regression' else 'classification'})")
        self._set_ready()

    def _on_loader_build_failed(self, message: str) -> None:
        self.dataset = None
        self._reset_auto_task()
        self.summary_label.setText(self._summary_header())
        self._set_blocked(message)

    def _summary_header(self) -> str:
        if self.loaded is None:
            return ""
        t = self.loaded.table
        return f"<b>Rows read:</b> {t.n_rows:,}<br>" + "".join(line + "<br>" for line in
                                                              self._reading_notes(t, skipped_rows=True))

    def _reading_notes(self, table, skipped_rows: bool) -> list[str]:
        """What reading did that a person should know: placeholders read as missing and,
        with ``skipped_rows`` (no dataset lists them under Dropped), rows skipped for
        their number of fields."""
        notes = []
        note = table.placeholder_note()
        if note:
            notes.append(f"<span style='color:#b45309'>{_esc(note)}</span>")
        if len(table.bad_lines) and skipped_rows:
            notes.append(f"<span style='color:#b45309'>wrong number of fields: "
                         f"{plural(len(table.bad_lines), 'row')} skipped ({_lines(table.bad_lines)})</span>")
        return notes

    def _summary_html(self, ds) -> str:
        s = ds.spec
        lines = [f"<b>Rows read:</b> {ds.n_rows_read:,}"]
        lines += self._reading_notes(self.loaded.table, skipped_rows=False) if self.loaded is not None else []
        n_dropped = sum(ds.dropped.values())
        unit = "example" if s.series else "row"
        if n_dropped:
            lines.append(f"<b>Dropped:</b> {plural(n_dropped, unit)}")
            for reason, n in ds.dropped.items():
                if reason.startswith("wrong number of fields") and ds.bad_lines:
                    where = f"rows at {_lines(ds.bad_lines)}" if s.series else _lines(ds.bad_lines)
                    lines.append(f"&nbsp;&nbsp;• wrong number of fields: {plural(n, unit)} ({where})")
                else:
                    lines.append(f"&nbsp;&nbsp;• {_esc(reason)}: {n:,}")
        else:
            lines.append("<b>Dropped:</b> none")
        if s.series:
            lines.append(f"<b>Windows:</b> {ds.n_rows_read - s.lags:,} of previous {s.lags} values "
                         f"<span style='color:#6b7280'>(the first {s.lags} rows only feed the first window)</span>")
        total = ds.n_train + ds.n_val
        split = "chronological" if s.split == "chronological" else f"random, seed {s.seed}"
        lines.append(f"<b>Examples N:</b> {total:,} = {ds.n_train:,} train + {ds.n_val:,} validation "
                     f"<span style='color:#6b7280'>({split})</span>")
        names = ds.feature_names
        shown = ", ".join(_esc(n) for n in names[:6]) + (f", … +{len(names) - 6}" if len(names) > 6 else "")
        lines.append(f"<b>Features F:</b> {ds.n_features} <span style='color:#6b7280'>({shown})</span>")
        if ds.onehot:
            lines.append("<span style='color:#6b7280'>one-hot encoded: "
                         + ", ".join(f"{_esc(k)} → {len(v)}" for k, v in ds.onehot.items()) + "</span>")
        hint = self._category_hint(ds)
        if hint:
            lines.append(hint)
        for name in getattr(ds, "date_features", []):
            span = _date_span(self._cols.get(name))
            lines.append(f"<span style='color:#6b7280'>{_esc(name)} as a number (decimal year)"
                         f"{': ' + _esc(span) if span else ''}</span>")
        task = {"regression": "regression", "binary": "classification, 2 classes",
                "multiclass": f"classification, {len(ds.classes)} classes"}[ds.task]
        lines.append(f"<b>Target:</b> {_esc(ds.target_name)} — {task}")
        if self._target_is_default and not s.series:
            kind = "text" if self._cols[ds.target_name].kind == "text" else "a number"  # never a date
            lines.append(f"<span style='color:#6b7280'>&nbsp;&nbsp;chosen as the last column (where data sets "
                         f"usually keep it; here {kind}). To predict another column, set its role to "
                         f"“target”.</span>")
        if ds.classes:
            import numpy as np
            tr = np.bincount(ds.y_train, minlength=len(ds.classes))
            va = np.bincount(ds.y_val, minlength=len(ds.classes))
            rows = "".join(f"<tr><td>{_esc(c)}</td><td align=right>{a + b:,}</td>"
                           f"<td align=right style='color:#6b7280'>{a:,} / {b:,}</td></tr>"
                           for c, a, b in list(zip(ds.classes, tr, va))[:20])
            more = f"<br>… {len(ds.classes) - 20} more classes" if len(ds.classes) > 20 else ""
            lines.append("<b>Classes</b> (count, train / validation):"
                         f"<table cellspacing=0 cellpadding=1 style='margin-left:12px'>{rows}</table>{more}")
        if s.normalize == "standard" and ds.task == "regression":
            sd = float(ds.y_std[0]) if len(ds.y_std) else 1.0
            norm = ("features and target standardized with training-row mean and std<br>"
                    "<span style='color:#6b7280'>&nbsp;&nbsp;the loss is measured on the standardized "
                    f"target (1 = {sd:.4g} {_esc(ds.target_name)}); R², MAE and the plots are in "
                    f"{_esc(ds.target_name)}</span>")
        elif s.normalize == "standard":
            norm = "features standardized with training-row mean and std"
        else:
            norm = "none (raw values)"
        lines.append("<b>Normalization:</b> " + norm)
        return "<br>".join(lines)

    # ------------------------------------------------------------------ OK state
    def _set_blocked(self, reason: str, error: bool = True, keep_summary: bool = False) -> None:
        self._reason = reason
        self.ok_button.setEnabled(False)
        self.ok_button.setToolTip(reason)
        self.message_label.setText(("⚠ " if error else "") + reason)
        self.message_label.setStyleSheet(_ERROR_STYLE if error else _INFO_STYLE)
        self.message_label.setVisible(True)
        if error:
            self.summary_updated.emit()

    def _set_ready(self) -> None:
        self._reason = ""
        self.ok_button.setEnabled(True)
        self.ok_button.setToolTip("Use this dataset: sets the Input width and the Output task (undoable)")
        ds = self.dataset
        self.message_label.setText(f"Ready: {plural(ds.n_train + ds.n_val, 'example')} × "
                                   f"{plural(ds.n_features, 'feature')}.")
        self.message_label.setStyleSheet("color: #166534; background: #f0fdf4; border: 1px solid #bbf7d0;"
                                         " border-radius: 4px; padding: 6px;")
        self.summary_updated.emit()

    def blocked_reason(self) -> str:
        """Why OK is disabled ('' when it is enabled)."""
        return self._reason

    def accept(self) -> None:
        if self.dataset is None or not self.ok_button.isEnabled():
            return
        self.result = (self.path, self._built_spec, self.dataset)
        super().accept()

    def done(self, r: int) -> None:
        self._debounce.stop()
        self.loader.shutdown()
        super().done(r)


def _guess_columns(preview: dict) -> list[Column]:
    """Columns typed from the preview rows alone: number when every non-missing
    cell reads as a number (a decimal comma counts in a ;-separated file)."""
    missing = set(NA_VALUES)
    comma = preview.get("delimiter") == ";"
    out = []
    for j, name in enumerate(preview["header"]):
        cells = [r[j].strip() if j < len(r) else "" for r in preview["rows"]]
        present = [c for c in cells if c not in missing]
        values = [c for c in present if not is_placeholder(c)]     # "?" in a column of numbers
        number = bool(values) and all(is_number(c.replace(",", ".") if comma else c) for c in values)
        if number:
            out.append(Column(name, "number", len(cells) - len(values), len(set(values))))
            continue
        kind = "date" if present and guess_date_format(present) else "text"
        out.append(Column(name, kind, len(cells) - len(present), len(set(present))))
    return out


def _lines(lines) -> str:
    """[3, 17] → "lines 3, 17"; at most 8 shown, then "…"."""
    lines = [int(v) for v in lines]
    shown = ", ".join(str(v) for v in lines[:8]) + (", …" if len(lines) > 8 else "")
    return f"line{'s' if len(lines) != 1 else ''} {shown}"


def _titled(title, widget: QWidget) -> QWidget:
    """``widget`` under a small bold caption (a str or a ready QLabel)."""
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(3)
    label = title if isinstance(title, QLabel) else QLabel(title)
    f = label.font()
    f.setBold(True)
    label.setFont(f)
    lay.addWidget(label)
    lay.addWidget(widget, 1)
    return box


def _select_data(box: QComboBox, value) -> None:
    i = box.findData(value)
    if i >= 0:
        box.setCurrentIndex(i)


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def _date_span(p) -> str:
    """"1970 … 1982" (whole years) or "2012/01/01 … 2015/12/31" once a date column's
    profile is computed; "" before."""
    if getattr(p, "kind", None) != "date" or not hasattr(p, "whole_years") or p.low != p.low:
        return ""
    return p.describe().rsplit(", ", 1)[0]


def _readable_format(fmt: str) -> str:
    """A strptime format as a person reads it: %Y-%m-%d → YYYY-MM-DD."""
    for code, shown in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"),
                        ("%M", "mm"), ("%S", "ss"), ("%f", "ffffff"), ("%b", "Mon"), ("%B", "Month"),
                        ("%z", "+zone"), ("%j", "day-of-year"), ("%p", "AM/PM"), ("%I", "hh")):
        fmt = fmt.replace(code, shown)
    return fmt


def _whole_values(table, name: str) -> list[str]:
    """A number column's distinct values as labels ("3", "4", …) when they are all whole
    numbers; [] otherwise. For columns already known to hold few values."""
    a = table.frame[name].to_numpy()
    a = a[np.isfinite(a)]
    if not len(a) or not np.array_equal(a, np.round(a)):
        return []
    return [category_label(v) for v in np.sort(pd.unique(a))]


def _describe_category(p) -> str:
    """"5 values: 3, 4, 5, 6, 8" (every value shown that fits in a short line)."""
    shown = ", ".join(p.labels[:8]) + ("…" if p.n_unique > min(8, len(p.labels)) else "")
    return f"{p.n_unique:,} value{'s' if p.n_unique != 1 else ''}: {shown}"


def _chart_tooltip(p) -> str:
    if p.kind == "category":
        counts = "\n".join(f"  {label}: {int(c):,}" for label, c in zip(p.labels, p.hist))
        which = ("values" if len(p.labels) == p.n_unique
                 else f"the {len(p.labels)} most frequent values, in numeric order")
        return (f"{p.name}: numbers read as categories, {p.n_unique:,} distinct values, {p.missing:,} missing\n"
                f"{which}:\n{counts}\nas a feature one input per value (one-hot)")
    if p.kind == "date":
        fmt = f" (written as {_readable_format(p.date_format)})" if getattr(p, "date_format", None) else ""
        return (f"{p.name}: dates{fmt}, {p.describe()}; {p.missing:,} missing\n"
                "histogram over the years; as a feature one number, the decimal year")
    if p.kind == "number":
        return f"{p.name}: {p.describe()}; {p.n_unique:,} distinct values, {p.missing:,} missing"
    top = "\n".join(f"  {label}: {int(c):,}" for label, c in zip(p.labels, p.hist))
    return f"{p.name}: {p.n_unique:,} distinct values, {p.missing:,} missing\nmost frequent:\n{top}"
