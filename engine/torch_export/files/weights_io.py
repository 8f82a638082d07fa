"""Read and write ``.safetensors`` files with NumPy alone: no pickle, nothing executed on load.

The format (https://github.com/huggingface/safetensors): 8 bytes little-endian header length N,
N bytes of JSON ``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}``,
then the tensors' bytes, C order, little-endian. The ``safetensors`` package reads these files too.
"""
from __future__ import annotations

import json
import os
import struct

import numpy as np

__all__ = ["save_file", "load_file", "load_state_dict"]

_DTYPES = {"F64": np.float64, "F32": np.float32, "I64": np.int64}
_CODES = {np.dtype(t): code for code, t in _DTYPES.items()}


def save_file(tensors: dict, path: str | os.PathLike, metadata: dict | None = None) -> None:
    """Write ``{name: array}`` (float64, float32 or int64) and string ``metadata`` to ``path``."""
    header: dict = {}
    blobs = []
    offset = 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        if a.dtype not in _CODES:
            raise ValueError(f"{name}: cannot store dtype {a.dtype} (float64, float32 or int64)")
        data = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _CODES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def load_file(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """``({name: array}, metadata)`` from a file written by :func:`save_file` (or the safetensors package)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path} is not a safetensors file")
    n = struct.unpack("<Q", raw[:8])[0]
    try:
        header = json.loads(raw[8:8 + n])
    except ValueError:
        raise ValueError(f"{path} is not a safetensors file") from None
    metadata = header.pop("__metadata__", {}) or {}
    out = {}
    for name, entry in header.items():
        if entry["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: {name} has dtype {entry['dtype']}, which this reader does not know")
        dt = np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
        begin, end = entry["data_offsets"]
        a = np.frombuffer(raw, dt, count=(end - begin) // dt.itemsize, offset=8 + n + begin)
        out[name] = a.reshape(entry["shape"]).astype(dt.newbyteorder("="))
    return out, metadata


def load_state_dict(path: str | os.PathLike) -> dict:
    """The file as a PyTorch state dict (``torch`` is imported only here)."""
    import torch
    arrays, _ = load_file(path)
    return {name: torch.from_numpy(a) for name, a in arrays.items()}
