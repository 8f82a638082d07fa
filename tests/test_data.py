"""engine/data.py: CSV file → Table → Dataset."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data import (
    Cancelled, DataError, DataSpec, Table, build_dataset, infer_task, load_dataset,
    read_csv, sniff_csv,
)

DATASETS = Path(__file__).resolve().parent.parent / "resources" / "datasets"
SEATTLE = DATASETS / "seattle_weather.csv"
IRIS = DATASETS / "iris.csv"
AUTO = DATASETS / "auto_mpg.csv"


def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def table(text: str, tmp_path) -> Table:
    return read_csv(write(tmp_path, text))


# ------------------------------------------------------------------ reading

@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiter_is_detected(tmp_path, sep):
    p = write(tmp_path, sep.join(["a", "b", "c"]) + "\n" + sep.join(["1", "2.5", "x"]) + "\n"
              + sep.join(["3", "4", "y"]) + "\n")
    t = read_csv(p)
    assert t.delimiter == sep
    assert sniff_csv(p)["delimiter"] == sep
    assert [c.name for c in t.columns] == ["a", "b", "c"]
    assert [c.kind for c in t.columns] == ["number", "number", "text"]
    assert t.frame["b"].tolist() == [2.5, 4.0]
    assert t.frame["a"].dtype == np.float64


def test_semicolon_file_with_decimal_commas(tmp_path):
    t = table("a;b\n1,5;2\n3,25;4\n", tmp_path)
    assert t.delimiter == ";"
    assert t.frame["a"].tolist() == [1.5, 3.25]


def test_numbers_with_thousands_separators_are_numbers(tmp_path):
    """A spreadsheet's "100,000" (quoted, comma file) or "1.234,5" (;-file) was a text column
    with one value per row, ignored by default; now it is a number column."""
    t = table('name,price\n"a","100,000"\n"b","1,250,000.5"\n"c",950\n', tmp_path)
    assert t.column("price").kind == "number"
    assert t.frame["price"].tolist() == [100000.0, 1250000.5, 950.0]
    t = table('a;b\n1.234,5;2\n12,5;3\n2.000.000;4\n', tmp_path)
    assert t.frame["a"].tolist() == [1234.5, 12.5, 2000000.0]
    # not a grouping: "1,23" and text stay text
    t = table('a,b\n"1,23",2\n"12,5",3\n', tmp_path)
    assert t.column("a").kind == "text"
    t = table('a,b\n"1,234",2\nx,3\n', tmp_path)
    assert t.column("a").kind == "text"


def test_quoted_fields_keep_embedded_delimiters_and_quotes(tmp_path):
    t = table('name,v\n"Smith, J",1\n"say ""hi""",2\n"two\nlines",3\n', tmp_path)
    assert t.frame["name"].tolist() == ["Smith, J", 'say "hi"', "two\nlines"]
    assert t.frame["v"].tolist() == [1.0, 2.0, 3.0]


def test_utf8_bom_is_detected_and_not_part_of_the_first_name(tmp_path):
    p = write(tmp_path, b"\xef\xbb\xbftemp,city\n1,Z\xc3\xbcrich\n")
    t = read_csv(p)
    assert t.encoding == "utf-8-sig"
    assert t.columns[0].name == "temp"
    assert t.frame["city"].tolist() == ["Zürich"]
    assert sniff_csv(p)["header"] == ["temp", "city"]


def test_latin1_file_names_the_byte_and_offset(tmp_path):
    data = b"a,b\n1,2\n3,caf\xe9\n"
    p = write(tmp_path, data)
    with pytest.raises(DataError) as e:
        read_csv(p)
    assert str(e.value) == ("'data.csv' is not UTF-8 text (byte 0xE9 at offset "
                            f"{data.index(0xE9)}); save it as UTF-8")


def test_non_utf8_byte_far_beyond_the_preview_is_found(tmp_path):
    data = b"a,b\n" + b"1,2\n" * 300_000 + b"3,\xff\n"
    p = write(tmp_path, data)
    sniff_csv(p)        # the preview itself is fine
    with pytest.raises(DataError, match=rf"byte 0xFF at offset {len(data) - 2}\)"):
        read_csv(p)


def test_explicit_encoding_reads_latin1(tmp_path):
    p = write(tmp_path, b"a,b\n1,caf\xe9\n")
    assert read_csv(p, encoding="latin-1").frame["b"].tolist() == ["café"]


@pytest.mark.parametrize("data, message", [
    (b"\x00\x01\x02\x03binary", "is a binary file"),
    (b"PK\x03\x04\x14\x00", "Excel .xlsx workbook"),
    ("a,b\n1,2\n".encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
    (b"", "is empty"),
    (b"\n  \n\n", "is empty"),
    (b"a,b,c\n", "has a header row but no data rows"),
    (b"1,2\n3,4\n", "has no header row"),
])
def test_unreadable_files_raise_one_clear_line(tmp_path, data, message):
    with pytest.raises(DataError, match=message) as e:
        read_csv(write(tmp_path, data))
    assert "\n" not in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="file not found"):
        sniff_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize("text, line, got", [
    ("a,b\n1,2\n3,4,5\n6,7\n", 3, 3),          # too many fields
    ("a,b\n1,2,9\n3,4\n", 2, 3),               # ... in the first data row
    ("a,b,c\n1,2,3\n\n4,5\n6,7,8\n", 4, 2),    # too few fields (after a blank line)
])
def test_ragged_row_names_its_line(tmp_path, text, line, got):
    with pytest.raises(DataError, match=rf"line {line} has {got} fields but the header has"):
        read_csv(write(tmp_path, text))


def test_explicit_delimiter_overrides_detection(tmp_path):
    p = write(tmp_path, "a|b,c\n1|2,3\n4|5,6\n")
    assert read_csv(p).delimiter == ","
    t = read_csv(p, delimiter="|")
    assert t.names == ["a", "b,c"] and t.frame["b,c"].tolist() == ["2,3", "5,6"]
    with pytest.raises(DataError, match="line 3 has 3 fields but the header has 2"):
        read_csv(write(tmp_path, "a|b\n1|2\n3|4|5\n"), delimiter="|")


def test_trailing_empty_field_is_a_missing_value_not_a_ragged_row(tmp_path):
    t = table("a,b,c\n1,2,3\n4,5,\n", tmp_path)
    assert np.isnan(t.frame["c"][1])
    assert t.column("c").missing == 1


def test_na_spellings_and_empty_cells_are_missing(tmp_path):
    t = table('x,y,z\n1,NA,a\n2,,b\nNaN,3,null\n4,null,""\n5,6, \n', tmp_path)
    assert t.column("x").missing == 1
    assert t.column("y").missing == 3
    assert t.column("z").missing == 3
    assert t.column("z").kind == "text"
    assert t.column("z").n_unique == 2
    assert t.n_rows == 5


def test_header_names_are_stripped_and_two_alike_are_refused(tmp_path):
    """Issue 10 item 11: "a" and " a" were kept as "a" and "a.1" — with a target "y", its copy
    "y.1" became a feature (R² = 1). Names alike after stripping are refused, naming both columns."""
    t = table("a , b\n1,2\n", tmp_path)
    assert t.names == ["a", "b"]
    with pytest.raises(DataError, match="columns 1 and 2 are both named 'a'"):
        table("a, a,a , b\n1,2,3,4\n", tmp_path)


def test_one_column_file_is_fine(tmp_path):
    t = table("v\n1\n2\n\n3\n", tmp_path)
    assert t.frame["v"].tolist() == [1.0, 2.0, 3.0]


def test_column_with_numbers_then_text_is_text_with_original_spelling(tmp_path):
    # pandas' low-memory reader types the first ~260k rows as numbers; the column is text
    p = write(tmp_path, "a,b\n" + "007,1\n" * 300_000 + "x,2\n")
    t = read_csv(p)
    assert t.column("a").kind == "text"
    assert t.frame["a"].iloc[0] == "007"
    assert t.frame["a"].iloc[-1] == "x"
    assert read_csv(p, progress=lambda f: None).frame["a"].iloc[-1] == "x"


def test_unknown_column_lists_available(tmp_path):
    t = table("a,b,c\n1,2,3\n", tmp_path)
    with pytest.raises(DataError, match=r"^unknown column 'X'; available: a, b, c$"):
        t.column("X")


def test_sniff_previews_only_the_first_lines(tmp_path):
    p = write(tmp_path, "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(1000)))
    preview = sniff_csv(p, n_lines=5)
    assert preview["header"] == ["a", "b"]
    assert preview["rows"] == [[str(i), str(i * 2)] for i in range(5)]
    assert preview["encoding"] == "utf-8"


def test_cancel_raises_cancelled(tmp_path):
    p = write(tmp_path, "a,b\n" + "1.5,2\n" * 200_000)
    with pytest.raises(Cancelled):
        read_csv(p, cancel=lambda: True)
    calls = []

    def cancel_after_first_chunk():
        calls.append(1)
        return len(calls) > 2
    with pytest.raises(Cancelled, match="cancelled"):
        read_csv(p, cancel=cancel_after_first_chunk)
    assert issubclass(Cancelled, DataError)


def test_progress_rises_to_one_and_chunked_read_equals_fast_read(tmp_path):
    p = write(tmp_path, "a,b,c\n" + "".join(f"{i},{i / 7},t{i % 3}\n" for i in range(300_000)))
    seen = []
    chunked = read_csv(p, progress=seen.append)
    assert len(seen) > 3
    assert seen == sorted(seen) and seen[-1] == 1.0 and 0 < seen[0] < 1
    pd.testing.assert_frame_equal(chunked.frame, read_csv(p).frame)


# property: numbers written as CSV come back exactly
_floats = st.floats(allow_nan=True, allow_infinity=False, width=64)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.lists(_floats, min_size=3, max_size=3), min_size=1, max_size=30),
       sep=st.sampled_from([",", ";", "\t"]))
def test_random_numeric_frames_round_trip(tmp_path, data, sep):
    frame = pd.DataFrame(data, columns=["alpha", "beta", "gamma"], dtype=np.float64)
    p = tmp_path / "h.csv"
    frame.to_csv(p, sep=sep, index=False, float_format="%.17g")
    t = read_csv(p)
    assert t.delimiter == sep or frame.isna().all().all()
    expected = frame.copy()
    pd.testing.assert_frame_equal(t.frame, expected, check_exact=True)
    assert [c.missing for c in t.columns] == frame.isna().sum().tolist()


# ------------------------------------------------------------------ spec

def test_spec_round_trips_through_json():
    spec = DataSpec(target="y", features=["a", "b"], series=None, lags=3, time_column="t",
                    task="regression", split="chronological", val_fraction=0.25, seed=4,
                    normalize="none")
    back = DataSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert back == spec
    assert DataSpec.from_dict({"target": "y"}) == DataSpec("y")


@pytest.mark.parametrize("d, message", [
    ({"target": "y", "colour": 1}, "unknown data setting 'colour'"),
    ({"features": ["a"]}, "need a 'target'"),
    ({"target": "y", "task": "cluster"}, "task must be one of"),
    ({"target": "y", "split": "sideways"}, "split must be one of"),
    ({"target": "y", "val_fraction": 1.0}, "val_fraction"),
    ({"target": "y", "val_fraction": -0.1}, "val_fraction"),
    ({"target": "y", "lags": 2.5}, "'lags' must be a whole number"),
    ({"target": "y", "features": "a,b"}, "list of column names"),
    ({"target": "y", "normalize": "minmax"}, "normalize must be one of"),
    ([1, 2], "must be a mapping"),
])
def test_spec_rejects_bad_fields(d, message):
    with pytest.raises(DataError, match=message):
        DataSpec.from_dict(d)


# ------------------------------------------------------------------ dataset

def test_missing_values_drop_rows_and_are_counted(tmp_path):
    t = table("a,b,y\n1,2,10\n,3,11\n4,5,\n6,,12\n7,8,13\n9,10,14\n", tmp_path)
    ds = build_dataset(t, DataSpec(target="y", val_fraction=0))
    assert ds.dropped == {"missing target": 1, "missing value in a": 1, "missing value in b": 1}
    assert ds.index_train.tolist() == [0, 4, 5]
    np.testing.assert_allclose(ds.X_raw(), [[1, 2], [7, 8], [9, 10]], rtol=1e-6)  # float32 X
    assert "missing value in a: 1" in ds.summary()


def test_text_features_are_one_hot_encoded(tmp_path):
    t = table("x,origin,y\n1,USA,1\n2,Japan,2\n3,USA,3\n4,Europe,4\n", tmp_path)
    ds = build_dataset(t, DataSpec(target="y", val_fraction=0, normalize="none"))
    assert ds.feature_names == ["x", "origin=Europe", "origin=Japan", "origin=USA"]
    assert ds.onehot == {"origin": ["Europe", "Japan", "USA"]}
    np.testing.assert_array_equal(ds.X_train, [[1, 0, 0, 1], [2, 0, 1, 0], [3, 0, 0, 1], [4, 1, 0, 0]])
    assert ds.n_features == 4


def test_many_valued_text_column_is_skipped_by_default_but_usable_by_name(tmp_path):
    rows = "".join(f"id{i},{i},{i % 2}\n" for i in range(60))
    t = table("name,x,y\n" + rows, tmp_path)
    ds = build_dataset(t, DataSpec(target="y", task="regression"))
    assert ds.feature_names == ["x"]
    assert "name" in ds.skipped_columns
    ds = build_dataset(t, DataSpec(target="y", features=["name", "x"], task="regression"))
    assert ds.n_features == 61


def test_text_target_gives_sorted_classes(tmp_path):
    t = table("x,label\n1,b\n2,a\n3,c\n4,a\n", tmp_path)
    ds = build_dataset(t, DataSpec(target="label", val_fraction=0))
    assert ds.task == "multiclass" and ds.classes == ["a", "b", "c"]
    assert ds.y_train.dtype == np.int64 and ds.y_train.tolist() == [1, 0, 2, 0]
    assert ds.n_outputs == 3


def test_binary_and_numeric_class_labels(tmp_path):
    t = table("x,yes\n1,no\n2,yes\n3,no\n", tmp_path)
    ds = build_dataset(t, DataSpec(target="yes", val_fraction=0))
    assert (ds.task, ds.classes, ds.n_outputs, ds.y_train.tolist()) == ("binary", ["no", "yes"], 1, [0, 1, 0])
    rows = "".join(f"{i},{[9, 10, 2][i % 3]}\n" for i in range(30))
    t = table("x,k\n" + rows, tmp_path)
    assert infer_task(t, "k") == "classification"
    ds = build_dataset(t, DataSpec(target="k", val_fraction=0))
    assert ds.classes == ["2", "9", "10"]
    assert ds.y_train[:3].tolist() == [1, 2, 0]


def test_infer_task():
    t = Table.from_frame(pd.DataFrame({"r": np.linspace(0, 1, 40), "c": [0, 1] * 20,
                                       "s": ["a", "b"] * 20, "few": [1.0, 2.0, 3.0, 4.0] * 10}))
    assert [infer_task(t, n) for n in "r c s few".split()] == [
        "regression", "classification", "classification", "classification"]


def test_stratified_split_keeps_class_proportions():
    y = ["a"] * 80 + ["b"] * 15 + ["c"] * 5
    t = Table.from_frame(pd.DataFrame({"x": np.arange(100.0), "y": y}))
    ds = build_dataset(t, DataSpec(target="y", val_fraction=0.2, seed=3))
    assert np.bincount(ds.y_val).tolist() == [16, 3, 1]
    assert np.bincount(ds.y_train).tolist() == [64, 12, 4]
    assert sorted(ds.index_train.tolist() + ds.index_val.tolist()) == list(range(100))
    other = build_dataset(t, DataSpec(target="y", val_fraction=0.2, seed=4))
    assert other.index_val.tolist() != ds.index_val.tolist()
    again = build_dataset(t, DataSpec(target="y", val_fraction=0.2, seed=3))
    assert again.index_val.tolist() == ds.index_val.tolist()


def test_random_split_is_seeded_and_partitions_the_rows():
    t = Table.from_frame(pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0) ** 2}))
    ds = build_dataset(t, DataSpec(target="y", val_fraction=0.3, seed=1))
    assert (ds.n_train, ds.n_val) == (35, 15)
    assert not set(ds.index_train) & set(ds.index_val)
    assert ds.index_val.tolist() != list(range(35, 50))


def test_chronological_split_holds_out_the_end():
    t = Table.from_frame(pd.DataFrame({"x": np.arange(20.0), "y": np.arange(20.0)}))
    ds = build_dataset(t, DataSpec(target="y", split="chronological", val_fraction=0.25))
    assert ds.index_val.tolist() == list(range(15, 20))
    assert ds.index_train.max() < ds.index_val.min()


def test_zero_val_fraction_gives_empty_two_dimensional_arrays():
    t = Table.from_frame(pd.DataFrame({"x": np.arange(10.0), "z": 1.0, "y": np.arange(10.0)}))
    ds = build_dataset(t, DataSpec(target="y", val_fraction=0))
    assert ds.X_val.shape == (0, 2) and ds.y_val.shape == (0, 1) and ds.n_train == 10
    assert ds.x_std[1] == 1.0        # a constant column is not divided by zero
    assert np.isfinite(ds.X_train).all()


def test_normalization_is_fitted_on_training_rows_only():
    x = np.arange(100.0)
    t = Table.from_frame(pd.DataFrame({"x": x, "y": 3 * x + 1}))
    ds = build_dataset(t, DataSpec(target="y", split="chronological", val_fraction=0.2))
    assert ds.X_train.dtype == np.float32            # standardized features: float32
    np.testing.assert_allclose(ds.X_train.mean(axis=0, dtype=np.float64), 0, atol=1e-6)
    np.testing.assert_allclose(ds.X_train.std(axis=0, dtype=np.float64), 1, rtol=1e-6)
    np.testing.assert_allclose(ds.y_train.mean(axis=0), 0, atol=1e-12)
    assert ds.x_mean.tolist() == [x[:80].mean()]
    assert ds.X_val.mean() > 1.5        # later rows lie beyond the training range
    np.testing.assert_allclose(ds.X_raw("val")[:, 0], x[80:], rtol=1e-6)
    np.testing.assert_allclose(ds.y_raw("val")[:, 0], 3 * x[80:] + 1)
    np.testing.assert_allclose(ds.transform_X(ds.X_raw("val")), ds.X_val, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ds.inverse_y(ds.y_val), 3 * x[80:, None] + 1)
    raw = build_dataset(t, DataSpec(target="y", normalize="none"))
    assert raw.x_mean.tolist() == [0.0] and raw.y_std.tolist() == [1.0]
    assert raw.X_train.dtype == np.float64           # raw features keep full precision
    assert set(raw.X_train[:, 0]) <= set(x)


def test_series_mode_on_seattle():
    t = read_csv(SEATTLE)
    assert t.n_rows == 1461
    ds = build_dataset(t, DataSpec(target="temp_max", series="temp_max", lags=7,
                                   time_column="date", split="chronological"))
    assert ds.n_train + ds.n_val == 1454
    assert ds.feature_names == [f"temp_max[t-{k}]" for k in range(7, 0, -1)]
    assert ds.task == "regression" and ds.y_train.shape == (ds.n_train, 1)
    temp = t.frame["temp_max"].to_numpy()
    X = np.vstack([ds.X_raw("train"), ds.X_raw("val")])
    rows = np.concatenate([ds.index_train, ds.index_val])
    assert rows.tolist() == list(range(7, 1461))
    for i in (0, 1, 500, 1453):
        np.testing.assert_allclose(X[i], temp[rows[i] - 7:rows[i]], rtol=1e-6)
    np.testing.assert_allclose(ds.y_raw("val")[:, 0], temp[ds.index_val])
    assert len(ds.time_values) == 1461 and ds.time_values[0] == "2012/01/01"
    assert ds.dropped == {}


def test_series_windows_with_gaps_are_dropped_and_counted():
    v = np.arange(20.0)
    v[10] = np.nan
    t = Table.from_frame(pd.DataFrame({"v": v}))
    ds = build_dataset(t, DataSpec(target="v", series="v", lags=3, val_fraction=0))
    # windows covering row 10 are the examples at t=11,12,13; t=10 has a missing target
    assert ds.dropped == {"missing target": 1, "window contains a missing value": 3}
    assert ds.n_train == 17 - 4


@pytest.mark.parametrize("lags, message", [
    (2000, r"lags K=2000 is larger than the series \(1461 values\); use at most 1458"),
    (0, "lags K=0 must be at least 1"),
])
def test_series_lags_out_of_range(lags, message):
    t = read_csv(SEATTLE)
    with pytest.raises(DataError, match=message):
        build_dataset(t, DataSpec(target="temp_max", series="temp_max", lags=lags))


def test_auto_mpg_drops_missing_targets_and_horsepower():
    ds = load_dataset(AUTO, DataSpec(target="Miles_per_Gallon",
                                     features=["Cylinders", "Displacement", "Horsepower",
                                               "Weight_in_lbs", "Acceleration"]))
    assert ds.n_rows_read == 406
    assert ds.dropped == {"missing target": 8, "missing value in Horsepower": 6}
    assert ds.n_train + ds.n_val == 392
    assert ds.task == "regression"
    text = ds.summary()
    assert "missing target: 8" in text and "missing value in Horsepower: 6" in text


def test_iris_is_multiclass():
    ds = load_dataset(IRIS, DataSpec(target="species"))
    assert ds.n_rows_read == 150 and ds.n_train + ds.n_val == 150
    assert ds.task == "multiclass" and ds.classes == ["setosa", "versicolor", "virginica"]
    assert np.bincount(ds.y_val).tolist() == [10, 10, 10]
    assert ds.feature_names[0] == "sepal length (cm)"
    assert "setosa 50 (40/10)" in ds.summary()


@pytest.mark.parametrize("spec, message", [
    (DataSpec(target="nope"), r"unknown column 'nope'; available: x, w, t, y"),
    (DataSpec(target="y", features=["x", "zz"]), "unknown column 'zz'"),
    (DataSpec(target="w", task="regression"), "target 'w' is text; choose task classification"),
    (DataSpec(target="t", task="classification"),
     r"target 't' is constant \(every value is 'same'\): there is nothing to predict"),
    (DataSpec(target="y", features=["y"]), "cannot also be a feature"),
    (DataSpec(target="y", features=["t"], time_column="t"), "cannot also be a feature"),
    (DataSpec(target="y", series="w"), "'w' is text"),
])
def test_bad_settings_for_a_table(spec, message):
    t = Table.from_frame(pd.DataFrame({"x": [1.0, 2, 3], "w": ["a", "b", "c"],
                                       "t": ["same"] * 3, "y": [1.0, 2, 3]}))
    with pytest.raises(DataError, match=message):
        build_dataset(t, spec)


def test_no_features_and_all_rows_dropped():
    only = Table.from_frame(pd.DataFrame({"y": [1.0, 2.0]}))
    with pytest.raises(DataError, match="no feature columns"):
        build_dataset(only, DataSpec(target="y"))
    gaps = Table.from_frame(pd.DataFrame({"x": [np.nan, 1.0], "y": [1.0, np.nan]}))
    with pytest.raises(DataError, match=r"all 2 dropped \(missing target: 1; missing value in x: 1\)"):
        build_dataset(gaps, DataSpec(target="y", features=["x"]))


def test_engine_data_does_not_import_qt():
    code = ("import sys; sys.modules['PySide6'] = None; import engine.data; "
            "assert not any(m.startswith('PySide6') for m in sys.modules if sys.modules[m])")
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


def test_file_without_header_reads_with_numbered_columns(tmp_path):
    p = tmp_path / "nohead.csv"
    p.write_text("1,2,3\n4,5,6\n7,8,9\n10,11,13\n")
    with pytest.raises(DataError, match="without a header"):
        read_csv(p)
    t = read_csv(p, header=False)
    assert list(t.frame.columns) == ["column 1", "column 2", "column 3"]
    assert t.n_rows == 4 and t.frame["column 3"].tolist() == [3, 6, 9, 13]
    preview = sniff_csv(p, header=False)
    assert preview["header"] == ["column 1", "column 2", "column 3"] and len(preview["rows"]) == 4
    ds = load_dataset(p, DataSpec(target="column 3", header=False, val_fraction=0))
    assert ds.n_train == 4 and ds.feature_names == ["column 1", "column 2"]


def test_ragged_row_without_header_names_its_line(tmp_path):
    p = tmp_path / "nohead.csv"
    p.write_text("1,2,3\n4,5\n7,8,9\n")
    with pytest.raises(DataError, match="line 2 has 2 fields"):
        read_csv(p, header=False)


def test_spec_keeps_delimiter_and_encoding_for_reloading(tmp_path):
    p = tmp_path / "old.csv"
    p.write_bytes("größe|ziel\n1,5|2\n2,5|4\n3,5|7\n".replace(",", ".").encode("latin-1"))
    spec = DataSpec(target="ziel", delimiter="|", encoding="latin-1", val_fraction=0)
    ds = load_dataset(p, DataSpec.from_dict(spec.to_dict()))
    assert ds.feature_names == ["größe"] and ds.n_train == 3
    with pytest.raises(DataError, match="unknown text encoding"):
        DataSpec(target="ziel", encoding="klingon")
    with pytest.raises(DataError, match="one character"):
        DataSpec(target="ziel", delimiter="||")


def test_features_built_in_blocks_match_a_direct_computation():
    """Many blocks, missing values, a one-hot column, a random split: X equals the
    table's own values, and the statistics are the training rows' own."""
    rng = np.random.default_rng(3)
    n = 20_000                                   # > 2 blocks of rows
    a = rng.normal(50, 10, n)
    a[rng.choice(n, 300, replace=False)] = np.nan
    b = rng.normal(-3, 0.01, n)
    c = rng.choice(["red", "green", "blue"], n)
    frame = pd.DataFrame({"a": a, "b": b, "c": c, "y": rng.normal(size=n)})
    ds = build_dataset(Table.from_frame(frame), DataSpec(target="y", seed=5, val_fraction=0.25))
    assert ds.X_train.base is ds.X_val.base is not None        # one array, two views
    assert ds.n_train + ds.n_val == n - 300
    for which, idx in (("train", ds.index_train), ("val", ds.index_val)):
        raw = ds.X_raw(which)
        np.testing.assert_allclose(raw[:, 0], a[idx], rtol=1e-6)
        np.testing.assert_allclose(raw[:, 1], b[idx], rtol=1e-6)
        onehot = np.stack([c[idx] == k for k in ds.onehot["c"]], axis=1)
        np.testing.assert_allclose(raw[:, 2:], onehot, atol=1e-6)
    np.testing.assert_allclose(ds.x_mean[:2], [a[ds.index_train].mean(), b[ds.index_train].mean()],
                               rtol=1e-12)
    np.testing.assert_allclose(ds.x_std[:2], [a[ds.index_train].std(), b[ds.index_train].std()],
                               rtol=1e-9)


def test_a_number_target_with_too_many_values_is_no_classification():
    table = read_csv(DATASETS / "auto_mpg.csv")
    with pytest.raises(DataError, match=r"has 12\d distinct values: too many classes.*choose task regression"):
        build_dataset(table, DataSpec(target="Miles_per_Gallon", task="classification"))


# ------------------------------------------------------------------ date columns

def test_auto_mpg_year_is_a_date_and_one_feature_by_default():
    """Year ("1970-01-01" …) was text: 12 one-hot features. Now one number, the decimal year."""
    t = read_csv(AUTO)
    year = t.column("Year")
    assert year.kind == "date" and year.date_format == "%Y-%m-%d" and year.missing == 0
    ds = build_dataset(t, DataSpec(target="Miles_per_Gallon"))
    assert not any(n.startswith("Year=") for n in ds.feature_names)
    assert ds.feature_names.count("Year (year)") == 1
    assert ds.n_features == 5 + 1 + 3                    # numbers, Year, Origin one-hot
    j = ds.feature_names.index("Year (year)")
    years = np.concatenate([ds.X_raw("train")[:, j], ds.X_raw("val")[:, j]])
    np.testing.assert_allclose(np.unique(np.round(years, 6)),
                               [1970, 1971, 1972, 1973, 1974, 1975, 1976, 1977, 1978, 1979, 1980, 1982])
    assert ds.date_features == ["Year"]
    assert "Year as a number (decimal year" in ds.summary()


def test_seattle_date_is_a_date_column_and_still_the_time_column():
    t = read_csv(SEATTLE)
    c = t.column("date")
    assert c.kind == "date" and c.n_unique == 1461 and c.date_format == "%Y/%m/%d"
    assert t.frame["date"].iloc[0] == "2012/01/01"       # the text stays for the plots
    assert t.dates["date"][0] == 2012.0 and 2015.99 < t.dates["date"][-1] < 2016
    ds = build_dataset(t, DataSpec(target="temp_max", series="temp_max", lags=7,
                                   time_column="date", split="chronological"))
    assert ds.time_values[0] == "2012/01/01" and ds.feature_names[0] == "temp_max[t-7]"
    plain = build_dataset(t, DataSpec(target="temp_max"))
    assert "date (year)" in plain.feature_names and "date" not in plain.skipped_columns
    j = plain.feature_names.index("date (year)")
    years = plain.X_raw("train")[:, j]                 # float32 inside, yet within seconds
    assert years.min() == pytest.approx(2012, abs=1e-6) and years.max() < 2016
    X = np.vstack([plain.X_raw("train"), plain.X_raw("val")])[:, j]
    rows = np.concatenate([plain.index_train, plain.index_val])
    np.testing.assert_allclose(X, t.dates["date"][rows], rtol=0, atol=1e-6)


def test_decimal_years():
    from engine.data import decimal_years
    got = decimal_years(pd.to_datetime(["1970-01-01", "2012-07-02", "2013-07-02 12:00", None],
                                       format="mixed"))
    assert got[0] == 1970.0
    assert got[1] == pytest.approx(2012 + 183 / 366)      # 2012 is a leap year: mid-year
    assert got[2] == pytest.approx(2013 + 182.5 / 365)
    assert np.isnan(got[3])


@pytest.mark.parametrize("target", ["date", "Year"])
def test_a_date_target_is_refused(tmp_path, target):
    t = table(f"{target},x\n2012-01-01,1\n2012-01-02,2\n2012-01-03,3\n", tmp_path)
    assert t.column(target).kind == "date"
    with pytest.raises(DataError, match=f"'{target}' is a date column; choose a number or text "
                                        "column as the target"):
        build_dataset(t, DataSpec(target=target))
    with pytest.raises(DataError, match="is a date column"):
        build_dataset(t, DataSpec(target=target, task="classification"))


def test_unparseable_date_cells_count_as_missing(tmp_path):
    days = [f"2012-01-{d:02d}" for d in range(1, 31)] + [f"2012-02-{d:02d}" for d in range(1, 29)]
    days += ["unknown", "2012-02-30", "NA"]               # not a date, no such day, missing
    lines = ["when,y"] + [f"{d},{i}" for i, d in enumerate(days)]
    t = table("\n".join(lines) + "\n", tmp_path)
    c = t.column("when")
    assert c.kind == "date" and c.missing == 3 and c.not_dates == 2
    assert np.isnan(t.dates["when"][-3:]).all()
    ds = build_dataset(t, DataSpec(target="y"))
    assert ds.feature_names == ["when (year)"]
    assert ds.dropped == {"missing value in when": 1, "not a date in when": 2}
    assert ds.n_train + ds.n_val == 58
    assert "not a date in when: 2" in ds.summary()


def test_text_that_is_mostly_not_dates_stays_text(tmp_path):
    rows = ["2012-01-01", "soon", "later", "never", "2012-01-02", "tomorrow"] * 5
    t = table("note,y\n" + "\n".join(f"{r},{i}" for i, r in enumerate(rows)) + "\n", tmp_path)
    assert t.column("note").kind == "text"
    for values in (["Jan", "Feb"], ["10:30", "11:45"], ["1.2.3", "2.0.1"], ["USA", "Japan"]):
        t = Table.from_frame(pd.DataFrame({"v": values * 3, "y": np.arange(6.0)}))
        assert t.column("v").kind == "text", values


@pytest.mark.parametrize("cells,fmt,first", [
    (["13/02/2012", "01/03/2012"], "%d/%m/%Y", 2012 + 43 / 366),     # a day above 12: day first
    (["02/13/2012", "03/01/2012"], "%m/%d/%Y", 2012 + 43 / 366),
    (["5 Mar 2012", "6 Mar 2012"], "%d %b %Y", 2012 + 64 / 366),
    (["2012-01-01 12:00:00", "2012-01-02 00:00:00"], "%Y-%m-%d %H:%M:%S", 2012 + 0.5 / 366),
])
def test_date_formats(cells, fmt, first):
    t = Table.from_frame(pd.DataFrame({"d": cells * 3, "y": np.arange(6.0)}))
    assert t.column("d").kind == "date" and t.column("d").date_format == fmt
    assert t.dates["d"][0] == pytest.approx(first)


def test_a_date_column_can_be_a_lagged_feature_but_not_the_series(tmp_path):
    t = read_csv(SEATTLE)
    ds = build_dataset(t, DataSpec(target="temp_max", series="temp_max", features=["date"], lags=3))
    assert ds.feature_names[3:] == ["date[t-3]", "date[t-2]", "date[t-1]"]
    assert ds.date_features == ["date"]
    with pytest.raises(DataError, match="'date' is date; lagged values need a number column"):
        build_dataset(t, DataSpec(target="temp_max", series="date", lags=3))


def test_numeric_columns_skip_the_date_check(tmp_path, monkeypatch):
    """A 200,000-row file of numbers never pays for date detection; a text column
    that is not dates costs a look at a sample only, never a parse of the column."""
    import engine.table as table
    parsed = []
    real = table._to_datetime
    monkeypatch.setattr(table, "_to_datetime", lambda s, f: parsed.append(len(s)) or real(s, f))
    rng = np.random.default_rng(0)
    n = 200_000
    path = tmp_path / "numbers.csv"
    pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd")).to_csv(path, index=False)
    t = read_csv(path)
    assert [c.kind for c in t.columns] == ["number"] * 4 and t.dates == {}
    assert parsed == []
    frame = pd.DataFrame({"x": rng.normal(size=n), "word": rng.choice(["red", "green"], n),
                          "id": [f"id{i}" for i in range(n)]})
    frame.to_csv(path, index=False)
    t = read_csv(path)
    assert [c.kind for c in t.columns] == ["number", "text", "text"]
    assert parsed == []                 # no format could even be guessed: no parse at all
    frame["when"] = pd.date_range("2000-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M")
    frame.to_csv(path, index=False)
    t = read_csv(path)
    assert t.column("when").kind == "date"
    assert max(parsed) == n and sum(k == n for k in parsed) == 1    # the date column, parsed once


def test_cli_uses_a_date_as_one_number_and_refuses_a_date_target(tmp_path, capsys):
    from engine.cli import main
    metrics = tmp_path / "m.json"
    code = main(["--csv", str(AUTO), "--target", "Miles_per_Gallon", "--hidden", "", "--epochs", "2",
                 "--metrics", str(metrics)])
    _, err = capsys.readouterr()
    assert code == 0, err
    code = main(["--csv", str(AUTO), "--target", "Year", "--hidden", "", "--epochs", "1"])
    _, err = capsys.readouterr()
    assert code != 0 and "'Year' is a date column; choose a number or text column as the target" in err
    assert "Traceback" not in err


def _huge_page_hint() -> bool:
    """NumPy's current "huge pages for big arrays" setting (read by setting it back)."""
    from numpy._core.multiarray import _set_madvise_hugepage
    before = _set_madvise_hugepage(False)
    _set_madvise_hugepage(before)
    return before


@pytest.mark.parametrize("hint", [True, False])
def test_builds_drop_the_huge_page_hint_while_they_run_and_restore_it(monkeypatch, hint):
    """Two builds overlapping on two threads: inside either the hint is off; after
    both it is what it was before, whichever finished first."""
    import threading

    import engine.data as data
    from numpy._core.multiarray import _set_madvise_hugepage
    seen, both_inside = [], threading.Barrier(2, timeout=30)
    real = data._assemble

    def assemble(*args, **kw):
        both_inside.wait()                  # both builds are inside at once
        seen.append(_huge_page_hint())
        return real(*args, **kw)

    monkeypatch.setattr(data, "_assemble", assemble)
    frame = pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0) % 7})
    before = _set_madvise_hugepage(hint)
    try:
        threads = [threading.Thread(target=build_dataset,
                                    args=(Table.from_frame(frame), DataSpec(target="y", task="regression")))
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert seen == [False, False]
        assert _huge_page_hint() is hint
    finally:
        _set_madvise_hugepage(before)
