"""The training panel's words and numbers, without widgets: the speeds, the tooltips of the
settings and scores, parsing what is typed, and the sentences that end a run."""
from __future__ import annotations

import math

from engine.trainer import ConfigError

__all__ = ["AUTO", "AUTO_MIN_RATE", "AUTO_EPOCH_SECONDS", "SPEEDS", "DEFAULT_SPEED", "SPEED_KEY", "SCORE_TIPS",
           "auto_rate", "count", "divergence_word", "fmt_r2", "diverged_message", "finished_message"]

# updates per second (0 = as fast as the computer can; AUTO = see auto_rate). The default makes
# the examples take a few seconds (example 1: 60 epochs × 37 updates ≈ 7 s), slow enough to watch
# the loss fall and the optimizer's path move, and to try Pause and Step — and a big file's
# epochs no slower than AUTO_EPOCH_SECONDS each.
AUTO = -1
AUTO_MIN_RATE = 300
AUTO_EPOCH_SECONDS = 2.0
SPEEDS = [(AUTO, "auto: watchable"), (0, "full speed"), (3000, "3,000 updates/s"), (300, "300 updates/s"),
          (30, "30 updates/s"), (3, "3 updates/s")]
DEFAULT_SPEED = AUTO


def auto_rate(updates_per_epoch: int) -> float:
    """The "auto" speed: 300 updates/s, or faster when an epoch has so many updates that it
    would take more than 2 s (1,000,000 rows in batches of 32: 15,625 updates/s)."""
    return max(float(AUTO_MIN_RATE), updates_per_epoch / AUTO_EPOCH_SECONDS)
SPEED_KEY = "training/updatesPerSecond"
_MOMENTUM_TIP = "μ in v ← μ·v − η·g; at least 0 and below 1"
_MOMENTUM_OFF_TIP = ("Only the Momentum optimizer uses μ (the share of the last step kept in the next); "
                     "choose “{title}” under Optimizer to set it.")

_BAD = "QLineEdit { border: 1.5px solid #d93025; background: #fdecea; }"
_OPTIMIZER_TIPS = {
    "sgd": "θ ← θ − η·g: plain gradient descent on each batch",
    "momentum": "v ← μ·v − η·g, θ ← θ + v: remembers the last steps' direction",
    "adam": "Adam: per-parameter step sizes from running means of g and g²",
    "adamw": "AdamW: Adam, then decoupled weight decay w ← w − η·wd·w on the Dense weights (set wd under "
             "Regularization & schedule); unlike an L2 penalty, Adam's per-weight scaling does not weaken it",
    "rmsprop": "RMSProp: divides η by a running root-mean-square of g",
    "adagrad": "Adagrad: divides η by the root of the sum of all past g²",
}

# One plain sentence per number in the live scores; hovering a score's name shows its sentence,
# the rest of the line shows them all. "{unit}" is the target's name (MAE and RMSE are in its units).
SCORE_TIPS = {
    "batch_loss": "Batch loss is the loss on the last batch, the number the last update just lowered.",
    "train_loss": "Train loss is the loss over the training rows (up to 10,000 of them), measured after "
                  "each epoch.",
    "val_loss": "Validation loss is the loss on the validation rows, which the model never learns from; "
                "when it rises while the train loss falls, the model is overfitting.",
    "penalty": "Penalty is λ₂·Σw² + λ₁·Σ|w| over the Dense weights after the last epoch, what training adds "
               "to the data loss to keep the weights small (the losses and scores beside it are the data "
               "loss's alone).",
    "clipped": "Clipped counts the updates whose gradient was longer than the clip norm and was scaled down.",
    "r2": "R² is the share of the target's variation the model explains on the validation rows: 1 is a "
          "perfect fit, 0 is no better than always guessing the average, below 0 is worse than that.",
    "mae": "MAE (mean absolute error) is how far the predictions are from the true values on average, "
           "in {unit}.",
    "rmse": "RMSE (root mean squared error) is like MAE, in {unit}, but big misses count more, so it is "
            "never below MAE.",
    "accuracy": "Accuracy is the share of rows (training or validation) whose most probable class is the "
                "true class.",
    "f1": "Macro F1 averages over the classes how well each one is found (F1, the balance of precision and "
          "recall), so a rare class the model keeps missing pulls it down even when accuracy looks high.",
    # the baselines (engine/baselines.py): what a model that learned nothing scores on the same rows
    "base_persistence": "Persistence predicts that the next value equals the last one; its validation MAE in "
                        "{unit} is the yardstick of a series, and a model that cannot beat it has learned nothing "
                        "useful.",
    "base_seasonal": "The seasonal naive forecast predicts the value one period ago (the period is detected in "
                     "the data); its validation MAE is in {unit}.",
    "base_mean": "The training mean always predicts the average of the training rows; its validation MAE is "
                 "in {unit}.",
    "base_linear": "Least squares is the best straight-line model on the same features, solved in closed form "
                   "without training; its validation MAE is in {unit}.",
    "mase": "MASE is the validation MAE divided by the MAE of persistence on the training rows, so below 1 "
            "the model beats predicting the last value.",
    "base_majority": "The majority class baseline always answers the most frequent class of the training rows; "
                     "its validation accuracy is what a model that learned nothing scores.",
}


def _parse_float(text: str, what: str, lo: float | None = None, hi: float | None = None,
                 lo_open: bool = False, hi_open: bool = False) -> float:
    try:
        v = float(text.strip().replace(",", "."))
    except ValueError:
        raise ConfigError(f"{what}: '{text}' is not a number") from None
    if not math.isfinite(v):
        raise ConfigError(f"{what} must be a finite number")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ConfigError(f"{what} must be {'above' if lo_open else 'at least'} {lo:g}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ConfigError(f"{what} must be {'below' if hi_open else 'at most'} {hi:g}")
    return v


def _parse_int(text: str, what: str, lo: int) -> int:
    t = text.strip()
    if not t.lstrip("+").isdigit():
        raise ConfigError(f"{what}: '{text}' is not a whole number")
    v = int(t)
    if v < lo:
        raise ConfigError(f"{what} must be at least {lo}")
    return v


def count(n: int, word: str) -> str:
    """"1 update", "37 updates", "1,163 examples": a number and its noun in the right number."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def divergence_word(message: str) -> str:
    """How the loss of a diverged run went wrong, from the trainer's message: "NaN" or "infinite"."""
    return "NaN" if "NaN" in (message or "") else "infinite"


def fmt_r2(v: float) -> str:
    """R² for people: three decimals near the useful range [−1, 1], a short number when a bad
    model drives it to −1e31 (not 33 digits)."""
    if v is None or not math.isfinite(v):
        return "–"
    return f"{v:.3f}" if abs(v) < 1000 else f"{v:.3g}"


def diverged_message(snap, lr: float | None) -> str:
    """What the panel says when a run diverged, with the same numbers as the progress line:
    update d failed, d − 1 were done."""
    d, done = snap.diverged_at or snap.updates + 1, snap.updates
    upe = max(snap.updates_per_epoch, 1)
    kept = (f"the weights after update {done:,} are kept" if done else "the starting weights are kept")
    return (f"Training diverged: stopped at update {d:,} (epoch {(d - 1) // upe + 1}): its loss was "
            f"{divergence_word(snap.message)}. {done:,} update{'s' if done != 1 else ''} done; {kept}. "
            + (f"Try a smaller learning rate than {lr:g}. " if lr else "Try a smaller learning rate. ")
            + "Train starts again from fresh weights.")


def finished_message(snap, last_epoch: dict) -> tuple[str, str]:
    """(the panel's sentence, the status bar's) when a run ended other than by diverging;
    ``last_epoch`` is the last per-epoch record (its validation scores)."""
    msg = snap.message[:1].upper() + snap.message[1:] if snap.message else "Finished."
    if (snap.stop_reason or "epochs") == "epochs":
        msg = f"Finished {snap.epoch:,} epoch{'s' if snap.epoch != 1 else ''} ({snap.updates:,} updates)."
    extra = ""
    if "val_r2" in last_epoch and math.isfinite(last_epoch.get("val_r2", math.nan)):
        extra = f" Validation R² {fmt_r2(last_epoch['val_r2'])}, MAE {last_epoch['val_mae']:.4g}."
    elif "val_accuracy" in last_epoch and math.isfinite(last_epoch.get("val_accuracy", math.nan)):
        extra = f" Validation accuracy {last_epoch['val_accuracy']:.1%}."
    return msg + extra, msg
