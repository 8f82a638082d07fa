"""export-torch: the PyTorch training package reproduces NetCanvas (verify.py, data preparation,
25 full-batch updates of each optimizer), trains with torchrun on 2 processes as on one, trains a
10× larger file and refuses files and folders that do not fit, with one line."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.data import DataSpec, load_dataset
from engine.graph import Graph, sequential
from engine.project import Project, load_project, save_project
from engine.torch_export import export_torch_package
from engine.trainer import ArrayData, TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
EXAMPLE_FILES = [e["file"] for e in json.loads((EXAMPLES / "index.json").read_text(encoding="utf-8"))]


def run(args, cwd, timeout=180, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env, **kw)


def package_module(folder: Path, name: str):
    """A module of the package (data.py, weights_io.py: no torch) imported under a private name."""
    spec = importlib.util.spec_from_file_location(f"pkg_{name}_{abs(hash(str(folder)))}", folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module             # a dataclass looks its module up while being made
    spec.loader.exec_module(module)
    return module


def synthetic_csv(path: Path, rows: int, seed: int = 0, drop_column: str | None = None,
                  extra_color: str | None = None) -> Path:
    """Numbers (with '?' placeholders and gaps), a text category, a number category, a target."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(10, 3, rows), rng.uniform(-1, 1, rows)
    color = rng.choice(["red", "green", "blue"], rows).astype(object)
    if extra_color:
        color[rows // 2] = extra_color
    size = rng.choice([1, 2, 3], rows)
    y = 2 * x1 - 3 * x2 + (color == "red") * 4 + size + rng.normal(0, 0.5, rows)
    cols = {"x1": [f"{v:.4f}" for v in x1], "x2": [f"{v:.4f}" for v in x2], "color": list(color),
            "size": [str(v) for v in size], "y": [f"{v:.4f}" for v in y]}
    for i in range(0, rows, 97):
        cols["x1"][i] = "?"
    for i in range(5, rows, 131):
        cols["color"][i] = ""
    cols.pop(drop_column, None)
    lines = [",".join(cols)] + [",".join(cols[c][i] for c in cols) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def synthetic_project(tmp_path: Path, optimizer="sgd", lr=0.05, batch_size=32, rows=400,
                      hidden=((8, "tanh"),)) -> Project:
    csv = synthetic_csv(tmp_path / "synthetic.csv", rows)
    spec = DataSpec(target="y", categorical=["size"], val_fraction=0.2, seed=3)
    ds = load_dataset(csv, spec)
    graph: Graph = sequential(ds.n_features, list(hidden), task=ds.task, outputs=ds.n_outputs)
    cfg = TrainConfig(loss="mse", optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=3, seed=5)
    return Project(graph=graph, data_path=str(csv), data_spec=spec.to_dict(), train_config=cfg)


# -- every built-in example --------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_exports_and_verifies(tmp_path, name):
    pytest.importorskip("torch")
    out = tmp_path / "pkg"
    cli = run([str(ROOT / "main.py"), "export-torch", "--project", str(EXAMPLES / name), "--out", str(out)],
              cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert {"model.py", "data.py", "train.py", "verify.py", "weights.safetensors", "spec.json", "golden.npz",
            "requirements.txt", "README.md"} <= set(os.listdir(out))
    assert "netcanvas" not in (out / "model.py").read_text() + (out / "train.py").read_text()
    result = run(["verify.py"], cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_data_py_prepares_the_examples_as_netcanvas(tmp_path, name):
    project = load_project(EXAMPLES / name)
    export_torch_package(project, tmp_path / "pkg")
    data = package_module(tmp_path / "pkg", "data")
    got = data.prepare(project.data_path, data.load_spec(tmp_path / "pkg" / "spec.json"))
    want = load_dataset(project.data_path, project.data_spec)
    np.testing.assert_allclose(got.X_train, want.X_train, rtol=0, atol=2e-6)
    np.testing.assert_allclose(got.X_val, want.X_val, rtol=0, atol=2e-6)
    np.testing.assert_allclose(got.y_train, want.y_train, rtol=1e-12)
    np.testing.assert_allclose(got.y_val, want.y_val, rtol=1e-12)


def test_data_py_prepares_categories_and_placeholders_as_netcanvas(tmp_path):
    project = synthetic_project(tmp_path)
    export_torch_package(project, tmp_path / "pkg")
    data = package_module(tmp_path / "pkg", "data")
    got = data.prepare(project.data_path, data.load_spec(tmp_path / "pkg" / "spec.json"))
    want = load_dataset(project.data_path, project.data_spec)
    assert want.dropped and got.dropped == want.dropped
    assert want.feature_names == ["x1", "x2", "color=blue", "color=green", "color=red", "size=1", "size=2", "size=3"]
    np.testing.assert_allclose(got.X_train, want.X_train, rtol=0, atol=2e-6)
    np.testing.assert_allclose(got.X_val, want.X_val, rtol=0, atol=2e-6)
    np.testing.assert_allclose(got.y_train, want.y_train, rtol=1e-12)


def test_weights_file_is_safetensors(tmp_path):
    project = synthetic_project(tmp_path)
    export_torch_package(project, tmp_path / "pkg")
    raw = (tmp_path / "pkg" / "weights.safetensors").read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    assert header["dense1.weight"]["dtype"] == "F32" and header["dense1.weight"]["shape"] == [8, 8]
    safetensors = pytest.importorskip("safetensors.numpy")
    loaded = safetensors.load_file(str(tmp_path / "pkg" / "weights.safetensors"))
    assert set(loaded) == {"dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias"}


# -- the same updates as the engine ---------------------------------------------------------------
@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.05), ("momentum", 0.02), ("adam", 0.01),
                                          ("rmsprop", 0.003), ("adagrad", 0.05)])
def test_full_batch_updates_equal_the_engine(tmp_path, optimizer, lr):
    pytest.importorskip("torch")
    project = synthetic_project(tmp_path, optimizer=optimizer, lr=lr, batch_size=10_000)
    _package_steps_equal_the_engine(tmp_path, project)


@pytest.mark.parametrize("optimizer,extra", [
    ("sgd", {"l2": 0.01, "lr_schedule": "cosine", "warmup": 5, "clip_norm": 0.5}),
    ("adamw", {"weight_decay": 0.2, "l1": 0.002, "lr_schedule": "step", "lr_step_epochs": 4, "lr_gamma": 0.5}),
])
def test_regularized_scheduled_updates_equal_the_engine(tmp_path, optimizer, extra):
    """Penalties (a node's own λ too), AdamW's decay, the schedules and clipping: the package's
    25 full-batch float64 updates equal the engine's."""
    pytest.importorskip("torch")
    project = synthetic_project(tmp_path, optimizer=optimizer, lr=0.02, batch_size=10_000)
    project.graph.set_params("dense1", {"l2": 0.05})
    for k, v in extra.items():
        setattr(project.train_config, k, v)
    metrics = _package_steps_equal_the_engine(tmp_path, project)
    if "clip_norm" in extra:
        assert metrics["clipped"] > 0
    assert "lr" in metrics and "penalty" in metrics          # dense1's own λ₂ applies in both runs


def _package_steps_equal_the_engine(tmp_path, project) -> dict:
    """Export ``project``, train 25 epochs of one full batch with train.py in float64 and with
    the engine from the same weights; every weight agrees within 1e-6; the package's metrics."""
    pkg = tmp_path / "pkg"
    export_torch_package(project, pkg)
    result = run(["train.py", "--csv", project.data_path, "--epochs", "25", "--float64", "--out",
                  str(tmp_path / "run"), "--quiet"], cwd=pkg)
    assert result.returncode == 0, result.stderr
    weights_io = package_module(pkg, "weights_io")
    start, _ = weights_io.load_file(pkg / "weights.safetensors")
    got, _ = weights_io.load_file(tmp_path / "run" / "weights.safetensors")
    data = package_module(pkg, "data")
    prepared = data.prepare(project.data_path, data.load_spec(pkg / "spec.json"))
    cfg = TrainConfig.from_dict({**project.train_config.to_dict(), "dtype": "float64", "epochs": 25})
    trainer = Trainer(project.graph, ArrayData(prepared.X_train, prepared.y_train, prepared.X_val,
                                               prepared.y_val), cfg)
    trainer.set_weights({f"{k.split('.')[0]}.{'W' if k.endswith('weight') else 'b'}": v.T if v.ndim == 2 else v
                         for k, v in start.items()})
    trainer.run()
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert trainer.updates == 25 and metrics["updates"] == 25
    for name, w in trainer.model.params.items():
        node, kind = name.split(".")
        mine = got[f"{node}.{'weight' if kind == 'W' else 'bias'}"]
        mine = mine.T if kind == "W" else mine
        assert not np.allclose(mine, start[f"{node}.{'weight' if kind == 'W' else 'bias'}"].T if kind == "W"
                                else start[f"{node}.bias"])
        np.testing.assert_allclose(mine, w, rtol=1e-6, atol=1e-12, err_msg=name)
    for key in ("penalty", "lr", "clipped"):
        assert (key in metrics) == (key in trainer.epochs[-1]), key
        if key in metrics:
            assert metrics[key] == pytest.approx(trainer.epochs[-1][key], rel=1e-6), key
    return metrics


def test_from_scratch_draws_the_engines_initial_weights(tmp_path):
    pytest.importorskip("torch")
    project = synthetic_project(tmp_path, hidden=((6, "relu"), (4, "sigmoid")))
    export_torch_package(project, tmp_path / "pkg")
    code = ("import numpy as np, model; net = model.Net(); net.reset_parameters(5); "
            "np.savez('fresh.npz', **{k: v.numpy() for k, v in net.state_dict().items()})")
    result = run(["-c", code], cwd=tmp_path / "pkg")
    assert result.returncode == 0, result.stderr
    fresh = np.load(tmp_path / "pkg" / "fresh.npz")
    from engine.model import Model
    engine = Model(project.graph, seed=5)
    for name, w in engine.params.items():
        node, kind = name.split(".")
        mine = fresh[f"{node}.{'weight' if kind == 'W' else 'bias'}"]
        np.testing.assert_array_equal(mine.T if kind == "W" else mine, w)


# -- torchrun ----------------------------------------------------------------------------------------
def test_torchrun_two_processes_equal_one(tmp_path):
    pytest.importorskip("torch")
    project = synthetic_project(tmp_path, optimizer="adam", lr=0.01, batch_size=32)     # 320 training rows
    pkg = tmp_path / "pkg"
    export_torch_package(project, pkg)
    one = run(["train.py", "--csv", project.data_path, "--epochs", "2", "--out", str(tmp_path / "one"),
               "--quiet"], cwd=pkg)
    assert one.returncode == 0, one.stderr
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                             "train.py", "--csv", project.data_path, "--epochs", "2", "--out",
                             str(tmp_path / "two")], cwd=pkg, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, err
    with pytest.raises(ProcessLookupError):         # torchrun and both workers are gone
        os.killpg(proc.pid, 0)
    metrics = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["global_batch"] == 32 and metrics["updates"] == 20
    weights_io = package_module(pkg, "weights_io")
    w1, _ = weights_io.load_file(tmp_path / "one" / "weights.safetensors")
    w2, _ = weights_io.load_file(tmp_path / "two" / "weights.safetensors")
    for k in w1:
        np.testing.assert_allclose(w2[k], w1[k], rtol=1e-5, atol=1e-7, err_msg=k)


# -- new files -----------------------------------------------------------------------------------------
def test_ten_times_the_rows_trains_and_misfits_fail_with_one_line(tmp_path):
    pytest.importorskip("torch")
    project = synthetic_project(tmp_path)
    pkg = tmp_path / "pkg"
    export_torch_package(project, pkg)
    big = synthetic_csv(tmp_path / "big.csv", 4000, seed=1)
    result = run(["train.py", "--csv", str(big), "--epochs", "1", "--out", str(tmp_path / "run")], cwd=pkg)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["updates"] > 80 and np.isfinite(metrics["val_r2"])
    for bad, words in ((synthetic_csv(tmp_path / "no_x2.csv", 400, drop_column="x2"), "no column 'x2'"),
                       (synthetic_csv(tmp_path / "purple.csv", 400, extra_color="purple"), "'purple'")):
        result = run(["train.py", "--csv", str(bad), "--epochs", "1", "--out", str(tmp_path / "bad")], cwd=pkg)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("train.py: error:") and words in lines[0], result.stderr


# -- the command line ---------------------------------------------------------------------------------
def test_export_torch_refuses_bad_input_with_one_line(tmp_path):
    from main import main
    trained = tmp_path / "p.ncproj"
    save_project(synthetic_project(tmp_path), trained)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    cases = [
        (["--out", str(tmp_path / "a")], "--project"),
        (["--project", str(tmp_path / "missing.ncproj"), "--out", str(tmp_path / "a")], "missing.ncproj"),
        (["--project", str(trained), "--out", "/proc/no/such/place"], "does not exist"),
        (["--project", str(trained), "--out", str(full)], "--force"),
    ]
    for argv, words in cases:
        code = subprocess.run([sys.executable, str(ROOT / "main.py"), "export-torch", *argv],
                              capture_output=True, text=True, timeout=60)
        lines = code.stderr.strip().splitlines()
        assert code.returncode == 2 and len(lines) == 1, (argv, code.stderr)
        assert lines[0].startswith("netcanvas export-torch: error:") and words in lines[0], lines[0]
    assert (full / "keep.txt").read_text() == "mine" and os.listdir(full) == ["keep.txt"]
    assert main(["export-torch", "--project", str(trained), "--out", str(full), "--force", "--quiet"]) == 0
    assert "keep.txt" not in os.listdir(full) and "train.py" in os.listdir(full)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]      # no scratch folder left


def test_export_torch_of_a_trained_project_keeps_its_weights(tmp_path):
    project = synthetic_project(tmp_path)
    ds = load_dataset(project.data_path, project.data_spec)
    trainer = Trainer(project.graph, ds, project.train_config)
    trainer.run()
    project.weights = trainer.model.get_weights()
    export_torch_package(project, tmp_path / "pkg")
    weights_io = package_module(tmp_path / "pkg", "weights_io")
    saved, _ = weights_io.load_file(tmp_path / "pkg" / "weights.safetensors")
    np.testing.assert_array_equal(saved["dense1.weight"].T, project.weights["dense1.W"])
    assert json.loads((tmp_path / "pkg" / "spec.json").read_text())["trained"] is True
