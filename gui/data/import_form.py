"""The import view's widgets and their layout, made once by :func:`setup_ui`.

As a Qt Designer form's ``setupUi(dialog)`` does, :func:`setup_ui` creates the
widgets of :class:`gui.data.import_dialog.ImportDialog` as attributes of the
dialog (``file_label``, ``delimiter_combo``, ``mode_series``, ``lags_spin``,
``split_chrono``, ``summary_label``, ``ok_button``, …), lays them out and
connects them to the dialog's slots. The dialog holds the behaviour.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGridLayout,
    QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QRadioButton, QSizePolicy, QSpinBox,
    QSplitter, QVBoxLayout, QWidget,
)

from gui.data.import_preview import PreviewTable

__all__ = ["setup_ui", "DELIMITERS", "ENCODINGS", "TASKS"]

DELIMITERS = [("Comma  ,", ","), ("Semicolon  ;", ";"), ("Tab", "\t")]
ENCODINGS = [("UTF-8", "utf-8"), ("UTF-8 with BOM", "utf-8-sig"), ("UTF-16", "utf-16"),
             ("Latin-1 (ISO-8859-1)", "latin-1"), ("Windows-1252", "cp1252")]
TASKS = [("Auto", "auto"), ("Regression", "regression"), ("Classification", "classification")]


def setup_ui(dlg) -> None:
    """Create, lay out and connect the import view's widgets on ``dlg`` (an ImportDialog)."""
    outer = QVBoxLayout(dlg)
    outer.setContentsMargins(10, 10, 10, 10)

    # file and reading options
    top = QGridLayout()
    dlg.file_label = QLabel(objectName="importFile")
    dlg.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    f = dlg.file_label.font()
    f.setBold(True)
    dlg.file_label.setFont(f)
    dlg.browse_button = QPushButton("Browse…", objectName="browseButton")
    dlg.browse_button.clicked.connect(dlg._on_browse_clicked)
    dlg.reload_button = QPushButton("Reload", objectName="reloadButton")
    dlg.reload_button.setToolTip("Read the file again (after it changed on disk, or after a cancel)")
    dlg.reload_button.clicked.connect(dlg._reload)
    dlg.delimiter_combo = QComboBox(objectName="delimiterCombo")
    for text, d in DELIMITERS:
        dlg.delimiter_combo.addItem(text, d)
    dlg.delimiter_combo.activated.connect(dlg._on_delimiter_chosen)
    dlg.encoding_combo = QComboBox(objectName="encodingCombo")
    for text, e in ENCODINGS:
        dlg.encoding_combo.addItem(text, e)
    dlg.encoding_combo.activated.connect(dlg._on_encoding_chosen)
    dlg.header_check = QCheckBox("First row holds the column names", objectName="headerCheck")
    dlg.header_check.setChecked(True)
    dlg.header_check.setToolTip("Checked: the first line names the columns. Unchecked: the first "
                                 "line is already data; columns are named “column 1”, “column 2”, …\n"
                                 "Detected when the file is opened (a first line of numbers only is data).")
    dlg.header_check.clicked.connect(dlg._on_header_clicked)
    dlg.skip_check = QCheckBox("Skip rows with the wrong number of fields", objectName="skipBadLinesCheck")
    dlg.skip_check.setToolTip("Read the file without the rows that have more or fewer fields than the "
                               "header; the summary lists them (count and line numbers) under Dropped")
    dlg.skip_check.setVisible(False)       # offered when a row has the wrong number of fields
    dlg.skip_check.clicked.connect(dlg._on_skip_clicked)
    dlg.file_info = QLabel(objectName="importFileInfo")
    dlg.file_info.setStyleSheet("color: #6b7280;")
    top.addWidget(QLabel("File:"), 0, 0)
    top.addWidget(dlg.file_label, 0, 1, 1, 5)
    top.addWidget(dlg.browse_button, 0, 6)
    top.addWidget(dlg.reload_button, 0, 7)
    top.addWidget(QLabel("Delimiter:"), 1, 0)
    top.addWidget(dlg.delimiter_combo, 1, 1)
    top.addWidget(QLabel("Encoding:"), 1, 2)
    top.addWidget(dlg.encoding_combo, 1, 3)
    top.addWidget(dlg.header_check, 1, 4)
    top.addWidget(dlg.file_info, 1, 5, 1, 3, Qt.AlignmentFlag.AlignRight)
    top.addWidget(dlg.skip_check, 2, 4, 1, 2)
    top.setColumnStretch(5, 1)
    outer.addLayout(top)

    # progress while reading
    row = QHBoxLayout()
    dlg.progress = QProgressBar(objectName="importProgress")
    dlg.progress.setRange(0, 100)
    dlg.progress.setFormat("Reading… %p%")
    dlg.cancel_load_button = QPushButton("Cancel loading", objectName="cancelLoadButton")
    dlg.cancel_load_button.clicked.connect(dlg.loader_cancel)
    row.addWidget(dlg.progress, 1)
    row.addWidget(dlg.cancel_load_button)
    dlg.progress_row = QWidget()
    dlg.progress_row.setLayout(row)
    row.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(dlg.progress_row)

    split = QSplitter(Qt.Orientation.Horizontal)
    outer.addWidget(split, 1)

    # left: columns + preview
    dlg._build_columns_table()
    dlg.preview_table = PreviewTable()
    left = QSplitter(Qt.Orientation.Vertical, objectName="importLeft")
    left.addWidget(_titled("Columns", dlg.columns_table))
    dlg.preview_title = QLabel("First rows")
    left.addWidget(_titled(dlg.preview_title, dlg.preview_table))
    left.setStretchFactor(0, 3)
    left.setStretchFactor(1, 2)
    left.setChildrenCollapsible(False)
    split.addWidget(left)

    # right: settings and summary
    right = QWidget()
    rl = QVBoxLayout(right)
    rl.setContentsMargins(6, 0, 0, 0)

    mode_box = dlg.mode_box = QGroupBox("Examples")
    ml = QFormLayout(mode_box)
    dlg.mode_columns = QRadioButton("One row → one example", objectName="modeColumns")
    dlg.mode_series = QRadioButton("Series: previous K values → next value", objectName="modeSeries")
    dlg.mode_columns.setChecked(True)
    dlg._mode_group = QButtonGroup(dlg)
    dlg._mode_group.addButton(dlg.mode_columns)
    dlg._mode_group.addButton(dlg.mode_series)
    dlg.mode_series.toggled.connect(dlg._on_mode_toggled)
    ml.addRow(dlg.mode_columns)
    ml.addRow(dlg.mode_series)
    dlg.series_combo = QComboBox(objectName="seriesCombo")
    dlg.series_combo.activated.connect(dlg._on_series_changed)
    dlg.time_combo = QComboBox(objectName="timeCombo")
    dlg.time_combo.activated.connect(dlg._on_time_changed)
    dlg.lags_spin = QSpinBox(objectName="lagsSpin", minimum=1, maximum=10_000, value=7)
    dlg.lags_spin.setToolTip("K: how many previous values of the series make one example")
    dlg.lags_spin.valueChanged.connect(dlg._schedule_build)
    dlg.period_spin = QSpinBox(objectName="periodSpin", minimum=0, maximum=10_000_000, value=0)
    dlg.period_spin.setSpecialValueText("auto")
    dlg.period_spin.setSuffix(" rows")
    dlg.period_spin.setToolTip("The seasonal naive baseline's period: next = the value this many rows before "
                               "(7 for a weekly pattern in daily rows, 365 for a yearly one). auto: detected "
                               "from the training rows. Kept in the project; smaller than the training examples")
    dlg.period_spin.valueChanged.connect(dlg._schedule_build)
    dlg.series_label, dlg.time_label, dlg.lags_label = QLabel("Series:"), QLabel("Time (x-axis):"), QLabel("Lags K:")
    ml.addRow(dlg.series_label, dlg.series_combo)
    ml.addRow(dlg.time_label, dlg.time_combo)
    ml.addRow(dlg.lags_label, dlg.lags_spin)
    ml.addRow("Seasonal period:", dlg.period_spin)
    dlg._mode_form = ml
    rl.addWidget(mode_box)

    train_box = dlg.train_box = QGroupBox("Task and split")
    tl = QFormLayout(train_box)
    dlg.task_combo = QComboBox(objectName="taskCombo")
    for text, t in TASKS:
        dlg.task_combo.addItem(text, t)
    dlg.task_combo.activated.connect(dlg._schedule_build)
    tl.addRow("Task:", dlg.task_combo)
    split_row = QHBoxLayout()
    dlg.split_random = QRadioButton("Random", objectName="splitRandom")
    dlg.split_chrono = QRadioButton("Chronological", objectName="splitChronological")
    dlg.split_random.setChecked(True)
    dlg.split_random.setToolTip("Validation rows drawn at random (stratified by class)")
    dlg.split_chrono.setToolTip("The last rows are the validation rows: no peeking into the future")
    g = QButtonGroup(dlg)
    g.addButton(dlg.split_random)
    g.addButton(dlg.split_chrono)
    dlg.split_random.toggled.connect(dlg._on_split_toggled)
    split_row.addWidget(dlg.split_random)
    split_row.addWidget(dlg.split_chrono)
    split_row.addStretch(1)
    tl.addRow("Split:", split_row)
    dlg.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1)
    dlg.seed_spin.valueChanged.connect(dlg._schedule_build)
    tl.addRow("Seed:", dlg.seed_spin)
    dlg.val_spin = QDoubleSpinBox(objectName="valFractionSpin", minimum=0.0, maximum=90.0,
                                   singleStep=5.0, decimals=0, value=20.0, suffix=" %")
    dlg.val_spin.setToolTip("Share of the examples held out to measure the loss on unseen data")
    dlg.val_spin.valueChanged.connect(dlg._schedule_build)
    tl.addRow("Validation:", dlg.val_spin)
    dlg.normalize_check = QCheckBox("Standardize (mean 0, std 1; fitted on training rows)",
                                     objectName="normalizeCheck")
    dlg.normalize_check.setChecked(True)
    dlg.normalize_check.toggled.connect(dlg._schedule_build)
    tl.addRow(dlg.normalize_check)
    rl.addWidget(train_box)

    sum_box = QGroupBox("Summary")
    sl = QVBoxLayout(sum_box)
    dlg.summary_label = QLabel(objectName="importSummary")
    dlg.summary_label.setTextFormat(Qt.TextFormat.RichText)
    dlg.summary_label.setWordWrap(True)
    dlg.summary_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    dlg.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    dlg.summary_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
    sl.addWidget(dlg.summary_label, 1)
    rl.addWidget(sum_box, 1)
    right.setMinimumWidth(330)
    right.setMaximumWidth(420)
    split.addWidget(right)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 2)

    dlg.message_label = QLabel(objectName="importMessage")
    dlg.message_label.setWordWrap(True)
    dlg.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    outer.addWidget(dlg.message_label)

    dlg.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                    | QDialogButtonBox.StandardButton.Cancel)
    dlg.ok_button = dlg.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dlg.ok_button.setText("Use this data")
    dlg.ok_button.setObjectName("importOk")
    dlg.buttons.accepted.connect(dlg.accept)
    dlg.buttons.rejected.connect(dlg.reject)
    outer.addWidget(dlg.buttons)
    dlg._update_mode_widgets()
    dlg._set_blocked("Reading the file…", error=False)


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
