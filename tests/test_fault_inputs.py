"""Bad inputs from the fault hunt (issue 10 items 9–13): each gets a clear message or is read as a
person means it, never an internal error, a traceback or a silently different model."""
import os

import numpy as np
import pandas as pd
import pytest

from engine.cli import main
from engine.data import DataError, DataSpec, build_dataset, load_dataset, read_csv, sniff_csv
from engine.table import type_rows

ROWS = [f"{i},{2 * i + 1}" for i in range(60)]


def write(tmp_path, text, name="data.csv", **kw):
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        with open(p, "w", newline="", **kw) as f:
            f.write(text)
    return p


def with_cell(row: int, text: str, column: int = 1) -> str:
    rows = [r.split(",") for r in ROWS]
    rows[row][column] = text
    return "x,y\n" + "".join(",".join(r) + "\n" for r in rows)


def cli(capsys, *args):
    code = main([str(a) for a in args] + ["--hidden", "", "--epochs", "1"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err and "RuntimeWarning" not in err
    return code, err


# -- 9: clear messages (exit 2), or simply read -------------------------------------------------------
def test_cr_only_line_endings_are_read(tmp_path, capsys):
    p = write(tmp_path, ("x,y\n" + "\n".join(ROWS) + "\n").replace("\n", "\r"))
    t = read_csv(p)
    assert t.names == ["x", "y"] and t.n_rows == 60 and t.frame["y"].iloc[59] == 119
    assert sniff_csv(p)["rows"][0] == ["0", "1"]
    code, err = cli(capsys, "--csv", p, "--target", "y")
    assert code == 0, err


def test_one_huge_line_is_a_clear_error(tmp_path, capsys):
    p = write(tmp_path, "x,y" + "1" * (1 << 18))          # no line end: one 256 KB field
    code, err = cli(capsys, "--csv", p, "--target", "y")
    assert code == 2 and "longer than 131,072 characters" in err


@pytest.mark.parametrize("digits", [400, 5000])
def test_a_number_beyond_float64_is_infinite_not_text(tmp_path, capsys, digits):
    """A 400-digit integer made pandas raise OverflowError; a 5,000-digit one made the column text
    (so a regression target became 60 classes). Both read as +inf: the row is dropped, and says why."""
    p = write(tmp_path, with_cell(7, "9" * digits))
    t = read_csv(p)
    assert t.column("y").kind == "number" and np.isinf(t.frame["y"].iloc[7])
    ds = load_dataset(p, DataSpec.from_dict({"target": "y"}))
    assert ds.task == "regression" and ds.dropped == {"infinite target": 1}
    code, err = cli(capsys, "--csv", p, "--target", "y")
    assert code == 0 and "infinite target: 1" in err


@pytest.mark.parametrize("codec", ["rot13", "hex", "base64", "zlib", "bz2", "uu"])
def test_codecs_that_are_not_text_encodings(tmp_path, capsys, codec):
    p = write(tmp_path, with_cell(7, "15"))
    code, err = cli(capsys, "--csv", p, "--target", "y", "--encoding", codec)
    assert code == 2 and f"'{codec}' is not a text encoding" in err
    with pytest.raises(DataError, match="not a text encoding"):
        DataSpec.from_dict({"target": "y", "encoding": codec})


def test_memory_error_is_a_clear_message(tmp_path, capsys, monkeypatch):
    import engine.cli as cli_module

    def no_memory(*a, **k):
        raise MemoryError()
    monkeypatch.setattr(cli_module, "Trainer", no_memory)
    p = write(tmp_path, with_cell(7, "15"))
    code, err = cli(capsys, "--csv", p, "--target", "y")
    assert code == 2 and "not enough memory" in err


# -- 10: one odd cell never changes a column's type; one binary rule --------------------------------------
@pytest.mark.parametrize("cell,reason", [("-nan", "missing target"), ("nan(ind)", "missing target"),
                                         ("-nan(ind)", "missing target"), ("1.#IND", "missing target"),
                                         ("1.#INF", "infinite target"), ("-1.#INF", "infinite target")])
def test_nan_and_inf_spellings_keep_a_number_target(tmp_path, capsys, cell, reason):
    p = write(tmp_path, with_cell(7, cell))
    header, rows = ["x", "y"], [r.split(",") for r in with_cell(7, cell).splitlines()[1:]]
    assert type_rows(header, rows)[1].kind == "number"          # the import preview agrees
    ds = load_dataset(p, DataSpec.from_dict({"target": "y"}))
    assert ds.task == "regression" and ds.dropped == {reason: 1}
    code, err = cli(capsys, "--csv", p, "--target", "y")
    assert code == 0 and f"{reason}: 1" in err


@pytest.mark.parametrize("cell", ["-nan", "1.#INF", "nan(ind)"])
def test_nan_and_inf_spellings_keep_a_number_feature(tmp_path, cell):
    p = write(tmp_path, with_cell(7, cell, column=0))
    ds = load_dataset(p, DataSpec.from_dict({"target": "y"}))
    assert ds.feature_names == ["x"] and sum(ds.dropped.values()) == 1


def test_the_placeholder_spelling_is_named(tmp_path, capsys):
    p = write(tmp_path, with_cell(7, "nan(ind)"))
    code, err = cli(capsys, "--csv", p, "--target", "y")
    assert code == 0 and "'nan(ind)' read as missing in y (1 cell)" in err


def test_a_nul_byte_anywhere_makes_the_file_binary_for_window_and_cli(tmp_path, capsys):
    """A NUL after line 21 trained a model from the CLI (which looked at 20 lines) while the
    window (50 lines) called the file binary. One rule now: the first look reads the same bytes
    whatever the lines asked, and the full read refuses a NUL anywhere."""
    lines = ["x,y"] + [f"{i},{i % 3}" for i in range(40)]
    lines[25] = "25,\x001"
    near = write(tmp_path, "\n".join(lines) + "\n", "near.csv")
    for n_lines in (20, 50):
        with pytest.raises(DataError, match="binary file"):
            sniff_csv(near, n_lines=n_lines)
    code, err = cli(capsys, "--csv", near, "--target", "y")
    assert code == 2 and "binary file" in err
    far = write(tmp_path, "x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(40_000)) + "1,\x002\n", "far.csv")
    sniff_csv(far)                                              # the first 64 KB are text
    with pytest.raises(DataError, match="binary file"):
        read_csv(far)


# -- 11: duplicate column names ---------------------------------------------------------------------
def test_duplicate_column_names_are_refused_not_leaked(tmp_path, capsys):
    p = write(tmp_path, "x,y,y\n" + "".join(f"{i},{2 * i},{2 * i}\n" for i in range(40)))
    code, err = cli(capsys, "--csv", p, "--target", "y")
    assert code == 2 and "columns 2 and 3 are both named 'y'" in err
    with pytest.raises(DataError, match="both named 'y'"):
        sniff_csv(p)                                            # the import view says the same


# -- 12: constancy relative to the column's scale -----------------------------------------------------
def test_a_tiny_scaled_feature_is_not_constant(tmp_path):
    rng = np.random.default_rng(0)
    x = 1e-13 + 1e-14 * rng.normal(size=200)
    p = tmp_path / "tiny.csv"
    pd.DataFrame({"x": x, "y": 3e13 * x + 0.01 * rng.normal(size=200)}).to_csv(p, index=False)
    ds = load_dataset(p, DataSpec.from_dict({"target": "y"}))
    assert ds.x_std[0] == pytest.approx(np.std(x[ds.index_train]), rel=1e-6)
    assert 0.5 < ds.X_train.std() < 2                        # standardized, not left at 1e-14
    const = write(tmp_path, "x,y\n" + "".join(f"0.1,{i}\n" for i in range(40)), "const.csv")
    assert load_dataset(const, DataSpec.from_dict({"target": "y"})).x_std[0] == 1.0   # still constant


# -- 13: the true reason ---------------------------------------------------------------------------------
@pytest.mark.parametrize("column,what", [(1, "target 'y'"), (0, "feature 'x'")])
def test_values_beyond_float32_are_named_not_diverged(tmp_path, capsys, column, what):
    p = write(tmp_path, with_cell(7, "1e308", column))
    code, err = cli(capsys, "--csv", p, "--target", "y", "--lr", "1e-12")
    assert code == 2 and f"{what} has values too large to train with" in err
    assert "diverged" not in err and "learning rate" not in err


def test_utf16_is_read_with_its_encoding(tmp_path, capsys):
    p = write(tmp_path, "x,y\n" + "\n".join(ROWS) + "\n", encoding="utf-16")
    code, err = cli(capsys, "--csv", p, "--target", "y")
    assert code == 2 and "UTF-16" in err and "--encoding utf-16" in err       # the hint …
    code, err = cli(capsys, "--csv", p, "--target", "y", "--encoding", "utf-16")
    assert code == 0, err                                                    # … works
    t = read_csv(p, encoding="utf-16")
    assert t.names == ["x", "y"] and t.frame["y"].tolist()[:3] == [1, 3, 5]


def test_infinite_target_is_not_called_missing(tmp_path):
    p = write(tmp_path, with_cell(7, "inf"))
    ds = load_dataset(p, DataSpec.from_dict({"target": "y"}))
    assert ds.dropped == {"infinite target": 1}


def test_build_dataset_with_huge_values_warns_nothing(tmp_path):
    p = write(tmp_path, with_cell(7, "1e308", 0))
    with np.errstate(all="raise"):          # an overflow outside the judged part would raise here
        with pytest.raises(DataError, match="too large"):
            build_dataset(read_csv(p), DataSpec.from_dict({"target": "y"}))


# -- 8: every field of a project is checked on load; one message names it ---------------------------------
@pytest.mark.parametrize("damage,named", [
    (lambda d: d["history"].update(update_loss=["0.5"]), "'history.update_loss'"),
    (lambda d: d["history"].update(trajectory=[[1, "a"]]), "'history.trajectory'"),
    (lambda d: d["history"]["epochs"][0].update(epoch=-1), "'history.epochs[0].epoch'"),
    (lambda d: d["history"].update(track="w"), "'history.track'"),
    (lambda d: d["data_spec"].update(encoding="rot13"), "'rot13' is not a text encoding"),
    (lambda d: d["data_spec"].update(lags="seven"), "data_spec"),
])
def test_a_damaged_project_is_refused_naming_the_field(tmp_path, capsys, damage, named):
    import json

    from engine.project import ProjectError, load_project
    data = write(tmp_path, "x,y\n" + "\n".join(ROWS) + "\n")
    proj = tmp_path / "p.ncproj"
    assert main(["--csv", str(data), "--target", "y", "--hidden", "", "--epochs", "1", "--quiet",
                 "--save-project", str(proj)]) == 0
    doc = json.loads(proj.read_text())
    damage(doc)
    proj.write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_project(proj)
    capsys.readouterr()
    code = main(["--project", str(proj), "--epochs", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and named in err


# -- 14: a project cannot make the program read (and show) any file ---------------------------------------
def project_with_data(tmp_path, data_path: str):
    """A project in tmp_path/proj whose data path is ``data_path`` (as a damaged or hostile file says)."""
    import json
    folder = tmp_path / "proj"
    folder.mkdir(exist_ok=True)
    data = write(folder, "x,y\n" + "\n".join(ROWS) + "\n", "own.csv")
    proj = folder / "p.ncproj"
    assert main(["--csv", str(data), "--target", "y", "--hidden", "", "--epochs", "1", "--quiet",
                 "--save-project", str(proj)]) == 0
    doc = json.loads(proj.read_text())
    doc["data_path"], doc["data_path_absolute"] = data_path, None
    proj.write_text(json.dumps(doc))
    return proj


def test_data_outside_the_projects_folder_is_recognized(tmp_path):
    from engine.project import DATA_FOLDERS, data_outside
    proj = str(tmp_path / "a" / "p.ncproj")
    assert not data_outside(proj, str(tmp_path / "a" / "d.csv"))
    assert not data_outside(proj, str(tmp_path / "a" / "sub" / "d.csv"))
    assert data_outside(proj, str(tmp_path / "a" / ".." / "b" / "d.csv"))
    assert data_outside(proj, "/etc/shadow")
    assert not data_outside(proj, os.path.join(DATA_FOLDERS[0], "iris.csv"))     # the examples' data
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "link.csv").symlink_to("/etc/passwd")
    assert data_outside(proj, str(tmp_path / "a" / "link.csv"))


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../../../etc/passwd"])
def test_the_cli_needs_consent_for_outside_data_and_never_echoes_it(tmp_path, capsys, target):
    proj = project_with_data(tmp_path, target)
    capsys.readouterr()
    code = main(["--project", str(proj), "--epochs", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "--allow-outside-data" in err and "root:" not in err
    code = main(["--project", str(proj), "--epochs", "1", "--quiet", "--allow-outside-data"])
    err = capsys.readouterr().err
    assert code == 2 and "root:" not in err and "single column" in err       # read, but not shown


def test_outside_data_is_read_with_consent(tmp_path, capsys):
    elsewhere = write(tmp_path, "x,y\n" + "\n".join(ROWS) + "\n", "elsewhere.csv")
    proj = project_with_data(tmp_path, "../elsewhere.csv")
    assert main(["--project", str(proj), "--epochs", "1", "--quiet"]) == 2
    assert main(["--project", str(proj), "--epochs", "1", "--quiet", "--allow-outside-data"]) == 0
    assert main(["--project", str(proj), "--epochs", "1", "--quiet", "--csv", str(elsewhere)]) == 0
