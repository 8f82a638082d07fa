"""What the three-steps strip says, as plain text (no Qt): one :class:`StepText` per step.

The formulas come from ``engine/formula.py``; this module adds the project's numbers (N, the
loss now, η, B, updates per epoch, the update count) and decides what a narrow strip keeps
(``facts`` are dropped from the right when the line is too short).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from engine.formula import elide, loss_formula, model_formula, optimization_numbers, optimizer_formula
from engine.graph import Graph
from engine.optimizers import OPTIMIZERS
from engine.trainer import TrainConfig, updates_per_epoch

__all__ = ["StepText", "Progress", "model_step", "loss_step", "optimization_step"]


@dataclass(frozen=True)
class StepText:
    title: str                       # "Model"
    formula: str                     # one line for the strip
    facts: tuple[str, ...] = ()      # numbers after the formula, the most important first
    lines: tuple[str, ...] = ()      # the expanded view: the formula in full
    notes: tuple[str, ...] = ()      # ... and what its letters stand for, the numbers (muted)
    badge: str = ""                  # live, right after the title ("update 491"): kept when narrow


@dataclass(frozen=True)
class Progress:
    """How far training has come: updates, epochs done, the planned epochs (0: until
    stopped), whether it runs now, and the last epoch's record (its train_* scores)."""
    updates: int = 0
    epoch: int = 0
    goal: int = 0
    running: bool = False
    record: dict = field(default_factory=dict)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _num(v: float) -> str:
    return f"{v:.4g}" if math.isfinite(v) else str(v)


def model_step(graph: Graph, feature_names: list[str] | None = None,
               counts: dict[str, int] | None = None) -> StepText:
    """Step 1: the function with unknown parameters, for ``graph`` as it is now (``counts``: each
    Dense node's parameters, if known already; see ``model_formula``)."""
    f = model_formula(graph, feature_names, counts)
    theta = f"θ: {_count(f.unknowns, 'unknown')}" if f.unknowns is not None else "θ: not known yet"
    notes = list(f.legend)
    if f.unknowns is not None:
        notes.append(f"{theta}, every weight and bias (the parameters training finds)")
    if f.note:
        notes.append(f.note)
    return StepText("Model", f.short, (theta,), f.lines, tuple(notes))


def loss_step(config: TrainConfig, task: str | None, outputs: int, dataset=None,
              data_path: str | None = None, progress: Progress | None = None) -> StepText:
    """Step 2: the loss over the N training rows, with its value after the last epoch."""
    total, error = loss_formula(config.loss, outputs=outputs, l2=config.l2, l1=config.l1)
    rhs = error.split(" = ", 1)[1]
    one_line = total.replace("eₙ", rhs, 1) if config.loss in ("mae", "mse") and outputs == 1 \
        else f"{total},  {error}"
    facts, notes = [], []
    if dataset is not None:
        name = f" of {os.path.basename(data_path)}" if data_path else ""
        facts.append(f"N = {dataset.n_train:,}")
        notes.append(f"N = {dataset.n_train:,} training rows{name} (not the validation rows)")
        target = f" ({elide(dataset.target_name, 40)})" if dataset.target_name else ""
        notes.append(f"yₙ: the model's output for row n, ŷₙ: the label{target}")
    else:
        notes.append("N: the training rows, once data is loaded (File → Import CSV)")
    record = progress.record if progress is not None else {}
    value = record.get("train_loss")
    if value is not None:
        facts.append(f"L = {_num(value)}")
        notes.append(_loss_now(value, record, dataset, task, progress))
    return StepText("Loss", elide(one_line), tuple(facts), (total, error), tuple(notes))


def _loss_now(value: float, record: dict, dataset, task: str | None, progress: Progress) -> str:
    text = f"L = {_num(value)} after epoch {progress.epoch:,}"
    if dataset is None or task != "regression":
        return text
    scale = float(dataset.y_std.ravel()[0]) if dataset.y_std.size else 1.0
    target = elide(dataset.target_name, 40)
    if scale != 1.0:
        text += f" (standardized {target})"
    units = [f"{k.upper()} {_num(record[f'train_{k}'])}" for k in ("mae", "rmse")
             if record.get(f"train_{k}") is not None]
    return f"{text}; {', '.join(units)} {target}" if units and scale != 1.0 else text


def optimization_step(config: TrainConfig, n_train: int | None,
                      progress: Progress | None = None) -> StepText:
    """Step 3: the update rule, η, B, N, updates per epoch, and how far training has come."""
    rule = optimizer_formula(config)
    head = next((r for r in rule if r.startswith("θ ←")), rule[0])
    facts = [f"η = {config.lr:g}", f"B = {config.batch_size:,}"]
    title = OPTIMIZERS[config.optimizer].title if config.optimizer in OPTIMIZERS else config.optimizer
    notes = [f"{title}: {optimization_numbers(config, n_train)}"]
    if n_train:
        facts.append(f"{updates_per_epoch(n_train, config.batch_size):,} updates/epoch")
    if progress is not None and progress.updates:
        per = updates_per_epoch(n_train or 0, config.batch_size)
        of = f" of {progress.goal * per:,}" if progress.goal and per and progress.updates <= progress.goal * per \
            else ""
        epochs = f"epoch {progress.epoch:,}" + (f" of {progress.goal:,}" if progress.goal else "")
        badge = f"update {progress.updates:,}"
        notes.append(f"{'now' if progress.running else 'so far'}: update {progress.updates:,}{of} · {epochs} done")
    else:
        badge = ""
        notes.append("not trained yet: Train starts at θ⁰, the initial weights")
    if config.optimizer in ("adam", "adamw"):
        notes.append("m, v: running means of g and g² (corrected for their start at 0)")
    return StepText("Optimization", head, tuple(facts), rule, tuple(notes), badge)
