"""The project file: one versioned JSON document, saved atomically, loaded safely.

A project holds the graph, the canvas layout, where the data came from and
how it was prepared, the training settings, the trained weights and the
training history. Loading only ever calls ``json.load`` and ``base64``: it
never executes or unpickles anything, and every problem becomes a
:class:`ProjectError` with a one-line message.

Weights are stored exactly (bit for bit) as base64 of little-endian bytes::

    "weights": {"dense1.W": {"shape": [7, 8], "dtype": "float32", "data": "..."}}

``data_path`` is absolute in memory and stored relative to the project file's
folder when possible (so a folder holding both the project and its CSV can be
moved), together with the absolute path as a fallback.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .graph import Graph, GraphError
from .runs import RunRecord, RunsError, runs_from_json, runs_to_json
from .safe_io import PROJECT_SIZE_LIMIT, UnsafePathError, atomic_files, read_limited
from .trainer import ConfigError, TrainConfig

__all__ = ["FORMAT", "VERSION", "ProjectError", "Project", "save_project", "load_project", "data_outside",
           "atomic_files", "expected_param_shapes", "encode_array", "decode_array"]

FORMAT = "netcanvas-project"
VERSION = 1

_DTYPES = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8")}


class ProjectError(ValueError):
    """A project that cannot be saved or loaded; the message is one line for the user."""


@dataclass
class Project:
    graph: Graph
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    data_path: str | None = None        # absolute in memory
    data_spec: dict | None = None       # DataSpec.to_dict(), opaque here
    train_config: TrainConfig = field(default_factory=TrainConfig)
    weights: dict[str, np.ndarray] | None = None
    history: dict | None = None
    name: str = ""
    notes: str = ""
    data_outside: bool = False          # set on load: the data file lies outside the project's folder
    runs: list[RunRecord] = field(default_factory=list)    # the runs table (engine.runs), oldest first


DATA_FOLDERS = (os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources", "datasets"),)


def data_outside(project_file: str, data_path: str | None) -> bool:
    """Whether a project's data file lies outside the project's folder (and outside NetCanvas's own
    data folder, where the examples' data are). A project is a file from anyone: reading
    ``/etc/shadow`` or ``../../x`` for it needs the person's consent (the window asks; the CLI
    needs ``--allow-outside-data``). Symlinks are resolved on both sides."""
    if not data_path:
        return False
    real = os.path.realpath(data_path)
    for folder in (os.path.dirname(os.path.abspath(project_file)), *DATA_FOLDERS):
        root = os.path.realpath(folder)
        try:
            if os.path.commonpath([real, root]) == root:
                return False
        except ValueError:      # another drive on Windows
            continue
    return True


# -- arrays -------------------------------------------------------------------------
def encode_array(name: str, a: Any) -> dict:
    a = np.asarray(a)
    kind = {np.dtype("float32"): "float32", np.dtype("float64"): "float64"}.get(a.dtype.newbyteorder("="))
    if kind is None:
        raise ProjectError(f"weight '{name}' has dtype {a.dtype}; only float32 and float64 can be saved")
    raw = np.ascontiguousarray(a, dtype=_DTYPES[kind]).tobytes()
    return {"shape": list(a.shape), "dtype": kind, "data": base64.b64encode(raw).decode("ascii")}


def decode_array(name: str, entry: Any) -> np.ndarray:
    if not isinstance(entry, dict) or set(entry) != {"shape", "dtype", "data"}:
        raise ProjectError(f"weight '{name}' must be an object with shape, dtype and data")
    shape, kind, data = entry["shape"], entry["dtype"], entry["data"]
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n
                                              for n in shape):
        raise ProjectError(f"weight '{name}' has a malformed shape {shape!r:.60}")
    if kind not in _DTYPES:
        raise ProjectError(f"weight '{name}' has dtype {kind!r:.30}; only float32 and float64 are allowed")
    if not isinstance(data, str):
        raise ProjectError(f"weight '{name}' data must be a base64 string")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ProjectError(f"weight '{name}' data is not valid base64") from None
    dt = _DTYPES[kind]
    count = math.prod(shape)
    if len(raw) != count * dt.itemsize:
        raise ProjectError(f"weight '{name}' holds {len(raw)} bytes but shape {tuple(shape)} "
                           f"of {kind} needs {count * dt.itemsize}")
    return np.frombuffer(raw, dtype=dt).reshape(shape).astype(dt.newbyteorder("="), copy=True)


def expected_param_shapes(graph: Graph) -> dict[str, tuple[int | None, ...]]:
    """The parameters a model of ``graph`` has, with their shapes; ``None`` marks a
    dimension the graph cannot tell yet (for example an input width on a cycle)."""
    widths, _ = graph.infer_shapes()
    out: dict[str, tuple[int | None, ...]] = {}
    for nid, node in graph.nodes.items():
        if node.kind != "dense":
            continue
        srcs = graph.inputs_of(nid)
        fan_in = widths.get(srcs[0]) if len(srcs) == 1 else None
        units = node.params["units"]
        out[f"{nid}.W"] = (fan_in, units)
        if node.params["bias"]:
            out[f"{nid}.b"] = (units,)
    return out


def _check_weights(graph: Graph, weights: dict[str, np.ndarray]) -> None:
    expected = expected_param_shapes(graph)
    extra = sorted(set(weights) - set(expected))
    if extra:
        raise ProjectError(f"saved weight '{extra[0]}' does not belong to any parameter of the graph")
    missing = sorted(set(expected) - set(weights))
    if missing:
        raise ProjectError(f"the saved weights lack '{missing[0]}', which the graph needs")
    for name, shape in expected.items():
        got = weights[name].shape
        if len(got) != len(shape) or any(e is not None and e != g for e, g in zip(shape, got)):
            want = "(" + ", ".join("?" if e is None else str(e) for e in shape) + ("," if len(shape) == 1 else "") + ")"
            raise ProjectError(f"saved weight '{name}' has shape {got} but the graph needs {want}")


# -- history ------------------------------------------------------------------------
def _history_out(value: Any) -> Any:
    """Plain JSON values; non-finite floats become null."""
    if isinstance(value, dict):
        return {str(k): _history_out(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_history_out(v) for v in value]
    if isinstance(value, np.ndarray):
        return _history_out(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    raise ProjectError(f"history holds a {type(value).__name__}, which cannot be saved")


def _is_number(v: Any) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def _numbers(v: Any, depth: int = 1) -> bool:
    """A list of numbers (or null), nested ``depth`` deep."""
    if not isinstance(v, list):
        return False
    if depth == 1:
        return all(_is_number(x) for x in v)
    return all(_numbers(x, depth - 1) for x in v)


def _check_history(history: dict, name: str) -> None:
    """Every field of a saved run that the program reads, so the loss plot and a resumed run never
    meet a string (other fields are kept as they are)."""
    def bad(field: str, what: str) -> ProjectError:
        return ProjectError(f"the training history in {name} is damaged: 'history.{field}' must be {what}")
    if history.get("update_loss") is not None and not _numbers(history["update_loss"]):
        raise bad("update_loss", "a list of numbers (the loss of each update)")
    epochs = history.get("epochs")
    if epochs is not None:
        if not isinstance(epochs, list):
            raise bad("epochs", "a list of epoch records")
        for i, record in enumerate(epochs):
            if not isinstance(record, dict):
                raise bad(f"epochs[{i}]", "an object of numbers")
            for k, v in record.items():
                if not (_is_number(v) or _numbers(v) or _numbers(v, 2)):
                    raise bad(f"epochs[{i}].{k}", "a number")
            for k in ("epoch", "updates"):
                v = record.get(k)
                if v is not None and not (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
                    raise bad(f"epochs[{i}].{k}", "a whole number, 0 or more")
    path = history.get("trajectory")
    if path is not None and not (_numbers(path, 2) and all(len(p) == 2 for p in path)):
        raise bad("trajectory", "a list of [x, y] numbers")
    track = history.get("track")
    if track is not None and not (isinstance(track, list) and all(isinstance(t, str) for t in track)):
        raise bad("track", "a list of parameter names")


def _history_in(value: Any) -> Any:
    """Inverse of :func:`_history_out` for numbers: null inside history is NaN again."""
    if isinstance(value, dict):
        return {k: _history_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_history_in(v) for v in value]
    return math.nan if value is None else value


# -- save ---------------------------------------------------------------------------
def _data_path_out(data_path: str | None, project_file: str) -> tuple[str | None, str | None]:
    if data_path is None:
        return None, None
    absolute = os.path.abspath(os.fspath(data_path))
    try:
        rel = os.path.relpath(absolute, os.path.dirname(project_file))
    except ValueError:  # another drive on Windows
        return absolute, None
    return Path(rel).as_posix(), absolute


def _document(project: Project, path: str) -> dict:
    if not isinstance(project.graph, Graph):
        raise ProjectError("the project has no graph")
    rel, absolute = _data_path_out(project.data_path, path)
    weights = None
    if project.weights is not None:
        weights = {str(k): encode_array(str(k), v) for k, v in project.weights.items()}
    positions = {}
    for nid, pos in project.positions.items():
        x, y = (float(pos[0]), float(pos[1]))
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ProjectError(f"node '{nid}' has a non-finite canvas position")
        positions[str(nid)] = [x, y]
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": project.name,
        "notes": project.notes,
        "graph": project.graph.to_dict(),
        "positions": positions,
        "data_path": rel,
        "data_path_absolute": absolute,
        "data_spec": project.data_spec,
        "train_config": project.train_config.to_dict(),
        "weights": weights,
        "history": None if project.history is None else _history_out(project.history),
        "runs": runs_to_json(project.runs),
    }


def save_project(project: Project, path: str | os.PathLike) -> None:
    """Write ``project`` to ``path`` atomically: the old file stays intact on any failure."""
    path = os.path.abspath(os.fspath(path))
    doc = _document(project, path)
    try:
        with atomic_files([path]) as (f,):
            json.dump(doc, f, allow_nan=False, indent=1, ensure_ascii=False)
            f.write("\n")
    except ProjectError:
        raise
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"cannot save the project: {exc}") from exc
    except OSError as exc:
        raise ProjectError(f"cannot write {path}: {exc.strerror or exc}") from exc


# -- load ---------------------------------------------------------------------------
def _str_field(doc: dict, key: str) -> str:
    v = doc.get(key, "")
    if not isinstance(v, str):
        raise ProjectError(f"'{key}' must be text")
    return v


def load_project(path: str | os.PathLike) -> Project:
    """Read a project file; ProjectError names the first problem in one line."""
    path = os.path.abspath(os.fspath(path))
    try:
        doc = json.loads(read_limited(path, PROJECT_SIZE_LIMIT, "project").decode("utf-8"))
    except UnsafePathError as exc:
        raise ProjectError(str(exc)) from None
    except FileNotFoundError:
        raise ProjectError(f"there is no project file {path}") from None
    except IsADirectoryError:
        raise ProjectError(f"{path} is a folder, not a project file") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{os.path.basename(path)} is not a project file: not valid JSON "
                           f"(line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except UnicodeDecodeError:
        raise ProjectError(f"{os.path.basename(path)} is not a project file: not UTF-8 text") from None
    except RecursionError:
        raise ProjectError(f"{os.path.basename(path)} is nested too deeply to be a project file") from None
    except OSError as exc:
        raise ProjectError(f"cannot read {path}: {exc.strerror or exc}") from None
    return project_from_document(doc, path)


def project_from_document(doc: Any, path: str) -> Project:
    name = os.path.basename(path)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise ProjectError(f"{name} is not a NetCanvas project"
                           + (f" (its format is {found!r:.40})" if found is not None else ""))
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectError(f"{name} has an invalid version {version!r:.20}")
    if version > VERSION:
        raise ProjectError(f"{name} was made by a newer NetCanvas (version {version}); "
                           f"this one reads up to {VERSION}")
    try:
        graph = Graph.from_dict(doc.get("graph"))
    except GraphError as exc:
        raise ProjectError(f"the graph in {name} is malformed: {exc}") from None

    raw_pos = doc.get("positions", {})
    if not isinstance(raw_pos, dict):
        raise ProjectError("'positions' must map node ids to [x, y]")
    positions: dict[str, tuple[float, float]] = {}
    for nid, pos in raw_pos.items():
        if not (isinstance(pos, list) and len(pos) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                        for v in pos)):
            raise ProjectError(f"the position of node '{nid}' must be [x, y] numbers")
        if nid in graph.nodes:          # positions of nodes no longer in the graph are dropped
            positions[nid] = (float(pos[0]), float(pos[1]))

    data_path = doc.get("data_path")
    data_abs = doc.get("data_path_absolute")
    if data_path is not None and not isinstance(data_path, str) or \
            data_abs is not None and not isinstance(data_abs, str):
        raise ProjectError("'data_path' must be text or null")
    if data_path is not None:
        resolved = os.path.normpath(os.path.join(os.path.dirname(path), data_path))
        if not os.path.exists(resolved) and data_abs and os.path.isabs(data_abs) and os.path.exists(data_abs):
            resolved = data_abs        # the project moved without its data; the data did not move
        data_path = resolved

    data_spec = doc.get("data_spec")
    if data_spec is not None and not isinstance(data_spec, dict):
        raise ProjectError("'data_spec' must be an object or null")
    if data_spec is not None:
        from .dataset import DataError, DataSpec
        try:
            DataSpec.from_dict(data_spec)       # every data setting (an encoding like rot13, a seed "x")
        except DataError as exc:
            raise ProjectError(f"bad data settings ('data_spec') in {name}: {exc}") from None

    try:
        config = TrainConfig.from_dict(doc.get("train_config", {}))
    except ConfigError as exc:
        raise ProjectError(f"bad training settings in {name}: {exc}") from None
    except TypeError as exc:  # pragma: no cover - from_dict checks names first
        raise ProjectError(f"bad training settings in {name}: {exc}") from None

    weights = None
    raw_w = doc.get("weights")
    if raw_w is not None:
        if not isinstance(raw_w, dict):
            raise ProjectError("'weights' must map parameter names to arrays")
        weights = {k: decode_array(k, v) for k, v in raw_w.items()}
        _check_weights(graph, weights)

    history = doc.get("history")
    if history is not None:
        if not isinstance(history, dict):
            raise ProjectError("'history' must be an object or null")
        _check_history(history, name)
        history = _history_in(history)

    try:
        runs = runs_from_json(doc.get("runs"))       # absent in projects from before the runs table
    except RunsError as exc:
        raise ProjectError(f"the runs table in {name} is damaged: {exc}") from None

    return Project(graph=graph, positions=positions, data_path=data_path, data_spec=data_spec,
                   train_config=config, weights=weights, history=history, runs=runs,
                   name=_str_field(doc, "name"), notes=_str_field(doc, "notes"),
                   data_outside=data_outside(path, data_path))
