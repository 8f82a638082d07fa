"""Updates per second of the engine and of the exported PyTorch package, side by side in one run.

    python bench/torch_package.py               # 3 repetitions
    python bench/torch_package.py --repeat 1

The large case: N = 40000 rows (32000 training), 64 → 256 ReLU → 256 ReLU → 1, MSE, Adam lr 0.001,
B = 256 (global), float32, 2 epochs. Contenders: the engine's ``Trainer.run``; the package's
``train.py`` in one process; and ``torchrun --standalone --nproc_per_node=2 train.py`` (gloo, CPU;
each process takes 128 rows of each update). Every contender evaluates the training rows (up to
10000) and the validation rows after each epoch and counts that time, as the engine does; the
package's own number is its metrics.json ``updates / seconds`` (training only: not the start of
Python, torch and the process group). Runs interleave; medians. A measurement, not a test; the
machine is shared, so quote ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.data import DataSpec, load_dataset  # noqa: E402
from engine.graph import sequential  # noqa: E402
from engine.project import Project  # noqa: E402
from engine.torch_export import export_torch_package  # noqa: E402
from engine.trainer import TrainConfig, Trainer  # noqa: E402

ROWS, FEATURES, EPOCHS, BATCH = 40_000, 64, 2, 256


def make_project(folder: Path) -> Project:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((ROWS, FEATURES))
    y = np.sin(X[:, :8]).sum(axis=1) + 0.1 * rng.standard_normal(ROWS)
    names = [f"x{i}" for i in range(FEATURES)]
    csv = folder / "large.csv"
    np.savetxt(csv, np.column_stack([X, y]), delimiter=",", fmt="%.6f", header=",".join(names + ["y"]), comments="")
    spec = DataSpec(target="y", val_fraction=0.2, seed=0)
    graph = sequential(FEATURES, [(256, "relu"), (256, "relu")])
    cfg = TrainConfig(loss="mse", optimizer="adam", lr=0.001, batch_size=BATCH, epochs=EPOCHS, seed=0)
    return Project(graph=graph, data_path=str(csv), data_spec=spec.to_dict(), train_config=cfg)


def engine_rate(project: Project, ds) -> float:
    trainer = Trainer(project.graph, ds, TrainConfig.from_dict(project.train_config.to_dict()))
    trainer.run()
    return trainer.updates / trainer.seconds


def package_rate(pkg: Path, csv: str, procs: int, out: Path) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // procs))}
    head = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}"] \
        if procs > 1 else [sys.executable]
    subprocess.run([*head, "train.py", "--csv", csv, "--out", str(out), "--quiet"], cwd=pkg, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1200)
    m = json.loads((out / "metrics.json").read_text())
    return m["updates"] / m["seconds"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        print("this benchmark needs torch: pip install -e '.[torch]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-torch-") as tmp:
        folder = Path(tmp)
        project = make_project(folder)
        ds = load_dataset(project.data_path, project.data_spec)
        pkg = folder / "pkg"
        export_torch_package(project, pkg)
        rates: dict[str, list[float]] = {"engine (NumPy)": [], "package, 1 process": [], "package, torchrun × 2": []}
        for i in range(args.repeat):
            rates["engine (NumPy)"].append(engine_rate(project, ds))
            rates["package, 1 process"].append(package_rate(pkg, project.data_path, 1, folder / f"run1-{i}"))
            rates["package, torchrun × 2"].append(package_rate(pkg, project.data_path, 2, folder / f"run2-{i}"))
    base = statistics.median(rates["engine (NumPy)"])
    print(f"large case: {ROWS * 4 // 5} training rows, {FEATURES} → 256 → 256 → 1 ReLU, Adam, global B = {BATCH}, "
          f"{EPOCHS} epochs, float32; {os.cpu_count()} cores; median of {args.repeat}")
    print(f"{'contender':<24}{'updates/s':>12}{'vs engine':>12}")
    for name, values in rates.items():
        med = statistics.median(values)
        print(f"{name:<24}{med:>12,.0f}{med / base:>11.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
