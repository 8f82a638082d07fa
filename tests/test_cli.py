"""The headless `train` command: scores on real data, exports, and one-line errors."""
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import DATASETS, ROOT
from engine.cli import main, parse_hidden, UsageError

SEATTLE = str(DATASETS / "seattle_weather.csv")
IRIS = str(DATASETS / "iris.csv")
AUTO = str(DATASETS / "auto_mpg.csv")
AUTO_FEATURES = "Cylinders,Displacement,Horsepower,Weight_in_lbs,Acceleration"


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert lines[-1].startswith("netcanvas train: error: ")
    return lines[-1]


def test_parse_hidden():
    assert parse_hidden("") == []
    assert parse_hidden("32:sigmoid, 16:relu") == [(32, "sigmoid"), (16, "relu")]
    assert parse_hidden("8:linear") == [(8, "identity")]
    with pytest.raises(UsageError, match="unknown activation 'swish'"):
        parse_hidden("8:swish")
    with pytest.raises(UsageError, match="outside"):
        parse_hidden("0:relu")


def test_linear_model_on_seattle_matches_reference(capsys, tmp_path):
    """The lecture's y = b + Σ wⱼ·xⱼ over the previous 7 days: the README's reference is R² 0.848, MAE 2.30."""
    metrics = tmp_path / "m.json"
    code, out, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--lags", "7", "--hidden", "",
                         "--epochs", "40", "--batch-size", "16", "--lr", "0.01", "--metrics", str(metrics))
    assert code == 0, err
    m = json.loads(metrics.read_text())
    for key in ("train_loss", "val_loss", "epochs", "updates", "seconds", "val_r2", "val_mae"):
        assert key in m
    assert m["epochs"] == 40
    assert m["updates"] == 40 * int(np.ceil(1163 / 16))
    assert 0.83 <= m["val_r2"] <= 0.87
    assert 2.1 <= m["val_mae"] <= 2.5
    assert "epoch 40/40" in err          # progress on stderr
    assert json.loads(out)["val_r2"] == pytest.approx(m["val_r2"])


@pytest.mark.slow
def test_mlp_on_auto_mpg_is_sensible(capsys, tmp_path):
    metrics = tmp_path / "m.json"
    code, _, err = run(capsys, "--csv", AUTO, "--target", "Miles_per_Gallon", "--features", AUTO_FEATURES,
                       "--hidden", "32:relu", "--optimizer", "adam", "--lr", "0.01", "--epochs", "100",
                       "--metrics", str(metrics))
    assert code == 0, err
    assert "dropped" in err             # 8 missing targets and 6 missing Horsepower are reported
    m = json.loads(metrics.read_text())
    assert m["val_r2"] > 0.6            # linear reference 0.694, MLP 0.73–0.76
    assert m["val_mae"] < 4.0


@pytest.mark.slow
def test_classifier_on_iris(capsys, tmp_path):
    metrics = tmp_path / "m.json"
    code, _, err = run(capsys, "--csv", IRIS, "--target", "species", "--hidden", "16:tanh",
                       "--optimizer", "adam", "--lr", "0.01", "--epochs", "150", "--metrics", str(metrics))
    assert code == 0, err
    m = json.loads(metrics.read_text())
    assert m["val_accuracy"] >= 0.9
    assert "val_r2" not in m


def test_exports_agree_with_engine(capsys, tmp_path):
    onnx_path, npz_path = tmp_path / "m.onnx", tmp_path / "m.npz"
    code, _, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "8:sigmoid",
                       "--epochs", "3", "--export", str(onnx_path))
    assert code == 0, err
    assert "onnxruntime agrees" in err
    code, _, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "8:sigmoid",
                       "--epochs", "3", "--export", str(npz_path))
    assert code == 0, err
    import onnxruntime as ort
    from engine.export import engine_predict
    from engine.export_npz import load_npz
    from engine.data import DataSpec, load_dataset
    model, pre = load_npz(npz_path)
    ds = load_dataset(SEATTLE, DataSpec(target="temp_max", series="temp_max", split="chronological"))
    X = ds.X_raw("val").astype(np.float32)
    sess = ort.InferenceSession(str(onnx_path))
    onnx_pred = sess.run(None, {sess.get_inputs()[0].name: X})[0]
    # same seed and settings: both runs trained the same weights
    np.testing.assert_allclose(onnx_pred, engine_predict(model, pre, X), rtol=1e-5, atol=1e-4)
    assert 0 < onnx_pred.mean() < 30    # in °C, not standardized units


def test_project_round_trip_through_cli(capsys, tmp_path):
    proj = tmp_path / "p.ncproj"
    code, out1, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "4:relu",
                          "--epochs", "2", "--save-project", str(proj))
    assert code == 0, err
    code, out2, err = run(capsys, "--project", str(proj))
    assert code == 0, err
    assert json.loads(out1) == {**json.loads(out2), "seconds": json.loads(out1)["seconds"]}
    code, out3, err = run(capsys, "--project", str(proj), "--epochs", "1")
    assert code == 0 and json.loads(out3)["epochs"] == 1


@pytest.mark.parametrize("args, message", [
    (["--csv", "missing.csv", "--target", "y"], "not found"),
    (["--csv", IRIS, "--target", "nope"], "unknown column 'nope'"),
    (["--csv", IRIS, "--target", "species", "--task", "regression"], "is text"),
    (["--csv", SEATTLE, "--series", "temp_max", "--lags", "5000"], "larger than the series"),
    (["--csv", IRIS, "--target", "species", "--hidden", "8:swish"], "unknown activation"),
    (["--csv", IRIS, "--target", "species", "--loss", "mse"], "does not fit"),
    (["--csv", IRIS, "--target", "species", "--lr", "-1"], "learning rate"),
    (["--target", "x"], "--csv"),
    (["--csv", IRIS, "--target", "species", "--export", "x.txt", "--epochs", "1"], ".onnx or .npz"),
])
def test_bad_input_gets_one_clear_line(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in one_error_line(err)


@pytest.mark.parametrize("flag", ["--metrics", "--export", "--save-project"])
def test_an_unwritable_output_is_refused_before_training(capsys, tmp_path, flag):
    """Was: the whole run trained first, then failed with "No such file or directory:
    …/.tmp-aqwbrhw0.json" (a temporary name the person never gave)."""
    name = {"--metrics": "m.json", "--export": "m.onnx", "--save-project": "p.ncproj"}[flag]
    target = tmp_path / "no such folder" / name
    code, out, err = run(capsys, "--csv", IRIS, "--target", "species", "--epochs", "1", flag, str(target))
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert f"cannot write {target}" in line and "does not exist" in line and ".tmp-" not in line
    assert "epoch" not in err and "iris.csv:" not in err       # refused before any work
    folder = tmp_path / ("f.onnx" if flag == "--export" else "f")
    folder.mkdir()
    code, _, err = run(capsys, "--csv", IRIS, "--target", "species", "--epochs", "1", flag, str(folder))
    assert code == 2 and "is a folder" in one_error_line(err)


def test_a_latin1_file_names_the_encoding_flag(capsys, tmp_path):
    csv = tmp_path / "fr.csv"
    csv.write_bytes("Région,x,y\nÎle,1,2\nÎle,2,4\nRhône,3,6\nRhône,4,8\n".encode("latin-1"))
    code, _, err = run(capsys, "--csv", str(csv), "--target", "y", "--epochs", "1")
    assert code == 2 and "--encoding latin-1" in one_error_line(err)
    code, _, err = run(capsys, "--csv", str(csv), "--target", "y", "--epochs", "1", "--encoding", "latin-1")
    assert code == 0, err


def test_non_numeric_feature_is_refused(capsys, tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,y\n1,2,3\n4,x,5\n6,7,8\n")
    code, _, err = run(capsys, "--csv", str(csv), "--target", "y", "--series", "b", "--lags", "1")
    assert code == 2
    assert "'b'" in one_error_line(err)


def test_divergence_exits_nonzero_and_names_update(capsys):
    code, _, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--lr", "1000", "--epochs", "5")
    assert code == 3
    line = one_error_line(err)
    assert "at update" in line and "smaller learning rate" in line


def test_cycle_in_project_graph(capsys, tmp_path):
    from engine.graph import sequential
    from engine.project import Project, save_project
    g = sequential(7, [(4, "relu")])
    g.edges.append(type(g.edges[0])("relu1", "dense1"))     # dense1 → relu1 → dense1
    proj = tmp_path / "cycle.ncproj"
    save_project(Project(graph=g, positions={}, data_path=SEATTLE,
                         data_spec={"target": "temp_max", "series": "temp_max"}), proj)
    code, _, err = run(capsys, "--project", str(proj))
    assert code == 2
    assert "cycle" in one_error_line(err)


def test_main_py_subprocess_has_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", "--csv", str(tmp_path / "x.csv"),
                        "--target", "y"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "not found" in r.stderr


def test_unusual_file_flags(capsys, tmp_path):
    csv = tmp_path / "old.csv"
    rows = "".join(f"{i}|{i * 0.5}|{2 * i + 1}\n" for i in range(40))
    csv.write_bytes(rows.encode("latin-1"))
    code, _, err = run(capsys, "--csv", str(csv), "--delimiter", "|", "--target", "column 3")
    assert code == 2 and "without a header" in one_error_line(err)
    code, out, err = run(capsys, "--csv", str(csv), "--no-header", "--delimiter", "|", "--encoding", "latin-1",
                         "--target", "column 3", "--hidden", "", "--epochs", "200", "--lr", "0.05")
    assert code == 0, err
    assert json.loads(out)["val_r2"] > 0.99


def test_resume_starts_from_the_saved_weights(capsys, tmp_path):
    proj = tmp_path / "p.ncproj"
    code, out, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "", "--epochs", "30",
                         "--lr", "0.01", "--batch-size", "16", "--save-project", str(proj))
    assert code == 0, err
    trained = json.loads(out)["train_loss"]
    code, out, err = run(capsys, "--project", str(proj), "--epochs", "1")
    fresh = json.loads(out)["train_loss"]
    code, out, err = run(capsys, "--project", str(proj), "--epochs", "1", "--resume")
    assert code == 0 and "saved weights" in err
    resumed = json.loads(out)["train_loss"]
    assert resumed < fresh                     # one epoch from trained weights beats one from scratch
    assert resumed == pytest.approx(trained, rel=0.1)
    code, _, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--resume")
    assert code == 2 and "--resume needs a --project" in one_error_line(err)


class _DisagreeingSession:
    """onnxruntime's session with its answers changed: ``bend`` maps the true output to the returned one."""

    def __init__(self, real, bend):
        self._real, self._bend = real, bend

    def __getattr__(self, name):
        return getattr(self._real, name)

    def run(self, *a, **k):
        return [self._bend(out) for out in self._real.run(*a, **k)]


@pytest.mark.parametrize("bend, shown", [
    (lambda out: out * np.float32(1.001), "1.00e-03"),     # 0.1 % off: 100× the contract's 1e-5
    (lambda out: np.full_like(out, np.nan), "inf"),        # NaN used to reach --metrics and fail there
])
def test_onnx_that_disagrees_with_the_engine_fails_and_writes_nothing(capsys, tmp_path, monkeypatch,
                                                                       bend, shown):
    """Was: "onnxruntime agrees" whatever the difference, exit 0."""
    import onnxruntime as ort
    real_session = ort.InferenceSession
    monkeypatch.setattr(ort, "InferenceSession", lambda *a, **k: _DisagreeingSession(real_session(*a, **k), bend))
    onnx_path, metrics = tmp_path / "m.onnx", tmp_path / "m.json"
    onnx_path.write_bytes(b"an earlier export")
    code, out, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "4:sigmoid",
                         "--epochs", "1", "--export", str(onnx_path), "--metrics", str(metrics))
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert "disagrees with the engine" in line and f"largest relative difference {shown}" in line
    assert "1e-05" in line and "not written" in line
    assert "agrees" not in err.replace("disagrees", "")
    assert onnx_path.read_bytes() == b"an earlier export"        # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # no metrics, no scratch files


def test_onnx_export_reports_its_difference_against_the_tolerance(capsys, tmp_path):
    onnx_path = tmp_path / "m.onnx"
    code, _, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "4:sigmoid",
                       "--epochs", "1", "--export", str(onnx_path), "--metrics", str(tmp_path / "m.json"))
    assert code == 0, err
    diff = json.loads((tmp_path / "m.json").read_text())["onnx_max_rel_diff"]
    assert 0 <= diff <= 1e-5
    assert f"largest relative difference {diff:.2e}, within 1e-05" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.onnx"]


def _project_model(path):
    """The engine model, preprocessing and validation rows a saved project describes."""
    from engine.data import DataSpec, load_dataset
    from engine.export import Preprocessing
    from engine.model import Model
    from engine.project import load_project
    project = load_project(path)
    model = Model(project.graph, dtype=project.train_config.dtype)
    model.set_weights(project.weights)
    ds = load_dataset(project.data_path, DataSpec.from_dict(project.data_spec))
    return project, model, Preprocessing.from_dataset(ds), ds.X_raw("val")


@pytest.mark.parametrize("extra", [[], ["--resume"]])
def test_epochs_0_exports_the_saved_weights_without_training(capsys, tmp_path, extra):
    """Was: --epochs 0 was refused and --resume trains at least one more epoch, so a
    trained project could not be exported as it is."""
    import onnxruntime as ort
    from engine.export import engine_predict
    proj = tmp_path / "p.ncproj"
    code, out, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "4:tanh",
                         "--epochs", "3", "--save-project", str(proj))
    assert code == 0, err
    trained = json.loads(out)
    onnx_path, metrics = tmp_path / "m.onnx", tmp_path / "m.json"
    code, out, err = run(capsys, "--project", str(proj), "--epochs", "0", *extra,
                         "--export", str(onnx_path), "--metrics", str(metrics))
    assert code == 0, err
    assert "no training" in err and "epoch 1/" not in err
    scores = json.loads(out)
    assert scores["epochs"] == 0 and scores["updates"] == 0
    # the scores are those of the saved weights: the training run ended on the same numbers
    for key in ("train_loss", "val_loss", "val_r2", "val_mae"):
        assert scores[key] == pytest.approx(trained[key], rel=1e-9), key
    assert json.loads(metrics.read_text())["val_r2"] == scores["val_r2"]

    _, model, pre, X = _project_model(proj)
    sess = ort.InferenceSession(str(onnx_path))
    got = sess.run(None, {sess.get_inputs()[0].name: X.astype(np.float32)})[0]
    want = engine_predict(model, pre, X.astype(np.float32).astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    # a fresh network from the same seed gives other numbers: these are not fresh weights
    fresh = engine_predict(type(model)(model.graph, dtype=model.dtype), pre, X.astype(np.float64))
    assert np.abs(fresh - want).max() > 0.1


def test_epochs_0_keeps_the_project_as_it_was(capsys, tmp_path):
    from engine.project import load_project
    proj, again = tmp_path / "p.ncproj", tmp_path / "again.ncproj"
    assert run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "3:relu", "--epochs", "2",
               "--save-project", str(proj))[0] == 0
    code, _, err = run(capsys, "--project", str(proj), "--epochs", "0", "--save-project", str(again))
    assert code == 0, err
    before, after = load_project(proj), load_project(again)
    assert after.train_config.epochs == 2          # not 0, which the window reads as "until stopped"
    assert after.history == before.history
    assert after.positions == before.positions
    assert set(after.weights) == set(before.weights)
    for k in before.weights:
        np.testing.assert_array_equal(after.weights[k], before.weights[k])


def test_epochs_0_needs_saved_weights(capsys, tmp_path):
    from engine.graph import sequential
    from engine.project import Project, save_project
    code, _, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--epochs", "0")
    assert code == 2 and "--epochs 0" in one_error_line(err) and "saved weights" in one_error_line(err)
    assert "seattle_weather.csv:" not in err           # refused before the data was read
    untrained = tmp_path / "u.ncproj"
    save_project(Project(graph=sequential(7, [(4, "relu")]), data_path=SEATTLE,
                         data_spec={"target": "temp_max", "series": "temp_max"}), untrained)
    code, _, err = run(capsys, "--project", str(untrained), "--epochs", "0")
    assert code == 2 and "has no trained weights" in one_error_line(err)
    trained = tmp_path / "t.ncproj"
    assert run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "", "--epochs", "1",
               "--save-project", str(trained))[0] == 0
    code, _, err = run(capsys, "--project", str(trained), "--epochs", "0", "--hidden", "4:relu")
    assert code == 2 and "leave out --hidden" in one_error_line(err)


def test_saved_project_has_a_left_to_right_layout(capsys, tmp_path):
    """Was: positions={} — the window piled every node at (0, 0)."""
    from engine.project import load_project
    proj = tmp_path / "p.ncproj"
    code, _, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "4:relu",
                       "--epochs", "1", "--save-project", str(proj))
    assert code == 0, err
    p = load_project(proj)
    assert set(p.positions) == set(p.graph.nodes)
    assert len(set(p.positions.values())) == len(p.graph.nodes)            # no two nodes share a spot
    xs = [p.positions[n][0] for n in p.graph.topological_order()]
    assert len(xs) == 5 and all(b - a >= 150 for a, b in zip(xs, xs[1:]))   # a card's width apart at least
    for e in p.graph.edges:
        assert p.positions[e.dst][0] > p.positions[e.src][0]
    assert len({y for _, y in p.positions.values()}) == 1                  # one straight row


def test_saved_project_is_laid_out_as_the_windows_arrange(capsys, tmp_path):
    """One layout rule (engine/layout.py) for the CLI and the window: a 7-card chain wraps into a
    second band as Arrange wraps it (it was one long row from a copy of the rule in engine/cli.py)."""
    from engine.layout import ROW_STEP, auto_layout
    from engine.project import load_project
    proj = tmp_path / "p.ncproj"
    code, _, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "4:relu,3:tanh",
                       "--epochs", "1", "--save-project", str(proj))
    assert code == 0, err
    p = load_project(proj)
    assert len(p.graph.nodes) == 7
    assert p.positions == auto_layout(p.graph)
    assert len(set(p.positions.values())) == len(p.graph.nodes)
    rows = sorted({y for _, y in p.positions.values()})
    assert len(rows) == 2 and rows[1] - rows[0] >= ROW_STEP


def test_a_projects_own_layout_is_kept(capsys, tmp_path):
    from engine.graph import sequential
    from engine.project import Project, load_project, save_project
    g = sequential(7, [(4, "relu")])
    mine = {n: (float(100 * i), float(-30 * i)) for i, n in enumerate(g.nodes)}
    proj, again, rebuilt = tmp_path / "p.ncproj", tmp_path / "again.ncproj", tmp_path / "rebuilt.ncproj"
    save_project(Project(graph=g, positions=mine, data_path=SEATTLE,
                         data_spec={"target": "temp_max", "series": "temp_max"}), proj)
    assert run(capsys, "--project", str(proj), "--epochs", "1", "--save-project", str(again))[0] == 0
    assert load_project(again).positions == mine
    # a new network from --hidden gets a fresh layout (the old positions named other nodes)
    assert run(capsys, "--project", str(proj), "--hidden", "5:tanh,2:relu", "--epochs", "1",
               "--save-project", str(rebuilt))[0] == 0
    p = load_project(rebuilt)
    assert set(p.positions) == set(p.graph.nodes) and len(set(p.positions.values())) == len(p.graph.nodes)


def test_categorical_number_columns_are_one_hot_features(capsys, tmp_path):
    """--categorical Cylinders: five 'Cylinders=k' inputs instead of one number (the saved project
    keeps the setting); an unknown name is one error line."""
    import pandas as pd

    from engine.project import load_project
    project = tmp_path / "mpg.ncproj"
    code, out, err = run(capsys, "--csv", str(AUTO), "--target", "Miles_per_Gallon", "--categorical", "Cylinders",
                         "--hidden", "8:relu", "--epochs", "2", "--save-project", str(project))
    assert code == 0, err
    saved = load_project(project)
    assert saved.data_spec["categorical"] == ["Cylinders"]
    kinds = sorted(pd.read_csv(AUTO)["Cylinders"].dropna().unique())
    # Displacement, Horsepower, Weight_in_lbs, Acceleration; Year (a date: one number); Origin (text:
    # USA/Europe/Japan one-hot); and one input per number of cylinders
    assert saved.weights["dense1.W"].shape[0] == 4 + 1 + 3 + len(kinds)
    code, out, err = run(capsys, "--csv", str(AUTO), "--target", "Miles_per_Gallon", "--categorical", "Nope",
                         "--epochs", "1")
    assert code == 2 and "unknown column 'Nope'" in one_error_line(err)


def test_skip_bad_lines_and_placeholders_are_reported(capsys, tmp_path):
    """--skip-bad-lines reads a ragged file and names the skipped lines; '?' cells are missing
    values, and the log says so."""
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("x,y,z\n" + "".join(f"{i},{i + 1},{2 * i}\n" for i in range(12)).replace("3,4,6\n", "3,4\n"))
    code, out, err = run(capsys, "--csv", str(ragged), "--target", "z", "--epochs", "1")
    assert code == 2 and "line 5 has 2 fields" in one_error_line(err)
    code, out, err = run(capsys, "--csv", str(ragged), "--target", "z", "--epochs", "1", "--skip-bad-lines")
    assert code == 0 and "wrong number of fields (line 5): 1" in err
    marks = tmp_path / "marks.csv"
    marks.write_text("a,y\n" + "".join(f"{'?' if i == 4 else i},{i}\n" for i in range(12)))
    code, out, err = run(capsys, "--csv", str(marks), "--target", "y", "--epochs", "1")
    assert code == 0 and "'?' read as missing in a (1 cell)" in err and "missing value in a: 1" in err


def test_a_project_follows_new_data_as_the_window_does(capsys, tmp_path):
    """Was: the iris classifier with auto-mpg as regression failed with "set the last Dense to 1
    unit", while the window's import resizes that Dense and switches the loss. Both now follow
    engine.fitting.fit_graph_to_data."""
    iris_project = str(ROOT / "resources" / "examples" / "5_iris_classifier.ncproj")
    saved = tmp_path / "mpg.ncproj"
    code, out, err = run(capsys, "--project", iris_project, "--csv", AUTO, "--target", "Miles_per_Gallon",
                         "--features", "Horsepower,Weight_in_lbs", "--task", "regression", "--epochs", "2",
                         "--save-project", str(saved))
    assert code == 0, err
    assert "units 3 → 1" in err and "loss ce → mse" in err
    assert "val_r2" in json.loads(out)
    from engine.project import load_project
    project = load_project(saved)
    g = project.graph
    assert g.nodes[g.input_node()].params["features"] == 2
    assert g.nodes[g.output_node()].params == {"task": "regression", "units": 1}
    assert g.nodes[g.inputs_of(g.output_node())[0]].params["units"] == 1
    assert project.train_config.loss == "mse"


def test_a_forced_check_failure_keeps_the_earlier_file_byte_identical(capsys, tmp_path, monkeypatch):
    """The CLI and the window share one policy (engine.export.export_onnx_checked): with the
    check failing, the earlier file is untouched and the exit status is 1."""
    import engine.export
    monkeypatch.setattr(engine.export, "verify_onnx", lambda *a, **k: 0.25)
    onnx_path = tmp_path / "m.onnx"
    earlier = bytes(range(256))
    onnx_path.write_bytes(earlier)
    code, out, err = run(capsys, "--csv", SEATTLE, "--series", "temp_max", "--hidden", "4:sigmoid",
                         "--epochs", "1", "--export", str(onnx_path))
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert "largest relative difference 2.50e-01, more than the 1e-05 allowed" in line and "not written" in line
    assert onnx_path.read_bytes() == earlier
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]
