"""ONNX and NumPy exports: the numbers, the metadata, the refusals, the atomic writes."""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from engine.export import DEFAULT_OPSET, ExportError, Preprocessing, engine_predict, export_onnx, to_onnx, verify_onnx
from engine.export_npz import export_npz, load_npz
from engine.graph import Graph, sequential
from engine.model import Model

TOL = 1e-5
LARGEST_DIFF: list[float] = []

# feature statistics far from 0 / 1: a price, a small signed reading, a year-like count, a fraction
X_MEAN = np.array([250.0, -40.0, 3000.0, 0.5])
X_STD = np.array([15.0, 0.2, 400.0, 0.01])


def raw_rows(n: int, f: int, seed: int, spread: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, f)) * X_STD[:f] * spread + X_MEAN[:f]


def make_pre(model: Model, task: str, classes=(), y_mean=(1500.0,), y_std=(250.0,)) -> Preprocessing:
    """Statistics fitted on 'training' rows; the tests then use other (held-out) rows."""
    f = model.n_inputs
    train = raw_rows(400, f, seed=100)
    names = ["price", "reading", "count", "share"][:f]
    if task == "regression":
        t = model.n_outputs
        ym = np.resize(np.asarray(y_mean, float), t)
        ys = np.resize(np.asarray(y_std, float), t)
    else:
        ym, ys = np.zeros(1), np.ones(1)
    return Preprocessing(names, "target", task, list(classes), train.mean(axis=0), train.std(axis=0), ym, ys)


def randomize(model: Model, seed: int, out_scale: float = 1.0) -> Model:
    """Non-zero biases and a wider output layer so every unit and class matters."""
    rng = np.random.default_rng(seed)
    for k, p in model.params.items():
        if k.endswith(".b"):
            p[...] = rng.normal(0, 0.5, size=p.shape)
    last = model.graph.inputs_of(model.graph.output_node())[0]
    if f"{last}.W" in model.params:
        model.params[f"{last}.W"][...] *= out_scale
    return model


def branchy_graph() -> Graph:
    """Every activation kind, Add of three, Concat of three, Dropout, a bias-free Dense, two targets."""
    g = Graph()
    g.add_node("input", {"features": 4}, "input")
    g.add_node("dense", {"units": 6}, "trunk")
    g.connect("input", "trunk")
    acts = [("identity", {}), ("sigmoid", {}), ("hard_sigmoid", {}), ("relu", {}),
            ("leaky_relu", {"alpha": 0.1}), ("tanh", {}), ("softplus", {})]
    ids = []
    for kind, params in acts:
        nid = g.add_node(kind, params, f"a_{kind}")
        g.connect("trunk", nid)
        ids.append(nid)
    g.add_node("add", {}, "sum")
    for nid in ids[:3]:
        g.connect(nid, "sum")
    g.add_node("concat", {}, "cat")
    for nid in ids[3:6]:
        g.connect(nid, "cat")
    g.connect("sum", "cat")                    # concat of four inputs, widths 6 each → 24
    g.add_node("dropout", {"rate": 0.5}, "drop")
    g.connect("cat", "drop")
    g.add_node("dense", {"units": 5, "bias": False}, "mix")
    g.connect("drop", "mix")
    g.add_node("dense", {"units": 5}, "side")
    g.connect(ids[6], "side")                  # softplus branch
    g.add_node("add", {}, "join")
    g.connect("mix", "join")
    g.connect("side", "join")
    g.add_node("tanh", {}, "squash")
    g.connect("join", "squash")
    g.add_node("dense", {"units": 2}, "head")
    g.connect("squash", "head")
    g.add_node("output", {"task": "regression", "units": 2}, "output")
    g.connect("head", "output")
    assert g.validate() == []
    return g


def case(name: str):
    if name == "linear":
        m = randomize(Model(sequential(3, []), seed=1), 1)
        return m, make_pre(m, "regression")
    if name == "sigmoid_1_hidden":
        m = randomize(Model(sequential(4, [(16, "sigmoid")]), seed=2), 2)
        return m, make_pre(m, "regression")
    if name == "relu_deep":
        m = randomize(Model(sequential(4, [(32, "relu"), (32, "relu"), (16, "relu"), (8, "relu")]),
                            seed=3), 3)
        return m, make_pre(m, "regression", y_mean=(-7.5e4,), y_std=(3.2e3,))
    if name == "branchy":
        m = randomize(Model(branchy_graph(), seed=4), 4)
        return m, make_pre(m, "regression", y_mean=(12.0, -300.0), y_std=(0.05, 40.0))
    if name == "binary":
        m = randomize(Model(sequential(4, [(8, "tanh")], task="binary", outputs=1), seed=5), 5, out_scale=4)
        return balanced(m, make_pre(m, "binary", classes=["stays", "leaves"]))
    if name == "multiclass":
        m = randomize(Model(sequential(4, [(10, "relu"), (6, "leaky_relu")], task="multiclass", outputs=3),
                            seed=6), 6, out_scale=3)
        return balanced(m, make_pre(m, "multiclass", classes=["setosa", "versicolor", "virginica"]))
    raise AssertionError(name)


def balanced(model: Model, pre: Preprocessing):
    """Shift the output bias so that the logits are centred on the training rows: every class wins somewhere."""
    Xn = ((raw_rows(400, model.n_inputs, seed=100) - pre.x_mean) / pre.x_std).astype(np.float32)
    last = model.graph.inputs_of(model.graph.output_node())[0]
    model.params[f"{last}.b"][...] -= model.forward(Xn).mean(axis=0)
    return model, pre


CASES = ["linear", "sigmoid_1_hidden", "relu_deep", "branchy", "binary", "multiclass"]


def run_ort(path, X):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {"features": np.asarray(X, np.float32)})[0]


@pytest.mark.parametrize("name", CASES)
def test_onnx_matches_engine_on_held_out_rows(name, tmp_path):
    model, pre = case(name)
    path = tmp_path / f"{name}.onnx"
    info = export_onnx(model, pre, path)
    assert info["path"] == str(path) and info["bytes"] == path.stat().st_size > 0

    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == DEFAULT_OPSET

    # held-out rows, including some well outside the training range
    X = np.vstack([raw_rows(300, model.n_inputs, seed=7), raw_rows(50, model.n_inputs, seed=8, spread=4)])
    X = X.astype(np.float32)
    got = run_ort(path, X)
    want = engine_predict(model, pre, X.astype(np.float64))
    width = 2 if model.task == "binary" else model.n_outputs
    assert got.shape == want.shape == (len(X), width)
    assert got.dtype == np.float32
    scale = np.maximum(np.abs(want).max(axis=0), pre.y_std) if model.task == "regression" else 1.0
    np.testing.assert_allclose(got, want, rtol=TOL, atol=1e-7 * np.max(scale))
    diff = verify_onnx(path, model, pre, X)
    assert diff < TOL
    LARGEST_DIFF.append(diff)

    # the outputs really depend on every input and are not degenerate
    assert np.ptp(want, axis=0).min() > 0
    if model.task != "regression":
        np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-6)
        assert len(np.unique(want.argmax(axis=1))) == width      # every class is predicted somewhere


@pytest.mark.parametrize("name", CASES)
def test_engine_predict_is_the_engines_prediction(name):
    """engine_predict equals Model.predict on standardized rows, then back in target units."""
    model, pre = case(name)
    X = raw_rows(64, model.n_inputs, seed=9)
    Xn = ((X - pre.x_mean) / pre.x_std).astype(np.float32)
    p = model.predict(Xn).astype(np.float64)
    if model.task == "regression":
        p = p * pre.y_std + pre.y_mean
    np.testing.assert_allclose(engine_predict(model, pre, X), p, rtol=2e-5, atol=1e-6 * np.abs(p).max())


def test_dynamic_batch_and_single_row(tmp_path):
    model, pre = case("sigmoid_1_hidden")
    path = tmp_path / "m.onnx"
    export_onnx(model, pre, path)
    for n in (1, 7, 1000):
        X = raw_rows(n, 4, seed=n)
        assert run_ort(path, X).shape == (n, 1)
        assert verify_onnx(path, model, pre, X) < TOL
    proto = onnx.load(str(path))
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and dims[1].dim_value == 4


def test_newer_opset_and_float64_model(tmp_path):
    model32, pre = case("branchy")
    model = Model(model32.graph, dtype="float64")
    model.set_weights({k: v.astype(np.float64) + 1e-9 for k, v in model32.params.items()})
    path = tmp_path / "m21.onnx"
    export_onnx(model, pre, path, opset=21)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == 21
    diff = verify_onnx(path, model, pre, raw_rows(200, 4, seed=11))
    assert diff < TOL
    LARGEST_DIFF.append(diff)


def test_metadata_names_features_target_and_classes(tmp_path):
    model, pre = case("multiclass")
    export_onnx(model, pre, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["netcanvas.feature_names"]) == ["price", "reading", "count", "share"]
    assert json.loads(meta["netcanvas.classes"]) == ["setosa", "versicolor", "virginica"]
    assert meta["netcanvas.target_name"] == "target"
    assert meta["netcanvas.task"] == "multiclass"
    assert Preprocessing.from_dict(json.loads(meta["netcanvas.preprocessing"])).to_dict() == pre.to_dict()
    assert Graph.from_dict(json.loads(meta["netcanvas.graph"])).to_dict() == model.graph.to_dict()
    for word in ("price", "share", "setosa", "virginica", "probabilities"):
        assert word in proto.doc_string
    assert proto.producer_name == "NetCanvas"
    assert [o.name for o in proto.graph.output] == ["probabilities"]

    model, pre = case("linear")
    proto = to_onnx(model, pre)
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["netcanvas.task"] == "regression" and meta["netcanvas.output"] == "prediction"
    assert [o.name for o in proto.graph.output] == ["prediction"]
    assert [i.name for i in proto.graph.input] == ["features"]


def test_binary_probabilities_keep_relative_precision_at_the_extremes(tmp_path):
    """Column 0 is 1 − p; for confident rows it is tiny and must still match."""
    model, pre = case("binary")
    model.params["dense2.W"][...] *= 5
    path = tmp_path / "b.onnx"
    export_onnx(model, pre, path)
    X = raw_rows(400, 4, seed=12, spread=3)
    want = engine_predict(model, pre, X.astype(np.float32))
    assert want.min() < 1e-6                              # really extreme rows are in there
    got = run_ort(path, X)
    small = want < 1e-3
    np.testing.assert_allclose(got[small], want[small], rtol=1e-4)
    assert verify_onnx(path, model, pre, X) < TOL


def test_verify_detects_a_different_model(tmp_path):
    model, pre = case("sigmoid_1_hidden")
    path = tmp_path / "m.onnx"
    export_onnx(model, pre, path)
    model.params["dense1.b"][0] += 0.01
    assert verify_onnx(path, model, pre, raw_rows(100, 4, seed=1)) > 1e-4


@pytest.mark.parametrize("mutate, words", [
    (lambda m, p: setattr(p, "feature_names", p.feature_names[:2]), "feature"),
    (lambda m, p: setattr(p, "x_mean", p.x_mean[:3]), "x_mean"),
    (lambda m, p: p.x_std.__setitem__(1, 0.0), "standard deviation 0"),
    (lambda m, p: p.x_mean.__setitem__(0, np.nan), "finite"),
    (lambda m, p: setattr(p, "y_std", np.ones(3)), "y_std"),
    (lambda m, p: setattr(p, "task", "binary"), "binary task"),
    (lambda m, p: m.params["dense1.W"].__setitem__((0, 0), np.nan), "dense1.W"),
])
def test_refuses_what_does_not_fit(mutate, words, tmp_path):
    model, pre = case("sigmoid_1_hidden")
    mutate(model, pre)
    with pytest.raises(ExportError, match=words):
        export_onnx(model, pre, tmp_path / "m.onnx")
    with pytest.raises(ExportError, match=words):
        export_npz(model, pre, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_refuses_wrong_class_count_and_opset(tmp_path):
    model, pre = case("multiclass")
    pre.classes = ["a", "b"]
    with pytest.raises(ExportError, match="3 class probabilities.*2 classes"):
        to_onnx(model, pre)
    model, pre = case("linear")
    with pytest.raises(ExportError, match="opset"):
        to_onnx(model, pre, opset=9)
    with pytest.raises(ExportError, match=r"shape \[N, 3\]"):
        engine_predict(model, pre, np.zeros((2, 5)))


def test_export_to_missing_folder_leaves_nothing(tmp_path):
    model, pre = case("linear")
    target = tmp_path / "nope" / "m.onnx"
    with pytest.raises(ExportError, match="does not exist"):
        export_onnx(model, pre, target)
    with pytest.raises(ExportError, match="does not exist"):
        export_npz(model, pre, tmp_path / "nope" / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_failed_replace_removes_the_temp_file(tmp_path):
    """The target is a folder: writing the temp file succeeds, the rename fails."""
    model, pre = case("linear")
    (tmp_path / "m.onnx").mkdir()
    with pytest.raises(ExportError, match="m.onnx"):
        export_onnx(model, pre, tmp_path / "m.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]
    assert list((tmp_path / "m.onnx").iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write into read-only folders")
def test_unwritable_folder(tmp_path):  # pragma: no cover - depends on the user
    model, pre = case("linear")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="cannot write"):
            export_onnx(model, pre, ro / "m.onnx")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


def test_overwrite_keeps_old_file_until_the_new_one_is_complete(tmp_path):
    model, pre = case("sigmoid_1_hidden")
    path = tmp_path / "m.onnx"
    export_onnx(model, pre, path)
    before = path.read_bytes()
    bad = Preprocessing(pre.feature_names, "target", "regression", [], pre.x_mean, np.zeros(4))
    with pytest.raises(ExportError):
        export_onnx(model, bad, path)
    assert path.read_bytes() == before
    model.params["dense2.b"][0] += 1.0
    export_onnx(model, pre, path)
    assert path.read_bytes() != before
    assert verify_onnx(path, model, pre, raw_rows(50, 4, seed=3)) < TOL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


# -- npz ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["relu_deep", "branchy", "binary", "multiclass"])
def test_npz_round_trip_gives_identical_predictions(name, tmp_path):
    model, pre = case(name)
    path = tmp_path / "w.npz"
    info = export_npz(model, pre, path)
    assert info["path"] == str(path) and info["json"] == str(tmp_path / "w.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.json", "w.npz"]

    with np.load(path, allow_pickle=False) as z:
        assert set(z.files) == set(model.params) | {"x_mean", "x_std", "y_mean", "y_std"}
        for k, p in model.params.items():
            assert z[k].dtype == p.dtype and z[k].tobytes() == p.tobytes()
        np.testing.assert_array_equal(z["x_mean"], pre.x_mean)
    side = json.loads((tmp_path / "w.json").read_text())
    assert side["format"] == "netcanvas-weights" and side["version"] == 1
    assert side["graph"] == model.graph.to_dict()
    assert side["preprocessing"] == pre.to_dict()
    assert side["params"] == {k: {"shape": list(v.shape), "dtype": "float32"} for k, v in model.params.items()}

    for which in (path, tmp_path / "w.json"):
        m2, pre2 = load_npz(which)
        assert pre2.to_dict() == pre.to_dict()
        assert m2.graph.to_dict() == model.graph.to_dict()
        for k, p in model.params.items():
            assert m2.params[k].tobytes() == p.tobytes()
        X = raw_rows(100, model.n_inputs, seed=13)
        np.testing.assert_array_equal(engine_predict(m2, pre2, X), engine_predict(model, pre, X))
        Xn = ((X - pre.x_mean) / pre.x_std).astype(np.float32)
        np.testing.assert_array_equal(m2.predict(Xn), model.predict(Xn))


def test_npz_write_is_atomic_across_both_files(tmp_path):
    model, pre = case("linear")
    export_npz(model, pre, tmp_path / "w.npz")
    old = (tmp_path / "w.npz").read_bytes()
    (tmp_path / "w.json").unlink()
    (tmp_path / "w.json").mkdir()           # the sidecar cannot be replaced
    model.params["dense1.b"][0] += 1
    with pytest.raises(ExportError):
        export_npz(model, pre, tmp_path / "w.npz")
    assert (tmp_path / "w.npz").read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.json", "w.npz"]


def _rewrite_npz(path, **changes):
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            del arrays[k]
        else:
            arrays[k] = v
    np.savez(path, **arrays)


def test_load_npz_errors(tmp_path):
    model, pre = case("sigmoid_1_hidden")
    path = tmp_path / "w.npz"
    export_npz(model, pre, path)
    good_json = (tmp_path / "w.json").read_text()

    _rewrite_npz(path, **{"dense1.W": np.zeros((4, 15), np.float32)})
    with pytest.raises(ExportError, match=r"dense1.W.*shape \(4, 15\).*\(4, 16\)"):
        load_npz(path)
    _rewrite_npz(path, **{"dense1.W": None})
    with pytest.raises(ExportError, match="lacks weight 'dense1.W'"):
        load_npz(path)
    _rewrite_npz(path, **{"dense1.W": np.array([{"evil": 1}, None], dtype=object)})
    with pytest.raises(ExportError, match="not a plain NumPy weights archive"):
        load_npz(path)

    export_npz(model, pre, path)
    doc = json.loads(good_json)
    doc["graph"]["nodes"][1]["params"]["units"] = 5
    (tmp_path / "w.json").write_text(json.dumps(doc))
    with pytest.raises(ExportError, match="dense1"):
        load_npz(path)
    doc = json.loads(good_json)
    doc["version"] = 2
    (tmp_path / "w.json").write_text(json.dumps(doc))
    with pytest.raises(ExportError, match="newer NetCanvas"):
        load_npz(path)
    (tmp_path / "w.json").write_text("{not json")
    with pytest.raises(ExportError, match="not valid JSON"):
        load_npz(path)
    (tmp_path / "w.json").unlink()
    with pytest.raises(ExportError, match="missing"):
        load_npz(path)
    (tmp_path / "w.json").write_text(good_json)
    path.unlink()
    with pytest.raises(ExportError, match="missing"):
        load_npz(path)


# -- preprocessing ----------------------------------------------------------------------
def test_preprocessing_from_dataset_and_dict_round_trip():
    ds = SimpleNamespace(feature_names=["a", "b"], target_name="temp", task="regression", classes=[],
                         x_mean=np.array([1.0, 2.0]), x_std=np.array([3.0, 4.0]),
                         y_mean=np.array([10.0]), y_std=np.array([2.0]),
                         X_train=np.zeros((5, 2)), y_train=np.zeros((5, 1)))
    pre = Preprocessing.from_dataset(ds)
    assert pre.feature_names == ["a", "b"] and pre.target_name == "temp"
    np.testing.assert_array_equal(pre.x_std, [3.0, 4.0])
    again = Preprocessing.from_dict(json.loads(json.dumps(pre.to_dict())))
    assert again.to_dict() == pre.to_dict()

    plain = Preprocessing.from_dataset(SimpleNamespace(
        feature_names=["a"], target_name="t", task="regression", classes=None, x_mean=None, x_std=None,
        y_mean=None, y_std=None, y_train=np.zeros((3, 2))))
    np.testing.assert_array_equal(plain.x_mean, [0.0])
    np.testing.assert_array_equal(plain.y_std, [1.0, 1.0])
    with pytest.raises(ExportError, match="task"):
        Preprocessing.from_dict({**pre.to_dict(), "task": "ranking"})
    with pytest.raises(ExportError, match="x_std"):
        Preprocessing.from_dict({**pre.to_dict(), "x_std": ["a"]})


def test_report_largest_difference():
    """Prints the largest ONNX-vs-engine relative difference seen in this module."""
    if not LARGEST_DIFF:
        pytest.skip("run together with the export tests")
    print(f"largest relative ONNX difference: {max(LARGEST_DIFF):.3g}")
    assert max(LARGEST_DIFF) < TOL


def test_a_regression_value_near_zero_is_judged_against_its_columns_scale(tmp_path, monkeypatch):
    """float32 rounding of ~1e-7 of the column's scale passes even where the value is nearly 0;
    the same error on an ordinary value, or a real disagreement anywhere, does not."""
    model, pre = case("sigmoid_1_hidden")
    X = raw_rows(200, 4, seed=5)
    pre.y_mean = np.zeros(1)                         # shifted so that row 0 predicts 0.05
    pre.y_mean = np.array([0.05 - engine_predict(model, pre, X.astype(np.float32))[0, 0]])
    path = tmp_path / "m.onnx"
    export_onnx(model, pre, path)
    want = engine_predict(model, pre, X.astype(np.float32))
    scale = max(abs(pre.y_std[0]), np.abs(want).max())
    import onnxruntime as ort
    real = ort.InferenceSession

    def session_with(change):
        class Session:
            def __init__(self, *a, **kw):
                self._s = real(*a, **kw)

            def run(self, names, feeds):
                out = self._s.run(names, feeds)
                return [change(out[0].astype(np.float64)).astype(np.float32)]
        return Session

    near_zero = int(np.argmin(np.abs(want[:, 0])))

    def nudge(at, by):
        def change(got):
            got = want.copy()                    # the engine's own values ...
            got[at, 0] += by                     # ... but one of them off by ``by``
            return got
        return change

    rounding = 2e-7 * scale                          # what float32 does to a value of this column
    monkeypatch.setattr(ort, "InferenceSession", session_with(nudge(near_zero, rounding)))
    assert abs(want[near_zero, 0]) < 0.01 * scale    # really close to zero for this column
    assert verify_onnx(path, model, pre, X) < TOL
    ordinary = int(np.argmax(np.abs(want[:, 0])))
    monkeypatch.setattr(ort, "InferenceSession", session_with(nudge(ordinary, 5e-5 * abs(want[ordinary, 0]))))
    assert verify_onnx(path, model, pre, X) > TOL
    monkeypatch.setattr(ort, "InferenceSession", session_with(nudge(near_zero, 1e-3 * scale)))
    assert verify_onnx(path, model, pre, X) > TOL
