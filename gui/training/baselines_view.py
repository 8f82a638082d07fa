"""The baselines beside the model's scores in the training panel: computed off the GUI thread
whenever the data change (:class:`BaselineWatch`), shown as one more line of scores
(:func:`baseline_scores`), each name with its one-sentence tooltip."""
from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal

from engine.baselines import Baselines, compute_baselines
import gui.common.plot_style as plot_style
from gui.common.jobs import BackgroundJob

__all__ = ["BaselineWatch", "baseline_scores"]


def _num(v, fmt: str | None = None) -> str:
    if not (isinstance(v, (int, float)) and math.isfinite(v)):
        return "–"
    return plot_style.fmt(v) if fmt is None else fmt.format(v)


def baseline_scores(b: Baselines | None, last: dict, link) -> tuple[list[str], dict[str, str]]:
    """The baseline beside the scores of the epoch record ``last``: a series' persistence MAE and
    the model's MASE, otherwise least squares on the same features (regression) or the majority
    class (classification). Returns the parts and, per tooltip key, a sentence listing the other
    baselines (``{unit}`` to fill). Empty when the baselines do not match the record's task.
    ``link(key, text)`` makes a name carry its tooltip."""
    if b is None or not last:
        return [], {}
    if b.task == "regression" and "val_mae" in last:
        others = [("least squares", b.linear_val_mae), ("training mean", b.mean_val_mae)]
        if b.seasonal_val_mae is not None:
            others.insert(0, (f"seasonal naive (period {b.period})", b.seasonal_val_mae))
        key = "base_persistence" if b.persistence_val_mae is not None else "base_linear"
        if key == "base_linear":
            others = others[-1:]
        listed = ", ".join(f"{what} {_num(v)}" for what, v in others)
        extra = {key: f"Other baselines' validation MAE in {{unit}}: {listed}."}
        if key == "base_linear":
            return [f"vs&nbsp;{link(key, 'least&nbsp;squares')}&nbsp;<b>{_num(b.linear_val_mae)}</b>"], extra
        out = [f"vs&nbsp;{link(key, 'persistence')}&nbsp;<b>{_num(b.persistence_val_mae)}</b>"]
        mase = b.mase(last.get("val_mae"))
        if mase is not None:
            out.append(f"{link('mase', 'MASE')}&nbsp;<b>{_num(mase, '{:.3f}')}</b>")
        return out, extra
    if b.task != "regression" and "val_accuracy" in last:
        return [f"vs&nbsp;{link('base_majority', 'majority&nbsp;class')}&nbsp;"
                f"<b>{_num(b.majority_val_accuracy, '{:.1%}')}</b>"], {}
    return [], {}


class BaselineWatch(QObject):
    """Keeps ``panel.set_baselines`` up to date with the document's dataset; ``computed`` comes
    with each new :class:`~engine.baselines.Baselines` (None: no data)."""

    computed = Signal(object)

    def __init__(self, document, panel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.panel = document, panel
        self.baselines: Baselines | None = None
        self._job: BackgroundJob | None = None
        document.dataset_changed.connect(self._on_document_dataset_changed)
        document.replaced.connect(self._on_document_dataset_changed)
        self._on_document_dataset_changed()

    def _on_document_dataset_changed(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None
        ds = self.document.dataset
        self._show(None)
        if ds is None:
            return
        job = BackgroundJob(lambda cancelled: compute_baselines(ds), name="netcanvas-baselines", parent=self)
        job.done.connect(lambda b, d=ds: self._show(b) if d is self.document.dataset else None)
        self._job = job.start()

    def _show(self, b: Baselines | None) -> None:
        self.baselines = b
        self.panel.set_baselines(b)
        if b is not None:
            self.computed.emit(b)
