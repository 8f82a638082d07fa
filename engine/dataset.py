"""A person's data settings (:class:`DataSpec`) and the arrays built from them
(:class:`Dataset`); :func:`engine.data.build_dataset` makes one from the other.

Pure NumPy; never imports Qt.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from .csv_sniff import check_encoding
from .table import DataError, placeholder_note, plural

__all__ = ["DataSpec", "Dataset"]

_TASKS = ("auto", "regression", "classification")
_SPLITS = ("random", "chronological")
_NORMALIZE = ("standard", "none")


@dataclass
class DataSpec:
    """A person's data settings; plain and JSON-serializable."""

    target: str
    features: list[str] | None = None    # None: every other usable column (series mode: none)
    series: str | None = None            # series mode: features = previous `lags` values
    lags: int = 7
    time_column: str | None = None       # x-axis for plots; never a feature
    task: str = "auto"                   # "auto" | "regression" | "classification"
    split: str = "random"                # "random" | "chronological"
    val_fraction: float = 0.2
    seed: int = 0
    normalize: str = "standard"          # "standard" | "none"
    delimiter: str | None = None         # None: detected
    encoding: str | None = None          # None: UTF-8 (with or without BOM)
    header: bool = True                  # False: the first line is data
    categorical: list[str] = field(default_factory=list)   # number columns read as categories
    skip_bad_lines: bool = False         # rows with the wrong number of fields: skipped (counted), not an error
    period: int | None = None            # series: the seasonal naive baseline's period in rows
                                         # (None: detected, 0: none); below the training examples

    def __post_init__(self):
        if not isinstance(self.target, str) or not self.target:
            raise DataError("data setting 'target' must be a column name")
        if self.features is not None:
            if isinstance(self.features, str) or not all(isinstance(f, str) for f in self.features):
                raise DataError("data setting 'features' must be a list of column names")
            self.features = list(self.features)
            dup = _twice(self.features)
            if dup:
                raise DataError(f"feature {dup[0]!r} is listed twice")
        cats = [] if self.categorical is None else self.categorical
        if isinstance(cats, str) or not isinstance(cats, (list, tuple)) or \
                not all(isinstance(c, str) and c for c in cats):
            raise DataError("data setting 'categorical' must be a list of column names")
        self.categorical = list(cats)
        dup = _twice(self.categorical)
        if dup:
            raise DataError(f"categorical column {dup[0]!r} is listed twice")
        for name in ("series", "time_column"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v):
                raise DataError(f"data setting {name!r} must be a column name or empty")
        for name in ("lags", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise DataError(f"data setting {name!r} must be a whole number, not {v!r}")
            setattr(self, name, int(v))
        if self.seed < 0:
            raise DataError(f"seed must be 0 or more, not {self.seed}")
        self._check_period()
        for name, allowed in (("task", _TASKS), ("split", _SPLITS), ("normalize", _NORMALIZE)):
            if getattr(self, name) not in allowed:
                raise DataError(f"{name} must be one of {', '.join(allowed)}, "
                                f"not {getattr(self, name)!r}")
        if self.delimiter is not None and (not isinstance(self.delimiter, str) or len(self.delimiter) != 1):
            raise DataError(f"delimiter must be one character, not {self.delimiter!r}")
        if self.encoding is not None:
            if not isinstance(self.encoding, str):
                raise DataError(f"encoding must be a name like 'latin-1', not {self.encoding!r}")
            check_encoding(self.encoding)     # rot13, hex, zlib … are codecs but not of text
        for name in ("header", "skip_bad_lines"):
            if not isinstance(getattr(self, name), bool):
                raise DataError(f"{name} must be true or false, not {getattr(self, name)!r}")
        vf = self.val_fraction
        if isinstance(vf, bool) or not isinstance(vf, (int, float)) or not 0 <= vf < 1:
            raise DataError(f"val_fraction must be at least 0 and below 1, not {vf!r}")
        self.val_fraction = float(vf)

    def _check_period(self) -> None:
        p = self.period
        if p is None:
            return
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
            raise DataError(f"the seasonal period must be a whole number of rows (1 or more; 0 for none), "
                            f"not {p!r}")
        if not self.series:
            raise DataError("a seasonal period applies only to a series (series mode)")
        self.period = int(p)

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["features"] is not None:
            d["features"] = list(d["features"])
        d["categorical"] = list(d["categorical"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DataSpec:
        if not isinstance(d, dict):
            raise DataError("data settings must be a mapping")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise DataError(f"unknown data setting {unknown[0]!r}")
        if "target" not in d:
            raise DataError("data settings need a 'target' column")
        try:
            return cls(**d)
        except TypeError as e:      # e.g. a list where a number belongs
            raise DataError(f"bad data settings: {e}") from None


def _twice(names: list[str]) -> list[str]:
    """The names listed more than once, sorted (a count per name, not a search per name:
    5,000 features were checked in 0.3 s)."""
    return sorted(n for n, k in Counter(names).items() if k > 1)


# --------------------------------------------------------------------------- dataset

@dataclass
class Dataset:
    """Arrays ready to train on. Shapes: X (N, F); y (N, T) float64 for
    regression, (N,) int64 class indices otherwise. X and regression y are
    standardized with statistics of the training rows (identity if normalize="none").
    Standardized X is float32 (the trainer's default precision), raw X float64;
    X_train and X_val are views of one array (training rows first)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    feature_names: list[str]
    target_name: str
    task: str                      # "regression" | "binary" | "multiclass"
    classes: list[str]
    x_mean: np.ndarray             # (F,)
    x_std: np.ndarray              # (F,), never 0
    y_mean: np.ndarray             # (T,) regression; zeros(1) otherwise
    y_std: np.ndarray              # (T,) regression; ones(1) otherwise
    index_train: np.ndarray        # (N_train,) data row (0-based) of each example's target
    index_val: np.ndarray
    time_values: np.ndarray | None  # time column for ALL table rows, or None
    n_rows_read: int
    dropped: dict[str, int]        # reason -> rows dropped
    spec: DataSpec
    onehot: dict[str, list[str]]   # text or categorical feature column -> categories, in one-hot order
    skipped_columns: dict[str, str] = field(default_factory=dict)  # column -> why not a feature
    date_features: list[str] = field(default_factory=list)  # date columns fed as decimal years
    placeholders: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> {"?": cells read as missing}
    bad_lines: list[int] = field(default_factory=list)   # 1-based lines of rows skipped for their field count

    @property
    def n_train(self) -> int:
        return len(self.X_train)

    @property
    def n_val(self) -> int:
        return len(self.X_val)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        if self.task == "regression":
            return self.y_train.shape[1]
        return 1 if self.task == "binary" else len(self.classes)

    def transform_X(self, X_raw) -> np.ndarray:
        """Raw feature matrix (N, F), text already one-hot → normalized (N, F)."""
        X = np.asarray(X_raw, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise DataError(f"expected a feature matrix of shape (N, {self.n_features}), "
                            f"got {X.shape}")
        return (X - self.x_mean) / self.x_std

    def inverse_y(self, y_norm) -> np.ndarray:
        """Regression outputs (N, T) or (N,) back in the target's own units."""
        return np.asarray(y_norm, dtype=np.float64) * self.y_std + self.y_mean

    def X_raw(self, which: str = "train") -> np.ndarray:
        """Features before normalization, (N, F)."""
        return self._pick(which)[0] * self.x_std + self.x_mean

    def y_raw(self, which: str = "train") -> np.ndarray:
        """Targets in their own units (regression, (N, T)) or class indices ((N,))."""
        y = self._pick(which)[1]
        return self.inverse_y(y) if self.task == "regression" else y.copy()

    def _pick(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        if which == "train":
            return self.X_train, self.y_train
        if which == "val":
            return self.X_val, self.y_val
        raise DataError(f"which must be 'train' or 'val', not {which!r}")

    def summary(self) -> str:
        """Several lines of plain text for a person."""
        s = self.spec
        n_dropped = sum(self.dropped.values())
        lines = [f"Rows read: {self.n_rows_read}"]
        note = placeholder_note(self.placeholders)
        if note:
            lines.append(note)
        if n_dropped:
            lines.append(f"Dropped: {plural(n_dropped, 'example' if s.series else 'row')}")
            lines += [f"  {reason}: {n}" for reason, n in self.dropped.items()]
        for col, why in self.skipped_columns.items():
            lines.append(f"Not used: {col!r} ({why})")
        split = "chronological split" if s.split == "chronological" else f"random split, seed {s.seed}"
        lines.append(f"Examples: {self.n_train} train, {self.n_val} validation ({split})")
        names = self.feature_names
        shown = ", ".join(names[:8]) + (f", … ({len(names) - 8} more)" if len(names) > 8 else "")
        lines.append(f"Features: {self.n_features} ({shown})")
        for name in self.date_features:
            lines.append(f"Date: {name} as a number (decimal year, 1970-01-01 → 1970.0)")
        if s.series:
            lines.append(f"Series: previous {s.lags} values of {s.series!r}")
        if s.normalize == "standard":
            lines.append("Normalization: standardized with training-row mean and std")
        lines.append(f"Task: {self.task}, target {self.target_name!r}")
        if self.classes:
            tr = np.bincount(self.y_train, minlength=len(self.classes))
            va = np.bincount(self.y_val, minlength=len(self.classes))
            lines.append("Classes: " + ", ".join(
                f"{c} {a + b} ({a}/{b})" for c, a, b in zip(self.classes, tr, va))
                + " (train/validation)")
        return "\n".join(lines)
