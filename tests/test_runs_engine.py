"""The runs table's engine part (engine/runs.py): describing a run, the bounded curve, fit and
weights, the project file's "runs" field (saved, reloaded, checked on load) and the CSV export."""
import csv
import io
import json
import math

import numpy as np
import pytest

from engine.data import DataSpec, load_dataset
from engine.graph import Graph, sequential
from engine.project import Project, ProjectError, encode_array, load_project, save_project
from engine.runs import (MAX_CURVE_POINTS, MAX_FIT_POINTS, MAX_KEPT_PARAMS, MAX_RUNS, MAX_TABLE_PARAMS, RunRecord,
                         RunsError, add_run,
                         decimate_curve, decimate_fit, describe_data, describe_graph, make_record, next_number,
                         runs_from_json, runs_to_csv)
from engine.trainer import TrainConfig, Trainer


@pytest.fixture
def series(tmp_path):
    t = np.arange(200)
    v = np.sin(2 * np.pi * t / 7) + 0.01 * t
    path = tmp_path / "s.csv"
    path.write_text("day,v\n" + "\n".join(f"{i},{float(x)!r}" for i, x in zip(t, v)) + "\n")
    return str(path)


def trained(series, lags=5, epochs=6, hidden=((6, "sigmoid"),), lr=0.05):
    spec = DataSpec(target="v", series="v", lags=lags, split="chronological")
    ds = load_dataset(series, spec)
    g = sequential(lags, list(hidden))
    tr = Trainer(g, ds, TrainConfig(optimizer="adam", lr=lr, batch_size=16, epochs=epochs))
    tr.run()
    return g, spec, ds, tr


def record_of(number, g, spec, ds, tr, **kw):
    return make_record(number, graph=g, data_spec=spec.to_dict(), n_inputs=ds.X_train.shape[1], config=tr.config,
                       epochs=tr.epochs, epoch=tr.epoch, updates=tr.updates, seconds=tr.seconds,
                       stop_reason=tr.stop_reason or "epochs", weights=tr.model.get_weights(),
                       params=tr.model.flat_params.size, **kw)


# -- describing ------------------------------------------------------------------------
def test_graph_descriptions_name_widths_and_activations():
    assert describe_graph(sequential(7, [(16, "sigmoid")])) == "7 → 16σ → 1"
    assert describe_graph(sequential(4, [(128, "relu")] * 3)) == "4 → 128 ReLU → 128 ReLU → 128 ReLU → 1"
    assert describe_graph(sequential(7, [])) == "7 → 1"
    assert describe_graph(sequential(4, [(8, "tanh")], task="multiclass", outputs=3)) == "4 → 8 tanh → 3"
    g = Graph()                                       # a branch: input feeds two Dense layers added up
    i = g.add_node("input", {"features": 3}, "input")
    a = g.add_node("dense", {"units": 4}, "a")
    b = g.add_node("dense", {"units": 4}, "b")
    s = g.add_node("add", {}, "sum")
    o = g.add_node("dense", {"units": 1}, "d")
    out = g.add_node("output", {}, "output")
    for src, dst in ((i, a), (i, b), (a, s), (b, s), (s, o), (o, out)):
        g.connect(src, dst)
    assert describe_graph(g) == "3 → 4 → 4 → add → 1 (branched)"


def test_data_descriptions():
    assert describe_data({"series": "temp", "lags": 28}, 28) == "lags 28"
    assert describe_data({"series": None, "features": ["a", "b"]}, 2) == "a, b"
    assert describe_data({"series": None, "features": None}, 8) == "8 features"
    assert describe_data({"series": None, "features": ["x"]}, 1) == "x"
    assert describe_data(None, 1) == "1 feature" and describe_data(None, None) == ""


# -- a record from a real run ----------------------------------------------------------------
def test_a_record_holds_what_the_run_left(series):
    g, spec, ds, tr = trained(series)
    rec = record_of(3, g, spec, ds, tr)
    tl = [r["train_loss"] for r in tr.epochs]
    vl = [r["val_loss"] for r in tr.epochs]
    assert (rec.number, rec.graph, rec.data) == (3, "5 → 6σ → 1", "lags 5")
    assert (rec.optimizer, rec.lr, rec.batch_size, rec.loss) == ("adam", 0.05, 16, "mse")
    assert rec.epochs == 6 and rec.updates == tr.updates == 6 * math.ceil(len(ds.X_train) / 16)
    assert rec.best_train == pytest.approx(min(tl)) and rec.last_train == pytest.approx(tl[-1])
    assert rec.best_val == pytest.approx(min(vl)) and rec.last_val == pytest.approx(vl[-1])
    assert rec.scores["val_r2"] == pytest.approx(tr.epochs[-1]["val_r2"])
    assert rec.scores["val_mae"] == pytest.approx(tr.epochs[-1]["val_mae"])
    assert rec.params == 5 * 6 + 6 + 6 + 1
    assert rec.weights_note == "" and set(rec.weights) == set(tr.model.get_weights())
    for k, w in tr.model.get_weights().items():
        np.testing.assert_array_equal(rec.weights[k], w)
    assert rec.curve["updates"] == [r["updates"] for r in tr.epochs]
    assert rec.curve["val"] == pytest.approx(vl)
    assert rec.label == "run 3 (lags 5)"


def test_weights_are_kept_only_up_to_the_limit_and_never_for_a_diverged_run(series):
    g, spec, ds, tr = trained(series, epochs=1)
    big = record_of(1, g, spec, ds, tr)
    big_params = make_record(2, graph=g, data_spec=spec.to_dict(), n_inputs=5, config=tr.config, epochs=tr.epochs,
                             epoch=1, updates=tr.updates, seconds=0.1, stop_reason="epochs",
                             weights=tr.model.get_weights(), params=MAX_KEPT_PARAMS + 1)
    assert big.weights is not None
    assert big_params.weights is None and f"{MAX_KEPT_PARAMS + 1:,} parameters" in big_params.weights_note
    nan = {k: np.full_like(v, np.nan) for k, v in tr.model.get_weights().items()}
    div = make_record(3, graph=g, data_spec=spec.to_dict(), n_inputs=5, config=tr.config, epochs=tr.epochs,
                      epoch=1, updates=tr.updates, seconds=0.1, stop_reason="diverged", weights=nan,
                      params=tr.model.flat_params.size)
    assert div.weights is None and "diverged" in div.weights_note


def test_a_long_curve_is_thinned_keeping_its_ends():
    epochs = [{"epoch": i + 1, "updates": 10 * (i + 1), "train_loss": 1.0 / (i + 1), "val_loss": 2.0 / (i + 1)}
              for i in range(5000)]
    c = decimate_curve(epochs)
    assert len(c["updates"]) <= MAX_CURVE_POINTS and len(c["updates"]) > MAX_CURVE_POINTS - 5
    assert c["updates"][0] == 10 and c["updates"][-1] == 50000
    for u, t, v in zip(c["updates"], c["train"], c["val"]):       # each kept point is the epoch's own
        assert t == pytest.approx(10 / u) and v == pytest.approx(20 / u)
    assert decimate_curve([{"updates": 3, "train_loss": float("nan"), "val_loss": 1.0}])["train"] == [None]


def test_a_series_fit_keeps_the_validation_part_with_its_peaks():
    x = np.arange(10000, dtype=float)
    pred = np.sin(x / 50.0)
    pred[8000] = 7.0                                     # a spike in the validation part
    fit = decimate_fit({"mode": "series", "x": x, "pred": pred}, "temp", "date", boundary=6000.0)
    assert len(fit["x"]) <= MAX_FIT_POINTS and min(fit["x"]) >= 6000.0 and max(fit["x"]) > 9900
    assert max(fit["pred"]) == 7.0 and len(fit["x"]) == len(fit["pred"])
    assert (fit["target"], fit["x_label"]) == ("temp", "date")
    yv = np.linspace(0, 1, 3000)
    par = decimate_fit({"mode": "parity", "pred_train": yv, "pred_val": yv * 2}, "t", "", y_val=yv)
    assert len(par["y"]) <= MAX_FIT_POINTS and par["pred"] == pytest.approx([2 * y for y in par["y"]])
    assert decimate_fit({"mode": "classes"}) is None


def test_the_table_is_bounded_and_numbers_are_not_reused():
    rows = [RunRecord(number=i + 1, graph="1 → 1", data="x", optimizer="sgd", lr=0.1, batch_size=1, epochs=1,
                      updates=1) for i in range(MAX_RUNS)]
    new = RunRecord(number=next_number(rows), graph="1 → 1", data="x", optimizer="sgd", lr=0.1, batch_size=1,
                    epochs=1, updates=1)
    kept, dropped, unkept = add_run(rows, new)
    assert len(kept) == MAX_RUNS and [r.number for r in dropped] == [1] and kept[-1].number == MAX_RUNS + 1
    assert unkept == [] and len(rows) == MAX_RUNS                       # the list given is not changed
    assert next_number(rows[:3]) == 4 and next_number([]) == 1 and next_number(rows[:3], at_least=9) == 9


def test_the_table_keeps_the_newest_rows_weights_within_its_budget():
    per = MAX_KEPT_PARAMS
    w = {"d.W": np.zeros((per - 1, 1), np.float32), "d.b": np.zeros(1, np.float32)}
    rows = []
    for i in range(MAX_TABLE_PARAMS // per + 2):
        rec = RunRecord(number=i + 1, graph="g", data="d", optimizer="sgd", lr=0.1, batch_size=1, epochs=1,
                        updates=1, params=per, weights=w)
        rows, _, unkept = add_run(rows, rec)
    kept = [r.number for r in rows if r.weights is not None]
    assert sum(r.params for r in rows if r.weights is not None) <= MAX_TABLE_PARAMS
    assert kept == list(range(len(rows) - len(kept) + 1, len(rows) + 1))        # the newest rows
    assert [r.number for r in unkept] == [len(rows) - len(kept)]               # one more left each time
    assert "took the room" in rows[0].weights_note
    with pytest.raises(RunsError, match="parameters in all"):
        runs_from_json([{**good_row(i + 1), "weights": {k: encode_array(k, v) for k, v in w.items()}}
                        for i in range(MAX_TABLE_PARAMS // per + 1)])


# -- the project file ----------------------------------------------------------------------
def test_runs_survive_saving_and_loading(series, tmp_path):
    g, spec, ds, tr = trained(series)
    view = {"mode": "series", "x": np.arange(100.0), "pred": np.linspace(0, 1, 100)}
    rec = record_of(1, g, spec, ds, tr, fit=decimate_fit(view, "v", "day", boundary=50.0),
                    baseline={"name": "persistence", "val_mae": 0.25, "mase": 0.8})
    rec.note = "the first — ünïcode"
    g2, spec2, ds2, tr2 = trained(series, lags=9, epochs=2)
    rec2 = record_of(2, g2, spec2, ds2, tr2)
    path = tmp_path / "p.ncproj"
    save_project(Project(graph=g, runs=[rec, rec2]), path)
    back = load_project(path).runs
    assert [r.number for r in back] == [1, 2] and back[1].data == "lags 9"
    a = back[0]
    for k in ("graph", "data", "optimizer", "lr", "batch_size", "epochs", "updates", "loss", "best_train",
              "last_train", "best_val", "last_val", "seconds", "stop_reason", "note", "params", "weights_note",
              "scores", "baseline", "curve", "fit"):
        assert getattr(a, k) == getattr(rec, k), k
    for k, w in rec.weights.items():                       # bit for bit
        assert a.weights[k].dtype == w.dtype
        np.testing.assert_array_equal(a.weights[k], w)


def test_a_project_without_runs_still_loads(tmp_path):
    path = tmp_path / "old.ncproj"
    save_project(Project(graph=sequential(2, [])), path)
    doc = json.loads(path.read_text())
    del doc["runs"]
    path.write_text(json.dumps(doc))
    assert load_project(path).runs == []


def good_row(number=1):
    return {"number": number, "graph": "7 → 1", "data": "lags 7", "optimizer": "sgd", "lr": 0.05,
            "batch_size": 32, "epochs": 3, "updates": 99, "best_val": 0.2, "last_val": 0.3,
            "curve": {"updates": [33, 66, 99], "train": [0.5, 0.4, 0.3], "val": [0.4, None, 0.3]}}


@pytest.mark.parametrize("damage, words", [
    (lambda rows: "many", "runs must be a list"),
    (lambda rows: rows * (MAX_RUNS + 1), f"at most {MAX_RUNS}"),
    (lambda rows: [rows[0], rows[0]], "two records numbered 1"),
    (lambda rows: [{**rows[0], "number": 0}], "runs[0].number must be a whole number, 1 or more"),
    (lambda rows: [{**rows[0], "lr": "fast"}], "runs[0].lr must be a number"),
    (lambda rows: [{**rows[0], "best_val": "low"}], "runs[0].best_val must be a number or null"),
    (lambda rows: [{**rows[0], "note": "x" * 500}], "runs[0].note must be text"),
    (lambda rows: [{**rows[0], "curve": {"updates": [1], "train": [1.0, 2.0], "val": [1.0]}}],
     "runs[0].curve.train must have as many values"),
    (lambda rows: [{**rows[0], "curve": {"updates": [1], "train": ["a"], "val": [1.0]}}],
     "runs[0].curve.train must hold numbers"),
    (lambda rows: [{**rows[0], "scores": {"val_r2": "high"}}], "runs[0].scores.val_r2 must be a number"),
    (lambda rows: [{**rows[0], "fit": {"mode": "pie", "target": "", "x_label": "", "x": [], "y": [], "pred": []}}],
     "runs[0].fit.mode must be one of"),
    (lambda rows: [{**rows[0], "weights": {"d.W": {"shape": [2], "dtype": "float32", "data": "!!"}}}],
     "runs[0].weights: weight 'd.W' data is not valid base64"),
])
def test_a_damaged_runs_table_is_refused_with_its_place(tmp_path, damage, words):
    path = tmp_path / "bad.ncproj"
    save_project(Project(graph=sequential(2, [])), path)
    doc = json.loads(path.read_text())
    assert runs_from_json([good_row()])[0].curve["val"] == [0.4, None, 0.3]      # the good row loads
    doc["runs"] = damage([good_row()])
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert "runs table" in str(err.value) and words in str(err.value)


def test_csv_export_has_one_row_per_run(series):
    g, spec, ds, tr = trained(series)
    rec = record_of(4, g, spec, ds, tr, baseline={"name": "persistence", "val_mae": 0.25, "mase": 0.8})
    rec.note = 'a "quoted", note'
    rows = list(csv.DictReader(io.StringIO(runs_to_csv([rec, rec]))))
    assert len(rows) == 2
    r = rows[0]
    assert (r["run"], r["note"], r["network"], r["data"]) == ("4", 'a "quoted", note', "5 → 6σ → 1", "lags 5")
    assert float(r["last_val_loss"]) == pytest.approx(tr.epochs[-1]["val_loss"])
    assert float(r["val_r2"]) == pytest.approx(tr.epochs[-1]["val_r2"])
    assert r["baseline"] == "persistence" and float(r["mase"]) == 0.8 and r["weights"] == "kept"
