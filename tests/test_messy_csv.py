"""Messy CSV files as people have them: "?" for a missing number, rows with the
wrong number of fields, too few rows for the settings, a constant target."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data import DataError, DataSpec, Table, build_dataset, load_dataset, max_lags, min_examples
from engine.table import RaggedRowsError, is_placeholder, read_csv

SEATTLE = "resources/datasets/seattle_weather.csv"


def write(tmp_path, text: str, name: str = "f.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------- placeholders

@pytest.mark.parametrize("cell", ["?", "-", "--", ".", "*", "***", "—", "na", "NA", "n.a.", "N.A.",
                                  "missing", "Missing", "unknown", "#N/A", "#VALUE!", "null", "nil"])
def test_placeholder_spellings(cell):
    assert is_placeholder(cell) and is_placeholder(f"  {cell} ")


@pytest.mark.parametrize("cell", ["", "a", "yes", "1", "-1", "1.5", "x?", "n", "none of them", "_"])
def test_not_placeholders(cell):
    assert not is_placeholder(cell)


def test_question_marks_in_a_number_column_are_missing_and_said(tmp_path):
    p = write(tmp_path, "a,b,c,t\n?,16,-,0.5\n9,24,39,0.4\n38, ? ,39,0.1\n31,17,--,0.2\n46,31,35,0.8\n")
    t = read_csv(p)
    kinds = {c.name: (c.kind, c.missing, c.placeholders) for c in t.columns}
    assert kinds == {"a": ("number", 1, {"?": 1}), "b": ("number", 1, {"?": 1}),
                     "c": ("number", 2, {"-": 1, "--": 1}), "t": ("number", 0, {})}
    assert np.isnan(t.frame["a"][0]) and t.frame["a"][1] == 9.0
    assert t.placeholder_note() == ("'?' read as missing in a (1 cell), b (1 cell); "
                                    "'-' read as missing in c (1 cell); '--' read as missing in c (1 cell)")
    ds = build_dataset(t, DataSpec(target="t", val_fraction=0))
    assert ds.feature_names == ["a", "b", "c"]           # no one-hot: numbers
    assert ds.placeholders == {"a": {"?": 1}, "b": {"?": 1}, "c": {"-": 1, "--": 1}}
    assert "\n'?' read as missing in a (1 cell), b (1 cell); " in ds.summary()


def test_the_play_files_with_question_marks(tmp_path):
    """The playtest's files: qmark.csv's a and c were 33 and 35 one-hot inputs; messy2.csv's
    area was set to ignore."""
    rows = "".join(f"{'?' if i % 9 == 0 else i},{i % 7},{'-' if i % 10 == 3 else 40 - i % 13},{i / 60:.3f}\n"
                   for i in range(60))
    t = read_csv(write(tmp_path, "a,b,c,t\n" + rows))
    ds = build_dataset(t, DataSpec(target="t"))
    assert ds.n_features == 3 and not ds.onehot
    assert t.column("a").placeholders == {"?": 7} and t.column("c").placeholders == {"-": 6}


def test_a_column_with_words_stays_text(tmp_path):
    p = write(tmp_path, "a,b,t\n1,x,1\n?,y,2\n3,?,3\n4,z,4\nhigh,x,5\n")
    t = read_csv(p)
    assert t.column("a").kind == "text" and t.column("a").placeholders == {}
    assert t.column("b").kind == "text"                  # "?" stays one of b's categories
    assert t.placeholder_note() == ""


def test_only_placeholders_is_not_a_number_column(tmp_path):
    t = read_csv(write(tmp_path, "a,t\n?,1\n-,2\n?,3\n"))
    assert t.column("a").kind == "text"


def test_placeholders_with_a_decimal_comma_and_thousands(tmp_path):
    t = read_csv(write(tmp_path, "a;b;t\n1,5;?;1\n?;2;2\n2,5;3;3\n"))
    assert t.column("a").kind == "number" and t.frame["a"].tolist()[0::2] == [1.5, 2.5]
    assert t.column("a").placeholders == {"?": 1} and t.column("b").placeholders == {"?": 1}
    t = read_csv(write(tmp_path, 'p,t\n"1,234",1\n?,2\n"12,000",3\n', "g.csv"))
    assert t.column("p").kind == "number" and t.frame["p"][2] == 12000.0
    assert t.column("p").placeholders == {"?": 1}


def test_from_frame_reads_placeholders_too():
    t = Table.from_frame(pd.DataFrame({"a": ["1", "?", "3"], "t": [1.0, 2, 3]}))
    assert t.column("a").kind == "number" and t.column("a").placeholders == {"?": 1}


def test_all_number_files_pay_nothing_for_placeholders(tmp_path, monkeypatch):
    import engine.table as table
    calls = []
    monkeypatch.setattr(table, "_without_placeholders", lambda *a: calls.append(a))
    read_csv(write(tmp_path, "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(100))))
    assert calls == []


# --------------------------------------------------------------------------- ragged rows

RAGGED = "x,y,z\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n13,14,15\n"


def test_a_ragged_file_names_its_first_bad_line(tmp_path):
    with pytest.raises(RaggedRowsError, match="line 3 has 2 fields but the header has 3") as e:
        read_csv(write(tmp_path, RAGGED))
    assert (e.value.line, e.value.fields, e.value.expected) == (3, 2, 3)


def test_skipping_bad_lines_keeps_them_as_empty_rows_and_counts_them(tmp_path):
    t = read_csv(write(tmp_path, RAGGED), skip_bad_lines=True)
    assert t.n_rows == 5
    assert t.bad_rows.tolist() == [1, 2] and t.bad_lines.tolist() == [3, 4]
    assert t.frame.iloc[[1, 2]].isna().all().all()
    assert t.frame["x"].tolist()[3:] == [10.0, 13.0]
    assert t.frame["x"][0] == 1 and t.frame["z"][4] == 15
    ds = build_dataset(t, DataSpec(target="z", val_fraction=0))
    assert ds.dropped == {"wrong number of fields (lines 3, 4)": 2}
    assert ds.n_train == 3 and ds.bad_lines == [3, 4]
    assert ds.index_train.tolist() == [0, 3, 4]


def test_a_first_data_row_with_an_extra_field_is_skipped_not_an_index(tmp_path):
    t = read_csv(write(tmp_path, "x,y,z\n6,7,8,9\n1,2,3\n4,5,6\n"), skip_bad_lines=True)
    assert t.bad_lines.tolist() == [2]
    assert t.frame["x"].tolist()[1:] == [1.0, 4.0]


def test_skipped_lines_count_quoted_newlines_and_blank_lines(tmp_path):
    text = 'x,note,z\n1,"a\nb",3\n\n6,7,8,9\n4,"c",6\n7,8\n9,"p\nq",1,2\n10,11,12\n'
    t = read_csv(write(tmp_path, text), skip_bad_lines=True)
    assert t.bad_lines.tolist() == [5, 7, 8]
    assert t.bad_rows.tolist() == [1, 3, 4]
    assert t.frame["note"][0] == "a\nb" and t.frame["z"].tolist()[5] == 12.0


def test_many_bad_lines_show_the_first_five(tmp_path):
    rows = "".join("1,2\n" if i % 3 == 0 else f"1,2,{i}\n" for i in range(30))
    ds = load_dataset(write(tmp_path, "x,y,z\n" + rows), DataSpec(target="z", skip_bad_lines=True))
    assert ds.dropped == {"wrong number of fields (lines 2, 5, 8, 11, 14, …)": 10}


def test_every_row_bad_says_check_the_delimiter(tmp_path):
    with pytest.raises(DataError, match="every data row .* check the delimiter"):
        read_csv(write(tmp_path, "x,y\n1,2,3\n4,5,6\n"), skip_bad_lines=True)


def test_a_clean_file_reads_the_same_with_skipping_on(tmp_path):
    p = write(tmp_path, "x,y\n1,2\n3,4\n")
    a, b = read_csv(p), read_csv(p, skip_bad_lines=True)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert len(b.bad_rows) == 0


def test_in_series_mode_a_skipped_row_keeps_the_spacing(tmp_path):
    rows = [f"{i},{i % 3}\n" for i in range(20)]
    rows[10] = "10,1,99\n"                   # line 12
    t = read_csv(write(tmp_path, "v,w\n" + "".join(rows)), skip_bad_lines=True)
    assert t.n_rows == 20 and t.bad_lines.tolist() == [12]
    ds = build_dataset(t, DataSpec(target="v", series="v", lags=3, val_fraction=0, normalize="none"))
    # examples t = 10 (target) and t = 11, 12, 13 (window) touch row 10
    assert ds.dropped == {"wrong number of fields (line 12)": 4}
    assert ds.index_train.tolist() == [3, 4, 5, 6, 7, 8, 9, 14, 15, 16, 17, 18, 19]
    X = ds.X_raw()
    assert np.array_equal(X[-1], [16, 17, 18])        # no window spans the gap


def test_skip_bad_lines_is_a_data_setting():
    spec = DataSpec(target="y", skip_bad_lines=True)
    assert DataSpec.from_dict(spec.to_dict()).skip_bad_lines is True
    assert DataSpec.from_dict({"target": "y"}).skip_bad_lines is False      # older projects
    with pytest.raises(DataError, match="skip_bad_lines must be true or false"):
        DataSpec(target="y", skip_bad_lines="yes")


# --------------------------------------------------------------------------- too few examples

@pytest.mark.parametrize("fraction, n", [(0.0, 2), (0.2, 3), (0.5, 4), (0.9, 20)])
def test_min_examples(fraction, n):
    assert min_examples(fraction) == n


def test_lags_that_leave_one_window_are_refused_with_a_k_that_works():
    t = read_csv(SEATTLE)
    spec = DataSpec(target="temp_max", series="temp_max", lags=1460, split="chronological")
    with pytest.raises(DataError, match=r"lags K=1460 leave 1 example \(1,461 values − 1,460\); with 20 % "
                                        r"validation at least 3 are needed .*: use K at most 1458"):
        build_dataset(t, spec)
    ds = build_dataset(t, DataSpec.from_dict(dict(spec.to_dict(), lags=1458)))
    assert (ds.n_train, ds.n_val) == (2, 1)
    assert max_lags(t, DataSpec.from_dict(dict(spec.to_dict(), val_fraction=0.0))) == 1459


def test_the_largest_k_counts_windows_with_gaps():
    a = np.arange(30.0)
    a[[5, 20]] = np.nan
    t = Table.from_frame(pd.DataFrame({"v": a}))
    spec = DataSpec(target="v", series="v", lags=3, val_fraction=0.2)
    best = max_lags(t, spec)
    build_dataset(t, DataSpec.from_dict(dict(spec.to_dict(), lags=best)))
    with pytest.raises(DataError, match=f"use K at most {best}"):
        build_dataset(t, DataSpec.from_dict(dict(spec.to_dict(), lags=best + 1)))


def test_few_rows_say_what_to_change():
    t = Table.from_frame(pd.DataFrame({"x": [1.0, 2, 3], "y": [1.0, 2, 4]}))
    with pytest.raises(DataError, match=r"only 3 examples left \(3 rows read\); with 50 % validation at least "
                                        r"4 are needed .*: set validation to 33 % or less"):
        build_dataset(t, DataSpec(target="y", val_fraction=0.5))
    assert build_dataset(t, DataSpec(target="y", val_fraction=0.33)).n_train == 2
    t = Table.from_frame(pd.DataFrame({"x": [1.0, 2, np.nan], "y": [1.0, 2, 4]}))
    with pytest.raises(DataError, match=r"only 2 examples left \(3 rows read, 1 dropped: missing value in x: 1\)"
                                        r".*set validation to 0 %"):
        build_dataset(t, DataSpec(target="y"))
    t = Table.from_frame(pd.DataFrame({"x": [1.0], "y": [1.0]}))
    with pytest.raises(DataError, match=r"only 1 example left \(1 row read\); at least 2 are needed to train"):
        build_dataset(t, DataSpec(target="y", val_fraction=0))


# --------------------------------------------------------------------------- constant target

@pytest.mark.parametrize("task", ["auto", "regression", "classification"])
def test_a_constant_target_has_nothing_to_predict(task):
    t = Table.from_frame(pd.DataFrame({"x": np.arange(40.0), "y": np.full(40, 5.0)}))
    with pytest.raises(DataError, match=r"target 'y' is constant \(every value is 5\): there is nothing to predict"):
        build_dataset(t, DataSpec(target="y", task=task))


def test_a_target_constant_only_after_dropping_is_constant_too():
    t = Table.from_frame(pd.DataFrame({"x": [1.0, 2, 3, np.nan], "y": ["a", "a", "a", "b"]}))
    with pytest.raises(DataError, match=r"every value is 'a'"):
        build_dataset(t, DataSpec(target="y", val_fraction=0))
