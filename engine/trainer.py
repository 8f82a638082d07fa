"""The training loop as a steppable object. No threads, no Qt.

One *update* is one batch: forward, loss, backward, optimizer step. One
*epoch* is every batch once: N examples with batch size B give ⌈N/B⌉ updates.
After each epoch the trainer evaluates the validation set and the training set
(at most ``Trainer.EVAL_ROWS`` evenly spaced rows of it) and records their loss
and metrics. A non-finite loss stops training, restores
the last weights that gave a finite loss, and says at which update it happened.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from .graph import Graph
from .losses import losses_for_task, make_loss
from .model import Model, ModelError
from .scores import class_scores, confusion_matrix, evaluate, macro_f1  # noqa: F401  (public here too)
from .optimizers import OPTIMIZERS, make_optimizer
from .regularization import SCHEDULES, Penalty, clip_global_norm, config_lr_at, dense_weight_slices, is_scheduled

__all__ = ["TrainConfig", "ConfigError", "ArrayData", "Trainer", "evaluate", "default_loss", "updates_per_epoch",
           "confusion_matrix", "class_scores", "macro_f1"]


class ConfigError(ValueError):
    """A training setting that cannot be used, named in the message."""


def default_loss(task: str) -> str:
    return losses_for_task(task)[0]


def updates_per_epoch(n_train: int, batch_size: int) -> int:
    """Updates in one epoch of ``n_train`` examples in batches of ``batch_size`` (the last batch
    may be smaller; a batch larger than the data is the whole data): ceil(N / min(B, N))."""
    n, b = int(n_train), int(batch_size)
    if n <= 0 or b <= 0:
        return 0
    return -(-n // min(b, n))


@dataclass
class TrainConfig:
    loss: str = "mse"
    optimizer: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.9           # used by the "momentum" optimizer
    batch_size: int = 32
    epochs: int = 100               # 0 means "until stopped"
    seed: int = 0
    early_stopping: int = 0         # patience in epochs without a better validation loss; 0 = off
    dtype: str = "float32"
    track: list[str] = field(default_factory=list)   # two scalar names whose path is recorded
    # regularization and the learning-rate schedule (engine/regularization.py); the defaults
    # change nothing, so projects saved before they existed load and train as they did
    l2: float = 0.0                 # λ₂: adds λ₂·Σw² over Dense weights (a node may set its own)
    l1: float = 0.0                 # λ₁: adds λ₁·Σ|w| over Dense weights
    weight_decay: float = 0.0       # the "adamw" optimizer's decoupled decay
    lr_schedule: str = "constant"   # constant | step | cosine
    lr_step_epochs: int = 10        # step: multiply η by lr_gamma every this many epochs
    lr_gamma: float = 0.5
    warmup: int = 0                 # linear warm-up over this many updates; 0 = none
    clip_norm: float = 0.0          # clip the gradient's global norm to this; 0 = off

    def validate(self) -> None:
        def whole(name, lo):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ConfigError(f"{name.replace('_', ' ')} must be a whole number ≥ {lo}, not {v!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer '{self.optimizer}'; choose from {', '.join(OPTIMIZERS)}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) \
                or not math.isfinite(self.lr) or self.lr <= 0:
            raise ConfigError(f"learning rate must be a positive number, not {self.lr!r}")
        if not isinstance(self.momentum, (int, float)) or not 0 <= self.momentum < 1:
            raise ConfigError(f"momentum must be at least 0 and below 1, not {self.momentum!r}")
        def number(name, upper=math.inf):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < upper:
                raise ConfigError(f"{name.replace('_', ' ')} must be a number ≥ 0"
                                  f"{'' if upper == math.inf else f' and below {upper:g}'}, not {v!r}")
        for name in ("l2", "l1", "weight_decay", "clip_norm"):
            number(name)
        number("lr_gamma", 1e6)
        if self.lr_schedule not in SCHEDULES:
            raise ConfigError(f"unknown learning-rate schedule {self.lr_schedule!r}; "
                              f"choose from {', '.join(SCHEDULES)}")
        whole("lr_step_epochs", 1)
        whole("warmup", 0)
        whole("batch_size", 1)
        whole("epochs", 0)
        whole("seed", 0)
        whole("early_stopping", 0)
        if self.dtype not in ("float32", "float64"):
            raise ConfigError(f"dtype must be float32 or float64, not {self.dtype!r}")
        if not isinstance(self.track, list) or len(self.track) not in (0, 2) \
                or not all(isinstance(t, str) for t in self.track):
            raise ConfigError("track must name two parameter scalars, e.g. ['dense2.b[0]', 'dense2.W[0,0]']")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "TrainConfig":
        if not isinstance(data, dict):
            raise ConfigError("training settings must be an object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown training setting {', '.join(sorted(unknown))}")
        cfg = cls(**{k: (list(v) if k == "track" and isinstance(v, list) else v) for k, v in data.items()})
        cfg.validate()
        return cfg


@dataclass
class ArrayData:
    """Training data as arrays (already normalized); what a Dataset also provides."""
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    task: str = "regression"
    y_std: np.ndarray | None = None   # target scale, so MAE is reported in the target's units

    def __post_init__(self):
        if self.X_val is None:
            self.X_val = self.X_train[:0]
            self.y_val = self.y_train[:0]


def _column(y) -> np.ndarray:
    y = np.asarray(y)
    return y[:, None] if y.ndim == 1 else y


class _Growable:
    """A preallocated buffer that doubles when full; ``view()`` is the filled part."""

    def __init__(self, width: int = 0, capacity: int = 4096) -> None:
        shape = (capacity,) if width == 0 else (capacity, width)
        self.buf = np.empty(shape, np.float64)
        self.n = 0

    def append(self, value) -> None:
        if self.n == len(self.buf):
            new = np.empty((2 * len(self.buf),) + self.buf.shape[1:], np.float64)
            new[:self.n] = self.buf
            self.buf = new
        self.buf[self.n] = value
        self.n += 1

    def view(self) -> np.ndarray:
        return self.buf[:self.n]

    def put(self, start: int, values) -> None:
        """Write ``values`` from position ``start`` on; whatever came after is dropped."""
        values = np.asarray(values, np.float64)
        n = min(start, self.n) + len(values)
        if n > len(self.buf):
            new = np.empty((max(2 * len(self.buf), n),) + self.buf.shape[1:], np.float64)
            new[:self.n] = self.buf[:self.n]
            self.buf = new
        self.buf[min(start, self.n):n] = values.reshape((len(values),) + self.buf.shape[1:])
        self.n = n

    def fill(self, values) -> None:
        """Replace the contents with ``values``."""
        values = np.asarray(values, np.float64)
        n = len(values)
        self.buf = np.empty((max(4096, 2 * n),) + self.buf.shape[1:], np.float64)
        if n:
            self.buf[:n] = values.reshape((n,) + self.buf.shape[1:])
        self.n = n

    def clear(self) -> None:
        self.n = 0


class Trainer:
    """Trains a graph on data, one update at a time.

    ``step()`` makes one update, ``run_epoch()`` finishes the current epoch,
    ``run(max_updates)`` goes on until done or until ``max_updates`` more
    updates were made. ``finished`` tells whether training ended and
    ``stop_reason`` why: ``"epochs"``, ``"early_stopping"`` or ``"diverged"``.
    """

    EVAL_ROWS = 10000

    def __init__(self, graph: Graph, data, config: TrainConfig | None = None,
                 model: Model | None = None) -> None:
        self.config = config or TrainConfig()
        self.config.validate()
        cfg = self.config
        self.rng = np.random.default_rng(cfg.seed)
        self.model = model if model is not None else Model(graph, dtype=cfg.dtype, rng=self.rng)
        self.task = self.model.task
        data_task = getattr(data, "task", self.task)
        if data_task != self.task:
            raise ConfigError(f"the data is a {data_task} task but the Output node says {self.task}")
        try:
            self.loss = make_loss(cfg.loss, self.task)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        dt = self.model.dtype
        self.X = np.ascontiguousarray(data.X_train, dtype=dt)
        self.Xv = np.ascontiguousarray(data.X_val, dtype=dt)
        if self.task == "regression":
            self.y = np.ascontiguousarray(_column(data.y_train), dtype=dt)
            self.yv = np.ascontiguousarray(_column(data.y_val), dtype=dt)
        else:
            self.y = np.asarray(data.y_train, np.int64).ravel()
            self.yv = np.asarray(data.y_val, np.int64).ravel()
        if self.X.ndim != 2 or self.X.shape[1] != self.model.n_inputs:
            raise ConfigError(f"the Input node has {self.model.n_inputs} features but the data has "
                              f"{self.X.shape[1] if self.X.ndim == 2 else '?'}")
        if len(self.X) == 0:
            raise ConfigError("there are no training examples")
        if self.task == "regression" and self.y.shape[1] != self.model.n_outputs:
            raise ConfigError(f"the Output node has width {self.model.n_outputs} but the data has "
                              f"{self.y.shape[1]} target columns")
        if self.task == "multiclass" and self.y.max(initial=0) >= self.model.n_outputs:
            raise ConfigError(f"the data has {int(self.y.max()) + 1} classes but the Output node has "
                              f"width {self.model.n_outputs}")
        self.y_std = getattr(data, "y_std", None) if self.task == "regression" else None
        # the per-epoch training loss is measured on at most EVAL_ROWS evenly spaced rows,
        # so that on large data the check costs a small fraction of an epoch
        if len(self.X) > self.EVAL_ROWS:
            idx = np.linspace(0, len(self.X) - 1, self.EVAL_ROWS).round().astype(np.int64)
            self._X_eval, self._y_eval = self.X[idx], self.y[idx]
        else:
            self._X_eval, self._y_eval = self.X, self.y
        try:
            self._track_idx = [self.model.flat_index(n) for n in cfg.track]
        except ModelError as exc:
            raise ConfigError(f"cannot track {', '.join(cfg.track)}: {exc}") from None
        self._init_state()

    # -- state ---------------------------------------------------------------
    def _init_state(self) -> None:
        cfg = self.config
        hyper = ({"momentum": cfg.momentum} if cfg.optimizer == "momentum" else
                 {"weight_decay": cfg.weight_decay} if cfg.optimizer == "adamw" else {})
        self.optimizer = make_optimizer(cfg.optimizer, cfg.lr, **hyper)
        if cfg.optimizer == "adamw":
            self.optimizer.decay_only = {"all": [sl for _, sl in dense_weight_slices(self.model)]}
        self.penalty = Penalty(self.model, cfg.l2, cfg.l1)
        self.clipped = 0                # updates whose gradient was clipped
        self.n_train = len(self.X)
        self.batch_size = min(cfg.batch_size, self.n_train)
        self.updates_per_epoch = updates_per_epoch(self.n_train, self.batch_size)
        self.updates = 0
        self.epoch = 0                  # completed epochs
        self.epoch_goal = cfg.epochs    # the run ends after this epoch (0: when stopped)
        self._pos = 0                   # next example index inside the current epoch
        self._Xs = self._ys = None
        self.finished = False
        self.stop_reason: str | None = None
        self.message = ""
        self.diverged_at: int | None = None
        self.seconds = 0.0
        self.update_loss = _Growable()
        self.trajectory = _Growable(2)
        self.epochs: list[dict[str, float]] = []
        self._backup = self.model.flat_params.copy()
        self._best = None
        self._best_val = math.inf
        self._since_best = 0
        if self._track_idx:
            self.trajectory.append(self.model.flat_params[self._track_idx])
        self._mark_run_start()

    def _mark_run_start(self) -> None:
        """Remember where this run starts (all weights, the path's row, the update): the error
        surface of a run that flies out of the valley is drawn around it (engine.landscape)."""
        self.run_start = self.model.flat_params.copy()
        self.run_start_row = max(self.trajectory.n - 1, 0)
        self.run_start_update = self.updates

    def reset(self) -> None:
        """Fresh weights from the seed, empty history: the state right after construction."""
        self.rng = np.random.default_rng(self.config.seed)
        self.model.rng = self.rng
        for op in self.model.ops.values():
            if hasattr(op, "rng"):
                op.rng = self.rng
        self.model.init_params(self.rng)
        self._init_state()

    def lr_at(self, t: int | None = None) -> float:
        """η of update ``t`` (from 0; default: the next update) under the schedule;
        a cosine's T is the run's planned updates (its last epoch × updates per epoch)."""
        return config_lr_at(self.config, self.updates if t is None else t, self.updates_per_epoch,
                            self.epoch_goal * self.updates_per_epoch)

    def penalty_value(self) -> float:
        """The penalty λ₂·Σw² + λ₁·Σ|w| of the current weights (0 without penalties)."""
        return self.penalty.value(self.model.flat_params) if self.penalty.active else 0.0

    def summary(self) -> str:
        """'N examples, B per batch → U updates per epoch'."""
        u = self.updates_per_epoch
        return (f"{self.n_train} example{'s' if self.n_train != 1 else ''}, {self.batch_size} per batch → "
                f"{u} update{'s' if u != 1 else ''} per epoch")

    # -- training ------------------------------------------------------------
    def _shuffle(self) -> None:
        perm = self.rng.permutation(self.n_train)
        self._Xs = self.X[perm]
        self._ys = self.y[perm]

    def step(self) -> bool:
        """One update. Returns False (and does nothing) once training has finished."""
        if self.finished:
            return False
        with np.errstate(all="ignore"):
            self._steps(1)
        return True

    def run(self, max_updates: int | None = None, max_seconds: float | None = None) -> int:
        """Train until finished, or ``max_updates`` updates, or ``max_seconds``; returns updates made."""
        done = 0
        t_end = None if max_seconds is None else time.perf_counter() + max_seconds
        with np.errstate(all="ignore"):
            while not self.finished and (max_updates is None or done < max_updates):
                chunk = self.updates_per_epoch if max_updates is None else min(max_updates - done, 256)
                done += self._steps(chunk)
                if t_end is not None and time.perf_counter() >= t_end:
                    break
        return done

    def run_epoch(self) -> int:
        """Finish the current epoch (a whole one if at its start)."""
        if self.finished:
            return 0
        left = self.updates_per_epoch - (self._pos + self.batch_size - 1) // self.batch_size
        with np.errstate(all="ignore"):
            return self._steps(left)

    def _steps(self, count: int) -> int:
        t0 = time.perf_counter()
        model, loss, opt = self.model, self.loss, self.optimizer
        P, G = model.flat_params, model.flat_grads
        backup = self._backup
        pgroup, ggroup = {"all": P}, {"all": G}
        B, N = self.batch_size, self.n_train
        track = self._track_idx
        cfg = self.config
        penalty = self.penalty if self.penalty.active else None
        clip = cfg.clip_norm
        scheduled = is_scheduled(cfg)
        done = 0
        while done < count and not self.finished:
            if self._pos == 0:
                self._shuffle()
            i = self._pos
            xb, yb = self._Xs[i:i + B], self._ys[i:i + B]
            pred = model.forward(xb, True)
            value, dpred = loss.value_and_grad(pred, yb)
            if not math.isfinite(value):
                self._diverge(value)
                break
            np.copyto(backup, P)
            model.backward(dpred)
            if penalty is not None:
                penalty.add_grad(P, G)
            if clip and clip_global_norm(G, clip):
                self.clipped += 1
            if scheduled:
                opt.lr = self.lr_at()
            opt.step(pgroup, ggroup)
            self.updates += 1
            done += 1
            self.update_loss.append(value)
            if track:
                self.trajectory.append(P[track])
            self._pos = i + B
            if self._pos >= N:
                self._pos = 0
                self._end_epoch()
        self.seconds += time.perf_counter() - t0
        return done

    def _diverge(self, value: float) -> None:
        np.copyto(self.model.flat_params, self._backup)
        self.finished = True
        self.stop_reason = "diverged"
        self.diverged_at = self.updates + 1
        word = "NaN" if math.isnan(value) else "infinite"
        self.message = (f"the loss became {word} at update {self.diverged_at} (epoch {self.epoch + 1}); "
                        f"training stopped and kept the last finite weights. "
                        f"Try a smaller learning rate than {self.config.lr:g}.")

    def _end_epoch(self) -> None:
        self.epoch += 1
        record = {"epoch": self.epoch, "updates": self.updates}
        for prefix, (X, y) in (("train", (self._X_eval, self._y_eval)), ("val", (self.Xv, self.yv))):
            for k, v in evaluate(self.model, self.loss, X, y, self.y_std).items():
                record[f"{prefix}_{k}"] = v
        cfg = self.config
        # the scores above are the data loss's; the penalty, η and clipping are recorded beside them
        if self.penalty.active:
            record["penalty"] = self.penalty_value()
        if is_scheduled(cfg):
            record["lr"] = self.lr_at(self.updates - 1)
        if cfg.clip_norm:
            record["clipped"] = self.clipped
        self.epochs.append(record)
        val = record["val_loss"]
        if cfg.early_stopping and math.isfinite(val):
            if val < self._best_val:
                self._best_val, self._since_best = val, 0
                self._best = self.model.flat_params.copy()
            else:
                self._since_best += 1
                if self._since_best >= cfg.early_stopping:
                    np.copyto(self.model.flat_params, self._best)
                    self.finished = True
                    self.stop_reason = "early_stopping"
                    self.message = (f"stopped early after epoch {self.epoch}: the validation loss has not "
                                    f"improved for {cfg.early_stopping} epochs; kept the best weights "
                                    f"(epoch {self.epoch - cfg.early_stopping}).")
                    return
        if self.epoch_goal and self.epoch >= self.epoch_goal:
            self.finished = True
            self.stop_reason = "epochs"
            self.message = f"finished {self.epoch} epochs ({self.updates} updates)."

    # -- going on ---------------------------------------------------------------
    def continue_run(self) -> None:
        """Train on after the run finished (its epochs, or early stopping) or from an adopted
        history: the planned epochs if they are not done yet, else ``config.epochs`` more.
        The history, counters and weights go on from where they are."""
        cfg = self.config
        self.epoch_goal = cfg.epochs if not cfg.epochs or self.epoch < cfg.epochs else self.epoch + cfg.epochs
        self.finished, self.stop_reason, self.message, self.diverged_at = False, None, "", None
        self._since_best = 0
        self._mark_run_start()

    def adopt_history(self, history: dict) -> None:
        """Go on from a saved run (a reopened project): its per-update losses and epoch
        records come first and the counters continue from them; its path too, when it
        tracked the same pair and ends where the weights are. The batch order and the
        optimizer's running averages start afresh (they are not saved)."""
        losses = np.asarray(history.get("update_loss") or [], np.float64).ravel()
        epochs = [dict(r) for r in history.get("epochs") or [] if isinstance(r, dict)]
        self.update_loss.fill(losses)
        self.epochs = epochs
        self.updates = max(len(losses), int(epochs[-1].get("updates", 0)) if epochs else 0)
        self.epoch = int(epochs[-1].get("epoch", len(epochs))) if epochs else 0
        self._pos, self._Xs, self._ys = 0, None, None
        last_val = epochs[-1].get("val_loss", math.nan) if epochs else math.nan
        known = isinstance(last_val, (int, float)) and math.isfinite(last_val)
        self._best_val = float(last_val) if known else math.inf      # early stopping: best since here
        self._best = self.model.flat_params.copy() if known else None
        track = self._track_idx
        path = np.asarray(history.get("trajectory") or [], np.float64)
        if (track and list(history.get("track") or []) == list(self.config.track) and path.size
                and path.size % 2 == 0
                and np.allclose(path.reshape(-1, 2)[-1], self.model.flat_params[track], rtol=1e-5, atol=1e-7)):
            self.trajectory.fill(path.reshape(-1, 2))
        self.continue_run()

    def continue_from(self, other: "Trainer") -> None:
        """Go on from another trainer on the same graph and data whose settings differ (a new
        learning rate, batch size, optimizer, number of epochs, ...): its weights, history and
        counters; its batch order when the batch size is the same and the optimizer's state
        when the optimizer is. A run that had not finished keeps its plan (see continue_run)."""
        np.copyto(self.model.flat_params, other.model.flat_params)
        np.copyto(self._backup, self.model.flat_params)
        self.update_loss.fill(other.update_loss.view())
        self.epochs = [dict(r) for r in other.epochs]
        self.updates, self.epoch, self.seconds = other.updates, other.epoch, other.seconds
        if list(self.config.track) == list(other.config.track):
            self.trajectory.fill(other.trajectory.view())
        if self.batch_size == other.batch_size and other._Xs is not None:
            self._pos, self._Xs, self._ys = other._pos, other._Xs, other._ys
            self.rng.bit_generator.state = other.rng.bit_generator.state
        same_opt = (self.config.optimizer == other.config.optimizer
                    and (self.config.optimizer != "momentum" or self.config.momentum == other.config.momentum))
        if same_opt:
            self.optimizer.state = {k: {kk: vv.copy() for kk, vv in v.items()}
                                    for k, v in other.optimizer.state.items()}
            self.optimizer.t = other.optimizer.t
        self._best_val, self._since_best = other._best_val, other._since_best
        self._best = None if other._best is None else other._best.copy()
        self.clipped = other.clipped
        self.continue_run()

    # -- state transfer ---------------------------------------------------------
    def set_weights(self, weights: dict) -> None:
        """Start (or go on) from these weights; they become the last finite ones too."""
        self.model.set_weights(weights)
        np.copyto(self._backup, self.model.flat_params)
        self._mark_run_start()

    def set_track(self, names: list[str]) -> None:
        """Record the path of another parameter pair from now on (the path restarts here)."""
        names = list(names)
        try:
            idx = [self.model.flat_index(n) for n in names]
        except ModelError as exc:
            raise ConfigError(f"cannot track {', '.join(names)}: {exc}") from None
        if len(names) not in (0, 2):
            raise ConfigError("track must name two parameter scalars")
        self.config.track = names
        self._track_idx = idx
        self.trajectory.clear()
        if idx:
            self.trajectory.append(self.model.flat_params[idx])
        self._mark_run_start()

    _SCALARS = ("updates", "epoch", "epoch_goal", "_pos", "finished", "stop_reason", "message", "diverged_at",
                "seconds", "_best_val", "_since_best", "clipped")

    def follow(self, *, params, updates: int, epoch: int, loss_start: int, loss_new, epochs_start: int,
               epochs_new: list, path_start: int, path_new, track, finished: bool, stop_reason, message: str,
               diverged_at) -> None:
        """Mirror another trainer's progress (the window's copy of the trainer in the worker
        process): its parameters (flat, or None), counters, the history's new rows from their
        start indices, and how the run ended. See ``engine.train_loop.Snapshot.apply_to``."""
        if params is not None and len(params) == len(self.model.flat_params):
            np.copyto(self.model.flat_params, params)
        self.updates, self.epoch = updates, epoch
        if len(loss_new):
            self.update_loss.put(loss_start, loss_new)
        if epochs_new:
            self.epochs[epochs_start:] = [dict(r) for r in epochs_new]
        self.finished, self.stop_reason, self.message = finished, stop_reason, message
        self.diverged_at = diverged_at
        if track and list(track) != list(self.config.track):
            self.set_track(list(track))
        if len(path_new):
            self.trajectory.put(path_start, path_new)

    def state_dict(self) -> dict:
        """Everything needed to continue this run elsewhere: weights, optimizer state, the
        current epoch's batch order, the random generator and the history (plain data + arrays)."""
        opt = self.optimizer
        return {
            **{k: getattr(self, k) for k in self._SCALARS},
            "flat": self.model.flat_params.copy(), "backup": self._backup.copy(),
            "best": None if self._best is None else self._best.copy(),
            "Xs": self._Xs, "ys": self._ys,
            "update_loss": self.update_loss.view().copy(), "trajectory": self.trajectory.view().copy(),
            "epochs": [dict(r) for r in self.epochs], "track": list(self.config.track),
            "opt_state": {k: {kk: vv.copy() for kk, vv in v.items()} for k, v in opt.state.items()},
            "opt_t": opt.t, "rng": self.rng.bit_generator.state,
            "run_start": self.run_start.copy(), "run_start_row": self.run_start_row,
            "run_start_update": self.run_start_update,
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict` of a trainer built from the same graph, data and settings."""
        for k in self._SCALARS:
            setattr(self, k, state[k])
        np.copyto(self.model.flat_params, state["flat"])
        np.copyto(self._backup, state["backup"])
        self._best = None if state["best"] is None else state["best"].copy()
        self._Xs, self._ys = state["Xs"], state["ys"]
        if state["track"]:
            self.set_track(state["track"])
        self.update_loss.fill(state["update_loss"])
        self.trajectory.fill(state["trajectory"])
        self.epochs = [dict(r) for r in state["epochs"]]
        self.optimizer.state = {k: {kk: vv.copy() for kk, vv in v.items()}
                                for k, v in state["opt_state"].items()}
        self.optimizer.t = state["opt_t"]
        self.rng.bit_generator.state = state["rng"]
        if "run_start" in state:       # where this run started (set_track above marked "now")
            self.run_start = np.array(state["run_start"], copy=True)
            self.run_start_row, self.run_start_update = state["run_start_row"], state["run_start_update"]

    # -- results -------------------------------------------------------------
    def history(self) -> dict[str, list]:
        """Plain lists for saving: per-update loss, per-epoch records, the tracked path."""
        return {
            "update_loss": self.update_loss.view().tolist(),
            "epochs": [dict(r) for r in self.epochs],
            "trajectory": self.trajectory.view().tolist(),
            "track": list(self.config.track),
        }

    def metrics(self) -> dict[str, float]:
        """The last epoch's numbers plus counters (what ``--metrics`` writes)."""
        last = self.epochs[-1] if self.epochs else {}
        out = {k: v for k, v in last.items() if k not in ("epoch", "updates")}
        out.update(epochs=self.epoch, updates=self.updates, seconds=round(self.seconds, 4),
                   stop_reason=self.stop_reason)
        if self.diverged_at is not None:
            out["diverged_at"] = self.diverged_at
        return out
