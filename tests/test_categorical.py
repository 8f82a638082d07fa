"""engine/data.py: number columns marked as categories (DataSpec.categorical).

Codes such as Cylinders (3, 4, 5, 6, 8) are whole numbers that name groups; as
a feature they are one-hot encoded like text, in numeric order; as the target
they mean classification."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.data import MAX_CATEGORIES, DataError, DataSpec, Table, build_dataset, infer_task, load_dataset
from engine.graph import sequential
from engine.project import Project, load_project, save_project

AUTO = Path(__file__).resolve().parent.parent / "resources" / "datasets" / "auto_mpg.csv"


def frame_table(**columns) -> Table:
    return Table.from_frame(pd.DataFrame(columns))


# ------------------------------------------------------------------ spec

def test_spec_round_trips_with_categorical_columns():
    spec = DataSpec(target="y", features=["k", "x"], categorical=["k"])
    d = spec.to_dict()
    assert d["categorical"] == ["k"]
    back = DataSpec.from_dict(json.loads(json.dumps(d)))
    assert back == spec and back.categorical == ["k"]


def test_old_spec_dicts_without_the_key_load_with_no_categories():
    old = {"target": "y", "features": None, "series": None, "lags": 7, "time_column": None,
           "task": "auto", "split": "random", "val_fraction": 0.2, "seed": 0,
           "normalize": "standard", "delimiter": None, "encoding": None, "header": True}
    spec = DataSpec.from_dict(old)
    assert spec.categorical == []
    assert DataSpec.from_dict({"target": "y", "categorical": None}).categorical == []


def test_a_project_file_keeps_the_categorical_columns(tmp_path):
    spec = DataSpec(target="Miles_per_Gallon", categorical=["Cylinders"])
    path = tmp_path / "p.ncproj"
    save_project(Project(graph=sequential(4, []), data_path=str(AUTO), data_spec=spec.to_dict()), path)
    back = load_project(path)
    assert DataSpec.from_dict(back.data_spec).categorical == ["Cylinders"]


@pytest.mark.parametrize("value, message", [
    ("Cylinders", "'categorical' must be a list of column names"),
    ([3], "'categorical' must be a list of column names"),
    ([""], "'categorical' must be a list of column names"),
    (["a", "a"], "categorical column 'a' is listed twice"),
])
def test_spec_rejects_bad_categorical_settings(value, message):
    with pytest.raises(DataError, match=message):
        DataSpec.from_dict({"target": "y", "categorical": value})


# ------------------------------------------------------------------ features

def test_a_number_column_as_a_category_is_one_hot_encoded():
    t = frame_table(k=[4.0, 8.0, 4.0, 6.0, 8.0], x=[1.0, 2, 3, 4, 5], y=[1.0, 2, 3, 4, 5])
    ds = build_dataset(t, DataSpec(target="y", categorical=["k"], val_fraction=0, normalize="none"))
    assert ds.feature_names == ["k=4", "k=6", "k=8", "x"]           # "4", not "4.0"
    assert ds.onehot == {"k": ["4", "6", "8"]}
    np.testing.assert_array_equal(ds.X_train, [[1, 0, 0, 1], [0, 0, 1, 2], [1, 0, 0, 3],
                                               [0, 1, 0, 4], [0, 0, 1, 5]])
    plain = build_dataset(t, DataSpec(target="y", val_fraction=0, normalize="none"))
    assert plain.feature_names == ["k", "x"] and plain.onehot == {}


def test_categories_are_in_numeric_order_not_text_order():
    k = [10.0, 9.0, 2.0, -1.0, 0.5, 10.0, 100.0, 9.0]
    t = frame_table(k=k, y=np.arange(8.0))
    ds = build_dataset(t, DataSpec(target="y", features=["k"], categorical=["k"], val_fraction=0,
                                   normalize="none"))
    assert ds.onehot["k"] == ["-1", "0.5", "2", "9", "10", "100"]       # 10 after 9
    codes = ds.X_train.argmax(axis=1)
    assert [ds.onehot["k"][c] for c in codes] == ["10", "9", "2", "-1", "0.5", "10", "100", "9"]


def test_categories_come_from_the_kept_rows_and_gaps_are_dropped():
    t = frame_table(k=[1.0, np.nan, 2.0, 3.0, 1.0], y=[1.0, 2.0, 3.0, np.nan, 5.0])
    ds = build_dataset(t, DataSpec(target="y", categorical=["k"], val_fraction=0))
    assert ds.dropped == {"missing target": 1, "missing value in k": 1}
    assert ds.onehot == {"k": ["1", "2"]}                   # 3 only in a dropped row
    assert ds.n_features == 2


def test_auto_mpg_cylinders_as_categories():
    base = DataSpec(target="Miles_per_Gallon")
    plain = load_dataset(AUTO, base)
    ds = load_dataset(AUTO, DataSpec(target="Miles_per_Gallon", categorical=["Cylinders"]))
    raw = pd.read_csv(AUTO)
    kept = raw.dropna(subset=["Miles_per_Gallon", "Horsepower"])
    values = sorted(kept["Cylinders"].unique())
    assert ds.onehot["Cylinders"] == [str(int(v)) for v in values]
    assert ds.n_features == plain.n_features - 1 + len(values)
    assert [n for n in ds.feature_names if n.startswith("Cylinders")] == [f"Cylinders={int(v)}" for v in values]
    assert ds.n_train + ds.n_val == plain.n_train + plain.n_val
    X = ds.X_raw("train")
    cols = [ds.feature_names.index(f"Cylinders={int(v)}") for v in values]
    assert np.allclose(X[:, cols].sum(axis=1), 1)          # exactly one hot per row


def test_a_categorical_text_column_is_harmless():
    t = frame_table(s=["a", "b", "a"], y=[1.0, 2, 3])
    ds = build_dataset(t, DataSpec(target="y", categorical=["s"], val_fraction=0))
    assert ds.feature_names == ["s=a", "s=b"]


# ------------------------------------------------------------------ target

def test_a_categorical_number_target_means_classification():
    y = [float(v) for v in range(20)] * 2                  # 20 whole values: auto says regression
    t = frame_table(x=np.arange(40.0), y=y)
    assert infer_task(t, "y") == "regression"
    assert infer_task(t, "y", ["y"]) == "classification"
    ds = build_dataset(t, DataSpec(target="y", categorical=["y"], val_fraction=0))
    assert ds.task == "multiclass" and ds.classes[:3] == ["0", "1", "2"] and ds.classes[-1] == "19"
    with pytest.raises(DataError, match="target 'y' is marked as a category; choose task classification"):
        build_dataset(t, DataSpec(target="y", categorical=["y"], task="regression"))


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("spec, message", [
    (DataSpec(target="y", categorical=["nope"]), r"unknown column 'nope'; available: k, d, y"),
    (DataSpec(target="y", categorical=["d"]), "column 'd' is a date; only number columns"),
    (DataSpec(target="y", series="k", lags=2, categorical=["k"]),
     "column 'k' is marked as a category; lagged values need a number column"),
    (DataSpec(target="y", series="y", features=["k"], lags=2, categorical=["k"]),
     "column 'k' is marked as a category; lagged values need a number column"),
])
def test_nonsense_categorical_settings_are_named(spec, message):
    t = frame_table(k=[1.0, 2, 1, 2, 1, 2], d=["2020-01-0%d" % i for i in range(1, 7)],
                    y=[1.0, 2, 3, 4, 5, 6])
    with pytest.raises(DataError, match=message):
        build_dataset(t, spec)


@pytest.mark.parametrize("features", [None, ["k"]])
def test_too_many_categories_is_refused_like_text(features):
    n = MAX_CATEGORIES + 1
    t = frame_table(k=np.arange(n, dtype=float), y=np.arange(n, dtype=float))
    with pytest.raises(DataError, match=rf"column 'k' has {n} distinct values, too many to one-hot "
                                        rf"encode \(at most {MAX_CATEGORIES}\)"):
        build_dataset(t, DataSpec(target="y", features=features, categorical=["k"]))
    assert build_dataset(t, DataSpec(target="y", features=features)).n_features == 1


def test_a_categorical_column_that_is_not_used_costs_nothing():
    n = MAX_CATEGORIES + 1
    t = frame_table(k=np.arange(n, dtype=float), x=np.ones(n), y=np.arange(n, dtype=float))
    ds = build_dataset(t, DataSpec(target="y", features=["x"], categorical=["k"]))
    assert ds.feature_names == ["x"] and ds.onehot == {}
