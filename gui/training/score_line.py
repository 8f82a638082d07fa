"""The training panel's line of scores, as HTML, with one tooltip sentence per score (no
widgets: the panel puts it in its label)."""
from __future__ import annotations

import math

import gui.common.plot_style as style
from gui.training.baselines_view import baseline_scores
from gui.training.panel_text import SCORE_TIPS, fmt_r2

__all__ = ["score_line"]


def score_line(last: dict | None, current_loss: float | None, unit: str, sd: float | None,
               baselines) -> tuple[str, dict[str, str], str]:
    """(the HTML, each score's tooltip by key, every tooltip together) for the last batch's loss
    and the last epoch's losses and scores (an epoch record of the trainer: ``train_loss``,
    ``val_loss``, ``val_r2``, ``val_mae``, ``val_rmse`` or ``train_accuracy``, ``val_accuracy``,
    ``val_f1``; a score missing from an older saved history is left out). ``unit`` is the
    target's name, ``sd`` its scale when the losses are of the standardized target."""
    tips: dict[str, str] = {}
    note = ""
    if sd is not None:           # "MSE 0.173" beside "RMSE 2.999 temp_max" must not look like a contradiction
        one = f"1 = {sd:.4g} {unit}" if unit else "1 = one standard deviation"
        note = (f"The losses are measured on the standardized target ({one}, the training rows' "
                f"standard deviation), as the model learns it; MAE and RMSE are in "
                f"{unit or 'the target’s own units'}.")

    def name(key: str, text: str, color: str = "#202124") -> str:
        tips[key] = SCORE_TIPS[key].format(unit=unit or "the target's own units")
        return f"<a href='{key}' style='color:{color}; text-decoration:none'>{text}</a>"

    def num(key, fmt=None):
        v = last.get(key)
        if not (isinstance(v, (int, float)) and math.isfinite(v)):
            return "–"
        return style.fmt(v) if fmt is None else fmt.format(v)

    in_unit = f"&nbsp;{unit}" if unit else ""        # a score and its unit wrap as one
    scaled = ""
    if note:
        scaled = ("&nbsp;<a href='standardized' style='color:#6b7280; text-decoration:none'>"
                  "(standardized)</a>")
    losses, scores = [], []
    if current_loss is not None and math.isfinite(current_loss):
        losses.append(f"{name('batch_loss', 'batch&nbsp;loss')}&nbsp;<b>{style.fmt(current_loss)}</b>")
    if last:
        losses.append(f"{name('train_loss', 'train&nbsp;loss', '#2b7bba')}&nbsp;"
                      f"<span style='color:#2b7bba'><b>{num('train_loss')}</b></span>")
        losses.append(f"{name('val_loss', 'validation&nbsp;loss', '#c46a12')}&nbsp;"
                      f"<span style='color:#c46a12'><b>{num('val_loss')}</b></span>")
        if "penalty" in last:           # beside the data loss, not in it: what L2/L1 trade
            losses.append(f"{name('penalty', 'penalty')}&nbsp;<b>{num('penalty')}</b>")
        if "clipped" in last:
            losses.append(f"{name('clipped', 'clipped')}&nbsp;<b>{last['clipped']:,}</b>&nbsp;updates")
        if "val_r2" in last:
            v = last.get("val_r2")
            scores.append(f"validation&nbsp;{name('r2', 'R²')}&nbsp;<b>{fmt_r2(v) if v is not None else '–'}</b>")
            scores.append(f"{name('mae', 'MAE')}&nbsp;<b>{num('val_mae')}</b>{in_unit}")
            if "val_rmse" in last:
                scores.append(f"{name('rmse', 'RMSE')}&nbsp;<b>{num('val_rmse')}</b>{in_unit}")
        if "val_accuracy" in last:
            scores.append(f"train&nbsp;{name('accuracy', 'accuracy')}&nbsp;"
                          f"<b>{num('train_accuracy', '{:.1%}')}</b>")
            scores.append(f"validation&nbsp;{name('accuracy', 'accuracy')}&nbsp;"
                          f"<b>{num('val_accuracy', '{:.1%}')}</b>")
            if "val_f1" in last:
                scores.append(f"validation&nbsp;{name('f1', 'F1')}&nbsp;<b>{num('val_f1', '{:.3f}')}</b>")
    parts, more = baseline_scores(baselines, last or {}, lambda key, text: name(key, text, "#5f6368"))
    scores += parts
    for key, sentence in more.items():
        tips[key] += " " + sentence.format(unit=unit or "the target's own units")
    all_tips = "\n".join(tips.values())
    if losses and scaled:
        losses[-1] += scaled
        all_tips += "\n" + note
        tips["standardized"] = note
        for key in ("batch_loss", "train_loss", "val_loss"):     # a loss's own sentence says it too
            if key in tips:
                tips[key] += " " + note
    lines = [" · ".join(part) for part in (losses, scores) if part]
    return "<br>".join(lines), tips, all_tips
