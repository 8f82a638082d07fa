"""The import view's columns table: one row per column with its name, type,
role, missing count, a small chart of its values and their range.

A number column's type can be switched to "category" (codes such as
Cylinders 3, 4, 5, 6, 8, one-hot encoded like text); whole-number columns
with few values get a hint. A date column is a feature or ignored, never the
target; in series mode it can be the time column. Before the file is read,
the types of the preview rows are shown in italics; they are typed by the
engine's rules (:func:`engine.table.type_rows`, as :func:`engine.table.read_csv`
types the file), so the full read does not change them.

The roles and types are two dicts of :class:`~gui.data.import_columns_model.ColumnsModel`
(``_roles``, ``_types``); the table (:class:`~gui.data.import_columns_view.ColumnsTableView`)
shows them, with combo boxes only for the rows in view, so a file of thousands
of columns never stalls the GUI thread. ``_role_boxes`` / ``_type_boxes`` open a
row's combo on demand (tests and scripts act on them as a person would).

:class:`ImportColumnsMixin` holds this part of :class:`~gui.data.import_dialog.ImportDialog`.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSignalBlocker, Qt
from PySide6.QtWidgets import QComboBox

from engine.data import category_label
from gui.data.import_columns_model import C_ROLE, C_TYPE, DATE_ROLES, NUMBER_TYPES, ROLES, ColumnsModel
from gui.data.import_columns_view import CellEditors, ColumnsTableView
from gui.data.loading import TOP_CATEGORIES, ColumnProfile, LoadedTable

__all__ = ["ImportColumnsMixin", "ROLES", "NUMBER_TYPES", "DATE_ROLES", "ChoicesModel", "select_data"]

CATEGORY_HINT_VALUES = 12                 # whole-number columns with at most this many values: a hint
AUTO_IGNORE_TEXT_VALUES = 50     # text columns with more distinct values start as "ignore"


class ImportColumnsMixin:
    """The columns table of the import dialog: filling it, roles, types, charts.

    Mixed into :class:`~gui.data.import_dialog.ImportDialog`, whose state it
    shares: ``loaded``, ``_cols``, ``_user_roles``, ``_user_types``, ``_few_values``,
    ``_category_profiles``, ``_n_rows_known``, ``_target_is_default``, ``_initial_spec``,
    the series-mode controls (``mode_series``, ``series_combo``, ``time_combo``) and
    ``_schedule_build`` / ``_on_time_changed``."""

    def _build_columns_table(self) -> ColumnsTableView:
        """``self.columns_table`` over ``self.columns_model``; the roles and types dicts."""
        m = self.columns_model = ColumnsModel(self)
        m.few_values = self._few_values
        m.category_profile = self._category_profile
        m.role_picked.connect(self._on_role_changed)
        m.type_picked.connect(self._on_type_changed)
        self.columns_table = ColumnsTableView(m)
        self._role_boxes = CellEditors(self.columns_table, C_ROLE)
        self._type_boxes = CellEditors(self.columns_table, C_TYPE)
        return self.columns_table

    @property
    def _roles(self) -> dict[str, str]:
        """Column name → its role ("feature", "target", "ignore"; "series", "time")."""
        return self.columns_model.roles

    @property
    def _types(self) -> dict[str, str]:
        """Number column name → its type ("number" or "category")."""
        return self.columns_model.types

    @property
    def _rows(self) -> dict[str, int]:
        """Column name → its row in the columns table."""
        return self.columns_model.rows

    def _clear_columns(self) -> None:
        self.columns_model.clear()
        self._cols = self.columns_model.cols

    def _show_profiles(self, loaded: LoadedTable) -> None:
        """The charts of a read table: every row's chart and values, the few-values hints."""
        t = loaded.table
        for p in loaded.profiles:
            self._cols[p.name] = p
            if p.kind == "number" and 2 <= p.n_unique <= CATEGORY_HINT_VALUES:
                labels = _whole_values(t, p.name)
                if labels:
                    self._few_values[p.name] = labels
        self.columns_model.refresh()

    def _mark_unread(self) -> None:
        """Columns guessed from the first rows stay listed, but say they were never read."""
        if self.loaded is not None:
            return
        self.columns_model.unread = True
        self.columns_model.refresh()

    def _fill_columns(self, cols, n_rows: int, guessed: bool = False) -> None:
        """One row per column: name, type, role, missing, chart, values.

        ``guessed``: types and missing counts come from the preview rows (the
        file is still being read); they are shown in italics and replaced when
        the table arrives."""
        m = self.columns_model
        skipped = len(self.loaded.table.bad_rows) if self.loaded is not None and not guessed else 0
        m.value_color = self.palette().text().color()
        m.reset(cols, n_rows, guessed=guessed, read=self.loaded is not None, skipped_rows=skipped)
        self._cols = m.cols
        self._n_rows_known = n_rows
        names = m.names
        numbers = [p.name for p in cols if p.kind == "number"]
        with QSignalBlocker(self.series_combo), QSignalBlocker(self.time_combo):
            _set_choices(self.series_combo, [(n, n) for n in numbers])
            _set_choices(self.time_combo, [("(row number)", None)] + [(n, n) for n in names])

    def _apply_user_roles(self) -> None:
        """Roles the person chose while the file was read win over the defaults."""
        if not self._user_roles or self.mode_series.isChecked():
            return
        roles = self._roles
        for name, role in self._user_roles.items():
            if name in roles:
                if role == "target":
                    for other, r in roles.items():
                        if other != name and r == "target":
                            self._set_role_quiet(other, self._default_role(other))
                    self._target_is_default = False
                self._set_role_quiet(name, role)
        self._refresh_role_look()

    def _profile(self, name: str):
        return self._cols[name]

    def role_of(self, name: str) -> str:
        return self._roles[name]

    def set_role(self, name: str, role: str) -> None:
        """Programmatic twin of choosing ``role`` in the column's combo."""
        if role in self.columns_model.role_options(name):
            self._roles[name] = role
        self._on_role_changed(name)

    def _set_role_quiet(self, name: str, role: str) -> None:
        """The role, without the reactions to a person's choice (callers refresh the look)."""
        self._roles[name] = role

    def _on_role_changed(self, name: str) -> None:
        if self.role_of(name) == "time":          # series mode: a date column as the x-axis
            with QSignalBlocker(self.time_combo):
                select_data(self.time_combo, name)
            self._on_time_changed()
            return
        self._user_roles[name] = self.role_of(name)
        if self.role_of(name) == "target":
            self._target_is_default = False   # only one target: the previous one becomes a feature
            for other, r in self._roles.items():
                if other != name and r == "target":
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
        """Series/time rows locked in series mode (a series or time role elsewhere becomes
        "ignore"); the table shows the roles (bold target, tooltips) as they are now."""
        m = self.columns_model
        series = self.mode_series.isChecked()
        s_name = self.series_combo.currentData() if series else None
        t_name = self.time_combo.currentData() if series else None
        m.series_mode = series
        m.locked = {n: r for n, r in ((s_name, "series"), (t_name, "time")) if n is not None and n in m.rows}
        roles = self._roles
        for name, role in roles.items():
            if role in ("series", "time") and name not in m.locked:
                roles[name] = "ignore"
        roles.update(m.locked)
        m.refresh()

    # ------------------------------------------------------------------ types
    def type_of(self, name: str) -> str:
        """"number", "category", "text" or "date"."""
        return self.columns_model.type_of(name)

    def _on_type_changed(self, name: str) -> None:
        self._user_types[name] = self.type_of(name)
        self._refresh_role_look()
        self._schedule_build()

    def _apply_types(self) -> None:
        """Types from the settings being edited, then the person's own choices."""
        spec = self._initial_spec
        marked = set(spec.categorical) if spec is not None else set()
        types = self._types
        for name in types:
            types[name] = self._user_types.get(name, "category" if name in marked else "number")
        self.columns_model.refresh()

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
        return {n: v for n, v in self._few_values.items() if n in self._roles
                and self.role_of(n) == "feature" and self.type_of(n) == "number"}


class ChoicesModel(QAbstractListModel):
    """A combo box's items as (text, data) pairs: thousands of column names set at once
    (``addItem`` one by one cost 0.15 ms each)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.items: list[tuple[str, object]] = []

    def set_items(self, items: list[tuple[str, object]]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.items[index.row()][0]
        if role == Qt.ItemDataRole.UserRole:
            return self.items[index.row()][1]
        return None


def _set_choices(box: QComboBox, items: list[tuple[str, object]]) -> None:
    """``box``'s items become ``items`` (text, data), the first one current."""
    model = box.model()
    if not isinstance(model, ChoicesModel):
        model = ChoicesModel(box)
        box.setModel(model)
    model.set_items(items)
    box.setCurrentIndex(0 if items else -1)


def select_data(box: QComboBox, value) -> None:
    """Select the item whose data is ``value`` (none there: the selection stays)."""
    i = box.findData(value)
    if i >= 0:
        box.setCurrentIndex(i)


def _whole_values(table, name: str) -> list[str]:
    """A number column's distinct values as labels ("3", "4", …) when they are all whole
    numbers; [] otherwise. For columns already known to hold few values."""
    a = table.frame[name].to_numpy()
    a = a[np.isfinite(a)]
    if not len(a) or not np.array_equal(a, np.round(a)):
        return []
    return [category_label(v) for v in np.sort(pd.unique(a))]


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
    plain_names = {n: _plain(n) for n in usable}
    for wanted in TARGET_NAMES:
        for n in usable:
            if plain_names[n] == wanted:
                return n, "its name says it is the target"
    plain = [n for n in usable if not _TIME_OR_ID.search(plain_names[n])]
    if plain:
        skipped = usable[usable.index(plain[-1]) + 1:]
        why = "it is the last column (where data sets usually keep it)"
        if skipped:
            why = (f"it is the last column that is not a time or an ID ({', '.join(skipped)} "
                   f"{'looks' if len(skipped) == 1 else 'look'} like one)")
        return plain[-1], why
    last = "it is the last column (where data sets usually keep it)"
    return (usable[-1], last) if usable else (names[-1], last)
