"""Several starts of one network trained together: K initializations (seeds), one batched run.

A small network is overhead-bound: each NumPy call costs about a microsecond whatever its size,
so K runs one after another cost K times the calls. Here the K starts' parameters are stacked
along a new leading axis, ``P`` of shape ``(K, n)`` (each layer's ``W`` a ``(K, F, U)`` view of
it), and every update is one forward and one backward of batched matmuls over that axis: the K
starts cost about one run's calls.

What start k is: the run a :class:`~engine.trainer.Trainer` makes with the same graph, data and
settings but ``seed = config.seed + k`` for its initial weights, and the data order of start 0
(every start sees the same shuffled batches). So start 0 is exactly what Train makes; for the
others, a Trainer with seed ``seeds[k]`` whose generator is then set to ``order_state`` makes
the same run (``tests/test_multistart.py`` checks this against sequential Trainers).

Supported: every layer kind except Dropout (its random masks would differ from the sequential
runs), every loss, every optimizer (AdamW only without weight decay), L1/L2 penalties, learning-
rate schedules, gradient clipping (per start), early stopping and divergence (per start: a start
that stops keeps its weights while the others go on). Anything else is refused with a
:class:`MultiStartError` that says why. No Qt here.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np

from .layers import Concat, Dense, Dropout, Identity
from .model import Model
from .regularization import config_lr_at, is_scheduled
from .scores import evaluate
from .trainer import ConfigError, TrainConfig, Trainer

__all__ = ["MultiStart", "MultiStartError", "StartResult", "MAX_STARTS", "MAX_STACKED", "DEFAULT_STARTS"]

DEFAULT_STARTS = 8
MAX_STARTS = 64
MAX_STACKED = 4_000_000     # K × parameters: the stacked weights, gradients and optimizer state


class MultiStartError(ValueError):
    """The network or its settings cannot be trained as several batched starts; the message says why."""


@dataclass
class StartResult:
    """One start's end: its seed, weights, scores (``evaluate``'s dicts) and how it stopped."""
    index: int
    seed: int
    weights: dict
    train: dict
    val: dict
    epochs: int
    stop_reason: str
    message: str

    @property
    def val_loss(self) -> float:
        v = self.val.get("loss", math.nan)
        return v if math.isfinite(v) else self.train.get("loss", math.nan)


# -- batched ops -----------------------------------------------------------------------------
class _BDense:
    """``y = x·W + b`` for K stacked ``W`` ``(K, F, U)``; ``x`` is ``(B, F)`` (shared) or ``(K, B, F)``."""
    multi_input = False

    def __init__(self, W, b, gW, gb, need_dx: bool) -> None:
        self.W, self.b, self.gW, self.gb, self.need_dx = W, b, gW, gb, need_dx
        self._b3 = None if b is None else b[:, None, :]      # (K, 1, U): added to every row
        self._gb3 = None if gb is None else gb[:, None, :]
        self._ones = np.ones((1, 0), W.dtype)

    def forward(self, x, training=False):
        self._x = x
        y = np.matmul(x, self.W)
        if self._b3 is not None:
            y += self._b3
        return y

    def backward(self, dy):
        x = self._x
        np.matmul(x.T if x.ndim == 2 else x.transpose(0, 2, 1), dy, out=self.gW)
        if self._gb3 is not None:
            # Σ over the batch as a (1, B)·(K, B, U) product: ~2× faster than a sum over the middle axis
            if self._ones.shape[1] != dy.shape[1]:
                self._ones = np.ones((1, dy.shape[1]), dy.dtype)
            np.matmul(self._ones, dy, out=self._gb3)
        if not self.need_dx:
            return None
        Wt = self.W.transpose(0, 2, 1)
        # one unit out (the usual last layer): dy·Wᵀ is an outer product, a broadcast product is ~4× faster
        return dy * Wt if Wt.shape[1] == 1 else np.matmul(dy, Wt)


class _BConcat:
    multi_input = True

    def forward(self, xs, training=False):
        self._splits = np.cumsum([x.shape[-1] for x in xs])[:-1]
        return np.concatenate(xs, axis=-1)

    def backward(self, dy):
        return np.split(dy, self._splits, axis=-1)


# -- batched losses: value per start (K,) and dL/dpred (K, B, T), each start's as the engine's ----
def _loss_fn(name: str):
    if name == "mse":
        def f(pred, y):
            e = pred - y
            n = e[0].size
            v = (e * e).sum(axis=(1, 2)) / n
            e *= 2.0 / n
            return v, e
    elif name == "mae":
        def f(pred, y):
            e = pred - y
            n = e[0].size
            return np.abs(e).sum(axis=(1, 2)) / n, np.sign(e) / n
    elif name == "huber":
        def f(pred, y):
            e = pred - y
            a = np.abs(e)
            v = np.where(a <= 1.0, 0.5 * a * a, a - 0.5).mean(axis=(1, 2))
            return v, np.clip(e, -1.0, 1.0) / e[0].size
    elif name == "bce":
        from .layers import sigmoid

        def f(pred, y):
            z = pred[..., 0]
            v = (np.logaddexp(0, z) - y * z).mean(axis=1)
            g = sigmoid(pred)
            g[..., 0] -= y
            g /= len(y)
            return v, g
    elif name == "ce":
        def f(pred, y):
            rows = np.arange(len(y))
            z = pred - pred.max(axis=-1, keepdims=True)
            ez = np.exp(z)
            s = ez.sum(axis=-1)
            v = (np.log(s) - z[:, rows, y]).mean(axis=1)
            p = ez / s[..., None]
            p[:, rows, y] -= 1
            p /= len(y)
            return v, p
    else:  # pragma: no cover - every engine loss is above
        raise MultiStartError(f"several starts cannot use the loss '{name}'")
    return f


class MultiStart:
    """K starts of ``graph`` on ``data`` under ``config``, trained as one batched computation.

    ``run(max_updates, max_seconds, cancelled)`` goes on until every start has stopped (its epochs,
    early stopping, divergence) or a limit; ``results()`` gives each start's weights and scores.
    """

    def __init__(self, graph, data, config: TrainConfig, starts: int = DEFAULT_STARTS) -> None:
        cfg = copy.deepcopy(config)
        K = starts
        if isinstance(K, bool) or not isinstance(K, int) or not 2 <= K <= MAX_STARTS:
            raise MultiStartError(f"the number of starts must be a whole number from 2 to {MAX_STARTS}, not {K!r}")
        if not cfg.epochs:
            raise MultiStartError("several starts need a number of epochs (it is 0, 'until stopped')")
        if cfg.optimizer == "adamw" and cfg.weight_decay:
            raise MultiStartError("several starts cannot use AdamW's weight decay; use an L2 penalty or "
                                  "set the weight decay to 0")
        for node in graph.nodes.values():
            if node.kind == "dropout" and node.params.get("rate"):
                raise MultiStartError(f"several starts cannot train {node.id}: a Dropout's random masks "
                                      f"would differ from start to start; set its rate to 0 or remove it")
        cfg.track = []
        try:
            base = Trainer(graph, data, cfg)      # checks the data and settings, builds start 0
        except ConfigError as exc:
            raise MultiStartError(str(exc)) from None
        model = base.model
        n = model.parameter_count()
        if K * n > MAX_STACKED:
            raise MultiStartError(f"{K} starts of {n:,} parameters are too many to stack ({K * n:,} > "
                                  f"{MAX_STACKED:,}); choose at most {max(MAX_STACKED // max(n, 1), 1)} starts")
        self.config, self.K, self.base = cfg, K, base
        self.seeds = [cfg.seed + k for k in range(K)]
        self.order_state = copy.deepcopy(base.rng.bit_generator.state)   # before the first shuffle
        self.rng = base.rng
        dt = model.dtype
        self.P = np.empty((K, n), dt)
        self.P[0] = model.flat_params
        for k in range(1, K):
            self.P[k] = Model(graph, dtype=dt, rng=np.random.default_rng(self.seeds[k])).flat_params
        self.G = np.zeros_like(self.P)
        self._build_plan(model)
        self.loss_fn = _loss_fn(cfg.loss)
        self.optimizer = base.optimizer             # elementwise rules: the same on (K, n)
        # the update in blocks of starts that stay in the cache (a wide network's K rows do not):
        # elementwise, so the result is the same; a small network is one block
        rows = max(1, 32768 // max(n, 1))
        blocks = {f"starts{i}": slice(i, min(i + rows, K)) for i in range(0, K, rows)}
        self._groups = ({b: self.P[sl] for b, sl in blocks.items()}, {b: self.G[sl] for b, sl in blocks.items()})
        self.penalty = base.penalty
        self.X, self.y, self.Xv, self.yv = base.X, base.y, base.Xv, base.yv
        self.B, self.N = base.batch_size, base.n_train
        self.updates_per_epoch = base.updates_per_epoch
        self.updates = 0
        self.epoch = 0
        self._pos = 0
        self._Xs = self._ys = None
        self.backup = self.P.copy()
        self.hold = self.P.copy()                   # the weights a stopped start keeps
        self.alive = np.ones(K, bool)
        self._some_stopped = False
        self.stopped_epoch = np.zeros(K, np.int64)
        self.stop_reason = ["epochs"] * K
        self.messages = [""] * K
        self.best = self.P.copy()
        self.best_val = np.full(K, math.inf)
        self.since_best = np.zeros(K, np.int64)
        self.train_loss: list[np.ndarray] = []      # per epoch, (K,)
        self.val_loss: list[np.ndarray] = []
        self.seconds = 0.0
        self.finished = False

    # -- the stacked network ------------------------------------------------------------------
    def _build_plan(self, model: Model) -> None:
        K, n = self.P.shape

        def view(A, name):
            off, shape = model.offsets[name], model.params[name].shape
            size = int(np.prod(shape))
            return A[:, off:off + size].reshape((K,) + shape)

        self._plan = []
        node_of = {id(op): nid for nid, op in model.ops.items()}
        for op, ins, out in model._plan:
            nid = node_of[id(op)]
            if isinstance(op, Dense):
                b = f"{nid}.b" if op.bias else None
                bop = _BDense(view(self.P, f"{nid}.W"), b and view(self.P, b), view(self.G, f"{nid}.W"),
                              b and view(self.G, b), op.need_dx)
            elif isinstance(op, Concat):
                bop = _BConcat()
            elif isinstance(op, Dropout):
                bop = copy.copy(op)               # rate 0 (checked): passes x through
            else:
                bop = copy.copy(op)               # elementwise activations, Add, Identity
            self._plan.append((bop, ins, out))
        self._widest = max([model.n_inputs, *model.widths.values()])
        self._n_vals = len(model.order)
        self._out = model._out
        # a chain of single-input ops (the usual network) runs as a plain loop, identities left out
        chain = all(not op.multi_input for op, _, _ in self._plan) and \
            all(ins == [i] for i, (_, ins, _) in enumerate(self._plan))
        self._chain = [op for op, _, _ in self._plan if type(op) is not Identity] if chain else None

    def forward(self, X: np.ndarray) -> np.ndarray:
        """The K starts' raw outputs ``(K, B, T)`` for inputs ``X`` ``(B, F)``."""
        if self._chain is not None:
            for op in self._chain:
                X = op.forward(X, True)
            return X
        vals = [None] * self._n_vals
        vals[0] = X
        for op, ins, out in self._plan:
            vals[out] = op.forward([vals[i] for i in ins] if op.multi_input else vals[ins[0]], True)
        return vals[self._out]

    def _backward(self, dY) -> None:
        if self._chain is not None:
            for op in reversed(self._chain):
                dY = op.backward(dY)
                if dY is None:
                    return
            return
        d = [None] * self._n_vals
        d[self._out] = dY
        for op, ins, out in reversed(self._plan):
            g = d[out]
            if g is None:
                continue
            grads = op.backward(g) if op.multi_input else [op.backward(g)]
            for i, gi in zip(ins, grads):
                if gi is not None and i != 0:
                    d[i] = gi if d[i] is None else d[i] + gi

    # -- training ------------------------------------------------------------------------------
    def run(self, max_updates: int | None = None, max_seconds: float | None = None, cancelled=None) -> int:
        """Train until every start stopped, ``max_updates`` more updates, ``max_seconds``, or
        ``cancelled()`` says so (checked between chunks of updates); returns updates made."""
        done = 0
        t_end = None if max_seconds is None else time.perf_counter() + max_seconds
        with np.errstate(all="ignore"):
            while not self.finished and (max_updates is None or done < max_updates):
                chunk = 64 if max_updates is None else min(max_updates - done, 64)
                done += self._steps(chunk)
                if (t_end is not None and time.perf_counter() >= t_end) or (cancelled and cancelled()):
                    break
        return done

    @property
    def total_updates(self) -> int:
        return self.config.epochs * self.updates_per_epoch

    def _steps(self, count: int) -> int:
        t0 = time.perf_counter()
        P, G, opt, cfg = self.P, self.G, self.optimizer, self.config
        pgroup, ggroup = self._groups
        B, N = self.B, self.N
        pen = self.penalty.terms if self.penalty.active else ()
        clip = cfg.clip_norm
        scheduled = is_scheduled(cfg)
        done = 0
        while done < count and not self.finished:
            if self._pos == 0:
                perm = self.rng.permutation(N)
                self._Xs, self._ys = self.X[perm], self.y[perm]
            i = self._pos
            xb, yb = self._Xs[i:i + B], self._ys[i:i + B]
            value, dpred = self.loss_fn(self.forward(xb), yb)
            if not math.isfinite(value.sum()):
                bad = ~np.isfinite(value) & self.alive
                if bad.any():
                    self._diverge(np.flatnonzero(bad), value)
            np.copyto(self.backup, P)
            self._backward(dpred)
            for sl, l2, l1 in pen:
                w, g = P[:, sl], G[:, sl]
                if l2:
                    g += (2.0 * l2) * w
                if l1:
                    g += l1 * np.sign(w)
            if clip:
                norm = np.sqrt(np.einsum("kn,kn->k", G, G))
                over = (norm > clip) & np.isfinite(norm)
                if over.any():
                    G[over] *= (clip / norm[over])[:, None].astype(G.dtype)
            if scheduled:
                opt.lr = config_lr_at(cfg, self.updates, self.updates_per_epoch, self.total_updates)
            opt.step(pgroup, ggroup)
            if self._some_stopped:
                dead = ~self.alive
                P[dead] = self.hold[dead]
            self.updates += 1
            done += 1
            self._pos = i + B
            if self._pos >= N:
                self._pos = 0
                self._end_epoch()
        self.seconds += time.perf_counter() - t0
        return done

    def _stop(self, k: int, reason: str, weights: np.ndarray, message: str) -> None:
        self.P[k] = weights
        self.hold[k] = weights
        self.alive[k] = False
        self._some_stopped = True
        self.stop_reason[k], self.messages[k] = reason, message
        self.stopped_epoch[k] = self.epoch
        if not self.alive.any():
            self.finished = True

    def _diverge(self, ks, value) -> None:
        for k in ks:
            word = "NaN" if math.isnan(value[k]) else "infinite"
            self._stop(int(k), "diverged", self.backup[k].copy(),
                       f"the loss became {word} at update {self.updates + 1}; kept the last finite weights")

    def _losses(self, X, y) -> np.ndarray:
        """Each start's loss over a whole set, as ``engine.scores.evaluate`` computes it."""
        if len(X) == 0:
            return np.full(self.K, math.nan)
        # pieces whose widest layer (K × rows × units) stays in the cache: ~2× faster than K evaluations
        chunk = max(16, 65536 // (self.K * self._widest))
        preds = np.concatenate([self.forward(X[i:i + chunk]).astype(np.float64)
                                for i in range(0, len(X), chunk)], axis=1)
        loss = self.base.loss
        return np.array([loss.value(preds[k], y) for k in range(self.K)])

    def _end_epoch(self) -> None:
        self.epoch += 1
        tr = self._losses(self.base._X_eval, self.base._y_eval)
        va = self._losses(self.Xv, self.yv)
        self.train_loss.append(tr)
        self.val_loss.append(va)
        patience = self.config.early_stopping
        if patience:
            for k in np.flatnonzero(self.alive):
                if not math.isfinite(va[k]):
                    continue
                if va[k] < self.best_val[k]:
                    self.best_val[k], self.since_best[k] = va[k], 0
                    self.best[k] = self.P[k]
                else:
                    self.since_best[k] += 1
                    if self.since_best[k] >= patience:
                        self._stop(int(k), "early_stopping", self.best[k].copy(),
                                   f"stopped early after epoch {self.epoch}")
        if self.epoch >= self.config.epochs:
            for k in np.flatnonzero(self.alive):
                self.stopped_epoch[k] = self.epoch
            self.alive[:] = False
            self.finished = True

    # -- results -------------------------------------------------------------------------------
    def progress(self) -> float:
        """The fraction of the planned updates made (1 when finished)."""
        return 1.0 if self.finished else min(self.updates / max(self.total_updates, 1), 1.0)

    def weights(self, k: int) -> dict[str, np.ndarray]:
        """Start k's parameters as the engine names them (``dense1.W`` …), copies."""
        model = self.base.model
        out = {}
        for name, p in model.params.items():
            off = model.offsets[name]
            out[name] = self.P[k, off:off + p.size].reshape(p.shape).copy()
        return out

    def results(self) -> list[StartResult]:
        """Every start's weights and scores (the engine's ``evaluate`` on a model of its weights)."""
        model, base = self.base.model.copy(), self.base
        out = []
        for k in range(self.K):
            np.copyto(model.flat_params, self.P[k])
            with np.errstate(all="ignore"):        # a start that diverged may overflow on some rows
                train = evaluate(model, base.loss, base._X_eval, base._y_eval, base.y_std)
                val = evaluate(model, base.loss, self.Xv, self.yv, base.y_std)
            reason = self.stop_reason[k] if self.finished or not self.alive[k] else "cancelled"
            out.append(StartResult(k, self.seeds[k], self.weights(k), train, val,
                                   int(self.stopped_epoch[k] if not self.alive[k] else self.epoch),
                                   reason, self.messages[k]))
        return out
