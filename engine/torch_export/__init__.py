"""``export-torch``: a project as a standalone PyTorch training package (a folder that does not
import NetCanvas): ``model.py`` generated from the graph, ``data.py`` (the project's data spec and
its fitted normalization, from ``spec.json``), ``train.py`` (DDP with ``torchrun``), ``verify.py``
with ``golden.npz``, ``weights.safetensors``, ``requirements.txt`` and a ``README.md``.

Writing it needs no torch. The folder is written next to its target and renamed into place, so a
failed export leaves nothing half-written (and an existing folder as it was).
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..csv_sniff import NA_VALUES
from ..data import DataError, DataSpec, build_dataset, read_csv
from ..export import ONNX_TOLERANCE, ExportError, Preprocessing, engine_predict
from ..fitting import fit_graph_to_data
from ..model import Model, ModelError, weights_match
from ..regularization import node_penalties
from ..table import PLACEHOLDER_WORDS
from .model_code import attribute_names, model_source
from .readme import package_readme

__all__ = ["TorchExportError", "TorchPackage", "export_torch_package", "check_target", "GOLDEN_ROWS",
           "PACKAGE_FILES", "TORCH_REQUIREMENT"]

GOLDEN_ROWS = 200
FILES = Path(__file__).with_name("files")
PACKAGE_FILES = ("data.py", "rules.py", "train.py", "verify.py", "weights_io.py")
TORCH_REQUIREMENT = "torch>=2.1"


class TorchExportError(ExportError):
    """A project or a folder the package cannot be written from or to; one line for the user."""


@dataclass(frozen=True)
class TorchPackage:
    """What was written: the folder, its files, the number of golden rows, whether weights were trained."""
    path: str
    files: tuple[str, ...]
    golden_rows: int
    trained: bool


def _weights_io():
    """The package's own safetensors writer (files/weights_io.py: NumPy only), used here as well."""
    found = importlib.util.spec_from_file_location("netcanvas_package_weights_io", FILES / "weights_io.py")
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


def check_target(out_dir: str | os.PathLike, force: bool = False) -> str:
    """The absolute target folder, or TorchExportError: its parent must exist and be writable, and
    the folder must not exist, be empty, or ``force`` must be given."""
    target = os.path.abspath(os.fspath(out_dir))
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise TorchExportError(f"cannot write {target}: the folder {parent} does not exist")
    if os.path.exists(target):
        if not os.path.isdir(target):
            raise TorchExportError(f"{target} exists and is not a folder")
        if os.listdir(target) and not force:
            raise TorchExportError(f"{target} exists and is not empty; choose a new folder or give --force to "
                                   "replace it")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TorchExportError(f"cannot write {target}: the folder {parent} is not writable")
    return target


def _columns(table, ds, spec: DataSpec, used: list[str]) -> dict:
    """How data.py reads each column it needs: kind, a date's format, one-hot categories."""
    out = {}
    for name in [spec.target, *used]:
        c = table.column(name)
        info: dict = {"kind": c.kind}
        if c.kind == "date":
            info["format"] = c.date_format
        if name in ds.onehot and name != spec.target:
            if c.kind == "number":
                info["categories"] = [float(v) for v in np.unique(table.frame[name].to_numpy()[
                    np.concatenate([ds.index_train, ds.index_val])])]
            else:
                info["categories"] = list(ds.onehot[name])
        out[name] = info
    return out


def _data_section(table, ds, spec: DataSpec) -> dict:
    if spec.series is not None:
        lagged = [spec.series] + [f for f in (spec.features or []) if f != spec.series]
        used = lagged
    else:
        lagged = []
        used = list(spec.features) if spec.features is not None else [
            c.name for c in table.columns
            if c.name not in (spec.target, spec.time_column) and c.name not in ds.skipped_columns]
    target_kind = table.column(spec.target).kind
    data = {
        "file": {"delimiter": table.delimiter, "encoding": table.encoding, "header": spec.header,
                 "skip_bad_lines": spec.skip_bad_lines, "decimal_comma": table.delimiter == ";"},
        "missing_texts": list(NA_VALUES), "placeholder_words": sorted(PLACEHOLDER_WORDS),
        "target": spec.target, "series": spec.series, "lags": spec.lags, "lagged": lagged,
        "feature_columns": [] if spec.series is not None else used,
        "columns": _columns(table, ds, spec, used), "feature_names": list(ds.feature_names),
        "task": ds.task, "classes": list(ds.classes), "split": spec.split, "val_fraction": spec.val_fraction,
        "seed": spec.seed, "normalize": spec.normalize,
    }
    if ds.task != "regression" and target_kind == "number":
        data["class_values"] = [float(v) for v in np.unique(table.frame[spec.target].to_numpy()[
            np.concatenate([ds.index_train, ds.index_val])])]
    return data


def _golden(model: Model, pre: Preprocessing, ds) -> tuple[np.ndarray, np.ndarray]:
    X = np.concatenate([ds.X_raw("val"), ds.X_raw("train")])
    if len(X) > GOLDEN_ROWS:
        X = X[np.linspace(0, len(X) - 1, GOLDEN_ROWS).round().astype(np.int64)]
    return X, engine_predict(model, pre, X)


def export_torch_package(project, out_dir: str | os.PathLike, force: bool = False,
                         data_path: str | None = None) -> TorchPackage:
    """Write the package of ``project`` (an ``engine.project.Project``) to ``out_dir``.

    Trained weights are exported as they are; an untrained project exports the fresh weights its
    seed draws (as a run would start from). TorchExportError (one line) for a project without data,
    data that cannot be read, a network that does not fit it, or a folder that cannot be written."""
    target = check_target(out_dir, force)
    csv = data_path or project.data_path
    if not csv or not project.data_spec:
        raise TorchExportError("the project has no data; import a CSV file first (the package prepares data "
                               "as the project does)")
    try:
        spec = DataSpec.from_dict(project.data_spec)
        table = read_csv(csv, delimiter=spec.delimiter, encoding=spec.encoding, header=spec.header,
                         skip_bad_lines=spec.skip_bad_lines)
        ds = build_dataset(table, spec)
    except (DataError, OSError) as exc:
        raise TorchExportError(f"cannot read the project's data {csv}: {exc}") from None
    cfg = project.train_config
    graph = project.graph.copy()
    fit_graph_to_data(graph, ds, cfg.loss).apply(graph)
    try:
        model = Model(graph, dtype=cfg.dtype, seed=cfg.seed)
    except ModelError as exc:
        raise TorchExportError(f"the network cannot be exported: {exc}") from None
    trained = project.weights is not None
    if trained:
        if not weights_match(model, project.weights):
            raise TorchExportError("the saved weights do not fit the network; train again before exporting")
        model.set_weights(project.weights)
    pre = Preprocessing.from_dataset(ds)
    X_golden, predictions = _golden(model, pre, ds)
    names = attribute_names(graph)
    state = {}
    for nid, op in model.ops.items():
        if "W" in op.params:
            state[f"{names[nid]}.weight"] = np.ascontiguousarray(op.params["W"].T)
            if "b" in op.params:
                state[f"{names[nid]}.bias"] = op.params["b"].copy()
    package_spec = {
        "format": "netcanvas-torch-package", "version": 1, "project": project.name or "",
        "data": _data_section(table, ds, spec),
        "normalization": {k: np.asarray(getattr(pre, k), np.float64).tolist()
                          for k in ("x_mean", "x_std", "y_mean", "y_std")},
        "training": {**{k: v for k, v in cfg.to_dict().items() if k != "track"},
                     # every Dense weight's (λ₂, λ₁), a node's own λ applied; AdamW decays these
                     "penalties": {f"{names[nid]}.weight": list(lam)
                                   for nid, lam in node_penalties(graph, cfg.l2, cfg.l1).items()}},
        "trained": trained, "tolerance": ONNX_TOLERANCE, "graph": graph.to_dict(),
    }
    return _write(target, force, {
        "model.py": model_source(graph, model.task, cfg.dtype),
        "spec.json": json.dumps(package_spec, indent=1, ensure_ascii=False) + "\n",
        "requirements.txt": f"{TORCH_REQUIREMENT}\nnumpy>=1.26\npandas>=2.1\n",
        "README.md": package_readme(project.name or "NetCanvas network", package_spec),
        **{name: (FILES / name).read_text(encoding="utf-8") for name in PACKAGE_FILES},
    }, state, X_golden, predictions, trained)


def _write(target: str, force: bool, texts: dict, state: dict, X_golden, predictions, trained) -> TorchPackage:
    save_file = _weights_io().save_file
    parent = os.path.dirname(target)
    try:
        scratch = tempfile.mkdtemp(prefix=".tmp-torch-", dir=parent)
    except OSError as exc:
        raise TorchExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    old = None
    try:
        for name, text in texts.items():
            with open(os.path.join(scratch, name), "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        save_file(state, os.path.join(scratch, "weights.safetensors"), {"format": "pt"})
        np.savez(os.path.join(scratch, "golden.npz"), X_raw=X_golden, predictions=predictions)
        os.chmod(scratch, 0o755)
        if os.path.exists(target):
            if os.listdir(target) and not force:
                raise TorchExportError(f"{target} exists and is not empty; give --force to replace it")
            old = tempfile.mkdtemp(prefix=".old-torch-", dir=parent)
            os.replace(target, os.path.join(old, "package"))
        os.replace(scratch, target)
    except OSError as exc:
        if old is not None and not os.path.exists(target):
            os.replace(os.path.join(old, "package"), target)
        raise TorchExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    files = tuple(sorted(os.listdir(target)))
    return TorchPackage(target, files, len(X_golden), trained)
