"""The import view's columns as a Qt model: one row per column of the file with
its name, type, role, missing count, chart and values, answered when painted.

The roles ("feature", "target", "ignore"; in series mode "series", "time") and
the types of number columns ("number", "category") live in two dicts,
``roles`` and ``types``, not in widgets: a file of 5,000 columns has 5,000
entries and no combo box until a row is in view
(:class:`gui.data.import_columns_view.ColumnsTableView` opens its editors).
What each cell shows — bold for the target, a type's color, the tooltips, the
chart of a number column read as categories — is computed here from those
dicts and the columns' profiles.

A person's choice arrives through :meth:`ColumnsModel.pick` (the editor's
``activated``) and is announced by ``role_picked`` / ``type_picked``; the
dialog reacts as it did to a combo box's ``activated``.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from gui.data.column_chart import PROFILE_ROLE, SPARK_ROLE, kind_color
from gui.data.loading import ColumnProfile

__all__ = ["ColumnsModel", "ROLES", "NUMBER_TYPES", "DATE_ROLES", "OPTIONS_ROLE", "NAME_ROLE",
           "C_NAME", "C_TYPE", "C_ROLE", "C_MISSING", "C_CHART", "C_VALUES", "HEADERS"]

ROLES = ("feature", "target", "ignore")
NUMBER_TYPES = ("number", "category")     # a number column's type: as it is, or one-hot codes
DATE_ROLES = ("feature", "ignore")        # a date is never the target ("time" too in series mode)
C_NAME, C_TYPE, C_ROLE, C_MISSING, C_CHART, C_VALUES = range(6)
HEADERS = ["Column", "Type", "Role", "Missing", "Distribution", "Range / values"]
OPTIONS_ROLE = Qt.ItemDataRole.UserRole + 10     # the choices of a role or type cell
NAME_ROLE = Qt.ItemDataRole.UserRole + 11        # the column's name, in every cell of its row
_GREY = QColor("#9ca3af")
_AMBER = QColor("#b45309")
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class ColumnsModel(QAbstractTableModel):
    """The columns of a file, their roles and types. ``role_picked(name)`` and
    ``type_picked(name)``: a person (or :meth:`pick`) chose a column's role or type."""

    role_picked = Signal(str)
    type_picked = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.names: list[str] = []
        self.cols: dict[str, object] = {}       # name -> Column / ColumnProfile / preview guess
        self.filled: dict[str, object] = {}     # name -> the Column it was filled with (placeholders)
        self.rows: dict[str, int] = {}
        self.roles: dict[str, str] = {}
        self.types: dict[str, str] = {}         # number columns only
        self.n_rows = 0                         # rows behind the counts (preview rows until read)
        self.guessed = False                    # typed from the first rows; the file is being read
        self.read = False                       # the whole file is read: charts can be shown
        self.unread = False                     # the read failed or was cancelled
        self.skipped_rows = 0                   # rows skipped for their number of fields
        self.few_values: dict[str, list[str]] = {}     # the dialog's (whole-number columns with few values)
        self.series_mode = False
        self.locked: dict[str, str] = {}        # series mode: the series and time columns' roles
        self.category_profile = None            # name -> ColumnProfile of its values as categories
        self.value_color = QColor("#111827")
        self._italic = QFont()
        self._italic.setItalic(True)
        self._bold = QFont()
        self._bold.setBold(True)

    # ------------------------------------------------------------------ filling
    def reset(self, cols, n_rows: int, guessed: bool, read: bool, skipped_rows: int = 0) -> None:
        """One row per column of ``cols``; every role and type is cleared."""
        self.beginResetModel()
        self.names = [c.name for c in cols]
        self.cols = {c.name: c for c in cols}
        self.filled = dict(self.cols)       # as filled: the profiles replace them in ``cols``
        self.rows = {n: i for i, n in enumerate(self.names)}
        self.roles = {n: "feature" for n in self.names}
        self.types = {c.name: "number" for c in cols if c.kind == "number"}
        self.n_rows, self.guessed, self.read, self.unread = n_rows, guessed, read, False
        self.skipped_rows = skipped_rows
        self.locked = {}
        self.endResetModel()

    def clear(self) -> None:
        self.reset([], 0, guessed=False, read=False)

    def refresh(self, row: int | None = None) -> None:
        """Every cell (or one row's) shows the dicts and profiles as they are now."""
        if not self.names:
            return
        first, last = (0, len(self.names) - 1) if row is None else (row, row)
        if first < 0:
            return
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(HEADERS) - 1))

    # ------------------------------------------------------------------ choices
    def role_options(self, name: str) -> list[str]:
        """The roles a column's combo offers: a date is never the target; in series mode a date
        may be the time column; a locked (series / time) column shows its role."""
        kind = self.cols[name].kind
        opts = list(DATE_ROLES if kind == "date" else ROLES)
        locked = self.locked.get(name)
        if locked:
            opts.append(locked)
        elif self.series_mode and kind == "date":
            opts.append("time")
        role = self.roles.get(name)
        if role and role not in opts:
            opts.append(role)
        return list(dict.fromkeys(opts))

    def type_of(self, name: str) -> str:
        """"number", "category", "text" or "date"."""
        return self.types.get(name) or self.cols[name].kind

    def pick(self, row: int, column: int, value: str) -> None:
        """A person chose ``value`` in a row's role or type combo (even the one it had)."""
        name = self.names[row]
        if column == C_ROLE:
            self.roles[name] = value
            self.refresh(row)
            self.role_picked.emit(name)
        elif column == C_TYPE and name in self.types:
            self.types[name] = value
            self.refresh(row)
            self.type_picked.emit(name)

    # ------------------------------------------------------------------ Qt's model interface
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.names)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            if section == C_CHART:
                return ("Histogram of a number column; most frequent values of a text or category column; "
                        "in series mode, the column over the rows")
            if section == C_TYPE:
                return ("number, text or date, as read; a number column can be switched to “category”: "
                        "each value becomes its own input (one-hot), as for text")
        return None

    def flags(self, index: QModelIndex):
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        name = self.names[index.row()]
        if (index.column() == C_ROLE and name not in self.locked) or (
                index.column() == C_TYPE and name in self.types):
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """An editor's commit: a change only (a choice itself comes through :meth:`pick`)."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        name = self.names[index.row()]
        now = self.roles.get(name) if index.column() == C_ROLE else self.types.get(name)
        if value is None or value == now:
            return False
        self.pick(index.row(), index.column(), value)
        return True

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        name = self.names[index.row()]
        if role == NAME_ROLE:
            return name
        c = index.column()
        if c == C_NAME:
            return self._name_data(name, role)
        if c == C_TYPE:
            return self._type_data(name, role)
        if c == C_ROLE:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
                return self.roles.get(name)
            if role == OPTIONS_ROLE:
                return self.role_options(name)
            if role == Qt.ItemDataRole.ToolTipRole:
                return self._role_tip(name)
            return None
        if c == C_MISSING:
            return self._missing_data(name, role)
        if c == C_CHART:
            if role == PROFILE_ROLE:
                return self._chart_profile(name)
            if role == SPARK_ROLE:
                return bool(self.series_mode and self.cols[name].kind == "number")
            if role == Qt.ItemDataRole.ToolTipRole:
                p = self._chart_profile(name)
                return chart_tooltip(p) if p is not None else ""
            return None
        return self._values_data(name, role)

    # ------------------------------------------------------------------ what each cell shows
    def _name_data(self, name: str, role):
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return name
        if role == Qt.ItemDataRole.FontRole and self.roles.get(name) in ("target", "series"):
            return self._bold
        return None

    def _type_data(self, name: str, role):
        p = self.filled[name]
        ty = self.type_of(name)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return ty if ty in ("number", "date", "category") else "text"
        if role == Qt.ItemDataRole.ForegroundRole:
            return kind_color(ty)
        if role == Qt.ItemDataRole.FontRole:
            return self._italic if self.guessed else None
        if role == OPTIONS_ROLE:
            return list(NUMBER_TYPES) if name in self.types else None
        if role != Qt.ItemDataRole.ToolTipRole:
            return None
        if self.guessed:
            return f"guessed from the first {self.n_rows} rows; checked when the whole file is read"
        if p.kind == "date":
            fmt = getattr(p, "date_format", None)
            return ("dates" + (f" written as {readable_format(fmt)}" if fmt else "")
                    + "; as a feature one number: the decimal year (1970-01-01 → 1970.0, "
                      "mid-year → .5); never the target; in series mode, the time axis")
        if name not in self.types:
            return None
        tip = ("number: one input, the value itself\n"
               "category: one input per value (one-hot), as for text; as the target, one class per value")
        few = self.few_values.get(name)
        if few and ty == "number":
            tip += (f"\n\n{name} holds {len(few)} whole values ({', '.join(few)}): if they are codes "
                    "or groups rather than amounts, choose “category”")
        return tip

    def _role_tip(self, name: str) -> str:
        series_name = next((n for n, r in self.locked.items() if r == "series"), None)
        if self.series_mode and name != series_name and self.roles.get(name) == "feature":
            return "feature: its previous K values are inputs too"
        if self.cols[name].kind == "date":
            return ("feature: one input, the decimal year (1970-01-01 → 1970.0) · ignore: not used"
                    + (" · time: the plots' x-axis" if self.series_mode else "") + "\na date cannot be the target")
        if self.type_of(name) == "category":
            return "feature: one input per value (one-hot) · target: one class per value · ignore: not used"
        return "feature: an input · target: what to predict · ignore: not used"

    def _missing_data(self, name: str, role):
        p = self.filled[name]
        n_rows = self.n_rows
        share = 100 * p.missing / max(1, n_rows)
        if role == Qt.ItemDataRole.DisplayRole:
            if not p.missing:
                return "–"
            if self.guessed:
                return f"{p.missing} of {n_rows}"
            return f"{p.missing:,} ({share:.0f} %)" if share >= 1 else f"{p.missing:,}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        if not p.missing:
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return _AMBER
        if role == Qt.ItemDataRole.ToolTipRole:
            bad = getattr(p, "not_dates", 0)
            written = getattr(p, "placeholders", None) or {}
            skipped = self.skipped_rows if not self.guessed else 0
            return (f"{p.missing:,} of {n_rows:,} cells are missing ({share:.1f} %)"
                    + (f", {bad:,} of them text that is not a date" if bad else "")
                    + "".join(f", {n:,} written as {tok!r}" for tok, n in written.items())
                    + (f", {skipped:,} in rows skipped for their number of fields" if skipped else "")
                    + "; rows missing a used value are dropped"
                    + (" (in the first rows; the whole file is still being read)" if self.guessed else ""))
        return None

    def _chart_profile(self, name: str):
        """The chart's profile: a histogram, or bars per value of a number column read as
        categories; None while the charts are computed."""
        if not self.read or self.guessed:
            return None
        if self.type_of(name) == "category" and self.category_profile is not None:
            return self.category_profile(name)
        p = self.cols[name]
        return p if isinstance(p, ColumnProfile) else None

    def _values_data(self, name: str, role):
        if self.unread and not self.read:
            if role == Qt.ItemDataRole.DisplayRole:
                return "not read"
            if role == Qt.ItemDataRole.ToolTipRole:
                return "the file could not be read to the end; see the message below"
            if role == Qt.ItemDataRole.ForegroundRole:
                return _GREY
            return None
        p = self._chart_profile(name)
        if p is None:
            if role == Qt.ItemDataRole.DisplayRole:
                return "reading…" if self.guessed else "computing charts…"
            if role == Qt.ItemDataRole.ForegroundRole:
                return _GREY
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return describe_category(p) if p.kind == "category" else p.describe()
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.value_color
        if role == Qt.ItemDataRole.ToolTipRole:
            return chart_tooltip(p)
        return None


# -- texts ------------------------------------------------------------------------------------------
def readable_format(fmt: str) -> str:
    """A strptime format as a person reads it: %Y-%m-%d → YYYY-MM-DD."""
    for code, shown in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"),
                        ("%M", "mm"), ("%S", "ss"), ("%f", "ffffff"), ("%b", "Mon"), ("%B", "Month"),
                        ("%z", "+zone"), ("%j", "day-of-year"), ("%p", "AM/PM"), ("%I", "hh")):
        fmt = fmt.replace(code, shown)
    return fmt


def describe_category(p) -> str:
    """"5 values: 3, 4, 5, 6, 8" (every value shown that fits in a short line)."""
    shown = ", ".join(p.labels[:8]) + ("…" if p.n_unique > min(8, len(p.labels)) else "")
    return f"{p.n_unique:,} value{'s' if p.n_unique != 1 else ''}: {shown}"


def chart_tooltip(p) -> str:
    if p.kind == "category":
        counts = "\n".join(f"  {label}: {int(c):,}" for label, c in zip(p.labels, p.hist))
        which = ("values" if len(p.labels) == p.n_unique
                 else f"the {len(p.labels)} most frequent values, in numeric order")
        return (f"{p.name}: numbers read as categories, {p.n_unique:,} distinct values, {p.missing:,} missing\n"
                f"{which}:\n{counts}\nas a feature one input per value (one-hot)")
    if p.kind == "date":
        fmt = f" (written as {readable_format(p.date_format)})" if getattr(p, "date_format", None) else ""
        return (f"{p.name}: dates{fmt}, {p.describe()}; {p.missing:,} missing\n"
                "histogram over the years; as a feature one number, the decimal year")
    if p.kind == "number":
        return f"{p.name}: {p.describe()}; {p.n_unique:,} distinct values, {p.missing:,} missing"
    top = "\n".join(f"  {label}: {int(c):,}" for label, c in zip(p.labels, p.hist))
    return f"{p.name}: {p.n_unique:,} distinct values, {p.missing:,} missing\nmost frequent:\n{top}"
