"""Fitting a network to new data: the one rule the window's import and the CLI's
``--project … --csv …`` both follow.

New data can change how many features go in, what the task is and how many
values come out. The network follows, as a person would make it follow:

- every Input node takes the dataset's number of features;
- every Output node gets the dataset's task and its number of outputs;
- the Dense that feeds the Output (:func:`last_dense`) gets one unit per output;
- a loss that does not fit the task is replaced by the task's default loss.

:func:`fit_graph_to_data` only *plans* these changes (a :class:`DataFit`); the
CLI applies them to its graph with :meth:`DataFit.apply`, the window turns them
into one undoable command. Pure Python; never imports Qt.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .graph import ACTIVATION_KINDS, Graph
from .losses import losses_for_task
from .trainer import default_loss

__all__ = ["ParamChange", "DataFit", "fit_graph_to_data", "last_dense"]


@dataclass(frozen=True)
class ParamChange:
    """Settings of one node before and after the fit (only the settings that change)."""

    node: str
    old: dict
    new: dict

    def describe(self) -> str:
        """"dense2: units 3 → 1"."""
        return f"{self.node}: " + ", ".join(f"{k} {self.old[k]} → {v}" for k, v in self.new.items())


@dataclass
class DataFit:
    """What the network and the loss need so the dataset can train them.

    ``params``: node settings to change, in the order to apply them (undo in
    reverse); ``loss``: the loss to use (the given one when it fits the task);
    ``old_loss``: the loss before the fit."""

    params: list[ParamChange] = field(default_factory=list)
    loss: str = ""
    old_loss: str = ""

    @property
    def loss_changed(self) -> bool:
        return self.loss != self.old_loss

    @property
    def changes(self) -> list[str]:
        """Each change in a few words, for a person ("dense2: units 3 → 1", "loss ce → mse")."""
        out = [c.describe() for c in self.params]
        if self.loss_changed:
            out.append(f"loss {self.old_loss} → {self.loss}")
        return out

    def apply(self, graph: Graph) -> None:
        """Make the planned node changes on ``graph`` (the loss is the caller's to use)."""
        for c in self.params:
            graph.set_params(c.node, c.new)


def fit_graph_to_data(graph: Graph, dataset, loss: str) -> DataFit:
    """Plan the changes that fit ``graph`` and ``loss`` to ``dataset`` (see the module
    docstring); ``graph`` is not changed. ``dataset`` needs ``n_features``, ``task``
    and ``n_outputs`` (an :class:`engine.dataset.Dataset`)."""
    params: list[ParamChange] = []

    def plan(nid: str, new: dict) -> None:
        old = {k: graph.nodes[nid].params.get(k) for k in new}
        if old != new:
            params.append(ParamChange(nid, old, dict(new)))

    for nid in graph.of_kind("input"):
        plan(nid, {"features": dataset.n_features})
    for nid in graph.of_kind("output"):
        plan(nid, {"task": dataset.task, "units": dataset.n_outputs})
    last = last_dense(graph)
    if last is not None:
        plan(last, {"units": dataset.n_outputs})
    new_loss = loss if loss in losses_for_task(dataset.task) else default_loss(dataset.task)
    return DataFit(params, new_loss, loss)


def last_dense(graph: Graph) -> str | None:
    """The Dense whose units are the Output's width: walk back from the Output through
    single-input, shape-keeping nodes (activations, dropout). None if there is no such
    Dense or it also feeds other nodes."""
    nid = graph.output_node()
    if nid is None:
        return None
    while True:
        ins = graph.inputs_of(nid)
        if len(ins) != 1:
            return None
        nid = ins[0]
        kind = graph.nodes[nid].kind
        if kind == "dense":
            return nid if len(graph.outputs_of(nid)) == 1 else None
        if kind not in ACTIVATION_KINDS and kind != "dropout":
            return None
        if len(graph.outputs_of(nid)) != 1:
            return None
