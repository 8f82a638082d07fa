"""Scores of a model on data: the loss and, for regression, R², MAE and RMSE in the target's
units; for classes, accuracy, the confusion matrix and macro F1."""
from __future__ import annotations

import math

import numpy as np

from .model import Model

__all__ = ["evaluate", "confusion_matrix", "class_scores", "macro_f1"]


def evaluate(model: Model, loss, X: np.ndarray, y: np.ndarray, y_std=None,
             chunk: int = 16384) -> dict[str, float]:
    """Loss and scores over a whole set (inference mode, in chunks).

    Regression: ``loss``, ``r2``, ``mae`` and ``rmse`` (both in target units when
    ``y_std`` is given; averaged over the targets when there are several).
    Classification: ``loss``, ``accuracy`` and ``f1``, the macro-averaged F1 score
    (see :func:`macro_f1`). An empty set gives NaNs.
    """
    n = len(X)
    if n == 0:
        out = {"loss": math.nan}
        out.update({"r2": math.nan, "mae": math.nan, "rmse": math.nan} if model.task == "regression"
                   else {"accuracy": math.nan, "f1": math.nan})
        return out
    preds = np.concatenate([model.forward(X[i:i + chunk]).astype(np.float64) for i in range(0, n, chunk)])
    total = 0.0
    for i in range(0, n, chunk):
        total += loss.value(preds[i:i + chunk], y[i:i + chunk]) * len(X[i:i + chunk])
    out = {"loss": total / n}
    if model.task == "regression":
        yt = np.asarray(y, np.float64)
        err = preds - yt
        scale = np.ones(yt.shape[1]) if y_std is None else np.asarray(y_std, np.float64)
        ss_res = (err ** 2).sum(axis=0)
        ss_tot = ((yt - yt.mean(axis=0)) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), math.nan)
        out["r2"] = float(np.mean(r2))
        out["mae"] = float(np.mean(np.abs(err).mean(axis=0) * scale))
        out["rmse"] = float(np.mean(np.sqrt((err ** 2).mean(axis=0)) * scale))
    else:
        multiclass = model.task == "multiclass"
        labels = preds.argmax(axis=1) if multiclass else (preds[:, 0] > 0).astype(np.int64)
        yt = np.asarray(y, np.int64).ravel()
        out["accuracy"] = float(np.mean(labels == yt))
        out["f1"] = macro_f1(confusion_matrix(yt, labels, preds.shape[1] if multiclass else 2))
    return out


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts ``(K, K)`` int64: row = true class, column = predicted class.

    ``y_true`` and ``y_pred`` are class indices ``(N,)`` in ``0 .. n_classes − 1``.
    """
    t = np.asarray(y_true, np.int64).ravel()
    p = np.asarray(y_pred, np.int64).ravel()
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def class_scores(cm) -> dict[str, np.ndarray]:
    """Per-class ``precision``, ``recall`` and ``f1`` (each ``(K,)``) from a confusion matrix.

    F1 is ``2·TP / (2·TP + FP + FN)``, which equals ``2·P·R / (P + R)`` wherever those
    are defined and is 0 for a class that has members or predictions but no hit.
    A ratio with nothing to count is NaN: precision of a class never predicted,
    recall of a class with no members, and all three for a class with neither.
    """
    cm = np.asarray(cm, np.float64)
    tp = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"precision": np.where(predicted > 0, tp / predicted, math.nan),
                "recall": np.where(actual > 0, tp / actual, math.nan),
                "f1": np.where(predicted + actual > 0, 2 * tp / (predicted + actual), math.nan)}


def macro_f1(cm) -> float:
    """The unweighted mean of the per-class F1 scores (:func:`class_scores`) over the classes
    that occur in the set, as true class or as prediction; NaN when none does (no rows).

    A class with neither members nor predictions says nothing about the model and is left
    out (counting it as 0 or 1 would move the mean for no reason); a class with members
    that is never predicted, or predicted but with no members, counts as F1 = 0. This is
    scikit-learn's ``f1_score(average="macro")`` over the labels present.
    """
    f1 = class_scores(cm)["f1"]
    present = ~np.isnan(f1)
    return float(f1[present].mean()) if present.any() else math.nan
