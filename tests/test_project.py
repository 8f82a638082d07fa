"""The project file: exact round trip, relative data paths, refusals, atomic save."""
from __future__ import annotations

import base64
import json
import math
import shutil

import numpy as np
import pytest

import engine.project as project_mod
from engine.graph import Graph, sequential
from engine.model import Model, ModelError
from engine.project import FORMAT, VERSION, Project, ProjectError, load_project, save_project
from engine.trainer import ArrayData, TrainConfig, Trainer


def trained_project(data_path=None) -> Project:
    g = sequential(2, [(6, "sigmoid"), (4, "leaky_relu")])
    g.set_params("leakyrelu2", {"alpha": 0.05})
    cfg = TrainConfig(loss="mae", optimizer="adam", lr=0.003, batch_size=8, epochs=3, seed=7,
                      track=["dense3.b[0]", "dense3.W[0,0]"])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    data = ArrayData(X, X[:, :1] * 2 - X[:, 1:] ** 2)      # no validation rows: val_loss is NaN
    tr = Trainer(g, data, cfg)
    tr.run()
    weights = tr.model.get_weights()
    # values whose bits a decimal round trip could lose
    weights["dense1.W"][0, 0] = np.float32(-0.0)
    weights["dense1.W"][0, 1] = np.float32(1e-45)           # the smallest subnormal
    weights["dense1.W"][0, 2] = np.nextafter(np.float32(1), np.float32(2))
    return Project(graph=g, positions={nid: (10.0 * i, -3.5 * i) for i, nid in enumerate(g.nodes)},
                   data_path=data_path,
                   data_spec={"target": "y", "features": ["a", "b"], "lags": 0, "split": "random",
                              "val_fraction": 0.2, "normalize": "standard"},
                   train_config=cfg, weights=weights, history=tr.history(),
                   name="Sine fit", notes="two features,\nUnicode ok: σ(r) → ŷ")


def same_history(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_history(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same_history(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b and type(a) is type(b)


def test_round_trip_is_exact(tmp_path):
    csv = tmp_path / "data.csv"
    csv.write_text("a,b,y\n1,2,3\n")
    p = trained_project(str(csv))
    assert math.isnan(p.history["epochs"][0]["val_loss"])
    path = tmp_path / "p.netcanvas.json"
    save_project(p, path)

    def no_constants(name):
        raise AssertionError(f"the file holds {name}, which is not JSON")
    doc = json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)
    assert doc["format"] == FORMAT and doc["version"] == VERSION == 1
    assert doc["data_path"] == "data.csv"
    assert doc["weights"]["dense1.W"]["dtype"] == "float32"
    assert doc["history"]["epochs"][0]["val_loss"] is None

    q = load_project(path)
    assert q.graph.to_dict() == p.graph.to_dict()
    assert q.positions == p.positions
    assert q.data_spec == p.data_spec
    assert q.train_config == p.train_config
    assert (q.name, q.notes) == (p.name, p.notes)
    assert q.data_path == str(csv)
    assert q.weights.keys() == p.weights.keys()
    for k, w in p.weights.items():
        assert q.weights[k].dtype == w.dtype and q.weights[k].shape == w.shape
        assert q.weights[k].tobytes() == w.tobytes(), k
        assert q.weights[k].flags.writeable
    assert same_history(q.history, p.history)

    # the loaded weights drive a model to the same outputs
    m1, m2 = Model(p.graph), Model(q.graph)
    m1.set_weights(p.weights)
    m2.set_weights(q.weights)
    X = np.random.default_rng(1).normal(size=(9, 2)).astype(np.float32)
    np.testing.assert_array_equal(m1.predict(X), m2.predict(X))

    # saving the loaded project again gives the same document
    save_project(q, tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text()) == doc


def test_float64_weights_and_empty_project(tmp_path):
    g = sequential(3, [])
    w = {"dense1.W": np.arange(3, dtype=np.float64).reshape(3, 1) / 7, "dense1.b": np.array([np.pi])}
    save_project(Project(graph=g, positions={}, weights=w), tmp_path / "p.json")
    q = load_project(tmp_path / "p.json")
    assert q.weights["dense1.W"].dtype == np.float64
    assert q.weights["dense1.W"].tobytes() == w["dense1.W"].tobytes()
    assert q.data_path is None and q.history is None and q.train_config == TrainConfig()

    bare = Project(graph=Graph(), positions={})
    save_project(bare, tmp_path / "bare.json")
    assert load_project(tmp_path / "bare.json").graph.nodes == {}


def test_data_path_moves_with_the_project_folder(tmp_path):
    folder = tmp_path / "work"
    (folder / "data").mkdir(parents=True)
    csv = folder / "data" / "sales.csv"
    csv.write_text("x,y\n1,2\n")
    save_project(trained_project(str(csv)), folder / "p.json")
    assert json.loads((folder / "p.json").read_text())["data_path"] == "data/sales.csv"

    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(str(folder), str(moved))
    q = load_project(moved / "p.json")
    assert q.data_path == str(moved / "data" / "sales.csv")
    with open(q.data_path) as f:
        assert f.readline() == "x,y\n"


def test_data_path_falls_back_to_absolute_when_only_the_project_moved(tmp_path):
    (tmp_path / "data").mkdir()
    csv = tmp_path / "data" / "d.csv"
    csv.write_text("x\n1\n")
    (tmp_path / "a").mkdir()
    save_project(trained_project(str(csv)), tmp_path / "a" / "p.json")
    assert json.loads((tmp_path / "a" / "p.json").read_text())["data_path"] == "../data/d.csv"
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    shutil.move(str(tmp_path / "a" / "p.json"), str(tmp_path / "b" / "deeper" / "p.json"))
    assert load_project(tmp_path / "b" / "deeper" / "p.json").data_path == str(csv)


def test_relative_data_path_in_memory_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("x\n")
    (tmp_path / "sub").mkdir()
    save_project(trained_project("d.csv"), tmp_path / "sub" / "p.json")
    assert json.loads((tmp_path / "sub" / "p.json").read_text())["data_path"] == "../d.csv"
    assert load_project(tmp_path / "sub" / "p.json").data_path == str(tmp_path / "d.csv")


# -- refusals ---------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "p.json"
    save_project(trained_project(), path)
    return path, json.loads(path.read_text())


def rewrite(path, doc):
    path.write_text(json.dumps(doc))
    return path


def test_future_version_is_refused_with_a_clear_message(saved):
    path, doc = saved
    doc["version"] = 2
    with pytest.raises(ProjectError) as exc:
        load_project(rewrite(path, doc))
    assert str(exc.value) == "p.json was made by a newer NetCanvas (version 2); this one reads up to 1"


def test_not_json_names_line_and_column(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{\n  "format": "netcanvas-project",\n  "version": 1,,\n}')
    with pytest.raises(ProjectError, match=r"not valid JSON \(line 3, column 16"):
        load_project(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProjectError, match="not"):
        load_project(path)


def test_missing_file_and_wrong_format(tmp_path, saved):
    with pytest.raises(ProjectError, match="there is no project file"):
        load_project(tmp_path / "none.json")
    path, doc = saved
    doc["format"] = "something-else"
    with pytest.raises(ProjectError, match="not a NetCanvas project.*something-else"):
        load_project(rewrite(path, doc))
    rewrite(path, [1, 2, 3])
    with pytest.raises(ProjectError, match="not a NetCanvas project"):
        load_project(path)
    del doc["format"]
    with pytest.raises(ProjectError, match="not a NetCanvas project"):
        load_project(rewrite(path, doc))


def test_malformed_graph_carries_the_graph_error(saved):
    path, doc = saved
    doc["graph"]["nodes"][1]["kind"] = "transformer"
    with pytest.raises(ProjectError, match="graph in p.json is malformed: unknown node kind 'transformer'"):
        load_project(rewrite(path, doc))
    doc["graph"] = "nodes"
    with pytest.raises(ProjectError, match="malformed.*lists 'nodes' and 'edges'"):
        load_project(rewrite(path, doc))


def _tamper_weight(doc, name, **changes):
    doc["weights"][name].update(changes)
    return doc


@pytest.mark.parametrize("change, message", [
    (lambda d: _tamper_weight(d, "dense1.W", shape=[3, 6],
                              data=base64.b64encode(bytes(72)).decode()),
     r"'dense1.W' has shape \(3, 6\) but the graph needs \(2, 6\)"),
    (lambda d: d["weights"].pop("dense2.b"), "lack 'dense2.b'"),
    (lambda d: d["weights"].__setitem__("dense9.W", d["weights"]["dense1.W"]), "'dense9.W' does not belong"),
    (lambda d: _tamper_weight(d, "dense1.b", data="@@not base64@@"), "'dense1.b' data is not valid base64"),
    (lambda d: _tamper_weight(d, "dense1.b", data=base64.b64encode(bytes(8)).decode()),
     "holds 8 bytes but shape"),
    (lambda d: _tamper_weight(d, "dense1.b", dtype="int64"), "only float32 and float64"),
    (lambda d: _tamper_weight(d, "dense1.b", dtype="object"), "only float32 and float64"),
    (lambda d: _tamper_weight(d, "dense1.b", shape=[-1]), "malformed shape"),
    (lambda d: d["weights"].__setitem__("dense1.b", [1, 2, 3]), "must be an object"),
    (lambda d: d["train_config"].__setitem__("lr", -1), "bad training settings.*learning rate"),
    (lambda d: d["train_config"].__setitem__("warp", 9), "unknown training setting warp"),
    (lambda d: d["positions"].__setitem__("input", ["a", 1]), "position of node 'input'"),
    (lambda d: d.__setitem__("history", [1]), "'history' must be an object"),
    (lambda d: d.__setitem__("version", "1"), "invalid version"),
])
def test_bad_documents_are_refused_in_one_line(saved, change, message):
    path, doc = saved
    change(doc)
    with pytest.raises(ProjectError, match=message) as exc:
        load_project(rewrite(path, doc))
    assert "\n" not in str(exc.value)


def test_a_graph_with_a_cycle_loads_so_the_gui_can_show_it(tmp_path):
    g = Graph.from_dict({
        "nodes": [{"id": "input", "kind": "input", "params": {"features": 2}},
                  {"id": "a", "kind": "dense", "params": {"units": 3}},
                  {"id": "b", "kind": "add"},
                  {"id": "c", "kind": "relu"},
                  {"id": "output", "kind": "output", "params": {"units": 3}}],
        "edges": [["input", "a"], ["a", "b"], ["b", "c"], ["c", "b"], ["c", "output"]]})
    weights = {"a.W": np.ones((2, 3), np.float32), "a.b": np.zeros(3, np.float32)}
    save_project(Project(graph=g, positions={"a": (1.0, 2.0)}, weights=weights), tmp_path / "p.json")
    q = load_project(tmp_path / "p.json")
    assert q.graph.to_dict() == g.to_dict()
    assert any("cycle" in i.message for i in q.graph.validate())
    with pytest.raises(ModelError, match="cycle"):
        Model(q.graph)
    assert q.weights["a.W"].tobytes() == weights["a.W"].tobytes()


def test_positions_of_vanished_nodes_are_dropped(saved):
    path, doc = saved
    doc["positions"]["ghost"] = [1, 2]
    q = load_project(rewrite(path, doc))
    assert "ghost" not in q.positions and set(q.positions) == set(q.graph.nodes)


# -- atomic save ----------------------------------------------------------------------------
def test_failing_serialization_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save_project(trained_project(), path)
    before = path.read_bytes()

    real_dump = json.dump

    def dump_half_then_fail(obj, fp, **kw):
        fp.write('{"format": "netcanvas-project", "version": 1, "graph": ')   # a partial document
        fp.flush()
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(project_mod.json, "dump", dump_half_then_fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        save_project(trained_project(), path)
    monkeypatch.setattr(project_mod.json, "dump", real_dump)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]
    load_project(path)


def test_unserializable_value_midway_is_a_project_error(tmp_path):
    """The data spec is opaque; a value JSON cannot hold fails the save mid-document."""
    path = tmp_path / "p.json"
    save_project(trained_project(), path)
    before = path.read_bytes()
    p = trained_project()
    p.data_spec = {"columns": {"a", "b"}}
    with pytest.raises(ProjectError, match="cannot save the project"):
        save_project(p, path)
    p = trained_project()
    p.data_spec = {"scale": float("nan")}
    with pytest.raises(ProjectError, match="cannot save the project"):
        save_project(p, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_save_to_missing_folder_or_onto_a_folder(tmp_path):
    with pytest.raises(ProjectError, match="cannot write"):
        save_project(trained_project(), tmp_path / "missing" / "p.json")
    (tmp_path / "p.json").mkdir()
    with pytest.raises(ProjectError, match="cannot write"):
        save_project(trained_project(), tmp_path / "p.json")
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]
    assert list((tmp_path / "p.json").iterdir()) == []


def test_non_finite_history_is_written_as_null(tmp_path):
    p = trained_project()
    p.history = {"update_loss": [1.0, float("inf"), float("nan"), np.float64(0.5)], "epochs": [],
                 "trajectory": np.array([[1.0, -np.inf]]), "track": ["a", "b"], "count": np.int64(3)}
    save_project(p, tmp_path / "p.json")
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["history"]["update_loss"] == [1.0, None, None, 0.5]
    assert doc["history"]["trajectory"] == [[1.0, None]]
    assert doc["history"]["count"] == 3
    h = load_project(tmp_path / "p.json").history
    assert h["update_loss"][0] == 1.0 and math.isnan(h["update_loss"][1]) and h["track"] == ["a", "b"]


def test_existing_file_mode_is_kept(tmp_path):
    path = tmp_path / "p.json"
    save_project(trained_project(), path)
    path.chmod(0o640)
    save_project(trained_project(), path)
    assert path.stat().st_mode & 0o777 == 0o640
