"""Check that this package reproduces NetCanvas: exit 0 only when model.py with weights.safetensors
gives NetCanvas's predictions for the rows in golden.npz within the tolerance in spec.json (1e-5
relative, by the rule of NetCanvas's ONNX check: see rules.relative_difference).

    python verify.py [--weights FILE]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

from data import load_spec
from model import Net
from rules import relative_difference
from weights_io import load_state_dict

HERE = os.path.dirname(os.path.abspath(__file__))


def predict(net: torch.nn.Module, spec: dict, X_raw: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    """Raw features ``(N, F)`` → the target's units ``(N, T)`` or class probabilities ``(N, K)``:
    standardized in float64, the network in ``dtype``, the answer in float64 (as NetCanvas's ONNX)."""
    norm, task = spec["normalization"], spec["data"]["task"]
    X = (X_raw - np.asarray(norm["x_mean"])) / np.asarray(norm["x_std"])
    net.eval()
    with torch.no_grad():
        z = net(torch.from_numpy(X).to(dtype)).double()
    if task == "regression":
        return z.numpy() * np.asarray(norm["y_std"]) + np.asarray(norm["y_mean"])
    if task == "binary":
        return torch.stack([torch.sigmoid(-z[:, 0]), torch.sigmoid(z[:, 0])], dim=1).numpy()
    return torch.softmax(z, dim=1).numpy()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="verify.py", description=__doc__.splitlines()[0])
    p.add_argument("--weights", default=os.path.join(HERE, "weights.safetensors"))
    args = p.parse_args(argv)
    spec = load_spec()
    dtype = torch.float64 if spec["training"]["dtype"] == "float64" else torch.float32
    net = Net().to(dtype)
    net.load_state_dict(load_state_dict(args.weights))
    golden = np.load(os.path.join(HERE, "golden.npz"))
    got = predict(net, spec, golden["X_raw"], dtype)
    want = golden["predictions"]
    tol = spec["tolerance"]
    if got.shape != want.shape:
        print(f"verify.py: FAILED: the package gives shape {list(got.shape)}, NetCanvas {list(want.shape)}")
        return 1
    norm = spec["normalization"]
    diff = relative_difference(got, want, spec["data"]["task"], norm["y_std"])
    ok = diff <= tol
    print(f"verify.py: {'OK' if ok else 'FAILED'}: {len(want)} rows, largest relative difference from NetCanvas "
          f"{diff:.2e} ({'within' if ok else 'more than'} {tol:.0e})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
