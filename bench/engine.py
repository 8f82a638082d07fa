"""How fast does the engine train, next to a hand-written NumPy loop? Prints one table.

    python bench/engine.py                 # both cases, 5 repetitions each
    python bench/engine.py --repeat 3

Two cases:

- lecture: N = 10000, 7 → 32 sigmoid → 1, MSE, SGD lr 0.01, B = 10, float32, 3 epochs
- large:   N = 100000, 64 → 256 ReLU → 256 ReLU → 1, MSE, Adam lr 0.001, B = 256, float32, 1 epoch

For each: ``Trainer.run`` (which also evaluates the training set — up to
``Trainer.EVAL_ROWS`` rows — and the validation set after every epoch, as the GUI needs per-epoch
losses), the same run with that evaluation excluded, a plain hand-written NumPy loop doing exactly the same
updates (shuffle per epoch, same network, loss, optimizer, batching and
dtype, the loss value read every update), and PyTorch on the CPU when it is
installed. Runs interleave so machine load hits all contenders alike; the
median is shown as updates per second. This is a measurement, not a test.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine import trainer as trainer_module  # noqa: E402
from engine.graph import sequential  # noqa: E402
from engine.trainer import ArrayData, TrainConfig, Trainer  # noqa: E402


@dataclass
class Case:
    name: str
    n: int
    features: int
    hidden: list[tuple[int, str]]
    optimizer: str
    lr: float
    batch: int
    epochs: int
    dtype: str = "float32"

    @property
    def updates(self) -> int:
        return -(-self.n // self.batch) * self.epochs

    def describe(self) -> str:
        layers = " → ".join([str(self.features)] + [f"{u} {a}" for u, a in self.hidden] + ["1"])
        return (f"{self.name}: N={self.n}, {layers}, MSE, {self.optimizer} lr {self.lr:g}, "
                f"B={self.batch}, {self.dtype}, {self.epochs} epoch(s) = {self.updates} updates")


CASES = [
    Case("lecture", 10_000, 7, [(32, "sigmoid")], "sgd", 0.01, 10, 3),
    Case("large", 100_000, 64, [(256, "relu"), (256, "relu")], "adam", 0.001, 256, 1),
]


def make_data(case: Case, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((case.n, case.features)).astype(case.dtype)
    w = rng.standard_normal(case.features).astype(case.dtype)
    y = (np.sin(X @ w) + 0.1 * rng.standard_normal(case.n)).astype(case.dtype)
    return X, y


# -- contenders: each returns seconds spent in the timed part ---------------------------

def run_engine(case: Case, X, y, seed: int) -> float:
    tr = Trainer(sequential(case.features, case.hidden), ArrayData(X, y),
                 TrainConfig(loss="mse", optimizer=case.optimizer, lr=case.lr, batch_size=case.batch,
                             epochs=case.epochs, seed=seed, dtype=case.dtype))
    t = time.perf_counter()
    tr.run()
    seconds = time.perf_counter() - t
    assert tr.updates == case.updates and tr.stop_reason == "epochs", tr.message
    return seconds


def run_engine_without_evaluation(case: Case, X, y, seed: int) -> float:
    """Trainer.run minus the time spent in the per-epoch whole-set evaluation."""
    spent = [0.0]
    original = trainer_module.evaluate

    def timed_evaluate(*args, **kwargs):
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t

    trainer_module.evaluate = timed_evaluate
    try:
        total = run_engine(case, X, y, seed)
    finally:
        trainer_module.evaluate = original
    return total - spent[0]


def _act(kind):
    """(forward, backward-from-output) for an activation, as anyone would write them."""
    if kind == "sigmoid":
        def f(z):
            return 0.5 * (1.0 + np.tanh(0.5 * z))

        def df(a, dy):
            return dy * a * (1 - a)
    elif kind == "relu":
        def f(z):
            return np.maximum(z, 0)

        def df(a, dy):
            return dy * (a > 0)
    else:
        raise ValueError(kind)
    return f, df


def run_numpy(case: Case, X, y, seed: int) -> float:
    """A plain hand-written loop: per-layer arrays, forward, MSE, backward, update."""
    dt = np.dtype(case.dtype)
    rng = np.random.default_rng(seed)
    sizes = [case.features] + [u for u, _ in case.hidden] + [1]
    acts = [_act(a) for _, a in case.hidden]
    Ws, bs = [], []
    for fan_in, fan_out, kind in zip(sizes[:-1], sizes[1:], [a for _, a in case.hidden] + ["identity"]):
        if kind == "relu":
            W = rng.normal(0, np.sqrt(2 / fan_in), (fan_in, fan_out))
        else:
            lim = np.sqrt(6 / (fan_in + fan_out))
            W = rng.uniform(-lim, lim, (fan_in, fan_out))
        Ws.append(W.astype(dt))
        bs.append(np.zeros(fan_out, dt))
    params = Ws + bs
    Y = y.reshape(-1, 1)
    L = len(Ws)
    lr = case.lr
    if case.optimizer == "adam":
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        b1, b2, eps = 0.9, 0.999, 1e-8
    t_step = 0
    losses = []

    t = time.perf_counter()
    for _ in range(case.epochs):
        perm = rng.permutation(case.n)
        Xs, Ys = X[perm], Y[perm]
        for i in range(0, case.n, case.batch):
            xb, yb = Xs[i:i + case.batch], Ys[i:i + case.batch]
            hs = [xb]
            h = xb
            for k in range(L):
                z = h @ Ws[k] + bs[k]
                h = acts[k][0](z) if k < L - 1 else z
                hs.append(h)
            e = h - yb
            losses.append(float(np.mean(e * e)))
            d = e * (2.0 / e.size)
            grads_W, grads_b = [None] * L, [None] * L
            for k in reversed(range(L)):
                grads_W[k] = hs[k].T @ d
                grads_b[k] = d.sum(axis=0)
                if k > 0:
                    d = acts[k - 1][1](hs[k], d @ Ws[k].T)
            grads = grads_W + grads_b
            t_step += 1
            if case.optimizer == "sgd":
                for p, g in zip(params, grads):
                    p -= lr * g
            else:
                step = lr * np.sqrt(1 - b2 ** t_step) / (1 - b1 ** t_step)
                for p, g, mk, vk in zip(params, grads, m, v):
                    mk *= b1
                    mk += (1 - b1) * g
                    vk *= b2
                    vk += (1 - b2) * (g * g)
                    p -= step * mk / (np.sqrt(vk) + eps)
    seconds = time.perf_counter() - t
    assert t_step == case.updates and np.isfinite(losses).all()
    return seconds


def run_torch(case: Case, X, y, seed: int) -> float:
    import torch

    torch.manual_seed(seed)
    dt = {"float32": torch.float32, "float64": torch.float64}[case.dtype]
    layers = []
    fan_in = case.features
    for units, act in case.hidden:
        layers += [torch.nn.Linear(fan_in, units), {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU}[act]()]
        fan_in = units
    layers.append(torch.nn.Linear(fan_in, 1))
    net = torch.nn.Sequential(*layers).to(dt)
    opt = (torch.optim.SGD if case.optimizer == "sgd" else torch.optim.Adam)(net.parameters(), lr=case.lr)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(y.reshape(-1, 1))
    gen = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.MSELoss()
    losses = []
    t = time.perf_counter()
    for _ in range(case.epochs):
        perm = torch.randperm(case.n, generator=gen)
        Xs, Ys = Xt[perm], Yt[perm]
        for i in range(0, case.n, case.batch):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(Xs[i:i + case.batch]), Ys[i:i + case.batch])
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return time.perf_counter() - t


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def median_rates(case: Case, fns, repeat: int) -> tuple[list[float], float]:
    """Median updates per second of each contender, and the largest slowest/fastest ratio
    among any contender's runs (a noisy machine shows up there). Runs interleave after one
    untimed warm-up each (the first run in a process pays for fresh pages and BLAS threads)."""
    X, y = make_data(case)
    for fn in fns:
        fn(case, X, y, seed=0)
    times = [[] for _ in fns]
    for r in range(repeat):
        for i, fn in enumerate(fns):
            times[i].append(fn(case, X, y, seed=r))
    rates = [case.updates / statistics.median(t) for t in times]
    spread = max(max(t) / min(t) for t in times)
    return rates, spread


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed repetitions per contender (default 5)")
    args = ap.parse_args(argv)

    have_torch = torch_available()
    print(f"numpy {np.__version__}; PyTorch {'available' if have_torch else 'not installed'}")
    for case in CASES:
        print("  " + case.describe())
    print()
    head = ["case", "engine", "engine w/o eval", "hand NumPy", "PyTorch CPU", "engine/hand", "w/o eval/hand",
            "spread"]
    rows = []
    for case in CASES:
        repeat = args.repeat
        fns = [run_engine, run_engine_without_evaluation, run_numpy] + ([run_torch] if have_torch else [])
        rates, spread = median_rates(case, fns, repeat)
        eng, eng_noeval, hand = rates[:3]
        torch_col = f"{rates[3]:,.0f}" if have_torch else "not installed"
        rows.append([case.name, f"{eng:,.0f}", f"{eng_noeval:,.0f}", f"{hand:,.0f}", torch_col,
                     f"{eng / hand:.2f}x", f"{eng_noeval / hand:.2f}x", f"{spread:.2f}"])
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
    print("\nupdates per second, median of interleaved runs; 'engine' includes the per-epoch evaluation\n"
          "of up to Trainer.EVAL_ROWS training rows; spread = slowest/fastest run of any contender "
          "(near 1 = quiet machine;\na large spread makes the row unreliable, run again or set "
          "OPENBLAS_NUM_THREADS=1)")


if __name__ == "__main__":
    main()
