"""The CSV import view: preview the file, give each column a role, see what the
dataset will be before saying OK.

Like Orange's File widget, every column is listed with its type (number /
text / date), missing count, a small chart of its values and a role (feature /
target / ignore). A number column's type can be switched to "category": codes
such as Cylinders (3, 4, 5, 6, 8) are then one-hot encoded like text (and as
the target mean classification); whole-number columns with few values get a hint. A date
column is a feature as one number, its decimal year (1970-01-01 → 1970.0), never the target; in
series mode it can be the time column (the plots' x-axis).
Series mode turns one number column into "previous K values → next value".
A column of numbers with placeholders for missing values ("?", "-", "n.a.") is
read as numbers; the summary says which cells were read as missing. A file
whose rows have the wrong number of fields names the first such line and offers
“Skip rows with the wrong number of fields”; the summary's Dropped section then
lists them with their line numbers.
Reading and building run in :class:`gui.data.loading.CsvLoader` threads; a change
of any setting rebuilds the summary after a short pause (debounced), and OK is
enabled only when the dataset shown in the summary was built from exactly the
settings on screen. When OK is disabled, the reason is written under the
summary and in OK's tooltip.

After ``accepted``, :attr:`result` is ``(path, DataSpec, Dataset)``.

Its parts: the widgets and their layout (:mod:`gui.data.import_form`), the
columns table (:mod:`gui.data.import_columns`), the preview of the first rows
(:mod:`gui.data.import_preview`) and the summary's text
(:mod:`gui.data.import_summary`).
"""
from __future__ import annotations

import os

from PySide6.QtCore import QSignalBlocker, QTimer, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from engine.data import DataError, DataSpec, RaggedRowsError, plural
from gui.data.loading import ColumnProfile, CsvLoader, LoadedTable
from gui.data.loading import guess_columns as _guess_columns  # noqa: F401 (its old name here)
from gui.data.import_columns import NUMBER_TYPES, ROLES, ImportColumnsMixin, pick_target, select_data
from gui.data.import_form import DELIMITERS, ENCODINGS, setup_ui
from gui.data.import_summary import summary_header, summary_html

__all__ = ["ImportDialog", "ROLES", "NUMBER_TYPES", "DELIMITERS", "ENCODINGS"]

DEBOUNCE_MS = 150
_TIME_HINTS = ("date", "time", "day", "timestamp", "datetime", "year", "month")
_ERROR_STYLE = "color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; border-radius: 4px; padding: 6px;"
_INFO_STYLE = "color: #374151; background: #f3f4f6; border: 1px solid #e5e7eb; border-radius: 4px; padding: 6px;"


class ImportDialog(ImportColumnsMixin, QDialog):
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
        self._cols: dict[str, object] = {}      # name -> Column / ColumnProfile / preview guess
        self._n_rows_known = 0                  # rows behind self._cols (preview rows until read)
        self._user_roles: dict[str, str] = {}   # roles the person chose (kept when the table arrives)
        self._user_types: dict[str, str] = {}   # types the person chose (kept when the table arrives)
        self._category_profiles: dict[str, ColumnProfile] = {}  # charts of columns shown as categories
        self._few_values: dict[str, list[str]] = {}     # whole-number columns with few values
        self._target_is_default = False
        self._target_why = ""
        self._user_delimiter = self._user_encoding = self._user_header = None
        self._user_skip = False                 # skip rows with the wrong number of fields
        self._header_used = True
        self._preview_rows = 0
        if self._initial_spec is not None:      # Edit import…: read the file as it was read
            self._user_delimiter = self._initial_spec.delimiter
            self._user_encoding = self._initial_spec.encoding
            self._user_header = self._initial_spec.header
            self._user_skip = self._initial_spec.skip_bad_lines

        setup_ui(self)                  # the widgets and their layout (gui.data.import_form)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._start_build)
        lo = self.loader
        lo.load_started.connect(self._on_loader_load_started)
        lo.preview_ready.connect(self._on_loader_preview_ready)
        lo.columns_guessed.connect(self._on_loader_columns_guessed)
        lo.progress_changed.connect(self._on_loader_progress_changed)
        lo.table_read.connect(self._on_loader_table_read)
        lo.table_loaded.connect(self._on_loader_table_loaded)
        lo.load_failed.connect(self._on_loader_load_failed)
        lo.load_cancelled.connect(self._on_loader_load_cancelled)
        lo.dataset_built.connect(self._on_loader_dataset_built)
        lo.build_failed.connect(self._on_loader_build_failed)
        self._reload()

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
        self._clear_columns()
        self._category_profiles.clear()
        self._few_values.clear()
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
            select_data(self.delimiter_combo, self._user_delimiter or preview["delimiter"])
            select_data(self.encoding_combo, self._user_encoding or preview["encoding"])
        self._header_used = bool(preview.get("has_header", True))
        with QSignalBlocker(self.header_check):
            self.header_check.setChecked(self._header_used)
        self._fill_preview(preview["header"], preview["rows"])
        self._preview_rows = len(preview["rows"])

    def _on_loader_columns_guessed(self, columns) -> None:
        """The columns typed from the first rows: listed (in italics) while the file is read."""
        if self.loaded is None:
            self._fill_columns(columns, self._preview_rows, guessed=True)
            self._apply_spec(self._initial_spec)
            self._apply_types()
            self._apply_user_roles()

    def _fill_preview(self, header: list[str], rows: list[list[str]]) -> None:
        self.preview_table.show_rows(header, rows, skipped=self._user_skip)
        self.preview_title.setText(f"First {plural(len(rows), 'row')}" if rows else "First rows")

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
        self.preview_table.mark_placeholders(table)
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
        self._show_profiles(loaded)
        self._refresh_role_look()
        if self.dataset is not None and (getattr(self.dataset, "date_features", None) or self._few_values):
            self.summary_label.setText(self._summary_html(self.dataset))    # dates' span, hints

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
            with QSignalBlocker(self.series_combo), QSignalBlocker(self.time_combo), QSignalBlocker(self.lags_spin), \
                    QSignalBlocker(self.period_spin):
                select_data(self.series_combo, spec.series)
                select_data(self.time_combo, spec.time_column)
                self.lags_spin.setValue(spec.lags)
                self.period_spin.setValue(spec.period or 0)      # 0: auto
        else:
            if spec.features is not None:
                for n in names:
                    self._set_role_quiet(n, "feature" if n in spec.features else "ignore")
            self._set_role_quiet(spec.target, "target")
        with QSignalBlocker(self.task_combo), QSignalBlocker(self.split_random), \
                QSignalBlocker(self.split_chrono), QSignalBlocker(self.seed_spin), \
                QSignalBlocker(self.val_spin), QSignalBlocker(self.normalize_check):
            select_data(self.task_combo, spec.task)
            (self.split_chrono if spec.split == "chronological" else self.split_random).setChecked(True)
            self.seed_spin.setValue(spec.seed)
            self.val_spin.setValue(round(spec.val_fraction * 100))
            self.normalize_check.setChecked(spec.normalize == "standard")
        self._refresh_role_look()
        self._update_mode_widgets()

    def default_target(self) -> str:
        """A column whose name says it is the target (class, label, species, …), else the last
        column, as in Orange (and UCI, Weka, scikit-learn's files), that would start as a feature
        (not empty, not an id-like text, not a date) and is not time- or ID-like (year, id):
        :func:`pick_target`. Why it was chosen is kept for the summary."""
        names = list(self._cols)
        usable = [n for n in names if self._default_role(n) == "feature"
                  and self._profile(n).kind != "date"]
        target, self._target_why = pick_target(names, usable)
        return target

    def current_spec(self) -> DataSpec:
        """The settings on screen as a DataSpec; DataError says what is missing."""
        if self.loaded is None:
            raise DataError("the file is not read yet")
        roles = self._roles
        targets = [n for n, r in roles.items() if r == "target"]
        features = [n for n, r in roles.items() if r == "feature"]
        t = self.loaded.table
        common = dict(task=self.task_combo.currentData(),
                      delimiter=t.delimiter, header=self._header_used, skip_bad_lines=self._user_skip,
                      encoding=None if t.encoding.replace("_", "-").lower().startswith("utf-8") else t.encoding,
                      split="chronological" if self.split_chrono.isChecked() else "random",
                      val_fraction=self.val_spin.value() / 100.0, seed=self.seed_spin.value(),
                      normalize="standard" if self.normalize_check.isChecked() else "none",
                      categorical=[n for n, ty in self._types.items() if ty == "category"])
        if self.mode_series.isChecked():
            series = self.series_combo.currentData()
            if series is None:
                raise DataError("series mode needs a number column; this file has none")
            return DataSpec(target=targets[0] if targets else series, features=features or None,
                            series=series, lags=self.lags_spin.value(), period=self.period_spin.value() or None,
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
                    select_data(self.series_combo, pick)
                dates = [n for n in names if self._cols[n].kind == "date"]
                hint = next((n for n in dates + names if n.strip().lower() in _TIME_HINTS),
                            dates[0] if dates else None)
                select_data(self.time_combo, hint)
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
        for w in (self.series_combo, self.time_combo, self.lags_spin, self.period_spin):
            self._mode_form.setRowVisible(w, series)
        self.seed_spin.setEnabled(self.split_random.isChecked())

    def _on_series_changed(self) -> None:
        if self.series_combo.currentData() == self.time_combo.currentData():
            with QSignalBlocker(self.time_combo):
                select_data(self.time_combo, None)
        self._refresh_role_look()
        self._schedule_build()

    def _on_time_changed(self) -> None:
        if self.time_combo.currentData() == self.series_combo.currentData():
            with QSignalBlocker(self.time_combo):
                select_data(self.time_combo, None)
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
                kind = "regression" if dataset.task == "regression" else "classification"
                self.task_combo.setItemText(0, f"Auto ({kind})")
        self._set_ready()

    def _on_loader_build_failed(self, message: str) -> None:
        self.dataset = None
        self._reset_auto_task()
        self.summary_label.setText(self._summary_header())
        self._set_blocked(message)

    def _summary_header(self) -> str:
        return summary_header(self.loaded.table) if self.loaded is not None else ""

    def _summary_html(self, ds) -> str:
        return summary_html(ds, self.loaded.table if self.loaded is not None else None, self._cols,
                            self._target_why if self._target_is_default else "", self._few_value_features())

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


def _size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""
