"""The import view's summary, as rich text: what the dataset built from the file
will be (rows read and dropped, examples, features, target, classes,
normalization) and what reading did that a person should know.

Plain functions of a :class:`~engine.data.Table` and a
:class:`~engine.data.Dataset`; no widgets.
"""
from __future__ import annotations

import numpy as np

from engine.data import plural

__all__ = ["esc", "reading_notes", "summary_header", "summary_html"]


def summary_header(table) -> str:
    """The summary of a table no dataset could be built from: the rows read and the reading notes."""
    return f"<b>Rows read:</b> {table.n_rows:,}<br>" + "".join(line + "<br>" for line in
                                                              reading_notes(table, skipped_rows=True))


def reading_notes(table, skipped_rows: bool) -> list[str]:
    """What reading did that a person should know: placeholders read as missing and,
    with ``skipped_rows`` (no dataset lists them under Dropped), rows skipped for
    their number of fields."""
    notes = []
    note = table.placeholder_note()
    if note:
        notes.append(f"<span style='color:#b45309'>{esc(note)}</span>")
    if len(table.bad_lines) and skipped_rows:
        notes.append(f"<span style='color:#b45309'>wrong number of fields: "
                     f"{plural(len(table.bad_lines), 'row')} skipped ({_lines(table.bad_lines)})</span>")
    return notes


def summary_html(ds, table, cols: dict, target_why: str, few_values: dict[str, list[str]]) -> str:
    """The summary of dataset ``ds`` read from ``table`` (None: no reading notes).

    ``cols``: column name → its Column or ColumnProfile; ``target_why``: why the target was
    chosen, when it is the default and not the person's choice ("" otherwise); ``few_values``: feature
    columns of few whole numbers still used as numbers → their values (a hint)."""
    s = ds.spec
    lines = [f"<b>Rows read:</b> {ds.n_rows_read:,}"]
    lines += reading_notes(table, skipped_rows=False) if table is not None else []
    n_dropped = sum(ds.dropped.values())
    unit = "example" if s.series else "row"
    if n_dropped:
        lines.append(f"<b>Dropped:</b> {plural(n_dropped, unit)}")
        for reason, n in ds.dropped.items():
            if reason.startswith("wrong number of fields") and ds.bad_lines:
                where = f"rows at {_lines(ds.bad_lines)}" if s.series else _lines(ds.bad_lines)
                lines.append(f"&nbsp;&nbsp;• wrong number of fields: {plural(n, unit)} ({where})")
            else:
                lines.append(f"&nbsp;&nbsp;• {esc(reason)}: {n:,}")
    else:
        lines.append("<b>Dropped:</b> none")
    if s.series:
        lines.append(f"<b>Windows:</b> {ds.n_rows_read - s.lags:,} of previous {s.lags} values "
                     f"<span style='color:#6b7280'>(the first {s.lags} rows only feed the first window)</span>")
        period = (f"{plural(s.period, 'row')} <span style='color:#6b7280'>(the seasonal naive baseline: the "
                  f"value {plural(s.period, 'row')} before)</span>" if s.period else
                  "auto <span style='color:#6b7280'>(detected from the training rows, if any)</span>")
        lines.append(f"<b>Seasonal period:</b> {period}")
    total = ds.n_train + ds.n_val
    split = "chronological" if s.split == "chronological" else f"random, seed {s.seed}"
    lines.append(f"<b>Examples N:</b> {total:,} = {ds.n_train:,} train + {ds.n_val:,} validation "
                 f"<span style='color:#6b7280'>({split})</span>")
    names = ds.feature_names
    shown = ", ".join(esc(n) for n in names[:6]) + (f", … +{len(names) - 6}" if len(names) > 6 else "")
    lines.append(f"<b>Features F:</b> {ds.n_features} <span style='color:#6b7280'>({shown})</span>")
    if ds.onehot:
        lines.append("<span style='color:#6b7280'>one-hot encoded: "
                     + ", ".join(f"{esc(k)} → {len(v)}" for k, v in ds.onehot.items()) + "</span>")
    hint = _category_hint(ds, few_values)
    if hint:
        lines.append(hint)
    for name in getattr(ds, "date_features", []):
        span = _date_span(cols.get(name))
        lines.append(f"<span style='color:#6b7280'>{esc(name)} as a number (decimal year)"
                     f"{': ' + esc(span) if span else ''}</span>")
    task = {"regression": "regression", "binary": "classification, 2 classes",
            "multiclass": f"classification, {len(ds.classes)} classes"}[ds.task]
    lines.append(f"<b>Target:</b> {esc(ds.target_name)} — {task}")
    if target_why and not s.series:
        kind = "text" if cols[ds.target_name].kind == "text" else "a number"  # never a date
        lines.append(f"<span style='color:#6b7280'>&nbsp;&nbsp;chosen because {esc(target_why)}; here {kind}. "
                     f"To predict another column, set its role to “target”.</span>")
    if ds.classes:
        tr = np.bincount(ds.y_train, minlength=len(ds.classes))
        va = np.bincount(ds.y_val, minlength=len(ds.classes))
        rows = "".join(f"<tr><td>{esc(c)}</td><td align=right>{a + b:,}</td>"
                       f"<td align=right style='color:#6b7280'>{a:,} / {b:,}</td></tr>"
                       for c, a, b in list(zip(ds.classes, tr, va))[:20])
        more = f"<br>… {len(ds.classes) - 20} more classes" if len(ds.classes) > 20 else ""
        lines.append("<b>Classes</b> (count, train / validation):"
                     f"<table cellspacing=0 cellpadding=1 style='margin-left:12px'>{rows}</table>{more}")
    if s.normalize == "standard" and ds.task == "regression":
        sd = float(ds.y_std[0]) if len(ds.y_std) else 1.0
        norm = ("features and target standardized with training-row mean and std<br>"
                "<span style='color:#6b7280'>&nbsp;&nbsp;the loss is measured on the standardized "
                f"target (1 = {sd:.4g} {esc(ds.target_name)}); R², MAE and the plots are in "
                f"{esc(ds.target_name)}</span>")
    elif s.normalize == "standard":
        norm = "features standardized with training-row mean and std"
    else:
        norm = "none (raw values)"
    lines.append("<b>Normalization:</b> " + norm)
    return "<br>".join(lines)


def _category_hint(ds, few_values: dict[str, list[str]]) -> str:
    """A grey line naming feature columns of few whole numbers still used as numbers."""
    if ds.spec.series or not few_values:
        return ""
    named = [f"{esc(n)} ({', '.join(values)})" for n, values in few_values.items()]
    if len(named) == 1:
        said = f"{named[0]} holds few whole values: if they are codes or groups, set its type"
    else:
        said = (f"{', '.join(named[:-1])} and {named[-1]} hold few whole values: if they are codes "
                "or groups, set their type")
    return f"<span style='color:#6b7280'>{said} to “category” (one input per value)</span>"


def _lines(lines) -> str:
    """[3, 17] → "lines 3, 17"; at most 8 shown, then "…"."""
    lines = [int(v) for v in lines]
    shown = ", ".join(str(v) for v in lines[:8]) + (", …" if len(lines) > 8 else "")
    return f"line{'s' if len(lines) != 1 else ''} {shown}"


def esc(text) -> str:
    """``text`` safe inside rich text (&, <, > escaped)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _date_span(p) -> str:
    """"1970 … 1982" (whole years) or "2012/01/01 … 2015/12/31" once a date column's
    profile is computed; "" before."""
    if getattr(p, "kind", None) != "date" or not hasattr(p, "whole_years") or p.low != p.low:
        return ""
    return p.describe().rsplit(", ", 1)[0]
