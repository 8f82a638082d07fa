"""The NumPy export of a trained model: an ``.npz`` of plain float arrays (loadable
with ``allow_pickle=False``) plus a JSON sidecar with the graph and the
preprocessing, and loading them back (never unpickling anything).
"""
from __future__ import annotations

import io
import json
import os

import numpy as np

from .export import ExportError, Preprocessing, _check_model, _write_all
from .graph import Graph, GraphError
from .model import Model, ModelError

__all__ = ["export_npz", "load_npz", "NPZ_FORMAT", "NPZ_VERSION"]

NPZ_FORMAT = "netcanvas-weights"
NPZ_VERSION = 1


def _sidecar(path: str) -> str:
    return os.path.splitext(path)[0] + ".json"


def export_npz(model: Model, pre: Preprocessing, path: str | os.PathLike) -> dict:
    """Write ``path`` (.npz of named float arrays) and a JSON sidecar with the same
    stem; both are replaced only after both were written."""
    _check_model(model)
    pre.check(model)
    path = os.path.abspath(os.fspath(path))
    if path.lower().endswith(".json"):
        raise ExportError("the weights file must not end in .json; that name is for its description")
    side = _sidecar(path)
    arrays = {k: np.ascontiguousarray(v) for k, v in model.params.items()}
    arrays.update(x_mean=pre.x_mean, x_std=pre.x_std, y_mean=pre.y_mean, y_std=pre.y_std)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    meta = {
        "format": NPZ_FORMAT,
        "version": NPZ_VERSION,
        "weights_file": os.path.basename(path),
        "dtype": str(model.dtype),
        "task": model.task,
        "graph": model.graph.to_dict(),
        "preprocessing": pre.to_dict(),
        "params": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in model.params.items()},
        "formula": "prediction = model(((x − x_mean) / x_std)) · y_std + y_mean (regression); "
                   "Dense: r = x·W + b with W of shape (inputs, units)",
    }
    text = json.dumps(meta, indent=1, allow_nan=False, ensure_ascii=False) + "\n"
    npz = buf.getvalue()
    _write_all({path: npz, side: text.encode("utf-8")})
    return {"path": path, "bytes": len(npz), "json": side}


def load_npz(path: str | os.PathLike) -> tuple[Model, Preprocessing]:
    """Rebuild the model and preprocessing from an :func:`export_npz` pair (the .npz
    or its .json may be named). Never unpickles anything."""
    path = os.path.abspath(os.fspath(path))
    if path.lower().endswith(".json"):
        side = path
        path = os.path.splitext(path)[0] + ".npz"
    else:
        side = _sidecar(path)
    try:
        with open(side, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise ExportError(f"the description {side} next to the weights is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExportError(f"{os.path.basename(side)} is not valid JSON ({exc})") from None
    except OSError as exc:
        raise ExportError(f"cannot read {side}: {exc.strerror or exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != NPZ_FORMAT:
        raise ExportError(f"{os.path.basename(side)} does not describe NetCanvas weights")
    version = meta.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ExportError(f"{os.path.basename(side)} has an invalid version {version!r:.20}")
    if version > NPZ_VERSION:
        raise ExportError(f"{os.path.basename(side)} was made by a newer NetCanvas (version {version}); "
                          f"this one reads up to {NPZ_VERSION}")
    dtype = meta.get("dtype", "float32")
    if dtype not in ("float32", "float64"):
        raise ExportError(f"unsupported dtype {dtype!r:.20}; expected float32 or float64")
    try:
        model = Model(Graph.from_dict(meta.get("graph")), dtype=dtype, seed=0)
    except (GraphError, ModelError) as exc:
        raise ExportError(f"the graph in {os.path.basename(side)} cannot be built: {exc}") from None
    pre = Preprocessing.from_dict(meta.get("preprocessing"))

    try:
        with np.load(path, allow_pickle=False) as z:
            names = set(z.files)
            arrays = {}
            for k in names:
                a = z[k]
                if a.dtype.kind != "f":
                    raise ExportError(f"array '{k}' in {os.path.basename(path)} has dtype {a.dtype}; "
                                      f"expected floats")
                arrays[k] = a
    except FileNotFoundError:
        raise ExportError(f"the weights file {path} is missing") from None
    except ExportError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        # object arrays (which would need pickle) and broken archives land here
        raise ExportError(f"{os.path.basename(path)} is not a plain NumPy weights archive: "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    except Exception as exc:  # noqa: BLE001 - zipfile.BadZipFile and friends
        raise ExportError(f"{os.path.basename(path)} is not a plain NumPy weights archive: {exc}") from None

    declared = meta.get("params")
    if not isinstance(declared, dict):
        raise ExportError(f"{os.path.basename(side)} lacks its parameter list")
    for k, p in model.params.items():
        if k not in arrays:
            raise ExportError(f"{os.path.basename(path)} lacks weight '{k}', which the graph needs")
        if arrays[k].shape != p.shape:
            raise ExportError(f"weight '{k}' has shape {arrays[k].shape} but the graph needs {p.shape}")
        info = declared.get(k)
        if not isinstance(info, dict) or info.get("shape") != list(p.shape):
            raise ExportError(f"{os.path.basename(side)} and {os.path.basename(path)} disagree about '{k}'")
    extra = sorted(names - set(model.params) - {"x_mean", "x_std", "y_mean", "y_std"})
    if extra:
        raise ExportError(f"{os.path.basename(path)} holds '{extra[0]}', which the graph has no place for")
    model.set_weights({k: arrays[k] for k in model.params})
    for k in ("x_mean", "x_std", "y_mean", "y_std"):
        if k in arrays:
            want = getattr(pre, k)
            a = np.asarray(arrays[k], np.float64).ravel()
            if a.shape != want.shape or not np.array_equal(a, want):
                raise ExportError(f"{k} in {os.path.basename(path)} differs from its description")
    try:
        pre.check(model)
    except ExportError as exc:
        raise ExportError(f"{os.path.basename(side)}: {exc}") from None
    return model, pre
