"""The CLI's regularization flags: --l2, --l1 and --lr-schedule cosine take the same full-batch
steps as PyTorch autograd on the penalised loss with the same η_t; the other flags reach the
trainer and a wrong combination exits 2 with one line."""
import json
import math

import numpy as np
import pytest

from engine.cli import main
from engine.data import load_dataset
from engine.model import Model
from engine.project import load_project


def _csv(path, rows=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    y = np.tanh(X @ [1.5, -2.0, 0.5]) + 0.1 * rng.normal(size=rows)
    lines = ["a,b,c,y"] + [",".join(f"{v:.6f}" for v in (*x, t)) for x, t in zip(X, y)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_cli_penalties_and_cosine_equal_torch_autograd(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    csv = _csv(tmp_path / "d.csv")
    lr, l2, l1, T = 0.2, 0.01, 0.003, 25
    code = main(["--csv", csv, "--target", "y", "--hidden", "6:tanh", "--epochs", str(T), "--batch-size", "1000",
                 "--lr", str(lr), "--l2", str(l2), "--l1", str(l1), "--lr-schedule", "cosine", "--float64",
                 "--seed", "4", "--save-project", str(tmp_path / "p.ncproj"), "--quiet",
                 "--metrics", str(tmp_path / "m.json")])
    capsys.readouterr()
    assert code == 0
    project = load_project(tmp_path / "p.ncproj")
    assert (project.train_config.l2, project.train_config.l1, project.train_config.lr_schedule) == \
        (l2, l1, "cosine")
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["updates"] == T and metrics["penalty"] > 0
    ds = load_dataset(project.data_path, project.data_spec)
    start = Model(project.graph, dtype="float64", seed=4).get_weights()
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in start.items()}
    X = torch.tensor(ds.X_train, dtype=torch.float64)
    y = torch.tensor(np.asarray(ds.y_train).reshape(len(X), -1), dtype=torch.float64)
    for t in range(T):
        pred = torch.tanh(X @ p["dense1.W"] + p["dense1.b"]) @ p["dense2.W"] + p["dense2.b"]
        loss = ((pred - y) ** 2).mean()
        for w in (p["dense1.W"], p["dense2.W"]):            # weights only, never biases
            loss = loss + l2 * (w ** 2).sum() + l1 * w.abs().sum()
        grads = torch.autograd.grad(loss, list(p.values()))
        eta = lr * 0.5 * (1 + math.cos(math.pi * t / T))
        with torch.no_grad():
            for w, g in zip(p.values(), grads):
                w -= eta * g
    for name, w in p.items():
        np.testing.assert_allclose(project.weights[name], w.detach().numpy(), rtol=1e-6, atol=1e-12, err_msg=name)
        assert not np.allclose(project.weights[name], start[name])


def test_cli_flags_reach_the_run_and_are_reported(tmp_path, capsys):
    csv = _csv(tmp_path / "d.csv")
    code = main(["--csv", csv, "--target", "y", "--hidden", "4:relu", "--epochs", "4", "--batch-size", "16",
                 "--optimizer", "adamw", "--weight-decay", "0.1", "--lr-schedule", "step", "--lr-step-epochs", "2",
                 "--lr-gamma", "0.1", "--warmup", "3", "--clip-norm", "0.01", "--lr", "0.05",
                 "--save-project", str(tmp_path / "p.ncproj"), "--metrics", str(tmp_path / "m.json")])
    out, err = capsys.readouterr()
    assert code == 0, err
    cfg = load_project(tmp_path / "p.ncproj").train_config
    assert (cfg.optimizer, cfg.weight_decay, cfg.lr_schedule, cfg.lr_step_epochs, cfg.lr_gamma, cfg.warmup,
            cfg.clip_norm) == ("adamw", 0.1, "step", 2, 0.1, 3, 0.01)
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["clipped"] == metrics["updates"] > 0        # a tiny limit clips every update
    assert metrics["lr"] == pytest.approx(0.05 * 0.1)          # epochs 3–4: one step of ×γ
    assert "clipped" in err and "η" in err


@pytest.mark.parametrize("args, message", [
    (["--weight-decay", "0.1"], "--optimizer adamw"),
    (["--l2", "-1"], "l2 must be a number ≥ 0"),
    (["--lr-schedule", "step", "--lr-step-epochs", "0"], "lr step epochs must be a whole number ≥ 1"),
])
def test_cli_refuses_bad_regularization_with_one_line(tmp_path, capsys, args, message):
    csv = _csv(tmp_path / "d.csv", rows=40)
    code = main(["--csv", csv, "--target", "y", "--epochs", "1", *args])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err.strip().splitlines()[-1]
