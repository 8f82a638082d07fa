"""The import view's columns table: one row per column with its name, type,
role, missing count, a small chart of its values and their range.

A number column's type can be switched to "category" (codes such as
Cylinders 3, 4, 5, 6, 8, one-hot encoded like text); whole-number columns
with few values get a hint. A date column is a feature or ignored, never the
target; in series mode it can be the time column. Before the file is read,
the types of the preview rows are shown in italics; they are typed by the
engine's rules (:func:`engine.table.type_rows`, as :func:`engine.table.read_csv`
types the file), so the full read does not change them.

:class:`ImportColumnsMixin` holds this part of :class:`~gui.data.import_dialog.ImportDialog`.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHeaderView, QTableWidget, QTableWidgetItem

from engine.data import Column, category_label
from engine.table import type_rows
from gui.data.loading import TOP_CATEGORIES, ColumnProfile, LoadedTable
from gui.data.column_chart import PROFILE_ROLE, SPARK_ROLE, ColumnChartDelegate, kind_color

__all__ = ["ImportColumnsMixin", "ROLES", "NUMBER_TYPES", "select_data"]

ROLES = ("feature", "target", "ignore")
NUMBER_TYPES = ("number", "category")     # a number column's type: as it is, or one-hot codes
CATEGORY_HINT_VALUES = 12                 # whole-number columns with at most this many values: a hint
DATE_ROLES = ("feature", "ignore")        # a date is never the target ("time" too in series mode)
AUTO_IGNORE_TEXT_VALUES = 50     # text columns with more distinct values start as "ignore"
_C_NAME, _C_TYPE, _C_ROLE, _C_MISSING, _C_CHART, _C_VALUES = range(6)


class ImportColumnsMixin:
    """The columns table of the import dialog: filling it, roles, types, charts.

    Mixed into :class:`~gui.data.import_dialog.ImportDialog`, whose state it
    shares: ``loaded``, ``_cols``, ``_rows``, ``_role_boxes``, ``_type_boxes``,
    ``_user_roles``, ``_user_types``, ``_few_values``, ``_category_profiles``,
    ``_n_rows_known``, ``_target_is_default``, ``_initial_spec``, the series-mode
    controls (``mode_series``, ``series_combo``, ``time_combo``) and
    ``_schedule_build`` / ``_on_time_changed``."""

    def _build_columns_table(self) -> QTableWidget:
        """``self.columns_table``, its headers, widths and chart delegate."""
        self.columns_table = QTableWidget(0, 6, objectName="columnsTable")
        self.columns_table.setHorizontalHeaderLabels(["Column", "Type", "Role", "Missing", "Distribution",
                                                      "Range / values"])
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
        self.columns_table.setWordWrap(False)
        self.columns_table.setTextElideMode(Qt.TextElideMode.ElideRight)
        return self.columns_table

    def _show_profiles(self, loaded: LoadedTable) -> None:
        """The charts of a read table: every row's chart and values, the few-values hints."""
        t = loaded.table
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

    def _mark_unread(self) -> None:
        """Columns guessed from the first rows stay listed, but say they were never read."""
        if self.loaded is not None:
            return
        for i in range(self.columns_table.rowCount()):
            item = self.columns_table.item(i, _C_VALUES)
            if item is not None:
                item.setText("not read")
                item.setToolTip("the file could not be read to the end; see the message below")

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
        select_data(self._role_boxes[name], role)
        self._on_role_changed(name)

    def _set_role_quiet(self, name: str, role: str) -> None:
        box = self._role_boxes[name]
        with QSignalBlocker(box):
            if box.findData(role) < 0:
                box.addItem(role, role)
            select_data(box, role)

    def _on_role_changed(self, name: str) -> None:
        if self.role_of(name) == "time":          # series mode: a date column as the x-axis
            with QSignalBlocker(self.time_combo):
                select_data(self.time_combo, name)
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
                select_data(box, self._user_types.get(name, "category" if name in marked else "number"))
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

    def _few_value_features(self) -> dict[str, list[str]]:
        """Feature columns of few whole numbers still used as numbers → their values."""
        return {n: v for n, v in self._few_values.items() if n in self._role_boxes
                and self.role_of(n) == "feature" and self.type_of(n) == "number"}


def _guess_columns(preview: dict) -> list[Column]:
    """Columns typed from the preview rows alone, by the engine's rules (so the types
    shown while the file is read are the ones it will have)."""
    return type_rows(preview["header"], preview["rows"], preview.get("delimiter", ","))


def select_data(box: QComboBox, value) -> None:
    """Select the item whose data is ``value`` (none there: the selection stays)."""
    i = box.findData(value)
    if i >= 0:
        box.setCurrentIndex(i)


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


# -- the default target -----------------------------------------------------------------------
TARGET_NAMES = ("target", "label", "class", "y", "species", "outcome", "response", "diagnosis",
                "survived", "choice", "churn", "default")
_TIME_OR_ID = re.compile(r"^(id|idx|index|key|row|rownames|no|nr|number|individual|case|obs|subject|"
                         r"year|yr|month|day|date|time|timestamp|datetime|week|hour)$|(^|_)id$")


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", name.strip().lower().replace(" ", "_").replace("-", "_"))


def pick_target(names: list[str], usable: list[str]) -> tuple[str, str]:
    """The column to predict by default and why: one whose name says it is the target
    (``TARGET_NAMES``: class, label, target, y, species, …), else the last usable column that is
    not time- or ID-like (year, date, id, …), else the last usable one. ``usable``: the columns
    that would start as features (not empty, not an id-like text, not a date), in file order."""
    if not names:
        return "", ""
    for wanted in TARGET_NAMES:
        for n in usable:
            if _plain(n) == wanted:
                return n, "its name says it is the target"
    plain = [n for n in usable if not _TIME_OR_ID.search(_plain(n))]
    if plain:
        skipped = usable[usable.index(plain[-1]) + 1:]
        why = "it is the last column (where data sets usually keep it)"
        if skipped:
            why = (f"it is the last column that is not a time or an ID ({', '.join(skipped)} "
                   f"{'looks' if len(skipped) == 1 else 'look'} like one)")
        return plain[-1], why
    last = "it is the last column (where data sets usually keep it)"
    return (usable[-1], last) if usable else (names[-1], last)
